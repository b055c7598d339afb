//! An embedder that reports each call's batch size to the metrics.

use crate::metrics::Metrics;
use photon_core::{EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec};
use std::sync::Arc;

pub(crate) struct Metered {
    pub inner: Arc<dyn Embedder>,
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Embedder for Metered {
    fn spec(&self) -> &ModelSpec {
        self.inner.spec()
    }

    fn backend(&self) -> &str {
        self.inner.backend()
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency()
    }

    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        self.metrics.batch("visual", batch.shape()[0]);
        self.inner.embed(batch).await
    }
}
