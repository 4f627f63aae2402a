//! The page in a real browser: headless Chromium driven over `WebDriver` (`chromedriver`, from
//! Debian's `chromium-driver`), against the real daemon fed by a loopback feed. Everything
//! stays on 127.0.0.1: the daemon, the feed, chromedriver and the browser (no proxy).
//!
//! Each page's screenshot is saved in the test's directory; with `FLASHPOINT_SCREENSHOTS=DIR`
//! (e.g. `FLASHPOINT_SCREENSHOTS=docs/screenshots cargo test --test page_browser`) it is saved
//! there instead: that is how the README's screenshots are made.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{Daemon, Reply, Server, TestConfig, count_now, query};
use fantoccini::{Client, ClientBuilder, Locator};
use rusqlite::types::Value;

const THREAT: &str = "Defence Minister Khawaja Asif said on Monday that Pakistan will strike deep inside \
    Afghanistan if cross-border attacks by the Tehreek-i-Taliban Pakistan continue. Speaking in Islamabad \
    after militants killed 12 soldiers in North Waziristan, Asif said Kabul had been warned repeatedly and \
    that Pakistan's patience had run out.";
const THREAT_TITLE: &str =
    "Pakistan will strike deep inside Afghanistan if attacks continue, warns Khawaja Asif";
const THREAT_TRIBUNE: &str = "Islamabad will hit militant hideouts across the border in Afghanistan unless \
    the Afghan Taliban rein in the TTP, Khawaja Asif warned, a day after 12 soldiers were killed in an ambush \
    in North Waziristan. The defence minister told reporters that Kabul bore responsibility for the attacks.";
const THREAT_TRIBUNE_TITLE: &str =
    "Asif threatens cross-border strikes after 12 soldiers killed in North Waziristan";

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Serves `reports` (title, text) as one outlet's feed with a page each.
fn publish(site: &Server, reports: &[(&str, &str)]) {
    let mut items = String::new();
    for (i, (title, text)) in reports.iter().enumerate() {
        let page = format!(
            "<html><head><title>{title}</title></head><body><h1>{title}</h1><div class=\"story__content\"><p>{text}</p></div></body></html>"
        );
        site.route(&format!("/news/{i}"), Reply::ok("text/html; charset=utf-8", page));
        let published = (chrono::Utc::now() - chrono::TimeDelta::hours(2)).to_rfc2822();
        let _ = write!(
            items,
            "<item><title>{title}</title><link>{}</link><guid>{i}</guid><pubDate>{published}</pubDate></item>",
            site.url(&format!("/news/{i}"))
        );
    }
    let feed = format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
    site.route("/feed", Reply::ok("application/rss+xml", feed));
}

/// `chromedriver` on a free loopback port, killed when dropped.
struct Driver {
    _child: tokio::process::Child,
    url: String,
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = tokio::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver runs (apt-get install chromium chromium-driver; .ci/run installs them)");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "chromedriver listens within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { _child: child, url }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut options = serde_json::json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-proxy-server", "--window-size=1280,900", "--hide-scrollbars",
            "--no-first-run", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--disable-extensions",
            format!("--user-data-dir={}", profile.display()),
        ]
    });
    if Path::new("/usr/bin/chromium").exists() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

/// Where screenshots go: `FLASHPOINT_SCREENSHOTS`, else `dir`.
fn shots(dir: &Path) -> PathBuf {
    std::env::var_os("FLASHPOINT_SCREENSHOTS").map_or_else(
        || dir.to_path_buf(),
        |d| {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(d) }
        },
    )
}

async fn screenshot(client: &Client, dir: &Path, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
    std::fs::create_dir_all(dir).expect("screenshot dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_in_a_browser() {
    let site = Server::start().await;
    publish(&site, &[(THREAT_TITLE, THREAT), (THREAT_TRIBUNE_TITLE, THREAT_TRIBUNE)]);
    let port = free_port();
    // A second feed that fails: /feeds shows it first, with its error.
    site.route("/broken", Reply::status(503));
    let cfg = TestConfig::new(
        &[("Dawn", site.url("/feed")), ("Tribune", site.url("/broken"))],
        &[],
        &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let daemon = Daemon::start(&cfg.path);
    wait_for("the seed alert", async || {
        cfg.db.exists() && count_now(&cfg.db, "SELECT count(*) FROM alerts") > 0
    })
    .await;
    // The pair the card should show: the alert's first whole pair, as stored.
    let rows = query(
        &cfg.db,
        "SELECT id, severity, (SELECT json_extract(p.value, '$.source') || ' → ' || json_extract(p.value, '$.target')
                               FROM json_each(actors) p WHERE json_extract(p.value, '$.target') IS NOT NULL
                               AND json_extract(p.value, '$.source') IS NOT NULL LIMIT 1)
         FROM alerts ORDER BY created_at LIMIT 1",
    );
    let (Value::Text(alert), Value::Text(severity), Value::Text(pair)) =
        (&rows[0][0], &rows[0][1], &rows[0][2])
    else {
        panic!("{rows:?}")
    };
    let base = format!("http://127.0.0.1:{port}");

    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    let dir = shots(cfg.dir());

    alerts(&client, &base, (alert, severity, pair), &cfg.db, &dir).await;
    explanation(&client, &base, alert, &dir).await;
    trends_and_feeds(&client, &base, &dir).await;

    client.close().await.expect("close");
    assert_eq!(daemon.stop().await, Some(0));
}

/// `/`: the seed alert's card shows its pair and severity; "Noise" stores the verdict in place.
async fn alerts(
    client: &Client,
    base: &str,
    (alert, severity, pair): (&str, &str, &str),
    db: &Path,
    dir: &Path,
) {
    // The alerts: the seed alert's card shows its pair and severity.
    client.goto(&format!("{base}/")).await.expect("open /");
    let card = client.wait().for_element(Locator::Css(&format!("#card-{alert}"))).await.expect("the card");
    let text = card.text().await.expect("card text");
    assert!(text.contains(pair), "the pair {pair}: {text}");
    assert!(text.contains("Pakistan"), "{text}");
    let badge = card.find(Locator::Css(".badge")).await.expect("badge").text().await.expect("text");
    assert_eq!(badge.to_lowercase(), severity, "the severity");
    screenshot(client, dir, "alerts").await;

    // "Noise" records the verdict, in place.
    card.find(Locator::Css("button.noise")).await.expect("noise button").click().await.expect("click");
    wait_for("the verdict stored", async || {
        count_now(
            db,
            &format!("SELECT count(*) FROM verdicts WHERE alert_id = '{alert}' AND verdict = 'noise'"),
        ) == 1
    })
    .await;
    let recorded = client
        .wait()
        .for_element(Locator::Css(&format!("#card-{alert} .recorded")))
        .await
        .expect("the card says so");
    assert_eq!(recorded.text().await.expect("text"), "Verdict: noise");
    assert_eq!(client.current_url().await.expect("url").path(), "/", "swapped in place, no navigation");
}

/// The card's title leads to the whole explanation.
async fn explanation(client: &Client, base: &str, alert: &str, dir: &Path) {
    // Follow the alert to its explanation.
    client
        .find(Locator::Css(&format!("#card-{alert} h2 a")))
        .await
        .expect("title link")
        .click()
        .await
        .expect("click");
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{base}/alerts/{alert}")).expect("url"))
        .await
        .expect("navigated");
    let sections = client.find_all(Locator::Css("main section h2")).await.expect("sections");
    let mut headings = Vec::new();
    for h in sections {
        headings.push(h.text().await.expect("text"));
    }
    assert_eq!(headings, ["Why it was raised", "Story timeline", "Webhook deliveries"]);
    assert!(!client.find_all(Locator::Css("table.matches tbody tr")).await.expect("matches").is_empty());
    screenshot(client, dir, "alert").await;
}

/// `/trends` draws a chart; `/feeds` shows the feed's strip.
async fn trends_and_feeds(client: &Client, base: &str, dir: &Path) {
    // The trend chart drew.
    client.goto(&format!("{base}/trends")).await.expect("open /trends");
    let canvas =
        client.wait().for_element(Locator::Css("figure.chart canvas")).await.expect("a chart canvas");
    let (_, _, width, height) = canvas.rectangle().await.expect("size");
    assert!(width > 100.0 && height > 50.0, "the chart has a size: {width}×{height}");
    screenshot(client, dir, "trends").await;

    client.goto(&format!("{base}/feeds")).await.expect("open /feeds");
    let strip = client.wait().for_element(Locator::Css("tbody .strip .poll-ok")).await.expect("a poll");
    assert!(strip.rectangle().await.expect("size").2 > 0.0);
    let text = client.find(Locator::Css("table.feeds")).await.expect("table").text().await.expect("text");
    assert!(text.contains("Dawn") && text.contains("503"), "both feeds, the failing one's error: {text}");
    let first = client.find(Locator::Css("table.feeds tbody tr")).await.expect("a row");
    assert_eq!(first.attr("class").await.expect("class").as_deref(), Some("feed-failing"), "the worst first");
    client.find(Locator::Css("tbody .strip .poll-error")).await.expect("a failed poll in its strip");
    screenshot(client, dir, "feeds").await;
}
