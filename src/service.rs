//! Life as a service: systemd notification (`READY=1`, `STATUS=`, `WATCHDOG=1`, `RELOADING=1`,
//! `STOPPING=1`; silent outside systemd), pipeline progress for the watchdog, and the health
//! state behind `/healthz`.
//!
//! The watchdog is fed only while the pipeline makes progress: a stage that holds work and has
//! finished nothing for a whole watchdog period is hung, and systemd restarts the service.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, error};

/// The pipeline stages whose progress is watched and whose durations are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Poll,
    Fetch,
    Extract,
    Score,
    Store,
    Deliver,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Self; 6] =
        [Self::Poll, Self::Fetch, Self::Extract, Self::Score, Self::Store, Self::Deliver];

    /// The stage's name in logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Poll => "poll",
            Self::Fetch => "fetch",
            Self::Extract => "extract",
            Self::Score => "score",
            Self::Store => "store",
            Self::Deliver => "deliver",
        }
    }
}

/// Tells systemd something; a no-op outside systemd. Failures are logged, never fatal.
pub fn notify(state: &[sd_notify::NotifyState<'_>]) {
    if let Err(err) = sd_notify::notify(state) {
        debug!(error = %err, "cannot notify systemd");
    }
}

/// `READY=1`: the database is open and feeds are scheduled (or a reload is done).
pub fn ready() {
    notify(&[sd_notify::NotifyState::Ready]);
}

/// `RELOADING=1` with the monotonic time systemd asks for.
pub fn reloading() {
    match sd_notify::NotifyState::monotonic_usec_now() {
        Ok(now) => notify(&[sd_notify::NotifyState::Reloading, now]),
        Err(_) => notify(&[sd_notify::NotifyState::Reloading]),
    }
}

/// `STOPPING=1`.
pub fn stopping() {
    notify(&[sd_notify::NotifyState::Stopping]);
}

/// `STATUS=…`, shown by `systemctl status`.
pub fn status(text: &str) {
    notify(&[sd_notify::NotifyState::Status(text)]);
}

/// One stage's work in hand and when it last finished something.
#[derive(Debug)]
struct StageProgress {
    busy: AtomicUsize,
    /// Milliseconds since `Progress::start` of the last finished item.
    last_done_ms: AtomicU64,
}

/// A stage holding work without finishing any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub stage: Stage,
    /// How long it has finished nothing.
    pub idle: Duration,
}

/// Progress of every stage, shared by the stages and the watchdog.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    stages: [StageProgress; Stage::ALL.len()],
}

/// Marks one item of work in a stage; finishing it (dropping the guard) counts as progress and
/// records the item's duration in `flashpoint_stage_duration_seconds`.
#[derive(Debug)]
pub struct Working {
    progress: Arc<Progress>,
    stage: Stage,
    started: std::time::Instant,
}

impl Drop for Working {
    fn drop(&mut self) {
        metrics::histogram!("flashpoint_stage_duration_seconds", "stage" => self.stage.as_str())
            .record(self.started.elapsed());
        let s = &self.progress.stages[self.stage as usize];
        s.busy.fetch_sub(1, Ordering::Relaxed);
        s.last_done_ms.store(self.progress.now_ms(), Ordering::Relaxed);
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            stages: std::array::from_fn(|_| StageProgress {
                busy: AtomicUsize::new(0),
                last_done_ms: AtomicU64::new(0),
            }),
        }
    }
}

impl Progress {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Starts one item of work in `stage`; the guard ends it.
    #[must_use]
    pub fn working(self: &Arc<Self>, stage: Stage) -> Working {
        let s = &self.stages[stage as usize];
        // An idle stage taking work counts from now, not from its last item long ago.
        if s.busy.fetch_add(1, Ordering::Relaxed) == 0 {
            s.last_done_ms.store(self.now_ms(), Ordering::Relaxed);
        }
        Working { progress: Arc::clone(self), stage, started: std::time::Instant::now() }
    }

    /// Items in hand over all stages: the queue depth shown in `STATUS=`.
    #[must_use]
    pub fn in_hand(&self) -> usize {
        self.stages.iter().map(|s| s.busy.load(Ordering::Relaxed)).sum()
    }

    /// The first stage holding work without finishing anything for `limit`, if any.
    #[must_use]
    pub fn stalled(&self, limit: Duration) -> Option<Stall> {
        let now = self.now_ms();
        self.stages.iter().zip(Stage::ALL).find_map(|(s, stage)| {
            let idle = Duration::from_millis(now.saturating_sub(s.last_done_ms.load(Ordering::Relaxed)));
            (s.busy.load(Ordering::Relaxed) > 0 && idle > limit).then_some(Stall { stage, idle })
        })
    }
}

/// Feeds the systemd watchdog at half its period while no stage is stalled; returns when
/// `stop` resolves. Does nothing unless systemd set `WATCHDOG_USEC`.
pub async fn watchdog(progress: Arc<Progress>, stop: impl Future<Output = ()>) {
    let Some(period) = sd_notify::watchdog_enabled() else { return };
    let mut tick = tokio::time::interval(period / 2);
    let mut withheld = false;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        match progress.stalled(period) {
            None => {
                withheld = false;
                notify(&[sd_notify::NotifyState::Watchdog]);
            }
            Some(stall) if !withheld => {
                withheld = true;
                error!(
                    stage = stall.stage.as_str(),
                    idle_secs = stall.idle.as_secs(),
                    "stage made no progress; withholding the watchdog"
                );
            }
            Some(_) => {}
        }
    }
}

/// What `/healthz` and `STATUS=` report.
#[derive(Debug, Default)]
pub struct Health {
    /// Why the service is unhealthy; `None` while healthy.
    problem: Mutex<Option<String>>,
    /// Why it is degraded (running, but its work is failing: every feed); `None` when not.
    degraded: Mutex<Option<String>>,
    /// When the last alert was raised.
    last_alert: Mutex<Option<String>>,
    /// Why a delivery worker cannot use the outbox; `None` while it can.
    outbox: Mutex<Option<String>>,
}

impl Health {
    /// Records that an alert was raised at `at`.
    pub fn alert_raised(&self, at: &str) {
        *self.last_alert.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(at.to_string());
    }

    /// When the last alert was raised, if any since start.
    #[must_use]
    pub fn last_alert(&self) -> Option<String> {
        self.last_alert.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Records the latest check: `None` for healthy.
    pub fn set(&self, problem: Option<String>) {
        *self.problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = problem;
    }

    /// Records whether a delivery worker can use the outbox: `None` for yes.
    pub fn set_outbox(&self, problem: Option<String>) {
        *self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = problem;
    }

    /// The current problem, if any: the latest check's, else the outbox's.
    #[must_use]
    pub fn problem(&self) -> Option<String> {
        let checked = self.problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        checked.or_else(|| self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    /// Records whether the service is degraded: `None` for not.
    pub fn set_degraded(&self, why: Option<String>) {
        *self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = why;
    }

    /// Why the service is degraded, if it is.
    #[must_use]
    pub fn degraded(&self) -> Option<String> {
        self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stage_holding_work_without_progress_is_stalled() {
        let p = Arc::new(Progress::default());
        let limit = Duration::from_secs(30);
        assert_eq!(p.stalled(limit), None, "idle is not stalled");
        tokio::time::advance(Duration::from_secs(100)).await;
        let fetching = p.working(Stage::Fetch);
        assert_eq!(p.in_hand(), 1);
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(p.stalled(limit), None, "an idle stage's clock starts when it takes work");
        {
            let _other = p.working(Stage::Fetch);
        }
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(p.stalled(limit).map(|s| s.stage), Some(Stage::Fetch));
        drop(fetching);
        assert_eq!(p.stalled(limit), None);
        assert_eq!(p.in_hand(), 0);
    }

    #[test]
    fn health_reports_the_latest_problem() {
        let h = Health::default();
        assert_eq!(h.problem(), None);
        h.set(Some("database is locked".into()));
        assert_eq!(h.problem().as_deref(), Some("database is locked"));
        h.set(None);
        assert_eq!(h.problem(), None);
    }
}
