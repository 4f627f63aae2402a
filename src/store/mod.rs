//! SQLite storage: schema, migrations and every SQL statement of the crate.
//!
//! The article, its alert and one delivery row per webhook are written in one transaction (a
//! transactional outbox), so an alert is never lost between scoring and delivery, and the unique
//! article key makes a second copy of a story a no-op.

mod health;
mod inbox;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;

use crate::fetch::Validators;
use crate::score::{ActorPair, Level, Match};

pub use health::FeedState;
pub use inbox::InboxItem;

/// Schema versions, oldest first; never edit a released one, append a new one.
const MIGRATIONS: &[&str] = &[include_str!("schema_v1.sql")];

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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

/// An article ready to be stored, with its score.
#[derive(Debug, Clone)]
pub struct NewArticle {
    /// Dedupe key: canonical link, else `guid:<guid>`.
    pub key: String,
    /// Other keys of the same story: the page's canonical URL, where its link redirected.
    pub aliases: Vec<String>,
    pub url: String,
    pub guid: String,
    pub feed: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub body: String,
    /// Extraction method: `site`, `jsonld`, `generic` or `feed`.
    pub method: String,
    /// The page's `<link rel=canonical>`.
    pub canonical: Option<String>,
    /// The byline the page declares.
    pub author: Option<String>,
    /// The body's language (ISO 639-3), when detection is reliable.
    pub language: Option<String>,
    pub score: f64,
    pub matches: Vec<Match>,
}

/// An alert to create with its article.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub severity: Level,
    pub threshold: f64,
    /// Who acts on whom in the matched sentences.
    pub actors: Vec<ActorPair>,
    /// Hash of the scoring rules that raised it.
    pub rules_hash: String,
}

/// A row of the `alerts` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: String,
    pub created_at: String,
    pub article_url: String,
    pub title: String,
    pub feed: String,
    pub published_at: Option<String>,
    pub score: f64,
    pub severity: String,
    pub threshold: f64,
    pub matches: Vec<Match>,
    pub actors: Vec<ActorPair>,
    pub rules_hash: String,
}

/// A stored article, as `rescore` reads it back.
#[derive(Debug, Clone)]
pub struct StoredArticle {
    pub id: i64,
    pub key: String,
    pub url: String,
    pub feed: String,
    pub title: String,
    pub body: String,
    pub published_at: Option<String>,
    pub score: f64,
    /// Its alert, if it raised one.
    pub alert_id: Option<String>,
}

/// A delivery that is due, with the alert it carries.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the delivery was queued (or re-queued by `redeliver`): its age counts from here.
    pub queued_at: DateTime<Utc>,
    pub alert: Alert,
}

/// A row of the `deliveries` table, for `flashpoint deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub alert_id: String,
    pub webhook: String,
    pub state: String,
    pub attempts: u32,
    pub queued_at: String,
    pub next_attempt_at: String,
    pub last_attempt_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub title: String,
}

/// Which alerts `alerts` lists.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Alerts created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Alerts of at least this severity.
    pub min_severity: Option<Level>,
    /// Alerts from this feed (by name).
    pub feed: Option<String>,
    pub limit: usize,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    Delivered,
    Retry { next_at: DateTime<Utc>, error: String, status: Option<u16> },
    Dead { error: String, status: Option<u16> },
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
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
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

    /// The validators of a feed's last successful response.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn validators(&self, feed_url: &str) -> Result<Validators, StoreError> {
        let conn = self.lock();
        let v = conn
            .query_row("SELECT etag, last_modified FROM feeds WHERE url = ?1", [feed_url], |r| {
                Ok(Validators { etag: r.get(0)?, last_modified: r.get(1)? })
            })
            .optional()?;
        Ok(v.unwrap_or_default())
    }

    /// Records a failed feed poll or page fetch against its feed; returns consecutive failures.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn record_feed_error(
        &self,
        feed_url: &str,
        name: &str,
        error: &str,
        poll: bool,
    ) -> Result<u32, StoreError> {
        let now = timestamp(Utc::now());
        let conn = self.lock();
        let failures: u32 = conn.query_row(
            "INSERT INTO feeds (url, name, last_polled_at, last_error, last_error_at, consecutive_failures, page_errors)
             VALUES (?1, ?2, CASE WHEN ?5 THEN ?3 END, ?4, ?3, CASE WHEN ?5 THEN 1 ELSE 0 END, CASE WHEN ?5 THEN 0 ELSE 1 END)
             ON CONFLICT(url) DO UPDATE SET name = ?2, last_error = ?4, last_error_at = ?3,
               last_polled_at = CASE WHEN ?5 THEN ?3 ELSE last_polled_at END,
               consecutive_failures = consecutive_failures + CASE WHEN ?5 THEN 1 ELSE 0 END,
               page_errors = page_errors + CASE WHEN ?5 THEN 0 ELSE 1 END
             RETURNING consecutive_failures",
            params![feed_url, name, now, error, poll],
            |r| r.get(0),
        )?;
        Ok(failures)
    }

    /// Stores an article and, when `alert` is given, its alert and one pending delivery per
    /// webhook, all in one transaction that also takes the item out of the inbox. Returns the
    /// alert when one was created; `Ok(None)` when the article was stored before under its key
    /// or any alias (a second copy of a story changes nothing but recording the new keys).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn insert_article(
        &self,
        article: &NewArticle,
        alert: Option<&NewAlert>,
        webhooks: &[String],
    ) -> Result<Option<Alert>, StoreError> {
        let now = Utc::now();
        let now_s = timestamp(now);
        let published = article.published_at.map(timestamp);
        let matches = serde_json::to_string(&article.matches)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM inbox WHERE key = ?1", [&article.key])?;
        let keys: Vec<&String> = std::iter::once(&article.key).chain(&article.aliases).collect();
        let mut existing = None;
        for key in &keys {
            if let Some(id) = inbox::is_known(&tx, key)? {
                existing = Some(id);
                break;
            }
        }
        if let Some(id) = existing {
            for key in keys {
                tx.execute(
                    "INSERT INTO aliases (key, article_id) SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM articles WHERE key = ?1)
                     ON CONFLICT DO NOTHING",
                    params![key, id],
                )?;
            }
            tx.commit()?;
            return Ok(None);
        }
        let inserted = tx.execute(
            "INSERT INTO articles (key, url, guid, feed, title, published_at, fetched_at, body, method, score, matches,
                                   canonical, author, language)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT(key) DO NOTHING",
            params![
                article.key,
                article.url,
                article.guid,
                article.feed,
                article.title,
                published,
                now_s,
                article.body,
                article.method,
                article.score,
                matches,
                article.canonical,
                article.author,
                article.language
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let article_id = tx.last_insert_rowid();
        for alias in article.aliases.iter().filter(|a| **a != article.key) {
            tx.execute(
                "INSERT INTO aliases (key, article_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![alias, article_id],
            )?;
        }
        let Some(new_alert) = alert else {
            tx.commit()?;
            return Ok(None);
        };
        let source = AlertSource {
            key: &article.key,
            url: &article.url,
            title: &article.title,
            feed: &article.feed,
            score: article.score,
            matches: &article.matches,
        };
        let alert = insert_alert(&tx, article_id, &source, published, &matches, new_alert, webhooks, &now_s)?;
        tx.commit()?;
        Ok(Some(alert))
    }

    /// Articles fetched at or after `since`, oldest first, with their alert if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn articles_since(&self, since: DateTime<Utc>) -> Result<Vec<StoredArticle>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT ar.id, ar.key, ar.url, ar.feed, ar.title, ar.body, ar.published_at, ar.score, al.id
             FROM articles ar LEFT JOIN alerts al ON al.article_id = ar.id
             WHERE ar.fetched_at >= ?1 ORDER BY ar.fetched_at, ar.id",
        )?;
        let rows = stmt.query_map([timestamp(since)], |r| {
            Ok(StoredArticle {
                id: r.get(0)?,
                key: r.get(1)?,
                url: r.get(2)?,
                feed: r.get(3)?,
                title: r.get(4)?,
                body: r.get(5)?,
                published_at: r.get(6)?,
                score: r.get(7)?,
                alert_id: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Raises an alert for an article stored without one (`rescore --apply`), with one pending
    /// delivery per webhook, in one transaction. `Ok(None)` when it has an alert already.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn add_alert(
        &self,
        stored: &StoredArticle,
        score: f64,
        matches: &[Match],
        alert: &NewAlert,
        webhooks: &[String],
    ) -> Result<Option<Alert>, StoreError> {
        let now_s = timestamp(Utc::now());
        let json = serde_json::to_string(matches)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM alerts WHERE article_id = ?1)", [stored.id], |r| {
                r.get(0)
            })?;
        if taken {
            return Ok(None);
        }
        let article = AlertSource {
            key: &stored.key,
            url: &stored.url,
            title: &stored.title,
            feed: &stored.feed,
            score,
            matches,
        };
        let created = insert_alert(
            &tx,
            stored.id,
            &article,
            stored.published_at.clone(),
            &json,
            alert,
            webhooks,
            &now_s,
        )?;
        tx.commit()?;
        Ok(Some(created))
    }

    /// Leases the oldest pending delivery to `webhook` that is due by `now` and not leased, for
    /// `lease`; the lease ends when its attempt is recorded.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn claim_delivery(
        &self,
        webhook: &str,
        now: DateTime<Utc>,
        lease: chrono::TimeDelta,
    ) -> Result<Option<DueDelivery>, StoreError> {
        let now_s = timestamp(now);
        let conn = self.lock();
        let claimed = conn
            .query_row(
                "UPDATE deliveries SET leased_until = ?3
                 WHERE id = (SELECT id FROM deliveries
                             WHERE webhook = ?1 AND state = 'pending' AND next_attempt_at <= ?2
                               AND (leased_until IS NULL OR leased_until <= ?2)
                             ORDER BY next_attempt_at, id LIMIT 1)
                 RETURNING id",
                params![webhook, now_s, timestamp(now + lease)],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        let Some(id) = claimed else { return Ok(None) };
        let (attempts, queued_at, alert) = conn.query_row(
            "SELECT d.attempts, d.queued_at, a.id, a.created_at, a.article_url, a.title, a.feed, a.published_at,
                    a.score, a.severity, a.threshold, a.matches, a.actors, a.rules_hash
             FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.id = ?1",
            [id],
            |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, alert_from_row(r, 2)?)),
        )?;
        let alert = alert.parse()?;
        let queued_at = parse_time(&queued_at).unwrap_or(now);
        Ok(Some(DueDelivery { id, webhook: webhook.to_string(), attempts, queued_at, alert }))
    }

    /// Ends every delivery lease: at start, no attempt is under way any more.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn release_deliveries(&self) -> Result<usize, StoreError> {
        Ok(self
            .lock()
            .execute("UPDATE deliveries SET leased_until = NULL WHERE leased_until IS NOT NULL", [])?)
    }

    /// Webhook names with pending deliveries, for a warning about ones no longer configured.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn pending_webhooks(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT webhook, count(*) FROM deliveries WHERE state = 'pending' GROUP BY webhook ORDER BY webhook",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| r.map(|(w, n)| (w, usize::try_from(n).unwrap_or(0))).map_err(StoreError::from)).collect()
    }

    /// When the next pending delivery to `webhook` falls due.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn next_due(&self, webhook: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let conn = self.lock();
        let next: Option<String> = conn.query_row(
            "SELECT min(max(next_attempt_at, coalesce(leased_until, ''))) FROM deliveries
             WHERE webhook = ?1 AND state = 'pending'",
            [webhook],
            |r| r.get(0),
        )?;
        Ok(next.as_deref().and_then(parse_time))
    }

    /// Records the result of one attempt.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn record_attempt(&self, delivery_id: i64, result: &AttemptResult) -> Result<(), StoreError> {
        let now = timestamp(Utc::now());
        let conn = self.lock();
        match result {
            AttemptResult::Delivered => conn.execute(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?2, leased_until = NULL,
                   last_attempt_at = ?2, last_status = NULL, last_error = NULL WHERE id = ?1",
                params![delivery_id, now],
            ),
            AttemptResult::Retry { next_at, error, status } => conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_attempt_at = ?3, leased_until = NULL,
                   last_error = ?4, last_status = ?5 WHERE id = ?1",
                params![delivery_id, timestamp(*next_at), now, error, status],
            ),
            AttemptResult::Dead { error, status } => conn.execute(
                "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_attempt_at = ?2, leased_until = NULL,
                   last_error = ?3, last_status = ?4 WHERE id = ?1",
                params![delivery_id, now, error, status],
            ),
        }?;
        Ok(())
    }

    /// Alerts matching `filter`, most recent first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let conn = self.lock();
        let severities: Vec<&str> = [Level::Low, Level::Medium, Level::High]
            .into_iter()
            .filter(|l| filter.min_severity.is_none_or(|min| *l >= min))
            .map(Level::as_str)
            .collect();
        let mut stmt = conn.prepare_cached(
            "SELECT id, created_at, article_url, title, feed, published_at, score, severity, threshold, matches,
                    actors, rules_hash
             FROM alerts
             WHERE created_at >= ?1 AND (?2 IS NULL OR feed = ?2) AND severity IN (SELECT value FROM json_each(?3))
             ORDER BY created_at DESC, id LIMIT ?4",
        )?;
        let since = filter.since.map_or_else(String::new, timestamp);
        let rows = stmt.query_map(
            params![
                since,
                filter.feed,
                serde_json::to_string(&severities)?,
                i64::try_from(filter.limit).unwrap_or(i64::MAX)
            ],
            |r| alert_from_row(r, 0),
        )?;
        rows.map(|row| row?.parse()).collect()
    }

    /// Deliveries in the given states (`pending`, `delivered`, `dead`), oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn deliveries(&self, states: &[&str], limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.alert_id, d.webhook, d.state, d.attempts, d.queued_at, d.next_attempt_at,
                    d.last_attempt_at, d.last_status, d.last_error, a.title
             FROM deliveries d JOIN alerts a ON a.id = d.alert_id
             WHERE d.state IN (SELECT value FROM json_each(?1))
             ORDER BY d.queued_at, d.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![serde_json::to_string(states)?, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(Delivery {
                    id: r.get(0)?,
                    alert_id: r.get(1)?,
                    webhook: r.get(2)?,
                    state: r.get(3)?,
                    attempts: r.get(4)?,
                    queued_at: r.get(5)?,
                    next_attempt_at: r.get(6)?,
                    last_attempt_at: r.get(7)?,
                    last_status: r.get(8)?,
                    last_error: r.get(9)?,
                    title: r.get(10)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Queues every delivery of alert `alert_id` again, whatever its state: attempts start over
    /// and its age counts from now. Returns how many deliveries were queued.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn redeliver_alert(&self, alert_id: &str) -> Result<usize, StoreError> {
        self.requeue("alert_id = ?1", alert_id)
    }

    /// Queues every dead-lettered delivery again. Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn redeliver_dead(&self) -> Result<usize, StoreError> {
        self.requeue("state = ?1", "dead")
    }

    fn requeue(&self, condition: &str, value: &str) -> Result<usize, StoreError> {
        let now = timestamp(Utc::now());
        let conn = self.lock();
        let n = conn.execute(
            &format!(
                "UPDATE deliveries SET state = 'pending', attempts = 0, queued_at = ?2, next_attempt_at = ?2, leased_until = NULL,
                   delivered_at = NULL WHERE {condition}"
            ),
            params![value, now],
        )?;
        Ok(n)
    }
}

/// What an alert copies from its article.
struct AlertSource<'a> {
    key: &'a str,
    url: &'a str,
    title: &'a str,
    feed: &'a str,
    score: f64,
    matches: &'a [Match],
}

/// Writes an alert and its outbox rows inside the caller's transaction.
#[expect(clippy::too_many_arguments, reason = "one private helper shared by the two insert paths")]
fn insert_alert(
    tx: &rusqlite::Transaction<'_>,
    article_id: i64,
    article: &AlertSource<'_>,
    published: Option<String>,
    matches_json: &str,
    new_alert: &NewAlert,
    webhooks: &[String],
    now_s: &str,
) -> Result<Alert, StoreError> {
    let alert = Alert {
        id: alert_id(article.key),
        created_at: now_s.to_string(),
        article_url: article.url.to_string(),
        title: article.title.to_string(),
        feed: article.feed.to_string(),
        published_at: published,
        score: article.score,
        severity: new_alert.severity.as_str().to_string(),
        threshold: new_alert.threshold,
        matches: article.matches.to_vec(),
        actors: new_alert.actors.clone(),
        rules_hash: new_alert.rules_hash.clone(),
    };
    tx.execute(
        "INSERT INTO alerts (id, article_id, created_at, article_url, title, feed, published_at, score, severity, threshold,
                             matches, actors, rules_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            alert.id,
            article_id,
            alert.created_at,
            alert.article_url,
            alert.title,
            alert.feed,
            alert.published_at,
            alert.score,
            alert.severity,
            alert.threshold,
            matches_json,
            serde_json::to_string(&alert.actors)?,
            alert.rules_hash
        ],
    )?;
    for hook in webhooks {
        tx.execute(
            "INSERT INTO deliveries (alert_id, webhook, queued_at, next_attempt_at) VALUES (?1, ?2, ?3, ?3)",
            params![alert.id, hook, now_s],
        )?;
    }
    Ok(alert)
}

/// An alert row whose JSON columns are still text.
struct AlertRow {
    alert: Alert,
    matches: String,
    actors: String,
}

impl AlertRow {
    fn parse(self) -> Result<Alert, StoreError> {
        Ok(Alert {
            matches: serde_json::from_str(&self.matches)?,
            actors: serde_json::from_str(&self.actors)?,
            ..self.alert
        })
    }
}

/// Reads alert columns `id … threshold, matches, actors, rules_hash` starting at column `at`.
fn alert_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        alert: Alert {
            id: r.get(at)?,
            created_at: r.get(at + 1)?,
            article_url: r.get(at + 2)?,
            title: r.get(at + 3)?,
            feed: r.get(at + 4)?,
            published_at: r.get(at + 5)?,
            score: r.get(at + 6)?,
            severity: r.get(at + 7)?,
            threshold: r.get(at + 8)?,
            matches: Vec::new(),
            actors: Vec::new(),
            rules_hash: r.get(at + 11)?,
        },
        matches: r.get(at + 9)?,
        actors: r.get(at + 10)?,
    })
}

/// A stable alert id derived from the article key: the same story always gets the same id, so a
/// receiver can deduplicate on it even across databases.
#[must_use]
pub fn alert_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().take(12).fold(String::from("alrt_"), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

/// Helpers for this module's tests and its children's.
#[cfg(test)]
mod testing {
    use super::{NewArticle, Store};

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
            method: "site".into(),
            canonical: None,
            author: None,
            language: None,
            score,
            matches: Vec::new(),
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

    use testing::{article, open};

    #[test]
    fn an_article_is_stored_and_alerted_once() {
        let (_dir, store) = open();
        let alert =
            NewAlert { severity: Level::Low, threshold: 6.0, actors: Vec::new(), rules_hash: "h".into() };
        let hooks = vec!["a".to_string(), "b".to_string()];
        let first =
            store.insert_article(&article("https://x.example/1", 7.0), Some(&alert), &hooks).expect("insert");
        let second =
            store.insert_article(&article("https://x.example/1", 7.0), Some(&alert), &hooks).expect("insert");
        assert!(first.is_some());
        assert!(second.is_none());
        let all = AlertFilter { limit: 10, ..AlertFilter::default() };
        assert_eq!(store.alerts(&all).expect("alerts").len(), 1);
        let high = AlertFilter { min_severity: Some(Level::High), ..all.clone() };
        assert!(store.alerts(&high).expect("alerts").is_empty());
        let other_feed = AlertFilter { feed: Some("Other".into()), ..all.clone() };
        assert!(store.alerts(&other_feed).expect("alerts").is_empty());
        let this_feed =
            AlertFilter { feed: Some("Feed".into()), min_severity: Some(Level::Low), ..all.clone() };
        assert_eq!(store.alerts(&this_feed).expect("alerts").len(), 1);
        let later = AlertFilter { since: Some(Utc::now() + chrono::Duration::seconds(5)), ..all };
        assert!(store.alerts(&later).expect("alerts").is_empty());
        let due = store.claim_delivery("a", Utc::now(), LEASE).expect("claim").expect("due");
        assert_eq!(due.alert.id, alert_id("https://x.example/1"));
        assert!(store.claim_delivery("a", Utc::now(), LEASE).expect("claim").is_none(), "one alert, one row");
        assert!(store.claim_delivery("b", Utc::now(), LEASE).expect("claim").is_some());
        let mut copy = article("https://x.example/other-path", 9.0);
        copy.aliases = vec!["https://x.example/1".into()];
        assert!(
            store.insert_article(&copy, Some(&alert), &hooks).expect("insert").is_none(),
            "same story, other link"
        );
        let mut third = article("https://x.example/third", 9.0);
        third.aliases = vec!["https://x.example/other-path".into()];
        assert!(
            store.insert_article(&third, Some(&alert), &hooks).expect("insert").is_none(),
            "found through an alias"
        );
        let mut fresh = article("https://x.example/2", 9.0);
        fresh.aliases = vec!["https://x.example/2-canonical".into()];
        assert!(store.insert_article(&fresh, Some(&alert), &hooks).expect("insert").is_some());
        let mut via_canonical = article("https://x.example/2-amp", 9.0);
        via_canonical.aliases = vec!["https://x.example/2-canonical".into()];
        assert!(store.insert_article(&via_canonical, Some(&alert), &hooks).expect("insert").is_none());
    }

    const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

    fn claim(store: &Store, at: DateTime<Utc>) -> Option<DueDelivery> {
        store.claim_delivery("w", at, LEASE).expect("claim")
    }

    #[test]
    fn attempts_move_deliveries_along() {
        let (_dir, store) = open();
        let alert =
            NewAlert { severity: Level::High, threshold: 6.0, actors: Vec::new(), rules_hash: "h".into() };
        store.insert_article(&article("k", 20.0), Some(&alert), &["w".into()]).expect("insert");
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
        let dead = store.deliveries(&["dead"], 10).expect("deliveries");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_status, Some(410));
        assert_eq!(store.redeliver_dead().expect("requeue"), 1);
        let due = claim(&store, Utc::now()).expect("due");
        assert_eq!(due.attempts, 0);
        assert_eq!(store.release_deliveries().expect("release"), 1);
        let due = claim(&store, Utc::now()).expect("released leases are claimable");
        store.record_attempt(due.id, &AttemptResult::Delivered).expect("record");
        assert!(store.deliveries(&["pending", "dead"], 10).expect("deliveries").is_empty());
        assert!(store.pending_webhooks().expect("pending").is_empty());
        assert_eq!(store.redeliver_alert(&due.alert.id).expect("requeue"), 1);
        assert_eq!(store.redeliver_alert("alrt_none").expect("requeue"), 0);
        assert_eq!(store.pending_webhooks().expect("pending"), [("w".to_string(), 1)]);
    }

    #[test]
    fn feed_state_round_trips() {
        let (_dir, store) = open();
        let v = Validators { etag: Some("\"abc\"".into()), last_modified: None };
        store.record_poll("https://f.example/rss", "F", &[], Some(&v)).expect("ok");
        assert_eq!(store.validators("https://f.example/rss").expect("v"), v);
        assert_eq!(store.record_feed_error("https://f.example/rss", "F", "boom", true).expect("err"), 1);
        assert_eq!(store.record_feed_error("https://f.example/rss", "F", "boom", true).expect("err"), 2);
        assert_eq!(store.record_feed_error("https://f.example/rss", "F", "page", false).expect("err"), 2);
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
