//! Compiling `[scoring]`: thresholds and severity levels, category weights (built-in ones
//! overridable), context rules, actors and the lexicon, into the [`Scorer`] the score stage runs.
//!
//! Every entry is checked on its own, so a lexicon with many bad terms reports each of them.

use std::collections::{BTreeMap, HashSet};

use std::path::Path;
use std::sync::Arc;

use std::fmt::Write as _;

use sha2::Digest as _;

use super::raw::{ActorConfig, CategoryConfig, FrameConfig, RelevanceConfig, ScoringConfig, TermConfig};
use super::{Problem, problem};
use crate::relevance;
use crate::score::{
    self, Actor, ActorKind, Context, Events, Frame, FrameScope, Gate, Pattern, Rules, Rung, Scorer, Term,
    Thresholds,
};

/// Built-in category weights, from the conflict intensity of the matching CAMEO roots on the
/// Goldstein scale (13 threaten -7, 15 force posture -7.2, 17 coerce -7, 18 assault -9,
/// 19 fight -10), set so one unambiguous assault or fight verb reaches the default threshold (6)
/// on its own, a threat just does, and coercion needs company.
pub const CATEGORY_WEIGHTS: &[(&str, f64)] =
    &[("threaten", 6.0), ("mobilize", 5.0), ("coerce", 3.0), ("assault", 7.0), ("fight", 7.0)];

/// The ladder rung of each built-in category: coercion (blockades, force against protesters)
/// stands with mobilisation, one step below violence.
pub const CATEGORY_RUNGS: &[(&str, Rung)] = &[
    ("threaten", Rung::Threat),
    ("mobilize", Rung::Mobilisation),
    ("coerce", Rung::Mobilisation),
    ("assault", Rung::Attack),
    ("fight", Rung::Clash),
];

/// The relevance model shipped as config/relevance.model, built in: a config that names no model
/// file gets the gate all the same.
const BUILT_IN_MODEL: &[u8] = include_bytes!("../../config/relevance.model");

/// Distinct cues an article frame needs when it sets no `min_cues`.
const DEFAULT_MIN_CUES: usize = 3;

/// Words between `near` parts when a term sets no `within`.
const DEFAULT_WITHIN: usize = 8;

/// `[scoring]` into a ready [`Scorer`]; `None` when the rules cannot be built at all.
pub(super) fn compile_scoring(
    scoring: &ScoringConfig,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<Scorer> {
    let severity = compile_thresholds(scoring, problems);
    let gate = compile_relevance(&scoring.relevance, base, problems);
    let categories = category_weights(&scoring.categories, problems);
    let rungs = category_rungs(&scoring.categories, problems);
    check_context(&scoring.context, problems);
    check_events(&scoring.events, problems);
    let frames = compile_frames(&scoring.frames, problems);
    non_empty("scoring.exclude", &scoring.exclude, problems);
    let actors = compile_actors(&scoring.actors, problems);
    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    for (i, t) in scoring.terms.iter().enumerate() {
        if let Some(mut term) =
            compile_term(&format!("scoring.terms[{i}]"), t, &categories, &mut seen, problems)
        {
            term.rung = rungs.get(term.category.as_str()).copied().filter(|_| term.weight > 0.0);
            terms.push(term);
        }
    }
    let rules = Rules {
        terms,
        exclude: scoring.exclude.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect(),
        context: scoring.context.clone(),
        actors,
        frames,
        events: scoring.events.clone(),
        relevance: gate.as_ref().map(|(gate, _)| gate.clone()),
        severity,
    };
    match Scorer::new(rules) {
        Ok(scorer) => Some(match gate {
            Some((_, model)) => scorer.gated(model),
            None => scorer,
        }),
        Err(err) => {
            problems.push(problem("scoring.terms", err.to_string()));
            None
        }
    }
}

/// `[scoring.relevance]`: the gate's rule and its model, read from `model` (relative to `base`,
/// the config file's directory); `None` when the gate is off or cannot be read.
fn compile_relevance(
    r: &RelevanceConfig,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<(Gate, Arc<relevance::Model>)> {
    if !(0.0..=1.0).contains(&r.min) {
        problems.push(problem("scoring.relevance.min", "must be between 0 and 1"));
    }
    if !r.enabled {
        return None;
    }
    let path = base.join(&r.model);
    let bytes = if r.model.as_os_str().is_empty() {
        BUILT_IN_MODEL.to_vec()
    } else {
        match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                let message = format!("cannot read {}: {err}", path.display());
                problems.push(problem("scoring.relevance.model", message));
                return None;
            }
        }
    };
    match relevance::Model::from_bytes(&bytes) {
        Ok(model) => {
            let digest = sha2::Sha256::digest(&bytes);
            let id = digest.iter().take(8).fold(String::new(), |mut id, b| {
                let _ = write!(id, "{b:02x}");
                id
            });
            Some((Gate { min: r.min, model: id }, Arc::new(model)))
        }
        Err(err) => {
            let message = format!("{}: {}", path.display(), crate::types::chain(&err));
            problems.push(problem("scoring.relevance.model", message));
            None
        }
    }
}

/// Largest weight of a term or category, either sign: far beyond any real one (the built-in
/// ones are at most 10), and small enough that no sum of matches leaves the finite numbers.
pub const MAX_WEIGHT: f64 = 1000.0;

/// Largest alert threshold.
pub const MAX_THRESHOLD: f64 = 1_000_000.0;

/// Whether `w` is a usable weight: non-zero, within ±[`MAX_WEIGHT`].
fn is_weight(w: f64) -> bool {
    w != 0.0 && (-MAX_WEIGHT..=MAX_WEIGHT).contains(&w)
}

/// What a bad weight is told.
fn weight_range() -> String {
    format!("must be a non-zero number between -{MAX_WEIGHT} and {MAX_WEIGHT}")
}

/// The alert threshold: positive.
fn compile_thresholds(scoring: &ScoringConfig, problems: &mut Vec<Problem>) -> Thresholds {
    if !(scoring.threshold > 0.0 && scoring.threshold <= MAX_THRESHOLD) {
        problems.push(problem(
            "scoring.threshold",
            format!("must be a number above 0 and at most {MAX_THRESHOLD}"),
        ));
    }
    Thresholds { threshold: scoring.threshold }
}

/// The built-in category weights with `[scoring.categories]` laid over them.
fn category_weights<'a>(
    configured: &'a BTreeMap<String, CategoryConfig>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<&'a str, f64> {
    let mut categories: BTreeMap<&str, f64> = CATEGORY_WEIGHTS.iter().copied().collect();
    for (name, category) in configured {
        let key = format!("scoring.categories.{name}.weight");
        match category.weight {
            Some(w) if is_weight(w) => {
                categories.insert(name.as_str(), w);
            }
            Some(_) => problems.push(problem(key, weight_range())),
            None => problems.push(problem(key, "is missing")),
        }
    }
    categories
}

/// One `[[scoring.terms]]` entry, its weight resolved; `None` (with problems) when it is bad.
fn compile_term(
    key: &str,
    t: &TermConfig,
    categories: &BTreeMap<&str, f64>,
    seen: &mut HashSet<String>,
    problems: &mut Vec<Problem>,
) -> Option<Term> {
    let category = t.category.trim();
    let weight = match (t.weight, categories.get(category)) {
        (Some(w), _) if !is_weight(w) => {
            problems.push(problem(format!("{key}.weight"), weight_range()));
            None
        }
        (Some(w), _) | (None, Some(&w)) => Some(w),
        (None, None) if category.is_empty() => None,
        (None, None) => {
            problems.push(problem(
                format!("{key}.weight"),
                format!("is needed: category {category:?} has no weight (set [scoring.categories.{category}] weight)"),
            ));
            None
        }
    };
    if category.is_empty() {
        problems.push(problem(format!("{key}.category"), "must not be empty"));
    }
    let (pattern, label) = match (&t.phrase, t.near.is_empty()) {
        (Some(phrase), true) => {
            if t.within.is_some() {
                problems.push(problem(format!("{key}.within"), "goes with near, not phrase"));
            }
            (Pattern::phrase(phrase).map_err(|m| (format!("{key}.phrase"), m)), phrase.trim().to_string())
        }
        (None, false) => {
            let within = t.within.unwrap_or(DEFAULT_WITHIN);
            let label = format!("{} within {within}", t.near.join(" ~ "));
            (Pattern::near(&t.near, within).map_err(|m| (format!("{key}.near"), m)), label)
        }
        (Some(_), false) => (Err((key.to_string(), "set phrase or near, not both".into())), String::new()),
        (None, true) => (Err((format!("{key}.phrase"), "is missing (or set near)".into())), String::new()),
    };
    let pattern = match pattern {
        Ok(p) => p,
        Err((key, message)) => {
            problems.push(problem(key, message));
            return None;
        }
    };
    if !seen.insert(format!("{pattern:?}")) {
        problems.push(problem(key, format!("{label:?} is listed twice")));
    }
    weight.map(|weight| Term {
        label,
        pattern,
        weight,
        category: category.to_string(),
        rung: None,
        standalone: t.standalone,
    })
}

fn check_context(c: &Context, problems: &mut Vec<Problem>) {
    non_empty("scoring.context.negation", &c.negation, problems);
    non_empty("scoring.context.negation_exceptions", &c.negation_exceptions, problems);
    non_empty("scoring.context.conditional", &c.conditional, problems);
    non_empty("scoring.context.allegation", &c.allegation, problems);
    non_empty("scoring.context.background", &c.background, problems);
    let ranges = [
        ("negation_factor", c.negation_factor, 0.0, 1.0),
        ("conditional_factor", c.conditional_factor, 0.0, 10.0),
        ("allegation_factor", c.allegation_factor, 0.0, 1.0),
        ("background_factor", c.background_factor, 0.0, 1.0),
        ("title_boost", c.title_boost, 0.0, 10.0),
        ("lede_boost", c.lede_boost, 0.0, 10.0),
        ("body_weight", c.body_weight, 0.0, 10.0),
        ("repeat_decay", c.repeat_decay, 0.0, 1.0),
    ];
    for (name, value, low, high) in ranges {
        if !(low..=high).contains(&value) {
            problems.push(problem(
                format!("scoring.context.{name}"),
                format!("must be between {low} and {high}"),
            ));
        }
    }
    if c.negation_scope == 0 {
        problems.push(problem("scoring.context.negation_scope", "must be at least 1"));
    }
}

fn non_empty(key: &str, items: &[String], problems: &mut Vec<Problem>) {
    for (i, item) in items.iter().enumerate() {
        if score::normalize(item).is_empty() {
            problems.push(problem(format!("{key}[{i}]"), "must not be empty"));
        }
    }
}

fn compile_actors(actors: &[ActorConfig], problems: &mut Vec<Problem>) -> Vec<Actor> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        let key = format!("scoring.actors[{i}]");
        let name = a.name.trim();
        if name.is_empty() {
            problems.push(problem(format!("{key}.name"), "must not be empty"));
            continue;
        }
        if !names.insert(name.to_string()) {
            problems.push(problem(format!("{key}.name"), format!("{name:?} is listed twice")));
        }
        non_empty(&format!("{key}.aliases"), &a.aliases, problems);
        let kind = match a.kind.as_deref().map(str::trim) {
            None => ActorKind::Other,
            Some(text) => ActorKind::parse(text).unwrap_or_else(|| {
                problems.push(problem(format!("{key}.type"), format!("{text:?} is not one of {}", kinds())));
                ActorKind::Other
            }),
        };
        let country = a.country.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from);
        let country = country.or_else(|| (kind == ActorKind::Country).then(|| name.to_string()));
        out.push(Actor { name: name.to_string(), aliases: a.aliases.clone(), kind, country });
    }
    out
}

/// The actor types, for messages.
fn kinds() -> String {
    ActorKind::ALL.map(|(_, name)| name).join(", ")
}

/// The rung of each category: the built-in ones, with `[scoring.categories.NAME] rung` laid over.
fn category_rungs<'a>(
    configured: &'a BTreeMap<String, CategoryConfig>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<&'a str, Rung> {
    let mut rungs: BTreeMap<&str, Rung> = CATEGORY_RUNGS.iter().copied().collect();
    for (name, category) in configured {
        let Some(text) = category.rung.as_deref() else { continue };
        match Rung::parse(text.trim()) {
            Some(rung) => {
                rungs.insert(name.as_str(), rung);
            }
            None => problems.push(problem(
                format!("scoring.categories.{name}.rung"),
                format!("{text:?} is not one of threat, mobilisation, attack, clash"),
            )),
        }
    }
    rungs
}

fn check_events(e: &Events, problems: &mut Vec<Problem>) {
    non_empty("scoring.events.past", &e.past, problems);
    non_empty("scoring.events.cross_border", &e.cross_border, problems);
    let factors = [
        ("no_actor_factor", e.no_actor_factor),
        ("distant_actor_factor", e.distant_actor_factor),
        ("past_factor", e.past_factor),
    ];
    for (name, value) in factors {
        if !(0.0..=1.0).contains(&value) {
            problems.push(problem(format!("scoring.events.{name}"), "must be between 0 and 1"));
        }
    }
    if e.high_level < e.medium_level {
        problems.push(problem("scoring.events.high_level", "must not be below scoring.events.medium_level"));
    }
}

fn compile_frames(frames: &[FrameConfig], problems: &mut Vec<Problem>) -> Vec<Frame> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let key = format!("scoring.frames[{i}]");
        let name = f.name.trim();
        if name.is_empty() {
            problems.push(problem(format!("{key}.name"), "must not be empty"));
        } else if !names.insert(name.to_string()) {
            problems.push(problem(format!("{key}.name"), format!("{name:?} is listed twice")));
        }
        if f.cues.is_empty() {
            problems.push(problem(format!("{key}.cues"), "must name at least one cue"));
        }
        non_empty(&format!("{key}.cues"), &f.cues, problems);
        let scope = match f.scope.as_deref().map(str::trim) {
            None | Some("article") => FrameScope::Article,
            Some("sentence") => FrameScope::Sentence,
            Some(other) => {
                problems
                    .push(problem(format!("{key}.scope"), format!("{other:?} is not article or sentence")));
                FrameScope::Article
            }
        };
        let factor = f.factor.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&factor) {
            problems.push(problem(format!("{key}.factor"), "must be between 0 and 1"));
        }
        let unless = f
            .unless
            .iter()
            .enumerate()
            .filter_map(|(j, k)| {
                let kind = ActorKind::parse(k.trim());
                if kind.is_none() {
                    problems.push(problem(
                        format!("{key}.unless[{j}]"),
                        format!("{k:?} is not one of {}", kinds()),
                    ));
                }
                kind
            })
            .collect();
        let min_cues = match scope {
            FrameScope::Article => f.min_cues.unwrap_or(DEFAULT_MIN_CUES).max(1),
            FrameScope::Sentence => 1,
        };
        out.push(Frame { name: name.to_string(), cues: f.cues.clone(), scope, min_cues, factor, unless });
    }
    out
}
