//! Table tests of the clustering core: input parsing, the representations, near-duplicates,
//! and join-or-new on small made-up stories.

use std::fmt::Write as _;

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::text::{Doc, hash, names, numbers, script, simhash};
use super::{Article, Clusterer, Settings, outlet_of, parse_time};

const QUETTA: &str = "Gunmen opened fire on a passenger bus near Quetta on Tuesday, killing 14 people, \
    officials in Balochistan said. The attack took place on the Mastung road, where the bus was travelling \
    to Karachi. Deputy Commissioner Aslam Baloch said 14 bodies had been taken to the civil hospital \
    and that a search operation was under way in the hills around the road.";
const QUETTA_REWRITE: &str = "Fourteen people were killed when armed men attacked a bus on the Mastung road \
    outside Quetta, Balochistan, said Deputy Commissioner Aslam Baloch. The bus had been travelling to \
    Karachi; the wounded were taken to the civil hospital in Quetta, and security forces searched the hills.";
const FLOODS: &str = "Heavy monsoon rains flooded low-lying districts of Sindh on Thursday, and the Indus \
    rose above the danger mark at Sukkur barrage. The provincial disaster authority moved families from \
    Larkana and Dadu to relief camps and asked farmers to leave the riverine belt before the next flood peak.";

fn at(text: &str) -> DateTime<Utc> {
    parse_time(text).expect("test time")
}

fn add(c: &mut Clusterer, key: &str, title: &str, body: &str, outlet: &str, when: &str) -> super::Placement {
    c.add(&Article { key, title, body, outlet, at: at(when), names: &[] })
}

#[test]
fn times_are_rfc_3339_or_a_day() {
    let cases = [
        ("2014-03-02", Some("2014-03-02T00:00:00+00:00")),
        ("2014-03-02T10:30:00+05:00", Some("2014-03-02T05:30:00+00:00")),
        ("2014-03-02T10:30:00Z", Some("2014-03-02T10:30:00+00:00")),
        ("March 2, 2014", None),
        ("", None),
    ];
    for (text, want) in cases {
        let got = parse_time(text).ok().map(|t| t.to_rfc3339());
        assert_eq!(got.as_deref(), want, "{text:?}");
    }
}

#[test]
fn outlets_are_hosts_without_www() {
    let cases = [
        ("https://www.dawn.com/news/1", "dawn.com"),
        ("https://tribune.com.pk/story/2", "tribune.com.pk"),
        ("http://WWW.GEO.TV:80/a", "geo.tv"),
        ("http://127.0.0.1:8081/a", "127.0.0.1:8081"),
        ("http://127.0.0.1:8082/a", "127.0.0.1:8082"),
        ("not a url", "not a url"),
    ];
    for (url, want) in cases {
        assert_eq!(outlet_of(url), want, "{url}");
    }
}

#[test]
fn entities_are_capitalised_words_and_numbers_not_stopwords() {
    let doc = Doc::new(
        "The Quetta attack",
        "On Monday gunmen killed 14 in Mastung, see https://example.com/Ignored.",
    );
    let has = |word: &str| doc.entities.contains_key(&hash(word.as_bytes()));
    let cases = [("quetta", true), ("mastung", true), ("14", true), ("gunmen", false), ("the", false)];
    for (word, want) in cases {
        assert_eq!(has(word), want, "{word}");
    }
    assert!(!doc.body.contains_key(&hash(b"ignored")), "links are not content");
    assert!(!doc.entities.contains_key(&hash(b"monday")), "weekdays are stopwords");
}

#[test]
fn simhash_finds_copies_and_tells_texts_apart() {
    let original = simhash(QUETTA).expect("long enough");
    let copy = simhash(&format!("{QUETTA} (Reuters)")).expect("long enough");
    let other = simhash(FLOODS).expect("long enough");
    assert!((original ^ copy).count_ones() <= Settings::default().max_hamming);
    assert!((original ^ other).count_ones() > 16);
    assert_eq!(simhash("too short to fingerprint"), None);
}

#[test]
fn a_rewrite_joins_and_another_event_opens_a_story() {
    let mut c = Clusterer::new(Settings::default());
    let first = add(&mut c, "a", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    let second =
        add(&mut c, "b", "14 killed in Mastung bus attack", QUETTA_REWRITE, "geo.tv", "2024-05-07T11:00:00Z");
    let third = add(&mut c, "c", "Floods in Sindh", FLOODS, "dawn.com", "2024-05-07T12:00:00Z");
    assert!(first.opened && !second.opened && third.opened);
    assert_eq!(first.story, second.story);
    assert_ne!(first.story, third.story);
    assert_eq!((second.articles, second.outlets), (2, 2));
}

#[test]
fn a_wire_copy_on_a_second_site_is_one_independent_outlet() {
    let mut c = Clusterer::new(Settings::default());
    let first = add(&mut c, "a", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    let copy = add(&mut c, "b", "Bus attack near Quetta", QUETTA, "thenews.com.pk", "2024-05-07T09:00:00Z");
    assert_eq!(copy.story, first.story);
    assert!(copy.copy);
    assert_eq!((copy.articles, copy.outlets), (2, 1));
    let own = add(&mut c, "c", "14 killed in Mastung", QUETTA_REWRITE, "geo.tv", "2024-05-07T10:00:00Z");
    assert_eq!((own.story.as_str(), own.outlets), (first.story.as_str(), 2));
    // Regression: a site repeating its own text is not a copy of another site's, even in a
    // story that already holds a copy from elsewhere.
    let again = add(&mut c, "d", "14 killed in Mastung", QUETTA_REWRITE, "geo.tv", "2024-05-07T12:00:00Z");
    assert_eq!(again.story, first.story);
    assert!(!again.copy);
    assert_eq!((again.articles, again.outlets), (4, 2));
}

#[test]
fn stories_leave_the_archive() {
    let window = Settings::default().window;
    let mut c = Clusterer::new(Settings { archive: window, ..Settings::default() });
    let first = add(&mut c, "a", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    assert_eq!(c.len(), 1);
    let later = add(&mut c, "b", "Floods in Sindh", FLOODS, "dawn.com", "2024-07-01T08:00:00Z");
    assert_eq!(c.len(), 1, "the May story left the window and, the archive no longer, with it");
    let again = add(&mut c, "c", "14 killed in Mastung", QUETTA_REWRITE, "geo.tv", "2024-07-02T08:00:00Z");
    assert_ne!(again.story, first.story);
    assert_ne!(again.story, later.story);
}

#[test]
fn past_max_stories_the_least_recently_seen_leave_first() {
    let mut c = Clusterer::new(Settings { max_stories: 3, ..Settings::default() });
    let quetta = add(&mut c, "a", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    let floods = add(&mut c, "b", "Floods in Sindh", FLOODS, "dawn.com", "2024-05-07T09:00:00Z");
    // The Quetta story takes an article, so the floods story is now the least recently seen.
    let joined = add(&mut c, "c", "14 killed in Mastung", QUETTA_REWRITE, "geo.tv", "2024-05-07T10:00:00Z");
    assert_eq!(joined.story, quetta.story);
    let squad = "The cricket board named a young squad for the home series against Sri Lanka on Friday.";
    add(&mut c, "d", "Cricket board names squad", squad, "geo.tv", "2024-05-07T11:00:00Z");
    assert_eq!(c.len(), 3, "at the cap");
    let again = add(&mut c, "e", "Mastung bus attack toll", QUETTA_REWRITE, "ary.tv", "2024-05-07T12:00:00Z");
    assert_eq!(again.story, quetta.story, "the story seen most recently stayed");
    assert_eq!(c.len(), 2, "room was made below the cap");
    let later = add(&mut c, "f", "Sindh floods spread", FLOODS, "geo.tv", "2024-05-07T13:00:00Z");
    assert_ne!(later.story, floods.story, "the least recently seen story was evicted");
}

/// Long articles make large stories: the window is bounded by its bytes as well as its count.
#[test]
fn past_max_bytes_the_least_recently_seen_leave_first() {
    let mut one = Clusterer::new(Settings::default());
    add(&mut one, "x", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    let story = one.bytes();
    assert!(story > 1_000, "{story} bytes for a story");
    let budget = story * 10;
    let body =
        |i: usize| format!("{QUETTA} Marker{i} Unit{i} Case{i}.").replace("Quetta", &format!("Town{i}"));
    let fill = |c: &mut Clusterer| {
        let (mut first, mut most) = (None, 0);
        for i in 0..40 {
            // Forty events that share no distinctive word: forty stories.
            let title = format!("Event{i} Zone{i} Place{i}");
            let when = format!("2024-05-07T08:{i:02}:00Z");
            let placed = add(c, &format!("k{i}"), &title, &body(i), "dawn.com", &when);
            first.get_or_insert(placed.story);
            most = most.max(c.bytes());
        }
        // The first event's text again, on another site.
        let again = add(c, "again", "Event0 Zone0 Place0", &body(0), "geo.tv", "2024-05-07T09:00:00Z");
        (first.expect("a story"), again.story, most)
    };
    let mut unbounded = Clusterer::new(Settings::default());
    let (first, again, _) = fill(&mut unbounded);
    assert_eq!(again, first, "with room, the copy joins the first story");
    assert!(unbounded.bytes() > 2 * budget, "the budget binds: {} bytes unbounded", unbounded.bytes());

    let mut c = Clusterer::new(Settings { max_bytes: budget, ..Settings::default() });
    let (first, again, most) = fill(&mut c);
    assert_ne!(again, first, "past the budget, the first story was evicted");
    assert!(most <= budget + 2 * story, "{most} bytes held of {budget}");
    assert!((5..12).contains(&c.len()), "{} stories held: nine tenths of the budget or more", c.len());
}

#[test]
fn a_reloaded_window_continues_its_stories() {
    let mut before = Clusterer::new(Settings::default());
    let first =
        add(&mut before, "a", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2024-05-07T08:00:00Z");
    let mut after = Clusterer::new(Settings::default());
    let stored = Article {
        key: "a",
        title: "Gunmen kill 14 on Quetta bus",
        body: QUETTA,
        outlet: "dawn.com",
        at: at("2024-05-07T08:00:00Z"),
        names: &[],
    };
    after.reload(&first.story, &stored, false);
    let next = add(&mut after, "b", "14 killed in Mastung", QUETTA_REWRITE, "geo.tv", "2024-05-07T11:00:00Z");
    assert_eq!(next.story, first.story);
    assert_eq!((next.articles, next.outlets), (2, 2));
}

#[test]
fn prints_a_few_bits_apart_share_a_band() {
    let print = 0x0123_4567_89ab_cdef_u64;
    for max in [0, 3, 7, 16] {
        let mine: Vec<(u8, u64)> = super::cluster::bands(print, max).collect();
        assert_eq!(mine.len(), usize::try_from(max + 1).expect("small"), "{max}");
        // Flip `max` bits spread over the print: at least one band is untouched.
        let flipped = (0..max).fold(print, |p, i| p ^ (1 << ((i * 64 / (max + 1)) % 64)));
        let theirs: Vec<(u8, u64)> = super::cluster::bands(flipped, max).collect();
        assert!(mine.iter().any(|b| theirs.contains(b)), "{max} bits apart share a band");
    }
}

/// A text repeated under new addresses while it makes up a large share of all articles: its
/// words are too common to find candidates by, yet each repeat joins the story it repeats.
#[test]
fn a_repeated_text_joins_its_story_even_when_its_words_are_common() {
    let mut c = Clusterer::new(Settings::default());
    let first = add(&mut c, "q0", "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2014-03-02");
    for i in 1..40 {
        let key = format!("q{i}");
        let again = add(&mut c, &key, "Gunmen kill 14 on Quetta bus", QUETTA, "dawn.com", "2014-03-02");
        assert_eq!(again.story, first.story, "repeat {i}");
        let other = format!("other{i}");
        add(&mut c, &other, "Floods", &format!("{FLOODS} {i}"), "geo.tv", "2014-03-02");
    }
}

#[test]
fn scripts_and_numbers_read_alike_in_every_language() {
    let cases = [
        ("Pakistan warns Kabul", "latn"),
        ("پاکستان کی افغانستان کو دھمکی", "arab"),
        ("पाकिस्तान ने अफ़ग़ानिस्तान को चेतावनी दी", "deva"),
        ("Пакистан", "other"),
        ("12 34", "latn"),
        ("Pakistan: پاکستان کی افغانستان کو دھمکی", "arab"),
    ];
    for (text, want) in cases {
        assert_eq!(script(&[text]), want, "{text}");
    }
    let cases: [(&str, &[u32]); 6] = [
        ("12 soldiers killed", &[12]),
        ("۱۲ فوجی ہلاک", &[12]),
        ("١٢ جنديا", &[12]),
        ("१२ सैनिक", &[12]),
        ("in 2024, 1 man and 10,000 troops", &[10]),
        ("on 3 March, 250 families", &[3, 250]),
    ];
    for (text, want) in cases {
        assert_eq!(numbers(text).collect::<Vec<_>>(), want, "{text}");
    }
}

const THREAT_EN: (&str, &str) = (
    "Pakistan warns it will strike inside Afghanistan after 12 soldiers killed",
    "Pakistan will strike deep inside Afghanistan if attacks from across the border continue, the \
     defence minister said on Tuesday after 12 soldiers were killed in an ambush in North Waziristan.",
);
const THREAT_UR: (&str, &str) = (
    "۱۲ فوجیوں کی ہلاکت کے بعد پاکستان کی افغانستان کو کارروائی کی دھمکی",
    "وزیر دفاع نے کہا ہے کہ اگر سرحد پار سے حملے جاری رہے تو پاکستان افغانستان کے اندر کارروائی کرے گا۔ \
     شمالی وزیرستان میں گھات لگا کر کیے گئے حملے میں ۱۲ فوجی ہلاک ہوئے تھے۔",
);

#[test]
fn reports_in_two_scripts_meet_through_their_actors_and_numbers() {
    let both = ["Pakistan".to_string(), "Afghanistan".to_string()];
    let other_pair = ["India".to_string(), "Pakistan".to_string()];
    let one = ["Pakistan".to_string()];
    let urdu = |c: &mut Clusterer, key: &str, title: &str, names: &[String], when: &str| {
        c.add(&Article { key, title, body: THREAT_UR.1, outlet: "urdu.geo.tv", at: at(when), names })
    };
    let start = |c: &mut Clusterer| {
        c.add(&Article {
            key: "en",
            title: THREAT_EN.0,
            body: THREAT_EN.1,
            outlet: "dawn.com",
            at: at("2026-03-10T08:00:00Z"),
            names: &both,
        })
    };
    let cases: [(&str, &str, &[String], &str, bool); 6] = [
        ("the same event in Urdu, hours later", THREAT_UR.0, &both, "2026-03-10T11:00:00Z", true),
        ("written before the English report", THREAT_UR.0, &both, "2026-03-10T06:00:00Z", true),
        ("another pair", THREAT_UR.0, &other_pair, "2026-03-10T11:00:00Z", false),
        ("one actor is not a pair", THREAT_UR.0, &one, "2026-03-10T11:00:00Z", false),
        ("two days later", THREAT_UR.0, &both, "2026-03-12T11:00:00Z", false),
        ("30 killed, not 12", "۳۰ فوجیوں کی ہلاکت کے بعد دھمکی", &both, "2026-03-10T11:00:00Z", false),
    ];
    for (what, title, names, when, joins) in cases {
        let mut c = Clusterer::new(Settings::default());
        let first = start(&mut c);
        let body = if title == THREAT_UR.0 {
            THREAT_UR.1
        } else {
            "سرحد پار سے حملے جاری رہے۔"
        };
        let placed = c.add(&Article { key: "ur", title, body, outlet: "urdu.geo.tv", at: at(when), names });
        assert_eq!(placed.story == first.story, joins, "{what}");
        if joins {
            assert_eq!((placed.articles, placed.outlets), (2, 2), "{what}");
        }
    }
    // A second English report of the pair that the words say is another event stays apart:
    // actors and numbers speak only across scripts.
    let mut c = Clusterer::new(Settings::default());
    let first = start(&mut c);
    let other = c.add(&Article {
        key: "en2",
        title: "Pakistan and Afghanistan agree to reopen Torkham crossing",
        body: "Pakistan and Afghanistan agreed to reopen the Torkham border crossing for trade on weekdays.",
        outlet: "tribune.com.pk",
        at: at("2026-03-10T09:00:00Z"),
        names: &both,
    });
    assert_ne!(other.story, first.story);
    // The Urdu report then joins the story that shares its number as well as both actors, though
    // the other is the later.
    let placed = urdu(&mut c, "ur", THREAT_UR.0, &both, "2026-03-10T11:00:00Z");
    assert_eq!(placed.story, first.story);
}

/// A story carried by many outlets in their own words keeps its most frequent body words, not
/// every word any of them used: its memory stays bounded.
#[test]
fn a_story_keeps_its_most_frequent_body_words() {
    let mut c = Clusterer::new(Settings::default());
    for i in 0..80 {
        // Each report, from an outlet of its own, adds ten words no other report uses.
        let own = (0..10).fold(String::new(), |mut own, j| {
            let _ = write!(own, " w{i}x{j}");
            own
        });
        let (key, outlet) = (format!("r{i}"), format!("outlet{i}.example"));
        let body = format!("{QUETTA_REWRITE}{own}");
        let report = Article {
            key: &key,
            title: "Gunmen kill 14 on Quetta bus",
            body: &body,
            outlet: &outlet,
            at: at("2024-05-07T09:00:00Z"),
            names: &[],
        };
        c.reload("alrt_quetta", &report, false);
    }
    let most = c.most_body_terms();
    assert!((200..=300).contains(&most), "{most} body terms kept of over 800");
}

#[test]
fn full_names_are_pairs_of_capitalised_words() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("Police said Rahim Khan, 22, was shot.", &["rahim khan"], &["rahim khan"]),
        ("Rahim J. Khan was shot", &["rahim khan"], &[]),
        ("Imran Khan's party and Khan's Party", &["imran khan"], &[]),
        ("The Supreme Court of Pakistan", &["supreme court"], &[]),
        ("in North Waziristan Agency, 2014", &["north waziristan", "waziristan agency"], &[]),
        ("Mr. Sharif met Gen. Asim Munir on Monday", &["asim munir"], &[]),
        ("Sardar Akhtar Mengal’s son, 1,200 people", &["sardar akhtar", "akhtar mengal"], &[]),
        ("a single Word and lower case", &[], &[]),
        ("Photo:https://example.com/Big Apple and Rahim Khan", &["rahim khan"], &[]),
        ("Karim Khan, ٢٢, was hurt", &["karim khan"], &["karim khan"]),
    ];
    for (text, want, aged) in cases {
        let (got, got_aged) = names(text);
        assert_eq!(got, want.to_vec(), "{text}");
        assert_eq!(got_aged, aged.to_vec(), "{text}: aged");
    }
}

/// A shooting, ten other reports, and six weeks later the trial naming the victim again.
fn victim_and_trial(settings: Settings) -> (String, String) {
    let mut c = Clusterer::new(settings);
    let shooting = "Rahim Khan, 22, was shot dead outside his shop in Satellite Town on Tuesday night, \
        police said. Witnesses told reporters two men on a motorcycle fired at Rahim Khan and fled towards \
        Jinnah Road. His brother Karim Khan said the family had received threats over a land dispute.";
    let first =
        add(&mut c, "a", "Shopkeeper shot dead in Satellite Town", shooting, "dawn.com", "2024-05-07");
    for i in 0..10 {
        let body = format!(
            "The provincial cabinet approved budget item {i} for roads and schools in Sindh district {i}."
        );
        add(&mut c, &format!("n{i}"), &format!("Cabinet approves item {i}"), &body, "dawn.com", "2024-05-20");
    }
    let trial = "An anti-terrorism court on Monday sentenced two men to life in prison for the murder of \
        Rahim Khan, 22, who was shot outside his shop in Satellite Town in May. The prosecution said the \
        killing followed a land dispute; Karim Khan, the victim's brother, testified against both.";
    let later = add(&mut c, "b", "Two get life for shopkeeper's murder", trial, "geo.tv", "2024-06-20");
    (first.story, later.story)
}

#[test]
fn a_rare_name_reaches_a_story_that_left_the_window() {
    let (shooting, trial) = victim_and_trial(Settings::default());
    assert_eq!(trial, shooting, "the victim's name ties the trial to the shooting");
    let window = Settings::default().window;
    let (shooting, trial) = victim_and_trial(Settings {
        window: Duration::from_hours(24 * 7),
        archive: window,
        ..Settings::default()
    });
    assert_ne!(trial, shooting, "without the archive the shooting's story is out of reach");
}
