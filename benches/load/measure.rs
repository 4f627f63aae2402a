//! Measuring a process: wall time, CPU and peak RSS under GNU time, RSS and CPU from `/proc`,
//! and alert latencies from the server's and the receiver's timestamps.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::site::{Hook, Site};

/// What one measured process did.
pub(crate) struct Run {
    pub(crate) name: String,
    pub(crate) wall: Duration,
    pub(crate) cpu: f64,
    pub(crate) peak_rss_mb: f64,
    pub(crate) articles: usize,
    pub(crate) alerts: usize,
    /// Alert latencies in ms, sorted: page served → POST received.
    pub(crate) latency_ms: Vec<f64>,
}

impl Run {
    pub(crate) fn rate(&self) -> f64 {
        as_f64(self.articles) / self.wall.as_secs_f64()
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
pub(crate) fn as_f64(n: usize) -> f64 {
    n as f64
}

/// Runs `program args…` under GNU time; returns wall time, CPU seconds, peak RSS in MB and
/// standard output. Exits with the process's standard error when it fails.
pub(crate) async fn timed(
    program: &Path,
    args: &[&str],
    dir: &Path,
    label: &str,
) -> (Duration, f64, f64, String) {
    let times = dir.join(format!("{label}.time"));
    let log = dir.join(format!("{label}.log"));
    let started = Instant::now();
    let out = tokio::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&times)
        .arg(program)
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("FLASHPOINT_CONFIG")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run /usr/bin/time");
    let wall = started.elapsed();
    if !out.status.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!("load: {label} failed ({}):", out.status);
        for line in tail.iter().rev() {
            eprintln!("  {line}");
        }
        std::process::exit(1);
    }
    let times = std::fs::read_to_string(&times).expect("GNU time output");
    let fields: Vec<f64> =
        times.lines().last().unwrap_or_default().split_whitespace().filter_map(|f| f.parse().ok()).collect();
    assert_eq!(fields.len(), 3, "unexpected GNU time output: {times:?}");
    (wall, fields[0] + fields[1], fields[2] / 1024.0, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Alert latencies of the run just finished, in ms, sorted.
pub(crate) fn latencies(site: &Site, hook: &Hook) -> Vec<f64> {
    let served = site.served.lock().expect("lock");
    let mut first: HashMap<usize, Instant> = HashMap::new();
    for (at, url) in hook.arrived.lock().expect("lock").iter() {
        if let Some(k) = url.rsplit('/').next().and_then(|k| k.parse::<usize>().ok()) {
            first.entry(k).or_insert(*at);
        }
    }
    let mut ms: Vec<f64> = first
        .iter()
        .filter_map(|(k, at)| {
            Some(at.saturating_duration_since(served.get(*k).copied().flatten()?).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "q in 0..=1")]
    let rank = (q * as_f64(sorted.len())).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(crate) fn value(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Integer(n) => n.to_string(),
        rusqlite::types::Value::Text(t) => t.clone(),
        other => format!("{other:?}"),
    }
}

/// Resident memory now and at its peak (`VmRSS`, `VmHWM`) in MB, CPU seconds (`utime` + `stime`)
/// and threads of a process, from `/proc`.
pub(crate) struct Sample {
    pub(crate) rss_mb: f64,
    pub(crate) hwm_mb: f64,
    /// `RssAnon` and `RssFile`: heap and stacks, and mapped files (mostly the binary's own code).
    pub(crate) anon_mb: f64,
    pub(crate) file_mb: f64,
    pub(crate) cpu: f64,
    pub(crate) threads: f64,
}

pub(crate) fn sample(pid: u32, ticks_per_s: f64) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat format").1.split_whitespace().collect();
    let ticks = |i: usize| fields[i].parse::<f64>().expect("clock ticks");
    Sample {
        rss_mb: kb("VmRSS:") / 1024.0,
        hwm_mb: kb("VmHWM:") / 1024.0,
        anon_mb: kb("RssAnon:") / 1024.0,
        file_mb: kb("RssFile:") / 1024.0,
        cpu: (ticks(11) + ticks(12)) / ticks_per_s,
        threads: kb("Threads:"),
    }
}

pub(crate) fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
