//! Articles in Urdu and Hindi (`tests/fixtures/languages/`, written for this project as each
//! language's press writes): threats, attacks and clashes that must alert with the right actor
//! pair, and sport, market, disaster, film and history stories that borrow the words of
//! violence and must not. Scored with the shipped config and its lexicons.

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
    for (a, s) in &all {
        assert_eq!(s.alert, a.expect == "alert", "{}: {s:#?}", a.id);
        if !s.alert {
            assert!(s.reason.is_some(), "{}: a quiet article says why", a.id);
            continue;
        }
        let event = s.event.as_ref().expect("an alert names its event");
        if let Some(source) = &a.source {
            assert_eq!(event.source.as_ref(), Some(source), "{}: {event:#?}", a.id);
        }
        if let Some(target) = &a.target {
            assert_eq!(event.target.as_ref(), Some(target), "{}: {event:#?}", a.id);
        }
        // The explanation quotes the sentence in its own script.
        assert!(!event.sentence.is_ascii(), "{}: {}", a.id, event.sentence);
    }
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
