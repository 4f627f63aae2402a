//! The join-or-new decision: a logistic combination of what an article shares with a story.
//! Pure.
//!
//! The features: the cosines of the article's title, body and entity vectors with the story's
//! (TF-IDF, current IDF) and with the story's latest article's title and body; the IDF of the
//! rarest entity they share (scaled by its largest possible value, so a victim's name counts and
//! a city's barely); the time since the story's last article as `ln(1 + days)`, plus gap buckets
//! (1–3 days, more) alone and times the rare entity, so that a story can continue days later on
//! a name few articles carry but not on common names; whether the story already has an article
//! of the same outlet within a day (an outlet updates its report of an event; a second one
//! within a day is more often another event), and ever.
//!
//! Full names ("Rahim Khan") carry most of what ties a follow-up to its event weeks later: the
//! IDF of the rarest shared name, and its exclusivity, the share of the earlier articles naming
//! it that are the story's (a victim named in one story is that story's; a minister named in
//! fifty is nobody's), both also by gap bucket; how many shared names are mostly the story's;
//! the share of the article's names the story holds; and the exclusivity of the shared numbers
//! and of the shared names given with an age (people).
//!
//! Each cosine also enters squared: evidence does not add up linearly, a title cosine of 0.8
//! says far more than twice what 0.4 says.
//!
//! The same day and later are two regimes, each with its own weights: on the day of an event
//! outlets report it in other words, later reports are follow-ups that name its people.
//! The weights were fitted once, by logistic regression on (article, candidate story) pairs of
//! two development sets of differently shaped news (US local crime reports over years, national
//! politics from several outlets), and are fixed: the article joins the best-scoring candidate
//! when its score is above zero (probability above one half), else it opens a story.

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

/// Features of one regime.
const FEATURES: usize = 28;

/// The weights of the same day's regime (the first 28), of the later regime (the next 28), the
/// later regime's own bias, and the intercept; each regime's features in [`Features::vector`]'s
/// order.
const WEIGHTS: [f32; 2 * FEATURES + 2] = [
    8.0248, -4.1952, 18.2789, 0.3692, 0.0, 0.0, 0.0, 0.0, 0.0, -2.9164, 3.5658, 18.5695, -1.3084, 0.0, 0.0,
    1.8196, 0.0, 0.0, -0.7968, -0.0081, 0.1985, -1.0376, -0.2698, -0.5768, 1.7169, -19.5855, -4.9892,
    -12.474, //
    3.2478, -8.3124, 14.43, 8.3243, -0.3248, -4.1998, -4.1545, 5.1885, 3.1358, 0.0, -1.8663, 19.0251,
    -1.1152, -0.1604, -0.9549, 1.1716, -0.3657, 1.5373, -0.7267, 1.5243, -2.4945, -0.1541, 3.3341, -0.7817,
    9.6341, -16.1799, 4.9294, -14.7691, //
    -8.3544, -4.8263,
];

fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

impl Features {
    /// The regime's features: title, body and entity cosines; the rare entity; `ln(1 + gap)`,
    /// a gap of 1–3 days, of more, and the rare entity at each; the same outlet within a day;
    /// the latest title and body cosines; the rare name, and at a gap of 1–3 days and of more;
    /// the exclusive name, and at each gap; the same outlet ever; `ln(1 + exclusive names)`;
    /// the names held; the exclusive number; the exclusive person; the squares of the five
    /// cosines.
    fn vector(&self) -> [f32; FEATURES] {
        let gap = self.gap_days.abs();
        let days_1_3 = flag((1.0..=3.0).contains(&gap));
        let more = flag(gap > 3.0);
        [
            self.title,
            self.body,
            self.entities,
            self.rare_entity,
            gap.ln_1p(),
            days_1_3,
            more,
            self.rare_entity * days_1_3,
            self.rare_entity * more,
            flag(self.same_outlet_day),
            self.latest_title,
            self.latest_body,
            self.rare_name,
            self.rare_name * days_1_3,
            self.rare_name * more,
            self.exclusive_name,
            self.exclusive_name * days_1_3,
            self.exclusive_name * more,
            flag(self.same_outlet),
            self.exclusive_names.ln_1p(),
            self.names_held,
            self.exclusive_number,
            self.exclusive_person,
            self.title * self.title,
            self.body * self.body,
            self.entities * self.entities,
            self.latest_title * self.latest_title,
            self.latest_body * self.latest_body,
        ]
    }

    /// The log-odds that the article belongs to the story.
    pub(crate) fn score(&self) -> f32 {
        let later = self.gap_days.abs() >= 1.0;
        let (weights, bias) = if later {
            (&WEIGHTS[FEATURES..2 * FEATURES], WEIGHTS[2 * FEATURES])
        } else {
            (&WEIGHTS[..FEATURES], 0.0)
        };
        self.vector().iter().zip(weights).map(|(x, w)| x * w).sum::<f32>() + bias + WEIGHTS[2 * FEATURES + 1]
    }

    /// Whether the article joins the story rather than opening one.
    pub(crate) fn joins(&self) -> bool {
        self.score() > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::Features;

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

    #[test]
    fn joins_when_the_evidence_outweighs_the_gap() {
        let cases = [
            ("nothing shared", f(0.0, 0.0, 0.0, 0.0, 0.0), false),
            ("same title and body, same day", f(0.9, 0.8, 0.7, 0.9, 0.0), true),
            ("a shared rare name and a similar body", f(0.2, 0.4, 0.4, 0.9, 1.0), true),
            ("a common topic only", f(0.1, 0.15, 0.1, 0.3, 0.0), false),
            ("the same text a month later still joins", f(0.9, 0.9, 0.9, 0.9, 30.0), true),
            ("a middling match a month later does not", f(0.3, 0.4, 0.4, 0.8, 30.0), false),
            ("a common name the next day does not", f(0.5, 0.5, 0.5, 0.5, 1.0), false),
        ];
        for (name, features, want) in cases {
            assert_eq!(features.joins(), want, "{name}: score {}", features.score());
        }
    }

    #[test]
    fn weeks_later_a_name_that_is_the_story_s_own_decides() {
        let trial = |exclusive: f32| Features {
            rare_name: 0.8,
            exclusive_name: exclusive,
            exclusive_names: if exclusive >= 0.5 { 2.0 } else { 0.0 },
            names_held: 0.5,
            exclusive_person: exclusive,
            ..f(0.3, 0.4, 0.4, 0.8, 40.0)
        };
        assert!(trial(1.0).joins(), "the victim's name, carried by the story alone: {}", trial(1.0).score());
        assert!(!trial(0.1).joins(), "a name many other stories carry: {}", trial(0.1).score());
        assert!(!trial(0.0).joins(), "no name shared: {}", trial(0.0).score());
    }

    #[test]
    fn the_decay_only_lowers_the_score() {
        let near = f(0.4, 0.4, 0.4, 0.6, 0.0);
        let far = Features { gap_days: 10.0, ..near };
        assert!(far.score() < near.score());
        assert!((Features { gap_days: -10.0, ..near }.score() - far.score()).abs() < 1e-6);
    }

    #[test]
    fn an_outlet_rarely_reports_one_event_twice_a_day() {
        let other = f(0.5, 0.5, 0.5, 0.8, 0.0);
        let same = Features { same_outlet_day: true, ..other };
        assert!(same.score() < other.score());
    }
}
