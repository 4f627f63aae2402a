//! DOM → plain text: paragraphs from block elements, whitespace collapsed, non-content skipped.

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Node};

/// Elements whose content is never article text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "footer", "button", "select", "iframe", "svg",
    "figure", "object", "embed", "canvas", "video", "audio", "head", "header",
];

/// Elements that start and end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "br",
    "hr",
    "address",
    "figcaption",
    "details",
    "summary",
    "body",
];

pub(super) fn is_skipped(name: &str) -> bool {
    SKIPPED.contains(&name)
}

pub(super) fn is_block(name: &str) -> bool {
    BLOCKS.contains(&name)
}

/// Accumulates text into paragraphs.
#[derive(Default)]
struct Paragraphs {
    done: Vec<String>,
    current: String,
}

impl Paragraphs {
    fn push(&mut self, text: &str) {
        self.current.push_str(text);
    }

    fn flush(&mut self) {
        let para = self.current.split_whitespace().collect::<Vec<_>>().join(" ");
        if !para.is_empty() {
            self.done.push(para);
        }
        self.current.clear();
    }

    fn finish(mut self) -> String {
        self.flush();
        self.done.join("\n\n")
    }
}

/// What a depth-first walk does at each node: [`Visitor::enter`] says whether to go below it
/// (a node not entered is not left either).
pub(super) trait Visitor<'a> {
    fn enter(&mut self, node: NodeRef<'a, Node>) -> bool;
    fn leave(&mut self, node: NodeRef<'a, Node>);
}

/// Walks `root` and everything below it in document order, skipping the subtrees of nodes that
/// `visitor` does not enter.
pub(super) fn visit<'a>(root: NodeRef<'a, Node>, visitor: &mut impl Visitor<'a>) {
    let mut skipping: Option<NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => {
                if !visitor.enter(node) {
                    skipping = Some(node.id());
                }
            }
            Edge::Open(_) => {}
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            Edge::Close(node) => {
                if skipping.is_none() {
                    visitor.leave(node);
                }
            }
        }
    }
}

/// Collects the text of an element, paragraph by paragraph.
struct TextOf<'s> {
    root: NodeId,
    skip: &'s dyn Fn(ElementRef<'_>) -> bool,
    out: Paragraphs,
}

impl<'a> Visitor<'a> for TextOf<'_> {
    fn enter(&mut self, node: NodeRef<'a, Node>) -> bool {
        match node.value() {
            Node::Text(t) => self.out.push(t),
            Node::Element(e) => {
                let el = ElementRef::wrap(node).expect("element node");
                if node.id() != self.root && (is_skipped(e.name()) || is_hidden(e) || (self.skip)(el)) {
                    return false;
                }
                if is_block(e.name()) {
                    self.out.flush();
                }
            }
            _ => {}
        }
        true
    }

    fn leave(&mut self, node: NodeRef<'a, Node>) {
        if let Node::Element(e) = node.value()
            && is_block(e.name())
        {
            self.out.flush();
        }
    }
}

/// The text of `root`, paragraph by paragraph, leaving out [`SKIPPED`] elements and any element
/// for which `skip` answers true (with their subtrees).
pub(super) fn element_text(root: ElementRef<'_>, skip: &dyn Fn(ElementRef<'_>) -> bool) -> String {
    let mut text = TextOf { root: root.id(), skip, out: Paragraphs::default() };
    visit(*root, &mut text);
    text.out.finish()
}

/// Elements a reader never sees.
pub(super) fn is_hidden(e: &scraper::node::Element) -> bool {
    e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true") || e.attr("style").is_some_and(hides)
}

/// Whether a `style` attribute hides its element.
pub(super) fn hides(style: &str) -> bool {
    let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    style.contains("display:none") || style.contains("visibility:hidden")
}

/// Plain text of an HTML fragment (a feed's `content:encoded` or summary).
#[must_use]
pub fn html_to_text(fragment: &str) -> String {
    if !fragment.contains('<') && !fragment.contains('&') {
        return fragment.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let doc = super::bound::parse_fragment(fragment);
    element_text(doc.root_element(), &|_| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_to_text() {
        let cases = [
            ("plain   text\n here", "plain text here"),
            ("<p>One <b>bold</b> line.</p><p>Two</p>", "One bold line.\n\nTwo"),
            ("a<br>b", "a\n\nb"),
            ("<p>x<script>alert(1)</script>y</p>", "xy"),
            ("<div>keep<span hidden>gone</span></div>", "keep"),
            ("<div style=\"display: none\">gone</div>ok", "ok"),
            ("Tom &amp; Jerry", "Tom & Jerry"),
            ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ];
        for (input, want) in cases {
            assert_eq!(html_to_text(input), want, "{input}");
        }
    }
}
