//! The trained model: logistic regression over hashed features, and its explanation.

use std::ops::ControlFlow;
use std::path::Path;

use super::features::{Hashing, SparseVector, for_each_feature, vectorise};
use super::{FormatError, RelevanceError, format};

/// How many features [`Relevance::top`] names.
pub const TOP: usize = 5;

/// A binary logistic regression: `p = σ(bias + Σ weight[bucket] · value)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    hashing: Hashing,
    /// One weight a bucket, `hashing.dims()` of them.
    weights: Vec<f32>,
    bias: f32,
}

/// The model's verdict on one article.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Relevance {
    /// Probability that the article is about armed conflict, political violence or security.
    pub p: f64,
    /// Up to five features that moved `p` most, largest first. For a relevant article
    /// (`p ≥ 0.5`) these are the largest positive contributions (why it is relevant); otherwise
    /// the largest by absolute value, of either sign (what pulled it down, and what little
    /// pulled it up).
    pub top: Vec<Contribution>,
}

/// One feature's part in a verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Contribution {
    /// The feature as text: `troops`, `shelling border`, `title:ceasefire`. When two features
    /// share a bucket, the first in the article names it.
    pub feature: String,
    /// Its term in the logit: weight × value; positive pushes towards relevant.
    pub weight: f64,
}

impl Model {
    pub(crate) fn new(hashing: Hashing, weights: Vec<f32>, bias: f32) -> Self {
        debug_assert_eq!(weights.len(), hashing.dims());
        Self { hashing, weights, bias }
    }

    /// How the model hashes text.
    #[must_use]
    pub fn hashing(&self) -> Hashing {
        self.hashing
    }

    /// Weights by bucket.
    #[must_use]
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The logit's constant term.
    #[must_use]
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// Reads a model from the bytes [`Model::to_bytes`] writes (layout in [`format`](mod@super::format)).
    ///
    /// # Errors
    /// A [`FormatError`] naming what is wrong: not a model, another version, truncated or
    /// padded, a checksum mismatch, or a weight that is not a number.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        format::from_bytes(bytes)
    }

    /// The model file's bytes: header, f32 weights, SHA-256.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        format::to_bytes(self)
    }

    /// Reads a model file.
    ///
    /// # Errors
    /// [`RelevanceError::Read`] when the file cannot be read, [`RelevanceError::Model`] when its
    /// bytes are not a model.
    pub fn load(path: &Path) -> Result<Self, RelevanceError> {
        let bytes = std::fs::read(path)
            .map_err(|source| RelevanceError::Read { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes).map_err(|source| RelevanceError::Model { path: path.to_path_buf(), source })
    }

    /// Writes the model file through a temporary file beside it, so a reader never sees half.
    ///
    /// # Errors
    /// [`RelevanceError::Write`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), RelevanceError> {
        write_file(path, &self.to_bytes())
    }

    /// The probability alone, without the explanation.
    #[must_use]
    pub fn probability(&self, title: &str, body: &str) -> f64 {
        self.probability_of(&vectorise(&self.hashing, title, body))
    }

    pub(crate) fn probability_of(&self, vector: &SparseVector) -> f64 {
        let logit = vector
            .indices
            .iter()
            .zip(&vector.values)
            .fold(f64::from(self.bias), |sum, (&i, &v)| sum + f64::from(self.weights[i as usize] * v));
        sigmoid(logit)
    }

    /// The verdict on an article, with the features that moved it most.
    #[must_use]
    pub fn predict(&self, title: &str, body: &str) -> Relevance {
        let vector = vectorise(&self.hashing, title, body);
        let p = self.probability_of(&vector);
        let mut terms: Vec<(u32, f64)> = vector
            .indices
            .iter()
            .zip(&vector.values)
            .map(|(&i, &v)| (i, f64::from(self.weights[i as usize] * v)))
            .filter(|&(_, c)| c != 0.0)
            .collect();
        let relevant = p >= 0.5;
        if relevant {
            terms.retain(|&(_, c)| c > 0.0);
        }
        let key = |c: f64| if relevant { c } else { c.abs() };
        terms.sort_by(|a, b| key(b.1).total_cmp(&key(a.1)).then(a.0.cmp(&b.0)));
        terms.truncate(TOP);
        Relevance { p, top: self.name(&terms, title, body) }
    }

    /// Names each bucket of `terms` by the first feature of the article that falls in it.
    fn name(&self, terms: &[(u32, f64)], title: &str, body: &str) -> Vec<Contribution> {
        let mut names: Vec<Option<String>> = vec![None; terms.len()];
        let mut unnamed = terms.len();
        for_each_feature(self.hashing.max_words, title, body, |feature| {
            let bucket = self.hashing.bucket(&feature);
            if let Some(at) = terms.iter().position(|&(b, _)| b == bucket)
                && names[at].is_none()
            {
                names[at] = Some(feature.text());
                unnamed -= 1;
            }
            if unnamed == 0 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        terms
            .iter()
            .zip(names)
            .map(|(&(_, weight), name)| Contribution { feature: name.unwrap_or_default(), weight })
            .collect()
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RelevanceError> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|source| RelevanceError::Write { path: path.to_path_buf(), source })
}

pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
