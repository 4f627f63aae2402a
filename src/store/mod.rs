//! SQLite storage: schema, migrations and every SQL statement of the crate.
//!
//! The article, its alert and one delivery row per webhook are written in one transaction (a
//! transactional outbox), so an alert is never lost between scoring and delivery, and the unique
//! article key makes a second copy of a story a no-op.

mod alerts;
mod articles;
mod events;
mod feeds;
mod health;
mod inbox;
#[cfg(test)]
mod lifecycle_tests;
mod lock;
mod outbox;
mod page;
mod retention;
#[cfg(test)]
mod retention_tests;
mod signals;
mod stories;
mod trends;
mod verdicts;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

pub use alerts::{Raised, Routing};
pub use articles::{Alert, AlertFilter, NewArticle, StoredArticle, alert_id};
pub use events::{EventRecord, StoryFacts, webhook_id};
pub use feeds::Failed;
pub use health::{Backlog, FeedState, RunSummary, Sample, Stored};
pub use inbox::InboxItem;
pub use lock::{DbLock, lock_path};
pub use outbox::{AttemptResult, Delivery, DueDelivery, Outgoing, PendingWebhook};
pub use page::{AlertCard, AlertQuery, FeedExtraction, POLLS_KEPT, Poll, PollResult, TrendCount};
pub use retention::{LastPrune, PRUNE_BATCH, Pruned, Retention, StorageFacts, prune_all};
pub use signals::{Baseline, SignalRecord, SignalStory, Span};
pub use stories::{StoryArticle, StoryLink, StoryRow, WindowArticle, WindowLink};
pub use verdicts::{Labelled, LabelledArticle, Recorded};

/// Schema versions, oldest first; never edit a released one, append a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("schema_v1.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
    include_str!("schema_v7.sql"),
    include_str!("schema_v8.sql"),
    include_str!("schema_v9.sql"),
    include_str!("schema_v10.sql"),
];

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A command that only reads found no database: it never creates one.
    #[error("database {path} does not exist")]
    Missing { path: PathBuf },
    /// Another `run` or `once` works on this database.
    #[error("database {path} is in use by another flashpoint ({}); run one daemon per database", lock::holder(*.pid))]
    InUse { path: PathBuf, pid: Option<u32> },
    #[error("cannot lock {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot migrate the database schema")]
    Migrate(#[source] rusqlite_migration::Error),
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored JSON is malformed")]
    Json(#[from] serde_json::Error),
    #[error("database task failed")]
    Join(#[source] tokio::task::JoinError),
}

/// Timestamps are stored as RFC 3339 UTC with milliseconds, so text order is time order.
#[must_use]
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Reads column `at` as one of a text enum's spellings (severity, delivery state).
fn text_enum<T>(r: &rusqlite::Row<'_>, at: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = r.get(at)?;
    parse(&text).ok_or_else(|| {
        let message = format!("unknown value {text:?}");
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, message.into())
    })
}

/// The handle every stage shares; clones share one connection.
#[derive(Debug, Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Open`] or [`StoreError::Migrate`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, OpenFlags::default())
    }

    /// Opens the database at `path` only if it exists, for the commands that read (or nudge) what
    /// a daemon wrote: a mistyped path must not look like an empty, healthy database.
    ///
    /// # Errors
    /// [`StoreError::Missing`], [`StoreError::Open`] or [`StoreError::Migrate`].
    pub fn open_existing(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing { path: path.to_path_buf() });
        }
        Self::open_with(path, OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // A new database gives pages freed by retention back to the file system; an existing
        // one created without it keeps its mode (switching needs a VACUUM of the whole file).
        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(open_err)?;
        if pages == 0 {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").map_err(open_err)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        // A checkpointed WAL is cut back to this, so it does not stay at its largest.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err)?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations.to_latest(&mut conn).map_err(StoreError::Migrate)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), path: path.to_path_buf() })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent: transactions roll back.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on a blocking thread, so SQLite never stalls the async runtime.
    ///
    /// # Errors
    /// Whatever `f` returns, or [`StoreError::Join`] if it panicked.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store)).await.map_err(StoreError::Join)?
    }
}

/// Helpers for this module's tests and its children's.
#[cfg(test)]
mod testing {
    use super::{NewArticle, Store};
    use crate::types::Method;

    /// An article keyed (and addressed) by `key`.
    pub fn article(key: &str, score: f64) -> NewArticle {
        NewArticle {
            key: key.into(),
            aliases: Vec::new(),
            url: key.into(),
            guid: "g".into(),
            feed: "Feed".into(),
            title: "Title".into(),
            published_at: None,
            body: "Body".into(),
            method: Method::Site,
            canonical: None,
            author: None,
            language: None,
            score,
            matches: Vec::new(),
        }
    }

    /// Routing to webhooks named `names`, each taking every event at once.
    pub fn routing(names: &[&str]) -> super::Routing {
        super::Routing {
            subscribers: names
                .iter()
                .map(|n| crate::story::lifecycle::Subscriber {
                    name: (*n).to_string(),
                    min_severity: crate::types::Severity::Low,
                    feeds: Vec::new(),
                    cadence: crate::story::lifecycle::Cadence::default(),
                })
                .collect(),
            ..super::Routing::default()
        }
    }

    /// A fresh database in a temporary directory (kept alive by the returned guard).
    pub fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("t.db")).expect("open");
        (dir, store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::score::NewAlert;
    use crate::types::{DeliveryState, Severity, Validators};
    use testing::{article, open, routing};

    /// Issue 20: `status` on a mistyped path created an empty database and reported on it.
    #[test]
    fn opening_an_existing_database_never_creates_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("absent.db");
        assert!(matches!(Store::open_existing(&path), Err(StoreError::Missing { .. })));
        assert!(!path.exists(), "nothing created");
        drop(Store::open(&path).expect("the daemon creates it"));
        Store::open_existing(&path).expect("then it opens");
    }

    #[test]
    fn an_article_is_stored_and_alerted_once() {
        let (_dir, store) = open();
        let alert = NewAlert {
            severity: Severity::Low,
            threshold: 6.0,
            actors: Vec::new(),
            rules_hash: "h".into(),
            event: None,
            relevance: Some(crate::relevance::Relevance {
                p: 0.9,
                top: vec![crate::relevance::Contribution { feature: "troops".into(), weight: 1.5 }],
            }),
        };
        let hooks = routing(&["a", "b"]);
        let first = store
            .insert_article(&article("https://x.example/1", 7.0), Some(&alert), &hooks, || None)
            .expect("insert");
        let second = store
            .insert_article(&article("https://x.example/1", 7.0), Some(&alert), &hooks, || None)
            .expect("insert");
        assert!(first.is_some());
        assert!(second.is_none());
        let all = AlertFilter { limit: 10, ..AlertFilter::default() };
        let listed = store.alerts(&all).expect("alerts");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].relevance, alert.relevance, "the gate's verdict is kept with the alert");
        let high = AlertFilter { min_severity: Some(Severity::High), ..all.clone() };
        assert!(store.alerts(&high).expect("alerts").is_empty());
        let other_feed = AlertFilter { feed: Some("Other".into()), ..all.clone() };
        assert!(store.alerts(&other_feed).expect("alerts").is_empty());
        let this_feed =
            AlertFilter { feed: Some("Feed".into()), min_severity: Some(Severity::Low), ..all.clone() };
        assert_eq!(store.alerts(&this_feed).expect("alerts").len(), 1);
        let later = AlertFilter { since: Some(Utc::now() + chrono::Duration::seconds(5)), ..all };
        assert!(store.alerts(&later).expect("alerts").is_empty());
        let due = store.claim_delivery("a", Utc::now(), LEASE).expect("claim").expect("due");
        assert_eq!(due.event.subject(), alert_id("https://x.example/1"));
        assert!(store.claim_delivery("a", Utc::now(), LEASE).expect("claim").is_none(), "one alert, one row");
        assert!(store.claim_delivery("b", Utc::now(), LEASE).expect("claim").is_some());
        let mut copy = article("https://x.example/other-path", 9.0);
        copy.aliases = vec!["https://x.example/1".into()];
        assert!(
            store.insert_article(&copy, Some(&alert), &hooks, || None).expect("insert").is_none(),
            "same story, other link"
        );
        let mut third = article("https://x.example/third", 9.0);
        third.aliases = vec!["https://x.example/other-path".into()];
        assert!(
            store.insert_article(&third, Some(&alert), &hooks, || None).expect("insert").is_none(),
            "found through an alias"
        );
        let mut fresh = article("https://x.example/2", 9.0);
        fresh.aliases = vec!["https://x.example/2-canonical".into()];
        assert!(store.insert_article(&fresh, Some(&alert), &hooks, || None).expect("insert").is_some());
        let mut via_canonical = article("https://x.example/2-amp", 9.0);
        via_canonical.aliases = vec!["https://x.example/2-canonical".into()];
        assert!(
            store.insert_article(&via_canonical, Some(&alert), &hooks, || None).expect("insert").is_none()
        );
    }

    const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

    fn claim(store: &Store, at: DateTime<Utc>) -> Option<DueDelivery> {
        store.claim_delivery("w", at, LEASE).expect("claim")
    }

    #[test]
    fn attempts_move_deliveries_along() {
        let (_dir, store) = open();
        let alert = NewAlert {
            severity: Severity::High,
            threshold: 6.0,
            actors: Vec::new(),
            rules_hash: "h".into(),
            event: None,
            relevance: None,
        };
        store.insert_article(&article("k", 20.0), Some(&alert), &routing(&["w"]), || None).expect("insert");
        let due = claim(&store, Utc::now()).expect("due");
        assert!(claim(&store, Utc::now()).is_none(), "a leased delivery is not handed out twice");
        assert!(claim(&store, Utc::now() + LEASE).is_some(), "an expired lease is taken over");
        let later = Utc::now() + chrono::Duration::seconds(60);
        let retry = AttemptResult::Retry { next_at: later, error: "503".into(), status: Some(503) };
        store.record_attempt(due.id, &retry).expect("record");
        assert!(claim(&store, Utc::now()).is_none());
        assert_eq!(store.next_due("w").expect("next").map(timestamp), Some(timestamp(later)));
        let again = claim(&store, later).expect("due");
        assert_eq!(again.attempts, 1);
        let dead = AttemptResult::Dead { error: "HTTP 410".into(), status: Some(410) };
        store.record_attempt(again.id, &dead).expect("record");
        assert_eq!(store.next_due("w").expect("next"), None);
        let dead = store.deliveries(&[DeliveryState::Dead], 10).expect("deliveries");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_status, Some(410));
        assert_eq!(store.redeliver_dead().expect("requeue"), 1);
        let due = claim(&store, Utc::now()).expect("due");
        assert_eq!(due.attempts, 0);
        assert_eq!(store.release_deliveries().expect("release"), 1);
        let due = claim(&store, Utc::now()).expect("released leases are claimable");
        store.record_attempt(due.id, &AttemptResult::Delivered).expect("record");
        assert!(
            store
                .deliveries(&[DeliveryState::Pending, DeliveryState::Dead], 10)
                .expect("deliveries")
                .is_empty()
        );
        assert!(store.pending_webhooks().expect("pending").is_empty());
        assert_eq!(store.redeliver_alert(due.event.subject()).expect("requeue"), 1);
        assert_eq!(store.redeliver_alert("alrt_none").expect("requeue"), 0);
        assert_eq!(
            store.pending_webhooks().expect("pending"),
            [PendingWebhook { webhook: "w".to_string(), pending: 1 }]
        );
    }

    #[test]
    fn feed_state_round_trips() {
        let (_dir, store) = open();
        let v = Validators { etag: Some("\"abc\"".into()), last_modified: None };
        store.record_poll("https://f.example/rss", "F", &[], Some(&v)).expect("ok");
        assert_eq!(store.validators("https://f.example/rss").expect("v"), v);
        assert_eq!(
            store.record_feed_error("https://f.example/rss", "F", "boom", Failed::Poll).expect("err"),
            1
        );
        assert_eq!(
            store.record_feed_error("https://f.example/rss", "F", "boom", Failed::Poll).expect("err"),
            2
        );
        assert_eq!(
            store.record_feed_error("https://f.example/rss", "F", "page", Failed::Page).expect("err"),
            2
        );
        store.record_poll("https://f.example/rss", "F", &[], None).expect("ok");
        assert_eq!(store.validators("https://f.example/rss").expect("v"), v, "a 304 keeps validators");
    }

    /// Receivers deduplicate on the id, so a story's id must never change: it is pinned here
    /// (the first 12 bytes of the key's SHA-256, as computed by `sha256sum`).
    #[test]
    fn alert_ids_are_a_stable_function_of_the_key() {
        assert_eq!(alert_id("a"), "alrt_ca978112ca1bbdcafac231b3");
        assert_eq!(alert_id("https://www.dawn.com/news/1900001"), "alrt_d13b6b64044487187defec95");
        assert_ne!(alert_id("a"), alert_id("b"));
        assert_ne!(alert_id("https://x.example/1"), alert_id("https://x.example/2"));
        for key in ["", "a", "https://www.dawn.com/news/1900001", "guid:\u{fc}ber"] {
            let id = alert_id(key);
            let hex = id.strip_prefix("alrt_").unwrap_or_else(|| panic!("{id} has the alrt_ prefix"));
            assert_eq!(hex.len(), 24, "{id}");
            assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
        }
    }
}
