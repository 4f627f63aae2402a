//! Stories and the article → story link (written with each stored article, see `alerts`):
//! read back at start to rebuild the clustering window, and listed for `stories` and `story`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::{Store, StoreError, parse_time, timestamp};
use crate::types::{AlertState, Severity};

/// Where a stored article went, as the story stage decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryLink {
    pub story: String,
    /// The story's title: its first article's.
    pub title: String,
    pub outlet: String,
    /// The article's time on the story clock.
    pub seen_at: DateTime<Utc>,
    /// A near-duplicate of another site's article in the story.
    pub copy: bool,
    /// The story's articles and independent outlets, this article included.
    pub articles: usize,
    pub outlets: usize,
}

/// An article of a story still in the window: where it is, not yet what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowLink {
    /// Its row in `articles`.
    pub article: i64,
    pub story: String,
    pub outlet: String,
    pub seen_at: DateTime<Utc>,
    pub copy: bool,
}

/// An article of a story still in the window, as the story stage reloads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowArticle {
    pub story: String,
    pub key: String,
    pub title: String,
    pub body: String,
    pub outlet: String,
    pub seen_at: DateTime<Utc>,
    pub copy: bool,
    /// The actors its matches name (their canonical names).
    pub names: Vec<String>,
}

/// A story as `flashpoint stories` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryRow {
    pub id: String,
    pub title: String,
    /// The story clock of its first and last article.
    pub first_seen: String,
    pub last_seen: String,
    pub articles: usize,
    /// Independent outlets: sites, wire copies not counted.
    pub outlets: usize,
    /// Its alert's severity and state; `None` while no article of it reached the threshold.
    pub severity: Option<Severity>,
    pub state: Option<AlertState>,
}

/// One article of a story, for its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryArticle {
    pub seen_at: String,
    pub outlet: String,
    /// A near-duplicate of another site's article in the story: not an independent outlet.
    pub copy: bool,
    pub title: String,
    pub url: String,
    pub feed: String,
    /// The severity it alerted with by itself; `None` below the threshold.
    pub severity: Option<Severity>,
    pub language: Option<String>,
}

const STORY_COLUMNS: &str =
    "s.id, s.title, s.first_seen, s.last_seen, s.articles, s.outlets, a.severity, a.state";

fn story_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoryRow> {
    let severity: Option<String> = r.get(6)?;
    let state: Option<String> = r.get(7)?;
    Ok(StoryRow {
        id: r.get(0)?,
        title: r.get(1)?,
        first_seen: r.get(2)?,
        last_seen: r.get(3)?,
        articles: r.get::<_, i64>(4)?.try_into().unwrap_or(0),
        outlets: r.get::<_, i64>(5)?.try_into().unwrap_or(0),
        severity: severity.as_deref().and_then(Severity::parse),
        state: state.as_deref().and_then(AlertState::parse),
    })
}

impl Store {
    /// Stories whose last article is at or after `since`, latest first; with `alerted`, only
    /// those with an alert.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn stories(
        &self,
        since: DateTime<Utc>,
        alerted: bool,
        limit: usize,
    ) -> Result<Vec<StoryRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {STORY_COLUMNS} FROM stories s LEFT JOIN alerts a ON a.id = s.id
             WHERE s.last_seen >= ?1 AND (?2 = 0 OR a.id IS NOT NULL)
             ORDER BY s.last_seen DESC, s.id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![timestamp(since), alerted, i64::try_from(limit).unwrap_or(i64::MAX)],
            story_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Story `id` with its articles in story-clock order; `None` when there is no such story.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn story(&self, id: &str) -> Result<Option<(StoryRow, Vec<StoryArticle>)>, StoreError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                &format!(
                    "SELECT {STORY_COLUMNS} FROM stories s LEFT JOIN alerts a ON a.id = s.id WHERE s.id = ?1"
                ),
                [id],
                story_from_row,
            )
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        let mut stmt = conn.prepare_cached(
            "SELECT sa.seen_at, sa.outlet, sa.copy, ar.title, ar.url, ar.feed, sa.severity, sa.language
             FROM story_articles sa JOIN articles ar ON ar.id = sa.article_id
             WHERE sa.story_id = ?1 ORDER BY sa.seen_at, sa.article_id",
        )?;
        let articles = stmt.query_map([id], |r| {
            let severity: Option<String> = r.get(6)?;
            Ok(StoryArticle {
                seen_at: r.get(0)?,
                outlet: r.get(1)?,
                copy: r.get(2)?,
                title: r.get(3)?,
                url: r.get(4)?,
                feed: r.get(5)?,
                severity: severity.as_deref().and_then(Severity::parse),
                language: r.get(7)?,
            })
        })?;
        Ok(Some((row, articles.collect::<Result<_, _>>()?)))
    }

    /// The articles of the `most` stories seen last at or after `since`, in story-clock order:
    /// which story each is in, without its text ([`Store::window_articles`] reads that, a
    /// batch at a time, so start-up never holds a window of bodies at once).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn story_window(&self, since: DateTime<Utc>, most: usize) -> Result<Vec<WindowLink>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT s.article_id, s.story_id, s.outlet, s.seen_at, s.copy
             FROM story_articles s
                  JOIN (SELECT id FROM stories WHERE last_seen >= ?1 ORDER BY last_seen DESC, id LIMIT ?2) t
                    ON t.id = s.story_id
             ORDER BY s.seen_at, s.article_id",
        )?;
        let limit = i64::try_from(most).unwrap_or(i64::MAX);
        let rows = stmt.query_map(rusqlite::params![timestamp(since), limit], |r| {
            let seen: String = r.get(3)?;
            Ok(WindowLink {
                article: r.get(0)?,
                story: r.get(1)?,
                outlet: r.get(2)?,
                seen_at: parse_time(&seen).unwrap_or_default(),
                copy: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored text of the articles of `links`, in their order (an article since deleted is
    /// left out).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn window_articles(&self, links: &[WindowLink]) -> Result<Vec<WindowArticle>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT a.key, a.title, coalesce(b.body, ''),
                    (SELECT json_group_array(name) FROM (
                        SELECT json_extract(m.value, '$.source') AS name FROM json_each(a.matches) m
                        UNION SELECT json_extract(m.value, '$.target') FROM json_each(a.matches) m)
                     WHERE name IS NOT NULL)
             FROM articles a LEFT JOIN bodies b ON b.article_id = a.id WHERE a.id = ?1",
        )?;
        let mut out = Vec::with_capacity(links.len());
        for link in links {
            let row = stmt
                .query_row([link.article], |r| {
                    let names: String = r.get(3)?;
                    Ok(WindowArticle {
                        story: link.story.clone(),
                        key: r.get(0)?,
                        title: r.get(1)?,
                        body: r.get(2)?,
                        outlet: link.outlet.clone(),
                        seen_at: link.seen_at,
                        copy: link.copy,
                        names: serde_json::from_str(&names).unwrap_or_default(),
                    })
                })
                .optional()?;
            out.extend(row);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::{StoryLink, WindowArticle};
    use crate::store::Routing;
    use crate::store::testing::{article, open};

    fn link(story: &str, seen_at: chrono::DateTime<Utc>, articles: usize) -> StoryLink {
        StoryLink {
            story: story.into(),
            title: "T".into(),
            outlet: "dawn.com".into(),
            seen_at,
            copy: false,
            articles,
            outlets: 1,
        }
    }

    #[test]
    fn linked_articles_come_back_in_the_window_and_old_stories_do_not() {
        let (_dir, store) = open();
        let now = Utc::now();
        let routing = Routing::default();
        let links = [
            ("a", link("sty_1", now - TimeDelta::days(40), 1)),
            ("b", link("sty_2", now - TimeDelta::hours(2), 1)),
            ("c", link("sty_2", now - TimeDelta::hours(1), 2)),
        ];
        for (key, l) in links {
            store.insert_article(&article(key, 0.0), None, &routing, || Some(l)).expect("insert");
        }
        let mut placed = false;
        store
            .insert_article(&article("a", 0.0), None, &routing, || {
                placed = true;
                None
            })
            .expect("insert");
        assert!(!placed, "a stored article is not placed again");
        let links = store.story_window(now - TimeDelta::days(30), 10).expect("window");
        let window: Vec<WindowArticle> = store.window_articles(&links).expect("articles");
        let keys: Vec<(&str, &str)> = window.iter().map(|w| (w.story.as_str(), w.key.as_str())).collect();
        assert_eq!(keys, [("sty_2", "b"), ("sty_2", "c")]);
        let links = store.story_window(now - TimeDelta::days(60), 1).expect("window");
        let newest: Vec<String> =
            store.window_articles(&links).expect("articles").into_iter().map(|w| w.key).collect();
        assert_eq!(newest, ["b", "c"], "the most recently seen stories first, whole");
        let listed = store.stories(now - TimeDelta::days(60), false, 10).expect("stories");
        let ids: Vec<(&str, usize)> = listed.iter().map(|s| (s.id.as_str(), s.articles)).collect();
        assert_eq!(ids, [("sty_2", 2), ("sty_1", 1)], "latest first");
        assert!(
            store.stories(now - TimeDelta::days(60), true, 10).expect("stories").is_empty(),
            "none alerted"
        );
        let (row, articles) = store.story("sty_2").expect("story").expect("known");
        assert_eq!((row.severity, articles.len()), (None, 2));
        assert!(store.story("sty_9").expect("story").is_none());
    }
}
