//! `train`: a relevance model from labelled JSONL files and, with `--with-labels`, from the
//! analyst's verdicts in the database; cross-validated, written, and with `--install` put where
//! the config reads its model.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;

use super::Exit;
use super::args::TrainArgs;
use crate::config::{self, Runtime, ScoringConfig};
use crate::relevance::{Example, Source, TrainOptions, train_report, train_sources};
use crate::store::{Store, StoreError};
use crate::types::Verdict;

/// Where `--install` puts the model when the config names none, beside the config file.
const DEFAULT_MODEL: &str = "relevance.model";

/// `train`: prints the report, then installs the model when asked.
pub fn train(rt: &Runtime, config: &Path, args: &TrainArgs) -> Exit {
    let result = train_and_report(rt, args)
        .and_then(|()| if args.install { install(config, &args.out) } else { Ok(()) });
    match result {
        Ok(()) => Exit::Ok,
        Err(err) => {
            eprintln!("{err:#}");
            Exit::Failure
        }
    }
}

/// Reads the files (and the verdicts), trains, writes `args.out` and prints the report.
fn train_and_report(rt: &Runtime, args: &TrainArgs) -> anyhow::Result<()> {
    let mut sources = args.files.iter().map(|path| Source::read(path)).collect::<Result<Vec<_>, _>>()?;
    if args.with_labels {
        sources.push(verdicts(&Store::open_existing(&rt.storage_path)?)?);
    }
    let options = TrainOptions { folds: usize::from(args.folds), ..TrainOptions::default() };
    let summary = train_sources(&sources, args.with_labels, &args.out, &options)?;
    out!("{}", train_report(&summary));
    Ok(())
}

/// The article of every labelled alert: a useful alert's as conflict, a noise alert's as other.
fn verdicts(store: &Store) -> Result<Source, StoreError> {
    let examples = store
        .labelled_articles()?
        .into_iter()
        .map(|a| Example {
            id: a.alert_id,
            title: a.title,
            body: a.body,
            label: a.verdict == Verdict::Useful,
        })
        .collect();
    Ok(Source { name: format!("verdicts in {}", store.path().display()), examples })
}

/// Copies the model at `out` to the path the config reads its model from
/// (`[scoring.relevance] model`, relative to the config's directory), or to [`DEFAULT_MODEL`]
/// beside the config when it names none, and says what to add to the config then. The copy goes
/// through a temporary file, so a daemon reloading meanwhile never reads half a model.
fn install(config: &Path, out: &Path) -> anyhow::Result<()> {
    let (target, named, enabled) = configured_model(config)?;
    let bytes = std::fs::read(out).with_context(|| format!("cannot read {}", out.display()))?;
    crate::relevance::model::write_file(&target, &bytes)?;
    outln!("installed {}", target.display());
    if !named {
        outln!(
            "{} names no model, so the built-in one is in use; to use this one, put this line under [scoring.relevance]:",
            config.display()
        );
        outln!("model = \"{DEFAULT_MODEL}\"");
    }
    if !enabled {
        outln!("the relevance gate is off in {} ([scoring.relevance] enabled = false)", config.display());
    }
    outln!("a running daemon reads it when reloaded (SIGHUP) or restarted");
    Ok(())
}

/// Where the config reads its relevance model, or would if it named one (`false`); and whether
/// the gate is on. Read from the config's own keys, environment overrides included, as
/// `load_runtime` reads them.
fn configured_model(config: &Path) -> anyhow::Result<(PathBuf, bool, bool)> {
    let raw = config::read(config)?;
    let scoring = raw.get("scoring").cloned().unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    let relevance = serde_json::from_value::<ScoringConfig>(scoring)
        .with_context(|| format!("{}: [scoring] is not readable", config.display()))?
        .relevance;
    let base = config.parent().unwrap_or(Path::new(""));
    let named = !relevance.model.as_os_str().is_empty();
    let model = if named { relevance.model } else { PathBuf::from(DEFAULT_MODEL) };
    Ok((base.join(model), named, relevance.enabled))
}
