//! The relevance gate through the real binary: it keeps a match report the rules alone would
//! alert on quiet, lets the seed threat through with its relevance explained, and a corrupt or
//! missing model file is a config problem (exit 78) naming its key.

mod common;

use std::path::Path;

use common::{flashpoint, shipped, stderr};

/// A cricket report dense with the violent vocabulary of sport.
const MATCH_REPORT: &str = "Pakistan's pace attack destroyed India's top order on Sunday as the hosts \
    stormed to a crushing victory in the final of the tri-series at the National Stadium. The fast \
    bowlers launched a ferocious assault with the new ball, striking twice in the opening over, and \
    India's batters were bombarded with short deliveries. The Indian captain said his side had been \
    blown away and that the defeat was a massacre they would not forget. Pakistan's spinners then \
    killed off the innings, and the crowd celebrated the win as fans set off fireworks. The coach \
    praised the attack and said the team would fight for the championship in the next season.";

/// The shipped config with `edit` applied to its `[scoring]` table, in `dir`.
fn config(dir: &Path, edit: impl FnOnce(&mut toml::Table)) -> std::path::PathBuf {
    let mut table: toml::Table = std::fs::read_to_string(shipped()).expect("config").parse().expect("toml");
    let scoring = table.get_mut("scoring").and_then(toml::Value::as_table_mut).expect("[scoring]");
    edit(scoring);
    let path = dir.join("flashpoint.toml");
    std::fs::write(&path, toml::to_string(&table).expect("toml")).expect("write");
    path
}

async fn score(config: &Path, text: &str, dir: &Path) -> serde_json::Value {
    let file = dir.join("article.txt");
    std::fs::write(&file, text).expect("write");
    let out = flashpoint(config, &["score", "--json", file.to_str().expect("utf-8")]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test]
async fn the_gate_keeps_a_match_report_quiet_that_the_rules_alone_would_alert_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Without frames the rules take the report for violence; the gate alone must say otherwise.
    let no_frames = config(dir.path(), |s| {
        s.insert("frames".into(), toml::Value::Array(Vec::new()));
    });
    let gated = score(&no_frames, MATCH_REPORT, dir.path()).await;
    assert_eq!(gated["alert"], false, "{gated:#}");
    assert!(gated["score"].as_f64().is_some_and(|s| s >= 6.0), "the rules reach the threshold: {gated:#}");
    let reason = gated["reason"].as_str().expect("a reason");
    assert!(reason.starts_with("not about conflict: relevance"), "{reason}");
    assert!(gated["relevance"]["p"].as_f64().is_some_and(|p| p < 0.4), "{gated:#}");

    let open = config(dir.path(), |s| {
        s.insert("frames".into(), toml::Value::Array(Vec::new()));
        s.insert("relevance".into(), toml::Value::Table(toml::toml! { enabled = false }));
    });
    let ungated = score(&open, MATCH_REPORT, dir.path()).await;
    assert_eq!(ungated["alert"], true, "with the gate off the same rules alert: {ungated:#}");
}

#[tokio::test]
async fn the_seed_threat_passes_the_gate_with_its_relevance_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = "Pakistan will strike deep inside Afghanistan if attacks continue, warns defence minister\n\n\
        ISLAMABAD: The defence minister on Sunday warned that Pakistan would strike deep inside \
        Afghanistan if militants continued to cross the border to attack security forces. He said \
        troops had been placed on high alert along the border and that the armed forces would give a \
        befitting response to any aggression. Dozens of soldiers and policemen have been martyred in \
        attacks this month that officials say were planned from Afghan soil, and the army has \
        launched operations against militant hideouts in the tribal districts.";
    let verdict = score(&shipped(), seed, dir.path()).await;
    assert_eq!(verdict["alert"], true, "{verdict:#}");
    assert_eq!(verdict["severity"], "high", "{verdict:#}");
    let relevance = &verdict["relevance"];
    assert!(relevance["p"].as_f64().is_some_and(|p| p >= 0.4), "{verdict:#}");
    let top = relevance["top"].as_array().expect("top features");
    assert!(!top.is_empty() && top.len() <= 5, "{verdict:#}");
    assert_eq!(verdict["event"]["target"], "Afghanistan", "{verdict:#}");
}

#[tokio::test]
async fn a_corrupt_or_missing_model_is_a_config_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("broken.model"), b"FLASHREL not really a model").expect("write");
    for model in ["broken.model", "missing.model"] {
        let cfg = config(dir.path(), |s| {
            s.insert("relevance".into(), toml::Value::Table(toml::toml! { model = model }));
        });
        let out = flashpoint(&cfg, &["check-config"]).await;
        assert_eq!(out.status.code(), Some(78), "{model}: {}", stderr(&out));
        assert!(stderr(&out).contains("scoring.relevance.model"), "{model}: {}", stderr(&out));
    }
}

#[tokio::test]
async fn a_named_armed_party_in_the_lede_overrules_the_gate_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A gate so strict that it would block any article.
    let strict = config(dir.path(), |s| {
        s.insert("relevance".into(), toml::Value::Table(toml::toml! { min = 0.999 }));
    });
    let calm = " The district administration said markets and schools would stay open, traders reported \
        steady sales of flour and sugar, and the weather office forecast light rain in the hills over \
        the coming days while farmers prepared for the wheat harvest in the plains.";
    let named = score(
        &strict,
        &format!("The TTP attacked a checkpoint in the district on Monday.{calm}"),
        dir.path(),
    )
    .await;
    assert_eq!(named["alert"], true, "{named:#}");
    let why = named["event"]["why"].as_array().expect("why");
    assert!(
        why.iter().any(|w| w.as_str().is_some_and(|w| w.contains("TTP is a named armed party"))),
        "{named:#}"
    );
    let generic = score(
        &strict,
        &format!("Militants attacked a checkpoint in the district on Monday.{calm}"),
        dir.path(),
    )
    .await;
    assert_eq!(generic["alert"], false, "militants at large do not overrule the gate: {generic:#}");
    assert!(generic["reason"].as_str().is_some_and(|r| r.starts_with("not about conflict")), "{generic:#}");
}
