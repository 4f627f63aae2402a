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
//!
//! The files, in the order an article meets them: `rules.rs` (what the scorer is built from),
//! `scorer.rs` (compiling the rules; the scoring loop), `prefilter.rs` (which body sentences to
//! search), `matcher.rs` (the terms of one sentence), `context.rs` (the cues and actors around
//! them), `explain.rs` (repeats, the score and its explanation); `hash.rs` names a set of rules
//! and `live.rs` swaps the rules in force on reload.

mod context;
mod events;
mod explain;
mod hash;
mod keys;
mod live;
mod matcher;
mod prefilter;
mod rules;
mod scorer;
mod text;

pub use events::Event;
pub use explain::{ActorPair, Flags, Match, Place, Scored};
pub use live::LiveScorer;
pub use rules::{
    Actor, ActorKind, Context, Events, Frame, FrameScope, Gate, Pattern, Rules, Rung, Term, Thresholds,
};
pub use scorer::{NewAlert, ScoreError, Scorer};
pub use text::{normalize, sentences};

#[cfg(test)]
mod events_tests;
#[cfg(test)]
mod tests;
