//! The window of recent stories: an inverted index from title and entity terms to the stories
//! holding them, so an article is compared with the few stories it shares a distinctive word
//! with, whatever the number of stories. A second index, of full names, reaches further back:
//! a story whose last article left the window stays reachable until the archive's end through a
//! name so rare that few articles ever carried it (the victim of a shooting, named again at the
//! trial months later); stories older than that are evicted with their index entries. Pure: the
//! clock is each article's time.
//!
//! Across scripts the words differ, so an article that joins no story of its own script (Latin,
//! Arabic, Devanagari) may join a story written in others through what translation does not
//! change: the actors the scorer
//! named (by their canonical names, the same for "Pakistan" and "پاکستان") and the numbers of
//! its title and lede ("۱۲" and "12" alike). It needs both actors of a story, within a day of
//! its last article, and no disagreeing numbers ([`Clusterer::across_languages`]).

use std::collections::HashMap;

mod compare;

use super::anchors::Anchors;
use super::sparse::Sparse;
use super::text::script;
use super::text::{Doc, Term, TermMap};
use super::vocab::{Vocabulary, weigh};
use super::{Article, Placement, Settings, story_id};

/// Longest gap between an article and a story in other scripts it joins by actors and numbers.
const ACROSS_LANGUAGES: i64 = 86_400;

/// Longest time between two near-duplicate texts that makes one a copy of the other.
const COPY_WITHIN: i64 = 2 * 86_400;

/// A term indexes candidates only while it occurs in fewer than this share of articles (plus
/// a few): "shooting" or "Biden" would make every story a candidate and decide nothing.
const INDEX_MAX_SHARE: f32 = 0.05;

/// Body terms a story keeps: its most frequent. A story's body bag is most of its memory (a
/// wire story carried by many outlets gathers thousands of words seen once), and the words seen
/// once in one of its articles say little of what the story is about.
const BODY_TERMS: usize = 200;

/// Articles after which a story's cached norms are taken again with the IDF as it now is.
const REWEIGH_EVERY: f32 = 50.0;

/// A name carried by at most this many articles reaches stories older than the window.
const ARCHIVE_MAX_DF: f32 = 10.0;

/// The representations compared by cosine: title, body, entities.
const COMPARED: usize = 3;

/// One article of a story, as far as outlets are concerned.
#[derive(Debug, Clone)]
struct Member {
    /// The site that published it.
    outlet: String,
    /// When, in seconds of the clock: an outlet's second article on a story the same day is
    /// more likely another event.
    at: i64,
    /// Its body's simhash, to find copies of it.
    fingerprint: Option<u64>,
    /// A near-duplicate of an earlier article of the story from another site: not independent.
    copy: bool,
}

/// A story in the window.
#[derive(Debug, Clone)]
struct Story {
    id: String,
    /// Seconds of the clock.
    last_seen: i64,
    /// Summed term counts of its articles: title, body, entities.
    bags: [Sparse; COMPARED],
    /// How many of its articles carry each full name.
    name_docs: Sparse,
    /// How many of its articles carry each entity.
    entity_docs: Sparse,
    /// The lengths of its bags weighed with the IDF of `weighed_at` articles; `None` when
    /// stale. The weighed vectors themselves are not kept: each comparison weighs the terms the
    /// article shares with the story, which spares a second copy of every story's bags.
    norms: Option<[f32; COMPARED]>,
    weighed_at: f32,
    /// Title and body vectors of its latest article, as weighed when it arrived.
    latest: [Sparse; 2],
    members: Vec<Member>,
    /// The scripts its articles are written in.
    scripts: Vec<&'static str>,
    /// The actors the scorer named in its articles, and the numbers of their titles and ledes.
    anchors: Anchors,
    /// [`Story::footprint`] when it last changed.
    bytes: usize,
}

impl Story {
    fn outlets(&self) -> usize {
        let mut seen: Vec<&str> =
            self.members.iter().filter(|m| !m.copy).map(|m| m.outlet.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    /// About the bytes it holds, with its entries in the index and the bands: what
    /// `max_bytes` bounds. Measured against the resident size of replays it is within a few
    /// tenths: a term is 12 bytes in a bag and 8 in the index list it is on, with the
    /// allocator's overhead; a member is its outlet's name, its fingerprint's four bands and
    /// their lists.
    fn footprint(&self) -> usize {
        const FIXED: usize = 512;
        const TERM: usize = 16;
        const INDEXED: usize = 16;
        const MEMBER: usize = 280;
        let terms: usize = self.bags.iter().chain(&self.latest).map(Sparse::len).sum::<usize>()
            + self.name_docs.len()
            + self.entity_docs.len();
        let indexed = self.bags[0].len() + self.bags[2].len() + self.name_docs.len();
        let anchors =
            self.anchors.names.iter().map(|n| n.len() + 32).sum::<usize>() + 4 * self.anchors.numbers.len();
        FIXED + TERM * terms + INDEXED * indexed + MEMBER * self.members.len() + anchors
    }

    fn index_terms(&self) -> impl Iterator<Item = Term> + '_ {
        self.bags[0].terms().iter().chain(self.bags[2].terms()).copied()
    }
}

/// Online story clustering: each article joins a recent story or opens one.
#[derive(Debug, Clone)]
pub struct Clusterer {
    settings: Settings,
    vocab: Vocabulary,
    stories: HashMap<u64, Story>,
    /// Story id → slot in `stories`.
    slots: HashMap<String, u64>,
    /// Title and entity term → slots of the stories holding it.
    index: TermMap<Vec<u64>>,
    /// Full name → slots of the stories holding it.
    names: TermMap<Vec<u64>>,
    /// A band of a body's simhash → slots of the stories holding a body with it: a copy of a
    /// text is found whatever its words, even words too common for `index`.
    bands: HashMap<(u8, u64), Vec<u64>>,
    next_slot: u64,
    /// The stories' footprints summed.
    bytes: usize,
}

/// The bands of `print`: `max_hamming + 1` slices of its bits, so two prints within
/// `max_hamming` bits of each other share at least one band whole.
pub(super) fn bands(print: u64, max_hamming: u32) -> impl Iterator<Item = (u8, u64)> {
    let count = max_hamming.min(16) + 1;
    let width = 64 / count;
    (0..count).map(move |b| {
        let bits = if b + 1 == count { 64 - width * b } else { width };
        let value = if bits >= 64 { print } else { (print >> (width * b)) & ((1 << bits) - 1) };
        (u8::try_from(b).unwrap_or(u8::MAX), value)
    })
}

/// The article being placed.
struct Incoming<'a> {
    doc: Doc,
    /// Its title, body and entity bags weighed with the IDF as it arrived.
    vectors: [Sparse; COMPARED],
    /// The IDF of each term of `vectors`, in their order: a story's weight for a shared term is
    /// its count's part times this, with no lookup.
    idfs: [Vec<f32>; COMPARED],
    /// Its full names, in term order, and the IDF of each.
    names: Sparse,
    name_idfs: Vec<f32>,
    outlet: &'a str,
    now: i64,
    /// The script it is written in: two articles in one script are compared by their words.
    script: &'static str,
    anchors: Anchors,
}

impl Clusterer {
    #[must_use]
    pub fn new(settings: Settings) -> Self {
        let half_life = settings.idf_half_life.as_secs().try_into().unwrap_or(i64::MAX);
        Self {
            settings,
            vocab: Vocabulary::new(half_life),
            stories: HashMap::new(),
            slots: HashMap::new(),
            index: TermMap::default(),
            names: TermMap::default(),
            bands: HashMap::new(),
            next_slot: 0,
            bytes: 0,
        }
    }

    /// Stories in the window.
    #[must_use]
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// The window's estimated size in bytes (what `max_bytes` bounds).
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    /// Places `article` (its key names a new story): it joins a story of the window or opens one.
    pub(super) fn place(&mut self, article: &Article<'_>) -> Placement {
        let incoming = self.arrive(article);
        let candidates = self.candidates(&incoming.doc, incoming.now);
        let (slot, copy) = match self.copy_of(&incoming, &candidates) {
            Some((slot, other_site)) => (Some(slot), other_site),
            None => (self.best(&incoming, &candidates).or_else(|| self.across_languages(&incoming)), false),
        };
        let slot = slot.unwrap_or_else(|| self.open(story_id(article.key), incoming.now));
        self.join(slot, incoming, copy)
    }

    /// Puts a stored article back into its known story, as at start-up: no decision is taken.
    pub(super) fn restore(&mut self, story: &str, article: &Article<'_>, copy: bool) {
        let incoming = self.arrive(article);
        let now = incoming.now;
        let slot = match self.slots.get(story) {
            Some(slot) => *slot,
            None => self.open(story.to_string(), now),
        };
        self.join(slot, incoming, copy);
    }

    /// Counts the article in the document frequencies, weighs it, and moves the window to its
    /// time.
    fn arrive<'a>(&mut self, article: &Article<'a>) -> Incoming<'a> {
        let now = article.at.timestamp();
        let doc = Doc::new(article.title, article.body);
        let [_, _, entities, names] = self.vocab.observe(&doc, now);
        if entities < 1.0 || names < 1.0 {
            // The stories' document counts are in the tables' units, so that a name's share
            // of the articles carrying it stays a share.
            for story in self.stories.values_mut() {
                story.entity_docs.scale(entities);
                story.name_docs.scale(names);
            }
        }
        self.evict(now);
        let fields = &self.vocab.fields;
        let bags = doc.bags();
        let [(title, title_idfs), (body, body_idfs), (entities, entity_idfs), (names, name_idfs)] =
            [0, 1, 2, 3].map(|i| weigh(&Sparse::from_map(bags[i]), &fields[i]));
        let (vectors, idfs) = ([title, body, entities], [title_idfs, body_idfs, entity_idfs]);
        let script = script(&[article.title, article.body]);
        let anchors = Anchors::of(article);
        Incoming { doc, vectors, idfs, names, name_idfs, outlet: article.outlet, now, script, anchors }
    }

    fn open(&mut self, id: String, now: i64) -> u64 {
        let slot = self.next_slot;
        self.next_slot += 1;
        let story = Story {
            id: id.clone(),
            last_seen: now,
            bags: Default::default(),
            name_docs: Sparse::default(),
            entity_docs: Sparse::default(),
            norms: None,
            weighed_at: 0.0,
            latest: Default::default(),
            members: Vec::new(),
            scripts: Vec::new(),
            anchors: Anchors::default(),
            bytes: 0,
        };
        self.stories.insert(slot, story);
        self.slots.insert(id, slot);
        slot
    }

    fn join(&mut self, slot: u64, incoming: Incoming<'_>, copy: bool) -> Placement {
        let Incoming { doc, vectors: [title, body, _], outlet, now, script, anchors, .. } = incoming;
        let story = self.stories.get_mut(&slot).expect("a slot names a story in the window");
        let opened = story.members.is_empty();
        if !story.scripts.contains(&script) {
            story.scripts.push(script);
        }
        story.anchors.merge(&anchors);
        for (field, (into, bag)) in story.bags.iter_mut().zip(doc.bags()).enumerate() {
            into.add(bag, |term| {
                // Body words are compared, never looked up: only titles and entities are indexed.
                if field != 1 {
                    self.index.entry(term).or_default().push(slot);
                }
            });
        }
        story.name_docs.add(&once_each(&doc.names), |term| self.names.entry(term).or_default().push(slot));
        story.entity_docs.add(&once_each(&doc.entities), |_| ());
        // Trimmed when half as many again have gathered, so the sort is paid now and then.
        if story.bags[1].len() > BODY_TERMS + BODY_TERMS / 2 {
            story.bags[1].keep_largest(BODY_TERMS);
        }
        if let Some(print) = doc.fingerprint {
            for band in bands(print, self.settings.max_hamming) {
                let slots = self.bands.entry(band).or_default();
                if slots.last() != Some(&slot) {
                    slots.push(slot);
                }
            }
        }
        story.norms = None;
        story.latest = [title, body];
        story.last_seen = story.last_seen.max(now);
        story.members.push(Member {
            outlet: outlet.to_string(),
            at: now,
            fingerprint: doc.fingerprint,
            copy,
        });
        let bytes = story.footprint();
        self.bytes = self.bytes - story.bytes + bytes;
        story.bytes = bytes;
        Placement {
            story: story.id.clone(),
            opened,
            copy,
            articles: story.members.len(),
            outlets: story.outlets(),
        }
    }

    /// The most body terms any story of the window holds.
    #[cfg(test)]
    pub(super) fn most_body_terms(&self) -> usize {
        self.stories.values().map(|s| s.bags[1].len()).max().unwrap_or(0)
    }

    /// Drops the stories whose last article is older than the archive, and at `max_stories` or
    /// `max_bytes` the least recently seen, down to nine tenths of both (so the sort by age is
    /// paid once per tenth of the cap, not per article).
    fn evict(&mut self, now: i64) {
        let archive = seconds(self.settings.archive.max(self.settings.window));
        let old: Vec<u64> = self
            .stories
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.last_seen) > archive)
            .map(|(k, _)| *k)
            .collect();
        for slot in old {
            self.remove(slot);
        }
        // Room for the story the article may open, so the window never holds more than the cap.
        let (cap, budget) = (self.settings.max_stories, self.settings.max_bytes);
        if self.stories.len() >= cap || self.bytes > budget {
            let mut by_age: Vec<(i64, u64)> = self.stories.iter().map(|(k, s)| (s.last_seen, *k)).collect();
            by_age.sort_unstable();
            let (keep, keep_bytes) = ((cap - cap / 10).max(1), budget - budget / 10);
            for (_, slot) in by_age {
                if self.stories.len() < keep && self.bytes <= keep_bytes {
                    break;
                }
                self.remove(slot);
            }
        }
    }

    /// Takes a story out of the window with its index entries.
    fn remove(&mut self, slot: u64) {
        let story = self.stories.remove(&slot).expect("a slot names a story in the window");
        self.bytes -= story.bytes;
        for term in story.index_terms() {
            unlist(&mut self.index, term, slot);
        }
        for term in story.name_docs.terms() {
            unlist(&mut self.names, *term, slot);
        }
        for print in story.members.iter().filter_map(|m| m.fingerprint) {
            for band in bands(print, self.settings.max_hamming) {
                if let Some(slots) = self.bands.get_mut(&band) {
                    slots.retain(|s| *s != slot);
                    if slots.is_empty() {
                        self.bands.remove(&band);
                    }
                }
            }
        }
        self.slots.remove(&story.id);
    }

    /// Stories of the window sharing a distinctive title, entity or name term with `doc`, and
    /// older stories sharing a rare name with it, in slot order.
    fn candidates(&self, doc: &Doc, now: i64) -> Vec<u64> {
        let [title, _, entities, names] = &self.vocab.fields;
        let limit = INDEX_MAX_SHARE * title.docs() + 3.0;
        let window = seconds(self.settings.window);
        let recent = |slot: &&u64| now.saturating_sub(self.stories[*slot].last_seen) <= window;
        let mut out: Vec<u64> = doc
            .title
            .keys()
            .chain(doc.entities.keys())
            .filter(|t| title.df(**t) + entities.df(**t) < limit)
            .filter_map(|t| self.index.get(t))
            .flatten()
            .filter(recent)
            .copied()
            .collect();
        for (term, df) in doc.names.keys().map(|t| (t, names.df(*t))).filter(|(_, df)| *df < limit) {
            let slots = self.names.get(term).into_iter().flatten();
            out.extend(slots.filter(|slot| df <= ARCHIVE_MAX_DF || recent(slot)));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A candidate holding a near-duplicate of the article's body, and whether that duplicate
    /// is another site's (a wire copy) rather than the same site's text again.
    fn copy_of(&self, incoming: &Incoming<'_>, candidates: &[u64]) -> Option<(u64, bool)> {
        let print = incoming.doc.fingerprint?;
        let near = |m: &&Member| {
            (incoming.now - m.at).abs() <= COPY_WITHIN
                && m.fingerprint.is_some_and(|f| (f ^ print).count_ones() <= self.settings.max_hamming)
        };
        let mut slots: Vec<u64> = bands(print, self.settings.max_hamming)
            .filter_map(|band| self.bands.get(&band))
            .flatten()
            .chain(candidates)
            .copied()
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots.iter().find_map(|slot| {
            let mut twins = self.stories[slot].members.iter().filter(near).peekable();
            twins.peek()?;
            Some((*slot, twins.any(|m| m.outlet != incoming.outlet)))
        })
    }

    /// A story in other scripts only that the article joins by its anchors, if any: one that
    /// names both actors the article names (at least two), whose last article is within a day,
    /// and whose numbers do not disagree with the article's (when both have numbers, they share
    /// one); the one sharing most numbers, then most names, then the latest.
    fn across_languages(&self, incoming: &Incoming<'_>) -> Option<u64> {
        let mine = &incoming.anchors;
        if mine.names.len() < 2 {
            return None;
        }
        let mut best: Option<((usize, usize, i64), u64)> = None;
        for (slot, story) in &self.stories {
            if story.scripts.contains(&incoming.script)
                || (incoming.now - story.last_seen).abs() > ACROSS_LANGUAGES
            {
                continue;
            }
            let (names, numbers) = mine.shared(&story.anchors);
            let disagree = !mine.numbers.is_empty() && !story.anchors.numbers.is_empty() && numbers == 0;
            if names < 2 || disagree {
                continue;
            }
            let key = (numbers, names, story.last_seen);
            if best.is_none_or(|(k, s)| key > k || (key == k && *slot < s)) {
                best = Some((key, *slot));
            }
        }
        best.map(|(_, slot)| slot)
    }

    /// The candidate the article joins, if any: the best score above zero.
    fn best(&mut self, incoming: &Incoming<'_>, candidates: &[u64]) -> Option<u64> {
        let mut best: Option<(f32, u64)> = None;
        for slot in candidates {
            let score = self.features(*slot, incoming).score();
            if score > 0.0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, *slot));
            }
        }
        best.map(|(_, slot)| slot)
    }
}

/// Each term of `bag` once: what adds an article to a story's document counts.
fn once_each(bag: &TermMap<f32>) -> TermMap<f32> {
    bag.keys().map(|t| (*t, 1.0)).collect()
}

/// Takes `slot` off `term`'s list, and the list out of `index` once empty.
fn unlist(index: &mut TermMap<Vec<u64>>, term: Term, slot: u64) {
    if let Some(slots) = index.get_mut(&term) {
        slots.retain(|s| *s != slot);
        if slots.is_empty() {
            index.remove(&term);
        }
    }
}

fn seconds(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
