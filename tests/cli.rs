//! The binary's own behaviour: config checking, exit codes, environment overrides, `score`.

mod common;

use std::process::Command;

use common::{binary, fixtures, shipped};

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(args).env_remove("FLASHPOINT_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run flashpoint");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shipped_config_is_valid() {
    let config = shipped();
    let (code, stdout, stderr) =
        run(&["--config", config.to_str().expect("utf-8 path"), "check-config"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("config OK:"), "{stdout}");
    // The shipped config watches Dawn's home, Pakistan and world feeds and four other outlets.
    let text = std::fs::read_to_string(&config).expect("config");
    for feed in ["dawn.com/feeds/home", "dawn.com/feeds/pakistan", "dawn.com/feeds/world"] {
        assert!(text.contains(feed), "{feed}");
    }
    let rt = flashpoint::config::load_runtime(&config).expect("compiles");
    let outlets: std::collections::HashSet<_> = rt
        .feeds
        .iter()
        .filter_map(|f| f.url.host_str().map(|h| h.trim_start_matches("www.").to_string()))
        .collect();
    assert!(outlets.len() >= 5, "{outlets:?}");
    assert!(rt.scorer.term_count() >= 20);
}

#[test]
fn three_mistakes_are_all_reported_with_exit_78() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"
[storage]
path = "x.db"
[[feeds]]
name = "Dawn"
url = "not a url"
interval = "5 fortnights"
[scoring]
threshold = 6.0
[[scoring.terms]]
phrase = "strike deep inside"
weight = "heavy"
category = "threaten"
"#,
    )
    .expect("write");
    for command in ["check-config", "run", "once"] {
        let (code, _, stderr) = run(&["--config", path.to_str().expect("utf-8"), command], &[]);
        assert_eq!(code, 78, "{command}: {stderr}");
        for key in ["feeds[0].url", "feeds[0].interval", "scoring.terms[0].weight"] {
            assert!(stderr.contains(key), "{command} reports {key}: {stderr}");
        }
    }
}

#[test]
fn missing_config_is_a_config_error() {
    let (code, _, stderr) = run(&["--config", "/nonexistent/flashpoint.toml", "check-config"], &[]);
    assert_eq!(code, 78);
    assert!(stderr.contains("/nonexistent/flashpoint.toml"), "{stderr}");
}

#[test]
fn environment_overrides_keys() {
    let config = shipped();
    let config = config.to_str().expect("utf-8");
    let (code, stdout, _) =
        run(&["--config", config, "check-config"], &[("FLASHPOINT__STORAGE__PATH", "/tmp/elsewhere.db")]);
    assert_eq!(code, 0);
    assert!(stdout.contains("/tmp/elsewhere.db"), "{stdout}");
    let (code, _, stderr) =
        run(&["--config", config, "check-config"], &[("FLASHPOINT__SCORING__THRESHOLD", "-3")]);
    assert_eq!(code, 78);
    assert!(stderr.contains("scoring.threshold"), "{stderr}");
}

#[test]
fn score_explains_each_match() {
    let config = shipped();
    let page = fixtures().join("dawn/1900001.html");
    let (code, stdout, stderr) = run(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "score",
            "--url",
            "https://www.dawn.com/news/1900001/x",
            page.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("score "), "{stdout}");
    assert!(stdout.contains(": alert, severity"), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("\"strike ~ inside within 8\"")).expect("term listed");
    assert!(line.contains("[threaten]") && line.contains("weight 6.00"), "{line}");
    assert!(stdout.contains("actors: Pakistan → Afghanistan"), "{stdout}");
    assert!(stdout.contains("Pakistan will strike deep inside Afghanistan"), "sentence shown: {stdout}");

    let cricket = fixtures().join("dawn/1900002.html");
    let (code, stdout, _) = run(
        &["--config", config.to_str().expect("utf-8"), "score", "--json", cricket.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert!(v["score"].as_f64().is_some_and(|s| s < 6.0), "{v}");
}

/// The shipped config is the reference: every key of every section is written out in it with its
/// default value (and a comment beside it), so no setting hides in the code.
#[test]
fn shipped_config_spells_out_every_key() {
    use flashpoint::config::{
        DeliveryConfig, ExtractConfig, FeedDefaultsConfig, FetchConfig, HttpConfig, LogConfig, ServiceConfig,
        StorageConfig,
    };
    let shipped: toml::Table = std::fs::read_to_string(shipped()).expect("config").parse().expect("toml");
    let sections = [
        ("storage", serde_json::to_value(StorageConfig::default())),
        ("fetch", serde_json::to_value(FetchConfig::default())),
        ("feeds_defaults", serde_json::to_value(FeedDefaultsConfig::default())),
        ("extract", serde_json::to_value(ExtractConfig::default())),
        ("delivery", serde_json::to_value(DeliveryConfig::default())),
        ("http", serde_json::to_value(HttpConfig::default())),
        ("service", serde_json::to_value(ServiceConfig::default())),
        ("log", serde_json::to_value(LogConfig::default())),
    ];
    for (section, defaults) in sections {
        let defaults = defaults.expect("serializes");
        let table = shipped
            .get(section)
            .and_then(toml::Value::as_table)
            .unwrap_or_else(|| panic!("[{section}] missing"));
        for (key, default) in defaults.as_object().expect("a table") {
            let written =
                table.get(key).unwrap_or_else(|| panic!("[{section}] {key} is not in the shipped config"));
            let written = serde_json::to_value(written).expect("serializes");
            assert_eq!(&written, default, "[{section}] {key}: the shipped config shows the default");
        }
    }
}
