//! Scoring speed: compiling 5,000 terms, and throughput (bytes of article text per second on
//! one core) with the shipped lexicon and with 5,000 generated terms.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flashpoint::score::{Context, Events, Pattern, Rules, Rung, Scorer, Term, Thresholds};

/// News-like English text of about `bytes` bytes, a few violent sentences among many calm ones.
fn corpus(bytes: usize) -> String {
    let calm = [
        "The provincial government announced a new development package for the northern districts on Tuesday.",
        "Officials said the programme would fund roads, schools and clinics over the next three years.",
        "Traders in the main market reported steady sales as prices of flour and sugar held firm.",
        "The committee will meet again next week to review progress on the water supply scheme.",
        "Students welcomed the decision to extend the admission deadline by a fortnight.",
        "Weather officials forecast light rain in the hills and dry conditions in the plains.",
    ];
    let violent = [
        "Militants attacked a checkpoint near the border, killing two soldiers, officials said.",
        "The minister warned that forces would strike deep inside the neighbouring country if attacks continued.",
    ];
    let mut out = String::with_capacity(bytes + 200);
    let mut i = 0;
    while out.len() < bytes {
        let sentence = if i % 9 == 8 { violent[i / 9 % 2] } else { calm[i % calm.len()] };
        out.push_str(sentence);
        out.push(if i % 4 == 3 { '\n' } else { ' ' });
        i += 1;
    }
    out
}

fn generated_terms(n: usize) -> Vec<Term> {
    let syllables = ["ka", "ro", "mi", "ta", "ne", "su", "lo", "vi", "de", "pa", "zu", "he"];
    (0..n)
        .map(|i| {
            let word = |k: usize| (0..3).map(|j| syllables[(k / 12_usize.pow(j)) % 12]).collect::<String>();
            let phrase = if i % 3 == 0 { format!("{} {}", word(i), word(i + 7)) } else { word(i * 31 + 5) };
            Term {
                label: phrase.clone(),
                pattern: Pattern::phrase(&phrase).expect("pattern"),
                weight: 3.0,
                category: "assault".into(),
                rung: Some(Rung::Attack),
                standalone: i % 2 == 0,
            }
        })
        .collect()
}

fn rules(terms: Vec<Term>) -> Rules {
    Rules {
        terms,
        exclude: Vec::new(),
        context: Context::default(),
        actors: Vec::new(),
        frames: Vec::new(),
        events: Events::default(),
        relevance: None,
        severity: Thresholds { threshold: 6.0 },
    }
}

/// `text` cut at sentence ends into `n` articles of about equal size, each titled by its first
/// sentence.
fn split_articles(text: &str, n: usize) -> Vec<(String, &str)> {
    let size = text.len() / n;
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.get(size..).and_then(|tail| tail.find(". ")).map_or(rest.len(), |i| size + i + 2);
        let (body, tail) = rest.split_at(end.min(rest.len()));
        let title = body.split(". ").next().unwrap_or_default().to_string();
        out.push((title, body));
        rest = tail;
    }
    out
}

fn shipped() -> Scorer {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flashpoint.toml");
    flashpoint::config::load_runtime(&config).expect("shipped config").scorer
}

fn bench(c: &mut Criterion) {
    let terms = generated_terms(5_000);
    c.bench_function("compile 5000 terms", |b| b.iter(|| Scorer::new(rules(black_box(terms.clone())))));

    let text = corpus(1 << 20);
    let mut group = c.benchmark_group("score");
    group.throughput(Throughput::Bytes(text.len() as u64));
    let default = shipped();
    group.bench_function("default lexicon", |b| b.iter(|| default.score("", black_box(&text))));
    // The same text as 40 articles of about 26 KB, each with a title: what the pipeline scores,
    // every article paying for its own frames, parties and relevance.
    let articles: Vec<(String, &str)> = split_articles(&text, 40);
    group.bench_function("default lexicon, 40 articles", |b| {
        b.iter(|| {
            for (title, body) in &articles {
                black_box(default.score(title, body));
            }
        });
    });
    let big = Scorer::new(rules(terms)).expect("compiles");
    group.bench_function("5000 terms", |b| b.iter(|| big.score("", black_box(&text))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
