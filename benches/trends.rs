//! Trends on synthetic years: how many planted spikes the detector signals on their first or
//! second day, how many false spikes it raises per pair-year, whether rung crossings signal on
//! their day, all beside the plain negative-binomial tail test; then the detection rate against
//! spike size, and the speed of `flashpoint trends --replay` on 10 years × 200 pairs.
//!
//! Each pair-year has a negative-binomial background: a mean of 0.5 to 5 stories a day (uniform)
//! times a weekly rhythm (weekends at about two thirds of weekdays), a size (dispersion) of 2 to
//! 10 (uniform), 84 days of history before the year. A planted spike lasts 3 days at `s` times the
//! background plus `s` stories a day (the issue's spike is `s = 5`). Stories are threats,
//! mobilisations or coercion, each carried by 1 + Poisson(1) outlets; an assault carried by 3
//! outlets is a rung crossing. Everything comes from one seeded generator, so a run repeats.
//!
//! ```sh
//! cargo bench --bench trends                 # all of it
//! cargo bench --bench trends -- --no-replay  # detection figures only
//! cargo bench --bench trends -- --scale 1 --no-curve --keep /tmp/ten-years.jsonl  # keep the replay file
//! cargo bench --bench trends -- --sweep         # only the daemon's signal sweep over a stored index
//! # other settings of the detector; a smaller second experiment (×20 instead of ×100)
//! cargo bench --bench trends -- --no-replay --no-curve --scale 20 --alpha 3e-4 --alpha-two-days 1e-4
//! ```

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::time::Instant;

use chrono::{NaiveDate, TimeDelta};
use flashpoint::trends::{Detector, Index, Rung, Series, Settings, SignalKind, Story, nb};

/// Weekday factors, Monday first; they average 1.
const RHYTHM: [f64; 7] = [1.1, 1.12, 1.12, 1.1, 1.04, 0.8, 0.72];

/// Days of history before each simulated year.
const LEAD: usize = 84;

/// The seed of every run.
const SEED: u64 = 19;

/// A seeded generator with the draws the background needs.
struct Draw(fastrand::Rng);

impl Draw {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.f64()
    }

    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.0.f64();
        let v = self.0.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma of shape `shape` and scale 1 (Marsaglia and Tsang).
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.0.f64().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.0.f64().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut n, mut p) = (0, self.0.f64());
        while p > limit {
            n += 1;
            p *= self.0.f64();
        }
        n
    }

    /// Negative binomial of mean `mean` and size `k`, as a gamma-mixed Poisson.
    fn negative_binomial(&mut self, mean: f64, k: f64) -> u32 {
        let lambda = self.gamma(k) * mean / k;
        self.poisson(lambda)
    }
}

/// One simulated pair: its index series and what was planted in it.
struct PairYear {
    series: Series,
    /// The first day of the spike, as an index into the series.
    spike: Option<usize>,
    /// The day of a rung crossing.
    crossing: Option<usize>,
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 6).expect("date")
}

/// The stories of one simulated pair over `days` days, handed to `story` as (day, rung, outlets).
fn simulate(
    draw: &mut Draw,
    days: usize,
    spikes: &[(usize, f64)],
    crossing: Option<usize>,
    mut story: impl FnMut(usize, Rung, u32),
) {
    let mean = draw.uniform(0.5, 5.0);
    let size = draw.uniform(2.0, 10.0);
    for day in 0..days {
        let background = mean * RHYTHM[day % 7];
        let spiking = spikes.iter().find(|(at, _)| (*at..*at + 3).contains(&day));
        let n = match spiking {
            Some(&(_, s)) => draw.negative_binomial(s * background, size) + draw.poisson(s),
            None => draw.negative_binomial(background, size),
        };
        for _ in 0..n {
            let rung = match draw.0.u32(0..10) {
                0..5 => Rung::Threaten,
                5..8 => Rung::Mobilize,
                _ => Rung::Coerce,
            };
            story(day, rung, 1 + draw.poisson(1.0));
        }
        if crossing == Some(day) {
            story(day, Rung::Assault, 3);
        }
    }
}

/// A pair-year; a spike of size `spike` (if any) starts on a random day of the year, and a
/// rung crossing (if asked) falls on its first day or, without a spike, on a random day.
fn pair_year(draw: &mut Draw, spike: Option<f64>, crossing: bool) -> PairYear {
    let start = LEAD + draw.0.usize(0..362);
    let spikes: Vec<(usize, f64)> = spike.map(|s| (start, s)).into_iter().collect();
    let crossing = crossing.then_some(start);
    let mut index = Index::new();
    simulate(draw, LEAD + 365, &spikes, crossing, |day, rung, outlets| {
        let date = first_day() + TimeDelta::days(i64::try_from(day).expect("small"));
        index.add(&Story { date, source: "A", target: "B", rung, outlets }).expect("valid story");
    });
    let series = index.pair("A", "B").expect("stories").clone();
    // A series starts at its first story: shift the planted days to its indices.
    let shift = usize::try_from((series.first - first_day()).num_days()).expect("after");
    PairYear {
        series,
        spike: spikes.first().map(|&(at, _)| at - shift),
        crossing: crossing.map(|c| c - shift),
    }
}

/// The plain test: a negative binomial fitted by moments to the 28 days that end 2 days before,
/// `P(X ≥ x) ≤ alpha`, a week's cool-down.
fn plain(counts: &[u32], alpha: f64) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for t in 30..counts.len() {
        let window = &counts[t - 30..t - 2];
        let mean = window.iter().map(|&c| f64::from(c)).sum::<f64>() / 28.0;
        let var = window.iter().map(|&c| (f64::from(c) - mean).powi(2)).sum::<f64>() / 27.0;
        let cooling = out.last().is_some_and(|&at| t - at < 7);
        if !cooling && counts[t] >= nb::upper(mean, var.max(mean), alpha) {
            out.push(t);
        }
    }
    out
}

/// Detection and false-signal tallies over many pair-years.
#[derive(Default)]
struct Tally {
    spikes: usize,
    detected: usize,
    false_signals: usize,
    pair_years: usize,
    crossings: usize,
    crossings_on_day: usize,
}

impl Tally {
    /// Counts the spike signals `at` of one pair-year whose spike (if any) starts at `spike`.
    fn count(&mut self, pair: &PairYear, at: &[usize]) {
        self.pair_years += 1;
        let year = pair.series.days.len().saturating_sub(365);
        let in_spike = |t: usize| pair.spike.is_some_and(|s| (s..s + 3).contains(&t));
        self.false_signals += at.iter().filter(|&&t| t >= year && !in_spike(t)).count();
        if let Some(s) = pair.spike {
            self.spikes += 1;
            self.detected += usize::from(at.iter().any(|&t| t == s || t == s + 1));
        }
    }

    fn line(&self, name: &str) -> String {
        #[expect(clippy::cast_precision_loss, reason = "counts of a few thousand")]
        let (rate, fp) = (
            self.detected as f64 / self.spikes.max(1) as f64,
            self.false_signals as f64 / self.pair_years.max(1) as f64,
        );
        format!(
            "{name:<34} detected on day 1 or 2: {:>5.1} % ({}/{}); false spikes per pair-year: {fp:.3} ({} in {})",
            100.0 * rate,
            self.detected,
            self.spikes,
            self.false_signals,
            self.pair_years
        )
    }
}

fn spike_days(detector: &Detector, series: &Series) -> Vec<usize> {
    detector.scan(series).iter().filter(|s| s.kind == SignalKind::Spike).map(|s| s.day).collect()
}

/// The issue's experiment, `scale` times over: 60 pair-years, 40 with a spike of size 5, half
/// of those with a rung crossing on the spike's first day, and a crossing alone in 10 others.
fn experiment(detector: &Detector, scale: usize, alphas: &[f64]) {
    let mut draw = Draw(fastrand::Rng::with_seed(SEED));
    let mut ours = Tally::default();
    let mut plains: Vec<Tally> = alphas.iter().map(|_| Tally::default()).collect();
    for _ in 0..scale {
        for n in 0..60 {
            let pair = pair_year(&mut draw, (n < 40).then_some(5.0), n % 2 == 0 && n < 60 - 10);
            let signals = detector.scan(&pair.series);
            let spikes: Vec<usize> =
                signals.iter().filter(|s| s.kind == SignalKind::Spike).map(|s| s.day).collect();
            ours.count(&pair, &spikes);
            if let Some(c) = pair.crossing {
                ours.crossings += 1;
                ours.crossings_on_day +=
                    usize::from(signals.iter().any(|s| s.kind == SignalKind::LevelUp && s.day == c));
            }
            let counts: Vec<u32> = pair.series.days.iter().map(flashpoint::trends::Day::stories).collect();
            for (tally, &alpha) in plains.iter_mut().zip(alphas) {
                tally.count(&pair, &plain(&counts, alpha));
            }
        }
    }
    println!("{} pair-years, {} with a spike (5× background + 5 a day, 3 days):", 60 * scale, 40 * scale);
    println!("  {}", ours.line("flashpoint detector"));
    println!("  rung crossings signalled on their day: {}/{}", ours.crossings_on_day, ours.crossings);
    for (tally, alpha) in plains.iter().zip(alphas) {
        println!("  {}", tally.line(&format!("plain NB tail test, alpha {alpha:.0e}")));
    }
}

/// Detection against spike size `s` (s× background + s a day), for the detector and the plain
/// test at each of `plain_alphas`.
fn curve(detector: &Detector, pairs: usize, plain_alphas: &[f64]) {
    println!("detection on day 1 or 2 against spike size ({pairs} pair-years each):");
    print!("  {:>5}  {:>10}", "size", "flashpoint");
    for a in plain_alphas {
        print!("  {:>12}", format!("plain {a:.0e}"));
    }
    println!();
    for size in [1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0] {
        let mut draw = Draw(fastrand::Rng::with_seed(SEED));
        let mut ours = Tally::default();
        let mut theirs: Vec<Tally> = plain_alphas.iter().map(|_| Tally::default()).collect();
        for _ in 0..pairs {
            let pair = pair_year(&mut draw, Some(size), false);
            ours.count(&pair, &spike_days(detector, &pair.series));
            let counts: Vec<u32> = pair.series.days.iter().map(flashpoint::trends::Day::stories).collect();
            for (tally, &alpha) in theirs.iter_mut().zip(plain_alphas) {
                tally.count(&pair, &plain(&counts, alpha));
            }
        }
        #[expect(clippy::cast_precision_loss, reason = "counts of a few thousand")]
        let rate = |t: &Tally| 100.0 * t.detected as f64 / t.spikes as f64;
        print!("  {size:>5}  {:>9.1}%", rate(&ours));
        for t in &theirs {
            print!("  {:>11.1}%", rate(t));
        }
        println!();
    }
}

/// Writes 10 years × 200 pairs of stories as replay lines; returns the number of lines.
fn write_replay(path: &Path, years: usize, pairs: usize) -> usize {
    let mut draw = Draw(fastrand::Rng::with_seed(SEED));
    let days = 365 * years;
    let mut by_day: Vec<Vec<(usize, Rung, u32)>> = vec![Vec::new(); days];
    for pair in 0..pairs {
        let spikes: Vec<(usize, f64)> = (0..years).map(|y| (365 * y + draw.0.usize(30..362), 5.0)).collect();
        simulate(&mut draw, days, &spikes, None, |day, rung, outlets| {
            by_day[day].push((pair, rung, outlets));
        });
    }
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create replay file"));
    let mut lines = 0;
    for (day, stories) in by_day.iter().enumerate() {
        let date = first_day() + TimeDelta::days(i64::try_from(day).expect("small"));
        for (pair, rung, outlets) in stories {
            writeln!(
                out,
                r#"{{"date":"{date}","source":"Actor{pair:03}","target":"Actor{:03}","rung":"{rung}","outlets":{outlets}}}"#,
                (pair + 1) % pairs
            )
            .expect("write");
            lines += 1;
        }
    }
    out.flush().expect("flush");
    lines
}

/// Times the release binary's replay of 10 years × 200 pairs; the file is written to `keep`
/// when given (to time it again by hand), else to a temporary directory.
fn replay_speed(keep: Option<&Path>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = keep.map_or_else(|| dir.path().join("ten-years.jsonl"), Path::to_path_buf);
    let lines = write_replay(&file, 10, 200);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flashpoint.toml");
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flashpoint"))
        .arg("--config")
        .arg(&config)
        .args(["trends", "--replay"])
        .arg(&file)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run flashpoint");
    let wall = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signals = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    let mb = std::fs::metadata(&file).map_or(0, |m| m.len()) / 1_000_000;
    println!(
        "replay: 10 years × 200 pairs, {lines} stories ({mb} MB) → {signals} signals in {:.2} s",
        wall.as_secs_f64()
    );
}

/// The value after `--name` on the command line, if any.
fn option<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// The daemon's sweep (`Store::raise_signals`) over a stored index of `pairs` pairs with about
/// `per_day` stories a day each for the 100 days it reads: how long one sweep takes.
fn sweep(pairs: usize, per_day: f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sweep.db");
    let store = flashpoint::store::Store::open(&path).expect("open");
    let now = chrono::Utc::now();
    let mut draw = Draw(fastrand::Rng::with_seed(SEED));
    let mut conn = rusqlite::Connection::open(&path).expect("open");
    let tx = conn.transaction().expect("tx");
    let mut stories = 0;
    for pair in 0..pairs {
        for day in 0..100 {
            for n in 0..draw.poisson(per_day) {
                let at = now - TimeDelta::hours(24 * day + 1) - TimeDelta::minutes(i64::from(n));
                let at_s = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let id = format!("alrt_{pair}_{day}_{n}");
                tx.execute(
                    "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, 'T', ?2, ?2, 1, 2)",
                    rusqlite::params![id, at_s],
                )
                .expect("story");
                tx.execute(
                    "INSERT INTO trend_parts (story_id, source, target, day, rung, outlets)
                     VALUES (?1, ?2, 'B', substr(?3, 1, 10), 'threaten', 2)",
                    rusqlite::params![id, format!("A{pair}"), at_s],
                )
                .expect("part");
                stories += 1;
            }
        }
    }
    tx.commit().expect("commit");
    let detector = Detector::default();
    let routing = flashpoint::store::Routing::default();
    let mut times = Vec::new();
    let mut raised = 0;
    for _ in 0..5 {
        let start = Instant::now();
        raised += store.raise_signals(&routing, &detector, now).expect("sweep").len();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "signal sweep over {pairs} pairs, {stories} stories in 100 days: median {:.1} ms, max {:.1} ms a sweep ({raised} signals raised)",
        times[2], times[4]
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--sweep") {
        sweep(option(&args, "--pairs").unwrap_or(200), option(&args, "--per-day").unwrap_or(2.0));
        return;
    }
    let mut settings = Settings::default();
    settings.alpha = option(&args, "--alpha").unwrap_or(settings.alpha);
    settings.alpha_two_days = option(&args, "--alpha-two-days").unwrap_or(settings.alpha_two_days);
    settings.alarmed_weight = option(&args, "--alarmed-weight").unwrap_or(settings.alarmed_weight);
    settings.rhythm_weeks = option(&args, "--rhythm-weeks").unwrap_or(settings.rhythm_weeks);
    settings.rhythm_prior = option(&args, "--rhythm-prior").unwrap_or(settings.rhythm_prior);
    let detector = Detector::new(settings);
    let alphas = [3e-3, 1e-3, 5e-4, 3e-4, 1e-4];
    experiment(&detector, 1, &alphas);
    println!();
    experiment(&detector, option(&args, "--scale").unwrap_or(100), &alphas);
    if !args.iter().any(|a| a == "--no-curve") {
        println!();
        curve(&detector, 2000, &[1e-3, 1e-4]);
    }
    if !args.iter().any(|a| a == "--no-replay") {
        println!();
        replay_speed(option::<String>(&args, "--keep").as_deref().map(Path::new));
    }
}
