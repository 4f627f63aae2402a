//! The trend commands: `trends --replay FILE` builds the daily index of a JSONL file of stories
//! and runs the spike and level-up detector over every pair, without a database, printing the
//! signals as JSON lines.

use std::borrow::Cow;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Exit;
use crate::trends::{Detector, Index, SignalKind, Story, parse_date, parse_rung};

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
            expected: (s.expected * 1000.0).round() / 1000.0,
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
    let mut index = Index::new();
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
