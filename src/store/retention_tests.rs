//! Retention on a real database with injected time: bodies pruned and their metadata kept,
//! alerts and their articles kept, old quiet articles dropped whole, the file shrinking, and
//! nothing pruned while a `rescore` holds it off.

use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::testing::{article, open};
use super::{AlertFilter, Retention, Routing, Store, prune_all};
use crate::score::NewAlert;
use crate::types::Severity;

fn alert() -> NewAlert {
    NewAlert {
        severity: Severity::High,
        threshold: 6.0,
        actors: Vec::new(),
        rules_hash: "h".into(),
        event: None,
        relevance: None,
    }
}

/// `n` articles of about `size` bytes each, every `alert_every`-th raising an alert.
fn fill(store: &Store, n: usize, size: usize, alert_every: usize) {
    let routing = Routing::default();
    for i in 0..n {
        let mut a = article(&format!("https://x.example/{i}"), 1.0);
        a.body = format!("{i} ").repeat(size / 2);
        let raised = (i % alert_every == 0).then(alert);
        store.insert_article(&a, raised.as_ref(), &routing, || None).expect("insert");
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.lock().query_row(sql, [], |r| r.get(0)).expect("count")
}

fn days(n: u64) -> Duration {
    Duration::from_hours(24 * n)
}

#[test]
fn bodies_go_first_then_quiet_articles_and_alerts_stay() {
    let (_dir, store) = open();
    fill(&store, 30, 200, 10);
    let policy = Retention { bodies: Some(days(90)), articles: Some(days(730)), alerts: None };
    let now = Utc::now();
    let none = |s: &Store, at| prune_all(s, &policy, at, || true).expect("prune").pruned;
    assert_eq!(none(&store, now + TimeDelta::days(89)).total(), 0, "nothing is due yet");

    let later = none(&store, now + TimeDelta::days(91));
    assert_eq!((later.bodies, later.articles, later.alerts), (30, 0, 0));
    assert_eq!(count(&store, "SELECT count(*) FROM articles WHERE pruned_at IS NOT NULL"), 30);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM articles a WHERE pruned_at IS NOT NULL AND EXISTS (SELECT 1 FROM bodies b WHERE b.article_id = a.id)"
        ),
        0
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM articles WHERE title = 'Title' AND matches = '[]'"),
        30,
        "metadata kept"
    );
    let facts = store.storage_facts().expect("facts");
    assert_eq!(facts.oldest_body, None, "no body left");
    assert_eq!(facts.last_prune.expect("recorded").pruned.bodies, 30);

    let years = none(&store, now + TimeDelta::days(731));
    assert_eq!((years.articles, years.alerts), (27, 0), "the 27 that raised no alert");
    let alerts = store.alerts(&AlertFilter { limit: 10, ..AlertFilter::default() }).expect("alerts");
    assert_eq!(alerts.len(), 3, "alerts are kept");
    assert_eq!(count(&store, "SELECT count(*) FROM articles"), 3, "with their articles");

    let with_alerts = Retention { alerts: Some(days(365)), ..policy };
    let all = prune_all(&store, &with_alerts, now + TimeDelta::days(800), || true).expect("prune").pruned;
    assert_eq!((all.alerts, all.articles), (3, 3), "old alerts, then their articles");
    assert_eq!(count(&store, "SELECT count(*) FROM deliveries"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM articles"), 0);
}

/// Large bodies overflow to pages of their own; small ones share a page with their neighbours.
/// Dropping either kind must give the file back.
#[test]
fn the_file_shrinks_after_pruning() {
    for (n, size) in [(400, 20_000), (2_000, 1_500)] {
        let (_dir, store) = open();
        fill(&store, n, size, 10_000);
        store.checkpoint().expect("checkpoint");
        let before = store.storage_facts().expect("facts");
        assert!(before.incremental_vacuum, "a new database vacuums incrementally");
        let policy = Retention { bodies: Some(days(1)), articles: None, alerts: None };
        let last = prune_all(&store, &policy, Utc::now() + TimeDelta::days(2), || true).expect("prune");
        assert_eq!(last.pruned.bodies, n);
        let after = store.storage_facts().expect("facts");
        assert!(
            after.file_bytes * 3 < before.file_bytes,
            "{size}-byte bodies: {} → {} bytes",
            before.file_bytes,
            after.file_bytes
        );
        assert_eq!(last.freed, before.file_bytes - after.file_bytes);
        assert!(after.wal_bytes < 1 << 20, "the WAL is checkpointed: {} bytes", after.wal_bytes);
    }
}

#[test]
fn a_rescore_holds_pruning_off() {
    let (_dir, store) = open();
    fill(&store, 5, 100, 100);
    let policy = Retention::default();
    let now = Utc::now();
    let later = now + TimeDelta::days(100);
    store.hold_pruning(true, later).expect("hold");
    assert_eq!(store.prune_batch(&policy, later, 100).expect("prune").total(), 0, "held");
    let since = now - TimeDelta::days(1);
    assert!(store.articles_since(since).expect("read").iter().all(|a| !a.pruned && !a.body.is_empty()));
    // A hold never released (a rescore that crashed) lapses.
    let lapsed = later + TimeDelta::hours(1);
    assert_eq!(store.prune_batch(&policy, lapsed, 100).expect("prune").bodies, 5);
    assert!(store.articles_since(since).expect("read").iter().all(|a| a.pruned && a.body.is_empty()));
    store.hold_pruning(true, lapsed).expect("hold");
    store.hold_pruning(false, lapsed).expect("release");
    assert_eq!(count(&store, "SELECT count(*) FROM meta WHERE key = 'prune_hold'"), 0);
}

#[test]
fn alerts_pruned_take_their_stories_trend_parts_and_signals() {
    let (_dir, store) = open();
    let now = Utc::now();
    let mut a = article("https://x.example/story", 1.0);
    a.body = "body ".repeat(50);
    let link = super::StoryLink {
        story: "alrt_story".into(),
        title: "Title".into(),
        outlet: "x.example".into(),
        seen_at: now,
        copy: false,
        articles: 1,
        outlets: 1,
    };
    store.insert_article(&a, Some(&alert()), &Routing::default(), || Some(link)).expect("insert");
    {
        let conn = store.lock();
        conn.execute(
            "INSERT INTO trend_parts (story_id, source, target, day, rung, outlets)
             SELECT id, 'Pakistan', 'Afghanistan', substr(first_seen, 1, 10), 'threaten', 1 FROM stories",
            [],
        )
        .expect("part");
        conn.execute(
            "INSERT INTO signals (id, kind, source, target, day, raised_at, observed, expected, record)
             VALUES ('dyad_1', 'dyad.spike', 'Pakistan', 'Afghanistan', '2026-01-01', ?1, 9, 1.0, '{}')",
            [super::timestamp(now)],
        )
        .expect("signal");
        conn.execute(
            "INSERT INTO deliveries (signal_id, webhook, event, queued_at, next_attempt_at, payload)
             VALUES ('dyad_1', 'w', 'dyad.spike', ?1, ?1, '{}')",
            [super::timestamp(now)],
        )
        .expect("delivery");
    }
    assert_eq!(count(&store, "SELECT count(*) FROM stories"), 1);
    let policy = Retention { bodies: Some(days(90)), articles: Some(days(730)), alerts: Some(days(365)) };
    let kept = prune_all(&store, &policy, now + TimeDelta::days(364), || true).expect("prune").pruned;
    assert_eq!((kept.alerts, kept.articles), (0, 0), "the alert is not due yet");
    let all = prune_all(&store, &policy, now + TimeDelta::days(800), || true).expect("prune").pruned;
    assert_eq!((all.alerts, all.articles), (2, 1), "the alert and the signal, then the article");
    for table in ["stories", "trend_parts", "signals", "deliveries", "articles"] {
        assert_eq!(count(&store, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
}
