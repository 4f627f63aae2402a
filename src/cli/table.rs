//! How the operator commands lay out their text: aligned columns for `alerts`, `deliveries`,
//! `labels` and `feeds`, and the `status` report. The `--json` forms are the rows serialized as
//! they are.

use std::fmt::Write as _;

use super::ops::Status;
use crate::feed::health::FeedHealth;
use crate::store::{Alert, Delivery, Labelled, RunSummary, StoryArticle, StoryRow};
use crate::types::DeliveryState;

/// Aligned plain-text columns.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// `n` and its noun, singular for one: `1 alert`, `2 alerts`.
pub(super) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` cut to `max` characters, an ellipsis marking the cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// The one line `once` ends with: what it polled, stored and delivered.
#[must_use]
pub fn once_summary(s: &RunSummary) -> String {
    format!(
        "once: {} polled, {} failed; {}, {}; deliveries: {} delivered, {} dead-lettered, {} pending",
        counted(s.feeds_polled, "feed", "feeds"),
        s.feeds_failed,
        counted(s.articles, "article", "articles"),
        counted(s.alerts, "alert", "alerts"),
        s.delivered,
        s.dead,
        s.pending,
    )
}

/// The `alerts` table.
#[must_use]
pub fn alerts_table(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "no alerts\n".to_string();
    }
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                a.created_at.clone(),
                a.severity.to_string(),
                a.state.to_string(),
                a.outlets.to_string(),
                format!("{:.2}", a.score),
                a.feed.clone(),
                shorten(&a.title, 70),
                a.article_url.clone(),
                a.id.clone(),
            ]
        })
        .collect();
    table(&["CREATED", "SEVERITY", "STATE", "OUTLETS", "SCORE", "FEED", "TITLE", "URL", "ID"], &rows)
}

/// The `deliveries` table.
#[must_use]
pub fn deliveries_table(deliveries: &[Delivery]) -> String {
    if deliveries.is_empty() {
        return "no deliveries pending or dead-lettered\n".to_string();
    }
    let rows: Vec<Vec<String>> = deliveries
        .iter()
        .map(|d| {
            vec![
                d.alert_id.clone(),
                d.webhook.clone(),
                format!("{} #{}", d.event, d.sequence),
                d.state.to_string(),
                d.attempts.to_string(),
                if d.state == DeliveryState::Pending { d.next_attempt_at.clone() } else { "-".into() },
                d.last_error.clone().unwrap_or_else(|| "-".into()),
                shorten(&d.title, 50),
            ]
        })
        .collect();
    table(&["ALERT", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR", "TITLE"], &rows)
}

/// The `labels` table.
#[must_use]
pub fn verdicts_table(verdicts: &[Labelled]) -> String {
    if verdicts.is_empty() {
        return "no verdicts; record one with `flashpoint label ALERT_ID useful|noise`\n".to_string();
    }
    let rows: Vec<Vec<String>> = verdicts
        .iter()
        .map(|v| {
            vec![
                v.created_at.clone(),
                v.verdict.to_string(),
                v.severity.to_string(),
                v.alert_id.clone(),
                shorten(&v.title, 60),
                v.note.as_deref().map_or_else(|| "-".into(), |n| shorten(n, 60)),
            ]
        })
        .collect();
    table(&["LABELLED", "VERDICT", "SEVERITY", "ALERT", "TITLE", "NOTE"], &rows)
}

/// The `feeds` table.
#[must_use]
pub fn feeds_table(feeds: &[FeedHealth]) -> String {
    let rows: Vec<Vec<String>> = feeds
        .iter()
        .map(|f| {
            let status = if !f.flags.is_empty() {
                f.flags.iter().map(|flag| flag.as_str()).collect::<Vec<_>>().join(",")
            } else if f.last_success_at.is_none() {
                "never polled".into()
            } else {
                "ok".into()
            };
            vec![
                f.name.clone(),
                status,
                f.last_success_at.clone().unwrap_or_else(|| "-".into()),
                f.consecutive_failures.to_string(),
                f.items_24h.to_string(),
                f.mean_body_chars.map_or_else(|| "-".into(), |n| n.to_string()),
                f.page_errors.to_string(),
                f.last_error.as_deref().map_or_else(|| "-".into(), |e| shorten(e, 80)),
            ]
        })
        .collect();
    table(
        &[
            "FEED",
            "STATUS",
            "LAST SUCCESS",
            "FAILURES",
            "24H ITEMS",
            "MEAN BODY",
            "PAGE ERRORS",
            "LAST ERROR",
        ],
        &rows,
    )
}

/// `flashpoint status` for people.
#[must_use]
pub fn status_report(s: &Status) -> String {
    let mb = |bytes: u64| format!("{}.{} MB", bytes >> 20, ((bytes % (1 << 20)) * 10) >> 20);
    let st = &s.storage;
    let last = st.last_prune.as_ref().map_or_else(
        || "never".to_string(),
        |p| {
            format!(
                "{}: {} bodies, {} articles, {} alerts, {} freed",
                p.at,
                p.pruned.bodies,
                p.pruned.articles,
                p.pruned.alerts,
                mb(p.freed)
            )
        },
    );
    let database = format!(
        "database:    {} ({} free inside{}), WAL {}; oldest body kept {}\n         last prune:  {last}\n",
        mb(st.file_bytes),
        mb(st.free_bytes),
        if st.incremental_vacuum { "" } else { "; incremental vacuum off" },
        mb(st.wal_bytes),
        st.oldest_body.as_deref().unwrap_or("-"),
    );
    let mut out = format!(
        "feeds:       {} watched, {} healthy, {} failing, {} silent or shrinking\n\
         last 24 h:   {}, {}\n\
         deliveries:  {} pending, {} dead-lettered\n\
         inbox:       {} waiting\n\
         rules:       {}\n",
        s.feeds,
        s.feeds_healthy,
        s.feeds_failing,
        s.feeds_flagged,
        counted(s.articles_24h, "article", "articles"),
        counted(s.alerts_24h, "alert", "alerts"),
        s.deliveries_pending,
        s.deliveries_dead,
        counted(s.inbox, "item", "items"),
        s.rules_hash
    );
    out.push_str(&database);
    out
}

/// The `stories` table.
#[must_use]
pub fn stories_table(stories: &[StoryRow]) -> String {
    if stories.is_empty() {
        return "no stories\n".to_string();
    }
    let rows: Vec<Vec<String>> = stories
        .iter()
        .map(|s| {
            vec![
                s.last_seen.clone(),
                s.severity.map_or_else(|| "-".into(), |v| v.to_string()),
                s.state.map_or_else(|| "no alert".into(), |v| v.to_string()),
                s.outlets.to_string(),
                s.articles.to_string(),
                shorten(&s.title, 70),
                s.id.clone(),
            ]
        })
        .collect();
    table(&["LAST SEEN", "SEVERITY", "STATE", "OUTLETS", "ARTICLES", "TITLE", "ID"], &rows)
}

/// `story ID`: the story, its articles by time and outlet, and every event sent for its alert.
#[must_use]
pub fn story_report(story: &StoryRow, articles: &[StoryArticle], events: &[Delivery]) -> String {
    let mut out = format!("story {}: {}\n", story.id, story.title);
    let alert = match (story.severity, story.state) {
        (Some(severity), Some(state)) => format!("alert {severity}, {state}"),
        _ => "no alert".to_string(),
    };
    let _ = writeln!(
        out,
        "{alert}; {}, {}; first seen {}, last seen {}\n",
        counted(story.outlets, "outlet", "outlets"),
        counted(story.articles, "article", "articles"),
        story.first_seen,
        story.last_seen
    );
    let rows: Vec<Vec<String>> = articles
        .iter()
        .map(|a| {
            vec![
                a.seen_at.clone(),
                if a.copy { format!("{} (copy)", a.outlet) } else { a.outlet.clone() },
                a.severity.map_or_else(|| "-".into(), |s| s.to_string()),
                a.language.clone().unwrap_or_else(|| "-".into()),
                shorten(&a.title, 60),
                a.url.clone(),
            ]
        })
        .collect();
    out.push_str(&table(&["SEEN", "OUTLET", "ALERTED", "LANG", "TITLE", "URL"], &rows));
    if events.is_empty() {
        out.push_str("\nno events sent\n");
        return out;
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|d| {
            vec![
                d.queued_at.clone(),
                d.webhook.clone(),
                format!("alert.{} #{}", d.event, d.sequence),
                d.state.to_string(),
                d.attempts.to_string(),
                d.last_error.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table(&["QUEUED", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "LAST ERROR"], &rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&["A", "BB"], &[vec!["xxx".into(), "y".into()], vec!["z".into(), "ww".into()]]);
        assert_eq!(t, "A    BB\nxxx  y\nz    ww\n");
    }

    /// Issue 20: "1 deliveries queued", "1 alerts gained".
    #[test]
    fn one_is_singular() {
        let cases = [(0, "0 alerts"), (1, "1 alert"), (2, "2 alerts")];
        for (n, want) in cases {
            assert_eq!(counted(n, "alert", "alerts"), want);
        }
    }
}
