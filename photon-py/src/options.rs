//! The constructor's arguments checked (a bad one raises `ValueError`) and turned into a
//! pipeline, its table schema, its runtime and the text tower.

use photon_arrow::RecordSchema;
use photon_core::{DescribeOptions, FaceFinder, ThumbnailOptions};
use photon_decode::{default_decoder, default_jpeg_encoder};
use photon_describe::HttpDescriber;
use photon_faces::FaceOptions;
use photon_models::{
    Backend, Device, EngineLayout, LoadedModel, ModelOptions, TextTower, has_text_tower,
    installed_default_model, load_faces, load_model, load_text_tower,
};
use pyo3::PyResult;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use std::path::PathBuf;
use std::sync::Arc;

/// The side of the square the face detector sees, as insightface and immich run it.
const FACE_INPUT: u32 = 640;

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
    pub faces: Option<PathBuf>,
    pub face_min_score: f32,
    pub max_faces: usize,
    pub describe: crate::describe::DescribeArgs,
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
        let (backend, device) = self.check()?;
        let describer = self.describe.build()?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the runtime: {e}")))?;
        let options = self.model_options(backend, device, cores);
        let (model, text) = match self.model_dir()? {
            Some(dir) => {
                let (model, text) = runtime.block_on(load_towers(&dir, &options))?;
                (Some(model), text)
            }
            None => (None, None),
        };
        let schema = match &model {
            Some(m) => RecordSchema::for_model(
                m.embedder.spec().id.clone(),
                m.embedder.spec().embedding_dim,
            ),
            None => RecordSchema::without_model(),
        };
        let faces = match &self.faces {
            Some(dir) => Some(runtime.block_on(self.load_faces(dir, &options))?),
            None => None,
        };
        let schema = match &faces {
            Some(finder) => schema.with_faces(finder.embedding_dim()),
            None => schema,
        };
        Ok(Built {
            pipeline: self.pipeline(model, faces, describer),
            schema,
            runtime,
            parallel: self.parallel.unwrap_or(cores),
            text,
        })
    }

    /// The backend and device named, every argument checked.
    fn check(&self) -> PyResult<(Backend, Device)> {
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
        if !(0.0..=1.0).contains(&self.face_min_score) || self.max_faces == 0 {
            return Err(invalid(
                "face_min_score must be 0-1 and max_faces at least 1",
            ));
        }
        if let Some(dir) = self.faces.as_ref().filter(|d| !d.is_dir()) {
            return Err(invalid(format!(
                "no face model folder at {}",
                dir.display()
            )));
        }
        Ok((backend, device))
    }

    /// The face models of `dir` on the engine `options` choose.
    async fn load_faces(
        &self,
        dir: &std::path::Path,
        options: &ModelOptions,
    ) -> PyResult<Arc<dyn FaceFinder>> {
        let faces = FaceOptions::default()
            .min_score(self.face_min_score)
            .max_faces(self.max_faces);
        let analysis = load_faces(dir, options, (FACE_INPUT, FACE_INPUT), faces)
            .await
            .map_err(|e| setup_error(&e))?;
        Ok(Arc::new(analysis))
    }

    /// The pipeline: every decoder, the stages asked for, the model and its tagger if any, the
    /// face stage and the describer if asked for.
    fn pipeline(
        &self,
        model: Option<LoadedModel>,
        faces: Option<Arc<dyn FaceFinder>>,
        describer: Option<(HttpDescriber, DescribeOptions)>,
    ) -> photon_core::Pipeline {
        let thumbnail = self
            .thumbnail_size
            .map(|size| ThumbnailOptions::default().max_side(size));
        let builder = photon_core::Pipeline::builder()
            .decoder(default_decoder())
            .jpeg_encoder(default_jpeg_encoder())
            .exif(self.exif)
            .perceptual_hash(self.perceptual_hash)
            .thumbnail(thumbnail);
        let builder = match faces {
            Some(finder) => builder.faces(finder),
            None => builder,
        };
        let builder = match describer {
            Some((describer, options)) => builder.describer(describer, options),
            None => builder,
        };
        match model {
            Some(model) => builder
                .embedder(model.embedder)
                .tagger_if_any(model.tagger)
                .build(),
            None => builder.build(),
        }
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
        Ok(installed_default_model(self.models_dir.as_deref()))
    }

    /// Engine layout: photon-models' shared defaults, the command's; `threads` given (a Ray
    /// actor's CPU allotment) means one session of that many threads.
    fn model_options(&self, backend: Backend, device: Device, cores: usize) -> ModelOptions {
        let layout = EngineLayout::choose(device, cores, None, self.threads, None);
        let mut options = ModelOptions::default()
            .backend(backend)
            .device(device)
            .layout(layout)
            .tagging(self.tags);
        if let Some(dir) = &self.models_dir {
            options = options.models_dir(dir.clone());
        }
        options
    }
}

/// A model that did not load, with what the Python caller can do about it.
fn setup_error(error: &photon_models::SetupError) -> pyo3::PyErr {
    let advice = match error {
        photon_models::SetupError::SpacesDiffer { .. } => " (tags=False turns tagging off)",
        _ => "",
    };
    PyRuntimeError::new_err(format!("{}{advice}", photon_core::with_causes(error)))
}

/// The folder's image tower with its tagger, and its text tower when it has one.
async fn load_towers(
    dir: &std::path::Path,
    options: &ModelOptions,
) -> PyResult<(LoadedModel, Option<TextTower>)> {
    let model = load_model(dir, options)
        .await
        .map_err(|e| setup_error(&e))?;
    let text = if has_text_tower(dir) {
        Some(
            load_text_tower(dir, options)
                .await
                .map_err(|e| setup_error(&e))?,
        )
    } else {
        None
    };
    Ok((model, text))
}
