//! Articles and their alerts: storing an article with its alert and outbox rows in one
//! transaction, re-reading articles for `rescore`, and listing alerts.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError, inbox, text_enum, timestamp};
use crate::relevance::Relevance;
use crate::score::{ActorPair, Event, Match, NewAlert};
use crate::types::{Method, Severity};

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
    /// How the body was extracted.
    pub method: Method,
    /// The page's `<link rel=canonical>`.
    pub canonical: Option<String>,
    /// The byline the page declares.
    pub author: Option<String>,
    /// The body's language (ISO 639-3), when detection is reliable.
    pub language: Option<String>,
    pub score: f64,
    pub matches: Vec<Match>,
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
    pub severity: Severity,
    pub threshold: f64,
    pub matches: Vec<Match>,
    pub actors: Vec<ActorPair>,
    pub rules_hash: String,
    /// The event that raised it (who did what to whom, its rung and level).
    pub event: Option<Event>,
    /// The relevance gate's verdict: the probability that the article is about conflict, and
    /// the five features that moved it most.
    pub relevance: Option<Relevance>,
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

/// Which alerts `alerts` lists.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Alerts created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Alerts of at least this severity.
    pub min_severity: Option<Severity>,
    /// Alerts from this feed (by name).
    pub feed: Option<String>,
    pub limit: usize,
}

impl Store {
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
        let now_s = timestamp(Utc::now());
        let published = article.published_at.map(timestamp);
        let matches = serde_json::to_string(&article.matches)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM inbox WHERE key = ?1", [&article.key])?;
        let keys: Vec<&String> = std::iter::once(&article.key).chain(&article.aliases).collect();
        if let Some(id) = known_under(&tx, &keys)? {
            // A second copy of a story: only its new addresses are recorded.
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
        let Some(article_id) = insert_row(&tx, article, published.as_deref(), &matches, &now_s)? else {
            return Ok(None);
        };
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

    /// Alerts matching `filter`, most recent first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let conn = self.lock();
        let severities: Vec<&str> = [Severity::Low, Severity::Medium, Severity::High]
            .into_iter()
            .filter(|l| filter.min_severity.is_none_or(|min| *l >= min))
            .map(Severity::as_str)
            .collect();
        let mut stmt = conn.prepare_cached(
            "SELECT id, created_at, article_url, title, feed, published_at, score, severity, threshold, matches,
                    actors, rules_hash, event, relevance
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

/// The article stored under any of `keys`, directly or as an alias.
fn known_under(tx: &rusqlite::Transaction<'_>, keys: &[&String]) -> rusqlite::Result<Option<i64>> {
    for key in keys {
        if let Some(id) = inbox::is_known(tx, key)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Inserts the article's row and its aliases; its id, or `None` when its key was taken.
fn insert_row(
    tx: &rusqlite::Transaction<'_>,
    article: &NewArticle,
    published: Option<&str>,
    matches_json: &str,
    now_s: &str,
) -> rusqlite::Result<Option<i64>> {
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
            article.method.as_str(),
            article.score,
            matches_json,
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
    Ok(Some(article_id))
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
        severity: new_alert.severity,
        threshold: new_alert.threshold,
        matches: article.matches.to_vec(),
        actors: new_alert.actors.clone(),
        rules_hash: new_alert.rules_hash.clone(),
        event: new_alert.event.clone(),
        relevance: new_alert.relevance.clone(),
    };
    let event = alert.event.as_ref().map(serde_json::to_string).transpose()?;
    let relevance = alert.relevance.as_ref().map(serde_json::to_string).transpose()?;
    tx.execute(
        "INSERT INTO alerts (id, article_id, created_at, article_url, title, feed, published_at, score, severity, threshold,
                             matches, actors, rules_hash, event, relevance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            alert.id,
            article_id,
            alert.created_at,
            alert.article_url,
            alert.title,
            alert.feed,
            alert.published_at,
            alert.score,
            alert.severity.as_str(),
            alert.threshold,
            matches_json,
            serde_json::to_string(&alert.actors)?,
            alert.rules_hash,
            event,
            relevance
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
pub(super) struct AlertRow {
    alert: Alert,
    matches: String,
    actors: String,
    event: Option<String>,
    relevance: Option<String>,
}

impl AlertRow {
    pub(super) fn parse(self) -> Result<Alert, StoreError> {
        Ok(Alert {
            matches: serde_json::from_str(&self.matches)?,
            actors: serde_json::from_str(&self.actors)?,
            event: self.event.as_deref().map(serde_json::from_str).transpose()?,
            relevance: self.relevance.as_deref().map(serde_json::from_str).transpose()?,
            ..self.alert
        })
    }
}

/// Reads alert columns `id … threshold, matches, actors, rules_hash, event, relevance` starting
/// at column `at`.
pub(super) fn alert_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        alert: Alert {
            id: r.get(at)?,
            created_at: r.get(at + 1)?,
            article_url: r.get(at + 2)?,
            title: r.get(at + 3)?,
            feed: r.get(at + 4)?,
            published_at: r.get(at + 5)?,
            score: r.get(at + 6)?,
            severity: text_enum(r, at + 7, Severity::parse)?,
            threshold: r.get(at + 8)?,
            matches: Vec::new(),
            actors: Vec::new(),
            rules_hash: r.get(at + 11)?,
            event: None,
            relevance: None,
        },
        matches: r.get(at + 9)?,
        actors: r.get(at + 10)?,
        event: r.get(at + 12)?,
        relevance: r.get(at + 13)?,
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
