//! Text handling for scoring (pure): normalisation, sentence spans and word counting.
//!
//! Normalisation is NFKC, lowercase (full Unicode case mapping), typographic quotes and dashes
//! unified, script variants folded ([`fold_script`]: the Arabic and Persian/Urdu letter forms,
//! vowel marks, Devanagari nukta, non-Latin digits) and whitespace runs collapsed to one space.
//! ASCII text, the common case, takes a byte-level path that gives the same result without
//! touching the Unicode tables.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::lang::fold_script;

/// Normalises `text` into a new string.
#[must_use]
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Normalises `text` into `out` (cleared first), so a caller can reuse one buffer.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let text = text.trim();
    if text.is_ascii() {
        // Same result as the Unicode path: NFKC and lowercase are identities beyond A–Z here.
        let mut bytes = std::mem::take(out).into_bytes();
        let mut space = false;
        for &b in text.as_bytes() {
            // As `char::is_whitespace`, which the other paths use: vertical tab included.
            if b.is_ascii_whitespace() || b == 0x0b {
                space = true;
                continue;
            }
            if space {
                bytes.push(b' ');
                space = false;
            }
            bytes.push(if b == b'`' { b'\'' } else { b.to_ascii_lowercase() });
        }
        *out = String::from_utf8(bytes).unwrap_or_default();
        return;
    }
    if text.chars().all(|c| c.is_ascii() || typographic(c).is_some()) {
        // ASCII with typographic punctuation, as most English news is: NFKC leaves every one
        // of these characters alone or maps it to ASCII, so no Unicode tables are needed.
        let mut space = false;
        for c in text.chars() {
            let mapped = if c.is_ascii() { None } else { typographic(c) };
            let piece = mapped.unwrap_or(if c == '`' { "'" } else { "" });
            if c.is_whitespace() || piece == " " {
                space = true;
                continue;
            }
            if space {
                out.push(' ');
                space = false;
            }
            if piece.is_empty() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.push_str(piece);
            }
        }
        return;
    }
    normalize_unicode(text, out);
}

/// The general path of [`normalize_into`], for trimmed `text` and an empty `out`.
fn normalize_unicode(text: &str, out: &mut String) {
    let mut space = false;
    for c in text.nfkc() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c => match fold_script(c) {
                Some(c) => c,
                None => continue,
            },
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
}

/// What normalisation makes of a common typographic character: NFKC, then quotes and dashes
/// unified (a space stands for whitespace). `None` for any other character.
fn typographic(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => "'",
        '\u{201c}' | '\u{201d}' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '\u{a0}' | '\u{2002}'..='\u{200a}' | '\u{202f}' => " ",
        '\u{2026}' => "...",
        _ => return None,
    })
}

/// Titles and the like after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "brig", "sgt", "gov", "sen", "rep", "st",
    "prof", "no", "jr", "sr", "cpl", "pvt", "adm", "cdr", "insp", "supt", "vs", "mt",
];

/// Sentences of `text` as trimmed, non-empty slices. A sentence ends at a line break, at `.`,
/// `!` or `?` followed by a space and not by a lowercase letter (so "U.S. officials" stays whole,
/// and "Gen. Munir" too), and at the Urdu and Devanagari full stops.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let end = cut_at(bytes, i);
            i += 1;
            if let Some((cut, next)) = end {
                let sentence = text[start..cut].trim();
                start = next;
                i = next;
                if !sentence.is_empty() {
                    return Some(sentence);
                }
            }
        }
        if start < bytes.len() {
            let sentence = text[start..].trim();
            start = bytes.len();
            if !sentence.is_empty() {
                return Some(sentence);
            }
        }
        None
    })
}

/// The span of the sentence of `text` holding byte `at` (a char boundary), untrimmed: the same
/// sentence [`sentences`] yields, found by looking only around `at`, since where a sentence ends
/// depends only on the bytes near its terminator.
#[must_use]
pub fn sentence_around(text: &str, at: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    let mut i = at;
    while i < bytes.len() {
        if let Some((cut, _)) = cut_at(bytes, i) {
            end = cut;
            break;
        }
        i += 1;
    }
    let mut start = 0;
    let mut i = at;
    while i > 0 {
        i -= 1;
        // A terminator's cut lies after it (closing quotes); a multi-byte stop starts earlier.
        let lead = match bytes[i] {
            0x94 | 0x9F if i >= 1 => i - 1,
            0xA4 if i >= 2 => i - 2,
            _ => i,
        };
        if let Some((cut, next)) = cut_at(bytes, lead) {
            if cut > at {
                // `at` sits among the closing quotes of this sentence: it ends here.
                end = cut;
                continue;
            }
            start = next;
            break;
        }
    }
    (start, end)
}

/// Whether a sentence ends at byte `i`: where its text ends and where the next one starts.
fn cut_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    match bytes[i] {
        b'\n' | b'\r' => Some((i, i + 1)),
        b'.' | b'!' | b'?' => sentence_end(bytes, i).map(|end| (end, end)),
        // ۔ U+06D4, ؟ U+061F (two bytes); । U+0964 (three bytes).
        0xDB if bytes.get(i + 1) == Some(&0x94) => Some((i + 2, i + 2)),
        0xD8 if bytes.get(i + 1) == Some(&0x9F) => Some((i + 2, i + 2)),
        0xE0 if bytes.get(i + 1) == Some(&0xA5) && bytes.get(i + 2) == Some(&0xA4) => Some((i + 3, i + 3)),
        _ => None,
    }
}

/// Byte offsets of the characters of `text` whose normalised form holds a letter or digit and
/// is not ASCII: where a rule may match that a search of the raw ASCII text would not see.
/// Typographic quotes, dashes and spaces are not among them.
#[must_use]
pub fn unusual_chars(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if text.is_ascii() {
        return out;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Skip ASCII a word at a time.
        if bytes[i].is_ascii() {
            let run = bytes[i..].chunks(16).take_while(|c| c.is_ascii()).count() * 16;
            i += run.max(1);
            while i < bytes.len() && bytes[i].is_ascii() {
                i += 1;
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let plain = match c {
            // A format character that folding drops (a joiner, a direction mark) may join the
            // letters around it into a word the raw text does not hold.
            '\u{a0}' | '\u{ab}' | '\u{bb}' | '\u{ad}' | '\u{b7}' | '\u{2000}'..='\u{206f}' => {
                fold_script(c).is_some()
            }
            // A combining mark composes with the letter before it: "a" + U+0300 is "à".
            c => {
                !c.is_alphanumeric()
                    && !unicode_normalization::char::is_combining_mark(c)
                    && c.nfkc().all(|d| !d.is_alphanumeric())
            }
        };
        if !plain {
            out.push(i);
        }
        i += c.len_utf8();
    }
    out
}

/// Where the sentence ends when the terminator at `at` ends one.
fn sentence_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut next = at + 1;
    // Closing quotes and brackets belong to the sentence they close.
    while next < bytes.len() && matches!(bytes[next], b'"' | b'\'' | b')') {
        next += 1;
    }
    if next < bytes.len() && !bytes[next].is_ascii_whitespace() {
        return None;
    }
    let following = bytes[next..].iter().find(|b| !b.is_ascii_whitespace());
    if following.is_some_and(u8::is_ascii_lowercase) {
        return None;
    }
    if bytes[at] != b'.' {
        return Some(next);
    }
    let word_start = bytes[..at].iter().rposition(|b| !b.is_ascii_alphabetic()).map_or(0, |p| p + 1);
    let word = &bytes[word_start..at];
    // "U.S." and single initials: "S." ends no sentence unless a new one clearly starts.
    let initial = word.len() == 1 && word[0].is_ascii_uppercase();
    let abbreviation = ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a.as_bytes()));
    (!initial && !abbreviation).then_some(next)
}

/// Whether `c` can be part of a word.
#[must_use]
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_joiner(c)
}

/// Marks inside words of scripts such as Urdu and Hindi (combining marks, ZWNJ).
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}' | '\u{064b}'..='\u{065f}' | '\u{0670}' | '\u{0900}'..='\u{0903}' | '\u{093a}'..='\u{094f}')
}

/// Whether `text[start..end]` stands on word boundaries: a term never matches inside a word,
/// except after the letters Arabic joins to the front of a word (see [`after_proclitic`]).
#[must_use]
pub fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = text[start..end].chars().next();
    let last = text[start..end].chars().next_back();
    // A term that itself begins or ends with a non-word character needs no boundary there.
    let left_ok = !first.is_some_and(is_word_char)
        || !before.is_some_and(is_word_char)
        || after_proclitic(text, start, end);
    let right_ok = !last.is_some_and(is_word_char) || !after.is_some_and(is_word_char);
    left_ok && right_ok
}

/// The runs of letters Arabic writes joined to the next word (after folding): the conjunctions
/// و and ف, the prepositions ب, ل and ک, and the article ال, alone or together ("والهجوم" is
/// "and the attack", "للجيش" "for the army").
const PROCLITICS: &[&str] = &[
    "\u{0648}",
    "\u{0641}",
    "\u{0628}",
    "\u{0644}",
    "\u{06a9}",
    "\u{0627}\u{0644}",
    "\u{0644}\u{0644}",
    "\u{0648}\u{0627}\u{0644}",
    "\u{0641}\u{0627}\u{0644}",
    "\u{0628}\u{0627}\u{0644}",
    "\u{06a9}\u{0627}\u{0644}",
    "\u{0648}\u{0628}",
    "\u{0648}\u{0644}",
    "\u{0641}\u{0628}",
    "\u{0641}\u{0644}",
    "\u{0648}\u{0644}\u{0644}",
    "\u{0648}\u{0628}\u{0627}\u{0644}",
    "\u{0641}\u{0644}\u{0644}",
];

/// Whether the word holding `text[start..end]` begins with a run of [`PROCLITICS`] right before
/// it, the match being of three letters or more in the Arabic block (two-letter words such as
/// لا and لم hide inside too many others: بلا, فلم).
fn after_proclitic(text: &str, start: usize, end: usize) -> bool {
    let arabic = |c: char| matches!(c, '\u{0620}'..='\u{064a}' | '\u{06a9}' | '\u{06cc}');
    let term = &text[start..end];
    if term.chars().count() < 3 || !term.chars().next().is_some_and(arabic) {
        return false;
    }
    let word_start = text[..start].char_indices().rev().take_while(|(_, c)| is_word_char(*c)).last();
    let Some((word_start, _)) = word_start else { return false };
    let prefix = &text[word_start..start];
    (word_start == 0 || !text[..word_start].chars().next_back().is_some_and(is_word_char))
        && PROCLITICS.contains(&prefix)
}

/// Words of `text` by the Unicode word-boundary rules, with their byte offsets.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.unicode_word_indices()
}

/// Number of words in `text`.
#[must_use]
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_fold_to_one_spelling() {
        let cases = [
            // Arabic yeh and kaf against the Persian/Urdu forms: "Pakistan" both ways.
            (
                "\u{067e}\u{0627}\u{0643}\u{0633}\u{062a}\u{0627}\u{0646}",
                "\u{067e}\u{0627}\u{06a9}\u{0633}\u{062a}\u{0627}\u{0646}",
            ),
            ("\u{0639}\u{0644}\u{064a}", "\u{0639}\u{0644}\u{06cc}"),
            ("\u{0645}\u{0648}\u{0633}\u{0649}", "\u{0645}\u{0648}\u{0633}\u{06cc}"),
            // Urdu heh goal and teh marbuta → heh; the aspirating heh stays.
            ("\u{062d}\u{0645}\u{0644}\u{06c1}", "\u{062d}\u{0645}\u{0644}\u{0647}"),
            ("\u{0645}\u{062f}\u{0631}\u{0633}\u{0629}", "\u{0645}\u{062f}\u{0631}\u{0633}\u{0647}"),
            ("\u{0628}\u{06be}\u{0627}\u{0631}\u{062a}", "\u{0628}\u{06be}\u{0627}\u{0631}\u{062a}"),
            // Pashto typed on a Persian keyboard: ګواښ as گواښ, نښتې as نښتی.
            ("\u{06ab}\u{0648}\u{0627}\u{069a}", "\u{06af}\u{0648}\u{0627}\u{069a}"),
            ("\u{0646}\u{069a}\u{062a}\u{06d0}", "\u{0646}\u{069a}\u{062a}\u{06cc}"),
            ("\u{0644}\u{0648}\u{0628}\u{06cd}", "\u{0644}\u{0648}\u{0628}\u{06cc}"),
            // Alef variants, tatweel and short vowels.
            ("\u{0623}\u{0641}\u{063a}\u{0627}\u{0646}", "\u{0627}\u{0641}\u{063a}\u{0627}\u{0646}"),
            ("\u{0622}\u{062a}\u{0634}", "\u{0627}\u{062a}\u{0634}"),
            ("\u{062d}\u{0640}\u{0640}\u{0645}\u{0644}\u{0647}", "\u{062d}\u{0645}\u{0644}\u{0647}"),
            ("\u{062d}\u{064e}\u{0645}\u{0652}\u{0644}\u{064e}\u{0629}", "\u{062d}\u{0645}\u{0644}\u{0647}"),
            // ZWNJ is a space; ZWJ goes.
            (
                "\u{0645}\u{06cc}\u{200c}\u{062e}\u{0648}\u{0627}\u{0647}\u{062f}",
                "\u{0645}\u{06cc} \u{062e}\u{0648}\u{0627}\u{0647}\u{062f}",
            ),
            // Direction marks go: a right-to-left mark before a comma, an isolate around a name.
            (
                "\u{067e}\u{0627}\u{06a9}\u{200f}\u{060c} \u{2067}\u{06a9}\u{0627}\u{0628}\u{0644}\u{2069}",
                "\u{067e}\u{0627}\u{06a9}\u{060c} \u{06a9}\u{0627}\u{0628}\u{0644}",
            ),
            // Digits of three scripts.
            (
                "\u{0661}\u{0669}\u{0667}\u{0661} \u{06f2}\u{06f0}\u{06f2}\u{06f5} \u{0968}\u{0966}\u{0968}\u{096b}",
                "1971 2025 2025",
            ),
            // Devanagari nukta, composed or not: फ़ौज and फौज are one word.
            ("\u{095e}\u{094c}\u{091c}", "\u{092b}\u{094c}\u{091c}"),
            ("\u{092b}\u{093c}\u{094c}\u{091c}", "\u{092b}\u{094c}\u{091c}"),
        ];
        for (text, want) in cases {
            assert_eq!(normalize(text), want, "{text}");
        }
    }

    #[test]
    fn normalize_cases() {
        let cases = [
            ("Strike  Deep\nINSIDE", "strike deep inside"),
            ("air\u{b}strike", "air strike"),
            ("Pakistan\u{2019}s  army", "pakistan's army"),
            ("cross\u{2013}border", "cross-border"),
            ("  lead and trail  ", "lead and trail"),
            ("ÉTAT", "état"),
            // NFKC: full-width letters and ligatures become plain ones.
            ("ＡＴＴＡＣＫ", "attack"),
            ("\u{fb01}ring", "firing"),
            // Decomposed e + combining acute composes.
            ("Ope\u{301}ration", "opération"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn typographic_text_takes_a_shortcut_to_the_same_result() {
        let marks: Vec<char> =
            ['\u{2018}', '\u{2019}', '\u{02bc}', '\u{201c}', '\u{201d}', '\u{2212}', '\u{a0}']
                .into_iter()
                .chain('\u{2002}'..='\u{2015}')
                .chain(['\u{202f}', '\u{2026}'])
                .collect();
        for mark in marks {
            for text in
                [format!("Army{mark}s STRIKE"), format!("{mark} a {mark}{mark} b {mark}"), format!("x{mark}")]
            {
                let mut slow = String::new();
                normalize_unicode(text.trim(), &mut slow);
                assert_eq!(normalize(&text), slow, "{text:?}");
            }
        }
    }

    #[test]
    fn sentence_cases() {
        let cases: [(&str, &[&str]); 7] = [
            ("One. Two! Three?", &["One.", "Two!", "Three?"]),
            ("U.S. officials met. Then left.", &["U.S. officials met.", "Then left."]),
            ("Gen. Munir said so. Done.", &["Gen. Munir said so.", "Done."]),
            ("Line one\nLine two", &["Line one", "Line two"]),
            ("He said \"stop.\" Then war.", &["He said \"stop.\"", "Then war."]),
            ("Rs2.5bn was spent. Ok", &["Rs2.5bn was spent.", "Ok"]),
            ("سرحد پر حملہ ہوا۔ دوسرا جملہ", &["سرحد پر حملہ ہوا۔", "دوسرا جملہ"]),
        ];
        for (text, want) in cases {
            assert_eq!(sentences(text).collect::<Vec<_>>(), want, "{text}");
        }
    }

    #[test]
    fn the_sentence_around_a_byte_is_the_one_sentences_yields() {
        let texts = [
            "One. Two! Three?",
            "U.S. officials met. Then left.",
            "Gen. Munir said so. Done.",
            "Line one\nLine two\r\n\nLine three",
            "He said \"stop.\" Then war.",
            "(It ended.) Next one. S. Khan came. A. b.",
            "Rs2.5bn was spent. Ok",
            "سرحد پر حملہ ہوا۔ دوسرا جملہ؟ تیسرا",
            "यह वाक्य है। दूसरा वाक्य",
            "  Leading space.  Trailing space.  ",
        ];
        for text in texts {
            for sentence in sentences(text) {
                let start = sentence.as_ptr() as usize - text.as_ptr() as usize;
                for (i, _) in sentence.char_indices() {
                    let (s, e) = sentence_around(text, start + i);
                    assert_eq!(text[s..e].trim(), sentence, "{text:?} at {}", start + i);
                }
            }
        }
    }

    #[test]
    fn unusual_chars_are_those_that_may_hide_letters() {
        let cases: [(&str, &[usize]); 7] = [
            ("plain ascii", &[]),
            ("\u{2018}quoted\u{2019} \u{2014} dash\u{a0}space\u{2026}", &[]),
            ("\u{fb01}re", &[0]),
            ("a \u{ff21}", &[2]),
            ("x \u{062d}\u{0645}", &[2, 4]),
            ("a\u{300}", &[1]),
            // A direction mark inside a word: "air strike" with one is a word of its own.
            ("air\u{200e}strike", &[3]),
        ];
        for (text, want) in cases {
            assert_eq!(unusual_chars(text), want, "{text}");
        }
    }

    #[test]
    fn boundaries() {
        let cases = [
            ("war warned", 0, 3, true),
            ("warned", 0, 3, false),
            ("pre-war", 4, 7, true),
            ("airstrikes", 3, 9, false),
            // Arabic "and the attack", "for the army": joined letters before a term of three.
            ("\u{0648}\u{0627}\u{0644}\u{0647}\u{062c}\u{0648}\u{0645}", 6, 14, true),
            ("\u{0644}\u{0644}\u{062c}\u{06cc}\u{0634}", 4, 10, true),
            // Not any letters, nor before a two-letter word: بلا is not لا, شهجوم not هجوم.
            ("\u{0628}\u{0644}\u{0627}", 2, 6, false),
            ("\u{0634}\u{0647}\u{062c}\u{0648}\u{0645}", 2, 10, false),
        ];
        for (text, start, end, want) in cases {
            assert_eq!(on_word_boundaries(text, start, end), want, "{text} {start}..{end}");
        }
    }
}
