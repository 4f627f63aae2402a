//! The inbox: feed items waiting to become articles, and the feed state saved with them.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, params};

use super::{Store, StoreError, parse_time, timestamp};
use crate::types::Validators;

/// How long an item handed to the pipeline is not handed out again. Longer than any item takes
/// to pass through; after a crash, items still leased wait this long (a restart clears leases).
const LEASE: TimeDelta = TimeDelta::minutes(15);

/// A feed item on its way to becoming an article.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxItem {
    /// Dedupe key: canonical link, else `guid:<guid>`.
    pub key: String,
    pub feed_url: String,
    pub feed: String,
    /// The link as the feed gave it (without fragment): what is fetched.
    pub link: Option<String>,
    pub guid: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub feed_html: String,
    /// Failed page fetches so far.
    pub attempts: u32,
}

/// Whether `key` names a stored article, directly or as an alias.
pub(super) fn is_known(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM articles WHERE key = ?1 UNION ALL SELECT article_id FROM aliases WHERE key = ?1 LIMIT 1",
        [key],
        |r| r.get(0),
    )
    .map(Some)
    .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
}

impl Store {
    /// Records a successful poll: new items (those not stored and not already waiting) go into
    /// the inbox and the feed's validators are saved, in one transaction. `validators` is `None`
    /// after a 304. Returns how many items were new.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is written then.
    pub fn record_poll(
        &self,
        feed_url: &str,
        name: &str,
        items: &[InboxItem],
        validators: Option<&Validators>,
    ) -> Result<usize, StoreError> {
        let now = timestamp(Utc::now());
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut new = 0;
        for item in items {
            if is_known(&tx, &item.key)?.is_some() {
                continue;
            }
            new += tx.execute(
                "INSERT INTO inbox (key, feed_url, feed, link, guid, title, published_at, feed_html, added_at, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT(key) DO NOTHING",
                params![
                    item.key,
                    item.feed_url,
                    item.feed,
                    item.link,
                    item.guid,
                    item.title,
                    item.published_at.map(timestamp),
                    item.feed_html,
                    now
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO feeds (url, name, last_polled_at, last_success_at, consecutive_failures) VALUES (?1, ?2, ?3, ?3, 0)
             ON CONFLICT(url) DO UPDATE SET name = ?2, last_polled_at = ?3, last_success_at = ?3, consecutive_failures = 0",
            params![feed_url, name, now],
        )?;
        super::page::log_poll(&tx, feed_url, super::PollResult::Ok, &now)?;
        if let Some(v) = validators {
            tx.execute(
                "UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE url = ?1",
                params![feed_url, v.etag, v.last_modified],
            )?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// Leases the inbox items of `feed_url` (every feed when `None`) that are due, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn claim_inbox(&self, feed_url: Option<&str>, limit: usize) -> Result<Vec<InboxItem>, StoreError> {
        let now = Utc::now();
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "UPDATE inbox SET leased_until = ?3
             WHERE key IN (SELECT key FROM inbox
                           WHERE (?1 IS NULL OR feed_url = ?1) AND next_attempt_at <= ?2
                             AND (leased_until IS NULL OR leased_until <= ?2)
                           ORDER BY added_at, key LIMIT ?4)
             RETURNING key, feed_url, feed, link, guid, title, published_at, feed_html, attempts, added_at",
        )?;
        let rows = stmt.query_map(
            params![
                feed_url,
                timestamp(now),
                timestamp(now + LEASE),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok((
                    InboxItem {
                        key: r.get(0)?,
                        feed_url: r.get(1)?,
                        feed: r.get(2)?,
                        link: r.get(3)?,
                        guid: r.get(4)?,
                        title: r.get(5)?,
                        published_at: r.get::<_, Option<String>>(6)?.as_deref().and_then(parse_time),
                        feed_html: r.get(7)?,
                        attempts: r.get(8)?,
                    },
                    r.get::<_, String>(9)?,
                ))
            },
        )?;
        let mut items: Vec<(InboxItem, String)> = rows.collect::<Result<_, _>>()?;
        // RETURNING gives no order guarantee.
        items.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.key.cmp(&b.0.key)));
        Ok(items.into_iter().map(|(item, _)| item).collect())
    }

    /// Records a failed page fetch of an inbox item; it is due again at `next_at`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn inbox_failed(&self, key: &str, error: &str, next_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE inbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, leased_until = NULL
             WHERE key = ?1",
            params![key, error, timestamp(next_at)],
        )?;
        Ok(())
    }

    /// Clears every lease: at start, nothing is on its way down a pipeline any more.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn release_inbox(&self) -> Result<usize, StoreError> {
        Ok(self.lock().execute("UPDATE inbox SET leased_until = NULL WHERE leased_until IS NOT NULL", [])?)
    }

    /// Items waiting in the inbox.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn inbox_len(&self) -> Result<usize, StoreError> {
        let n: i64 = self.lock().query_row("SELECT count(*) FROM inbox", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{article, open};

    fn item(key: &str) -> InboxItem {
        InboxItem {
            key: key.into(),
            feed_url: "https://f.example/rss".into(),
            feed: "F".into(),
            link: Some(key.into()),
            guid: key.into(),
            title: "T".into(),
            published_at: None,
            feed_html: String::new(),
            attempts: 0,
        }
    }

    #[test]
    fn items_wait_until_stored_and_are_leased_once() {
        let (_dir, store) = open();
        let v = Validators { etag: Some("\"e\"".into()), last_modified: None };
        assert_eq!(
            store.record_poll("https://f.example/rss", "F", &[item("a"), item("b")], Some(&v)).expect("poll"),
            2
        );
        assert_eq!(store.record_poll("https://f.example/rss", "F", &[item("a")], None).expect("poll"), 0);
        assert_eq!(store.validators("https://f.example/rss").expect("v"), v);
        let claimed = store.claim_inbox(Some("https://f.example/rss"), 10).expect("claim");
        assert_eq!(claimed.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(
            store.claim_inbox(None, 10).expect("claim").is_empty(),
            "leased items are not handed out twice"
        );

        store.inbox_failed("a", "503", Utc::now() - TimeDelta::seconds(1)).expect("failed");
        let again = store.claim_inbox(None, 10).expect("claim");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);

        store
            .insert_article(&article("b", 0.0), None, &crate::store::Routing::default(), || None)
            .expect("insert");
        assert_eq!(store.inbox_len().expect("len"), 1, "storing the article empties its inbox row");
        assert_eq!(
            store.record_poll("https://f.example/rss", "F", &[item("b")], None).expect("poll"),
            0,
            "known"
        );
        assert_eq!(store.release_inbox().expect("release"), 1);
        assert_eq!(store.claim_inbox(None, 10).expect("claim").len(), 1);
    }
}
