//! The relevance gate: a small learned model that says whether an article is about armed
//! conflict, political violence or security at all, so that sport ("attack", "blast"), film
//! reviews, markets ("bloodbath") and disasters do not raise escalation alerts.
//!
//! ```text
//!  labelled JSONL ──► data ──► features ──► train (Adagrad SGD) ──► model file
//!                                  │                                     │
//!  title + body ───────────────────┴──────────► Model::predict ◄─────────┘
//!                                               p and the five features that moved it
//! ```
//!
//! Everything here but [`Model::load`], [`Model::save`], [`read_jsonl`], [`run_train`] and
//! [`train_sources`] is pure: features are hashed with a fixed FNV-1a hash ([`features`]),
//! training is seeded and visits examples in a seeded order, so the same examples and options
//! give byte-identical model files on the same platform.

pub mod data;
pub mod eval;
pub mod features;
pub mod format;
pub mod model;
pub mod report;
pub mod train;
mod words;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use data::{Example, parse_jsonl, read_jsonl};
pub use eval::{Metrics, Prf, cross_validate, evaluate, out_of_fold};
pub use features::Hashing;
pub use model::{Contribution, Model, Relevance};
pub use report::{Source, TrainSummary, run_train, train_report, train_sources};
pub use train::{TrainOptions, train};

/// Why reading labelled data, or reading or writing a model, failed.
#[derive(Debug, thiserror::Error)]
pub enum RelevanceError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: not a labelled record", path.display())]
    Record {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{}:{line}: label {label:?} is none of escalation, conflict or other",
        path.display()
    )]
    Label { path: PathBuf, line: usize, label: String },
    #[error("training needs examples of both labels; got {positives} conflict and {negatives} other")]
    OneClass { positives: usize, negatives: usize },
    #[error("{}: not a relevance model", path.display())]
    Model {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
}

/// Why bytes are not a usable model; [`format`](mod@format) has the layout.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("does not start with the relevance model magic bytes")]
    Magic,
    #[error("format version {0} is not supported (this build reads version {version})", version = format::VERSION)]
    Version(u32),
    #[error("truncated or padded: {actual} bytes where the header promises {expected}")]
    Length { expected: usize, actual: usize },
    #[error("bucket bits {0} are outside 1..=24")]
    Buckets(u32),
    #[error("checksum mismatch: the file is corrupt")]
    Checksum,
    #[error("weight {0} is not a finite number")]
    NotFinite(usize),
}
