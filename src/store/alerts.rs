//! Story alerts: raised when a story first has an article at or above the threshold, updated as
//! the story grows, resolved when it goes quiet. Each change queues its webhook events in the
//! outbox inside the transaction that makes it (see `events` for what each event says).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::articles::{ALERT_COLUMNS, AlertSource, alert_from_row};
use super::events::{freeze, snapshot};
use super::{Alert, Store, StoreError, StoryLink, text_enum, timestamp};
use crate::score::NewAlert;
use crate::story::lifecycle::{Change, Subscriber, changes, severity_rose};
use crate::types::{AlertState, DeliveryState, EventKind, Severity};

/// Stories resolved per sweep: the rest wait for the next.
const RESOLVE_BATCH: i64 = 200;

/// How alerts reach the outbox: the webhooks and how they take events, and the quiet period.
#[derive(Debug, Clone)]
pub struct Routing {
    pub subscribers: Vec<Subscriber>,
    /// A story with no article for this long is resolved; its severity is the highest of its
    /// articles that alerted within this of its latest alerting article.
    pub resolve_after: Duration,
}

impl Default for Routing {
    fn default() -> Self {
        Self { subscribers: Vec::new(), resolve_after: Duration::from_hours(72) }
    }
}

/// What one stored article did to its story's alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    /// The alert as it now stands.
    pub alert: Alert,
    /// `Created` for a new alert, `Updated` for one that changed.
    pub kind: EventKind,
    /// What changed (empty for a new alert).
    pub changes: Vec<Change>,
}

/// Writes the article → story link inside the caller's transaction, then raises or updates the
/// story's alert. `alert` is the article's own verdict; `None` when it is below the threshold
/// (it still counts as an outlet of a story that alerted).
#[expect(clippy::too_many_arguments, reason = "one private step of the article transaction")]
pub(super) fn story_article(
    tx: &Transaction<'_>,
    article_id: i64,
    source: &AlertSource<'_>,
    published: Option<&str>,
    alert: Option<&NewAlert>,
    link: &StoryLink,
    routing: &Routing,
    now: DateTime<Utc>,
) -> Result<Option<Raised>, StoreError> {
    link_story(tx, article_id, link, alert, source.language)?;
    let existing = read_alert(tx, &link.story)?;
    if existing.is_none() && alert.is_none() {
        return Ok(None);
    }
    super::trends::count_article(tx, &link.story, alert.and_then(|a| a.event.as_ref()), link.outlets)?;
    let languages = story_languages(tx, &link.story)?;
    let severity = story_severity(tx, &link.story, routing.resolve_after)?;
    let now_s = timestamp(now);
    let Some(old) = existing else {
        let new_alert = alert.expect("checked above");
        let mut created = Alert::raised(link.story.clone(), source, published, new_alert, &now_s);
        created.severity = severity.unwrap_or(new_alert.severity);
        created.outlets = link.outlets;
        created.articles = link.articles;
        created.languages = languages;
        insert_alert(tx, article_id, &created, &now_s)?;
        for sub in routing.subscribers.iter().filter(|s| s.takes(created.severity, source.feed)) {
            queue_created(tx, &created.id, sub, now)?;
        }
        return Ok(Some(Raised { alert: created, kind: EventKind::Created, changes: Vec::new() }));
    };
    let before = snapshot(&old);
    let mut new = old.clone();
    new.outlets = link.outlets.max(old.outlets);
    new.articles = link.articles.max(old.articles);
    new.languages = languages;
    if let Some(severity) = severity {
        new.severity = severity;
    }
    let mut lead = None;
    if let Some(a) = alert {
        for pair in &a.actors {
            if !new.actors.contains(pair) {
                new.actors.push(pair.clone());
            }
        }
        let lead_severity = lead_severity(tx, &old.id)?;
        if (a.severity, source.score) > (lead_severity.unwrap_or(Severity::Low), old.score) {
            lead = Some(article_id);
            new.lead(source, published, a);
        }
    }
    if old.state == AlertState::Resolved {
        new.state = AlertState::Updated;
    }
    let changed = changes(&before, &snapshot(&new));
    if !changed.is_empty() {
        new.state = AlertState::Updated;
        new.updated_at = Some(now_s.clone());
    }
    update_alert(tx, &new, lead, &now_s)?;
    if changed.is_empty() {
        return Ok(None);
    }
    queue_updates(tx, &new, &changed, routing, source.feed, now)?;
    Ok(Some(Raised { alert: new, kind: EventKind::Updated, changes: changed }))
}

/// Raises the alert of a stored article that had none (`rescore --apply`): its story's alert
/// when the article is in a story that has none yet, else its own. `Ok(None)` when the story
/// (or the article) has an alert already.
pub(super) fn raise_for_stored(
    tx: &Transaction<'_>,
    article_id: i64,
    source: &AlertSource<'_>,
    published: Option<&str>,
    alert: &NewAlert,
    routing: &Routing,
    now: DateTime<Utc>,
) -> Result<Option<Alert>, StoreError> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM alerts WHERE article_id = ?1
                        OR id = (SELECT story_id FROM story_articles WHERE article_id = ?1))",
        [article_id],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(None);
    }
    let story: Option<(String, i64, i64)> = tx
        .query_row(
            "SELECT s.id, s.articles, s.outlets FROM story_articles sa JOIN stories s ON s.id = sa.story_id
             WHERE sa.article_id = ?1",
            [article_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let now_s = timestamp(now);
    let id = story.as_ref().map_or_else(|| super::alert_id(source.key), |s| s.0.clone());
    let mut raised = Alert::raised(id, source, published, alert, &now_s);
    if let Some((story, articles, outlets)) = &story {
        raised.articles = usize::try_from(*articles).unwrap_or(1);
        raised.outlets = usize::try_from(*outlets).unwrap_or(1);
        raised.languages = story_languages(tx, story)?;
        tx.execute(
            "UPDATE story_articles SET severity = ?2, event = ?3 WHERE article_id = ?1",
            params![
                article_id,
                alert.severity.as_str(),
                alert.event.as_ref().map(serde_json::to_string).transpose()?
            ],
        )?;
    }
    insert_alert(tx, article_id, &raised, &now_s)?;
    for sub in routing.subscribers.iter().filter(|s| s.takes(raised.severity, source.feed)) {
        queue_created(tx, &raised.id, sub, now)?;
    }
    Ok(Some(raised))
}

impl Alert {
    /// A new alert of `id` led by `source`, open, of one outlet until told otherwise.
    fn raised(
        id: String,
        source: &AlertSource<'_>,
        published: Option<&str>,
        alert: &NewAlert,
        now_s: &str,
    ) -> Self {
        let mut out = Self {
            id,
            created_at: now_s.to_string(),
            article_url: String::new(),
            title: String::new(),
            feed: String::new(),
            published_at: None,
            score: 0.0,
            severity: alert.severity,
            threshold: 0.0,
            matches: Vec::new(),
            actors: alert.actors.clone(),
            rules_hash: String::new(),
            event: None,
            relevance: None,
            state: AlertState::Open,
            outlets: 1,
            articles: 1,
            languages: source.language.map(|l| vec![l.to_string()]).unwrap_or_default(),
            updated_at: Some(now_s.to_string()),
        };
        out.lead(source, published, alert);
        out
    }

    /// Makes `source` the article the alert shows: its title, address, matches and event.
    fn lead(&mut self, source: &AlertSource<'_>, published: Option<&str>, alert: &NewAlert) {
        self.article_url = source.url.to_string();
        self.title = source.title.to_string();
        self.feed = source.feed.to_string();
        self.published_at = published.map(str::to_string);
        self.score = source.score;
        self.threshold = alert.threshold;
        self.matches = source.matches.to_vec();
        self.rules_hash.clone_from(&alert.rules_hash);
        self.event.clone_from(&alert.event);
        self.relevance.clone_from(&alert.relevance);
    }
}

fn link_story(
    tx: &Transaction<'_>,
    article_id: i64,
    link: &StoryLink,
    alert: Option<&NewAlert>,
    language: Option<&str>,
) -> Result<(), StoreError> {
    let severity = alert.map(|a| a.severity);
    let event = alert.and_then(|a| a.event.as_ref()).map(serde_json::to_string).transpose()?;
    let seen = timestamp(link.seen_at);
    let (articles, outlets) =
        (i64::try_from(link.articles).unwrap_or(i64::MAX), i64::try_from(link.outlets).unwrap_or(i64::MAX));
    tx.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, ?2, ?3, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
             first_seen = min(first_seen, excluded.first_seen),
             articles = excluded.articles, outlets = excluded.outlets",
        params![link.story, link.title, seen, articles, outlets],
    )?;
    tx.execute(
        "INSERT INTO story_articles (article_id, story_id, seen_at, outlet, copy, severity, language, event)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            article_id,
            link.story,
            seen,
            link.outlet,
            link.copy,
            severity.map(Severity::as_str),
            language,
            event
        ],
    )?;
    Ok(())
}

pub(super) fn read_alert(conn: &Connection, id: &str) -> Result<Option<Alert>, StoreError> {
    let row = conn
        .query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = ?1"), [id], |r| {
            alert_from_row(r, 0)
        })
        .optional()?;
    row.map(super::articles::AlertRow::parse).transpose()
}

/// The languages of a story's articles, sorted.
fn story_languages(conn: &Connection, story: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT language FROM story_articles WHERE story_id = ?1 AND language IS NOT NULL ORDER BY language",
    )?;
    let rows = stmt.query_map([story], |r| r.get(0))?;
    rows.collect()
}

/// A story's severity: the highest of its articles that alerted within `recent` of its latest
/// alerting article, so a story whose gravest reports are old comes down again. `None` when no
/// article of it alerted.
fn story_severity(conn: &Connection, story: &str, recent: Duration) -> Result<Option<Severity>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT severity, seen_at FROM story_articles WHERE story_id = ?1 AND severity IS NOT NULL",
    )?;
    let rows: Vec<(Severity, String)> = stmt
        .query_map([story], |r| Ok((text_enum(r, 0, Severity::parse)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let Some(latest) = rows.iter().map(|(_, at)| at.as_str()).max() else { return Ok(None) };
    let latest = super::parse_time(latest).unwrap_or_default();
    let since = timestamp(latest - TimeDelta::from_std(recent).unwrap_or(TimeDelta::MAX));
    Ok(rows.iter().filter(|(_, at)| *at >= since).map(|(s, _)| *s).max())
}

/// The severity the alert's lead article raised by itself.
fn lead_severity(conn: &Connection, alert_id: &str) -> rusqlite::Result<Option<Severity>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT sa.severity FROM alerts a JOIN story_articles sa ON sa.article_id = a.article_id WHERE a.id = ?1",
            [alert_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(text.as_deref().and_then(Severity::parse))
}

fn insert_alert(tx: &Transaction<'_>, article_id: i64, alert: &Alert, now_s: &str) -> Result<(), StoreError> {
    write_alert(tx, article_id, true, alert, now_s)
}

/// Writes an alert's new state; `lead` is the article that now leads it, if another.
fn update_alert(
    tx: &Transaction<'_>,
    alert: &Alert,
    lead: Option<i64>,
    now_s: &str,
) -> Result<(), StoreError> {
    write_alert(tx, lead.unwrap_or(0), lead.is_some(), alert, now_s)
}

/// Inserts `alert`, or writes its new state over the stored one (keeping `created_at`, and its
/// lead article unless `lead` says `article_id` leads it now).
fn write_alert(
    tx: &Transaction<'_>,
    article_id: i64,
    lead: bool,
    alert: &Alert,
    now_s: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO alerts (id, article_id, created_at, article_url, title, feed, published_at, score, severity, threshold,
                             matches, actors, rules_hash, event, relevance, state, outlets, articles, languages,
                             updated_at, last_article_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
         ON CONFLICT (id) DO UPDATE SET
             article_id = CASE WHEN ?22 THEN excluded.article_id ELSE alerts.article_id END,
             article_url = excluded.article_url, title = excluded.title, feed = excluded.feed,
             published_at = excluded.published_at, score = excluded.score, severity = excluded.severity,
             threshold = excluded.threshold, matches = excluded.matches, actors = excluded.actors,
             rules_hash = excluded.rules_hash, event = excluded.event, relevance = excluded.relevance,
             state = excluded.state, outlets = excluded.outlets, articles = excluded.articles,
             languages = excluded.languages, updated_at = excluded.updated_at,
             last_article_at = excluded.last_article_at",
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
            serde_json::to_string(&alert.matches)?,
            serde_json::to_string(&alert.actors)?,
            alert.rules_hash,
            alert.event.as_ref().map(serde_json::to_string).transpose()?,
            alert.relevance.as_ref().map(serde_json::to_string).transpose()?,
            alert.state.as_str(),
            i64::try_from(alert.outlets).unwrap_or(i64::MAX),
            i64::try_from(alert.articles).unwrap_or(i64::MAX),
            serde_json::to_string(&alert.languages)?,
            alert.updated_at.as_deref().unwrap_or(now_s),
            now_s,
            lead,
        ],
    )?;
    Ok(())
}

/// The last event queued for an alert and webhook.
struct LastEvent {
    id: i64,
    sequence: u32,
    kind: EventKind,
    state: DeliveryState,
    /// When it was frozen (first attempted); `None` while it waits for its first attempt, when
    /// it will carry whatever the alert then says.
    frozen_at: Option<DateTime<Utc>>,
}

fn last_event(conn: &Connection, alert_id: &str, webhook: &str) -> rusqlite::Result<Option<LastEvent>> {
    conn.query_row(
        "SELECT id, sequence, event, state, frozen_at FROM deliveries WHERE alert_id = ?1 AND webhook = ?2
         ORDER BY sequence DESC LIMIT 1",
        params![alert_id, webhook],
        |r| {
            Ok(LastEvent {
                id: r.get(0)?,
                sequence: r.get(1)?,
                kind: text_enum(r, 2, EventKind::parse)?,
                state: text_enum(r, 3, DeliveryState::parse)?,
                frozen_at: r.get::<_, Option<String>>(4)?.as_deref().and_then(super::parse_time),
            })
        },
    )
    .optional()
}

impl LastEvent {
    /// Still waiting for its first attempt: whatever changes now, it will say.
    fn open(&self) -> bool {
        self.state == DeliveryState::Pending && self.frozen_at.is_none()
    }
}

fn insert_event(
    tx: &Transaction<'_>,
    alert_id: &str,
    webhook: &str,
    kind: EventKind,
    sequence: u32,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO deliveries (alert_id, webhook, event, sequence, queued_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![alert_id, webhook, kind.as_str(), sequence, timestamp(now), timestamp(due)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Queues `alert.created` to `sub`, held for its `group_wait`; a webhook that does not take
/// `created` events gets it frozen and skipped, so its later events say what changed since.
fn queue_created(
    tx: &Transaction<'_>,
    alert_id: &str,
    sub: &Subscriber,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = insert_event(tx, alert_id, &sub.name, EventKind::Created, 1, sub.cadence.created_due(now), now)?;
    if !sub.cadence.wants(EventKind::Created) {
        freeze(tx, id, now)?;
        tx.execute("UPDATE deliveries SET state = 'skipped' WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// Queues `alert.updated` for `changes` to every webhook that has the alert (and `created` to
/// one that now takes it). An event still waiting for its first attempt takes the changes in
/// instead, brought forward when they raise the severity.
fn queue_updates(
    tx: &Transaction<'_>,
    alert: &Alert,
    changes: &[Change],
    routing: &Routing,
    feed: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for sub in &routing.subscribers {
        let Some(last) = last_event(tx, &alert.id, &sub.name)? else {
            if sub.takes(alert.severity, feed) {
                queue_created(tx, &alert.id, sub, now)?;
            }
            continue;
        };
        if !sub.cadence.wants(EventKind::Updated) {
            continue;
        }
        if last.open() {
            if last.kind == EventKind::Updated && severity_rose(changes) {
                tx.execute(
                    "UPDATE deliveries SET next_attempt_at = min(next_attempt_at, ?2) WHERE id = ?1",
                    params![last.id, timestamp(now)],
                )?;
            }
            continue;
        }
        let due = sub.cadence.update_due(changes, last.frozen_at, now);
        insert_event(tx, &alert.id, &sub.name, EventKind::Updated, last.sequence + 1, due, now)?;
    }
    Ok(())
}

impl Store {
    /// Resolves the alerts whose story has taken no article for `routing.resolve_after` by
    /// `now`, queuing `alert.resolved` to each webhook that has them (an update still waiting
    /// becomes the resolution). At most [`RESOLVE_BATCH`] a call; returns the alerts resolved.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn resolve_quiet(&self, routing: &Routing, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let cutoff = now - TimeDelta::from_std(routing.resolve_after).unwrap_or(TimeDelta::MAX);
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT a.id FROM alerts a JOIN stories s ON s.id = a.id
                 WHERE a.state != 'resolved' AND a.last_article_at <= ?1 ORDER BY a.last_article_at LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![timestamp(cutoff), RESOLVE_BATCH], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let now_s = timestamp(now);
        let mut resolved = Vec::with_capacity(ids.len());
        for id in ids {
            tx.execute(
                "UPDATE alerts SET state = 'resolved', updated_at = ?2 WHERE id = ?1",
                params![id, now_s],
            )?;
            for sub in routing.subscribers.iter().filter(|s| s.cadence.wants(EventKind::Resolved)) {
                let Some(last) = last_event(&tx, &id, &sub.name)? else { continue };
                if last.open() && last.kind == EventKind::Updated {
                    tx.execute(
                        "UPDATE deliveries SET event = 'resolved', next_attempt_at = ?2 WHERE id = ?1",
                        params![last.id, now_s],
                    )?;
                } else {
                    insert_event(&tx, &id, &sub.name, EventKind::Resolved, last.sequence + 1, now, now)?;
                }
            }
            if let Some(alert) = read_alert(&tx, &id)? {
                resolved.push(alert);
            }
        }
        tx.commit()?;
        Ok(resolved)
    }
}
