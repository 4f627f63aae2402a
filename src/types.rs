//! Plain types that cross stage boundaries (validators, severity, delivery state, verdict,
//! extraction method) and error-chain formatting. A leaf: it imports nothing from the crate, so
//! every stage may use it without tying itself to another stage.

/// An error and its causes on one line: `fetch failed: server answered 503`.
#[must_use]
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

/// An error on one line for an operator: its root cause first, then what was being done (the
/// outermost message), each said once. The layers between are plumbing (`request failed: error
/// sending request: client error (Connect): tcp connect error`) and left out, as is a message
/// that quotes the cause (`refused: {cause}`). `fetch failed: request failed: dns error: no such
/// host` reads `no such host; fetch failed`, so a column cut short keeps what went wrong.
#[must_use]
pub fn cause_first(err: &dyn std::error::Error) -> String {
    let outer = err.to_string();
    let mut root = outer.clone();
    let mut source = err.source();
    while let Some(e) = source {
        root = e.to_string();
        source = e.source();
    }
    let (root, outer) = (root.trim(), outer.trim());
    if outer.contains(root) { outer.to_string() } else { format!("{root}; {outer}") }
}

/// `text` with every URL in it (`scheme://…`, up to the next space or closing bracket or quote)
/// replaced by `<url>`. A webhook's URL is its credential for Slack and Discord, and HTTP client
/// errors and error pages quote the URL they were sent to.
#[must_use]
pub fn strip_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(at, |(i, _)| i);
        if scheme_start == at {
            // "://" with no scheme before it: not a URL; keep it and look further.
            out.push_str(&rest[..at + 3]);
            rest = &rest[at + 3..];
            continue;
        }
        let after = &rest[at + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '\'' | '`'))
            .unwrap_or(after.len());
        out.push_str(&rest[..scheme_start]);
        out.push_str("<url>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `url` fit for a log: user name and password replaced by `***`, each query value by `***`,
/// no fragment. A feed's address may carry its credentials (`https://user:pass@…?apikey=…`).
#[must_use]
pub fn redact_url(url: &url::Url) -> String {
    let mut out = url.clone();
    if !out.username().is_empty() || out.password().is_some() {
        // Fails only for URLs that cannot have credentials, which then have none.
        let _ = out.set_password(None);
        let _ = out.set_username("***");
    }
    if out.query().is_some() {
        let keys: Vec<String> = out.query_pairs().map(|(k, _)| k.into_owned()).collect();
        out.query_pairs_mut().clear().extend_pairs(keys.iter().map(|k| (k, "***")));
    }
    out.set_fragment(None);
    out.to_string()
}

/// Validators of a feed's last response, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Defines a text-backed enum: one spelling per variant, used in the database, JSON, logs and
/// on the command line alike.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The variant's spelling.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Every spelling, for messages: `low, medium, high`.
            #[must_use]
            pub fn spellings() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }

            /// The variant spelt `text`, if any.
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

/// For other modules' text-backed enums (the escalation ladder's rungs).
pub(crate) use text_enum;

text_enum! {
    /// How serious an alert is; ordered, so `>=` compares severities.
    Severity {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
}

text_enum! {
    /// Where a webhook delivery stands.
    DeliveryState {
        /// Waiting for its next attempt (or under way).
        Pending => "pending",
        /// Answered 2xx.
        Delivered => "delivered",
        /// Given up on; `redeliver` queues it again.
        Dead => "dead",
        /// An event the webhook did not ask for, kept so its later events say what changed.
        Skipped => "skipped",
    }
}

text_enum! {
    /// Where a story's alert stands.
    AlertState {
        /// Raised; nothing has changed since it was sent.
        Open => "open",
        /// Grown since it was raised: more outlets, another severity, actor pair or language.
        Updated => "updated",
        /// Its story took no article for `stories.resolve_after`.
        Resolved => "resolved",
    }
}

text_enum! {
    /// What a webhook event says: of an alert (`alert.created`, `alert.updated`,
    /// `alert.resolved`), or of an actor pair's trend (`dyad.spike`, `dyad.level_up`).
    EventKind {
        Created => "created",
        Updated => "updated",
        Resolved => "resolved",
        /// More stories of a pair than its baseline allows.
        #[serde(rename = "dyad.spike")]
        Spike => "dyad.spike",
        /// A pair reached a higher rung of the ladder than in the weeks before.
        #[serde(rename = "dyad.level_up")]
        LevelUp => "dyad.level_up",
    }
}

impl EventKind {
    /// The events of an alert's life, which a webhook takes unless its `events` say otherwise.
    pub const ALERT: &[Self] = &[Self::Created, Self::Updated, Self::Resolved];

    /// An event of an actor pair's trend, not of an alert.
    #[must_use]
    pub fn is_signal(self) -> bool {
        matches!(self, Self::Spike | Self::LevelUp)
    }
}

text_enum! {
    /// The analyst's word on an alert (`flashpoint label`), which `train --with-labels` learns from.
    Verdict {
        /// Worth raising: its article is about conflict, and the relevance gate should pass it.
        Useful => "useful",
        /// Not worth raising: the gate should stop articles like it.
        Noise => "noise",
    }
}

text_enum! {
    /// Which extraction method produced an article's body.
    Method {
        /// The site rule's selector.
        Site => "site",
        /// The generic readability-style extractor.
        Generic => "generic",
        /// The JSON-LD `articleBody` of the page.
        JsonLd => "jsonld",
        /// The feed's own content or summary.
        Feed => "feed",
    }
}

impl Method {
    /// The method in words, for people.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Site => "the site's selector",
            Self::JsonLd => "the page's JSON-LD articleBody",
            Self::Generic => "the generic extractor",
            Self::Feed => "the feed's own text",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_through_text_and_json() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).expect("json"), format!("\"{s}\""));
        }
        for d in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(d.as_str()), Some(*d));
        }
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(*m));
            assert_eq!(serde_json::from_str::<Method>(&format!("\"{m}\"")).expect("json"), *m);
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(*v));
        }
        assert_eq!(Severity::parse("severe"), None);
        assert_eq!(Severity::spellings(), "low, medium, high");
        assert_eq!(Method::parse("JsonLd"), None);
    }

    #[test]
    fn severities_order_low_to_high() {
        assert!(Severity::Low < Severity::Medium && Severity::Medium < Severity::High);
        assert_eq!(format!("{:<6}|", Severity::Low), "low   |");
    }

    /// Issue 20: a failed POST logged and stored the HTTP client's error, webhook URL included.
    #[test]
    fn urls_are_redacted_for_logs() {
        let cases = [
            ("https://a.example/feed", "https://a.example/feed"),
            ("http://user:pass@a.example/f?apikey=k1&x=2#frag", "http://***@a.example/f?apikey=***&x=***"),
            ("https://token@a.example/?secret", "https://***@a.example/?secret=***"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(&url::Url::parse(url).expect("url")), want, "{url}");
        }
    }

    #[test]
    fn urls_are_stripped_from_error_text() {
        let cases = [
            (
                "error sending request for url (https://hooks.slack.com/services/T0/B0/XyZ)",
                "error sending request for url (<url>)",
            ),
            ("see http://a.example/x?y=1, then retry", "see <url> then retry"),
            ("redirect to \"https://discord.com/api/webhooks/1/t\" refused", "redirect to \"<url>\" refused"),
            ("two: http://a/1 http://b/2", "two: <url> <url>"),
            ("no scheme ://here and plain text", "no scheme ://here and plain text"),
            ("connection refused", "connection refused"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(strip_urls(text), want, "{text}");
        }
    }

    #[test]
    fn causes_come_first_and_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Leaf(String);
        #[derive(Debug, thiserror::Error)]
        #[error("{text}")]
        struct Wrap {
            text: String,
            #[source]
            inner: Box<dyn std::error::Error + Send + Sync>,
        }
        fn wrap(text: &str, inner: impl std::error::Error + Send + Sync + 'static) -> Wrap {
            Wrap { text: text.into(), inner: Box::new(inner) }
        }
        let dns =
            wrap("fetch failed", wrap("request failed", wrap("dns error", Leaf("no such host".into()))));
        let refused = wrap(
            "fetch failed",
            wrap("refused: x resolves to 10.0.0.1", Leaf("x resolves to 10.0.0.1".into())),
        );
        let plain = Leaf("timed out".into());
        let cases: [(&dyn std::error::Error, &str); 3] = [
            (&dns, "no such host; fetch failed"),
            (&refused, "x resolves to 10.0.0.1; fetch failed"),
            (&plain, "timed out"),
        ];
        for (err, want) in cases {
            assert_eq!(cause_first(err), want);
        }
    }

    #[test]
    fn chain_joins_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(chain(&err), "outer: inner");
    }
}
