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

/// `options.sessions` sessions of the model in `file`.
pub(crate) fn load_sessions(
    file: &std::path::Path,
    options: &crate::OrtOptions,
) -> Result<Vec<Session>, crate::OrtError> {
    use crate::OrtError;
    let env = crate::init_runtime(options.library.as_deref())?;
    if !file.is_file() {
        return Err(OrtError::ModelMissing(file.to_path_buf()));
    }
    let configure = |e: &dyn std::fmt::Display| OrtError::Session(e.to_string());
    (0..options.sessions.max(1))
        .map(|_| {
            Session::builder(env)
                .map_err(|e| configure(&e))?
                .with_intra_threads(options.threads_per_session.max(1))
                .map_err(|e| configure(&e))?
                .with_inter_threads(1)
                .map_err(|e| configure(&e))?
                .with_intra_op_spinning(options.spin_wait)
                .map_err(|e| configure(&e))?
                .commit_from_file(file)
                .map_err(|e| OrtError::Load {
                    file: file.to_path_buf(),
                    message: e.to_string(),
                })
        })
        .collect()
}

/// Fails unless the session has these inputs and outputs.
pub(crate) fn check_io<'a>(
    session: &Session,
    inputs: &[&str],
    outputs: impl IntoIterator<Item = &'a str>,
) -> Result<(), crate::OrtError> {
    let have_inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    let have_outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    for name in inputs {
        if !have_inputs.contains(name) {
            return Err(crate::OrtError::Interface(format!(
                "no input `{name}` (the model has {have_inputs:?})"
            )));
        }
    }
    for name in outputs {
        if !have_outputs.contains(&name) {
            return Err(crate::OrtError::Interface(format!(
                "no output `{name}` (the model has {have_outputs:?})"
            )));
        }
    }
    Ok(())
}
