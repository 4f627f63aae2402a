//! Generated news pages: varied prose with the furniture of real sites (scripts, navigation,
//! ticker, share bar, related stories, comments, sidebar, newsletter form, footer); one in
//! twenty carries escalation language, one in ten of the others a single weak term. Or the
//! `.html` files of a directory, served in turn. For a soak, every article is a page of its own
//! reporting one of many events, each with its own names, place and numbers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use axum::body::Bytes;

use super::{POOL, THREAT_EVERY};

/// One article page: the head before the canonical link is written per article, the rest is
/// shared by every article that uses this page.
#[derive(Clone)]
pub(crate) struct Page {
    pub(crate) headline: String,
    pub(crate) summary: String,
    /// Everything after the per-article head (title, canonical link); empty for a file.
    pub(crate) tail: String,
    /// A file given with `--pages`, served as it is.
    pub(crate) raw: Option<Bytes>,
    pub(crate) threat: bool,
}

pub(crate) struct Pool {
    pub(crate) pages: Vec<Page>,
    /// Whether the pages are generated, so the expected alerts are known.
    pub(crate) generated: bool,
}

impl Pool {
    pub(crate) fn generated() -> Self {
        let pages = (0..POOL).map(|i| generate_page(i, i % THREAT_EVERY == 0)).collect();
        Self { pages, generated: true }
    }

    pub(crate) fn files(dir: &Path) -> Self {
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

    pub(crate) fn page(&self, article: usize) -> &Page {
        &self.pages[article % self.pages.len()]
    }

    /// Mean page size in bytes (for generated pages, without the per-article head).
    pub(crate) fn mean_bytes(&self) -> usize {
        self.pages.iter().map(|p| p.raw.as_ref().map_or(p.tail.len(), Bytes::len)).sum::<usize>()
            / self.pages.len()
    }
}

pub(crate) fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

pub(crate) const SITES: &[&str] =
    &["The Daily Courier", "Frontier Post Today", "The Evening Ledger", "National Herald Online"];
pub(crate) const SECTIONS: &[&str] = &[
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
pub(crate) const PLACES: &[&str] = &[
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
pub(crate) const OFFICIALS: &[&str] = &[
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
pub(crate) const DAYS: &[&str] = &[
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
pub(crate) const TOPICS: &[&str] = &[
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
pub(crate) const BACKGROUNDS: &[&str] = &[
    "months of negotiations between the federal and provincial governments",
    "a series of protests by traders in the old city",
    "a report by the auditor general that found gaps in spending records",
    "a sharp rise in fuel prices over the summer",
    "complaints from parents about overcrowded classrooms",
    "an agreement with international lenders on the next loan tranche",
    "flooding that damaged roads and bridges in several districts",
    "a long dispute over the allocation of water between provinces",
];
pub(crate) const QUOTES: &[&str] = &[
    "We have done our homework and the numbers speak for themselves",
    "People want to see results on the ground, not announcements",
    "This is a step in the right direction, but much more needs to be done",
    "We will consult every stakeholder before the final decision",
    "The situation is under control and there is no need to panic",
    "Our priority is to protect the most vulnerable households",
];
pub(crate) const PEOPLE: &[&str] = &[
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
pub(crate) const HEADLINE_TAILS: &[&str] = &[
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
pub(crate) const COMMENTS: &[&str] = &[
    "Good to see some progress for a change.",
    "We have heard these promises before.",
    "What about the smaller towns? Nobody talks about them.",
    "Excellent reporting, thank you.",
    "Prices keep going up and salaries stay the same.",
    "Let us hope they follow through this time.",
];
/// Sentences with lexicon terms; three of them in a page score well over the threshold.
pub(crate) const THREATS: &[&str] = &[
    "The defence minister said the country would strike deep inside {place} if the attacks continued.",
    "Officials said troops were placed on high alert along the border {day}.",
    "A military spokesman vowed to retaliate against any further incursion near {place}.",
    "Residents reported heavy shelling and artillery fire near the frontier villages overnight.",
    "The foreign office warned of dire consequences and said all options are on the table.",
    "Two soldiers were killed in an exchange of fire near {place}, the military's media wing said.",
    "Local officials said a drone strike hit a compound near {place} before dawn.",
    "The government recalled its ambassador and sealed the border crossing at {place}.",
];
/// The rest of a report on the conflict: its setting, the people it touches, what others say.
pub(crate) const CONFLICT_CONTEXT: &[&str] = &[
    "Residents of the border villages near {place} said they had moved their families to safer areas.",
    "Security officials said the situation along the frontier remained tense {day}.",
    "Analysts said the escalation followed weeks of cross-border raids by militants near {place}.",
    "The military's media wing said troops had responded to the firing and were monitoring the area.",
    "Diplomats in the capital urged both sides to show restraint and return to talks.",
    "Hospitals in {place} were put on emergency duty as casualties were brought in {day}.",
    "The interior ministry said additional paramilitary units had been sent to {place}.",
    "Militant groups active in the area have carried out several attacks on checkposts this year.",
];
pub(crate) const THREAT_HEADLINES: &[&str] = &[
    "Minister warns of befitting response after attack near {place}",
    "Troops on high alert as tensions rise near {place}",
    "Government vows to retaliate after cross-border attack",
    "Exchange of fire reported along the border near {place}",
];
/// Sentences with one weak term each, below the threshold on their own: near misses.
pub(crate) const NEAR_MISSES: &[&str] = &[
    "Rescue teams remained on high alert as the river rose near {place}.",
    "The union issued an ultimatum to the provincial government over unpaid wages.",
    "Opposition lawmakers said the bill threatened to weaken elected local councils.",
];

pub(crate) fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

pub(crate) fn fill(rng: &mut fastrand::Rng, template: &str) -> String {
    template.replace("{place}", pick(rng, PLACES)).replace("{day}", pick(rng, DAYS))
}

pub(crate) fn sentence(rng: &mut fastrand::Rng) -> String {
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

pub(crate) fn links(rng: &mut fastrand::Rng, n: usize, out: &mut String) {
    for _ in 0..n {
        let (place, tail, id) = (pick(rng, PLACES), pick(rng, HEADLINE_TAILS), rng.u32(1_000_000..2_000_000));
        let _ = write!(out, "<li><a href=\"/news/{id}/{}\">{place}: {tail}</a></li>", tail.replace(' ', "-"));
    }
}

/// A news page of 15–40 KB: head scripts and styles, header, navigation and ticker, byline,
/// share bar, figure, 6–12 paragraphs (one with a related-stories box), tags, comments, a
/// most-read sidebar, a newsletter form and a long footer. A threat page has three sentences
/// of escalation language; one page in ten without threats has a single weak term.
pub(crate) fn generate_page(i: usize, threat: bool) -> Page {
    generate(i, threat, None)
}

/// Articles per event in a soak: consecutive articles, so from different feeds and hosts.
const EVENT_ARTICLES: usize = 4;

/// Syllables of made-up names: every event brings words no earlier one used, as news does.
const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "tel", "van", "dor", "shi", "lu", "zen", "pa", "gor", "fi", "nab", "ur", "es", "tam",
    "bel", "qui", "sar", "hon", "dri", "mo", "wex", "ya",
];

/// What a soak event's headline says its organisation did, and about what.
const VERBS: &[&str] = &[
    "calls for",
    "rejects",
    "welcomes",
    "questions",
    "backs",
    "criticises",
    "announces",
    "delays",
    "reviews",
    "defends",
    "opposes",
    "approves",
];
const OBJECTS: &[&str] = &[
    "new levy on",
    "plan for",
    "budget for",
    "report on",
    "ban on",
    "inquiry into",
    "funding for",
    "cuts to",
];
const NOUNS: &[&str] = &[
    "bus fares",
    "water tariffs",
    "school fees",
    "hospital beds",
    "road repairs",
    "grain stocks",
    "power cuts",
    "housing scheme",
    "market stalls",
    "police posts",
    "tax rebates",
    "flood defences",
    "port charges",
    "rail line",
    "textile exports",
    "dairy farms",
];

/// What one event's articles share: a headline, a person, an organisation, a place and a number.
pub(crate) struct Event {
    headline: String,
    person: String,
    organisation: String,
    /// A made-up part of town.
    district: String,
    place: &'static str,
    number: usize,
}

impl Event {
    fn new(event: usize) -> Self {
        let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + event as u64);
        let mut word = |syllables: usize| {
            let mut w: String = (0..syllables).map(|_| pick(&mut rng, SYLLABLES)).collect();
            w[..1].make_ascii_uppercase();
            w
        };
        let person = format!("{} {}", word(2), word(3));
        let organisation = format!("{} {} Association", word(3), word(2));
        let district = format!("{}abad", word(2));
        let headline = format!(
            "{} {} {} {}",
            organisation.trim_end_matches(" Association"),
            pick(&mut rng, VERBS),
            pick(&mut rng, OBJECTS),
            pick(&mut rng, NOUNS)
        );
        Self {
            headline,
            person,
            organisation,
            district,
            place: PLACES[event % PLACES.len()],
            number: 20 + event % 4000,
        }
    }

    fn sentence(&self, rng: &mut fastrand::Rng) -> String {
        let Self { person, organisation, district, place, number, .. } = self;
        match rng.usize(..5) {
            0 => format!("{person}, who heads the {organisation}, said {number} families were affected."),
            1 => {
                format!("The {organisation} put the figure at {number}, {person} told reporters in {place}.")
            }
            2 => format!("Members of the {organisation} met {district} officials {}.", pick(rng, DAYS)),
            3 => format!("In {district}, {person} said {number} households had signed the petition."),
            _ => format!("{person} of the {organisation} said talks would continue {}.", pick(rng, DAYS)),
        }
    }
}

/// Soak article `k`: a page of its own about event `k / EVENT_ARTICLES`; one event in
/// `THREAT_EVERY` is an escalation.
pub(crate) fn event_page(k: usize) -> Page {
    let event = k / EVENT_ARTICLES;
    generate(k, event.is_multiple_of(THREAT_EVERY), Some(&Event::new(event)))
}

fn generate(i: usize, threat: bool, event: Option<&Event>) -> Page {
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let site = SITES[i % SITES.len()];
    let section = pick(&mut rng, SECTIONS);
    let mut headline = if threat {
        let template = pick(&mut rng, THREAT_HEADLINES);
        fill(&mut rng, template)
    } else if let Some(event) = event {
        format!("{}: {}", event.place, event.headline)
    } else {
        format!("{}: {}", pick(&mut rng, PLACES), pick(&mut rng, HEADLINE_TAILS))
    };
    if let Some(event) = event {
        let _ = write!(headline, ", {} says", event.person);
    }
    let (body, summary) = story_body(&mut rng, i, threat, event);
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
pub(crate) fn story_body(
    rng: &mut fastrand::Rng,
    i: usize,
    threat: bool,
    event: Option<&Event>,
) -> (String, String) {
    let paragraphs = rng.usize(6..=12);
    let mut special: HashMap<usize, String> = HashMap::new();
    if let Some(event) = event {
        // Every paragraph names the event's people, place or numbers, as a report does.
        for p in 0..paragraphs {
            special.insert(p, format!("{} {}", event.sentence(rng), event.sentence(rng)));
        }
    }
    if threat {
        // A story about the conflict: every paragraph carries some of it, as a real report does,
        // so its topic is conflict and not a local story with a stray threat.
        let mut threats = THREATS.to_vec();
        rng.shuffle(&mut threats);
        for p in 0..paragraphs {
            let threat = fill(rng, threats[p % threats.len()]);
            special.entry(p).and_modify(|s| *s = format!("{s} {threat}")).or_insert(threat);
        }
    } else if i % 10 == 3 {
        let template = pick(rng, NEAR_MISSES);
        let at = rng.usize(1..paragraphs);
        let near_miss = fill(rng, template);
        special.entry(at).and_modify(|s| *s = format!("{s} {near_miss}")).or_insert(near_miss);
    }
    let mut body = String::new();
    let mut summary = String::new();
    for p in 0..paragraphs {
        let mut text = String::new();
        // An event's report says less that any report could say.
        let sentences = if event.is_some() { rng.usize(2..=3) } else { rng.usize(3..=6) };
        for s in 0..sentences {
            if s == 1
                && let Some(special) = special.get(&p)
            {
                text.push_str(special);
                text.push(' ');
            }
            if threat {
                let template = pick(rng, CONFLICT_CONTEXT);
                text.push_str(&fill(rng, template));
            } else {
                text.push_str(&sentence(rng));
            }
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
pub(crate) fn masthead(rng: &mut fastrand::Rng, site: &str, section: &str) -> String {
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
pub(crate) fn sidebar_and_footer(rng: &mut fastrand::Rng, site: &str, out: &mut String) {
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
pub(crate) fn app_state(section: &str, bytes: usize) -> String {
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

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
