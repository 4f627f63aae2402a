//! Golden tests of extraction: on the Dawn-shaped fixture pages, the story's paragraphs and
//! nothing from navigation, the ticker or the sidebars, with the site rule and without it; on the
//! pages of `fixtures/extract/`, furniture left out, metadata read, the JSON-LD and feed
//! fallbacks, a windows-1252 page, and a page at the 10 MB fetch cap.

mod common;

use common::texts;
use flashpoint::extract::{Extractor, Method, SiteRule};
use scraper::Html;
use url::Url;

fn check(extractor: &Extractor, want_method: Method) {
    for id in 1_900_001..=1_900_005 {
        let html =
            std::fs::read_to_string(common::fixtures().join(format!("dawn/{id}.html"))).expect("fixture");
        let doc = Html::parse_document(&html);
        let url = Url::parse(&format!("https://www.dawn.com/news/{id}/x")).expect("url");
        let article = extractor.extract(&html, &url, "feed text");
        assert_eq!(article.method, want_method, "{id}");
        let paragraphs = texts(&doc, ".story__content p");
        assert!(paragraphs.len() >= 5, "{id}: fixture has a story");
        for p in &paragraphs {
            assert!(article.body.contains(p.as_str()), "{id}: body lacks {p:?}\n---\n{}", article.body);
        }
        for boilerplate in texts(&doc, "aside li, .ticker a, nav a, footer p") {
            assert!(!article.body.contains(boilerplate.as_str()), "{id}: body holds {boilerplate:?}");
        }
        assert_eq!(
            article.canonical.as_ref().map(|u| u.path().starts_with(&format!("/news/{id}/"))),
            Some(true),
            "{id}"
        );
        assert!(article.title.is_some_and(|t| !t.is_empty()), "{id}");
    }
}

#[test]
fn dawn_pages_with_the_site_rule() {
    let rule = SiteRule::new("dawn.com", ".story__content", &[]).expect("rule");
    check(&Extractor::new(vec![rule], 200), Method::Site);
}

#[test]
fn dawn_pages_with_the_generic_extractor() {
    check(&Extractor::new(Vec::new(), 200), Method::Generic);
}

#[test]
fn windows_1252_page_decodes() {
    let bytes = b"<html><head><meta charset=\"windows-1252\"></head><body><article><p>The minister\x92s remarks, delivered on Friday, drew a sharp \x93response\x94 from officials in the capital.</p></article></body></html>";
    let html = flashpoint::extract::decode(bytes, Some("text/html"));
    let article =
        Extractor::new(Vec::new(), 20).extract(&html, &Url::parse("https://a.example/").expect("url"), "");
    assert!(article.body.contains("minister\u{2019}s remarks"), "{}", article.body);
    assert!(article.body.contains("\u{201c}response\u{201d}"));
}

/// A fixture page of `tests/fixtures/extract/`, decoded as the pipeline does.
fn fixture_page(name: &str) -> String {
    let bytes = std::fs::read(common::fixtures().join("extract").join(name)).expect("fixture");
    flashpoint::extract::decode(&bytes, None)
}

fn page_url() -> Url {
    Url::parse("https://news.example/story/1").expect("url")
}

#[test]
fn outlet_page_yields_story_metadata_and_no_furniture() {
    let article = Extractor::new(Vec::new(), 200).extract(&fixture_page("wire_story.html"), &page_url(), "");
    assert_eq!(article.method, Method::Generic);
    let body = &article.body;
    assert!(body.starts_with("The main border crossing between the two countries reopened"), "{body}");
    assert!(body.contains("\n\nWhat the talks are about\n\n"), "headings inside the body stay: {body}");
    assert!(body.ends_with("keep the crossing open while discussions continue."), "{body}");
    for furniture in [
        "Militants threaten",
        "Border crossing reopens after three weeks",
        "By Sana",
        "May 14, 2024",
        "Facebook",
        "Trucks queue",
        "Advertisement",
        "Why the frontier fence",
        "Sign up",
        "Tags:",
        "never have happened",
        "strike militant hideouts",
        "All rights reserved",
    ] {
        assert!(!body.contains(furniture), "body holds {furniture:?}:\n{body}");
    }
    assert_eq!(article.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-05-14T09:30:00+05:00"));
    assert_eq!(article.author.as_deref(), Some("Sana Qureshi"));
    assert_eq!(article.language.as_deref(), Some("eng"));
}

#[test]
fn script_rendered_page_falls_back_to_its_json_ld_body() {
    let article =
        Extractor::new(Vec::new(), 200).extract(&fixture_page("jsonld_story.html"), &page_url(), "");
    assert_eq!(article.method, Method::JsonLd);
    assert!(article.body.starts_with("Talks between upstream and downstream states"), "{}", article.body);
    assert!(article.body.contains("rainfall.\n\nThe mediators"), "paragraphs kept: {}", article.body);
    assert!(!article.body.contains("Minister threatens"));
    assert_eq!(article.author.as_deref(), Some("Farid Ahmadi, Lena Ortiz"));
    assert_eq!(article.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-06-02T18:05:00+04:30"));
}

#[test]
fn page_without_an_article_falls_back_to_the_feed_text() {
    let feed = "Navy holds drills in contested waters, the feed's summary says.";
    let article =
        Extractor::new(Vec::new(), 200).extract(&fixture_page("section_index.html"), &page_url(), feed);
    assert_eq!(article.method, Method::Feed);
    assert_eq!(article.body, feed);
}

#[test]
fn windows_1252_fixture_decodes_and_is_french() {
    let article =
        Extractor::new(Vec::new(), 200).extract(&fixture_page("windows_1252.html"), &page_url(), "");
    assert_eq!(article.method, Method::Generic);
    assert!(
        article.body.starts_with("Les délégations se sont retrouvées lundi à Genève"),
        "{}",
        article.body
    );
    assert!(article.body.contains("« très préoccupante »"));
    assert!(!article.body.contains("Accueil"));
    assert_eq!(article.language.as_deref(), Some("fra"));
}

/// A page near the 10 MB fetch cap: a short story drowned in thousands of comments and teasers.
#[test]
fn ten_megabyte_page_extracts_its_story() {
    let story = fixture_page("wire_story.html");
    let mut filler = String::from("<section class=\"comments\">");
    let mut i = 0;
    while filler.len() < 10 * 1024 * 1024 - story.len() - 1024 {
        use std::fmt::Write as _;
        let _ = write!(
            filler,
            "<div class=\"comment\"><p>Reader {i} writes: the crossing should stay open, and the talks, however slow, must go on.</p>\
             <a href=\"/c/{i}\">Reply</a></div><ul class=\"teasers\"><li><a href=\"/t/{i}\">Teaser headline {i}</a></li></ul>"
        );
        i += 1;
    }
    filler.push_str("</section>");
    let html = story.replace("</main>", &format!("{filler}</main>"));
    assert!(html.len() > 9 * 1024 * 1024 && html.len() <= 10 * 1024 * 1024, "{}", html.len());
    let article = Extractor::new(Vec::new(), 200).extract(&html, &page_url(), "");
    assert_eq!(article.method, Method::Generic);
    assert!(
        article.body.starts_with("The main border crossing"),
        "{}",
        &article.body[..200.min(article.body.len())]
    );
    assert!(!article.body.contains("Reader 1 writes"));
}
