//! Feed bytes → items (pure). feed-rs reads RSS 0.9x/1.0/2.0, Atom and JSON Feed from the raw
//! bytes, so the document's own encoding declaration is honoured.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::lang;

/// Why a feed document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the feed parser refused it")]
    Malformed(#[source] feed_rs::parser::ParseFeedError),
    /// The parser panicked on this input (a bug in it, contained here).
    #[error("feed parser crashed on this document")]
    Crashed,
}

/// One entry of a feed, as the feed tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The article link, resolved against the feed URL; `None` when absent or not http(s).
    pub link: Option<Url>,
    /// The entry's id (guid); feed-rs makes one up from link and title when the feed has none.
    pub guid: String,
    pub title: String,
    pub published: Option<DateTime<Utc>>,
    /// `content:encoded` / `content`, else the summary; may be HTML.
    pub html: String,
}

/// A parsed feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// RSS `<ttl>`: how long the feed asks to be left alone.
    pub ttl: Option<Duration>,
    /// The language the feed declares (RSS `<language>`, JSON Feed `language`, Atom `xml:lang`
    /// on the feed, else on its first entry's content), as an ISO 639-3 code.
    pub language: Option<String>,
}

/// Parses a feed document fetched from `base`.
///
/// # Errors
/// [`ParseError::Malformed`] when the bytes are no feed feed-rs can read.
pub fn parse(bytes: &[u8], base: &Url) -> Result<Parsed, ParseError> {
    // Some malformed documents make the XML layer panic (an assertion on late encoding
    // declarations); one bad feed must cost one error, not the task polling it.
    let bytes = utf16_to_utf8(bytes);
    let parsed = std::panic::catch_unwind(|| feed_rs::parser::parse(bytes.as_ref()))
        .map_err(|_| ParseError::Crashed)?;
    let feed = parsed.map_err(ParseError::Malformed)?;
    let ttl = feed.ttl.map(|minutes| Duration::from_secs(u64::from(minutes) * 60));
    let language = feed
        .language
        .as_deref()
        .or_else(|| feed.entries.first().and_then(|e| e.language.as_deref()))
        .and_then(lang::from_tag);
    Ok(Parsed { entries: feed.entries.into_iter().map(|e| entry(e, base)).collect(), ttl, language })
}

/// UTF-16 documents (by BOM, or by the byte pattern of `<?` per XML's autodetection) become
/// UTF-8 with their encoding declaration rewritten: the XML layer handles UTF-16 poorly.
fn utf16_to_utf8(bytes: &[u8]) -> Cow<'_, [u8]> {
    let encoding = match bytes {
        [0xfe, 0xff, ..] | [0x00, b'<', 0x00, b'?', ..] => encoding_rs::UTF_16BE,
        [0xff, 0xfe, ..] | [b'<', 0x00, b'?', 0x00, ..] => encoding_rs::UTF_16LE,
        _ => return Cow::Borrowed(bytes),
    };
    let (text, _, _) = encoding.decode(bytes);
    let mut text = text.into_owned();
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        let decl = text[..end].to_string();
        let fixed = decl.replace("utf-16be", "utf-8").replace("utf-16le", "utf-8").replace("utf-16", "utf-8");
        let fixed =
            fixed.replace("UTF-16BE", "UTF-8").replace("UTF-16LE", "UTF-8").replace("UTF-16", "UTF-8");
        text.replace_range(..end, &fixed);
    }
    Cow::Owned(text.into_bytes())
}

fn entry(e: feed_rs::model::Entry, base: &Url) -> Entry {
    let link = e
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .chain(e.links.iter())
        .find_map(|l| base.join(l.href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let title =
        e.title.map(|t| t.content.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
    let html = e
        .content
        .and_then(|c| c.body)
        .filter(|b| !b.trim().is_empty())
        .or_else(|| e.summary.map(|s| s.content))
        .unwrap_or_default();
    Entry { link, guid: e.id, title, published: e.published.or(e.updated), html }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.dawn.com/feeds/pakistan").expect("url")
    }

    #[test]
    fn dawn_shaped_rss() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Dawn</title><link>https://www.dawn.com</link><description>d</description><ttl>15</ttl>
<item xmlns:default="http://purl.org/rss/1.0/modules/content/"><title>Minister warns
</title><link>https://www.dawn.com/news/1/minister-warns</link><guid isPermaLink="false">1</guid>
<description>&lt;p&gt;Summary &amp;amp; more&lt;/p&gt;</description><pubDate>Fri, 27 Nov 2026 14:05:00 +0500</pubDate></item>
<item><title>Relative</title><link>/news/2/relative</link><guid>2</guid></item>
</channel></rss>"#;
        let parsed = parse(xml, &base()).expect("parses");
        assert_eq!(parsed.ttl, Some(Duration::from_mins(15)));
        let items = parsed.entries;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "Minister warns");
        assert_eq!(items[0].guid, "1");
        assert_eq!(
            items[0].link.as_ref().map(Url::as_str),
            Some("https://www.dawn.com/news/1/minister-warns")
        );
        assert_eq!(items[0].published.map(|t| t.to_rfc3339()), Some("2026-11-27T09:05:00+00:00".into()));
        assert!(items[0].html.contains("Summary"));
        assert_eq!(items[1].link.as_ref().map(Url::as_str), Some("https://www.dawn.com/news/2/relative"));
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2026-11-27T10:00:00Z</updated>
<entry><title>A</title><id>urn:a</id><link href="https://a.example/1"/><updated>2026-11-27T10:00:00Z</updated><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"#;
        let items = parse(atom, &base()).expect("atom").entries;
        assert_eq!(items[0].guid, "urn:a");
        assert_eq!(items[0].html, "<p>Body</p>");
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"7","url":"https://j.example/7","title":"J","content_text":"Text"}]}"#;
        let items = parse(json, &base()).expect("json feed").entries;
        assert_eq!(items[0].link.as_ref().map(Url::as_str), Some("https://j.example/7"));
        assert_eq!(items[0].html, "Text");
    }

    #[test]
    fn the_language_a_feed_declares() {
        let rss = |lang: &str| {
            format!(
                "<rss version=\"2.0\"><channel><title>t</title><link>https://a.example</link><description>d</description>{lang}\
                 <item><title>A</title><link>https://a.example/1</link></item></channel></rss>"
            )
        };
        let atom = |feed: &str, content: &str| {
            format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" {feed}><title>t</title><id>x</id><updated>2026-11-27T10:00:00Z</updated>\
                 <entry><title>A</title><id>urn:a</id><link href=\"https://a.example/1\"/><updated>2026-11-27T10:00:00Z</updated><content {content}>x</content></entry></feed>"
            )
        };
        let cases = [
            (rss("<language>ur</language>"), Some("urd")),
            (rss("<language>ps-AF</language>"), Some("pus")),
            (rss("<language>English</language>"), None),
            (rss(""), None),
            (atom(r#"xml:lang="fa""#, ""), Some("fas")),
            (atom("", r#"xml:lang="ar""#), Some("ara")),
            (atom("", ""), None),
        ];
        for (doc, want) in cases {
            assert_eq!(parse(doc.as_bytes(), &base()).expect("feed").language.as_deref(), want, "{doc}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in
            [&b""[..], b"<rss><channel><item><title>broken", b"\xff\xfe\x00garbage", b"{\"version\": 1"]
        {
            assert!(parse(bytes, &base()).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn utf16_feeds_are_read() {
        let xml = r#"<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>t</title><item><title>سرحد</title><link>https://u.example/1</link><guid>g</guid></item></channel></rss>"#;
        for (bom, encode) in [
            (&[0xfe_u8, 0xff][..], u16::to_be_bytes as fn(u16) -> [u8; 2]),
            (&[0xff, 0xfe][..], u16::to_le_bytes),
            (&[][..], u16::to_be_bytes),
        ] {
            let mut bytes = bom.to_vec();
            bytes.extend(xml.encode_utf16().flat_map(encode));
            let items = parse(&bytes, &base()).expect("utf-16 feed parses").entries;
            assert_eq!(items[0].title, "سرحد");
        }
    }

    #[test]
    fn non_http_links_are_dropped() {
        let xml = br#"<rss version="2.0"><channel><title>t</title><item><title>x</title><link>javascript:alert(1)</link><guid>g</guid></item></channel></rss>"#;
        let items = parse(xml, &base()).expect("parses").entries;
        assert_eq!(items[0].link, None);
    }
}
