//! The page commands: `extract` (article text of saved HTML pages) and `feed-test` (what the
//! daemon would see of one feed, and of its first item's page).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use url::Url;

use super::{Exit, NO_URL};
use crate::config::Runtime;
use crate::extract::{Article, Extractor, Method};
use crate::feed::parse::Entry;
use crate::fetch::{FeedResponse, FetchError, Fetcher};
use crate::types::{Validators, chain};

/// `extract`: one file's text (or JSON) on stdout, or with `out_dir` every file's text written
/// beside each other.
pub fn extract(
    rt: &Runtime,
    files: &[PathBuf],
    url: Option<&Url>,
    json: bool,
    out_dir: Option<&Path>,
) -> Exit {
    if let Some(dir) = out_dir {
        return extract_into(&rt.extractor, files, dir);
    }
    let [file] = files else {
        eprintln!("give one file, or --out-dir DIR for several");
        return Exit::Usage;
    };
    match extract_file(&rt.extractor, file, url) {
        Ok(article) if json => {
            outln!("{}", serde_json::to_string_pretty(&article).expect("article serializes"));
            Exit::Ok
        }
        Ok(article) => {
            outln!("{}", article.body);
            Exit::Ok
        }
        Err(err) => {
            eprintln!("cannot read {}: {err}", file.display());
            Exit::Failure
        }
    }
}

/// `extract --out-dir`: every failure named on stderr.
fn extract_into(extractor: &Extractor, files: &[PathBuf], dir: &Path) -> Exit {
    match extract_many(extractor, files, dir) {
        Ok(failures) if failures.is_empty() => Exit::Ok,
        Ok(failures) => {
            for (path, err) in failures {
                eprintln!("{}: {err}", path.display());
            }
            Exit::Failure
        }
        Err(err) => {
            eprintln!("cannot write to {}: {err}", dir.display());
            Exit::Failure
        }
    }
}

/// Extracts one saved page; `url` (the page's address) lets the site rule for its host apply.
///
/// # Errors
/// The file cannot be read.
pub fn extract_file(extractor: &Extractor, path: &Path, url: Option<&Url>) -> std::io::Result<Article> {
    let bytes = std::fs::read(path)?;
    let html = crate::extract::decode(&bytes, None);
    Ok(extractor.extract(&html, url.unwrap_or(&NO_URL), ""))
}

/// Extracts many saved pages into `out_dir/<file stem>.txt`, spread over every core; returns
/// the failures (path and error), if any.
///
/// # Errors
/// `out_dir` cannot be created.
pub fn extract_many(
    extractor: &Extractor,
    files: &[PathBuf],
    out_dir: &Path,
) -> std::io::Result<Vec<(PathBuf, String)>> {
    std::fs::create_dir_all(out_dir)?;
    let workers =
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let stem = path
                        .file_stem()
                        .map_or_else(|| format!("page{i}"), |s| s.to_string_lossy().into_owned());
                    let result = extract_file(extractor, path, None).and_then(|article| {
                        let out = out_dir.join(format!("{stem}.txt"));
                        // Truncating a file that still has unwritten data makes ext4 flush it
                        // on close (`auto_da_alloc`): rewriting the outputs of a run just made
                        // waited on the disk longer than the extraction took. A new file does not.
                        match std::fs::remove_file(&out) {
                            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                            _ => {}
                        }
                        std::fs::write(out, article.body)
                    });
                    if let Err(err) = result {
                        failures
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((path.clone(), err.to_string()));
                    }
                }
            });
        }
    });
    Ok(failures.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// `feed-test`: the feed as the daemon would see it, on a runtime of its own.
pub fn feed_test(rt: &Runtime, target: &str, fetch_page: bool) -> Exit {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        eprintln!("cannot start the async runtime");
        return Exit::Failure;
    };
    match runtime.block_on(describe_feed(rt, target, fetch_page)) {
        Ok(text) => {
            out!("{text}");
            Exit::Ok
        }
        Err(err) => {
            eprintln!("{target}: {}", chain(&err));
            Exit::Failure
        }
    }
}

/// Why `feed-test` could not show a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedTestError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot fetch the feed")]
    Fetch(#[from] FetchError),
    #[error("cannot parse the feed")]
    Parse(#[from] crate::feed::parse::ParseError),
}

/// What the daemon would see of one feed: the language it declares, each item's title, canonical
/// link and date, and for the first item the extracted body length, the method used and the
/// page's language. `target` is a URL (fetched, and its
/// first item's page too) or a file (its first item's page only with `fetch_page`).
///
/// # Errors
/// [`FeedTestError`] when the feed cannot be read, fetched or parsed.
pub async fn describe_feed(rt: &Runtime, target: &str, fetch_page: bool) -> Result<String, FeedTestError> {
    let fetcher = Fetcher::new(&rt.fetch)?;
    let as_url = Url::parse(target).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    let (bytes, base, fetch_page) = match as_url {
        // A URL's first page is always fetched: the feed came from the web anyway.
        Some(url) => (fetch_feed(&fetcher, &url).await?, url, true),
        None => read_feed_file(target).map(|(bytes, base)| (bytes, base, fetch_page))?,
    };
    let parsed = crate::feed::parse::parse(&bytes, &base)?;
    let mut out = String::new();
    let ttl = parsed.ttl.map_or_else(String::new, |t| format!(", ttl {}", humantime::format_duration(t)));
    let language = parsed.language.as_deref().map_or_else(String::new, |l| format!(", language {l}"));
    let _ = writeln!(out, "{}: {} items{ttl}{language}", target, parsed.entries.len());
    for e in &parsed.entries {
        let key = rt.canon.item_key(e.link.as_ref(), &e.guid);
        let date = e.published.map_or_else(|| "(no date)".to_string(), |d| d.to_rfc3339());
        let _ = writeln!(
            out,
            "- {}
  {key}
  {date}",
            if e.title.is_empty() { "(no title)" } else { &e.title }
        );
    }
    if let Some(first) = parsed.entries.first() {
        describe_first_item(rt, &fetcher, first, fetch_page, &mut out).await;
    }
    Ok(out)
}

/// The feed's body, fetched without validators: a conditional answer would show nothing.
async fn fetch_feed(fetcher: &Fetcher, url: &Url) -> Result<Vec<u8>, FetchError> {
    Ok(match fetcher.feed(url, &Validators::default()).await? {
        FeedResponse::Fetched { body, .. } => body,
        // A server answering 304 to an unconditional GET gives nothing to parse.
        FeedResponse::NotModified { .. } => Vec::new(),
    })
}

/// A feed file's bytes, and the `file:` URL its relative links resolve against.
fn read_feed_file(target: &str) -> Result<(Vec<u8>, Url), FeedTestError> {
    let bytes =
        std::fs::read(target).map_err(|source| FeedTestError::Read { path: target.to_string(), source })?;
    let base = std::path::absolute(target)
        .ok()
        .and_then(|p| Url::from_file_path(p).ok())
        .unwrap_or_else(|| NO_URL.clone());
    Ok((bytes, base))
}

/// The first item's body length and how it was found: from its page when `fetch_page` and the
/// page comes, else from the feed's own text.
async fn describe_first_item(
    rt: &Runtime,
    fetcher: &Fetcher,
    first: &Entry,
    fetch_page: bool,
    out: &mut String,
) {
    let feed_text = crate::extract::html_to_text(&first.html);
    let article = match (&first.link, fetch_page) {
        (Some(link), true) => match fetcher.page(link).await {
            Ok(page) => {
                let html = crate::extract::decode(&page.body, page.content_type.as_deref());
                Some(rt.extractor.extract(&html, &page.final_url, &feed_text))
            }
            Err(err) => {
                let _ = writeln!(
                    out,
                    "first item: page not fetched ({}); the feed's text would be used",
                    chain(&err)
                );
                None
            }
        },
        _ => None,
    };
    let (chars, method, language) = match article {
        Some(a) => (a.body.chars().count(), a.method, a.language),
        None => (feed_text.chars().count(), Method::Feed, crate::lang::detect(&feed_text)),
    };
    // The page's declared or detected language, which a feed that declares none would get.
    let language = language.map_or_else(String::new, |l| format!(", language {l}"));
    let _ = writeln!(out, "first item: {chars} characters of body, by {}{language}", method.describe());
}
