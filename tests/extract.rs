//! Golden tests of extraction on the Dawn-shaped fixture pages: the story's paragraphs and
//! nothing from navigation, the ticker or the sidebars, with the site rule and without it.

mod common;

use flashpoint::extract::{Extractor, Method, SiteRule};
use scraper::{Html, Selector};
use url::Url;

fn texts(doc: &Html, selector: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| t.len() > 20)
        .collect()
}

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
