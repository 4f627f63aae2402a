//! The loopback server: feeds and pages on hosts 127.0.0.1 … 127.0.0.H with a set delay per
//! request, and the webhook receiver that timestamps each alert's arrival. For a soak the feeds
//! are live: new items appear at a set rate, each a page of its own.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::Options;
use super::pages::{Page, Pool, event_page, xml_escape};

/// Live feeds: article `k` belongs to feed `k % feeds`; the first `feeds × items` are there from
/// the start, the rest are published one after another at `rate` a second from `start` on.
/// Each feed lists its latest `LIVE_ITEMS`.
pub(crate) struct Live {
    pub(crate) start: Instant,
    pub(crate) rate: f64,
}

/// Items a live feed lists: the latest ones, as a real feed does.
const LIVE_ITEMS: usize = 10;

/// Feeds and pages on hosts 127.0.0.1 … 127.0.0.H: feed `f` and its articles live on host
/// `f % H`. Feeds carry an `ETag` and answer a matching `If-None-Match` with 304.
pub(crate) struct Site {
    pub(crate) pool: Pool,
    pub(crate) feeds: usize,
    pub(crate) items: usize,
    /// `http://127.0.0.N:PORT` of each host.
    pub(crate) bases: Vec<String>,
    pub(crate) delay: Duration,
    /// When each article's page was last served, for alert latency.
    pub(crate) served: Mutex<Vec<Option<Instant>>>,
    pub(crate) feeds_ok: AtomicU64,
    pub(crate) feeds_not_modified: AtomicU64,
    pub(crate) pages: AtomicU64,
    /// New items appearing over time (`--soak`); fixed feeds otherwise.
    pub(crate) live: Option<Live>,
    /// When each feed was last asked for (live feeds): the gaps between polls.
    pub(crate) last_poll: Mutex<Vec<Option<Instant>>>,
    pub(crate) poll_gaps: Mutex<Vec<Duration>>,
}

impl Site {
    pub(crate) async fn start(o: &Options, pool: Pool, live: Option<Live>) -> Arc<Self> {
        let mut listeners = Vec::new();
        for h in 0..o.hosts {
            let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(h + 1).expect("at most 254 hosts"));
            let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
                .await
                .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
            listeners.push(listener);
        }
        let bases = listeners.iter().map(|l| format!("http://{}", l.local_addr().expect("addr"))).collect();
        // Live feeds publish for the soak and a margin; later items are not published.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a positive count")]
        let published =
            live.as_ref().map_or(0, |l| (l.rate * (o.soak_window.as_secs_f64() + 3600.0)).ceil() as usize);
        let site = Arc::new(Self {
            pool,
            feeds: o.feeds,
            items: o.items,
            bases,
            delay: o.delay,
            served: Mutex::new(vec![None; o.feeds * o.items + published]),
            feeds_ok: AtomicU64::new(0),
            feeds_not_modified: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            live,
            last_poll: Mutex::new(vec![None; o.feeds]),
            poll_gaps: Mutex::default(),
        });
        for listener in listeners {
            let app = Router::new().fallback(serve_site).with_state(Arc::clone(&site));
            tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        }
        site
    }

    pub(crate) fn feed_url(&self, feed: usize) -> String {
        format!("{}/feed/{feed}.xml", self.bases[feed % self.bases.len()])
    }

    pub(crate) fn article_url(&self, article: usize) -> String {
        format!("{}/a/{article}", self.bases[self.feed_of(article) % self.bases.len()])
    }

    fn feed_of(&self, article: usize) -> usize {
        if self.live.is_some() { article % self.feeds } else { article / self.items }
    }

    /// Articles published so far: all of them for fixed feeds.
    pub(crate) fn articles(&self) -> usize {
        let initial = self.feeds * self.items;
        let Some(live) = &self.live else { return initial };
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a positive count")]
        let new = (live.start.elapsed().as_secs_f64() * live.rate) as usize;
        (initial + new).min(self.served.lock().expect("lock").len())
    }

    /// The articles feed `feed` lists now, oldest first.
    fn items_of(&self, feed: usize) -> Vec<usize> {
        if self.live.is_none() {
            return (feed * self.items..(feed + 1) * self.items).collect();
        }
        let published = self.articles();
        let count = published.saturating_sub(feed).div_ceil(self.feeds);
        (count.saturating_sub(LIVE_ITEMS)..count).map(|i| feed + i * self.feeds).collect()
    }

    /// The page of `article`: from the pool, or made for it when the feeds are live.
    pub(crate) fn page_of(&self, article: usize) -> Cow<'_, Page> {
        if self.live.is_some() {
            Cow::Owned(event_page(article))
        } else {
            Cow::Borrowed(self.pool.page(article))
        }
    }

    /// When live article `k` was published, for its feed's `pubDate`: the initial ones an hour
    /// before the start.
    fn published_at(&self, article: usize) -> chrono::DateTime<chrono::Utc> {
        let now = chrono::Utc::now();
        let Some(live) = &self.live else { return now };
        let since_start = chrono::TimeDelta::from_std(live.start.elapsed()).unwrap_or_default();
        let initial = self.feeds * self.items;
        let at = if article < initial {
            -chrono::TimeDelta::hours(1)
        } else {
            #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            let secs = (article - initial) as f64 / live.rate;
            chrono::TimeDelta::from_std(Duration::from_secs_f64(secs)).unwrap_or_default()
        };
        now - since_start + at
    }

    /// The feed's validator: fixed feeds never change, a live one with each new item.
    fn etag(&self, feed: usize) -> String {
        match self.live {
            Some(_) => format!("\"feed-{feed}-{}\"", self.items_of(feed).last().map_or(0, |k| k + 1)),
            None => format!("\"feed-{feed}\""),
        }
    }

    /// Records a poll of `feed` and the gap since its previous one.
    fn polled(&self, feed: usize) {
        if self.live.is_none() {
            return;
        }
        let now = Instant::now();
        let previous = self.last_poll.lock().expect("lock")[feed].replace(now);
        if let Some(previous) = previous {
            self.poll_gaps.lock().expect("lock").push(now - previous);
        }
    }

    /// Alerts a correct pipeline raises, when the pages are generated.
    pub(crate) fn expected_alerts(&self) -> Option<usize> {
        self.pool.generated.then(|| (0..self.articles()).filter(|k| self.pool.page(*k).threat).count())
    }

    pub(crate) fn reset(&self) {
        self.served.lock().expect("lock").fill(None);
        for counter in [&self.feeds_ok, &self.feeds_not_modified, &self.pages] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn feed(&self, feed: usize) -> String {
        let mut rss = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Feed {feed}</title>\
             <link>{}/</link><description>Generated feed {feed}</description>\n",
            self.bases[feed % self.bases.len()]
        );
        for k in self.items_of(feed).into_iter().rev() {
            let page = self.page_of(k);
            let url = self.article_url(k);
            let date = if self.live.is_some() {
                self.published_at(k).to_rfc2822()
            } else {
                let minutes = k % 1440;
                format!("Fri, 27 Nov 2026 {:02}:{:02}:00 +0000", minutes / 60, minutes % 60)
            };
            let _ = writeln!(
                rss,
                "<item><title>{}</title><link>{url}</link><guid isPermaLink=\"true\">{url}</guid>\
                 <pubDate>{date}</pubDate><description>{}</description></item>",
                xml_escape(&page.headline),
                xml_escape(&page.summary)
            );
        }
        rss.push_str("</channel></rss>\n");
        rss
    }

    pub(crate) fn page(&self, article: usize) -> Vec<u8> {
        let page = self.page_of(article);
        if let Some(raw) = &page.raw {
            return raw.to_vec();
        }
        let url = self.article_url(article);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
             <link rel=\"canonical\" href=\"{url}\">\n<meta property=\"og:url\" content=\"{url}\">\n{}",
            page.headline, page.tail
        )
        .into_bytes()
    }
}

pub(crate) async fn serve_site(State(site): State<Arc<Site>>, uri: Uri, headers: HeaderMap) -> Response {
    tokio::time::sleep(site.delay).await;
    let path = uri.path();
    if path == "/robots.txt" {
        return ([(header::CONTENT_TYPE, "text/plain")], "User-agent: *\nAllow: /\n").into_response();
    }
    if let Some(feed) =
        path.strip_prefix("/feed/").and_then(|f| f.strip_suffix(".xml")?.parse::<usize>().ok())
        && feed < site.feeds
    {
        site.polled(feed);
        let etag = site.etag(feed);
        if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
            site.feeds_not_modified.fetch_add(1, Ordering::Relaxed);
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
        site.feeds_ok.fetch_add(1, Ordering::Relaxed);
        let content_type = "application/rss+xml; charset=utf-8";
        return ([(header::CONTENT_TYPE, content_type), (header::ETAG, &etag)], site.feed(feed))
            .into_response();
    }
    if let Some(article) = path.strip_prefix("/a/").and_then(|a| a.parse::<usize>().ok())
        && article < site.articles()
    {
        let body = site.page(article);
        site.pages.fetch_add(1, Ordering::Relaxed);
        site.served.lock().expect("lock")[article] = Some(Instant::now());
        return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// A webhook receiver on 127.0.0.1: when each alert arrived, by article URL.
pub(crate) struct Hook {
    pub(crate) url: String,
    pub(crate) arrived: Mutex<Vec<(Instant, String)>>,
}

impl Hook {
    pub(crate) async fn start() -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let hook = Arc::new(Self { url, arrived: Mutex::default() });
        let app = Router::new().fallback(receive).with_state(Arc::clone(&hook));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        hook
    }
}

pub(crate) async fn receive(State(hook): State<Arc<Hook>>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else { return StatusCode::BAD_REQUEST };
    let url = json["article"]["url"].as_str().unwrap_or_default().to_string();
    hook.arrived.lock().expect("lock").push((at, url));
    StatusCode::OK
}
