//! Load run: the whole pipeline, `flashpoint once` (the release binary) with a fresh database,
//! against generated news sites on loopback hosts 127.0.0.1 … 127.0.0.H, and optionally the
//! Python peer (`benches/peer/peer.py`: feedparser + trafilatura + regexes) against the same
//! server. Reports wall time, articles/s, CPU seconds, peak RSS, alerts, and how long each alert
//! took to reach the webhook after its page was served. With `--idle`: the RSS and CPU of
//! `flashpoint run` watching feeds that answer 304. With `--soak`: `flashpoint run` on 10,000
//! live feeds, three items each at the start (a backlog that fills the story window), then new
//! articles at 300,000 a day; 20 minutes of warm-up, then an hour measured (see `soak`).
//! Loopback only.
//!
//! ```text
//! cargo bench --bench load -- [--feeds 100] [--items 10] [--hosts 10] [--delay-ms 20]
//!                             [--pages DIR] [--peer] [--threads 16]
//! cargo bench --bench load -- --idle [--feeds 500] [--items 2] [--idle-secs 60]
//! cargo bench --bench load -- --soak [--feeds 10000] [--hosts 20] [--items 3] [--per-day 300000]
//!                                    [--interval-secs 300] [--warm-up-secs 1200] [--soak-secs 4800]
//! ```

#[path = "../../tests/common/mod.rs"]
mod common;
mod measure;
mod pages;
mod site;
mod soak;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{Daemon, count, count_now, query, write_config};
use measure::{Run, latencies, percentile, sample, ticks_per_second, timed, value};
use pages::Pool;
use site::{Hook, Live, Site};

/// Politeness relaxed for a one-off backfill, as a user would: written into the config and
/// printed beside the figures.
const POLITENESS: &str = "per_host_concurrency = 16, per_host_interval = \"0ms\"";

/// Distinct generated pages; article `k` is page `k % POOL`.
const POOL: usize = 256;

/// Every `THREAT_EVERY`-th generated page carries escalation language (5 %).
const THREAT_EVERY: usize = 20;

struct Options {
    feeds: usize,
    items: usize,
    hosts: usize,
    delay: Duration,
    pages: Option<PathBuf>,
    peer: bool,
    threads: usize,
    idle: bool,
    idle_window: Duration,
    soak: bool,
    soak_window: Duration,
    soak_warm_up: Duration,
    /// How often the soak's feeds are polled.
    soak_interval: Duration,
    /// New articles a day across the soak's feeds.
    per_day: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| args.windows(2).find(|p| p[0] == name).map(|p| p[1].clone());
    let number = |name: &str, default: usize| {
        value(name)
            .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}")))
    };
    let idle = flag("--idle");
    let soak = flag("--soak");
    let (feeds, items, hosts) = match (idle, soak) {
        (_, true) => (10_000, 3, 20),
        (true, false) => (500, 2, 10),
        (false, false) => (100, 10, 10),
    };
    Options {
        feeds: number("--feeds", feeds).max(1),
        items: number("--items", items).max(1),
        hosts: number("--hosts", hosts).clamp(1, 254),
        delay: Duration::from_millis(number("--delay-ms", 20) as u64),
        pages: value("--pages").map(PathBuf::from),
        peer: flag("--peer"),
        threads: number("--threads", 16).max(1),
        idle,
        idle_window: Duration::from_secs(number("--idle-secs", 60) as u64),
        soak,
        soak_window: Duration::from_secs(number("--soak-secs", 4800) as u64),
        soak_warm_up: Duration::from_secs(number("--warm-up-secs", 1200) as u64),
        soak_interval: Duration::from_secs(number("--interval-secs", 300).max(60) as u64),
        per_day: number("--per-day", 300_000),
    }
}

#[tokio::main]
async fn main() {
    let o = options();
    require_tools(&o).await;
    let pool = match &o.pages {
        Some(dir) => Pool::files(dir),
        None => Pool::generated(),
    };
    #[expect(clippy::cast_precision_loss, reason = "a daily rate far below 2^52")]
    let live = o.soak.then(|| Live { start: Instant::now(), rate: o.per_day as f64 / 86_400.0 });
    let site = Site::start(&o, pool, live).await;
    let hook = Hook::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    if o.soak {
        soak::soak(&o, &site, &hook, dir.path()).await;
    } else if o.idle {
        idle(&o, &site, &hook, dir.path()).await;
    } else {
        load(&o, &site, &hook, dir.path()).await;
    }
}

/// Fails early, with the fix, when GNU time or the peer's Python modules are missing.
async fn require_tools(o: &Options) {
    if !o.idle && !o.soak && !Path::new("/usr/bin/time").exists() {
        eprintln!(
            "load: /usr/bin/time (GNU time) is needed to measure CPU and peak RSS: apt-get install time"
        );
        std::process::exit(2);
    }
    if o.peer {
        let check = tokio::process::Command::new("python3")
            .args(["-c", "import tomllib, feedparser, trafilatura, urllib3"])
            .output()
            .await;
        if !check.is_ok_and(|out| out.status.success()) {
            eprintln!(
                "load: --peer needs python3 (3.11 or later) with feedparser and trafilatura; \
                 install them with: pip install -r benches/peer/requirements.txt"
            );
            std::process::exit(2);
        }
    }
}

fn config(o: &Options, site: &Site, hook: &Hook, dir: &Path, extra: &str) -> common::TestConfig {
    let names: Vec<String> = (0..o.feeds).map(|f| format!("Feed {f}")).collect();
    let feeds: Vec<(&str, String)> =
        names.iter().enumerate().map(|(f, n)| (n.as_str(), site.feed_url(f))).collect();
    let extra = format!(
        "[fetch]\n{}\npoll_concurrency = 16\npage_concurrency = 16\ntimeout = \"30s\"\n{extra}",
        POLITENESS.replace(", ", "\n")
    );
    write_config(dir, &feeds, std::slice::from_ref(&hook.url), &extra)
}

async fn load(o: &Options, site: &Site, hook: &Hook, dir: &Path) {
    let cfg = config(o, site, hook, dir, "");
    let config = cfg.path.display().to_string();
    let binary = Path::new(common::binary());
    let (wall, cpu, peak_rss_mb, _) = timed(binary, &["--config", &config, "once"], dir, "flashpoint").await;
    let methods: Vec<String> =
        query(&cfg.db, "SELECT method, count(*) FROM articles GROUP BY method ORDER BY 2 DESC")
            .iter()
            .map(|row| format!("{} {}", value(&row[0]), value(&row[1])))
            .collect();
    let mut runs = vec![Run {
        name: "flashpoint once".into(),
        wall,
        cpu,
        peak_rss_mb,
        articles: usize::try_from(count(&cfg.db, "SELECT count(*) FROM articles")).expect("count"),
        alerts: usize::try_from(count(&cfg.db, "SELECT count(*) FROM alerts")).expect("count"),
        latency_ms: latencies(site, hook),
    }];
    let pages_served = site.pages.load(Ordering::Relaxed);
    if o.peer {
        runs.push(peer(o, site, hook, dir, &config).await);
    }
    print_load(o, site, pages_served, &methods, &runs);
}

/// Runs the Python peer against the same server and config.
async fn peer(o: &Options, site: &Site, hook: &Hook, dir: &Path, config: &str) -> Run {
    site.reset();
    hook.arrived.lock().expect("lock").clear();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer/peer.py");
    let db = dir.join("peer.db").display().to_string();
    let threads = o.threads.to_string();
    let args = [script.to_str().expect("UTF-8 path"), "--config", config, "--db", &db, "--threads", &threads];
    let (wall, cpu, peak_rss_mb, stdout) = timed(Path::new("python3"), &args, dir, "peer").await;
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("peer prints a JSON summary");
    let number = |key: &str| usize::try_from(summary[key].as_u64().unwrap_or_default()).expect("count");
    Run {
        name: format!("peer ({} threads)", o.threads),
        wall,
        cpu,
        peak_rss_mb,
        articles: number("articles"),
        alerts: number("alerts"),
        latency_ms: latencies(site, hook),
    }
}

fn print_load(o: &Options, site: &Site, pages_served: u64, methods: &[String], runs: &[Run]) {
    let pages = if o.pages.is_some() { "pages from --pages" } else { "generated news pages" };
    println!(
        "load: {} feeds × {} items = {} articles on {} hosts (127.0.0.1–127.0.0.{}), {} ms per request; \
         {pages}, {} KB on average, alerts expected: {}",
        o.feeds,
        o.items,
        site.articles(),
        o.hosts,
        o.hosts,
        o.delay.as_millis(),
        site.pool.mean_bytes() / 1024,
        site.expected_alerts().map_or_else(|| "unknown".into(), |n| n.to_string()),
    );
    println!(
        "  politeness relaxed for this backfill: {POLITENESS}; poll and page concurrency 16 (peer: {} threads)",
        o.threads
    );
    println!("  flashpoint: {pages_served} pages fetched; extraction methods: {}", methods.join(", "));
    println!();
    println!(
        "  {:<20} {:>8} {:>9} {:>11} {:>7} {:>9} {:>7}   alert latency p50 / p99 / max",
        "", "wall s", "articles", "articles/s", "CPU s", "peak RSS", "alerts"
    );
    for r in runs {
        println!(
            "  {:<20} {:>8.2} {:>9} {:>11.1} {:>7.2} {:>6.1} MB {:>7}   {:.0} / {:.0} / {:.0} ms, {} of {} in 1 s",
            r.name,
            r.wall.as_secs_f64(),
            r.articles,
            r.rate(),
            r.cpu,
            r.peak_rss_mb,
            r.alerts,
            percentile(&r.latency_ms, 0.5),
            percentile(&r.latency_ms, 0.99),
            r.latency_ms.last().copied().unwrap_or(f64::NAN),
            r.latency_ms.iter().filter(|ms| **ms <= 1000.0).count(),
            r.alerts,
        );
    }
    if let [ours, peer] = runs {
        println!();
        println!("  flashpoint / peer articles/s: {:.1}×", ours.rate() / peer.rate());
    }
}

/// Waits until every feed was polled, every article stored, and the second round of polls (the
/// first 304s) has begun: a window of any length then holds polls. Returns how long that took.
async fn warm_up(o: &Options, site: &Site, db: &Path) -> Duration {
    let articles = i64::try_from(site.articles()).expect("count");
    let feeds = u64::try_from(o.feeds).expect("count");
    let started = Instant::now();
    let deadline = started + Duration::from_mins(5);
    while site.feeds_ok.load(Ordering::Relaxed) < feeds
        || count_now(db, "SELECT count(*) FROM articles") < articles
        || site.feeds_not_modified.load(Ordering::Relaxed) == 0
    {
        assert!(
            Instant::now() < deadline,
            "warm-up: every feed polled and every article stored within 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    started.elapsed()
}

async fn idle(o: &Options, site: &Site, hook: &Hook, dir: &Path) {
    let cfg = config(o, site, hook, dir, "[feeds_defaults]\ninterval = \"1m\"\nstartup_spread = \"10s\"\n");
    let ticks_per_s = ticks_per_second();
    let daemon = Daemon::start(&cfg.path);
    let pid = daemon.pid();
    let warm_up = warm_up(o, site, &cfg.db).await;
    let (ok0, nm0, pages0) = (
        site.feeds_ok.load(Ordering::Relaxed),
        site.feeds_not_modified.load(Ordering::Relaxed),
        site.pages.load(Ordering::Relaxed),
    );
    let first = sample(pid, ticks_per_s);
    let mut max_rss = first.rss_mb;
    let window_start = Instant::now();
    while window_start.elapsed() < o.idle_window {
        tokio::time::sleep(Duration::from_secs(1).min(o.idle_window)).await;
        max_rss = max_rss.max(sample(pid, ticks_per_s).rss_mb);
    }
    let last = sample(pid, ticks_per_s);
    let window = window_start.elapsed().as_secs_f64();
    let stopping = Instant::now();
    let exit = daemon.stop().await;
    let stop = stopping.elapsed();
    let polls = site.feeds_ok.load(Ordering::Relaxed) - ok0;
    let not_modified = site.feeds_not_modified.load(Ordering::Relaxed) - nm0;
    let cpu = last.cpu - first.cpu;
    println!(
        "idle: flashpoint run watching {} feeds on {} hosts ({} ms per request), interval 1m, feeds answer 304 \
         to If-None-Match; warm-up {:.0} s ({} articles, until the first 304), then measured over {window:.0} s",
        o.feeds,
        o.hosts,
        o.delay.as_millis(),
        warm_up.as_secs_f64(),
        site.articles()
    );
    println!("  politeness relaxed: {POLITENESS}");
    println!(
        "  RSS {:.1} MB at the end ({:.1} MB anonymous, {:.1} MB files), {max_rss:.1} MB at most in the window \
         (peak since start {:.1} MB); {} threads",
        last.rss_mb, last.anon_mb, last.file_mb, last.hwm_mb, last.threads
    );
    println!("  CPU {cpu:.2} s in {window:.0} s = {:.2} % of a core", cpu / window * 100.0);
    println!(
        "  feed polls in the window: {} ({not_modified} answered 304); pages fetched: {}",
        polls + not_modified,
        site.pages.load(Ordering::Relaxed) - pages0
    );
    println!("  SIGTERM to exit: {:.1} s, exit code {exit:?}", stop.as_secs_f64());
}
