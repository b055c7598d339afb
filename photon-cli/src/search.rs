//! `photon search`: rank the images of a records file against a text query.

use crate::args::SearchArgs;
use crate::model_setup::text_encoder;
use photon_core::model_spec::load_model_dir;
use photon_core::text::{TextTokenizer, embed_text, load_text_dir};
use std::io::BufRead;
use std::process::ExitCode;

pub async fn run(args: SearchArgs) -> ExitCode {
    match search(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

async fn search(args: &SearchArgs) -> Result<(), String> {
    let vision = load_model_dir(&args.model).map_err(|e| e.to_string())?;
    let text = load_text_dir(&args.model)
        .map_err(|e| format!("{e} (search needs a model with a text tower)"))?;
    let tokenizer = TextTokenizer::from_spec(&text).map_err(|e| e.to_string())?;
    let encoder = text_encoder(text, args.backend, 1, None)?;
    let query = embed_text(encoder.as_ref(), &tokenizer, &[args.query.as_str()])
        .await
        .map_err(|e| e.to_string())?
        .remove(0);

    let file = std::fs::File::open(&args.records)
        .map_err(|e| format!("{}: {e}", args.records.display()))?;
    let (mut ranked, mut other_model) = (Vec::new(), 0usize);
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("{}: {e}", args.records.display()))?;
        let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let Some(embedding) = record["embedding"].as_array() else {
            continue;
        };
        if record["model"]["id"].as_str() != Some(vision.id.as_str()) {
            other_model += 1; // another embedding space: not comparable
            continue;
        }
        let embedding: Vec<f32> = embedding
            .iter()
            .filter_map(|v| v.as_f64().map(|x| x as f32))
            .collect();
        if embedding.len() != query.len() {
            continue;
        }
        let score: f32 = embedding.iter().zip(&query).map(|(a, b)| a * b).sum();
        ranked.push((
            score,
            record["file_path"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    if other_model > 0 {
        eprintln!(
            "photon: {other_model} records were embedded by another model ({}) and are not ranked",
            vision.id
        );
    }
    if ranked.is_empty() {
        return Err(format!(
            "no records in {} carry embeddings from {}",
            args.records.display(),
            vision.id
        ));
    }
    let top = args.top.min(ranked.len());
    if top > 0 && top < ranked.len() {
        ranked.select_nth_unstable_by(top - 1, |a, b| b.0.total_cmp(&a.0));
    }
    ranked.truncate(top);
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, path) in ranked {
        if args.json {
            println!(
                "{}",
                serde_json::json!({ "file_path": path, "score": score })
            );
        } else {
            println!("{score:.4}\t{path}");
        }
    }
    Ok(())
}
