//! Canonical article URLs and dedupe keys (pure).
//!
//! The same story reaches Flashpoint through several feeds of one outlet, often with tracking
//! parameters or a fragment attached. The canonical form drops both, so one article is stored, and
//! alerted, once.

use url::Url;

/// Removes fragments and tracking query parameters from article links.
#[derive(Debug, Clone)]
pub struct Canonicalizer {
    /// Exact parameter names to drop (`fbclid`).
    exact: Vec<String>,
    /// Parameter name prefixes to drop (`utm_` from `utm_*`).
    prefixes: Vec<String>,
}

impl Canonicalizer {
    /// Parameters that identify a campaign or a click, never an article.
    pub const DEFAULT_PARAMS: &'static [&'static str] = &[
        "utm_*",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "ref_src",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
    ];

    /// Builds a canonicalizer from parameter patterns; a trailing `*` makes a prefix.
    #[must_use]
    pub fn new(patterns: &[String]) -> Self {
        let mut exact = Vec::new();
        let mut prefixes = Vec::new();
        for p in patterns {
            let p = p.trim().to_ascii_lowercase();
            match p.strip_suffix('*') {
                Some(prefix) if !prefix.is_empty() => prefixes.push(prefix.to_string()),
                None if !p.is_empty() => exact.push(p),
                // An empty pattern or a bare `*` would strip every parameter: ignored.
                _ => {}
            }
        }
        Self { exact, prefixes }
    }

    fn is_tracking(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.exact.contains(&name) || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// The canonical form of `url`: no fragment, no tracking parameters, other parameters kept
    /// in their order.
    #[must_use]
    pub fn canonical(&self, url: &Url) -> Url {
        let mut out = url.clone();
        out.set_fragment(None);
        if url.query().is_some() {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| !self.is_tracking(k))
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            if kept.is_empty() {
                out.set_query(None);
            } else {
                out.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
        out
    }

    /// The dedupe key of a feed item: its canonical link when it has a usable one, else its guid.
    #[must_use]
    pub fn item_key(&self, link: Option<&Url>, guid: &str) -> String {
        match link {
            Some(url) => self.canonical(url).to_string(),
            None => format!("guid:{guid}"),
        }
    }
}

impl Default for Canonicalizer {
    fn default() -> Self {
        let params: Vec<String> = Self::DEFAULT_PARAMS.iter().map(|p| (*p).to_string()).collect();
        Self::new(&params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let c = Canonicalizer::default();
        let cases = [
            ("https://www.dawn.com/news/1/slug", "https://www.dawn.com/news/1/slug"),
            ("https://www.dawn.com/news/1/slug#comments", "https://www.dawn.com/news/1/slug"),
            (
                "https://www.dawn.com/news/1/slug?utm_source=rss&utm_medium=feed",
                "https://www.dawn.com/news/1/slug",
            ),
            (
                "https://WWW.Dawn.com:443/news/1/slug?fbclid=x&page=2",
                "https://www.dawn.com/news/1/slug?page=2",
            ),
            ("https://a.example/s?id=7&gclid=1&UTM_Campaign=y#top", "https://a.example/s?id=7"),
            ("https://a.example/s?a=1&b=2", "https://a.example/s?a=1&b=2"),
        ];
        for (input, want) in cases {
            let got = c.canonical(&Url::parse(input).expect("test url"));
            assert_eq!(got.as_str(), want, "{input}");
        }
    }

    #[test]
    fn custom_params_replace_defaults() {
        let c = Canonicalizer::new(&["ref".to_string(), "x_*".to_string(), "*".to_string()]);
        let got = c.canonical(&Url::parse("https://a.example/?ref=1&x_y=2&utm_source=3").expect("url"));
        assert_eq!(got.as_str(), "https://a.example/?utm_source=3");
    }

    #[test]
    fn item_key_prefers_link_then_guid() {
        let c = Canonicalizer::default();
        let link = Url::parse("https://a.example/n/1?utm_source=x").expect("url");
        assert_eq!(c.item_key(Some(&link), "g1"), "https://a.example/n/1");
        assert_eq!(c.item_key(None, "g1"), "guid:g1");
    }
}
