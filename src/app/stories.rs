//! The story step of the store stage: each newly stored article joins a story or opens one,
//! and the link is written beside it. The window of recent stories is rebuilt from the
//! database at start, so a restart continues the stories it left.

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{debug, info, warn};

use crate::store::{Store, StoryLink};
use crate::story::{Article, Clusterer, Settings, outlet_of};
use crate::types::chain;

/// What the story step needs of a stored article.
pub(super) struct Stored {
    pub(super) key: String,
    pub(super) url: String,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) published: Option<DateTime<Utc>>,
}

/// The clustering and the store it writes to.
pub(super) struct Stories {
    store: Store,
    clusterer: Clusterer,
}

impl Stories {
    /// The clustering with the stories of the last `settings.window` put back.
    pub(super) async fn load(store: Store, settings: Settings) -> Self {
        let since = Utc::now() - TimeDelta::from_std(settings.window).unwrap_or(TimeDelta::MAX);
        let mut clusterer = Clusterer::new(settings);
        match store.blocking(move |s| s.story_window(since)).await {
            Ok(rows) => {
                for row in &rows {
                    let article = Article {
                        key: &row.key,
                        title: &row.title,
                        body: &row.body,
                        outlet: &row.outlet,
                        at: row.seen_at,
                    };
                    clusterer.reload(&row.story, &article, row.copy);
                }
                info!(stories = clusterer.len(), articles = rows.len(), "story window reloaded");
            }
            Err(err) => warn!(error = %chain(&err), "cannot reload the story window; stories start afresh"),
        }
        Self { store, clusterer }
    }

    /// Places `article` if it was stored now and is in no story yet; an error costs a log line.
    pub(super) async fn place(&mut self, article: Stored) {
        let key = article.key.clone();
        let id = match self.store.blocking(move |s| s.unclustered_article(&key)).await {
            Ok(Some(id)) => id,
            Ok(None) => return,
            Err(err) => {
                warn!(url = %article.url, error = %chain(&err), "cannot look up the article's story");
                return;
            }
        };
        // The story clock: the article's date, never later than now.
        let now = Utc::now();
        let at = article.published.filter(|t| *t <= now).unwrap_or(now);
        let outlet = outlet_of(&article.url);
        let placed = self.clusterer.add(&Article {
            key: &article.key,
            title: &article.title,
            body: &article.body,
            outlet: &outlet,
            at,
        });
        debug!(story = %placed.story, opened = placed.opened, outlets = placed.outlets, url = %article.url, "article placed");
        let link = StoryLink {
            story: placed.story,
            title: article.title,
            outlet,
            seen_at: at,
            copy: placed.copy,
            articles: placed.articles,
            outlets: placed.outlets,
        };
        if let Err(err) = self.store.blocking(move |s| s.link_story(id, &link)).await {
            warn!(url = %article.url, error = %chain(&err), "cannot store the article's story");
        }
    }
}
