//! The one-shot commands behind the CLI (`check-config`, `score`): each returns what it prints,
//! so tests call the same code the binary does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use url::Url;

use crate::config::Runtime;
use crate::extract::{Article, Extractor};

/// The page address assumed when none is given: no site rule matches it.
static NO_URL: std::sync::LazyLock<Url> =
    std::sync::LazyLock::new(|| Url::parse("http://article.invalid/").expect("static URL"));
use crate::score::Scored;

/// The summary `check-config` prints for a good config.
#[must_use]
pub fn config_summary(rt: &Runtime) -> String {
    format!(
        "config OK: {} feeds, {} terms, {} webhooks, database {}",
        rt.feeds.len(),
        rt.scorer.term_count(),
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

/// The human report of `score`: verdict, then each matched term with weight, count and sentence.
#[must_use]
pub fn score_report(rt: &Runtime, scored: &Scored) -> String {
    let levels = rt.scorer.levels();
    let mut out = String::new();
    match rt.scorer.severity(scored.score) {
        Some(level) => {
            let _ = writeln!(
                out,
                "score {:.2}: alert, severity {level} (threshold {:.2})",
                scored.score, levels.threshold
            );
        }
        None => {
            let _ = writeln!(out, "score {:.2}: no alert (threshold {:.2})", scored.score, levels.threshold);
        }
    }
    for m in &scored.matches {
        let _ = writeln!(
            out,
            "  {:+7.2}  {:?} [{}] weight {:.2} × {}\n           {}",
            m.contribution, m.term, m.category, m.weight, m.count, m.snippet
        );
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
    }
}
