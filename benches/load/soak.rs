//! The soak: `flashpoint run` for an hour or more on thousands of live feeds whose new items
//! appear at a set daily rate, each a page of its own, with the default politeness. Samples RSS
//! and CPU from `/proc` every 10 s; reports peak and steady RSS, RSS growth an hour after
//! warm-up, CPU per article, poll lag, alert latency and the database's size per 100,000
//! articles.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Options;
use super::common::{Daemon, TestConfig, count_now, query, write_config};
use super::measure::{as_f64, latencies, percentile, sample, ticks_per_second, value};
use super::site::{Hook, Site};

/// Between two samples of the daemon.
const EVERY: Duration = Duration::from_secs(10);

/// One sample of the daemon and the database.
struct Point {
    /// Seconds since the daemon started.
    at: f64,
    rss_mb: f64,
    anon_mb: f64,
    cpu: f64,
    articles: i64,
    /// The database file and its write-ahead log.
    db_mb: f64,
    /// The machine's load average over the last minute.
    load: f64,
}

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

#[expect(clippy::cast_precision_loss, reason = "file sizes far below 2^52")]
fn file_mb(path: &Path) -> f64 {
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (len(path) + len(Path::new(&wal))) as f64 / 1_048_576.0
}

/// Slope of the least-squares line through `(x, y)`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = as_f64(points.len());
    let (mx, my) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) =
        points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + (x - mx) * (y - my), b + (x - mx) * (x - mx)));
    sxy / sxx
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(&values, 0.5)
}

pub(crate) async fn soak(o: &Options, site: &Site, hook: &Hook, dir: &Path) {
    let cfg = soak_config(o, site, hook, dir);
    let daemon = Daemon::start(&cfg.path);
    let pid = daemon.pid();
    let (points, warm) = watch(o, site, hook, &cfg.db, pid).await;
    let last = sample(pid, ticks_per_second());
    let stories = count_now(&cfg.db, "SELECT count(*) FROM stories");
    let alerts = count_now(&cfg.db, "SELECT count(*) FROM alerts");
    let largest: Vec<String> =
        query(&cfg.db, "SELECT articles, title FROM stories ORDER BY articles DESC LIMIT 3")
            .iter()
            .map(|row| format!("{} ({})", value(&row[1]), value(&row[0])))
            .collect();
    // The figures first: a daemon slow to stop must not lose them.
    if let Some((first, first_gap)) = warm {
        report(&points[first..], last.hwm_mb);
        report_polls_and_alerts(o, site, hook, first_gap);
    } else {
        println!("  the run ended before the warm-up did: no steady figures");
    }
    let end = points.last().expect("a point");
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let per_100k = end.db_mb / end.articles as f64 * 1e5;
    println!(
        "  database: {:.1} MB for {} articles = {per_100k:.1} MB per 100,000 articles (no retention due: bodies \
         are kept 90 days); pages fetched {}, feed polls {} (304: {})",
        end.db_mb,
        end.articles,
        site.pages.load(Ordering::Relaxed),
        site.feeds_ok.load(Ordering::Relaxed) + site.feeds_not_modified.load(Ordering::Relaxed),
        site.feeds_not_modified.load(Ordering::Relaxed)
    );
    println!("  stories in the database: {stories}; alerts: {alerts}; largest: {}", largest.join("; "));
    let stopping = Instant::now();
    let exit = daemon.stop().await;
    let log = std::fs::read_to_string(dir.join("daemon.log")).unwrap_or_default();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
    println!(
        "  SIGTERM to exit: {:.1} s, exit code {exit:?}; log lines warning or worse: {}",
        stopping.elapsed().as_secs_f64(),
        warnings.len()
    );
    for line in warnings.iter().take(5) {
        println!("    {}", line.chars().take(300).collect::<String>());
    }
}

/// The shipped config on the site's feeds, polled every `--interval-secs`, with the default
/// politeness as a deployment runs it: 2 requests to a host at once, 250 ms apart.
fn soak_config(o: &Options, site: &Site, hook: &Hook, dir: &Path) -> TestConfig {
    let interval = o.soak_interval.as_secs();
    let names: Vec<String> = (0..o.feeds).map(|f| format!("Feed {f}")).collect();
    let feeds: Vec<(&str, String)> =
        names.iter().enumerate().map(|(f, n)| (n.as_str(), site.feed_url(f))).collect();
    let extra = format!(
        "[fetch]\nper_host_concurrency = 2\nper_host_interval = \"250ms\"\ntimeout = \"30s\"\n\
         [feeds_defaults]\ninterval = \"{interval}s\"\nstartup_spread = \"{interval}s\"\n"
    );
    let rate = site.live.as_ref().map_or(0.0, |l| l.rate);
    println!(
        "soak: flashpoint run on {} feeds on {} hosts ({} ms per request), polled every {interval} s; {} items a \
         feed at the start, then {rate:.2} new articles/s ({:.0} a day), each a page of its own ({} KB on \
         average); default politeness (2 requests a host at once, 250 ms apart); {} s",
        o.feeds,
        o.hosts,
        o.delay.as_millis(),
        o.items,
        rate * 86_400.0,
        mean_page_kb(site),
        o.soak_window.as_secs()
    );
    write_config(dir, &feeds, std::slice::from_ref(&hook.url), &extra)
}

/// Samples the daemon every [`EVERY`] for the soak's length, printing a line a minute. Returns
/// the samples and, once warm-up is over (every feed polled, the initial items stored, and
/// `--warm-up-secs` gone), the first steady sample and the first steady poll gap.
async fn watch(
    o: &Options,
    site: &Site,
    hook: &Hook,
    db: &Path,
    pid: u32,
) -> (Vec<Point>, Option<(usize, usize)>) {
    let ticks_per_s = ticks_per_second();
    let started = Instant::now();
    let mut points: Vec<Point> = Vec::new();
    let mut warm = None;
    let backfill = i64::try_from(o.feeds * o.items).expect("count");
    while started.elapsed() < o.soak_window {
        tokio::time::sleep(EVERY).await;
        let s = sample(pid, ticks_per_s);
        let point = Point {
            at: started.elapsed().as_secs_f64(),
            rss_mb: s.rss_mb,
            anon_mb: s.anon_mb,
            cpu: s.cpu,
            articles: count_now(db, "SELECT count(*) FROM articles"),
            db_mb: file_mb(db),
            load: load_average(),
        };
        let every_feed_polled = site.last_poll.lock().expect("lock").iter().all(Option::is_some);
        if warm.is_none()
            && started.elapsed() >= o.soak_warm_up
            && every_feed_polled
            && point.articles >= backfill
        {
            warm = Some((points.len(), site.poll_gaps.lock().expect("lock").len()));
            println!("  warm-up over at {:.0} s", point.at);
        }
        if points.len() % 6 == 5 {
            println!(
                "  {:>5.0} s  RSS {:>6.1} MB ({:.1} anon)  CPU {:>7.1} s  articles {:>7}  db {:>7.1} MB  \
                 alerts at the hook {:>5}  load {:.2}",
                point.at,
                point.rss_mb,
                point.anon_mb,
                point.cpu,
                point.articles,
                point.db_mb,
                hook.arrived.lock().expect("lock").len(),
                point.load
            );
        }
        points.push(point);
    }
    (points, warm)
}

fn mean_page_kb(site: &Site) -> usize {
    (0..64).map(|k| site.page(k * 97).len()).sum::<usize>() / 64 / 1024
}

/// Memory and CPU over the steady samples.
fn report(steady: &[Point], hwm: f64) {
    let (start, end) = (&steady[0], steady.last().expect("a point"));
    let seconds = end.at - start.at;
    let rss: Vec<(f64, f64)> = steady.iter().map(|p| (p.at / 3600.0, p.rss_mb)).collect();
    let anon: Vec<(f64, f64)> = steady.iter().map(|p| (p.at / 3600.0, p.anon_mb)).collect();
    let articles = end.articles - start.articles;
    let cpu = end.cpu - start.cpu;
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let articles_f = articles as f64;
    println!();
    println!(
        "  steady window: {:.0} s to {:.0} s ({:.2} h), {articles} articles stored in it ({:.2}/s); machine load \
         average {:.2} (1-minute, mean of samples)",
        start.at,
        end.at,
        seconds / 3600.0,
        articles_f / seconds,
        steady.iter().map(|p| p.load).sum::<f64>() / as_f64(steady.len())
    );
    println!(
        "  RSS: peak {hwm:.1} MB (VmHWM); steady {:.1} MB (median; {:.1} MB anonymous); {:.1} MB at the end",
        median(steady.iter().map(|p| p.rss_mb).collect()),
        median(steady.iter().map(|p| p.anon_mb).collect()),
        end.rss_mb
    );
    println!(
        "  RSS growth after warm-up: {:+.2} MB an hour (least squares; anonymous {:+.2} MB an hour)",
        slope(&rss),
        slope(&anon)
    );
    println!(
        "  CPU: {cpu:.1} s in the window = {:.2} % of a core; {:.2} ms per article, polling included",
        cpu / seconds * 100.0,
        cpu / articles_f * 1e3
    );
}

/// Poll lag from the gaps the server saw between two polls of a feed, and alert latency.
fn report_polls_and_alerts(o: &Options, site: &Site, hook: &Hook, first_gap: usize) {
    let gaps = site.poll_gaps.lock().expect("lock");
    let interval = o.soak_interval.as_secs_f64();
    let mut lag: Vec<f64> = gaps[first_gap..].iter().map(|g| g.as_secs_f64() - interval).collect();
    lag.sort_by(f64::total_cmp);
    let late = lag.iter().filter(|l| **l > interval * 0.1 + 1.0).count();
    println!(
        "  poll lag (gap between two polls of a feed minus the {interval:.0} s interval, which the scheduler \
         jitters by ±10 %): p50 {:+.1} s, p99 {:+.1} s, max {:+.1} s over {} polls; {late} more than 1 s past \
         the jitter",
        percentile(&lag, 0.5),
        percentile(&lag, 0.99),
        lag.last().copied().unwrap_or(f64::NAN),
        lag.len()
    );
    let latency = latencies(site, hook);
    println!(
        "  alert latency (page served → POST received), {} alerted articles: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latency.len(),
        percentile(&latency, 0.5),
        percentile(&latency, 0.99),
        latency.last().copied().unwrap_or(f64::NAN)
    );
}
