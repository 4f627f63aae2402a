//! Stories end to end: `flashpoint stories --replay` on a small file of made-up articles, and
//! the daemon placing stored articles in stories that survive a restart.

mod common;

use std::fmt::Write as _;

use common::{Reply, Server, TestConfig, count, fixtures, flashpoint, once, query};
use rusqlite::types::Value;

/// The `story` of each `{"id","story"}` line, by id, in output order.
fn stories_of(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("every stdout line is JSON");
            (v["id"].as_str().expect("id").to_string(), v["story"].as_str().expect("story").to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_groups_reports_of_one_event_and_is_deterministic() {
    let cfg = TestConfig::new(&[], &[], "");
    let file = fixtures().join("stories.jsonl");
    let file = file.to_str().expect("utf-8 path");
    let first = flashpoint(&cfg.path, &["stories", "--replay", file]).await;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let got = stories_of(&first.stdout);
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["q1", "f1", "q2", "q3", "f2", "c1"], "one line per article, in input order");
    let story = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, s)| s.clone()).expect("placed");
    assert_eq!(story("q1"), story("q2"), "a rewrite of the bus attack joins it");
    assert_eq!(story("q1"), story("q3"), "a wire copy joins it");
    assert_eq!(story("f1"), story("f2"), "the floods' second day joins the floods");
    assert_ne!(story("q1"), story("f1"));
    assert_ne!(story("c1"), story("q1"));
    assert_ne!(story("c1"), story("f1"));

    let second = flashpoint(&cfg.path, &["stories", "--replay", file]).await;
    assert_eq!(first.stdout, second.stdout, "the same input gives the same stories");
    assert!(!cfg.db.exists(), "a replay writes no database");
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_names_the_line_of_a_bad_date() {
    let cfg = TestConfig::new(&[], &[], "");
    let file = cfg.dir().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"title\":\"t\",\"text\":\"x\",\"published\":\"May 7\",\"url\":\"\"}\n",
    )
    .expect("write");
    let out = flashpoint(&cfg.path, &["stories", "--replay", file.to_str().expect("utf-8")]).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("May 7"), "{err}");
}

const BUS: (&str, &str, &str) = (
    "bus-1",
    "Gunmen kill 14 on Quetta bus",
    "Gunmen opened fire on a passenger bus near Quetta on Tuesday, killing 14 people, officials in Balochistan \
     said. The attack took place on the Mastung road, where the bus was travelling to Karachi. Deputy \
     Commissioner Aslam Baloch said 14 bodies had been taken to the civil hospital.",
);
const BUS_LATER: (&str, &str, &str) = (
    "bus-2",
    "14 killed in Mastung bus attack",
    "Fourteen people were killed when armed men attacked a bus on the Mastung road outside Quetta, \
     Balochistan, said Deputy Commissioner Aslam Baloch. The bus had been travelling to Karachi; the \
     wounded were taken to the civil hospital in Quetta.",
);
const FLOODS: (&str, &str, &str) = (
    "flood-1",
    "Sindh floods: Indus above danger mark at Sukkur",
    "Heavy monsoon rains flooded low-lying districts of Sindh, and the Indus rose above the danger mark at \
     Sukkur barrage. The provincial disaster authority moved families from Larkana and Dadu to relief camps \
     and asked farmers to leave the riverine belt before the next flood peak.",
);

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_between_articles_continues_the_same_story() {
    let site = Server::start().await;
    site.route("/feed", common::linkless_feed(&[BUS]));
    let cfg = TestConfig::new(&[("Wire", site.url("/feed"))], &[], "");
    once(&cfg.path).await;
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM stories"), 1);

    // A new process: the window comes back from the database, and the later report joins.
    site.route("/feed", common::linkless_feed(&[BUS, BUS_LATER, FLOODS]));
    let log = once(&cfg.path).await;
    assert!(log.contains("story window reloaded"), "{log}");
    let rows = query(
        &cfg.db,
        "SELECT a.guid, s.story_id FROM story_articles s JOIN articles a ON a.id = s.article_id ORDER BY a.guid",
    );
    let story = |guid: &str| {
        rows.iter().find(|r| r[0] == Value::Text(guid.into())).map(|r| r[1].clone()).expect("clustered")
    };
    assert_eq!(rows.len(), 3, "each stored article is in one story, the repeated one once");
    assert_eq!(story("bus-1"), story("bus-2"));
    assert_ne!(story("bus-1"), story("flood-1"));
    let bus = query(&cfg.db, "SELECT articles FROM stories WHERE title = 'Gunmen kill 14 on Quetta bus'");
    assert_eq!(bus, [vec![Value::Integer(2)]]);
}

/// One event reported by several outlets, in their own words.
struct Report {
    outlet: usize,
    title: &'static str,
    text: &'static str,
    /// Days before now it was published.
    days_ago: i64,
}

const THREAT: &str = "Defence Minister Khawaja Asif said on Monday that Pakistan will strike deep inside \
    Afghanistan if cross-border attacks by the Tehreek-i-Taliban Pakistan continue. Speaking in Islamabad \
    after militants killed 12 soldiers in North Waziristan, Asif said Kabul had been warned repeatedly and \
    that Pakistan's patience had run out.";
const THREAT_TRIBUNE: &str = "Islamabad will hit militant hideouts across the border in Afghanistan unless \
    the Afghan Taliban rein in the TTP, Khawaja Asif warned, a day after 12 soldiers were killed in an ambush \
    in North Waziristan. The defence minister told reporters that Kabul bore responsibility for the attacks.";
const THREAT_WIRE: &str = "Pakistan's defence minister Khawaja Asif has warned the Taliban government in \
    Kabul that Pakistani forces will strike fighters inside Afghanistan after 12 soldiers died in North \
    Waziristan. Afghan officials rejected the threat and said Afghanistan would defend its territory.";
const RAID: &str = "Pakistani fighter jets bombed suspected militant hideouts in Afghanistan's Khost and \
    Paktika provinces overnight, killing eight people, Taliban spokesman Zabihullah Mujahid said on \
    Wednesday. He said the air strikes hit civilian homes and warned that Afghanistan would respond.";

const REPORTS: [Report; 5] = [
    Report {
        outlet: 0,
        title: "Pakistan will strike deep inside Afghanistan if attacks continue, warns Khawaja Asif",
        text: THREAT,
        days_ago: 1,
    },
    Report {
        outlet: 1,
        title: "Asif threatens cross-border strikes after 12 soldiers killed in North Waziristan",
        text: THREAT_TRIBUNE,
        days_ago: 1,
    },
    Report {
        outlet: 2,
        title: "Pakistan warns Kabul it will hit Taliban fighters inside Afghanistan",
        text: THREAT_WIRE,
        days_ago: 1,
    },
    // The same wire text on a fourth site: one more article, no more independent outlets.
    Report {
        outlet: 3,
        title: "Pakistan warns Kabul it will hit Taliban fighters inside Afghanistan",
        text: THREAT_WIRE,
        days_ago: 1,
    },
    // The next day, another event between the same two countries.
    Report {
        outlet: 0,
        title: "Pakistani jets bomb hideouts in Khost and Paktika, Afghan Taliban say 8 killed",
        text: RAID,
        days_ago: 0,
    },
];

/// Each outlet's feed carrying `reports` (indexes into [`REPORTS`]), each with its page.
fn publish(outlets: &[Server], reports: &[usize]) {
    for (o, server) in outlets.iter().enumerate() {
        let mut items = String::new();
        for &r in reports.iter().filter(|r| REPORTS[**r].outlet == o) {
            let report = &REPORTS[r];
            let published = (chrono::Utc::now() - chrono::TimeDelta::days(report.days_ago)).to_rfc2822();
            let page = format!(
                "<html><head><title>{0}</title></head><body><h1>{0}</h1><div class=\"story__content\"><p>{1}</p></div></body></html>",
                report.title, report.text
            );
            server.route(&format!("/news/{r}"), Reply::ok("text/html; charset=utf-8", page));
            let _ = write!(
                items,
                "<item><title>{}</title><link>{}</link><guid>{r}</guid><pubDate>{published}</pubDate></item>",
                report.title,
                server.url(&format!("/news/{r}"))
            );
        }
        server.route(
            "/feed",
            Reply::ok(
                "application/rss+xml",
                format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
            ),
        );
    }
}

const SECRET: &str = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=";

fn lifecycle_config(
    dir: &std::path::Path,
    outlets: &[Server],
    hook: &Server,
    resolve_after: &str,
) -> TestConfig {
    let names = ["Dawn", "Tribune", "Al Jazeera", "The News"];
    let feeds: Vec<(&str, String)> = names.iter().zip(outlets).map(|(n, s)| (*n, s.url("/feed"))).collect();
    let extra = format!(
        "[stories]\nresolve_after = \"{resolve_after}\"\n\
         [[webhooks]]\nurl = \"{}\"\nname = \"analysts\"\nsecret = \"{SECRET}\"\n",
        hook.url("/hook")
    );
    common::write_config(dir, &feeds, &[], &extra)
}

/// Every event the receiver got: (webhook-id, type, alert id, outlets, articles).
fn events(hook: &Server) -> Vec<(String, String, String, u64, u64)> {
    hook.seen()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| {
            assert!(common::verify(b"secret-key-for-tests", s), "every event verifies");
            let v: serde_json::Value = serde_json::from_slice(&s.body).expect("JSON");
            let id = s.headers.get("webhook-id").and_then(|h| h.to_str().ok()).expect("webhook-id");
            (
                id.to_string(),
                v["type"].as_str().expect("type").to_string(),
                v["id"].as_str().expect("id").to_string(),
                v["story"]["outlets"].as_u64().expect("outlets"),
                v["story"]["articles"].as_u64().expect("articles"),
            )
        })
        .collect()
}

/// The issue's walk through an alert's life: created by the first outlet, updated as two more
/// join (across a restart: each `once` is a new process), a wire copy counted once, a second
/// event of the same pair a second alert, both resolved once quiet. Every event is signed and
/// arrives once.
#[tokio::test(flavor = "multi_thread")]
async fn one_event_is_one_alert_that_grows_with_its_outlets() {
    let mut outlets = Vec::new();
    for _ in 0..4 {
        outlets.push(Server::start().await);
    }
    let hook = Server::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = lifecycle_config(dir.path(), &outlets, &hook, "72h");

    publish(&outlets, &[0]);
    once(&cfg.path).await;
    let first = events(&hook);
    assert_eq!(first.len(), 1, "{first:?}");
    let (_, kind, alert, outlets_now, _) = &first[0];
    assert_eq!((kind.as_str(), *outlets_now), ("alert.created", 1));
    let alert = alert.clone();

    publish(&outlets, &[0, 1]);
    once(&cfg.path).await;
    publish(&outlets, &[0, 1, 2, 3]);
    once(&cfg.path).await;
    let got = events(&hook);
    let grown: Vec<(&str, &str, u64)> = got.iter().map(|e| (e.1.as_str(), e.2.as_str(), e.3)).collect();
    assert_eq!(
        grown,
        [
            ("alert.created", alert.as_str(), 1),
            ("alert.updated", alert.as_str(), 2),
            ("alert.updated", alert.as_str(), 3)
        ],
        "one alert, growing; the wire copy adds no outlet"
    );
    let story = query(&cfg.db, &format!("SELECT articles, outlets FROM stories WHERE id = '{alert}'"));
    assert_eq!(story, [vec![Value::Integer(4), Value::Integer(3)]]);

    publish(&outlets, &[0, 1, 2, 3, 4]);
    once(&cfg.path).await;
    let got = events(&hook);
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[3].1, "alert.created");
    assert_ne!(got[3].2, alert, "a second event is a second alert");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts"), 2);

    // Quiet for longer than `resolve_after`: both resolve, once each.
    let cfg = lifecycle_config(dir.path(), &outlets, &hook, "1s");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let log = once(&cfg.path).await;
    assert!(log.contains("alert resolved"), "{log}");
    once(&cfg.path).await;
    let got = events(&hook);
    let resolved: Vec<&str> = got.iter().filter(|e| e.1 == "alert.resolved").map(|e| e.2.as_str()).collect();
    assert_eq!(resolved.len(), 2, "{got:?}");
    assert!(resolved.contains(&alert.as_str()));
    let mut ids: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "every event delivered once, each under its own id");
    assert_eq!(count(&cfg.db, "SELECT count(*) FROM alerts WHERE state = 'resolved'"), 2);

    the_commands_show_it(&cfg, &alert).await;
}

/// `story ID` gives the story's timeline and every event sent; `stories` lists both.
async fn the_commands_show_it(cfg: &TestConfig, alert: &str) {
    let out = flashpoint(&cfg.path, &["story", alert]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("alert.resolved #4") && text.contains("(copy)"), "{text}");
    let out = flashpoint(&cfg.path, &["stories", "--since", "7d", "--json"]).await;
    let listed: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|s| s["state"] == "resolved"));
}

/// The defence minister's threat as an English outlet and an Urdu one report it, in their own
/// words: no word in common, one event.
const THREAT_EN: (&str, &str, &str) = (
    "en-threat",
    "Pakistan will strike deep inside Afghanistan, defence minister warns",
    "Pakistan will strike deep inside Afghanistan if attacks from across the border do not stop, the \
     defence minister warned on Tuesday. He told state television that the Afghan Taliban had been warned \
     repeatedly, yet fighters of the banned Tehreek-i-Taliban Pakistan still attack from across the border.",
);
const THREAT_UR: (&str, &str, &str) = (
    "ur-threat",
    "پاکستان افغانستان کے اندر گھس کر کارروائی کرے گا، وزیر دفاع کا انتباہ",
    "اسلام آباد: وزیر دفاع نے کہا ہے کہ اگر افغان سرزمین سے حملے بند نہ ہوئے تو پاکستان افغانستان کے اندر گھس کر \
     دہشت گردوں کے ٹھکانوں کو نشانہ بنائے گا۔ سرکاری ٹی وی سے گفتگو کرتے ہوئے انہوں نے کہا کہ افغان طالبان کو \
     بارہا خبردار کیا گیا مگر کالعدم تحریک طالبان پاکستان کے جنگجو اب بھی سرحد پار سے کارروائیاں کر رہے ہیں۔",
);

/// An English and an Urdu report of one event are one story, joined through the actors the
/// scorer names in both (Pakistan, Afghanistan: one name in either script), across a restart:
/// one alert, two outlets, two languages.
#[tokio::test(flavor = "multi_thread")]
async fn an_urdu_and_an_english_report_of_one_event_are_one_story() {
    let (mut outlets, mut feeds) = (Vec::new(), Vec::new());
    for (lang, (guid, title, text)) in [("en", THREAT_EN), ("ur", THREAT_UR)] {
        let server = Server::start().await;
        let page = format!(
            "<html lang=\"{lang}\"><head><title>{title}</title></head><body><h1>{title}</h1>\
             <div class=\"story__content\"><p>{text}</p></div></body></html>"
        );
        server.route("/news/1", Reply::ok("text/html; charset=utf-8", page));
        let item = format!(
            "<item><title>{title}</title><link>{}</link><guid>{guid}</guid></item>",
            server.url("/news/1")
        );
        let feed = format!("<rss version=\"2.0\"><channel><title>t</title>{item}</channel></rss>");
        server.route("/feed", Reply::ok("application/rss+xml", feed.clone()));
        feeds.push(feed);
        outlets.push(server);
    }
    let extra =
        format!("[[feeds]]\nname = \"Geo Urdu\"\nurl = \"{}\"\nlanguage = \"ur\"\n", outlets[1].url("/feed"));
    let cfg = TestConfig::new(&[("Dawn", outlets[0].url("/feed"))], &[], &extra);
    // The Urdu report comes a run later: the story it joins is one reloaded from the database.
    let urdu_feed = outlets[1].seen().len();
    let empty = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
    let full = std::mem::replace(&mut feeds[1], empty.to_string());
    outlets[1].route("/feed", Reply::ok("application/rss+xml", feeds[1].clone()));
    once(&cfg.path).await;
    assert!(outlets[1].seen().len() > urdu_feed, "the Urdu feed was polled, empty");
    outlets[1].route("/feed", Reply::ok("application/rss+xml", full));
    once(&cfg.path).await;
    let stories = query(&cfg.db, "SELECT story_id, language FROM story_articles ORDER BY language");
    assert_eq!(stories.len(), 2, "both reports stored");
    assert_eq!(stories[0][0], stories[1][0], "one story: {stories:?}");
    let alerts = query(&cfg.db, "SELECT outlets, languages, articles FROM alerts");
    assert_eq!(alerts.len(), 1, "one alert");
    assert_eq!(alerts[0][0], Value::Integer(2), "two outlets");
    assert_eq!(alerts[0][1], Value::Text(r#"["eng","urd"]"#.into()));
    assert_eq!(alerts[0][2], Value::Integer(2));
}
