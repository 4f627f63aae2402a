//! Bounds on the work and memory one page may cost. html5ever looks through its stack of open
//! elements for many start tags, so a page of 100,000 nested `<div>`s (600 kB) took minutes, and
//! a 9 MB page of `<i></i>` built a tree of 360 MB. Before parsing, [`bound`] drops the tags that
//! would nest deeper than [`MAX_DEPTH`] or come after the first [`MAX_ELEMENTS`] (their text is
//! kept), the comments, scripts, styles and inline SVG nothing reads (JSON-LD is kept), and,
//! unless a site rule's selectors are to read the page, the attributes nothing reads (image
//! sources, `data-*`, link targets: over a third of what is left of a news page);
//! [`parse_document`] then parses in slices and gives up at a deadline.

use std::borrow::Cow;
use std::time::Instant;

use html5ever::driver;
use html5ever::tendril::{StrTendril, TendrilSink as _};
use scraper::{Html, HtmlTreeSink};

/// Elements open at once; deeper start tags are dropped. Real pages stay far below (the deepest
/// of the benchmark pages nests 40).
pub(super) const MAX_DEPTH: usize = 256;

/// Start tags kept per page; the rest are dropped. The largest benchmark page has 9,000.
pub(super) const MAX_ELEMENTS: usize = 60_000;

/// Bytes handed to the parser between two looks at the deadline.
const SLICE: usize = 64 * 1024;

/// The page could not be parsed before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("extraction did not finish in time")]
pub struct Overrun;

/// Elements that never have content, so never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "keygen", "frame", "basefont", "bgsound",
];

/// Elements whose content is text up to their own end tag.
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"];

/// Elements whose content nothing reads (the extractor skips them; JSON-LD scripts excepted), left
/// out up to their end tag.
const UNREAD: &[&str] = &["script", "style", "noscript", "iframe", "svg", "template"];

/// Elements a start tag of the same name closes when it is open nearby (`<li>` after `<li>`).
const SIBLING_CLOSED: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb", "rt",
    "rp",
];

/// How far down the stack a sibling-closing start tag looks for its namesake.
const SIBLING_REACH: usize = 8;

/// Which attributes the parser is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attributes {
    /// Every one: a site rule's selectors may name any.
    All,
    /// Those the generic extractor, the metadata and the hidden-element test read.
    Read,
}

/// Attributes read on any element (see [`Attributes::Read`]); `href` is read on `<link>` only
/// and `style` only when it hides the element.
const READ: &[&str] = &[
    "class",
    "id",
    "role",
    "hidden",
    "aria-hidden",
    "lang",
    "xml:lang",
    "http-equiv",
    "content",
    "property",
    "name",
    "itemprop",
    "pubdate",
    "datetime",
    "rel",
    "type",
];

/// One tag found by the scan.
struct Tag<'a> {
    /// Lowercased name.
    name: Cow<'a, str>,
    /// Byte just past the name, where the attributes start.
    attributes: usize,
    end: bool,
    self_closing: bool,
    /// Byte just past the tag's `>`.
    next: usize,
}

/// The scanner's view of the open elements: a cheap model of the parser's stack.
#[derive(Default)]
struct Nesting<'a> {
    open: Vec<Cow<'a, str>>,
    /// Start tags dropped, by name, whose end tags are to be dropped too.
    dropped: Vec<(Cow<'a, str>, usize)>,
    elements: usize,
}

impl<'a> Nesting<'a> {
    /// Whether a start tag is kept; records it either way.
    fn start(&mut self, name: Cow<'a, str>, self_closing: bool) -> bool {
        let void = VOID.contains(&&*name) || self_closing;
        if self.elements >= MAX_ELEMENTS {
            return false;
        }
        if SIBLING_CLOSED.contains(&&*name) {
            let reach = self.open.len().saturating_sub(SIBLING_REACH);
            if let Some(at) = self.open[reach..].iter().rposition(|n| *n == name) {
                self.open.truncate(reach + at);
            }
        }
        if !void && self.open.len() >= MAX_DEPTH {
            match self.dropped.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => self.dropped.push((name, 1)),
            }
            return false;
        }
        self.elements += 1;
        if !void {
            self.open.push(name);
        }
        true
    }

    /// Whether an end tag is kept.
    fn end(&mut self, name: &str) -> bool {
        if let Some((_, count)) = self.dropped.iter_mut().find(|(n, count)| n == name && *count > 0) {
            *count -= 1;
            return false;
        }
        if let Some(at) = self.open.iter().rposition(|n| n == name) {
            self.open.truncate(at);
        }
        // Past the element cap nothing more was opened, so nothing more is closed.
        self.elements < MAX_ELEMENTS
    }
}

/// `html` with the tags dropped that would nest deeper than [`MAX_DEPTH`] or come after the
/// first [`MAX_ELEMENTS`], and without comments or the content of [`UNREAD`] elements (JSON-LD
/// kept), nor with [`Attributes::Read`] the attributes nothing reads; borrowed unchanged when
/// there was nothing to leave out.
#[must_use]
pub(super) fn bound(html: &str, attributes: Attributes) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut nesting = Nesting::default();
    let mut out = String::new();
    // Copied into `out` up to here (only once a tag was dropped).
    let mut copied = 0;
    let mut at = 0;
    // Leaves out `html[from..to]`.
    let cut = |out: &mut String, copied: &mut usize, from: usize, to: usize| {
        out.push_str(&html[*copied..from]);
        *copied = to;
    };
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        let Some(tag) = scan_tag(html, start) else {
            at = skip_markup(bytes, start);
            if bytes[start..].starts_with(b"<!--") {
                // Nothing reads comments; the parser need not either.
                cut(&mut out, &mut copied, start, at);
            }
            continue;
        };
        let kept =
            if tag.end { nesting.end(&tag.name) } else { nesting.start(tag.name.clone(), tag.self_closing) };
        if !kept {
            cut(&mut out, &mut copied, start, tag.next);
        } else if !tag.end && attributes == Attributes::Read {
            for (from, to) in unread_attributes(html, &tag) {
                cut(&mut out, &mut copied, from, to);
            }
        }
        at = tag.next;
        // A slash does not close an HTML raw-text element (`<script src=x />` runs on); it
        // closes a foreign one (`<svg/>`).
        let raw = !tag.end && RAW_TEXT.contains(&&*tag.name);
        if raw || !tag.end && !tag.self_closing && UNREAD.contains(&&*tag.name) {
            at = raw_text_end(bytes, at, &tag.name);
            // Scripts and styles are often half a news page, and nothing reads them but JSON-LD.
            let unread = UNREAD.contains(&&*tag.name)
                && !(tag.name == "script" && html[start..tag.next].to_ascii_lowercase().contains("ld+json"));
            if unread && at > tag.next {
                cut(&mut out, &mut copied, tag.next, at);
            }
        } else if !tag.end && tag.name == "plaintext" {
            break;
        }
    }
    // Every cut ends past a `<`: nothing was left out while nothing was copied.
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// The start or end tag at `start` (a `<`), or `None` when it is none.
fn scan_tag(html: &str, start: usize) -> Option<Tag<'_>> {
    let bytes = html.as_bytes();
    let end = bytes.get(start + 1) == Some(&b'/');
    let name_start = start + 1 + usize::from(end);
    if !bytes.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = bytes[name_start..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        .unwrap_or(bytes.len() - name_start);
    let raw = &html[name_start..name_start + name_len];
    let name = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        Cow::Borrowed(raw)
    };
    let close = tag_close(bytes, name_start + name_len);
    let self_closing = close > name_start + name_len && bytes[close - 1] == b'/';
    Some(Tag {
        name,
        attributes: name_start + name_len,
        end,
        self_closing,
        next: (close + 1).min(bytes.len()),
    })
}

/// The byte ranges of the attributes of a start tag that nothing reads, each with the space
/// before it, in order. Attributes are split as the HTML tokenizer splits them.
fn unread_attributes<'a>(html: &'a str, tag: &'a Tag<'a>) -> impl Iterator<Item = (usize, usize)> + 'a {
    let bytes = html.as_bytes();
    // The `>`, or the end of the input.
    let close = if tag.next > 0 && bytes.get(tag.next - 1) == Some(&b'>') { tag.next - 1 } else { tag.next };
    let is_space = |b: u8| b.is_ascii_whitespace() || b == b'/';
    let mut at = tag.attributes;
    std::iter::from_fn(move || {
        while at < close {
            let from = at;
            let name_start = at + bytes[at..close].iter().position(|&b| !is_space(b))?;
            let name_end = bytes[name_start + 1..close]
                .iter()
                .position(|&b| is_space(b) || b == b'=')
                .map_or(close, |n| name_start + 1 + n);
            at = name_end;
            let equals = bytes[at..close].iter().position(|b| !b.is_ascii_whitespace()).map(|n| at + n);
            let mut value = None;
            if let Some(eq) = equals.filter(|&eq| bytes[eq] == b'=') {
                let value_start = bytes[eq + 1..close]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .map_or(close, |n| eq + 1 + n);
                at = match bytes.get(value_start) {
                    Some(&q @ (b'"' | b'\'')) if value_start < close => {
                        memchr::memchr(q, &bytes[value_start + 1..close])
                            .map_or(close, |n| value_start + 2 + n)
                    }
                    _ => bytes[value_start..close]
                        .iter()
                        .position(u8::is_ascii_whitespace)
                        .map_or(close, |n| value_start + n),
                };
                value = Some(&html[value_start..at]);
            }
            if !is_read(&tag.name, &html[name_start..name_end], value) {
                return Some((from, at));
            }
        }
        None
    })
}

/// Whether the attribute `name` (as written) of an element `element` is read, given its raw
/// `value`.
fn is_read(element: &str, name: &str, value: Option<&str>) -> bool {
    // No read name is longer; lowercased on the stack, for this runs on every attribute.
    let mut lower = [0u8; 16];
    let Some(lower) = lower.get_mut(..name.len()) else { return false };
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"href" => element == "link",
        // An entity could spell the hiding rule: kept for the hidden-element test to decide.
        b"style" => value.is_some_and(|v| v.contains('&') || super::text::hides(v)),
        lower => READ.iter().any(|n| n.as_bytes() == lower),
    }
}

/// The `>` ending a tag whose attributes start at `from` (a quoted value may hold `>`); the end
/// of the input when there is none.
fn tag_close(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut after_equals = false;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return i,
            b'=' => after_equals = true,
            q @ (b'"' | b'\'') if after_equals => {
                i = memchr::memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |n| i + 1 + n);
                after_equals = false;
            }
            b if b.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    bytes.len()
}

/// Where scanning goes on after a `<` that opens no tag: past a comment, a doctype or a
/// processing instruction, else just past the `<` (it is text).
fn skip_markup(bytes: &[u8], start: usize) -> usize {
    let rest = &bytes[start..];
    if rest.starts_with(b"<!--") {
        return memchr::memmem::find(&rest[4..], b"-->").map_or(bytes.len(), |n| start + 4 + n + 3);
    }
    if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
        return memchr::memchr(b'>', rest).map_or(bytes.len(), |n| start + n + 1);
    }
    start + 1
}

/// Where the text of a raw-text element opened just before `from` ends: at its end tag.
fn raw_text_end(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut at = from;
    while let Some(n) = memchr::memmem::find(&bytes[at..], b"</") {
        let tag = at + n + 2;
        let candidate = bytes.get(tag..tag + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return at + n;
        }
        at = tag;
    }
    bytes.len()
}

/// Parses a bounded page, looking at `deadline` between slices of it.
///
/// # Errors
/// [`Overrun`] when the deadline passes first.
pub(super) fn parse_document(html: &str, attributes: Attributes, deadline: Instant) -> Result<Html, Overrun> {
    let html = bound(html, attributes);
    let mut parser =
        driver::parse_document(HtmlTreeSink::new(Html::new_document()), driver::ParseOpts::default());
    let mut rest: &str = &html;
    while !rest.is_empty() {
        if Instant::now() >= deadline {
            return Err(Overrun);
        }
        let mut cut = rest.len().min(SLICE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (slice, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(slice));
        rest = tail;
    }
    Ok(parser.finish())
}

/// Parses a bounded fragment (a feed item's HTML).
pub(super) fn parse_fragment(html: &str) -> Html {
    Html::parse_fragment(&bound(html, Attributes::Read))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(doc: &Html) -> usize {
        doc.tree.nodes().map(|n| n.ancestors().count()).max().unwrap_or(0)
    }

    #[test]
    fn ordinary_markup_passes_unchanged() {
        let cases = [
            "<html><body><div><p>One<p>Two</div><ul><li>a<li>b</ul></body></html>",
            "<p title='a > b' class=\"x>y\">text</p><br/><img src=x><script></script>",
            "<script type=\"application/ld+json\">{\"a\": \"<div>\"}</script><textarea><b></textarea>",
            "<!doctype html><?xml x?><P>upper</P> a < b <3",
        ];
        for html in cases {
            assert!(matches!(bound(html, Attributes::All), Cow::Borrowed(_)), "{html}");
        }
    }

    #[test]
    fn unread_markup_is_left_out() {
        let cases = [
            ("<p>a<!-- <div><div> -->b</p>", "<p>ab</p>"),
            (
                "<script>if (a<b) { x('<div>'); }</script><style>p>a{}</style>",
                "<script></script><style></style>",
            ),
            ("<SCRIPT src=x>var a;</Script>ok", "<SCRIPT src=x></Script>ok"),
            (
                "<script type='application/LD+json'>{}</script>",
                "<script type='application/LD+json'>{}</script>",
            ),
        ];
        for (html, want) in cases {
            assert_eq!(bound(html, Attributes::All), want, "{html}");
        }
    }

    #[test]
    fn unread_attributes_are_left_out_unless_all_are_kept() {
        let cases = [
            (
                r#"<div class="a b" data-x='{"k": ">"}' id=main><img src=x.jpg srcset="a 1x, b 2x"/>t</div>"#,
                r#"<div class="a b" id=main><img/>t</div>"#,
            ),
            (
                r#"<a HREF="/x" Rel=author onclick=go()>n</a><link rel=canonical href="/c">"#,
                r#"<a Rel=author>n</a><link rel=canonical href="/c">"#,
            ),
            (
                r#"<p style="color: red">a</p><p style="DISPLAY: none">b</p><p style="&#100;isplay:none">c</p>"#,
                r#"<p>a</p><p style="DISPLAY: none">b</p><p style="&#100;isplay:none">c</p>"#,
            ),
            (
                r#"<meta property=og:title content="x > y"><html lang=ur dir=rtl><p hidden data-a>x</p>"#,
                r#"<meta property=og:title content="x > y"><html lang=ur><p hidden>x</p>"#,
            ),
            ("<p a b=1 c = '2'   d>x</p><br/ x>", "<p>x</p><br>"),
        ];
        for (html, want) in cases {
            assert_eq!(bound(html, Attributes::Read), want, "{html}");
            assert_eq!(bound(html, Attributes::All), html, "{html}");
        }
    }

    /// Issue 21: 100,000 nested `<div>`s took minutes to parse; nested inline tags and custom
    /// tags nested in branches too.
    #[test]
    fn deep_nesting_is_cut_at_the_cap_keeping_the_text() {
        let text = "The army will strike deep inside enemy territory.";
        let branch = format!("{}<div><p>{text}</p></div>{}", "<x-a>".repeat(2000), "</x-a>".repeat(2000));
        let cases = [
            format!("<html><body>{}{text}</body></html>", "<div>".repeat(5000)),
            format!("<html><body><div>{}{text}</div></body></html>", "<span>x ".repeat(5000)),
            format!("<html><body><div id=r>{}</div></body></html>", branch.repeat(4)),
            format!("<html><body>{}{text}{}</body></html>", "<B>".repeat(3000), "</b>".repeat(3000)),
        ];
        for html in cases {
            let doc =
                parse_document(&html, Attributes::Read, Instant::now() + std::time::Duration::from_hours(1))
                    .expect("parsed");
            assert!(depth(&doc) <= MAX_DEPTH + 4, "depth {}", depth(&doc));
            assert!(doc.root_element().text().collect::<String>().contains(text));
        }
    }

    /// Issue 21: a 9 MB page of `<i></i>` built a tree of 360 MB.
    #[test]
    fn elements_past_the_cap_are_dropped() {
        let html = format!("<body>{}<p>end</p></body>", "<i>a</i>".repeat(MAX_ELEMENTS * 2));
        let doc = Html::parse_document(&bound(&html, Attributes::Read));
        assert!(doc.tree.nodes().filter(|n| n.value().is_element()).count() <= MAX_ELEMENTS + 3);
        assert!(doc.root_element().text().collect::<String>().ends_with("aaend"));
    }

    #[test]
    fn a_passed_deadline_stops_the_parse() {
        assert_eq!(parse_document("<p>x</p>", Attributes::Read, Instant::now()).map(|_| ()), Err(Overrun));
    }
}
