//! Flashpoint watches news feeds for escalation language and raises alerts.
//!
//! ```text
//!  feeds ──► feed ──► fetch ──► extract ──► score ──► store ──► notify ──► webhooks
//!            poll     pages     article     terms     SQLite    outbox
//!            dedupe   limits    text        weights   alerts    retries
//! ```
//!
//! Each arrow is a bounded channel between tokio tasks ([`app`]); each stage lives in its own
//! module. The pure cores ([`feed::parse`], [`feed::schedule`], [`extract`], [`lang`], [`score`],
//! [`story`], [`trends`], [`notify::retry`], [`canon`]) do no I/O. Only [`store`] speaks SQL.
//! Settings are validated and compiled once ([`config`]) into the [`config::Runtime`] every
//! command runs on. [`web`] serves the page (alerts, trends, feed health) from what [`store`]
//! holds, next to [`http`]'s metrics and health endpoints.
//!
//! The `flashpoint` binary only parses its arguments and calls [`cli::run`]; the daemon's one
//! entry point is [`app::run`], steered by an [`app::Control`] (shutdown and reload) that the
//! binary fills from Unix signals and tests hold themselves.

pub mod app;
pub mod canon;
pub mod cli;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod http;
pub mod lang;
pub mod logging;
pub mod memory;
pub mod notify;
pub mod process;
pub mod relevance;
pub mod score;
pub mod service;
pub mod store;
pub mod story;
pub mod trends;
pub mod types;
pub mod web;
