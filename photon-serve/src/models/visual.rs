//! [`VisualModel`]: an image tower loaded, with the pipelines that feed it.

use super::feeder::ImageFeeder;
use super::metered::Metered;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::options::ServeOptions;
use photon_core::{Embedder, Pipeline, Record, RunOptions, ThumbnailOptions, with_causes};
use photon_models::{ModelOptions, load_tagger};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

pub(crate) struct VisualModel {
    embedder: Arc<dyn Embedder>,
    /// No EXIF, and the answer keeps only size and embedding: immich's requests and
    /// `/v1/search/image`.
    embeddings: ImageFeeder,
    /// Every stage, tags included: `/v1/records`, started on its first request.
    records: Arc<OnceCell<ImageFeeder>>,
    records_setup: Arc<RecordsSetup>,
}

/// What the records pipeline is built from, kept for its first request.
struct RecordsSetup {
    dir: PathBuf,
    embedder: Arc<dyn Embedder>,
    options: ModelOptions,
    run: RunOptions,
    tags: bool,
}

impl VisualModel {
    pub fn start(
        dir: PathBuf,
        embedder: Arc<dyn Embedder>,
        options: ModelOptions,
        serve: &ServeOptions,
        metrics: Arc<Metrics>,
    ) -> Self {
        let embedder: Arc<dyn Embedder> = Arc::new(Metered {
            inner: embedder,
            metrics,
        });
        let run = RunOptions::default()
            .max_wait(serve.batch_wait)
            .cpu_timeout(Some(serve.request_timeout))
            .embed_timeout(Some(serve.request_timeout));
        // The stages that size the decode (thumbnail, perceptual hash) stay on, so a JPEG is
        // decoded at the DCT scale `photon process` uses and the vector is the one the batch
        // command records for the same file (a smaller scale moves a small model's vector by
        // a cosine of 0.999); they cost a few milliseconds beside the model.
        let pipeline = Pipeline::builder()
            .decoder(photon_decode::default_decoder())
            .jpeg_encoder(photon_decode::default_jpeg_encoder())
            .exif(false)
            .embedder(embedder.clone())
            .build();
        Self {
            embeddings: ImageFeeder::start(&pipeline, run.clone()),
            records: Arc::new(OnceCell::new()),
            records_setup: Arc::new(RecordsSetup {
                dir,
                embedder: embedder.clone(),
                options,
                run,
                tags: serve.tags,
            }),
            embedder,
        }
    }

    /// The model's id in records (`name@hash`).
    pub fn model_id(&self) -> &str {
        &self.embedder.spec().id
    }

    /// The record of an image with only its size and embedding.
    pub async fn embed(&self, bytes: Vec<u8>) -> Result<Record, ApiError> {
        self.embeddings.process(bytes).await
    }

    /// The full record of an image, as `photon process` writes it.
    pub async fn record(&self, bytes: Vec<u8>) -> Result<Record, ApiError> {
        if self.records.get().is_none() {
            let (cell, setup) = (self.records.clone(), self.records_setup.clone());
            // In a task of its own: the first tagger load can outlast a request (a zero-shot
            // label bank is built once, then cached), and a request that gives up must not
            // abandon it half-way.
            tokio::spawn(async move { cell.get_or_try_init(|| setup.start()).await.map(|_| ()) })
                .await
                .map_err(|e| ApiError::internal(format!("starting the records pipeline: {e}")))??;
        }
        let feeder = self
            .records
            .get()
            .ok_or_else(|| ApiError::internal("the records pipeline did not start"))?;
        feeder.process(bytes).await
    }

    /// Ends both pipelines; the model is freed once the caller drops this.
    pub async fn close(self) {
        self.embeddings.close().await;
        // A records pipeline still starting ends with the task that starts it.
        if let Some(records) = Arc::try_unwrap(self.records)
            .ok()
            .and_then(OnceCell::into_inner)
        {
            records.close().await;
        }
    }
}

impl RecordsSetup {
    async fn start(&self) -> Result<ImageFeeder, ApiError> {
        let tagger = if self.tags {
            load_tagger(&self.dir, &self.options).await.map_err(|e| {
                ApiError::internal(format!("loading the tagger: {}", with_causes(&e)))
            })?
        } else {
            None
        };
        let pipeline = Pipeline::builder()
            .decoder(photon_decode::default_decoder())
            .jpeg_encoder(photon_decode::default_jpeg_encoder())
            .thumbnail(Some(ThumbnailOptions::default()))
            .embedder(self.embedder.clone())
            .tagger_if_any(tagger)
            .build();
        Ok(ImageFeeder::start(&pipeline, self.run.clone()))
    }
}
