//! The one-shot commands behind the CLI (`check-config`, `score`): each returns what it prints,
//! so tests call the same code the binary does.

use std::fmt::Write as _;

use url::Url;

use crate::config::Runtime;
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
///
/// # Panics
/// Never: the fallback URL is a constant.
#[must_use]
pub fn score_input(rt: &Runtime, input: &str, url: Option<&Url>) -> (String, String, Scored) {
    let (title, body) = if looks_like_html(input) {
        let fallback = Url::parse("http://article.invalid/").expect("static URL");
        let article = rt.extractor.extract(input, url.unwrap_or(&fallback), "");
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
