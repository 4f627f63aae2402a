//! The terms of one normalised sentence: every literal of every term in one automaton, hits kept
//! only on word boundaries, then phrases, wildcards and proximity sets read from the hits.
//!
//! [`Literals`] and [`search`] serve the context automaton too (see `context.rs`).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::rules::{Pattern, Rules, Term};
use super::scorer::ScoreError;
use super::text::{self, normalize};

/// What a literal of the main automaton is used for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Use {
    /// The whole phrase of term `.0`.
    Phrase(usize),
    /// The first word of wildcard term `.0`.
    Anchor(usize),
    /// The first part of proximity term `.0`.
    Near(usize),
    Exclude,
}

/// Builds one automaton over distinct literals, each with the uses it serves.
#[derive(Debug)]
pub(super) struct Literals<U> {
    /// Distinct normalised literals, in the order first added.
    pub(super) patterns: Vec<String>,
    /// The uses of each literal, by its index in `patterns`.
    pub(super) uses: Vec<Vec<U>>,
    /// Each literal's index in `patterns`, so a literal two rules share is searched once.
    index: HashMap<String, usize>,
}

impl<U> Literals<U> {
    pub(super) fn new() -> Self {
        Self { patterns: Vec::new(), uses: Vec::new(), index: HashMap::new() }
    }

    pub(super) fn add(&mut self, literal: &str, usage: U) {
        let literal = normalize(literal);
        if literal.is_empty() {
            return;
        }
        let id = *self.index.entry(literal.clone()).or_insert_with(|| {
            self.patterns.push(literal);
            self.uses.push(Vec::new());
            self.patterns.len() - 1
        });
        self.uses[id].push(usage);
    }

    pub(super) fn build(self) -> Result<Automaton<U>, ScoreError> {
        self.build_with(500)
    }

    /// [`Literals::build`] as a DFA up to `dfa_limit` literals and a contiguous NFA beyond: a DFA
    /// is fastest to search, but its memory grows with the literals (megabytes for a thousand),
    /// and an automaton searched only in the few sentences with a hit is better small.
    pub(super) fn build_with(self, dfa_limit: usize) -> Result<Automaton<U>, ScoreError> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        let kind = if self.patterns.len() <= dfa_limit {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .prefilter(false)
            .build(&self.patterns)
            .map_err(ScoreError::Build)?;
        Ok(Some((ac, self.uses)))
    }
}

/// An automaton and the uses of each of its patterns; `None` when there is nothing to find.
pub(super) type Automaton<U> = Option<(AhoCorasick, Vec<Vec<U>>)>;

/// A hit of a literal on word boundaries, in a normalised sentence.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) literal: usize,
}

/// A term found in a sentence.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    pub(super) term: usize,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The hits of `ac` in `norm` that lie on word boundaries.
pub(super) fn search(ac: &AhoCorasick, norm: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    search_into(ac, norm, &mut hits);
    hits
}

/// [`search`] into a reused buffer (cleared first).
fn search_into(ac: &AhoCorasick, norm: &str, hits: &mut Vec<Hit>) {
    hits.clear();
    hits.extend(
        ac.find_overlapping_iter(norm)
            .filter(|m| text::on_word_boundaries(norm, m.start(), m.end()))
            .map(|m| Hit { start: m.start(), end: m.end(), literal: m.pattern().as_usize() }),
    );
}

/// The literals of `rules`' terms: those of the main automaton (each phrase, the first word of
/// each wildcard, the first part of each proximity term, and the excluded phrases), and the other
/// parts of proximity terms as (term, part).
pub(super) fn term_literals(rules: &Rules) -> (Literals<Use>, Literals<(usize, usize)>) {
    let mut main = Literals::new();
    let mut others = Literals::new();
    for (i, term) in rules.terms.iter().enumerate() {
        match &term.pattern {
            Pattern::Phrase(p) => main.add(p, Use::Phrase(i)),
            Pattern::Wildcard(words) => {
                if let Some(Some(first)) = words.first() {
                    main.add(first, Use::Anchor(i));
                }
            }
            Pattern::Near { parts, .. } => {
                // Only the first part starts a search; the others are often common words
                // ("at", "will") and are looked for only around it.
                main.add(&parts[0], Use::Near(i));
                for (j, part) in parts.iter().enumerate().skip(1) {
                    others.add(part, (i, j));
                }
            }
        }
    }
    if !main.patterns.is_empty() {
        for phrase in &rules.exclude {
            main.add(phrase, Use::Exclude);
        }
    }
    (main, others)
}

/// The automata of a lexicon that has terms.
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    /// Each phrase, the first word of each wildcard, the first part of each proximity term, and
    /// the excluded phrases.
    main: (AhoCorasick, Vec<Vec<Use>>),
    /// The parts of proximity terms after the first: (term, part).
    parts: Automaton<(usize, usize)>,
}

impl Matcher {
    /// Compiles the literals of [`term_literals`]; `None` when there are none: nothing can match.
    pub(super) fn build(
        main: Literals<Use>,
        parts: Literals<(usize, usize)>,
    ) -> Result<Option<Self>, ScoreError> {
        let Some(main) = main.build()? else { return Ok(None) };
        Ok(Some(Self { main, parts: parts.build()? }))
    }

    /// Finds `terms` in the normalised sentence `norm`, into `found` (cleared first); `hits` is a
    /// buffer for the literal hits.
    pub(super) fn find(&self, terms: &[Term], norm: &str, hits: &mut Vec<Hit>, found: &mut Vec<Found>) {
        let (main, uses) = &self.main;
        search_into(main, norm, hits);
        found.clear();
        drop_excluded(hits, uses);
        push_phrases(hits, uses, found);
        // Only an anchor (a wildcard's first word, a proximity rule's first part) starts a
        // search; other parts alone are common words ("at", "will") and cost nothing.
        let needs_words =
            hits.iter().any(|h| uses[h.literal].iter().any(|u| matches!(u, Use::Anchor(_) | Use::Near(_))));
        if !needs_words {
            return;
        }
        let phrases = found.len();
        let words: Vec<(usize, &str)> = text::words(norm).collect();
        let mut part_hits: Option<Vec<Hit>> = None;
        for h in hits.iter() {
            for u in &uses[h.literal] {
                let pattern = match *u {
                    Use::Anchor(t) => wildcard_at(&terms[t], t, h, &words),
                    Use::Near(t) => {
                        let Some((ac, part_uses)) = &self.parts else { continue };
                        let others = part_hits.get_or_insert_with(|| search(ac, norm));
                        near_at(&terms[t], t, h, &words, others, part_uses)
                    }
                    Use::Phrase(_) | Use::Exclude => None,
                };
                if let Some(f) = pattern
                    && !explained(terms, &found[..phrases], f)
                {
                    found.push(f);
                }
            }
        }
    }
}

/// Drops every hit that overlaps an excluded phrase, the phrase's own hit with them: no word of
/// "bowling attack" counts.
fn drop_excluded(hits: &mut Vec<Hit>, uses: &[Vec<Use>]) {
    let excluded: Vec<(usize, usize)> = hits
        .iter()
        .filter(|h| uses[h.literal].iter().any(|u| matches!(u, Use::Exclude)))
        .map(|h| (h.start, h.end))
        .collect();
    if !excluded.is_empty() {
        hits.retain(|h| !excluded.iter().any(|&(s, e)| h.start < e && s < h.end));
    }
}

/// The phrases among `hits`, into `found`: among overlapping hits the leftmost wins, and the
/// longest of those: "missile strike" over "missile", yet "missile" still counts in "missile
/// strikes".
fn push_phrases(hits: &[Hit], uses: &[Vec<Use>], found: &mut Vec<Found>) {
    let mut phrases: Vec<Found> = hits
        .iter()
        .flat_map(|h| {
            uses[h.literal].iter().filter_map(move |u| match u {
                Use::Phrase(t) => Some(Found { term: *t, start: h.start, end: h.end }),
                _ => None,
            })
        })
        .collect();
    phrases.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut pos = 0;
    for p in phrases {
        if p.start >= pos {
            found.push(p);
            pos = p.end;
        }
    }
}

/// Whether a pattern found at `f` lies within a phrase of its own category found in the same
/// sentence, and so says nothing more: "strike deep inside" is not counted again as
/// "strike … inside".
fn explained(terms: &[Term], phrases: &[Found], f: Found) -> bool {
    let category = &terms[f.term].category;
    phrases.iter().any(|p| {
        let phrase = &terms[p.term];
        p.start <= f.start && f.end <= p.end && phrase.weight > 0.0 && phrase.category == *category
    })
}

/// The index of the word starting at byte `start`, if one does.
fn word_at(words: &[(usize, &str)], start: usize) -> Option<usize> {
    words.binary_search_by_key(&start, |w| w.0).ok()
}

/// Wildcard term `t` where its first word was hit: each other word in place, any word at a `*`.
fn wildcard_at(term: &Term, t: usize, h: &Hit, words: &[(usize, &str)]) -> Option<Found> {
    let Pattern::Wildcard(pattern) = &term.pattern else { return None };
    let k = word_at(words, h.start)?;
    let window = words.get(k..k + pattern.len())?;
    let fits = pattern.iter().zip(window).all(|(want, (_, got))| want.as_deref().is_none_or(|w| w == *got));
    let (last_start, last) = window[window.len() - 1];
    fits.then_some(Found { term: t, start: h.start, end: last_start + last.len() })
}

/// Proximity term `t` where its first part was hit: every other part within `within` words of
/// it, found among `others`, the hits of the parts' automaton. The match spans them all.
fn near_at(
    term: &Term,
    t: usize,
    h: &Hit,
    words: &[(usize, &str)],
    others: &[Hit],
    part_uses: &[Vec<(usize, usize)>],
) -> Option<Found> {
    let Pattern::Near { parts, within } = &term.pattern else { return None };
    let k = word_at(words, h.start)?;
    let (mut start, mut end) = (h.start, h.end);
    let all_near = (1..parts.len()).all(|j| {
        others
            .iter()
            .filter(|o| part_uses[o.literal].contains(&(t, j)))
            .filter_map(|o| word_at(words, o.start).map(|i| (i, o)))
            .find(|(i, _)| i.abs_diff(k) <= *within)
            .inspect(|(_, o)| {
                start = start.min(o.start);
                end = end.max(o.end);
            })
            .is_some()
    });
    all_near.then_some(Found { term: t, start, end })
}
