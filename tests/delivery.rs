//! Webhook delivery: retries, signing, dead letters, routing, slow and dead receivers, and
//! crashes — the real binary against real receivers on 127.0.0.1.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    Daemon, Reply, Server, TestConfig, count, count_now, flashpoint, generated_site, once, secs, stderr,
    verify, wait_until, write_config,
};

/// Fast retries so the tests take seconds, not minutes.
const FAST: &str = "[delivery]\ninitial_backoff = \"100ms\"\nmax_backoff = \"300ms\"\n";

fn webhook_ids(server: &Server, accepted_only: bool) -> Vec<String> {
    server
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && (!accepted_only || (200..300).contains(&s.status)))
        .map(|s| {
            s.headers.get("webhook-id").and_then(|v| v.to_str().ok()).expect("webhook-id header").to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_503s_then_200_gives_one_delivery_with_one_id() {
    let site = Server::with_dawn().await;
    let hook = Server::start().await;
    hook.script_posts(&[503, 503, 503]);
    let cfg = TestConfig::new(&[("Dawn", site.url("/feeds/pakistan"))], &[hook.url("/hook")], FAST);
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "the feed done and the outbox empty", || {
        cfg.settled("") && cfg.deliveries("delivered") == 1
    })
    .await;
    assert_eq!(daemon.stop().await, Some(0));

    let ids = webhook_ids(&hook, false);
    assert_eq!(ids.len(), 4, "three refusals and one success: {ids:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "the same webhook-id on every attempt");
    assert_eq!(hook.posts("/hook").len(), 1, "exactly one accepted delivery");
    assert_eq!(count(&cfg.db, "SELECT attempts FROM deliveries WHERE state = 'delivered'"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn signatures_verify_with_the_right_secret_only() {
    let site = Server::with_dawn().await;
    let hook = Server::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("hook.secret");
    std::fs::write(&secret_file, "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=\n").expect("secret file");
    let cfg = write_config(
        dir.path(),
        &[("Dawn", site.url("/feeds/pakistan"))],
        &[hook.url("/hook")],
        &format!(
            "[[webhooks]]\nurl = \"{}\"\nsecret_file = \"{}\"\n",
            hook.url("/hook2"),
            secret_file.display()
        ),
    );
    let log = once(&cfg.path).await;
    let signed: Vec<_> = hook.seen().into_iter().filter(|s| s.path == "/hook2").collect();
    assert_eq!(signed.len(), 1);
    assert!(verify(b"secret-key-for-tests", &signed[0]), "the receiver's own HMAC matches");
    assert!(!verify(b"wrong-secret", &signed[0]), "a wrong secret fails");
    let timestamp: i64 =
        signed[0].headers["webhook-timestamp"].to_str().expect("ascii").parse().expect("unix seconds");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    // The unsigned webhook got no signature header; nothing printed the secret.
    let unsigned: Vec<_> = hook.seen().into_iter().filter(|s| s.path == "/hook").collect();
    assert!(unsigned[0].headers.get("webhook-signature").is_none());
    assert!(!log.contains("c2VjcmV0"), "secret not logged");
    let check = flashpoint(&cfg.path, &["check-config"]).await;
    assert!(!String::from_utf8_lossy(&check.stdout).contains("c2VjcmV0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn gone_is_dead_lettered_then_redelivered_on_request() {
    let site = Server::with_dawn().await;
    let hook = Server::start().await;
    hook.answer_posts(410);
    let cfg = TestConfig::new(&[("Dawn", site.url("/feeds/pakistan"))], &[hook.url("/hook")], FAST);
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "the feed done and its alert dead-lettered", || {
        cfg.settled("") && cfg.deliveries("dead") == 1
    })
    .await;
    assert_eq!(daemon.stop().await, Some(0));
    assert_eq!(webhook_ids(&hook, false).len(), 3, "410 is tried three times, then dead-lettered");

    let listing = flashpoint(&cfg.path, &["deliveries"]).await;
    let text = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(text.contains("dead") && text.contains("410"), "{text}");

    hook.answer_posts(200);
    let id = webhook_ids(&hook, false)[0].clone();
    let out = flashpoint(&cfg.path, &["redeliver", &id]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("1 delivery queued"), "one, not '1 deliveries': {said}");
    once(&cfg.path).await;
    assert_eq!(webhook_ids(&hook, true), [id], "sent again after redeliver");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM deliveries WHERE state = 'delivered'"), 1);
    let out = flashpoint(&cfg.path, &["redeliver", "alrt_000000000000000000000000"]).await;
    assert!(!out.status.success(), "an unknown alert id is an error");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_dead_webhook_does_not_delay_another() {
    let site = Server::start().await;
    generated_site(&site, 6, 6);
    let up = Server::start().await;
    let slow = Server::start().await;
    // The slow receiver takes longer than the delivery timeout every time.
    slow.script_posts_slow(&[(200, Duration::from_secs(30)); 50]);
    let cfg = TestConfig::new(
        &[("Generated", site.url("/gen/feed"))],
        &[slow.url("/hook"), "http://127.0.0.1:9/hook".to_string(), up.url("/hook")],
        "[delivery]\ntimeout = \"1s\"\ninitial_backoff = \"100ms\"\nmax_backoff = \"300ms\"\n",
    );
    let started = tokio::time::Instant::now();
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(10), "six deliveries to the working webhook", || up.posts("/hook").len() == 6).await;
    assert!(started.elapsed() < Duration::from_secs(6), "the working webhook was not held up");
    // The slow one is timed out and retried, not waited on forever.
    wait_until(secs(10), "a retry to the slow webhook", || slow.seen().len() >= 2).await;
    assert_eq!(daemon.stop().await, Some(0));
    let pending = count(
        &cfg.db,
        "SELECT count(*) FROM deliveries WHERE webhook IN ('hook0', 'hook1') AND state = 'pending'",
    );
    assert_eq!(pending, 12, "undelivered alerts stay in the outbox");
    let errors = common::query(&cfg.db, "SELECT DISTINCT last_error FROM deliveries WHERE webhook = 'hook0'");
    assert!(format!("{errors:?}").contains("timed out"), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_by_severity_and_feed() {
    let site = Server::with_dawn().await;
    generated_site(&site, 2, 2);
    let hook = Server::start().await;
    let cfg = TestConfig::new(
        &[("Dawn", site.url("/feeds/pakistan")), ("Generated", site.url("/gen/feed"))],
        &[],
        &format!(
            "[[webhooks]]\nurl = \"{0}\"\nname = \"high-only\"\nmin_severity = \"high\"\n\
             [[webhooks]]\nurl = \"{1}\"\nname = \"generated-only\"\nfeeds = [\"Generated\"]\nformat = \"slack\"\n\
             [[webhooks]]\nurl = \"{2}\"\nname = \"discord\"\nformat = \"discord\"\n",
            hook.url("/high"),
            hook.url("/generated"),
            hook.url("/discord")
        ),
    );
    once(&cfg.path).await;
    let severities: HashMap<String, String> = common::query(&cfg.db, "SELECT feed, severity FROM alerts")
        .into_iter()
        .map(|r| (format!("{:?}", r[0]), format!("{:?}", r[1])))
        .collect();
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 3, "{severities:?}");
    let high = count(&cfg.db, "SELECT count(*) FROM alerts WHERE severity = 'high'");
    assert_eq!(hook.posts("/high").len(), usize::try_from(high).expect("count"));
    let generated = hook.posts("/generated");
    assert_eq!(generated.len(), 2);
    assert!(generated[0]["blocks"].is_array() && generated[0]["text"].is_string(), "slack format");
    let discord = hook.posts("/discord");
    assert_eq!(discord.len(), 3);
    assert!(discord[0]["embeds"][0]["title"].is_string(), "discord format");
}

/// SIGKILL while the receiver is down, restart after it is back: every alert arrives, and none
/// under two ids.
#[tokio::test(flavor = "multi_thread")]
async fn killed_while_receiver_down_delivers_everything_after_restart() {
    let site = Server::start().await;
    generated_site(&site, 8, 5);
    let hook = Server::start().await;
    hook.answer_posts(503);
    let cfg = TestConfig::new(&[("Generated", site.url("/gen/feed"))], &[hook.url("/hook")], FAST);
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "five alerts tried", || {
        count_now(&cfg.db, "SELECT count(*) FROM alerts") == 5 && webhook_ids(&hook, false).len() >= 5
    })
    .await;
    daemon.kill().await;
    assert!(hook.posts("/hook").is_empty());

    hook.answer_posts(200);
    let mark = cfg.poll_mark();
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "a poll after the restart done and the outbox empty", || cfg.settled(&mark)).await;
    assert_eq!(daemon.stop().await, Some(0));
    assert_eq!(cfg.deliveries("delivered"), 5);

    let accepted = webhook_ids(&hook, true);
    let mut distinct = accepted.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "every alert arrived");
    assert_eq!(accepted.len(), 5, "none twice");
    let by_article: Vec<String> =
        hook.posts("/hook").iter().map(|p| p["article"]["url"].to_string()).collect();
    let mut articles = by_article.clone();
    articles.sort();
    articles.dedup();
    assert_eq!(articles.len(), 5, "one id per article");
}

/// Issue 20: for Slack and Discord the URL is the credential, yet a failed POST logged the HTTP
/// client's error with the URL in it, and stored it in `deliveries`. Each kind of failure once:
/// nobody listening, a timeout, a 5xx, and a 4xx whose body quotes the URL back.
#[tokio::test(flavor = "multi_thread")]
async fn webhook_urls_never_reach_the_log_or_the_database() {
    let site = Server::start().await;
    generated_site(&site, 1, 1);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let slow = Server::start().await;
    slow.script_posts_slow(&[(200, secs(3)); 8]);
    let failing = Server::start().await;
    failing.answer_posts(500);
    let refusing = Server::start().await;
    refusing.answer_posts(400);
    let secret = |kind: &str| format!("/services/T0/B0/SECRET-{kind}");
    refusing.post_body(format!("invalid_blocks; posted to {}", refusing.url(&secret("refusing"))));
    let hooks = [
        format!("http://{closed}{}", secret("closed")),
        slow.url(&secret("slow")),
        failing.url(&secret("failing")),
        refusing.url(&secret("refusing")),
    ];
    let config = format!("{FAST}timeout = \"300ms\"\nmax_age = \"1h\"\n");
    let cfg = TestConfig::new(&[("Generated", site.url("/gen/feed"))], &hooks, &config);
    let out = flashpoint(&cfg.path, &["once"]).await;
    let mut log = stderr(&out);
    // A second run with a max_age they are all past dead-letters them, and says so.
    let text = std::fs::read_to_string(&cfg.path).expect("config");
    std::fs::write(&cfg.path, text.replace("max_age = \"1h\"", "max_age = \"1ms\"")).expect("write");
    log += &stderr(&flashpoint(&cfg.path, &["once"]).await);
    log += &String::from_utf8_lossy(&flashpoint(&cfg.path, &["deliveries", "--all", "--json"]).await.stdout);

    let errors = common::query(&cfg.db, "SELECT webhook, last_error FROM deliveries ORDER BY webhook");
    let errors = format!("{errors:?}");
    for (hook, said) in
        [("hook0", "refused"), ("hook1", "timed out"), ("hook2", "HTTP 500"), ("hook3", "invalid_blocks")]
    {
        assert!(errors.contains(&format!("Text(\"{hook}\"), Text(")), "{hook} failed: {errors}");
        assert!(errors.to_lowercase().contains(&said.to_lowercase()), "{hook}: {said}: {errors}");
    }
    assert_eq!(cfg.deliveries("dead"), 4, "{errors}");
    // Issue 20: retry_at was logged as "2026-12-01 09:00:00.123 UTC", unlike every other time.
    let retries: Vec<&str> = log.lines().filter(|l| l.contains("will retry")).collect();
    assert!(!retries.is_empty(), "{log}");
    for line in retries {
        let at = line.split("retry_at=").nth(1).and_then(|t| t.split_whitespace().next()).expect("retry_at");
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "RFC 3339: {line}");
    }
    assert!(log.contains("delivery dead-lettered"), "{log}");
    assert!(!log.contains("SECRET"), "a webhook URL in the log: {log}");
    for entry in std::fs::read_dir(cfg.dir()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("flashpoint.db")) {
            let bytes = std::fs::read(&path).expect("read");
            assert!(!bytes.windows(6).any(|w| w == b"SECRET"), "a webhook URL in {}", path.display());
        }
    }
}

/// Issue 20: a feed item with an empty `<title>` gave Slack a header block with empty text (Slack
/// refuses it: 400, then dead-lettered) and Discord an embed with an empty title. The page's own
/// title stands in, else the article's address.
#[tokio::test(flavor = "multi_thread")]
async fn an_untitled_item_reaches_slack_and_discord_with_a_title() {
    let site = Server::start().await;
    generated_site(&site, 1, 1);
    let threat = "<p>Defence minister Khan said on Friday that the country will strike deep inside the neighbouring \
        province if attacks continue, and troops were placed on high alert along the border.</p>\
        <p>He said the armed forces would retaliate against any incursion, officials said.</p>";
    site.route(
        "/bare",
        Reply::ok("text/html", format!("<html><body><article>{threat}</article></body></html>")),
    );
    let base = site.base();
    site.route(
        "/untitled",
        Reply::ok(
            "application/rss+xml",
            format!(
                "<rss version=\"2.0\"><channel><title>u</title>\
                 <item><title></title><link>{base}/gen/0</link><guid>u0</guid></item>\
                 <item><title> </title><link>{base}/bare</link><guid>u1</guid></item></channel></rss>"
            ),
        ),
    );
    let hook = Server::start().await;
    let cfg = TestConfig::new(
        &[("Untitled", site.url("/untitled"))],
        &[],
        &format!(
            "[[webhooks]]\nurl = \"{}\"\nname = \"slack\"\nformat = \"slack\"\n\
             [[webhooks]]\nurl = \"{}\"\nname = \"discord\"\nformat = \"discord\"\n",
            hook.url("/slack"),
            hook.url("/discord")
        ),
    );
    once(&cfg.path).await;
    let mut headers: Vec<String> = hook
        .posts("/slack")
        .iter()
        .map(|p| p["blocks"][0]["text"]["text"].as_str().unwrap_or("").to_string())
        .collect();
    headers.sort();
    assert_eq!(
        headers,
        ["India warns Pakistan of punitive strikes after Poonch ambush".to_string(), site.url("/bare")],
        "the page's title, else the address"
    );
    let titles: Vec<String> = hook
        .posts("/discord")
        .iter()
        .map(|p| p["embeds"][0]["title"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.iter().all(|t| !t.trim().is_empty()), "{titles:?}");
}
