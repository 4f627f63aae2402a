//! The page's handlers over a real listener on 127.0.0.1 and a real database: every route's
//! status and headers, escaping, filters, the CSRF and token refusals, and the page's weight.

mod common;

use std::time::Duration;

use common::page_seed::{HOSTILE_TITLE, Seeded, feeds, seed};
use flashpoint::feed::schedule::Bounds;
use flashpoint::store::Store;
use flashpoint::types::Verdict;
use flashpoint::web::{Page, Token};
use reqwest::StatusCode;

const TOKEN: &str = "page-token-0123456789";

struct Served {
    base: String,
    store: Store,
    seeded: Seeded,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("get")
    }

    async fn text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.expect("body")
    }

    async fn post(&self, path: &str, form: &[(&str, &str)], htmx: bool) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if htmx {
            request = request.header("hx-request", "true");
        }
        request.send().await.expect("post")
    }
}

async fn serve(token: Option<&str>) -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("page.db");
    let store = Store::open(&path).expect("open");
    let seeded = seed(&store);
    let bounds = Bounds { min: Duration::from_mins(1), max: Duration::from_hours(1) };
    let token = token.map(|t| Token::parse(t).expect("token"));
    let page = Page::new(Store::open_existing(&path).expect("open"), feeds(3), bounds, token);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, page.router()).await });
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Served { base, store, seeded, http, _dir: dir }
}

/// The CSRF token of the first form on `html`.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[at..].split('"').next().expect("value").to_string()
}

#[tokio::test]
async fn every_route_answers_with_a_strict_policy() {
    let s = serve(None).await;
    let high = s.seeded.high.clone();
    for path in ["/", "/alerts/list", &format!("/alerts/{high}"), "/trends", "/feeds", "/feeds/rows"] {
        let response = s.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let html = response.text().await.expect("body");
        assert!(!html.contains(" style="), "{path}: no inline style attribute");
        assert!(!html.contains("<script>"), "{path}: no inline script");
        assert!(
            !html.contains("https://cdn") && !html.contains("src=\"http"),
            "{path}: nothing from elsewhere"
        );
    }
    for asset in ["page.css", "page.js", "htmx.min.js", "uPlot.iife.min.js", "uPlot.min.css"] {
        assert_eq!(s.get(&format!("/assets/{asset}")).await.status(), StatusCode::OK, "{asset}");
    }
    assert_eq!(s.get("/assets/nothing.js").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.get("/alerts/sty_none").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.get("/login").await.status(), StatusCode::SEE_OTHER, "no token asked on loopback");
}

#[tokio::test]
async fn cards_show_their_facts_and_everything_is_escaped() {
    let s = serve(None).await;
    let home = s.text("/").await;
    assert!(home.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "the title, escaped");
    assert!(!home.contains(HOSTILE_TITLE) && !home.contains("<script>alert"), "never raw");
    for fact in
        ["2 outlets · 1 language", "India → Pakistan", "India shelling Pakistan (attack, level 3)", "0.93"]
    {
        assert!(home.contains(fact), "the card shows {fact:?}");
    }
    let detail = s.text(&format!("/alerts/{}", s.seeded.high)).await;
    for fact in [
        "&#60;b&#62;shelling&#60;/b&#62;",
        "HTTP 503 &#60;html&#62;busy&#60;/html&#62;",
        "a1.example",
        "a2.example",
        "troops +1.50",
        "past",
    ] {
        assert!(detail.contains(fact), "the explanation shows {fact:?}");
    }
    let feeds = s.text("/feeds").await;
    assert!(feeds.contains("HTTP 500 &#60;b&#62;oops&#60;/b&#62;"), "the last error in full, escaped");
    assert!(feeds.contains("poll-error") && feeds.contains("poll-ok"), "the strip shows both polls");
    let trends = s.text("/trends").await;
    assert!(trends.contains("data-chart=") && trends.contains("India → Pakistan"), "a chart per pair");
}

#[tokio::test]
async fn filters_select_alerts_and_refuse_what_they_do_not_offer() {
    let s = serve(None).await;
    let (high, low) = (s.seeded.high.clone(), s.seeded.low.clone());
    let cases: [(&str, bool, bool); 7] = [
        ("/", true, true),
        ("/?severity=high", true, false),
        ("/?severity=low", false, true),
        ("/?pair=Afghanistan%3EPakistan", false, true),
        ("/?feed=Feed+1", false, true),
        ("/?state=resolved", false, false),
        ("/alerts/list?severity=high&since=24h", true, false),
    ];
    for (path, shows_high, shows_low) in cases {
        let html = s.text(path).await;
        assert_eq!(html.contains(&format!("card-{high}")), shows_high, "{path}: high");
        assert_eq!(html.contains(&format!("card-{low}")), shows_low, "{path}: low");
    }
    assert!(s.text("/?severity=high").await.contains("<option value=\"high\" selected>"), "chosen shown");
    for bad in ["/?severity=severe", "/?state=closed", "/?pair=nopair", "/?since=1y"] {
        assert_eq!(s.get(bad).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn a_verdict_needs_the_csrf_token_and_a_post() {
    let s = serve(None).await;
    let high = s.seeded.high.clone();
    let path = format!("/alerts/{high}/verdict");
    let token = csrf(&s.text("/").await);
    let refused = s.post(&path, &[("verdict", "noise"), ("csrf", "forged")], false).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = s.post(&path, &[("verdict", "noise")], false).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(s.store.labelled().expect("labels").is_empty(), "nothing recorded");
    assert_eq!(s.get(&path).await.status(), StatusCode::METHOD_NOT_ALLOWED);
    let bad = s.post(&path, &[("verdict", "maybe"), ("csrf", &token)], false).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unknown = s.post("/alerts/sty_none/verdict", &[("verdict", "noise"), ("csrf", &token)], false).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let back = "/?severity=high";
    let done = s.post(&path, &[("verdict", "noise"), ("csrf", &token), ("back", back)], false).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "without JavaScript: back to the list");
    assert_eq!(done.headers()["location"], back);
    let labels = s.store.labelled().expect("labels");
    assert_eq!((labels[0].alert_id.as_str(), labels[0].verdict), (high.as_str(), Verdict::Noise));

    let elsewhere = s
        .post(&path, &[("verdict", "useful"), ("csrf", &token), ("back", "https://evil.example/")], false)
        .await;
    assert_eq!(elsewhere.headers()["location"], "/", "never sent off the site");
    let fragment = s.post(&path, &[("verdict", "useful"), ("csrf", &token)], true).await;
    assert_eq!(fragment.status(), StatusCode::OK);
    let html = fragment.text().await.expect("body");
    assert!(html.starts_with("<form class=\"verdict\"") && html.contains("Verdict: useful"), "{html}");
    assert_eq!(s.store.labelled().expect("labels")[0].verdict, Verdict::Useful, "replaced, as label does");
}

#[tokio::test]
async fn with_a_token_the_page_asks_for_it() {
    let s = serve(Some(TOKEN)).await;
    let high = s.seeded.high.clone();
    for path in ["/", "/trends", "/feeds", &format!("/alerts/{high}")] {
        let response = s.get(path).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let html = response.text().await.expect("body");
        assert!(
            html.contains("action=\"/login\"") && !html.contains("sty_high"),
            "{path}: the login form only"
        );
    }
    let refused = s.post(&format!("/alerts/{high}/verdict"), &[("verdict", "noise")], false).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get("/assets/page.css").await.status(), StatusCode::OK, "the login form has its style");

    let bearer = s.http.get(format!("{}/", s.base)).bearer_auth(TOKEN).send().await.expect("get");
    assert_eq!(bearer.status(), StatusCode::OK);
    let wrong =
        s.http.get(format!("{}/", s.base)).bearer_auth("page-token-0123456780").send().await.expect("get");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let failed = s.post("/login", &[("token", "guess")], false).await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    assert!(failed.headers().get("set-cookie").is_none());
    let signed_in = s.post("/login", &[("token", TOKEN)], false).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("ascii").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().expect("pair").to_string();
    let home = s.http.get(format!("{}/", s.base)).header("cookie", &session).send().await.expect("get");
    assert_eq!(home.status(), StatusCode::OK);
    assert!(!home.text().await.expect("body").contains(TOKEN), "the token is never echoed");
}

/// The page with every asset it loads weighs under 200 kB.
#[tokio::test]
async fn the_page_and_its_assets_weigh_under_200_kb() {
    let s = serve(None).await;
    let mut heaviest = 0;
    for (path, assets) in [
        ("/", &["page.css", "htmx.min.js"][..]),
        ("/trends", &["page.css", "htmx.min.js", "uPlot.min.css", "uPlot.iife.min.js", "page.js"][..]),
    ] {
        let html = s.text(path).await;
        let mut bytes = html.len();
        for asset in assets {
            assert!(html.contains(&format!("/assets/{asset}")), "{path} loads {asset}");
            bytes += s.get(&format!("/assets/{asset}")).await.bytes().await.expect("asset").len();
        }
        heaviest = heaviest.max(bytes);
    }
    assert!(heaviest < 200_000, "{heaviest} bytes");
}

/// Bound to any address but loopback without `http.token_file`, the daemon refuses to start
/// with a config error that names the key.
#[tokio::test]
async fn the_daemon_refuses_to_open_the_page_to_the_network_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("open.toml");
    let db = dir.path().join("x.db");
    std::fs::write(
        &config,
        format!("[storage]\npath = \"{}\"\n[http]\nlisten = \"0.0.0.0:0\"\n", db.display()),
    )
    .expect("write");
    for command in ["check-config", "run"] {
        let out = common::flashpoint(&config, &[command]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{command}: {stderr}");
        assert!(stderr.contains("http.token_file"), "{command} names the key: {stderr}");
    }
    assert!(!db.exists(), "nothing was started");
}
