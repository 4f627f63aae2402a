//! Webhook payloads: the JSON body documented in README.md.

use serde::Serialize;

use crate::score::Match;
use crate::store::Alert;

#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: &'a str,
    score: f64,
    severity: &'a str,
    threshold: f64,
    article: ArticleRef<'a>,
    matches: &'a [Match],
}

#[derive(Debug, Serialize)]
struct ArticleRef<'a> {
    url: &'a str,
    title: &'a str,
    feed: &'a str,
    published_at: Option<&'a str>,
}

/// The `alert.created` JSON body. The same alert always gives the same bytes, so every retry
/// carries what the first attempt carried.
///
/// # Panics
/// Never: the payload holds only strings and finite numbers.
#[must_use]
pub fn json(alert: &Alert) -> String {
    let payload = Payload {
        id: &alert.id,
        kind: "alert.created",
        created_at: &alert.created_at,
        score: alert.score,
        severity: &alert.severity,
        threshold: alert.threshold,
        article: ArticleRef {
            url: &alert.article_url,
            title: &alert.title,
            feed: &alert.feed,
            published_at: alert.published_at.as_deref(),
        },
        matches: &alert.matches,
    };
    serde_json::to_string(&payload).expect("payload of plain strings and numbers serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_shape() {
        let alert = Alert {
            id: "alrt_1".into(),
            created_at: "2026-11-28T06:00:00.000Z".into(),
            article_url: "https://www.dawn.com/news/1".into(),
            title: "Minister warns".into(),
            feed: "Dawn".into(),
            published_at: None,
            score: 12.5,
            severity: "high".into(),
            threshold: 6.0,
            matches: vec![Match {
                term: "strike deep inside".into(),
                category: "threaten".into(),
                weight: 5.0,
                count: 1,
                contribution: 5.0,
                snippet: "Pakistan will strike deep inside Afghanistan.".into(),
            }],
        };
        let v: serde_json::Value = serde_json::from_str(&json(&alert)).expect("json");
        assert_eq!(v["id"], "alrt_1");
        assert_eq!(v["type"], "alert.created");
        assert_eq!(v["score"], 12.5);
        assert_eq!(v["severity"], "high");
        assert_eq!(v["threshold"], 6.0);
        assert_eq!(v["article"]["url"], "https://www.dawn.com/news/1");
        assert_eq!(v["article"]["published_at"], serde_json::Value::Null);
        assert_eq!(v["matches"][0]["term"], "strike deep inside");
        assert_eq!(v["matches"][0]["count"], 1);
        assert_eq!(v["matches"][0]["snippet"], "Pakistan will strike deep inside Afghanistan.");
        assert_eq!(json(&alert), json(&alert));
    }
}
