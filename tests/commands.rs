//! The operator commands as an operator meets them: which config and database they use, what
//! they say first, and that the commands which only read never create a database.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{
    Daemon, Reply, Server, TestConfig, binary, fixtures, flashpoint, generated_site, secs, stderr, wait_until,
};

/// `flashpoint ARGS…` in `cwd`, blind to the caller's `FLASHPOINT_CONFIG` unless `env` sets it.
fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.current_dir(cwd).args(args).env_remove("FLASHPOINT_CONFIG").env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run flashpoint")
}

fn with_config(cfg: &TestConfig, args: &[&str]) -> Output {
    let mut all = vec!["--config", cfg.path.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    run_in(cfg.dir(), &all, &[])
}

const READERS: [&[&str]; 9] = [
    &["status"],
    &["alerts"],
    &["deliveries"],
    &["feeds"],
    &["labels"],
    &["rescore"],
    &["train", "--with-labels", "--out", "m.model"],
    &["trends"],
    &["trends", "--rebuild"],
];

/// Issue 20: `status` on a config whose database is not where it says created an empty one and
/// reported "0 articles, 0 alerts".
#[test]
fn reading_commands_never_create_a_database() {
    let cfg = TestConfig::new(&[], &[], "");
    for args in READERS {
        let out = with_config(&cfg, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        let db = cfg.db.display().to_string();
        let config = cfg.path.display().to_string();
        assert!(err.contains(&format!("database {db} does not exist")), "{args:?} names the database: {err}");
        assert!(err.contains(&format!("storage.path in {config}")), "{args:?} names the config: {err}");
        assert!(!cfg.db.exists(), "{args:?} created {db}");
    }
}

/// Issue 20: every command's first line on stderr names the config and database it uses; what
/// it prints on stdout stays machine-readable.
#[test]
fn every_command_names_its_config_and_database_first() {
    let cfg = TestConfig::new(&[], &[], "");
    drop(flashpoint::store::Store::open(&cfg.db).expect("a database the daemon made"));
    let lines = cfg.dir().join("lines.jsonl");
    std::fs::write(&lines, "{\"id\":\"1\",\"text\":\"The army will strike deep inside the border.\"}\n")
        .expect("write");
    let lines = lines.to_str().expect("utf-8");
    let with_db = format!("config {}, database {}", cfg.path.display(), cfg.db.display());
    let without_db = format!("config {}, no database", cfg.path.display());
    let cases: [(&[&str], &str, bool); 8] = [
        (&["status", "--json"], &with_db, true),
        (&["trends", "--json"], &with_db, true),
        (&["alerts", "--json"], &with_db, true),
        (&["deliveries", "--json"], &with_db, true),
        (&["feeds", "--json"], &with_db, true),
        (&["labels", "--json"], &with_db, true),
        (&["score", "--jsonl", lines], &without_db, true),
        (&["check-config"], &with_db, false),
    ];
    for (args, first, json) in cases {
        let out = with_config(&cfg, args);
        let err = stderr(&out);
        assert!(out.status.success(), "{args:?}: {err}");
        assert_eq!(err.lines().next(), Some(first), "{args:?}");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        if json && !stdout.is_empty() {
            let whole = serde_json::from_str::<serde_json::Value>(&stdout).is_ok();
            let each = stdout.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
            assert!(whole || each, "{args:?}: stdout is JSON only: {stdout}");
        }
    }
}

/// Issue 20: `--config` defaulted to the relative `config/flashpoint.toml`, so outside the
/// repository every command failed. `FLASHPOINT_CONFIG` comes first, then the working
/// directory's `config/flashpoint.toml`, then the packaged `/etc/flashpoint/flashpoint.toml`.
#[test]
fn the_config_is_found_by_the_environment_then_the_working_directory() {
    let cfg = TestConfig::new(&[], &[], "");
    let cwd = tempfile::tempdir().expect("tempdir");
    let local = cwd.path().join("config/flashpoint.toml");
    std::fs::create_dir_all(local.parent().expect("dir")).expect("mkdir");
    std::fs::copy(&cfg.path, &local).expect("copy");
    let first_line = |out: &Output| stderr(out).lines().next().unwrap_or_default().to_string();

    let out = run_in(cwd.path(), &["check-config"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(first_line(&out).starts_with(&format!("config {},", local.display())), "{}", stderr(&out));

    let env = cfg.path.to_str().expect("utf-8");
    let out = run_in(cwd.path(), &["check-config"], &[("FLASHPOINT_CONFIG", env)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(first_line(&out).starts_with(&format!("config {env},")), "{}", stderr(&out));

    let empty = tempfile::tempdir().expect("tempdir");
    if !Path::new("/etc/flashpoint/flashpoint.toml").exists() {
        let out = run_in(empty.path(), &["status"], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{err}");
        assert!(
            err.contains("config/flashpoint.toml") && err.contains("/etc/flashpoint/flashpoint.toml"),
            "{err}"
        );
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 20: `once` exited 0 when every feed failed, and printed no summary, so cron could not
/// tell that nothing worked. It prints one line, and exits 3 when every feed failed or a delivery
/// was dead-lettered.
#[tokio::test(flavor = "multi_thread")]
async fn once_says_what_it_did_and_exits_3_when_nothing_worked() {
    let site = Server::start().await;
    generated_site(&site, 2, 1);
    site.route("/broken", Reply::status(500));
    let hook = Server::start().await;

    let failing = TestConfig::new(&[("A", site.url("/broken")), ("B", site.url("/missing"))], &[], "");
    let out = flashpoint(&failing.path, &["once"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "once: 2 feeds polled, 2 failed; 0 articles, 0 alerts; deliveries: 0 delivered, 0 dead-lettered, 0 pending\n"
    );

    let working = TestConfig::new(
        &[("A", site.url("/broken")), ("Gen", site.url("/gen/feed"))],
        &[hook.url("/hook")],
        "",
    );
    let out = flashpoint(&working.path, &["once"]).await;
    assert_eq!(out.status.code(), Some(0), "one feed of two worked: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "once: 2 feeds polled, 1 failed; 2 articles, 1 alert; deliveries: 1 delivered, 0 dead-lettered, 0 pending\n"
    );

    hook.answer_posts(410);
    let dead = TestConfig::new(
        &[("Gen", site.url("/gen/feed"))],
        &[hook.url("/hook")],
        "[delivery]\nmax_age = \"1ms\"\n",
    );
    let out = flashpoint(&dead.path, &["once"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("deliveries: 0 delivered, 1 dead-lettered, 0 pending\n"),
        "{}",
        stdout(&out)
    );
}

/// Issue 20: README.md says one process per database, and at start each frees what the other
/// has leased; nothing stopped a second daemon. `run` and `once` hold a lock on the database; a
/// second one exits 1 naming the holder's PID, and the commands that read still work.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_daemon_on_one_database_is_refused_naming_the_first() {
    let site = Server::start().await;
    generated_site(&site, 1, 0);
    let cfg = TestConfig::new(&[("Gen", site.url("/gen/feed"))], &[], "");
    let daemon = Daemon::start(&cfg.path);
    wait_until(secs(20), "the daemon started", || daemon.log().contains("flashpoint started")).await;
    for command in ["run", "once"] {
        let out =
            tokio::time::timeout(secs(20), flashpoint(&cfg.path, &[command])).await.expect("exits at once");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{command}: {err}");
        let named =
            format!("database {} is in use by another flashpoint (pid {})", cfg.db.display(), daemon.pid());
        assert!(err.contains(&named), "{command}: {err}");
    }
    let status = flashpoint(&cfg.path, &["status"]).await;
    assert!(status.status.success(), "status beside the daemon: {}", stderr(&status));
    assert_eq!(daemon.stop().await, Some(0));
    let out = flashpoint(&cfg.path, &["once"]).await;
    assert_eq!(out.status.code(), Some(0), "free once the daemon is gone: {}", stderr(&out));
}

/// Issue 20: `flashpoint alerts --json | head -1` panicked on the broken pipe (exit 101). Every
/// command that writes to stdout is run with nobody reading it, and ends quietly.
#[tokio::test(flavor = "multi_thread")]
async fn every_command_ends_quietly_when_its_reader_is_gone() {
    let site = Server::start().await;
    generated_site(&site, 3, 2);
    let hook = Server::start().await;
    hook.answer_posts(410);
    let cfg = TestConfig::new(&[("Gen", site.url("/gen/feed"))], &[hook.url("/hook")], "");
    let _ = flashpoint(&cfg.path, &["once"]).await;
    let page = fixtures().join("dawn/1900001.html").display().to_string();
    let feed = fixtures().join("dawn/feed.xml").display().to_string();
    let eval = fixtures().join("eval.jsonl").display().to_string();
    let commands: [&[&str]; 20] = [
        &["once"],
        &["check-config"],
        &["status"],
        &["status", "--json"],
        &["alerts"],
        &["alerts", "--json"],
        &["deliveries"],
        &["deliveries", "--json"],
        &["feeds"],
        &["feeds", "--json"],
        &["labels"],
        &["redeliver", "--dead"],
        &["rescore"],
        &["score", &page],
        &["score", "--json", &page],
        &["score", "--jsonl", &eval],
        &["eval", &eval],
        &["extract", &page],
        &["extract", "--json", &page],
        &["feed-test", &feed],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(binary())
            .arg("--config")
            .arg(&cfg.path)
            .args(args)
            .env_remove("FLASHPOINT_CONFIG")
            .env("RUST_LOG", "error")
            .stdout(writer)
            .output()
            .expect("run flashpoint");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// Issue 20: the `feeds` table cut the last error before its cause (the connection failure was
/// lost behind the URL), and the log line said the URL twice. The cause comes first, the URL
/// once, beside it.
#[tokio::test(flavor = "multi_thread")]
async fn a_feeds_last_error_starts_with_its_cause() {
    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    let url = format!("http://{closed}/a/feed/with/a/rather/long/path/that/once/filled/the/column.xml");
    let cfg = TestConfig::new(&[("Gone", url.clone())], &[], "");
    let out = flashpoint(&cfg.path, &["once"]).await;
    let log = stderr(&out);
    let line = log.lines().find(|l| l.contains("feed poll failed")).expect("logged");
    assert_eq!(line.matches(&url).count(), 1, "the URL once: {line}");
    let feeds = flashpoint(&cfg.path, &["feeds", "--json"]).await;
    let row: serde_json::Value = serde_json::from_slice(&feeds.stdout).expect("json");
    let error = row["last_error"].as_str().expect("an error");
    assert!(error.starts_with("Connection refused"), "{error}");
    assert!(!error.contains(&closed.to_string()), "{error}");
    let table = stdout(&flashpoint(&cfg.path, &["feeds"]).await);
    assert!(table.contains("Connection refused"), "{table}");
}

/// A log line's level, target, message and field names, in order, without its time and values.
fn shape(line: &str) -> Option<(String, Vec<String>)> {
    let at = ["INFO ", "WARN ", "ERROR "].iter().filter_map(|l| line.find(l)).min()?;
    let line = &line[at..];
    let words: Vec<&str> = line.split(' ').collect();
    let keys: Vec<String> = words
        .iter()
        .filter_map(|w| w.split_once('=').map(|(k, _)| k))
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_string)
        .collect();
    let head = words.iter().take_while(|w| !w.contains('=')).copied().collect::<Vec<_>>().join(" ");
    Some((head, keys))
}

/// Issue 20: README.md's log example no longer matched the lines the daemon writes (the target,
/// `rules_hash`). Each example line must have a real line of the same level, target, message
/// and fields in the same order; and the start warns of an empty contact and no webhook.
#[tokio::test(flavor = "multi_thread")]
async fn the_readme_log_example_is_what_the_daemon_writes() {
    let site = Server::with_dawn().await;
    let cfg = TestConfig::new(&[("Dawn — Pakistan", site.url("/feeds/pakistan"))], &[], "");
    let log = stderr(&flashpoint(&cfg.path, &["once"]).await);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("readme");
    let example = readme
        .split("At start Flashpoint logs")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("the README's log example");
    let real: Vec<(String, Vec<String>)> = log.lines().filter_map(shape).collect();
    for line in example.lines() {
        let want = shape(line).expect("an example line has a level");
        assert!(real.contains(&want), "README line {line:?} has no real counterpart in:\n{log}");
    }
    assert!(log.contains("check this setting key=webhooks problem=none configured"), "{log}");

    let hook = Server::start().await;
    let quiet = TestConfig::new(&[], &[hook.url("/hook")], "[fetch]\ncontact = \"ops@example.org\"\n");
    let log = stderr(&flashpoint(&quiet.path, &["once"]).await);
    assert!(!log.contains("check this setting"), "{log}");
}

/// Issue 20: every subcommand's `--help` repeated the 12-line `--log-format` block.
#[test]
fn subcommand_help_says_the_log_format_in_one_line() {
    for command in ["alerts", "status", "run"] {
        let out = Command::new(binary()).args([command, "--help"]).output().expect("help");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(!help.contains("Possible values:"), "{command}: {help}");
        let mentions: Vec<&str> = help.lines().filter(|l| l.contains("journal")).collect();
        assert_eq!(mentions.len(), 1, "{command}: {help}");
        assert!(
            mentions[0].contains("--log-format") && mentions[0].contains("human, json or journal"),
            "{help}"
        );
    }
}
