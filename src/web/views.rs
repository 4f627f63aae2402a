//! What each page shows, built from plain store data (pure: no I/O, no clock but the `now`
//! passed in), and the templates that render it. Every text from the database goes through a
//! template's HTML escaping; nothing here builds markup by hand.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::feed::health::{FeedHealth, Flag};
use crate::store::{AlertCard, Delivery, FeedExtraction, Poll, PollResult, StoryArticle};
use crate::trends::{Detector, Series, SignalKind};
use crate::types::{AlertState, Severity};

/// Alerts listed on one page.
pub const PAGE_ALERTS: usize = 50;

/// Cells in a feed's strip of recent polls.
pub const STRIP_CELLS: usize = 24;

/// Days a trend chart shows.
pub const CHART_DAYS: i64 = 90;

/// Pairs charted on `/trends`: the ones that changed most.
pub const CHARTED_PAIRS: usize = 12;

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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
            url: a.article_url.clone(),
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
                url: s.url.clone(),
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

/// One pair's row of the ranking on `/trends`.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRow {
    pub source: String,
    pub target: String,
    /// Stories of the last 7 days.
    pub week: u32,
    /// Stories a week over the four weeks before.
    pub usual: String,
    /// `+150 %`, `new`, `−20 %`.
    pub change: String,
    /// The signals of the last 7 days: `spike 2026-04-06`.
    pub signals: Vec<String>,
    /// Anchor of its chart, when charted.
    pub chart: Option<String>,
    /// The sort key: stories this week less the usual week.
    rise: f64,
}

/// One pair's chart: the data uPlot draws, as JSON in an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartView {
    pub anchor: String,
    pub title: String,
    pub json: String,
}

/// The series of one chart, column by column as uPlot takes them.
#[derive(Debug, Serialize)]
struct ChartData {
    /// Unix seconds of each day.
    x: Vec<i64>,
    stories: Vec<u32>,
    /// What the baseline expected, and the least count that signals: the band.
    expected: Vec<Option<f64>>,
    upper: Vec<Option<u32>>,
    /// The day's stories on days with a signal, else null.
    signals: Vec<Option<u32>>,
}

/// `/trends`.
#[derive(Debug, Template)]
#[template(path = "trends.html")]
pub struct TrendsPage {
    pub rows: Vec<PairRow>,
    pub charts: Vec<ChartView>,
}

impl TrendsPage {
    /// The ranking and the charts of every pair, on `today`.
    #[must_use]
    pub fn of(pairs: &[(&str, &str, &Series)], detector: &Detector, today: NaiveDate) -> Self {
        let stories_on = |series: &Series, date: NaiveDate| -> u32 {
            usize::try_from((date - series.first).num_days())
                .ok()
                .and_then(|i| series.days.get(i))
                .map_or(0, crate::trends::Day::stories)
        };
        let mut rows: Vec<PairRow> = pairs
            .iter()
            .map(|(source, target, series)| {
                let week: u32 = (0..7).map(|d| stories_on(series, today - TimeDelta::days(d))).sum();
                let before: u32 = (7..35).map(|d| stories_on(series, today - TimeDelta::days(d))).sum();
                let usual = f64::from(before) / 4.0;
                let change = if usual == 0.0 {
                    if week > 0 { "new".to_string() } else { "—".to_string() }
                } else {
                    format!("{:+.0} %", (f64::from(week) / usual - 1.0) * 100.0)
                };
                let signals = detector
                    .scan(series)
                    .iter()
                    .filter(|s| s.date > today - TimeDelta::days(7) && s.date <= today)
                    .map(|s| format!("{} {}", s.kind.as_str().replace('_', "-"), s.date))
                    .collect();
                PairRow {
                    source: (*source).to_string(),
                    target: (*target).to_string(),
                    week,
                    usual: format!("{usual:.1}"),
                    change,
                    signals,
                    chart: None,
                    rise: f64::from(week) - usual,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.rise.total_cmp(&a.rise).then_with(|| (&a.source, &a.target).cmp(&(&b.source, &b.target)))
        });
        let by_pair: HashMap<(&str, &str), &Series> =
            pairs.iter().map(|(s, t, series)| ((*s, *t), *series)).collect();
        let mut charts = Vec::new();
        for (i, row) in rows.iter_mut().take(CHARTED_PAIRS).enumerate() {
            let Some(series) = by_pair.get(&(row.source.as_str(), row.target.as_str())) else { continue };
            let anchor = format!("chart-{i}");
            let data = chart_data(series, detector, today);
            charts.push(ChartView {
                anchor: anchor.clone(),
                title: format!("{} → {}", row.source, row.target),
                json: serde_json::to_string(&data).unwrap_or_default(),
            });
            row.chart = Some(anchor);
        }
        Self { rows, charts }
    }
}

/// The last [`CHART_DAYS`] of a series up to `today`, with its band and its signals.
fn chart_data(series: &Series, detector: &Detector, today: NaiveDate) -> ChartData {
    let tests = detector.tests(series);
    let signalled: HashMap<NaiveDate, SignalKind> =
        detector.scan(series).iter().map(|s| (s.date, s.kind)).collect();
    let mut data = ChartData {
        x: Vec::new(),
        stories: Vec::new(),
        expected: Vec::new(),
        upper: Vec::new(),
        signals: Vec::new(),
    };
    let first = today - TimeDelta::days(CHART_DAYS - 1);
    for date in first.iter_days().take_while(|d| *d <= today) {
        let i = usize::try_from((date - series.first).num_days()).ok();
        let stories = i.and_then(|i| series.days.get(i)).map_or(0, crate::trends::Day::stories);
        let test = i.and_then(|i| tests.get(i).copied().flatten());
        data.x.push(date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp()));
        data.stories.push(stories);
        data.expected.push(test.map(|t| (t.expected * 100.0).round() / 100.0));
        data.upper.push(test.map(|t| t.upper));
        data.signals.push(signalled.contains_key(&date).then_some(stories));
    }
    data
}

/// One cell of a feed's strip: the worst of its polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `ok`, `error`, or `none` (no poll in it).
    pub state: &'static str,
    /// `2026-04-06 23:30 – 23:35: 2 polls, 1 failed`.
    pub title: String,
}

/// `polls` (oldest first) in `cells` cells of equal numbers of polls, the newest at the end;
/// a cell's state is its worst poll's. Missing cells (too few polls) come first, empty.
#[must_use]
pub fn strip(polls: &[Poll], cells: usize) -> Vec<Cell> {
    let per = polls.len().div_ceil(cells).max(1);
    let mut out: Vec<Cell> = polls
        .rchunks(per)
        .map(|chunk| {
            let failed = chunk.iter().filter(|p| p.result == PollResult::Error).count();
            let worst = chunk.iter().map(|p| p.result).max().unwrap_or(PollResult::Ok);
            let (first, last) = (&chunk[0].at, &chunk[chunk.len() - 1].at);
            let span = if chunk.len() == 1 {
                short_time(first)
            } else {
                format!("{} – {}", short_time(first), short_time(last))
            };
            Cell {
                state: worst.as_str(),
                title: format!("{span}: {}, {failed} failed", plural(chunk.len(), "poll", "polls")),
            }
        })
        .collect();
    out.resize(cells, Cell { state: "none", title: "no poll".to_string() });
    out.reverse();
    out
}

/// One feed's row on `/feeds`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub name: String,
    pub url: String,
    pub strip: Vec<Cell>,
    pub last_success: String,
    pub last_error: String,
    pub last_error_at: String,
    pub failures: u32,
    /// The wait before the next poll while failing, `40m`; empty while healthy.
    pub backoff: String,
    pub items_24h: usize,
    /// `site 45 · feed 5`.
    pub methods: String,
    pub mean_body: String,
    pub flags: Vec<&'static str>,
    /// The worst thing about it, for its row's colour: `failing`, `flagged` or `ok`.
    pub status: &'static str,
}

impl FeedRow {
    #[must_use]
    pub fn of(
        health: &FeedHealth,
        polls: &[Poll],
        extraction: &FeedExtraction,
        backoff: Option<std::time::Duration>,
    ) -> Self {
        let status = if health.flags.contains(&Flag::Failing) {
            "failing"
        } else if health.flags.is_empty() {
            "ok"
        } else {
            "flagged"
        };
        Self {
            name: health.name.clone(),
            url: health.url.clone(),
            strip: strip(polls, STRIP_CELLS),
            last_success: health.last_success_at.as_deref().map_or_else(|| "never".to_string(), short_time),
            last_error: health.last_error.clone().unwrap_or_default(),
            last_error_at: health.last_error_at.as_deref().map(short_time).unwrap_or_default(),
            failures: health.consecutive_failures,
            backoff: backoff
                .map(|d| humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string())
                .unwrap_or_default(),
            items_24h: health.items_24h,
            methods: extraction
                .methods
                .iter()
                .map(|(m, n)| format!("{m} {n}"))
                .collect::<Vec<_>>()
                .join(" · "),
            mean_body: health.mean_body_chars.map(|n| n.to_string()).unwrap_or_default(),
            flags: health.flags.iter().map(|f| f.as_str()).collect(),
            status,
        }
    }
}

/// `/feeds`.
#[derive(Debug, Template)]
#[template(path = "feeds.html")]
pub struct FeedsPage {
    pub table: FeedTable,
}

/// The feed table's rows alone, for their live updates.
#[derive(Debug, Template)]
#[template(path = "feed_rows.html")]
pub struct FeedRows {
    pub table: FeedTable,
}

/// The feed table's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedTable {
    pub rows: Vec<FeedRow>,
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
