//! The join-or-new decision: a logistic combination of what an article shares with a recent
//! story. Pure.
//!
//! The features: the cosines of the article's title, body and entity vectors with the story's
//! (TF-IDF, current IDF) and with the story's latest article's title and body; the IDF of the
//! rarest entity they share (scaled by its largest possible value, so a victim's name counts and
//! a city's barely); the time since the story's last article as `ln(1 + days)`, plus gap buckets
//! (1–3 days, more) alone and times the rare entity, so that a story can continue days later on
//! a name few articles carry but not on common names; and whether the story already has an
//! article of the same outlet within a day (an outlet updates its report of an event; a second
//! one within a day is more often another event).
//! The weights were fitted once, by logistic regression on (article, candidate story) pairs of
//! two development sets of differently shaped news (US local crime reports over years, national
//! politics from several outlets on one day), and are fixed: the article joins the best-scoring
//! candidate when its score is above zero (probability above one half), else it opens a story.

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
}

/// Weights of title, body, entities, rare entity, `ln(1 + gap_days)`, a gap of 1–3 days, a gap
/// of more, the rare entity at a gap of 1–3 days, the rare entity at a gap of more, the same
/// outlet within a day, the latest title, the latest body; then the intercept.
const WEIGHTS: [f32; 13] =
    [4.25, -4.19, 4.85, 2.1, -1.31, -18.4, -15.85, 18.47, 15.74, -3.93, 1.87, 11.61, -3.64];

impl Features {
    /// The log-odds that the article belongs to the story.
    pub(crate) fn score(&self) -> f32 {
        let gap = self.gap_days.abs();
        let days_1_3 = f32::from(u8::from((1.0..=3.0).contains(&gap)));
        let more = f32::from(u8::from(gap > 3.0));
        let x = [
            self.title,
            self.body,
            self.entities,
            self.rare_entity,
            gap.ln_1p(),
            days_1_3,
            more,
            self.rare_entity * days_1_3,
            self.rare_entity * more,
            f32::from(u8::from(self.same_outlet_day)),
            self.latest_title,
            self.latest_body,
        ];
        x.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum::<f32>() + WEIGHTS[12]
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
            same_outlet_day: false,
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
