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

    #[test]
    fn chain_joins_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(chain(&err), "outer: inner");
    }
}
