//! The tagger a model folder allows: a classifier's from its logits and labels, or zero-shot
//! from a CLIP/SigLIP text tower and a label bank cached beside the models.

use crate::error::SetupError;
use crate::folder::{has_text_tower, load_text_dir};
use crate::options::ModelOptions;
use crate::tag::{
    ClassifierTagger, LabelBank, WordNet, ZeroShotScoring, ZeroShotTagger, read_vocabulary,
    wordnet_vocabulary,
};
use crate::text::TextTokenizer;
use photon_core::{Label, ModelSpec, Tagger, TextSpec, read_labels};
use std::path::Path;
use std::sync::Arc;

/// Label texts embedded per text-model call while building a bank.
const BANK_BATCH: usize = 64;

pub(crate) async fn for_model(
    spec: &ModelSpec,
    dir: &Path,
    options: &ModelOptions,
) -> Result<Option<Arc<dyn Tagger>>, SetupError> {
    if let (Some(_), Some(labels)) = (&spec.logits_output, &spec.labels_file) {
        let labels = read_labels(labels)
            .map_err(|e| SetupError::Tagging(format!("{}: {e}", labels.display())))?;
        let tagger = ClassifierTagger::new(labels, wordnet(options, false)?, options.tags)
            .with_paths(options.tags.path_depth > 0);
        return Ok(Some(Arc::new(tagger)));
    }
    if has_text_tower(dir) {
        return Ok(Some(zero_shot(spec, dir, options).await?));
    }
    Ok(None)
}

/// WordNet when paths or de-duplication want it, or `required` (the default vocabulary).
fn wordnet(options: &ModelOptions, required: bool) -> Result<Option<WordNet>, SetupError> {
    if !required && !options.wants_wordnet() {
        return Ok(None);
    }
    let path = &options.wordnet;
    match WordNet::open(path) {
        Ok(w) => Ok(Some(w)),
        Err(e) if required => Err(SetupError::Tagging(format!(
            "the default zero-shot vocabulary needs WordNet at {} ({e}): apt-get install wordnet-base, or pass a vocabulary",
            path.display()
        ))),
        Err(e) => {
            options.note(&format!(
                "no WordNet at {} ({e}): tags without paths (apt-get install wordnet-base)",
                path.display()
            ));
            Ok(None)
        }
    }
}

async fn zero_shot(
    image: &ModelSpec,
    dir: &Path,
    options: &ModelOptions,
) -> Result<Arc<dyn Tagger>, SetupError> {
    let text = text_tower_matching(image, dir, options)?;
    let tokenizer = TextTokenizer::from_spec(&text).map_err(|e| tagging(&e))?;
    let wordnet = wordnet(options, options.vocabulary.is_none())?;
    let vocabulary = vocabulary(options, wordnet.as_ref())?;
    let scoring = ZeroShotScoring::for_model(&text);
    let bank = label_bank(text, &tokenizer, vocabulary, options).await?;
    let tagger = ZeroShotTagger::new(Arc::new(bank), scoring, wordnet, options.tags)
        .with_paths(options.tags.path_depth > 0);
    Ok(Arc::new(tagger))
}

fn tagging(e: &dyn std::fmt::Display) -> SetupError {
    SetupError::Tagging(e.to_string())
}

/// The folder's text tower, refused when its embeddings are not in the image tower's space;
/// the logit scale and bias the options override.
fn text_tower_matching(
    image: &ModelSpec,
    dir: &Path,
    options: &ModelOptions,
) -> Result<TextSpec, SetupError> {
    let mut text = load_text_dir(dir).map_err(|e| tagging(&e))?;
    if text.embedding_dim != image.embedding_dim {
        return Err(SetupError::SpacesDiffer {
            image: format!(
                "`{}`, {} values",
                image.embedding_output, image.embedding_dim
            ),
            text: format!("`{}`, {} values", text.output, text.embedding_dim),
        });
    }
    text.logit_scale = options.logit_scale.or(text.logit_scale);
    text.logit_bias = options.logit_bias.or(text.logit_bias);
    Ok(text)
}

/// The options' vocabulary file, else WordNet's nouns for things a camera sees.
fn vocabulary(options: &ModelOptions, wordnet: Option<&WordNet>) -> Result<Vec<Label>, SetupError> {
    match (&options.vocabulary, wordnet) {
        (Some(file), _) => read_vocabulary(file)
            .map_err(|e| SetupError::Tagging(format!("{}: {e}", file.display()))),
        (None, Some(wordnet)) => Ok(wordnet_vocabulary(wordnet)),
        (None, None) => Err(SetupError::Tagging(
            "no zero-shot vocabulary: pass one or install wordnet-base".into(),
        )),
    }
}

/// The vocabulary's label bank: from the cache, else embedded by the text tower and cached.
async fn label_bank(
    text: TextSpec,
    tokenizer: &TextTokenizer,
    vocabulary: Vec<Label>,
    options: &ModelOptions,
) -> Result<LabelBank, SetupError> {
    let engine = options.engine()?;
    let encoder = tokio::task::spawn_blocking(move || engine.text_encoder(text))
        .await
        .map_err(SetupError::engine)?
        .map_err(SetupError::engine)?;
    let progress = options.label_progress.clone();
    let (bank, built) = LabelBank::load_or_build(
        &options.label_cache,
        encoder.as_ref(),
        tokenizer,
        vocabulary,
        &options.prompt_template,
        BANK_BATCH,
        |done, total| {
            if let Some(progress) = &progress {
                progress(done, total);
            }
        },
    )
    .await
    .map_err(|e| tagging(&e))?;
    if built {
        options.note(&format!(
            "embedded {} zero-shot labels into {}",
            bank.len(),
            options.label_cache.display()
        ));
    }
    Ok(bank)
}
