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
        .and_then(super::to_json)
        .expect("test toml parses");
    build(&value)
}

fn keys(err: &ConfigError) -> Vec<String> {
    match err {
        ConfigError::Invalid(p) => p.iter().map(|p| p.key.clone()).collect(),
        ConfigError::Read { .. } | ConfigError::NotFound { .. } => vec!["<read>".into()],
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

/// Issue 21 (5): `weight = 1e308` was accepted and made scores infinite (two such terms NaN),
/// whose alerts could then be neither delivered nor listed; `nan` and `inf` silently became the
/// category's weight.
#[test]
fn absurd_weights_and_thresholds_are_refused_with_the_range() {
    let cases = [
        ("weight = 1e308", "threshold = 6.0", "scoring.terms[\"strike\"].weight"),
        ("weight = -2000.0", "threshold = 6.0", "scoring.terms[\"strike\"].weight"),
        ("weight = nan", "threshold = 6.0", "scoring.terms[\"strike\"].weight"),
        ("weight = inf", "threshold = 6.0", "scoring.terms[\"strike\"].weight"),
        ("weight = -inf", "threshold = 6.0", "scoring.terms[\"strike\"].weight"),
        ("weight = 4.0", "threshold = 1e300", "scoring.threshold"),
        ("weight = 4.0", "threshold = nan", "scoring.threshold"),
        ("weight = 4.0", "threshold = inf", "scoring.threshold"),
    ];
    for (weight, threshold, key) in cases {
        let text = format!(
            "[scoring]\n{threshold}\n[[scoring.terms]]\nphrase = \"strike\"\ncategory = \"threaten\"\n{weight}\n"
        );
        let err = parse(&text).expect_err(&text);
        assert_eq!(keys(&err), [key], "{text}");
        let ConfigError::Invalid(problems) = &err else { unreachable!() };
        assert!(problems[0].message.contains("1000"), "{text}: {}", problems[0].message);
    }
    let text = "[scoring.categories.odd]\nweight = inf\n";
    assert_eq!(keys(&parse(text).expect_err(text)), ["scoring.categories.odd.weight"]);
}

/// Issue 21 (9): `https://A.EXAMPLE/feed#x` was not caught as the feed `https://a.example/feed`.
#[test]
fn duplicate_feeds_are_found_by_canonical_url() {
    let cases = [
        ("https://A.EXAMPLE/feed#x", true),
        ("https://a.example/feed?utm_source=x", true),
        ("https://a.example:443/feed", true),
        ("https://a.example/feed?page=2", false),
        ("https://a.example/other", false),
    ];
    for (second, duplicate) in cases {
        let text = format!(
            "[[feeds]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n[[feeds]]\nname = \"B\"\nurl = \"{second}\"\n"
        );
        match parse(&text) {
            Err(err) if duplicate => {
                let ConfigError::Invalid(problems) = &err else { panic!("{second}: {err}") };
                assert_eq!(keys(&err), ["feeds[1].url"], "{second}");
                assert_eq!(problems[0].message, "is the same feed as feeds[0]", "{second}");
            }
            Ok(rt) if !duplicate => assert_eq!(rt.feeds.len(), 2, "{second}"),
            other => panic!("{second}: {other:?}"),
        }
    }
}

#[test]
fn a_feed_language_is_an_iso_code() {
    let feed = |i: usize, lang: &str| {
        format!("[[feeds]]\nname = \"F{i}\"\nurl = \"https://f{i}.example/rss\"\nlanguage = \"{lang}\"\n")
    };
    let rt = parse(&(feed(0, "ur") + &feed(1, "prs"))).expect("valid");
    let languages: Vec<Option<&str>> = rt.feeds.iter().map(|f| f.language.as_deref()).collect();
    assert_eq!(languages, [Some("urd"), Some("prs")]);
    let err = parse(&(feed(0, "Urdu") + &feed(1, "en-US") + &feed(2, "zz"))).expect_err("invalid");
    assert_eq!(keys(&err), ["feeds[0].language", "feeds[1].language", "feeds[2].language"]);
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
    assert!(
        !hook.subscriber().takes(Severity::Medium, "any") && hook.subscriber().takes(Severity::High, "any")
    );
    assert!(!format!("{rt:?}").contains("c2VjcmV0"), "Debug output hides the secret");
}

/// Issue 20: outside the repository every command failed on the relative default
/// `config/flashpoint.toml`; the packaged config is found next.
#[test]
fn config_is_looked_for_where_it_is_installed() {
    use std::path::Path;

    use super::locate;
    type Exists<'a> = &'a dyn Fn(&Path) -> bool;
    let both = |_: &Path| true;
    let packaged = |p: &Path| p.is_absolute();
    let none = |_: &Path| false;
    let given = Path::new("/srv/fp.toml");
    let cases: [(Option<&Path>, Exists<'_>, Option<&str>); 5] = [
        (Some(given), &none, Some("/srv/fp.toml")),
        (Some(given), &both, Some("/srv/fp.toml")),
        (None, &both, Some("config/flashpoint.toml")),
        (None, &packaged, Some("/etc/flashpoint/flashpoint.toml")),
        (None, &none, None),
    ];
    for (given, exists, want) in cases {
        let found = locate(given, exists);
        assert_eq!(found.as_ref().ok().and_then(|p| p.to_str()), want, "{given:?}");
        if let Err(err) = found {
            let text = err.problems().join("\n");
            assert!(text.contains("/etc/flashpoint/flashpoint.toml") && text.contains("--config"), "{text}");
        }
    }
}

/// Issue 20: a type error cost its whole section, so `threshold = "high"` hid `weight = 0` in
/// the same file; and a term's problem was named by its place in a list of hundreds.
#[test]
fn a_type_error_hides_nothing_else_and_terms_go_by_phrase() {
    let err = parse(
        r#"
        [scoring]
        threshold = "high"
        exclude = ["fine", 3]
        [[scoring.terms]]
        phrase = "strike deep inside"
        weight = 0
        category = "threaten"
        [[scoring.terms]]
        phrase = "retaliate"
        weight = "lots"
        category = "threaten"
        "#,
    )
    .expect_err("bad");
    let mut got = keys(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "scoring.exclude[1]",
            "scoring.terms[\"retaliate\"].weight",
            "scoring.terms[\"strike deep inside\"].weight",
            "scoring.threshold",
        ]
    );
}

/// Issue 20: `FLASHPOINT__FETCH__TIMOUT` was reported as an unknown key of the file.
#[test]
fn a_problem_set_by_the_environment_is_blamed_on_it() {
    use super::{blame_env, env_key, problem};
    let cases = [
        ("FLASHPOINT__FETCH__TIMOUT", Some("fetch.timout")),
        ("FLASHPOINT__STORAGE__PATH", Some("storage.path")),
        ("FLASHPOINT_CONFIG", None),
        ("FLASHPOINT__", None),
        ("HOME", None),
    ];
    for (var, want) in cases {
        assert_eq!(env_key(var).as_deref(), want, "{var}");
    }
    let vars = [("FLASHPOINT__FETCH__TIMOUT".to_string(), "3s".to_string()), ("PATH".into(), "/bin".into())];
    let problems = blame_env(
        vec![problem("fetch.timout", "unknown key"), problem("fetch.timeout", "bad")],
        vars.into_iter(),
    );
    assert_eq!(problems[0].env.as_deref(), Some("FLASHPOINT__FETCH__TIMOUT"));
    assert_eq!(problems[1].env, None, "the file's own key");
    let lines = ConfigError::Invalid(problems).lines(std::path::Path::new("f.toml"));
    assert_eq!(lines, ["FLASHPOINT__FETCH__TIMOUT: fetch.timout: unknown key", "f.toml: fetch.timeout: bad"]);
}

/// Issue 16: the page shows every alert and records verdicts, so off loopback it needs a token.
#[test]
fn the_page_needs_a_token_off_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("token");
    std::fs::write(&good, "0123456789abcdef-token\n").expect("write");
    let short = dir.path().join("short");
    std::fs::write(&short, "abc\n").expect("write");
    let missing = dir.path().join("missing");
    let http = |listen: &str, token: Option<&std::path::Path>| {
        let token = token.map(|p| format!("token_file = \"{}\"\n", p.display())).unwrap_or_default();
        parse(&format!("[http]\nlisten = \"{listen}\"\n{token}"))
    };
    let cases: [(&str, &str, Option<&std::path::Path>, bool); 6] = [
        ("loopback, no token", "127.0.0.1:9464", None, true),
        ("IPv6 loopback, no token", "[::1]:9464", None, true),
        ("any address, no token", "0.0.0.0:9464", None, false),
        ("any address, a token", "0.0.0.0:9464", Some(&good), true),
        ("a short token", "127.0.0.1:9464", Some(&short), false),
        ("an unreadable token file", "0.0.0.0:9464", Some(&missing), false),
    ];
    for (name, listen, token, ok) in cases {
        match http(listen, token) {
            Ok(rt) => {
                assert!(ok, "{name}: accepted");
                assert_eq!(rt.http_token.is_some(), token.is_some(), "{name}");
                assert!(
                    !format!("{rt:?}").contains("0123456789abcdef"),
                    "{name}: the token is never printed"
                );
            }
            Err(err) => {
                assert!(!ok, "{name}: refused: {err:?}");
                assert_eq!(keys(&err), ["http.token_file"], "{name}: the key is named");
            }
        }
    }
}

#[test]
fn the_story_archive_spans_the_window_to_ten_years() {
    let cases = [
        ("archive = \"1500d\"", Ok(Duration::from_hours(1_500 * 24))),
        ("archive = \"4y\"", Ok(humantime::parse_duration("4y").expect("4y"))),
        ("window = \"60d\"\narchive = \"60d\"", Ok(Duration::from_hours(60 * 24))),
        ("window = \"60d\"\narchive = \"30d\"", Err("must not be shorter than stories.window")),
        ("archive = \"11y\"", Err("must be at most ten years")),
        ("archive = \"forever\"", Err("is not a duration")),
    ];
    for (lines, want) in cases {
        let text = format!("[stories]\n{lines}\n");
        match (parse(&text), want) {
            (Ok(runtime), Ok(archive)) => assert_eq!(runtime.stories.archive, archive, "{text}"),
            (Err(ConfigError::Invalid(problems)), Err(message)) => {
                assert_eq!(keys(&ConfigError::Invalid(problems.clone())), ["stories.archive"], "{text}");
                assert!(problems[0].message.contains(message), "{text}: {}", problems[0].message);
            }
            (got, want) => panic!("{text}: got {:?}, want {want:?}", got.map(|r| r.stories.archive)),
        }
    }
}
