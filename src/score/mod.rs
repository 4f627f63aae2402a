//! Escalation scoring (pure): rules → compiled matcher → score with an explanation per match.
//!
//! Text is normalised (NFKC, lowercase, typography unified; see [`text`]) and split into
//! sentences. One aho-corasick automaton finds every literal of every rule at once; a hit counts
//! only on word boundaries, so "war" never matches inside "warned". Rules are literal phrases,
//! phrases with a one-word wildcard (`strike * inside`) and proximity sets (`near`, `within`).
//!
//! Most sentences of an article match nothing, so the body is first searched raw, in one pass,
//! for a key word of each literal (see [`keys`]); only the sentences holding one, or holding a
//! character whose normal form may hide a letter, are normalised and searched in full. The
//! result is the same as searching every sentence.
//!
//! Only sentences with a hit pay for context: a second automaton finds negation cues (and the
//! phrases excepted from them), conditional framing and actor names in that sentence. A negated
//! match is scaled down (by default cancelled), a conditional one is flagged as a threat, a match
//! in the title or lede counts more, and the n-th repeat of one term adds `repeat_decay^(n-1)` of
//! its weight. Every match keeps its sentence, flags and contribution, so a score explains itself.

mod keys;
mod text;

use crate::types::Severity;
use std::sync::{Arc, PoisonError, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

pub use text::{normalize, sentences};

/// Longest sentence kept per match, in characters.
const SNIPPET_CHARS: usize = 300;

/// Words found in most sentences of English news, the worst keys for the prefilter.
const COMMON_WORDS: &[&str] = &[
    "the", "of", "to", "and", "a", "an", "in", "is", "was", "were", "be", "been", "are", "for", "on", "at",
    "by", "with", "as", "from", "that", "this", "it", "its", "has", "have", "had", "will", "would", "not",
    "or", "but", "all", "said", "says", "they", "their", "he", "she", "his", "her", "who", "which", "under",
    "against", "over", "into", "after", "about", "more", "than", "also", "came", "come", "use", "used",
    "made", "make", "state", "new", "one", "two", "out", "up", "act",
];

/// Most matches kept in an explanation (the score counts them all).
const MAX_EXPLAINED: usize = 50;

/// How a term finds its words.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// Normalised words in sequence.
    Phrase(String),
    /// Words in sequence where `None` stands for exactly one word of any kind.
    Wildcard(Vec<Option<String>>),
    /// Every part (a word or phrase) within `within` words of the first.
    Near { parts: Vec<String>, within: usize },
}

impl Pattern {
    /// Reads a configured phrase: `*` as a whole word is a wildcard.
    ///
    /// # Errors
    /// A message when the phrase is empty or a wildcard stands first or last.
    pub fn phrase(phrase: &str) -> Result<Self, String> {
        let normalized = normalize(phrase);
        if normalized.is_empty() {
            return Err("must not be empty".into());
        }
        if !normalized.split(' ').any(|w| w == "*") {
            return Ok(Self::Phrase(normalized));
        }
        let mut words = Vec::new();
        for chunk in normalized.split(' ') {
            if chunk == "*" {
                words.push(None);
            } else {
                words.extend(text::words(chunk).map(|(_, w)| Some(w.to_string())));
            }
        }
        if words.first().is_none_or(Option::is_none) || words.last().is_none_or(Option::is_none) {
            return Err("a wildcard (*) must stand between two words".into());
        }
        Ok(Self::Wildcard(words))
    }

    /// Reads a proximity rule.
    ///
    /// # Errors
    /// A message when fewer than two parts are given, one is empty, or `within` is zero.
    pub fn near(parts: &[String], within: usize) -> Result<Self, String> {
        if parts.len() < 2 {
            return Err("needs at least two words or phrases".into());
        }
        if within == 0 {
            return Err("within must be at least 1".into());
        }
        let parts: Vec<String> = parts.iter().map(|p| normalize(p)).collect();
        if parts.iter().any(String::is_empty) {
            return Err("must not hold an empty word".into());
        }
        Ok(Self::Near { parts, within })
    }
}

/// One rule of the lexicon, with its weight resolved (its own or its category's).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The rule as the user wrote it, shown in explanations.
    pub label: String,
    pub pattern: Pattern,
    /// Points one occurrence adds; negative values dampen.
    pub weight: f64,
    pub category: String,
}

/// A named party and the words that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub name: String,
    pub aliases: Vec<String>,
}

/// How the words around a match change what it counts (`[scoring.context]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Context {
    /// Cues that negate a match following them (`not`, `denied`, `ruled out`).
    pub negation: Vec<String>,
    /// Phrases holding a cue that negate nothing (`not hesitate`, `no choice but`).
    pub negation_exceptions: Vec<String>,
    /// Most words between a cue and the match it negates; a comma or semicolon ends the scope.
    pub negation_scope: usize,
    /// What a negated match keeps of its weight: 0 cancels it.
    pub negation_factor: f64,
    /// Conditional framing (`if ... will`, `unless`): `...` means any words between, in order.
    pub conditional: Vec<String>,
    /// What a conditional match keeps of its weight (it is a threat, not an event).
    pub conditional_factor: f64,
    /// Cues of an allegation (`accused of`, `alleged that`): a match after one, in its sentence,
    /// is reported violence someone is blamed for, an accusation rather than an event.
    pub allegation: Vec<String>,
    /// What an alleged match keeps of its weight.
    pub allegation_factor: f64,
    /// Cues of a background clause (`after`, `following`): violence after one, in a sentence
    /// whose main clause before it is de-escalation ("ceasefire after fierce fighting"), is the
    /// backdrop of that event.
    pub background: Vec<String>,
    /// What a background match keeps of its weight.
    pub background_factor: f64,
    /// Multiplier for matches in the title.
    pub title_boost: f64,
    /// Multiplier for matches in the first `lede_sentences` sentences of the body.
    pub lede_boost: f64,
    pub lede_sentences: usize,
    /// Multiplier for matches in the rest of the body: below 1, a lone passing mention there
    /// does not make an article about escalation, while two or more still do.
    pub body_weight: f64,
    /// Each repeat of one term adds this share of the previous occurrence.
    pub repeat_decay: f64,
}

impl Default for Context {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_string()).collect();
        Self {
            negation: list(&[
                "not",
                "no",
                "never",
                "denied",
                "denies",
                "deny",
                "ruled out",
                "rules out",
                "rejected",
                "without",
                "nor",
                "n't",
                "refused to",
                "dismissed",
                "unlikely to",
            ]),
            negation_exceptions: list(&[
                "not hesitate",
                "no choice but",
                "not only",
                "no doubt",
                "not rule out",
                "no longer",
            ]),
            negation_scope: 5,
            negation_factor: 0.0,
            conditional: list(&["if ... will", "if ... would", "unless", "in case of"]),
            conditional_factor: 1.0,
            allegation: list(&[
                "accused of",
                "accusing",
                "accuses",
                "alleged that",
                "alleging that",
                "allegations",
                "accusations",
                "blamed",
                "was behind",
                "were behind",
                "is behind",
                "are behind",
                "evidence that",
                "war crimes",
                "indicted",
                "charged with",
                "convicted of",
                "trial of",
            ]),
            allegation_factor: 0.4,
            background: list(&["after", "following", "since", "in the wake of"]),
            background_factor: 0.25,
            title_boost: 1.5,
            lede_boost: 1.25,
            lede_sentences: 2,
            body_weight: 0.8,
            repeat_decay: 0.5,
        }
    }
}

/// Score levels: at or above `threshold` an alert is raised; `medium` and `high` grade it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub threshold: f64,
    pub medium: f64,
    pub high: f64,
}

/// Everything the scorer is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub terms: Vec<Term>,
    /// Phrases whose words never count (`bowling attack`, `strike rate`).
    pub exclude: Vec<String>,
    pub context: Context,
    pub actors: Vec<Actor>,
    pub severity: Thresholds,
}

/// Why rules could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("cannot build the term matcher")]
    Build(#[source] aho_corasick::BuildError),
}

/// Where in the article a match sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    Title,
    Lede,
    Body,
}

/// One occurrence of a term, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub term: String,
    pub category: String,
    /// The term's weight before context.
    pub weight: f64,
    /// Points this occurrence added to the score, after context and repeats.
    pub contribution: f64,
    /// What the context made of it; flat in JSON (`"negated": false, …`).
    #[serde(flatten)]
    pub flags: Flags,
    pub place: Place,
    /// Which occurrence of this term in the article it is, from 1.
    pub occurrence: u32,
    /// How many times this term occurs in the article.
    #[serde(default)]
    pub count: u32,
    /// First actor named before it in its sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// First other actor named after it in its sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The sentence it matched in (`snippet` in JSON, the name the payload has always used).
    #[serde(rename = "snippet", alias = "sentence")]
    pub sentence: String,
}

/// The context rules that applied to a match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(clippy::struct_excessive_bools, reason = "independent yes/no findings, each a JSON field")]
pub struct Flags {
    /// A negation cue governs it (`not`, `denied`, …).
    pub negated: bool,
    /// Its sentence is conditional (`if … will`, `unless`): a threat rather than an event.
    pub conditional: bool,
    /// An allegation cue precedes it in its sentence (`accused of`, `alleged that`).
    pub alleged: bool,
    /// It is the backdrop of de-escalation ("ceasefire after fierce fighting").
    pub background: bool,
}

impl Flags {
    /// The names of the flags set, for display.
    #[must_use]
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.negated, "negated"),
            (self.conditional, "conditional"),
            (self.alleged, "alleged"),
            (self.background, "background"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// Who acts on whom in a matched sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorPair {
    pub source: Option<String>,
    pub target: Option<String>,
}

/// The score of one article and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub score: f64,
    /// Highest contribution first; at most [`MAX_EXPLAINED`].
    pub matches: Vec<Match>,
    /// Distinct actor pairs of the matches that counted, in order of appearance.
    pub actors: Vec<ActorPair>,
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

/// What a literal of the main automaton is used for.
#[derive(Debug, Clone, Copy)]
enum Use {
    /// The whole phrase of term `.0`.
    Phrase(usize),
    /// The first word of wildcard term `.0`.
    Anchor(usize),
    /// The first part of proximity term `.0`.
    Near(usize),
    Exclude,
}

/// What a literal of the context automaton is.
#[derive(Debug, Clone, Copy)]
enum Cue {
    Negation,
    Exception,
    /// Part `.1` of conditional `.0`.
    Conditional(usize, usize),
    Allegation,
    Background,
    Actor(usize),
}

/// Builds one automaton over distinct literals, each with the uses it serves.
#[derive(Debug)]
struct Literals<U> {
    patterns: Vec<String>,
    uses: Vec<Vec<U>>,
    index: std::collections::HashMap<String, usize>,
}

impl<U> Literals<U> {
    fn new() -> Self {
        Self { patterns: Vec::new(), uses: Vec::new(), index: std::collections::HashMap::new() }
    }

    fn add(&mut self, literal: &str, usage: U) {
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

    fn build(self) -> Result<Automaton<U>, ScoreError> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        // A DFA is fastest to search; past a few thousand literals its build time and memory
        // grow, and the contiguous NFA is the better trade.
        let kind =
            if self.patterns.len() <= 2_000 { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
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
type Automaton<U> = Option<(AhoCorasick, Vec<Vec<U>>)>;

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct Scorer {
    rules: Rules,
    /// `None` when there are no terms: nothing can match.
    main: Automaton<Use>,
    /// The parts of proximity terms after the first: (term, part).
    parts: Automaton<(usize, usize)>,
    /// A key per literal of `main`, its longest ASCII word, found case-insensitively as a whole
    /// word in raw text: a sentence of ASCII text (typographic punctuation aside) without one
    /// cannot match. `None` when some literal has no key.
    keys: Option<keys::Keys>,
    context: Automaton<Cue>,
    /// Number of parts of each conditional.
    conditional_parts: Vec<usize>,
    hash: String,
}

/// A hit of a literal on word boundaries, in a normalised sentence.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    literal: usize,
}

/// A term found in a sentence.
#[derive(Debug, Clone, Copy)]
struct Found {
    term: usize,
    start: usize,
    end: usize,
}

/// Buffers reused across the sentences of one article.
#[derive(Default)]
struct Work<'a> {
    norm: String,
    hits: Vec<Hit>,
    found: Vec<Found>,
    occurrences: Vec<Occurrence<'a>>,
}

/// An occurrence before repeats are weighed.
#[derive(Debug)]
struct Occurrence<'a> {
    term: usize,
    raw: f64,
    flags: Flags,
    place: Place,
    source: Option<usize>,
    target: Option<usize>,
    sentence: &'a str,
}

impl Scorer {
    /// Compiles `rules` into two automata.
    ///
    /// # Errors
    /// [`ScoreError::Build`] when an automaton cannot be built (far too many terms).
    pub fn new(rules: Rules) -> Result<Self, ScoreError> {
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
        let mut context = Literals::new();
        let ctx = &rules.context;
        for cue in &ctx.negation {
            context.add(cue, Cue::Negation);
        }
        for phrase in &ctx.negation_exceptions {
            context.add(phrase, Cue::Exception);
        }
        let mut conditional_parts = Vec::new();
        for (i, cond) in ctx.conditional.iter().enumerate() {
            let parts: Vec<&str> = cond.split("...").map(str::trim).filter(|p| !p.is_empty()).collect();
            for (j, part) in parts.iter().enumerate() {
                context.add(part, Cue::Conditional(i, j));
            }
            conditional_parts.push(parts.len());
        }
        for cue in &ctx.allegation {
            context.add(cue, Cue::Allegation);
        }
        for cue in &ctx.background {
            context.add(cue, Cue::Background);
        }
        for (i, actor) in rules.actors.iter().enumerate() {
            context.add(&actor.name, Cue::Actor(i));
            for alias in &actor.aliases {
                context.add(alias, Cue::Actor(i));
            }
        }
        let hash = rules_hash(&rules);
        Ok(Self {
            keys: keys_of(&main)?,
            main: main.build()?,
            parts: others.build()?,
            context: context.build()?,
            conditional_parts,
            rules,
            hash,
        })
    }

    /// The same rules searching every sentence in full, for tests of the prefilter.
    #[cfg(test)]
    fn without_prefilter(mut self) -> Self {
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
        if self.main.is_none() {
            return self.explain(work.occurrences);
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
                // A key is a whole run of letters and digits of its literal, so where the literal
                // matches, the key stands in the raw text as a whole word.
                let found = keys.find(rest.as_bytes());
                let unusual = text::unusual_chars(rest);
                let mut done = 0;
                for at in merged(&found, &unusual) {
                    if at < done {
                        continue;
                    }
                    let (start, end) = text::sentence_around(rest, at);
                    done = end.max(at + 1);
                    let sentence = rest[start..end].trim();
                    if !sentence.is_empty() {
                        self.sentence(Place::Body, sentence, &mut work);
                    }
                }
            }
            None => {
                for sentence in sentences(rest) {
                    self.sentence(Place::Body, sentence, &mut work);
                }
            }
        }
        self.explain(work.occurrences)
    }

    /// Finds the terms of one sentence and weighs them in their context.
    fn sentence<'a>(&self, place: Place, sentence: &'a str, work: &mut Work<'a>) {
        let Some((main, uses)) = &self.main else { return };
        let ctx = &self.rules.context;
        let Work { norm, hits, found, occurrences } = work;
        text::normalize_into(sentence, norm);
        search_into(main, norm, hits);
        if hits.is_empty() {
            return;
        }
        found.clear();
        self.find_terms(norm, hits, uses, found);
        if found.is_empty() {
            return;
        }
        let boost = match place {
            Place::Title => ctx.title_boost,
            Place::Lede => ctx.lede_boost,
            Place::Body => ctx.body_weight,
        };
        let view = self.context_of(norm);
        for f in found.iter() {
            let term = &self.rules.terms[f.term];
            let positive = term.weight > 0.0;
            let flags = Flags {
                negated: positive && view.negates(norm, f.start, ctx),
                conditional: view.conditional,
                alleged: positive && view.alleged(f.start),
                background: positive && view.in_background(norm, f.start, found, &self.rules),
            };
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
                .fold(term.weight * boost, |raw, (_, factor)| raw * factor);
            occurrences.push(Occurrence { term: f.term, raw, flags, place, source, target, sentence });
        }
    }

    /// The terms found among a sentence's literal hits.
    fn find_terms(&self, norm: &str, hits: &[Hit], uses: &[Vec<Use>], found: &mut Vec<Found>) {
        let excluded: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| uses[h.literal].iter().any(|u| matches!(u, Use::Exclude)))
            .map(|h| (h.start, h.end))
            .collect();
        let is_excluded = |start: usize, end: usize| excluded.iter().any(|&(s, e)| start < e && s < end);
        // Phrases: among overlapping hits the leftmost wins, and the longest of those: "missile
        // strike" over "missile", yet "missile" still counts in "missile strikes".
        let mut phrases: Vec<Found> = hits
            .iter()
            .filter(|h| !is_excluded(h.start, h.end))
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
        // A pattern (wildcard, proximity) lying within a phrase of its own category found here
        // says nothing more: "strike deep inside" is not counted again as "strike … inside".
        let phrases_found = found.len();
        let explained = |found: &[Found], t: usize, start: usize, end: usize| {
            let category = &self.rules.terms[t].category;
            found[..phrases_found].iter().any(|p| {
                let phrase = &self.rules.terms[p.term];
                p.start <= start && end <= p.end && phrase.weight > 0.0 && phrase.category == *category
            })
        };
        // Only an anchor (a wildcard's first word, a proximity rule's first part) starts a
        // search; other parts alone are common words ("at", "will") and cost nothing.
        let needs_words =
            hits.iter().any(|h| uses[h.literal].iter().any(|u| matches!(u, Use::Anchor(_) | Use::Near(_))));
        if !needs_words {
            return;
        }
        let words: Vec<(usize, &str)> = text::words(norm).collect();
        let word_at = |start: usize| words.binary_search_by_key(&start, |w| w.0).ok();
        let mut part_hits: Option<Vec<Hit>> = None;
        for h in hits.iter().filter(|h| !is_excluded(h.start, h.end)) {
            for u in &uses[h.literal] {
                match *u {
                    Use::Anchor(t) => {
                        let Pattern::Wildcard(pattern) = &self.rules.terms[t].pattern else { continue };
                        let Some(k) = word_at(h.start) else { continue };
                        let Some(window) = words.get(k..k + pattern.len()) else { continue };
                        let fits = pattern
                            .iter()
                            .zip(window)
                            .all(|(want, (_, got))| want.as_deref().is_none_or(|w| w == *got));
                        let (last_start, last) = window[window.len() - 1];
                        let end = last_start + last.len();
                        if fits && !explained(found, t, h.start, end) {
                            found.push(Found { term: t, start: h.start, end });
                        }
                    }
                    Use::Near(t) => {
                        let Pattern::Near { parts, within } = &self.rules.terms[t].pattern else { continue };
                        let Some(k) = word_at(h.start) else { continue };
                        let Some((ac, part_uses)) = &self.parts else { continue };
                        let others = part_hits.get_or_insert_with(|| search(ac, norm));
                        let (mut start, mut end) = (h.start, h.end);
                        let all_near = (1..parts.len()).all(|j| {
                            others
                                .iter()
                                .filter(|o| part_uses[o.literal].contains(&(t, j)))
                                .filter_map(|o| word_at(o.start).map(|i| (i, o)))
                                .find(|(i, _)| i.abs_diff(k) <= *within)
                                .inspect(|(_, o)| {
                                    start = start.min(o.start);
                                    end = end.max(o.end);
                                })
                                .is_some()
                        });
                        if all_near && !explained(found, t, start, end) {
                            found.push(Found { term: t, start, end });
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Negation cues, conditional framing and actors of one sentence.
    fn context_of(&self, norm: &str) -> SentenceContext {
        let mut view = SentenceContext::default();
        let Some((ac, cues)) = &self.context else { return view };
        let hits = search(ac, norm);
        let exceptions: Vec<&Hit> =
            hits.iter().filter(|h| cues[h.literal].iter().any(|c| matches!(c, Cue::Exception))).collect();
        // Progress through each conditional's parts, in order.
        let mut progress: Vec<(usize, usize)> = vec![(0, 0); self.conditional_parts.len()];
        let mut actors = Vec::new();
        for h in &hits {
            for cue in &cues[h.literal] {
                match *cue {
                    Cue::Negation => {
                        let excepted = exceptions.iter().any(|e| e.start <= h.start && h.end <= e.end);
                        if !excepted {
                            view.negations.push((h.start, h.end));
                        }
                    }
                    Cue::Conditional(i, j) => {
                        let (next, after) = progress[i];
                        if next == j && h.start >= after {
                            progress[i] = (j + 1, h.end);
                        }
                    }
                    Cue::Actor(i) => actors.push((h.start, h.end, i)),
                    Cue::Allegation => view.allegations.push(h.end),
                    Cue::Background => view.backgrounds.push((h.start, h.end)),
                    Cue::Exception => {}
                }
            }
        }
        view.conditional = progress.iter().zip(&self.conditional_parts).any(|((done, _), n)| done == n);
        // Longest alias wins where two overlap ("afghan taliban" over "afghan").
        actors.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut pos = 0;
        for a in actors {
            if a.0 >= pos {
                view.actors.push(a);
                pos = a.1;
            }
        }
        view
    }

    /// Applies repeats, sorts, and builds the explanation.
    fn explain(&self, mut occurrences: Vec<Occurrence<'_>>) -> Scored {
        // Per term, the strongest occurrence counts fully and each further one less.
        occurrences.sort_by(|a, b| a.term.cmp(&b.term).then(b.raw.total_cmp(&a.raw)));
        let decay = self.rules.context.repeat_decay;
        let mut counts = vec![0_u32; self.rules.terms.len()];
        for o in &occurrences {
            counts[o.term] += 1;
        }
        // Weigh every occurrence, but build the explanation (strings, sentences) only for the
        // ones that will be shown: a long article can hold thousands of matches.
        let mut weighed: Vec<(f64, usize, u32)> = Vec::with_capacity(occurrences.len());
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        let mut score = 0.0;
        let mut previous = None;
        let mut nth = 0_u32;
        let mut factor = 1.0;
        for (i, o) in occurrences.iter().enumerate() {
            if previous == Some(o.term) {
                nth += 1;
                factor *= decay;
            } else {
                (nth, factor) = (1, 1.0);
                previous = Some(o.term);
            }
            let contribution = o.raw * factor;
            score += contribution;
            let pair = (o.source, o.target);
            if contribution > 0.0 && (pair.0.is_some() || pair.1.is_some()) && !pairs.contains(&pair) {
                pairs.push(pair);
            }
            weighed.push((contribution, i, nth));
        }
        weighed.sort_by(|a, b| {
            b.0.abs()
                .total_cmp(&a.0.abs())
                .then(occurrences[a.1].term.cmp(&occurrences[b.1].term))
                .then(a.2.cmp(&b.2))
        });
        weighed.truncate(MAX_EXPLAINED);
        let name = |i: Option<usize>| i.map(|i| self.rules.actors[i].name.clone());
        let matches = weighed
            .into_iter()
            .map(|(contribution, i, nth)| {
                let o = &occurrences[i];
                let term = &self.rules.terms[o.term];
                Match {
                    term: term.label.clone(),
                    category: term.category.clone(),
                    weight: term.weight,
                    contribution: round2(contribution),
                    flags: o.flags,
                    place: o.place,
                    occurrence: nth,
                    count: counts[o.term],
                    source: name(o.source),
                    target: name(o.target),
                    sentence: snippet(o.sentence),
                }
            })
            .collect();
        let actors = pairs.into_iter().map(|(s, t)| ActorPair { source: name(s), target: name(t) }).collect();
        Scored { score: round2(score), matches, actors }
    }
}

/// The union of two ascending lists, ascending.
fn merged<'a>(first: &'a [usize], second: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let mut left = first.iter().copied().peekable();
    let mut right = second.iter().copied().peekable();
    std::iter::from_fn(move || match (left.peek(), right.peek()) {
        (Some(l), Some(r)) if l <= r => left.next(),
        (_, Some(_)) => right.next(),
        _ => left.next(),
    })
}

/// The prefilter of `main`'s literals (see [`Scorer::keys`]).
fn keys_of(main: &Literals<Use>) -> Result<Option<keys::Keys>, ScoreError> {
    let mut keys = std::collections::BTreeSet::new();
    for (literal, uses) in main.patterns.iter().zip(&main.uses) {
        if uses.iter().all(|u| matches!(u, Use::Exclude)) {
            continue;
        }
        // A letter or digit beyond ASCII in the text comes from a character `unusual_chars`
        // reports, whose sentence is searched in full anyway: such a literal needs no key.
        if literal.chars().any(|c| !c.is_ascii() && c.is_alphanumeric()) {
            continue;
        }
        // Its longest run of letters and digits, common words last: "came under fire" is keyed
        // by "fire", which fewer sentences hold.
        let Some(key) = literal
            .split(|c: char| !c.is_ascii_alphanumeric())
            .max_by_key(|run| (!COMMON_WORDS.contains(run), run.len()))
        else {
            continue;
        };
        if key.is_empty() {
            return Ok(None);
        }
        keys.insert(key);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    keys::Keys::new(keys).map(Some).map_err(ScoreError::Build)
}

/// The hits of `ac` in `norm` that lie on word boundaries.
fn search(ac: &AhoCorasick, norm: &str) -> Vec<Hit> {
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

/// What the context automaton found in one sentence.
#[derive(Debug, Default)]
struct SentenceContext {
    /// Spans of negation cues not covered by an exception.
    negations: Vec<(usize, usize)>,
    conditional: bool,
    /// Ends of allegation cues.
    allegations: Vec<usize>,
    /// Spans of background cues.
    backgrounds: Vec<(usize, usize)>,
    /// Actor mentions: span and actor index, in order.
    actors: Vec<(usize, usize, usize)>,
}

impl SentenceContext {
    /// Whether a cue before `start` governs it: within the scope and the same clause.
    fn negates(&self, norm: &str, start: usize, ctx: &Context) -> bool {
        self.negations.iter().any(|&(_, e)| {
            e <= start && {
                let between = &norm[e..start];
                !between.contains([',', ';', ':', '(']) && text::word_count(between) <= ctx.negation_scope
            }
        })
    }

    /// Whether an allegation cue ends before `start`: what follows it is blamed, not reported.
    fn alleged(&self, start: usize) -> bool {
        self.allegations.iter().any(|&e| e <= start)
    }

    /// Whether a background cue ends before `start` with a de-escalating term (negative weight)
    /// before the cue, itself not negated: the violence is what the de-escalation followed.
    /// "Rejected a ceasefire offer made after heavy fighting" names no de-escalation.
    fn in_background(&self, norm: &str, start: usize, found: &[Found], rules: &Rules) -> bool {
        self.backgrounds.iter().any(|&(cue_start, cue_end)| {
            cue_end <= start
                && found.iter().any(|g| {
                    g.end <= cue_start
                        && rules.terms[g.term].weight < 0.0
                        && !self.negates(norm, g.start, &rules.context)
                })
        })
    }

    /// The first actor named before the span, and the first other one after it.
    fn actors_around(&self, start: usize, end: usize) -> (Option<usize>, Option<usize>) {
        let source = self.actors.iter().find(|a| a.1 <= start).map(|a| a.2);
        let target = self.actors.iter().find(|a| a.0 >= end && Some(a.2) != source).map(|a| a.2);
        (source, target)
    }
}

/// First 16 hex digits of the SHA-256 of the rules' canonical form.
fn rules_hash(rules: &Rules) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(format!("{rules:?}").as_bytes());
    digest.iter().take(8).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn round2(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
    (x * 100.0).round() / 100.0 + 0.0
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

/// The scorer in force, swapped whole on reload. Work in flight keeps the `Arc` it started with.
#[derive(Debug)]
pub struct LiveScorer(RwLock<Arc<Scorer>>);

impl LiveScorer {
    #[must_use]
    pub fn new(scorer: Scorer) -> Self {
        Self(RwLock::new(Arc::new(scorer)))
    }

    /// The scorer to use for the next article.
    #[must_use]
    pub fn current(&self) -> Arc<Scorer> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `scorer` in force for every article scored from now on.
    pub fn replace(&self, scorer: Scorer) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(scorer);
    }
}

#[cfg(test)]
mod tests;
