//! The scorer in force, swapped whole when the rules are reloaded.

use std::sync::{Arc, PoisonError, RwLock};

use super::scorer::Scorer;

/// The scorer in force, swapped whole on reload. Work in flight keeps the `Arc` it started with.
#[derive(Debug)]
pub struct LiveScorer(RwLock<Arc<Scorer>>);

impl LiveScorer {
    #[must_use]
    pub fn new(scorer: Scorer) -> Self {
        Self(RwLock::new(Arc::new(scorer)))
    }

    /// The scorer to use for the next article.
    #[must_use]
    pub fn current(&self) -> Arc<Scorer> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `scorer` in force for every article scored from now on.
    pub fn replace(&self, scorer: Scorer) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(scorer);
    }
}
