//! From matches to events: the frames an article is in (a match report, a film review, a market
//! story), the ladder level of each match (threat < mobilisation < attack, raised for events
//! between states and for official sources), and the verdict: whether the article alerts, at
//! which severity, on which event, or why not.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

use super::context::KindSet;
use super::explain::{Occurrence, Place, snippet};
use super::rules::{Actor, ActorKind, Events, Frame, FrameScope, Rules, Rung};
use super::scorer::ScoreError;
use super::text::normalize;
use crate::lang::fold_script;
use crate::types::Severity;

/// Words and phrases found in an article's raw text in one pass, ASCII case ignored, whole words
/// only, each with what it stands for: the cues of article frames, the names of actors. Raw text
/// is searched so that an article's sentences need not all be normalised.
#[derive(Debug, Clone)]
struct RawWords<T> {
    /// `None` when there is nothing to find.
    automaton: Option<AhoCorasick>,
    /// What each pattern stands for.
    owners: Vec<T>,
}

impl<T> RawWords<T> {
    fn new(words: impl IntoIterator<Item = (String, T)>) -> Result<Self, ScoreError> {
        let (patterns, owners): (Vec<String>, Vec<T>) =
            words.into_iter().map(|(w, t)| (normalize(&w), t)).filter(|(w, _)| !w.is_empty()).unzip();
        if patterns.is_empty() {
            return Ok(Self { automaton: None, owners });
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            // An article's opening only is searched (SCAN_BYTES): the small contiguous NFA is
            // fast enough there, where a DFA of a thousand case-folded names takes megabytes.
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .map_err(ScoreError::Build)?;
        Ok(Self { automaton: Some(automaton), owners })
    }

    /// Calls `found` with what each whole-word hit in `title` and `body` stands for.
    fn each(&self, title: &str, body: &str, mut found: impl FnMut(&T)) {
        let Some(ac) = &self.automaton else { return };
        for text in [title, body] {
            for m in ac.find_iter(text) {
                if is_word(text, m.start(), m.end()) {
                    found(&self.owners[m.pattern().as_usize()]);
                }
            }
        }
    }
}

/// Bytes of an article's body searched for its frames and parties: a story names its setting
/// and its parties in its first paragraphs (4 KiB is some 650 words).
pub(super) const SCAN_BYTES: usize = 4 * 1024;

/// What a word found in an article's raw text stands for.
#[derive(Debug, Clone, Copy)]
enum Word {
    /// Cue `.1` of article frame `.0` (an index into the rules' frames).
    Cue(usize, usize),
    /// A name of a conflict party of this kind.
    Party(ActorKind),
}

/// What one pass over an article's raw text found: the frames it is in and the kinds of conflict
/// party it names anywhere (a party named elsewhere in the story is still in reach, if less so
/// than in the same sentence).
#[derive(Debug, Default)]
pub(super) struct ArticleScan {
    pub(super) frames: Vec<usize>,
    pub(super) parties: KindSet,
}

/// The article frames' cues and the conflict parties' names, searched together.
#[derive(Debug, Clone)]
pub(super) struct ArticleWords(RawWords<Word>);

impl ArticleWords {
    pub(super) fn new(frames: &[Frame], actors: &[Actor]) -> Result<Self, ScoreError> {
        let cues = frames.iter().enumerate().filter(|(_, f)| f.scope == FrameScope::Article).flat_map(
            |(f, frame)| frame.cues.iter().enumerate().map(move |(c, cue)| (cue.clone(), Word::Cue(f, c))),
        );
        let names = actors.iter().filter(|a| a.kind.is_conflict_party()).flat_map(|a| {
            std::iter::once(&a.name).chain(&a.aliases).map(|n| (n.clone(), Word::Party(a.kind)))
        });
        RawWords::new(cues.chain(names)).map(Self)
    }

    /// The frames `title` and `body` are in (those with at least `min_cues` distinct cues) and
    /// the parties they name, read in the title and the first [`SCAN_BYTES`] of the body: an
    /// article shows its frame and its parties in its opening, and the cost per article stays
    /// flat however long a page is.
    pub(super) fn scan(&self, frames: &[Frame], title: &str, body: &str) -> ArticleScan {
        let mut end = body.len().min(SCAN_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let body = &body[..end];
        // The cues are folded (Urdu زلزلہ is searched as زلزله, Arabic الإنقاذ as الانقاذ): text
        // with letters that fold is folded too, which only text in those scripts pays for.
        let folded;
        let (title, body) = if needs_folding(title) || needs_folding(body) {
            folded = (normalize(title), normalize(body));
            (folded.0.as_str(), folded.1.as_str())
        } else {
            (title, body)
        };
        let mut seen: Vec<Vec<bool>> = frames.iter().map(|f| vec![false; f.cues.len()]).collect();
        let mut parties = KindSet::default();
        self.0.each(title, body, |word| match *word {
            Word::Cue(f, c) => seen[f][c] = true,
            Word::Party(kind) => parties = parties.with(kind),
        });
        let frames = (0..frames.len())
            .filter(|&f| frames[f].scope == FrameScope::Article)
            .filter(|&f| seen[f].iter().filter(|s| **s).count() >= frames[f].min_cues.max(1))
            .collect();
        ArticleScan { frames, parties }
    }
}

/// Whether normalising `text` may change a letter beyond ASCII case (see [`fold_script`]).
fn needs_folding(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(|c| fold_script(c) != Some(c))
}

/// Whether `text[start..end]` stands as whole words.
fn is_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// The years (1900–2099, as a 4-digit number standing alone) that `text` names, in order.
pub(super) fn years(text: &str) -> impl Iterator<Item = i32> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let start = i;
            i += run.max(1);
            if run == 4 {
                let y: i32 = text[start..start + 4].parse().unwrap_or(0);
                if (1900..2100).contains(&y) {
                    return Some(y);
                }
            }
        }
        None
    })
}

/// The year an article is read as of, when its date is not given: the latest year it names up
/// to `now` (news names its own year more than any other), else `now`.
pub(super) fn reference_year(title: &str, body: &str, now: i32) -> i32 {
    years(title).chain(years(body)).filter(|y| *y <= now).max().unwrap_or(now)
}

/// Whether `year` lies two or more years before `reference`: "in 2015", "the 1971 war".
pub(super) fn is_past(year: i32, reference: i32) -> bool {
    year <= reference - 2
}

/// How one match stands on the ladder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Level {
    pub(super) rung: Option<Rung>,
    /// Its parties are of two states, or a cross-border cue is in its sentence.
    pub(super) interstate: bool,
    /// A threat or mobilisation by a state's official or forces.
    pub(super) official: bool,
}

impl Level {
    /// The level on the ladder: the rung's, plus the bonuses that apply.
    pub(super) fn value(self, events: &Events) -> u8 {
        let Some(rung) = self.rung else { return 0 };
        rung.level()
            + if self.interstate { events.interstate_bonus } else { 0 }
            + if self.official { events.official_bonus } else { 0 }
    }

    /// Why the level is what it is, in words: `threat 1`, `interstate +2`, `official source +1`.
    fn why(self, events: &Events) -> Vec<String> {
        let Some(rung) = self.rung else { return Vec::new() };
        let mut why = vec![format!("{} {}", rung.as_str(), rung.level())];
        if self.interstate {
            why.push(format!("between states +{}", events.interstate_bonus));
        }
        if self.official {
            why.push(format!("official source +{}", events.official_bonus));
        }
        why
    }
}

/// The ladder level of a match of `rung` whose sentence names actors `source` and `target`
/// (indices into `rules.actors`) among actors of the kinds `kinds`; `cross_border` says whether
/// a cross-border cue is there too. A threat or mobilisation is official when the sentence names
/// an official or a state's forces: the speaker of a threat often comes last ("…, warns the
/// defence minister").
pub(super) fn level_of(
    rules: &Rules,
    rung: Option<Rung>,
    (source, target): (Option<usize>, Option<usize>),
    kinds: KindSet,
    cross_border: bool,
) -> Level {
    let country = |i: Option<usize>| i.and_then(|i| rules.actors[i].country.as_deref());
    let interstate =
        cross_border || matches!((country(source), country(target)), (Some(a), Some(b)) if a != b);
    let official =
        matches!(rung, Some(Rung::Threat | Rung::Mobilisation)) && kinds.any(ActorKind::is_official);
    Level { rung, interstate, official }
}

/// The frame of a match in an article framed by `article_frames`, if one applies: the first
/// whose `unless` kinds are not in the match's sentence.
pub(super) fn article_frame(frames: &[Frame], article_frames: &[usize], kinds: KindSet) -> Option<usize> {
    article_frames.iter().copied().find(|&f| !frames[f].unless.iter().any(|k| kinds.contains(*k)))
}

/// The event an alert is raised by: who did what to whom, where, and why at its level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The term that matched.
    pub act: String,
    pub rung: Rung,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Its level on the ladder, and the steps that make it.
    pub level: u8,
    pub why: Vec<String>,
    pub place: Place,
    pub sentence: String,
}

/// The severity of a ladder level.
pub(super) fn severity_of(level: u8, events: &Events) -> Severity {
    if level >= events.high_level {
        Severity::High
    } else if level >= events.medium_level {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// The strongest event among the matches that counted: highest level, then highest
/// contribution. `contributions` holds each occurrence's contribution by index.
pub(super) fn main_event(
    rules: &Rules,
    occurrences: &[Occurrence<'_>],
    contributions: &[f64],
) -> Option<Event> {
    let best = occurrences
        .iter()
        .enumerate()
        .filter(|(i, o)| o.event && contributions[*i] > 0.0 && o.level.rung.is_some())
        .max_by(|(i, a), (j, b)| {
            a.level
                .value(&rules.events)
                .cmp(&b.level.value(&rules.events))
                .then(contributions[*i].total_cmp(&contributions[*j]))
        })
        .map(|(_, o)| o)?;
    let name = |i: Option<usize>| i.map(|i| rules.actors[i].name.clone());
    Some(Event {
        source: name(best.source),
        act: rules.terms[best.term].label.clone(),
        rung: best.level.rung?,
        target: name(best.target),
        level: best.level.value(&rules.events),
        why: best.level.why(&rules.events),
        place: best.place,
        sentence: snippet(best.sentence),
    })
}

/// Why an article with these occurrences did not alert, in a few words.
pub(super) fn reason(rules: &Rules, occurrences: &[Occurrence<'_>], score: f64, frames: &[usize]) -> String {
    let escalation: Vec<&Occurrence<'_>> =
        occurrences.iter().filter(|o| o.level.rung.is_some() || rules.terms[o.term].weight > 0.0).collect();
    if escalation.is_empty() {
        return "no escalation term matched".into();
    }
    if let Some(&f) = frames.first()
        && escalation.iter().all(|o| o.frame.is_some())
    {
        return format!("suppressed: {} frame", rules.frames[f].name);
    }
    if score >= rules.severity.threshold {
        let first_frame = escalation.iter().find_map(|o| o.frame).map(|f| rules.frames[f].name.as_str());
        return match first_frame {
            Some(frame) => {
                format!("suppressed: {frame} frame; the other violent words are negated, alleged or past")
            }
            None => "every violent word is negated, alleged, past or background".into(),
        };
    }
    if escalation.iter().all(|o| !o.event) {
        if let Some(f) = escalation.iter().find_map(|o| o.frame) {
            return format!("suppressed: {} frame", rules.frames[f].name);
        }
        if escalation.iter().all(|o| o.flags.no_actor) {
            return "no conflict party named near the violent words".into();
        }
        if escalation.iter().all(|o| o.flags.past || o.flags.background) {
            return "past or background events only".into();
        }
    }
    format!("score {score:.2} below the threshold {}", rules.severity.threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_stand_alone_and_date_an_article() {
        let found = |text: &str| years(text).collect::<Vec<_>>();
        assert_eq!(found("the 1971 war, then 2015 and 2026"), [1971, 2015, 2026]);
        assert!(found("killed 20150 people; 1800 revolt; 12 soldiers").is_empty());
        let cases = [
            ("", "Sentenced for the 2015 bombing.", 2026, 2015),
            ("", "On 3 Jan 1990 guerrillas, active since 1980, attacked.", 2026, 1990),
            ("Talks in 2026", "after the 1971 war", 2026, 2026),
            ("", "no year here", 2026, 2026),
            ("", "plans for 2030", 2026, 2026),
        ];
        for (title, body, now, want) in cases {
            assert_eq!(reference_year(title, body, now), want, "{body}");
        }
        assert!(is_past(1980, 1990) && is_past(2015, 2026) && !is_past(2025, 2026));
    }

    #[test]
    fn severity_follows_the_ladder() {
        let events = Events::default();
        let level =
            |rung, interstate, official| Level { rung: Some(rung), interstate, official }.value(&events);
        let cases = [
            (level(Rung::Threat, false, false), Severity::Low),
            (level(Rung::Threat, true, true), Severity::High),
            (level(Rung::Mobilisation, false, true), Severity::Medium),
            (level(Rung::Mobilisation, true, false), Severity::High),
            (level(Rung::Attack, false, false), Severity::Medium),
            (level(Rung::Clash, true, false), Severity::High),
        ];
        for (level, want) in cases {
            assert_eq!(severity_of(level, &events), want, "level {level}");
        }
        assert_eq!(Level::default().value(&events), 0, "no rung, no level");
    }

    #[test]
    fn article_frames_need_distinct_cues_as_whole_words() {
        let frames = vec![Frame {
            name: "sport".into(),
            cues: vec!["wicket".into(), "innings".into(), "bowler".into()],
            scope: FrameScope::Article,
            min_cues: 2,
            factor: 0.0,
            unless: Vec::new(),
        }];
        let words = ArticleWords::new(&frames, &[]).expect("frames");
        assert_eq!(words.scan(&frames, "Late wicket", "A long INNINGS ended.").frames, [0]);
        assert!(words.scan(&frames, "Wicket", "wicket after wicket").frames.is_empty(), "one cue, repeated");
        assert!(
            words.scan(&frames, "", "wickets and bowlers, inningses").frames.is_empty(),
            "not whole words"
        );
    }
}
