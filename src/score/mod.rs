//! Escalation scoring (pure): compiled terms → score with an explanation per matched term.
//!
//! Text is normalised (case-folded, quotes, dashes and whitespace unified), split into sentences,
//! and searched for every term at once with aho-corasick. A match counts only on word boundaries,
//! so "strike" never matches inside "airstrikes". Repeats of one term give diminishing returns:
//! the n-th occurrence adds `weight / 2^(n-1)`, so a term can at most double its weight.

use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

/// Longest snippet kept per match, in characters.
const SNIPPET_CHARS: usize = 300;

/// One lexicon entry, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub phrase: String,
    pub weight: f64,
    pub category: String,
}

/// Score levels: at or above `threshold` an alert is raised; `medium` and `high` grade it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Severity {
    pub threshold: f64,
    pub medium: f64,
    pub high: f64,
}

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    /// Parses `low`, `medium` or `high`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a lexicon could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("cannot build the term matcher")]
    Build(#[source] aho_corasick::BuildError),
}

/// One matched term with the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Match {
    pub term: String,
    pub category: String,
    pub weight: f64,
    /// Occurrences in title and body.
    pub count: u32,
    /// Points this term added to the score.
    pub contribution: f64,
    /// The first sentence it matched in.
    pub snippet: String,
}

/// The score of one article and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub score: f64,
    /// Highest contribution first.
    pub matches: Vec<Match>,
}

/// The compiled lexicon.
#[derive(Debug, Clone)]
pub struct Scorer {
    terms: Vec<Term>,
    /// `None` for an empty lexicon: nothing can match.
    matcher: Option<AhoCorasick>,
    severity: Severity,
}

impl Scorer {
    /// Compiles `terms` into one automaton.
    ///
    /// # Errors
    /// [`ScoreError::Build`] when the automaton cannot be built (far too many terms).
    pub fn new(terms: Vec<Term>, severity: Severity) -> Result<Self, ScoreError> {
        let matcher = if terms.is_empty() {
            None
        } else {
            let patterns: Vec<String> = terms.iter().map(|t| normalize(&t.phrase)).collect();
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(ScoreError::Build)?,
            )
        };
        Ok(Self { terms, matcher, severity })
    }

    /// The configured levels.
    #[must_use]
    pub fn levels(&self) -> Severity {
        self.severity
    }

    /// Number of terms in the lexicon.
    #[must_use]
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The alert level of a score, `None` below the threshold.
    #[must_use]
    pub fn severity(&self, score: f64) -> Option<Level> {
        let s = self.severity;
        if score >= s.high {
            Some(Level::High)
        } else if score >= s.medium {
            Some(Level::Medium)
        } else if score >= s.threshold {
            Some(Level::Low)
        } else {
            None
        }
    }

    /// Scores an article's title and body.
    #[must_use]
    pub fn score(&self, title: &str, body: &str) -> Scored {
        let Some(automaton) = &self.matcher else { return Scored { score: 0.0, matches: Vec::new() } };
        // Per term: occurrences and the first sentence seen.
        let mut hits: Vec<(u32, Option<&str>)> = vec![(0, None); self.terms.len()];
        for sentence in std::iter::once(title).chain(sentences(body)) {
            let folded = normalize(sentence);
            for term in find_terms(automaton, &folded) {
                let hit = &mut hits[term];
                hit.0 += 1;
                hit.1.get_or_insert(sentence);
            }
        }
        let mut matches: Vec<Match> = hits
            .into_iter()
            .enumerate()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(i, (count, sentence))| {
                let term = &self.terms[i];
                Match {
                    term: term.phrase.clone(),
                    category: term.category.clone(),
                    weight: term.weight,
                    count,
                    contribution: round2(term.weight * repeat_factor(count)),
                    snippet: snippet(sentence.unwrap_or_default()),
                }
            })
            .collect();
        matches.sort_by(|a, b| b.contribution.total_cmp(&a.contribution).then_with(|| a.term.cmp(&b.term)));
        let score = round2(matches.iter().map(|m| m.contribution).sum());
        Scored { score, matches }
    }
}

/// `1 + 1/2 + 1/4 + …` for `count` terms: repeats add less and less.
fn repeat_factor(count: u32) -> f64 {
    let n = i32::try_from(count.min(64)).unwrap_or(64);
    2.0 - 0.5_f64.powi(n - 1)
}

fn round2(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
    (x * 100.0).round() / 100.0 + 0.0
}

/// Indices of the terms found in normalised `text`, one per occurrence, whole words only.
/// Among overlapping whole-word matches the leftmost wins, and the longest of those: "missile
/// strike" over "missile", yet "missile" still counts in "missile strikes".
fn find_terms(matcher: &AhoCorasick, text: &str) -> Vec<usize> {
    let mut candidates: Vec<(usize, usize, usize)> = matcher
        .find_overlapping_iter(text)
        .filter(|m| is_boundary(text, m.start(), m.end()))
        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
        .collect();
    candidates.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut found = Vec::new();
    let mut pos = 0;
    for (start, end, pattern) in candidates {
        if start >= pos {
            found.push(pattern);
            pos = end;
        }
    }
    found
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    // A term that itself begins or ends with a non-word character needs no boundary there.
    let left_ok = !first.is_some_and(is_word_char) || !before.is_some_and(is_word_char);
    let right_ok = !last.is_some_and(is_word_char) || !after.is_some_and(is_word_char);
    left_ok && right_ok
}

/// Case-folds and unifies typography so terms match however the outlet typeset them.
#[must_use]
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2010}'..='\u{2015}' => '-',
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Sentences of a body: paragraphs split on line breaks, then by Unicode sentence rules.
pub fn sentences(body: &str) -> impl Iterator<Item = &str> {
    body.lines().flat_map(UnicodeSegmentation::split_sentence_bounds).map(str::trim).filter(|s| !s.is_empty())
}

fn snippet(sentence: &str) -> String {
    let collapsed = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= SNIPPET_CHARS {
        collapsed
    } else {
        let cut: String = collapsed.chars().take(SNIPPET_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer(terms: &[(&str, f64, &str)]) -> Scorer {
        let terms = terms
            .iter()
            .map(|(p, w, c)| Term { phrase: (*p).into(), weight: *w, category: (*c).into() })
            .collect();
        Scorer::new(terms, Severity { threshold: 6.0, medium: 10.0, high: 15.0 }).expect("compiles")
    }

    #[test]
    fn normalize_cases() {
        let cases = [
            ("Strike  Deep\nINSIDE", "strike deep inside"),
            ("Pakistan\u{2019}s  army", "pakistan's army"),
            ("cross\u{2013}border", "cross-border"),
            ("  lead and trail  ", "lead and trail"),
            ("ÉTAT", "état"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn word_boundaries() {
        let s = scorer(&[("strike", 1.0, "assault"), ("airstrikes", 2.0, "assault")]);
        let cases = [
            ("They will strike.", vec!["strike"]),
            ("Airstrikes hit the camp.", vec!["airstrikes"]),
            ("The strikes continued.", vec![]),
            ("a strikeout", vec![]),
            ("(strike)", vec!["strike"]),
        ];
        for (text, want) in cases {
            let got: Vec<String> = s.score("", text).matches.into_iter().map(|m| m.term).collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn longest_whole_word_match_wins_and_shorter_terms_survive_a_failed_longer_one() {
        let s = scorer(&[
            ("missile", 1.0, "assault"),
            ("missile strike", 3.0, "assault"),
            ("attack", 1.0, "assault"),
            ("attack on", 2.0, "assault"),
        ]);
        let cases = [
            ("a missile strike hit", vec!["missile strike"]),
            ("missile strikes hit", vec!["missile"]),
            ("attack one", vec!["attack"]),
            ("an attack on the post", vec!["attack on"]),
            ("war warned", vec![]),
        ];
        for (text, want) in cases {
            let got: Vec<String> = s.score("", text).matches.into_iter().map(|m| m.term).collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn scores_with_diminishing_repeats_and_explains() {
        let s = scorer(&[("strike deep inside", 5.0, "threaten"), ("retaliate", 2.0, "threaten")]);
        let scored = s.score(
            "Minister warns",
            "Pakistan will strike deep inside Afghanistan, the minister said. \
             He said forces would retaliate. They would retaliate again. And retaliate once more.",
        );
        assert_eq!(scored.matches.len(), 2);
        let first = &scored.matches[0];
        assert_eq!(first.term, "strike deep inside");
        assert_eq!(first.count, 1);
        assert!((first.contribution - 5.0).abs() < 1e-9);
        assert_eq!(first.snippet, "Pakistan will strike deep inside Afghanistan, the minister said.");
        let second = &scored.matches[1];
        assert_eq!(second.count, 3);
        assert!((second.contribution - 3.5).abs() < 1e-9, "2 + 1 + 0.5");
        assert!((scored.score - 8.5).abs() < 1e-9);
        assert_eq!(s.severity(scored.score), Some(Level::Low));
    }

    #[test]
    fn title_counts_and_is_its_own_sentence() {
        let s = scorer(&[("strike deep inside", 5.0, "threaten")]);
        let scored = s.score("Pakistan will strike deep inside Afghanistan", "Nothing here.");
        assert_eq!(scored.matches[0].snippet, "Pakistan will strike deep inside Afghanistan");
    }

    #[test]
    fn terms_in_other_scripts_match() {
        let s = scorer(&[("حملہ", 3.0, "assault")]);
        let scored = s.score("", "سرحد پر حملہ ہوا۔");
        assert_eq!(scored.matches.len(), 1);
        assert_eq!(scored.matches[0].count, 1);
    }

    #[test]
    fn severity_levels() {
        let s = scorer(&[]);
        let cases = [
            (0.0, None),
            (5.99, None),
            (6.0, Some(Level::Low)),
            (10.0, Some(Level::Medium)),
            (20.0, Some(Level::High)),
        ];
        for (score, want) in cases {
            assert_eq!(s.severity(score), want, "{score}");
        }
        assert!(s.score("war", "war").score.abs() < f64::EPSILON, "an empty lexicon scores nothing");
    }

    #[test]
    fn long_snippets_are_cut() {
        let s = scorer(&[("war", 1.0, "fight")]);
        let body = format!("war {}", "word ".repeat(200));
        let snippet = &s.score("", &body).matches[0].snippet;
        assert!(snippet.chars().count() <= SNIPPET_CHARS);
        assert!(snippet.starts_with("war word word"));
        assert!(snippet.ends_with('…'));
    }
}
