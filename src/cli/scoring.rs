//! The scoring commands: `score` (one article, or a JSONL file of them), `eval` (precision and
//! recall on labelled lines) and `rescore` (stored articles under the current rules).

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use url::Url;

use super::table::{counted, shorten};
use super::{Exit, NO_URL, since_arg, with_store};
use crate::config::Runtime;
use crate::score::{Match, Scored, Scorer};
use crate::store::Store;

/// `score FILE`: one article from a file or standard input (`-`), as a report or JSON.
pub fn score(rt: &Runtime, file: &Path, url: Option<&Url>, json: bool) -> Exit {
    let mut input = String::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut input).map(|_| ())
    } else {
        std::fs::read(file).map(|bytes| input = crate::extract::decode(&bytes, None))
    };
    if let Err(err) = read {
        eprintln!("cannot read {}: {err}", file.display());
        return Exit::Failure;
    }
    let scored = score_input(rt, &input, url);
    if json {
        outln!("{}", serde_json::to_string_pretty(&scored).expect("scores serialize"));
    } else {
        out!("{}", score_report(&rt.scorer, &scored));
    }
    Exit::Ok
}

/// `score --jsonl FILE`.
pub fn score_jsonl_file(rt: &Runtime, file: &Path) -> Exit {
    jsonl(file, |text| score_jsonl(&rt.scorer, text))
}

/// `eval FILE`.
pub fn eval(rt: &Runtime, file: &Path) -> Exit {
    jsonl(file, |text| evaluate(&rt.scorer, text))
}

/// Reads a JSONL file and prints what `run` makes of it.
fn jsonl(file: &Path, run: impl FnOnce(&str) -> Result<String, JsonlError>) -> Exit {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("cannot read {}: {err}", file.display());
            return Exit::Failure;
        }
    };
    match run(&text) {
        Ok(out) => {
            out!("{out}");
            Exit::Ok
        }
        Err(err) => {
            eprintln!("{}: {}", file.display(), crate::types::chain(&err));
            Exit::Failure
        }
    }
}

/// `rescore`, with a progress bar on a terminal.
pub fn rescore(rt: &Runtime, since: &str, apply: bool) -> Exit {
    use std::io::IsTerminal as _;
    let since = match since_arg(since) {
        Ok(since) => since,
        Err(exit) => return exit,
    };
    with_store(rt, |store| {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(0)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let tick = |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let routing = crate::notify::routing(&rt.webhooks, rt.stories.resolve_after);
        let report = rescore_articles(store, &rt.scorer, &routing, since, apply, &tick)?;
        bar.finish_and_clear();
        out!("{}", rescore_report(&report, apply));
        Ok(())
    })
}

/// Bytes of the start of an input looked at to tell HTML from text.
const HTML_SNIFF: usize = 256;

/// Whether `input` is an HTML document rather than plain text.
fn looks_like_html(input: &str) -> bool {
    let text = input.trim_start();
    // The last character boundary at or before the limit: cutting inside a multi-byte character
    // gave no head at all, and a page in Urdu or Russian was scored as plain text.
    let cut = (0..=HTML_SNIFF.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let head = text[..cut].to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with('<') && head.contains("<body")
}

/// Scores one article: HTML goes through the extractor first (site rules apply when `url` names
/// their host).
#[must_use]
pub fn score_input(rt: &Runtime, input: &str, url: Option<&Url>) -> Scored {
    let (title, body) = if looks_like_html(input) {
        let article = rt.extractor.extract(input, url.unwrap_or(&NO_URL), "");
        (article.title.unwrap_or_default(), article.body)
    } else {
        (String::new(), input.to_string())
    };
    rt.scorer.score(&title, &body)
}

/// The human report of `score`: verdict, actors, then each match with its weight, flags and
/// sentence.
#[must_use]
pub fn score_report(scorer: &Scorer, result: &Scored) -> String {
    let levels = scorer.levels();
    let mut out = String::new();
    let verdict = match (result.severity, &result.reason) {
        (Some(severity), _) => format!("alert, severity {severity}"),
        (None, Some(reason)) => format!("no alert: {reason}"),
        (None, None) => "no alert".to_string(),
    };
    let _ = writeln!(
        out,
        "score {:.2}: {verdict} (threshold {:.2}, rules {})",
        result.score,
        levels.threshold,
        scorer.rules_hash()
    );
    if let Some(e) = &result.event {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "?".into());
        let _ = writeln!(
            out,
            "  event: {} → {} ({}) → {}; level {} = {}; in the {:?}: {}",
            name(&e.source),
            e.act,
            e.rung.as_str(),
            name(&e.target),
            e.level,
            e.why.join(", "),
            e.place,
            e.sentence
        );
    }
    if !result.frames.is_empty() {
        let _ = writeln!(out, "  frames: {}", result.frames.join(", "));
    }
    if let Some(r) = &result.relevance {
        let top: Vec<String> = r.top.iter().map(|c| format!("{} {:+.2}", c.feature, c.weight)).collect();
        let _ = writeln!(out, "  relevance: {:.2} ({})", r.p, top.join(", "));
    }
    for pair in &result.actors {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "?".into());
        let _ = writeln!(out, "  actors: {} → {}", name(&pair.source), name(&pair.target));
    }
    out.push_str(&explain(&result.matches));
    out
}

/// One block per match: contribution, term, category, weight, flags, sentence.
fn explain(matches: &[Match]) -> String {
    let mut out = String::new();
    for m in matches {
        let mut flags = vec![format!("{:?}", m.place).to_lowercase()];
        if m.occurrence > 1 {
            flags.push(format!("repeat {}", m.occurrence));
        }
        flags.extend(m.flags.names().into_iter().map(String::from));
        let _ = writeln!(
            out,
            "  {:+7.2}  {:?} [{}] weight {:.2} ({})\n           {}",
            m.contribution,
            m.term,
            m.category,
            m.weight,
            flags.join(", "),
            m.sentence
        );
    }
    out
}

/// A line of a labelled or unlabelled JSONL file.
#[derive(Debug, serde::Deserialize)]
struct Line {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    text: String,
    #[serde(default)]
    label: Option<String>,
}

/// What `score --jsonl` prints per line: its id and the whole explanation, as `score --json`
/// prints it.
#[derive(Debug, serde::Serialize)]
struct Verdict<'a> {
    id: &'a serde_json::Value,
    #[serde(flatten)]
    scored: &'a Scored,
}

/// Why a JSONL file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("line {line}: not a {{\"id\", \"text\"}} object")]
    Line {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("line {line}: label {label:?} is neither \"escalation\" nor \"other\"")]
    Label { line: usize, label: String },
}

fn read_lines(input: &str) -> Result<Vec<Line>, JsonlError> {
    input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|source| JsonlError::Line { line: i + 1, source }))
        .collect()
}

/// `score --jsonl`: each `{"id","text"}` line (with its `title`, if it has one) scored as an
/// article, one line out: `{"id","score","alert","severity","matches",…}` with the event, the
/// frames, the reason it stays quiet and the relevance gate's verdict when there are any.
///
/// # Errors
/// [`JsonlError`] naming the first malformed line.
///
/// # Panics
/// Never: a verdict holds only strings, finite numbers and JSON read from the input.
pub fn score_jsonl(scorer: &Scorer, input: &str) -> Result<String, JsonlError> {
    let mut out = String::new();
    for line in read_lines(input)? {
        let result = scorer.score(&line.title, &line.text);
        let verdict = Verdict { id: &line.id, scored: &result };
        let _ = writeln!(out, "{}", serde_json::to_string(&verdict).expect("verdicts serialize"));
    }
    Ok(out)
}

/// `eval`: precision, recall and F1 of alerts against labelled lines (`escalation`/`other`), then
/// every false positive and false negative with the explanation of its score.
///
/// # Errors
/// [`JsonlError`] for a malformed line or an unknown label.
pub fn evaluate(scorer: &Scorer, input: &str) -> Result<String, JsonlError> {
    let lines = read_lines(input)?;
    let (mut tp, mut fp, mut fn_) = (0_u32, 0_u32, 0_u32);
    let mut false_pos = String::new();
    let mut false_neg = String::new();
    for (i, line) in lines.iter().enumerate() {
        let positive = match line.label.as_deref() {
            Some("escalation") => true,
            Some("other") => false,
            other => {
                return Err(JsonlError::Label { line: i + 1, label: other.unwrap_or_default().to_string() });
            }
        };
        let result = scorer.score("", &line.text);
        let alert = result.alert;
        let target = match (alert, positive) {
            (true, true) => {
                tp += 1;
                continue;
            }
            (false, false) => continue,
            (true, false) => {
                fp += 1;
                &mut false_pos
            }
            (false, true) => {
                fn_ += 1;
                &mut false_neg
            }
        };
        let id = match &line.id {
            serde_json::Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        let _ = writeln!(target, "{id} score {:.2}: {}", result.score, shorten(&line.text, 200));
        target.push_str(&explain(&result.matches));
    }
    let ratio = |a: u32, b: u32| if b == 0 { 0.0 } else { f64::from(a) / f64::from(b) };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    let mut out = format!(
        "precision {precision:.3}  recall {recall:.3}  F1 {f1:.3}  (n={}, tp={tp}, fp={fp}, fn={fn_}, rules {})\n",
        lines.len(),
        scorer.rules_hash()
    );
    let _ = write!(out, "\nfalse positives ({fp}):\n{false_pos}\nfalse negatives ({fn_}):\n{false_neg}");
    Ok(out)
}

/// A stored article that would now raise an alert.
#[derive(Debug)]
pub struct Gained {
    pub article: crate::store::StoredArticle,
    /// Its score under the current rules.
    pub scored: Scored,
    pub severity: crate::types::Severity,
}

/// A stored article whose alert the current rules would not raise.
#[derive(Debug)]
pub struct Lost {
    pub article: crate::store::StoredArticle,
    /// Its score under the current rules.
    pub scored: Scored,
}

/// What `rescore` found: stored articles whose alert the current rules would add or take away.
#[derive(Debug, Default)]
pub struct Rescore {
    pub scanned: usize,
    /// Articles without an alert that would now raise one.
    pub gained: Vec<Gained>,
    /// Articles with an alert that would now raise none.
    pub lost: Vec<Lost>,
    /// Alerts written by `--apply`.
    pub applied: usize,
    /// Articles whose bodies retention dropped: not scored again.
    pub pruned: usize,
}

/// Re-scores the articles stored since `since` with `scorer`; with `apply`, inserts the gained
/// alerts (and their outbox events, routed by `routing`) through the store. Lost alerts are only
/// listed. `tick` is called once per article.
///
/// # Errors
/// [`crate::store::StoreError`] from reading or writing.
pub fn rescore_articles(
    store: &Store,
    scorer: &Scorer,
    routing: &crate::store::Routing,
    since: DateTime<Utc>,
    apply: bool,
    tick: &dyn Fn(usize, usize),
) -> Result<Rescore, crate::store::StoreError> {
    // No body may be pruned while the articles are read and their alerts written.
    store.hold_pruning(true, Utc::now())?;
    let result = rescore_held(store, scorer, routing, since, apply, tick);
    store.hold_pruning(false, Utc::now())?;
    result
}

fn rescore_held(
    store: &Store,
    scorer: &Scorer,
    routing: &crate::store::Routing,
    since: DateTime<Utc>,
    apply: bool,
    tick: &dyn Fn(usize, usize),
) -> Result<Rescore, crate::store::StoreError> {
    let articles = store.articles_since(since)?;
    let mut report = Rescore { scanned: articles.len(), ..Rescore::default() };
    for (i, article) in articles.into_iter().enumerate() {
        tick(i + 1, report.scanned);
        if article.pruned {
            report.pruned += 1;
            continue;
        }
        let result = scorer.score(&article.title, &article.body);
        match (scorer.alert(&result), article.alert_id.is_some()) {
            (Some(alert), false) => {
                if apply
                    && store.add_alert(&article, result.score, &result.matches, &alert, routing)?.is_some()
                {
                    report.applied += 1;
                }
                report.gained.push(Gained { article, scored: result, severity: alert.severity });
            }
            (None, true) => report.lost.push(Lost { article, scored: result }),
            _ => {}
        }
    }
    Ok(report)
}

/// The text `rescore` prints.
#[must_use]
pub fn rescore_report(report: &Rescore, apply: bool) -> String {
    let mut out = format!(
        "{} re-scored: {} gained, {} lost\n",
        counted(report.scanned - report.pruned, "article", "articles"),
        counted(report.gained.len(), "alert", "alerts"),
        report.lost.len()
    );
    if report.pruned > 0 {
        let _ = writeln!(
            out,
            "{} not re-scored: retention dropped their bodies (storage.retention.bodies)",
            counted(report.pruned, "article", "articles")
        );
    }
    for Gained { article, scored, severity } in &report.gained {
        let _ = writeln!(
            out,
            "+ {severity:<6} {:>6.2} (was {:.2})  {}  {}",
            scored.score,
            article.score,
            shorten(&article.title, 70),
            article.url
        );
    }
    for Lost { article, scored } in &report.lost {
        let _ = writeln!(
            out,
            "- {:<6} {:>6.2} (was {:.2})  {}  {}",
            "",
            scored.score,
            article.score,
            shorten(&article.title, 70),
            article.url
        );
    }
    if apply {
        let _ = writeln!(out, "{} written; lost alerts are kept", counted(report.applied, "alert", "alerts"));
    } else if !report.gained.is_empty() {
        out.push_str("nothing written; run again with --apply to raise the gained alerts\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_detection() {
        let cases = [
            ("<!DOCTYPE html><html><body>x</body></html>", true),
            ("  <html lang=en>", true),
            ("<div><body>", true),
            ("Plain text <b>with</b> a tag", false),
            ("", false),
        ];
        for (input, want) in cases {
            assert_eq!(looks_like_html(input), want, "{input}");
        }
        // Issue 20: byte 256 inside a two-byte letter made the page plain text.
        let urdu = format!("<html>x{}", "ی".repeat(200));
        assert!(!urdu.is_char_boundary(256));
        assert!(looks_like_html(&urdu), "a page in Urdu is HTML");
        assert!(looks_like_html(&format!("<p>{}<body>", "é".repeat(100))), "a tag before the cut counts");
    }
}
