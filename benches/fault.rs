//! Fault run: the real daemon processes generated articles while it is killed with SIGKILL at
//! random moments and restarted, against a receiver that fails a share of requests; then counts
//! alert events lost (queued in the outbox, never accepted) and events delivered under two ids.
//! The generated threats are eight events, so they make eight story alerts. Loopback only.
//!
//! `cargo bench --bench fault` (options: `-- --articles 500 --threats 200 --kills 20 --fail 0.3`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{Daemon, Server, TestConfig, count_now, generated_site, wait_until, write_config};

struct Options {
    articles: usize,
    threats: usize,
    kills: usize,
    fail: f64,
}

fn options() -> Options {
    let mut o = Options { articles: 500, threats: 200, kills: 20, fail: 0.3 };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--articles" => o.articles = pair[1].parse().expect("--articles N"),
            "--threats" => o.threats = pair[1].parse().expect("--threats N"),
            "--kills" => o.kills = pair[1].parse().expect("--kills N"),
            "--fail" => o.fail = pair[1].parse().expect("--fail SHARE"),
            _ => {}
        }
    }
    o
}

#[tokio::main]
async fn main() {
    let o = options();
    let site = Server::start().await;
    generated_site(&site, o.articles, o.threats);
    // Pages take a while, so kills land with work in every stage.
    for i in 0..o.articles {
        site.delay(&format!("/gen/{i}"), Duration::from_millis(150));
    }
    let hook = Server::start().await;
    hook.fail_posts(o.fail);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        &[("Generated", site.url("/gen/feed"))],
        &[hook.url("/hook")],
        "[delivery]\ninitial_backoff = \"50ms\"\nmax_backoff = \"500ms\"\n[fetch]\npage_concurrency = 4\n",
    );

    let started = Instant::now();
    kill_repeatedly(&o, &cfg, &hook).await;
    let daemon = Daemon::start(&cfg.path);
    wait_until_done(&o, &cfg).await;
    // A second POST of a delivered alert, if the daemon wrongly made one, would come now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let exit = daemon.stop().await;
    let queued = usize::try_from(count_now(&cfg.db, "SELECT count(*) FROM deliveries")).expect("count");
    let tally = Tally::of(&hook, queued);
    report(&o, &cfg, &tally);
    println!("  final shutdown exit code:      {exit:?}");
    println!("  wall time:                     {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(tally.lost, 0, "events lost");
    assert_eq!(tally.under_two_ids, 0, "events under two ids");
}

/// Starts the daemon and SIGKILLs it after a random while, `o.kills` times.
async fn kill_repeatedly(o: &Options, cfg: &TestConfig, hook: &Server) {
    for kill in 1..=o.kills {
        let daemon = Daemon::start(&cfg.path);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(300..2000))).await;
        daemon.kill().await;
        let stored = count_now(&cfg.db, "SELECT count(*) FROM articles");
        let alerts = count_now(&cfg.db, "SELECT count(*) FROM alerts");
        eprintln!("kill {kill:2}: {stored} articles, {alerts} alerts, {} POSTs so far", hook.seen().len());
    }
}

/// Waits (at most 5 minutes) until every article is stored and every event queued delivered.
async fn wait_until_done(o: &Options, cfg: &TestConfig) {
    let articles = i64::try_from(o.articles).expect("count");
    wait_until(Duration::from_mins(5), "every article stored and every event delivered", || {
        count_now(&cfg.db, "SELECT count(*) FROM articles") >= articles
            && count_now(&cfg.db, "SELECT count(*) FROM deliveries WHERE state = 'pending'") == 0
    })
    .await;
}

/// What the receiver saw.
struct Tally {
    attempts: usize,
    /// Webhook ids answered 2xx.
    accepted: usize,
    /// Ids answered 2xx more than once.
    resent: usize,
    /// Events (an alert and its sequence number) that arrived under more than one id.
    under_two_ids: usize,
    lost: usize,
}

impl Tally {
    fn of(hook: &Server, expected: usize) -> Self {
        let mut accepted: HashMap<String, usize> = HashMap::new();
        let mut ids_per_event: HashMap<String, HashSet<String>> = HashMap::new();
        let mut attempts = 0;
        for seen in hook.seen().iter().filter(|s| s.method == "POST") {
            attempts += 1;
            let id =
                seen.headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            let body: serde_json::Value = serde_json::from_slice(&seen.body).expect("json");
            let event = format!("{}#{}", body["id"], body["sequence"]);
            ids_per_event.entry(event).or_default().insert(id.clone());
            if (200..300).contains(&seen.status) {
                *accepted.entry(id).or_default() += 1;
            }
        }
        Self {
            attempts,
            accepted: accepted.len(),
            resent: accepted.values().filter(|n| **n > 1).count(),
            under_two_ids: ids_per_event.values().filter(|ids| ids.len() > 1).count(),
            lost: expected.saturating_sub(accepted.len()),
        }
    }
}

fn report(o: &Options, cfg: &TestConfig, t: &Tally) {
    println!(
        "fault run: {} articles, {} of them threats, {} SIGKILLs, receiver failing {:.0}% of requests",
        o.articles,
        o.threats,
        o.kills,
        o.fail * 100.0
    );
    println!("  articles stored:               {}", count_now(&cfg.db, "SELECT count(*) FROM articles"));
    println!("  alerts raised:                 {}", count_now(&cfg.db, "SELECT count(*) FROM alerts"));
    println!("  POST attempts:                 {}", t.attempts);
    println!("  events queued in the outbox:   {}", count_now(&cfg.db, "SELECT count(*) FROM deliveries"));
    println!("  events accepted by receiver:   {}", t.accepted);
    println!("  events lost:                   {}", t.lost);
    println!("  events delivered under 2+ ids: {}", t.under_two_ids);
    println!(
        "  ids accepted more than once:   {} (a crash between the receiver's 2xx and recording it)",
        t.resent
    );
}
