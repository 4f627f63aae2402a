//! The generic extractor: readability-style scoring of the containers that hold paragraphs.
//!
//! Each paragraph scores by its length and commas; its parent gets the score, its grandparent
//! half, its great-grandparent a third. Class and id names vote ("story", "content" up;
//! "sidebar", "related", "popular" down), link-heavy containers lose, and paragraphs inside
//! navigation, sidebars and teaser boxes are never counted. The best container, with the siblings
//! that look like more of it, is the article.

use std::collections::HashMap;
use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use super::text::{element_text, is_hidden, is_skipped};

/// Paragraph-like elements whose text is counted.
static PARAGRAPHS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("p, pre, td, blockquote").expect("static"));
static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a").expect("static"));

/// Shorter paragraphs are menus, captions and buttons.
const MIN_PARAGRAPH_CHARS: usize = 25;

/// Class/id fragments of boilerplate containers.
const NEGATIVE: &[&str] = &[
    "comment",
    "footer",
    "footnote",
    "masthead",
    "sidebar",
    "sponsor",
    "share",
    "social",
    "related",
    "popular",
    "promo",
    "widget",
    "ticker",
    "breadcrumb",
    "newsletter",
    "subscribe",
    "advert",
    "outbrain",
    "taboola",
    "recommend",
    "trending",
    "most-read",
    "mostread",
    "menu",
    "navbar",
    "nav-",
    "header",
    "byline",
    "author",
    "signup",
    "cookie",
    "banner",
    "teaser",
    "more-stories",
    "read-more",
    "pagination",
];

/// Class/id fragments of article containers.
const POSITIVE: &[&str] =
    &["article", "body", "content", "entry", "main", "post", "text", "blog", "story", "hentry"];

/// Class/id fragments that keep a container even when it also looks negative.
const KEEP: &[&str] = &["article", "body", "content", "main", "story"];

fn class_and_id(el: &scraper::node::Element) -> String {
    let mut s = String::new();
    if let Some(c) = el.attr("class") {
        s.push_str(c);
    }
    s.push(' ');
    if let Some(i) = el.attr("id") {
        s.push_str(i);
    }
    s.to_ascii_lowercase()
}

fn has_any(names: &str, fragments: &[&str]) -> bool {
    fragments.iter().any(|f| names.contains(f))
}

/// A container never holding the article: navigation, sidebars, teaser boxes, hidden blocks.
fn is_unlikely(el: ElementRef<'_>) -> bool {
    let e = el.value();
    if is_skipped(e.name()) || is_hidden(e) {
        return true;
    }
    if matches!(e.name(), "body" | "article" | "main" | "a") {
        return false;
    }
    let names = class_and_id(e);
    has_any(&names, NEGATIVE) && !has_any(&names, KEEP)
        || e.attr("role")
            .is_some_and(|r| matches!(r, "navigation" | "complementary" | "banner" | "contentinfo"))
}

/// The starting score of a container, from its tag and names.
fn base_score(el: &scraper::node::Element) -> f64 {
    let tag = match el.name() {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" | "address" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let names = class_and_id(el);
    let mut class = 0.0;
    if has_any(&names, NEGATIVE) {
        class -= 25.0;
    }
    if has_any(&names, POSITIVE) {
        class += 25.0;
    }
    tag + class
}

fn text_len(el: ElementRef<'_>) -> usize {
    el.text().map(|t| t.split_whitespace().map(|w| w.chars().count() + 1).sum::<usize>()).sum()
}

fn link_density(el: ElementRef<'_>) -> f64 {
    let total = text_len(el);
    if total == 0 {
        return 0.0;
    }
    let links: usize = el.select(&LINKS).map(text_len).sum();
    #[expect(clippy::cast_precision_loss, reason = "text lengths are far below 2^52")]
    let density = links as f64 / total as f64;
    density.min(1.0)
}

/// Whether any ancestor of `el` (up to the document) is an unlikely container.
fn inside_boilerplate(el: ElementRef<'_>) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(is_unlikely)
}

/// The article text of `doc` by readability-style scoring; empty when nothing qualifies.
pub(super) fn extract(doc: &Html) -> String {
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for p in doc.select(&PARAGRAPHS) {
        if is_unlikely(p) || inside_boilerplate(p) {
            continue;
        }
        let text: String = p.text().collect();
        let len = text.chars().count();
        if len < MIN_PARAGRAPH_CHARS {
            continue;
        }
        let commas = text.chars().filter(|c| matches!(c, ',' | '،' | '，')).count();
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let points = 1.0 + commas as f64 + (len as f64 / 100.0).min(3.0);
        for (level, ancestor) in p.ancestors().filter_map(ElementRef::wrap).take(3).enumerate() {
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                _ => 3.0 * f64::from(u8::try_from(level).unwrap_or(u8::MAX)),
            };
            *scores.entry(ancestor.id()).or_insert_with(|| base_score(ancestor.value())) += points / divider;
        }
    }
    let best = scores
        .iter()
        .filter_map(|(id, score)| {
            let el = doc.tree.get(*id).and_then(ElementRef::wrap)?;
            Some((el, score * (1.0 - link_density(el))))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((top, top_score)) = best else { return String::new() };

    let skip = |el: ElementRef<'_>| is_unlikely(el);
    let Some(parent) = top.parent().and_then(ElementRef::wrap) else { return element_text(top, &skip) };
    let threshold = (top_score * 0.2).max(10.0);
    let parts: Vec<String> = parent
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|sib| {
            sib.id() == top.id()
                || scores.get(&sib.id()).is_some_and(|s| s * (1.0 - link_density(*sib)) >= threshold)
                || is_loose_paragraph(*sib)
        })
        .map(|el| element_text(el, &skip))
        .filter(|t| !t.is_empty())
        .collect();
    parts.join("\n\n")
}

/// A sibling paragraph of the best container that reads like more of the story.
fn is_loose_paragraph(el: ElementRef<'_>) -> bool {
    if el.value().name() != "p" || is_unlikely(el) {
        return false;
    }
    let len = text_len(el);
    let density = link_density(el);
    len > 80 && density < 0.25
        || len > 0 && density == 0.0 && el.text().collect::<String>().trim_end().ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn body_of(html: &str) -> String {
        extract(&Html::parse_document(html))
    }

    #[test]
    fn picks_the_paragraph_container() {
        let html = r#"<body><div id="menu"><p>Home, World, Sport, Business, Opinion, Video, Podcasts</p></div>
            <div class="entry"><p>First paragraph of the real story, which is long enough to count here.</p>
            <p>Second paragraph, with commas, clauses, and more words to make it score well.</p></div>
            <div class="related"><p>Another headline that is teased in a related box, long enough.</p></div></body>"#;
        let got = body_of(html);
        assert!(got.starts_with("First paragraph"), "{got}");
        assert!(got.contains("Second paragraph"));
        assert!(!got.contains("Home, World"));
        assert!(!got.contains("teased"));
    }

    #[test]
    fn link_lists_lose_to_prose() {
        let links: String = (0..20).fold(String::new(), |mut s, i| {
            let _ = write!(s, "<p><a href=\"/{i}\">Teaser headline number {i} about events, here</a></p>");
            s
        });
        let html = format!(
            "<body><div>{links}</div><div><p>The story itself: a long paragraph of prose, with clauses, commas, and detail.</p>\
             <p>More of the story follows here, again with enough words to count as a paragraph.</p></div></body>"
        );
        let got = body_of(&html);
        assert!(got.starts_with("The story itself"), "{got}");
        assert!(!got.contains("Teaser"));
    }

    #[test]
    fn empty_page_gives_nothing() {
        assert_eq!(body_of("<html><body><nav>Home</nav></body></html>"), "");
    }
}
