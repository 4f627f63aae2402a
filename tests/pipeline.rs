//! End to end: the real binary against Dawn-shaped feeds and pages served on 127.0.0.1, with a
//! real webhook receiver and a real SQLite file.

mod common;

use std::time::Duration;

use common::{
    Daemon, Reply, Server, TestConfig, count, flashpoint, generated_site, once, query, secs, wait_until,
};
use rusqlite::types::Value;

const ALERT_PATH: &str = "/news/1900001/khawaja-warns-of-strikes-deep-inside-afghanistan";

#[expect(clippy::too_many_lines, reason = "one end-to-end scenario, read top to bottom")]
#[tokio::test(flavor = "multi_thread")]
async fn one_threat_one_alert_one_post_across_feeds_polls_and_restarts() {
    let site = Server::with_dawn().await;
    let hooks = Server::start().await;
    let cfg = TestConfig::new(
        &[("Dawn — Pakistan", site.url("/feeds/pakistan")), ("Dawn — World", site.url("/feeds/world"))],
        &[hooks.url("/hook")],
        "",
    );

    let log = once(&cfg.path).await;
    assert!(log.contains("flashpoint started"), "{log}");
    assert_eq!(log.matches("alert raised").count(), 1, "{log}");

    // Five distinct articles stored (the threat reached through both feeds counts once).
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 5);
    let alerts = query(&cfg.db, "SELECT id, article_url, title, feed, score, severity, matches FROM alerts");
    assert_eq!(alerts.len(), 1, "exactly one alert");
    let row = &alerts[0];
    let Value::Text(url) = &row[1] else { panic!("url") };
    assert_eq!(url, &site.url(ALERT_PATH), "tracking parameters and fragment stripped");
    let Value::Text(title) = &row[2] else { panic!("title") };
    assert!(title.contains("strike deep inside Afghanistan"), "{title}");
    let Value::Real(score) = row[4] else { panic!("score") };
    assert!(score >= 6.0);
    let Value::Text(matches) = &row[6] else { panic!("matches") };
    assert!(matches.contains("strike ~ inside within 8"));

    // Cricket, budget, the sidebar-only threat, and the climate story: no alert, all stored.
    for id in ["1900002", "1900003", "1900004", "1900005"] {
        let n = count(
            &cfg.db,
            &format!("SELECT count(*) FROM articles WHERE url LIKE '%/{id}/%' AND score < 6.0"),
        );
        assert_eq!(n, 1, "article {id} stored below the threshold");
    }
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE method = 'site'"), 5, "site rule used");
    let meta = query(
        &cfg.db,
        &format!("SELECT canonical, language FROM articles WHERE url = '{}'", site.url(ALERT_PATH)),
    );
    assert_eq!(
        meta,
        [vec![Value::Text(site.url(ALERT_PATH)), Value::Text("eng".into())]],
        "the page's canonical URL and language are stored"
    );

    // Exactly one webhook POST, carrying the documented fields.
    let posts = hooks.posts("/hook");
    assert_eq!(posts.len(), 1, "exactly one POST");
    let p = &posts[0];
    let Value::Text(id) = &row[0] else { panic!("id") };
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["type"], "alert.created");
    assert!(p["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(p["score"].as_f64().is_some_and(|s| s >= 6.0));
    assert!(matches!(p["severity"].as_str(), Some("low" | "medium" | "high")));
    assert_eq!(p["threshold"], 6.0);
    assert_eq!(p["article"]["url"], site.url(ALERT_PATH));
    assert!(p["article"]["title"].as_str().is_some_and(|t| t.contains("strike deep inside")));
    assert!(matches!(p["article"]["feed"].as_str(), Some("Dawn — Pakistan" | "Dawn — World")));
    assert!(p["article"]["published_at"].as_str().is_some_and(|t| t.starts_with("2026-11-27T09:05:00")));
    let first = &p["matches"][0];
    assert_eq!(first["term"], "strike deep inside");
    assert_eq!(first["category"], "threaten");
    assert_eq!(first["weight"], 6.0);
    assert!(first["occurrence"].as_u64().is_some_and(|c| c >= 1));
    assert!(first["count"].as_u64().is_some_and(|c| c >= 1));
    assert!(first["snippet"].as_str().is_some_and(|s| s.contains("strike deep inside")));
    assert_eq!(p["actors"][0]["source"], "Pakistan");
    assert_eq!(p["actors"][0]["target"], "Afghanistan");
    assert!(p["rules_hash"].as_str().is_some_and(|h| h.len() == 16), "{p}");

    // The operator's view of it.
    let listed = flashpoint(&cfg.path, &["alerts", "--json", "--since", "1h"]).await;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let row: serde_json::Value = serde_json::from_str(listed.trim()).expect("json line");
    assert_eq!(row["id"], id.as_str());
    let other_feed = flashpoint(&cfg.path, &["alerts", "--feed", "Elsewhere"]).await;
    assert_eq!(String::from_utf8_lossy(&other_feed.stdout).trim(), "no alerts");
    let table = flashpoint(&cfg.path, &["alerts"]).await;
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.starts_with("CREATED") && table.contains(id.as_str()), "{table}");

    // A second poll: nothing new, nothing sent.
    let pages_before = site.hits(ALERT_PATH);
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
    assert_eq!(hooks.posts("/hook").len(), 1);
    assert_eq!(site.hits(ALERT_PATH), pages_before, "a known article is not fetched again");

    restart_finds_nothing_new(&site, &hooks, &cfg).await;
}

/// A restart of the daemon: it polls, finds nothing new, and stops cleanly on SIGTERM.
async fn restart_finds_nothing_new(site: &Server, hooks: &Server, cfg: &common::TestConfig) {
    let feed_hits = (site.hits("/feeds/pakistan"), site.hits("/feeds/world"));
    let mark = cfg.poll_mark();
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "both feeds polled, their items dealt with, the outbox empty", || {
        cfg.settled(&mark)
    })
    .await;
    assert_eq!(daemon.stop().await, Some(0), "SIGTERM exits 0");
    assert_eq!((site.hits("/feeds/pakistan"), site.hits("/feeds/world")), (feed_hits.0 + 1, feed_hits.1 + 1));
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 5);
    assert_eq!(hooks.posts("/hook").len(), 1, "no duplicate after restart");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_feeds_and_pages_cost_only_their_feed() {
    let site = Server::with_dawn().await;
    site.fixture("/feeds/broken", "malformed.xml", "application/rss+xml");
    site.route("/feeds/gone", Reply::status(500));
    // A feed whose only article page is missing: the feed's own text is scored instead.
    site.route(
        "/feeds/missing-page",
        Reply::ok(
            "application/rss+xml",
            format!(
                r#"<rss version="2.0"><channel><title>m</title><item><title>Short note</title>
                <link>{}/news/404/missing</link><guid>m1</guid>
                <description>Officials said the meeting went well and talks would continue next week.</description></item></channel></rss>"#,
                site.base()
            ),
        ),
    );
    let hooks = Server::start().await;
    let cfg = TestConfig::new(
        &[
            ("Unreachable", "http://127.0.0.1:9/feed".to_string()),
            ("Malformed", site.url("/feeds/broken")),
            ("Server error", site.url("/feeds/gone")),
            ("Missing page", site.url("/feeds/missing-page")),
            ("Dawn — Pakistan", site.url("/feeds/pakistan")),
        ],
        &[hooks.url("/hook")],
        "",
    );
    let log = once(&cfg.path).await;
    assert!(!log.contains("panicked"), "{log}");
    for name in ["Unreachable", "Malformed", "Server error"] {
        let lines = log.lines().filter(|l| l.contains("feed poll failed") && l.contains(name)).count();
        assert_eq!(lines, 1, "one log line for {name}: {log}");
        let failures =
            count(&cfg.db, &format!("SELECT consecutive_failures FROM feeds WHERE name = '{name}'"));
        assert_eq!(failures, 1, "{name} counted as failing");
    }
    assert_eq!(log.lines().filter(|l| l.contains("page fetch failed")).count(), 1, "{log}");
    assert_eq!(count(&cfg.db, "SELECT page_errors FROM feeds WHERE name = 'Missing page'"), 1);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE guid = 'm1' AND method = 'feed'"), 1);
    assert_eq!(count(&cfg.db, "SELECT consecutive_failures FROM feeds WHERE name = 'Dawn — Pakistan'"), 0);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1, "the good feed still alerts");
    assert_eq!(hooks.posts("/hook").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn private_addresses_are_refused_unless_allowed() {
    let site = Server::with_dawn().await;
    let cfg = TestConfig::new(&[("Dawn — Pakistan", site.url("/feeds/pakistan"))], &[], "");
    let text = std::fs::read_to_string(&cfg.path)
        .expect("config")
        .replace("allow_private = true", "allow_private = false");
    std::fs::write(&cfg.path, text).expect("write");
    let out = flashpoint(&cfg.path, &["once"]).await;
    let log = common::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "its only feed failed: {log}");
    assert_eq!(site.hits("/feeds/pakistan"), 0, "no request reached the loopback server");
    assert!(log.contains("refused"), "{log}");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 0);
    // Issue 20: "refused: … private …" said it twice and did not say how to allow it.
    let line = log.lines().find(|l| l.contains("feed poll failed")).expect("the failure is logged");
    assert_eq!(line.matches("resolves only to private").count(), 1, "{line}");
    assert!(
        line.contains("set fetch.allow_private = true or add \"127.0.0.1\" to fetch.allow_private_hosts"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn atom_and_json_feeds_are_read() {
    let site = Server::start().await;
    site.fixture("/atom.xml", "atom.xml", "application/atom+xml");
    site.fixture("/feed.json", "feed.json", "application/feed+json");
    let cfg = TestConfig::new(&[("Atom", site.url("/atom.xml")), ("JSON", site.url("/feed.json"))], &[], "");
    once(&cfg.path).await;
    // Their pages are missing (404): each article is stored from the feed's own text.
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE method = 'feed'"), 3);
}

/// Webhook failures leave the alert in the outbox; the next run delivers it, once.
#[tokio::test(flavor = "multi_thread")]
async fn an_undelivered_alert_is_sent_on_the_next_run() {
    let site = Server::with_dawn().await;
    let hooks = Server::start().await;
    hooks.script_posts(&[503; 100]);
    let cfg = TestConfig::new(
        &[("Dawn — Pakistan", site.url("/feeds/pakistan"))],
        &[hooks.url("/hook")],
        "[delivery]\ninitial_backoff = \"200ms\"\nmax_backoff = \"200ms\"\n",
    );
    once(&cfg.path).await;
    assert_eq!(hooks.posts("/hook").len(), 0);
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM deliveries WHERE state = 'pending' AND last_status = 503"),
        1
    );
    let attempts = count(&cfg.db, "SELECT attempts FROM deliveries");
    hooks.script_posts(&[]);
    wait_until(secs(5), "the retry to fall due", || {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        count(&cfg.db, &format!("SELECT count(*) FROM deliveries WHERE next_attempt_at <= '{now}'")) == 1
    })
    .await;
    once(&cfg.path).await;
    let posts = hooks.posts("/hook");
    assert_eq!(posts.len(), 1);
    assert_eq!(count(&cfg.db, "SELECT attempts FROM deliveries WHERE state = 'delivered'"), attempts + 1);
    let bodies: Vec<_> = hooks.seen().iter().filter(|s| s.method == "POST").map(|s| s.body.clone()).collect();
    assert!(bodies.len() >= 2);
    assert!(bodies.iter().all(|b| *b == bodies[0]), "every attempt carries the same body");
}

/// A page that keeps failing stays in the inbox across runs, and after three tries the feed's
/// own text is used, so its story is never silently dropped.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_page_is_retried_across_runs_then_falls_back_to_the_feed() {
    let site = Server::with_dawn().await;
    let mut failing = site.reply(ALERT_PATH);
    failing.status = 503;
    site.route(ALERT_PATH, failing);
    let cfg = TestConfig::new(&[("Dawn — Pakistan", site.url("/feeds/pakistan"))], &[], "");
    for run in 1..=3 {
        once(&cfg.path).await;
        assert_eq!(site.hits(ALERT_PATH), run, "one page fetch per run");
        if run < 3 {
            assert_eq!(count(&cfg.db, "SELECT attempts FROM inbox"), i64::try_from(run).expect("small"));
            assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 3, "the other stories are stored");
            // Let the retry fall due now instead of in a minute.
            rusqlite::Connection::open(&cfg.db)
                .and_then(|c| c.execute("UPDATE inbox SET next_attempt_at = ''", []))
                .expect("update");
        }
    }
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM inbox"), 0);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles WHERE method = 'feed'"), 1);
    assert_eq!(count(&cfg.db, "SELECT page_errors FROM feeds"), 3);
    // The headline and the feed's summary still carry the threat language.
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
}

/// Killed while pages are in flight: the items wait in the inbox and the restart finishes them.
#[tokio::test(flavor = "multi_thread")]
async fn items_in_flight_at_a_crash_are_finished_after_restart() {
    let site = Server::start().await;
    generated_site(&site, 6, 3);
    for i in 0..6 {
        site.delay(&format!("/gen/{i}"), secs(30));
    }
    let cfg = TestConfig::new(&[("Generated", site.url("/gen/feed"))], &[], "");
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "page requests in flight", || site.hits("/gen/5") == 1).await;
    daemon.kill().await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM inbox"), 6);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 0);

    for i in 0..6 {
        site.delay(&format!("/gen/{i}"), Duration::ZERO);
    }
    // The feed answers as before, so nothing but the inbox remembers the six items.
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 6);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 3);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM inbox"), 0);
}

/// A second address for the same story (an AMP page whose canonical link names the article) is
/// recognised after fetching: one article, one alert.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_story_under_another_address_alerts_once() {
    let site = Server::with_dawn().await;
    site.fixture("/amp/1900001", "dawn/1900001.html", "text/html; charset=utf-8");
    site.route(
        "/feeds/amp",
        Reply::ok(
            "application/rss+xml",
            format!(
                "<rss version=\"2.0\"><channel><title>amp</title><item><title>Minister warns</title>\
                 <link>{}/amp/1900001</link><guid>amp-1</guid></item></channel></rss>",
                site.base()
            ),
        ),
    );
    let cfg = TestConfig::new(
        &[("AMP", site.url("/feeds/amp")), ("Dawn — Pakistan", site.url("/feeds/pakistan"))],
        &[],
        "[fetch]\npoll_concurrency = 1\npage_concurrency = 1\n",
    );
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM articles"), 4);
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
}

/// An article's language is its feed's as configured, else as the feed declares it, else the
/// page's `lang`, else detected: the same Urdu text is stored as Dari, Pashto or Urdu by where
/// it came from.
#[tokio::test(flavor = "multi_thread")]
async fn articles_take_their_feeds_language_then_their_pages() {
    let urdu = "وزیر دفاع نے جمعہ کے روز کہا کہ ملک کسی بھی حملے کا بھرپور جواب دے گا اور سرحد پر فوجیں ہائی الرٹ پر ہیں۔";
    let site = Server::start().await;
    let rss = |language: &str, guid: &str, link: &str| {
        Reply::ok(
            "application/rss+xml",
            format!(
                "<rss version=\"2.0\"><channel><title>t</title>{language}<item><title>Item {guid}</title>\
                 <guid>{guid}</guid>{link}<description>{urdu}</description></item></channel></rss>"
            ),
        )
    };
    site.route("/configured.xml", rss("<language>ur</language>", "configured", ""));
    site.route("/declared.xml", rss("<language>ps-AF</language>", "declared", ""));
    site.route("/detected.xml", rss("", "detected", ""));
    let page = site.url("/page");
    site.route("/page.xml", rss("", "page", &format!("<link>{page}</link>")));
    site.route(
        "/page",
        Reply::ok(
            "text/html",
            format!("<html lang=\"ps\" dir=\"rtl\"><body><article><p>{urdu}</p></article></body></html>"),
        ),
    );
    let extra = format!(
        "[[feeds]]\nname = \"Configured\"\nurl = \"{}\"\nlanguage = \"prs\"\n",
        site.url("/configured.xml")
    );
    let feeds = [
        ("Declared", site.url("/declared.xml")),
        ("Detected", site.url("/detected.xml")),
        ("Page", site.url("/page.xml")),
    ];
    let cfg = TestConfig::new(&feeds, &[], &extra);
    once(&cfg.path).await;
    let rows = query(&cfg.db, "SELECT guid, language FROM articles ORDER BY guid");
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (Value::Text(guid), Value::Text(language)) => (guid.clone(), language.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    let want = [("configured", "prs"), ("declared", "pus"), ("detected", "urd"), ("page", "pus")];
    assert_eq!(got, want.map(|(g, l)| (g.to_string(), l.to_string())));
}
