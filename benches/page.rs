//! How long the page takes to render on the server with 100,000 alerts (each its own story,
//! counted in the trend index) and 1,000 feeds of 48 polls each, and what each page weighs
//! with its assets. The database is built once under `target/` and reused.
//!
//! `cargo bench --bench page` (`PAGE_ALERTS`, `PAGE_FEEDS` change the sizes).

#[path = "../tests/common/page_seed.rs"]
mod page_seed;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use flashpoint::feed::schedule::Bounds;
use flashpoint::store::Store;
use flashpoint::web::Page;
use flashpoint::web::views::AlertParams;

/// One page's renderer.
type Render<'a> = Box<dyn FnMut() -> String + 'a>;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The render times of `f` over `runs` runs: median and slowest, in milliseconds; and its size.
fn time(runs: usize, mut f: impl FnMut() -> String) -> (f64, f64, usize) {
    let bytes = f().len();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(times[runs / 2]), ms(times[runs - 1]), bytes)
}

fn main() {
    let alerts = size("PAGE_ALERTS", 100_000);
    let feeds = size("PAGE_FEEDS", 1_000);
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/page-bench-{alerts}-{feeds}.db"));
    if !path.exists() {
        let building = path.with_extension("building");
        let _ = std::fs::remove_file(&building);
        let start = Instant::now();
        let store = Store::open(&building).expect("open");
        page_seed::seed_bulk(&store, alerts, feeds, flashpoint::store::POLLS_KEPT);
        drop(store);
        std::fs::rename(&building, &path).expect("rename");
        eprintln!("built {} in {:.0?}", path.display(), start.elapsed());
    }
    let store = Store::open_existing(&path).expect("open");
    let bounds = Bounds { min: Duration::from_mins(1), max: Duration::from_hours(1) };
    let page = Page::new(store, page_seed::feeds(feeds), bounds, None);
    let some_alert = "sty_bulk0000000000000000000";
    let filtered = AlertParams { severity: "high".into(), since: "7d".into(), ..AlertParams::default() };
    let paired = AlertParams { pair: "India>Pakistan".into(), ..AlertParams::default() };
    let fed = AlertParams { feed: "Feed 7".into(), ..AlertParams::default() };
    let cases: Vec<(&str, Render<'_>)> = vec![
        ("/", Box::new(|| page.alerts_html(&AlertParams::default(), false).expect("/"))),
        ("/?severity=high&since=7d", Box::new(|| page.alerts_html(&filtered, false).expect("filtered"))),
        ("/?pair=India>Pakistan", Box::new(|| page.alerts_html(&paired, false).expect("paired"))),
        ("/?feed=Feed 7", Box::new(|| page.alerts_html(&fed, false).expect("fed"))),
        ("/alerts/{id}", Box::new(|| page.alert_html(some_alert).expect("alert"))),
        ("/trends", Box::new(|| page.trends_html().expect("trends"))),
        ("/feeds", Box::new(|| page.feeds_html(1, false).expect("feeds"))),
    ];
    let assets = |names: &[&str]| -> usize {
        names.iter().map(|n| flashpoint::web::asset_bytes(n).map_or(0, <[u8]>::len)).sum()
    };
    let base = assets(&["page.css", "htmx.min.js"]);
    let charts = base + assets(&["uPlot.min.css", "uPlot.iife.min.js", "page.js"]);
    println!("{alerts} alerts, {feeds} feeds; render time on the server over 20 runs");
    println!("{:<28} {:>9} {:>9} {:>10} {:>14}", "page", "median", "slowest", "HTML", "with assets");
    for (name, mut f) in cases {
        let (median, slowest, bytes) = time(20, &mut f);
        let with_assets = bytes + if name == "/trends" { charts } else { base };
        let kb = |n: usize| format!("{}.{}kB", n / 1000, n % 1000 / 100);
        println!("{name:<28} {median:>7.1}ms {slowest:>7.1}ms {:>10} {:>14}", kb(bytes), kb(with_assets));
    }
}
