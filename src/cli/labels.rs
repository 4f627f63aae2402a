//! The analyst's verdicts on alerts: `label` records one (useful or noise), `labels` lists them.
//! `train --with-labels` learns from them.

use super::table::verdicts_table;
use super::{Exit, print_rows, with_store};
use crate::config::Runtime;
use crate::store::Recorded;
use crate::types::Verdict;

/// `label ALERT_ID VERDICT`: records the verdict, replacing and naming any earlier one.
pub fn label(rt: &Runtime, id: &str, verdict: Verdict, note: Option<&str>) -> Exit {
    with_store(rt, |store| {
        match store.label(id, verdict, note)? {
            Recorded::New => outln!("labelled {id} {verdict}"),
            Recorded::Replaced { was, at } => outln!("labelled {id} {verdict}, replacing {was} of {at}"),
            Recorded::NoSuchAlert => anyhow::bail!("no alert {id} in {}", store.path().display()),
        }
        Ok(())
    })
}

/// `labels`: every verdict, newest first, as a table or JSON lines.
pub fn labels(rt: &Runtime, json: bool) -> Exit {
    with_store(rt, |store| print_rows(&store.labelled()?, json, verdicts_table))
}
