//! Life as a service, with the real binary: systemd's notify protocol (played by a Unix datagram
//! socket), `/metrics` during an end-to-end run, `/healthz` when the database is locked.

mod common;

use std::collections::HashMap;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::{
    Daemon, Server, Signal, TestConfig, count_now, flashpoint, once, query, secs, wait_until,
    wait_until_async,
};

/// A free port on 127.0.0.1 for the daemon's HTTP listener.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Reads notify messages until `want` arrives or `secs` pass; returns everything read.
fn read_until(socket: &UnixDatagram, messages: &mut Vec<String>, want: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = text.lines().any(|l| l == want);
            messages.push(text);
            if done {
                return;
            }
        }
    }
    panic!("no {want} within {secs} s; got {messages:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_protocol_ready_watchdog_reload_stopping_with_a_delivery_in_flight() {
    let site = Server::with_dawn().await;
    let hook = Server::start().await;
    hook.script_posts_slow(&[(200, Duration::from_millis(1500))]);
    let cfg = TestConfig::new(&[("Dawn", site.url("/feeds/pakistan"))], &[hook.url("/hook")], "");
    let socket_path = cfg.dir().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    socket.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");

    let daemon = Daemon::start_with_env(
        &cfg.path,
        &[("NOTIFY_SOCKET", socket_path.display().to_string()), ("WATCHDOG_USEC", "1000000".to_string())],
    );
    let mut messages = Vec::new();
    read_until(&socket, &mut messages, "READY=1", 20);
    // Two watchdog pings at half the one-second period.
    read_until(&socket, &mut messages, "WATCHDOG=1", 5);
    read_until(&socket, &mut messages, "WATCHDOG=1", 5);
    read_until(&socket, &mut messages, "WATCHDOG=1", 5);
    assert!(messages.iter().any(|m| m.starts_with("STATUS=watching 1 feeds")), "{messages:?}");

    // SIGHUP: RELOADING=1 (with the monotonic time systemd wants), then READY=1 again.
    daemon.signal(Signal::Hup);
    read_until(&socket, &mut messages, "RELOADING=1", 10);
    assert!(messages.last().is_some_and(|m| m.contains("MONOTONIC_USEC=")), "{messages:?}");
    read_until(&socket, &mut messages, "READY=1", 10);

    // SIGTERM while the webhook is still answering: the delivery completes, then the process exits 0.
    wait_until(secs(20), "a delivery under way", || !hook.seen().is_empty()).await;
    daemon.signal(Signal::Term);
    read_until(&socket, &mut messages, "STOPPING=1", 10);
    assert_eq!(daemon.exited().await, Some(0));
    assert_eq!(
        count_now(&cfg.db, "SELECT count(*) FROM deliveries WHERE state = 'delivered'"),
        1,
        "in-flight delivery completed"
    );
}

/// Parses Prometheus text into `name{labels}` → value.
fn parse_metrics(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// The sum of the counters named `prefix…` whose labels contain `containing`.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "counters are small whole numbers"
)]
fn sum(metrics: &HashMap<String, f64>, prefix: &str, containing: &str) -> u64 {
    let total: f64 =
        metrics.iter().filter(|(k, _)| k.starts_with(prefix) && k.contains(containing)).map(|(_, v)| v).sum();
    total.round() as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_what_happened_and_healthz_follows_the_database() {
    let site = Server::with_dawn().await;
    let hook = Server::start().await;
    let port = free_port();
    let cfg = TestConfig::new(
        &[("Dawn", site.url("/feeds/pakistan")), ("World", site.url("/feeds/world"))],
        &[hook.url("/hook")],
        &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "both feeds done and the alert delivered", || {
        cfg.caught_up("") && cfg.deliveries("delivered") == 1
    })
    .await;
    assert_eq!(count_now(&cfg.db, "SELECT count(*) FROM articles"), 5);
    assert_eq!(hook.posts("/hook").len(), 1);

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let text =
        client.get(format!("{base}/metrics")).send().await.expect("scrape").text().await.expect("body");
    let m = parse_metrics(&text);
    assert_eq!(sum(&m, "flashpoint_alerts_total", "severity=\"high\""), 1, "{text}");
    assert_eq!(sum(&m, "flashpoint_alerts_total", ""), 1);
    assert_eq!(sum(&m, "flashpoint_articles_processed_total", "method=\"site\""), 5, "{text}");
    assert_eq!(sum(&m, "flashpoint_feed_polls_total", "result=\"ok\""), 2, "{text}");
    assert_eq!(sum(&m, "flashpoint_webhook_deliveries_total", "result=\"delivered\""), 1, "{text}");
    assert_eq!(sum(&m, "flashpoint_page_fetches_total", "result=\"ok\""), 5, "{text}");
    assert!(sum(&m, "flashpoint_stage_duration_seconds_count", "stage=\"extract\"") >= 5, "{text}");
    assert!(
        m.keys().any(|k| k.starts_with("flashpoint_feed_last_success_timestamp_seconds{feed=\"Dawn\"}")),
        "{text}"
    );

    let url = format!("{base}/healthz");
    let healthz = {
        let (client, url) = (&client, &url);
        move || async move { client.get(url).send().await.expect("healthz") }
    };
    assert_eq!(healthz().await.status(), 200);

    // Another process takes the database's write lock: within a few checks, /healthz says 503.
    let locker = rusqlite::Connection::open(&cfg.db).expect("open");
    locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    wait_until_async(secs(30), "/healthz to say 503 while the database is locked", move || async move {
        healthz().await.status() == 503
    })
    .await;
    let unhealthy = healthz().await;
    assert_eq!(unhealthy.status(), 503);
    let reason = unhealthy.text().await.expect("body");
    assert!(reason.contains("database"), "{reason}");
    locker.execute_batch("ROLLBACK").expect("unlock");
    wait_until_async(secs(30), "/healthz to recover", move || async move { healthz().await.status() == 200 })
        .await;
    assert_eq!(daemon.stop().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_service_at_a_glance() {
    let site = Server::with_dawn().await;
    let cfg = TestConfig::new(&[("Dawn", site.url("/feeds/pakistan"))], &[], "");
    once(&cfg.path).await;
    let out = flashpoint(&cfg.path, &["status", "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["feeds"], 1);
    assert_eq!(v["feeds_healthy"], 1);
    assert_eq!(v["articles_24h"], 4);
    assert_eq!(v["alerts_24h"], 1);
    assert_eq!(v["deliveries_pending"], 0);
    let alert_hash = query(&cfg.db, "SELECT rules_hash FROM alerts");
    assert_eq!(
        format!("{:?}", alert_hash[0][0]),
        format!("Text({:?})", v["rules_hash"].as_str().expect("hash"))
    );
    let text = flashpoint(&cfg.path, &["status"]).await;
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("1 watched, 1 healthy") && text.contains("4 articles, 1 alert\n"), "{text}");
}

/// Issue 20: a feed that never succeeded had no `flashpoint_feed_last_success_timestamp_seconds`
/// series, so an alert on it never fired for a dead feed; nothing counted failures in a row,
/// said which rules were in force or how reloads went, or how much memory and CPU the process
/// used; and `/healthz` stayed 200 while every feed failed.
#[tokio::test(flavor = "multi_thread")]
async fn dead_feeds_reloads_rules_and_the_process_show_in_metrics_and_readyz() {
    let site = Server::start().await;
    site.route("/broken", common::Reply::status(500));
    let port = free_port();
    let cfg = TestConfig::new(
        &[("A", site.url("/broken")), ("B", site.url("/missing"))],
        &[],
        &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let daemon = Daemon::start(&cfg.path);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let get = |path: &str| {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        async move {
            // Nothing listening yet while the daemon starts: status 0.
            let Ok(resp) = client.get(url).send().await else { return (0, String::new()) };
            (resp.status().as_u16(), resp.text().await.expect("body"))
        }
    };
    wait_until_async(secs(30), "/readyz to say every feed is failing", || async {
        get("/readyz").await == (503, "degraded: every feed is failing (2 of 2)\n".to_string())
    })
    .await;
    assert_eq!(get("/healthz").await, (200, "ok; degraded: every feed is failing (2 of 2)\n".to_string()));

    let (_, text) = get("/metrics").await;
    let m = parse_metrics(&text);
    for feed in ["A", "B"] {
        assert_eq!(
            m.get(&format!("flashpoint_feed_last_success_timestamp_seconds{{feed=\"{feed}\"}}")),
            Some(&0.0),
            "{text}"
        );
        assert_eq!(
            m.get(&format!("flashpoint_feed_consecutive_failures{{feed=\"{feed}\"}}")),
            Some(&1.0),
            "{text}"
        );
    }
    let hash = flashpoint::config::load_runtime(&cfg.path).expect("config").scorer.rules_hash().to_string();
    assert_eq!(m.get(&format!("flashpoint_rules_info{{rules_hash=\"{hash}\"}}")), Some(&1.0), "{text}");
    assert_eq!(m.get("flashpoint_degraded"), Some(&1.0), "{text}");
    assert!(m.get("process_resident_memory_bytes").is_some_and(|v| *v > 1e6), "{text}");
    assert!(m.get("process_open_fds").is_some_and(|v| *v > 3.0), "{text}");
    assert!(m.get("process_cpu_seconds_total").is_some_and(|v| *v > 0.0), "{text}");

    daemon.signal(Signal::Hup);
    let config = std::fs::read_to_string(&cfg.path).expect("config");
    wait_until_async(secs(20), "a good reload counted", || async {
        parse_metrics(&get("/metrics").await.1).get("flashpoint_config_reload_total{result=\"ok\"}")
            == Some(&1.0)
    })
    .await;
    std::fs::write(&cfg.path, config.replace("[scoring]", "[scoring]\nthreshold = \"high\""))
        .expect("break it");
    daemon.signal(Signal::Hup);
    wait_until_async(secs(20), "a refused reload counted", || async {
        parse_metrics(&get("/metrics").await.1).get("flashpoint_config_reload_total{result=\"error\"}")
            == Some(&1.0)
    })
    .await;
    assert_eq!(daemon.stop().await, Some(0));
}
