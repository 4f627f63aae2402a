//! Table tests of the scorer: matching, each context rule, actors, explanation.

use super::explain::SNIPPET_CHARS;
use super::*;
use crate::types::Severity;

pub(super) fn phrase(p: &str, w: f64, c: &str) -> Term {
    Term {
        label: p.into(),
        pattern: Pattern::phrase(p).expect("pattern"),
        weight: w,
        category: c.into(),
        rung: None,
        standalone: false,
    }
}

/// Rules with the default context, but a one-sentence lede and a body weighing 1, and a match
/// with nobody acting counting fully, so the arithmetic of the other rules' tests stays plain
/// (events have tests of their own in `events_tests.rs`).
pub(super) fn rules(terms: Vec<Term>) -> Rules {
    Rules {
        terms,
        exclude: Vec::new(),
        context: Context { lede_sentences: 1, body_weight: 1.0, ..Context::default() },
        actors: Vec::new(),
        frames: Vec::new(),
        events: Events { no_actor_factor: 1.0, past: Vec::new(), ..Events::default() },
        relevance: None,
        severity: Thresholds { threshold: 6.0 },
    }
}

/// An actor of no conflict kind, for tests of who-did-what-to-whom alone.
fn actor(name: &str, aliases: Vec<String>) -> Actor {
    Actor { name: name.into(), aliases, kind: ActorKind::Other, country: None }
}

fn scorer(terms: &[(&str, f64, &str)]) -> Scorer {
    Scorer::new(rules(terms.iter().map(|(p, w, c)| phrase(p, *w, c)).collect())).expect("compiles")
}

fn terms_found(s: &Scorer, text: &str) -> Vec<String> {
    let mut got: Vec<String> = s.score("", text).matches.into_iter().map(|m| m.term).collect();
    got.sort();
    got
}

#[test]
fn word_boundaries() {
    let s = scorer(&[("strike", 1.0, "assault"), ("airstrikes", 2.0, "assault"), ("war", 1.0, "fight")]);
    let cases: [(&str, &[&str]); 8] = [
        ("They will strike.", &["strike"]),
        ("Airstrikes hit the camp.", &["airstrikes"]),
        ("The strikes continued.", &[]),
        ("a strikeout", &[]),
        ("(strike)", &["strike"]),
        ("He warned of a wider conflict.", &[]),
        ("The war-torn region.", &["war"]),
        ("Warfare and the warlords.", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(terms_found(&s, text), want, "{text}");
    }
}

#[test]
fn longest_whole_word_match_wins_and_shorter_terms_survive_a_failed_longer_one() {
    let s = scorer(&[
        ("missile", 1.0, "assault"),
        ("missile strike", 3.0, "assault"),
        ("attack", 1.0, "assault"),
        ("attack on", 2.0, "assault"),
    ]);
    let cases: [(&str, &[&str]); 5] = [
        ("a missile strike hit", &["missile strike"]),
        ("missile strikes hit", &["missile"]),
        ("attack one", &["attack"]),
        ("an attack on the post", &["attack on"]),
        ("war warned", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(terms_found(&s, text), want, "{text}");
    }
}

#[test]
fn wildcards_and_proximity() {
    let mut r = rules(vec![phrase("strike * inside", 6.0, "threaten")]);
    r.terms.push(Term {
        label: "troops ~ border".into(),
        pattern: Pattern::near(&["troops".into(), "border".into()], 4).expect("near"),
        weight: 5.0,
        category: "mobilize".into(),
        rung: None,
        standalone: false,
    });
    let s = Scorer::new(r).expect("compiles");
    let cases: [(&str, &[&str]); 7] = [
        ("We will strike deep inside their land.", &["strike * inside"]),
        ("We will strike inside their land.", &[]),
        ("We will strike far deep inside.", &[]),
        ("Troops moved to the border.", &["troops ~ border"]),
        ("The border saw troops arrive.", &["troops ~ border"]),
        ("Troops were far from the quiet and distant border.", &[]),
        ("Strike deep inside", &["strike * inside"]),
    ];
    for (text, want) in cases {
        assert_eq!(terms_found(&s, text), want, "{text}");
    }
    assert!(Pattern::phrase("* strike").is_err());
    assert!(Pattern::phrase("strike *").is_err());
    assert!(Pattern::near(&["one".into()], 3).is_err());
}

#[test]
fn a_pattern_within_a_phrase_of_its_category_is_not_counted_twice() {
    let mut r = rules(vec![phrase("strike deep inside", 6.0, "threaten"), phrase("deep", 1.0, "other")]);
    r.terms.push(Term {
        label: "strike ~ inside".into(),
        pattern: Pattern::near(&["strike".into(), "inside".into()], 8).expect("near"),
        weight: 6.0,
        category: "threaten".into(),
        rung: None,
        standalone: false,
    });
    let s = Scorer::new(r).expect("compiles");
    let cases: [(&str, &[&str]); 3] = [
        ("They will strike deep inside the province.", &["strike deep inside"]),
        ("They will strike targets inside the province.", &["strike ~ inside"]),
        ("They will strike deep, then inside.", &["deep", "strike ~ inside"]),
    ];
    for (text, want) in cases {
        assert_eq!(terms_found(&s, text), want, "{text}");
    }
}

#[test]
fn negation_and_its_exceptions() {
    let s = scorer(&[
        ("strike", 6.0, "threaten"),
        ("military action", 6.0, "threaten"),
        ("attacked", 7.0, "assault"),
    ]);
    // (text, negated)
    let cases = [
        ("Pakistan will strike the camps.", false),
        ("Pakistan will not strike the camps.", true),
        ("Officials ruled out military action.", true),
        ("The army denied that it attacked the village.", true),
        ("We will not hesitate to strike the camps.", false),
        ("They left us no choice but to strike.", false),
        // Out of scope: more than five words after the cue.
        ("Nobody could say whether not a single one of the ten armed men attacked them.", false),
        // A comma ends the cue's clause.
        ("If talks do not succeed, we will strike.", false),
        ("The army never attacked anyone.", true),
    ];
    for (text, negated) in cases {
        let scored = s.score("", text);
        assert_eq!(scored.matches.len(), 1, "{text}");
        let m = &scored.matches[0];
        assert_eq!(m.flags.negated, negated, "{text}");
        let want = if negated { 0.0 } else { m.weight * 1.25 };
        assert!((m.contribution - want).abs() < 1e-9, "{text}: {}", m.contribution);
    }
}

#[test]
fn conditional_framing_marks_a_threat() {
    let s = scorer(&[("strike", 6.0, "threaten")]);
    let cases = [
        ("If attacks continue, Pakistan will strike.", true),
        ("Pakistan will strike unless the camps close.", true),
        ("Pakistan said it will strike.", false),
        // The threat, then its condition.
        ("Pakistan will strike if asked.", true),
        ("If asked, Pakistan said it may strike.", false),
    ];
    for (text, conditional) in cases {
        let m = &s.score("", text).matches[0];
        assert_eq!(m.flags.conditional, conditional, "{text}");
    }
}

#[test]
fn allegations_count_less() {
    let s = scorer(&[("attacked", 8.0, "assault"), ("genocide", 8.0, "assault")]);
    // (text, alleged)
    let cases = [
        ("Militants attacked the post.", false),
        ("The report alleged that the army attacked the village in 1994.", true),
        ("Kigali repeated its allegations of a role in the genocide.", true),
        ("Officials were accused of planning the genocide twenty years ago.", true),
        ("Ministers said the rebels were behind the chemical attacks, which attacked nobody.", true),
        // The cue must come first: what precedes it is reported, not alleged.
        ("Gunmen attacked the convoy, and police accused of negligence were suspended.", false),
    ];
    for (text, alleged) in cases {
        let m = &s.score("", text).matches[0];
        assert_eq!(m.flags.alleged, alleged, "{text}");
        let want = if alleged { 8.0 * 1.25 * 0.4 } else { 8.0 * 1.25 };
        assert!((m.contribution - want).abs() < 1e-9, "{text}: {}", m.contribution);
    }
}

#[test]
fn violence_a_deescalation_followed_is_background() {
    let s = scorer(&[("fighting", 8.0, "fight"), ("ceasefire", -3.0, "deescalate")]);
    // (text, background, alerts)
    let cases = [
        ("They agreed to a ceasefire after two days of fierce fighting.", true, false),
        ("A ceasefire was declared following heavy fighting.", true, false),
        // No de-escalation before the cue: the fighting is the news.
        ("Fierce fighting broke out after talks failed.", false, true),
        ("After the talks failed, fighting resumed.", false, true),
        // The violence comes first: the ceasefire did not hold it back.
        ("Fighting resumed hours after the ceasefire.", false, true),
        // A refused de-escalation is none.
        ("They rejected a ceasefire offer made after days of heavy fighting.", false, true),
    ];
    for (text, background, alerts) in cases {
        let scored = s.score("", text);
        let m = scored.matches.iter().find(|m| m.term == "fighting").expect("fighting");
        assert_eq!(m.flags.background, background, "{text}");
        assert_eq!(scored.alert, alerts, "{text}: {}", scored.score);
    }
}

#[test]
fn title_and_lede_count_more() {
    let s = scorer(&[("clashes", 4.0, "fight")]);
    let cases = [
        ("Clashes on the border", "Nothing.", Place::Title, 6.0),
        ("Markets", "Clashes broke out. Second sentence.", Place::Lede, 5.0),
        ("Markets", "First sentence. Clashes broke out.", Place::Body, 4.0),
    ];
    for (title, body, place, want) in cases {
        let scored = s.score(title, body);
        assert_eq!(scored.matches[0].place, place, "{title} / {body}");
        assert!((scored.score - want).abs() < 1e-9, "{title} / {body}: {}", scored.score);
    }
}

#[test]
fn a_lone_mention_deep_in_the_body_stays_below_the_threshold() {
    let mut r = rules(vec![phrase("attacked", 7.0, "assault"), phrase("killed", 7.0, "assault")]);
    // A body weight below 1 keeps a lone mention deep in the body from alerting.
    r.context = Context { body_weight: 0.8, ..Context::default() };
    let s = Scorer::new(r).expect("compiles");
    let calm = "Officials met on Tuesday. The budget was passed. Roads will be built.";
    // (body, score, alerts)
    let cases = [
        (format!("Gunmen attacked a bus. {calm}"), 8.75, true),
        (format!("Officials met. Gunmen attacked a bus. {calm}"), 8.75, true),
        (format!("{calm} Years ago, rebels attacked the town."), 5.6, false),
        (format!("{calm} Rebels attacked the town and killed two."), 11.2, true),
    ];
    for (body, want, alerts) in cases {
        let scored = s.score("", &body);
        assert!((scored.score - want).abs() < 1e-9, "{body}: {}", scored.score);
        assert_eq!(scored.alert, alerts, "{body}");
    }
}

#[test]
fn repeats_give_diminishing_returns() {
    let s = scorer(&[("retaliate", 2.0, "threaten")]);
    let cases = [(1, 2.0), (2, 3.0), (3, 3.5), (4, 3.75)];
    for (n, want) in cases {
        let body = format!("Intro. {}", "They will retaliate. ".repeat(n));
        let scored = s.score("", &body);
        assert!((scored.score - want).abs() < 1e-9, "{n}: {}", scored.score);
        let occurrences: Vec<u32> = scored.matches.iter().map(|m| m.occurrence).collect();
        assert_eq!(occurrences.len(), n);
        assert!(occurrences.contains(&u32::try_from(n).expect("small")));
    }
}

#[test]
fn excluded_phrases_and_negative_terms_keep_idioms_out() {
    let mut r = rules(vec![
        phrase("attack", 7.0, "assault"),
        phrase("strike", 7.0, "assault"),
        phrase("wickets", -3.0, "sport"),
    ]);
    r.exclude = vec!["bowling attack".into(), "strike rate".into()];
    let s = Scorer::new(r).expect("compiles");
    let cases = [
        ("Their bowling attack was sharp.", 0.0),
        ("His strike rate was 180.", 0.0),
        ("Militants attack a post.", 7.0),
        ("He took three wickets.", -3.0),
    ];
    for (text, want) in cases {
        let scored = s.score("", &format!("Intro. {text}"));
        assert!((scored.score - want).abs() < 1e-9, "{text}: {}", scored.score);
    }
}

#[test]
fn terms_in_other_scripts_match() {
    let s = scorer(&[("حملہ", 7.0, "assault"), ("हमला", 7.0, "assault")]);
    let scored = s.score("", "تعارف۔ سرحد پر حملہ ہوا۔ سرحد پر حملہ آور نہیں۔");
    assert_eq!(scored.matches.len(), 2);
    assert_eq!(scored.matches[0].sentence, "سرحد پر حملہ ہوا۔");
    let scored = s.score("", "सीमा पर हमला हुआ।");
    assert_eq!(scored.matches.len(), 1);
    // NFKC: the ligature and full-width forms of a term still match.
    let s = scorer(&[("firing", 7.0, "fight")]);
    assert_eq!(s.score("", "Heavy \u{fb01}ring was heard.").matches.len(), 1);
    assert_eq!(s.score("", "ＦＩＲＩＮＧ").matches.len(), 1);
}

#[test]
fn actors_source_before_target_after() {
    let mut r = rules(vec![phrase("attacked", 7.0, "assault")]);
    r.actors = vec![
        actor("Pakistan", vec!["Islamabad".into(), "Pakistani".into()]),
        actor("Afghanistan", vec!["Kabul".into(), "Afghan Taliban".into(), "Afghan".into()]),
        actor("TTP", vec!["Tehreek-e-Taliban Pakistan".into()]),
    ];
    let s = Scorer::new(r).expect("compiles");
    let pair = |a: &str, b: &str| ActorPair { source: Some(a.into()), target: Some(b.into()) };
    let cases = [
        ("Pakistani jets attacked hideouts in Afghanistan.", vec![pair("Pakistan", "Afghanistan")]),
        ("The Afghan Taliban attacked a Pakistani post.", vec![pair("Afghanistan", "Pakistan")]),
        ("Tehreek-e-Taliban Pakistan militants attacked Islamabad police.", vec![pair("TTP", "Pakistan")]),
        // The simple rule: the first actor before is the source, the first other one after the target.
        (
            "Kabul said Pakistan attacked Afghan villages.",
            vec![ActorPair { source: Some("Afghanistan".into()), target: None }],
        ),
        ("Gunmen attacked a bus.", vec![]),
    ];
    for (text, want) in cases {
        let scored = s.score("", text);
        assert_eq!(scored.actors, want, "{text}");
    }
}

#[test]
fn explanation_records_everything() {
    let s = scorer(&[("strike deep inside", 6.0, "threaten"), ("retaliate", 2.0, "threaten")]);
    let scored = s.score(
        "Minister warns",
        "Intro. Pakistan will strike deep inside Afghanistan, the minister said. \
         He said forces would retaliate. They would not retaliate again.",
    );
    let first = &scored.matches[0];
    assert_eq!(first.term, "strike deep inside");
    assert_eq!(first.category, "threaten");
    assert!((first.weight - 6.0).abs() < 1e-9);
    assert!((first.contribution - 6.0).abs() < 1e-9);
    assert_eq!(first.sentence, "Pakistan will strike deep inside Afghanistan, the minister said.");
    assert_eq!(first.place, Place::Body);
    assert!(!first.flags.negated && !first.flags.conditional);
    let negated: Vec<&Match> = scored.matches.iter().filter(|m| m.flags.negated).collect();
    assert_eq!(negated.len(), 1);
    assert_eq!(negated[0].sentence, "They would not retaliate again.");
    assert!((scored.score - 8.0).abs() < 1e-9, "{}", scored.score);
    assert_eq!(scored.severity, Some(Severity::Low), "no rung, no event: the lowest severity");
}

#[test]
fn alerts_from_the_threshold_up_and_empty_lexicon() {
    let s = scorer(&[("skirmish", 5.99, "fight"), ("clash", 6.0, "fight")]);
    // The second sentence is body, weighing 1 in these rules.
    let cases =
        [("Intro. A skirmish.", false), ("Intro. A clash.", true), ("Intro. A skirmish and a clash.", true)];
    for (text, want) in cases {
        let scored = s.score("", text);
        assert_eq!(scored.alert, want, "{text}");
        assert_eq!(scored.severity.is_some(), want, "{text}");
        assert_eq!(scored.reason.is_some(), !want, "{text}: a quiet article says why");
    }
    let empty = scorer(&[]);
    assert!(empty.score("war", "war").score.abs() < f64::EPSILON, "an empty lexicon scores nothing");
    assert!(!empty.score("war", "war").alert);
}

#[test]
fn rules_hash_follows_the_rules() {
    let a = scorer(&[("war", 1.0, "fight")]);
    let b = scorer(&[("war", 1.0, "fight")]);
    let c = scorer(&[("war", 2.0, "fight")]);
    assert_eq!(a.rules_hash(), b.rules_hash());
    assert_ne!(a.rules_hash(), c.rules_hash());
    assert_eq!(a.rules_hash().len(), 16);
}

#[test]
fn long_sentences_are_cut() {
    let s = scorer(&[("war", 1.0, "fight")]);
    let body = format!("war {}", "word ".repeat(200));
    let sentence = &s.score("", &body).matches[0].sentence;
    assert!(sentence.chars().count() <= SNIPPET_CHARS);
    assert!(sentence.starts_with("war word word"));
    assert!(sentence.ends_with('…'));
}

#[test]
fn live_scorer_swaps_whole() {
    let live = LiveScorer::new(scorer(&[("war", 7.0, "fight")]));
    let before = live.current();
    live.replace(scorer(&[("peace", 7.0, "fight")]));
    assert!(before.score("", "war").score > 0.0, "work in flight keeps its rules");
    assert!(live.current().score("", "war").score.abs() < f64::EPSILON);
}

#[test]
fn the_prefilter_changes_no_score() {
    let mut r = rules(vec![
        phrase("strike deep inside", 6.0, "threaten"),
        phrase("attacked", 7.0, "assault"),
        phrase("on alert", 5.0, "mobilize"),
        phrase("war", 3.0, "fight"),
        phrase("ceasefire", -3.0, "deescalate"),
        phrase("حملہ", 7.0, "assault"),
        phrase("fighting", 7.0, "fight"),
        phrase("\u{e0} bout portant", 7.0, "assault"),
        phrase("\u{ab}war\u{bb}", 2.0, "fight"),
    ]);
    r.terms.push(Term {
        label: "troops ~ deployed".into(),
        pattern: Pattern::near(&["troops".into(), "deployed".into()], 6).expect("near"),
        weight: 5.0,
        category: "mobilize".into(),
        rung: None,
        standalone: false,
    });
    r.exclude = vec!["war of words".into()];
    let fast = Scorer::new(r.clone()).expect("compiles");
    let full = Scorer::new(r).expect("compiles").without_prefilter();
    let parts = [
        "Gen. Munir said they would strike deep inside Afghanistan.",
        "U.S. officials said \u{201c}troops were deployed\u{201d} near the border.",
        "\u{fb01}ghting resumed in the north",
        "Forces are on\u{a0}alert \u{2014} officials said.",
        "The army said it was \u{ff21}ttacked.",
        "\u{062d}\u{0645}\u{0644}\u{06c1} \u{06c1}\u{0648}\u{0627}\u{06d4}",
        "They agreed to a ceasefire after fierce fighting.",
        "A war of words, not a war.",
        "STRIKE   DEEP\tINSIDE",
        "He said: \"They attacked.\" Then left.",
        "Markets were calm and prices held firm on Tuesday.",
        "The war-torn town!",
        "Nobody attacked.",
        // A combining grave accent makes "a" the "\u{e0}" of the term.
        "Il a tire a\u{300} bout portant.",
        "They called it \u{ab}war\u{bb} at last.",
    ];
    let mut seed = 7_usize;
    for n in 0..400 {
        let mut body = String::new();
        for _ in 0..=(n % 9) {
            seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
            body.push_str(parts[seed % parts.len()]);
            body.push_str([" ", "\n", "  ", " \n\n"][seed / 7 % 4]);
        }
        assert_eq!(fast.score("Title", &body), full.score("Title", &body), "{body}");
    }
}
