//! Turning `photon process` flags into an embedder and a tagger: a classifier's tags from its
//! logits, or zero-shot tags from a CLIP/SigLIP text tower and a label bank.

use crate::args::{Backend, Dedup, ProcessArgs};
use crate::models::DEFAULT_MODEL;
use photon_backend_common::{Engine, Parallelism};
use photon_core::{
    AncestorDedup, ClassifierTagger, Embedder, LabelBank, ModelSpec, TagOptions, Tagger,
    TextEncoder, TextSpec, TextTokenizer, WordNet, ZeroShotScoring, ZeroShotTagger, load_model_dir,
    load_text_dir, models_dir, read_labels, read_vocabulary, wordnet_vocabulary,
};
use std::path::Path;
use std::sync::Arc;

/// The model side of a run: nothing, or an embedder with maybe a tagger.
pub struct ModelSetup {
    pub embedder: Option<Arc<dyn Embedder>>,
    pub tagger: Option<Arc<dyn Tagger>>,
}

/// The engine behind `--backend`, laid out as `--sessions` × `--threads` (threads fill the cores
/// unless given). A new backend is one arm here.
pub fn engine(backend: Backend, sessions: u32, threads: Option<u32>) -> Box<dyn Engine> {
    let parallelism = Parallelism::new(sessions as usize, threads.map(|t| t as usize));
    match backend {
        Backend::Ort => Box::new(photon_ort::OrtOptions::from(parallelism)),
        Backend::Tract => Box::new(photon_tract::TractOptions::from(parallelism)),
    }
}

/// The image tower on the chosen engine.
pub fn image_encoder(
    spec: ModelSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn Embedder>, String> {
    engine(backend, sessions, threads)
        .image_encoder(spec)
        .map_err(|e| e.to_string())
}

/// The text tower on the chosen engine.
pub fn text_encoder(
    spec: TextSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn TextEncoder>, String> {
    engine(backend, sessions, threads)
        .text_encoder(spec)
        .map_err(|e| e.to_string())
}

/// Loads the model the flags ask for. A model asked for explicitly must load; the default one
/// is used when installed, and its absence is only a note.
pub async fn load(args: &ProcessArgs) -> Result<ModelSetup, String> {
    let none = ModelSetup {
        embedder: None,
        tagger: None,
    };
    if args.no_embedding {
        return Ok(none);
    }
    let dir = match &args.model {
        Some(dir) => dir.clone(),
        None => {
            let default = models_dir().join(DEFAULT_MODEL);
            if !default.is_dir() {
                if !args.quiet {
                    eprintln!(
                        "photon: no model installed, so no embeddings or tags (`photon models fetch` installs {DEFAULT_MODEL})"
                    );
                }
                return Ok(none);
            }
            default
        }
    };
    let mut spec = load_model_dir(&dir).map_err(|e| e.to_string())?;
    if let Some(max) = args.max_batch() {
        spec = spec.with_max_batch(max);
    }
    let embedder = {
        let (spec, backend, sessions, threads) =
            (spec.clone(), args.backend, args.sessions(), args.threads);
        let loaded =
            tokio::task::spawn_blocking(move || image_encoder(spec, backend, sessions, threads))
                .await
                .map_err(|e| e.to_string())?;
        match (loaded, &args.model) {
            (Ok(embedder), _) => embedder,
            (Err(e), Some(_)) => return Err(e),
            (Err(e), None) => {
                return Err(format!(
                    "{e} (`photon models fetch --force` reinstalls {DEFAULT_MODEL})"
                ));
            }
        }
    };
    let tagger = tagger(args, &spec, &dir).await?;
    Ok(ModelSetup {
        embedder: Some(embedder),
        tagger,
    })
}

/// The tagger the model allows: a classifier's from its logits and labels, zero-shot from a
/// text tower, or none (also with `--no-tagging`).
async fn tagger(
    args: &ProcessArgs,
    spec: &ModelSpec,
    dir: &Path,
) -> Result<Option<Arc<dyn Tagger>>, String> {
    if args.no_tagging {
        return Ok(None);
    }
    if let (Some(_), Some(labels)) = (&spec.logits_output, &spec.labels_file) {
        let labels = read_labels(labels).map_err(|e| format!("{}: {e}", labels.display()))?;
        let tagger = ClassifierTagger::new(labels, wordnet(args, false)?, options(args))
            .with_paths(args.tag_path_depth > 0);
        return Ok(Some(Arc::new(tagger)));
    }
    if dir.join("onnx/text_model.onnx").is_file() {
        return Ok(Some(zero_shot_tagger(args, dir).await?));
    }
    Ok(None)
}

fn options(args: &ProcessArgs) -> TagOptions {
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

/// WordNet when paths or de-duplication want it (or `required` for the default vocabulary).
fn wordnet(args: &ProcessArgs, required: bool) -> Result<Option<WordNet>, String> {
    if !required && args.tag_path_depth == 0 && args.dedup == Dedup::None {
        return Ok(None);
    }
    match WordNet::open(&args.wordnet) {
        Ok(w) => Ok(Some(w)),
        Err(e) if required => Err(format!(
            "the default zero-shot vocabulary needs WordNet at {} ({e}): apt-get install wordnet-base, or pass --vocabulary",
            args.wordnet.display()
        )),
        Err(e) => {
            if !args.quiet {
                eprintln!(
                    "photon: no WordNet at {} ({e}): tags without paths (apt-get install wordnet-base)",
                    args.wordnet.display()
                );
            }
            Ok(None)
        }
    }
}

/// Zero-shot tags: the vocabulary's label bank (cached under the models folder) and the text
/// tower's scoring rule.
async fn zero_shot_tagger(args: &ProcessArgs, dir: &Path) -> Result<Arc<dyn Tagger>, String> {
    let mut text = load_text_dir(dir).map_err(|e| e.to_string())?;
    text.logit_scale = args.logit_scale.or(text.logit_scale);
    text.logit_bias = args.logit_bias.or(text.logit_bias);
    let tokenizer = TextTokenizer::from_spec(&text).map_err(|e| e.to_string())?;
    let wordnet = wordnet(args, args.vocabulary.is_none())?;
    let vocabulary = match (&args.vocabulary, &wordnet) {
        (Some(file), _) => read_vocabulary(file).map_err(|e| format!("{}: {e}", file.display()))?,
        (None, Some(wordnet)) => wordnet_vocabulary(wordnet),
        (None, None) => {
            return Err(
                "no zero-shot vocabulary: pass --vocabulary or install wordnet-base".into(),
            );
        }
    };
    let scoring = ZeroShotScoring::for_model(&text);
    let encoder = {
        let (text, backend, sessions, threads) =
            (text.clone(), args.backend, args.sessions(), args.threads);
        tokio::task::spawn_blocking(move || text_encoder(text, backend, sessions, threads))
            .await
            .map_err(|e| e.to_string())??
    };
    let cache = models_dir().join(".label-banks");
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(vocabulary.len() as u64),
        if args.quiet {
            indicatif::ProgressDrawTarget::hidden()
        } else {
            indicatif::ProgressDrawTarget::stderr()
        },
    );
    bar.set_message("embedding the zero-shot vocabulary (cached for later runs)");
    let (bank, built) = LabelBank::load_or_build(
        &cache,
        encoder.as_ref(),
        &tokenizer,
        vocabulary,
        &args.prompt_template,
        64,
        |done, _| bar.set_position(done as u64),
    )
    .await
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if built && !args.quiet {
        eprintln!(
            "photon: embedded {} zero-shot labels into {}",
            bank.len(),
            cache.display()
        );
    }
    let tagger = ZeroShotTagger::new(Arc::new(bank), scoring, wordnet, options(args))
        .with_paths(args.tag_path_depth > 0);
    Ok(Arc::new(tagger))
}
