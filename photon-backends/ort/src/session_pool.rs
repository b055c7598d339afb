//! A pool of ONNX Runtime sessions: concurrent batches each take a free session and run on a
//! blocking thread, so inference never blocks the async threads nor waits on a single lock.

use ort::session::Session;
use photon_core::model::{EmbedError, run_blocking};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

pub(crate) struct SessionPool {
    free: Arc<Mutex<Vec<Session>>>,
    permits: Arc<Semaphore>,
    len: usize,
}

impl SessionPool {
    pub(crate) fn new(sessions: Vec<Session>) -> Self {
        let len = sessions.len();
        Self {
            free: Arc::new(Mutex::new(sessions)),
            permits: Arc::new(Semaphore::new(len)),
            len,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Runs `work` on a free session (waiting for one), on a blocking thread.
    pub(crate) async fn with_session<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Session) -> Result<T, EmbedError> + Send + 'static,
    ) -> Result<T, EmbedError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| EmbedError::Backend(e.to_string()))?;
        let free = self.free.clone();
        run_blocking(move || {
            let _permit = permit;
            let mut session = free
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .ok_or_else(|| EmbedError::Backend("no free session despite a permit".into()))?;
            // Give the session back even if the work panics, so the pool never shrinks.
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut session)));
            free.lock().unwrap_or_else(|p| p.into_inner()).push(session);
            result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .await
    }
}
