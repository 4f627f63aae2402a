//! The `feeds` table: each feed's validators for a conditional GET, and its failures.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, timestamp};
use crate::types::Validators;

/// What failed, for [`Store::record_feed_error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// A poll of the feed itself.
    Poll,
    /// The page of one of its items.
    Page,
}

impl Store {
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
        failed: Failed,
    ) -> Result<u32, StoreError> {
        // A failed poll counts towards the feed's backoff; a failed page only towards its page errors.
        let poll = failed == Failed::Poll;
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
        if poll {
            super::page::log_poll(&conn, feed_url, super::PollResult::Error, &now)?;
        }
        Ok(failures)
    }
}
