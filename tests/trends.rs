//! Trends end to end: `flashpoint trends --replay` on a small file of made-up stories.

mod common;

use common::{TestConfig, fixtures, flashpoint};

#[tokio::test(flavor = "multi_thread")]
async fn replay_signals_the_spike_and_the_crossing_and_nothing_else() {
    let cfg = TestConfig::new(&[], &[], "");
    let file = fixtures().join("trends.jsonl");
    let file = file.to_str().expect("utf-8 path");
    let first = flashpoint(&cfg.path, &["trends", "--replay", file]).await;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&first.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON"))
        .collect();
    let got: Vec<(&str, &str, &str, &str, u64)> = lines
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().expect("a string");
            (
                text("date"),
                text("source"),
                text("target"),
                text("kind"),
                v["observed"].as_u64().expect("observed"),
            )
        })
        .collect();
    // Pakistan>Afghanistan: a border clash reported everywhere on 6 April, its first attack on
    // 9 April. India>Pakistan bursts on its ninth day (too little history); Afghanistan>Pakistan
    // is sparse and single-sourced.
    assert_eq!(
        got,
        [
            ("2026-04-06", "Pakistan", "Afghanistan", "spike", 14),
            ("2026-04-09", "Pakistan", "Afghanistan", "level_up", 3),
        ]
    );
    let expected = lines[0]["expected"].as_f64().expect("expected");
    assert!(expected > 1.0 && expected < 2.0, "the pair's ordinary Monday: {expected}");
    assert_eq!(lines[1]["expected"].as_f64(), Some(2.0), "the rung before: mobilisation");
    assert_eq!(
        lines[0].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(["date", "expected", "kind", "observed", "source", "target"].map(String::from).to_vec()),
        "the fields the issue names, and no others"
    );

    let second = flashpoint(&cfg.path, &["trends", "--replay", file]).await;
    assert_eq!(first.stdout, second.stdout, "the same input gives the same signals");
    assert!(!cfg.db.exists(), "a replay writes no database");
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_names_the_line_of_a_bad_story() {
    let cfg = TestConfig::new(&[], &[], "");
    let cases = [
        (r#"{"date":"6 April","source":"A","target":"B","rung":"threaten","outlets":1}"#, "6 April"),
        (r#"{"date":"2026-04-06","source":"A","target":"B","rung":"attack","outlets":1}"#, "attack"),
        (r#"{"date":"2026-04-06","source":"A","target":"B","rung":"fight","outlets":0}"#, "outlet"),
        (r#"{"date":"2026-04-06","source":"A","target":"B","rung":"fight"}"#, "outlets"),
    ];
    for (bad, says) in cases {
        let file = cfg.dir().join("bad.jsonl");
        let good = r#"{"date":"2026-04-05","source":"A","target":"B","rung":"threaten","outlets":1}"#;
        std::fs::write(&file, format!("{good}\n{bad}\n")).expect("write");
        let out = flashpoint(&cfg.path, &["trends", "--replay", file.to_str().expect("utf-8")]).await;
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}: nothing on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("line 2") && err.contains(says), "{bad}: {err}");
    }
}
