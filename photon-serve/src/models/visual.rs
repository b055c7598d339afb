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
    dir: PathBuf,
    embedder: Arc<dyn Embedder>,
    options: ModelOptions,
    run: RunOptions,
    tags: bool,
    /// No EXIF, and the answer keeps only size and embedding: immich's requests and
    /// `/v1/search/image`.
    embeddings: ImageFeeder,
    /// Every stage, tags included: `/v1/records`, started on its first request.
    records: OnceCell<ImageFeeder>,
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
            dir,
            embeddings: ImageFeeder::start(&pipeline, run.clone()),
            embedder,
            options,
            run,
            tags: serve.tags,
            records: OnceCell::new(),
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
        let feeder = self
            .records
            .get_or_try_init(|| self.start_records())
            .await?;
        feeder.process(bytes).await
    }

    async fn start_records(&self) -> Result<ImageFeeder, ApiError> {
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

    /// Ends both pipelines; the model is freed once the caller drops this.
    pub async fn close(self) {
        self.embeddings.close().await;
        if let Some(records) = self.records.into_inner() {
            records.close().await;
        }
    }
}
