//! The alert lifecycle through the store: events queued with each stored article, held and
//! ordered per webhook, frozen at their first attempt, resolved after the quiet period. Time is
//! injected where the store takes it (claims, the resolve sweep).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::testing::{article, open};
use super::{AttemptResult, Routing, Store, StoryLink};
use crate::score::{ActorPair, NewAlert};
use crate::story::lifecycle::{Cadence, Change, Subscriber};
use crate::types::{AlertState, EventKind, Severity};

const LEASE: TimeDelta = TimeDelta::seconds(30);

fn hook(name: &str, cadence: Cadence) -> Subscriber {
    Subscriber { name: name.into(), min_severity: Severity::Low, feeds: Vec::new(), cadence }
}

fn routing(hooks: Vec<Subscriber>) -> Routing {
    Routing { subscribers: hooks, resolve_after: Duration::from_hours(72) }
}

fn alert(severity: Severity, source: &str, target: &str) -> NewAlert {
    NewAlert {
        severity,
        threshold: 6.0,
        actors: vec![ActorPair { source: Some(source.into()), target: Some(target.into()) }],
        rules_hash: "h".into(),
        event: None,
        relevance: None,
    }
}

/// One article of story `story` from `outlet`, the story then having `outlets` outlets.
struct Report<'a> {
    key: &'a str,
    story: &'a str,
    outlet: &'a str,
    outlets: usize,
    articles: usize,
    copy: bool,
    alert: Option<NewAlert>,
}

fn store_report(store: &Store, routing: &Routing, r: &Report<'_>) -> Option<super::Raised> {
    let mut a = article(r.key, if r.alert.is_some() { 9.0 } else { 1.0 });
    a.url = format!("https://{}/{}", r.outlet, r.key);
    let link = StoryLink {
        story: r.story.into(),
        title: "T".into(),
        outlet: r.outlet.into(),
        seen_at: Utc::now(),
        copy: r.copy,
        articles: r.articles,
        outlets: r.outlets,
    };
    store.insert_article(&a, r.alert.as_ref(), routing, || Some(link)).expect("insert")
}

fn report<'a>(key: &'a str, outlet: &'a str, outlets: usize, alert: Option<NewAlert>) -> Report<'a> {
    Report { key, story: "alrt_s1", outlet, outlets, articles: outlets, copy: false, alert }
}

/// Claims, and delivers, every event due to `webhook` at `at`; their kinds and outlet counts.
fn deliver(store: &Store, webhook: &str, at: DateTime<Utc>) -> Vec<(EventKind, usize, Vec<Change>)> {
    let mut out = Vec::new();
    while let Some(due) = store.claim_delivery(webhook, at, LEASE).expect("claim") {
        store.record_attempt(due.id, &AttemptResult::Delivered).expect("record");
        let event = due.event.as_alert().expect("an alert's event").clone();
        out.push((event.kind, event.story.outlets, event.changes));
    }
    out
}

#[test]
fn outlets_joining_update_one_alert_and_copies_send_nothing() {
    let (_dir, store) = open();
    let routing = routing(vec![hook("w", Cadence::default())]);
    let now = Utc::now();
    let high = || Some(alert(Severity::High, "Pakistan", "Afghanistan"));
    let created = store_report(&store, &routing, &report("a1", "dawn.com", 1, high())).expect("raised");
    assert_eq!((created.kind, created.alert.id.as_str()), (EventKind::Created, "alrt_s1"));
    assert_eq!(deliver(&store, "w", now + LEASE), [(EventKind::Created, 1, vec![])]);
    // A second outlet, below the threshold itself, still grows the story.
    let grown = store_report(&store, &routing, &report("a2", "tribune.com.pk", 2, None)).expect("updated");
    assert_eq!(grown.changes, [Change::Outlets { from: 1, to: 2 }]);
    assert_eq!(
        deliver(&store, "w", now + LEASE),
        [(EventKind::Updated, 2, vec![Change::Outlets { from: 1, to: 2 }])]
    );
    // A wire copy on a third site is no independent outlet: nothing to say.
    let copy = Report { copy: true, articles: 3, ..report("a3", "geo.tv", 2, None) };
    assert!(store_report(&store, &routing, &copy).is_none());
    let third = Report { articles: 4, ..report("a4", "aljazeera.com", 3, high()) };
    store_report(&store, &routing, &third).expect("updated");
    assert_eq!(
        deliver(&store, "w", now + LEASE),
        [(EventKind::Updated, 3, vec![Change::Outlets { from: 2, to: 3 }])]
    );
    let other = Report { story: "alrt_s2", ..report("b1", "dawn.com", 1, high()) };
    let second = store_report(&store, &routing, &other).expect("a second story");
    assert_eq!((second.kind, second.alert.id.as_str()), (EventKind::Created, "alrt_s2"));
    let rows = store.alert_deliveries("alrt_s1").expect("deliveries");
    let ids: Vec<(EventKind, u32)> = rows.iter().map(|d| (d.event, d.sequence)).collect();
    assert_eq!(ids, [(EventKind::Created, 1), (EventKind::Updated, 2), (EventKind::Updated, 3)]);
}

#[test]
fn a_held_alert_waits_for_other_outlets_and_updates_keep_their_interval() {
    let (_dir, store) = open();
    let cadence = Cadence {
        group_wait: Duration::from_mins(5),
        update_interval: Duration::from_mins(30),
        ..Cadence::default()
    };
    let routing = routing(vec![hook("w", cadence)]);
    let now = Utc::now();
    let medium = || Some(alert(Severity::Medium, "India", "Pakistan"));
    store_report(&store, &routing, &report("a1", "dawn.com", 1, medium())).expect("raised");
    store_report(&store, &routing, &report("a2", "thenews.com.pk", 2, None)).expect("updated");
    assert!(deliver(&store, "w", now).is_empty(), "held for group_wait");
    let min = |m: i64| now + TimeDelta::minutes(m) + TimeDelta::seconds(1);
    assert_eq!(deliver(&store, "w", min(5)), [(EventKind::Created, 2, vec![])], "one message, two outlets");
    store_report(&store, &routing, &report("a3", "geo.tv", 3, None)).expect("updated");
    assert!(deliver(&store, "w", min(10)).is_empty(), "within update_interval");
    store_report(&store, &routing, &report("a4", "bbc.com", 4, None)).expect("updated");
    assert_eq!(
        deliver(&store, "w", min(35)),
        [(EventKind::Updated, 4, vec![Change::Outlets { from: 2, to: 4 }])],
        "one update for both outlets"
    );
    // A severity increase goes at once, whatever the interval.
    let high = Some(alert(Severity::High, "India", "Pakistan"));
    store_report(&store, &routing, &report("a5", "bbc.com", 4, high)).expect("updated");
    let sent = deliver(&store, "w", min(36));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].2, [Change::Severity { from: Severity::Medium, to: Severity::High }]);
}

#[test]
fn quiet_stories_resolve_once_and_events_go_in_order() {
    let (_dir, store) = open();
    let only_resolved = Cadence { events: vec![EventKind::Resolved], ..Cadence::default() };
    let routing = routing(vec![hook("w", Cadence::default()), hook("r", only_resolved)]);
    let now = Utc::now();
    let high = || Some(alert(Severity::High, "Pakistan", "Afghanistan"));
    store_report(&store, &routing, &report("a1", "dawn.com", 1, high())).expect("raised");
    store_report(&store, &routing, &report("a2", "geo.tv", 2, None)).expect("updated");
    assert!(store.resolve_quiet(&routing, now + TimeDelta::hours(71)).expect("sweep").is_empty());
    let later = now + TimeDelta::hours(73);
    let resolved = store.resolve_quiet(&routing, later).expect("sweep");
    assert_eq!(resolved.iter().map(|a| a.state).collect::<Vec<_>>(), [AlertState::Resolved]);
    assert!(store.resolve_quiet(&routing, later).expect("sweep").is_empty(), "once");
    // The update still waiting became the resolution; `w` receives them in order.
    let kinds: Vec<EventKind> = deliver(&store, "w", later).into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, [EventKind::Created, EventKind::Resolved]);
    // `r` takes only resolutions: told what changed since the alert it was not sent.
    let sent = deliver(&store, "r", later);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, EventKind::Resolved);
    assert_eq!(sent[0].2, [Change::Outlets { from: 1, to: 2 }]);
    // Reported again: reopened, an update.
    let again = store_report(&store, &routing, &report("a3", "bbc.com", 3, None)).expect("reopened");
    assert!(again.changes.contains(&Change::Reopened), "{:?}", again.changes);
    assert_eq!(again.alert.state, AlertState::Updated);
}

#[test]
fn an_event_is_frozen_at_its_first_attempt() {
    let (_dir, store) = open();
    let routing = routing(vec![hook("w", Cadence::default())]);
    store_report(&store, &routing, &report("a1", "dawn.com", 1, Some(alert(Severity::Low, "A", "B"))))
        .expect("raised");
    // After the report: its event is due from the moment it was queued.
    let now = Utc::now();
    let first = store.claim_delivery("w", now, LEASE).expect("claim").expect("due");
    let retry = AttemptResult::Retry { next_at: now, error: "503".into(), status: Some(503) };
    store.record_attempt(first.id, &retry).expect("record");
    // The story grows between attempts; the retry still says what the first attempt said.
    store_report(&store, &routing, &report("a2", "geo.tv", 2, None)).expect("updated");
    let again = store.claim_delivery("w", now + LEASE, LEASE).expect("claim").expect("due");
    assert_eq!(again.id, first.id);
    assert_eq!(again.event, first.event);
    assert_eq!(again.event.webhook_id(), "alrt_s1");
    store.record_attempt(again.id, &AttemptResult::Delivered).expect("record");
    let update = store.claim_delivery("w", now + LEASE, LEASE).expect("claim").expect("due");
    let outlets = update.event.as_alert().expect("an alert's event").story.outlets;
    assert_eq!((update.event.webhook_id(), outlets), ("alrt_s1.2", 2));
}

#[test]
fn a_webhook_takes_an_alert_once_it_reaches_its_severity() {
    let (_dir, store) = open();
    let high_only = Subscriber { min_severity: Severity::High, ..hook("h", Cadence::default()) };
    let routing = routing(vec![high_only]);
    store_report(&store, &routing, &report("a1", "dawn.com", 1, Some(alert(Severity::Low, "A", "B"))))
        .expect("raised");
    let now = Utc::now();
    assert!(deliver(&store, "h", now).is_empty(), "low: not for this webhook");
    store_report(&store, &routing, &report("a2", "geo.tv", 2, Some(alert(Severity::High, "A", "B"))))
        .expect("updated");
    let sent = deliver(&store, "h", now + LEASE);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0, sent[0].1), (EventKind::Created, 2), "created when it first qualifies");
    let alerts =
        store.alerts(&super::AlertFilter { limit: 5, ..super::AlertFilter::default() }).expect("alerts");
    assert_eq!(alerts[0].article_url, "https://geo.tv/a2", "the graver article leads the alert now");
    let lead: i64 = store.lock().query_row("SELECT article_id FROM alerts", [], |r| r.get(0)).expect("lead");
    let a2: i64 =
        store.lock().query_row("SELECT id FROM articles WHERE key = 'a2'", [], |r| r.get(0)).expect("a2");
    assert_eq!(lead, a2);
}

/// A database written before stories (schema v4) keeps its alerts and deliveries: each alert is
/// an open alert of one outlet, each delivery its `alert.created`, still claimable.
#[test]
fn a_database_from_before_stories_carries_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        let old = rusqlite_migration::Migrations::new(
            super::MIGRATIONS[..4].iter().map(|sql| rusqlite_migration::M::up(sql)).collect(),
        );
        old.to_latest(&mut conn).expect("schema v4");
        conn.execute_batch(
            "INSERT INTO articles (id, key, url, guid, feed, title, fetched_at, body, method, score, matches)
             VALUES (1, 'https://x.example/1', 'https://x.example/1', 'g', 'Dawn', 'Old alert',
                     '2026-11-01T00:00:00.000Z', 'Body', 'site', 9.0, '[]');
             INSERT INTO alerts (id, article_id, created_at, article_url, title, feed, score, severity, threshold, matches)
             VALUES ('alrt_old', 1, '2026-11-01T00:00:00.000Z', 'https://x.example/1', 'Old alert', 'Dawn', 9.0,
                     'high', 6.0, '[]');
             INSERT INTO deliveries (alert_id, webhook, queued_at, next_attempt_at)
             VALUES ('alrt_old', 'w', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z');",
        )
        .expect("old rows");
    }
    let store = Store::open(&path).expect("migrates");
    let alerts =
        store.alerts(&super::AlertFilter { limit: 10, ..super::AlertFilter::default() }).expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!((alerts[0].state, alerts[0].outlets, alerts[0].articles), (AlertState::Open, 1, 1));
    let due = store.claim_delivery("w", Utc::now(), LEASE).expect("claim").expect("still due");
    assert_eq!(
        (due.event.kind(), due.event.sequence(), due.event.webhook_id()),
        (EventKind::Created, 1, "alrt_old")
    );
    assert_eq!(due.event.as_alert().expect("an alert's event").story.sites, ["x.example"]);
    let kept = store.articles_since(Utc::now() - TimeDelta::days(365)).expect("articles");
    assert_eq!(
        kept.iter().map(|a| a.body.as_str()).collect::<Vec<_>>(),
        ["Body"],
        "bodies moved to their table"
    );
    // It has no story, so it never resolves on its own.
    let routing = routing(vec![hook("w", Cadence::default())]);
    assert!(store.resolve_quiet(&routing, Utc::now() + TimeDelta::days(30)).expect("sweep").is_empty());
}
