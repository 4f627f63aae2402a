//! Relevance inference speed: bytes of article text per second on one core with the shipped
//! model (`config/relevance.model`), for the probability alone and for the full verdict with
//! its five named features.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flashpoint::relevance::Model;

/// A news-like article of about `bytes` bytes: calm sentences with a few violent ones, and a
/// little non-ASCII punctuation so the Unicode path is measured too.
fn article(bytes: usize) -> String {
    let sentences = [
        "The provincial government announced a new development package for the northern districts on Tuesday.",
        "Officials said the programme would fund roads, schools and clinics over the next three years.",
        "Militants attacked a checkpoint near the border, killing two soldiers, officials said.",
        "Traders in the main market reported steady sales as prices of flour and sugar held firm.",
        "The minister warned that forces would strike deep inside the neighbouring country — “soon”.",
        "Students welcomed the decision to extend the admission deadline by a fortnight.",
    ];
    let mut out = String::with_capacity(bytes + 200);
    for sentence in sentences.iter().cycle() {
        if out.len() >= bytes {
            break;
        }
        out.push_str(sentence);
        out.push(' ');
    }
    out
}

fn inference(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/relevance.model");
    let model = Model::load(&path).expect("the shipped model loads");
    let title = "Militants attack border checkpoint";
    let mut group = c.benchmark_group("relevance");
    // 12 kB is past the 2,000-word cut; 4 kB is a typical article.
    for bytes in [4_000, 12_000] {
        let body = article(bytes);
        group.throughput(Throughput::Bytes((title.len() + body.len()) as u64));
        group.bench_function(format!("probability {bytes} B"), |b| {
            b.iter(|| model.probability(black_box(title), black_box(&body)));
        });
        group.bench_function(format!("predict {bytes} B"), |b| {
            b.iter(|| model.predict(black_box(title), black_box(&body)));
        });
    }
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
