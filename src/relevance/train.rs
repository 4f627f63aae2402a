//! Training (pure): logistic regression by Adagrad SGD, deterministic by construction.
//!
//! Each epoch visits the examples in an order shuffled by a `fastrand` generator seeded with
//! [`TrainOptions::seed`]; there is no other randomness and no parallelism, so the same
//! examples in the same order with the same options give the same weights bit for bit on the
//! same platform. Classes are weighted so that each contributes half of the loss, which keeps
//! the decision threshold near 0.5 whatever the mix of the training files. The L2 penalty is
//! applied, as is usual for sparse SGD, to the weights an example touches.

use super::data::Example;
use super::features::{Hashing, SparseVector, vectorise};
use super::model::{Model, sigmoid};

/// What training does; [`Default`] gives the settings the shipped model was trained with.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// How text is hashed; written into the model.
    pub hashing: Hashing,
    /// Passes over the examples.
    pub epochs: u32,
    /// Adagrad's base step.
    pub learning_rate: f64,
    /// L2 penalty on the weights.
    pub l2: f64,
    /// Seeds the example order of every epoch (and the cross-validation folds).
    pub seed: u64,
    /// Folds for the cross-validation that [`super::run_train`] reports.
    pub folds: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { hashing: Hashing::default(), epochs: 10, learning_rate: 0.2, l2: 1e-5, seed: 1_989, folds: 5 }
    }
}

/// Trains a model on `examples`. With no examples of one class the model learns only a bias.
#[must_use]
pub fn train(examples: &[Example], options: &TrainOptions) -> Model {
    let vectors = featurise(examples, &options.hashing);
    let labels: Vec<bool> = examples.iter().map(|e| e.label).collect();
    let all: Vec<usize> = (0..examples.len()).collect();
    fit(&vectors, &labels, &all, options)
}

pub(crate) fn featurise(examples: &[Example], hashing: &Hashing) -> Vec<SparseVector> {
    examples.iter().map(|e| vectorise(hashing, &e.title, &e.body)).collect()
}

/// Fits on the examples at `rows` of `vectors` / `labels`.
pub(crate) fn fit(
    vectors: &[SparseVector],
    labels: &[bool],
    rows: &[usize],
    options: &TrainOptions,
) -> Model {
    let dims = options.hashing.dims();
    let (mut weights, mut squares) = (vec![0.0_f64; dims], vec![0.0_f64; dims]);
    let (mut bias, mut bias_square) = (0.0_f64, 0.0_f64);
    let class_weight = class_weights(labels, rows);
    let mut order = rows.to_vec();
    let mut rng = fastrand::Rng::with_seed(options.seed);
    for _ in 0..options.epochs {
        rng.shuffle(&mut order);
        for &row in &order {
            let x = &vectors[row];
            let logit = x
                .indices
                .iter()
                .zip(&x.values)
                .fold(bias, |s, (&i, &v)| s + weights[i as usize] * f64::from(v));
            let target = if labels[row] { 1.0 } else { 0.0 };
            let error = (sigmoid(logit) - target) * class_weight[usize::from(labels[row])];
            for (&i, &v) in x.indices.iter().zip(&x.values) {
                let i = i as usize;
                let gradient = error * f64::from(v) + options.l2 * weights[i];
                squares[i] += gradient * gradient;
                weights[i] -= options.learning_rate * gradient / (squares[i].sqrt() + 1e-8);
            }
            bias_square += error * error;
            bias -= options.learning_rate * error / (bias_square.sqrt() + 1e-8);
        }
    }
    #[expect(clippy::cast_possible_truncation, reason = "f32 weights are the model's precision")]
    let weights = weights.iter().map(|&w| w as f32).collect();
    #[expect(clippy::cast_possible_truncation, reason = "as above")]
    Model::new(options.hashing, weights, bias as f32)
}

/// Loss weights `[other, conflict]` that give each present class half of the total.
fn class_weights(labels: &[bool], rows: &[usize]) -> [f64; 2] {
    let positives = rows.iter().filter(|&&r| labels[r]).count();
    let counts = [rows.len() - positives, positives];
    #[expect(clippy::cast_precision_loss, reason = "example counts are far below 2^52")]
    counts.map(|n| if n == 0 { 0.0 } else { rows.len() as f64 / (2.0 * n as f64) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_weights_balance_the_classes() {
        let labels = [true, false, false, false];
        let cases: &[(&[usize], [f64; 2])] = &[
            (&[0, 1, 2, 3], [4.0 / 6.0, 2.0]),
            (&[1, 2], [0.5, 0.0]),
            (&[0, 1], [1.0, 1.0]),
            (&[], [0.0, 0.0]),
        ];
        for (rows, want) in cases {
            let got = class_weights(&labels, rows);
            assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12), "{rows:?}: {got:?}");
        }
    }

    #[test]
    fn fit_moves_weights_towards_the_labels() {
        let hashing = Hashing { buckets_log2: 2, ..Hashing::default() };
        let one = |i: u32| SparseVector { indices: vec![i], values: vec![1.0] };
        let vectors = [one(1), one(2), one(1), one(2)];
        let labels = [true, false, true, false];
        let model =
            fit(&vectors, &labels, &[0, 1, 2, 3], &TrainOptions { hashing, ..TrainOptions::default() });
        assert!(model.weights()[1] > 0.5 && model.weights()[2] < -0.5, "{:?}", model.weights());
        assert!(model.weights()[0] == 0.0 && model.weights()[3] == 0.0, "untouched buckets stay zero");
    }
}
