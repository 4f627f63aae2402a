//! The rules hash: a short name for a set of rules, stamped on each alert so that an alert says
//! which rules raised it and `rescore` can tell old rules from new.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::rules::Rules;

/// First 16 hex digits of the SHA-256 of the rules' canonical form.
pub(super) fn rules_hash(rules: &Rules) -> String {
    let digest = Sha256::digest(canonical(rules));
    digest.iter().take(8).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The rules as compact JSON: fields in declaration order, floats in `serde_json`'s shortest
/// round-trip form (the same on every platform), and every field at its default value left out.
///
/// Defaults are left out so that a field added to a rules type, with a default that keeps
/// today's behaviour, changes no existing hash: rules that do not set it hash as they did. (Debug
/// output, hashed before, names every field, so any new field changed every hash.) The price:
/// changing a default itself, such as `Context::default().negation_scope`, changes what rules
/// that rely on it mean but not their hash.
fn canonical(rules: &Rules) -> String {
    serde_json::to_string(rules).expect("rules serialise to JSON: every key is a field name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Actor, Context, Pattern, Term, Thresholds};

    fn term(label: &str, pattern: Pattern, weight: f64, category: &str) -> Term {
        Term {
            label: label.into(),
            pattern,
            weight,
            category: category.into(),
            rung: None,
            standalone: false,
        }
    }

    /// Small rules with one term of each pattern, an exclusion, one context field changed and
    /// an actor: every kind of field the canonical form writes.
    fn sample() -> Rules {
        Rules {
            terms: vec![
                term("war", Pattern::phrase("war").expect("phrase"), 7.0, "fight"),
                term(
                    "strike * inside",
                    Pattern::phrase("strike * inside").expect("wildcard"),
                    6.0,
                    "threaten",
                ),
                term(
                    "troops ~ border within 4",
                    Pattern::near(&["troops".into(), "border".into()], 4).expect("near"),
                    5.5,
                    "mobilize",
                ),
            ],
            exclude: vec!["war of words".into()],
            context: Context { negation_scope: 3, ..Context::default() },
            actors: vec![Actor {
                name: "India".into(),
                aliases: vec!["indian".into()],
                kind: crate::score::ActorKind::Country,
                country: Some("India".into()),
            }],
            frames: Vec::new(),
            events: crate::score::Events::default(),
            relevance: None,
            severity: Thresholds { threshold: 6.0 },
        }
    }

    #[test]
    fn the_canonical_form_and_hash_are_pinned() {
        // A change here changes the hash of every stored alert's rules: make it on purpose.
        assert_eq!(
            canonical(&sample()),
            concat!(
                r#"{"terms":[{"label":"war","pattern":{"phrase":"war"},"weight":7.0,"category":"fight"},"#,
                r#"{"label":"strike * inside","pattern":{"wildcard":["strike",null,"inside"]},"#,
                r#""weight":6.0,"category":"threaten"},{"label":"troops ~ border within 4","#,
                r#""pattern":{"near":{"parts":["troops","border"],"within":4}},"weight":5.5,"#,
                r#""category":"mobilize"}],"exclude":["war of words"],"context":{"negation_scope":3},"#,
                r#""actors":[{"name":"India","aliases":["indian"],"kind":"country","country":"India"}],"#,
                r#""severity":{"threshold":6.0}}"#,
            )
        );
        assert_eq!(rules_hash(&sample()), "81b1955fedb2678c");
    }

    #[test]
    fn any_change_of_the_rules_changes_the_hash() {
        type Change = fn(&mut Rules);
        let changes: [(&str, Change); 18] = [
            ("weight", |r| r.terms[0].weight = 7.5),
            ("label", |r| r.terms[0].label = "War".into()),
            ("category", |r| r.terms[0].category = "assault".into()),
            ("phrase", |r| r.terms[0].pattern = Pattern::phrase("wars").expect("phrase")),
            ("wildcard", |r| r.terms[1].pattern = Pattern::phrase("strike * * inside").expect("wildcard")),
            ("within", |r| {
                r.terms[2].pattern = Pattern::near(&["troops".into(), "border".into()], 5).expect("near");
            }),
            ("term order", |r| r.terms.swap(0, 1)),
            ("term removed", |r| drop(r.terms.pop())),
            ("exclude", |r| r.exclude.clear()),
            ("context back to default", |r| r.context = Context::default()),
            ("context factor", |r| r.context.negation_factor = 0.1),
            ("context cues", |r| r.context.negation.push("hardly".into())),
            ("actor alias", |r| r.actors[0].aliases.push("indians".into())),
            ("threshold", |r| r.severity.threshold = 6.5),
            ("actor kind", |r| r.actors[0].kind = crate::score::ActorKind::State),
            ("rung", |r| r.terms[0].rung = Some(crate::score::Rung::Clash)),
            ("standalone", |r| r.terms[0].standalone = true),
            ("events", |r| r.events.interstate_bonus = 3),
        ];
        let base = rules_hash(&sample());
        for (name, change) in changes {
            let mut rules = sample();
            change(&mut rules);
            assert_ne!(rules_hash(&rules), base, "{name}");
        }
    }

    #[test]
    fn fields_at_their_default_are_left_out() {
        assert_eq!(serde_json::to_string(&Context::default()).expect("json"), "{}");
        let cases: [(Context, &str); 4] = [
            (Context { negation_scope: 6, ..Context::default() }, r#"{"negation_scope":6}"#),
            (
                Context { body_weight: 0.8, lede_sentences: 1, ..Context::default() },
                r#"{"lede_sentences":1,"body_weight":0.8}"#,
            ),
            (Context { negation: vec!["not".into()], ..Context::default() }, r#"{"negation":["not"]}"#),
            (Context { repeat_decay: 0.5, ..Context::default() }, "{}"),
        ];
        for (context, want) in cases {
            assert_eq!(serde_json::to_string(&context).expect("json"), want);
        }
        let bare = Rules {
            terms: Vec::new(),
            exclude: Vec::new(),
            context: Context::default(),
            actors: Vec::new(),
            frames: Vec::new(),
            events: crate::score::Events::default(),
            relevance: None,
            severity: Thresholds { threshold: 6.0 },
        };
        assert_eq!(canonical(&bare), r#"{"severity":{"threshold":6.0}}"#);
        let actor = Actor {
            name: "India".into(),
            aliases: Vec::new(),
            kind: crate::score::ActorKind::Other,
            country: None,
        };
        assert_eq!(serde_json::to_string(&actor).expect("json"), r#"{"name":"India"}"#);
    }
}
