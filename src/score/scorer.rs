//! The scorer: rules compiled once into automata, then each article scored sentence by sentence
//! (title, lede, the body sentences the prefilter keeps), each match weighed by its place and
//! context, and the alert a score raises.

use crate::types::Severity;

use super::context::Cues;
use super::explain::{ActorPair, Occurrence, Place, Scored, explain};
use super::hash::rules_hash;
use super::keys::Keys;
use super::matcher::{Found, Hit, Matcher, term_literals};
use super::prefilter::{candidates, keys_of};
use super::rules::{Rules, Thresholds};
use super::text::{self, sentences};

/// Why rules could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("cannot build the term matcher")]
    Build(#[source] aho_corasick::BuildError),
}

/// An alert to create with its article.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub severity: Severity,
    /// The threshold in force when it was raised, so a later change of threshold explains itself.
    pub threshold: f64,
    /// Who acts on whom in the matched sentences.
    pub actors: Vec<ActorPair>,
    /// Hash of the scoring rules that raised it.
    pub rules_hash: String,
}

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct Scorer {
    rules: Rules,
    /// `None` when there are no terms: nothing can match.
    matcher: Option<Matcher>,
    /// A key per literal of the matcher, its longest ASCII word, found case-insensitively as a
    /// whole word in raw text: a sentence of ASCII text (typographic punctuation aside) without
    /// one cannot match. `None` when some literal has no key.
    keys: Option<Keys>,
    cues: Cues,
    hash: String,
}

/// Buffers reused across the sentences of one article.
#[derive(Default)]
struct Work<'a> {
    norm: String,
    hits: Vec<Hit>,
    found: Vec<Found>,
    occurrences: Vec<Occurrence<'a>>,
}

impl Scorer {
    /// Compiles `rules`: the term automata and their prefilter keys, the context automaton.
    ///
    /// # Errors
    /// [`ScoreError::Build`] when an automaton cannot be built (far too many terms).
    pub fn new(rules: Rules) -> Result<Self, ScoreError> {
        let (main, parts) = term_literals(&rules);
        let keys = keys_of(&main)?;
        let matcher = Matcher::build(main, parts)?;
        let cues = Cues::new(&rules)?;
        let hash = rules_hash(&rules);
        Ok(Self { rules, matcher, keys, cues, hash })
    }

    /// The same rules searching every sentence in full, for tests of the prefilter.
    #[cfg(test)]
    pub(super) fn without_prefilter(mut self) -> Self {
        self.keys = None;
        self
    }

    /// The configured levels.
    #[must_use]
    pub fn levels(&self) -> Thresholds {
        self.rules.severity
    }

    /// Number of terms in the lexicon.
    #[must_use]
    pub fn term_count(&self) -> usize {
        self.rules.terms.len()
    }

    /// A short hash of the compiled rules, stamped on each alert: equal rules, equal hash.
    #[must_use]
    pub fn rules_hash(&self) -> &str {
        &self.hash
    }

    /// The alert level of a score, `None` below the threshold.
    #[must_use]
    pub fn severity(&self, score: f64) -> Option<Severity> {
        let s = self.rules.severity;
        if score >= s.high {
            Some(Severity::High)
        } else if score >= s.medium {
            Some(Severity::Medium)
        } else if score >= s.threshold {
            Some(Severity::Low)
        } else {
            None
        }
    }

    /// The alert a score raises under these rules, `None` below the threshold: the one place
    /// an alert is built, for the pipeline and for `rescore` alike.
    #[must_use]
    pub fn alert(&self, scored: &Scored) -> Option<NewAlert> {
        self.severity(scored.score).map(|severity| NewAlert {
            severity,
            threshold: self.rules.severity.threshold,
            actors: scored.actors.clone(),
            rules_hash: self.hash.clone(),
        })
    }

    /// Scores an article's title and body.
    #[must_use]
    pub fn score(&self, title: &str, body: &str) -> Scored {
        let mut work = Work::default();
        if self.matcher.is_none() {
            return explain(&self.rules, work.occurrences);
        }
        for sentence in sentences(title) {
            self.sentence(Place::Title, sentence, &mut work);
        }
        let mut lede_end = 0;
        for sentence in sentences(body).take(self.rules.context.lede_sentences) {
            self.sentence(Place::Lede, sentence, &mut work);
            lede_end = sentence.as_ptr() as usize - body.as_ptr() as usize + sentence.len();
        }
        let rest = &body[lede_end..];
        match &self.keys {
            // Only sentences where a rule may match are normalised and searched in full.
            Some(keys) => {
                for sentence in candidates(keys, rest) {
                    self.sentence(Place::Body, sentence, &mut work);
                }
            }
            None => {
                for sentence in sentences(rest) {
                    self.sentence(Place::Body, sentence, &mut work);
                }
            }
        }
        explain(&self.rules, work.occurrences)
    }

    /// Finds the terms of one sentence and weighs them in their context.
    fn sentence<'a>(&self, place: Place, sentence: &'a str, work: &mut Work<'a>) {
        let Some(matcher) = &self.matcher else { return };
        let ctx = &self.rules.context;
        let Work { norm, hits, found, occurrences } = work;
        text::normalize_into(sentence, norm);
        matcher.find(&self.rules.terms, norm, hits, found);
        if found.is_empty() {
            return;
        }
        let boost = match place {
            Place::Title => ctx.title_boost,
            Place::Lede => ctx.lede_boost,
            Place::Body => ctx.body_weight,
        };
        let view = self.cues.of(norm);
        for f in found.iter() {
            let flags = view.flags(norm, f, found, &self.rules);
            let (source, target) = view.actors_around(f.start, f.end);
            let factors = [
                (flags.negated, ctx.negation_factor),
                (flags.conditional, ctx.conditional_factor),
                (flags.alleged, ctx.allegation_factor),
                (flags.background, ctx.background_factor),
            ];
            let raw = factors
                .iter()
                .filter(|(set, _)| *set)
                .fold(self.rules.terms[f.term].weight * boost, |raw, (_, factor)| raw * factor);
            occurrences.push(Occurrence { term: f.term, raw, flags, place, source, target, sentence });
        }
    }
}
