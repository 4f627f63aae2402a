//! Load run: the whole pipeline, `flashpoint once` (the release binary) with a fresh database,
//! against generated news sites on loopback hosts 127.0.0.1 … 127.0.0.H, and optionally the
//! Python peer (`benches/peer/peer.py`: feedparser + trafilatura + regexes) against the same
//! server. Reports wall time, articles/s, CPU seconds, peak RSS, alerts, and how long each alert
//! took to reach the webhook after its page was served. With `--idle`: the RSS and CPU of
//! `flashpoint run` watching feeds that answer 304. Loopback only.
//!
//! ```text
//! cargo bench --bench load -- [--feeds 100] [--items 10] [--hosts 10] [--delay-ms 20]
//!                             [--pages DIR] [--peer] [--threads 16]
//! cargo bench --bench load -- --idle [--feeds 500] [--items 2] [--idle-secs 60]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use common::{Daemon, count, count_now, query, write_config};

/// Politeness relaxed for a one-off backfill, as a user would: written into the config and
/// printed beside the figures.
const POLITENESS: &str = "per_host_concurrency = 16, per_host_interval = \"0ms\"";

/// Distinct generated pages; article `k` is page `k % POOL`.
const POOL: usize = 256;

/// Every `THREAT_EVERY`-th generated page carries escalation language (5 %).
const THREAT_EVERY: usize = 20;

struct Options {
    feeds: usize,
    items: usize,
    hosts: usize,
    delay: Duration,
    pages: Option<PathBuf>,
    peer: bool,
    threads: usize,
    idle: bool,
    idle_window: Duration,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| args.windows(2).find(|p| p[0] == name).map(|p| p[1].clone());
    let number = |name: &str, default: usize| {
        value(name)
            .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}")))
    };
    let idle = flag("--idle");
    Options {
        feeds: number("--feeds", if idle { 500 } else { 100 }).max(1),
        items: number("--items", if idle { 2 } else { 10 }).max(1),
        hosts: number("--hosts", 10).clamp(1, 254),
        delay: Duration::from_millis(number("--delay-ms", 20) as u64),
        pages: value("--pages").map(PathBuf::from),
        peer: flag("--peer"),
        threads: number("--threads", 16).max(1),
        idle,
        idle_window: Duration::from_secs(number("--idle-secs", 60) as u64),
    }
}

#[tokio::main]
async fn main() {
    let o = options();
    require_tools(&o).await;
    let pool = match &o.pages {
        Some(dir) => Pool::files(dir),
        None => Pool::generated(),
    };
    let site = Site::start(&o, pool).await;
    let hook = Hook::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    if o.idle { idle(&o, &site, &hook, dir.path()).await } else { load(&o, &site, &hook, dir.path()).await }
}

/// Fails early, with the fix, when GNU time or the peer's Python modules are missing.
async fn require_tools(o: &Options) {
    if !o.idle && !Path::new("/usr/bin/time").exists() {
        eprintln!(
            "load: /usr/bin/time (GNU time) is needed to measure CPU and peak RSS: apt-get install time"
        );
        std::process::exit(2);
    }
    if o.peer {
        let check = tokio::process::Command::new("python3")
            .args(["-c", "import tomllib, feedparser, trafilatura, urllib3"])
            .output()
            .await;
        if !check.is_ok_and(|out| out.status.success()) {
            eprintln!(
                "load: --peer needs python3 (3.11 or later) with feedparser and trafilatura; \
                 install them with: pip install -r benches/peer/requirements.txt"
            );
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// One article page: the head before the canonical link is written per article, the rest is
/// shared by every article that uses this page.
struct Page {
    headline: String,
    summary: String,
    /// Everything after the per-article head (title, canonical link); empty for a file.
    tail: String,
    /// A file given with `--pages`, served as it is.
    raw: Option<Bytes>,
    threat: bool,
}

struct Pool {
    pages: Vec<Page>,
    /// Whether the pages are generated, so the expected alerts are known.
    generated: bool,
}

impl Pool {
    fn generated() -> Self {
        let pages = (0..POOL).map(|i| generate_page(i, i % THREAT_EVERY == 0)).collect();
        Self { pages, generated: true }
    }

    fn files(dir: &Path) -> Self {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("--pages {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "html" || x == "htm"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "--pages {}: no .html files", dir.display());
        let pages = paths
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let bytes = std::fs::read(path).expect("read page");
                let text = String::from_utf8_lossy(&bytes);
                let headline = between(&text, "<title>", "</title>")
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| format!("Article {i}"));
                Page {
                    headline,
                    summary: String::new(),
                    tail: String::new(),
                    raw: Some(bytes.into()),
                    threat: false,
                }
            })
            .collect();
        Self { pages, generated: false }
    }

    fn page(&self, article: usize) -> &Page {
        &self.pages[article % self.pages.len()]
    }

    /// Mean page size in bytes (for generated pages, without the per-article head).
    fn mean_bytes(&self) -> usize {
        self.pages.iter().map(|p| p.raw.as_ref().map_or(p.tail.len(), Bytes::len)).sum::<usize>()
            / self.pages.len()
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

const SITES: &[&str] =
    &["The Daily Courier", "Frontier Post Today", "The Evening Ledger", "National Herald Online"];
const SECTIONS: &[&str] = &[
    "Pakistan",
    "World",
    "Business",
    "Sport",
    "Opinion",
    "Editorial",
    "Magazine",
    "Culture",
    "Tech",
    "Health",
    "Education",
    "Weather",
    "Karachi",
    "Lahore",
    "Islamabad",
    "Peshawar",
    "Quetta",
    "Videos",
    "Podcasts",
    "Newsletters",
    "Cricket",
    "Football",
    "Markets",
    "Real estate",
    "Jobs",
    "Obituaries",
    "Letters",
    "Cartoons",
    "Travel",
    "Food",
    "Books",
    "Science",
    "Climate",
    "Archive",
    "E-paper",
];
const PLACES: &[&str] = &[
    "Peshawar",
    "Quetta",
    "Lahore",
    "Karachi",
    "Multan",
    "Gilgit",
    "Kabul",
    "Herat",
    "Sialkot",
    "Hyderabad",
    "Faisalabad",
    "Rawalpindi",
    "Kandahar",
    "Jalalabad",
    "Sukkur",
    "Abbottabad",
    "Gwadar",
];
const OFFICIALS: &[&str] = &[
    "The finance minister",
    "A spokesperson for the provincial government",
    "The chief secretary",
    "The central bank governor",
    "The education minister",
    "A senior health official",
    "The mayor",
    "The chairman of the chamber of commerce",
    "The meteorological department",
    "The railways minister",
    "A court official",
    "The opposition leader",
    "The planning commission",
    "The city's police chief",
];
const DAYS: &[&str] = &[
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "on Saturday",
    "on Sunday",
    "late on Friday",
    "earlier this week",
    "last month",
];
const TOPICS: &[&str] = &[
    "the budget deficit had narrowed for a third consecutive quarter",
    "wheat procurement would begin earlier than planned this year",
    "a new metro line would open to passengers in the spring",
    "polio vaccination teams would visit every district next month",
    "exports of textiles rose by eight percent compared with last year",
    "the board had postponed examinations because of the heatwave",
    "electricity tariffs would be reviewed after consultation with consumers",
    "the hearing had been adjourned until the second week of next month",
    "the cricket board had named a young squad for the home series",
    "hospitals in the city were coping with a rise in dengue cases",
    "the new tax on property transfers would be collected from July",
    "thousands of students had applied for the scholarship programme",
    "repairs to the motorway would take at least six more weeks",
    "the price of flour had fallen for the first time in a year",
    "rainfall in the catchment areas was well above the seasonal average",
    "the privatisation of the state airline was back on the agenda",
    "a committee would look into complaints about water supply",
    "remittances from workers abroad reached a record in the last quarter",
    "the provincial assembly would debate the local government bill",
    "the solar park was expected to feed the national grid by winter",
];
const BACKGROUNDS: &[&str] = &[
    "months of negotiations between the federal and provincial governments",
    "a series of protests by traders in the old city",
    "a report by the auditor general that found gaps in spending records",
    "a sharp rise in fuel prices over the summer",
    "complaints from parents about overcrowded classrooms",
    "an agreement with international lenders on the next loan tranche",
    "flooding that damaged roads and bridges in several districts",
    "a long dispute over the allocation of water between provinces",
];
const QUOTES: &[&str] = &[
    "We have done our homework and the numbers speak for themselves",
    "People want to see results on the ground, not announcements",
    "This is a step in the right direction, but much more needs to be done",
    "We will consult every stakeholder before the final decision",
    "The situation is under control and there is no need to panic",
    "Our priority is to protect the most vulnerable households",
];
const PEOPLE: &[&str] = &[
    "Ayesha Khan",
    "Bilal Ahmed",
    "Sana Malik",
    "Farhan Qureshi",
    "Nadia Hussain",
    "Imran Siddiqui",
    "Zainab Raza",
    "Omar Farooq",
    "Hina Baloch",
    "Kamran Yousafzai",
];
const HEADLINE_TAILS: &[&str] = &[
    "traders protest new property tax",
    "schools reopen after winter break",
    "metro line trial run begins",
    "dengue cases rise as monsoon lingers",
    "cricket board names squad for home series",
    "power tariff review put off again",
    "water supply to be restored by weekend",
    "court adjourns hearing in land case",
    "exporters seek relief on energy prices",
    "farmers welcome early wheat procurement",
    "new bus route links old city to airport",
    "university announces scholarships for rural students",
    "heatwave to ease by midweek, says met office",
    "assembly passes local government bill",
    "airline privatisation back on agenda",
];
const COMMENTS: &[&str] = &[
    "Good to see some progress for a change.",
    "We have heard these promises before.",
    "What about the smaller towns? Nobody talks about them.",
    "Excellent reporting, thank you.",
    "Prices keep going up and salaries stay the same.",
    "Let us hope they follow through this time.",
];
/// Sentences with lexicon terms; three of them in a page score well over the threshold.
const THREATS: &[&str] = &[
    "The defence minister said the country would strike deep inside {place} if the attacks continued.",
    "Officials said troops were placed on high alert along the border {day}.",
    "A military spokesman vowed to retaliate against any further incursion near {place}.",
    "Residents reported heavy shelling and artillery fire near the frontier villages overnight.",
    "The foreign office warned of dire consequences and said all options are on the table.",
    "Two soldiers were killed in an exchange of fire near {place}, the military's media wing said.",
    "Local officials said a drone strike hit a compound near {place} before dawn.",
    "The government recalled its ambassador and sealed the border crossing at {place}.",
];
const THREAT_HEADLINES: &[&str] = &[
    "Minister warns of befitting response after attack near {place}",
    "Troops on high alert as tensions rise near {place}",
    "Government vows to retaliate after cross-border attack",
    "Exchange of fire reported along the border near {place}",
];
/// Sentences with one weak term each, below the threshold on their own: near misses.
const NEAR_MISSES: &[&str] = &[
    "Rescue teams remained on high alert as the river rose near {place}.",
    "The union issued an ultimatum to the provincial government over unpaid wages.",
    "Opposition lawmakers said the bill threatened to weaken elected local councils.",
];

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn fill(rng: &mut fastrand::Rng, template: &str) -> String {
    template.replace("{place}", pick(rng, PLACES)).replace("{day}", pick(rng, DAYS))
}

fn sentence(rng: &mut fastrand::Rng) -> String {
    let (official, day, topic, place) =
        (pick(rng, OFFICIALS), pick(rng, DAYS), pick(rng, TOPICS), pick(rng, PLACES));
    match rng.usize(..7) {
        0 => format!("{official} said {day} that {topic}."),
        1 => format!("According to figures released {day}, {topic}."),
        2 => {
            format!("\u{201c}{}\u{201d}, {} told reporters in {place}.", pick(rng, QUOTES), pick(rng, PEOPLE))
        }
        3 => format!("The announcement follows {}.", pick(rng, BACKGROUNDS)),
        4 => format!(
            "At a meeting in {place} attended by {} people, officials said {topic}.",
            rng.usize(40..900)
        ),
        5 => format!(
            "In {place}, residents said they had been told that {topic}, but few expected quick change."
        ),
        _ => format!("Analysts noted that {topic}, a point {} made {day}.", pick(rng, PEOPLE)),
    }
}

fn links(rng: &mut fastrand::Rng, n: usize, out: &mut String) {
    for _ in 0..n {
        let (place, tail, id) = (pick(rng, PLACES), pick(rng, HEADLINE_TAILS), rng.u32(1_000_000..2_000_000));
        let _ = write!(out, "<li><a href=\"/news/{id}/{}\">{place}: {tail}</a></li>", tail.replace(' ', "-"));
    }
}

/// A news page of 15–40 KB: head scripts and styles, header, navigation and ticker, byline,
/// share bar, figure, 6–12 paragraphs (one with a related-stories box), tags, comments, a
/// most-read sidebar, a newsletter form and a long footer. A threat page has three sentences
/// of escalation language; one page in ten without threats has a single weak term.
fn generate_page(i: usize, threat: bool) -> Page {
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let site = SITES[i % SITES.len()];
    let section = pick(&mut rng, SECTIONS);
    let headline = if threat {
        let template = pick(&mut rng, THREAT_HEADLINES);
        fill(&mut rng, template)
    } else {
        format!("{}: {}", pick(&mut rng, PLACES), pick(&mut rng, HEADLINE_TAILS))
    };
    let (body, summary) = story_body(&mut rng, i, threat);
    let top = format!(
        "<meta property=\"og:title\" content=\"{headline}\">\n<meta property=\"og:site_name\" content=\"{site}\">\n\
         <meta name=\"description\" content=\"{summary}\">\n<meta name=\"viewport\" content=\"width=device-width\">\n\
         <link rel=\"stylesheet\" href=\"/static/css/main.{i:x}.css\">\n<style>.site-header{{display:flex}}\
         .main-nav li{{display:inline-block;padding:0 6px}}.most-read ol{{counter-reset:r}}\
         .ad-slot{{min-height:250px;background:#f4f4f4}}.story-body p{{line-height:1.6}}</style>\n\
         <script async src=\"/static/js/analytics.js\"></script>\n"
    );
    let masthead = masthead(&mut rng, site, section);
    let author = pick(&mut rng, PEOPLE);
    let mut rest = format!(
        "<div class=\"story-byline\">By <a href=\"/authors/{slug}\">{author}</a> | Published {day}, 2026</div>\n\
         <div class=\"share-bar\"><a href=\"#\">Facebook</a> <a href=\"#\">X</a> <a href=\"#\">WhatsApp</a> \
         <a href=\"#\">Copy link</a></div>\n<figure><img src=\"/img/{i}.jpg\" alt=\"{headline}\" width=\"800\" height=\"450\">\
         <figcaption>A view of {place}. — File photo</figcaption></figure>\n<div class=\"story-body\">\n{body}</div>\n\
         <div class=\"tags\">Tags: <a href=\"/tag/{s}\">{section}</a> <a href=\"/tag/{p}\">{place}</a></div>\n</article>\n\
         <section class=\"comments\"><h2>Comments</h2>",
        slug = author.to_lowercase().replace(' ', "-"),
        day = pick(&mut rng, DAYS).trim_start_matches("on "),
        place = pick(&mut rng, PLACES),
        s = section.to_lowercase(),
        p = pick(&mut rng, PLACES).to_lowercase(),
    );
    for _ in 0..rng.usize(2..=5) {
        let _ = write!(
            rest,
            "<div class=\"comment\"><span class=\"comment__author\">{}</span><p>{}</p></div>",
            pick(&mut rng, PEOPLE),
            pick(&mut rng, COMMENTS)
        );
    }
    rest.push_str("</section>\n</main>\n");
    sidebar_and_footer(&mut rng, site, &mut rest);
    let target = rng.usize(15_000..=40_000);
    let state = app_state(section, target.saturating_sub(top.len() + masthead.len() + rest.len() + 400));
    let tail = format!(
        "{top}{state}</head>\n{masthead}<h1 class=\"story-title\">{headline}</h1>\n{rest}</body>\n</html>\n"
    );
    Page { headline, summary, tail, raw: None, threat }
}

/// The paragraphs of a story, and its first sentence as the feed's summary.
fn story_body(rng: &mut fastrand::Rng, i: usize, threat: bool) -> (String, String) {
    let paragraphs = rng.usize(6..=12);
    let mut special: HashMap<usize, String> = HashMap::new();
    if threat {
        let mut threats = THREATS.to_vec();
        rng.shuffle(&mut threats);
        for (n, t) in threats.iter().take(3).enumerate() {
            special.insert(n * paragraphs / 3, fill(rng, t));
        }
    } else if i % 10 == 3 {
        let template = pick(rng, NEAR_MISSES);
        special.insert(rng.usize(1..paragraphs), fill(rng, template));
    }
    let mut body = String::new();
    let mut summary = String::new();
    for p in 0..paragraphs {
        let mut text = String::new();
        for s in 0..rng.usize(3..=6) {
            if s == 1
                && let Some(special) = special.get(&p)
            {
                text.push_str(special);
                text.push(' ');
            }
            text.push_str(&sentence(rng));
            text.push(' ');
        }
        if p == 0 {
            summary = text.split(". ").next().unwrap_or_default().to_string() + ".";
        }
        let _ = writeln!(body, "<p>{}</p>", text.trim_end());
        if p == paragraphs / 2 {
            body.push_str("<div class=\"related-box\"><h3>Read more</h3><ul>");
            links(rng, 3, &mut body);
            body.push_str("</ul></div>\n");
        }
    }
    (body, summary)
}

/// Header, section navigation, ticker, top ad slot and breadcrumb, up to the story's `<h1>`.
fn masthead(rng: &mut fastrand::Rng, site: &str, section: &str) -> String {
    let mut out = format!(
        "<body class=\"article-page\">\n<header class=\"site-header\"><div class=\"logo\"><a href=\"/\">{site}</a></div>\
         <nav class=\"main-nav\" aria-label=\"Sections\"><ul>"
    );
    for s in SECTIONS.iter().take(rng.usize(24..=SECTIONS.len())) {
        let _ = write!(out, "<li><a href=\"/section/{}\">{s}</a></li>", s.to_lowercase().replace(' ', "-"));
    }
    out.push_str("</ul></nav><div class=\"ticker\"><span class=\"ticker__label\">Latest</span><ul>");
    links(rng, 4, &mut out);
    let _ = write!(
        out,
        "</ul></div></header>\n<div class=\"ad-slot\" id=\"ad-top\"></div>\n<main class=\"layout\">\n\
         <nav class=\"breadcrumb\"><a href=\"/\">Home</a> › <a href=\"/section/{s}\">{section}</a></nav>\n\
         <article class=\"story\">\n",
        s = section.to_lowercase()
    );
    out
}

/// Most-read and editor's-picks boxes, a newsletter form and the footer's link lists.
fn sidebar_and_footer(rng: &mut fastrand::Rng, site: &str, out: &mut String) {
    out.push_str("<aside class=\"sidebar\"><section class=\"most-read\"><h2>Most read</h2><ol>");
    links(rng, 10, out);
    out.push_str("</ol></section><section class=\"editors-picks\"><h2>Editor's picks</h2><ul>");
    links(rng, 5, out);
    out.push_str(
        "</ul></section><div class=\"newsletter\"><h3>Get the morning briefing</h3><form action=\"/subscribe\">\
         <input type=\"email\" name=\"email\" placeholder=\"Your e-mail\"><button>Sign up</button></form></div>\
         <div class=\"ad-slot\" id=\"ad-side\"></div></aside>\n<footer class=\"site-footer\"><ul>",
    );
    for s in SECTIONS {
        let _ = write!(out, "<li><a href=\"/section/{}\">{s}</a></li>", s.to_lowercase().replace(' ', "-"));
    }
    let _ = writeln!(
        out,
        "<li><a href=\"/about\">About us</a></li><li><a href=\"/contact\">Contact</a></li>\
         <li><a href=\"/privacy\">Privacy policy</a></li><li><a href=\"/terms\">Terms of use</a></li></ul>\
         <p>© 2026 {site}. All rights reserved.</p></footer>"
    );
}

/// Inline ad and app configuration of about `bytes`, as news sites carry in their heads.
fn app_state(section: &str, bytes: usize) -> String {
    let mut state = String::from("<script>window.__APP_STATE__ = {\"slots\": [");
    let mut slot = 0;
    while state.len() < bytes {
        let _ = write!(
            state,
            "{{\"id\":\"div-gpt-ad-{slot}\",\"sizes\":[[300,250],[728,90],[320,50]],\
             \"targeting\":{{\"section\":\"{}\",\"pos\":\"{}\",\"refresh\":{}}}}},",
            section.to_lowercase(),
            ["top", "mid", "side", "bottom"][slot % 4],
            slot % 3 == 0
        );
        slot += 1;
    }
    state.push_str("{}]};</script>\n");
    state
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// Server

/// Feeds and pages on hosts 127.0.0.1 … 127.0.0.H: feed `f` and its articles live on host
/// `f % H`. Feeds carry an `ETag` and answer a matching `If-None-Match` with 304.
struct Site {
    pool: Pool,
    feeds: usize,
    items: usize,
    /// `http://127.0.0.N:PORT` of each host.
    bases: Vec<String>,
    delay: Duration,
    /// When each article's page was last served, for alert latency.
    served: Mutex<Vec<Option<Instant>>>,
    feeds_ok: AtomicU64,
    feeds_not_modified: AtomicU64,
    pages: AtomicU64,
}

impl Site {
    async fn start(o: &Options, pool: Pool) -> Arc<Self> {
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

    fn feed_url(&self, feed: usize) -> String {
        format!("{}/feed/{feed}.xml", self.bases[feed % self.bases.len()])
    }

    fn article_url(&self, article: usize) -> String {
        format!("{}/a/{article}", self.bases[(article / self.items) % self.bases.len()])
    }

    fn articles(&self) -> usize {
        self.feeds * self.items
    }

    /// Alerts a correct pipeline raises, when the pages are generated.
    fn expected_alerts(&self) -> Option<usize> {
        self.pool.generated.then(|| (0..self.articles()).filter(|k| self.pool.page(*k).threat).count())
    }

    fn reset(&self) {
        self.served.lock().expect("lock").fill(None);
        for counter in [&self.feeds_ok, &self.feeds_not_modified, &self.pages] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    fn feed(&self, feed: usize) -> String {
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

    fn page(&self, article: usize) -> Vec<u8> {
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

async fn serve_site(State(site): State<Arc<Site>>, uri: Uri, headers: HeaderMap) -> Response {
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
struct Hook {
    url: String,
    arrived: Mutex<Vec<(Instant, String)>>,
}

impl Hook {
    async fn start() -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let hook = Arc::new(Self { url, arrived: Mutex::default() });
        let app = Router::new().fallback(receive).with_state(Arc::clone(&hook));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        hook
    }
}

async fn receive(State(hook): State<Arc<Hook>>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else { return StatusCode::BAD_REQUEST };
    let url = json["article"]["url"].as_str().unwrap_or_default().to_string();
    hook.arrived.lock().expect("lock").push((at, url));
    StatusCode::OK
}

// ---------------------------------------------------------------------------------------------
// Runs

/// What one measured process did.
struct Run {
    name: String,
    wall: Duration,
    cpu: f64,
    peak_rss_mb: f64,
    articles: usize,
    alerts: usize,
    /// Alert latencies in ms, sorted: page served → POST received.
    latency_ms: Vec<f64>,
}

impl Run {
    fn rate(&self) -> f64 {
        as_f64(self.articles) / self.wall.as_secs_f64()
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn as_f64(n: usize) -> f64 {
    n as f64
}

/// Runs `program args…` under GNU time; returns wall time, CPU seconds, peak RSS in MB and
/// standard output. Exits with the process's standard error when it fails.
async fn timed(program: &Path, args: &[&str], dir: &Path, label: &str) -> (Duration, f64, f64, String) {
    let times = dir.join(format!("{label}.time"));
    let log = dir.join(format!("{label}.log"));
    let started = Instant::now();
    let out = tokio::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&times)
        .arg(program)
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("FLASHPOINT_CONFIG")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run /usr/bin/time");
    let wall = started.elapsed();
    if !out.status.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!("load: {label} failed ({}):", out.status);
        for line in tail.iter().rev() {
            eprintln!("  {line}");
        }
        std::process::exit(1);
    }
    let times = std::fs::read_to_string(&times).expect("GNU time output");
    let fields: Vec<f64> =
        times.lines().last().unwrap_or_default().split_whitespace().filter_map(|f| f.parse().ok()).collect();
    assert_eq!(fields.len(), 3, "unexpected GNU time output: {times:?}");
    (wall, fields[0] + fields[1], fields[2] / 1024.0, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Alert latencies of the run just finished, in ms, sorted.
fn latencies(site: &Site, hook: &Hook) -> Vec<f64> {
    let served = site.served.lock().expect("lock");
    let mut first: HashMap<usize, Instant> = HashMap::new();
    for (at, url) in hook.arrived.lock().expect("lock").iter() {
        if let Some(k) = url.rsplit('/').next().and_then(|k| k.parse::<usize>().ok()) {
            first.entry(k).or_insert(*at);
        }
    }
    let mut ms: Vec<f64> = first
        .iter()
        .filter_map(|(k, at)| {
            Some(at.saturating_duration_since(served.get(*k).copied().flatten()?).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "q in 0..=1")]
    let rank = (q * as_f64(sorted.len())).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn config(o: &Options, site: &Site, hook: &Hook, dir: &Path, extra: &str) -> common::TestConfig {
    let names: Vec<String> = (0..o.feeds).map(|f| format!("Feed {f}")).collect();
    let feeds: Vec<(&str, String)> =
        names.iter().enumerate().map(|(f, n)| (n.as_str(), site.feed_url(f))).collect();
    let extra = format!(
        "[fetch]\n{}\npoll_concurrency = 16\npage_concurrency = 16\ntimeout = \"30s\"\n{extra}",
        POLITENESS.replace(", ", "\n")
    );
    write_config(dir, &feeds, std::slice::from_ref(&hook.url), &extra)
}

async fn load(o: &Options, site: &Site, hook: &Hook, dir: &Path) {
    let cfg = config(o, site, hook, dir, "");
    let config = cfg.path.display().to_string();
    let binary = Path::new(common::binary());
    let (wall, cpu, peak_rss_mb, _) = timed(binary, &["--config", &config, "once"], dir, "flashpoint").await;
    let methods: Vec<String> =
        query(&cfg.db, "SELECT method, count(*) FROM articles GROUP BY method ORDER BY 2 DESC")
            .iter()
            .map(|row| format!("{} {}", value(&row[0]), value(&row[1])))
            .collect();
    let mut runs = vec![Run {
        name: "flashpoint once".into(),
        wall,
        cpu,
        peak_rss_mb,
        articles: usize::try_from(count(&cfg.db, "SELECT count(*) FROM articles")).expect("count"),
        alerts: usize::try_from(count(&cfg.db, "SELECT count(*) FROM alerts")).expect("count"),
        latency_ms: latencies(site, hook),
    }];
    let pages_served = site.pages.load(Ordering::Relaxed);

    if o.peer {
        site.reset();
        hook.arrived.lock().expect("lock").clear();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer/peer.py");
        let db = dir.join("peer.db").display().to_string();
        let threads = o.threads.to_string();
        let args =
            [script.to_str().expect("UTF-8 path"), "--config", &config, "--db", &db, "--threads", &threads];
        let (wall, cpu, peak_rss_mb, stdout) = timed(Path::new("python3"), &args, dir, "peer").await;
        let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .expect("peer prints a JSON summary");
        let number = |key: &str| usize::try_from(summary[key].as_u64().unwrap_or_default()).expect("count");
        runs.push(Run {
            name: format!("peer ({} threads)", o.threads),
            wall,
            cpu,
            peak_rss_mb,
            articles: number("articles"),
            alerts: number("alerts"),
            latency_ms: latencies(site, hook),
        });
    }

    let pages = if o.pages.is_some() { "pages from --pages" } else { "generated news pages" };
    println!(
        "load: {} feeds × {} items = {} articles on {} hosts (127.0.0.1–127.0.0.{}), {} ms per request; \
         {pages}, {} KB on average, alerts expected: {}",
        o.feeds,
        o.items,
        site.articles(),
        o.hosts,
        o.hosts,
        o.delay.as_millis(),
        site.pool.mean_bytes() / 1024,
        site.expected_alerts().map_or_else(|| "unknown".into(), |n| n.to_string()),
    );
    println!(
        "  politeness relaxed for this backfill: {POLITENESS}; poll and page concurrency 16 (peer: {} threads)",
        o.threads
    );
    println!("  flashpoint: {pages_served} pages fetched; extraction methods: {}", methods.join(", "));
    println!();
    println!(
        "  {:<20} {:>8} {:>9} {:>11} {:>7} {:>9} {:>7}   alert latency p50 / p99 / max",
        "", "wall s", "articles", "articles/s", "CPU s", "peak RSS", "alerts"
    );
    for r in &runs {
        println!(
            "  {:<20} {:>8.2} {:>9} {:>11.1} {:>7.2} {:>6.1} MB {:>7}   {:.0} / {:.0} / {:.0} ms, {} of {} in 1 s",
            r.name,
            r.wall.as_secs_f64(),
            r.articles,
            r.rate(),
            r.cpu,
            r.peak_rss_mb,
            r.alerts,
            percentile(&r.latency_ms, 0.5),
            percentile(&r.latency_ms, 0.99),
            r.latency_ms.last().copied().unwrap_or(f64::NAN),
            r.latency_ms.iter().filter(|ms| **ms <= 1000.0).count(),
            r.alerts,
        );
    }
    if let [ours, peer] = runs.as_slice() {
        println!();
        println!("  flashpoint / peer articles/s: {:.1}×", ours.rate() / peer.rate());
    }
}

fn value(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Integer(n) => n.to_string(),
        rusqlite::types::Value::Text(t) => t.clone(),
        other => format!("{other:?}"),
    }
}

/// Resident memory now and at its peak (`VmRSS`, `VmHWM`) in MB, CPU seconds (`utime` + `stime`)
/// and threads of a process, from `/proc`.
struct Sample {
    rss_mb: f64,
    hwm_mb: f64,
    /// `RssAnon` and `RssFile`: heap and stacks, and mapped files (mostly the binary's own code).
    anon_mb: f64,
    file_mb: f64,
    cpu: f64,
    threads: f64,
}

fn sample(pid: u32, ticks_per_s: f64) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat format").1.split_whitespace().collect();
    let ticks = |i: usize| fields[i].parse::<f64>().expect("clock ticks");
    Sample {
        rss_mb: kb("VmRSS:") / 1024.0,
        hwm_mb: kb("VmHWM:") / 1024.0,
        anon_mb: kb("RssAnon:") / 1024.0,
        file_mb: kb("RssFile:") / 1024.0,
        cpu: (ticks(11) + ticks(12)) / ticks_per_s,
        threads: kb("Threads:"),
    }
}

fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

async fn idle(o: &Options, site: &Site, hook: &Hook, dir: &Path) {
    let cfg = config(o, site, hook, dir, "[feeds_defaults]\ninterval = \"1m\"\nstartup_spread = \"10s\"\n");
    let ticks_per_s = ticks_per_second();
    let daemon = Daemon::start(&cfg.path);
    let pid = daemon.pid();
    let articles = i64::try_from(site.articles()).expect("count");
    let feeds = u64::try_from(o.feeds).expect("count");
    let started = Instant::now();
    let deadline = started + Duration::from_mins(5);
    // Warm once every feed was polled, every article stored, and the second round of polls (the
    // first 304s) has begun: a window of any length then holds polls.
    while site.feeds_ok.load(Ordering::Relaxed) < feeds
        || count_now(&cfg.db, "SELECT count(*) FROM articles") < articles
        || site.feeds_not_modified.load(Ordering::Relaxed) == 0
    {
        assert!(
            Instant::now() < deadline,
            "warm-up: every feed polled and every article stored within 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let warm_up = started.elapsed();
    let (ok0, nm0, pages0) = (
        site.feeds_ok.load(Ordering::Relaxed),
        site.feeds_not_modified.load(Ordering::Relaxed),
        site.pages.load(Ordering::Relaxed),
    );
    let first = sample(pid, ticks_per_s);
    let mut max_rss = first.rss_mb;
    let window_start = Instant::now();
    while window_start.elapsed() < o.idle_window {
        tokio::time::sleep(Duration::from_secs(1).min(o.idle_window)).await;
        max_rss = max_rss.max(sample(pid, ticks_per_s).rss_mb);
    }
    let last = sample(pid, ticks_per_s);
    let window = window_start.elapsed().as_secs_f64();
    let stopping = Instant::now();
    let exit = daemon.stop().await;
    let stop = stopping.elapsed();
    let polls = site.feeds_ok.load(Ordering::Relaxed) - ok0;
    let not_modified = site.feeds_not_modified.load(Ordering::Relaxed) - nm0;
    let cpu = last.cpu - first.cpu;
    println!(
        "idle: flashpoint run watching {} feeds on {} hosts ({} ms per request), interval 1m, feeds answer 304 \
         to If-None-Match; warm-up {:.0} s ({} articles, until the first 304), then measured over {window:.0} s",
        o.feeds,
        o.hosts,
        o.delay.as_millis(),
        warm_up.as_secs_f64(),
        site.articles()
    );
    println!("  politeness relaxed: {POLITENESS}");
    println!(
        "  RSS {:.1} MB at the end ({:.1} MB anonymous, {:.1} MB files), {max_rss:.1} MB at most in the window \
         (peak since start {:.1} MB); {} threads",
        last.rss_mb, last.anon_mb, last.file_mb, last.hwm_mb, last.threads
    );
    println!("  CPU {cpu:.2} s in {window:.0} s = {:.2} % of a core", cpu / window * 100.0);
    println!(
        "  feed polls in the window: {} ({not_modified} answered 304); pages fetched: {}",
        polls + not_modified,
        site.pages.load(Ordering::Relaxed) - pages0
    );
    println!("  SIGTERM to exit: {:.1} s, exit code {exit:?}", stop.as_secs_f64());
}
