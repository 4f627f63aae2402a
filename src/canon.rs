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

    /// The canonical form of `url`: no fragment, no tracking parameters. The rest of the query
    /// is kept byte for byte (`?12345`, `a=1;b=2`, `%20` stay as they are).
    #[must_use]
    pub fn canonical(&self, url: &Url) -> Url {
        let mut out = url.clone();
        out.set_fragment(None);
        if let Some(query) = url.query() {
            let pieces: Vec<&str> = query.split('&').collect();
            let kept: Vec<&str> = pieces
                .iter()
                .copied()
                .filter(|piece| {
                    let name = piece.split('=').next().unwrap_or_default();
                    let name = url::form_urlencoded::parse(name.as_bytes())
                        .next()
                        .map_or_else(String::new, |(k, _)| k.into_owned());
                    !piece.is_empty() && !self.is_tracking(&name)
                })
                .collect();
            if kept.len() != pieces.len() {
                let query = kept.join("&");
                out.set_query(if kept.is_empty() { None } else { Some(&query) });
            }
        }
        out
    }

    /// Whether a page's `<link rel=canonical>` can identify its story: same site (ignoring
    /// `www.`) and more than a home page, since some sites point every page at their front page.
    #[must_use]
    pub fn usable_canonical(page: &Url, canonical: &Url) -> bool {
        let host = |u: &Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
        host(page).is_some() && host(page) == host(canonical) && canonical.path().trim_matches('/').len() > 1
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
    fn queries_without_tracking_are_untouched() {
        let c = Canonicalizer::default();
        for url in [
            "https://a.example/story.aspx?12345",
            "https://a.example/s?id=a;b",
            "https://a.example/s?q=a%20b&x=",
        ] {
            assert_eq!(c.canonical(&Url::parse(url).expect("url")).as_str(), url);
        }
        let got = c.canonical(&Url::parse("https://a.example/story.aspx?12345&utm_medium=x").expect("url"));
        assert_eq!(got.as_str(), "https://a.example/story.aspx?12345");
    }

    #[test]
    fn usable_canonicals() {
        let page = Url::parse("https://www.dawn.com/news/1/slug?x=1").expect("url");
        let cases = [
            ("https://www.dawn.com/news/1/slug", true),
            ("https://dawn.com/news/1/slug", true),
            ("https://www.dawn.com/", false),
            ("https://www.dawn.com/a", false),
            ("https://other.example/news/1/slug", false),
        ];
        for (canonical, want) in cases {
            assert_eq!(
                Canonicalizer::usable_canonical(&page, &Url::parse(canonical).expect("url")),
                want,
                "{canonical}"
            );
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
