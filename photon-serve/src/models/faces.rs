//! [`FaceModel`]: a face model folder loaded (detector and recognition model), with one
//! pipeline per detector score requests ask for.
//!
//! immich sends its `minScore` with every request. A request's score is the detector's
//! threshold, so each score in use gets its pipeline (immich uses one, from its settings);
//! both models are shared by all of them.

use super::feeder::ImageFeeder;
use crate::error::ApiError;
use photon_core::{Pipeline, Record, RunOptions};
use photon_faces::FaceAnalysis;
use std::sync::{Arc, Mutex};

/// Most distinct scores served at once; past it the oldest pipeline is closed.
const MAX_SCORES: usize = 4;

pub(crate) struct FaceModel {
    analysis: FaceAnalysis,
    run: RunOptions,
    feeders: Mutex<Vec<(u32, Arc<ImageFeeder>)>>,
}

impl FaceModel {
    pub fn new(analysis: FaceAnalysis, run: RunOptions) -> Self {
        Self {
            analysis,
            run,
            feeders: Mutex::new(Vec::new()),
        }
    }

    /// The record of an image with its size and faces, found at `min_score`.
    pub async fn find(&self, bytes: Vec<u8>, min_score: f32) -> Result<Record, ApiError> {
        let feeder = self.feeder(min_score);
        feeder.process(bytes).await
    }

    fn feeder(&self, min_score: f32) -> Arc<ImageFeeder> {
        let key = min_score.to_bits();
        let mut feeders = self
            .feeders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, feeder)) = feeders.iter().find(|(k, _)| *k == key) {
            return feeder.clone();
        }
        if feeders.len() == MAX_SCORES {
            // In-flight requests hold their own Arc; the pipeline ends once they are answered.
            feeders.remove(0);
        }
        let options = self.analysis.options().min_score(min_score);
        let pipeline = Pipeline::builder()
            .decoder(photon_decode::default_decoder())
            .exif(false)
            .perceptual_hash(false)
            .thumbnail(None)
            .faces(Arc::new(self.analysis.clone().with_options(options)))
            .build();
        let feeder = Arc::new(ImageFeeder::start(&pipeline, self.run.clone()));
        feeders.push((key, feeder.clone()));
        feeder
    }

    /// Ends every pipeline; the models are freed once the caller drops this.
    pub async fn close(self) {
        let feeders = self
            .feeders
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (_, feeder) in feeders {
            if let Ok(feeder) = Arc::try_unwrap(feeder) {
                feeder.close().await;
            }
        }
    }
}
