//! [`BatchSlots`]: how many batches run at once, each on Tokio's blocking pool.

use photon_core::EmbedError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bounds the batches an engine runs at once and runs each on Tokio's blocking pool, so
/// inference never stalls the async threads.
///
/// A batch's slot travels with its blocking work: when the caller stops waiting (the run's
/// `embed_timeout`), the slot stays taken until the work really ends, so a stuck engine never
/// has more batches in flight than it has slots.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use photon_backend_common::BatchSlots;
/// let slots = BatchSlots::new(2);
/// let doubled = slots.run(|| Ok(21 * 2)).await.unwrap();
/// assert_eq!((doubled, slots.len()), (42, 2));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BatchSlots {
    permits: Arc<Semaphore>,
    len: usize,
}

impl BatchSlots {
    /// `len` slots (at least 1).
    pub fn new(len: usize) -> Self {
        let len = len.max(1);
        Self {
            permits: Arc::new(Semaphore::new(len)),
            len,
        }
    }

    /// How many batches run at once.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: there is at least one slot.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Waits for a free slot, then runs `work` holding it on a blocking thread. A panic inside
    /// `work` resumes in the caller, where the pipeline turns it into error records for the
    /// batch.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, EmbedError> + Send + 'static,
    ) -> Result<T, EmbedError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| EmbedError::Backend(e.into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        });
        match task.await {
            Ok(result) => result,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => Err(EmbedError::Backend(e.into())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_gives_up_leaves_the_slot_taken_until_the_work_ends() {
        let slots = BatchSlots::new(1);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let work = |running: Arc<AtomicUsize>, most: Arc<AtomicUsize>| {
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(200));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        };
        let first = slots.run(work(running.clone(), most.clone()));
        let gave_up = tokio::time::timeout(Duration::from_millis(20), first).await;
        assert!(gave_up.is_err(), "the first call was still running");
        slots
            .run(work(running.clone(), most.clone()))
            .await
            .unwrap();
        assert_eq!(most.load(Ordering::SeqCst), 1, "two batches ran at once");
    }
}
