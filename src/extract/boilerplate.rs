//! Line filters: paragraphs of extracted text that are page furniture rather than story (share
//! prompts, "read more" links, newsletter sign-ups, photo credits, the repeated headline).

/// Lines at most this long are checked against the furniture patterns; longer ones are prose.
const MAX_FURNITURE_CHARS: usize = 120;

/// Lines at most this long are checked for sign-up and click-through prompts.
const MAX_PROMPT_CHARS: usize = 250;

/// Lowercase beginnings of furniture lines.
const STARTS: &[&str] = &[
    "advertisement",
    "advertisment",
    "sponsored",
    "share this",
    "share on",
    "share via",
    "sharing is caring",
    "click to share",
    "like this",
    "read more",
    "read next",
    "read also",
    "also read",
    "also:",
    "also on ",
    "see also",
    "see more:",
    "more:",
    "more great",
    "don't miss",
    "don’t miss",
    "you may also like",
    "you might also like",
    "you may like",
    "related:",
    "related post",
    "related article",
    "related stories",
    "related coverage",
    "recommended",
    "more from",
    "more on this",
    "follow us",
    "follow @",
    "sign up",
    "subscribe",
    "newsletter",
    "click here",
    "tap here",
    "image:",
    "image source",
    "photo:",
    "photograph:",
    "credit:",
    "image credit",
    "photo credit",
    "getty images",
    "©",
    "(c)",
    "copyright",
    "all rights reserved",
    "loading",
    "comments",
    "leave a comment",
    "post a comment",
    "print this",
    "email this",
    "skip to",
    "back to top",
    "browse all",
    "tags:",
    "filed under",
    "posted in",
    "posted on",
    "published:",
    "updated:",
    "last updated",
    "reading time",
    "(reporting by",
    "reporting by",
    "editing by",
];

/// Lowercase fragments that mark a short line as furniture wherever they appear.
const CONTAINS: &[&str] = &[
    "all rights reserved",
    "getty images",
    "(ap photo",
    "/ap photo",
    "(reuters",
    "/ reuters",
    "/reuters",
    "(afp",
    "/afp",
    "(image:",
    "(photo:",
    "(picture:",
    "contributed reporting",
    "contributed to this report",
    "cookie",
    "javascript",
];

/// Lowercase fragments of sign-up and click-through prompts.
const PROMPTS: &[&str] =
    &["sign up for", "subscribe to", "our newsletter", "click here", "follow him on", "follow her on"];

/// Whole lines that are a sharing button's label.
const BUTTONS: &[&str] = &[
    "facebook",
    "twitter",
    "google+",
    "linkedin",
    "pinterest",
    "whatsapp",
    "reddit",
    "tumblr",
    "telegram",
    "email",
    "print",
    "share",
    "tweet",
    "comment",
    "comments",
];

/// Whether a short line is furniture.
pub(super) fn is_boilerplate(line: &str) -> bool {
    let chars = line.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return false;
    }
    let lower = line.to_lowercase();
    let lower = lower.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '©' && c != '(');
    if PROMPTS.iter().any(|s| lower.contains(s)) {
        return true;
    }
    chars <= MAX_FURNITURE_CHARS
        && (STARTS.iter().any(|s| lower.starts_with(s))
            || CONTAINS.iter().any(|s| lower.contains(s))
            || BUTTONS.contains(&lower.trim())
            || is_byline(lower)
            || is_dateline(lower))
}

/// "By Jane Doe", "By admin - 2018-09-16": a short line naming the author.
fn is_byline(lower: &str) -> bool {
    lower.starts_with("by ") && lower.chars().count() <= 60
}

/// A line that is mostly a date or time: "Monday, November 18, 2019, 04:05 pm PT".
fn is_dateline(lower: &str) -> bool {
    let tokens: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    let stamped = ["published", "updated", "posted"].iter().any(|w| lower.starts_with(w));
    if tokens.is_empty() || tokens.len() > if stamped { 20 } else { 12 } {
        return false;
    }
    let is_year = |t: &&str| {
        t.len() == 4 && (t.starts_with("19") || t.starts_with("20")) && t.bytes().all(|b| b.is_ascii_digit())
    };
    let has_clock =
        lower.as_bytes().windows(3).any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit());
    let numbers = tokens.iter().filter(|t| t.bytes().all(|b| b.is_ascii_digit())).count();
    (tokens.iter().any(is_year) || has_clock) && numbers * 10 >= tokens.len() * 3
}

/// Words of a line, lowercased, for comparing a heading with the title.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// `parts` without furniture lines and without a line repeating the title.
pub(super) fn clean(parts: Vec<String>, title: Option<&str>) -> Vec<String> {
    let title = title.map(words).filter(|w| !w.is_empty());
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .filter(|p| !is_boilerplate(p))
        .filter(|p| title.as_ref().is_none_or(|t| words(p) != *t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn furniture_lines() {
        let cases = [
            ("Advertisement", true),
            ("Read more: Talks collapse in Doha", true),
            ("Share this article", true),
            ("Photo: John Smith/Getty Images", true),
            ("(AP Photo/Anjum Naveed)", true),
            ("Sign up for our daily briefing", true),
            ("© 2024 The Outlet. All rights reserved.", true),
            ("The minister said the talks would resume on Monday.", false),
            ("By Jane Doe", true),
            ("Updated 10:01 pm PST, Tuesday, November 19, 2019", true),
            ("sexta-feira, 22 de outubro de 2010 às 20:13", true),
            ("Twitter", true),
            ("Published Nov 18, 2019 at 4:07 PM | Updated at 5:36 PM CST on Nov 18, 2019", true),
            ("Published reports say the talks will resume in Doha next week.", false),
            ("The 2019 budget rose by 12 percent over two years, officials said on Monday.", false),
            ("By the time the troops arrived, the town had emptied and the bridge was down.", false),
            (
                "Read more than a hundred pages of evidence, the judge told the court, and you will see why the case failed at every step of the way.",
                false,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(is_boilerplate(line), want, "{line}");
        }
    }

    #[test]
    fn title_line_is_dropped() {
        let parts = vec!["Minister warns of strikes".to_string(), "The minister said so.".to_string()];
        assert_eq!(
            clean(parts, Some("Minister Warns of Strikes!")),
            vec!["The minister said so.".to_string()]
        );
    }
}
