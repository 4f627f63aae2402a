//! Trains the relevance model, or checks how one trained on some files does on others, until a
//! `flashpoint train` command calls the same library function ([`run_train`]).
//!
//! ```text
//! cargo run --release --example relevance-train -- --out config/relevance.model DATA/all.jsonl
//! cargo run --release --example relevance-train -- DATA/satp.jsonl … --eval DATA/shared_bbc.jsonl
//! ```
//!
//! With `--out`, prints the `train` report. With `--eval`, trains on the positional files and,
//! for each evaluation file, prints recall (conflict articles) and the false-alarm rate (other
//! articles) at the thresholds of the report.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use flashpoint::relevance::{
    Hashing, Metrics, TrainOptions, evaluate, out_of_fold, read_jsonl, run_train, train,
};

#[derive(Debug, Parser)]
struct Args {
    /// Labelled JSONL files to train on.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the model here, after cross-validating.
    #[arg(long, required_unless_present_any = ["eval", "by_file"])]
    out: Option<PathBuf>,
    /// Labelled JSONL files to evaluate a model trained on FILES against.
    #[arg(long)]
    eval: Vec<PathBuf>,
    /// Also print the cross-validated figures of each input file, and its worst-scored articles.
    #[arg(long)]
    by_file: bool,
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: u32,
    #[arg(long, default_value_t = TrainOptions::default().learning_rate)]
    learning_rate: f64,
    #[arg(long, default_value_t = TrainOptions::default().l2)]
    l2: f64,
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
    #[arg(long, default_value_t = Hashing::default().buckets_log2)]
    bits: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = TrainOptions::default();
    let options = TrainOptions {
        hashing: Hashing { buckets_log2: args.bits, ..defaults.hashing },
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        l2: args.l2,
        seed: args.seed,
        ..defaults
    };
    if let Some(out) = &args.out {
        print!("{}", run_train(&args.files, out, &options).context("training failed")?);
    }
    if args.by_file {
        by_file(&args.files, &options)?;
    }
    if !args.eval.is_empty() {
        cross_check(&args.files, &args.eval, &options)?;
    }
    Ok(())
}

/// Trains on `files` and prints how the model scores each of `eval`.
fn cross_check(files: &[PathBuf], eval: &[PathBuf], options: &TrainOptions) -> anyhow::Result<()> {
    let mut examples = Vec::new();
    for path in files {
        examples.extend(read_jsonl(path)?);
    }
    let model = train(&examples, options);
    println!("trained on {} articles from {} files", examples.len(), files.len());
    for path in eval {
        let metrics = evaluate(&model, &read_jsonl(path)?);
        println!("{}", summary(&path.display().to_string(), &metrics));
    }
    Ok(())
}

/// Cross-validates on all `files` together and prints the out-of-fold figures of each file,
/// with the three articles of each file that the folds got most wrong.
fn by_file(files: &[PathBuf], options: &TrainOptions) -> anyhow::Result<()> {
    let mut examples = Vec::new();
    let mut ends = Vec::new();
    for path in files {
        examples.extend(read_jsonl(path)?);
        ends.push(examples.len());
    }
    let probabilities = out_of_fold(&examples, options.folds, options);
    let mut start = 0;
    for (path, &end) in files.iter().zip(&ends) {
        let scored: Vec<(f64, bool)> = probabilities[start..end]
            .iter()
            .copied()
            .zip(examples[start..end].iter().map(|e| e.label))
            .collect();
        println!("{}", summary(&path.display().to_string(), &Metrics::of(&scored)));
        let mut wrong: Vec<usize> = (start..end).collect();
        let error = |i: usize| (probabilities[i] - if examples[i].label { 1.0 } else { 0.0 }).abs();
        wrong.sort_by(|&a, &b| error(b).total_cmp(&error(a)));
        for &i in wrong.iter().take(3) {
            let lead: String = examples[i].body.chars().take(110).collect();
            println!("  worst: p={:.2} {} {}", probabilities[i], examples[i].id, lead.replace('\n', " "));
        }
        start = end;
    }
    Ok(())
}

/// One line per threshold: how many conflict articles pass and how many other articles do.
fn summary(name: &str, m: &Metrics) -> String {
    let mut out = format!("{name}: {} conflict, {} other\n", m.positives, m.examples - m.positives);
    for prf in &m.table {
        let _ = writeln!(
            out,
            "  p >= {:.1}: recall {:.3}  false alarms {:.1}%  precision {:.3}  F1 {:.3}",
            prf.threshold,
            prf.recall,
            prf.false_alarm_rate * 100.0,
            prf.precision,
            prf.f1
        );
    }
    out
}
