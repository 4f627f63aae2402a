//! Trends end to end: `flashpoint trends --replay` on a small file of made-up stories.

mod common;

use common::{Server, TestConfig, fixtures, flashpoint, once, query};

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

const THREAT: (&str, &str, &str) = (
    "threat-1",
    "Pakistan will strike deep inside Afghanistan, defence minister warns",
    "Pakistan will strike deep inside Afghanistan if attacks from across the border continue, the defence \
     minister warned on Tuesday. He said the armed forces were ready to hit militant hideouts in Kunar and \
     Nangarhar provinces and that the Afghan Taliban government had been told so.",
);

#[tokio::test(flavor = "multi_thread")]
async fn rebuild_fills_the_index_that_trends_shows() {
    let site = Server::start().await;
    site.route("/feed", common::linkless_feed(&[THREAT]));
    let cfg = TestConfig::new(&[("Wire", site.url("/feed"))], &[], "");
    let before = flashpoint(&cfg.path, &["trends"]).await;
    assert_eq!(before.status.code(), Some(1), "no database yet, and trends does not create one");
    assert!(!cfg.db.exists());
    once(&cfg.path).await;
    let events = query(&cfg.db, "SELECT event FROM alerts");
    assert_eq!(events.len(), 1, "the threat raised an alert");

    // The daemon counted the story as it stored it; a rebuild finds the same index.
    let counted = flashpoint(&cfg.path, &["trends", "--json", "--days", "7"]).await;
    assert!(counted.status.success(), "{}", String::from_utf8_lossy(&counted.stderr));
    assert!(!counted.stdout.is_empty(), "the daemon filled the index");
    // An index emptied (a database from before it) says how to fill it.
    rusqlite::Connection::open(&cfg.db).expect("open").execute("DELETE FROM trend_parts", []).expect("empty");
    let empty = flashpoint(&cfg.path, &["trends"]).await;
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("trends --rebuild"),
        "an empty index says how to fill it"
    );
    let rebuilt = flashpoint(&cfg.path, &["trends", "--rebuild"]).await;
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let said = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(said.contains("1 stories counted for 1 pairs"), "{said} (events: {events:?})");

    let shown = flashpoint(&cfg.path, &["trends", "--json", "--days", "7"]).await;
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert_eq!(shown.stdout, counted.stdout, "the rebuild equals what the daemon counted");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&shown.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "one pair");
    let pair = &lines[0];
    assert_eq!((pair["source"].as_str(), pair["target"].as_str()), (Some("Pakistan"), Some("Afghanistan")));
    let days = pair["days"].as_array().expect("days");
    assert_eq!(days.len(), 7);
    let today = &days[6];
    assert_eq!((today["stories"].as_u64(), today["highest"].as_str()), (Some(1), Some("threaten")));
    assert_eq!(pair["history_days"].as_u64(), Some(1));

    let text = flashpoint(&cfg.path, &["trends", "--pair", "Pakistan>Afghanistan"]).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("Pakistan>Afghanistan  ▁"), "{text}");
    assert!(
        text.contains("1 stories, highest threaten") && text.contains("insufficient history: 1 days"),
        "{text}"
    );
    // An actor alone: its stories with any other, as source or target.
    let actor = flashpoint(&cfg.path, &["trends", "--actor", "Afghanistan", "--json", "--days", "7"]).await;
    let actor: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&actor.stdout).trim()).expect("one JSON line");
    assert_eq!((actor["actor"].as_str(), actor["source"].as_str()), (Some("Afghanistan"), None));
    assert_eq!(actor["days"][6]["stories"].as_u64(), Some(1));
    let text = flashpoint(&cfg.path, &["trends", "--actor", "Pakistan"]).await;
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("Pakistan (every pair)  ▁"));
    let other = flashpoint(&cfg.path, &["trends", "--pair", "India>Pakistan"]).await;
    assert!(
        String::from_utf8_lossy(&other.stdout).contains("no stories in the last 30 days for India>Pakistan")
    );
    let bad = flashpoint(&cfg.path, &["trends", "--pair", "India"]).await;
    assert_eq!(bad.status.code(), Some(2), "a pair without '>' is a usage error");
}

const SECRET: &str = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=";

/// Six weeks of one threat a day between the pair, and a burst in the last hours: eight attacks
/// carried by three outlets each. Written as the daemon writes stories and their trend parts.
fn seed_history(db: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).expect("open");
    let now = chrono::Utc::now();
    let put = |id: String, at: chrono::DateTime<chrono::Utc>, rung: &str, outlets: i64| {
        let at_s = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        conn.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, 'T', ?2, ?2, 1, ?3)",
            rusqlite::params![id, at_s, outlets],
        )
        .expect("story");
        conn.execute(
            "INSERT INTO trend_parts (story_id, source, target, day, rung, outlets)
             VALUES (?1, 'Pakistan', 'Afghanistan', substr(?2, 1, 10), ?3, ?4)",
            rusqlite::params![id, at_s, rung, outlets],
        )
        .expect("part");
    };
    for day in 1..=42 {
        put(format!("alrt_history{day}"), now - chrono::TimeDelta::hours(24 * day + 3), "threaten", 1);
    }
    for i in 0..8 {
        put(format!("alrt_burst{i}"), now - chrono::TimeDelta::minutes(30 + i), "assault", 3);
    }
}

/// A level-up and a spike of Pakistan → Afghanistan, as their webhook received them: what was
/// observed and expected, the baseline, the change, and the stories that drove them.
fn says_what_drove_it(signals: &[(String, serde_json::Value)]) {
    for (id, v) in signals {
        assert_eq!(v["id"].as_str(), Some(id.as_str()), "the webhook-id is the signal's id");
        assert!(id.starts_with("dyad_"));
        assert_eq!((v["source"].as_str(), v["target"].as_str()), (Some("Pakistan"), Some("Afghanistan")));
        let stories = v["stories"].as_array().expect("stories");
        assert_eq!(stories.len(), 5, "the five weightiest of the day's nine");
        assert!(stories.iter().all(|s| s["rung"] == "assault" && s["outlets"] == 3), "{stories:?}");
    }
    let (_, level) = &signals[0];
    assert_eq!(
        (level["rung"].as_str(), level["previous_rung"].as_str()),
        (Some("assault"), Some("threaten"))
    );
    let (_, spike) = &signals[1];
    assert_eq!(spike["observed"].as_u64(), Some(9), "eight attacks and the threat the daemon stored");
    let expected = spike["expected"].as_f64().expect("expected");
    assert!((0.5..2.0).contains(&expected), "{expected}");
    assert!(spike["upper"].as_u64().expect("upper") <= 9);
    assert_eq!(spike["baseline"]["days"].as_u64(), Some(28));
    assert_eq!(spike["baseline"]["lag_days"].as_u64(), Some(2));
    assert!(spike["change_pct"].as_f64().expect("change") > 500.0, "{spike}");
    assert!(
        spike["headline"]
            .as_str()
            .expect("headline")
            .starts_with("Pakistan → Afghanistan: 9 stories in 24 h")
    );
}

/// A burst of stories between a pair signals a spike and a level-up through the outbox: each
/// to the webhook that asked for it, signed, under its own id, once, however often the daemon
/// runs again.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_is_delivered_once_by_id() {
    let site = Server::start().await;
    site.route("/feed", common::linkless_feed(&[THREAT]));
    let hook = Server::start().await;
    let quiet = Server::start().await;
    let extra = format!(
        "[[webhooks]]\nurl = \"{}\"\nname = \"analysts\"\nsecret = \"{SECRET}\"\n\
         events = [\"created\", \"dyad.spike\", \"dyad.level_up\"]\n\
         [[webhooks]]\nurl = \"{}\"\nname = \"alerts-only\"\n",
        hook.url("/hook"),
        quiet.url("/hook")
    );
    let cfg = TestConfig::new(&[("Wire", site.url("/feed"))], &[], &extra);
    once(&cfg.path).await;
    let posts = |s: &Server| s.seen().into_iter().filter(|r| r.method == "POST").collect::<Vec<_>>();
    let types = |s: &Server| -> Vec<String> {
        posts(s)
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
                v["type"].as_str().expect("type").to_string()
            })
            .collect()
    };
    assert_eq!(types(&hook), ["alert.created"], "one story, too little history for a signal");

    seed_history(&cfg.db);
    let log = once(&cfg.path).await;
    assert_eq!(log.matches("trend signal raised").count(), 2, "{log}");
    let got = posts(&hook);
    let mut signals: Vec<(String, serde_json::Value)> = got[1..]
        .iter()
        .map(|r| {
            assert!(common::verify(b"secret-key-for-tests", r), "every signal is signed");
            let id = r.headers.get("webhook-id").and_then(|h| h.to_str().ok()).expect("webhook-id");
            (id.to_string(), serde_json::from_slice(&r.body).expect("JSON"))
        })
        .collect();
    signals.sort_by(|a, b| a.1["type"].as_str().cmp(&b.1["type"].as_str()));
    let kinds: Vec<&str> = signals.iter().map(|(_, v)| v["type"].as_str().expect("type")).collect();
    assert_eq!(kinds, ["dyad.level_up", "dyad.spike"]);
    says_what_drove_it(&signals);
    assert_eq!(types(&quiet), ["alert.created"], "a webhook that did not ask gets no signal");

    // Run again, and again: nothing new, nothing sent twice.
    let again = once(&cfg.path).await;
    assert!(!again.contains("trend signal raised"), "{again}");
    assert_eq!(posts(&hook).len(), 3);
    let rows =
        query(&cfg.db, "SELECT count(*) FROM deliveries WHERE signal_id IS NOT NULL AND state = 'delivered'");
    assert_eq!(rows[0][0], rusqlite::types::Value::Integer(2));
}
