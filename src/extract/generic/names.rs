//! What class and id names say about an element: navigation and sidebars are unlikely to hold
//! the story, "story" and "content" likely, captions and bylines are furniture.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::Rules;

/// A list of fragments compiled once, matched ignoring ASCII case: every element with a class
/// or id is asked about it.
fn fragments(list: &[&str]) -> AhoCorasick {
    AhoCorasick::builder().ascii_case_insensitive(true).build(list).expect("static fragments")
}

static UNLIKELY_IN: LazyLock<AhoCorasick> = LazyLock::new(|| fragments(UNLIKELY));
static MAYBE_IN: LazyLock<AhoCorasick> = LazyLock::new(|| fragments(MAYBE));

/// Class/id fragments of containers that never hold the article (readability's list).
pub(super) const UNLIKELY: &[&str] = &[
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumb",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
    "newsletter",
    "most-popular",
    "mostpopular",
    "most-read",
    "mostread",
    "trending",
    "outbrain",
    "taboola",
    "ticker",
    "cookie",
];

/// Class/id fragments that keep a container even when it also looks unlikely.
pub(super) const MAYBE: &[&str] = &["and", "article", "body", "column", "content", "main", "shadow"];

/// Class/id fragments that lower a container's weight.
pub(super) const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
    "byline",
    "author",
    "caption",
    "credit",
    "newsletter",
    "subscribe",
    "signup",
    "recommend",
    "popular",
    "trending",
    "teaser",
];

/// Class/id fragments that raise a container's weight.
pub(super) const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog",
    "story",
];

/// Class/id fragments of small page furniture inside an article.
pub(super) const FURNITURE: &[&str] =
    &["caption", "credit", "byline", "author", "share", "social", "dateline", "timestamp"];

pub(super) fn names(el: &scraper::node::Element) -> String {
    let mut s = String::new();
    if let Some(c) = el.attr("class") {
        s.push_str(c);
    }
    s.push(' ');
    if let Some(i) = el.attr("id") {
        s.push_str(i);
    }
    s.make_ascii_lowercase();
    s
}

pub(super) fn has_any(names: &str, fragments: &[&str]) -> bool {
    fragments.iter().any(|f| names.contains(f))
}

/// Whether the element's names or role say it is navigation, a sidebar or the like.
pub(super) fn is_unlikely(el: &scraper::node::Element) -> bool {
    if matches!(el.name(), "html" | "body" | "article" | "main" | "a") {
        return false;
    }
    if el.attr("role").is_some_and(|r| matches!(r, "navigation" | "complementary" | "banner" | "contentinfo"))
    {
        return true;
    }
    // No fragment holds a space, so searching the class and the id apart is searching both.
    let names = [el.attr("class"), el.attr("id")];
    let any_in = |list: &AhoCorasick| names.iter().flatten().any(|n| list.is_match(n));
    any_in(&UNLIKELY_IN) && !any_in(&MAYBE_IN)
}

/// The vote of an element's class and id names.
pub(super) fn class_weight(el: &scraper::node::Element) -> f64 {
    let mut weight = 0.0;
    for value in [el.attr("class"), el.attr("id")].into_iter().flatten() {
        let value = value.to_ascii_lowercase();
        if has_any(&value, NEGATIVE) {
            weight -= 25.0;
        }
        if has_any(&value, POSITIVE) {
            weight += 25.0;
        }
    }
    weight
}

/// The starting score of a container, from its tag (and names, when they count).
pub(super) fn base_score(el: &scraper::node::Element, rules: Rules) -> f64 {
    let tag = match el.name() {
        "div" | "article" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    tag + if rules.weigh_classes { class_weight(el) } else { 0.0 }
}
