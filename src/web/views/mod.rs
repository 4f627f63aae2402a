//! What each page shows, built from plain store data (pure: no I/O, no clock but the `now`
//! passed in), and the templates that render it. Every text from the database goes through a
//! template's HTML escaping; nothing here builds markup by hand.

mod feeds;
mod trends;

use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};

use crate::store::{AlertCard, Delivery, StoryArticle};
use crate::types::{AlertState, Severity};

pub use feeds::{Cell, FeedRow, FeedRows, FeedTable, FeedsPage, PAGE_FEEDS, STRIP_CELLS, status, strip};
pub use trends::{CHART_DAYS, CHARTED_PAIRS, ChartView, PairRow, TrendsPage};

/// Alerts listed on one page.
pub const PAGE_ALERTS: usize = 50;

/// One choice of a filter's `<select>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One filter of the alert list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The query parameter.
    pub name: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
}

/// The filters as given in the query string, unparsed: the page shows them back as chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct AlertParams {
    pub severity: String,
    pub feed: String,
    /// `Source>Target`.
    pub pair: String,
    pub state: String,
    /// `1h`, `24h`, `7d`, `30d`; empty for all time.
    pub since: String,
}

/// The time filter's choices.
const SINCE: &[(&str, &str, i64)] = &[
    ("1h", "last hour", 1),
    ("24h", "last 24 hours", 24),
    ("7d", "last 7 days", 168),
    ("30d", "last 30 days", 720),
];

/// Why a filter's value is not one the page offers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {value:?} is none of the choices")]
pub struct BadFilter {
    pub name: &'static str,
    pub value: String,
}

impl AlertParams {
    /// The store query these filters ask for, at `now`.
    ///
    /// # Errors
    /// [`BadFilter`] for a severity, state, pair or time the page does not offer.
    pub fn query(&self, now: DateTime<Utc>) -> Result<crate::store::AlertQuery, BadFilter> {
        let bad = |name: &'static str, value: &str| BadFilter { name, value: value.to_string() };
        let severity = match self.severity.as_str() {
            "" => None,
            s => Some(Severity::parse(s).ok_or_else(|| bad("severity", s))?),
        };
        let state = match self.state.as_str() {
            "" => None,
            s => Some(AlertState::parse(s).ok_or_else(|| bad("state", s))?),
        };
        let pair = match self.pair.as_str() {
            "" => None,
            p => {
                let (s, t) = p.split_once('>').ok_or_else(|| bad("pair", p))?;
                Some((s.trim().to_string(), t.trim().to_string()))
            }
        };
        let since = match self.since.as_str() {
            "" => None,
            s => {
                let hours = SINCE.iter().find(|(v, _, _)| *v == s).ok_or_else(|| bad("since", s))?.2;
                Some(now - TimeDelta::hours(hours))
            }
        };
        let feed = (!self.feed.is_empty()).then(|| self.feed.clone());
        Ok(crate::store::AlertQuery { severity, feed, pair, state, since, limit: PAGE_ALERTS })
    }

    /// The query string that gives these filters again (for the list's live updates).
    #[must_use]
    pub fn query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("severity", &self.severity),
            ("feed", &self.feed),
            ("pair", &self.pair),
            ("state", &self.state),
            ("since", &self.since),
        ] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    /// The filters with their choices, the chosen ones marked.
    #[must_use]
    pub fn filters(&self, feeds: &[String], pairs: &[(String, String)]) -> Vec<Filter> {
        let choices = |chosen: &str, all: &str, options: Vec<(String, String)>| {
            std::iter::once((String::new(), all.to_string()))
                .chain(options)
                .map(|(value, label)| Choice { selected: value == chosen, value, label })
                .collect()
        };
        let spelt = |all: &[&'static str]| all.iter().map(|s| ((*s).to_string(), (*s).to_string())).collect();
        let severities: Vec<&str> = Severity::ALL.iter().rev().map(|s| s.as_str()).collect();
        let states: Vec<&str> = AlertState::ALL.iter().map(|s| s.as_str()).collect();
        vec![
            Filter {
                name: "severity",
                label: "Severity",
                choices: choices(&self.severity, "any", spelt(&severities)),
            },
            Filter {
                name: "feed",
                label: "Feed",
                choices: choices(&self.feed, "any", feeds.iter().map(|f| (f.clone(), f.clone())).collect()),
            },
            Filter {
                name: "pair",
                label: "Pair",
                choices: choices(
                    &self.pair,
                    "any",
                    pairs.iter().map(|(s, t)| (format!("{s}>{t}"), format!("{s} → {t}"))).collect(),
                ),
            },
            Filter { name: "state", label: "State", choices: choices(&self.state, "any", spelt(&states)) },
            Filter {
                name: "since",
                label: "Time",
                choices: choices(
                    &self.since,
                    "all time",
                    SINCE.iter().map(|(v, l, _)| ((*v).to_string(), (*l).to_string())).collect(),
                ),
            },
        ]
    }
}

/// An alert's card.
#[derive(Debug, Clone, PartialEq)]
pub struct CardView {
    pub id: String,
    pub severity: &'static str,
    pub state: &'static str,
    pub title: String,
    pub url: String,
    pub feed: String,
    /// `5 outlets · 2 languages`.
    pub outlets: String,
    /// `India → Pakistan`, one per pair the alert names.
    pub pairs: Vec<String>,
    /// The event that raised it: `India strike Pakistan (assault, level 3)`; empty without one.
    pub event: String,
    /// The relevance gate's probability, `0.93`; empty when the gate did not judge it.
    pub relevance: String,
    pub score: String,
    pub first_seen: String,
    pub last_seen: String,
    /// `useful`, `noise`, or empty.
    pub verdict: &'static str,
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `url` when it is an http(s) address, else empty: a feed could give a `javascript:` link,
/// which escaping does not defuse.
#[must_use]
pub fn web_link(url: &str) -> String {
    let lower = url.trim_start().get(..8).unwrap_or("").to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        url.trim_start().to_string()
    } else {
        String::new()
    }
}

/// `2026-04-06T23:30:00.000Z` as `2026-04-06 23:30`; anything else as it is.
#[must_use]
pub fn short_time(at: &str) -> String {
    match at.get(..16) {
        Some(head) if at.as_bytes().get(10) == Some(&b'T') => head.replacen('T', " ", 1),
        _ => at.to_string(),
    }
}

impl CardView {
    #[must_use]
    pub fn of(card: &AlertCard) -> Self {
        let a = &card.alert;
        let languages = a.languages.len();
        let outlets = if languages > 0 {
            format!(
                "{} · {}",
                plural(a.outlets, "outlet", "outlets"),
                plural(languages, "language", "languages")
            )
        } else {
            plural(a.outlets, "outlet", "outlets")
        };
        let pairs = a
            .actors
            .iter()
            .filter_map(|p| match (&p.source, &p.target) {
                (Some(s), Some(t)) => Some(format!("{s} → {t}")),
                (Some(s), None) => Some(s.clone()),
                (None, Some(t)) => Some(format!("→ {t}")),
                (None, None) => None,
            })
            .collect();
        let event = a.event.as_ref().map_or_else(String::new, |e| {
            let mut text = String::new();
            if let Some(s) = &e.source {
                text.push_str(s);
                text.push(' ');
            }
            text.push_str(&e.act);
            if let Some(t) = &e.target {
                text.push(' ');
                text.push_str(t);
            }
            format!("{text} ({}, level {})", format!("{:?}", e.rung).to_lowercase(), e.level)
        });
        Self {
            id: a.id.clone(),
            severity: a.severity.as_str(),
            state: a.state.as_str(),
            title: a.title.clone(),
            url: web_link(&a.article_url),
            feed: a.feed.clone(),
            outlets,
            pairs,
            event,
            relevance: a.relevance.as_ref().map_or_else(String::new, |r| format!("{:.2}", r.p)),
            score: format!("{:.1}", a.score),
            first_seen: short_time(&card.first_seen),
            last_seen: short_time(&card.last_seen),
            verdict: card.verdict.map_or("", crate::types::Verdict::as_str),
        }
    }
}

/// `/`: the alerts, newest first, and the filters.
#[derive(Debug, Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub filters: Vec<Filter>,
    pub list: ListView,
}

/// The list of cards alone, for its live updates.
#[derive(Debug, Template)]
#[template(path = "alert_list.html")]
pub struct AlertList {
    pub list: ListView,
}

/// The list of cards.
#[derive(Debug, Clone, PartialEq)]
pub struct ListView {
    pub cards: Vec<CardView>,
    /// Where the live update fetches the list again.
    pub list_url: String,
    /// Where a verdict form returns without JavaScript.
    pub back: String,
    pub csrf: String,
}

/// A card's verdict buttons, also served alone after a verdict is recorded.
#[derive(Debug, Template)]
#[template(path = "verdict.html")]
pub struct VerdictForm<'a> {
    pub card: &'a CardView,
    pub back: &'a str,
    pub csrf: &'a str,
}

/// One match of an alert's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchView {
    pub term: String,
    pub category: String,
    pub place: String,
    pub weight: String,
    pub contribution: String,
    /// The context flags set, `negated, past`; empty when none.
    pub flags: String,
    pub frame: String,
    pub sentence: String,
}

/// One article of the story's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub at: String,
    pub outlet: String,
    pub copy: bool,
    pub title: String,
    pub url: String,
    pub language: String,
    pub severity: &'static str,
}

/// One webhook event of the alert.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub webhook: String,
    pub event: &'static str,
    pub sequence: u32,
    pub state: &'static str,
    pub attempts: u32,
    pub last_attempt: String,
    pub last_status: String,
    pub last_error: String,
}

/// `/alerts/{id}`: the whole explanation, the story's timeline and the deliveries.
#[derive(Debug, Template)]
#[template(path = "alert.html")]
pub struct AlertPage {
    pub card: CardView,
    /// The event's steps up the ladder.
    pub why: Vec<String>,
    pub event_sentence: String,
    /// The features that moved the relevance gate: `troops +1.50`.
    pub features: Vec<String>,
    pub matches: Vec<MatchView>,
    pub threshold: String,
    pub rules_hash: String,
    pub timeline: Vec<TimelineRow>,
    pub deliveries: Vec<DeliveryRow>,
    pub back: String,
    pub csrf: String,
}

impl AlertPage {
    #[must_use]
    pub fn of(card: &AlertCard, articles: &[StoryArticle], deliveries: &[Delivery], csrf: String) -> Self {
        let a = &card.alert;
        let view = CardView::of(card);
        let matches = a
            .matches
            .iter()
            .map(|m| MatchView {
                term: m.term.clone(),
                category: m.category.clone(),
                place: format!("{:?}", m.place).to_lowercase(),
                weight: format!("{:.1}", m.weight),
                contribution: format!("{:.2}", m.contribution),
                flags: m.flags.names().join(", "),
                frame: m.frame.clone().unwrap_or_default(),
                sentence: m.sentence.clone(),
            })
            .collect();
        let timeline = articles
            .iter()
            .map(|s| TimelineRow {
                at: short_time(&s.seen_at),
                outlet: s.outlet.clone(),
                copy: s.copy,
                title: s.title.clone(),
                url: web_link(&s.url),
                language: s.language.clone().unwrap_or_default(),
                severity: s.severity.map_or("", Severity::as_str),
            })
            .collect();
        let deliveries = deliveries
            .iter()
            .map(|d| DeliveryRow {
                webhook: d.webhook.clone(),
                event: d.event.as_str(),
                sequence: d.sequence,
                state: d.state.as_str(),
                attempts: d.attempts,
                last_attempt: d.last_attempt_at.as_deref().map(short_time).unwrap_or_default(),
                last_status: d.last_status.map(|s| s.to_string()).unwrap_or_default(),
                last_error: d.last_error.clone().unwrap_or_default(),
            })
            .collect();
        Self {
            back: format!("/alerts/{}", view.id),
            card: view,
            why: a.event.as_ref().map(|e| e.why.clone()).unwrap_or_default(),
            event_sentence: a.event.as_ref().map(|e| e.sentence.clone()).unwrap_or_default(),
            features: a
                .relevance
                .as_ref()
                .map(|r| r.top.iter().map(|c| format!("{} {:+.2}", c.feature, c.weight)).collect())
                .unwrap_or_default(),
            matches,
            threshold: format!("{:.1}", a.threshold),
            rules_hash: a.rules_hash.clone(),
            timeline,
            deliveries,
            csrf,
        }
    }
}

/// `/login`.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Said when a wrong token was given.
    pub failed: bool,
}

/// A page that says what went wrong.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

#[cfg(test)]
mod tests;
