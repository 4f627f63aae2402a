//! Articles and their alerts: storing an article with its alert and outbox rows in one
//! transaction, re-reading articles for `rescore`, and listing alerts.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::alerts::{Raised, Routing};
use super::{Store, StoreError, StoryLink, inbox, text_enum, timestamp};
use crate::relevance::Relevance;
use crate::score::{ActorPair, Event, Match, NewAlert};
use crate::types::{AlertState, Method, Severity};

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

/// A row of the `alerts` table: one per story that reached the threshold (one per article for
/// alerts raised before stories). Its article, matches and event are its lead article's: the one
/// of highest severity, then score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Open, updated (grown since it was raised) or resolved (its story went quiet).
    pub state: AlertState,
    /// Independent outlets and articles of its story.
    pub outlets: usize,
    pub articles: usize,
    /// Languages of its story's articles (ISO 639-3).
    pub languages: Vec<String>,
    /// When it last changed.
    pub updated_at: Option<String>,
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
    /// The alert it raised or joined as an alerting article, if any.
    pub alert_id: Option<String>,
    /// Its body was dropped by retention: it cannot be scored again.
    pub pruned: bool,
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
    /// Stores an article, places it in its story and raises or updates the story's alert, all
    /// in one transaction that also takes the item out of the inbox: the alert's outbox events
    /// are written with it. `place` is called once the article is known to be new, and gives
    /// its story (`None`: it alerts by itself, under [`alert_id`] of its key). Returns what the
    /// article did to an alert; `Ok(None)` when it changed none, or was stored before under
    /// its key or any alias (a second copy changes nothing but recording the new keys).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn insert_article(
        &self,
        article: &NewArticle,
        alert: Option<&NewAlert>,
        routing: &Routing,
        place: impl FnOnce() -> Option<StoryLink>,
    ) -> Result<Option<Raised>, StoreError> {
        let now = Utc::now();
        let now_s = timestamp(now);
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
        let source = AlertSource::of(article);
        let raised = match place() {
            Some(link) => super::alerts::story_article(
                &tx,
                article_id,
                &source,
                published.as_deref(),
                alert,
                &link,
                routing,
                now,
            )?,
            None => match alert {
                Some(alert) => super::alerts::raise_for_stored(
                    &tx,
                    article_id,
                    &source,
                    published.as_deref(),
                    alert,
                    routing,
                    now,
                )?
                .map(|alert| Raised {
                    alert,
                    kind: crate::types::EventKind::Created,
                    changes: Vec::new(),
                }),
                None => None,
            },
        };
        tx.commit()?;
        Ok(raised)
    }

    /// Articles fetched at or after `since`, oldest first, with their alert if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn articles_since(&self, since: DateTime<Utc>) -> Result<Vec<StoredArticle>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT ar.id, ar.key, ar.url, ar.feed, ar.title, coalesce(b.body, ''), ar.published_at, ar.score,
                    coalesce(al.id, (SELECT x.id FROM story_articles sa JOIN alerts x ON x.id = sa.story_id
                                     WHERE sa.article_id = ar.id AND sa.severity IS NOT NULL)),
                    ar.pruned_at IS NOT NULL
             FROM articles ar LEFT JOIN alerts al ON al.article_id = ar.id
                  LEFT JOIN bodies b ON b.article_id = ar.id
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
                pruned: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Raises an alert for an article stored without one (`rescore --apply`): its story's alert
    /// if the story has none yet, with its outbox events, in one transaction. `Ok(None)` when
    /// the article or its story has an alert already.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn add_alert(
        &self,
        stored: &StoredArticle,
        score: f64,
        matches: &[Match],
        alert: &NewAlert,
        routing: &Routing,
    ) -> Result<Option<Alert>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let language: Option<String> =
            tx.query_row("SELECT language FROM articles WHERE id = ?1", [stored.id], |r| r.get(0))?;
        let source = AlertSource {
            key: &stored.key,
            url: &stored.url,
            title: &stored.title,
            feed: &stored.feed,
            score,
            matches,
            language: language.as_deref(),
        };
        let raised = super::alerts::raise_for_stored(
            &tx,
            stored.id,
            &source,
            stored.published_at.as_deref(),
            alert,
            routing,
            Utc::now(),
        )?;
        tx.commit()?;
        Ok(raised)
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
            &format!("SELECT {ALERT_COLUMNS} FROM alerts a
             WHERE created_at >= ?1 AND (?2 IS NULL OR feed = ?2) AND severity IN (SELECT value FROM json_each(?3))
             ORDER BY created_at DESC, id LIMIT ?4"),
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
pub(super) struct AlertSource<'a> {
    pub(super) key: &'a str,
    pub(super) url: &'a str,
    pub(super) title: &'a str,
    pub(super) feed: &'a str,
    pub(super) score: f64,
    pub(super) matches: &'a [Match],
    pub(super) language: Option<&'a str>,
}

impl<'a> AlertSource<'a> {
    fn of(article: &'a NewArticle) -> Self {
        Self {
            key: &article.key,
            url: &article.url,
            title: &article.title,
            feed: &article.feed,
            score: article.score,
            matches: &article.matches,
            language: article.language.as_deref(),
        }
    }
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
        "INSERT INTO articles (key, url, guid, feed, title, published_at, fetched_at, method, score, matches,
                               canonical, author, language, body_chars)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT(key) DO NOTHING",
        params![
            article.key,
            article.url,
            article.guid,
            article.feed,
            article.title,
            published,
            now_s,
            article.method.as_str(),
            article.score,
            matches_json,
            article.canonical,
            article.author,
            article.language,
            i64::try_from(article.body.chars().count()).unwrap_or(i64::MAX)
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    let article_id = tx.last_insert_rowid();
    tx.execute("INSERT INTO bodies (article_id, body) VALUES (?1, ?2)", params![article_id, article.body])?;
    for alias in article.aliases.iter().filter(|a| **a != article.key) {
        tx.execute(
            "INSERT INTO aliases (key, article_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![alias, article_id],
        )?;
    }
    Ok(Some(article_id))
}

/// The columns [`alert_from_row`] reads, of table alias `a`.
pub(super) const ALERT_COLUMNS: &str = "a.id, a.created_at, a.article_url, a.title, a.feed, a.published_at, a.score,
    a.severity, a.threshold, a.matches, a.actors, a.rules_hash, a.event, a.relevance, a.state, a.outlets, a.articles,
    a.languages, a.updated_at";

/// An alert row whose JSON columns are still text.
pub(super) struct AlertRow {
    alert: Alert,
    matches: String,
    actors: String,
    event: Option<String>,
    relevance: Option<String>,
    languages: String,
}

impl AlertRow {
    pub(super) fn parse(self) -> Result<Alert, StoreError> {
        Ok(Alert {
            matches: serde_json::from_str(&self.matches)?,
            actors: serde_json::from_str(&self.actors)?,
            event: self.event.as_deref().map(serde_json::from_str).transpose()?,
            relevance: self.relevance.as_deref().map(serde_json::from_str).transpose()?,
            languages: serde_json::from_str(&self.languages)?,
            ..self.alert
        })
    }
}

/// Reads the [`ALERT_COLUMNS`] starting at column `at`.
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
            state: text_enum(r, at + 14, AlertState::parse)?,
            outlets: r.get::<_, i64>(at + 15)?.try_into().unwrap_or(0),
            articles: r.get::<_, i64>(at + 16)?.try_into().unwrap_or(0),
            languages: Vec::new(),
            updated_at: r.get(at + 18)?,
        },
        matches: r.get(at + 9)?,
        actors: r.get(at + 10)?,
        event: r.get(at + 12)?,
        relevance: r.get(at + 13)?,
        languages: r.get(at + 17)?,
    })
}

/// A stable alert id derived from an article key: its story's id when it opened the story.
#[must_use]
pub fn alert_id(key: &str) -> String {
    crate::story::story_id(key)
}
