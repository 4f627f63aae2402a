//! Decoding: the layered config tree (file plus environment) into [`Settings`], collecting every
//! unknown key and type error at its dotted key instead of stopping at the first.
//!
//! Sections, and each entry of an array of tables, are decoded on their own, so one bad value
//! costs only its own section or entry; what failed is replaced by its default and remembered, so
//! that compiling that default does not report the same mistake a second time.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::raw::{ScoringConfig, Settings};
use super::{Problem, problem};

/// Problems found while decoding, and the keys whose values were replaced by defaults.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    pub(super) problems: Vec<Problem>,
    pub(super) defaulted: Vec<String>,
}

/// Top-level keys the file may hold: the fields of [`Settings`], each decoded below.
const SECTIONS: &[&str] = &[
    "storage",
    "fetch",
    "feeds_defaults",
    "feeds",
    "sites",
    "extract",
    "scoring",
    "webhooks",
    "delivery",
    "stories",
    "http",
    "service",
    "log",
];

/// Every section decoded on its own; unknown top-level keys are problems too.
pub(super) fn decode_settings(raw: &Value, d: &mut Decoded) -> Settings {
    let empty = Map::new();
    let root = raw.as_object().unwrap_or(&empty);
    for key in root.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            d.problems.push(problem(key, "unknown section"));
        }
    }
    Settings {
        base: std::path::PathBuf::new(),
        storage: section(root, "storage", d),
        fetch: section(root, "fetch", d),
        feeds_defaults: section(root, "feeds_defaults", d),
        feeds: list(root, "feeds", d),
        sites: table(root, "sites", d),
        extract: section(root, "extract", d),
        scoring: scoring_section(root, d),
        webhooks: list(root, "webhooks", d),
        delivery: section(root, "delivery", d),
        stories: section(root, "stories", d),
        http: section(root, "http", d),
        service: section(root, "service", d),
        log: section(root, "log", d),
    }
}

/// Most type errors reported in one value before the rest of it is given up on.
const MAX_TYPE_ERRORS: usize = 64;

/// Deserializes one value, reporting unknown keys and every type error, each at its path. A key
/// whose value has the wrong type is taken out and the rest decoded again, so one mistyped key
/// (`threshold = "high"`) costs only itself: the other keys are still decoded and checked.
fn decode<T: DeserializeOwned + Default>(value: &Value, key: &str, d: &mut Decoded) -> T {
    let full =
        |path: &str| if path == "." || path.is_empty() { key.to_string() } else { format!("{key}.{path}") };
    let mut value = value.clone();
    let mut unknown = std::collections::BTreeSet::new();
    for _ in 0..MAX_TYPE_ERRORS {
        let mut record = |path: serde_ignored::Path<'_>| {
            unknown.insert(path.to_string());
        };
        let result: Result<T, _> =
            serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&value, &mut record));
        let err = match result {
            Ok(v) => {
                report_unknown(&unknown, &full, d);
                return v;
            }
            Err(err) => err,
        };
        let at = full(&err.path().to_string());
        let removed = remove_at(&mut value, err.path());
        d.problems.push(problem(at.clone(), err.into_inner().to_string()));
        d.defaulted.push(at);
        if !removed {
            break;
        }
    }
    report_unknown(&unknown, &full, d);
    d.defaulted.push(key.to_string());
    T::default()
}

fn report_unknown(
    unknown: &std::collections::BTreeSet<String>,
    full: &impl Fn(&str) -> String,
    d: &mut Decoded,
) {
    for path in unknown {
        d.problems.push(problem(full(path), "unknown key"));
    }
}

/// Takes the value at `path` out of `value`; false when there is nothing there to take (the
/// error is about the value as a whole). A bad element takes its whole list with it: removing
/// only the element would shift the others, and a later error would name the wrong index.
fn remove_at(value: &mut Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    while matches!(segments.last(), Some(Segment::Seq { .. })) {
        segments.pop();
    }
    let Some((last, parents)) = segments.split_last() else { return false };
    let mut at = value;
    for segment in parents {
        at = match (segment, at) {
            (Segment::Map { key }, Value::Object(map)) => match map.get_mut(key) {
                Some(v) => v,
                None => return false,
            },
            (Segment::Seq { index }, Value::Array(items)) => match items.get_mut(*index) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, at) {
        (Segment::Map { key }, Value::Object(map)) => map.remove(key).is_some(),
        _ => false,
    }
}

fn section<T: DeserializeOwned + Default>(root: &Map<String, Value>, key: &str, d: &mut Decoded) -> T {
    root.get(key).map_or_else(T::default, |v| decode(v, key, d))
}

/// Arrays of tables are decoded entry by entry, so one bad entry does not hide the others.
fn list<T: DeserializeOwned + Default>(root: &Map<String, Value>, key: &str, d: &mut Decoded) -> Vec<T> {
    match root.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            items.iter().enumerate().map(|(i, v)| decode(v, &format!("{key}[{i}]"), d)).collect()
        }
        Some(_) => {
            d.problems.push(problem(key, "expected an array of tables ([[...]])"));
            Vec::new()
        }
    }
}

fn table<T: DeserializeOwned + Default>(
    root: &Map<String, Value>,
    key: &str,
    d: &mut Decoded,
) -> BTreeMap<String, T> {
    match root.get(key) {
        None => BTreeMap::new(),
        Some(Value::Object(entries)) => entries
            .iter()
            .map(|(name, v)| (name.clone(), decode(v, &format!("{key}.\"{name}\""), d)))
            .collect(),
        Some(_) => {
            d.problems.push(problem(key, "expected a table"));
            BTreeMap::new()
        }
    }
}

/// `[scoring]` holds the `terms` and `actors` arrays; each entry is decoded on its own.
fn scoring_section(root: &Map<String, Value>, d: &mut Decoded) -> ScoringConfig {
    let Some(value) = root.get("scoring") else { return ScoringConfig::default() };
    let Some(map) = value.as_object() else {
        d.problems.push(problem("scoring", "expected a table"));
        d.defaulted.push("scoring".into());
        return ScoringConfig::default();
    };
    let mut rest = map.clone();
    let mut entries = Map::new();
    for name in ["terms", "actors"] {
        if let Some(v) = rest.remove(name) {
            entries.insert(format!("scoring.{name}"), v);
        }
    }
    let mut scoring: ScoringConfig = decode(&Value::Object(rest), "scoring", d);
    scoring.terms = list(&entries, "scoring.terms", d);
    scoring.actors = list(&entries, "scoring.actors", d);
    scoring
}
