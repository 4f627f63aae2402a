//! The story commands: `stories` lists recent stories, `story ID` shows one with its timeline
//! and its alert's events, and `stories --replay FILE` runs the daemon's clustering over a JSONL
//! file of articles, with each article's publication time as the clock, and prints where each
//! went.

use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use serde::Deserialize;

use super::table::{stories_table, story_report};
use super::{Exit, print_rows, since_arg, with_store};
use crate::config::Runtime;
use crate::story::{Article, Clusterer, Settings, outlet_of, parse_time};

/// One input line; other fields (a gold `story`, an `outlet`) are ignored.
#[derive(Debug, Deserialize)]
struct Line {
    /// Kept as written (string or number) and printed back the same.
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    published: String,
    #[serde(default)]
    url: String,
}

/// `stories`: recent stories, latest first.
pub fn list(rt: &Runtime, since: &str, all: bool, limit: usize, json: bool) -> Exit {
    let since = match since_arg(since) {
        Ok(since) => since,
        Err(exit) => return exit,
    };
    with_store(rt, |store| print_rows(&store.stories(since, !all, limit)?, json, stories_table))
}

/// `story ID`: one story's timeline and its alert's events.
pub fn show(rt: &Runtime, id: &str, json: bool) -> Exit {
    with_store(rt, |store| {
        let Some((story, articles)) = store.story(id)? else {
            anyhow::bail!("no story {id}; `flashpoint stories --all` lists them");
        };
        let events = store.alert_deliveries(id)?;
        if json {
            let doc = serde_json::json!({ "story": story, "articles": articles, "events": events });
            outln!("{}", serde_json::to_string(&doc)?);
        } else {
            out!("{}", story_report(&story, &articles, &events));
        }
        Ok(())
    })
}

/// `stories --replay FILE`.
pub fn replay(rt: &Runtime, file: &Path) -> Exit {
    eprintln!("replaying {} through story clustering; no database is used", file.display());
    match replay_file(&rt.stories, file) {
        Ok(()) => Exit::Ok,
        Err(err) => {
            eprintln!("{}: {err:#}", file.display());
            Exit::Failure
        }
    }
}

fn replay_file(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let input = BufReader::new(std::fs::File::open(file)?);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut clusterer = Clusterer::new(settings.clone());
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let at_line = |e: &dyn std::fmt::Display| anyhow::anyhow!("line {}: {e}", n + 1);
        let row: Line = serde_json::from_str(&line).map_err(|e| at_line(&e))?;
        let at = parse_time(&row.published).map_err(|e| at_line(&e))?;
        let key = match &row.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let outlet = outlet_of(&row.url);
        let article =
            Article { key: &key, title: &row.title, body: &row.text, outlet: &outlet, at, names: &[] };
        let placed = clusterer.add(&article);
        serde_json::to_writer(&mut out, &serde_json::json!({ "id": row.id, "story": placed.story }))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    #[expect(clippy::cast_precision_loss, reason = "a size in MB to one decimal")]
    let mb = clusterer.bytes() as f64 / f64::from(1 << 20);
    eprintln!("the window holds {} stories, about {mb:.1} MB", clusterer.len());
    Ok(())
}
