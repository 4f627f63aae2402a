//! Training end to end: read labelled files, cross-validate, train on all, write the model, and
//! the report a `train` command prints ([`train_report`] is pure; [`run_train`] does the I/O).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::RelevanceError;
use super::data::{Example, read_jsonl};
use super::eval::{Metrics, Prf, cross_validate};
use super::model::write_file;
use super::train::{TrainOptions, train};

/// What a training run read, measured and wrote: everything [`train_report`] prints.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Each input file with its conflict and other counts.
    pub files: Vec<(PathBuf, usize, usize)>,
    pub options: TrainOptions,
    /// The cross-validated figures.
    pub cross_validation: Metrics,
    pub out: PathBuf,
    pub model_bytes: usize,
    /// SHA-256 of the model file, hex.
    pub sha256: String,
}

/// Reads `files`, cross-validates with `opts.folds` folds, trains on every example, writes the
/// model to `out` and returns the report.
///
/// # Errors
/// A read or parse error of an input file, [`RelevanceError::OneClass`] when the files do not
/// hold both labels, or [`RelevanceError::Write`].
pub fn run_train(files: &[PathBuf], out: &Path, opts: &TrainOptions) -> Result<String, RelevanceError> {
    let mut examples: Vec<Example> = Vec::new();
    let mut counts = Vec::new();
    for path in files {
        let read = read_jsonl(path)?;
        let positives = read.iter().filter(|e| e.label).count();
        counts.push((path.clone(), positives, read.len() - positives));
        examples.extend(read);
    }
    let positives = examples.iter().filter(|e| e.label).count();
    if positives == 0 || positives == examples.len() {
        return Err(RelevanceError::OneClass { positives, negatives: examples.len() - positives });
    }
    let cross_validation = cross_validate(&examples, opts.folds, opts);
    let model = train(&examples, opts);
    let bytes = model.to_bytes();
    write_file(out, &bytes)?;
    let sha256 = Sha256::digest(&bytes).iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok(train_report(&TrainSummary {
        files: counts,
        options: opts.clone(),
        cross_validation,
        out: out.to_path_buf(),
        model_bytes: bytes.len(),
        sha256,
    }))
}

/// The text a `train` command prints: the data, the cross-validated figures, what was written.
#[must_use]
pub fn train_report(summary: &TrainSummary) -> String {
    let m = &summary.cross_validation;
    let o = &summary.options;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "read {} articles ({} conflict, {} other) from {} files",
        m.examples,
        m.positives,
        m.examples - m.positives,
        summary.files.len()
    );
    for (path, conflict, other) in &summary.files {
        let _ = writeln!(out, "  {conflict:>6} conflict {other:>6} other  {}", path.display());
    }
    let _ = writeln!(out, "{}-fold cross-validation, stratified, seed {}:", o.folds, o.seed);
    let _ = writeln!(out, "  threshold  precision  recall  F1     false alarms");
    for prf in &m.table {
        out.push_str(&row(prf));
    }
    let _ = writeln!(
        out,
        "  at p >= 0.50: F1 {:.3}; best F1 {:.3} at p >= {:.2}",
        m.at_half.f1, m.best.f1, m.best.threshold
    );
    let _ = writeln!(
        out,
        "trained on all {} articles: {} epochs, 2^{} buckets, first {} words of title and body",
        m.examples, o.epochs, o.hashing.buckets_log2, o.hashing.max_words
    );
    let _ = writeln!(
        out,
        "wrote {} ({} bytes, sha256 {})",
        summary.out.display(),
        summary.model_bytes,
        summary.sha256
    );
    out
}

fn row(prf: &Prf) -> String {
    format!(
        "  {:<9.2}  {:<9.3}  {:<6.3}  {:<5.3}  {:.1}%\n",
        prf.threshold,
        prf.precision,
        prf.recall,
        prf.f1,
        prf.false_alarm_rate * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_data_figures_and_output() {
        let scored = [(0.9, true), (0.8, true), (0.6, false), (0.1, false)];
        let summary = TrainSummary {
            files: vec![(PathBuf::from("a.jsonl"), 2, 1), (PathBuf::from("b.jsonl"), 0, 1)],
            options: TrainOptions::default(),
            cross_validation: Metrics::of(&scored),
            out: PathBuf::from("relevance.model"),
            model_bytes: 1_048_636,
            sha256: "ab".repeat(32),
        };
        let report = train_report(&summary);
        let want = [
            "read 4 articles (2 conflict, 2 other) from 2 files\n",
            "       2 conflict      1 other  a.jsonl\n",
            "5-fold cross-validation, stratified, seed 1989:\n",
            "  0.50       0.667      1.000   0.800  50.0%\n",
            "  at p >= 0.50: F1 0.800; best F1 1.000 at p >= 0.61\n",
            "trained on all 4 articles: 10 epochs, 2^18 buckets, first 2000 words of title and body\n",
            "wrote relevance.model (1048636 bytes, sha256 abab",
        ];
        for line in want {
            assert!(report.contains(line), "{line:?} missing from\n{report}");
        }
    }
}
