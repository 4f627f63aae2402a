//! The page (`[http] listen`, next to `/metrics` and `/healthz`): alerts, one alert's whole
//! explanation, trends and feed health, rendered on the server from compile-time templates and
//! readable without JavaScript; htmx refreshes the lists and records verdicts in place, uPlot
//! draws the trend charts. Both are vendored and served from the binary: the page makes no
//! request beyond its own origin.
//!
//! Handlers are thin: each runs one of [`Page`]'s blocking renderers on a blocking thread, over
//! its own database connection, so a page view never waits on (or holds up) the pipeline's
//! writer. The renderers read the store and hand plain data to the pure views in [`views`].
//!
//! Security: off loopback a token is required (`http.token_file`; config refuses to start
//! without it), given as a bearer header or once to a login form that sets a session cookie.
//! The verdict buttons POST with a CSRF token. Every response carries a Content-Security-Policy
//! that allows only this origin's scripts and styles, none inline.

mod assets;
mod auth;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use tracing::error;

pub use assets::asset_bytes;
pub use auth::{Token, TokenError};

use crate::feed::{Feed, schedule};
use crate::store::{Recorded, Store, StoreError};
use crate::trends::{Detector, Index, Story, TrendsError};
use crate::types::Verdict;
use auth::{Access, SESSION_COOKIE};
use views::{
    AlertList, AlertPage, AlertParams, AlertsPage, CardView, FeedRow, FeedRows, FeedTable, FeedsPage,
};

/// Articles of a feed whose extraction methods `/feeds` counts.
const EXTRACTION_SAMPLE: usize = 50;

/// The policy of every response: this origin's scripts, styles and requests only, nothing
/// inline, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot read the database")]
    Store(#[from] StoreError),
    #[error("cannot render the page")]
    Render(#[from] askama::Error),
    #[error("cannot build the trend index")]
    Trends(#[from] TrendsError),
    #[error(transparent)]
    Filter(#[from] views::BadFilter),
    #[error("no alert has the id {0:?}")]
    NoAlert(String),
    #[error("the verdict {0:?} is neither useful nor noise")]
    BadVerdict(String),
    #[error("the form's CSRF token is missing or stale: reload the page and try again")]
    Csrf,
    #[error("page task failed")]
    Join(#[source] tokio::task::JoinError),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Store(_) | Self::Render(_) | Self::Trends(_) | Self::Join(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Filter(_) | Self::BadVerdict(_) => StatusCode::BAD_REQUEST,
            Self::NoAlert(_) => StatusCode::NOT_FOUND,
            Self::Csrf => StatusCode::FORBIDDEN,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            error!(error = %crate::types::chain(&self), "page failed");
        }
        let page = views::ErrorPage { status: status.as_u16(), message: self.to_string() };
        match askama::Template::render(&page) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
        }
    }
}

/// The page's data and access rules; clones share them.
#[derive(Debug, Clone)]
pub struct Page {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// A connection of its own: page views never queue behind the pipeline's writes.
    store: Store,
    /// The configured feeds, for `/feeds` and the feed filter.
    feeds: Vec<Feed>,
    /// Poll interval bounds, for the backoff `/feeds` shows.
    bounds: schedule::Bounds,
    access: Access,
}

impl Page {
    /// The page over `store` (best a connection of its own), for the configured `feeds`;
    /// `token` is asked for when given.
    #[must_use]
    pub fn new(store: Store, feeds: Vec<Feed>, bounds: schedule::Bounds, token: Option<Token>) -> Self {
        Self { inner: Arc::new(Inner { store, feeds, bounds, access: Access::new(token) }) }
    }

    fn csrf(&self) -> String {
        self.inner.access.csrf()
    }

    /// `/` (or, with `list_only`, the list of cards alone): the alerts `params` select.
    ///
    /// # Errors
    /// [`WebError::Filter`] for a filter value the page does not offer; the store's.
    pub fn alerts_html(&self, params: &AlertParams, list_only: bool) -> Result<String, WebError> {
        let store = &self.inner.store;
        let query = params.query(Utc::now())?;
        let cards = store.alert_cards(&query)?.iter().map(CardView::of).collect();
        let qs = params.query_string();
        let back = if qs.is_empty() { "/".to_string() } else { format!("/?{qs}") };
        let list_url = if qs.is_empty() { "/alerts/list".to_string() } else { format!("/alerts/list?{qs}") };
        let list = views::ListView { cards, list_url, back, csrf: self.csrf() };
        if list_only {
            return Ok(askama::Template::render(&AlertList { list })?);
        }
        let feeds: Vec<String> = self.inner.feeds.iter().map(|f| f.name.clone()).collect();
        let filters = params.filters(&feeds, &store.trend_pairs()?);
        Ok(askama::Template::render(&AlertsPage { filters, list })?)
    }

    /// `/alerts/{id}`.
    ///
    /// # Errors
    /// [`WebError::NoAlert`]; the store's.
    pub fn alert_html(&self, id: &str) -> Result<String, WebError> {
        let store = &self.inner.store;
        let card = store.alert_card(id)?.ok_or_else(|| WebError::NoAlert(id.to_string()))?;
        let articles = store.story(id)?.map(|(_, articles)| articles).unwrap_or_default();
        let deliveries = store.alert_deliveries(id)?;
        Ok(askama::Template::render(&AlertPage::of(&card, &articles, &deliveries, self.csrf()))?)
    }

    /// `/trends`.
    ///
    /// # Errors
    /// The store's, or a stored part the index refuses.
    pub fn trends_html(&self) -> Result<String, WebError> {
        let mut index = Index::pairs_only();
        for count in &self.inner.store.trend_counts()? {
            let story = Story {
                date: count.date,
                source: &count.source,
                target: &count.target,
                rung: count.rung,
                outlets: count.outlets,
            };
            for _ in 0..count.stories {
                index.add(&story)?;
            }
        }
        let page = views::TrendsPage::of(&index.pairs(), &Detector::default(), Utc::now().date_naive());
        Ok(askama::Template::render(&page)?)
    }

    /// Page `page` (from 1) of `/feeds` (or, with `rows_only`, the table's rows alone).
    ///
    /// # Errors
    /// The store's.
    pub fn feeds_html(&self, page: usize, rows_only: bool) -> Result<String, WebError> {
        let Inner { store, feeds, bounds, .. } = &*self.inner;
        let report = crate::feed::health::report(store, feeds, Utc::now())?;
        let intervals: HashMap<&str, std::time::Duration> =
            feeds.iter().map(|f| (f.url.as_str(), f.interval)).collect();
        let table = FeedTable::page(report, page, |health| {
            let extraction = store.feed_extraction(&health.name, EXTRACTION_SAMPLE)?;
            let failures = health.consecutive_failures;
            let interval = intervals.get(health.url.as_str()).copied().unwrap_or_default();
            let backoff =
                (failures > 0).then(|| schedule::next_delay(interval, failures, None, *bounds, 0.5));
            let polls = store.polls(&health.url)?;
            Ok::<_, StoreError>(FeedRow::of(health, &polls, &extraction, backoff))
        })?;
        if rows_only {
            return Ok(askama::Template::render(&FeedRows { table })?);
        }
        Ok(askama::Template::render(&FeedsPage { table })?)
    }

    /// Records `verdict` on alert `id` (as `flashpoint label` does) and returns its card.
    ///
    /// # Errors
    /// [`WebError::NoAlert`]; the store's.
    pub fn record_verdict(&self, id: &str, verdict: Verdict) -> Result<CardView, WebError> {
        let store = &self.inner.store;
        if store.label(id, verdict, None)? == Recorded::NoSuchAlert {
            return Err(WebError::NoAlert(id.to_string()));
        }
        let card = store.alert_card(id)?.ok_or_else(|| WebError::NoAlert(id.to_string()))?;
        Ok(CardView::of(&card))
    }

    /// Runs `f` on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Page) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let page = self.clone();
        tokio::task::spawn_blocking(move || f(&page)).await.map_err(WebError::Join)?
    }

    /// The page's routes, ready to merge with the listener's others.
    pub fn router(self) -> Router {
        let guarded = Router::new()
            .route("/", get(alerts))
            .route("/alerts/list", get(alert_list))
            .route("/alerts/{id}", get(alert))
            .route("/alerts/{id}/verdict", axum::routing::post(verdict))
            .route("/trends", get(trends))
            .route("/feeds", get(feeds))
            .route("/feeds/rows", get(feed_rows))
            .route_layer(middleware::from_fn_with_state(self.clone(), require_access));
        Router::new()
            .merge(guarded)
            .route("/login", get(login_form).post(login))
            .route("/assets/{name}", get(assets::asset))
            .layer(middleware::map_response(security_headers))
            .with_state(self)
    }
}

type Page200 = Result<Html<String>, WebError>;

async fn alerts(State(page): State<Page>, Query(params): Query<AlertParams>) -> Page200 {
    page.blocking(move |p| p.alerts_html(&params, false)).await.map(Html)
}

async fn alert_list(State(page): State<Page>, Query(params): Query<AlertParams>) -> Page200 {
    page.blocking(move |p| p.alerts_html(&params, true)).await.map(Html)
}

async fn alert(State(page): State<Page>, Path(id): Path<String>) -> Page200 {
    page.blocking(move |p| p.alert_html(&id)).await.map(Html)
}

async fn trends(State(page): State<Page>) -> Page200 {
    page.blocking(Page::trends_html).await.map(Html)
}

/// Which page of `/feeds`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct FeedsParams {
    page: usize,
}

async fn feeds(State(page): State<Page>, Query(params): Query<FeedsParams>) -> Page200 {
    page.blocking(move |p| p.feeds_html(params.page, false)).await.map(Html)
}

async fn feed_rows(State(page): State<Page>, Query(params): Query<FeedsParams>) -> Page200 {
    page.blocking(move |p| p.feeds_html(params.page, true)).await.map(Html)
}

/// The verdict form.
#[derive(Debug, serde::Deserialize)]
struct VerdictForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    csrf: String,
    /// Where to return without JavaScript.
    #[serde(default)]
    back: String,
}

async fn verdict(
    State(page): State<Page>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<VerdictForm>,
) -> Result<Response, WebError> {
    if !page.inner.access.csrf_ok(&form.csrf) {
        return Err(WebError::Csrf);
    }
    let verdict = Verdict::parse(&form.verdict).ok_or_else(|| WebError::BadVerdict(form.verdict.clone()))?;
    let card = page.blocking(move |p| p.record_verdict(&id, verdict)).await?;
    if headers.contains_key("hx-request") {
        let csrf = page.csrf();
        let html =
            askama::Template::render(&views::VerdictForm { card: &card, back: &form.back, csrf: &csrf })?;
        return Ok(Html(html).into_response());
    }
    Ok(Redirect::to(local_path(&form.back)).into_response())
}

/// `back` when it is a path of this site, else `/`: a form must not send anyone elsewhere.
fn local_path(back: &str) -> &str {
    let local = back.starts_with('/') && !back.starts_with("//") && !back.contains(['\\', '\r', '\n']);
    if local { back } else { "/" }
}

/// Lets a request through when the page admits it; answers the login form (401) otherwise.
async fn require_access(State(page): State<Page>, request: Request, next: Next) -> Response {
    if page.inner.access.admits(request.headers()) {
        return next.run(request).await;
    }
    login_page(StatusCode::UNAUTHORIZED, false)
}

fn login_page(status: StatusCode, failed: bool) -> Response {
    match askama::Template::render(&views::LoginPage { failed }) {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Err(err) => WebError::from(err).into_response(),
    }
}

async fn login_form(State(page): State<Page>) -> Response {
    if !page.inner.access.guarded() {
        return Redirect::to("/").into_response();
    }
    login_page(StatusCode::OK, false)
}

#[derive(Debug, serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

async fn login(State(page): State<Page>, Form(form): Form<LoginForm>) -> Response {
    let access = &page.inner.access;
    if !access.guarded() {
        return Redirect::to("/").into_response();
    }
    if !access.token_ok(form.token.trim()) {
        return login_page(StatusCode::UNAUTHORIZED, true);
    }
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", access.session());
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The headers of every page response: the policy, no sniffing, no referrer, no framing, and
/// no caching of pages (assets set their own).
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn a_form_returns_only_to_this_site() {
        let cases = [
            ("/", "/"),
            ("/?severity=high", "/?severity=high"),
            ("/alerts/sty_1", "/alerts/sty_1"),
            ("", "/"),
            ("https://evil.example/", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
        ];
        for (back, want) in cases {
            assert_eq!(local_path(back), want, "{back:?}");
        }
    }
}
