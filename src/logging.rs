//! Logging set-up: human lines on a terminal, the journal's native structured fields under
//! systemd (no colours, no second timestamp), or JSON lines; the level from `RUST_LOG`, else
//! `[log] level`.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The journal under systemd (`JOURNAL_STREAM` set), else human.
    Auto,
    /// Human-readable lines, coloured on a terminal.
    Human,
    /// One JSON object per line.
    Json,
    /// Structured entries sent to journald.
    Journal,
}

/// What `Auto` becomes, given whether stderr goes to the journal.
#[must_use]
pub fn resolve(requested: Format, journal_stream: bool) -> Format {
    match requested {
        Format::Auto if journal_stream => Format::Journal,
        Format::Auto => Format::Human,
        other => other,
    }
}

/// `text` fit for a terminal: control characters (escape sequences, bell, carriage return, the
/// C1 controls), and line breaks too unless `keep_newlines`, written as `\u{1b}`. Feed titles and
/// page text are anyone's, and `ESC[2J` clears the screen of whoever reads the log.
#[must_use]
pub fn printable(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\t' && !(keep_newlines && c == '\n');
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Field values with their control characters escaped, line breaks included: a feed title holding
/// `ESC[2J` must not clear the terminal of whoever reads the log, nor a `\n` forge a log line.
/// (The JSON and journal formats quote values themselves.)
fn printable_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> {
    use tracing_subscriber::field::MakeExt as _;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        let text = printable(&text, false);
        if field.name() == "message" { write!(writer, "{text}") } else { write!(writer, "{field}={text}") }
    })
    .delimited(" ")
}

/// Installs the global subscriber. `level` is used when `RUST_LOG` is unset; a noisy dependency
/// is kept at `warn`.
pub fn init(requested: Format, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("{level},rusqlite_migration=warn")))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let format = resolve(requested, std::env::var_os("JOURNAL_STREAM").is_some());
    let registry = tracing_subscriber::registry().with(filter);
    let plain = |ansi: bool, time: bool| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .fmt_fields(printable_fields())
            .with_writer(std::io::stderr);
        if time { layer.boxed() } else { layer.without_time().boxed() }
    };
    let output = match format {
        Format::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
        Format::Journal => match tracing_journald::layer() {
            Ok(journald) => journald.with_syslog_identifier("flashpoint".into()).boxed(),
            // No journal socket: plain lines without colours or timestamps (journald adds its own).
            Err(_) => plain(false, false),
        },
        Format::Human | Format::Auto => plain(std::io::stderr().is_terminal(), true),
    };
    registry.with(output).init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let cases = [
            ("plain text", true, "plain text"),
            ("a\u{1b}[2Jb", true, "a\\u{1b}[2Jb"),
            ("one\ntwo\r", true, "one\ntwo\\u{d}"),
            ("one\ntwo", false, "one\\u{a}two"),
            ("tab\tbell\u{7}c1\u{9b}", true, "tab\tbell\\u{7}c1\\u{9b}"),
        ];
        for (text, keep, want) in cases {
            assert_eq!(printable(text, keep), want, "{text:?}");
        }
    }

    #[test]
    fn auto_follows_the_journal() {
        let cases = [
            (Format::Auto, true, Format::Journal),
            (Format::Auto, false, Format::Human),
            (Format::Json, true, Format::Json),
            (Format::Human, true, Format::Human),
            (Format::Journal, false, Format::Journal),
        ];
        for (requested, journal, want) in cases {
            assert_eq!(resolve(requested, journal), want, "{requested:?} {journal}");
        }
    }
}
