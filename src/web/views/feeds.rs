//! `/feeds`: each feed's strip of recent polls and its health, the worst feeds first.

use askama::Template;

use super::{plural, short_time};
use crate::feed::health::{FeedHealth, Flag};
use crate::store::{FeedExtraction, Poll, PollResult};

/// Cells in a feed's strip of recent polls.
pub const STRIP_CELLS: usize = 24;

/// One cell of a feed's strip: the worst of its polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `ok`, `error`, or `none` (no poll in it).
    pub state: &'static str,
    /// The cell's last poll and what its polls did: `04-06 23:35 · 2 polls, 1 failed`.
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
            let last = short_time(&chunk[chunk.len() - 1].at);
            let last = last.get(5..).unwrap_or(&last);
            Cell {
                state: worst.as_str(),
                title: format!("{last} · {}, {failed} failed", plural(chunk.len(), "poll", "polls")),
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
            status: status(health),
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

/// Feeds shown on one page of `/feeds`.
pub const PAGE_FEEDS: usize = 50;

/// One page of the feed table: the worst feeds first.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedTable {
    pub rows: Vec<FeedRow>,
    /// This page, from 1, and how many there are.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub failing: usize,
    pub flagged: usize,
}

/// What is worst about a feed: `failing`, `flagged` (silent or shrinking) or `ok`.
#[must_use]
pub fn status(health: &FeedHealth) -> &'static str {
    if health.flags.contains(&Flag::Failing) {
        "failing"
    } else if health.flags.is_empty() {
        "ok"
    } else {
        "flagged"
    }
}

impl FeedTable {
    /// Page `page` (from 1) of `report`, failing feeds first, then flagged ones, then by name,
    /// each made a row by `row`: only the page's feeds are looked at further.
    ///
    /// # Errors
    /// Whatever `row` returns.
    pub fn page<E>(
        mut report: Vec<FeedHealth>,
        page: usize,
        row: impl FnMut(&FeedHealth) -> Result<FeedRow, E>,
    ) -> Result<Self, E> {
        let rank = |h: &FeedHealth| match status(h) {
            "failing" => 0,
            "flagged" => 1,
            _ => 2,
        };
        report.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
        let total = report.len();
        let failing = report.iter().filter(|h| status(h) == "failing").count();
        let flagged = report.iter().filter(|h| status(h) == "flagged").count();
        let pages = total.div_ceil(PAGE_FEEDS).max(1);
        let page = page.clamp(1, pages);
        let rows = report
            .iter()
            .skip((page - 1) * PAGE_FEEDS)
            .take(PAGE_FEEDS)
            .map(row)
            .collect::<Result<_, E>>()?;
        Ok(Self { rows, page, pages, total, failing, flagged })
    }
}
