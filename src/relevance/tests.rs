//! Whole-module tests on synthetic articles: conflict reports against sport, business and film
//! pieces that borrow violent words ("attack", "blast", "bloodbath", "shot").

use std::path::{Path, PathBuf};

use super::*;

/// Small settings so the tests train in milliseconds.
fn options() -> TrainOptions {
    TrainOptions { hashing: Hashing { buckets_log2: 12, ..Hashing::default() }, ..TrainOptions::default() }
}

fn example(id: String, title: String, body: String, label: bool) -> Example {
    Example { id, title, body, label }
}

/// Sport, business and film pieces that borrow violent words: (title, body).
const CALM: [(&str, &str); 8] = [
    (
        "United attack sinks City",
        "The striker led the attack and shot twice before half time as United won the derby",
    ),
    ("Blast from the bench", "The coach blasted his defence after the match and the fans booed the penalty"),
    ("Tennis star fights back", "She fought back from a set down to win the final in three sets at the open"),
    (
        "Bowlers destroy the top order",
        "The fast bowlers tore through the batting line-up on the second day of the test",
    ),
    (
        "Bloodbath on the markets",
        "Shares crashed in a bloodbath as investors fled banks and bond yields jumped",
    ),
    ("Retailer slashes jobs", "The chain cut prices and jobs after sales slumped over the christmas quarter"),
    (
        "An explosive thriller",
        "The director's new film is an explosive thriller with a killer soundtrack and a strong cast",
    ),
    (
        "Review: war of the roses",
        "A costume drama about a family feud, beautifully shot, with a stunning lead performance",
    ),
];

/// Forty-eight short articles, half about armed conflict.
fn fixture() -> Vec<Example> {
    let actors = ["Militants", "Army troops", "Rebel fighters", "Insurgents"];
    let places = [
        "near the northern border",
        "in the capital",
        "outside Kandahar",
        "in the valley",
        "at a checkpoint",
        "in Sanaa",
    ];
    let acts = [
        "attacked a police post, killing four soldiers",
        "shelled villages as the ceasefire collapsed",
        "ambushed a military convoy with rockets",
        "detonated a roadside bomb that wounded civilians",
    ];
    let mut out = Vec::new();
    for (n, place) in places.iter().enumerate() {
        for (m, actor) in actors.iter().enumerate() {
            let act = acts[(n + m) % acts.len()];
            let body = format!("{actor} {act} {place}, officials said. Security forces were deployed.");
            out.push(example(format!("war-{n}-{m}"), format!("{actor} strike {place}"), body, true));
        }
    }
    for (n, (title, body)) in CALM.iter().cycle().take(24).enumerate() {
        let body = format!("{body}, reporters said on day {n}.");
        out.push(example(format!("calm-{n}"), (*title).to_owned(), body, false));
    }
    out
}

#[test]
fn training_twice_gives_identical_bytes() {
    let first = train(&fixture(), &options()).to_bytes();
    let second = train(&fixture(), &options()).to_bytes();
    assert_eq!(first, second);
    let reseeded = train(&fixture(), &TrainOptions { seed: 2, ..options() }).to_bytes();
    assert_ne!(first, reseeded, "the seed orders the examples");
}

#[test]
fn the_model_separates_the_fixture_classes() {
    let examples = fixture();
    let model = train(&examples, &options());
    let metrics = evaluate(&model, &examples);
    assert!(metrics.at_half.f1 >= 0.99, "{metrics:?}");
    let cross = cross_validate(&examples, 4, &options());
    assert!(cross.at_half.f1 >= 0.9, "{cross:?}");
    let unseen: &[(&str, &str, bool)] = &[
        ("Rebels attack border post", "Insurgents shelled an army checkpoint, killing soldiers", true),
        ("Derby attack", "The striker shot and the coach praised the attack after the match", false),
        ("Markets", "A bloodbath for shares as investors fled the banks", false),
    ];
    for (title, body, relevant) in unseen {
        let p = model.probability(title, body);
        assert_eq!(p >= 0.5, *relevant, "{title}: p = {p}");
    }
}

#[test]
fn predict_names_the_features_that_moved_it() {
    let model = train(&fixture(), &options());
    let verdict = model.predict("Rebels strike the capital", "Militants shelled villages, killing soldiers");
    assert!(verdict.p >= 0.5, "{verdict:?}");
    assert!(!verdict.top.is_empty() && verdict.top.len() <= model::TOP);
    assert!(verdict.top.iter().all(|c| c.weight > 0.0 && !c.feature.is_empty()), "{verdict:?}");
    assert!(verdict.top.windows(2).all(|w| w[0].weight >= w[1].weight));
    let known = [
        "title:rebels",
        "title:strike",
        "title:capital",
        "militants",
        "shelled",
        "villages",
        "killing",
        "soldiers",
    ];
    let pairs = ["militants shelled", "shelled villages", "villages killing", "killing soldiers"];
    for c in &verdict.top {
        assert!(known.contains(&c.feature.as_str()) || pairs.contains(&c.feature.as_str()), "{c:?}");
    }
    let calm = model.predict("Cup final", "The striker shot twice as United won the match");
    assert!(calm.p < 0.5, "{calm:?}");
    assert!(calm.top.iter().any(|c| c.weight < 0.0), "a calm verdict shows what pulled it down: {calm:?}");
}

#[test]
fn a_damaged_model_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = train(&fixture(), &options()).to_bytes();
    let flipped = {
        let mut b = bytes.clone();
        b[100] ^= 0x40;
        b
    };
    let cases: [(&str, &[u8], &str); 4] = [
        ("truncated.model", &bytes[..bytes.len() / 2], "truncated or padded"),
        ("flipped.model", &flipped, "checksum mismatch"),
        ("text.model", b"weights = [1, 2]", "not start with the relevance model magic"),
        ("empty.model", b"", "magic"),
    ];
    for (name, content, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = Model::load(&path).unwrap_err();
        let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(chain.contains(name) && chain.contains(want), "{chain}");
    }
    let missing = Model::load(&dir.path().join("absent.model")).unwrap_err();
    assert!(matches!(missing, RelevanceError::Read { .. }), "{missing:?}");
}

#[test]
fn run_train_writes_a_loadable_model_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = fixture()
        .iter()
        .map(|e| {
            let label = if e.label { "conflict" } else { "other" };
            serde_json::json!({"id": e.id, "title": e.title, "text": e.body, "label": label}).to_string()
        })
        .collect();
    let data = dir.path().join("fixture.jsonl");
    std::fs::write(&data, lines.join("\n")).unwrap();
    let out = dir.path().join("relevance.model");
    let report = run_train(&[data], &out, &options()).unwrap();
    assert!(report.starts_with("read 48 articles (24 conflict, 24 other) from 1 files\n"), "{report}");
    assert!(report.contains(&format!("wrote {}", out.display())), "{report}");
    let loaded = Model::load(&out).unwrap();
    assert_eq!(loaded, train(&fixture(), &options()));
    assert!(!dir.path().join("relevance.partial").exists());
}

#[test]
fn run_train_refuses_one_class_and_names_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let only_war = dir.path().join("war.jsonl");
    std::fs::write(&only_war, r#"{"id":"1","text":"Troops attacked.","label":"escalation"}"#).unwrap();
    let out = dir.path().join("m.model");
    let err = run_train(&[only_war], &out, &options()).unwrap_err();
    assert!(matches!(err, RelevanceError::OneClass { positives: 1, negatives: 0 }), "{err:?}");
    let absent = PathBuf::from("/nonexistent/relevance.jsonl");
    let err = run_train(&[absent], &out, &options()).unwrap_err();
    assert!(err.to_string().contains("cannot read /nonexistent/relevance.jsonl"), "{err}");
    assert!(!Path::new(&out).exists());
}

/// The articles the gate exists for. Disasters with a death toll are not here: the training
/// data has almost none, and the shipped model scores them as conflict (benches/relevance/README.md).
#[test]
fn the_shipped_model_loads_and_tells_war_from_sport() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/relevance.model");
    let model = Model::load(&path).unwrap();
    let cases: &[(&str, &str, bool)] = &[
        (
            "Troops shell border villages as ceasefire collapses",
            "Artillery fire killed six civilians overnight and the army said militants had attacked two checkpoints.",
            true,
        ),
        (
            "Suicide bomber kills 12 at police station",
            "A suicide bomber blew himself up at the gate of a police station, officials said, and the Taliban claimed the attack.",
            true,
        ),
        (
            "United's late blast sinks City",
            "The striker led a fierce attack in the second half and shot past the keeper as United won the derby.",
            false,
        ),
        (
            "Bloodbath on the markets",
            "Shares crashed in a bloodbath as investors fled banks and the index had its worst week since March.",
            false,
        ),
        (
            "An explosive thriller",
            "The director's new film is an explosive thriller with a killer soundtrack and a stunning lead performance.",
            false,
        ),
    ];
    for (title, body, relevant) in cases {
        let verdict = model.predict(title, body);
        assert_eq!(verdict.p >= 0.5, *relevant, "{title}: {verdict:?}");
    }
}
