//! Polling and fetching against a fault-injecting server on 127.0.0.1: conditional GET, server
//! scheduling hints, backoff, stalls, oversized and bomb bodies, encodings, redirects to private
//! addresses, robots.txt, and one bad feed among many.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use common::{
    Daemon, Reply, Server, TestConfig, count, flashpoint, generated_site, once, query, secs, stderr,
    wait_until,
};

fn rss(base: &str, items: &[(&str, &str)]) -> String {
    let mut xml = String::from("<rss version=\"2.0\"><channel><title>t</title>");
    for (path, title) in items {
        let _ = write!(
            xml,
            "<item><title>{title}</title><link>{base}{path}</link><guid>{path}</guid>\
             <description>{title}: the feed's own summary of this story, in a sentence.</description></item>"
        );
    }
    xml + "</channel></rss>"
}

fn page(body: &str) -> String {
    format!(
        "<html><head><title>t</title></head><body><article><p>{body}</p><p>{body}</p></article></body></html>"
    )
}

/// Gaps between consecutive instants.
fn gaps(times: &[std::time::Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn not_modified_costs_no_parse_and_no_page_fetch() {
    let site = Server::start().await;
    generated_site(&site, 3, 1);
    let feed = site
        .reply("/gen/feed")
        .header("etag", "\"v1\"")
        .header("last-modified", "Fri, 27 Nov 2026 10:00:00 GMT");
    site.route("/gen/feed", feed);
    let cfg = TestConfig::new(&[("Generated", site.url("/gen/feed"))], &[], "");
    for _ in 0..2 {
        once(&cfg.path).await;
    }
    let feed_requests: Vec<_> = site.seen().into_iter().filter(|s| s.path == "/gen/feed").collect();
    assert_eq!(feed_requests.len(), 2);
    assert!(feed_requests[0].headers.get("if-none-match").is_none());
    assert_eq!(feed_requests[1].headers["if-none-match"], "\"v1\"");
    assert_eq!(feed_requests[1].headers["if-modified-since"], "Fri, 27 Nov 2026 10:00:00 GMT");
    assert_eq!(feed_requests[1].status, 304);
    assert_eq!(site.hits("/gen/0"), 1, "no page fetched again");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 3);
    assert_eq!(count(&cfg.db, "SELECT consecutive_failures FROM feeds"), 0);
    let ua = feed_requests[0].headers["user-agent"].to_str().expect("ascii").to_string();
    assert!(ua.starts_with(&format!("Flashpoint/{} (", env!("CARGO_PKG_VERSION"))), "{ua}");
}

/// Real time, small intervals: a 429's Retry-After stretches the wait; 500s back off, doubling;
/// a success resets the interval.
#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_and_failures_back_off_then_reset() {
    let site = Server::start().await;
    let ok = Reply::ok("application/rss+xml", rss(&site.base(), &[]));
    site.route_seq(
        "/feed",
        vec![
            Reply::status(429).header("retry-after", "3"),
            Reply::status(500),
            Reply::status(500),
            ok.clone(),
            ok,
        ],
    );
    let cfg = TestConfig::new(
        &[("Flaky", site.url("/feed"))],
        &[],
        "[feeds_defaults]\ninterval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"4s\"\n",
    );
    let daemon = Daemon::start(&cfg.path);
    // When each poll arrived, watched from outside.
    let mut times: Vec<std::time::Instant> = Vec::new();
    wait_until(secs(30), "six polls", || {
        let seen = site.hits("/feed");
        while times.len() < seen {
            times.push(std::time::Instant::now());
        }
        times.len() >= 6
    })
    .await;
    assert_eq!(daemon.stop().await, Some(0));
    let gaps = gaps(&times);
    assert!(gaps.len() >= 5, "{gaps:?}");
    let secs: Vec<f64> = gaps.iter().map(Duration::as_secs_f64).collect();
    // After the 429: Retry-After 3 s (over the 2 s backoff), within ±10 % jitter.
    assert!((2.6..3.5).contains(&secs[0]), "Retry-After honoured: {secs:?}");
    // Two, then three failures in a row: 1 s × 2², then 1 s × 2³ (backoff may pass max_interval).
    assert!((3.5..4.6).contains(&secs[1]), "backoff doubles: {secs:?}");
    assert!((7.0..9.0).contains(&secs[2]), "and doubles again: {secs:?}");
    assert!((0.8..1.3).contains(&secs[3]), "success resets to the interval: {secs:?}");
    let failures = count(&cfg.db, "SELECT consecutive_failures FROM feeds");
    assert_eq!(failures, 0);
}

#[expect(clippy::too_many_lines, reason = "one end-to-end scenario, read top to bottom")]
#[tokio::test(flavor = "multi_thread")]
async fn stalls_huge_bodies_and_gzip_bombs_cost_one_recorded_error_each() {
    let site = Server::start().await;
    let mut stall = Reply::ok("text/html", page("never arrives in time"));
    stall.delay = Duration::from_secs(30);
    site.route("/stall", stall);
    site.route("/huge", Reply::ok("text/html", vec![b'a'; 50 * 1024 * 1024]));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..100 {
        gz.write_all(&zeros).expect("compress");
    }
    let bomb = gz.finish().expect("gzip");
    assert!(bomb.len() < 1024 * 1024, "100 MB of spaces compress to {} bytes", bomb.len());
    site.route("/bomb", Reply::ok("text/html", bomb).header("content-encoding", "gzip"));
    site.route(
        "/fine",
        Reply::ok(
            "text/html",
            page("A perfectly ordinary story about the weather, told at length, with commas."),
        ),
    );
    site.route("/loop", Reply::status(302).header("location", site.url("/loop")));
    site.route(
        "/feed",
        Reply::ok(
            "application/rss+xml",
            rss(
                &site.base(),
                &[
                    ("/stall", "Stall"),
                    ("/huge", "Huge"),
                    ("/bomb", "Bomb"),
                    ("/loop", "Loop"),
                    ("/fine", "Fine"),
                ],
            ),
        ),
    );
    let cfg = TestConfig::new(
        &[("Faults", site.url("/feed"))],
        &[],
        "[fetch]\ntimeout = \"1s\"\n[extract]\nmin_chars = 50\n",
    );
    let started = std::time::Instant::now();
    let log = once(&cfg.path).await;
    assert!(started.elapsed() < Duration::from_secs(20), "a stalled server is not waited on");
    let expected = [
        ("/stall", "timed out"),
        ("/huge", "body larger than"),
        ("/bomb", "body larger than"),
        ("/loop", "more than 5 redirects"),
    ];
    for (path, error) in expected {
        let line =
            log.lines().find(|l| l.contains("page fetch failed") && l.contains(path)).unwrap_or_default();
        assert!(line.contains(error), "{path}: {line}\n{log}");
    }
    assert_eq!(site.hits("/loop"), 6, "the first request and five redirects");
    assert_eq!(count(&cfg.db, "SELECT page_errors FROM feeds"), 4);
    // The oversized ones fell back to the feed's text; the stalled one and the redirect loop
    // (transient, as far as anyone can tell) wait for a retry.
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE method = 'feed'"), 2);
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM inbox WHERE link LIKE '%/stall' OR link LIKE '%/loop'"),
        2
    );
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE url LIKE '%/fine'"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_1252_and_urdu_pages_decode() {
    let site = Server::start().await;
    let western_html = page(
        "The minister\u{2019}s \u{201c}final warning\u{201d} was delivered in the caf\u{e9} of the parliament building, officials said.",
    );
    let (western, _, _) = encoding_rs::WINDOWS_1252.encode(&western_html);
    site.route("/western", Reply::ok("text/html", western.into_owned()));
    site.route(
        "/urdu",
        Reply::ok(
            "text/html; charset=utf-8",
            page("وزیر دفاع نے خبردار کیا کہ اگر حملے جاری رہے تو پاکستان افغانستان کے اندر گہرائی تک کارروائی کرے گا۔"),
        ),
    );
    site.route(
        "/feed",
        Reply::ok("application/rss+xml", rss(&site.base(), &[("/western", "W"), ("/urdu", "U")])),
    );
    let cfg = TestConfig::new(&[("Encodings", site.url("/feed"))], &[], "[extract]\nmin_chars = 50\n");
    once(&cfg.path).await;
    let bodies = query(
        &cfg.db,
        "SELECT a.url, b.body FROM articles a JOIN bodies b ON b.article_id = a.id ORDER BY a.url",
    );
    let text = format!("{bodies:?}");
    assert!(
        text.contains("minister\u{2019}s \u{201c}final warning\u{201d}") && text.contains("caf\u{e9}"),
        "{text}"
    );
    assert!(text.contains("پاکستان افغانستان کے اندر"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_a_private_address_is_refused_and_recorded() {
    let site = Server::start().await;
    site.route(
        "/redirect",
        Reply::status(302).header("location", format!("http://127.0.0.1:{}/internal", site.addr.port())),
    );
    site.route("/internal", Reply::ok("text/html", page("secret internal service data")));
    let local = format!("http://localhost:{}", site.addr.port());
    site.route("/feed", Reply::ok("application/rss+xml", rss(&local, &[("/redirect", "Redirected")])));
    // Only the feed's host name is allowed on a private address; its redirect target is not.
    let cfg = TestConfig::new(
        &[("Local", format!("{local}/feed"))],
        &[],
        "[fetch]\nallow_private = false\nallow_private_hosts = [\"localhost\"]\n",
    );
    once(&cfg.path).await;
    assert_eq!(site.hits("/feed"), 1);
    assert_eq!(site.hits("/redirect"), 1);
    assert_eq!(site.hits("/internal"), 0, "the private target was never requested");
    let error = query(&cfg.db, "SELECT last_error FROM feeds");
    assert!(format!("{error:?}").contains("refused"), "{error:?}");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE method = 'feed'"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn robots_txt_keeps_disallowed_pages_unfetched() {
    let site = Server::start().await;
    site.route("/robots.txt", Reply::ok("text/plain", "User-agent: Flashpoint\nDisallow: /private/\n"));
    site.route(
        "/private/1",
        Reply::ok("text/html", page("should never be fetched by a polite crawler at all")),
    );
    site.route(
        "/public/1",
        Reply::ok(
            "text/html",
            page("An ordinary public story about trade talks, told at length, with commas."),
        ),
    );
    site.route(
        "/feed",
        Reply::ok("application/rss+xml", rss(&site.base(), &[("/private/1", "P"), ("/public/1", "Q")])),
    );
    let cfg = TestConfig::new(&[("Robots", site.url("/feed"))], &[], "[extract]\nmin_chars = 50\n");
    once(&cfg.path).await;
    assert_eq!(site.hits("/private/1"), 0);
    assert_eq!(site.hits("/public/1"), 1);
    assert_eq!(site.hits("/robots.txt"), 1, "fetched once per site");
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM articles WHERE url LIKE '%/private/1' AND method = 'feed'"),
        1
    );
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM articles WHERE url LIKE '%/public/1' AND method = 'generic'"),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_malformed_feed_among_ten_and_tracking_copies_alert_once() {
    let site = Server::start().await;
    generated_site(&site, 3, 1);
    let threat = "/gen/0";
    let mut feeds = Vec::new();
    for i in 0..9 {
        // Every feed carries the same threat under its own tracking parameters.
        let path = format!("/feed{i}");
        let items = rss(
            &site.base(),
            &[
                (&format!("{threat}?utm_source=feed{i}&amp;utm_campaign=x{i}"), "Threat"),
                (&format!("/gen/{}", 1 + i % 2), "Weather"),
            ],
        );
        site.route(&path, Reply::ok("application/rss+xml", items));
        feeds.push((format!("Feed {i}"), site.url(&path)));
    }
    site.fixture("/broken", "malformed.xml", "application/rss+xml");
    feeds.push(("Broken".to_string(), site.url("/broken")));
    let feeds: Vec<(&str, String)> = feeds.iter().map(|(n, u)| (n.as_str(), u.clone())).collect();
    let cfg = TestConfig::new(&feeds, &[], "");
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM feeds WHERE consecutive_failures = 0"), 9);
    assert_eq!(count(&cfg.db, "SELECT consecutive_failures FROM feeds WHERE name = 'Broken'"), 1);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 3);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1, "one article, one alert");
    assert_eq!(site.hits(threat), 1, "fetched once");

    let health = flashpoint(&cfg.path, &["feeds", "--json"]).await;
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&health.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 10);
    let broken = lines.iter().find(|l| l["name"] == "Broken").expect("broken feed listed");
    assert_eq!(broken["flags"], serde_json::json!(["failing"]));
    assert!(broken["last_error"].as_str().is_some_and(|e| e.contains("malformed")));
    let table = flashpoint(&cfg.path, &["feeds"]).await;
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.starts_with("FEED") && table.contains("failing") && table.contains("Feed 0"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_test_shows_what_the_daemon_would_see() {
    let site = Server::with_dawn().await;
    let cfg = TestConfig::new(&[("Dawn", site.url("/feeds/pakistan"))], &[], "");
    let out = flashpoint(&cfg.path, &["feed-test", &site.url("/feeds/pakistan")]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains(": 4 items"), "{text}");
    assert!(
        text.contains("/news/1900001/khawaja-warns-of-strikes-deep-inside-afghanistan\n"),
        "canonical link: {text}"
    );
    assert!(text.contains("2026-11-27T09:05:00+00:00"), "{text}");
    assert!(text.contains("by the site's selector"), "{text}");
    // Dawn's page is English, by its lang or its words.
    assert!(text.contains("by the site's selector, language eng"), "{text}");
    let broken = flashpoint(
        &cfg.path,
        &["feed-test", common::fixtures().join("malformed.xml").to_str().expect("utf-8")],
    )
    .await;
    assert_eq!(broken.status.code(), Some(1));
    assert!(stderr(&broken).contains("cannot parse the feed"), "{}", stderr(&broken));
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM sqlite_master WHERE name = 'articles'"),
        0,
        "feed-test stores nothing"
    );
}
