//! Feed state and history for health reports.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, parse_time, timestamp};

/// One article of a feed's history: when it was stored and its body length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub body_chars: usize,
}

/// Work waiting in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Deliveries waiting for an attempt.
    pub pending: usize,
    /// Deliveries given up on.
    pub dead: usize,
    /// Feed items not yet stored as articles.
    pub inbox: usize,
}

/// What was stored in a span of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub articles: usize,
    pub alerts: usize,
}

/// What a run since some moment did, read back from the database: the summary `once` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Feeds polled since then, and how many of those polls failed.
    pub feeds_polled: usize,
    pub feeds_failed: usize,
    /// Articles and alerts stored since then.
    pub articles: usize,
    pub alerts: usize,
    /// Deliveries answered 2xx, and dead-lettered, since then.
    pub delivered: usize,
    pub dead: usize,
    /// Deliveries still waiting for an attempt.
    pub pending: usize,
}

/// A row of the `feeds` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedState {
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub consecutive_failures: u32,
    pub page_errors: u32,
}

impl Store {
    /// Proves the database writable by writing a heartbeat; fails when it is locked, read-only
    /// or full.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn probe(&self) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO meta (key, value) VALUES ('heartbeat', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
            [timestamp(Utc::now())],
        )?;
        Ok(())
    }

    /// Articles and alerts stored since `since`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn stored_since(&self, since: DateTime<Utc>) -> Result<Stored, StoreError> {
        let conn = self.lock();
        let since = timestamp(since);
        let count = |sql: &str| -> Result<usize, StoreError> {
            let n: i64 = conn.query_row(sql, [&since], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok(Stored {
            articles: count("SELECT count(*) FROM articles WHERE fetched_at >= ?1")?,
            alerts: count("SELECT count(*) FROM alerts WHERE created_at >= ?1")?,
        })
    }

    /// What was done since `since`: feeds polled and failed, articles, alerts and deliveries.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn run_summary(&self, since: DateTime<Utc>) -> Result<RunSummary, StoreError> {
        let conn = self.lock();
        let since = timestamp(since);
        let count = |sql: &str| -> Result<usize, StoreError> {
            let n: i64 = conn.query_row(sql, [&since], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok(RunSummary {
            feeds_polled: count("SELECT count(*) FROM feeds WHERE last_polled_at >= ?1")?,
            feeds_failed: count(
                "SELECT count(*) FROM feeds WHERE last_polled_at >= ?1 AND consecutive_failures > 0",
            )?,
            articles: count("SELECT count(*) FROM articles WHERE fetched_at >= ?1")?,
            alerts: count("SELECT count(*) FROM alerts WHERE created_at >= ?1")?,
            delivered: count(
                "SELECT count(*) FROM deliveries WHERE state = 'delivered' AND delivered_at >= ?1",
            )?,
            dead: count("SELECT count(*) FROM deliveries WHERE state = 'dead' AND last_attempt_at >= ?1")?,
            pending: conn
                .query_row("SELECT count(*) FROM deliveries WHERE state = 'pending'", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| usize::try_from(n).unwrap_or(0))?,
        })
    }

    /// Deliveries pending and dead-lettered, and items waiting in the inbox.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn backlog(&self) -> Result<Backlog, StoreError> {
        let conn = self.lock();
        let (pending, dead): (i64, i64) = conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'dead') FROM deliveries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let inbox: i64 = conn.query_row("SELECT count(*) FROM inbox", [], |r| r.get(0))?;
        let n = |v: i64| usize::try_from(v).unwrap_or(0);
        Ok(Backlog { pending: n(pending), dead: n(dead), inbox: n(inbox) })
    }

    /// The recorded state of every feed ever polled, by URL, in one query (for the gauges
    /// published every few seconds).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn feed_states(&self) -> Result<std::collections::HashMap<String, FeedState>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT url, last_success_at, last_error, last_error_at, consecutive_failures, page_errors FROM feeds",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                FeedState {
                    last_success_at: r.get(1)?,
                    last_error: r.get(2)?,
                    last_error_at: r.get(3)?,
                    consecutive_failures: r.get(4)?,
                    page_errors: r.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The recorded state of the feed at `url`; `None` if it was never polled.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn feed_state(&self, url: &str) -> Result<Option<FeedState>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT last_success_at, last_error, last_error_at, consecutive_failures, page_errors
                 FROM feeds WHERE url = ?1",
                [url],
                |r| {
                    Ok(FeedState {
                        last_success_at: r.get(0)?,
                        last_error: r.get(1)?,
                        last_error_at: r.get(2)?,
                        consecutive_failures: r.get(3)?,
                        page_errors: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// The latest `limit` articles first stored from feed `name`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn feed_history(&self, name: &str, limit: usize) -> Result<Vec<Sample>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT fetched_at, ifnull(body_chars, 0) FROM articles WHERE feed = ?1 ORDER BY fetched_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![name, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, chars) = row?;
            if let Some(at) = parse_time(&at) {
                out.push(Sample { at, body_chars: usize::try_from(chars).unwrap_or(0) });
            }
        }
        Ok(out)
    }

    /// Articles first stored from feed `name` since `since`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn feed_items_since(&self, name: &str, since: DateTime<Utc>) -> Result<usize, StoreError> {
        let n: i64 = self.lock().query_row(
            "SELECT count(*) FROM articles WHERE feed = ?1 AND fetched_at >= ?2",
            params![name, timestamp(since)],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}
