//! The trend commands: `trends` shows each pair's recent daily index with a sparkline and its
//! signals, from the stored index; `trends --rebuild` recomputes that index from the stored
//! alerts and stories; `trends --replay FILE` builds the index of a JSONL file of stories and runs
//! the detector over every pair without a database, printing the signals as JSON lines.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use chrono::{NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Exit, with_store};
use crate::config::Runtime;
use crate::trends::{
    Detector, Index, Rung, Series, Signal, SignalKind, Story, merge_parts, parse_date, parse_rung,
};

/// One input line: one story.
#[derive(Debug, Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    date: Cow<'a, str>,
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow)]
    target: Cow<'a, str>,
    #[serde(borrow)]
    rung: Cow<'a, str>,
    outlets: u32,
}

/// One output line: one signal.
#[derive(Debug, Serialize, PartialEq, PartialOrd)]
struct Out<'a> {
    date: String,
    source: &'a str,
    target: &'a str,
    /// `spike` or `level_up`.
    kind: &'static str,
    /// Stories of the day (spike) or the rung level reached (level-up).
    observed: u32,
    /// Stories expected that day (spike) or the highest level of the 28 days before (level-up).
    expected: f64,
}

/// `trends --replay FILE`.
pub fn replay(file: &Path) -> Exit {
    eprintln!("replaying {} through the trend index and detector; no database is used", file.display());
    match replay_file(file) {
        Ok(()) => Exit::Ok,
        Err(err) if closed_pipe(&err) => Exit::Ok,
        Err(err) => {
            eprintln!("{}: {err:#}", file.display());
            Exit::Failure
        }
    }
}

fn replay_file(file: &Path) -> anyhow::Result<()> {
    let index = read_index(file)?;
    let detector = Detector::default();
    let pairs = index.pairs();
    let mut signals: Vec<Out<'_>> = Vec::new();
    for (source, target, series) in &pairs {
        signals.extend(detector.scan(series).into_iter().map(|s| Out {
            date: s.date.to_string(),
            source,
            target,
            kind: s.kind.as_str(),
            observed: s.observed,
            expected: thousandths(s.expected),
        }));
    }
    signals.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let spikes = signals.iter().filter(|s| s.kind == SignalKind::Spike.as_str()).count();
    eprintln!("pairs: {}, spikes: {spikes}, level-ups: {}", pairs.len(), signals.len() - spikes);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for signal in &signals {
        serde_json::to_writer(&mut out, signal)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The index of every story in `file`; an error names the line.
fn read_index(file: &Path) -> anyhow::Result<Index> {
    let mut input = BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
    let mut index = Index::pairs_only();
    let mut line = String::new();
    for n in 1.. {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let at_line = |e: &dyn std::fmt::Display| anyhow::anyhow!("line {n}: {e}");
        let row: Line<'_> = serde_json::from_str(&line).map_err(|e| at_line(&e))?;
        let story = Story {
            date: parse_date(&row.date).map_err(|e| at_line(&e))?,
            source: &row.source,
            target: &row.target,
            rung: parse_rung(&row.rung).map_err(|e| at_line(&e))?,
            outlets: row.outlets,
        };
        index.add(&story).map_err(|e| at_line(&e))?;
    }
    Ok(index)
}

/// An expectation as printed: three decimals are more than a count of stories needs.
fn thousandths(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The reader of standard output went away (`… | head -1`): the rest has nobody to read it.
fn closed_pipe(err: &anyhow::Error) -> bool {
    let kind = err
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| err.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind));
    kind == Some(std::io::ErrorKind::BrokenPipe)
}

/// `trends --rebuild`.
pub fn rebuild(rt: &Runtime) -> Exit {
    with_store(rt, |store| {
        let parts = merge_parts(store.alerted_story_parts()?);
        store.replace_trend_parts(&parts)?;
        let pairs: BTreeSet<(&str, &str)> =
            parts.iter().map(|p| (p.source.as_str(), p.target.as_str())).collect();
        outln!("trend index rebuilt: {} stories counted for {} pairs", parts.len(), pairs.len());
        Ok(())
    })
}

/// One pair's days on screen.
/// One series as `trends` shows it: a pair's, or an actor's alone (`--actor`).
#[derive(Debug, Serialize)]
struct PairView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    /// Days since the pair's first story: under 14, no spike is judged.
    history_days: usize,
    days: Vec<DayView>,
    signals: Vec<SignalView>,
}

#[derive(Debug, Serialize)]
struct DayView {
    date: NaiveDate,
    stories: u32,
    highest: Option<Rung>,
    score: f64,
}

#[derive(Debug, Serialize)]
struct SignalView {
    date: NaiveDate,
    kind: &'static str,
    observed: u32,
    expected: f64,
}

/// `trends [--pair SOURCE>TARGET | --actor NAME] [--days N] [--json]`.
pub fn show(rt: &Runtime, pair: Option<&str>, actor: Option<&str>, days: u32, json: bool) -> Exit {
    let wanted = match pair.map(|p| p.split_once('>').map(|(s, t)| (s.trim(), t.trim()))) {
        Some(None) => {
            eprintln!(
                "--pair {:?}: write it as SOURCE>TARGET, e.g. \"Pakistan>Afghanistan\"",
                pair.unwrap_or("")
            );
            return Exit::Usage;
        }
        Some(Some(p)) => Some(p),
        None => None,
    };
    let last = Utc::now().date_naive();
    let first = last - TimeDelta::days(i64::from(days) - 1);
    with_store(rt, |store| {
        let mut index = if actor.is_some() { Index::new() } else { Index::pairs_only() };
        // All of it: the detector needs each pair's history from its first story.
        let parts = store.trend_parts(None)?;
        if parts.is_empty() {
            eprintln!(
                "the trend index is empty: `flashpoint trends --rebuild` fills it from the stored alerts"
            );
        }
        for part in &parts {
            index.add(&part.as_story())?;
        }
        let detector = Detector::default();
        let mut shown = 0;
        let keyed: Vec<(Key<'_>, &Series)> = match actor {
            Some(name) => index.actor(name).map(|series| (Key::Actor(name), series)).into_iter().collect(),
            None => index
                .pairs()
                .into_iter()
                .filter(|(s, t, _)| wanted.is_none_or(|w| w == (*s, *t)))
                .map(|(s, t, series)| (Key::Pair(s, t), series))
                .collect(),
        };
        for (key, series) in keyed {
            let view = pair_view(key, series, &detector.scan(series), first, last);
            if view.days.iter().all(|d| d.stories == 0) && view.signals.is_empty() {
                continue;
            }
            shown += 1;
            if json {
                outln!("{}", serde_json::to_string(&view)?);
            } else {
                out!("{}", pair_text(&view));
            }
        }
        if shown == 0 && !json {
            let which = pair.or(actor).map(|p| format!(" for {p}")).unwrap_or_default();
            outln!("no stories in the last {days} days{which}");
        }
        Ok(())
    })
}

/// Whose series: a pair's, or an actor's alone.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Pair(&'a str, &'a str),
    Actor(&'a str),
}

/// The days `first..=last` of a series and the signals among them.
fn pair_view<'a>(
    key: Key<'a>,
    series: &Series,
    signals: &[Signal],
    first: NaiveDate,
    last: NaiveDate,
) -> PairView<'a> {
    let days = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let day = usize::try_from((date - series.first).num_days()).ok().and_then(|i| series.days.get(i));
            let day = day.copied().unwrap_or_default();
            DayView { date, stories: day.stories(), highest: day.highest(), score: day.score }
        })
        .collect();
    let signals = signals
        .iter()
        .filter(|s| (first..=last).contains(&s.date))
        .map(|s| SignalView {
            date: s.date,
            kind: s.kind.as_str(),
            observed: s.observed,
            expected: thousandths(s.expected),
        })
        .collect();
    let history_days = usize::try_from((last - series.first).num_days() + 1).unwrap_or(0);
    let (actor, source, target) = match key {
        Key::Pair(s, t) => (None, Some(s), Some(t)),
        Key::Actor(a) => (Some(a), None, None),
    };
    PairView { actor, source, target, history_days, days, signals }
}

/// A pair's block of text: the sparkline of stories a day, the totals, each signal.
fn pair_text(view: &PairView<'_>) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let most = view.days.iter().map(|d| d.stories).max().unwrap_or(0).max(1);
    let spark: String = view
        .days
        .iter()
        .map(|d| BARS[usize::try_from((d.stories * 7).div_ceil(most)).unwrap_or(7).min(7)])
        .collect();
    let stories: u32 = view.days.iter().map(|d| d.stories).sum();
    let highest = view.days.iter().filter_map(|d| d.highest).max_by_key(|r| r.level());
    let score: f64 = view.days.iter().map(|d| d.score).sum();
    let label = match (view.actor, view.source, view.target) {
        (Some(actor), ..) => format!("{actor} (every pair)"),
        (None, source, target) => format!("{}>{}", source.unwrap_or("?"), target.unwrap_or("?")),
    };
    let mut text = format!("{label}  {spark}  {stories} stories");
    if let Some(rung) = highest {
        let _ = write!(text, ", highest {rung}");
    }
    let _ = writeln!(text, ", score {score:.1}");
    if view.history_days < Detector::default().settings().min_history_days {
        let _ =
            writeln!(text, "  insufficient history: {} days, too few to judge a spike", view.history_days);
    }
    for s in &view.signals {
        let _ = if s.kind == SignalKind::Spike.as_str() {
            writeln!(text, "  {}  spike     {} stories, {:.1} expected", s.date, s.observed, s.expected)
        } else {
            writeln!(text, "  {}  level_up  reached level {}, up from {}", s.date, s.observed, s.expected)
        };
    }
    text
}
