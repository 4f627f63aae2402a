//! The daemon driven in-process through its library entry point, [`flashpoint::app::run`], with
//! a [`Control`] held by the test instead of Unix signals: it stops when told and drains what it
//! holds, and a reload request puts new scoring rules in force only when the config compiles.
//!
//! Time is tokio's paused clock: the daemon's minutes between polls pass as soon as everything
//! is idle, so a test never sleeps for real, and "promptly" is measured on the same clock the
//! daemon's stop grace runs on.

mod common;

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use common::{Server, count_now, item_feed, write_config};
use flashpoint::app::{self, AppError, Control, Mode};
use flashpoint::store::RunSummary;

/// The daemon on the config at `path`, steered by the returned token and reload sender.
/// What [`app::run`] returns: for `once`, what the run did.
type Ran = Result<Option<RunSummary>, AppError>;

fn start(path: &Path, mode: Mode) -> (JoinHandle<Ran>, CancellationToken, mpsc::Sender<()>) {
    let rt = flashpoint::config::load_runtime(path).expect("config compiles");
    let shutdown = CancellationToken::new();
    let (reload_tx, reload) = mpsc::channel(1);
    let control = Control { shutdown: shutdown.clone(), reload };
    let path = path.to_path_buf();
    let daemon = tokio::spawn(async move { app::run(rt, &path, mode, control).await });
    (daemon, shutdown, reload_tx)
}

/// Waits until `done` holds, or panics after 30 minutes of the paused clock (thirty polls of
/// a feed polled every minute).
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_mins(30);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks for a reload and lets it finish. A reload runs on one task without awaiting anything,
/// and the paused clock moves only once every task is idle: when the sleep ends, it is done.
async fn reload(requests: &mpsc::Sender<()>) {
    requests.send(()).await.expect("the daemon takes reload requests");
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// The `rules_hash` of the alert raised for the item with this guid.
fn alert_rules_hash(db: &Path, guid: &str) -> String {
    let rows = common::query(
        db,
        &format!(
            "SELECT alerts.rules_hash FROM alerts JOIN articles ON articles.id = alerts.article_id \
             WHERE articles.guid = '{guid}'"
        ),
    );
    match rows.first().and_then(|r| r.first()) {
        Some(rusqlite::types::Value::Text(hash)) => hash.clone(),
        other => panic!("no alert for {guid}: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_daemon_runs_until_shutdown_then_returns_ok_before_the_grace_runs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), &[], &[], "");
    let grace = flashpoint::config::load_runtime(&cfg.path).expect("config").stop_grace;
    let (daemon, shutdown, _reload) = start(&cfg.path, Mode::Daemon);

    tokio::time::sleep(Duration::from_mins(10)).await;
    assert!(!daemon.is_finished(), "a daemon with nothing to poll still runs until told to stop");
    assert_eq!(count_now(&cfg.db, "SELECT count(*) FROM articles"), 0);
    assert!(cfg.db.exists(), "the daemon opened its database");

    let asked = tokio::time::Instant::now();
    shutdown.cancel();
    let result = tokio::time::timeout(grace * 2, daemon).await.expect("returns").expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    // Had the pipeline not drained, `run` would have waited out the whole grace.
    assert!(asked.elapsed() < grace, "stopped after {:?}, grace {grace:?}", asked.elapsed());
}

#[tokio::test(start_paused = true)]
async fn once_returns_by_itself_with_every_item_stored() {
    let site = Server::start().await;
    site.route("/feed", item_feed(&[("one", "Calm weather."), ("two", "Markets were quiet on Monday.")]));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), &[("Feed", site.url("/feed"))], &[], "");
    let (daemon, _shutdown, _reload) = start(&cfg.path, Mode::Once);

    let result =
        tokio::time::timeout(Duration::from_mins(5), daemon).await.expect("returns").expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(count_now(&cfg.db, "SELECT count(*) FROM articles"), 2, "drained before returning");
}

#[tokio::test(start_paused = true)]
async fn reload_puts_good_rules_in_force_and_keeps_the_old_ones_on_a_bad_config() {
    let site = Server::start().await;
    let calm = ("one", "Officials said the zorblat was seen near the river on Monday.");
    site.route("/feed", item_feed(&[calm]));
    let dir = tempfile::tempdir().expect("tempdir");
    let every_minute = "[feeds_defaults]\ninterval = \"1m\"\nmin_interval = \"1m\"\n";
    let cfg = write_config(dir.path(), &[("Feed", site.url("/feed"))], &[], every_minute);
    let good = std::fs::read_to_string(&cfg.path).expect("config");
    let old_hash =
        flashpoint::config::load_runtime(&cfg.path).expect("config").scorer.rules_hash().to_string();
    let (daemon, shutdown, requests) = start(&cfg.path, Mode::Daemon);
    let articles = || count_now(&cfg.db, "SELECT count(*) FROM articles");
    let alerts = || count_now(&cfg.db, "SELECT count(*) FROM alerts");
    until("the first article", || articles() == 1).await;
    assert_eq!(alerts(), 0);

    // A config that does not compile: the rules in force stay.
    std::fs::write(&cfg.path, format!("{good}\n[nonesuch]\nkey = 1\n")).expect("break config");
    assert!(flashpoint::config::load_runtime(&cfg.path).is_err(), "the broken config is broken");
    reload(&requests).await;
    let attack = ("two", "Militants attacked a police post on Monday, killing two constables.");
    site.route("/feed", item_feed(&[calm, attack]));
    until("an alert under the old rules", || alerts() == 1).await;
    assert_eq!(alert_rules_hash(&cfg.db, "two"), old_hash);

    // A good config with one more term: the next article is scored with it.
    let mut table: toml::Table = good.parse().expect("TOML");
    let scoring = table.get_mut("scoring").and_then(toml::Value::as_table_mut).expect("[scoring]");
    let terms = scoring.get_mut("terms").and_then(toml::Value::as_array_mut).expect("terms");
    terms.push(toml::Value::Table(toml::toml! { phrase = "zorblat" category = "threaten" weight = 9.0 }));
    std::fs::write(&cfg.path, toml::to_string(&table).expect("serialize")).expect("write config");
    let new_hash =
        flashpoint::config::load_runtime(&cfg.path).expect("config").scorer.rules_hash().to_string();
    assert_ne!(new_hash, old_hash);
    reload(&requests).await;
    let sighted = ("three", "The army said the zorblat returned to the valley at dawn.");
    site.route("/feed", item_feed(&[calm, attack, sighted]));
    until("an alert under the new rules", || alerts() == 2).await;
    assert_eq!(alert_rules_hash(&cfg.db, "three"), new_hash);
    assert_eq!(
        count_now(
            &cfg.db,
            "SELECT count(*) FROM alerts JOIN articles ON articles.id = alerts.article_id WHERE articles.guid = 'one'"
        ),
        0,
        "stored articles are not re-scored"
    );

    shutdown.cancel();
    let result =
        tokio::time::timeout(Duration::from_mins(1), daemon).await.expect("returns").expect("no panic");
    assert!(result.is_ok(), "{result:?}");
}
