//! The analyst's loop through the real binary: `label` an alert useful or noise, list the
//! verdicts with `labels`, and `train` a relevance model on labelled files and those verdicts,
//! installing it where the config reads it.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Server, TestConfig, count, fixtures, flashpoint, item_feed, once, query, stderr};

/// Three feed items that read as conflict to the rules and the relevance gate alike, so each
/// raises an alert.
const THREATS: [(&str, &str); 3] = [
    ("one", "Militants attacked a police post on Monday, killing two constables."),
    ("two", "Troops shelled border villages on Tuesday, killing four civilians, officials said."),
    ("three", "Insurgents ambushed an army convoy with rockets on Wednesday, killing three soldiers."),
];

/// A config watching a feed of [`THREATS`], after one `once`: their alerts are in the database.
async fn with_alerts(site: &Server) -> TestConfig {
    site.route("/feed", item_feed(&THREATS));
    let cfg = TestConfig::new(&[("Feed", site.url("/feed"))], &[], "");
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 3, "every threat alerts");
    cfg
}

/// The alert ids, in id order.
fn alert_ids(db: &Path) -> Vec<String> {
    query(db, "SELECT id FROM alerts ORDER BY id")
        .into_iter()
        .map(|row| match &row[0] {
            rusqlite::types::Value::Text(id) => id.clone(),
            other => panic!("not an id: {other:?}"),
        })
        .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must succeed; its stdout.
async fn ok(config: &Path, args: &[&str]) -> String {
    let out = flashpoint(config, args).await;
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// `labels --json`, each line parsed.
async fn verdicts(config: &Path) -> Vec<serde_json::Value> {
    let text = ok(config, &["labels", "--json"]).await;
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"))).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn label_then_labels_round_trips_and_a_second_label_replaces_the_first() {
    let site = Server::start().await;
    let cfg = with_alerts(&site).await;
    let ids = alert_ids(&cfg.db);

    let out = flashpoint(&cfg.path, &["label", &ids[0], "noise", "--note", "a drill, not an attack"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("labelled {} noise\n", ids[0]));
    let said = stderr(&out);
    let announced = format!("config {}, database {}", cfg.path.display(), cfg.db.display());
    assert!(said.contains(&announced), "names its config and database: {said}");
    assert_eq!(ok(&cfg.path, &["label", &ids[1], "useful"]).await, format!("labelled {} useful\n", ids[1]));

    // Newest first, in the table and in JSON lines alike; nothing but JSON on stdout.
    let table = ok(&cfg.path, &["labels"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("LABELLED") && lines[0].contains("NOTE"), "{table}");
    assert!(lines[1].contains(&ids[1]) && lines[1].contains("useful"), "{table}");
    assert!(lines[2].contains(&ids[0]) && lines[2].contains("a drill, not an attack"), "{table}");
    assert!(lines[2].contains("Item ") && lines[2].contains("noise"), "{table}");
    let listed = verdicts(&cfg.path).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0]["alert_id"].as_str(), listed[0]["verdict"].as_str()),
        (Some(&*ids[1]), Some("useful"))
    );
    let first = &listed[1];
    assert_eq!(first["alert_id"], ids[0].as_str());
    assert_eq!(first["note"], "a drill, not an attack");
    assert!(first["title"].as_str().is_some_and(|t| t.starts_with("Item ")), "{first}");
    assert!(matches!(first["severity"].as_str(), Some("low" | "medium" | "high")), "{first}");
    assert!(first["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");

    let replaced = ok(&cfg.path, &["label", &ids[0], "useful"]).await;
    assert!(replaced.starts_with(&format!("labelled {} useful, replacing noise of ", ids[0])), "{replaced}");
    let listed = verdicts(&cfg.path).await;
    assert_eq!(listed.len(), 2, "one verdict an alert");
    assert_eq!(
        (listed[0]["alert_id"].as_str(), listed[0]["verdict"].as_str()),
        (Some(&*ids[0]), Some("useful"))
    );
    assert!(listed[0]["note"].is_null(), "the replaced verdict's note went with it");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM verdicts"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_alert_exits_1_naming_it() {
    let cfg = TestConfig::new(&[], &[], "");
    // A database a daemon made (`label` never creates one).
    drop(flashpoint::store::Store::open(&cfg.db).expect("open"));
    let out = flashpoint(&cfg.path, &["label", "alrt_000000000000000000000000", "useful"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no alert alrt_000000000000000000000000"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(verdicts(&cfg.path).await.is_empty());
    assert!(ok(&cfg.path, &["labels"]).await.starts_with("no verdicts"));
}

fn data() -> String {
    fixtures().join("relevance/articles.jsonl").display().to_string()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test]
async fn train_reports_cross_validation_and_writes_the_same_loadable_model_twice() {
    let cfg = TestConfig::new(&[], &[], "");
    let (first, second) = (cfg.dir().join("first.model"), cfg.dir().join("second.model"));
    let report = ok(&cfg.path, &["train", "--out", path(&first), &data()]).await;
    assert!(report.starts_with("read 40 articles (20 conflict, 20 other) from 1 files\n"), "{report}");
    assert!(report.contains("5-fold cross-validation, stratified, seed 1989:\n"), "{report}");
    assert!(report.contains("  threshold  precision  recall  F1     false alarms\n"), "{report}");
    assert!(report.contains("  at p >= 0.50: F1 "), "{report}");
    assert!(report.contains(&format!("wrote {} (", first.display())), "{report}");
    assert!(!cfg.dir().join("relevance.model").exists(), "nothing installed without --install");
    flashpoint::relevance::Model::load(&first).expect("the model loads");

    let again = ok(&cfg.path, &["train", "--folds", "4", "--out", path(&second), &data()]).await;
    assert!(again.contains("4-fold cross-validation"), "{again}");
    assert_eq!(std::fs::read(&first).expect("first"), std::fs::read(&second).expect("second"), "same bytes");

    // A config that reads the model accepts it.
    let uses = TestConfig::new(&[], &[], "[scoring.relevance]\nmodel = \"model.bin\"\n");
    std::fs::copy(&first, uses.dir().join("model.bin")).expect("copy");
    ok(&uses.path, &["check-config"]).await;

    let out = flashpoint(&cfg.path, &["train", "--out", path(&first)]).await;
    assert_eq!(out.status.code(), Some(2), "files are needed without --with-labels");
}

/// `train --with-labels --out MODEL FILE` (plus `extra`), which must succeed: its report and the
/// model's bytes.
async fn train_with_labels(cfg: &TestConfig, out: &str, extra: &[&str]) -> (String, Vec<u8>) {
    let out = cfg.dir().join(out);
    let data = data();
    let mut args = vec!["train", "--with-labels", "--out", path(&out), &data];
    args.extend(extra);
    let report = ok(&cfg.path, &args).await;
    (report, std::fs::read(&out).expect("model written"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verdict_changes_the_next_training_and_install_writes_where_the_config_reads() {
    let site = Server::start().await;
    let cfg = with_alerts(&site).await;
    let source = format!("verdicts in {}", cfg.db.display());
    let (before, before_bytes) = train_with_labels(&cfg, "before.model", &[]).await;
    assert!(before.contains(&format!("from 1 files and {source}\n")), "{before}");
    assert!(before.contains(&format!(", with {source} (40 articles):\n")), "{before}");

    let id = &alert_ids(&cfg.db)[0];
    ok(&cfg.path, &["label", id, "noise"]).await;
    let (after, after_bytes) = train_with_labels(&cfg, "after.model", &[]).await;
    assert!(after.contains(&format!("       0 conflict      1 other  {source}\n")), "{after}");
    assert!(after.contains(&format!(", without {source} (40 articles):\n")), "{after}");
    assert!(after.contains(&format!(", with {source} (41 articles):\n")), "{after}");
    assert_ne!(before_bytes, after_bytes, "the verdict is learned from");
    assert!(!cfg.dir().join("relevance.model").exists(), "nothing installed without --install");

    // The config names no model: install beside it, and say what to add.
    let (report, bytes) = train_with_labels(&cfg, "again.model", &["--install"]).await;
    assert_eq!(bytes, after_bytes, "the same data trains the same model");
    let installed = cfg.dir().join("relevance.model");
    assert!(report.contains(&format!("installed {}\n", installed.display())), "{report}");
    assert!(report.contains("\nmodel = \"relevance.model\"\n"), "{report}");
    assert_eq!(std::fs::read(&installed).expect("installed"), after_bytes);

    // The config names one: install there and only there.
    let named = cfg.dir().join("learned.model");
    std::fs::write(&named, &before_bytes).expect("an earlier model");
    set_model(&cfg.path, "learned.model");
    std::fs::remove_file(&installed).expect("remove");
    let (report, _) = train_with_labels(&cfg, "third.model", &["--install"]).await;
    assert!(report.contains(&format!("installed {}\n", named.display())), "{report}");
    assert!(!report.contains("model = "), "{report}");
    assert_eq!(std::fs::read(&named).expect("installed"), after_bytes);
    assert!(!installed.exists());
    ok(&cfg.path, &["check-config"]).await;

    std::fs::write(&named, b"not a model").expect("corrupt");
    let out = flashpoint(&cfg.path, &["check-config"]).await;
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("scoring.relevance.model"), "{}", stderr(&out));
}

/// Sets `[scoring.relevance] model` in the config at `config`.
fn set_model(config: &Path, model: &str) {
    let mut table: toml::Table = std::fs::read_to_string(config).expect("config").parse().expect("toml");
    let relevance = table
        .get_mut("scoring")
        .and_then(|s| s.get_mut("relevance"))
        .and_then(toml::Value::as_table_mut)
        .expect("[scoring.relevance]");
    relevance.insert("model".into(), toml::Value::String(model.into()));
    std::fs::write(config, toml::to_string(&table).expect("serialize")).expect("write config");
}

/// Verdicts alone can train a model, but only once they hold both labels.
#[tokio::test(flavor = "multi_thread")]
async fn verdicts_alone_train_once_they_hold_both_labels() {
    let site = Server::start().await;
    let cfg = with_alerts(&site).await;
    let out = cfg.dir().join("m.model");
    let train = ["train", "--with-labels", "--out", path(&out)];
    let ids = alert_ids(&cfg.db);
    for (verdict, counts) in [(None, "0 conflict and 0 other"), (Some("useful"), "1 conflict and 0 other")] {
        if let Some(verdict) = verdict {
            ok(&cfg.path, &["label", &ids[0], verdict]).await;
        }
        let run = flashpoint(&cfg.path, &train).await;
        assert_eq!(run.status.code(), Some(1));
        let said = stderr(&run);
        assert!(said.contains(&format!("training needs examples of both labels; got {counts}")), "{said}");
        assert!(!out.exists());
    }
    ok(&cfg.path, &["label", &ids[1], "noise"]).await;
    let report = ok(&cfg.path, &train).await;
    let source = format!("verdicts in {}", cfg.db.display());
    assert!(
        report.starts_with(&format!("read 2 articles (1 conflict, 1 other) from 0 files and {source}\n"))
    );
    assert!(
        report.contains(&format!(", without {source}: not possible on 0 conflict and 0 other articles\n"))
    );
    flashpoint::relevance::Model::load(&out).expect("the model loads");
}
