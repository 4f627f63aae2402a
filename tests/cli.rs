//! The binary's own behaviour: config checking, exit codes, environment overrides, `score`.

mod common;

use std::path::Path;
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
        for key in ["feeds[0].url", "feeds[0].interval", "scoring.terms[\"strike deep inside\"].weight"] {
            assert!(stderr.contains(key), "{command} reports {key}: {stderr}");
        }
    }
}

/// Issue 20: check-config stopped short and blamed the wrong place. A type error hid the other
/// problems of its section, a mistyped environment variable was reported as the file's, and a
/// TOML syntax error named the file three times.
#[test]
fn check_config_lists_every_problem_where_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f.toml");
    let file = path.to_str().expect("utf-8");
    std::fs::write(
        &path,
        "[scoring]\nthreshold = \"high\"\n[[scoring.terms]]\nphrase = \"strike\"\nweight = 0\ncategory = \"threaten\"\n",
    )
    .expect("write");
    let (code, _, stderr) = run(&["--config", file, "check-config"], &[("FLASHPOINT__FETCH__TIMOUT", "3s")]);
    assert_eq!(code, 78, "{stderr}");
    let mut lines: Vec<&str> = stderr.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            format!(
                "{file}: scoring.terms[\"strike\"].weight: must be a non-zero number between -1000 and 1000"
            ),
            format!("{file}: scoring.threshold: invalid type: string \"high\", expected f64"),
            "FLASHPOINT__FETCH__TIMOUT: fetch.timout: unknown key".to_string(),
        ]
    );

    std::fs::write(&path, "[storage]\npath = \"x.db\"\n[fetch\n").expect("write");
    let (code, _, stderr) = run(&["--config", file, "check-config"], &[]);
    assert_eq!(code, 78, "{stderr}");
    assert_eq!(stderr.matches("f.toml").count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("{file}: TOML parse error at line 3")), "{stderr}");
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
    spells_out_scoring(&shipped);
}

/// Issue 20: the unit set the database only through an environment variable, so `flashpoint
/// status` on the packaged config, run by hand, created and read an empty database in the
/// working directory. The packaged config names the unit's state directory itself.
#[test]
fn packaged_config_names_the_services_database() {
    let unit =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/flashpoint.service"))
            .expect("unit");
    let state = unit
        .lines()
        .find_map(|l| l.strip_prefix("StateDirectory="))
        .map(|dir| Path::new("/var/lib").join(dir.trim()))
        .expect("the unit has a state directory");
    let dir = tempfile::tempdir().expect("tempdir");
    let packaged = dir.path().join("flashpoint.toml");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/packaged-config");
    let status = std::process::Command::new(&script).arg(&packaged).status().expect("runs");
    assert!(status.success(), "systemd/packaged-config writes the packaged config");
    let rt = flashpoint::config::load_runtime(&packaged).expect("compiles");
    assert_eq!(rt.storage_path, state.join("flashpoint.db"));
    // Only the database differs from the config a clone runs on.
    let shipped_text = std::fs::read_to_string(shipped()).expect("shipped");
    let packaged_text = std::fs::read_to_string(&packaged).expect("packaged");
    let differ: Vec<(&str, &str)> =
        shipped_text.lines().zip(packaged_text.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(differ, [("path = \"flashpoint.db\"", "path = \"/var/lib/flashpoint/flashpoint.db\"")]);
    assert_eq!(
        flashpoint::config::load_runtime(&shipped()).expect("compiles").storage_path,
        Path::new("flashpoint.db")
    );
    assert!(!unit.contains("FLASHPOINT__STORAGE__PATH"), "the config alone names the database");
    assert!(
        unit.contains("--config /etc/flashpoint/flashpoint.toml"),
        "the unit runs on the packaged config"
    );
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains(r#"["target/packaged/flashpoint.toml", "etc/flashpoint/flashpoint.toml""#),
        "the package installs the packaged config where the unit reads it"
    );
}

/// `[scoring]` with only the key at `path` set, to `value`.
fn only(path: &[&str], value: &toml::Value) -> flashpoint::config::ScoringConfig {
    let nested = path.iter().rev().fold(value.clone(), |inner, key| {
        toml::Value::Table(toml::Table::from_iter([((*key).to_string(), inner)]))
    });
    nested.try_into().unwrap_or_else(|e| panic!("[scoring] {}: {e}", path.join(".")))
}

/// Every `[scoring.categories.NAME]` shows its weight, and every built-in category is shown with
/// its built-in weight and rung (a category of the shipped config's own that dampens has none).
fn spells_out_categories(value: &toml::Value) {
    use flashpoint::config::{CATEGORY_RUNGS, CATEGORY_WEIGHTS};
    let categories = value.as_table().expect("[scoring.categories] is a table");
    for (name, category) in categories {
        let category = category.as_table().expect("[scoring.categories.NAME] is a table");
        assert!(
            category.contains_key("weight"),
            "[scoring] categories.{name}.weight is not in the shipped config"
        );
    }
    let read = only(&["categories"], value);
    for (name, weight) in CATEGORY_WEIGHTS {
        let shown = read.categories.get(*name).and_then(|c| c.weight);
        assert!(
            shown == Some(*weight),
            "[scoring.categories.{name}] weight: the shipped config shows the built-in {weight}, not {shown:?}"
        );
    }
    for (name, rung) in CATEGORY_RUNGS {
        let shown = read.categories.get(*name).and_then(|c| c.rung.clone());
        assert!(
            shown.as_deref() == Some(rung.as_str()),
            "[scoring.categories.{name}] rung: the shipped config shows the built-in {}, not {shown:?}",
            rung.as_str()
        );
    }
}

/// `[scoring]` has no `Serialize` (its lexicon is not round-tripped), so its keys are read off its
/// `Deserialize` impl, and each value written in the shipped config is read back through that
/// impl, alone, and compared with the built-in default.
fn spells_out_scoring(shipped: &toml::Table) {
    use flashpoint::config::ScoringConfig;
    type Entries = fn(&ScoringConfig) -> Vec<String>;
    let scoring = shipped.get("scoring").and_then(toml::Value::as_table).expect("[scoring] missing");
    let defaults = ScoringConfig::default();
    // Lists are the shipped lexicon and cue sets: they may add to what is built in, but must keep
    // every built-in entry.
    let lists: [(&str, Entries); 12] = [
        ("exclude", |s| s.exclude.clone()),
        ("lexicons", |s| s.lexicons.iter().map(|p| p.display().to_string()).collect()),
        ("actors", |s| s.actors.iter().map(|a| a.name.clone()).collect()),
        ("frames", |s| s.frames.iter().map(|f| f.name.clone()).collect()),
        ("events.past", |s| s.events.past.clone()),
        ("events.cross_border", |s| s.events.cross_border.clone()),
        ("terms", |s| s.terms.iter().map(|t| format!("{t:?}")).collect()),
        ("context.negation", |s| s.context.negation.clone()),
        ("context.negation_exceptions", |s| s.context.negation_exceptions.clone()),
        ("context.conditional", |s| s.context.conditional.clone()),
        ("context.allegation", |s| s.context.allegation.clone()),
        ("context.background", |s| s.context.background.clone()),
    ];
    let check = |path: &[&str], value: &toml::Value| {
        let name = path.join(".");
        let read = only(path, value);
        if let Some((_, list)) = lists.iter().find(|(n, _)| *n == name) {
            let written = list(&read);
            for entry in list(&defaults) {
                assert!(written.contains(&entry), "[scoring] {name} leaves out the built-in {entry:?}");
            }
        } else {
            assert!(!value.is_array(), "[scoring] {name} is a list: add it to `lists` above");
            assert!(
                format!("{read:?}") == format!("{defaults:?}"),
                "[scoring] {name} = {value}: the shipped config shows the default"
            );
        }
    };
    let written = |table: &toml::Table, prefix: &str, key: &str| -> toml::Value {
        table
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("[scoring] {prefix}{key} is not in the shipped config"))
    };
    for &key in field_names(&defaults) {
        let value = written(scoring, "", key);
        match key {
            "context" => {
                let context = value.as_table().expect("[scoring.context] is a table");
                for &inner in field_names(&defaults.context) {
                    check(&["context", inner], &written(context, "context.", inner));
                }
            }
            "events" => {
                let events = value.as_table().expect("[scoring.events] is a table");
                for &inner in field_names(&defaults.events) {
                    check(&["events", inner], &written(events, "events.", inner));
                }
            }
            "categories" => spells_out_categories(&value),
            _ => check(&[key], &value),
        }
    }
}

/// The names of the fields a struct deriving `Deserialize` asks for, as its derived impl hands
/// them to the deserializer.
fn field_names<T: serde::de::DeserializeOwned>(_: &T) -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut names));
    assert!(!names.is_empty(), "{} is a struct with fields", std::any::type_name::<T>());
    names
}

/// A deserializer that fails at once, noting the field names a struct asks it for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("only the field names were wanted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}
