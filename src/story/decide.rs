//! The join-or-new decision: a logistic combination of what an article shares with a recent
//! story. Pure.
//!
//! Five features, each in a fixed range: the cosines of the article's title, body and entity
//! vectors with the story's (TF-IDF, current IDF), the IDF of the rarest entity they share
//! (scaled by its largest possible value, so a victim's name counts and a city's barely), and
//! the time since the story's last article as `ln(1 + days)`, the decay. The weights were fitted
//! once, by logistic regression on (article, candidate story) pairs of two development sets of
//! differently shaped news (US local crime reports over years, national politics from several
//! outlets on one day), and are fixed: the article joins the best-scoring candidate when its
//! score is above zero (probability above one half), else it opens a story.

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
}

/// Weights of title, body, entities, rare entity and `ln(1 + gap_days)`, then the intercept.
const WEIGHTS: [f32; 6] = [5.99, 6.68, 3.79, 5.59, -2.25, -7.32];

impl Features {
    /// The log-odds that the article belongs to the story.
    pub(crate) fn score(&self) -> f32 {
        let x = [self.title, self.body, self.entities, self.rare_entity, self.gap_days.abs().ln_1p()];
        x.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum::<f32>() + WEIGHTS[5]
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
        Features { title, body, entities, rare_entity, gap_days }
    }

    #[test]
    fn joins_when_the_evidence_outweighs_the_gap() {
        let cases = [
            ("nothing shared", f(0.0, 0.0, 0.0, 0.0, 0.0), false),
            ("same title and body, same day", f(0.9, 0.8, 0.7, 0.9, 0.0), true),
            ("a shared rare name and a similar body", f(0.2, 0.4, 0.4, 0.9, 1.0), true),
            ("a common topic only", f(0.2, 0.3, 0.1, 0.3, 0.0), false),
            ("the same text a month later still joins", f(0.9, 0.9, 0.9, 0.9, 30.0), true),
            ("a middling match a month later does not", f(0.3, 0.4, 0.4, 0.8, 30.0), false),
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
}
