//! One walk over the tree: measures every element (visible text, link text, commas, and the
//! paragraphs, images, list items and form inputs below it) and collects the paragraphs, runs of
//! inline text long enough to be prose, whether inside `<p>` or loose in a `<div>`.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use super::names::is_unlikely;
use crate::extract::text::{Visitor, is_block, is_hidden, is_skipped, visit};

/// Shorter runs of text are menus, captions and buttons.
const MIN_PARAGRAPH_CHARS: u32 = 25;

/// Tags whose text runs are paragraphs scored to their parent; other blocks (`div`, `section`)
/// holding loose text are paragraphs and containers at once.
const PARAGRAPH_TAGS: &[&str] =
    &["p", "pre", "blockquote", "li", "td", "dd", "dt", "h2", "h3", "h4", "h5", "h6"];

/// Tags that hold embedded players and widgets.
const EMBEDS: &[&str] = &["iframe", "embed", "object", "video", "audio"];

/// What the walk measured below one element (visible text only).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    pub(super) chars: u32,
    pub(super) link_chars: u32,
    pub(super) commas: u32,
    pub(super) paragraphs: u32,
    pub(super) images: u32,
    pub(super) list_items: u32,
    pub(super) inputs: u32,
    pub(super) embeds: u32,
    /// Characters of text inside list items.
    pub(super) list_chars: u32,
    pub(super) has_figure: bool,
}

impl Stats {
    fn add(&mut self, child: &Stats) {
        self.chars += child.chars;
        self.link_chars += child.link_chars;
        self.commas += child.commas;
        self.paragraphs += child.paragraphs;
        self.images += child.images;
        self.list_items += child.list_items;
        self.inputs += child.inputs;
        self.embeds += child.embeds;
        self.list_chars += child.list_chars;
        self.has_figure |= child.has_figure;
    }

    pub(super) fn link_density(&self) -> f64 {
        if self.chars == 0 { 0.0 } else { f64::from(self.link_chars) / f64::from(self.chars) }
    }
}

/// A block holding at least one run of paragraph text.
#[derive(Debug)]
pub(super) struct Paragraph {
    pub(super) id: NodeId,
    /// Scored from the block itself (a `div` with loose text) rather than from its parent.
    pub(super) container: bool,
    pub(super) points: f64,
    /// Inside a container named like navigation or a sidebar (or is one).
    pub(super) unlikely: bool,
}

/// One open element during the walk.
struct Frame {
    id: NodeId,
    stats: Stats,
    block: bool,
    unlikely: bool,
    in_list_item: bool,
    /// The current run of inline text (blocks only).
    run_chars: u32,
    run_commas: u32,
    /// Inline text of this block, for its link density.
    inline_chars: u32,
    inline_link_chars: u32,
    points: f64,
}

/// The measured page.
#[derive(Default)]
pub(super) struct Measured {
    pub(super) stats: HashMap<NodeId, Stats>,
    pub(super) paragraphs: Vec<Paragraph>,
}

/// Visible length of a text: its words and one space after each.
fn visible_len(text: &str) -> u32 {
    let len: usize = text.split_whitespace().map(|w| w.chars().count() + 1).sum();
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn commas(text: &str) -> u32 {
    let n = text.chars().filter(|c| matches!(c, ',' | '،' | '，' | '、')).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Frame {
    fn new(id: NodeId, block: bool, unlikely: bool, in_list_item: bool) -> Self {
        Self {
            id,
            stats: Stats::default(),
            block,
            unlikely,
            in_list_item,
            run_chars: 0,
            run_commas: 0,
            inline_chars: 0,
            inline_link_chars: 0,
            points: 0.0,
        }
    }

    /// Ends the current run of inline text, scoring it when it is long enough.
    fn end_run(&mut self) {
        if self.run_chars >= MIN_PARAGRAPH_CHARS {
            self.points += 1.0 + f64::from(self.run_commas) + (f64::from(self.run_chars) / 100.0).min(3.0);
        }
        self.run_chars = 0;
        self.run_commas = 0;
    }
}

/// The state of the measuring walk.
#[derive(Default)]
struct Walk {
    measured: Measured,
    stack: Vec<Frame>,
    /// Indexes in `stack` of the open blocks, innermost last: finding the block that owns a run
    /// of text must not walk the stack (100,000 nested inline tags made that quadratic).
    blocks: Vec<usize>,
    /// Inside `<a>` elements this deep.
    links: usize,
}

impl Walk {
    /// The innermost open block, which owns the inline text being read.
    fn holder(&mut self) -> Option<&mut Frame> {
        let &at = self.blocks.last()?;
        self.stack.get_mut(at)
    }

    /// Opens an element; false when its subtree is never visible text.
    fn open(&mut self, id: NodeId, e: &scraper::node::Element) -> bool {
        let name = e.name();
        if is_skipped(name) || is_hidden(e) {
            if let Some(top) = self.stack.last_mut() {
                top.stats.embeds += u32::from(EMBEDS.contains(&name));
                top.stats.has_figure |= name == "figure";
            }
            return false;
        }
        let block = is_block(name) || name == "form";
        if (block || name == "br")
            && let Some(holder) = self.holder()
        {
            // A block or a line break ends the run of text around it.
            holder.end_run();
        }
        let parent = self.stack.last();
        let unlikely = parent.is_some_and(|p| p.unlikely) || is_unlikely(e);
        let in_list_item = parent.is_some_and(|p| p.in_list_item) || name == "li";
        let mut frame = Frame::new(id, block, unlikely, in_list_item);
        match name {
            "p" => frame.stats.paragraphs = 1,
            "img" => frame.stats.images = 1,
            "li" => frame.stats.list_items = 1,
            "input" | "select" | "textarea" | "button" => frame.stats.inputs = 1,
            _ => {}
        }
        self.links += usize::from(name == "a");
        if block {
            self.blocks.push(self.stack.len());
        }
        self.stack.push(frame);
        true
    }

    fn text(&mut self, text: &str) {
        let len = visible_len(text);
        if len == 0 {
            return;
        }
        let n_commas = commas(text);
        let in_link = self.links > 0;
        let Some(top) = self.stack.last_mut() else { return };
        top.stats.chars += len;
        top.stats.commas += n_commas;
        if in_link {
            top.stats.link_chars += len;
        }
        if top.in_list_item {
            top.stats.list_chars += len;
        }
        if let Some(holder) = self.holder() {
            holder.run_chars += len;
            holder.run_commas += n_commas;
            holder.inline_chars += len;
            if in_link {
                holder.inline_link_chars += len;
            }
        }
    }

    fn close(&mut self, name: &str) {
        let Some(mut frame) = self.stack.pop() else { return };
        self.links -= usize::from(name == "a");
        if frame.block {
            self.blocks.pop();
            frame.end_run();
            let inline_links = f64::from(frame.inline_link_chars) / f64::from(frame.inline_chars.max(1));
            if frame.points > 0.0 && inline_links < 0.5 {
                self.measured.paragraphs.push(Paragraph {
                    id: frame.id,
                    container: !PARAGRAPH_TAGS.contains(&name),
                    points: frame.points,
                    unlikely: frame.unlikely,
                });
            }
            if let Some(holder) = self.holder() {
                holder.end_run();
            }
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.stats.add(&frame.stats);
        }
        self.measured.stats.insert(frame.id, frame.stats);
    }
}

/// Walks the document once, measuring every element and collecting the paragraphs.
pub(super) fn measure(doc: &Html) -> Measured {
    let mut walk = Walk::default();
    visit(doc.tree.root(), &mut walk);
    walk.measured
}

impl<'a> Visitor<'a> for Walk {
    fn enter(&mut self, node: NodeRef<'a, Node>) -> bool {
        match node.value() {
            Node::Element(e) => self.open(node.id(), e),
            Node::Text(t) => {
                self.text(t);
                true
            }
            _ => true,
        }
    }

    fn leave(&mut self, node: NodeRef<'a, Node>) {
        if let Node::Element(e) = node.value() {
            self.close(e.name());
        }
    }
}
