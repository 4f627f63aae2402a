//! Extraction speed: pages per second on one core, HTML parsing included, over the project's own
//! fixture pages (the Dawn-shaped pages and `tests/fixtures/extract/`).
//!
//! `cargo bench --bench extract`; pin it to one core with `taskset -c 0` on a shared machine.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flashpoint::extract::{Extractor, SiteRule, decode};
use url::Url;

fn pages() -> Vec<String> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<_> = ["dawn", "extract"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(fixtures.join(dir)).expect("fixture dir"))
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    paths.sort();
    paths.iter().map(|p| decode(&std::fs::read(p).expect("fixture"), None)).collect()
}

fn extract(c: &mut Criterion) {
    let pages = pages();
    let url = Url::parse("https://news.example/story/1").expect("url");
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(pages.len() as u64));

    let generic = Extractor::new(Vec::new(), 200);
    group.bench_function("generic", |b| {
        b.iter(|| pages.iter().map(|html| generic.extract(html, &url, "").body.len()).sum::<usize>());
    });

    let dawn_url = Url::parse("https://www.dawn.com/news/1900001/x").expect("url");
    let rule = SiteRule::new("dawn.com", ".story__content", &[]).expect("rule");
    let site = Extractor::new(vec![rule], 200);
    group.bench_function("site_rule", |b| {
        b.iter(|| pages.iter().map(|html| site.extract(html, &dawn_url, "").body.len()).sum::<usize>());
    });
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
