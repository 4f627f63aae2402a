//! Article extraction (pure): HTML page → title, canonical URL, published time, author, language
//! and body text.
//!
//! Methods are tried in order and the first that yields `min_chars` of text wins:
//! 1. the site rule for the page's host (`[sites."dawn.com"] body = ".story__content"`),
//! 2. the generic readability-style extractor ([`generic`]), unless the page's JSON-LD
//!    `articleBody` is over twice as long and its opening is on the page, when that wins,
//! 3. the feed's own content or summary.
//!
//! The page is parsed once; every method reads the same tree.

mod boilerplate;
mod bound;
mod charset;
mod generic;
mod meta;
mod text;

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use scraper::{Html, Selector};
use serde::Serialize;
use url::Url;

pub use bound::Overrun;
pub use charset::decode;
pub use text::html_to_text;

use crate::lang;
pub use crate::types::Method;

/// Why a site rule could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A CSS selector in `[sites."HOST"]` does not parse.
    #[error("{selector:?} is not a valid CSS selector ({reason})")]
    Selector {
        /// The sub-key holding it: `body` or `strip[N]`.
        key: String,
        selector: String,
        reason: String,
    },
}

impl ExtractError {
    /// The config sub-key the error belongs to.
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Self::Selector { key, .. } => key,
        }
    }
}

/// Where the article for one host is on its pages.
#[derive(Debug, Clone)]
pub struct SiteRule {
    /// Host the rule applies to, with its subdomains (`dawn.com` covers `www.dawn.com`).
    host: String,
    body: Selector,
    /// Removed from inside the body before its text is read.
    strip: Vec<Selector>,
}

impl SiteRule {
    /// Compiles a rule.
    ///
    /// # Errors
    /// [`ExtractError::Selector`] naming the first selector that does not parse.
    pub fn new(host: &str, body: &str, strip: &[String]) -> Result<Self, ExtractError> {
        let parse = |key: String, selector: &str| {
            Selector::parse(selector).map_err(|err| ExtractError::Selector {
                key,
                selector: selector.to_string(),
                reason: err.to_string(),
            })
        };
        Ok(Self {
            host: host.trim_start_matches("*.").to_ascii_lowercase(),
            body: parse("body".into(), body)?,
            strip: strip
                .iter()
                .enumerate()
                .map(|(i, s)| parse(format!("strip[{i}]"), s))
                .collect::<Result<_, _>>()?,
        })
    }

    fn applies_to(&self, host: &str) -> bool {
        host == self.host || host.strip_suffix(self.host.as_str()).is_some_and(|rest| rest.ends_with('.'))
    }
}

/// What extraction found on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    /// The page's own title (`og:title`, else `<title>`), when it has one.
    pub title: Option<String>,
    /// `<link rel=canonical>`, resolved against the page URL.
    pub canonical: Option<Url>,
    /// When the page says the article was published (JSON-LD, meta tags, `<time>`).
    pub published: Option<DateTime<FixedOffset>>,
    /// The byline the page declares (JSON-LD, meta tags), names joined by ", ".
    pub author: Option<String>,
    /// The language as an ISO 639-3 code (`eng`, `urd`): the page's declared one, else
    /// detected from the body when detection can tell.
    pub language: Option<String>,
    /// Paragraphs separated by blank lines.
    pub body: String,
    pub method: Method,
}

impl Article {
    /// An article known only from its feed entry.
    #[must_use]
    pub fn from_feed(body: String) -> Self {
        let language = lang::detect(&body);
        Self {
            title: None,
            canonical: None,
            published: None,
            author: None,
            language,
            body,
            method: Method::Feed,
        }
    }
}

/// Time one page may take before it counts as failed, unless `extract.deadline` says otherwise;
/// pages take milliseconds, and the caps on depth and elements keep even hostile ones well
/// under a second in a release build.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// The compiled extraction rules.
#[derive(Debug, Clone)]
pub struct Extractor {
    sites: Vec<SiteRule>,
    min_chars: usize,
    deadline: Duration,
}

static TITLE_META: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"meta[property="og:title"], meta[name="twitter:title"]"#).expect("static")
});
static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").expect("static"));
static CANONICAL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(r#"link[rel~="canonical"]"#).expect("static"));

impl Extractor {
    #[must_use]
    pub fn new(sites: Vec<SiteRule>, min_chars: usize) -> Self {
        Self { sites, min_chars, deadline: DEADLINE }
    }

    /// The same rules, giving each page `deadline` instead of [`DEADLINE`].
    #[must_use]
    pub fn with_deadline(self, deadline: Duration) -> Self {
        Self { deadline, ..self }
    }

    /// Time one page may take before it counts as failed.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The site rule for `host`, the most specific one when several apply.
    fn rule_for(&self, host: &str) -> Option<&SiteRule> {
        self.sites.iter().filter(|r| r.applies_to(host)).max_by_key(|r| r.host.len())
    }

    /// Extracts the article of `html`, fetched from `url`; `feed_text` is the feed's own content or
    /// summary (plain text), the last resort, and all there is of a page that overruns
    /// [`DEADLINE`].
    #[must_use]
    pub fn extract(&self, html: &str, url: &Url, feed_text: &str) -> Article {
        self.extract_by(html, url, feed_text, Instant::now() + self.deadline)
            .unwrap_or_else(|Overrun| Article::from_feed(feed_text.trim().to_string()))
    }

    /// [`Extractor::extract`], giving up on a page not parsed by `deadline`.
    ///
    /// # Errors
    /// [`Overrun`] when the deadline passes first.
    pub fn extract_by(
        &self,
        html: &str,
        url: &Url,
        feed_text: &str,
        deadline: Instant,
    ) -> Result<Article, Overrun> {
        let rule = url.host_str().and_then(|h| self.rule_for(&h.to_ascii_lowercase()));
        let attributes = if rule.is_some() { bound::Attributes::All } else { bound::Attributes::Read };
        let doc = bound::parse_document(html, attributes, deadline)?;
        let tagged = meta::Tagged::of(&doc);
        let title = page_title(&tagged);
        let canonical = tagged
            .select(&CANONICAL)
            .find_map(|e| e.value().attr("href"))
            .and_then(|href| url.join(href.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));

        let site = rule.map(|rule| {
            let strip: std::collections::HashSet<_> =
                rule.strip.iter().flat_map(|s| doc.select(s)).map(|e| e.id()).collect();
            let parts: Vec<String> = doc
                .select(&rule.body)
                .map(|e| text::element_text(e, &|el| el.value().name() == "form" || strip.contains(&el.id())))
                .filter(|t| !t.is_empty())
                .collect();
            parts.join("\n\n")
        });
        let meta = meta::read(&doc, &tagged);
        let page_body = || {
            let generic = generic::extract(&doc, title.as_deref());
            match meta.article_body.as_deref() {
                Some(ld) if ld.len() > generic.len() * 2 && is_on_page(&doc, ld) => {
                    (ld.to_string(), Method::JsonLd)
                }
                _ => (generic, Method::Generic),
            }
        };
        let (body, method) = self.choose(site, page_body, feed_text);
        let language = meta.language.or_else(|| lang::detect(&body));
        Ok(Article {
            title,
            canonical,
            published: meta.published,
            author: meta.author,
            language,
            body,
            method,
        })
    }

    /// The first method with enough text; when none has, the feed's text if any, else the longest.
    fn choose(
        &self,
        site: Option<String>,
        page: impl FnOnce() -> (String, Method),
        feed_text: &str,
    ) -> (String, Method) {
        let enough = |t: &str| t.chars().count() >= self.min_chars;
        let site = site.unwrap_or_default();
        if enough(&site) {
            return (site, Method::Site);
        }
        let (page, method) = page();
        if enough(&page) {
            return (page, method);
        }
        let feed = feed_text.trim();
        if !feed.is_empty() {
            return (feed.to_string(), Method::Feed);
        }
        if site.len() >= page.len() && !site.is_empty() { (site, Method::Site) } else { (page, method) }
    }
}

/// Whether the opening words of `text` are in the page's text: a JSON-LD body that is not
/// belongs to another page or is a stale copy.
fn is_on_page(doc: &Html, text: &str) -> bool {
    let opening: Vec<&str> = text.split_whitespace().take(8).collect();
    if opening.is_empty() {
        return false;
    }
    let visible = doc.root_element().descendants().filter_map(|node| {
        let text = node.value().as_text()?;
        let parent = node.parent()?.value().as_element()?;
        (!text::is_skipped(parent.name())).then_some(&**text)
    });
    let page: Vec<&str> = visible.flat_map(str::split_whitespace).collect();
    page.windows(opening.len()).any(|w| w == opening.as_slice())
}

/// `og:title` (or `twitter:title`), else `<title>`: the first that is not blank.
fn page_title(tagged: &meta::Tagged<'_>) -> Option<String> {
    let tidy = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let meta = tagged.select(&TITLE_META).filter_map(|e| e.value().attr("content")).map(tidy);
    let title = tagged.select(&TITLE).map(|e| tidy(&e.text().collect::<String>()));
    meta.chain(title).find(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = r#"<html><head><title>Page title | Outlet</title>
        <meta property="og:title" content="Minister warns of strikes">
        <link rel="canonical" href="/news/1/minister-warns"></head>
        <body><nav><a href="/">Home</a><a href="/pakistan">Pakistan</a></nav>
        <div class="ticker">Breaking: troops on high alert at the border</div>
        <article><h2 class="story__title">Minister warns</h2>
        <div class="story__content text-4">
        <p>The defence minister said on Friday that the country would respond with force, officials said.</p>
        <p>He spoke at a press conference in the capital, flanked by senior officers and aides.</p>
        <div class="share">Share on Facebook</div>
        <p>The remarks came after a week of talks that ended without agreement, diplomats said.</p>
        </div></article>
        <aside class="sidebar most-popular"><h3>Most popular</h3>
        <ul><li><a href="/n/2">Army vows to strike deep inside enemy territory, says spokesman</a></li></ul></aside>
        <footer>Copyright</footer></body></html>"#;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn site_rule_reads_only_the_body_and_strips() {
        let rule = SiteRule::new("example.org", ".story__content", &[".share".to_string()]).expect("rule");
        let ex = Extractor::new(vec![rule], 100);
        let a = ex.extract(STORY, &url("https://www.example.org/news/1/x?utm_source=rss"), "");
        assert_eq!(a.method, Method::Site);
        assert_eq!(a.title.as_deref(), Some("Minister warns of strikes"));
        assert_eq!(
            a.canonical.as_ref().map(Url::as_str),
            Some("https://www.example.org/news/1/minister-warns")
        );
        assert!(a.body.starts_with("The defence minister said"), "{}", a.body);
        assert!(a.body.contains("\n\nHe spoke at a press conference"));
        assert!(!a.body.contains("Share on Facebook"));
        assert!(!a.body.contains("strike deep inside"));
    }

    #[test]
    fn generic_extractor_skips_navigation_and_sidebars() {
        let ex = Extractor::new(Vec::new(), 100);
        let a = ex.extract(STORY, &url("https://other.example/news/1"), "");
        assert_eq!(a.method, Method::Generic);
        assert!(a.body.contains("The defence minister said"), "{}", a.body);
        assert!(a.body.contains("without agreement"));
        assert!(!a.body.contains("strike deep inside"), "{}", a.body);
        assert!(!a.body.contains("Home"));
        assert!(!a.body.contains("high alert"));
    }

    /// Issue 20: an empty `og:title` hid the page's `<title>`, so an item without a title of its
    /// own reached Slack with an empty header (refused, 400) and Discord with an empty embed.
    #[test]
    fn page_title_skips_blank_candidates() {
        let cases = [
            (r#"<meta property="og:title" content="OG"><title>T</title>"#, Some("OG")),
            (r#"<meta property="og:title" content="  "><title> Page  title </title>"#, Some("Page title")),
            (r#"<meta property="og:title" content=""><meta name="twitter:title" content="TW">"#, Some("TW")),
            ("<title>\n</title>", None),
            ("<p>no title</p>", None),
        ];
        for (head, want) in cases {
            let doc = Html::parse_document(&format!("<html><head>{head}</head><body></body></html>"));
            assert_eq!(page_title(&meta::Tagged::of(&doc)).as_deref(), want, "{head}");
        }
    }

    #[test]
    fn falls_back_to_feed_text_when_the_page_has_no_article() {
        let ex = Extractor::new(Vec::new(), 100);
        let html = "<html><body><nav>Home</nav><p>Short.</p></body></html>";
        let a = ex.extract(html, &url("https://other.example/"), "The feed summary of the story.");
        assert_eq!(a.method, Method::Feed);
        assert_eq!(a.body, "The feed summary of the story.");
    }

    #[test]
    fn site_rules_match_subdomains_only() {
        let rule = SiteRule::new("dawn.com", "p", &[]).expect("rule");
        let cases = [
            ("dawn.com", true),
            ("www.dawn.com", true),
            ("images.dawn.com", true),
            ("notdawn.com", false),
            ("dawn.com.evil.example", false),
        ];
        for (host, want) in cases {
            assert_eq!(rule.applies_to(host), want, "{host}");
        }
    }

    #[test]
    fn most_specific_rule_wins() {
        let ex = Extractor::new(
            vec![
                SiteRule::new("dawn.com", "p", &[]).expect("rule"),
                SiteRule::new("images.dawn.com", "div", &[]).expect("rule"),
            ],
            1,
        );
        assert_eq!(ex.rule_for("images.dawn.com").map(|r| r.host.as_str()), Some("images.dawn.com"));
        assert_eq!(ex.rule_for("www.dawn.com").map(|r| r.host.as_str()), Some("dawn.com"));
    }

    #[test]
    fn bad_selectors_name_their_key() {
        let err = SiteRule::new("a.example", "p", &["ok".to_string(), "[[".to_string()]).expect_err("bad");
        assert_eq!(err.key(), "strip[1]");
        let err = SiteRule::new("a.example", "", &[]).expect_err("bad");
        assert_eq!(err.key(), "body");
    }
}
