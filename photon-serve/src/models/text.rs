//! [`TextBatcher`]: text requests for one model gathered into one model call.

use crate::metrics::Metrics;
use photon_core::with_causes;
use photon_models::TextTower;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

struct Job {
    text: String,
    reply: oneshot::Sender<Result<Vec<f32>, String>>,
}

/// Texts waiting for the model, beyond the batch being embedded.
const HANDOFF: usize = 256;

pub(crate) struct TextBatcher {
    jobs: mpsc::Sender<Job>,
    worker: JoinHandle<()>,
}

impl TextBatcher {
    pub fn start(
        tower: TextTower,
        max_batch: usize,
        wait: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (jobs, receiver) = mpsc::channel(HANDOFF);
        let worker = tokio::spawn(work(tower, receiver, max_batch.max(1), wait, metrics));
        Self { jobs, worker }
    }

    /// The L2-normalised embedding of `text`, or the model's error with its causes.
    pub async fn embed(&self, text: String) -> Result<Vec<f32>, String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { text, reply })
            .await
            .map_err(|_| "the text model has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the text model dropped the request".to_owned())?
    }

    /// Ends the worker once the texts already taken are answered.
    pub async fn close(self) {
        drop(self.jobs);
        let _ = self.worker.await;
    }
}

async fn work(
    tower: TextTower,
    mut jobs: mpsc::Receiver<Job>,
    max_batch: usize,
    wait: Duration,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let deadline = Instant::now() + wait;
        while batch.len() < max_batch {
            match timeout_at(deadline, jobs.recv()).await {
                Ok(Some(job)) => batch.push(job),
                _ => break,
            }
        }
        metrics.batch("textual", batch.len());
        let texts: Vec<&str> = batch.iter().map(|job| job.text.as_str()).collect();
        match tower.embed(&texts).await {
            Ok(vectors) => {
                for (job, vector) in batch.into_iter().zip(vectors) {
                    let _ = job.reply.send(Ok(vector));
                }
            }
            Err(e) => {
                let message = with_causes(&e);
                for job in batch {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}
