//! Labelled articles: the JSONL reader and the title rule.
//!
//! One record a line: `{"id", "text", "label"}` with an optional `"title"`; other fields are
//! ignored and blank lines skipped. Labels `escalation` and `conflict` mean the article is
//! relevant (about armed conflict, political violence or security); `other` means it is not.
//!
//! Without a `"title"`, the text's first sentence acts as the title: everything up to the first
//! `.`, `!` or `?` followed by white space, or up to the first blank line, if that comes within
//! [`LEAD_CHARS`] characters; otherwise the title is empty. The lead sentence also stays in the
//! body, as it does in a fetched article, whose extracted text usually repeats the headline.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::RelevanceError;

/// The longest first sentence taken as a title, in characters.
pub const LEAD_CHARS: usize = 300;

/// One labelled article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The record's id, as text (numbers are accepted and printed).
    pub id: String,
    pub title: String,
    pub body: String,
    /// True for conflict (`escalation` / `conflict`), false for `other`.
    pub label: bool,
}

#[derive(Deserialize)]
struct Record {
    id: serde_json::Value,
    text: String,
    label: String,
    #[serde(default)]
    title: Option<String>,
}

/// Reads a labelled JSONL file.
///
/// # Errors
/// [`RelevanceError::Read`] when the file cannot be read, [`RelevanceError::Record`] for a line
/// that is not a record, [`RelevanceError::Label`] for an unknown label.
pub fn read_jsonl(path: &Path) -> Result<Vec<Example>, RelevanceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| RelevanceError::Read { path: path.to_path_buf(), source })?;
    parse_jsonl(&text, path)
}

/// Parses labelled JSONL text; `path` only names the source in errors.
///
/// # Errors
/// As [`read_jsonl`], less the read error.
pub fn parse_jsonl(text: &str, path: &Path) -> Result<Vec<Example>, RelevanceError> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |line| (PathBuf::from(path), line);
        let record: Record = serde_json::from_str(line).map_err(|source| {
            let (path, line) = at(index + 1);
            RelevanceError::Record { path, line, source }
        })?;
        let label = match record.label.as_str() {
            "escalation" | "conflict" => true,
            "other" => false,
            _ => {
                let (path, line) = at(index + 1);
                return Err(RelevanceError::Label { path, line, label: record.label });
            }
        };
        let id = match record.id {
            serde_json::Value::String(id) => id,
            other => other.to_string(),
        };
        let title = record.title.unwrap_or_else(|| lead_sentence(&record.text).to_owned());
        out.push(Example { id, title, body: record.text, label });
    }
    Ok(out)
}

/// The first sentence of `text` when it ends within [`LEAD_CHARS`] characters, else `""`.
#[must_use]
pub fn lead_sentence(text: &str) -> &str {
    let text = text.trim_start();
    let mut chars = text.char_indices().take(LEAD_CHARS).peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let ends_sentence = matches!(c, '.' | '!' | '?')
            && next.is_none_or(char::is_whitespace)
            && !(c == '.' && abbreviation(&text[..i]));
        let blank_line = c == '\n' && text[i + 1..].trim_start_matches([' ', '\t', '\r']).starts_with('\n');
        if ends_sentence || blank_line {
            return text[..i + c.len_utf8()].trim_end();
        }
    }
    if text.chars().count() <= LEAD_CHARS { text.trim_end() } else { "" }
}

/// Whether the word ending `before` is an initial or dotted abbreviation (`J`, `U.S`), whose
/// full stop does not end a sentence.
fn abbreviation(before: &str) -> bool {
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    word.chars().count() <= 1 || word.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_sentence_cases() {
        let long = "word ".repeat(100);
        let cases: &[(&str, &str)] = &[
            ("Troops cross the border. Shelling follows.", "Troops cross the border."),
            ("  Why war? Because.", "Why war?"),
            ("Headline\n\nBody text. More.", "Headline"),
            ("U.S. forces move. Then stop.", "U.S. forces move."),
            ("Dr J. Smith spoke. Then.", "Dr J. Smith spoke."),
            ("A short text without a stop", "A short text without a stop"),
            (&long, ""),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(lead_sentence(text), *want, "{text:?}");
        }
    }

    #[test]
    fn parses_records_labels_and_titles() {
        let text = concat!(
            r#"{"id": "a", "text": "Rebels attack. More.", "label": "escalation", "codes": ["x"]}"#,
            "\n\n",
            r#"{"id": 7, "text": "Match report.", "label": "other", "title": "Cup final"}"#,
            "\n",
            r#"{"id": "c", "text": "x", "label": "conflict"}"#,
        );
        let got = parse_jsonl(text, Path::new("t.jsonl")).unwrap();
        let brief: Vec<_> = got.iter().map(|e| (e.id.as_str(), e.title.as_str(), e.label)).collect();
        assert_eq!(brief, [("a", "Rebels attack.", true), ("7", "Cup final", false), ("c", "x", true)]);
        assert_eq!(got[0].body, "Rebels attack. More.");
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let cases: &[(&str, &str)] = &[
            ("{\"id\":1,\"text\":\"x\",\"label\":\"war\"}", "t.jsonl:1: label \"war\" is none of"),
            ("\n{\"id\":1}", "t.jsonl:2: not a labelled record"),
            ("not json", "t.jsonl:1: not a labelled record"),
        ];
        for (text, want) in cases {
            let err = parse_jsonl(text, Path::new("t.jsonl")).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }
}
