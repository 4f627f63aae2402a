//! The optional HTTP listener (`[http] listen`): `/metrics` in Prometheus text format, `/healthz`
//! (200 while the database and the pipeline are healthy, 503 with the reason; a restart would
//! help) and `/readyz` (503 also while the service is degraded: every feed failing, which a
//! restart would not mend but an operator should hear of); and the page ([`crate::web`]) when
//! the daemon hands one over.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

use crate::service::Health;

/// Histogram buckets of stage latencies, in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// How often the recorder drains the histogram samples recorded since its last upkeep.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process-wide metrics recorder once and returns a handle that renders it; later
/// calls return `None` (the recorder is already in place). Call it inside the tokio runtime.
#[must_use]
pub fn install_metrics() -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    describe();
    // A recorder from `build_recorder` has no upkeep task of its own: without one, every
    // histogram sample is kept until a scrape renders it, and without `[http] listen` (the
    // default) nothing ever does, so a daemon's memory grew with every poll and article.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Some(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("flashpoint_feed_polls_total", "Feed polls by result (ok, not_modified, error).");
    describe_counter!("flashpoint_articles_processed_total", "Articles stored, by extraction method.");
    describe_counter!("flashpoint_alerts_total", "Alerts raised, by severity.");
    describe_counter!(
        "flashpoint_webhook_deliveries_total",
        "Webhook delivery attempts by webhook and result."
    );
    describe_counter!("flashpoint_page_fetches_total", "Article page fetches by result.");
    describe_gauge!("flashpoint_outbox_pending", "Webhook deliveries waiting in the outbox.");
    describe_gauge!("flashpoint_outbox_dead", "Webhook deliveries dead-lettered.");
    describe_gauge!("flashpoint_inbox_items", "Feed items waiting to become articles.");
    describe_gauge!(
        "flashpoint_feed_last_success_timestamp_seconds",
        Unit::Seconds,
        "Unix time of each feed's last successful poll."
    );
    describe_gauge!(
        "flashpoint_feed_consecutive_failures",
        "Polls of each feed failed in a row (0 after a success)."
    );
    describe_gauge!(
        "flashpoint_rules_info",
        "1 for the hash of the scoring rules in force, 0 for earlier ones."
    );
    describe_counter!("flashpoint_config_reload_total", "Reloads by result (ok, error).");
    describe_gauge!("flashpoint_degraded", "1 while every feed is failing.");
    describe_gauge!("process_resident_memory_bytes", Unit::Bytes, "Resident memory of the process.");
    describe_gauge!("process_cpu_seconds_total", Unit::Seconds, "User and system CPU time of the process.");
    describe_gauge!("process_open_fds", "Open file descriptors of the process.");
    describe_histogram!(
        "flashpoint_stage_duration_seconds",
        Unit::Seconds,
        "Time one item spends in each stage."
    );
}

#[derive(Clone)]
struct AppState {
    metrics: Option<PrometheusHandle>,
    health: Arc<Health>,
}

/// Serves `/metrics`, `/healthz` and `/readyz`, and `page` when given, on `listener` until
/// `shutdown`.
///
/// # Errors
/// The listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Option<PrometheusHandle>,
    health: Arc<Health>,
    page: Option<crate::web::Page>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut app = Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, health });
    if let Some(page) = page {
        app = app.merge(page.router());
    }
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.as_ref().map(PrometheusHandle::render).unwrap_or_default();
    ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], body)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match (state.health.problem(), state.health.degraded()) {
        (None, None) => (StatusCode::OK, "ok\n".to_string()),
        (None, Some(why)) => (StatusCode::OK, format!("ok; degraded: {why}\n")),
        (Some(problem), _) => (StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {problem}\n")),
    }
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match (state.health.problem(), state.health.degraded()) {
        (None, None) => (StatusCode::OK, "ready\n".to_string()),
        (Some(problem), _) => (StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {problem}\n")),
        (None, Some(why)) => (StatusCode::SERVICE_UNAVAILABLE, format!("degraded: {why}\n")),
    }
}
