//! Chat messages (pure): a Slack incoming-webhook message and a Discord embed per alert event.
//! A new alert gets the whole message; later events one short line ("⬆ high: now 5 outlets").
//! A trend signal gets its headline and the titles of the stories behind it.
//! Article text is escaped for each service's markup, so it can write no link or mention.

use serde_json::{Value, json};

use crate::store::{Alert, EventRecord, SignalRecord, SignalStory};
use crate::story::lifecycle::headline;
use crate::types::Severity;

/// Matches shown in chat formats.
const TOP_MATCHES: usize = 3;

/// Cuts `text` to at most `max` characters, marking the cut.
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped: with them, article text could write its own
/// `<http://evil.example|official statement>` link.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An address inside Slack's `<URL|label>`: escaped, and a `|` cannot end it early.
fn slack_url(url: &str) -> String {
    slack_escape(url).replace('|', "%7C")
}

/// Discord's markdown, neutralised: every character it gives a meaning to is backslash-escaped,
/// so an article's `[official statement](http://evil.example/phish)` shows as written instead of
/// as a masked link, and `**`, `__`, `||`, `>`, `#`, `@everyone` and `<@id>` do nothing.
fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '~'
                | '`'
                | '|'
                | '>'
                | '<'
                | '#'
                | '-'
                | '['
                | ']'
                | '('
                | ')'
                | '@'
                | ':'
                | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What an alert is called in a chat message: its title, else its address (Slack refuses a header
/// block with empty text, and Discord shows an empty embed title).
fn shown_title(alert: &Alert) -> &str {
    [alert.title.as_str(), alert.article_url.as_str()]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or("untitled article")
}

/// An event's one line: "⬆ high: now 5 outlets".
fn line(event: &EventRecord) -> String {
    headline(event.kind, &event.snapshot, &event.changes)
}

pub(super) fn slack(event: &EventRecord) -> Value {
    let alert = &event.alert;
    let title = slack_escape(shown_title(alert));
    let url = slack_url(&alert.article_url);
    let matches: Vec<String> = alert
        .matches
        .iter()
        .take(TOP_MATCHES)
        .map(|m| {
            format!(
                "• `{}` ({}) {:+.2} — “{}”",
                slack_escape(&m.term),
                slack_escape(&m.category),
                m.contribution,
                slack_escape(&clip(&m.sentence, 200))
            )
        })
        .collect();
    json!({
        "text": format!("[{}] {:.2}: {} <{url}|open>", alert.severity.as_str().to_uppercase(), alert.score, title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": clip(shown_title(alert), 150)}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": format!("*Severity*\n{}", alert.severity)},
                {"type": "mrkdwn", "text": format!("*Score*\n{:.2} (threshold {:.2})", alert.score, alert.threshold)},
                {"type": "mrkdwn", "text": format!("*Feed*\n{}", slack_escape(&alert.feed))},
                {"type": "mrkdwn", "text": format!("*Reported by*\n{}", slack_escape(&line(event)))},
            ]},
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(&format!("*Top matches*\n{}", matches.join("\n")), 3000)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("<{url}|Read the article>")}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("Flashpoint alert `{}`", alert.id)}]},
        ],
    })
}

/// A later event in Slack: its line, the title and a link.
pub(super) fn slack_short(event: &EventRecord) -> Value {
    let alert = &event.alert;
    let url = slack_url(&alert.article_url);
    let text = format!(
        "{} — {} <{url}|open>",
        slack_escape(&line(event)),
        slack_escape(&clip(shown_title(alert), 150))
    );
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("Flashpoint alert `{}`", alert.id)}]},
        ],
    })
}

fn color(severity: Severity) -> u32 {
    match severity {
        Severity::High => 0x00d3_2f2f,
        Severity::Medium => 0x00f5_7c00,
        Severity::Low => 0x00fb_c02d,
    }
}

/// A later event in Discord: one small embed, its line as the title.
pub(super) fn discord_short(event: &EventRecord) -> Value {
    let alert = &event.alert;
    json!({
        "username": "Flashpoint",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            // The line is Flashpoint's own words (severity, counts, configured actor names,
            // language codes): nothing of the article's to escape.
            "title": clip(&line(event), 256),
            "url": alert.article_url,
            "description": clip(&discord_escape(shown_title(alert)), 1000),
            "color": color(alert.severity),
            "footer": {"text": format!("Flashpoint alert {}", alert.id)},
        }],
    })
}

pub(super) fn discord(event: &EventRecord) -> Value {
    let alert = &event.alert;
    let color = color(alert.severity);
    let matches: Vec<String> = alert
        .matches
        .iter()
        .take(TOP_MATCHES)
        .map(|m| {
            format!(
                "**{}** ({}) {:+.2}\n> {}",
                discord_escape(&m.term),
                discord_escape(&m.category),
                m.contribution,
                clip(&discord_escape(&m.sentence), 300)
            )
        })
        .collect();
    json!({
        "username": "Flashpoint",
        // Article text never pings anyone, whatever it says.
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": clip(&discord_escape(shown_title(alert)), 256),
            "url": alert.article_url,
            "description": clip(&matches.join("\n"), 4000),
            "color": color,
            "fields": [
                {"name": "Severity", "value": alert.severity, "inline": true},
                {"name": "Score", "value": format!("{:.2} (threshold {:.2})", alert.score, alert.threshold), "inline": true},
                {"name": "Feed", "value": clip(&discord_escape(&alert.feed), 1000), "inline": true},
                {"name": "Reported by", "value": clip(&discord_escape(&line(event)), 1000), "inline": true},
            ],
            "timestamp": alert.created_at,
            "footer": {"text": format!("Flashpoint alert {}", alert.id)},
        }],
    })
}

/// Stories a chat message of a signal lists.
const SIGNAL_STORIES: usize = 3;

/// What a signal's story is called: its alert's title, else its address.
fn story_title(story: &SignalStory) -> &str {
    if story.title.trim().is_empty() { &story.url } else { &story.title }
}

/// A trend signal's mark: 📈 for a spike, 🔺 for a level-up.
fn signal_mark(signal: &SignalRecord) -> &'static str {
    if signal.kind == crate::types::EventKind::LevelUp { "🔺" } else { "📈" }
}

/// A trend signal in Slack: its headline, then the stories behind it as links.
pub(super) fn slack_signal(signal: &SignalRecord) -> Value {
    // The headline is Flashpoint's own words, but actor names come from the config: escaped.
    let text = format!("{} {}", signal_mark(signal), slack_escape(&signal.headline));
    let stories: Vec<String> = signal
        .stories
        .iter()
        .take(SIGNAL_STORIES)
        .map(|s| {
            let title = slack_escape(&clip(story_title(s), 150));
            format!("• <{}|{title}> ({}, {} outlets)", slack_url(&s.url), s.rung, s.outlets)
        })
        .collect();
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(&stories.join("\n"), 3000)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("Flashpoint signal `{}`", signal.id)}]},
        ],
    })
}

/// A trend signal in Discord: one embed, its headline as the title.
pub(super) fn discord_signal(signal: &SignalRecord) -> Value {
    let stories: Vec<String> = signal
        .stories
        .iter()
        .take(SIGNAL_STORIES)
        .map(|s| {
            format!("• {} ({}, {} outlets)", clip(&discord_escape(story_title(s)), 300), s.rung, s.outlets)
        })
        .collect();
    let color = if signal.kind == crate::types::EventKind::LevelUp { 0x00d3_2f2f } else { 0x00f5_7c00 };
    json!({
        "username": "Flashpoint",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": clip(&format!("{} {}", signal_mark(signal), discord_escape(&signal.headline)), 256),
            "description": clip(&stories.join("\n"), 4000),
            "color": color,
            "timestamp": signal.raised_at,
            "footer": {"text": format!("Flashpoint signal {}", signal.id)},
        }],
    })
}
