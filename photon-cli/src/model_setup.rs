//! Turning `photon process` flags into an embedder and a tagger.

use crate::args::{Backend, Dedup, ProcessArgs};
use crate::models::{DEFAULT_MODEL, models_root, onnxruntime_library};
use photon_core::model::Embedder;
use photon_core::model_spec::load_model_dir;
use photon_core::tag::Tagger;
use photon_core::tag::classifier::{
    AncestorDedup, ClassifierOptions, ClassifierTagger, read_labels,
};
use photon_core::tag::wordnet::WordNet;
use std::sync::Arc;

/// The model side of a run: nothing, or an embedder with maybe a tagger.
pub struct ModelSetup {
    pub embedder: Option<Arc<dyn Embedder>>,
    pub tagger: Option<Arc<dyn Tagger>>,
}

/// Loads the model the flags ask for. A model asked for explicitly must load; the default one
/// is used when installed, and its absence is only a note.
pub fn load(args: &ProcessArgs) -> Result<ModelSetup, String> {
    let none = ModelSetup {
        embedder: None,
        tagger: None,
    };
    if args.no_embedding {
        return Ok(none);
    }
    let root = models_root();
    let dir = match &args.model {
        Some(dir) => dir.clone(),
        None => {
            let default = root.join(DEFAULT_MODEL);
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
    if let Some(max) = args.max_batch {
        spec = spec.with_max_batch(max as usize);
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let sessions = args.sessions as usize;
    let threads = args
        .threads
        .map_or((cores / sessions).max(1), |t| t as usize);
    let embedder: Arc<dyn Embedder> = match args.backend {
        Backend::Ort => {
            let options = photon_ort::OrtOptions {
                sessions,
                threads_per_session: threads,
                library: onnxruntime_library(&root),
            };
            Arc::new(
                photon_ort::OrtEmbedder::new(spec.clone(), &options).map_err(|e| e.to_string())?,
            )
        }
        Backend::Tract => {
            let options = photon_tract::TractOptions {
                concurrent_batches: sessions,
                matmul_threads: threads,
                batch_plan: photon_tract::BatchPlan::default(),
            };
            Arc::new(
                photon_tract::TractEmbedder::new(spec.clone(), &options)
                    .map_err(|e| e.to_string())?,
            )
        }
    };
    let tagger = match (&spec.logits_output, &spec.labels_file) {
        (Some(_), Some(labels)) if !args.no_tagging => {
            let labels = read_labels(labels).map_err(|e| format!("{}: {e}", labels.display()))?;
            let wordnet = if args.tag_path_depth > 0 || args.dedup != Dedup::None {
                match WordNet::open(&args.wordnet) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        if !args.quiet {
                            eprintln!(
                                "photon: no WordNet at {} ({e}): tags without paths (apt-get install wordnet-base)",
                                args.wordnet.display()
                            );
                        }
                        None
                    }
                }
            } else {
                None
            };
            let options = ClassifierOptions {
                top_k: args.top_k,
                min_confidence: args.min_confidence,
                path_depth: args.tag_path_depth,
                dedup: match args.dedup {
                    Dedup::None => AncestorDedup::Keep,
                    Dedup::Ancestors => AncestorDedup::DropAncestors,
                    Dedup::Descendants => AncestorDedup::DropDescendants,
                },
            };
            let tagger =
                ClassifierTagger::new(labels, wordnet, options).with_paths(args.tag_path_depth > 0);
            Some(Arc::new(tagger) as Arc<dyn Tagger>)
        }
        _ => None,
    };
    Ok(ModelSetup {
        embedder: Some(embedder),
        tagger,
    })
}
