//! The one-shot commands behind the CLI (`check-config`, `score`): each returns what it prints,
//! so tests call the same code the binary does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::Runtime;
use crate::extract::{Article, Extractor};
use crate::feed::health::FeedHealth;
use crate::fetch::{FeedResponse, FetchError, Fetcher};
use crate::store::{Alert, Delivery};
use crate::types::Validators;

/// The page address assumed when none is given: no site rule matches it.
static NO_URL: std::sync::LazyLock<Url> =
    std::sync::LazyLock::new(|| Url::parse("http://article.invalid/").expect("static URL"));
use crate::score::{Match, Scored, Scorer};

/// The summary `check-config` prints for a good config.
#[must_use]
pub fn config_summary(rt: &Runtime) -> String {
    format!(
        "config OK: {} feeds, {} terms (rules {}), {} webhooks, database {}",
        rt.feeds.len(),
        rt.scorer.term_count(),
        rt.scorer.rules_hash(),
        rt.webhooks.len(),
        rt.storage_path.display()
    )
}

/// Extracts one saved page; `url` (the page's address) lets the site rule for its host apply.
///
/// # Errors
/// The file cannot be read.
pub fn extract_file(extractor: &Extractor, path: &Path, url: Option<&Url>) -> std::io::Result<Article> {
    let bytes = std::fs::read(path)?;
    let html = crate::extract::decode(&bytes, None);
    Ok(extractor.extract(&html, url.unwrap_or(&NO_URL), ""))
}

/// Extracts many saved pages into `out_dir/<file stem>.txt`, spread over every core; returns
/// the failures (path and error), if any.
///
/// # Errors
/// `out_dir` cannot be created.
pub fn extract_many(
    extractor: &Extractor,
    files: &[PathBuf],
    out_dir: &Path,
) -> std::io::Result<Vec<(PathBuf, String)>> {
    std::fs::create_dir_all(out_dir)?;
    let workers =
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let stem = path
                        .file_stem()
                        .map_or_else(|| format!("page{i}"), |s| s.to_string_lossy().into_owned());
                    let result = extract_file(extractor, path, None).and_then(|article| {
                        std::fs::write(out_dir.join(format!("{stem}.txt")), article.body)
                    });
                    if let Err(err) = result {
                        failures
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((path.clone(), err.to_string()));
                    }
                }
            });
        }
    });
    Ok(failures.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// Reads `--since`: a duration back from `now` (`24h`, `7d`) or an RFC 3339 time.
///
/// # Errors
/// A message saying what was expected.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = humantime::parse_duration(text) {
        return chrono::TimeDelta::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{text:?} is too long ago"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is neither a duration (24h, 7d) nor an RFC 3339 time"))
}

/// Aligned plain-text columns.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// The `alerts` table.
#[must_use]
pub fn alerts_table(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "no alerts\n".to_string();
    }
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                a.created_at.clone(),
                a.severity.clone(),
                format!("{:.2}", a.score),
                a.feed.clone(),
                shorten(&a.title, 70),
                a.article_url.clone(),
                a.id.clone(),
            ]
        })
        .collect();
    table(&["CREATED", "SEVERITY", "SCORE", "FEED", "TITLE", "URL", "ID"], &rows)
}

/// The `deliveries` table.
#[must_use]
pub fn deliveries_table(deliveries: &[Delivery]) -> String {
    if deliveries.is_empty() {
        return "no deliveries pending or dead-lettered\n".to_string();
    }
    let rows: Vec<Vec<String>> = deliveries
        .iter()
        .map(|d| {
            vec![
                d.alert_id.clone(),
                d.webhook.clone(),
                d.state.clone(),
                d.attempts.to_string(),
                if d.state == "pending" { d.next_attempt_at.clone() } else { "-".into() },
                d.last_error.clone().unwrap_or_else(|| "-".into()),
                shorten(&d.title, 50),
            ]
        })
        .collect();
    table(&["ALERT", "WEBHOOK", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR", "TITLE"], &rows)
}

/// The `feeds` table.
#[must_use]
pub fn feeds_table(feeds: &[FeedHealth]) -> String {
    let rows: Vec<Vec<String>> = feeds
        .iter()
        .map(|f| {
            let status = if !f.flags.is_empty() {
                f.flags.iter().map(|flag| flag.as_str()).collect::<Vec<_>>().join(",")
            } else if f.last_success_at.is_none() {
                "never polled".into()
            } else {
                "ok".into()
            };
            vec![
                f.name.clone(),
                status,
                f.last_success_at.clone().unwrap_or_else(|| "-".into()),
                f.consecutive_failures.to_string(),
                f.items_24h.to_string(),
                f.mean_body_chars.map_or_else(|| "-".into(), |n| n.to_string()),
                f.page_errors.to_string(),
                f.last_error.as_deref().map_or_else(|| "-".into(), |e| shorten(e, 80)),
            ]
        })
        .collect();
    table(
        &[
            "FEED",
            "STATUS",
            "LAST SUCCESS",
            "FAILURES",
            "24H ITEMS",
            "MEAN BODY",
            "PAGE ERRORS",
            "LAST ERROR",
        ],
        &rows,
    )
}

/// Why `feed-test` could not show a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedTestError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot fetch the feed")]
    Fetch(#[from] FetchError),
    #[error("cannot parse the feed")]
    Parse(#[from] crate::feed::parse::ParseError),
}

/// What the daemon would see of one feed: each item's title, canonical link and date, and for the
/// first item the extracted body length and the method used. `target` is a URL (fetched, and its
/// first item's page too) or a file (its first item's page only with `fetch_page`).
///
/// # Errors
/// [`FeedTestError`] when the feed cannot be read, fetched or parsed.
pub async fn feed_test(rt: &Runtime, target: &str, fetch_page: bool) -> Result<String, FeedTestError> {
    let fetcher = Fetcher::new(&rt.fetch)?;
    let as_url = Url::parse(target).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    let (bytes, base, fetch_page) = if let Some(url) = &as_url {
        // No validators: a conditional answer would show nothing.
        let body = match fetcher.feed(url, &Validators::default()).await? {
            FeedResponse::Fetched { body, .. } => body,
            // A server answering 304 to an unconditional GET gives nothing to parse.
            FeedResponse::NotModified { .. } => Vec::new(),
        };
        (body, url.clone(), true)
    } else {
        let bytes = std::fs::read(target)
            .map_err(|source| FeedTestError::Read { path: target.to_string(), source })?;
        let base = std::path::absolute(target)
            .ok()
            .and_then(|p| Url::from_file_path(p).ok())
            .unwrap_or_else(|| NO_URL.clone());
        (bytes, base, fetch_page)
    };
    let parsed = crate::feed::parse::parse(&bytes, &base)?;
    let mut out = String::new();
    let ttl = parsed.ttl.map_or_else(String::new, |t| format!(", ttl {}", humantime::format_duration(t)));
    let _ = writeln!(out, "{}: {} items{ttl}", target, parsed.entries.len());
    for e in &parsed.entries {
        let key = rt.canon.item_key(e.link.as_ref(), &e.guid);
        let date = e.published.map_or_else(|| "(no date)".to_string(), |d| d.to_rfc3339());
        let _ = writeln!(
            out,
            "- {}
  {key}
  {date}",
            if e.title.is_empty() { "(no title)" } else { &e.title }
        );
    }
    if let Some(first) = parsed.entries.first() {
        let feed_text = crate::extract::html_to_text(&first.html);
        let article = match (&first.link, fetch_page) {
            (Some(link), true) => match fetcher.page(link).await {
                Ok(page) => {
                    let html = crate::extract::decode(&page.body, page.content_type.as_deref());
                    let article = rt.extractor.extract(&html, &page.final_url, &feed_text);
                    Some(article)
                }
                Err(err) => {
                    let _ = writeln!(
                        out,
                        "first item: page not fetched ({}); the feed's text would be used",
                        crate::types::chain(&err)
                    );
                    None
                }
            },
            _ => None,
        };
        let (chars, method) = article.map_or_else(
            || (feed_text.chars().count(), crate::extract::Method::Feed),
            |a| (a.body.chars().count(), a.method),
        );
        let _ = writeln!(out, "first item: {chars} characters of body, by {}", method.describe());
    }
    Ok(out)
}

/// What `flashpoint status` shows: the state of the service at a glance, from the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub feeds: usize,
    pub feeds_healthy: usize,
    pub feeds_failing: usize,
    pub feeds_flagged: usize,
    pub articles_24h: usize,
    pub alerts_24h: usize,
    pub deliveries_pending: usize,
    pub deliveries_dead: usize,
    pub inbox: usize,
    /// Hash of the scoring rules in the config (stamped on the alerts they raise).
    pub rules_hash: String,
}

/// Gathers [`Status`].
///
/// # Errors
/// The store's.
pub fn status(
    rt: &Runtime,
    store: &crate::store::Store,
    now: DateTime<Utc>,
) -> Result<Status, crate::store::StoreError> {
    use crate::feed::health::Flag;
    let report = crate::feed::health::report(store, &rt.feeds, now)?;
    let crate::store::Stored { articles: articles_24h, alerts: alerts_24h } =
        store.stored_since(now - chrono::TimeDelta::hours(24))?;
    let crate::store::Backlog { pending: deliveries_pending, dead: deliveries_dead, inbox } =
        store.backlog()?;
    Ok(Status {
        feeds: report.len(),
        feeds_healthy: report.iter().filter(|f| f.flags.is_empty() && f.last_success_at.is_some()).count(),
        feeds_failing: report.iter().filter(|f| f.flags.contains(&Flag::Failing)).count(),
        feeds_flagged: report.iter().filter(|f| f.flags.iter().any(|flag| *flag != Flag::Failing)).count(),
        articles_24h,
        alerts_24h,
        deliveries_pending,
        deliveries_dead,
        inbox,
        rules_hash: rt.scorer.rules_hash().to_string(),
    })
}

/// `flashpoint status` for people.
#[must_use]
pub fn status_report(s: &Status) -> String {
    format!(
        "feeds:       {} watched, {} healthy, {} failing, {} silent or shrinking\n\
         last 24 h:   {} articles, {} alerts\n\
         deliveries:  {} pending, {} dead-lettered\n\
         inbox:       {} items waiting\n\
         rules:       {}\n",
        s.feeds,
        s.feeds_healthy,
        s.feeds_failing,
        s.feeds_flagged,
        s.articles_24h,
        s.alerts_24h,
        s.deliveries_pending,
        s.deliveries_dead,
        s.inbox,
        s.rules_hash
    )
}

/// Whether `input` is an HTML document rather than plain text.
fn looks_like_html(input: &str) -> bool {
    let head =
        input.trim_start().get(..256.min(input.trim_start().len())).unwrap_or_default().to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with('<') && head.contains("<body")
}

/// Scores one article: HTML goes through the extractor first (site rules apply when `url` names
/// their host). Returns the title and body scored, and the result.
#[must_use]
pub fn score_input(rt: &Runtime, input: &str, url: Option<&Url>) -> (String, String, Scored) {
    let (title, body) = if looks_like_html(input) {
        let article = rt.extractor.extract(input, url.unwrap_or(&NO_URL), "");
        (article.title.unwrap_or_default(), article.body)
    } else {
        (String::new(), input.to_string())
    };
    let scored = rt.scorer.score(&title, &body);
    (title, body, scored)
}

/// The human report of `score`: verdict, actors, then each match with its weight, flags and
/// sentence.
#[must_use]
pub fn score_report(scorer: &Scorer, result: &Scored) -> String {
    let levels = scorer.levels();
    let mut out = String::new();
    match scorer.severity(result.score) {
        Some(level) => {
            let _ = writeln!(
                out,
                "score {:.2}: alert, severity {level} (threshold {:.2}, rules {})",
                result.score,
                levels.threshold,
                scorer.rules_hash()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "score {:.2}: no alert (threshold {:.2}, rules {})",
                result.score,
                levels.threshold,
                scorer.rules_hash()
            );
        }
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
    text: String,
    #[serde(default)]
    label: Option<String>,
}

/// What `score --jsonl` prints per line.
#[derive(Debug, serde::Serialize)]
struct Verdict<'a> {
    id: &'a serde_json::Value,
    score: f64,
    alert: bool,
    severity: Option<crate::types::Severity>,
    matches: &'a [Match],
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

/// `score --jsonl`: each `{"id","text"}` line scored as a short article (no title), one
/// `{"id","score","alert","severity","matches"}` line out.
///
/// # Errors
/// [`JsonlError`] naming the first malformed line.
///
/// # Panics
/// Never: a verdict holds only strings, finite numbers and JSON read from the input.
pub fn score_jsonl(scorer: &Scorer, input: &str) -> Result<String, JsonlError> {
    let mut out = String::new();
    for line in read_lines(input)? {
        let result = scorer.score("", &line.text);
        let severity = scorer.severity(result.score);
        let verdict = Verdict {
            id: &line.id,
            score: result.score,
            alert: severity.is_some(),
            severity,
            matches: &result.matches,
        };
        let _ = writeln!(out, "{}", serde_json::to_string(&verdict).expect("verdicts serialize"));
    }
    Ok(out)
}

/// `eval`: precision, recall and F1 of alerts against labelled lines (`escalation`/`other`), then
/// every false positive and false negative with the explanation of its score.
///
/// # Errors
/// [`JsonlError`] for a malformed line or an unknown label.
pub fn eval(scorer: &Scorer, input: &str) -> Result<String, JsonlError> {
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
        let alert = scorer.severity(result.score).is_some();
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
}

/// Re-scores the articles stored since `since` with `scorer`; with `apply`, inserts the gained
/// alerts (and their outbox rows, routed by `hooks`) through the store. Lost alerts are only
/// listed. `tick` is called once per article.
///
/// # Errors
/// [`crate::store::StoreError`] from reading or writing.
pub fn rescore(
    store: &crate::store::Store,
    scorer: &Scorer,
    hooks: &[crate::notify::Webhook],
    since: DateTime<Utc>,
    apply: bool,
    tick: &dyn Fn(usize, usize),
) -> Result<Rescore, crate::store::StoreError> {
    let articles = store.articles_since(since)?;
    let mut report = Rescore { scanned: articles.len(), ..Rescore::default() };
    for (i, article) in articles.into_iter().enumerate() {
        tick(i + 1, report.scanned);
        let result = scorer.score(&article.title, &article.body);
        match (scorer.alert(&result), article.alert_id.is_some()) {
            (Some(alert), false) => {
                if apply {
                    let targets = crate::notify::route(hooks, alert.severity, &article.feed);
                    if store.add_alert(&article, result.score, &result.matches, &alert, &targets)?.is_some() {
                        report.applied += 1;
                    }
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
        "{} articles re-scored: {} alerts gained, {} lost\n",
        report.scanned,
        report.gained.len(),
        report.lost.len()
    );
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
        let _ = writeln!(out, "{} alerts written; lost alerts are kept", report.applied);
    } else if !report.gained.is_empty() {
        out.push_str("nothing written; run again with --apply to raise the gained alerts\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").expect("time").with_timezone(&Utc);
        let cases = [
            ("24h", Some("2026-11-27T12:00:00+00:00")),
            ("7d", Some("2026-11-21T12:00:00+00:00")),
            ("2026-11-01T00:00:00Z", Some("2026-11-01T00:00:00+00:00")),
            ("yesterday", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_since(text, now).ok().map(|t| t.to_rfc3339()),
                want.map(str::to_string),
                "{text}"
            );
        }
    }

    #[test]
    fn tables_align() {
        let t = table(&["A", "BB"], &[vec!["xxx".into(), "y".into()], vec!["z".into(), "ww".into()]]);
        assert_eq!(t, "A    BB\nxxx  y\nz    ww\n");
    }

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
    }
}
