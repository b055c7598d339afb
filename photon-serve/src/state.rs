//! What every handler shares, and a pipeline record turned into an answer.

use crate::error::ApiError;
use crate::index::SearchIndex;
use crate::metrics::Metrics;
use crate::models::{FaceModel, Loaded, Registry, Tower, VisualModel};
use crate::options::ServeOptions;
use crate::overload::{Place, Queue};
use photon_core::{ImageRecord, Record};
use std::future::Future;
use std::sync::Arc;

/// What every handler shares.
pub(crate) struct AppState {
    pub options: ServeOptions,
    pub registry: Arc<Registry>,
    pub metrics: Arc<Metrics>,
    pub queue: Queue,
    pub index: Option<SearchIndex>,
    pub token: Option<blake3::Hash>,
}

impl AppState {
    /// Runs model work under the request time limit.
    pub async fn within_time<T>(
        &self,
        work: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        tokio::time::timeout(self.options.request_timeout, work)
            .await
            .map_err(|_| ApiError::busy("the model did not answer within the request time limit"))?
    }

    /// A place in the queue, then the tower `tower` of the model `name` (loaded if need be);
    /// the request holds the place for as long as it uses the model.
    pub async fn model(&self, name: &str, tower: Tower) -> Result<(Place, Arc<Loaded>), ApiError> {
        let place = self.queue.enter()?;
        let loaded = self.registry.get(name, tower).await?;
        Ok((place, loaded))
    }

    /// An image through the model's embeddings pipeline, under the time limit: its record,
    /// and the embedding taken out of it.
    pub async fn embed_image(
        &self,
        model: &VisualModel,
        bytes: Vec<u8>,
    ) -> Result<(ImageRecord, Vec<f32>), ApiError> {
        let mut record = answer_of(self.within_time(model.embed(bytes)).await?)?;
        let embedding = record
            .embedding
            .take()
            .ok_or_else(|| ApiError::internal("the model gave no embedding"))?;
        Ok((record, embedding))
    }

    /// An image through the face model's pipeline for `min_score`, under the time limit: its
    /// record, with size and faces. A face stage that failed is the model's error (500).
    pub async fn find_faces(
        &self,
        model: &FaceModel,
        bytes: Vec<u8>,
        min_score: f32,
    ) -> Result<ImageRecord, ApiError> {
        let record = answer_of(self.within_time(model.find(bytes, min_score)).await?)?;
        match record.errors.first() {
            Some(error) => Err(ApiError::internal(error.message.clone()).with_stage("faces")),
            None => Ok(record),
        }
    }

    /// The model a `/v1` request names, or the server's default.
    pub fn model_name(&self, asked: Option<&str>) -> Result<String, ApiError> {
        asked
            .or(self.options.default_model.as_deref())
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::bad_request("name a model (`model`); this server has no default")
            })
    }
}

/// The image record of a request, or its error record as an answer: 422 when the input was
/// at fault (it could not be read, decoded or prepared), 500 when the model failed.
fn answer_of(record: Record) -> Result<ImageRecord, ApiError> {
    match record {
        Record::Image(image) => Ok(*image),
        Record::Error(error) => {
            let item = error.error;
            let stage = item.stage.to_string();
            let model_side = matches!(
                item.stage,
                photon_core::Stage::Embed | photon_core::Stage::Tag
            );
            let failure = if model_side {
                ApiError::internal(item.message)
            } else {
                ApiError::unprocessable(format!("{} ({})", item.message, item.kind))
            };
            Err(failure.with_stage(&stage))
        }
    }
}
