//! The operator commands that read or nudge the database of a running or stopped daemon:
//! `alerts`, `deliveries`, `redeliver`, `status` and `feeds`.

use chrono::{DateTime, Utc};

use super::table::{alerts_table, counted, deliveries_table, feeds_table, status_report};
use super::{Exit, print_rows, since_arg, with_store};
use crate::config::Runtime;
use crate::store::{AlertFilter, Store, StoreError};
use crate::types::{DeliveryState, Severity};

/// `alerts`: the newest alerts matching the filters, as a table or JSON lines.
pub fn alerts(
    rt: &Runtime,
    since: Option<&str>,
    severity: Option<&str>,
    feed: Option<String>,
    limit: usize,
    json: bool,
) -> Exit {
    let since = match since.map(since_arg).transpose() {
        Ok(since) => since,
        Err(exit) => return exit,
    };
    let min_severity = severity.and_then(Severity::parse);
    let filter = AlertFilter { since, min_severity, feed, limit };
    with_store(rt, |store| print_rows(&store.alerts(&filter)?, json, alerts_table))
}

/// `deliveries`: pending and dead-lettered ones, or all with `all`.
pub fn deliveries(rt: &Runtime, all: bool, limit: usize, json: bool) -> Exit {
    with_store(rt, |store| {
        let states: &[DeliveryState] =
            if all { DeliveryState::ALL } else { &[DeliveryState::Pending, DeliveryState::Dead] };
        print_rows(&store.deliveries(states, limit)?, json, deliveries_table)
    })
}

/// `redeliver`: queues one alert's deliveries again, or (without an id) every dead-lettered one.
pub fn redeliver(rt: &Runtime, id: Option<String>) -> Exit {
    with_store(rt, |store| {
        let n = match &id {
            Some(id) => store.redeliver_alert(id)?,
            None => store.redeliver_dead()?,
        };
        match id {
            Some(id) if n == 0 => anyhow::bail!("no deliveries for alert {id}"),
            _ => outln!(
                "{} queued; a running daemon sends them within 30 s",
                counted(n, "delivery", "deliveries")
            ),
        }
        Ok(())
    })
}

/// `status`: the service at a glance, as text or pretty JSON.
pub fn status(rt: &Runtime, json: bool) -> Exit {
    with_store(rt, |store| {
        let status = gather_status(rt, store, Utc::now())?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            out!("{}", status_report(&status));
        }
        Ok(())
    })
}

/// `feeds`: each configured feed's health.
pub fn feeds(rt: &Runtime, json: bool) -> Exit {
    with_store(rt, |store| {
        let report = crate::feed::health::report(store, &rt.feeds, Utc::now())?;
        print_rows(&report, json, feeds_table)
    })
}

/// What `flashpoint status` shows: the state of the service at a glance, from the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub feeds: usize,
    pub feeds_healthy: usize,
    pub feeds_failing: usize,
    pub feeds_flagged: usize,
    pub articles_24h: usize,
    pub alerts_24h: usize,
    pub deliveries_pending: usize,
    pub deliveries_dead: usize,
    pub inbox: usize,
    /// Hash of the scoring rules in the config (stamped on the alerts they raise).
    pub rules_hash: String,
    /// The database's size and what retention has left.
    pub storage: crate::store::StorageFacts,
}

/// Gathers [`Status`].
///
/// # Errors
/// The store's.
pub fn gather_status(rt: &Runtime, store: &Store, now: DateTime<Utc>) -> Result<Status, StoreError> {
    use crate::feed::health::Flag;
    let report = crate::feed::health::report(store, &rt.feeds, now)?;
    let crate::store::Stored { articles: articles_24h, alerts: alerts_24h } =
        store.stored_since(now - chrono::TimeDelta::hours(24))?;
    let crate::store::Backlog { pending: deliveries_pending, dead: deliveries_dead, inbox } =
        store.backlog()?;
    Ok(Status {
        feeds: report.len(),
        feeds_healthy: report.iter().filter(|f| f.flags.is_empty() && f.last_success_at.is_some()).count(),
        feeds_failing: report.iter().filter(|f| f.flags.contains(&Flag::Failing)).count(),
        feeds_flagged: report.iter().filter(|f| f.flags.iter().any(|flag| *flag != Flag::Failing)).count(),
        articles_24h,
        alerts_24h,
        deliveries_pending,
        deliveries_dead,
        inbox,
        rules_hash: rt.scorer.rules_hash().to_string(),
        storage: store.storage_facts()?,
    })
}
