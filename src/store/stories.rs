//! Stories and the article → story link: written as each stored article is clustered, read
//! back at start to rebuild the clustering window.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError, parse_time, timestamp};

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
}

impl Store {
    /// The id of the article stored under `key` if it is in no story yet (a second copy of a
    /// stored article, or one already clustered, gives `None`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn unclustered_article(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let conn = self.lock();
        let id = conn
            .query_row(
                "SELECT a.id FROM articles a LEFT JOIN story_articles s ON s.article_id = a.id
                 WHERE a.key = ?1 AND s.article_id IS NULL",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id)
    }

    /// Records that article `article_id` is in `link.story`, creating or updating the story.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is written then.
    pub fn link_story(&self, article_id: i64, link: &StoryLink) -> Result<(), StoreError> {
        let seen = timestamp(link.seen_at);
        let (articles, outlets) = (
            i64::try_from(link.articles).unwrap_or(i64::MAX),
            i64::try_from(link.outlets).unwrap_or(i64::MAX),
        );
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, ?2, ?3, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                 first_seen = min(first_seen, excluded.first_seen),
                 articles = excluded.articles, outlets = excluded.outlets",
            params![link.story, link.title, seen, articles, outlets],
        )?;
        tx.execute(
            "INSERT INTO story_articles (article_id, story_id, seen_at, outlet, copy) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![article_id, link.story, seen, link.outlet, link.copy],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The articles of every story seen at or after `since`, in story-clock order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn story_window(&self, since: DateTime<Utc>) -> Result<Vec<WindowArticle>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT s.story_id, a.key, a.title, a.body, s.outlet, s.seen_at, s.copy
             FROM story_articles s JOIN stories t ON t.id = s.story_id JOIN articles a ON a.id = s.article_id
             WHERE t.last_seen >= ?1 ORDER BY s.seen_at, s.article_id",
        )?;
        let rows = stmt.query_map([timestamp(since)], |r| {
            let seen: String = r.get(5)?;
            Ok(WindowArticle {
                story: r.get(0)?,
                key: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
                outlet: r.get(4)?,
                seen_at: parse_time(&seen).unwrap_or_default(),
                copy: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::{StoryLink, WindowArticle};
    use crate::store::Store;
    use crate::store::testing::article;

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
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.db")).expect("open");
        let now = Utc::now();
        for key in ["a", "b", "c"] {
            store.insert_article(&article(key, 0.0), None, &[]).expect("insert");
        }
        let a = store.unclustered_article("a").expect("query").expect("stored, unclustered");
        store.link_story(a, &link("sty_1", now - TimeDelta::days(40), 1)).expect("link");
        let b = store.unclustered_article("b").expect("query").expect("stored");
        store.link_story(b, &link("sty_2", now - TimeDelta::hours(2), 1)).expect("link");
        let c = store.unclustered_article("c").expect("query").expect("stored");
        store.link_story(c, &link("sty_2", now - TimeDelta::hours(1), 2)).expect("link");
        assert_eq!(store.unclustered_article("a").expect("query"), None, "linked once");
        assert_eq!(store.unclustered_article("missing").expect("query"), None);
        let window = store.story_window(now - TimeDelta::days(30)).expect("window");
        let keys: Vec<(&str, &str)> =
            window.iter().map(|w: &WindowArticle| (w.story.as_str(), w.key.as_str())).collect();
        assert_eq!(keys, [("sty_2", "b"), ("sty_2", "c")]);
    }
}
