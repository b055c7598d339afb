//! The run's request budget: every request counts, retries included.

use std::sync::atomic::{AtomicU64, Ordering};

/// Requests left to the run, shared by the calls in flight.
#[derive(Debug)]
pub(crate) struct RequestBudget {
    max: Option<u64>,
    used: AtomicU64,
    refused: AtomicU64,
}

impl RequestBudget {
    pub(crate) fn new(max: Option<u64>) -> Self {
        Self {
            max,
            used: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes one request from the budget: false when it is spent.
    pub(crate) fn take(&self) -> bool {
        let Some(max) = self.max else {
            self.used.fetch_add(1, Ordering::Relaxed);
            return true;
        };
        let taken = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used < max).then_some(used + 1)
            })
            .is_ok();
        if !taken {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        taken
    }

    /// Requests taken so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Requests refused because the budget was spent.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The budget, if any.
    pub(crate) fn max(&self) -> Option<u64> {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_lets_exactly_its_requests_through_from_many_threads() {
        let budget = std::sync::Arc::new(RequestBudget::new(Some(1000)));
        let taken: u64 = (0..8)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || (0..500).filter(|_| budget.take()).count() as u64)
            })
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(taken, 1000);
        assert_eq!((budget.used(), budget.refused()), (1000, 3000));
        assert!(RequestBudget::new(None).take());
    }
}
