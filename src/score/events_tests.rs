//! Table tests of events: conflict parties and standalone acts, frames, the escalation ladder.

use super::tests::{phrase, rules};
use super::*;
use crate::types::Severity;

/// Rules with typed actors, a standalone act, and an article and a sentence frame, for the
/// tests of events.
fn event_rules() -> Scorer {
    let mut r = Rules {
        terms: Vec::new(),
        exclude: Vec::new(),
        context: Context { lede_sentences: 1, ..Context::default() },
        actors: Vec::new(),
        frames: Vec::new(),
        events: Events::default(),
        relevance: None,
        severity: Thresholds { threshold: 6.0 },
    };
    r.terms = vec![
        Term { rung: Some(Rung::Attack), ..phrase("attacked", 7.0, "assault") },
        Term { rung: Some(Rung::Attack), standalone: true, ..phrase("airstrike", 7.0, "assault") },
        Term { rung: Some(Rung::Threat), ..phrase("warned", 6.0, "threaten") },
    ];
    let typed = |name: &str, kind, country: Option<&str>| Actor {
        name: name.into(),
        aliases: Vec::new(),
        kind,
        country: country.map(String::from),
    };
    r.actors = vec![
        typed("Pakistan", ActorKind::Country, Some("Pakistan")),
        typed("India", ActorKind::Country, Some("India")),
        typed("minister", ActorKind::State, None),
        typed("troops", ActorKind::Military, None),
        typed("police", ActorKind::Police, None),
        typed("militants", ActorKind::ArmedGroup, None),
        typed("journalist", ActorKind::Civic, None),
        typed("fans", ActorKind::Other, None),
    ];
    r.frames = vec![
        Frame {
            name: "sport".into(),
            cues: vec!["wicket".into(), "innings".into(), "bowler".into()],
            scope: FrameScope::Article,
            min_cues: 2,
            factor: 0.0,
            unless: vec![ActorKind::ArmedGroup],
        },
        Frame {
            name: "metaphor".into(),
            cues: vec!["war on polio".into()],
            scope: FrameScope::Sentence,
            min_cues: 1,
            factor: 0.0,
            unless: Vec::new(),
        },
    ];
    Scorer::new(r).expect("compiles")
}

#[test]
fn a_match_is_an_event_only_with_a_conflict_party_or_a_standalone_act() {
    let s = event_rules();
    // (sentence, event): one sentence after an intro, so it is body and weighs 1.
    let cases = [
        ("Pakistan attacked the post.", true),
        ("The minister attacked the post.", true),
        ("Troops attacked the post.", true),
        ("Police attacked the post.", true),
        ("Militants attacked the post.", true),
        ("A journalist was attacked at the post.", true),
        ("Fans attacked the post.", false),
        ("Someone attacked the post.", false),
        ("An airstrike hit the post.", true),
    ];
    for (sentence, event) in cases {
        let scored = s.score("", &format!("Intro. {sentence}"));
        let m = &scored.matches[0];
        assert_eq!(!m.flags.no_actor, event, "{sentence}");
        let want = if event { 7.0 } else { 7.0 * Events::default().no_actor_factor };
        assert!((m.contribution - want).abs() < 1e-9, "{sentence}: {}", m.contribution);
    }
}

#[test]
fn a_party_named_in_the_sentence_before_is_in_reach() {
    let s = event_rules();
    // (title, body, the body's last sentence is an event)
    let cases = [
        ("", "Intro. Militants stopped a bus. Six men were attacked.", true),
        ("", "Intro. The bus stopped. Six men were attacked.", false),
        ("", "Intro. Militants stopped a bus.\nThe road closed. Six men were attacked.", false),
        ("", "Intro. Fans stopped a bus. Six men were attacked.", false),
        ("Militants stop a bus", "Six men were attacked.", true),
        ("A bus stops", "Six men were attacked.", false),
    ];
    for (title, body, event) in cases {
        let scored = s.score(title, body);
        let m = scored.matches.last().expect("a match");
        assert_eq!(!m.flags.no_actor, event, "{title:?} {body:?}");
    }
}

/// Regression: article frames were searched in the raw text with folded cues, so a cue with a
/// letter that folds (Urdu heh goal in زلزلہ, Arabic hamza-alef in الإنقاذ) was never found.
#[test]
fn frame_cues_are_found_in_text_whose_letters_fold() {
    let mut r = rules(vec![Term { rung: Some(Rung::Attack), ..phrase("حملہ", 7.0, "assault") }]);
    r.actors = vec![Actor {
        name: "Pakistan".into(),
        aliases: vec!["پاکستان".into()],
        kind: ActorKind::Country,
        country: Some("Pakistan".into()),
    }];
    r.frames = vec![Frame {
        name: "disaster".into(),
        cues: vec!["زلزلہ".into(), "الإنقاذ".into(), "سیلاب".into()],
        scope: FrameScope::Article,
        min_cues: 3,
        factor: 0.0,
        unless: Vec::new(),
    }];
    let s = Scorer::new(r).expect("compiles");
    // The text spells them with heh goal and hamza-alef, which fold.
    let scored = s.score("", "تعارف۔ زلزلہ اور سیلاب کے بعد الإنقاذ۔ پاکستان پر حملہ۔");
    assert_eq!(scored.frames, ["disaster"], "{scored:?}");
    assert!(!scored.alert);
}

#[test]
fn frames_suppress_violent_words_and_yield_to_armed_parties() {
    let s = event_rules();
    let sport = "Intro. The bowler took a wicket. Pakistan attacked the post.";
    let framed = s.score("", sport);
    assert_eq!(framed.frames, ["sport"]);
    assert!(framed.matches[0].flags.framed && framed.score.abs() < 1e-9, "{framed:?}");
    assert_eq!(framed.reason.as_deref(), Some("suppressed: sport frame"));
    let armed = s.score("", "Intro. The bowler took a wicket. Militants attacked the post.");
    assert!(!armed.matches[0].flags.framed && armed.alert, "{armed:?}");
    let metaphor = s.score("", "Intro. The minister attacked the war on polio.");
    assert_eq!(metaphor.matches[0].frame.as_deref(), Some("metaphor"));
    assert!(!metaphor.alert);
}

#[test]
fn severity_climbs_the_ladder_with_states_and_officials() {
    let s = event_rules();
    // (title, severity, rung)
    let cases = [
        ("Militants warned the post", Severity::Low, Rung::Threat),
        ("The minister warned India", Severity::Low, Rung::Threat),
        ("Pakistan's minister warned India", Severity::High, Rung::Threat),
        ("Militants attacked the post", Severity::Medium, Rung::Attack),
        ("Pakistan attacked India", Severity::High, Rung::Attack),
    ];
    for (title, severity, rung) in cases {
        let scored = s.score(title, "");
        assert_eq!(scored.severity, Some(severity), "{title}: {scored:?}");
        let event = scored.event.expect("an event");
        assert_eq!(event.rung, rung, "{title}");
    }
    let past = s.score("", "Intro. Militants attacked the post in 1999. Talks began in 2026.");
    assert!(past.matches[0].flags.past, "{past:?}");
}

#[test]
fn violent_words_their_context_takes_away_never_alert_however_many() {
    let mut r = super::tests::rules(
        ["attacked", "shot", "stormed", "bombed"].iter().map(|p| phrase(p, 7.0, "assault")).collect(),
    );
    r.context.negation_factor = 0.5;
    r.frames = vec![Frame {
        name: "seizure".into(),
        cues: vec!["recovered".into()],
        scope: FrameScope::Sentence,
        min_cues: 1,
        factor: 0.5,
        unless: vec![ActorKind::ArmedGroup],
    }];
    r.actors = vec![Actor {
        name: "militants".into(),
        aliases: Vec::new(),
        kind: ActorKind::ArmedGroup,
        country: None,
    }];
    let s = Scorer::new(r).expect("compiles");
    // (body, alerts, reason): each body sums well past the threshold of 6.
    let cases = [
        (
            "Intro. It was not attacked. It was not shot. It was not stormed. It was not bombed.",
            false,
            "negated",
        ),
        ("Intro. They attacked the post. It was not shot. It was not stormed. It was not bombed.", true, ""),
    ];
    for (body, alerts, reason) in cases {
        let scored = s.score("", body);
        assert!(scored.score >= 6.0, "{body}: {}", scored.score);
        assert_eq!(scored.alert, alerts, "{body}");
        assert!(scored.reason.as_deref().unwrap_or_default().contains(reason), "{body}: {:?}", scored.reason);
    }
    // A sentence frame yields to the kinds it names: arms recovered after a gunfight with
    // militants leave the gunfight standing.
    let seized = s.score("", "Intro. Weapons were recovered after the post was attacked, shot and stormed.");
    assert!(seized.matches.iter().all(|m| m.flags.framed) && !seized.alert, "{seized:?}");
    let fight =
        s.score("", "Intro. Weapons were recovered after militants attacked, shot and stormed the post.");
    assert!(fight.matches.iter().all(|m| !m.flags.framed) && fight.alert, "{fight:?}");
}
