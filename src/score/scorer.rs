//! The scorer: rules compiled once into automata, then each article scored sentence by sentence
//! (title, lede, the body sentences the prefilter keeps), each match weighed by its place and
//! context, and the alert a score raises.

use std::sync::Arc;

use chrono::Datelike as _;

use crate::relevance::{Model, Relevance};

use crate::types::Severity;

use super::context::{Cues, KindSet, Order};
use super::events::{
    ArticleScan, ArticleWords, Event, article_frame, is_past, level_of, reference_year, years,
};
use super::explain::{ActorPair, Flags, Occurrence, Place, Scored, explain};
use super::hash::rules_hash;
use super::keys::Keys;
use super::matcher::{Found, Hit, Matcher, term_literals};
use super::prefilter::{candidates, keys_of};
use super::rules::{ActorKind, Rules, Rung, Thresholds};
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
    /// The event that raised it.
    pub event: Option<Event>,
    /// The relevance gate's verdict, when the gate is on.
    pub relevance: Option<Relevance>,
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
    /// Article frames' cues and parties' names, looked for in the raw text of an article that
    /// may alert.
    words: ArticleWords,
    /// The relevance model, when `rules.relevance` puts the gate on.
    model: Option<Arc<Model>>,
    hash: String,
}

/// Whether most letters of the article's first 2,000 characters are Latin: the relevance
/// model has learnt English, and an article in Urdu or Hindi is for the rules alone to judge.
fn mostly_latin(title: &str, body: &str) -> bool {
    let letters = title.chars().chain(body.chars()).take(2_000).filter(|c| c.is_alphabetic());
    let (latin, all) = letters.fold((0_usize, 0_usize), |(latin, all), c| {
        (latin + usize::from(c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c)), all + 1)
    });
    latin * 2 >= all
}

/// Fewest words of title and body the relevance model needs to judge an article's topic: on a
/// sentence or two it mostly sees the vocabulary the rules already weighed.
pub const GATE_MIN_WORDS: usize = 40;

/// Buffers reused across the sentences of one article.
#[derive(Default)]
struct Work<'a> {
    norm: String,
    hits: Vec<Hit>,
    found: Vec<Found>,
    occurrences: Vec<Occurrence<'a>>,
    /// The text whose sentences are being read (the title, then the body), and the title: where
    /// the sentence before one is found.
    within: &'a str,
    title: &'a str,
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
        let words = ArticleWords::new(&rules.frames, &rules.actors)?;
        let hash = rules_hash(&rules);
        Ok(Self { rules, matcher, keys, cues, words, model: None, hash })
    }

    /// Puts the relevance gate on with `model`: an article whose score reaches the threshold
    /// alerts only if the model finds it relevant enough (`rules.relevance.min`). Without
    /// `rules.relevance` the model is kept but no gate applies.
    #[must_use]
    pub fn gated(mut self, model: Arc<Model>) -> Self {
        self.model = Some(model);
        self
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

    /// The alert a score raises under these rules, `None` when it raises none: the one place
    /// an alert is built, for the pipeline and for `rescore` alike.
    #[must_use]
    pub fn alert(&self, scored: &Scored) -> Option<NewAlert> {
        scored.severity.map(|severity| NewAlert {
            severity,
            threshold: self.rules.severity.threshold,
            actors: scored.actors.clone(),
            rules_hash: self.hash.clone(),
            event: scored.event.clone(),
            relevance: scored.relevance.clone(),
        })
    }

    /// Scores an article of unknown date: it is read as of the latest year it names (see
    /// [`Scorer::score_in`]).
    #[must_use]
    pub fn score(&self, title: &str, body: &str) -> Scored {
        self.score_at(title, body, None)
    }

    /// Scores an article published in `year`: a sentence naming a year two or more before it
    /// tells of the past.
    #[must_use]
    pub fn score_in(&self, title: &str, body: &str, year: i32) -> Scored {
        self.score_at(title, body, Some(year))
    }

    fn score_at(&self, title: &str, body: &str, year: Option<i32>) -> Scored {
        let mut work = Work { within: title, title, ..Work::default() };
        if self.matcher.is_none() {
            return explain(&self.rules, work.occurrences, &[]);
        }
        for sentence in sentences(title) {
            self.sentence(Place::Title, sentence, &mut work);
        }
        work.within = body;
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
        let mut occurrences = work.occurrences;
        if occurrences.iter().any(|o| o.year.is_some()) {
            let now = chrono::Utc::now().year();
            let reference = year.unwrap_or_else(|| reference_year(title, body, now));
            self.date(&mut occurrences, reference);
        }
        // The raw text is searched again only where something could alert: most articles match
        // nothing.
        let escalates = occurrences.iter().any(|o| o.raw > 0.0 && o.level.rung.is_some());
        let scan =
            if escalates { self.words.scan(&self.rules.frames, title, body) } else { ArticleScan::default() };
        self.reach(&mut occurrences, scan.parties);
        let frames = scan.frames;
        self.apply_frames(&mut occurrences, &frames);
        self.follow_the_title(&mut occurrences);
        let mut scored = explain(&self.rules, occurrences, &frames);
        self.gate(&mut scored, title, body);
        scored
    }

    /// The relevance gate: an article the rules would alert on, but the model finds not about
    /// conflict, does not alert. A text of under [`GATE_MIN_WORDS`] words (a feed's summary, a
    /// headline) is too little for the model to judge its topic: the gate stays open.
    fn gate(&self, scored: &mut Scored, title: &str, body: &str) {
        let (Some(model), Some(gate)) = (&self.model, &self.rules.relevance) else { return };
        let words = text::words(title).chain(text::words(body)).take(GATE_MIN_WORDS).count();
        if !scored.alert || words < GATE_MIN_WORDS || !mostly_latin(title, body) {
            return;
        }
        let relevance = model.predict(title, body);
        if relevance.p < gate.min
            && let Some(party) = self.named_armed_party(scored)
        {
            // A state's forces or a named armed group acting is armed conflict whatever the
            // words around it: the model judges topic, and this is the topic.
            if let Some(event) = &mut scored.event {
                event
                    .why
                    .push(format!("{party} is a named armed party: relevance {:.2} overruled", relevance.p));
            }
        } else if relevance.p < gate.min {
            scored.alert = false;
            scored.severity = None;
            scored.event = None;
            scored.reason =
                Some(format!("not about conflict: relevance {:.2} below {:.2}", relevance.p, gate.min));
        }
        scored.relevance = Some(relevance);
    }

    /// The armed party of a state or a named group (an actor with a country: not "militants"
    /// or "police" at large) that acts or is acted on in the title or the lede, if any.
    fn named_armed_party(&self, scored: &Scored) -> Option<String> {
        let named = |name: &String| {
            self.rules.actors.iter().any(|a| &a.name == name && a.kind.is_armed() && a.country.is_some())
        };
        scored
            .matches
            .iter()
            .filter(|m| m.place != Place::Body && m.contribution > 0.0)
            .flat_map(|m| [&m.source, &m.target])
            .flatten()
            .find(|name| named(name))
            .cloned()
    }

    /// Gives the matches with no party in their sentence the weight of a distant party when the
    /// article names an armed one elsewhere.
    fn reach(&self, occurrences: &mut [Occurrence<'_>], parties: KindSet) {
        let events = &self.rules.events;
        if !parties.any(ActorKind::is_armed) || events.no_actor_factor <= 0.0 {
            return;
        }
        let lift = events.distant_actor_factor / events.no_actor_factor;
        for o in occurrences.iter_mut().filter(|o| o.flags.no_actor && o.raw > 0.0) {
            o.raw *= lift;
        }
    }

    /// Marks the matches in sentences naming a year two or more before `reference` as past.
    fn date(&self, occurrences: &mut [Occurrence<'_>], reference: i32) {
        for o in occurrences.iter_mut() {
            if o.raw > 0.0 && !o.flags.past && o.year.is_some_and(|y| is_past(y, reference)) {
                o.raw *= self.rules.events.past_factor;
                o.flags.past = true;
                o.event = false;
            }
        }
    }

    /// Scales the escalation in framed articles down, save where an actor the frame yields to
    /// is in the match's sentence.
    fn apply_frames(&self, occurrences: &mut [Occurrence<'_>], frames: &[usize]) {
        if frames.is_empty() {
            return;
        }
        for o in occurrences.iter_mut().filter(|o| o.raw > 0.0 && o.frame.is_none()) {
            if let Some(f) = article_frame(&self.rules.frames, frames, o.kinds) {
                o.raw *= self.rules.frames[f].factor;
                o.frame = Some(f);
                o.flags.framed = true;
                o.event = false;
            }
        }
    }

    /// A story whose title is de-escalation (a reopening, a ceasefire, talks) and no escalation
    /// tells of the violence before it as background.
    fn follow_the_title(&self, occurrences: &mut [Occurrence<'_>]) {
        let title = occurrences.iter().filter(|o| o.place == Place::Title);
        let (calming, escalating) =
            title.fold((false, false), |(c, e), o| (c || o.raw < 0.0, e || o.raw > 0.0));
        if !calming || escalating {
            return;
        }
        let factor = self.rules.context.background_factor;
        for o in occurrences.iter_mut().filter(|o| o.raw > 0.0 && !o.flags.background) {
            o.raw *= factor;
            o.flags.background = true;
            o.event = false;
        }
    }

    /// Whether the sentence before `sentence` in `within` (or, before a body's first, `title`)
    /// names a conflict party: the agent of one sentence is often the subject of the next
    /// ("Gunmen stopped the bus. Six passengers were killed.").
    fn party_before(&self, sentence: &str, within: &str, title: Option<&str>) -> bool {
        let offset = (sentence.as_ptr() as usize).checked_sub(within.as_ptr() as usize);
        let Some(before) = offset.and_then(|o| within.get(..o)).map(str::trim_end) else { return false };
        let previous = match before.char_indices().next_back() {
            Some((last, _)) => {
                let (start, end) = text::sentence_around(within, last);
                &within[start..end]
            }
            None => title.unwrap_or_default(),
        };
        if previous.trim().is_empty() {
            return false;
        }
        let norm = text::normalize(previous);
        self.cues.of(&norm).kinds(&self.rules.actors).any(ActorKind::is_conflict_party)
    }

    /// Finds the terms of one sentence and weighs them in their context.
    fn sentence<'a>(&self, place: Place, sentence: &'a str, work: &mut Work<'a>) {
        let Some(matcher) = &self.matcher else { return };
        let ctx = &self.rules.context;
        let Work { norm, hits, found, occurrences, within, title } = work;
        text::normalize_into(sentence, norm);
        matcher.find(&self.rules.terms, norm, hits, found);
        if found.is_empty() {
            return;
        }
        let boost = ctx.boost(place);
        let view = self.cues.of(norm);
        let kinds = view.kinds(&self.rules.actors);
        let escalates = found.iter().any(|f| self.rules.terms[f.term].weight > 0.0);
        let has_party = kinds.any(ActorKind::is_conflict_party)
            || (escalates && self.party_before(sentence, within, (place != Place::Title).then_some(*title)));
        // A sentence frame holds unless a party of a kind it yields to is in the sentence.
        let sentence_frame =
            view.frame.filter(|&f| !self.rules.frames[f].unless.iter().any(|k| kinds.contains(*k)));
        let past = view.past;
        let year = years(norm).min();
        for f in found.iter() {
            let term = &self.rules.terms[f.term];
            let mut flags = view.flags(norm, f, found, &self.rules);
            let order = Order::of(norm, f.start, f.end);
            let (source, target) = view.actors_around(f.start, f.end, order);
            let escalation = term.weight > 0.0;
            flags.no_actor = escalation && !term.standalone && !has_party;
            flags.past = escalation && past;
            let frame = sentence_frame.filter(|_| escalation);
            flags.framed = frame.is_some();
            let events = &self.rules.events;
            let factors = [
                (flags.negated, ctx.negation_factor),
                (flags.conditional, ctx.conditional_factor),
                (flags.alleged, ctx.allegation_factor),
                (flags.background, ctx.background_factor),
                (flags.no_actor, events.no_actor_factor),
                (flags.past, events.past_factor),
                (flags.framed, frame.map_or(1.0, |i| self.rules.frames[i].factor)),
            ];
            let raw = factors
                .iter()
                .filter(|(set, _)| *set)
                .fold(term.weight * boost, |raw, (_, factor)| raw * factor);
            let level = level_of(&self.rules, term.rung, (source, target), kinds, view.cross_border);
            // "If attacks continue, we will strike": the attack is the condition, the threat the event.
            let condition = flags.conditional && term.rung.is_some_and(|r| r != Rung::Threat);
            let event = escalation && !taken_away(flags) && !condition;
            occurrences.push(Occurrence {
                term: f.term,
                raw,
                flags,
                place,
                source,
                target,
                sentence,
                level,
                event,
                frame,
                kinds,
                year,
            });
        }
    }
}

/// Whether the context takes a match's event away: it is negated, alleged, background, past,
/// framed, or has nobody acting.
fn taken_away(f: Flags) -> bool {
    f.negated || f.alleged || f.background || f.past || f.framed || f.no_actor
}
