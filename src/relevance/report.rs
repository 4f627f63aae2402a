//! Training end to end: read labelled files, cross-validate, train on all, write the model, and
//! the report a `train` command prints ([`train_report`] is pure; [`run_train`] and
//! [`train_sources`] do the I/O).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::RelevanceError;
use super::data::{Example, read_jsonl};
use super::eval::{Metrics, Prf, cross_validate};
use super::model::write_file;
use super::train::{TrainOptions, train};

/// Labelled examples from one place, named as the report names it: a JSONL file, or the
/// analyst's verdicts in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub examples: Vec<Example>,
}

impl Source {
    /// The examples of a labelled JSONL file, named by its path.
    ///
    /// # Errors
    /// As [`read_jsonl`].
    pub fn read(path: &Path) -> Result<Self, RelevanceError> {
        Ok(Self { name: path.display().to_string(), examples: read_jsonl(path)? })
    }

    /// How many of its examples are conflict, and how many other.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        counts(&self.examples)
    }
}

/// How many of `examples` are conflict, and how many other.
fn counts(examples: &[Example]) -> (usize, usize) {
    let conflict = examples.iter().filter(|e| e.label).count();
    (conflict, examples.len() - conflict)
}

/// What a training run read, measured and wrote: everything [`train_report`] prints.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Each source with its conflict and other counts.
    pub sources: Vec<(String, usize, usize)>,
    pub options: TrainOptions,
    /// Whether the last source was added to the others to see what it brings (the verdicts
    /// beside the files), so that the report sets the figures without it beside those with it.
    pub compare_last: bool,
    /// The cross-validated figures without the last source, when `compare_last` and the other
    /// sources hold both labels.
    pub without_last: Option<Metrics>,
    /// The cross-validated figures of every example.
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
    let sources = files.iter().map(|path| Source::read(path)).collect::<Result<Vec<_>, _>>()?;
    Ok(train_report(&train_sources(&sources, false, out, opts)?))
}

/// Cross-validates with `opts.folds` folds, trains on every example of `sources` in order and
/// writes the model to `out`. With `compare_last`, also cross-validates without the last source.
///
/// # Errors
/// [`RelevanceError::OneClass`] when the sources do not hold both labels, or
/// [`RelevanceError::Write`].
pub fn train_sources(
    sources: &[Source],
    compare_last: bool,
    out: &Path,
    opts: &TrainOptions,
) -> Result<TrainSummary, RelevanceError> {
    let examples: Vec<Example> = sources.iter().flat_map(|s| s.examples.iter().cloned()).collect();
    let (positives, negatives) = counts(&examples);
    if positives == 0 || negatives == 0 {
        return Err(RelevanceError::OneClass { positives, negatives });
    }
    let without_last = match sources.last() {
        Some(last) if compare_last => {
            let rest = &examples[..examples.len() - last.examples.len()];
            let (positives, negatives) = counts(rest);
            (positives > 0 && negatives > 0).then(|| cross_validate(rest, opts.folds, opts))
        }
        _ => None,
    };
    let cross_validation = cross_validate(&examples, opts.folds, opts);
    let bytes = train(&examples, opts).to_bytes();
    write_file(out, &bytes)?;
    let sha256 = Sha256::digest(&bytes).iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok(TrainSummary {
        sources: sources
            .iter()
            .map(|s| {
                let (conflict, other) = s.counts();
                (s.name.clone(), conflict, other)
            })
            .collect(),
        options: opts.clone(),
        compare_last,
        without_last,
        cross_validation,
        out: out.to_path_buf(),
        model_bytes: bytes.len(),
        sha256,
    })
}

/// The text a `train` command prints: the data, the cross-validated figures (without and with
/// the last source too, when it was added to see what it brings), what was written.
#[must_use]
pub fn train_report(summary: &TrainSummary) -> String {
    let m = &summary.cross_validation;
    let o = &summary.options;
    let files = summary.sources.len().saturating_sub(usize::from(summary.compare_last));
    let added = match summary.sources.last() {
        Some((name, _, _)) if summary.compare_last => Some(name.as_str()),
        _ => None,
    };
    let mut out = format!(
        "read {} articles ({} conflict, {} other) from {files} files{}\n",
        m.examples,
        m.positives,
        m.examples - m.positives,
        added.map(|name| format!(" and {name}")).unwrap_or_default()
    );
    for (name, conflict, other) in &summary.sources {
        let _ = writeln!(out, "  {conflict:>6} conflict {other:>6} other  {name}");
    }
    let heading = format!("{}-fold cross-validation, stratified, seed {}", o.folds, o.seed);
    if let Some(name) = added {
        if let Some(without) = &summary.without_last {
            let _ = writeln!(out, "{heading}, without {name} ({} articles):", without.examples);
            out.push_str(&figures(without));
        } else {
            let (conflict, other) =
                summary.sources[..files].iter().fold((0, 0), |(c, n), s| (c + s.1, n + s.2));
            let _ = writeln!(
                out,
                "{heading}, without {name}: not possible on {conflict} conflict and {other} other articles"
            );
        }
        let _ = writeln!(out, "{heading}, with {name} ({} articles):", m.examples);
    } else {
        let _ = writeln!(out, "{heading}:");
    }
    out.push_str(&figures(m));
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

/// The table of cross-validated figures by threshold, and the F1 summary under it.
fn figures(m: &Metrics) -> String {
    let mut out = String::from("  threshold  precision  recall  F1     false alarms\n");
    for prf in &m.table {
        out.push_str(&row(prf));
    }
    let _ = writeln!(
        out,
        "  at p >= 0.50: F1 {:.3}; best F1 {:.3} at p >= {:.2}",
        m.at_half.f1, m.best.f1, m.best.threshold
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
            sources: vec![("a.jsonl".into(), 2, 1), ("b.jsonl".into(), 0, 1)],
            options: TrainOptions::default(),
            compare_last: false,
            without_last: None,
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

    #[test]
    fn report_sets_figures_without_the_added_source_beside_those_with_it() {
        let without = Metrics::of(&[(0.9, true), (0.1, false)]);
        let with = Metrics::of(&[(0.9, true), (0.1, false), (0.4, true)]);
        let summary = TrainSummary {
            sources: vec![("a.jsonl".into(), 1, 1), ("verdicts in f.db".into(), 1, 0)],
            options: TrainOptions::default(),
            compare_last: true,
            without_last: Some(without),
            cross_validation: with,
            out: PathBuf::from("m.model"),
            model_bytes: 1,
            sha256: String::new(),
        };
        let report = train_report(&summary);
        let want = [
            "read 3 articles (2 conflict, 1 other) from 1 files and verdicts in f.db\n",
            "       1 conflict      0 other  verdicts in f.db\n",
            "5-fold cross-validation, stratified, seed 1989, without verdicts in f.db (2 articles):\n",
            "5-fold cross-validation, stratified, seed 1989, with verdicts in f.db (3 articles):\n",
        ];
        for line in want {
            assert!(report.contains(line), "{line:?} missing from\n{report}");
        }
        assert_eq!(report.matches("  at p >= 0.50").count(), 2, "{report}");

        let alone =
            TrainSummary { sources: vec![("verdicts in f.db".into(), 1, 0)], without_last: None, ..summary };
        let report = train_report(&alone);
        assert!(report.contains("from 0 files and verdicts in f.db\n"), "{report}");
        assert!(
            report.contains(", without verdicts in f.db: not possible on 0 conflict and 0 other articles\n")
        );
    }
}
