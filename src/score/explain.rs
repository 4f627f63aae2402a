//! What a score says: each match with its flags, place and contribution, the actor pairs, and
//! the score itself once repeats of a term have been weighed down.

use serde::{Deserialize, Serialize};

use super::context::KindSet;
use super::events::{Event, Level, main_event, reason, severity_of};
use super::rules::Rules;
use crate::relevance::Relevance;
use crate::types::Severity;

/// Longest sentence kept per match, in characters.
pub(super) const SNIPPET_CHARS: usize = 300;

/// Most matches kept in an explanation (the score counts them all).
const MAX_EXPLAINED: usize = 50;

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
    /// The frame that made it count less (`sport`, `history`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<String>,
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
    /// No conflict party is named in its sentence, and its term needs one.
    pub no_actor: bool,
    /// Its sentence tells of the past ("years ago", "in 1971").
    pub past: bool,
    /// A frame (sport, film, markets, history) makes it something other than conflict.
    pub framed: bool,
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
            (self.no_actor, "no actor"),
            (self.past, "past"),
            (self.framed, "framed"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// Who acts on whom in a matched sentence. A side nobody was named for is left out of the JSON
/// (as README.md documents), not written as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorPair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The score of one article and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub score: f64,
    /// Whether it raises an alert: its score reaches the threshold.
    pub alert: bool,
    /// The alert's severity, from the ladder level of its main event; `None` without an alert.
    pub severity: Option<Severity>,
    /// The strongest event among the matches that counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// The article frames it is in (`sport`, `entertainment`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<String>,
    /// Why it does not alert, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the relevance gate made of it, when the gate is on and the score reached the
    /// threshold: the probability that it is about conflict, and the features that moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevance: Option<Relevance>,
    /// Highest contribution first; at most [`MAX_EXPLAINED`].
    pub matches: Vec<Match>,
    /// Distinct actor pairs of the matches that counted, in order of appearance.
    pub actors: Vec<ActorPair>,
}

/// An occurrence of a term before repeats are weighed.
#[derive(Debug)]
pub(super) struct Occurrence<'a> {
    pub(super) term: usize,
    /// Its weight after place and context.
    pub(super) raw: f64,
    pub(super) flags: Flags,
    pub(super) place: Place,
    pub(super) source: Option<usize>,
    pub(super) target: Option<usize>,
    pub(super) sentence: &'a str,
    /// Its standing on the escalation ladder.
    pub(super) level: Level,
    /// It is an event: a conflict party is in reach (or the act is military by itself), and no
    /// frame, past, negation, allegation or background takes it away.
    pub(super) event: bool,
    /// The frame that scaled it, if any (an index into the rules' frames).
    pub(super) frame: Option<usize>,
    /// The kinds of actor its sentence names.
    pub(super) kinds: KindSet,
    /// The earliest year its sentence names.
    pub(super) year: Option<i32>,
}

/// Applies repeats, sorts, and builds the explanation and the verdict; `frames` are the article
/// frames in force.
pub(super) fn explain(rules: &Rules, mut occurrences: Vec<Occurrence<'_>>, frames: &[usize]) -> Scored {
    // Per term, the strongest occurrence counts fully and each further one less.
    occurrences.sort_by(|a, b| a.term.cmp(&b.term).then(b.raw.total_cmp(&a.raw)));
    let mut counts = vec![0_u32; rules.terms.len()];
    for o in &occurrences {
        counts[o.term] += 1;
    }
    let Weighed { score, mut each, pairs } = weigh(&occurrences, rules.context.repeat_decay);
    let mut contributions = vec![0.0; occurrences.len()];
    for &(c, i, _) in &each {
        contributions[i] = c;
    }
    let event = main_event(rules, &occurrences, &contributions);
    let score = finite(round2(score));
    // Violent words that every one its context takes away (framed, negated, alleged, past) add
    // up to no event, however many there are.
    let stands = occurrences.iter().any(|o| o.raw > 0.0 && stands(o.flags));
    let alert = stands && score >= rules.severity.threshold && score > 0.0;
    let severity =
        alert.then(|| event.as_ref().map_or(Severity::Low, |e| severity_of(e.level, &rules.events)));
    let reason = (!alert).then(|| reason(rules, &occurrences, score, frames));
    // Build the explanation (strings, sentences) only for the matches that will be shown: a long
    // article can hold thousands.
    each.sort_by(|a, b| {
        b.0.abs()
            .total_cmp(&a.0.abs())
            .then(occurrences[a.1].term.cmp(&occurrences[b.1].term))
            .then(a.2.cmp(&b.2))
    });
    each.truncate(MAX_EXPLAINED);
    let name = |i: Option<usize>| i.map(|i| rules.actors[i].name.clone());
    let matches = each
        .into_iter()
        .map(|(contribution, i, nth)| {
            let o = &occurrences[i];
            let term = &rules.terms[o.term];
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
                frame: o.frame.map(|f| rules.frames[f].name.clone()),
                sentence: snippet(o.sentence),
            }
        })
        .collect();
    let actors = pairs.into_iter().map(|(s, t)| ActorPair { source: name(s), target: name(t) }).collect();
    let frames = frames.iter().map(|&f| rules.frames[f].name.clone()).collect();
    Scored {
        score,
        alert,
        severity,
        event: if alert { event } else { None },
        frames,
        reason,
        relevance: None,
        matches,
        actors,
    }
}

/// The occurrences of an article weighed for repeats.
struct Weighed {
    score: f64,
    /// Per occurrence: its contribution, its index, and which occurrence of its term it is.
    each: Vec<(f64, usize, u32)>,
    /// Distinct (source, target) actor pairs of the occurrences that added to the score.
    pairs: Vec<(Option<usize>, Option<usize>)>,
}

/// Weighs `occurrences`, sorted by term and strongest first: the n-th of a term adds
/// `decay^(n-1)` of its raw weight.
fn weigh(occurrences: &[Occurrence<'_>], decay: f64) -> Weighed {
    let mut weighed = Weighed { score: 0.0, each: Vec::with_capacity(occurrences.len()), pairs: Vec::new() };
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
        weighed.score += contribution;
        let pair = (o.source, o.target);
        if contribution > 0.0 && (pair.0.is_some() || pair.1.is_some()) && !weighed.pairs.contains(&pair) {
            weighed.pairs.push(pair);
        }
        weighed.each.push((contribution, i, nth));
    }
    weighed
}

/// Whether a match stands as escalation in its context: nothing but the want of a party near it
/// (which a party elsewhere in the article may make good) weakens it.
fn stands(f: Flags) -> bool {
    !(f.negated || f.alleged || f.background || f.past || f.framed)
}

/// A score that can be stored and serialized: JSON has no NaN or infinity, and an alert holding
/// one could be neither delivered nor listed (issue 21). The config keeps weights far from
/// this; it is the last guard.
fn finite(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(f64::MIN, f64::MAX) }
}

fn round2(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
    (x * 100.0).round() / 100.0 + 0.0
}

pub(super) fn snippet(sentence: &str) -> String {
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

    /// Issue 21 (5): an infinite score was stored as JSON `null`.
    #[test]
    fn scores_are_always_finite() {
        let cases = [(f64::INFINITY, f64::MAX), (f64::NEG_INFINITY, f64::MIN), (f64::NAN, 0.0), (6.5, 6.5)];
        for (raw, want) in cases {
            assert_eq!(finite(raw).to_bits(), want.to_bits(), "{raw}");
        }
    }
}
