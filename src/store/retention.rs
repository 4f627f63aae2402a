//! Retention: article bodies dropped after `storage.retention.bodies` (their metadata, scores and
//! matches kept), articles that raised no alert dropped whole after `storage.retention.articles`,
//! and alerts (with their deliveries and verdicts) only when `storage.retention.alerts` is set.
//! Pruning goes in small batches, each a short transaction, so it never holds the database for
//! long; freed pages go back to the file system through incremental vacuum, and the WAL is
//! checkpointed and kept small. A `rescore` under way holds pruning off.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, parse_time, timestamp};

/// How long things are kept; `None` keeps them forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub bodies: Option<Duration>,
    pub articles: Option<Duration>,
    pub alerts: Option<Duration>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            bodies: Some(Duration::from_hours(90 * 24)),
            articles: Some(Duration::from_hours(2 * 365 * 24)),
            alerts: None,
        }
    }
}

/// What one pass (or one batch) pruned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruned {
    pub bodies: usize,
    pub articles: usize,
    pub alerts: usize,
}

impl Pruned {
    #[must_use]
    pub fn total(&self) -> usize {
        self.bodies + self.articles + self.alerts
    }

    fn add(&mut self, other: Self) {
        self.bodies += other.bodies;
        self.articles += other.articles;
        self.alerts += other.alerts;
    }
}

/// The last pass, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPrune {
    pub at: String,
    pub pruned: Pruned,
    /// Bytes the file shrank by.
    pub freed: u64,
}

/// The database's size and what retention has left, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageFacts {
    /// The database file and its write-ahead log, in bytes.
    pub file_bytes: u64,
    pub wal_bytes: u64,
    /// Pages free inside the file, which incremental vacuum gives back.
    pub free_bytes: u64,
    /// Whether freed pages are given back to the file system.
    pub incremental_vacuum: bool,
    /// When the oldest article whose body is still kept was fetched.
    pub oldest_body: Option<String>,
    pub last_prune: Option<LastPrune>,
}

/// Rows per batch: each batch is one short transaction.
pub const PRUNE_BATCH: usize = 200;

/// Pages given back per incremental-vacuum step.
const VACUUM_STEP: i64 = 256;

/// How long a `rescore` holds pruning off unless it says again (it renews as it goes).
const HOLD: TimeDelta = TimeDelta::minutes(10);

impl Store {
    /// Prunes at most `batch` rows that `policy` says are due at `now`, of one kind (alerts
    /// first, then quiet articles, then bodies), in one short transaction; nothing while a
    /// `rescore` holds pruning off.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is pruned then.
    pub fn prune_batch(
        &self,
        policy: &Retention,
        now: DateTime<Utc>,
        batch: usize,
    ) -> Result<Pruned, StoreError> {
        let cutoff = |keep: Option<Duration>| {
            keep.map(|d| timestamp(now - TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)))
        };
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if held(&tx, now)? {
            return Ok(Pruned::default());
        }
        let mut pruned = Pruned::default();
        if let Some(before) = cutoff(policy.alerts) {
            pruned.alerts = prune_alerts(&tx, &before, limit)?;
        }
        if let Some(before) = cutoff(policy.articles).filter(|_| pruned.total() == 0) {
            // Articles that raised no alert: neither an alert's lead nor an alerting member of
            // a story whose alert is kept.
            let articles = ids(
                &tx,
                "SELECT ar.id FROM articles ar
                 WHERE ar.fetched_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.article_id = ar.id)
                   AND NOT EXISTS (SELECT 1 FROM story_articles sa JOIN alerts al ON al.id = sa.story_id
                                   WHERE sa.article_id = ar.id AND sa.severity IS NOT NULL)
                 ORDER BY ar.fetched_at LIMIT ?2",
                &before,
                limit,
            )?;
            tx.execute(
                "DELETE FROM aliases WHERE article_id IN (SELECT value FROM json_each(?1))",
                [&articles],
            )?;
            tx.execute(
                "DELETE FROM bodies WHERE article_id IN (SELECT value FROM json_each(?1))",
                [&articles],
            )?;
            tx.execute(
                "DELETE FROM story_articles WHERE article_id IN (SELECT value FROM json_each(?1))",
                [&articles],
            )?;
            pruned.articles = tx
                .execute("DELETE FROM articles WHERE id IN (SELECT value FROM json_each(?1))", [&articles])?;
            // Stories left with no article and no alert go too, with their part in the trend
            // index (their alert was pruned: `storage.retention.alerts` is set).
            let stories = ids(
                &tx,
                "SELECT id FROM stories WHERE last_seen < ?1
                   AND NOT EXISTS (SELECT 1 FROM story_articles sa WHERE sa.story_id = stories.id)
                   AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.id = stories.id)
                 LIMIT ?2",
                &before,
                i64::MAX,
            )?;
            tx.execute(
                "DELETE FROM trend_parts WHERE story_id IN (SELECT value FROM json_each(?1))",
                [&stories],
            )?;
            tx.execute("DELETE FROM stories WHERE id IN (SELECT value FROM json_each(?1))", [&stories])?;
        }
        if let Some(before) = cutoff(policy.bodies).filter(|_| pruned.total() == 0) {
            pruned.bodies = prune_bodies(&tx, &before, limit, now)?;
        }
        tx.commit()?;
        Ok(pruned)
    }

    /// Gives back up to [`VACUUM_STEP`] free pages to the file system; how many it gave back
    /// (none when the database does not vacuum incrementally).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn vacuum_step(&self) -> Result<i64, StoreError> {
        let conn = self.lock();
        let pragma = |name: &str| conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
        let free = pragma("freelist_count")?;
        if free == 0 || pragma("auto_vacuum")? != 2 {
            return Ok(0);
        }
        // The pragma returns a row per page freed; stepping through them runs it.
        let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({VACUUM_STEP})"))?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        drop(rows);
        drop(stmt);
        Ok(free - pragma("freelist_count")?)
    }

    /// Checkpoints the write-ahead log and truncates it, when no reader is in the way (a
    /// passive checkpoint otherwise).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Records a finished pass for `status`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn record_prune(&self, last: &LastPrune) -> Result<(), StoreError> {
        let json = serde_json::to_string(last)?;
        self.lock().execute(
            "INSERT INTO meta (key, value) VALUES ('last_prune', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
            [json],
        )?;
        Ok(())
    }

    /// Holds pruning off for a while (`rescore` renews it as it reads), or with `false` lets
    /// it go on.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn hold_pruning(&self, hold: bool, now: DateTime<Utc>) -> Result<(), StoreError> {
        let conn = self.lock();
        if hold {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('prune_hold', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
                [timestamp(now + HOLD)],
            )?;
        } else {
            conn.execute("DELETE FROM meta WHERE key = 'prune_hold'", [])?;
        }
        Ok(())
    }

    /// The database's size, free pages and what retention has left.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn storage_facts(&self) -> Result<StorageFacts, StoreError> {
        let conn = self.lock();
        let pragma = |name: &str| conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
        let page = u64::try_from(pragma("page_size")?).unwrap_or(0);
        let pages = u64::try_from(pragma("page_count")?).unwrap_or(0);
        let free = u64::try_from(pragma("freelist_count")?).unwrap_or(0);
        let incremental_vacuum = pragma("auto_vacuum")? == 2;
        let oldest_body: Option<String> =
            conn.query_row("SELECT min(fetched_at) FROM articles WHERE pruned_at IS NULL", [], |r| r.get(0))?;
        let last: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'last_prune'", [], |r| r.get(0)).optional()?;
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        Ok(StorageFacts {
            file_bytes: page * pages,
            wal_bytes: std::fs::metadata(wal).map_or(0, |m| m.len()),
            free_bytes: page * free,
            incremental_vacuum,
            oldest_body,
            last_prune: last.as_deref().map(serde_json::from_str).transpose()?,
        })
    }
}

/// The ids `sql` selects (`?1` a cutoff, `?2` a limit), as a JSON array for `json_each`.
/// Prunes at most `limit` alerts raised before `before`, with their deliveries and verdicts,
/// and as many trend signals raised before it, with theirs; returns how many of both.
fn prune_alerts(tx: &rusqlite::Connection, before: &str, limit: i64) -> Result<usize, StoreError> {
    let old =
        ids(tx, "SELECT id FROM alerts WHERE created_at < ?1 ORDER BY created_at LIMIT ?2", before, limit)?;
    tx.execute("DELETE FROM deliveries WHERE alert_id IN (SELECT value FROM json_each(?1))", [&old])?;
    tx.execute("DELETE FROM verdicts WHERE alert_id IN (SELECT value FROM json_each(?1))", [&old])?;
    let mut pruned =
        tx.execute("DELETE FROM alerts WHERE id IN (SELECT value FROM json_each(?1))", [&old])?;
    // Trend signals go with the alerts of their time.
    let signals =
        ids(tx, "SELECT id FROM signals WHERE raised_at < ?1 ORDER BY raised_at LIMIT ?2", before, limit)?;
    tx.execute("DELETE FROM deliveries WHERE signal_id IN (SELECT value FROM json_each(?1))", [&signals])?;
    pruned += tx.execute("DELETE FROM signals WHERE id IN (SELECT value FROM json_each(?1))", [&signals])?;
    Ok(pruned)
}

/// Drops the bodies of up to `limit` articles fetched before `before`, oldest first, and marks
/// the articles pruned; how many.
fn prune_bodies(
    tx: &rusqlite::Transaction<'_>,
    before: &str,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let articles = ids(
        tx,
        "SELECT id FROM articles WHERE fetched_at < ?1 AND pruned_at IS NULL ORDER BY fetched_at LIMIT ?2",
        before,
        limit,
    )?;
    tx.execute("DELETE FROM bodies WHERE article_id IN (SELECT value FROM json_each(?1))", [&articles])?;
    Ok(tx.execute(
        "UPDATE articles SET pruned_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
        params![articles, timestamp(now)],
    )?)
}

fn ids(conn: &rusqlite::Connection, sql: &str, before: &str, limit: i64) -> Result<String, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![before, limit], |r| r.get::<_, rusqlite::types::Value>(0))?;
    let ids: Vec<serde_json::Value> = rows
        .map(|r| {
            r.map(|v| match v {
                rusqlite::types::Value::Integer(i) => serde_json::Value::from(i),
                rusqlite::types::Value::Text(t) => serde_json::Value::from(t),
                _ => serde_json::Value::Null,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(serde_json::to_string(&ids)?)
}

/// Whether a `rescore` holds pruning off at `now`.
fn held(conn: &rusqlite::Connection, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let until: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'prune_hold'", [], |r| r.get(0)).optional()?;
    Ok(until.as_deref().and_then(parse_time).is_some_and(|t| t > now))
}

/// Prunes everything due at `now`, batch after batch, calling `pause` between batches so other
/// work gets the database (it returns `false` to stop early); then gives the freed pages back
/// and checkpoints. Returns what went.
///
/// # Errors
/// [`StoreError`] from any step; what was pruned before it stays pruned.
pub fn prune_all(
    store: &Store,
    policy: &Retention,
    now: DateTime<Utc>,
    mut pause: impl FnMut() -> bool,
) -> Result<LastPrune, StoreError> {
    let before = store.storage_facts()?.file_bytes;
    let mut pruned = Pruned::default();
    loop {
        let batch = store.prune_batch(policy, now, PRUNE_BATCH)?;
        pruned.add(batch);
        if batch.total() == 0 || !pause() {
            break;
        }
    }
    while store.vacuum_step()? > 0 && pause() {}
    store.checkpoint()?;
    let after = store.storage_facts()?.file_bytes;
    let last = LastPrune { at: timestamp(now), pruned, freed: before.saturating_sub(after) };
    store.record_prune(&last)?;
    Ok(last)
}
