//! Page metadata (pure): published time and author from JSON-LD, meta tags and `<time>`, the
//! JSON-LD `articleBody`, and the language the page declares.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use crate::lang;

static JSON_LD: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(r#"script[type="application/ld+json"]"#).expect("static"));
static PUBLISHED_META: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(
        r#"meta[property="article:published_time"], meta[property="og:published_time"],
           meta[name="article:published_time"], meta[itemprop="datePublished"],
           meta[name="pubdate"], meta[name="publishdate"], meta[name="parsely-pub-date"],
           meta[name="sailthru.date"], meta[name="dc.date.issued"], meta[name="DC.date.issued"],
           meta[name="date"]"#,
    )
    .expect("static")
});
static TIME: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r"time[itemprop=datePublished], time[pubdate], article time[datetime], time[datetime]")
        .expect("static")
});
static AUTHOR_META: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(
        r#"meta[name="author"], meta[name="parsely-author"], meta[name="sailthru.author"],
           meta[property="article:author"], meta[name="byl"]"#,
    )
    .expect("static")
});
static AUTHOR_ELEMENT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(r#"[itemprop="author"], a[rel="author"]"#).expect("static"));

/// What the page says about itself.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Metadata {
    pub published: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// The JSON-LD `articleBody`, as plain text.
    pub article_body: Option<String>,
    /// The language the page declares (`<html lang>`, a `content-language` meta tag), as an
    /// ISO 639-3 code.
    pub language: Option<String>,
}

/// The elements a metadata selector can match (`<script>`, `<meta>`, `<time>`, `<title>`,
/// `<link>`, any with `itemprop` or `rel`), found in one walk: matching each selector against
/// every element of the page cost more than measuring its text.
pub(super) struct Tagged<'a>(Vec<ElementRef<'a>>);

impl<'a> Tagged<'a> {
    pub(super) fn of(doc: &'a Html) -> Self {
        // In the order, and with the attached nodes only, that `Html::select` gives.
        let tagged = doc.tree.nodes().filter_map(ElementRef::wrap).filter(|e| {
            let v = e.value();
            e.parent().is_some()
                && (matches!(v.name(), "script" | "meta" | "time" | "title" | "link")
                    || v.attr("itemprop").is_some()
                    || v.attr("rel").is_some())
        });
        Self(tagged.collect())
    }

    /// The elements matching `selector`, which must match only tagged ones.
    pub(super) fn select<'s>(&'s self, selector: &'s Selector) -> impl Iterator<Item = ElementRef<'a>> + 's {
        self.0.iter().copied().filter(|e| selector.matches(e))
    }
}

/// Reads the metadata of `doc`, whose [`Tagged`] elements are `tagged`: JSON-LD first, then meta
/// tags, then the page's elements.
pub(super) fn read(doc: &Html, tagged: &Tagged<'_>) -> Metadata {
    let mut meta = Metadata::default();
    for script in tagged.select(&JSON_LD) {
        let raw: String = script.text().collect();
        if let Ok(value) = serde_json::from_str::<Value>(raw.trim()) {
            from_json_ld(&value, &mut meta);
        }
    }
    if meta.published.is_none() {
        meta.published = tagged
            .select(&PUBLISHED_META)
            .filter_map(|e| e.value().attr("content"))
            .chain(tagged.select(&TIME).filter_map(|e| e.value().attr("datetime")))
            .find_map(parse_date);
    }
    if meta.author.is_none() {
        meta.author = tagged
            .select(&AUTHOR_META)
            .filter_map(|e| e.value().attr("content"))
            .map(str::to_string)
            .chain(tagged.select(&AUTHOR_ELEMENT).map(|e| e.text().collect::<String>()))
            .find_map(|a| clean_author(&a));
    }
    meta.language = declared_language(doc);
    meta
}

/// The language `<html lang>` (or `xml:lang`) names, else a `content-language` meta tag in the
/// head. Only the root and the head's children are read: a page of a million elements costs
/// no more here than any other.
fn declared_language(doc: &Html) -> Option<String> {
    let root = doc.root_element();
    let v = root.value();
    if let Some(code) = v.attr("lang").or_else(|| v.attr("xml:lang")).and_then(lang::from_tag) {
        return Some(code);
    }
    let head = root.children().filter_map(ElementRef::wrap).find(|e| e.value().name() == "head")?;
    head.children().filter_map(ElementRef::wrap).find_map(|e| {
        let v = e.value();
        let tag = v.attr("http-equiv").filter(|h| h.eq_ignore_ascii_case("content-language"));
        tag.and(v.attr("content")).and_then(lang::from_tag)
    })
}

/// Whether a JSON-LD `@type` names an article.
fn is_article_type(value: Option<&Value>) -> bool {
    let is_article = |t: &str| t.ends_with("Article") || t == "BlogPosting" || t == "Report";
    match value {
        Some(Value::String(t)) => is_article(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(is_article),
        _ => false,
    }
}

/// Fills what is still missing in `meta` from the article objects of a JSON-LD value.
fn from_json_ld(value: &Value, meta: &mut Metadata) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| from_json_ld(v, meta)),
        Value::Object(map) => {
            if let Some(graph) = map.get("@graph") {
                from_json_ld(graph, meta);
            }
            if !is_article_type(map.get("@type")) {
                return;
            }
            if meta.published.is_none() {
                meta.published = map.get("datePublished").and_then(Value::as_str).and_then(parse_date);
            }
            if meta.author.is_none() {
                meta.author = map.get("author").and_then(author_name);
            }
            if meta.article_body.is_none() {
                meta.article_body =
                    map.get("articleBody").and_then(Value::as_str).map(body_text).filter(|b| !b.is_empty());
            }
        }
        _ => {}
    }
}

/// A JSON-LD `articleBody` as plain paragraphs: some outlets put HTML in it, most plain text
/// with newlines between paragraphs.
fn body_text(raw: &str) -> String {
    if raw.contains('<') {
        return super::text::html_to_text(raw);
    }
    let lines: Vec<String> = raw
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n\n")
}

/// The name(s) in a JSON-LD `author`: a string, a person, or a list of them.
fn author_name(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => clean_author(s),
        Value::Object(map) => map.get("name").and_then(Value::as_str).and_then(clean_author),
        Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(author_name).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// An author's name without "By", or nothing when it is a link or empty.
fn clean_author(raw: &str) -> Option<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = name.strip_prefix("By ").or_else(|| name.strip_prefix("by ")).unwrap_or(&name).trim();
    (!name.is_empty() && !name.contains("://") && name.chars().count() <= 100).then(|| name.to_string())
}

/// A date as pages write it: RFC 3339, ISO 8601 without colon in the offset or without an offset
/// (read as UTC), or a bare date (midnight UTC). Placeholders (`0001-01-01`) are no date.
fn parse_date(raw: &str) -> Option<DateTime<FixedOffset>> {
    parse_any_date(raw).filter(|d| (1991..=2100).contains(&chrono::Datelike::year(d)))
}

fn parse_any_date(raw: &str) -> Option<DateTime<FixedOffset>> {
    let s = raw.trim();
    let utc = FixedOffset::east_opt(0)?;
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .or_else(|| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0))
                .map(|naive| naive.and_local_timezone(utc).single())?
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let cases = [
            ("2024-03-01T10:15:00+05:00", Some("2024-03-01T10:15:00+05:00")),
            ("2024-03-01T10:15:00.123Z", Some("2024-03-01T10:15:00.123+00:00")),
            ("2024-03-01T10:15:00+0500", Some("2024-03-01T10:15:00+05:00")),
            ("2024-03-01T10:15:00", Some("2024-03-01T10:15:00+00:00")),
            ("2024-03-01 10:15:00", Some("2024-03-01T10:15:00+00:00")),
            ("2024-03-01", Some("2024-03-01T00:00:00+00:00")),
            ("Fri, 01 Mar 2024 10:15:00 +0500", Some("2024-03-01T10:15:00+05:00")),
            ("0001-01-01T00:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_date(raw).map(|d| d.to_rfc3339()).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn article_bodies() {
        let cases = [
            ("One.\n\nTwo  words.\nThree.", "One.\n\nTwo words.\n\nThree."),
            ("<p>One.</p><p>Two &amp; three.</p>", "One.\n\nTwo & three."),
            ("  ", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(body_text(raw), want, "{raw}");
        }
    }

    #[test]
    fn authors() {
        let cases: [(Value, Option<&str>); 5] = [
            (Value::from("By  Jane   Doe"), Some("Jane Doe")),
            (serde_json::json!({"@type": "Person", "name": "Asad Khan"}), Some("Asad Khan")),
            (serde_json::json!([{"name": "A. One"}, "B. Two"]), Some("A. One, B. Two")),
            (Value::from("https://www.example.org/authors/jane"), None),
            (Value::from("  "), None),
        ];
        for (value, want) in cases {
            assert_eq!(author_name(&value).as_deref(), want, "{value}");
        }
    }

    fn read_page(html: &str) -> Metadata {
        let doc = Html::parse_document(html);
        read(&doc, &Tagged::of(&doc))
    }

    #[test]
    fn json_ld_graph_and_types() {
        let html = r#"<html><head><script type="application/ld+json">
            {"@context": "https://schema.org", "@graph": [
              {"@type": "WebSite", "name": "Outlet", "datePublished": "1999-01-01"},
              {"@type": ["NewsArticle"], "datePublished": "2024-03-01T10:15:00+05:00",
               "author": {"name": "Jane Doe"}, "articleBody": "<p>First.</p><p>Second.</p>"}]}
            </script><meta name="author" content="Someone Else"></head><body></body></html>"#;
        let meta = read_page(html);
        assert_eq!(meta.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-03-01T10:15:00+05:00"));
        assert_eq!(meta.author.as_deref(), Some("Jane Doe"));
        assert_eq!(meta.article_body.as_deref(), Some("First.\n\nSecond."));
    }

    #[test]
    fn meta_tags_and_time_elements() {
        let html = r#"<html><head><meta name="author" content="By Asad Khan">
            <script type="application/ld+json">{not json</script></head>
            <body><article><time datetime="2024-03-01T08:00:00+05:00">1 March</time></article></body></html>"#;
        let meta = read_page(html);
        assert_eq!(meta.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-03-01T08:00:00+05:00"));
        assert_eq!(meta.author.as_deref(), Some("Asad Khan"));
        assert_eq!(meta.article_body, None);
    }

    #[test]
    fn the_declared_language() {
        let cases = [
            (r#"<html lang="ur-PK"><body></body></html>"#, Some("urd")),
            (r#"<html dir="rtl" lang="ps"><body></body></html>"#, Some("pus")),
            (r#"<html><head><meta http-equiv="Content-Language" content="fa"></head></html>"#, Some("fas")),
            (r#"<html lang=""><body></body></html>"#, None),
            ("<html><body></body></html>", None),
        ];
        for (html, want) in cases {
            assert_eq!(read_page(html).language.as_deref(), want, "{html}");
        }
    }
}
