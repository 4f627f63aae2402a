//! Alerts, stories, deliveries and feed polls written through the store, for the page's
//! handler tests and its bench.

#![allow(dead_code, reason = "each target uses part of the seed")]

use chrono::{DateTime, TimeDelta, Utc};
use flashpoint::feed::Feed;
use flashpoint::score::NewAlert;
use flashpoint::store::{AttemptResult, Failed, NewArticle, Routing, Store, StoryLink};
use flashpoint::story::lifecycle::{Cadence, Subscriber};
use flashpoint::types::{Method, Severity};

/// A title no page may show unescaped.
pub const HOSTILE_TITLE: &str = "Troops <script>alert(1)</script> & \"shelling\" at the border";

/// The ids of the seeded alerts.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// High, India → Pakistan, two outlets, hostile title, a delivery that failed once.
    pub high: String,
    /// Low, Afghanistan → Pakistan, resolved never, no verdict.
    pub low: String,
}

pub fn feeds(n: usize) -> Vec<Feed> {
    (0..n)
        .map(|i| Feed {
            name: format!("Feed {i}"),
            url: url::Url::parse(&format!("https://feed{i}.example/rss")).expect("url"),
            interval: std::time::Duration::from_mins(5),
            language: None,
        })
        .collect()
}

fn article(key: &str, feed: &str, title: &str, body_chars: usize) -> NewArticle {
    let matches = serde_json::json!([{
        "term": "shelling", "category": "attack", "weight": 3.0, "contribution": 3.0,
        "negated": false, "conditional": false, "alleged": false, "background": false,
        "no_actor": false, "past": true, "framed": false, "place": "body", "occurrence": 1, "count": 1,
        "source": "India", "target": "Pakistan",
        "snippet": "Indian troops began <b>shelling</b> Pakistani posts overnight."
    }]);
    NewArticle {
        key: key.into(),
        aliases: Vec::new(),
        url: format!("https://{key}.example/news"),
        guid: key.into(),
        feed: feed.into(),
        title: title.into(),
        published_at: None,
        body: "x".repeat(body_chars),
        method: Method::Site,
        canonical: None,
        author: None,
        language: Some("eng".into()),
        score: 12.0,
        matches: serde_json::from_value(matches).expect("matches"),
    }
}

fn alert(severity: Severity, source: &str, target: &str, rung: &str) -> NewAlert {
    let event = serde_json::json!({
        "source": source, "target": target, "rung": rung, "act": "shelling",
        "level": 3, "why": ["attack: shelling"], "place": "body",
        "sentence": format!("{source} troops began shelling {target} posts overnight.")
    });
    let relevance = serde_json::json!({"p": 0.93, "top": [{"feature": "troops", "weight": 1.5}]});
    NewAlert {
        severity,
        threshold: 6.0,
        actors: vec![flashpoint::score::ActorPair {
            source: Some(source.into()),
            target: Some(target.into()),
        }],
        rules_hash: "rules0".into(),
        event: Some(serde_json::from_value(event).expect("event")),
        relevance: Some(serde_json::from_value(relevance).expect("relevance")),
    }
}

fn routing(hooks: &[&str]) -> Routing {
    Routing {
        subscribers: hooks
            .iter()
            .map(|name| Subscriber {
                name: (*name).to_string(),
                min_severity: Severity::Low,
                feeds: Vec::new(),
                cadence: Cadence {
                    events: flashpoint::types::EventKind::ALL.to_vec(),
                    group_wait: std::time::Duration::ZERO,
                    update_interval: std::time::Duration::ZERO,
                },
            })
            .collect(),
        ..Routing::default()
    }
}

fn link(story: &str, outlet: &str, seen_at: DateTime<Utc>, articles: usize, outlets: usize) -> StoryLink {
    StoryLink {
        story: story.into(),
        title: "T".into(),
        outlet: outlet.into(),
        seen_at,
        copy: false,
        articles,
        outlets,
    }
}

/// Two alerts (one of two outlets) with a webhook delivery that failed once, and polls of
/// `Feed 0` (one failed).
pub fn seed(store: &Store) -> Seeded {
    let now = Utc::now();
    let hooks = routing(&["ops"]);
    let high = "sty_high0000000000000000000";
    let a = article("a1", "Feed 0", HOSTILE_TITLE, 3000);
    let raised = store
        .insert_article(&a, Some(&alert(Severity::High, "India", "Pakistan", "attack")), &hooks, || {
            Some(link(high, "a1.example", now - TimeDelta::hours(3), 1, 1))
        })
        .expect("insert")
        .expect("raised");
    assert_eq!(raised.alert.id, high);
    let b = article("a2", "Feed 1", "A second outlet reports the shelling", 2800);
    store
        .insert_article(&b, Some(&alert(Severity::High, "India", "Pakistan", "attack")), &hooks, || {
            Some(link(high, "a2.example", now - TimeDelta::hours(2), 2, 2))
        })
        .expect("insert");
    let low = "sty_low00000000000000000000";
    let c = article("a3", "Feed 1", "Afghan officials warn of retaliation", 2500);
    store
        .insert_article(&c, Some(&alert(Severity::Low, "Afghanistan", "Pakistan", "threat")), &hooks, || {
            Some(link(low, "a3.example", now - TimeDelta::hours(1), 1, 1))
        })
        .expect("insert");
    let due = store
        .claim_delivery("ops", Utc::now() + TimeDelta::seconds(1), TimeDelta::seconds(30))
        .expect("claim")
        .expect("due");
    let retry =
        AttemptResult::Retry { next_at: now, error: "HTTP 503 <html>busy</html>".into(), status: Some(503) };
    store.record_attempt(due.id, &retry).expect("attempt");
    store.record_poll("https://feed0.example/rss", "Feed 0", &[], None).expect("poll");
    store
        .record_feed_error("https://feed0.example/rss", "Feed 0", "HTTP 500 <b>oops</b>", Failed::Poll)
        .expect("error");
    Seeded { high: high.into(), low: low.into() }
}

/// `alerts` alerts over `feeds` feeds, spread over the last 60 days and a dozen pairs, each
/// its own story; every feed polled `polls` times.
pub fn seed_bulk(store: &Store, alerts: usize, feeds: usize, polls: usize) {
    let now = Utc::now();
    let hooks = routing(&[]);
    let actors = ["India", "Pakistan", "Afghanistan", "Iran", "China", "Bangladesh"];
    let rungs = ["threat", "mobilisation", "attack", "clash"];
    for i in 0..alerts {
        let feed = format!("Feed {}", i % feeds.max(1));
        let key = format!("bulk{i}");
        let source = actors[i % actors.len()];
        let target = actors[(i / actors.len() + 1 + i) % actors.len()];
        let target = if target == source { actors[(i + 1) % actors.len()] } else { target };
        let severity = [Severity::Low, Severity::Medium, Severity::High][i % 3];
        let minutes = i64::try_from(i * 60 * 24 * 60 / alerts.max(1)).unwrap_or(0);
        let seen = now - TimeDelta::minutes(minutes);
        let story_id = format!("sty_bulk{i:019}");
        let a = article(&key, &feed, &format!("Report {i} of {source} and {target}"), 1500 + i % 2000);
        store
            .insert_article(
                &a,
                Some(&alert(severity, source, target, rungs[i % rungs.len()])),
                &hooks,
                || Some(link(&story_id, &format!("o{}.example", i % 97), seen, 1, 1)),
            )
            .expect("insert");
    }
    for f in 0..feeds {
        let url = format!("https://feed{f}.example/rss");
        for p in 0..polls {
            if (p + f) % 11 == 0 {
                store
                    .record_feed_error(&url, &format!("Feed {f}"), "timed out", Failed::Poll)
                    .expect("error");
            } else {
                store.record_poll(&url, &format!("Feed {f}"), &[], None).expect("poll");
            }
        }
    }
}
