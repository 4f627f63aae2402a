//! Articles in Urdu, Persian (Dari), Pashto, Hindi and Arabic (`tests/fixtures/languages/`,
//! written for this project as each language's press writes): threats, attacks and clashes that
//! must alert with the right actor pair, and sport, market, disaster, film and history stories
//! that borrow the words of violence and must not. Scored with the shipped config and its
//! lexicons.

use std::path::Path;

use flashpoint::score::Scored;

#[derive(Debug, serde::Deserialize)]
struct Article {
    id: String,
    title: String,
    text: String,
    expect: String,
    source: Option<String>,
    target: Option<String>,
}

fn scored(language: &str) -> Vec<(Article, Scored)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rt = flashpoint::config::load_runtime(&root.join("config/flashpoint.toml")).expect("shipped config");
    let text = std::fs::read_to_string(root.join(format!("tests/fixtures/languages/{language}.jsonl")))
        .expect("fixtures");
    text.lines()
        .map(|l| serde_json::from_str::<Article>(l).expect("an article"))
        .map(|a| {
            let s = rt.scorer.score_in(&a.title, &a.text, 2026);
            (a, s)
        })
        .collect()
}

fn check(language: &str) {
    let all = scored(language);
    let alerts = all.iter().filter(|(a, _)| a.expect == "alert").count();
    assert!(
        alerts >= 3 && all.len() - alerts >= 3,
        "{language}: threats, attacks and clashes, and quiet stories"
    );
    // Every wrong article is reported, not just the first.
    let wrong: Vec<String> = all.iter().filter_map(|(a, s)| verdict(a, s).err()).collect();
    assert!(wrong.is_empty(), "{language}:\n{}", wrong.join("\n"));
}

/// Whether `s` is what article `a` expects: its verdict, and for an alert its pair and a
/// sentence quoted in its own script.
fn verdict(a: &Article, s: &Scored) -> Result<(), String> {
    let summary = || {
        let event = s.event.as_ref();
        format!(
            "{}: alert {} score {:.2} reason {:?} source {:?} target {:?} sentence {:?}",
            a.id,
            s.alert,
            s.score,
            s.reason,
            event.and_then(|e| e.source.as_ref()),
            event.and_then(|e| e.target.as_ref()),
            event.map(|e| &e.sentence),
        )
    };
    if s.alert != (a.expect == "alert") {
        return Err(summary());
    }
    if !s.alert {
        return if s.reason.is_some() {
            Ok(())
        } else {
            Err(format!("{} (a quiet article says why)", summary()))
        };
    }
    let Some(event) = s.event.as_ref() else {
        return Err(format!("{} (an alert names its event)", summary()));
    };
    let pair_ok = a.source.as_ref().is_none_or(|want| event.source.as_ref() == Some(want))
        && a.target.as_ref().is_none_or(|want| event.target.as_ref() == Some(want));
    // The explanation quotes the sentence in its own script.
    if !pair_ok || event.sentence.is_ascii() {
        return Err(summary());
    }
    Ok(())
}

#[test]
fn urdu_articles_get_their_verdicts_and_pairs() {
    check("ur");
}

#[test]
fn hindi_articles_get_their_verdicts_and_pairs() {
    check("hi");
}

#[test]
fn persian_articles_get_their_verdicts_and_pairs() {
    check("fa");
}

#[test]
fn pashto_articles_get_their_verdicts_and_pairs() {
    check("ps");
}

#[test]
fn arabic_articles_get_their_verdicts_and_pairs() {
    check("ar");
}

#[test]
fn check_config_counts_the_terms_awaiting_review() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rt = flashpoint::config::load_runtime(&root.join("config/flashpoint.toml")).expect("shipped config");
    assert!(rt.unreviewed_terms > 60, "{}", rt.unreviewed_terms);
    let summary = flashpoint::cli::config_summary(&rt);
    assert!(
        summary.contains(&format!(
            "{} of them in lexicons no native speaker has reviewed yet",
            rt.unreviewed_terms
        )),
        "{summary}"
    );
}

/// A built-in lexicon's cues for a frame or names for an actor the config lacks are left out
/// without a word (a config may drop a shipped frame); read as files beside the shipped config,
/// every such entry would be a problem, so each built-in one must name only what it ships with.
#[test]
fn built_in_lexicons_name_only_the_shipped_frames_and_actors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let codes = ["ur", "fa", "ps", "hi", "ar"];
    for code in codes {
        let from = root.join(format!("config/lexicons/{code}.toml"));
        std::fs::copy(from, dir.path().join(format!("{code}.toml"))).expect("copy lexicon");
    }
    let shipped = std::fs::read_to_string(root.join("config/flashpoint.toml")).expect("shipped config");
    let built_in = format!("lexicons = {codes:?}");
    assert!(shipped.contains(&built_in), "the shipped config loads every built-in lexicon");
    let as_files = format!("lexicons = {:?}", codes.map(|c| format!("{c}.toml")));
    let config = dir.path().join("flashpoint.toml");
    std::fs::write(&config, shipped.replace(&built_in, &as_files)).expect("write config");
    if let Err(err) = flashpoint::config::load_runtime(&config) {
        panic!("{err:#}");
    }
}
