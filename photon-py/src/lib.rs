//! `photon._photon`, the extension module behind the `photon` Python package: a [`Pipeline`]
//! whose results cross into Python as Arrow record batches through the C data interface, with
//! the GIL released while Rust works.

mod describe;
mod inputs;
mod options;

use arrow_pyarrow::ToPyArrow;
use futures_util::StreamExt;
use options::PipelineArgs;
use photon_arrow::{RecordSchema, to_record_batch};
use photon_core::{OutputOrder, Record, RunOptions, Source};
use photon_models::TextTower;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;

/// Runs Photon over images: content hash, metadata, perceptual hash, thumbnail, embedding and
/// tags, one row per input in a `pyarrow.Table` with the Parquet output's schema.
///
/// Args:
///     models_dir: where models and ONNX Runtime are installed (`photon models fetch`);
///         default `$PHOTON_MODELS`, else `./models` when it holds models, else
///         `~/.local/share/photon/models`.
///     model: a model folder (Photon's layout, a Hugging Face CLIP/SigLIP export, or immich's
///         layout); default
///         EfficientNet-Lite0 from `models_dir` when installed, else no embeddings.
///     backend: "ort" (ONNX Runtime) or "tract" (pure Rust).
///     device: "cpu", or "cuda"/"cuda:N" (ONNX Runtime's CUDA provider from `photon models
///         fetch --gpu`); a GPU that cannot be used raises RuntimeError, never falls back.
///     thumbnail_size: longest side of the JPEG thumbnails, 1-4096; None for none.
///     exif: read camera metadata.
///     perceptual_hash: compute the 64-bit DCT hash.
///     embedding: run the model (False: no embeddings, no tags).
///     tags: tag images (a classifier's labels, or zero-shot with a text tower).
///     parallel: images decoded at once; default the number of cores.
///     threads: model threads; given, one session of that many threads runs the model (a Ray
///         actor's CPU allotment), else two sessions share the cores.
///     faces: a face model folder (immich's facial-recognition layout or an insightface pack
///         such as buffalo_l) to find faces with, the `faces` column a list of {box, score,
///         landmarks, embedding}; None (default): no face stage. Photon ships no face model:
///         insightface's packs are for non-commercial research only.
///     face_min_score: smallest detector score of a face kept (0-1; immich's 0.7).
///     max_faces: most faces kept per image, the best scores (`faces_found` counts the rest).
///     describe: describe each image in a sentence or two with a vision-language model, the
///         `description` column a struct {text, provider, model, prompt_hash, input_tokens,
///         output_tokens}: "openai" or "anthropic" (their own APIs; the key from
///         OPENAI_API_KEY / ANTHROPIC_API_KEY or `api_key_file`), or a local OpenAI-compatible
///         server at its usual address: "ollama", "llama-server", "lmstudio", "vllm". None
///         (default): no description. Only a JPEG re-encoded at `describe_size` is sent, with
///         no metadata unless `describe_send_exif`. A failure is an error of stage `describe`
///         in the row's `errors`, its other columns kept.
///     describe_url: the server's base URL, up to its version (`http://HOST:PORT/v1`).
///     describe_model: the model [default for openai: gpt-4o-mini; anthropic:
///         claude-haiku-4-5; a local server needs one].
///     describe_prompt: what the model is asked [default: one or two factual sentences].
///     describe_max_tokens: the longest description, in tokens.
///     describe_parallel: requests in flight at once (at least 1).
///     describe_timeout: longest one request may take, in seconds (then tried again, up to 4
///         requests an image, as 429 and 5xx answers are).
///     describe_max_requests: requests in the whole pipeline's life at most, retries included;
///         then images are no longer described (their rows say `budget`).
///     describe_size: longest side of the JPEG sent, 64-4096.
///     describe_send_exif: also tell the model the photo's EXIF facts (time, camera, GPS).
///     api_key_file: a file holding the API key; keys are never printed or written to rows.
///
/// A file that cannot be read or decoded becomes an error row, never an exception. A bad
/// argument raises ValueError; a model or ONNX Runtime that cannot load, RuntimeError.
#[pyclass(module = "photon._photon", name = "Pipeline", frozen)]
struct Pipeline {
    pipeline: photon_core::Pipeline,
    schema: RecordSchema,
    runtime: tokio::runtime::Runtime,
    parallel: usize,
    text: Option<TextTower>,
}

#[pymethods]
impl Pipeline {
    #[new]
    #[pyo3(signature = (
        models_dir=None, model=None, backend="ort", device="cpu", thumbnail_size=Some(256), exif=true,
        perceptual_hash=true, embedding=true, tags=true, parallel=None, threads=None, faces=None,
        face_min_score=0.7, max_faces=100, **describe
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        models_dir: Option<PathBuf>,
        model: Option<PathBuf>,
        backend: &str,
        device: &str,
        thumbnail_size: Option<u32>,
        exif: bool,
        perceptual_hash: bool,
        embedding: bool,
        tags: bool,
        parallel: Option<usize>,
        threads: Option<u32>,
        faces: Option<PathBuf>,
        face_min_score: f32,
        max_faces: usize,
        describe: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Self> {
        // The describe* keywords (and api_key_file) arrive together, read by name.
        let describe = describe::DescribeArgs::from_keywords(describe)?;
        let args = PipelineArgs {
            models_dir,
            model,
            backend: backend.to_owned(),
            device: device.to_owned(),
            thumbnail_size,
            exif,
            perceptual_hash,
            embedding,
            tags,
            parallel,
            threads,
            faces,
            face_min_score,
            max_faces,
            describe,
        };
        let built = py.detach(move || args.build())?;
        Ok(Self {
            pipeline: built.pipeline,
            schema: built.schema,
            runtime: built.runtime,
            parallel: built.parallel,
            text: built.text,
        })
    }

    /// Processes image files; returns a `pyarrow.Table`, one row per path, in order.
    fn process<'py>(&self, py: Python<'py>, paths: Vec<PathBuf>) -> PyResult<Bound<'py, PyAny>> {
        let sources = paths.into_iter().map(Source::Path).collect();
        self.run(py, sources)
    }

    /// Processes images held in memory, each named by `names`; returns a `pyarrow.Table`, one
    /// row per image, in order.
    ///
    /// `data` is a list of `bytes` or a pyarrow binary array (a table's column, as Ray Data's
    /// `read_binary_files` makes), `names` a list of `str` or a pyarrow string array. Arrow
    /// arrays cross through the C data interface, with no Python object per image.
    fn process_bytes<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        names: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = inputs::image_bytes(data)?;
        let names = inputs::names(names)?;
        if data.len() != names.len() {
            return Err(PyValueError::new_err(format!(
                "{} images but {} names",
                data.len(),
                names.len()
            )));
        }
        let sources = data
            .into_iter()
            .zip(names)
            .map(|(bytes, name)| Source::Bytes { name, bytes })
            .collect();
        self.run(py, sources)
    }

    /// Embeds texts with the model's text tower into its image embeddings' space; returns a
    /// float32 `numpy.ndarray` of shape `(len(texts), dim)`, rows L2-normalised.
    fn embed_text<'py>(&self, py: Python<'py>, texts: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.text.as_ref().ok_or_else(|| {
            PyValueError::new_err(
                "the model has no text tower (onnx/text_model.onnx or textual/model.onnx)",
            )
        })?;
        let dim = text.encoder.spec().embedding_dim;
        let vectors = py.detach(|| {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            self.runtime.block_on(text.embed(&refs))
        });
        let vectors = vectors.map_err(|e| PyRuntimeError::new_err(photon_core::with_causes(&e)))?;
        let flat: Vec<u8> = vectors
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let numpy = py.import("numpy")?;
        let array = numpy.call_method1("frombuffer", (PyBytes::new(py, &flat), "<f4"))?;
        array
            .call_method1("reshape", ((vectors.len(), dim),))?
            .call_method0("copy")
    }

    /// The schema of the tables this pipeline returns (`pyarrow.Schema`).
    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.schema.arrow().as_ref().to_pyarrow(py)
    }

    /// The id of the model behind the embeddings, or `None` without a model.
    #[getter]
    fn model_id(&self) -> Option<String> {
        self.schema.model_id().map(str::to_owned)
    }
}

impl Pipeline {
    /// Runs `sources` with the GIL released, and hands the records to Python as one table.
    fn run<'py>(&self, py: Python<'py>, sources: Vec<Source>) -> PyResult<Bound<'py, PyAny>> {
        let records: Vec<Record> = py.detach(|| {
            let options = RunOptions::default()
                .parallel(self.parallel)
                .order(OutputOrder::Input);
            let inputs = futures_util::stream::iter(sources);
            self.runtime
                .block_on(self.pipeline.run(inputs, options).collect())
        });
        let batch = py
            .detach(|| to_record_batch(&self.schema, &records))
            .map_err(|e| PyRuntimeError::new_err(photon_core::with_causes(&e)))?;
        let batch = batch.to_pyarrow(py)?;
        py.import("pyarrow")?
            .getattr("Table")?
            .call_method1("from_batches", (vec![batch],))
    }
}

/// The extension module.
#[pymodule]
fn _photon(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Pipeline>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
