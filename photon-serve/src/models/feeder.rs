//! [`ImageFeeder`]: one long-running pipeline per loaded model, fed request by request.
//!
//! The pipeline's driver already runs the CPU stages on blocking threads and gathers images
//! into micro-batches for the model, so requests that arrive together share a model call
//! exactly as the files of a folder do in `photon process`.

use crate::error::ApiError;
use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions, Source};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Record>>>>;

/// Inputs handed to the pipeline ahead of the CPU stages; the server's queue bounds the rest.
const HANDOFF: usize = 64;

pub(crate) struct ImageFeeder {
    inputs: mpsc::Sender<Source>,
    waiting: Waiting,
    next_id: AtomicU64,
    dispatcher: JoinHandle<()>,
}

impl ImageFeeder {
    /// Starts `pipeline` on a stream that ends when the feeder is closed or dropped.
    pub fn start(pipeline: &Pipeline, options: RunOptions) -> Self {
        let (inputs, receiver) = mpsc::channel(HANDOFF);
        let records = pipeline.run(ReceiverStream::new(receiver), options);
        let waiting = Waiting::default();
        let dispatcher = tokio::spawn(dispatch(records, waiting.clone()));
        Self {
            inputs,
            waiting,
            next_id: AtomicU64::new(0),
            dispatcher,
        }
    }

    /// The record of one image. Dropping the future (a timed-out request) forgets the request;
    /// its record, when it comes, is dropped.
    pub async fn process(&self, bytes: Vec<u8>) -> Result<Record, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let name = format!("request-{id}");
        let (reply, answer) = oneshot::channel();
        let _forget = Forget {
            waiting: &self.waiting,
            name: name.clone(),
        };
        lock(&self.waiting).insert(name.clone(), reply);
        self.inputs
            .send(Source::Bytes { name, bytes })
            .await
            .map_err(|_| ApiError::internal("the model's pipeline has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the model's pipeline dropped the request"))
    }

    /// Ends the pipeline: no more inputs, and waits until every record is handed out and the
    /// pipeline (with its hold on the model) is gone.
    pub async fn close(self) {
        drop(self.inputs);
        let _ = self.dispatcher.await;
    }
}

/// Removes a request's entry when its future ends, answered or not.
struct Forget<'a> {
    waiting: &'a Waiting,
    name: String,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        lock(self.waiting).remove(&self.name);
    }
}

fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Record>>> {
    // The map holds plain senders; a panic elsewhere cannot leave it half-updated.
    waiting
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn dispatch(records: impl futures_util::Stream<Item = Record>, waiting: Waiting) {
    let mut records = std::pin::pin!(records);
    while let Some(record) = records.next().await {
        let reply = lock(&waiting).remove(record.file_path());
        if let Some(reply) = reply {
            let _ = reply.send(record);
        }
    }
}
