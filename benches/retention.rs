//! Retention under load: how long pruning holds the database from the pipeline. A database of
//! `ARTICLES` stored articles (bodies of about 3 KB, one in fifty alerting) is pruned of every
//! body and of the old quiet articles while a writer stores a new article every 10 ms, as the
//! store stage would (its articles are new, so not pruned); the writer's longest wait is what
//! pruning cost the pipeline. Also prints
//! the file's size before and after, and each batch's time.
//!
//! `cargo bench --bench retention` (`ARTICLES=20000` for a quicker run).
//!
//! With `DAYS=30`: a month of the daemon's retention by clock injection. Each simulated day
//! stores `PER_DAY` articles (20,000 by default) dated that day, then runs the hourly pass as
//! of the day's end; prints the file's size each day, once with the shipped retention (bodies
//! 90 days, quiet articles 2 years) and once with a short one (`BODIES_DAYS`, 7, and
//! `ARTICLES_DAYS`, 14) that a month is long enough to show level.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use flashpoint::score::NewAlert;
use flashpoint::store::{NewArticle, Retention, Routing, Store, prune_all};
use flashpoint::types::{Method, Severity};

fn article(i: usize) -> NewArticle {
    let words = ["army", "border", "minister", "talks", "province", "market", "rain", "court"];
    let body: String = (0..450).map(|j| words[(i * 7 + j * 3) % words.len()]).collect::<Vec<_>>().join(" ");
    NewArticle {
        key: format!("https://bench.example/news/{i}"),
        aliases: Vec::new(),
        url: format!("https://bench.example/news/{i}"),
        guid: i.to_string(),
        feed: "Bench".into(),
        title: format!("Article {i}"),
        published_at: None,
        body,
        method: Method::Site,
        canonical: None,
        author: None,
        language: Some("eng".into()),
        score: 1.0,
        matches: Vec::new(),
    }
}

fn alert() -> NewAlert {
    NewAlert {
        severity: Severity::Medium,
        threshold: 6.0,
        actors: Vec::new(),
        rules_hash: "h".into(),
        event: None,
        relevance: None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

#[expect(clippy::cast_precision_loss, reason = "megabytes for a report")]
fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The pipeline: one new article every 10 ms from key `from` on, each insert timed, until
/// `running` is cleared.
fn pipeline(store: Store, from: usize, running: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Duration>> {
    std::thread::spawn(move || {
        let mut waits = Vec::new();
        let mut i = from;
        while running.load(Ordering::Relaxed) {
            let start = Instant::now();
            store.insert_article(&article(i), None, &Routing::default(), || None).expect("insert");
            waits.push(start.elapsed());
            i += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        waits
    })
}

/// Prints the median, 99th percentile and longest of `sorted`.
fn report(what: &str, sorted: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.99)),
        ms(percentile(sorted, 1.0))
    );
}

/// A setting from the environment, or `default`.
fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `days` simulated days of `per_day` articles under `policy`; prints the file's size each day.
fn simulate(days: usize, per_day: usize, policy: &Retention, label: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let store = Store::open(&path).expect("open");
    let db = rusqlite::Connection::open(&path).expect("second connection");
    let routing = Routing::default();
    let start = Utc::now() - TimeDelta::days(i64::try_from(days).expect("days"));
    println!("{label}: {per_day} articles a day for {days} days (one in fifty alerting)");
    println!("  day  articles  bodies kept  file MB  pass s");
    let started = Instant::now();
    for day in 0..days {
        for j in 0..per_day {
            let i = day * per_day + j;
            let raised = i.is_multiple_of(50).then(alert);
            store.insert_article(&article(i), raised.as_ref(), &routing, || None).expect("insert");
        }
        // Stored through the day, as far as retention can tell.
        let at = start + TimeDelta::days(i64::try_from(day).expect("day"));
        let first = i64::try_from(day * per_day).expect("key");
        db.execute(
            "UPDATE articles SET fetched_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+' || ((id - 1 - ?2) * 86400.0 / ?3) || ' seconds')
             WHERE fetched_at > ?1",
            rusqlite::params![
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                first,
                i64::try_from(per_day).expect("count")
            ],
        )
        .expect("backdate");
        let pass = Instant::now();
        prune_all(&store, policy, at + TimeDelta::days(1), || true).expect("prune");
        let pass = pass.elapsed();
        let facts = store.storage_facts().expect("facts");
        let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).expect("count");
        println!(
            "  {:>3}  {:>8}  {:>11}  {:>7.1}  {:>6.1}",
            day + 1,
            count("SELECT count(*) FROM articles"),
            count("SELECT count(*) FROM articles WHERE pruned_at IS NULL"),
            mb(facts.file_bytes + facts.wal_bytes),
            pass.as_secs_f64()
        );
    }
    println!("  ({:.0} s)", started.elapsed().as_secs_f64());
}

/// `days` simulated days with the shipped retention and with a short one.
fn month(days: usize) {
    let per_day = env("PER_DAY", 20_000);
    let hours = |days: usize| Some(Duration::from_hours(24 * u64::try_from(days).expect("days")));
    let short = Retention {
        bodies: hours(env("BODIES_DAYS", 7)),
        articles: hours(env("ARTICLES_DAYS", 14)),
        alerts: None,
    };
    simulate(
        days,
        per_day,
        &Retention::default(),
        "shipped retention (bodies 90 days, quiet articles 2 years)",
    );
    simulate(
        days,
        per_day,
        &short,
        &format!(
            "short retention (bodies {} days, quiet articles {} days)",
            env("BODIES_DAYS", 7),
            env("ARTICLES_DAYS", 14)
        ),
    );
}

fn main() {
    if env("DAYS", 0) > 0 {
        return month(env("DAYS", 0));
    }
    let n: usize = std::env::var("ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db")).expect("open");
    let routing = Routing::default();
    let fill = Instant::now();
    for i in 0..n {
        let raised = (i % 50 == 0).then(alert);
        store.insert_article(&article(i), raised.as_ref(), &routing, || None).expect("insert");
    }
    // Stored three days ago, as far as retention can tell.
    let db = rusqlite::Connection::open(dir.path().join("bench.db")).expect("second connection");
    let three_days_ago =
        (Utc::now() - TimeDelta::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    db.execute("UPDATE articles SET fetched_at = ?1", [three_days_ago]).expect("backdate");
    drop(db);
    store.checkpoint().expect("checkpoint");
    let before = store.storage_facts().expect("facts");
    println!("filled {n} articles in {:.1} s: {:.1} MB", fill.elapsed().as_secs_f64(), mb(before.file_bytes));

    let running = Arc::new(AtomicBool::new(true));
    let writer = pipeline(store.clone(), n, Arc::clone(&running));
    let policy = Retention {
        bodies: Some(Duration::from_hours(24)),
        articles: Some(Duration::from_hours(48)),
        alerts: None,
    };
    let mut steps = Vec::new();
    let mut last = Instant::now();
    let pass = Instant::now();
    let pruned = prune_all(&store, &policy, Utc::now(), || {
        steps.push(last.elapsed());
        std::thread::sleep(Duration::from_millis(20));
        last = Instant::now();
        true
    })
    .expect("prune");
    let pass = pass.elapsed();
    running.store(false, Ordering::Relaxed);
    let mut waits = writer.join().expect("writer");
    waits.sort_unstable();
    steps.sort_unstable();
    let after = store.storage_facts().expect("facts");
    println!(
        "pruned {} bodies and {} articles in {:.1} s ({} batches and vacuum steps)",
        pruned.pruned.bodies,
        pruned.pruned.articles,
        pass.as_secs_f64(),
        steps.len()
    );
    println!(
        "file {:.1} MB -> {:.1} MB (freed {:.1} MB), WAL {:.1} MB",
        mb(before.file_bytes),
        mb(after.file_bytes),
        mb(pruned.freed),
        mb(after.wal_bytes)
    );
    report("batch or step", &steps);
    report(&format!("pipeline insert during the pass ({} inserts)", waits.len()), &waits);
}
