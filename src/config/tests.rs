//! Whole-file tests: TOML text through decoding and compiling, checking which keys are refused
//! and what the compiled [`Runtime`] holds.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{ConfigError, Runtime, build};
use crate::notify::Secret;
use crate::types::Severity;

fn parse(toml_text: &str) -> Result<Runtime, ConfigError> {
    let value: Value = config::Config::builder()
        .add_source(config::File::from_str(toml_text, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .expect("test toml parses");
    build(&value)
}

fn keys(err: &ConfigError) -> Vec<String> {
    match err {
        ConfigError::Invalid(p) => p.iter().map(|p| p.key.clone()).collect(),
        ConfigError::Read { .. } => vec!["<read>".into()],
    }
}

#[test]
fn empty_config_takes_defaults() {
    let rt = parse("").expect("defaults are valid");
    assert_eq!(rt.storage_path, PathBuf::from("flashpoint.db"));
    assert!(!rt.fetch.allow_private);
    assert!(rt.fetch.user_agent.starts_with("Flashpoint/"));
    assert_eq!(rt.delivery.max_age, Duration::from_hours(24));
    assert_eq!(rt.stories, crate::story::Settings::default(), "the stage's own defaults");
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let err = parse(
        r#"
        [fetch]
        timeout = "soon"
        colour = "red"
        [[feeds]]
        name = "A"
        url = "ftp://example.org/feed"
        [[feeds]]
        name = "B"
        url = "https://example.org/feed"
        interval = "often"
        [sites."example.org"]
        body = "div[["
        [scoring]
        threshold = -1
        [[scoring.terms]]
        phrase = ""
        weight = 1.0
        category = "threaten"
        [[webhooks]]
        url = "not a url"
        "#,
    )
    .expect_err("config is bad");
    let mut got = keys(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "feeds[0].url",
            "feeds[1].interval",
            "fetch.colour",
            "fetch.timeout",
            "scoring.terms[0].phrase",
            "scoring.threshold",
            "sites.\"example.org\".body",
            "webhooks[0].url",
        ]
    );
}

#[test]
fn type_errors_in_two_feeds_are_both_reported() {
    let err = parse(
        r#"
        [[feeds]]
        name = "A"
        url = 5
        [[feeds]]
        name = "B"
        url = "https://example.org/b"
        interval = 10
        [[feeds]]
        name = "C"
        url = "https://example.org/c"
        wat = true
        "#,
    )
    .expect_err("bad");
    let got = keys(&err);
    assert!(got.contains(&"feeds[0].url".to_string()), "{got:?}");
    assert!(got.contains(&"feeds[1].interval".to_string()), "{got:?}");
    assert!(got.contains(&"feeds[2].wat".to_string()), "{got:?}");
    assert_eq!(got.len(), 3, "no follow-on problems from defaulted entries: {got:?}");
}

#[test]
fn duplicate_feed_urls_and_webhook_names_are_refused() {
    let err = parse(
        r#"
        [[feeds]]
        name = "A"
        url = "https://example.org/feed"
        [[feeds]]
        name = "B"
        url = "https://example.org/feed"
        [[webhooks]]
        url = "https://hooks.example.org/1"
        [[webhooks]]
        url = "https://hooks.example.org/2"
        "#,
    )
    .expect_err("bad");
    assert_eq!(keys(&err), ["feeds[1].url", "webhooks[1].name"]);
}

#[test]
fn webhook_secrets_and_routing_are_checked_without_revealing_secrets() {
    let err = parse(
        r#"
        [[feeds]]
        name = "A"
        url = "https://example.org/a"
        [[webhooks]]
        url = "https://hooks.example.org/1"
        name = "w1"
        secret_env = "FLASHPOINT_TEST_UNSET_VARIABLE"
        [[webhooks]]
        url = "https://hooks.example.org/2"
        name = "w2"
        secret = "whsec_not*base64"
        [[webhooks]]
        url = "https://hooks.example.org/3"
        name = "w3"
        secret = "a"
        secret_file = "/nonexistent"
        [[webhooks]]
        url = "https://hooks.example.org/4"
        name = "w4"
        format = "xml"
        min_severity = "urgent"
        feeds = ["A", "B"]
        "#,
    )
    .expect_err("bad");
    let ConfigError::Invalid(problems) = &err else { panic!("{err}") };
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        keys(&err),
        [
            "webhooks[0].secret_env",
            "webhooks[1].secret",
            "webhooks[2]",
            "webhooks[3].format",
            "webhooks[3].min_severity",
            "webhooks[3].feeds[1]",
        ],
        "{text:?}"
    );
    assert!(!text.iter().any(|t| t.contains("not*base64")), "{text:?}");
}

#[test]
fn webhook_secret_file_is_read_and_kept_out_of_debug_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret");
    std::fs::write(&file, "whsec_c2VjcmV0\n").expect("write");
    let rt = parse(&format!(
        "[[webhooks]]\nurl = \"https://hooks.example.org/1\"\nsecret_file = \"{}\"\nformat = \"slack\"\nmin_severity = \"high\"\n",
        file.display()
    ))
    .expect("valid");
    let hook = &rt.webhooks[0];
    assert_eq!(hook.name, "hooks.example.org");
    assert_eq!(hook.secret, Some(Secret::parse("whsec_c2VjcmV0").expect("secret")));
    assert!(!hook.wants(Severity::Medium, "any") && hook.wants(Severity::High, "any"));
    assert!(!format!("{rt:?}").contains("c2VjcmV0"), "Debug output hides the secret");
}
