//! Story clustering speed: articles placed per second on one core, on a generated stream of
//! local news (many look-alike events, each reported by a few outlets over a few days), so the
//! window holds thousands of stories as it would in a daemon's month.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flashpoint::story::{Article, Clusterer, Settings};

/// A generated article: title, body, outlet and time.
struct Generated {
    key: String,
    title: String,
    body: String,
    outlet: String,
    at: DateTime<Utc>,
}

const CITIES: &[&str] = &["Quetta", "Peshawar", "Karachi", "Lahore", "Multan", "Sukkur", "Gwadar", "Bannu"];
const ACTS: &[&str] = &["shooting", "bombing", "raid", "clash", "ambush", "attack"];
const FILLER: &[&str] = &[
    "Officials said an investigation was under way and that more details would be released later.",
    "Residents told reporters they had heard several loud sounds before security forces arrived.",
    "The provincial government announced compensation for the families of those who were killed.",
    "Hospital staff said the wounded were in stable condition and that blood donations were needed.",
    "Traffic on the main road was suspended for several hours while the area was searched.",
];

/// Made-up names from syllables, so every event has names of its own.
fn name(n: usize) -> String {
    let syllables = ["ka", "ro", "mi", "ta", "ne", "su", "lo", "vi", "de", "pa", "zu", "he"];
    let word = |k: usize| -> String {
        let s: String = (0..3).map(|j| syllables[(k / 12_usize.pow(j)) % 12]).collect();
        let mut c = s.chars();
        c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
    };
    format!("{} {}", word(n * 7 + 3), word(n * 13 + 5))
}

/// `events` events of 1–4 reports each, a new event every 15 minutes, reports up to 3 days on.
fn stream(events: usize) -> Vec<Generated> {
    let start = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").expect("time").with_timezone(&Utc);
    let mut out = Vec::new();
    for e in 0..events {
        let (city, act, victim) = (CITIES[e % CITIES.len()], ACTS[e / 3 % ACTS.len()], name(e));
        let killed = 2 + e % 17;
        for r in 0..=(e % 4) {
            let filler: Vec<&str> = (0..6).map(|i| FILLER[(e + r + i) % FILLER.len()]).collect();
            out.push(Generated {
                key: format!("https://outlet{r}.example/{e}"),
                title: format!("{killed} killed in {city} {act}, {victim} among dead"),
                body: format!(
                    "{killed} people were killed in a {act} in {city} on the {e}th, police said. {victim}, \
                     a local shopkeeper, was among them. {}",
                    filler.join(" ")
                ),
                outlet: format!("outlet{r}.example"),
                at: start + TimeDelta::minutes(i64::try_from(e * 15 + r * 1_440).expect("small")),
            });
        }
    }
    out.sort_by_key(|a| a.at);
    out
}

fn bench(c: &mut Criterion) {
    let articles = stream(4_000);
    let mut group = c.benchmark_group("stories");
    group.sample_size(10);
    group.throughput(Throughput::Elements(articles.len() as u64));
    group.bench_function("replay", |b| {
        b.iter(|| {
            let mut clusterer = Clusterer::new(Settings::default());
            for a in &articles {
                let article = Article {
                    key: &a.key,
                    title: &a.title,
                    body: &a.body,
                    outlet: &a.outlet,
                    at: a.at,
                    names: &[],
                };
                black_box(clusterer.add(&article));
            }
            clusterer.len()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
