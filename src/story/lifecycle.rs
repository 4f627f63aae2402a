//! The lifecycle of a story's alert (pure): what changed between two events a webhook receives,
//! when an update may go, and the one-line summary chat messages show.
//!
//! An alert is raised once per story (`alert.created`), then updated as the story grows: more
//! independent outlets, its severity up or down, a new actor pair, a new language, or a
//! resolved story taking articles again. A wire copy or a second article from an outlet
//! already counted changes nothing a reader needs and sends nothing.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::score::ActorPair;
use crate::types::{AlertState, EventKind, Severity};

/// What one event showed of an alert: what the next event is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub state: AlertState,
    pub severity: Severity,
    /// Independent outlets: sites, wire copies not counted.
    pub outlets: usize,
    pub articles: usize,
    /// Who acts on whom, over every article that alerted.
    pub pairs: Vec<ActorPair>,
    /// The languages of the story's articles (ISO 639-3).
    pub languages: Vec<String>,
}

/// One reason for an `alert.updated` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// More independent outlets report the story.
    Outlets { from: usize, to: usize },
    /// The story's severity went up or down.
    Severity { from: Severity, to: Severity },
    /// An actor pair no earlier event named.
    Pair {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    /// An article in a language no earlier event named.
    Language { language: String },
    /// The story was resolved and has taken articles again.
    Reopened,
}

/// What changed from `before` (the last event the webhook received) to `now`.
#[must_use]
pub fn changes(before: &Snapshot, now: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    if before.state == AlertState::Resolved && now.state != AlertState::Resolved {
        out.push(Change::Reopened);
    }
    if now.severity != before.severity {
        out.push(Change::Severity { from: before.severity, to: now.severity });
    }
    if now.outlets > before.outlets {
        out.push(Change::Outlets { from: before.outlets, to: now.outlets });
    }
    for pair in now.pairs.iter().filter(|p| !before.pairs.contains(p)) {
        out.push(Change::Pair { source: pair.source.clone(), target: pair.target.clone() });
    }
    // A language is news when the story was known in another: the first one learnt (an article
    // whose language was not told) is not.
    if !before.languages.is_empty() {
        for language in now.languages.iter().filter(|l| !before.languages.contains(l)) {
            out.push(Change::Language { language: language.clone() });
        }
    }
    out
}

/// Whether `changes` raise the severity: such an update goes at once, whatever the interval.
#[must_use]
pub fn severity_rose(changes: &[Change]) -> bool {
    changes.iter().any(|c| matches!(c, Change::Severity { from, to } if to > from))
}

/// How a webhook takes an alert's events (`[[webhooks]]` `events`, `group_wait`,
/// `update_interval`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    /// The kinds of event sent; the others are not.
    pub events: Vec<EventKind>,
    /// A new alert is held this long, so other outlets can join before the first message.
    pub group_wait: Duration,
    /// Least time between two updates of one alert; a severity increase goes at once.
    pub update_interval: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Self {
            events: EventKind::ALERT.to_vec(),
            group_wait: Duration::ZERO,
            update_interval: Duration::ZERO,
        }
    }
}

impl Cadence {
    /// Whether events of `kind` are sent.
    #[must_use]
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.contains(&kind)
    }

    /// When a new alert's `alert.created` goes.
    #[must_use]
    pub fn created_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + delta(self.group_wait)
    }

    /// When an update raised at `now` goes: `update_interval` after the last event sent
    /// (`last_sent`), or at once when `changes` raise the severity.
    #[must_use]
    pub fn update_due(
        &self,
        changes: &[Change],
        last_sent: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if severity_rose(changes) {
            return now;
        }
        last_sent.map_or(now, |at| (at + delta(self.update_interval)).max(now))
    }
}

/// A webhook as the outbox sees it: which alerts it takes, and how it takes their events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The webhook's name: the key of its outbox rows.
    pub name: String,
    /// Alerts below this severity are not raised to it.
    pub min_severity: Severity,
    /// Only alerts raised by articles of these feeds (by name); empty for all.
    pub feeds: Vec<String>,
    pub cadence: Cadence,
}

impl Subscriber {
    /// Whether an alert of `severity` raised by an article of `feed` is raised to it. Once it
    /// has an alert, it follows the alert: its updates go whatever outlet brings them.
    #[must_use]
    pub fn takes(&self, severity: Severity, feed: &str) -> bool {
        severity >= self.min_severity && (self.feeds.is_empty() || self.feeds.iter().any(|f| f == feed))
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The one line a chat message gives an event: "⬆ high: now 5 outlets".
#[must_use]
pub fn headline(kind: EventKind, now: &Snapshot, changes: &[Change]) -> String {
    let outlets = match now.outlets {
        1 => "1 outlet".to_string(),
        n => format!("{n} outlets"),
    };
    match kind {
        // A trend signal has its own headline (`store::signals`); an alert never gets one.
        EventKind::Created | EventKind::Spike | EventKind::LevelUp => format!("{}: {outlets}", now.severity),
        EventKind::Resolved => format!("✓ resolved: quiet now, {outlets} in all"),
        EventKind::Updated => {
            let arrow = changes
                .iter()
                .find_map(|c| match c {
                    Change::Severity { from, to } if to > from => Some("⬆"),
                    Change::Severity { .. } => Some("⬇"),
                    _ => None,
                })
                .unwrap_or(if changes.contains(&Change::Reopened) { "↺" } else { "➕" });
            let mut line = format!("{arrow} {}: now {outlets}", now.severity);
            for change in changes {
                match change {
                    Change::Pair { source, target } => {
                        let side = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".into());
                        let _ = write!(line, ", new pair {} → {}", side(source), side(target));
                    }
                    Change::Language { language } => {
                        let _ = write!(line, ", now in {language}");
                    }
                    Change::Reopened => line.push_str(", reported again"),
                    Change::Outlets { .. } | Change::Severity { .. } => {}
                }
            }
            line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(severity: Severity, outlets: usize) -> Snapshot {
        Snapshot {
            state: AlertState::Open,
            severity,
            outlets,
            articles: outlets,
            pairs: vec![pair("Pakistan", "Afghanistan")],
            languages: vec!["eng".into()],
        }
    }

    fn pair(source: &str, target: &str) -> ActorPair {
        ActorPair { source: Some(source.into()), target: Some(target.into()) }
    }

    #[test]
    fn what_changed_between_two_events() {
        let base = snap(Severity::Medium, 2);
        let more = snap(Severity::Medium, 3);
        let copy = Snapshot { articles: 9, ..base.clone() };
        let higher = snap(Severity::High, 2);
        let lower = snap(Severity::Low, 2);
        let paired = Snapshot {
            pairs: vec![pair("Pakistan", "Afghanistan"), pair("India", "Pakistan")],
            ..base.clone()
        };
        let urdu = Snapshot { languages: vec!["eng".into(), "urd".into()], ..base.clone() };
        let resolved = Snapshot { state: AlertState::Resolved, ..base.clone() };
        let reopened = Snapshot { state: AlertState::Updated, ..base.clone() };
        let fewer = snap(Severity::Medium, 1);
        let cases: [(&Snapshot, &Snapshot, Vec<Change>); 8] = [
            (&base, &base, vec![]),
            (&base, &copy, vec![]),
            (&base, &more, vec![Change::Outlets { from: 2, to: 3 }]),
            (&base, &higher, vec![Change::Severity { from: Severity::Medium, to: Severity::High }]),
            (&base, &lower, vec![Change::Severity { from: Severity::Medium, to: Severity::Low }]),
            (
                &base,
                &paired,
                vec![Change::Pair { source: Some("India".into()), target: Some("Pakistan".into()) }],
            ),
            (&base, &urdu, vec![Change::Language { language: "urd".into() }]),
            (&resolved, &reopened, vec![Change::Reopened]),
        ];
        for (i, (before, now, want)) in cases.into_iter().enumerate() {
            assert_eq!(changes(before, now), want, "case {i}");
        }
        assert_eq!(changes(&base, &fewer), vec![], "outlets never count down");
        let untold = Snapshot { languages: vec![], ..base.clone() };
        assert_eq!(changes(&untold, &base), vec![], "the first language learnt is no news");
    }

    #[test]
    fn updates_wait_for_the_interval_unless_severity_rises() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z").expect("time").with_timezone(&Utc);
        let cadence = Cadence { update_interval: Duration::from_mins(30), ..Cadence::default() };
        let more = [Change::Outlets { from: 1, to: 2 }];
        let up = [Change::Severity { from: Severity::Low, to: Severity::High }];
        let down = [Change::Severity { from: Severity::High, to: Severity::Low }];
        let m = |n: i64| t0 + TimeDelta::minutes(n);
        let cases = [
            (&more[..], None, m(5), m(5)),
            (&more[..], Some(m(0)), m(5), m(30)),
            (&more[..], Some(m(0)), m(45), m(45)),
            (&up[..], Some(m(0)), m(5), m(5)),
            (&down[..], Some(m(0)), m(5), m(30)),
        ];
        for (i, (changes, last, now, want)) in cases.into_iter().enumerate() {
            assert_eq!(cadence.update_due(changes, last, now), want, "case {i}");
        }
        let waiting = Cadence { group_wait: Duration::from_mins(10), ..Cadence::default() };
        assert_eq!(waiting.created_due(m(0)), m(10));
        assert!(Cadence::default().wants(EventKind::Resolved));
        let quiet = Cadence { events: vec![EventKind::Created], ..Cadence::default() };
        assert!(!quiet.wants(EventKind::Updated));
    }

    #[test]
    fn headlines_are_short() {
        let now = snap(Severity::High, 5);
        let cases = [
            (EventKind::Created, vec![], "high: 5 outlets"),
            (
                EventKind::Updated,
                vec![
                    Change::Severity { from: Severity::Medium, to: Severity::High },
                    Change::Outlets { from: 3, to: 5 },
                ],
                "⬆ high: now 5 outlets",
            ),
            (
                EventKind::Updated,
                vec![Change::Severity { from: Severity::High, to: Severity::Low }],
                "⬇ high: now 5 outlets",
            ),
            (EventKind::Updated, vec![Change::Outlets { from: 3, to: 5 }], "➕ high: now 5 outlets"),
            (
                EventKind::Updated,
                vec![
                    Change::Language { language: "urd".into() },
                    Change::Pair { source: Some("India".into()), target: None },
                ],
                "➕ high: now 5 outlets, now in urd, new pair India → ?",
            ),
            (EventKind::Updated, vec![Change::Reopened], "↺ high: now 5 outlets, reported again"),
            (EventKind::Resolved, vec![], "✓ resolved: quiet now, 5 outlets in all"),
        ];
        for (kind, changes, want) in cases {
            assert_eq!(headline(kind, &now, &changes), want);
        }
        assert_eq!(headline(EventKind::Created, &snap(Severity::Low, 1), &[]), "low: 1 outlet");
    }
}
