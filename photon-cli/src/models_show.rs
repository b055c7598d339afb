//! `photon models show DIR`: what a model folder is recognised as, and which values its config
//! left out (transformers' defaults, the graph's shapes, the tokenizer's special tokens).

use crate::report::chain;
use photon_core::{ModelSpec, ResizeMode, TextSpec, TokenType};
use photon_models::{FaceFolder, ModelFolder, describe_face_dir, describe_model_dir};
use std::path::Path;

/// Prints the folder's description, as an image model's or else a face model's; a folder that
/// is neither is the error, both readings' reasons given.
pub fn show(dir: &Path) -> Result<(), String> {
    let model = match describe_model_dir(dir) {
        Ok(folder) => {
            print!("{}", describe(dir, &folder));
            return Ok(());
        }
        Err(e) => e,
    };
    match describe_face_dir(dir) {
        Ok(faces) => {
            print!("{}", describe_faces(dir, &faces));
            Ok(())
        }
        Err(faces) => Err(format!(
            "{}\nnor a face model folder: {}",
            chain(&model),
            chain(&faces)
        )),
    }
}

fn describe_faces(dir: &Path, folder: &FaceFolder) -> String {
    let dim = folder
        .dim
        .map_or_else(|| "open".to_owned(), |d| d.to_string());
    format!(
        "folder:  {}\nlayout:  {} (faces)\ndetector: {} (SCRFD, {})\nrecognition: {} (ArcFace, \
         {dim}-float embeddings, 112x112 crops)\n",
        dir.display(),
        folder.layout.as_str(),
        relative(dir, &folder.detector.display().to_string()),
        if folder.landmarks {
            "five landmarks"
        } else {
            "no landmarks: faces cannot be aligned"
        },
        relative(dir, &folder.recognizer.display().to_string()),
    )
}

fn describe(dir: &Path, folder: &ModelFolder) -> String {
    let mut out = format!("folder:  {}\nlayout:  {}\n", dir.display(), folder.layout);
    out += &format!("image:   {}\n", image_line(dir, &folder.image));
    match &folder.text {
        None => out += "text:    none (no zero-shot tags or text search)\n",
        Some(Ok(text)) => out += &format!("text:    {}\n", text_line(dir, text)),
        Some(Err(e)) => out += &format!("text:    not usable: {}\n", chain(&e)),
    }
    if let Some(report) = &folder.quantization {
        out += &format!("quantized: {}\n", report);
    }
    if folder.filled.is_empty() {
        out += "filled:  nothing; the folder's files say everything\n";
    } else {
        out += "filled:  values the folder's config left out\n";
        for filled in &folder.filled {
            out += &format!(
                "  {} = {}  ({})\n",
                filled.field,
                filled.value,
                relative(dir, &filled.source.to_string())
            );
        }
    }
    out
}

fn image_line(dir: &Path, spec: &ModelSpec) -> String {
    let p = &spec.preprocessing;
    let resize = match p.resize {
        ResizeMode::Squash => "squash".to_owned(),
        ResizeMode::ShorterSideThenCenterCrop { shorter_side } => {
            format!("shorter side {shorter_side}, centre crop")
        }
        _ => "other".to_owned(),
    };
    let file = spec
        .model_file
        .as_deref()
        .map_or_else(String::new, |f| relative(dir, &f.display().to_string()));
    let classifier = match &spec.logits_output {
        Some(name) => format!(", classifier `{name}`"),
        None => String::new(),
    };
    format!(
        "{file}, input `{}` {}x{} ({resize}, {:?}), output `{}`, {}-d embedding{classifier}, max batch {}\n         id {}",
        spec.input_name,
        p.width,
        p.height,
        p.filter,
        spec.embedding_output,
        spec.embedding_dim,
        spec.max_batch,
        spec.id
    )
}

fn text_line(dir: &Path, text: &TextSpec) -> String {
    let ids = match text.input_type {
        TokenType::I32 => "int32",
        _ => "int64",
    };
    let mask = match &text.attention_mask {
        Some(name) => format!(" + `{name}`"),
        None => String::new(),
    };
    format!(
        "{:?}, {}, input `{}` ({ids}, {} tokens, pad {}, end {}){mask}, output `{}`, {}-d embedding\n         id {}",
        text.family,
        relative(dir, &text.model_file.display().to_string()),
        text.input_ids,
        text.max_len,
        text.pad_id,
        text.eos_id,
        text.output,
        text.embedding_dim,
        text.id
    )
}

/// Paths inside the folder, shown relative to it.
fn relative(dir: &Path, text: &str) -> String {
    let prefix = format!("{}/", dir.display());
    text.replace(&prefix, "")
}
