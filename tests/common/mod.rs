//! Test harness: a fixture web server and a webhook receiver on 127.0.0.1, configs built from the
//! shipped one, and the real `flashpoint` binary.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

pub mod page_seed;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Time taken before answering.
    pub delay: Duration,
    /// Extra response headers. An `etag` one makes a matching `If-None-Match` get a 304.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self { status: 200, content_type, body: body.into(), delay: Duration::ZERO, headers: Vec::new() }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            content_type: "text/plain",
            body: format!("status {status}").into_bytes(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }

    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// What the server answered.
    pub status: u16,
}

struct Inner {
    /// Replies per path, used in order; the last one stays.
    routes: Mutex<HashMap<String, Vec<Reply>>>,
    /// Replies for POSTs (status, delay before answering), consumed in order; after the last,
    /// `post_default`.
    post_script: Mutex<Vec<(u16, Duration)>>,
    post_default: Mutex<u16>,
    /// Body of every POST reply, when set; else `status N`.
    post_body: Mutex<Option<String>>,
    /// Share of unscripted POSTs answered 503, in per mille.
    post_failures: Mutex<u16>,
    seen: Mutex<Vec<Seen>>,
}

/// A web server on 127.0.0.1 serving fixture feeds and pages, and recording webhook POSTs.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl Server {
    /// A server with the Dawn-shaped fixtures of [`Server::dawn`].
    pub async fn with_dawn() -> Self {
        let server = Self::start().await;
        server.dawn();
        server
    }

    pub async fn start() -> Self {
        let inner = Arc::new(Inner {
            routes: Mutex::default(),
            post_script: Mutex::default(),
            post_default: Mutex::new(200),
            post_body: Mutex::new(None),
            post_failures: Mutex::new(0),
            seen: Mutex::default(),
        });
        let app = Router::new().fallback(handle).with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self { addr, inner }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Serves `reply` at `path`.
    pub fn route(&self, path: &str, reply: Reply) {
        self.inner.routes.lock().expect("lock").insert(path.to_string(), vec![reply]);
    }

    /// The reply at `path`, for tests that change it (a delay, a status).
    pub fn reply(&self, path: &str) -> Reply {
        self.inner
            .routes
            .lock()
            .expect("lock")
            .get(path)
            .and_then(|r| r.last().cloned())
            .expect("route exists")
    }

    /// Answers `path` after `delay` from now on.
    pub fn delay(&self, path: &str, delay: Duration) {
        let reply = Reply { delay, ..self.reply(path) };
        self.route(path, reply);
    }

    /// Serves these replies at `path` in turn; the last one stays.
    pub fn route_seq(&self, path: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.inner.routes.lock().expect("lock").insert(path.to_string(), replies);
    }

    /// Serves a fixture file at `path`, with `{{BASE}}` replaced by this server's address.
    pub fn fixture(&self, path: &str, file: &str, content_type: &'static str) {
        let bytes = std::fs::read(fixtures().join(file)).expect("fixture exists");
        let body = match String::from_utf8(bytes) {
            Ok(text) => text.replace("{{BASE}}", &self.base()).into_bytes(),
            Err(raw) => raw.into_bytes(),
        };
        self.route(path, Reply::ok(content_type, body));
    }

    /// Serves the Dawn-shaped fixtures: two feeds and five article pages.
    pub fn dawn(&self) {
        self.fixture("/feeds/pakistan", "dawn/feed.xml", "application/rss+xml; charset=utf-8");
        self.fixture("/feeds/world", "dawn/feed_world.xml", "application/rss+xml; charset=utf-8");
        let feed = std::fs::read_to_string(fixtures().join("dawn/feed.xml")).expect("feed")
            + &std::fs::read_to_string(fixtures().join("dawn/feed_world.xml")).expect("feed");
        for id in 1_900_001..=1_900_005 {
            let marker = format!("{{{{BASE}}}}/news/{id}/");
            let start = feed.find(&marker).expect("article linked from a feed") + "{{BASE}}".len();
            let path: String = feed[start..].chars().take_while(|c| !matches!(c, '?' | '#' | '<')).collect();
            self.fixture(&path, &format!("dawn/{id}.html"), "text/html; charset=utf-8");
        }
    }

    /// Answers the next POSTs with these statuses, then the default (200 unless set).
    pub fn script_posts(&self, statuses: &[u16]) {
        *self.inner.post_script.lock().expect("lock") =
            statuses.iter().map(|s| (*s, Duration::ZERO)).collect();
    }

    /// Answers the next POSTs with these statuses after these delays.
    pub fn script_posts_slow(&self, script: &[(u16, Duration)]) {
        *self.inner.post_script.lock().expect("lock") = script.to_vec();
    }

    /// Fails this share (0.0–1.0) of unscripted POSTs with 503, at random.
    pub fn fail_posts(&self, share: f64) {
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to 0..=1000")]
        let per_mille = (share.clamp(0.0, 1.0) * 1000.0).round() as u16;
        *self.inner.post_failures.lock().expect("lock") = per_mille;
    }

    /// The status POSTs get once the script is used up.
    pub fn answer_posts(&self, status: u16) {
        *self.inner.post_default.lock().expect("lock") = status;
    }

    /// Answers POSTs with this body (and the status they get otherwise).
    pub fn post_body(&self, body: impl Into<String>) {
        *self.inner.post_body.lock().expect("lock") = Some(body.into());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().expect("lock").clone()
    }

    /// Requests to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// Bodies of the POSTs to `path` that were answered 2xx, parsed as JSON.
    pub fn posts(&self, path: &str) -> Vec<serde_json::Value> {
        self.seen()
            .iter()
            .filter(|s| s.method == "POST" && s.path == path && (200..300).contains(&s.status))
            .map(|s| serde_json::from_slice(&s.body).expect("webhook body is JSON"))
            .collect()
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let (reply, delay) = if method == Method::POST {
        let (status, delay) = {
            let mut script = inner.post_script.lock().expect("lock");
            if !script.is_empty() {
                script.remove(0)
            } else if fastrand::u16(0..1000) < *inner.post_failures.lock().expect("lock") {
                (503, Duration::ZERO)
            } else {
                (*inner.post_default.lock().expect("lock"), Duration::ZERO)
            }
        };
        let mut reply = Reply::status(status);
        if let Some(body) = inner.post_body.lock().expect("lock").clone() {
            reply.body = body.into_bytes();
        }
        (reply, delay)
    } else {
        let mut reply = {
            let mut routes = inner.routes.lock().expect("lock");
            match routes.get_mut(&path) {
                Some(replies) if replies.len() > 1 => replies.remove(0),
                Some(replies) => replies[0].clone(),
                None => Reply::status(404),
            }
        };
        let etag = reply.headers.iter().find(|(n, _)| *n == "etag").map(|(_, v)| v.clone());
        let if_none_match = headers.get("if-none-match").and_then(|v| v.to_str().ok());
        if etag.is_some() && etag.as_deref() == if_none_match {
            reply = Reply { status: 304, body: Vec::new(), ..reply };
        }
        let delay = reply.delay;
        (reply, delay)
    };
    // Recorded before any delay: a client that gives up still counts as a request seen.
    let seen = Seen { method: method.to_string(), path, headers, body, status: reply.status };
    inner.seen.lock().expect("lock").push(seen);
    tokio::time::sleep(delay).await;
    let mut response = axum::http::Response::builder()
        .status(StatusCode::from_u16(reply.status).expect("status"))
        .header("content-type", reply.content_type);
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    response.body(axum::body::Body::from(reply.body)).expect("response").into_response()
}

/// An RSS feed of items without links, each titled `Item GUID`: the daemon scores each item's
/// own text.
pub fn item_feed(items: &[(&str, &str)]) -> Reply {
    let items = items.iter().fold(String::new(), |mut out, (guid, text)| {
        let _ = write!(
            out,
            "<item><title>Item {guid}</title><guid>{guid}</guid><description>{text}</description></item>"
        );
        out
    });
    Reply::ok(
        "application/rss+xml",
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
    )
}

/// A test config: the shipped one (lexicon, thresholds, site rules) with feeds, storage, site
/// rules for 127.0.0.1 and webhooks replaced, then `extra` (TOML) merged over it, written to
/// `dir/flashpoint.toml`.
pub struct TestConfig {
    pub path: PathBuf,
    pub db: PathBuf,
    /// How many feeds it watches.
    pub feeds: usize,
    /// The directory it lives in, when it is its own.
    own_dir: Option<tempfile::TempDir>,
}

impl TestConfig {
    /// [`write_config`] into a temporary directory of its own, removed when this is dropped.
    pub fn new(feeds: &[(&str, String)], webhooks: &[String], extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), feeds, webhooks, extra);
        Self { own_dir: Some(dir), ..config }
    }

    /// The directory of the config, the database and the daemon's log.
    pub fn dir(&self) -> &Path {
        self.path.parent().expect("the config is in a directory")
    }

    /// When a feed was last polled, as recorded in the database ("" before any poll): a mark
    /// that [`TestConfig::caught_up`] measures later polls against.
    pub fn poll_mark(&self) -> String {
        let Ok(conn) = rusqlite::Connection::open(&self.db) else { return String::new() };
        conn.query_row("SELECT max(last_polled_at) FROM feeds", [], |r| r.get::<_, Option<String>>(0))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Every feed has been polled successfully after `mark` and every item those polls found has
    /// been dealt with: the inbox, which a poll fills in the transaction that records it and
    /// which each stored article leaves, is empty. (An item whose page fetch failed stays.)
    pub fn caught_up(&self, mark: &str) -> bool {
        let polled = format!("SELECT count(*) FROM feeds WHERE last_success_at > '{mark}'");
        usize::try_from(count_now(&self.db, &polled)).is_ok_and(|n| n == self.feeds)
            && count_now(&self.db, "SELECT count(*) FROM inbox") == 0
    }

    /// [`TestConfig::caught_up`], and nothing is pending in the outbox: every alert delivered or
    /// dead-lettered. Until a feed falls due again, the daemon has nothing left to do.
    pub fn settled(&self, mark: &str) -> bool {
        self.caught_up(mark) && self.pending_deliveries() == 0
    }

    /// Outbox rows still waiting to be delivered.
    pub fn pending_deliveries(&self) -> i64 {
        count_now(&self.db, "SELECT count(*) FROM deliveries WHERE state = 'pending'")
    }

    /// Outbox rows in `state`.
    pub fn deliveries(&self, state: &str) -> i64 {
        count_now(&self.db, &format!("SELECT count(*) FROM deliveries WHERE state = '{state}'"))
    }
}

/// The shipped config.
pub fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flashpoint.toml")
}

pub fn write_config(dir: &Path, feeds: &[(&str, String)], webhooks: &[String], extra: &str) -> TestConfig {
    let shipped = std::fs::read_to_string(shipped()).expect("shipped config");
    let mut table: toml::Table = shipped.parse().expect("shipped config is TOML");
    let db = dir.join("flashpoint.db");
    table.insert("storage".into(), toml::Value::Table(toml::toml! { path = (db.display().to_string()) }));
    let fetch = table.get_mut("fetch").and_then(toml::Value::as_table_mut).expect("[fetch]");
    fetch.insert("allow_private".into(), toml::Value::Boolean(true));
    fetch.insert("timeout".into(), toml::Value::String("5s".into()));
    // Every fixture lives on 127.0.0.1: politeness would only slow the tests down (it has its own).
    fetch.insert("per_host_interval".into(), toml::Value::String("0ms".into()));
    fetch.insert("per_host_concurrency".into(), toml::Value::Integer(16));
    table.insert(
        "feeds_defaults".into(),
        toml::Value::Table(toml::toml! { interval = "1h" startup_spread = "0s" }),
    );
    let feeds: Vec<toml::Value> = feeds
        .iter()
        .map(|(name, url)| toml::Value::Table(toml::toml! { name = (*name) url = (url.clone()) }))
        .collect();
    table.insert("feeds".into(), toml::Value::Array(feeds));
    let sites = table.get_mut("sites").and_then(toml::Value::as_table_mut).expect("[sites]");
    let dawn = sites.get("dawn.com").cloned().expect("dawn rule");
    sites.insert("127.0.0.1".into(), dawn);
    let hooks: Vec<toml::Value> = webhooks
        .iter()
        .enumerate()
        .map(|(i, url)| toml::Value::Table(toml::toml! { url = (url.clone()) name = (format!("hook{i}")) }))
        .collect();
    table.insert("webhooks".into(), toml::Value::Array(hooks));
    merge(&mut table, extra.parse().expect("extra config is TOML"));
    let feeds = table.get("feeds").and_then(toml::Value::as_array).map_or(0, Vec::len);
    let path = dir.join("flashpoint.toml");
    std::fs::write(&path, toml::to_string(&table).expect("serialize")).expect("write config");
    TestConfig { path, db, feeds, own_dir: None }
}

/// Deep-merges `over` into `base`: tables merge, arrays of tables append, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (Some(toml::Value::Array(b)), toml::Value::Array(o)) => b.extend(o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// The real binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flashpoint")
}

/// `flashpoint --config CONFIG`, logging at info, blind to the caller's `FLASHPOINT_CONFIG`,
/// killed if the test drops it.
fn command(config: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(binary());
    cmd.arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .env_remove("FLASHPOINT_CONFIG")
        .kill_on_drop(true);
    cmd
}

/// Runs `flashpoint --config CONFIG ARGS…` to completion.
pub async fn flashpoint(config: &Path, args: &[&str]) -> Output {
    command(config).args(args).output().await.expect("run flashpoint")
}

/// Runs `flashpoint --config CONFIG once`, which must succeed; its log.
pub async fn once(config: &Path) -> String {
    let out = flashpoint(config, &["once"]).await;
    let log = stderr(&out);
    assert!(out.status.success(), "once failed: {log}");
    log
}

/// The text of each element `selector` matches in `doc`, whitespace collapsed, leaving out short
/// ones (a menu's "Home" may well occur in a story).
pub fn texts(doc: &scraper::Html, selector: &str) -> Vec<String> {
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| t.len() > 20)
        .collect()
}

/// Polls `done` until it holds; panics naming `what` once `timeout` has passed without it.
pub async fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    wait_until_async(timeout, what, || std::future::ready(done())).await;
}

/// [`wait_until`] for a condition that must await something (an HTTP request).
pub async fn wait_until_async<F, Fut>(timeout: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `n` seconds, for timeouts.
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A signal the tests send the daemon.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// Reload the scoring rules.
    Hup,
    /// Stop: finish the work in hand, then exit 0.
    Term,
    /// Die now, finishing nothing.
    Kill,
}

/// A running `flashpoint run`, killed when dropped. Its log (stderr) goes to `daemon.log` beside
/// the config, appended to by every daemon started there.
pub struct Daemon {
    child: tokio::process::Child,
    log: PathBuf,
}

impl Daemon {
    pub fn start(config: &Path) -> Self {
        Self::start_with_env(config, &[])
    }

    /// Starts the daemon with these extra environment variables.
    pub fn start_with_env(config: &Path, env: &[(&str, String)]) -> Self {
        let log = config.with_file_name("daemon.log");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("open daemon log");
        let mut cmd = command(config);
        cmd.arg("run").envs(env.iter().map(|(k, v)| (k, v))).stderr(file);
        Self { child: cmd.spawn().expect("spawn daemon"), log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// What the daemons started beside this config have logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: Signal) {
        let name = match signal {
            Signal::Hup => "-HUP",
            Signal::Term => "-TERM",
            Signal::Kill => "-KILL",
        };
        let pid = self.pid().to_string();
        let status = std::process::Command::new("kill").args([name, &pid]).status().expect("kill");
        assert!(status.success(), "kill {name} {pid}");
    }

    /// Waits for the process to exit (after a signal sent earlier); its exit code.
    pub async fn exited(mut self) -> Option<i32> {
        tokio::time::timeout(secs(20), self.child.wait())
            .await
            .expect("exits within 20 s")
            .expect("wait")
            .code()
    }

    /// SIGTERM, then the exit code.
    pub async fn stop(self) -> Option<i32> {
        self.signal(Signal::Term);
        self.exited().await
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn kill(mut self) {
        self.signal(Signal::Kill);
        let _ = self.child.wait().await;
    }
}

/// Threats of eight different events (actors, places, wording), so each is a story of its own.
const THREATS: [(&str, &str); 8] = [
    (
        "India warns Pakistan of punitive strikes after Poonch ambush",
        "Indian army chief General Manoj Pande said on Friday that India will strike terrorist launch pads across the Line of Control if infiltration from Pakistan continues. Troops in Poonch and Rajouri were placed on high alert after the ambush killed four soldiers, and New Delhi summoned Pakistan's envoy to lodge a protest.",
    ),
    (
        "Iran vows to hit Israeli bases after Damascus drone attack",
        "Iran's Revolutionary Guards warned on Sunday that Tehran would launch missiles at Israeli military bases in retaliation for the drone attack in Damascus that killed two advisers. A Guards commander told state television that the response would be crushing and that missile units had been mobilised.",
    ),
    (
        "North Korea threatens Seoul with artillery barrage over border drills",
        "North Korea said its artillery units would shell South Korean positions near the Demilitarized Zone if Seoul went ahead with live-fire drills on Yeonpyeong island. Pyongyang's state news agency KCNA carried the warning from the Korean People's Army general staff late on Tuesday.",
    ),
    (
        "Russia vows massive missile strikes on Kyiv after drone raid on Belgorod",
        "Russian troops shelled Kharkiv overnight and Moscow warned that its forces will strike command centres in Kyiv after Ukrainian drones attacked an ammunition depot in Belgorod. The Russian defence ministry said air defence units shot down eleven drones and that the army would retaliate with massive missile strikes.",
    ),
    (
        "China warns Taiwan of military action as warships circle island",
        "Beijing's Eastern Theatre Command sent warships and fighter jets around Taiwan on Thursday and warned that the People's Liberation Army would crush any move towards independence. China's defence ministry said troops were ready to fight, and Taipei put its coast guard on alert in the Taiwan Strait.",
    ),
    (
        "Azerbaijan threatens Armenia with offensive along Syunik frontier",
        "Azerbaijan's defence ministry accused Armenia of shelling its positions near Zangilan and warned that Baku's army would launch a counter-offensive into Syunik province. Yerevan denied firing first and said Azerbaijani troops had massed tanks and artillery on the frontier overnight.",
    ),
    (
        "Myanmar junta threatens air strikes on Arakan Army positions near Sittwe",
        "Myanmar's military government warned the Arakan Army that its air force would bomb rebel positions around Sittwe unless the insurgents withdrew from Rakhine state townships. Fighter jets attacked villages near Kyauktaw on Saturday, and the rebels said they had shot down a helicopter and captured an army battalion headquarters.",
    ),
    (
        "Serbia puts army on alert and warns Kosovo over northern clashes",
        "President Aleksandar Vucic ordered the Serbian army to the highest level of combat readiness and warned Pristina that Serbia would send troops into northern Kosovo if ethnic Serbs were attacked. Kosovo police said gunmen had fired on a patrol near Zvecan on Monday night.",
    ),
];

/// An RSS feed of `n` generated articles at `/gen/feed`, each page at `/gen/N` carrying a threat
/// (`threats` of them) or a weather report; returns how many alerts it should raise.
pub fn generated_site(server: &Server, n: usize, threats: usize) {
    let mut items = String::new();
    for i in 0..n {
        let threat = i < threats;
        let (title, body) = if threat {
            let (title, text) = THREATS[i % THREATS.len()];
            (title.to_string(), format!("<p>{text}</p>"))
        } else {
            (
                format!("Weather report {i}"),
                format!(
                    "<p>Forecast number {i}: light rain is expected in the north of the country on Saturday, with \
                     temperatures falling by a few degrees, the meteorological office said.</p>\
                     <p>Farmers welcomed the rain after a dry month, and officials said reservoirs were filling.</p>"
                ),
            )
        };
        server.route(
            &format!("/gen/{i}"),
            Reply::ok(
                "text/html; charset=utf-8",
                format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"),
            ),
        );
        let _ = write!(
            items,
            "<item><title>{title}</title><link>{}/gen/{i}</link><guid>gen-{i}</guid></item>",
            server.base()
        );
    }
    server.route(
        "/gen/feed",
        Reply::ok(
            "application/rss+xml",
            format!("<rss version=\"2.0\"><channel><title>gen</title>{items}</channel></rss>"),
        ),
    );
}

/// Rows of a query on the test database.
pub fn query(db: &Path, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// A count that is 0 while the database or its tables do not exist yet (a daemon starting).
pub fn count_now(db: &Path, sql: &str) -> i64 {
    let Ok(conn) = rusqlite::Connection::open(db) else { return 0 };
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

pub fn count(db: &Path, sql: &str) -> i64 {
    match query(db, sql).first().and_then(|r| r.first()) {
        Some(rusqlite::types::Value::Integer(n)) => *n,
        other => panic!("not a count: {other:?}"),
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The receiver's own check of a Standard Webhooks signature.
pub fn verify(secret: &[u8], seen: &Seen) -> bool {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    let header =
        |name: &str| seen.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let signed = format!(
        "{}.{}.{}",
        header("webhook-id"),
        header("webhook-timestamp"),
        String::from_utf8_lossy(&seen.body)
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
    mac.update(signed.as_bytes());
    let expected =
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    header("webhook-signature").split(' ').any(|sig| sig == expected)
}

/// An RSS feed of linkless items `(guid, title, text)`: the daemon stores each item's own text.
pub fn linkless_feed(items: &[(&str, &str, &str)]) -> Reply {
    let items = items.iter().fold(String::new(), |mut out, (guid, title, text)| {
        let _ = write!(
            out,
            "<item><title>{title}</title><guid>{guid}</guid><description>{text}</description></item>"
        );
        out
    });
    Reply::ok(
        "application/rss+xml",
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
    )
}
