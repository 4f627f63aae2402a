//! The generic extractor: readability-style scoring of the containers that hold paragraphs.
//!
//! One walk over the tree measures every element (visible text, link text, commas, and the
//! paragraphs, images, list items and form inputs below it) and collects the paragraphs: runs of
//! inline text of 25 characters or more, whether inside `<p>` or loose in a `<div>` between
//! `<br>`s. Each paragraph scores by its length and commas; the block holding it gets the score,
//! the next ancestor half, the ones above a third of their level. Class and id names vote
//! ("story", "content" up; "sidebar", "related" down) and link-heavy containers lose.
//! The best container, with the siblings that look like more of it, is the article; inside it,
//! blocks that look like widgets (link lists, image strips, forms, share bars) are dropped, and
//! then short boilerplate lines (share prompts, "read more", credits) are.
//!
//! Scoring runs strict first: containers whose names say navigation, sidebar or comments are
//! ignored. A page whose whole layout carries such a name (`<div class="has-sidebar">`) then
//! yields too little text, and the scoring runs again with fewer rules, as readability does.

mod names;
mod walk;

use std::collections::HashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html};

use super::boilerplate;
use super::text::{element_text, is_block};
use names::{FURNITURE, base_score, class_weight, has_any, is_unlikely, names};
use walk::{Measured, Stats, measure};

/// A result shorter than this makes the scoring run again with fewer rules.
const RETRY_BELOW_CHARS: usize = 500;

/// Which of readability's rules a scoring pass applies.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// Ignore paragraphs inside containers named like navigation or sidebars.
    strip_unlikely: bool,
    /// Let class and id names raise and lower scores.
    weigh_classes: bool,
    /// Drop widget-like blocks inside the article.
    clean_conditionally: bool,
}

const PASSES: [Rules; 4] = [
    Rules { strip_unlikely: true, weigh_classes: true, clean_conditionally: true },
    Rules { strip_unlikely: false, weigh_classes: true, clean_conditionally: true },
    Rules { strip_unlikely: false, weigh_classes: false, clean_conditionally: true },
    Rules { strip_unlikely: false, weigh_classes: false, clean_conditionally: false },
];

fn element(doc: &Html, id: NodeId) -> Option<ElementRef<'_>> {
    doc.tree.get(id).and_then(ElementRef::wrap)
}

/// Whether an element is the document's `<html>` or `<body>`.
fn is_page(el: ElementRef<'_>) -> bool {
    matches!(el.value().name(), "html" | "body")
}

impl Measured {
    fn stats(&self, id: NodeId) -> Stats {
        self.stats.get(&id).copied().unwrap_or_default()
    }

    /// Scores every container under `rules`.
    fn score(&self, doc: &Html, rules: Rules) -> HashMap<NodeId, f64> {
        let mut scores: HashMap<NodeId, f64> = HashMap::new();
        for p in &self.paragraphs {
            if rules.strip_unlikely && p.unlikely {
                continue;
            }
            let Some(el) = element(doc, p.id) else { continue };
            let first = if p.container { Some(el) } else { el.parent().and_then(ElementRef::wrap) };
            let Some(first) = first else { continue };
            let chain = std::iter::once(first).chain(first.ancestors().filter_map(ElementRef::wrap));
            for (level, ancestor) in chain.take(5).enumerate() {
                if ancestor.value().name() == "html" {
                    break;
                }
                let divider = match level {
                    0 => 1.0,
                    1 => 2.0,
                    n => 3.0 * f64::from(u8::try_from(n).unwrap_or(u8::MAX)),
                };
                *scores.entry(ancestor.id()).or_insert_with(|| base_score(ancestor.value(), rules)) +=
                    p.points / divider;
            }
        }
        for (id, score) in &mut scores {
            *score *= 1.0 - self.stats(*id).link_density();
        }
        scores
    }

    /// The best container under `rules`, moved up to the ancestor holding the whole story.
    fn top<'a>(doc: &'a Html, scores: &HashMap<NodeId, f64>) -> Option<(ElementRef<'a>, f64)> {
        let mut ranked: Vec<(NodeId, f64)> = scores.iter().map(|(id, s)| (*id, *s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let &(top_id, top_score) = ranked.first()?;
        let mut top = element(doc, top_id)?;

        // Several near-best containers under one ancestor: the story is split; take the ancestor.
        let near: Vec<ElementRef<'a>> = ranked[1..ranked.len().min(5)]
            .iter()
            .filter(|(_, s)| *s >= top_score * 0.75)
            .filter_map(|(id, _)| element(doc, *id))
            .collect();
        if near.len() >= 3 {
            // How many of them each ancestor holds, counted in one walk up from each: comparing
            // ancestor chains pairwise was depth × depth.
            let mut holding: HashMap<NodeId, usize> = HashMap::new();
            for n in &near {
                for a in n.ancestors() {
                    *holding.entry(a.id()).or_default() += 1;
                }
            }
            for ancestor in top.ancestors().filter_map(ElementRef::wrap) {
                if is_page(ancestor) {
                    break;
                }
                if holding.get(&ancestor.id()).is_some_and(|&n| n >= 3) {
                    top = ancestor;
                    break;
                }
            }
        }

        // A parent scoring higher than the best is more of the story.
        let mut last = scores.get(&top.id()).copied().unwrap_or(top_score);
        let threshold = last / 3.0;
        let mut parent = top.parent().and_then(ElementRef::wrap);
        while let Some(p) = parent {
            if is_page(p) {
                break;
            }
            let Some(&score) = scores.get(&p.id()) else {
                parent = p.parent().and_then(ElementRef::wrap);
                continue;
            };
            if score < threshold {
                break;
            }
            if score > last {
                top = p;
                break;
            }
            last = score;
            parent = p.parent().and_then(ElementRef::wrap);
        }

        // An only child says nothing its parent does not.
        while let Some(p) = top.parent().and_then(ElementRef::wrap) {
            if is_page(p) || p.children().filter_map(ElementRef::wrap).count() != 1 {
                break;
            }
            top = p;
        }
        let score = scores.get(&top.id()).copied().unwrap_or(top_score);
        Some((top, score))
    }

    /// The best container and the siblings that look like more of it.
    fn article<'a>(&self, doc: &'a Html, rules: Rules) -> Vec<ElementRef<'a>> {
        let scores = self.score(doc, rules);
        let Some((top, top_score)) = Self::top(doc, &scores) else { return Vec::new() };
        let Some(parent) = top.parent().and_then(ElementRef::wrap) else { return vec![top] };
        let threshold = (top_score * 0.2).max(10.0);
        let top_class = top.value().attr("class").unwrap_or_default();
        parent
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|sib| {
                if sib.id() == top.id() {
                    return true;
                }
                let bonus = if !top_class.is_empty() && sib.value().attr("class") == Some(top_class) {
                    top_score * 0.2
                } else {
                    0.0
                };
                if scores.get(&sib.id()).is_some_and(|s| s + bonus >= threshold) {
                    return true;
                }
                sib.value().name() == "p" && self.is_loose_paragraph(*sib)
            })
            .collect()
    }

    /// A sibling paragraph of the best container that reads like more of the story: long and
    /// with few links, or short, without links and ending a sentence (`.`, Urdu `۔`, Hindi `।`).
    fn is_loose_paragraph(&self, el: ElementRef<'_>) -> bool {
        let stats = self.stats(el.id());
        let density = stats.link_density();
        stats.chars > 80 && density < 0.25
            || stats.chars > 0
                && density == 0.0
                && el.text().collect::<String>().trim_end().ends_with(['.', '\u{06d4}', '\u{0964}'])
    }

    /// Whether a block inside the article is a widget rather than story (readability's
    /// conditional cleaning).
    fn is_widget(&self, el: ElementRef<'_>, rules: Rules) -> bool {
        let e = el.value();
        let name = e.name();
        if rules.strip_unlikely && is_unlikely(e) {
            return true;
        }
        if name == "h1" || name == "figcaption" {
            return true;
        }
        let s = self.stats(el.id());
        // Captions, credits, bylines and share bars, whatever their tag.
        if s.chars < 300 && rules.weigh_classes && has_any(&names(e), FURNITURE) {
            return true;
        }
        // A block that is one link, or only links, points at other pages.
        if is_block(name) && s.chars > 0 && s.chars < 200 && s.link_density() > 0.9 {
            return true;
        }
        if !rules.clean_conditionally
            || !matches!(name, "div" | "section" | "ul" | "ol" | "table" | "form" | "fieldset" | "dl")
        {
            return false;
        }
        let weight = if rules.weigh_classes { class_weight(e) } else { 0.0 };
        if weight < 0.0 {
            return true;
        }
        if s.commas >= 10 {
            return false;
        }
        let is_list =
            matches!(name, "ul" | "ol") || s.chars > 0 && f64::from(s.list_chars) > 0.9 * f64::from(s.chars);
        let density = s.link_density();
        let images = f64::from(s.images);
        let paragraphs = f64::from(s.paragraphs);
        s.images > 1 && paragraphs / images < 0.5 && !s.has_figure
            || !is_list && s.list_items > s.paragraphs + 1
            || s.inputs > s.paragraphs / 3
            || !is_list && s.chars < 25 && (s.images == 0 || s.images > 2)
            || !is_list && weight < 25.0 && density > 0.2
            || weight >= 25.0 && density > 0.5
            || s.embeds == 1 && s.chars < 75
            || s.embeds > 1
    }

    /// The text of the article found under `rules`.
    fn text(&self, doc: &Html, rules: Rules, title: Option<&str>) -> String {
        let roots = self.article(doc, rules);
        let Some(&top) = roots.first() else { return String::new() };
        let skip = |el: ElementRef<'_>| self.is_widget(el, rules);
        let mut parts = Vec::new();
        for root in roots {
            // The root itself is not judged as a widget: it was chosen as story.
            let text =
                if root.id() == top.id() || !skip(root) { element_text(root, &skip) } else { String::new() };
            parts.extend(text.split("\n\n").map(str::to_string));
        }
        boilerplate::clean(parts, title).join("\n\n")
    }
}

/// The article text of `doc` by readability-style scoring; empty when nothing qualifies.
/// `title` is the page's title, left out when the body repeats it.
pub(super) fn extract(doc: &Html, title: Option<&str>) -> String {
    let measured = measure(doc);
    let mut best = String::new();
    for rules in PASSES {
        let text = measured.text(doc, rules, title);
        if text.chars().count() >= RETRY_BELOW_CHARS {
            return text;
        }
        // A laxer pass reads more of the page anyway; it must read much more to be preferred.
        if text.len() > best.len() * 3 / 2 {
            best = text;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn body_of(html: &str) -> String {
        extract(&Html::parse_document(html), None)
    }

    /// A short closing paragraph beside the story is kept when it ends a sentence in its own
    /// script: Urdu ends one with `۔`, not `.`.
    #[test]
    fn a_short_paragraph_ending_an_urdu_sentence_is_story() {
        let html = r#"<body dir="rtl"><div id="menu"><p>صفحہ اول، پاکستان، دنیا، کھیل، کاروبار</p></div>
            <div class="entry"><p>کراچی: سندھ حکومت نے شہر میں پانی کی فراہمی بہتر بنانے کے لیے منصوبے کا اعلان کیا ہے، جس پر کام اگلے ماہ شروع ہوگا۔</p>
            <p>صوبائی وزیر نے کہا کہ منصوبے کا ستر فیصد کام مکمل ہو چکا ہے، اور باقی کام کے لیے فنڈز جاری کر دیے گئے ہیں۔</p></div>
            <p>شہریوں نے اعلان کا خیرمقدم کیا۔</p></body>"#;
        let got = body_of(html);
        assert!(got.starts_with("کراچی"), "{got}");
        assert!(got.contains("شہریوں نے اعلان کا خیرمقدم کیا۔"), "{got}");
        assert!(!got.contains("صفحہ اول"), "{got}");
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
