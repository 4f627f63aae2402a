//! Languages and scripts (pure): language tags read as ISO 639-3 codes, detection from the text
//! when nothing declares the language, the letters a script writes several ways (folded to one
//! before matching), and which scripts put the object before the verb.
//!
//! An article's language is the one its feed is configured with (`[[feeds]] language`), else the
//! one the feed declares (RSS `<language>`, Atom `xml:lang`), else the page's (`<html lang>`),
//! else detected ([`detect`]). Detection comes last because the languages written in Arabic
//! script are easily confused: Urdu, Persian and Pashto share most letters and words.

/// ISO 639-1 codes with their ISO 639-3 equivalents: the languages of the region, of the world's
/// large newsrooms, and of the major powers. A two-letter code outside it must be written as
/// its three-letter code.
const ISO_639_1: &[(&str, &str)] = &[
    ("ar", "ara"),
    ("bn", "ben"),
    ("de", "deu"),
    ("en", "eng"),
    ("es", "spa"),
    ("fa", "fas"),
    ("fr", "fra"),
    ("gu", "guj"),
    ("he", "heb"),
    ("hi", "hin"),
    ("it", "ita"),
    ("ja", "jpn"),
    ("ko", "kor"),
    ("ku", "kur"),
    ("ml", "mal"),
    ("mr", "mar"),
    ("my", "mya"),
    ("ne", "nep"),
    ("pa", "pan"),
    ("ps", "pus"),
    ("pt", "por"),
    ("ru", "rus"),
    ("sd", "snd"),
    ("si", "sin"),
    ("ta", "tam"),
    ("te", "tel"),
    ("tg", "tgk"),
    ("tk", "tuk"),
    ("tr", "tur"),
    ("uk", "ukr"),
    ("ur", "urd"),
    ("uz", "uzb"),
    ("zh", "zho"),
];

/// The ISO 639-3 code of a language tag (`ur`, `en-US`, `fa_AF`, `prs`): its primary subtag,
/// a two-letter one mapped through ISO 639-1. `None` for anything else (`x-default`, `english`,
/// a two-letter code not in the table).
#[must_use]
pub fn from_tag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    if !primary.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    match primary.len() {
        2 => ISO_639_1.iter().find(|(two, _)| *two == primary).map(|(_, three)| (*three).to_string()),
        3 => Some(primary),
        _ => None,
    }
}

/// How much of a text is enough to tell its language.
const SAMPLE_BYTES: usize = 2048;

/// The language of `text` as an ISO 639-3 code, when it can be told: text mostly in Arabic script
/// by its letters ([`arabic_script`]), any other by the whatlang detector when it is sure.
#[must_use]
pub fn detect(text: &str) -> Option<String> {
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    if let Some(code) = arabic_script(sample) {
        return Some(code.to_string());
    }
    whatlang::detect(sample).filter(whatlang::Info::is_reliable).map(|info| info.lang().code().to_string())
}

/// The language of a text mostly in Arabic script, by the letters only one of its languages
/// uses: Pashto's ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ, Urdu's ٹ ڈ ڑ ں ے ھ ہ, Arabic's ة ى ي ك أ إ against
/// Persian's پ چ ژ گ ک ی. `None` when under half the letters are Arabic script, or none of these.
fn arabic_script(sample: &str) -> Option<&'static str> {
    let (mut letters, mut arabic) = (0usize, 0usize);
    let (mut pashto, mut urdu, mut arabic_only, mut persian) = (0usize, 0usize, 0usize, 0usize);
    for c in sample.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c, '\u{0600}'..='\u{06ff}' | '\u{0750}'..='\u{077f}') {
            arabic += 1;
        }
        match c {
            'ټ' | 'ډ' | 'ړ' | 'ږ' | 'ښ' | 'ګ' | 'ڼ' | 'ې' | 'ۍ' | 'ځ' | 'څ' => pashto += 1,
            'ٹ' | 'ڈ' | 'ڑ' | 'ں' | 'ے' | 'ھ' | 'ہ' => urdu += 1,
            'ة' | 'ى' | 'ي' | 'ك' | 'أ' | 'إ' => arabic_only += 1,
            'پ' | 'چ' | 'ژ' | 'گ' | 'ک' | 'ی' => persian += 1,
            _ => {}
        }
    }
    if arabic == 0 || arabic * 2 < letters {
        return None;
    }
    // Pashto writes ي and ی as Arabic and Persian do, so its own letters decide first; a name
    // or a quotation in another language's letters is outweighed by the text's own.
    if pashto >= 2 && pashto > urdu {
        Some("pus")
    } else if urdu >= 2 {
        Some("urd")
    } else if arabic_only > persian {
        Some("ara")
    } else if persian > 0 {
        Some("fas")
    } else {
        None
    }
}

/// One spelling for the letters that Arabic-script and Devanagari text writes several ways
/// (applied after NFKC, to the text and to every term alike); `None` drops the character.
///
/// - Arabic yeh `ي` and alef maksura `ى` → Persian/Urdu yeh `ی`; Arabic kaf `ك` → keheh `ک`.
/// - Pashto `ې` and `ۍ` → `ی`, and Pashto gaf `ګ` → `گ`: many Pashto writers type on a Persian
///   keyboard, and a word differs from its Persian-keyboard spelling in these letters alone.
/// - Urdu heh goal `ہ`, teh marbuta `ة` `ۃ`, ae `ە`, heh with yeh `ۀ` → heh `ه` (the
///   aspirating `ھ` of Urdu stays: it spells other words).
/// - Alef with madda, hamza or wasla (`آ أ إ ٱ`) → alef `ا`.
/// - Tatweel, short vowels and other marks (U+064B–065F, U+0670, U+06D6–06ED), Devanagari nukta
///   (so `फ़` and `फ` are one letter), and the zero-width joiner are dropped, as are the marks
///   that steer the direction of right-to-left text (U+200E–200F, U+061C, U+202A–202E,
///   U+2066–2069), which pages put between words and punctuation.
/// - The zero-width non-joiner becomes a space: `می‌خواهد` matches a term written `می خواهد`,
///   as a writer without the character types it (the joined spelling is a different word).
/// - Arabic-Indic, Extended Arabic-Indic and Devanagari digits → ASCII digits.
#[must_use]
pub fn fold_script(c: char) -> Option<char> {
    let digit = |zero: char| char::from_digit(u32::from(c) - u32::from(zero), 10);
    match c {
        '\u{064a}' | '\u{0649}' | '\u{06d0}' | '\u{06cd}' => Some('\u{06cc}'),
        '\u{06ab}' => Some('\u{06af}'),
        '\u{0643}' => Some('\u{06a9}'),
        '\u{06c1}' | '\u{0629}' | '\u{06c3}' | '\u{06d5}' | '\u{06c0}' => Some('\u{0647}'),
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => Some('\u{0627}'),
        '\u{0640}'
        | '\u{064b}'..='\u{065f}'
        | '\u{0670}'
        | '\u{06d6}'..='\u{06ed}'
        | '\u{093c}'
        | '\u{200d}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{061c}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => None,
        '\u{200c}' => Some(' '),
        '\u{0660}'..='\u{0669}' => digit('\u{0660}'),
        '\u{06f0}'..='\u{06f9}' => digit('\u{06f0}'),
        '\u{0966}'..='\u{096f}' => digit('\u{0966}'),
        c => Some(c),
    }
}

/// Whether `c` is of a script whose languages here put the object before the verb: Arabic
/// script (Urdu, Persian, Pashto; Arabic itself puts the verb first, and reads the same way when
/// its object is named after the verb) and Devanagari (Hindi).
#[must_use]
pub fn is_object_first_script(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06ff}' | '\u{0750}'..='\u{077f}' | '\u{0900}'..='\u{097f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_iso_639_3_codes() {
        let cases = [
            ("ur", Some("urd")),
            ("en-US", Some("eng")),
            ("en-us", Some("eng")),
            ("fa_AF", Some("fas")),
            ("PS", Some("pus")),
            ("prs", Some("prs")),
            (" hi ", Some("hin")),
            ("x-default", None),
            ("english", None),
            ("zz", None),
            ("", None),
        ];
        for (tag, want) in cases {
            assert_eq!(from_tag(tag).as_deref(), want, "{tag:?}");
        }
    }

    #[test]
    fn arabic_script_languages_are_told_apart_by_their_own_letters() {
        let cases = [
            ("وزیر دفاع نے جمعہ کے روز کہا کہ ملک کسی بھی حملے کا بھرپور جواب دے گا۔", Some("urd")),
            ("د پاکستان د دفاع وزیر ویلي چې پاکستان به د ترهګرو پټنځایونه په نښه کړي.", Some("pus")),
            ("سرپرست وزارت دفاع گفت که هر تجاوز به خاک این کشور بی‌پاسخ نخواهد ماند.", Some("fas")),
            ("هدد وزير الدفاع الباكستاني بشن ضربات داخل أفغانستان إذا لم تتوقف الهجمات.", Some("ara")),
            ("The minister said that Islamabad would respond to any attack with force.", Some("eng")),
            // Mostly English, with a name in Urdu: English.
            (
                "The minister (وزیر) said that the country would respond to any attack with force.",
                Some("eng"),
            ),
            ("ok", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text).as_deref(), want, "{text}");
        }
    }
}
