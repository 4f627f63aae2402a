//! The story step of the store stage: each newly stored article joins a story or opens one,
//! inside the transaction that stores it (with its story's alert and outbox events). The window
//! of recent stories is rebuilt from the database at start, so a restart continues the stories
//! it left.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{TimeDelta, Utc};
use tracing::{info, warn};

use crate::store::{NewArticle, Store, StoryLink};
use crate::story::{Article, Clusterer, Settings, outlet_of};
use crate::types::chain;

/// The clustering, shared with the store's blocking thread for the length of one insert.
#[derive(Clone)]
pub(super) struct Stories {
    clusterer: Arc<Mutex<Clusterer>>,
}

impl Stories {
    /// The clustering with the stories of the last `settings.archive` put back: the most
    /// recently seen first, as many as eviction leaves at `settings.max_stories` (nine tenths),
    /// their texts read a batch at a time.
    pub(super) async fn load(store: &Store, settings: Settings) -> Self {
        /// Articles read under one hold of the store's lock.
        const BATCH: usize = 256;
        let since = Utc::now() - TimeDelta::from_std(settings.archive).unwrap_or(TimeDelta::MAX);
        let most = (settings.max_stories - settings.max_stories / 10).max(1);
        let clusterer = Clusterer::new(settings.clone());
        let reloaded = store
            .blocking(move |s| {
                let mut clusterer = clusterer;
                let links = s.story_window(since, most)?;
                for batch in links.chunks(BATCH) {
                    for row in s.window_articles(batch)? {
                        let article = Article {
                            key: &row.key,
                            title: &row.title,
                            body: &row.body,
                            outlet: &row.outlet,
                            at: row.seen_at,
                            names: &row.names,
                        };
                        clusterer.reload(&row.story, &article, row.copy);
                    }
                }
                Ok((clusterer, links.len()))
            })
            .await;
        let clusterer = match reloaded {
            Ok((clusterer, articles)) => {
                info!(
                    stories = clusterer.len(),
                    articles,
                    mb = clusterer.bytes() >> 20,
                    "story window reloaded"
                );
                window_gauges(&clusterer);
                clusterer
            }
            Err(err) => {
                warn!(error = %chain(&err), "cannot reload the story window; stories start afresh");
                Clusterer::new(settings)
            }
        };
        Self { clusterer: Arc::new(Mutex::new(clusterer)) }
    }

    /// Places a new article: it joins a story of the window or opens one. (Called by the store
    /// once the article is known to be new; should its transaction then fail, the article
    /// stays in the window until the next start, and its retry is placed again.)
    pub(super) fn place(&self, article: &NewArticle) -> StoryLink {
        // The story clock: the article's date, never later than now.
        let now = Utc::now();
        let at = article.published_at.filter(|t| *t <= now).unwrap_or(now);
        let outlet = outlet_of(&article.url);
        let names = actor_names(&article.matches);
        let mut clusterer = self.clusterer.lock().unwrap_or_else(PoisonError::into_inner);
        let placed = clusterer.add(&Article {
            key: &article.key,
            title: &article.title,
            body: &article.body,
            outlet: &outlet,
            at,
            names: &names,
        });
        window_gauges(&clusterer);
        drop(clusterer);
        StoryLink {
            story: placed.story,
            title: article.title.clone(),
            outlet,
            seen_at: at,
            copy: placed.copy,
            articles: placed.articles,
            outlets: placed.outlets,
        }
    }
}

/// How full the story window is: its stories and its estimated bytes (what
/// `stories.max_stories` and `stories.max_memory_mb` bound).
#[expect(clippy::cast_precision_loss, reason = "gauges are floats; counts far below 2^52")]
fn window_gauges(clusterer: &Clusterer) {
    metrics::gauge!("flashpoint_story_window_stories").set(clusterer.len() as f64);
    metrics::gauge!("flashpoint_story_window_bytes").set(clusterer.bytes() as f64);
}

/// The canonical names of the actors an article's matches name, each once: the same in every
/// language, so reports of one event in two scripts can meet.
fn actor_names(matches: &[crate::score::Match]) -> Vec<String> {
    let mut names: Vec<String> =
        matches.iter().flat_map(|m| [&m.source, &m.target]).flatten().cloned().collect();
    names.sort_unstable();
    names.dedup();
    names
}
