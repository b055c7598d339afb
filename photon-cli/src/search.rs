//! `photon search`: rank the images of a records file against a text query.

use crate::args::SearchArgs;
use crate::model_setup::text_encoder;
use photon_core::{TextTokenizer, embed_text, load_model_dir, load_text_dir, rank_records};
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
    let query = embed_query(args).await?;
    let records = photon_arrow::read_records(&args.records)
        .map_err(|e| format!("{}: {e}", args.records.display()))?;
    // JSON Lines lines that are not records (a torn tail, another tool's output) are not
    // ranked.
    let records = records.filter_map(Result::ok);
    let ranking = rank_records(records, &vision.id, &query, args.top);
    if ranking.other_model > 0 {
        eprintln!(
            "photon: {} records were embedded by another model ({}) and are not ranked",
            ranking.other_model, vision.id
        );
    }
    if ranking.ranked == 0 {
        return Err(format!(
            "no records in {} carry embeddings from {}",
            args.records.display(),
            vision.id
        ));
    }
    for hit in ranking.hits {
        if args.json {
            let line = serde_json::json!({ "file_path": hit.file_path, "score": hit.score });
            println!("{line}");
        } else {
            println!("{:.4}\t{}", hit.score, hit.file_path);
        }
    }
    Ok(())
}

/// The query, embedded by the model's text tower into the space of its image embeddings.
async fn embed_query(args: &SearchArgs) -> Result<Vec<f32>, String> {
    let text = load_text_dir(&args.model)
        .map_err(|e| format!("{e} (search needs a model with a text tower)"))?;
    let tokenizer = TextTokenizer::from_spec(&text).map_err(|e| e.to_string())?;
    let encoder = text_encoder(text, args.backend, 1, None)?;
    let mut vectors = embed_text(encoder.as_ref(), &tokenizer, &[args.query.as_str()])
        .await
        .map_err(|e| e.to_string())?;
    Ok(vectors.swap_remove(0))
}
