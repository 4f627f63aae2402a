//! The join-or-new decision: gradient-boosted trees over what an article shares with a story.
//! Pure.
//!
//! The features: the cosines of the article's title, body and entity vectors with the story's
//! (TF-IDF, current IDF) and with the story's latest article's title and body; the IDF of the
//! rarest entity they share (scaled by its largest possible value, so a victim's name counts and
//! a city's barely); the time since the story's last article as `ln(1 + days)`; whether the
//! story already has an article of the same outlet within a day (an outlet updates its report of
//! an event; a second one within a day is more often another event), and ever.
//!
//! Full names ("Rahim Khan") carry most of what ties a follow-up to its event weeks later: the
//! IDF of the rarest shared name, and its exclusivity, the share of the earlier articles naming
//! it that are the story's (a victim named in one story is that story's; a minister named in
//! fifty is nobody's); how many shared names are mostly the story's; the share of the article's
//! names the story holds; and the exclusivity of the shared numbers and of the shared names
//! given with an age (people).
//!
//! Evidence does not add up: a title cosine of 0.8 says far more than twice what 0.4 says, and
//! a shared name means one thing on the day (outlets report an event in other words) and
//! another weeks later (a follow-up names the event's people). Trees find those thresholds and
//! interactions where a weighted sum cannot. The ensemble (200 trees of at most 15 leaves, in
//! `trees.rs`) was fitted once by `benches/stories/fit.py` on (article, candidate story) pairs of
//! two development sets of differently shaped news (US local crime reports over years, national
//! politics from several outlets), and is fixed: the article joins the best-scoring candidate
//! when its log-odds are above zero (probability above one half), else it opens a story.

#[path = "trees.rs"]
mod trees;

/// What an article shares with one candidate story.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Features {
    /// Cosine of the title vectors.
    pub(crate) title: f32,
    /// Cosine of the body vectors.
    pub(crate) body: f32,
    /// Cosine of the entity vectors.
    pub(crate) entities: f32,
    /// IDF of the rarest shared entity over `ln(N + 2)`, 0 when none is shared.
    pub(crate) rare_entity: f32,
    /// Days since the story's last article (either way round).
    pub(crate) gap_days: f32,
    /// Cosine with the title of the story's latest article: a story drifts, and its newest
    /// report says best what a follow-up will be titled.
    pub(crate) latest_title: f32,
    /// Cosine with the body of the story's latest article.
    pub(crate) latest_body: f32,
    /// The story has an article of the same outlet within a day.
    pub(crate) same_outlet_day: bool,
    /// The story has an article of the same outlet.
    pub(crate) same_outlet: bool,
    /// IDF of the rarest shared name over `ln(N + 2)`, 0 when none is shared.
    pub(crate) rare_name: f32,
    /// The largest exclusivity of a shared name: the story's articles naming it over the other
    /// articles naming it, at most 1.
    pub(crate) exclusive_name: f32,
    /// Shared names at least half of whose other articles are the story's.
    pub(crate) exclusive_names: f32,
    /// The share of the article's names the story holds.
    pub(crate) names_held: f32,
    /// The largest exclusivity of a shared number.
    pub(crate) exclusive_number: f32,
    /// The largest exclusivity of a shared name the article gives with an age.
    pub(crate) exclusive_person: f32,
}

/// One node of a tree, the trees laid out in preorder: a split sends a feature at or below its
/// threshold to the next node, else `right` nodes further on; a leaf holds its share of the
/// log-odds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    threshold: f32,
    feature: u8,
    right: u8,
}

impl Node {
    const LEAF: u8 = u8::MAX;

    pub(super) const fn split(feature: u8, threshold: f32, right: u8) -> Self {
        Self { threshold, feature, right }
    }

    pub(super) const fn leaf(value: f32) -> Self {
        Self { threshold: value, feature: Self::LEAF, right: 0 }
    }
}

/// The features the trees read, in [`Features::vector`]'s order.
const FEATURES: usize = 15;

impl Features {
    /// The trees' inputs: the title, body and entity cosines; the rare entity; `ln(1 + gap)`
    /// in whole days (the trees learnt from day-level dates: hours apart is the same day);
    /// the same outlet within a day; the latest title and body cosines; the rare name; the
    /// exclusive name; the same outlet ever; `ln(1 + exclusive names)`; the names held; the
    /// exclusive number; the exclusive person.
    fn vector(&self) -> [f32; FEATURES] {
        [
            self.title,
            self.body,
            self.entities,
            self.rare_entity,
            self.gap_days.abs().floor().ln_1p(),
            flag(self.same_outlet_day),
            self.latest_title,
            self.latest_body,
            self.rare_name,
            self.exclusive_name,
            flag(self.same_outlet),
            self.exclusive_names.ln_1p(),
            self.names_held,
            self.exclusive_number,
            self.exclusive_person,
        ]
    }

    /// The log-odds that the article belongs to the story: the baseline plus one leaf of each
    /// tree.
    pub(crate) fn score(&self) -> f32 {
        let x = self.vector();
        let leaf = |root: u16| {
            let mut at = usize::from(root);
            let mut node = trees::NODES[at];
            while node.feature != Node::LEAF {
                at +=
                    if x[usize::from(node.feature)] <= node.threshold { 1 } else { usize::from(node.right) };
                node = trees::NODES[at];
            }
            node.threshold
        };
        trees::BASELINE + trees::ROOTS.iter().map(|&root| leaf(root)).sum::<f32>()
    }
}

fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

#[cfg(test)]
mod tests {
    use super::{FEATURES, Features, Node, trees};

    /// A pair of title, body and entity cosines (the story's latest article alike), with its
    /// rarest shared entity, `gap_days` apart.
    fn f(title: f32, body: f32, entities: f32, rare_entity: f32, gap_days: f32) -> Features {
        Features {
            title,
            body,
            entities,
            rare_entity,
            gap_days,
            latest_title: title,
            latest_body: body,
            ..Features::default()
        }
    }

    /// Two reports of one event on its day: what such pairs typically share, names included.
    fn one_event_same_day() -> Features {
        Features { rare_name: 0.9, exclusive_name: 0.4, names_held: 0.4, ..f(0.3, 0.3, 0.47, 0.95, 0.0) }
    }

    /// A follow-up weeks later (an arrest, a trial): little wording in common, but the
    /// story's own people, named by few other articles.
    fn follow_up(exclusive: f32, exclusive_names: f32) -> Features {
        Features {
            latest_title: 0.16,
            latest_body: 0.29,
            rare_name: 0.99,
            exclusive_name: exclusive,
            exclusive_names,
            names_held: 0.38,
            ..f(0.21, 0.31, 0.43, 0.99, 40.0)
        }
    }

    /// The article joins when the log-odds are above zero.
    fn joins(features: &Features) -> bool {
        features.score() > 0.0
    }

    #[test]
    fn joins_on_what_an_event_s_reports_share() {
        let cases = [
            ("nothing shared", f(0.0, 0.0, 0.0, 0.0, 0.0), false),
            ("one event, two outlets, its day", one_event_same_day(), true),
            ("two events of a day that share a word or two", f(0.01, 0.06, 0.04, 0.68, 0.0), false),
            ("a follow-up naming the story's own people", follow_up(1.0, 3.0), true),
            ("a follow-up naming people other stories name", follow_up(0.1, 0.0), false),
            ("weeks later, the same words but no name", follow_up(0.0, 0.0), false),
            (
                "weeks later, only common names",
                Features {
                    rare_name: 0.88,
                    exclusive_name: 0.25,
                    names_held: 0.12,
                    ..f(0.01, 0.09, 0.08, 0.82, 40.0)
                },
                false,
            ),
        ];
        for (name, features, want) in cases {
            assert_eq!(joins(&features), want, "{name}: score {}", features.score());
        }
    }

    #[test]
    fn time_and_a_second_report_of_the_same_outlet_lower_the_score() {
        for near in [one_event_same_day(), f(0.15, 0.2, 0.25, 0.8, 0.0)] {
            let far = Features { gap_days: 10.0, ..near };
            assert!(far.score() < near.score(), "{} !< {}", far.score(), near.score());
            assert!((Features { gap_days: -10.0, ..near }.score() - far.score()).abs() < 1e-6);
            let again = Features { same_outlet_day: true, same_outlet: true, ..near };
            assert!(again.score() < near.score(), "{} !< {}", again.score(), near.score());
        }
    }

    #[test]
    fn every_tree_ends_in_a_leaf() {
        for (tree, &root) in trees::ROOTS.iter().enumerate() {
            let end = trees::ROOTS.get(tree + 1).map_or(trees::NODES.len(), |&next| usize::from(next));
            let mut pending = vec![usize::from(root)];
            let mut leaves = 0;
            while let Some(at) = pending.pop() {
                assert!(at < end, "tree {tree} leaves its nodes at {at}");
                let node = trees::NODES[at];
                if node.feature == Node::LEAF {
                    assert!(node.threshold.is_finite(), "tree {tree}, leaf {at}");
                    leaves += 1;
                } else {
                    assert!(usize::from(node.feature) < FEATURES, "tree {tree}, node {at}");
                    assert!(node.right > 1, "tree {tree}, node {at}: its left child is the next node");
                    pending.push(at + 1);
                    pending.push(at + usize::from(node.right));
                }
            }
            assert_eq!(2 * leaves - 1, end - usize::from(root), "tree {tree}: every node reached once");
        }
    }
}
