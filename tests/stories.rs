//! Stories end to end: `flashpoint stories --replay` on a small file of made-up articles, and
//! the daemon placing stored articles in stories that survive a restart.

mod common;

use std::fmt::Write as _;

use common::{Reply, Server, TestConfig, count, fixtures, flashpoint, once, query};
use rusqlite::types::Value;

/// The `story` of each `{"id","story"}` line, by id, in output order.
fn stories_of(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("every stdout line is JSON");
            (v["id"].as_str().expect("id").to_string(), v["story"].as_str().expect("story").to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_groups_reports_of_one_event_and_is_deterministic() {
    let cfg = TestConfig::new(&[], &[], "");
    let file = fixtures().join("stories.jsonl");
    let file = file.to_str().expect("utf-8 path");
    let first = flashpoint(&cfg.path, &["stories", "--replay", file]).await;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let got = stories_of(&first.stdout);
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["q1", "f1", "q2", "q3", "f2", "c1"], "one line per article, in input order");
    let story = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, s)| s.clone()).expect("placed");
    assert_eq!(story("q1"), story("q2"), "a rewrite of the bus attack joins it");
    assert_eq!(story("q1"), story("q3"), "a wire copy joins it");
    assert_eq!(story("f1"), story("f2"), "the floods' second day joins the floods");
    assert_ne!(story("q1"), story("f1"));
    assert_ne!(story("c1"), story("q1"));
    assert_ne!(story("c1"), story("f1"));

    let second = flashpoint(&cfg.path, &["stories", "--replay", file]).await;
    assert_eq!(first.stdout, second.stdout, "the same input gives the same stories");
    assert!(!cfg.db.exists(), "a replay writes no database");
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_names_the_line_of_a_bad_date() {
    let cfg = TestConfig::new(&[], &[], "");
    let file = cfg.dir().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"title\":\"t\",\"text\":\"x\",\"published\":\"May 7\",\"url\":\"\"}\n",
    )
    .expect("write");
    let out = flashpoint(&cfg.path, &["stories", "--replay", file.to_str().expect("utf-8")]).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("May 7"), "{err}");
}

/// An RSS feed of linkless items `(guid, title, text)`: the daemon stores each item's own text.
fn feed(items: &[(&str, &str, &str)]) -> Reply {
    let items = items.iter().fold(String::new(), |mut out, (guid, title, text)| {
        let _ = write!(
            out,
            "<item><title>{title}</title><guid>{guid}</guid><description>{text}</description></item>"
        );
        out
    });
    Reply::ok(
        "application/rss+xml",
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
    )
}

const BUS: (&str, &str, &str) = (
    "bus-1",
    "Gunmen kill 14 on Quetta bus",
    "Gunmen opened fire on a passenger bus near Quetta on Tuesday, killing 14 people, officials in Balochistan \
     said. The attack took place on the Mastung road, where the bus was travelling to Karachi. Deputy \
     Commissioner Aslam Baloch said 14 bodies had been taken to the civil hospital.",
);
const BUS_LATER: (&str, &str, &str) = (
    "bus-2",
    "14 killed in Mastung bus attack",
    "Fourteen people were killed when armed men attacked a bus on the Mastung road outside Quetta, \
     Balochistan, said Deputy Commissioner Aslam Baloch. The bus had been travelling to Karachi; the \
     wounded were taken to the civil hospital in Quetta.",
);
const FLOODS: (&str, &str, &str) = (
    "flood-1",
    "Sindh floods: Indus above danger mark at Sukkur",
    "Heavy monsoon rains flooded low-lying districts of Sindh, and the Indus rose above the danger mark at \
     Sukkur barrage. The provincial disaster authority moved families from Larkana and Dadu to relief camps \
     and asked farmers to leave the riverine belt before the next flood peak.",
);

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_between_articles_continues_the_same_story() {
    let site = Server::start().await;
    site.route("/feed", feed(&[BUS]));
    let cfg = TestConfig::new(&[("Wire", site.url("/feed"))], &[], "");
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM stories"), 1);

    // A new process: the window comes back from the database, and the later report joins.
    site.route("/feed", feed(&[BUS, BUS_LATER, FLOODS]));
    let log = once(&cfg.path).await;
    assert!(log.contains("story window reloaded"), "{log}");
    let rows = query(
        &cfg.db,
        "SELECT a.guid, s.story_id FROM story_articles s JOIN articles a ON a.id = s.article_id ORDER BY a.guid",
    );
    let story = |guid: &str| {
        rows.iter().find(|r| r[0] == Value::Text(guid.into())).map(|r| r[1].clone()).expect("clustered")
    };
    assert_eq!(rows.len(), 3, "each stored article is in one story, the repeated one once");
    assert_eq!(story("bus-1"), story("bus-2"));
    assert_ne!(story("bus-1"), story("flood-1"));
    let bus = query(&cfg.db, "SELECT articles FROM stories WHERE title = 'Gunmen kill 14 on Quetta bus'");
    assert_eq!(bus, [vec![Value::Integer(2)]]);
}
