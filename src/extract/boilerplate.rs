//! Line filters: paragraphs of extracted text that are page furniture rather than story (share
//! prompts, "read more" links, newsletter sign-ups, photo credits, the repeated headline).

/// Lines at most this long are checked against the patterns; longer ones are prose.
const MAX_BOILERPLATE_CHARS: usize = 120;

/// Lowercase beginnings of furniture lines.
const STARTS: &[&str] = &[
    "advertisement",
    "advertisment",
    "sponsored",
    "share this",
    "share on",
    "share via",
    "click to share",
    "read more",
    "read next",
    "read also",
    "also read",
    "see also",
    "related:",
    "related articles",
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
    "tags:",
    "filed under",
    "posted in",
    "published:",
    "updated:",
    "last updated",
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
    "sign up for",
    "subscribe to",
    "our newsletter",
    "cookie",
    "javascript",
];

/// Whether a short line is furniture.
pub(super) fn is_boilerplate(line: &str) -> bool {
    if line.chars().count() > MAX_BOILERPLATE_CHARS {
        return false;
    }
    let lower = line.to_lowercase();
    let lower = lower.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '©' && c != '(');
    STARTS.iter().any(|s| lower.starts_with(s)) || CONTAINS.iter().any(|s| lower.contains(s))
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
