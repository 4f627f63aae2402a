//! Per-host politeness: at most `per_host_concurrency` requests to one host at a time, and at
//! least `per_host_interval` between the starts of two requests to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One host's limits.
#[derive(Debug)]
struct Host {
    permits: Arc<Semaphore>,
    /// The earliest start of the next request; each request reserves its slot.
    next_start: Mutex<Instant>,
}

/// Limits shared by every request of the process.
#[derive(Debug)]
pub struct HostLimiter {
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    concurrency: usize,
    interval: Duration,
}

/// Held for the length of a request.
#[derive(Debug)]
pub struct HostPermit {
    _permit: OwnedSemaphorePermit,
}

impl HostLimiter {
    #[must_use]
    pub fn new(concurrency: usize, interval: Duration) -> Self {
        Self { hosts: Mutex::default(), concurrency: concurrency.max(1), interval }
    }

    /// Waits for a free slot on `host` and for its turn after the previous request started.
    ///
    /// # Panics
    /// Never: the semaphores are never closed.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let state = {
            let mut hosts = self.hosts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(hosts.entry(host.to_ascii_lowercase()).or_insert_with(|| {
                Arc::new(Host {
                    permits: Arc::new(Semaphore::new(self.concurrency)),
                    next_start: Mutex::new(Instant::now()),
                })
            }))
        };
        let permit =
            Arc::clone(&state.permits).acquire_owned().await.expect("host semaphores are never closed");
        let start = {
            let mut next = state.next_start.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let start = (*next).max(Instant::now());
            *next = start + self.interval;
            start
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced_and_bounded() {
        let limiter = Arc::new(HostLimiter::new(2, Duration::from_millis(250)));
        let t0 = Instant::now();
        let first = limiter.acquire("a.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
        let _second = limiter.acquire("a.example").await;
        assert_eq!(t0.elapsed(), Duration::from_millis(250), "spaced by the interval");
        let _other = limiter.acquire("b.example").await;
        assert_eq!(t0.elapsed(), Duration::from_millis(250), "another host is not held up");
        let l = Arc::clone(&limiter);
        let third = tokio::spawn(async move {
            let _permit = l.acquire("A.EXAMPLE").await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!third.is_finished(), "two requests under way, concurrency two");
        drop(first);
        let started = third.await.expect("task");
        assert_eq!(started, t0 + Duration::from_millis(5250), "runs as soon as a permit frees");
    }
}
