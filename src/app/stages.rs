//! The work each pipeline stage does on one item (fetch its page, extract, score, store) and
//! [`StageTasks`], which runs a stage's work on every input with bounded concurrency. The
//! parent module decides how the stages are joined; nothing here spawns a long-lived task.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use super::stories::Stories;
use crate::canon::Canonicalizer;
use crate::extract::{self, Article, Extractor};
use crate::feed::NewItem;
use crate::fetch::pages::{PageOf, PageOutcome, fetch_page, next_try};
use crate::fetch::{Fetcher, Page};
use crate::notify::Wakers;
use crate::score::{NewAlert, Scorer};
use crate::service::{Health, Progress, Stage};
use crate::store::{NewArticle, Raised, Routing, Store};
use crate::story::lifecycle::Change;
use crate::types::EventKind;
use crate::types::{chain, redact_url};

/// A page fetched (or given up on) for an item.
#[derive(Debug)]
pub(super) struct Fetched {
    item: NewItem,
    /// `None` when the item has no link or its page failed for good: the feed text is used.
    page: Option<Page>,
}

/// An item with its extracted article.
#[derive(Debug)]
pub(super) struct Extracted {
    item: NewItem,
    article: Article,
    /// Where the page's link led after redirects.
    final_url: Option<url::Url>,
}

/// A scored article, ready to store.
#[derive(Debug)]
pub(super) struct Scored {
    article: NewArticle,
    alert: Option<NewAlert>,
}

/// A pipeline stage: runs its work on every input, up to `limit` at a time, and sends what it
/// returns on. Ends when the input closes and all work in hand is done.
pub(super) struct StageTasks {
    /// Names the stage in progress tracking, metrics and logs.
    pub(super) stage: Stage,
    /// Items worked on at once: the stage's share of connections or cores.
    pub(super) limit: usize,
    /// Where each item's start and end are recorded, for the watchdog and `/healthz`.
    pub(super) progress: Arc<Progress>,
}

impl StageTasks {
    pub(super) async fn run<I, O, F, Fut>(self, mut rx: mpsc::Receiver<I>, tx: mpsc::Sender<O>, work: F)
    where
        I: Send + 'static,
        O: Send + 'static,
        F: Fn(I) -> Fut,
        Fut: Future<Output = Option<O>> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(self.limit.max(1)));
        let mut tasks = JoinSet::new();
        while let Some(input) = rx.recv().await {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
            let working = self.progress.working(self.stage);
            let fut = work(input);
            let tx = tx.clone();
            tasks.spawn(async move {
                let _permit = permit;
                let out = fut.await;
                drop(working);
                if let Some(out) = out {
                    // A closed receiver means the next stage is gone; nothing more to do.
                    let _ = tx.send(out).await;
                }
            });
            while let Some(done) = tasks.try_join_next() {
                if let Err(err) = done {
                    error!(stage = self.stage.as_str(), error = %err, "pipeline task panicked");
                }
            }
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(err) = done {
                error!(stage = self.stage.as_str(), error = %err, "pipeline task panicked");
            }
        }
    }
}

/// Fetches an item's page; an item whose page will be tried again later goes no further now.
pub(super) async fn fetch_item(fetcher: Fetcher, store: Store, item: NewItem) -> Option<Fetched> {
    let Some(link) = item.link.clone() else { return Some(Fetched { item, page: None }) };
    let of = PageOf {
        feed_name: &item.feed.name,
        feed_url: &item.feed.url,
        key: &item.key,
        attempts: item.attempts,
    };
    match fetch_page(&fetcher, &store, &link, of).await {
        PageOutcome::Fetched(page) => Some(Fetched { item, page: Some(page) }),
        PageOutcome::GaveUp => Some(Fetched { item, page: None }),
        PageOutcome::Later => None,
    }
}

/// Decodes and extracts on a blocking thread: parsing is CPU work. A page not extracted within
/// `extract.deadline` ([`extract::DEADLINE`]) counts as a failed try of the item, like a failed fetch: it is tried
/// again later, and after the last try the feed's own text is used.
pub(super) async fn extract_page(
    extractor: Arc<Extractor>,
    store: Store,
    fetched: Fetched,
) -> Option<Extracted> {
    let feed = fetched.item.feed.name.clone();
    let result = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + extractor.deadline();
        let Fetched { item, page } = fetched;
        let feed_text = extract::html_to_text(&item.feed_html);
        let final_url = page.as_ref().map(|p| p.final_url.clone());
        let article = match page {
            Some(page) => {
                let html = extract::decode(&page.body, page.content_type.as_deref());
                drop(page.body);
                extractor.extract_by(&html, &page.final_url, &feed_text, deadline)
            }
            None => Ok(Article::from_feed(feed_text.clone())),
        };
        (article.map_err(|overrun| (overrun, feed_text)), item, final_url)
    })
    .await;
    match result {
        Ok((Ok(article), item, final_url)) => Some(Extracted { item, article, final_url }),
        Ok((Err((overrun, feed_text)), item, final_url)) => {
            let retry = next_try(item.attempts, chrono::Utc::now());
            let link = final_url.as_ref().map(redact_url).unwrap_or_default();
            warn!(feed = %feed, url = %link, error = %overrun, retry = retry.is_some(), "page extraction failed");
            let Some(at) = retry else {
                return Some(Extracted { item, article: Article::from_feed(feed_text), final_url });
            };
            let (key, error) = (item.key.clone(), format!("{overrun} (page {link})"));
            if let Err(e) = store.blocking(move |s| s.inbox_failed(&key, &error, at)).await {
                warn!(error = %chain(&e), "cannot record page error");
            }
            None
        }
        Err(err) => {
            error!(feed = %feed, error = %err, "extraction panicked");
            None
        }
    }
}

/// Other keys the story is known by: where its link redirected, and its page's canonical URL.
fn aliases(
    canon: &Canonicalizer,
    key: &str,
    final_url: Option<&url::Url>,
    canonical: Option<&url::Url>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(page) = final_url {
        out.push(canon.canonical(page).to_string());
        if let Some(c) = canonical.filter(|c| Canonicalizer::usable_canonical(page, c)) {
            out.push(canon.canonical(c).to_string());
        }
    }
    out.retain(|a| a != key);
    out.dedup();
    out
}

pub(super) fn score_article(scorer: &Scorer, canon: &Canonicalizer, e: Extracted) -> Scored {
    let Extracted { item, article, final_url } = e;
    let aliases = aliases(canon, &item.key, final_url.as_ref(), article.canonical.as_ref());
    // The stored address is the canonical one (no tracking parameters), unless only a guid keys it.
    let url = if item.key.starts_with("guid:") {
        item.link.as_ref().map_or_else(String::new, ToString::to_string)
    } else {
        item.key.clone()
    };
    let title = title_of(&item.title, article.title.as_deref());
    let result = scorer.score(&title, &article.body);
    let alert = scorer.alert(&result);
    Scored {
        article: NewArticle {
            key: item.key,
            aliases,
            url,
            guid: item.guid,
            feed: item.feed.name.clone(),
            title,
            // The feed's date, else the page's own.
            published_at: item.published.or_else(|| article.published.map(|t| t.with_timezone(&chrono::Utc))),
            body: article.body,
            method: article.method,
            canonical: article.canonical.map(String::from),
            author: article.author,
            // The feed's language (configured, else declared), else the page's or detected.
            language: item.language.or(article.language),
            score: result.score,
            matches: result.matches,
        },
        alert,
    }
}

/// An article's title: the feed item's, else the page's (`og:title`, `<title>`); the chat
/// payloads show the address when both are blank. (Not scored: its words are no headline.)
fn title_of(item: &str, page: Option<&str>) -> String {
    [item, page.unwrap_or_default()]
        .into_iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// The store stage: writes each article with its story link, its story's alert and the alert's
/// outbox events, wakes the notifier for new events, and resolves the stories gone quiet.
pub(super) struct StoreSink {
    pub(super) store: Store,
    /// How alert events reach the outbox: each webhook's routing and cadence.
    pub(super) routing: Arc<Routing>,
    /// Wake the notifier as soon as an event is stored, instead of at its next sweep.
    pub(super) wakers: Wakers,
    /// Where each article's store time is recorded, for the watchdog and `/healthz`.
    pub(super) progress: Arc<Progress>,
    /// Learns when the last alert was raised, for `STATUS=`.
    pub(super) health: Arc<Health>,
    /// The story clustering's settings; each stored article then joins or opens a story.
    pub(super) stories: crate::story::Settings,
}

/// How often quiet stories are looked for: a tenth of the quiet period, within these bounds.
const RESOLVE_SWEEP_MIN: Duration = Duration::from_secs(1);
const RESOLVE_SWEEP_MAX: Duration = Duration::from_mins(1);

/// How often the trend detector judges the rolling day; once more when the pipeline drains.
const SIGNAL_SWEEP: Duration = Duration::from_mins(5);

impl StoreSink {
    pub(super) async fn run(self, mut rx: mpsc::Receiver<Scored>) {
        let stories = Stories::load(&self.store, self.stories.clone()).await;
        let every = (self.routing.resolve_after / 10).clamp(RESOLVE_SWEEP_MIN, RESOLVE_SWEEP_MAX);
        let mut sweep = tokio::time::interval(every);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut signals = tokio::time::interval(SIGNAL_SWEEP);
        signals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                scored = rx.recv() => match scored {
                    Some(scored) => self.store_one(&stories, scored).await,
                    None => break,
                },
                _ = sweep.tick() => self.resolve_quiet().await,
                _ = signals.tick() => self.raise_signals().await,
            }
        }
        // What this run stored is judged before the notifier's last pass (`once` ends here).
        self.raise_signals().await;
    }

    async fn store_one(&self, stories: &Stories, scored: Scored) {
        let Scored { article, alert } = scored;
        let working = self.progress.working(Stage::Store);
        let (feed, url, key, method) =
            (article.feed.clone(), article.url.clone(), article.key.clone(), article.method);
        let (routing, stories) = (Arc::clone(&self.routing), stories.clone());
        let outcome = self
            .store
            .blocking(move |s| {
                s.insert_article(&article, alert.as_ref(), &routing, || Some(stories.place(&article)))
            })
            .await;
        drop(working);
        let raised = match outcome {
            Ok(raised) => raised,
            Err(err) => {
                error!(feed = %feed, url = %url, key = %key, error = %chain(&err), "cannot store article; it will be retried");
                return;
            }
        };
        metrics::counter!("flashpoint_articles_processed_total", "method" => method.as_str()).increment(1);
        let Some(Raised { alert, kind, changes }) = raised else { return };
        let top = alert.matches.first().map(|m| m.term.as_str()).unwrap_or_default();
        if kind == EventKind::Created {
            metrics::counter!("flashpoint_alerts_total", "severity" => alert.severity.as_str()).increment(1);
            self.health.alert_raised(&alert.created_at);
            info!(
                alert = %alert.id,
                severity = %alert.severity,
                score = alert.score,
                outlets = alert.outlets,
                feed = %alert.feed,
                title = %alert.title,
                url = %alert.article_url,
                top_term = %top,
                "alert raised"
            );
        } else {
            let why: Vec<String> = changes.iter().map(change_text).collect();
            info!(
                alert = %alert.id,
                severity = %alert.severity,
                outlets = alert.outlets,
                articles = alert.articles,
                changes = %why.join(", "),
                url = %url,
                "alert updated"
            );
        }
        self.wakers.wake_all();
    }

    /// Resolves the alerts whose stories went quiet; an error costs a log line and waits for the
    /// next sweep.
    async fn resolve_quiet(&self) {
        let routing = Arc::clone(&self.routing);
        match self.store.blocking(move |s| s.resolve_quiet(&routing, chrono::Utc::now())).await {
            Ok(resolved) if resolved.is_empty() => {}
            Ok(resolved) => {
                for alert in &resolved {
                    info!(alert = %alert.id, outlets = alert.outlets, articles = alert.articles, title = %alert.title, "alert resolved");
                }
                self.wakers.wake_all();
            }
            Err(err) => warn!(error = %chain(&err), "cannot resolve quiet stories"),
        }
    }

    /// Raises the trend signals of the rolling day that ends now; an error costs a log line and
    /// waits for the next sweep.
    async fn raise_signals(&self) {
        let routing = Arc::clone(&self.routing);
        let detector = crate::trends::Detector::default();
        match self.store.blocking(move |s| s.raise_signals(&routing, &detector, chrono::Utc::now())).await {
            Ok(raised) if raised.is_empty() => {}
            Ok(raised) => {
                for signal in &raised {
                    info!(
                        signal = %signal.id,
                        kind = %signal.kind,
                        source = %signal.source,
                        target = %signal.target,
                        observed = signal.observed,
                        expected = signal.expected,
                        stories = signal.stories.len(),
                        headline = %signal.headline,
                        "trend signal raised"
                    );
                }
                self.wakers.wake_all();
            }
            Err(err) => warn!(error = %chain(&err), "cannot judge the trend index"),
        }
    }
}

/// A change as a log line names it: `outlets 2→3`, `severity medium→high`.
fn change_text(change: &Change) -> String {
    match change {
        Change::Outlets { from, to } => format!("outlets {from}→{to}"),
        Change::Severity { from, to } => format!("severity {from}→{to}"),
        Change::Pair { source, target } => {
            format!("pair {}→{}", source.as_deref().unwrap_or("?"), target.as_deref().unwrap_or("?"))
        }
        Change::Language { language } => format!("language {language}"),
        Change::Reopened => "reopened".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::title_of;

    #[test]
    fn a_blank_item_title_falls_back_to_the_pages() {
        let cases = [
            ("Feed title", Some("Page"), "Feed title"),
            ("  ", Some("Page  title"), "Page title"),
            ("", None, ""),
            ("", Some(" "), ""),
        ];
        for (item, page, want) in cases {
            assert_eq!(title_of(item, page), want, "{item:?} {page:?}");
        }
    }
}
