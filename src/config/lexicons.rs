//! `scoring.lexicons`: one file per language, merged into `[scoring]` before it is compiled.
//!
//! A lexicon file adds, for its language, terms (each with its category, so its ladder rung,
//! and whether a native speaker has reviewed it), the language's negation, conditional,
//! allegation and past cues, cues for the frames `[scoring]` already has (by name), and the
//! names of actors `[scoring]` already has (by name): "پاکستان" is the same party as
//! "Pakistan", so pairs line up across languages. An entry is a file (`…/ur.toml`, taken from
//! the config file's directory) or the code of a lexicon built into the binary (`ur`, `fa`, `ps`,
//! `hi`, `ar`: the files of `config/lexicons/`), so a copied config needs no files beside it.
//!
//! Languages of one script share spellings (Urdu حملہ and Persian حمله fold to one word), and
//! each lexicon stands alone, so a term an earlier lexicon already gives is kept once, as that
//! lexicon gives it; a term listed twice within one file or in `[scoring]` is still an error.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::raw::{ScoringConfig, TermConfig};
use super::{Problem, problem};
use crate::score;

/// One lexicon file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lexicon {
    /// ISO 639-1 or 639-3 code of the language.
    language: String,
    #[serde(default)]
    context: Cues,
    /// Cues added to the frames of `[scoring]`, by frame name.
    #[serde(default)]
    frames: BTreeMap<String, Vec<String>>,
    /// Names added to the actors of `[scoring]`, by actor name.
    #[serde(default)]
    actors: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    terms: Vec<TermConfig>,
}

/// The language's context cues, added to `[scoring.context]` and `[scoring.events]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Cues {
    negation: Vec<String>,
    /// Phrases holding a negation cue that negate nothing ("لم تتبن أي جهة": no group claimed).
    negation_exceptions: Vec<String>,
    conditional: Vec<String>,
    allegation: Vec<String>,
    past: Vec<String>,
}

/// What merging the lexicons found: how many of their terms no native speaker has reviewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Merged {
    pub(super) unreviewed: usize,
}

/// Reads each file of `scoring.lexicons` (from `base`) and merges it into `scoring`; every
/// problem is reported at `scoring.lexicons[i]` with the file and the entry it is about.
pub(super) fn merge(scoring: &mut ScoringConfig, base: &Path, problems: &mut Vec<Problem>) -> Merged {
    let mut merged = Merged::default();
    let mut languages: Vec<String> = Vec::new();
    for (i, path) in scoring.lexicons.clone().iter().enumerate() {
        let key = format!("scoring.lexicons[{i}]");
        let file = base.join(path);
        let built_in = is_built_in(path);
        let lexicon = match read(path, &file) {
            Ok(lexicon) => lexicon,
            Err(message) => {
                problems.push(problem(key, format!("{}: {message}", file.display())));
                continue;
            }
        };
        if !is_language_code(&lexicon.language) {
            problems.push(problem(
                &key,
                format!(
                    "{}: language {:?} is not an ISO 639-1 or 639-3 code",
                    file.display(),
                    lexicon.language
                ),
            ));
        } else if languages.contains(&lexicon.language) {
            problems.push(problem(
                &key,
                format!("{}: a second lexicon for {}", file.display(), lexicon.language),
            ));
        }
        languages.push(lexicon.language.clone());
        merged.unreviewed += lexicon.terms.iter().filter(|t| t.reviewed == Some(false)).count();
        let at = if built_in { key.clone() } else { format!("{key} ({})", file.display()) };
        // A built-in lexicon has cues and names for the shipped frames and actors: those the
        // config has left out are left out in every language. A lexicon file must match.
        let mut ignored = Vec::new();
        add(scoring, lexicon, &at, if built_in { &mut ignored } else { problems });
    }
    merged
}

/// The lexicons built into the binary, by language code.
const BUILT_IN: [(&str, &str); 5] = [
    ("ur", include_str!("../../config/lexicons/ur.toml")),
    ("fa", include_str!("../../config/lexicons/fa.toml")),
    ("ps", include_str!("../../config/lexicons/ps.toml")),
    ("hi", include_str!("../../config/lexicons/hi.toml")),
    ("ar", include_str!("../../config/lexicons/ar.toml")),
];

fn is_built_in(entry: &Path) -> bool {
    entry.to_str().is_some_and(|code| BUILT_IN.iter().any(|(c, _)| *c == code))
}

/// The lexicon `entry` names: a built-in one by its code, else the file at `file`.
fn read(entry: &Path, file: &Path) -> Result<Lexicon, String> {
    let built_in = entry.to_str().and_then(|code| BUILT_IN.iter().find(|(c, _)| *c == code));
    let text = match built_in {
        Some((_, text)) => (*text).to_string(),
        None if entry.extension().is_none() => {
            let codes: Vec<&str> = BUILT_IN.iter().map(|(c, _)| *c).collect();
            return Err(format!(
                "no lexicon built in for it (built in: {}); name a .toml file",
                codes.join(", ")
            ));
        }
        None => std::fs::read_to_string(file).map_err(|e| e.to_string())?,
    };
    toml::from_str(&text).map_err(|e| e.message().to_string())
}

/// Adds one lexicon's cues, frame cues, actor names and terms to `scoring`.
fn add(scoring: &mut ScoringConfig, lexicon: Lexicon, key: &str, problems: &mut Vec<Problem>) {
    let Lexicon { context, frames, actors, terms, .. } = lexicon;
    scoring.context.negation.extend(context.negation);
    scoring.context.negation_exceptions.extend(context.negation_exceptions);
    scoring.context.conditional.extend(context.conditional);
    scoring.context.allegation.extend(context.allegation);
    scoring.events.past.extend(context.past);
    for (name, cues) in frames {
        match scoring.frames.iter_mut().find(|f| f.name == name) {
            Some(frame) => frame.cues.extend(cues),
            None => {
                problems.push(problem(key, format!("frames.{name}: no such frame in [[scoring.frames]]")));
            }
        }
    }
    for (name, names) in actors {
        match scoring.actors.iter_mut().find(|a| a.name == name) {
            Some(actor) => actor.aliases.extend(names),
            None => {
                problems.push(problem(key, format!("actors.{name}: no such actor in [[scoring.actors]]")));
            }
        }
    }
    let known: HashSet<String> =
        scoring.terms.iter().filter_map(|t| t.phrase.as_deref()).map(score::normalize).collect();
    scoring.terms.extend(
        terms
            .into_iter()
            .filter(|t| t.phrase.as_deref().is_none_or(|p| !known.contains(&score::normalize(p)))),
    );
}

/// Two or three lowercase ASCII letters.
fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::{ActorConfig, FrameConfig};

    fn scoring() -> ScoringConfig {
        ScoringConfig {
            actors: vec![ActorConfig { name: "Pakistan".into(), ..ActorConfig::default() }],
            frames: vec![FrameConfig { name: "sport".into(), ..FrameConfig::default() }],
            ..ScoringConfig::default()
        }
    }

    #[test]
    fn a_lexicon_adds_terms_cues_frame_cues_and_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("ur.toml"),
            r#"
language = "ur"
context = { negation = ["نہیں"], conditional = ["اگر"], past = ["سال پہلے"] }
frames = { sport = ["وکٹ", "اننگز"] }
actors = { Pakistan = ["پاکستان"] }
terms = [
  { phrase = "حملہ", category = "assault", reviewed = false },
  { phrase = "دھمکی", category = "threaten", reviewed = true },
  { phrase = "جھڑپ", category = "fight", reviewed = false },
]
"#,
        )
        .expect("write");
        let mut s = scoring();
        s.lexicons = vec!["ur.toml".into()];
        let mut problems = Vec::new();
        let merged = merge(&mut s, dir.path(), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(merged.unreviewed, 2);
        assert_eq!(s.terms.len(), 3);
        assert!(s.context.negation.contains(&"نہیں".to_string()));
        assert!(s.context.conditional.contains(&"اگر".to_string()));
        assert!(s.events.past.contains(&"سال پہلے".to_string()));
        assert_eq!(s.frames[0].cues, ["وکٹ", "اننگز"]);
        assert_eq!(s.actors[0].aliases, ["پاکستان"]);
    }

    #[test]
    fn built_in_lexicons_need_no_file() {
        let mut s = ScoringConfig {
            lexicons: ["ur", "fa", "ps", "hi", "ar", "zz"].map(Into::into).to_vec(),
            ..ScoringConfig::default()
        };
        let mut problems = Vec::new();
        // No actors or frames in these rules: the built-in lexicons name the shipped ones.
        merge(&mut s, Path::new("/nonexistent"), &mut problems);
        assert!(s.terms.len() > 300, "{}", s.terms.len());
        let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            said.iter().any(|p| p.contains("scoring.lexicons[5]") && p.contains("no lexicon built in")),
            "{said:#?}"
        );
        assert!(
            !said.iter().any(|p| p.contains("scoring.lexicons[0]") && p.contains("No such file")),
            "{said:#?}"
        );
    }

    #[test]
    fn a_spelling_two_lexicons_share_is_kept_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        // Urdu حملہ (heh goal) and Persian حمله (heh) fold to one word.
        write(
            "ur.toml",
            "language = \"ur\"\nterms = [{ phrase = \"حملہ\", category = \"assault\", reviewed = false }]\n",
        );
        write(
            "fa.toml",
            "language = \"fa\"\nterms = [{ phrase = \"حمله\", category = \"assault\", reviewed = false }, { phrase = \"درگیری\", category = \"fight\", reviewed = false }]\n",
        );
        let mut s = scoring();
        s.lexicons = vec!["ur.toml".into(), "fa.toml".into()];
        let mut problems = Vec::new();
        let merged = merge(&mut s, dir.path(), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let phrases: Vec<&str> = s.terms.iter().filter_map(|t| t.phrase.as_deref()).collect();
        assert_eq!(phrases, ["حملہ", "درگیری"]);
        // Each lexicon's own terms await review, whether kept or not.
        assert_eq!(merged.unreviewed, 3);
    }

    #[test]
    fn every_problem_of_a_lexicon_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write(
            "xx.toml",
            "language = \"Urdu\"\nframes = { cricket = [\"x\"] }\nactors = { Narnia = [\"y\"] }\n",
        );
        write("bad.toml", "language = \"ur\"\nwords = []\n");
        write("ur.toml", "language = \"ur\"\n");
        write("ur2.toml", "language = \"ur\"\n");
        let mut s = scoring();
        s.lexicons = ["xx.toml", "bad.toml", "missing.toml", "ur.toml", "ur2.toml"].map(Into::into).to_vec();
        let mut problems = Vec::new();
        merge(&mut s, dir.path(), &mut problems);
        let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let want = [
            ("scoring.lexicons[0]", "not an ISO 639-1 or 639-3 code"),
            ("scoring.lexicons[0]", "frames.cricket: no such frame"),
            ("scoring.lexicons[0]", "actors.Narnia: no such actor"),
            ("scoring.lexicons[1]", "unknown field `words`"),
            ("scoring.lexicons[2]", "missing.toml"),
            ("scoring.lexicons[4]", "a second lexicon for ur"),
        ];
        assert_eq!(said.len(), want.len(), "{said:#?}");
        for (key, text) in want {
            assert!(said.iter().any(|p| p.contains(key) && p.contains(text)), "{key} {text}: {said:#?}");
        }
    }
}
