//! Scoring through the real binary: `score --jsonl`, `eval`, `rescore`, and live reload of the
//! rules on SIGHUP while the daemon runs.

mod common;

use std::path::Path;

use common::{
    Daemon, Server, Signal, TestConfig, count, count_now, fixtures, flashpoint, item_feed, once, secs,
    shipped, stderr, wait_until,
};

#[tokio::test]
async fn score_jsonl_prints_one_verdict_per_line() {
    let out =
        flashpoint(&shipped(), &["score", "--jsonl", fixtures().join("eval.jsonl").to_str().expect("utf-8")])
            .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 11);
    let first = &lines[0];
    assert_eq!(first["id"], "e1");
    assert_eq!(first["alert"], true);
    assert!(first["score"].as_f64().is_some_and(|s| s >= 6.0));
    assert!(matches!(first["severity"].as_str(), Some("low" | "medium" | "high")));
    assert!(first["matches"][0]["snippet"].as_str().is_some_and(|s| s.contains("checkpoint")));
    let ruled_out = lines.iter().find(|l| l["id"] == "o3").expect("o3");
    assert_eq!(ruled_out["alert"], false);
    assert_eq!(ruled_out["severity"], serde_json::Value::Null);
    assert!(ruled_out["matches"].as_array().expect("matches").iter().any(|m| m["negated"] == true));
}

#[tokio::test]
async fn eval_reports_precision_recall_and_explains_errors() {
    let out = flashpoint(&shipped(), &["eval", fixtures().join("eval.jsonl").to_str().expect("utf-8")]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let first = text.lines().next().expect("summary");
    assert!(first.starts_with("precision 1.000  recall 1.000  F1 1.000  (n=11, tp=5, fp=0, fn=0"), "{text}");
    assert!(text.contains("false positives (0):") && text.contains("false negatives (0):"), "{text}");

    // A lexicon without the violent vocabulary or any actor misses everything (a word with no
    // party to it is no event), and says why per sentence.
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("tiny.toml");
    std::fs::write(&cfg, "[scoring]\nterms = [{ phrase = \"warned\", category = \"threaten\" }]\n")
        .expect("write");
    let out = flashpoint(&cfg, &["eval", fixtures().join("eval.jsonl").to_str().expect("utf-8")]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("false negatives (5):"), "{text}");
    assert!(text.contains("false positives (0):"), "{text}");
    assert!(text.contains("\"warned\" [threaten] weight 6.00 (lede, conditional, no actor)"), "{text}");

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": 1, \"text\": \"x\", \"label\": \"maybe\"}\n").expect("write");
    let out = flashpoint(&shipped(), &["eval", bad.to_str().expect("utf-8")]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 1: label \"maybe\""), "{}", stderr(&out));
}

fn set_scoring(path: &Path, edit: impl FnOnce(&mut toml::Table)) {
    let mut table: toml::Table = std::fs::read_to_string(path).expect("config").parse().expect("toml");
    let scoring = table.get_mut("scoring").and_then(toml::Value::as_table_mut).expect("[scoring]");
    edit(scoring);
    std::fs::write(path, toml::to_string(&table).expect("serialize")).expect("write config");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_swaps_good_rules_and_keeps_the_old_ones_on_a_bad_config() {
    let site = Server::start().await;
    let calm = ("one", "Officials said the zorblat was seen near the river on Monday.");
    site.route("/feed", item_feed(&[calm]));
    let cfg = TestConfig::new(
        &[("Feed", site.url("/feed"))],
        &[],
        "[feeds_defaults]\ninterval = \"1s\"\nmin_interval = \"1s\"\n",
    );
    let daemon = Daemon::start(&cfg.path);
    let alerts = || count_now(&cfg.db, "SELECT count(*) FROM alerts");
    wait_until(secs(30), "the first article", || count_now(&cfg.db, "SELECT count(*) FROM articles") == 1)
        .await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 0);

    // A broken config: every problem is logged, and the old rules keep scoring.
    let good = std::fs::read_to_string(&cfg.path).expect("config");
    set_scoring(&cfg.path, |s| {
        s.insert("threshold".into(), toml::Value::Float(-1.0));
        let terms = s.get_mut("terms").and_then(toml::Value::as_array_mut).expect("terms");
        terms.push(toml::Value::Table(toml::toml! { phrase = "" category = "threaten" }));
        terms.push(toml::Value::Table(toml::toml! { phrase = "zorblat" category = "nonesuch" }));
    });
    daemon.signal(Signal::Hup);
    wait_until(secs(30), "the refusal", || daemon.log().contains("reload refused")).await;
    let text = daemon.log();
    assert!(text.contains("scoring.threshold: must be a number above 0 and at most 1000000"), "{text}");
    assert!(text.contains(".phrase: must not be empty"), "{text}");
    assert!(text.contains("category \"nonesuch\" has no weight"), "{text}");
    let attack = ("two", "Militants attacked a police post on Monday, killing two constables.");
    site.route("/feed", item_feed(&[calm, attack]));
    wait_until(secs(30), "an alert under the old rules", || alerts() == 1).await;
    let old_hash = common::query(&cfg.db, "SELECT rules_hash FROM alerts");

    // A good config: the next article is scored with the new rules.
    std::fs::write(&cfg.path, &good).expect("restore");
    set_scoring(&cfg.path, |s| {
        let terms = s.get_mut("terms").and_then(toml::Value::as_array_mut).expect("terms");
        terms.push(toml::Value::Table(toml::toml! { phrase = "zorblat" category = "threaten" weight = 9.0 }));
    });
    daemon.signal(Signal::Hup);
    wait_until(secs(30), "the reload", || daemon.log().contains("scoring rules reloaded")).await;
    assert!(daemon.log().contains("other settings take effect on restart"));
    let sighted = ("three", "The army said the zorblat returned to the valley at dawn.");
    site.route("/feed", item_feed(&[calm, attack, sighted]));
    wait_until(secs(30), "an alert under the new rules", || alerts() == 2).await;
    let hashes = common::query(&cfg.db, "SELECT DISTINCT rules_hash FROM alerts");
    assert_eq!(hashes.len(), 2, "each alert carries the hash of the rules that raised it");
    assert!(hashes.contains(&old_hash[0]));
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM alerts WHERE title = 'Item one'"),
        0,
        "stored articles are not re-scored"
    );
    assert_eq!(daemon.stop().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn rescore_lists_gained_and_lost_and_applies_only_when_asked() {
    let site = Server::start().await;
    let hooks = Server::start().await;
    let items = [
        ("one", "Officials said the zorblat was seen near the river on Monday."),
        ("two", "Militants attacked a police post on Monday, killing two constables."),
    ];
    site.route("/feed", item_feed(&items));
    let cfg = TestConfig::new(&[("Feed", site.url("/feed"))], &[hooks.url("/hook")], "");
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1);
    assert_eq!(hooks.posts("/hook").len(), 1);

    // New rules: the zorblat alerts, killing no longer does.
    set_scoring(&cfg.path, |s| {
        let terms = s.get_mut("terms").and_then(toml::Value::as_array_mut).expect("terms");
        terms.push(toml::Value::Table(toml::toml! { phrase = "zorblat" category = "threaten" weight = 9.0 }));
        s.insert("threshold".into(), toml::Value::Float(8.0));
        s.insert("exclude".into(), toml::Value::Array(vec!["attacked".into(), "killing".into()]));
        // A made-up word is no topic the relevance model knows: this test is about the rules.
        s.insert("relevance".into(), toml::Value::Table(toml::toml! { enabled = false }));
    });
    let out = flashpoint(&cfg.path, &["rescore", "--since", "1h"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with("2 articles re-scored: 1 alert gained, 1 lost"), "{text}");
    assert!(text.contains("+ ") && text.contains("Item one"), "{text}");
    assert!(text.contains("- ") && text.contains("Item two"), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 1, "nothing written without --apply");

    let out = flashpoint(&cfg.path, &["rescore", "--since", "1h", "--apply"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 alert written"));
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 2, "the lost alert is kept");
    assert_eq!(
        count(&cfg.db, "SELECT count(*) FROM deliveries WHERE state = 'pending'"),
        1,
        "outbox row queued"
    );
    once(&cfg.path).await;
    assert_eq!(hooks.posts("/hook").len(), 2, "the gained alert is delivered by the daemon");
    let out = flashpoint(&cfg.path, &["rescore", "--since", "1h", "--apply"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 alerts gained"), "applying twice adds nothing");
}
