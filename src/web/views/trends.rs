//! `/trends`: the pairs ranked by change against the last four weeks, and the charts of those
//! that changed most (each day's stories, the band the baseline expects, the signals).

use std::collections::HashMap;

use askama::Template;
use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

use crate::trends::{Detector, Series, SignalKind};

/// Days a trend chart shows.
pub const CHART_DAYS: i64 = 90;

/// Pairs charted on `/trends`: the ones that changed most.
pub const CHARTED_PAIRS: usize = 12;

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
