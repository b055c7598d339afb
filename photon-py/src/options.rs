//! The constructor's arguments checked (a bad one raises `ValueError`) and turned into a
//! pipeline, its table schema, its runtime and the text tower.

use photon_arrow::RecordSchema;
use photon_core::ThumbnailOptions;
use photon_decode::{default_decoder, default_jpeg_encoder};
use photon_models::{
    Backend, Device, ModelOptions, TextTower, has_text_tower, load_model, load_text_tower,
    models_dir,
};
use pyo3::PyResult;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use std::path::PathBuf;

/// The default model, used when installed.
const DEFAULT_MODEL: &str = "efficientnet-lite0";

/// Images per model call on a GPU, as the CLI's default.
const GPU_MAX_BATCH: usize = 64;

/// `photon.Pipeline(...)`'s arguments.
pub(crate) struct PipelineArgs {
    pub models_dir: Option<PathBuf>,
    pub model: Option<PathBuf>,
    pub backend: String,
    pub device: String,
    pub thumbnail_size: Option<u32>,
    pub exif: bool,
    pub perceptual_hash: bool,
    pub embedding: bool,
    pub tags: bool,
    pub parallel: Option<usize>,
    pub threads: Option<u32>,
}

/// What the constructor builds.
pub(crate) struct Built {
    pub pipeline: photon_core::Pipeline,
    pub schema: RecordSchema,
    pub runtime: tokio::runtime::Runtime,
    pub parallel: usize,
    pub text: Option<TextTower>,
}

fn invalid(message: impl Into<String>) -> pyo3::PyErr {
    PyValueError::new_err(message.into())
}

impl PipelineArgs {
    pub(crate) fn build(self) -> PyResult<Built> {
        let backend = Backend::from_name(&self.backend).ok_or_else(|| {
            invalid(format!(
                "backend must be \"ort\" or \"tract\", not {:?}",
                self.backend
            ))
        })?;
        let device: Device = self.device.parse().map_err(invalid)?;
        if let Some(size) = self.thumbnail_size
            && !(1..=4096).contains(&size)
        {
            return Err(invalid(format!(
                "thumbnail_size must be 1-4096 (or None for no thumbnails), not {size}"
            )));
        }
        if self.parallel == Some(0) || self.threads == Some(0) {
            return Err(invalid("parallel and threads must be at least 1"));
        }
        if self.model.is_some() && !self.embedding {
            return Err(invalid("a model was given but embedding=False"));
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let parallel = self.parallel.unwrap_or(cores);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the runtime: {e}")))?;
        let options = self.model_options(backend, cores).device(device);
        let dir = self.model_dir()?;
        let (model, text) = match &dir {
            Some(dir) => runtime.block_on(async {
                let model = load_model(dir, &options).await;
                let text = if has_text_tower(dir) {
                    Some(load_text_tower(dir, &options).await)
                } else {
                    None
                };
                (Some(model), text)
            }),
            None => (None, None),
        };
        let model = model
            .transpose()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let text = text
            .transpose()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let schema = match &model {
            Some(m) => RecordSchema::for_model(
                m.embedder.spec().id.clone(),
                m.embedder.spec().embedding_dim,
            ),
            None => RecordSchema::without_model(),
        };
        let thumbnail = self
            .thumbnail_size
            .map(|size| ThumbnailOptions::default().max_side(size));
        let builder = photon_core::Pipeline::builder()
            .decoder(default_decoder())
            .jpeg_encoder(default_jpeg_encoder())
            .exif(self.exif)
            .perceptual_hash(self.perceptual_hash)
            .thumbnail(thumbnail);
        let pipeline = match model {
            Some(model) => builder
                .embedder(model.embedder)
                .tagger_if_any(model.tagger)
                .build(),
            None => builder.build(),
        };
        Ok(Built {
            pipeline,
            schema,
            runtime,
            parallel,
            text,
        })
    }

    /// The model folder: the one asked for (which must exist), else the default one when
    /// installed, else none.
    fn model_dir(&self) -> PyResult<Option<PathBuf>> {
        if !self.embedding {
            return Ok(None);
        }
        if let Some(dir) = &self.model {
            if !dir.is_dir() {
                return Err(invalid(format!("no model folder at {}", dir.display())));
            }
            return Ok(Some(dir.clone()));
        }
        let root = self.models_dir.clone().unwrap_or_else(models_dir);
        let default = root.join(DEFAULT_MODEL);
        Ok(default.is_dir().then_some(default))
    }

    /// Engine layout: `threads` given (a Ray actor's CPU allotment) means one session of that
    /// many threads; otherwise the CLI's, two sessions sharing the cores.
    fn model_options(&self, backend: Backend, cores: usize) -> ModelOptions {
        let (sessions, threads, max_batch) = match self.threads {
            _ if self.device != "cpu" => (1, self.threads, Some(GPU_MAX_BATCH)),
            Some(threads) => (1, Some(threads), None),
            None if cores >= 2 => (2, None, Some(1)),
            None => (1, None, None),
        };
        let mut options = ModelOptions::default()
            .backend(backend)
            .parallelism(sessions, threads)
            .max_batch(max_batch)
            .tagging(self.tags);
        if let Some(dir) = &self.models_dir {
            options = options.models_dir(dir.clone());
        }
        options
    }
}
