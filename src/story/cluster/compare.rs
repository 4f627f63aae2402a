//! What an article shares with a candidate story: the features of the decision (`decide`).

use super::{Clusterer, Incoming, REWEIGH_EVERY, Story};
use crate::story::decide::Features;
use crate::story::sparse::{dot, shared};
use crate::story::vocab::{Frequencies, norm, weighed_dot};

impl Clusterer {
    /// The features of `incoming` against the story in `slot`, its norms weighed again first
    /// when stale.
    pub(super) fn features(&mut self, slot: u64, incoming: &Incoming<'_>) -> Features {
        const DAY: i64 = 86_400;
        let docs = self.vocab.fields[0].docs();
        let fields = &self.vocab.fields;
        let story = self.stories.get_mut(&slot).expect("candidates are in the window");
        if story.norms.is_none() || docs - story.weighed_at >= REWEIGH_EVERY {
            story.norms = Some([0, 1, 2].map(|i| norm(&story.bags[i], &fields[i])));
            story.weighed_at = docs;
        }
        let norms = story.norms.expect("weighed just now");
        let cosine =
            |i: usize| weighed_dot(&incoming.vectors[i], &incoming.idfs[i], &story.bags[i]) / norms[i];
        let names = Names::shared(incoming, story, &self.vocab.fields);
        let entities = &self.vocab.fields[2];
        let rare = incoming.vectors[2]
            .terms()
            .iter()
            .zip(&incoming.idfs[2])
            .filter(|(t, _)| story.bags[2].contains(**t))
            .map(|(_, idf)| *idf)
            .fold(0.0, f32::max);
        #[expect(clippy::cast_precision_loss, reason = "a gap in days needs no more than f32")]
        let gap_days = (incoming.now - story.last_seen) as f32 / DAY as f32;
        let doc = &incoming.vectors;
        Features {
            title: cosine(0),
            body: cosine(1),
            entities: cosine(2),
            rare_entity: rare / (entities.docs() + 2.0).ln(),
            gap_days,
            latest_title: dot(&doc[0], &story.latest[0]),
            latest_body: dot(&doc[1], &story.latest[1]),
            same_outlet_day: story
                .members
                .iter()
                .any(|m| m.outlet == incoming.outlet && (incoming.now - m.at).abs() < DAY),
            same_outlet: story.members.iter().any(|m| m.outlet == incoming.outlet),
            rare_name: names.rarest / (self.vocab.fields[3].docs() + 2.0).ln(),
            exclusive_name: names.exclusive,
            exclusive_names: names.mostly_its,
            #[expect(clippy::cast_precision_loss, reason = "counts of names in one article")]
            names_held: names.held as f32 / incoming.names.len().max(1) as f32,
            exclusive_number: names.number,
            exclusive_person: names.person,
        }
    }
}

/// What an article's full names and numbers share with a story.
#[derive(Debug, Default)]
struct Names {
    /// The largest IDF of a shared name.
    rarest: f32,
    /// The largest [`exclusivity`] of a shared name.
    exclusive: f32,
    /// Shared names of exclusivity at least one half.
    mostly_its: f32,
    /// Shared names.
    held: usize,
    /// The largest exclusivity of a shared number.
    number: f32,
    /// The largest exclusivity of a shared name the article gives with an age.
    person: f32,
}

impl Names {
    fn shared(incoming: &Incoming<'_>, story: &Story, fields: &[Frequencies]) -> Self {
        let mut out = Self::default();
        let (terms, docs) = (incoming.names.terms(), story.name_docs.values());
        for (i, j) in shared(&incoming.names, &story.name_docs) {
            let exclusive = exclusivity(docs[j], fields[3].df(terms[i]));
            out.held += 1;
            out.rarest = out.rarest.max(incoming.name_idfs[i]);
            out.exclusive = out.exclusive.max(exclusive);
            if exclusive >= 0.5 {
                out.mostly_its += 1.0;
            }
            if incoming.doc.aged.binary_search(&terms[i]).is_ok() {
                out.person = out.person.max(exclusive);
            }
        }
        for term in &incoming.doc.numbers {
            if let Some(docs) = story.entity_docs.get(*term) {
                out.number = out.number.max(exclusivity(docs, fields[2].df(*term)));
            }
        }
        out
    }
}

/// The share of the other articles carrying a term that are a story's: `docs` of its articles
/// carry it, `df` articles in all (the one being placed among them), both decayed alike. The
/// others are never fewer than the story's own: a decayed `df` can fall below them (the one
/// being placed counts whole), and a table that dropped the term counts it 0.
fn exclusivity(docs: f32, df: f32) -> f32 {
    if docs <= 0.0 {
        return 0.0;
    }
    (docs / (df - 1.0).max(docs)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::exclusivity;

    #[test]
    fn exclusivity_is_the_story_s_share_of_the_other_carriers() {
        let cases = [
            ("the story's alone", 2.0, 3.0, 1.0),
            ("one of ten", 1.0, 11.0, 0.1),
            ("halved alike: the same share", 0.5, 6.0, 0.1),
            ("decayed below the story's own", 0.5, 1.25, 1.0),
            ("forgotten by the table", 1.0, 0.0, 1.0),
            ("not the story's", 0.0, 4.0, 0.0),
        ];
        for (name, docs, df, want) in cases {
            assert!((exclusivity(docs, df) - want).abs() < 1e-6, "{name}: {}", exclusivity(docs, df));
        }
    }
}
