//! The context of a sentence with a match: negation cues (and the phrases excepted from them),
//! conditional framing, allegation and background cues, and the actors it names, found by a
//! second automaton, and what they make of each match there.

use super::explain::Flags;
use super::matcher::{Automaton, Found, Hit, Literals, search};
use super::rules::{Actor, ActorKind, Context, FrameScope, Rules};
use super::scorer::ScoreError;
use super::text;

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
    /// A cue that the sentence tells of the past.
    Past,
    /// A cue of an event across a border.
    CrossBorder,
    /// A cue of sentence frame `.0` (an index into the rules' frames).
    Frame(usize),
}

/// The compiled cues and actor names of a set of rules.
#[derive(Debug, Clone)]
pub(super) struct Cues {
    automaton: Automaton<Cue>,
    /// Number of parts of each conditional.
    conditional_parts: Vec<usize>,
}

impl Cues {
    /// Compiles the context cues and the actors' names and aliases of `rules`.
    pub(super) fn new(rules: &Rules) -> Result<Self, ScoreError> {
        let mut literals = Literals::new();
        let ctx = &rules.context;
        for cue in &ctx.negation {
            literals.add(cue, Cue::Negation);
        }
        for phrase in &ctx.negation_exceptions {
            literals.add(phrase, Cue::Exception);
        }
        let mut conditional_parts = Vec::new();
        for (i, cond) in ctx.conditional.iter().enumerate() {
            let parts: Vec<&str> = cond.split("...").map(str::trim).filter(|p| !p.is_empty()).collect();
            for (j, part) in parts.iter().enumerate() {
                literals.add(part, Cue::Conditional(i, j));
            }
            conditional_parts.push(parts.len());
        }
        for cue in &ctx.allegation {
            literals.add(cue, Cue::Allegation);
        }
        for cue in &ctx.background {
            literals.add(cue, Cue::Background);
        }
        for (i, actor) in rules.actors.iter().enumerate() {
            literals.add(&actor.name, Cue::Actor(i));
            for alias in &actor.aliases {
                literals.add(alias, Cue::Actor(i));
            }
        }
        for cue in &rules.events.past {
            literals.add(cue, Cue::Past);
        }
        for cue in &rules.events.cross_border {
            literals.add(cue, Cue::CrossBorder);
        }
        for (i, frame) in rules.frames.iter().enumerate().filter(|(_, f)| f.scope == FrameScope::Sentence) {
            for cue in &frame.cues {
                literals.add(cue, Cue::Frame(i));
            }
        }
        // Searched only in sentences with a hit, where a small automaton costs little.
        Ok(Self { automaton: literals.build_with(300)?, conditional_parts })
    }

    /// Negation cues, conditional framing and actors of one normalised sentence.
    pub(super) fn of(&self, norm: &str) -> SentenceContext {
        let mut view = SentenceContext::default();
        let Some((ac, cues)) = &self.automaton else { return view };
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
                    Cue::Past => view.past = true,
                    Cue::CrossBorder => view.cross_border = true,
                    Cue::Frame(i) => view.frame = view.frame.or(Some(i)),
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
}

/// What the context automaton found in one sentence.
#[derive(Debug, Default)]
pub(super) struct SentenceContext {
    /// Spans of negation cues not covered by an exception.
    negations: Vec<(usize, usize)>,
    conditional: bool,
    /// Ends of allegation cues.
    allegations: Vec<usize>,
    /// Spans of background cues.
    backgrounds: Vec<(usize, usize)>,
    /// Actor mentions: span and actor index, in order.
    actors: Vec<(usize, usize, usize)>,
    /// A past cue is in the sentence.
    pub(super) past: bool,
    /// A cross-border cue is in the sentence.
    pub(super) cross_border: bool,
    /// The first sentence frame whose cue is in the sentence.
    pub(super) frame: Option<usize>,
}

impl SentenceContext {
    /// The context rules that apply to `f`, one of the terms `found` in the sentence `norm`.
    /// Negation, allegation and background scale escalation (a positive weight) only: scaling a
    /// de-escalation down would halve its dampening ("accused of violating the ceasefire").
    pub(super) fn flags(&self, norm: &str, f: &Found, found: &[Found], rules: &Rules) -> Flags {
        let positive = rules.terms[f.term].weight > 0.0;
        Flags {
            negated: positive && self.negates(norm, f.start, &rules.context),
            conditional: self.conditional,
            alleged: positive && self.alleged(f.start),
            background: positive && self.in_background(norm, f.start, found, rules),
            ..Flags::default()
        }
    }

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

    /// The kinds of the actors named in the sentence.
    pub(super) fn kinds(&self, actors: &[Actor]) -> KindSet {
        self.actors.iter().fold(KindSet::default(), |set, a| set.with(actors[a.2].kind))
    }

    /// The first actor named before the span, and the first other one after it. In a language
    /// that puts the object before the verb too ([`Order::ObjectFirst`]: Urdu, Hindi, Persian,
    /// Pashto), with nobody named after the act the target is the next party between the
    /// subject and it. In one that opens a sentence with its verb ([`Order::VerbFirst`]:
    /// Arabic), with nobody named before the act its subject is the first named after it and
    /// the target the next.
    pub(super) fn actors_around(
        &self,
        start: usize,
        end: usize,
        order: Order,
    ) -> (Option<usize>, Option<usize>) {
        let mut source = self.actors.iter().find(|a| a.1 <= start).map(|a| a.2);
        if source.is_none() && order == Order::VerbFirst {
            source = self.actors.iter().find(|a| a.0 >= end).map(|a| a.2);
        }
        let after = self.actors.iter().find(|a| a.0 >= end && Some(a.2) != source);
        let before = || self.actors.iter().find(|a| a.1 <= start && Some(a.2) != source);
        let target = if order == Order::ObjectFirst { after.or_else(before) } else { after };
        (source, target.map(|a| a.2))
    }
}

/// Where a language puts the actors of a sentence around its verb, as far as finding who acts
/// on whom needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(clippy::enum_variant_names, reason = "the orders are named by what comes first")]
pub(super) enum Order {
    /// Subject, verb, object: English.
    SubjectFirst,
    /// Subject, object, verb: Urdu, Hindi, Persian, Pashto.
    ObjectFirst,
    /// An Arabic sentence that opens with its verb: verb, subject, object. (Arabic that names
    /// its subject first reads as the object-first languages do when its object follows.)
    VerbFirst,
}

impl Order {
    /// The order around the term at `start..end` of a normalised sentence: by the term's script
    /// and, in Arabic script, whether the sentence is Arabic (two or more words with its article
    /// `ال`, which Urdu, Persian and Pashto borrow rarely twice in a sentence) and opens with the
    /// term (at most one word before it: "وقد هددت باكستان").
    pub(super) fn of(sentence: &str, start: usize, end: usize) -> Self {
        let term = &sentence[start..end];
        if !term.chars().next().is_some_and(crate::lang::is_object_first_script) {
            return Self::SubjectFirst;
        }
        let arabic = term.chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c))
            && sentence
                .split_whitespace()
                .filter(|w| w.starts_with("ال") && w.chars().count() > 3)
                .nth(1)
                .is_some();
        if !arabic {
            return Self::ObjectFirst;
        }
        if sentence[..start].split_whitespace().nth(1).is_none() {
            Self::VerbFirst
        } else {
            Self::ObjectFirst
        }
    }
}

/// A set of actor kinds, as the bits of their positions in [`ActorKind::ALL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct KindSet(u8);

impl KindSet {
    fn bit(kind: ActorKind) -> u8 {
        let at = ActorKind::ALL.iter().position(|(k, _)| *k == kind).unwrap_or(0);
        1 << at
    }

    #[must_use]
    pub(super) fn with(self, kind: ActorKind) -> Self {
        Self(self.0 | Self::bit(kind))
    }

    pub(super) fn contains(self, kind: ActorKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// Whether any kind in the set satisfies `test`.
    pub(super) fn any(self, test: impl Fn(ActorKind) -> bool) -> bool {
        ActorKind::ALL.iter().any(|(k, _)| self.contains(*k) && test(*k))
    }
}

#[cfg(test)]
mod tests {
    use super::Order;

    #[test]
    fn the_order_of_a_sentence_around_its_term() {
        let cases = [
            ("Pakistan threatens Afghanistan", "threatens", Order::SubjectFirst),
            ("پاکستان نے افغانستان کو دھمکی دی", "دھمکی", Order::ObjectFirst),
            ("पाकिस्तान ने अफगानिस्तान को धमकी दी", "धमकी", Order::ObjectFirst),
            ("هددت باكستان بضرب المسلحين داخل الأراضي الأفغانية", "هددت", Order::VerbFirst),
            ("وقد هددت باكستان بضرب المسلحين داخل الأراضي الأفغانية", "هددت", Order::VerbFirst),
            ("وقال الوزير إن بلاده هددت المسلحين في الأراضي الأفغانية", "هددت", Order::ObjectFirst),
            // One word with the article is not yet Arabic: Urdu borrows some.
            ("الزام ہے کہ پاکستان نے حملہ کیا", "حملہ", Order::ObjectFirst),
        ];
        for (sentence, term, want) in cases {
            let start = sentence.find(term).expect("term in sentence");
            assert_eq!(Order::of(sentence, start, start + term.len()), want, "{sentence}");
        }
    }
}
