//! Compiling `[[webhooks]]`: each endpoint's URL, payload format, least severity and feed routing,
//! and its signing secret, read from the config, the environment or a file.
//!
//! A secret never appears in a problem message: problems say where the secret should be.

use std::collections::HashSet;

use url::Url;

use std::time::Duration;

use super::compile::{http_url, short_duration};
use super::raw::WebhookConfig;
use super::{Problem, problem};
use crate::notify::{Format, Secret, Webhook};
use crate::story::lifecycle::Cadence;
use crate::types::{EventKind, Severity};

pub(super) fn compile_webhooks(
    webhooks: &[WebhookConfig],
    feeds: &HashSet<&str>,
    problems: &mut Vec<Problem>,
) -> Vec<Webhook> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, hook) in webhooks.iter().enumerate() {
        let key = format!("webhooks[{i}]");
        let before = problems.len();
        let url = http_url(&format!("{key}.url"), &hook.url, problems);
        let format = Format::parse(&hook.format);
        if format.is_none() {
            problems.push(problem(
                format!("{key}.format"),
                format!("{:?} is not one of {}", hook.format, Format::spellings()),
            ));
        }
        let min_severity = Severity::parse(&hook.min_severity);
        if min_severity.is_none() {
            problems.push(problem(
                format!("{key}.min_severity"),
                format!("{:?} is not one of {}", hook.min_severity, Severity::spellings()),
            ));
        }
        for (j, feed) in hook.feeds.iter().enumerate() {
            if !feeds.contains(feed.as_str()) {
                problems
                    .push(problem(format!("{key}.feeds[{j}]"), format!("{feed:?} names no configured feed")));
            }
        }
        let secret = webhook_secret(hook, &key, problems);
        let cadence = cadence(hook, &key, problems);
        let name = hook
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| url.as_ref().and_then(Url::host_str).map(str::to_string))
            .unwrap_or_else(|| format!("webhook{i}"));
        if !names.insert(name.clone()) {
            problems.push(problem(
                format!("{key}.name"),
                format!("{name:?} names another webhook too; give each a distinct name"),
            ));
        }
        if let (Some(url), Some(format), Some(min_severity), true) =
            (url, format, min_severity, problems.len() == before)
        {
            out.push(Webhook { name, url, format, min_severity, feeds: hook.feeds.clone(), secret, cadence });
        }
    }
    out
}

/// Longest `group_wait` and `update_interval`.
const MAX_HOLD: Duration = Duration::from_hours(24);

/// A webhook's `events`, `group_wait` and `update_interval`.
fn cadence(hook: &WebhookConfig, key: &str, problems: &mut Vec<Problem>) -> Cadence {
    let mut events = Vec::new();
    for (j, name) in hook.events.iter().enumerate() {
        match EventKind::parse(name) {
            Some(kind) if !events.contains(&kind) => events.push(kind),
            Some(_) => {}
            None => problems.push(problem(
                format!("{key}.events[{j}]"),
                format!("{name:?} is not one of {}", EventKind::spellings()),
            )),
        }
    }
    if hook.events.is_empty() {
        problems.push(problem(format!("{key}.events"), "names no event; leave it out for all of them"));
    }
    Cadence {
        events,
        group_wait: short_duration(&format!("{key}.group_wait"), &hook.group_wait, MAX_HOLD, problems),
        update_interval: short_duration(
            &format!("{key}.update_interval"),
            &hook.update_interval,
            MAX_HOLD,
            problems,
        ),
    }
}

/// The signing secret of a webhook from exactly one of `secret`, `secret_env`, `secret_file`.
/// Problems name where the secret should be, never what it is.
fn webhook_secret(hook: &WebhookConfig, key: &str, problems: &mut Vec<Problem>) -> Option<Secret> {
    let sources = [hook.secret.is_some(), hook.secret_env.is_some(), hook.secret_file.is_some()];
    if sources.iter().filter(|s| **s).count() > 1 {
        problems.push(problem(key, "set only one of secret, secret_env, secret_file"));
        return None;
    }
    let (sub_key, text) = if let Some(text) = &hook.secret {
        ("secret", text.clone())
    } else if let Some(var) = &hook.secret_env {
        let Ok(text) = std::env::var(var) else {
            problems
                .push(problem(format!("{key}.secret_env"), format!("environment variable {var} is not set")));
            return None;
        };
        ("secret_env", text)
    } else if let Some(path) = &hook.secret_file {
        match std::fs::read_to_string(path) {
            Ok(text) => ("secret_file", text),
            Err(err) => {
                problems.push(problem(
                    format!("{key}.secret_file"),
                    format!("cannot read {}: {err}", path.display()),
                ));
                return None;
            }
        }
    } else {
        return None;
    };
    match Secret::parse(&text) {
        Ok(secret) => Some(secret),
        Err(err) => {
            problems.push(problem(format!("{key}.{sub_key}"), format!("the secret {err}")));
            None
        }
    }
}
