//! The rules the scorer is built from: terms and their patterns, exclusions, context settings,
//! actors and severity levels, as plain values with the checks that read a configured pattern.
//!
//! Every type here also serialises to the canonical form the rules hash is taken from (see
//! `hash.rs`): fields in declaration order, a field at its default value left out.

use serde::{Deserialize, Serialize};

use super::text::{self, normalize};

/// How a term finds its words.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The rule as the user wrote it, shown in explanations.
    pub label: String,
    pub pattern: Pattern,
    /// Points one occurrence adds; negative values dampen.
    pub weight: f64,
    pub category: String,
    /// Its step on the escalation ladder (from its category); `None` for terms that are no act
    /// of escalation (de-escalation, frames of the user's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rung: Option<Rung>,
    /// An act that is military by itself ("airstrike", "shelling"): it needs no actor in its
    /// sentence to be an event.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub standalone: bool,
}

crate::types::text_enum! {
    /// The escalation ladder: what an event does, from words to war.
    Rung {
        /// A threat of force or of a penalty.
        Threat => "threat",
        /// Forces moved, alerted or massed; coercion (blockades, force against protesters).
        Mobilisation => "mobilisation",
        /// Violence by one party: an attack, a bombing, a kidnapping.
        Attack => "attack",
        /// Armed violence between two parties' forces.
        Clash => "clash",
    }
}

impl Rung {
    /// Its base level on the ladder: threat 1, mobilisation 2, attack and clash 3 (a clash
    /// between states' forces rises further as an interstate event).
    #[must_use]
    pub fn level(self) -> u8 {
        match self {
            Self::Threat => 1,
            Self::Mobilisation => 2,
            Self::Attack | Self::Clash => 3,
        }
    }
}

/// What kind of party an actor is: which parties make violent words a conflict event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A country, its capital or its people.
    Country,
    /// A government or official: a ministry, a minister, a spokesman.
    State,
    /// Armed forces.
    Military,
    Police,
    /// Militants, insurgents, rebels, terrorist groups.
    ArmedGroup,
    /// Civic figures whose killing, abduction or intimidation is political violence whoever
    /// does it: politicians, judges, journalists, clerics, activists, aid and polio workers,
    /// tribal elders. A party to the event as its target, never armed or official.
    Civic,
    /// Anyone else: named for the record, no conflict party.
    #[default]
    Other,
}

impl ActorKind {
    /// Every kind, with its config spelling.
    pub const ALL: [(Self, &str); 7] = [
        (Self::Country, "country"),
        (Self::State, "state"),
        (Self::Military, "military"),
        (Self::Police, "police"),
        (Self::ArmedGroup, "armed_group"),
        (Self::Civic, "civic"),
        (Self::Other, "other"),
    ];

    /// The kind spelt `text`, if any.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, name)| *name == text).map(|(k, _)| *k)
    }

    /// Whether a party of this kind makes a violent word next to it a conflict event.
    #[must_use]
    pub fn is_conflict_party(self) -> bool {
        self != Self::Other
    }

    /// Whether it speaks for a state: its threats and mobilisations weigh more.
    #[must_use]
    pub fn is_official(self) -> bool {
        matches!(self, Self::State | Self::Military)
    }

    /// Whether it carries arms: its violence survives frames of sport or film.
    #[must_use]
    pub fn is_armed(self) -> bool {
        matches!(self, Self::Military | Self::Police | Self::ArmedGroup)
    }
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_other(kind: &ActorKind) -> bool {
    *kind == ActorKind::Other
}

/// A named party and the words that name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "is_other")]
    pub kind: ActorKind,
    /// The state it belongs to or acts for: two parties of different states make an event
    /// interstate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Where a frame looks for its cues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameScope {
    /// The whole article: a match report, a film review, a market story.
    #[default]
    Article,
    /// The match's own sentence: "the war on polio", "in 1971".
    Sentence,
}

/// A frame that turns violent vocabulary into something else (sport, film, markets, history).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frame {
    pub name: String,
    /// Words and phrases that say the article (or sentence) is in this frame.
    pub cues: Vec<String>,
    pub scope: FrameScope,
    /// Distinct cues an article needs to be in the frame (sentence frames need one).
    pub min_cues: usize,
    /// What a match in the frame keeps of its weight.
    pub factor: f64,
    /// Kinds of actor whose presence in a match's sentence keeps the match out of the frame:
    /// gunmen at a cricket ground are not sport.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<ActorKind>,
}

/// How matches become events, and events a severity (`[scoring.events]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Events {
    /// What a match keeps when no conflict party is named in its sentence and its term is not
    /// standalone: violent words with nobody acting are rarely a conflict event.
    pub no_actor_factor: f64,
    /// What such a match keeps instead when an armed party (forces, police, an armed group) is
    /// named elsewhere in the article: the party is in reach, if further off.
    pub distant_actor_factor: f64,
    /// Cues that the sentence tells of the past ("years ago", "anniversary of").
    pub past: Vec<String>,
    /// What a match in a sentence about the past keeps (a year two or more before the
    /// article's counts as past too).
    pub past_factor: f64,
    /// Cues of an event across a border ("cross-border", "across the border", "line of control").
    pub cross_border: Vec<String>,
    /// Ladder levels added to an event between two states (or across a border).
    pub interstate_bonus: u8,
    /// Ladder levels added to a threat or mobilisation by an official source.
    pub official_bonus: u8,
    /// Lowest ladder level of a medium alert, and of a high one.
    pub medium_level: u8,
    pub high_level: u8,
}

impl Default for Events {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_string()).collect();
        Self {
            no_actor_factor: 0.25,
            distant_actor_factor: 0.8,
            past: list(&["years ago", "anniversary of", "decades ago", "in the past", "last year's"]),
            past_factor: 0.2,
            cross_border: list(&["cross-border", "across the border", "line of control", "loc"]),
            interstate_bonus: 2,
            official_bonus: 1,
            medium_level: 3,
            high_level: 4,
        }
    }
}

/// How the words around a match change what it counts (`[scoring.context]`).
///
/// It deserialises from the config with every missing field at its default, and serialises to
/// the canonical form only: the fields that differ from [`Context::default`], so a context at
/// default is `{}`. That is the form the rules hash needs, not a dump of the settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Context {
    /// Cues that negate a match following them (`not`, `denied`, `ruled out`).
    #[serde(skip_serializing_if = "at_default::negation")]
    pub negation: Vec<String>,
    /// Phrases holding a cue that negate nothing (`not hesitate`, `no choice but`).
    #[serde(skip_serializing_if = "at_default::negation_exceptions")]
    pub negation_exceptions: Vec<String>,
    /// Most words between a cue and the match it negates; a comma or semicolon ends the scope.
    #[serde(skip_serializing_if = "at_default::negation_scope")]
    pub negation_scope: usize,
    /// What a negated match keeps of its weight: 0 cancels it.
    #[serde(skip_serializing_if = "at_default::negation_factor")]
    pub negation_factor: f64,
    /// Conditional framing (`if ... will`, `unless`): `...` means any words between, in order.
    #[serde(skip_serializing_if = "at_default::conditional")]
    pub conditional: Vec<String>,
    /// What a conditional match keeps of its weight (it is a threat, not an event).
    #[serde(skip_serializing_if = "at_default::conditional_factor")]
    pub conditional_factor: f64,
    /// Cues of an allegation (`accused of`, `alleged that`): a match after one, in its sentence,
    /// is reported violence someone is blamed for, an accusation rather than an event.
    #[serde(skip_serializing_if = "at_default::allegation")]
    pub allegation: Vec<String>,
    /// What an alleged match keeps of its weight.
    #[serde(skip_serializing_if = "at_default::allegation_factor")]
    pub allegation_factor: f64,
    /// Cues of a background clause (`after`, `following`): violence after one, in a sentence
    /// whose main clause before it is de-escalation ("ceasefire after fierce fighting"), is the
    /// backdrop of that event.
    #[serde(skip_serializing_if = "at_default::background")]
    pub background: Vec<String>,
    /// What a background match keeps of its weight.
    #[serde(skip_serializing_if = "at_default::background_factor")]
    pub background_factor: f64,
    /// Multiplier for matches in the title.
    #[serde(skip_serializing_if = "at_default::title_boost")]
    pub title_boost: f64,
    /// Multiplier for matches in the first `lede_sentences` sentences of the body.
    #[serde(skip_serializing_if = "at_default::lede_boost")]
    pub lede_boost: f64,
    #[serde(skip_serializing_if = "at_default::lede_sentences")]
    pub lede_sentences: usize,
    /// Multiplier for matches in the rest of the body. Below 1 it keeps a lone passing mention
    /// there from alerting; the event rules do that better, so the default is 1.
    #[serde(skip_serializing_if = "at_default::body_weight")]
    pub body_weight: f64,
    /// Each repeat of one term adds this share of the previous occurrence.
    #[serde(skip_serializing_if = "at_default::repeat_decay")]
    pub repeat_decay: f64,
}

impl Context {
    /// The multiplier of a match in the title, the lede or the rest of the body.
    #[must_use]
    pub fn boost(&self, place: super::Place) -> f64 {
        match place {
            super::Place::Title => self.title_boost,
            super::Place::Lede => self.lede_boost,
            super::Place::Body => self.body_weight,
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_string()).collect();
        Self {
            negation: list(NEGATION),
            negation_exceptions: list(NEGATION_EXCEPTIONS),
            negation_scope: 5,
            negation_factor: 0.0,
            conditional: list(&[
                "if ... will",
                "if ... would",
                "will ... if",
                "would ... if",
                "unless",
                "in case of",
            ]),
            conditional_factor: 1.0,
            allegation: list(ALLEGATION),
            allegation_factor: 0.4,
            background: list(&["after", "following", "since", "in the wake of"]),
            background_factor: 0.25,
            title_boost: 1.5,
            lede_boost: 1.25,
            lede_sentences: 2,
            body_weight: 1.0,
            repeat_decay: 0.5,
        }
    }
}

/// The default [`Context::negation`] cues.
const NEGATION: &[&str] = &[
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
];

/// The default [`Context::negation_exceptions`].
const NEGATION_EXCEPTIONS: &[&str] =
    &["not hesitate", "no choice but", "not only", "no doubt", "not rule out", "no longer"];

/// The default [`Context::allegation`] cues.
const ALLEGATION: &[&str] = &[
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
];

/// The score at or above which an article raises an alert (its severity comes from the ladder).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub threshold: f64,
}

/// Everything the scorer is built from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<Term>,
    /// Phrases whose words never count (`bowling attack`, `strike rate`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub context: Context,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<Actor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<Frame>,
    #[serde(skip_serializing_if = "is_default")]
    pub events: Events,
    /// The learned gate an alert must pass too, when on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevance: Option<Gate>,
    pub severity: Thresholds,
}

/// The relevance gate as the rules see it: the least relevance an alert needs, and which model
/// judges it (another model, another rules hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub min: f64,
    /// The first 16 hex digits of the SHA-256 of the model file.
    pub model: String,
}

/// Whether `value` is its type's default, to leave it out of the canonical form.
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `skip_serializing_if` tests of [`Context`]'s fields, one per field: whether it holds its
/// [`Context::default`] value. A field added to `Context` needs one here too.
mod at_default {
    use super::Context;

    macro_rules! unchanged {
        ($($field:ident: $type:ty),* $(,)?) => {$(
            pub(super) fn $field(value: &$type) -> bool {
                PartialEq::eq(value, &Context::default().$field)
            }
        )*};
    }

    unchanged! {
        negation: [String],
        negation_exceptions: [String],
        negation_scope: usize,
        negation_factor: f64,
        conditional: [String],
        conditional_factor: f64,
        allegation: [String],
        allegation_factor: f64,
        background: [String],
        background_factor: f64,
        title_boost: f64,
        lede_boost: f64,
        lede_sentences: usize,
        body_weight: f64,
        repeat_decay: f64,
    }
}
