//! A pool of ONNX Runtime sessions: concurrent batches each take a free session and run on a
//! blocking thread, so inference never blocks the async threads nor waits on a single lock.

use crate::{OrtError, OrtOptions};
use ort::session::Session;
use photon_backend_common::{BatchSlots, Device};
use photon_core::EmbedError;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub(crate) struct SessionPool {
    free: Arc<Mutex<Vec<Session>>>,
    slots: BatchSlots,
}

impl SessionPool {
    pub(crate) fn new(sessions: Vec<Session>) -> Self {
        let slots = BatchSlots::new(sessions.len());
        Self {
            free: Arc::new(Mutex::new(sessions)),
            slots,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Runs `work` on a free session (waiting for one), on a blocking thread.
    pub(crate) async fn with_session<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Session) -> Result<T, EmbedError> + Send + 'static,
    ) -> Result<T, EmbedError> {
        let free = self.free.clone();
        self.slots
            .run(move || {
                let mut session = free
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop()
                    .ok_or_else(|| EmbedError::Backend("no free session despite a slot".into()))?;
                // Give the session back even if the work panics, so the pool never shrinks.
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut session)));
                free.lock().unwrap_or_else(|p| p.into_inner()).push(session);
                result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .await
    }
}

/// ONNX Runtime's switch to exact int8 products on x86 CPUs without VNNI. There its default
/// uint8 x int8 kernel adds pairs of products in 16 bits and saturates: an int8 EfficientNet
/// whose cosine to float is 0.994 with VNNI falls to 0.915, and its top-1 class changes on two
/// photos in seven. A quantized model must mean the same on every CPU, so the loss
/// `photon models quantize` measured holds wherever the model runs; with VNNI, or on other
/// architectures, the switch changes nothing.
const EXACT_INT8_KEY: &str = "session.x64quantprecision";

/// `options.sessions` sessions of the model in `file`.
/// On a GPU, each session runs the whole graph there: the CUDA provider must register, or
/// loading fails.
pub(crate) fn load_sessions(file: &Path, options: &OrtOptions) -> Result<Vec<Session>, OrtError> {
    let (env, library) = crate::init_runtime(options.library.as_deref(), options.device)?;
    let preload_failures = match options.device {
        Device::Cuda(_) => crate::cuda::preload_cuda_libraries(&library),
        _ => Vec::new(),
    };
    let configure = |e: &dyn std::fmt::Display| OrtError::Session(e.to_string());
    (0..options.sessions.max(1))
        .map(|_| {
            let mut builder = Session::builder(env)
                .map_err(|e| configure(&e))?
                .with_intra_threads(options.threads_per_session.max(1))
                .map_err(|e| configure(&e))?
                .with_inter_threads(1)
                .map_err(|e| configure(&e))?
                .with_intra_op_spinning(options.spin_wait)
                .map_err(|e| configure(&e))?
                .with_config_entry(EXACT_INT8_KEY, "1")
                .map_err(|e| configure(&e))?;
            if let Device::Cuda(ordinal) = options.device {
                builder = crate::cuda::register_cuda(builder, ordinal, &preload_failures)?;
            }
            builder.commit_from_file(file).map_err(|e| OrtError::Load {
                file: file.to_path_buf(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// Fails unless the session has these inputs and outputs.
pub(crate) fn check_io(
    session: &Session,
    inputs: &[&str],
    outputs: &[&str],
) -> Result<(), OrtError> {
    let have_inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    let have_outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    let missing = |kind: &str, name: &str, have: &[&str]| {
        OrtError::Interface(format!("no {kind} `{name}` (the model has {have:?})"))
    };
    if let Some(name) = inputs.iter().find(|n| !have_inputs.contains(n)) {
        return Err(missing("input", name, &have_inputs));
    }
    if let Some(name) = outputs.iter().find(|n| !have_outputs.contains(n)) {
        return Err(missing("output", name, &have_outputs));
    }
    Ok(())
}
