//! Whole-word search for many keys at once in raw text, ASCII letters compared without case: the
//! scorer's prefilter (pure).
//!
//! One DFA step waits on the one before, so a single scan runs at the latency of a table load per
//! byte. The text is cut into lanes stepped in turn within one loop: their loads overlap and the
//! core does several steps in the time of one.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, BuildError, MatchKind};

/// Lanes scanned together.
const LANES: usize = 4;

/// Below this many bytes a text is scanned in one lane.
const MIN_LANED: usize = 1024;

/// A compiled set of keys, each made of ASCII letters and digits.
#[derive(Debug, Clone)]
pub struct Keys {
    dfa: DFA,
    start: StateID,
}

impl Keys {
    /// Compiles `keys`.
    ///
    /// # Errors
    /// When the automaton cannot be built (far too many keys).
    pub fn new<I, P>(keys: I) -> Result<Self, BuildError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(keys)?;
        let start = dfa.start_state(Anchored::No).expect("an unanchored DFA has an unanchored start state");
        Ok(Self { dfa, start })
    }

    /// Start offsets of the keys found in `text` as whole words (not inside a longer run of ASCII
    /// letters and digits), in ascending order.
    #[must_use]
    pub fn find(&self, text: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        if text.len() < MIN_LANED {
            self.scan(text, 0, text.len(), &mut found);
            return found;
        }
        // Each lane starts early by the longest key, so a key across a cut is found whole.
        let warm = self.dfa.max_pattern_len();
        let chunk = text.len().div_ceil(LANES);
        let mut from = [0; LANES];
        let mut to = [0; LANES];
        for lane in 0..LANES {
            from[lane] = (lane * chunk).saturating_sub(warm);
            to[lane] = ((lane + 1) * chunk).min(text.len());
        }
        let steps = (0..LANES).map(|l| to[l] - from[l]).min().unwrap_or(0);
        let mut state = [self.start; LANES];
        for i in 0..steps {
            for lane in 0..LANES {
                let at = from[lane] + i;
                let sid = self.dfa.next_state(Anchored::No, state[lane], text[at]);
                state[lane] = sid;
                if self.dfa.is_special(sid) {
                    self.report(text, sid, at, &mut found);
                }
            }
        }
        for lane in 0..LANES {
            let mut sid = state[lane];
            for at in from[lane] + steps..to[lane] {
                sid = self.dfa.next_state(Anchored::No, sid, text[at]);
                if self.dfa.is_special(sid) {
                    self.report(text, sid, at, &mut found);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// One lane over `text[from..to]`.
    fn scan(&self, text: &[u8], from: usize, to: usize, found: &mut Vec<usize>) {
        let mut sid = self.start;
        for at in from..to {
            sid = self.dfa.next_state(Anchored::No, sid, text[at]);
            if self.dfa.is_special(sid) {
                self.report(text, sid, at, found);
            }
        }
    }

    /// Records the whole-word keys ending at byte `at`, the DFA being in state `sid`.
    #[cold]
    fn report(&self, text: &[u8], sid: StateID, at: usize, found: &mut Vec<usize>) {
        if !self.dfa.is_match(sid) {
            return;
        }
        let end = at + 1;
        if text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            return;
        }
        for i in 0..self.dfa.match_len(sid) {
            let start = end - self.dfa.pattern_len(self.dfa.match_pattern(sid, i));
            if start == 0 || !text[start - 1].is_ascii_alphanumeric() {
                found.push(start);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same search, the slow way.
    fn naive(keys: &[&str], text: &str) -> Vec<usize> {
        let lower = text.to_ascii_lowercase();
        let b = lower.as_bytes();
        let mut out = Vec::new();
        for k in keys {
            let k = k.to_ascii_lowercase();
            let mut from = 0;
            while let Some(p) = lower[from..].find(&k) {
                let (s, e) = (from + p, from + p + k.len());
                if (s == 0 || !b[s - 1].is_ascii_alphanumeric())
                    && !b.get(e).is_some_and(u8::is_ascii_alphanumeric)
                {
                    out.push(s);
                }
                from = s + 1;
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn finds_whole_words_only() {
        let keys = Keys::new(["war", "warplanes", "attack", "at", "planes"]).expect("builds");
        let cases: [(&str, &[usize]); 7] = [
            ("war", &[0]),
            ("warned", &[]),
            ("Warplanes attacked", &[0]),
            ("an ATTACK at dawn", &[3, 10]),
            ("that", &[]),
            ("war-planes", &[0, 4]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(keys.find(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn lanes_find_what_one_scan_finds() {
        let words = ["strike", "War", "attack", "at", "the", "warned", "strikes", "x", "attacker", "1999"];
        let keys_list = ["strike", "war", "attack", "at", "1999", "strikes"];
        let keys = Keys::new(keys_list).expect("builds");
        // Texts long enough for lanes, with keys across every cut.
        for seed in 0..50_usize {
            let mut text = String::new();
            let mut i = seed;
            while text.len() < MIN_LANED * 3 + seed * 7 {
                text.push_str(words[i % words.len()]);
                text.push(if i % 5 == 0 { '\n' } else { ' ' });
                i = (i * 31 + 7) % 1_000_003;
            }
            assert_eq!(keys.find(text.as_bytes()), naive(&keys_list, &text), "seed {seed}");
        }
    }
}
