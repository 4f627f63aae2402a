//! The shipped config against a page of every outlet it watches: each page of
//! `fixtures/sites/` (and Dawn's) is extracted with the shipped site rules, by the rule where the
//! outlet has one and by the generic extractor where it has none, and must give every paragraph
//! of the story and nothing from navigation, sidebars or the boxes inside the story.

mod common;

use common::{shipped, texts};
use flashpoint::extract::Method;
use scraper::Html;
use url::Url;

/// One outlet's fixture page and what its extraction must give.
struct Page {
    /// Path under `tests/fixtures/`.
    fixture: &'static str,
    /// Where the page would have been fetched from: its host picks the site rule.
    url: &'static str,
    method: Method,
    /// The story's paragraphs in the fixture's markup.
    story: &'static str,
    /// Furniture of this page that must stay out of the body, besides [`FURNITURE`]: the text of
    /// the boxes inside the story (which a rule's `strip` removes), tickers and the like.
    junk: &'static str,
}

/// Furniture every fixture has: menus, sidebar headlines and the footer.
const FURNITURE: &str = "li a, footer p, .footer p";

const PAGES: &[Page] = &[
    Page {
        fixture: "dawn/1900004.html",
        url: "https://www.dawn.com/news/1900004/x",
        method: Method::Site,
        story: ".story__content p",
        junk: ".ticker a",
    },
    Page {
        fixture: "sites/tribune.html",
        url: "https://tribune.com.pk/story/2600101/sindh-cabinet-approves-flood-resilient-housing",
        method: Method::Site,
        story: ".story-text p",
        junk: ".story-text .ad span, .story-text .read-more a, .story-text .social-share a, .breaking-ticker a",
    },
    Page {
        fixture: "sites/geo.html",
        url: "https://www.geo.tv/latest/640112-chaman-crossing-reopens",
        method: Method::Site,
        story: ".content-area p",
        junk: ".content-area .ad span, .content-area .read-more a, .content-area .social-share a",
    },
    Page {
        fixture: "sites/thenews.html",
        url: "https://www.thenews.com.pk/latest/1390042-senate-panel-digital-id-desks",
        method: Method::Site,
        story: ".story-detail p",
        junk: ".story-detail .ad span, .story-detail .read-more a, .social-share a",
    },
    Page {
        fixture: "sites/tolonews.html",
        url: "https://tolonews.com/business-190412",
        method: Method::Site,
        story: ".field--name-body p",
        junk: ".field--name-field-related-news a, .share-buttons a, .views-row a",
    },
    Page {
        fixture: "sites/pajhwok.html",
        url: "https://pajhwok.com/2026/11/03/herat-saffron-growers-expect-record-harvest/",
        method: Method::Site,
        story: ".entry-content p",
        junk: ".jp-relatedposts a, .sharedaddy a, .sharedaddy h3",
    },
    // Right-to-left pages (dir="rtl") of the outlets in Urdu, Dari, Pashto and Arabic; a
    // paragraph of each holds a right-to-left mark.
    Page {
        fixture: "sites/tolonews_fa.html",
        url: "https://tolonews.com/fa/afghanistan-190520",
        method: Method::Site,
        story: ".field--name-body p",
        junk: ".field--name-field-related-news a, .share-buttons a, .views-row a",
    },
    Page {
        fixture: "sites/tolonews_ps.html",
        url: "https://tolonews.com/ps/afghanistan-190521",
        method: Method::Site,
        story: ".field--name-body p",
        junk: ".field--name-field-related-news a, .share-buttons a, .views-row a",
    },
    Page {
        fixture: "sites/dawnnews.html",
        url: "https://www.dawnnews.tv/news/1250001",
        method: Method::Site,
        story: ".story__content p",
        junk: ".story__content .ad span, .social-share a, .breaking-ticker a",
    },
    Page {
        fixture: "sites/express_pk.html",
        url: "https://www.express.pk/story/2700101/",
        method: Method::Site,
        story: ".story-text p",
        junk: ".story-text .ad span, .read-more a, .related-item a",
    },
    Page {
        fixture: "sites/geo_urdu.html",
        url: "https://urdu.geo.tv/latest/400101-",
        method: Method::Site,
        story: ".content-area p",
        junk: ".content-area .ad span, .content-area .read-more a, .social-share a",
    },
    Page {
        fixture: "sites/bbc_urdu.html",
        url: "https://www.bbc.com/urdu/articles/c0x1y2z3w4vo",
        method: Method::Generic,
        story: "p.bbc-hhl7in",
        junk: "[data-e2e=\"related-content\"] a, [data-e2e=\"most-read\"] a",
    },
    Page {
        fixture: "sites/bbc_arabic.html",
        url: "https://www.bbc.com/arabic/articles/c9a8b7c6d5eo",
        method: Method::Generic,
        story: "p.bbc-hhl7in",
        junk: "[data-e2e=\"related-content\"] a, [data-e2e=\"most-read\"] a",
    },
    Page {
        fixture: "sites/aljazeera.html",
        url: "https://www.aljazeera.com/news/2026/6/18/india-and-pakistan-trade-warnings-as-indus-water-talks-stall",
        method: Method::Generic,
        story: ".wysiwyg p",
        junk: ".wysiwyg .more-on a, .wysiwyg .container--ads span, .article-share-bar a, .breaking-news-ticker a",
    },
    Page {
        fixture: "sites/bbc.html",
        url: "https://www.bbc.com/news/articles/c7k2m9x4q1zo",
        method: Method::Generic,
        story: "[data-component=\"text-block\"] p",
        junk: "[data-component=\"links-block\"] a, [data-testid=\"most-read\"] a",
    },
];

#[test]
fn every_outlet_page_yields_its_story_and_no_furniture() {
    let runtime = flashpoint::config::load_runtime(&shipped()).expect("shipped config compiles");
    for page in PAGES {
        let html = std::fs::read_to_string(common::fixtures().join(page.fixture)).expect("fixture");
        let doc = Html::parse_document(&html);
        let url = Url::parse(page.url).expect("url");
        let article = runtime.extractor.extract(&html, &url, "");
        let name = page.fixture;
        assert_eq!(article.method, page.method, "{name}");

        let story = texts(&doc, page.story);
        assert!(story.len() >= 5, "{name}: the fixture has a story");
        for paragraph in &story {
            assert!(
                article.body.contains(paragraph.as_str()),
                "{name}: body lacks {paragraph:?}\n---\n{}",
                article.body
            );
        }
        let junk = texts(&doc, page.junk);
        assert!(!junk.is_empty(), "{name}: the fixture has furniture of its own");
        for furniture in junk.iter().chain(&texts(&doc, FURNITURE)) {
            assert!(
                !article.body.contains(furniture.as_str()),
                "{name}: body holds {furniture:?}\n---\n{}",
                article.body
            );
        }
    }
}

/// A rule without a page of its outlet here would be untested; the table must keep up with the
/// config.
#[test]
fn every_site_rule_has_a_fixture_page() {
    let text = std::fs::read_to_string(shipped()).expect("config");
    let config: toml::Table = text.parse().expect("toml");
    let sites = config.get("sites").and_then(toml::Value::as_table).expect("[sites]");
    for host in sites.keys() {
        let tested = PAGES.iter().any(|page| {
            let url = Url::parse(page.url).expect("url");
            let page_host = url.host_str().unwrap_or_default();
            page.method == Method::Site && (page_host == host || page_host.ends_with(&format!(".{host}")))
        });
        assert!(tested, "no fixture page exercises the rule for {host}");
    }
}

/// A right-to-left page names its language in `<html lang>`: the article carries it as ISO
/// 639-3, whatever its script would suggest to a detector.
#[test]
fn right_to_left_pages_carry_their_declared_language() {
    let runtime = flashpoint::config::load_runtime(&shipped()).expect("shipped config compiles");
    let cases = [
        ("sites/tolonews_fa.html", "https://tolonews.com/fa/afghanistan-190520", "fas"),
        ("sites/tolonews_ps.html", "https://tolonews.com/ps/afghanistan-190521", "pus"),
        ("sites/dawnnews.html", "https://www.dawnnews.tv/news/1250001", "urd"),
        ("sites/bbc_arabic.html", "https://www.bbc.com/arabic/articles/c9a8b7c6d5eo", "ara"),
    ];
    for (fixture, url, want) in cases {
        let html = std::fs::read_to_string(common::fixtures().join(fixture)).expect("fixture");
        let article = runtime.extractor.extract(&html, &Url::parse(url).expect("url"), "");
        assert_eq!(article.language.as_deref(), Some(want), "{fixture}");
    }
}
