//! Table tests of the views.

use super::*;
use crate::store::{Poll, PollResult};

fn polls(results: &[PollResult]) -> Vec<Poll> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| Poll { at: format!("2026-04-06T10:{i:02}:00.000Z"), result: *r })
        .collect()
}

#[test]
fn a_strip_shows_the_worst_poll_of_each_cell_newest_last() {
    use PollResult::{Error as E, Ok as K};
    let cases: [(&str, Vec<PollResult>, usize, Vec<&str>); 5] = [
        ("no polls", vec![], 3, vec!["none", "none", "none"]),
        ("fewer polls than cells", vec![K, E], 3, vec!["none", "ok", "error"]),
        ("two polls a cell, worst wins", vec![K, E, K, K], 2, vec!["error", "ok"]),
        ("the newest polls fill the last cell", vec![E, K, K], 2, vec!["error", "ok"]),
        ("one cell", vec![K, K, E, K], 1, vec!["error"]),
    ];
    for (name, results, cells, want) in cases {
        let strip = strip(&polls(&results), cells);
        assert_eq!(strip.iter().map(|c| c.state).collect::<Vec<_>>(), want, "{name}");
    }
    let strip = strip(&polls(&[K, E]), 1);
    assert_eq!(strip[0].title, "04-06 10:01 · 2 polls, 1 failed");
}

#[test]
fn filters_parse_into_a_query_or_say_which_is_wrong() {
    let now = Utc::now();
    let params = |severity: &str, pair: &str, state: &str, since: &str| AlertParams {
        severity: severity.into(),
        feed: String::new(),
        pair: pair.into(),
        state: state.into(),
        since: since.into(),
    };
    let ok = params("high", "India > Pakistan", "open", "24h").query(now).expect("valid");
    assert_eq!(ok.severity, Some(Severity::High));
    assert_eq!(ok.pair, Some(("India".into(), "Pakistan".into())));
    assert_eq!(ok.state, Some(AlertState::Open));
    assert_eq!(ok.since, Some(now - TimeDelta::hours(24)));
    assert_eq!(ok.limit, PAGE_ALERTS);
    let bad = [
        (params("severe", "", "", ""), "severity"),
        (params("", "India", "", ""), "pair"),
        (params("", "", "closed", ""), "state"),
        (params("", "", "", "1y"), "since"),
    ];
    for (p, name) in bad {
        assert_eq!(p.query(now).map(|_| ()).map_err(|e| e.name), Err(name));
    }
    assert_eq!(
        AlertParams::default().query(now).expect("all"),
        crate::store::AlertQuery { limit: PAGE_ALERTS, ..crate::store::AlertQuery::default() }
    );
    let p = params("low", "A>B", "", "");
    assert_eq!(p.query_string(), "severity=low&pair=A%3EB");
    let filters = p.filters(&["F".into()], &[("A".into(), "B".into())]);
    let chosen: Vec<(&str, &str)> = filters
        .iter()
        .flat_map(|f| f.choices.iter().filter(|c| c.selected).map(move |c| (f.name, c.label.as_str())))
        .collect();
    assert_eq!(
        chosen,
        [("severity", "low"), ("feed", "any"), ("pair", "A → B"), ("state", "any"), ("since", "all time")]
    );
}

#[test]
fn the_feed_table_puts_the_worst_first_and_pages() {
    use crate::feed::health::{FeedHealth, Flag};
    let health = |name: &str, flags: Vec<Flag>| FeedHealth {
        name: name.into(),
        url: format!("https://{name}.example/rss"),
        last_success_at: None,
        last_error: None,
        last_error_at: None,
        consecutive_failures: 0,
        page_errors: 0,
        items_24h: 0,
        mean_body_chars: None,
        flags,
    };
    let mut report: Vec<FeedHealth> =
        (0..PAGE_FEEDS + 5).map(|i| health(&format!("ok{i:03}"), vec![])).collect();
    report.push(health("b", vec![Flag::Silent]));
    report.push(health("z", vec![Flag::Failing, Flag::Shrinking]));
    let mut looked_at = 0;
    let row = |h: &FeedHealth| {
        looked_at += 1;
        Ok::<_, ()>(FeedRow::of(h, &[], &crate::store::FeedExtraction::default(), None))
    };
    let first = FeedTable::page(report.clone(), 1, row).expect("page");
    assert_eq!(looked_at, PAGE_FEEDS, "only the page's feeds are looked at");
    assert_eq!((first.pages, first.total, first.failing, first.flagged), (2, PAGE_FEEDS + 7, 1, 1));
    assert_eq!((first.rows[0].name.as_str(), first.rows[0].status), ("z", "failing"));
    assert_eq!((first.rows[1].name.as_str(), first.rows[1].status), ("b", "flagged"));
    assert_eq!(first.rows.len(), PAGE_FEEDS);
    let plain =
        |h: &FeedHealth| Ok::<_, ()>(FeedRow::of(h, &[], &crate::store::FeedExtraction::default(), None));
    assert_eq!(FeedTable::page(report.clone(), 2, plain).expect("page").rows.len(), 7);
    assert_eq!(FeedTable::page(report, 99, plain).expect("page").page, 2, "past the end: the last page");
}

#[test]
fn times_are_shortened_to_the_minute() {
    assert_eq!(short_time("2026-04-06T23:30:12.345Z"), "2026-04-06 23:30");
    assert_eq!(short_time("yesterday"), "yesterday");
}

#[test]
fn only_web_addresses_become_links() {
    let cases = [
        ("https://www.dawn.com/news/1", "https://www.dawn.com/news/1"),
        ("HTTP://x.example/", "HTTP://x.example/"),
        ("javascript:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("data:text/html,x", ""),
        ("guid:123", ""),
    ];
    for (url, want) in cases {
        assert_eq!(web_link(url), want, "{url:?}");
    }
}
