//! The loopback server: feeds and pages on hosts 127.0.0.1 … 127.0.0.H with a set delay per
//! request, and the webhook receiver that timestamps each alert's arrival.

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
use super::pages::{Pool, xml_escape};

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
}

impl Site {
    pub(crate) async fn start(o: &Options, pool: Pool) -> Arc<Self> {
        let mut listeners = Vec::new();
        for h in 0..o.hosts {
            let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(h + 1).expect("at most 254 hosts"));
            let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
                .await
                .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
            listeners.push(listener);
        }
        let bases = listeners.iter().map(|l| format!("http://{}", l.local_addr().expect("addr"))).collect();
        let site = Arc::new(Self {
            pool,
            feeds: o.feeds,
            items: o.items,
            bases,
            delay: o.delay,
            served: Mutex::new(vec![None; o.feeds * o.items]),
            feeds_ok: AtomicU64::new(0),
            feeds_not_modified: AtomicU64::new(0),
            pages: AtomicU64::new(0),
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
        format!("{}/a/{article}", self.bases[(article / self.items) % self.bases.len()])
    }

    pub(crate) fn articles(&self) -> usize {
        self.feeds * self.items
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
        for k in feed * self.items..(feed + 1) * self.items {
            let page = self.pool.page(k);
            let url = self.article_url(k);
            let minutes = k % 1440;
            let _ = writeln!(
                rss,
                "<item><title>{}</title><link>{url}</link><guid isPermaLink=\"true\">{url}</guid>\
                 <pubDate>Fri, 27 Nov 2026 {:02}:{:02}:00 +0000</pubDate><description>{}</description></item>",
                xml_escape(&page.headline),
                minutes / 60,
                minutes % 60,
                xml_escape(&page.summary)
            );
        }
        rss.push_str("</channel></rss>\n");
        rss
    }

    pub(crate) fn page(&self, article: usize) -> Vec<u8> {
        let page = self.pool.page(article);
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
        let etag = format!("\"feed-{feed}\"");
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
