//! Webhook payloads (pure): the alert event JSON documented in README.md (`alert.created`,
//! `alert.updated`, `alert.resolved`), a Slack incoming-webhook message, and a Discord embed.
//! Chat formats give a new alert the whole message and later events one short line.

use serde::Serialize;

use super::chat::{discord, discord_short, discord_signal, slack, slack_short, slack_signal};
use crate::relevance::Relevance;
use crate::score::{ActorPair, Event, Match};
use crate::store::{EventRecord, Outgoing, SignalRecord};
use crate::story::lifecycle::Change;
use crate::types::{AlertState, EventKind, Severity};

/// What a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The `alert.created` payload.
    Json,
    /// A Slack incoming-webhook message: text plus blocks.
    Slack,
    /// A Discord webhook message with one embed.
    Discord,
}

impl Format {
    /// Every format with its config spelling.
    pub const ALL: [(Self, &str); 3] =
        [(Self::Json, "json"), (Self::Slack, "slack"), (Self::Discord, "discord")];

    /// Parses the `format` config value.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, name)| *name == text).map(|(f, _)| *f)
    }

    /// Every spelling, for messages: `json, slack, discord`.
    #[must_use]
    pub fn spellings() -> String {
        Self::ALL.map(|(_, name)| name).join(", ")
    }

    /// The body of what a delivery carries: an alert's event, or a trend signal.
    #[must_use]
    pub fn render_outgoing(self, outgoing: &Outgoing) -> String {
        match outgoing {
            Outgoing::Alert(event) => self.render(event),
            Outgoing::Signal(signal) => self.render_signal(signal),
        }
    }

    /// The body of a trend signal: its record as JSON, or a chat message.
    #[must_use]
    pub fn render_signal(self, signal: &SignalRecord) -> String {
        match self {
            Self::Json => signal_json(signal),
            Self::Slack => slack_signal(signal).to_string(),
            Self::Discord => discord_signal(signal).to_string(),
        }
    }

    /// The body for `event`. The same event always gives the same bytes, so every retry
    /// carries what the first attempt carried.
    #[must_use]
    pub fn render(self, event: &EventRecord) -> String {
        match (self, event.kind) {
            (Self::Json, _) => json(event),
            (Self::Slack, EventKind::Created) => slack(event).to_string(),
            (Self::Slack, _) => slack_short(event).to_string(),
            (Self::Discord, EventKind::Created) => discord(event).to_string(),
            (Self::Discord, _) => discord_short(event).to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Payload<'a> {
    /// The alert's id: its story's, the same in every event of the alert.
    id: &'a str,
    #[serde(rename = "type")]
    kind: String,
    /// 1 for `alert.created`, then one more per event this webhook is sent.
    sequence: u32,
    state: AlertState,
    created_at: &'a str,
    updated_at: Option<&'a str>,
    sent_at: &'a str,
    score: f64,
    severity: Severity,
    threshold: f64,
    article: ArticleRef<'a>,
    matches: &'a [Match],
    /// Who acts on whom in the matched sentences.
    actors: &'a [ActorPair],
    /// Hash of the scoring rules that raised the alert.
    rules_hash: &'a str,
    /// The event that raised it: who did what to whom, its rung, level and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a Event>,
    /// The relevance gate's verdict: probability and the features that moved it most.
    #[serde(skip_serializing_if = "Option::is_none")]
    relevance: Option<&'a Relevance>,
    story: StoryRef<'a>,
    /// What changed since the last event this webhook was sent (empty for `alert.created`).
    changes: &'a [Change],
}

#[derive(Debug, Serialize)]
struct StoryRef<'a> {
    /// Independent outlets (wire copies not counted) and their sites, first reporter first.
    outlets: usize,
    sites: &'a [String],
    articles: usize,
    languages: &'a [String],
    first_seen: &'a str,
    last_seen: &'a str,
}

#[derive(Debug, Serialize)]
struct ArticleRef<'a> {
    url: &'a str,
    title: &'a str,
    feed: &'a str,
    published_at: Option<&'a str>,
}

/// The JSON body of a trend signal (README.md, "Trends"): the record as it was frozen.
///
/// # Panics
/// Never: the record holds only strings and finite numbers.
#[must_use]
pub fn signal_json(signal: &SignalRecord) -> String {
    serde_json::to_string(signal).expect("a signal serialises")
}

/// The JSON body of an alert event.
///
/// # Panics
/// Never: the payload holds only strings and finite numbers.
#[must_use]
pub fn json(event: &EventRecord) -> String {
    let alert = &event.alert;
    let payload = Payload {
        id: &alert.id,
        kind: format!("alert.{}", event.kind),
        sequence: event.sequence,
        state: event.snapshot.state,
        created_at: &alert.created_at,
        updated_at: alert.updated_at.as_deref(),
        sent_at: &event.sent_at,
        score: alert.score,
        severity: alert.severity,
        threshold: alert.threshold,
        article: ArticleRef {
            url: &alert.article_url,
            title: &alert.title,
            feed: &alert.feed,
            published_at: alert.published_at.as_deref(),
        },
        matches: &alert.matches,
        actors: &alert.actors,
        rules_hash: &alert.rules_hash,
        event: alert.event.as_ref(),
        relevance: alert.relevance.as_ref(),
        story: StoryRef {
            outlets: event.story.outlets,
            sites: &event.story.sites,
            articles: event.story.articles,
            languages: &alert.languages,
            first_seen: &event.story.first_seen,
            last_seen: &event.story.last_seen,
        },
        changes: &event.changes,
    };
    serde_json::to_string(&payload).expect("payload of plain strings and numbers serializes")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::chat::clip;
    use super::*;
    use crate::store::Alert;

    fn alert() -> Alert {
        Alert {
            id: "alrt_1".into(),
            created_at: "2026-11-28T06:00:00.000Z".into(),
            article_url: "https://www.dawn.com/news/1".into(),
            title: "Minister warns <Kabul> & others".into(),
            feed: "Dawn".into(),
            published_at: None,
            score: 12.5,
            severity: Severity::High,
            threshold: 6.0,
            matches: vec![Match {
                term: "strike deep inside".into(),
                category: "threaten".into(),
                weight: 5.0,
                contribution: 5.0,
                flags: crate::score::Flags::default(),
                place: crate::score::Place::Title,
                occurrence: 1,
                count: 1,
                source: Some("Pakistan".into()),
                target: Some("Afghanistan".into()),
                frame: None,
                sentence: "Pakistan will strike deep inside Afghanistan.".into(),
            }],
            actors: vec![ActorPair { source: Some("Pakistan".into()), target: Some("Afghanistan".into()) }],
            rules_hash: "0123456789abcdef".into(),
            event: None,
            relevance: None,
            state: AlertState::Open,
            outlets: 1,
            articles: 1,
            languages: vec!["eng".into()],
            updated_at: Some("2026-11-28T06:00:00.000Z".into()),
        }
    }

    /// `alert`'s `alert.created` event.
    fn created(alert: &Alert) -> EventRecord {
        EventRecord {
            webhook_id: alert.id.clone(),
            kind: EventKind::Created,
            sequence: 1,
            sent_at: "2026-11-28T06:00:01.000Z".into(),
            snapshot: crate::story::lifecycle::Snapshot {
                state: alert.state,
                severity: alert.severity,
                outlets: alert.outlets,
                articles: alert.articles,
                pairs: alert.actors.clone(),
                languages: alert.languages.clone(),
            },
            story: crate::store::StoryFacts {
                outlets: alert.outlets,
                articles: alert.articles,
                sites: vec!["dawn.com".into()],
                first_seen: alert.created_at.clone(),
                last_seen: alert.created_at.clone(),
            },
            changes: Vec::new(),
            alert: alert.clone(),
        }
    }

    #[test]
    fn json_payload_shape() {
        let a = alert();
        let v: Value = serde_json::from_str(&json(&created(&a))).expect("json");
        assert_eq!(v["id"], "alrt_1");
        assert_eq!(v["type"], "alert.created");
        assert_eq!(v["created_at"], "2026-11-28T06:00:00.000Z");
        assert_eq!(v["score"], 12.5);
        assert_eq!(v["severity"], "high");
        assert_eq!(v["threshold"], 6.0);
        assert_eq!(v["article"]["url"], "https://www.dawn.com/news/1");
        assert_eq!(v["article"]["feed"], "Dawn");
        assert_eq!(v["article"]["published_at"], Value::Null);
        assert_eq!(v["matches"][0]["term"], "strike deep inside");
        assert_eq!(v["matches"][0]["occurrence"], 1);
        assert_eq!(v["matches"][0]["negated"], false);
        assert_eq!(v["matches"][0]["snippet"], "Pakistan will strike deep inside Afghanistan.");
        assert_eq!(v["actors"][0]["source"], "Pakistan");
        assert_eq!(v["actors"][0]["target"], "Afghanistan");
        assert_eq!(v["rules_hash"], "0123456789abcdef");
    }

    /// Issue 20: `"target": null` where README.md says a missing side is left out.
    #[test]
    fn an_actor_without_a_target_leaves_it_out() {
        let mut a = alert();
        a.actors[0].target = None;
        let v: Value = serde_json::from_str(&json(&created(&a))).expect("json");
        assert_eq!(v["actors"], serde_json::json!([{"source": "Pakistan"}]));
        let back: Vec<ActorPair> = serde_json::from_value(v["actors"].clone()).expect("reads back");
        assert_eq!(back, a.actors);
    }

    const FORMATS: [Format; 3] = [Format::Json, Format::Slack, Format::Discord];

    /// [`alert`] with numbers that are not exact in decimal, as context factors make them.
    fn alert_with_awkward_numbers() -> Alert {
        let mut a = alert();
        a.score = 0.1 + 0.2 + 6.0;
        a.matches[0].weight = 1.0 / 3.0;
        a.matches[0].contribution = 6.0 * 1.25 * 0.8 * 0.4;
        a
    }

    /// `alert` as the outbox keeps it: its matches and actors written as JSON text and read back.
    fn through_the_outbox(alert: &Alert) -> Alert {
        let matches = serde_json::to_string(&alert.matches).expect("matches serialize");
        let actors = serde_json::to_string(&alert.actors).expect("actors serialize");
        Alert {
            matches: serde_json::from_str(&matches).expect("matches deserialize"),
            actors: serde_json::from_str(&actors).expect("actors deserialize"),
            ..alert.clone()
        }
    }

    /// Every attempt renders the alert anew from the outbox, so retries carry the first attempt's
    /// bytes only if equal alerts render identically, stored and read back or not.
    #[test]
    fn equal_alerts_render_identical_bytes() {
        for build in [alert, alert_with_awkward_numbers] {
            let (first, second) = (build(), build());
            let read_back = through_the_outbox(&first);
            assert_eq!(read_back, first, "the outbox round trip keeps every value");
            for format in FORMATS {
                let body = format.render(&created(&first));
                assert_eq!(format.render(&created(&second)), body, "{format:?}: two equal alerts");
                assert_eq!(format.render(&created(&read_back)), body, "{format:?}: after the outbox");
                assert_eq!(
                    format.render(&created(&through_the_outbox(&read_back))),
                    body,
                    "{format:?}: twice"
                );
            }
        }
    }

    #[test]
    fn every_field_of_an_alert_reaches_the_json_payload() {
        type Change = (&'static str, fn(&mut Alert));
        let changes: [Change; 13] = [
            ("id", |a| a.id = "alrt_2".into()),
            ("created_at", |a| a.created_at = "2026-11-28T06:00:00.001Z".into()),
            ("article_url", |a| a.article_url = "https://www.dawn.com/news/2".into()),
            ("title", |a| a.title = "Minister warns Kabul".into()),
            ("feed", |a| a.feed = "Dawn — World".into()),
            ("published_at", |a| a.published_at = Some("2026-11-28T05:00:00.000Z".into())),
            ("score", |a| a.score = 12.75),
            ("severity", |a| a.severity = Severity::Medium),
            ("threshold", |a| a.threshold = 7.0),
            ("matches", |a| a.matches[0].occurrence = 2),
            ("actors", |a| a.actors[0].target = Some("India".into())),
            ("rules_hash", |a| a.rules_hash = "fedcba9876543210".into()),
            ("relevance", |a| a.relevance = Some(crate::relevance::Relevance { p: 0.7, top: Vec::new() })),
        ];
        let base = alert();
        for (field, change) in changes {
            let mut other = alert();
            change(&mut other);
            assert_ne!(other, base, "{field}: a different alert");
            assert_ne!(json(&created(&other)), json(&created(&base)), "{field} changes the payload");
        }
        // The chat formats name the alert too: two alerts never post the same message.
        let mut other = alert();
        other.id = "alrt_2".into();
        for format in FORMATS {
            assert_ne!(format.render(&created(&other)), format.render(&created(&base)), "{format:?}");
        }
    }

    #[test]
    fn slack_message_has_text_and_blocks() {
        let v: Value = serde_json::from_str(&Format::Slack.render(&created(&alert()))).expect("json");
        let text = v["text"].as_str().expect("text");
        assert!(text.starts_with("[HIGH] 12.50: Minister warns &lt;Kabul&gt; &amp; others"), "{text}");
        let blocks = v["blocks"].as_array().expect("blocks");
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["text"], "Minister warns <Kabul> & others");
        let fields = blocks[1]["fields"].to_string();
        assert!(fields.contains("high") && fields.contains("12.50") && fields.contains("Dawn"));
        assert!(
            blocks[2]["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("`strike deep inside` (threaten) +5.00"))
        );
        assert!(
            blocks[3]["text"]["text"].as_str().is_some_and(|t| t.contains("https://www.dawn.com/news/1"))
        );
    }

    #[test]
    fn discord_embed() {
        let v: Value = serde_json::from_str(&Format::Discord.render(&created(&alert()))).expect("json");
        let embed = &v["embeds"][0];
        assert_eq!(embed["title"], "Minister warns \\<Kabul\\> & others", "escaped, shown as written");
        assert_eq!(embed["url"], "https://www.dawn.com/news/1");
        assert_eq!(embed["color"], 0x00d3_2f2f);
        assert_eq!(embed["fields"][0]["value"], "high");
        assert!(embed["description"].as_str().is_some_and(|d| d.contains("**strike deep inside**")));
    }

    /// Issue 20: a sentence holding `[official statement](http://evil.example/phish)` reached the
    /// Discord embed unescaped and showed as a masked link; Slack's `<URL|label>` likewise.
    #[test]
    fn article_text_cannot_write_chat_markup() {
        let mut a = alert();
        let phish = "Read the [official statement](http://evil.example/phish) **now** <@123> @everyone";
        a.title = phish.into();
        a.matches[0].sentence = phish.into();
        a.article_url = "https://a.example/x|evil>".into();
        let discord: Value = serde_json::from_str(&Format::Discord.render(&created(&a))).expect("json");
        let embed = &discord["embeds"][0];
        for text in [&embed["title"], &embed["description"]] {
            let text = text.as_str().expect("text");
            assert!(text.contains("\\[official statement\\]\\(http\\://evil.example/phish\\)"), "{text}");
            assert!(text.contains("\\*\\*now\\*\\* \\<\\@123\\> \\@everyone"), "{text}");
        }
        assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
        let slack: Value = serde_json::from_str(&Format::Slack.render(&created(&a))).expect("json");
        let text = slack["text"].as_str().expect("text");
        assert!(
            text.contains("&lt;@123&gt;") && text.ends_with("<https://a.example/x%7Cevil&gt;|open>"),
            "{text}"
        );
        let sentence = slack["blocks"][2]["text"]["text"].as_str().expect("matches");
        assert!(!sentence.contains("<@123>"), "{sentence}");
    }

    /// Issue 20: an item with an empty title gave Slack a header block with empty text (refused
    /// with a 400, then dead-lettered) and Discord an empty embed title.
    #[test]
    fn an_untitled_alert_is_shown_by_its_address() {
        let mut a = alert();
        a.title = " ".into();
        let slack: Value = serde_json::from_str(&Format::Slack.render(&created(&a))).expect("json");
        assert_eq!(slack["blocks"][0]["text"]["text"], "https://www.dawn.com/news/1");
        let discord: Value = serde_json::from_str(&Format::Discord.render(&created(&a))).expect("json");
        assert_eq!(discord["embeds"][0]["title"], "https\\://www.dawn.com/news/1");
    }

    #[test]
    fn formats_parse_and_clip() {
        assert_eq!(Format::parse("slack"), Some(Format::Slack));
        assert_eq!(Format::parse("xml"), None);
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    /// README.md's payload example names exactly the fields the payload has.
    #[test]
    fn the_readme_example_has_the_payloads_fields() {
        let readme = include_str!("../../README.md");
        let example = readme
            .split("## Webhook payload")
            .nth(1)
            .and_then(|rest| rest.split("```json\n").nth(1))
            .and_then(|block| block.split("```").next())
            .expect("the README's payload example");
        let example: Value = serde_json::from_str(example).expect("the example is JSON");
        let mut a = alert();
        a.relevance = Some(crate::relevance::Relevance { p: 0.5, top: Vec::new() });
        a.event = serde_json::from_value(example["event"].clone()).expect("the example's event reads");
        let real: Value = serde_json::from_str(&json(&created(&a))).expect("json");
        let keys = |v: &Value| {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&example), keys(&real));
        assert_eq!(keys(&example["story"]), keys(&real["story"]));
        assert_eq!(keys(&example["article"]), keys(&real["article"]));
    }

    /// The README's signal example, as a record.
    fn readme_signal() -> (Value, SignalRecord) {
        let readme = include_str!("../../README.md");
        let example = readme
            .split("**Signals as webhook events.**")
            .nth(1)
            .and_then(|rest| rest.split("```json\n").nth(1))
            .and_then(|block| block.split("```").next())
            .expect("the README's signal example");
        let value: Value = serde_json::from_str(example).expect("the example is JSON");
        let record = serde_json::from_value(value.clone()).expect("the example is a signal");
        (value, record)
    }

    #[test]
    fn the_readme_signal_example_is_the_payload() {
        let (example, record) = readme_signal();
        let real: Value = serde_json::from_str(&Format::Json.render_signal(&record)).expect("json");
        assert_eq!(real, example, "every field, no more");
    }

    #[test]
    fn signals_in_chat_say_their_headline_and_escape_titles() {
        let (_, mut record) = readme_signal();
        record.stories[0].title =
            "Raid <http://evil.example|official> [x](http://evil.example) @everyone".into();
        let slack: Value = serde_json::from_str(&Format::Slack.render_signal(&record)).expect("json");
        assert!(
            slack["text"].as_str().expect("text").starts_with("📈 Pakistan → Afghanistan: 9 stories in 24 h")
        );
        let stories = slack["blocks"][1]["text"]["text"].as_str().expect("stories");
        assert!(stories.contains("Raid &lt;http://evil.example|official&gt;"), "{stories}");
        assert!(stories.contains("(assault, 4 outlets)"), "{stories}");
        let discord: Value = serde_json::from_str(&Format::Discord.render_signal(&record)).expect("json");
        let embed = &discord["embeds"][0];
        assert!(embed["title"].as_str().expect("title").starts_with("📈 Pakistan → Afghanistan"));
        let description = embed["description"].as_str().expect("description");
        assert!(
            description.contains("\\[x\\]\\(http\\://evil.example\\)") && description.contains("\\@everyone"),
            "{description}"
        );
        assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
        record.kind = EventKind::LevelUp;
        let slack: Value = serde_json::from_str(&Format::Slack.render_signal(&record)).expect("json");
        assert!(slack["text"].as_str().expect("text").starts_with("🔺"));
    }

    #[test]
    fn later_events_are_one_line_in_chat() {
        let mut event = created(&alert());
        event.kind = EventKind::Updated;
        event.sequence = 2;
        event.snapshot.outlets = 5;
        event.changes = vec![
            Change::Severity { from: Severity::Medium, to: Severity::High },
            Change::Outlets { from: 3, to: 5 },
        ];
        let slack: Value = serde_json::from_str(&Format::Slack.render(&event)).expect("json");
        let text = slack["text"].as_str().expect("text");
        assert!(text.starts_with("⬆ high: now 5 outlets — Minister warns &lt;Kabul&gt;"), "{text}");
        let discord: Value = serde_json::from_str(&Format::Discord.render(&event)).expect("json");
        assert_eq!(discord["embeds"][0]["title"], "⬆ high: now 5 outlets");
        let body: Value = serde_json::from_str(&Format::Json.render(&event)).expect("json");
        assert_eq!((body["type"].as_str(), body["sequence"].as_u64()), (Some("alert.updated"), Some(2)));
        assert_eq!(
            body["changes"][0],
            serde_json::json!({"kind": "severity", "from": "medium", "to": "high"})
        );
        event.kind = EventKind::Resolved;
        let discord: Value = serde_json::from_str(&Format::Discord.render(&event)).expect("json");
        assert!(discord["embeds"][0]["title"].as_str().is_some_and(|t| t.starts_with("✓ resolved")));
    }
}
