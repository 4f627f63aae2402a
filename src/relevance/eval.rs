//! Evaluation (pure): precision, recall and F1 over thresholds, and stratified cross-validation.

use super::data::Example;
use super::model::Model;
use super::train::{TrainOptions, featurise, fit};

/// The thresholds of [`Metrics::table`].
pub const TABLE: [f64; 7] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Counts and rates at one threshold; an article is predicted relevant when `p ≥ threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prf {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    /// Of the articles predicted relevant, the share that are (1 when none are predicted).
    pub precision: f64,
    /// Of the relevant articles, the share predicted relevant (1 when there are none).
    pub recall: f64,
    pub f1: f64,
    /// Of the other articles, the share predicted relevant: the false-alarm rate.
    pub false_alarm_rate: f64,
}

/// How well scores separate the classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub examples: usize,
    pub positives: usize,
    /// At p ≥ 0.5.
    pub at_half: Prf,
    /// At the threshold of 0.01 … 0.99 (in steps of 0.01) with the highest F1; the lowest such.
    pub best: Prf,
    /// At each of [`TABLE`].
    pub table: Vec<Prf>,
}

impl Prf {
    /// The figures at `threshold` over `(p, relevant)` pairs.
    #[must_use]
    pub fn at(scored: &[(f64, bool)], threshold: f64) -> Self {
        let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
        for &(p, relevant) in scored {
            match (p >= threshold, relevant) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => tn += 1,
            }
        }
        let ratio = |num: usize, den: usize, empty: f64| {
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            if den == 0 { empty } else { num as f64 / den as f64 }
        };
        let (precision, recall) = (ratio(tp, tp + fp, 1.0), ratio(tp, tp + fn_, 1.0));
        let f1 =
            if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self {
            threshold,
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
            true_negatives: tn,
            precision,
            recall,
            f1,
            false_alarm_rate: ratio(fp, fp + tn, 0.0),
        }
    }
}

impl Metrics {
    /// The metrics of `(p, relevant)` pairs.
    #[must_use]
    pub fn of(scored: &[(f64, bool)]) -> Self {
        let best = (1..100)
            .map(|t| Prf::at(scored, f64::from(t) / 100.0))
            .fold(None, |best: Option<Prf>, prf| match best {
                Some(b) if b.f1 >= prf.f1 => Some(b),
                _ => Some(prf),
            })
            .unwrap_or_else(|| Prf::at(scored, 0.5));
        Self {
            examples: scored.len(),
            positives: scored.iter().filter(|s| s.1).count(),
            at_half: Prf::at(scored, 0.5),
            best,
            table: TABLE.iter().map(|&t| Prf::at(scored, t)).collect(),
        }
    }
}

/// How `model` scores labelled `examples`.
#[must_use]
pub fn evaluate(model: &Model, examples: &[Example]) -> Metrics {
    let scored: Vec<(f64, bool)> =
        examples.iter().map(|e| (model.probability(&e.title, &e.body), e.label)).collect();
    Metrics::of(&scored)
}

/// Stratified `folds`-fold cross-validation: each example is scored by the model trained on the
/// other folds, and the metrics are of all those out-of-fold scores together. Folds are drawn
/// per class with a generator seeded by `options.seed`; `folds` is clamped to 2..=examples.
#[must_use]
pub fn cross_validate(examples: &[Example], folds: usize, options: &TrainOptions) -> Metrics {
    let labels = examples.iter().map(|e| e.label);
    let scored: Vec<(f64, bool)> = out_of_fold(examples, folds, options).into_iter().zip(labels).collect();
    Metrics::of(&scored)
}

/// The out-of-fold probability of each example, as [`cross_validate`] computes it, for a
/// breakdown of its figures by source.
#[must_use]
pub fn out_of_fold(examples: &[Example], folds: usize, options: &TrainOptions) -> Vec<f64> {
    let folds = folds.clamp(2, examples.len().max(2));
    let vectors = featurise(examples, &options.hashing);
    let labels: Vec<bool> = examples.iter().map(|e| e.label).collect();
    let fold_of = stratified_folds(&labels, folds, options.seed);
    let mut scores = vec![0.0; examples.len()];
    for fold in 0..folds {
        let train: Vec<usize> = (0..examples.len()).filter(|&i| fold_of[i] != fold).collect();
        let model = fit(&vectors, &labels, &train, options);
        for i in (0..examples.len()).filter(|&i| fold_of[i] == fold) {
            scores[i] = model.probability_of(&vectors[i]);
        }
    }
    scores
}

/// The fold of each example: each class shuffled by a seeded generator, then dealt round-robin.
fn stratified_folds(labels: &[bool], folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x00f0_1d5e_ed00);
    let mut fold_of = vec![0; labels.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut members);
        for (n, &i) in members.iter().enumerate() {
            fold_of[i] = n % folds;
        }
    }
    fold_of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_at_thresholds() {
        let scored = [(0.9, true), (0.6, false), (0.55, true), (0.2, true), (0.1, false)];
        // (threshold, tp, fp, fn, tn)
        let cases = [(0.5, 2, 1, 1, 1), (0.7, 1, 0, 2, 2), (0.0, 3, 2, 0, 0), (0.95, 0, 0, 3, 2)];
        for (t, tp, fp, fn_, tn) in cases {
            let prf = Prf::at(&scored, t);
            let counts = (prf.true_positives, prf.false_positives, prf.false_negatives, prf.true_negatives);
            assert_eq!(counts, (tp, fp, fn_, tn), "at {t}");
        }
        let half = Prf::at(&scored, 0.5);
        assert!((half.precision - 2.0 / 3.0).abs() < 1e-12 && (half.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((half.false_alarm_rate - 0.5).abs() < 1e-12);
        let none = Prf::at(&scored, 0.95);
        assert!((none.precision, none.recall, none.f1) == (1.0, 0.0, 0.0));
    }

    #[test]
    fn best_threshold_is_the_lowest_with_top_f1() {
        let scored = [(0.8, true), (0.7, true), (0.4, false), (0.3, false)];
        let m = Metrics::of(&scored);
        assert!((m.best.threshold - 0.41).abs() < 1e-12 && (m.best.f1 - 1.0).abs() < 1e-12);
        assert_eq!(m.table.len(), TABLE.len());
        assert_eq!((m.examples, m.positives), (4, 2));
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<bool> = (0..50).map(|i| i % 5 == 0).collect();
        let folds = stratified_folds(&labels, 5, 1);
        for fold in 0..5 {
            let members: Vec<usize> = (0..50).filter(|&i| folds[i] == fold).collect();
            assert_eq!(members.len(), 10);
            assert_eq!(members.iter().filter(|&&i| labels[i]).count(), 2, "fold {fold}");
        }
        assert_eq!(folds, stratified_folds(&labels, 5, 1));
        assert_ne!(folds, stratified_folds(&labels, 5, 2));
    }
}
