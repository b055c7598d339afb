//! Turning `photon process` flags into photon-models' options, and the default model's
//! absence into a note rather than an error.

use crate::args::{Backend, Dedup, ProcessArgs};
use crate::models::DEFAULT_MODEL;
use crate::report::chain;
use photon_core::{AncestorDedup, Embedder, FaceFinder, TagOptions, Tagger, TextEncoder, TextSpec};
use photon_faces::FaceOptions;
use photon_models::Device;
use photon_models::{ModelOptions, SetupError, installed_default_model, load_model};
use std::sync::Arc;

/// The model side of a run: nothing, or an embedder with maybe a tagger; and the face models
/// when the run finds faces.
pub struct ModelSetup {
    pub embedder: Option<Arc<dyn Embedder>>,
    pub tagger: Option<Arc<dyn Tagger>>,
    pub faces: Option<Arc<dyn FaceFinder>>,
}

impl From<Backend> for photon_models::Backend {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Ort => photon_models::Backend::Ort,
            Backend::Tract => photon_models::Backend::Tract,
        }
    }
}

/// The text tower on the chosen engine.
pub fn text_encoder(
    spec: TextSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn TextEncoder>, String> {
    photon_models::text_encoder(spec, backend.into(), sessions, threads).map_err(|e| chain(&e))
}

/// Loads the model the flags ask for. A model asked for explicitly must load; the default one
/// is used when installed, and its absence is only a note.
pub async fn load(args: &ProcessArgs) -> Result<ModelSetup, String> {
    let mut setup = load_embedder(args).await?;
    if args.finds_faces() {
        setup.faces = Some(load_faces(args).await?);
    }
    Ok(setup)
}

/// Where `--faces` looks when no `--face-model` is given.
const DEFAULT_FACE_MODEL: &str = "faces/buffalo_l";

async fn load_faces(args: &ProcessArgs) -> Result<Arc<dyn FaceFinder>, String> {
    let dir = match &args.face_model {
        Some(dir) => dir.clone(),
        None => photon_models::models_dir().join(DEFAULT_FACE_MODEL),
    };
    if args.face_model.is_none() && !dir.is_dir() {
        return Err(format!(
            "--faces needs a face model and {} is not there: pass --face-model DIR, an immich \
             facial-recognition folder or an insightface pack such as buffalo_l (Photon ships \
             none: insightface's packs are for non-commercial research only, see docs/faces.md)",
            dir.display()
        ));
    }
    let options = ModelOptions::default()
        .backend(args.backend.into())
        .layout(args.engine_layout())
        .device(args.device);
    let faces = FaceOptions::default()
        .min_score(args.face_min_score)
        .max_faces(args.max_faces as usize);
    let side = args.face_input;
    let analysis = photon_models::load_faces(&dir, &options, (side, side), faces)
        .await
        .map_err(|e| format!("{}: {}", dir.display(), chain(&e)))?;
    Ok(Arc::new(analysis))
}

async fn load_embedder(args: &ProcessArgs) -> Result<ModelSetup, String> {
    let none = ModelSetup {
        embedder: None,
        tagger: None,
        faces: None,
    };
    if args.no_embedding {
        return Ok(none);
    }
    let dir = match &args.model {
        Some(dir) => dir.clone(),
        None => match installed_default_model(None) {
            Some(default) => default,
            None => {
                if !args.quiet {
                    eprintln!(
                        "photon: no model installed, so no embeddings or tags (`photon models fetch` installs {DEFAULT_MODEL})"
                    );
                }
                return Ok(none);
            }
        },
    };
    let bar = label_bar(args.quiet);
    let options = options(args, &bar);
    let loaded = load_model(&dir, &options).await;
    bar.finish_and_clear();
    match (loaded, &args.model) {
        (Ok(model), _) => Ok(ModelSetup {
            embedder: Some(model.embedder),
            tagger: model.tagger,
            faces: None,
        }),
        (Err(SetupError::Engine(e)), None) if args.device == Device::Cpu => Err(format!(
            "{} (`photon models fetch --force` reinstalls {DEFAULT_MODEL})",
            chain(&*e)
        )),
        (Err(e), _) => Err(format!("{}{}", chain(&e), advice(&e))),
    }
}

fn options(args: &ProcessArgs, bar: &indicatif::ProgressBar) -> ModelOptions {
    let mut options = ModelOptions::default()
        .backend(args.backend.into())
        .layout(args.engine_layout())
        .device(args.device)
        .tagging(!args.no_tagging)
        .tags(tag_options(args));
    options.vocabulary = args.vocabulary.clone();
    options.prompt_template = args.prompt_template.clone();
    options.logit_scale = args.logit_scale;
    options.logit_bias = args.logit_bias;
    options.wordnet = args.wordnet.clone();
    if !args.quiet {
        options.notice = Some(Arc::new(|message: &str| eprintln!("photon: {message}")));
    }
    let bar = bar.clone();
    options.label_progress = Some(Arc::new(move |done, total| {
        if bar.length() != Some(total as u64) {
            bar.set_length(total as u64);
            bar.set_message("embedding the zero-shot vocabulary (cached for later runs)");
        }
        bar.set_position(done as u64);
    }));
    options
}

/// A bar for building a zero-shot label bank, drawn only while one is built.
fn label_bar(quiet: bool) -> indicatif::ProgressBar {
    let target = if quiet {
        indicatif::ProgressDrawTarget::hidden()
    } else {
        indicatif::ProgressDrawTarget::stderr()
    };
    indicatif::ProgressBar::with_draw_target(None, target)
}

fn tag_options(args: &ProcessArgs) -> TagOptions {
    TagOptions::default()
        .top_k(args.top_k)
        .min_confidence(args.min_confidence)
        .path_depth(args.tag_path_depth)
        .dedup(match args.dedup {
            Dedup::None => AncestorDedup::Keep,
            Dedup::Ancestors => AncestorDedup::DropAncestors,
            Dedup::Descendants => AncestorDedup::DropDescendants,
        })
}

/// What the command's user can do about a model that did not load, in its own flags.
fn advice(error: &SetupError) -> &'static str {
    use photon_ort::OrtError;
    match error {
        SetupError::SpacesDiffer { .. } => " (--no-tagging turns tagging off)",
        SetupError::Engine(e) => match e.downcast_ref::<OrtError>() {
            Some(OrtError::GpuLibraryNotConfigured(_)) => {
                " (`photon models fetch --gpu` installs it)"
            }
            Some(OrtError::Device { .. }) => " (--device cpu runs on the CPU)",
            _ => "",
        },
        _ => "",
    }
}
