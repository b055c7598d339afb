//! `photon search`: rank recorded images against a text query or an example image, exactly
//! over a records file or through an index; and `photon index build`.

use crate::args::{IndexBuildArgs, SearchArgs, SearchIn};
use crate::model_setup::text_encoder;
use crate::models::DEFAULT_MODEL;
use crate::report::chain;
use photon_core::{Pipeline, Record, Source};
use photon_index::{Embeddings, HnswIndex, HnswOptions, SearchHit, rank_records};
use photon_models::{ModelOptions, load_model};
use photon_models::{TextTokenizer, embed_text, load_model_dir, load_text_dir, models_dir};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn run(args: SearchArgs) -> ExitCode {
    exit(search(&args).await)
}

pub fn build_index(args: &IndexBuildArgs) -> ExitCode {
    exit(index(args))
}

fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

/// The query vector and the model whose space it is in.
struct Query {
    vector: Vec<f32>,
    model_id: String,
}

impl Query {
    fn as_query(&self) -> photon_index::Query<'_> {
        photon_index::Query::new(&self.model_id, &self.vector)
    }
}

async fn search(args: &SearchArgs) -> Result<(), String> {
    if args.within == SearchIn::Descriptions {
        return search_descriptions(args);
    }
    // With --index, a lone positional argument is the text query.
    let (records, text) = match (&args.index, &args.records, &args.query) {
        (Some(_), Some(text), None) => (None, text.to_str().map(str::to_owned)),
        (_, records, text) => (records.clone(), text.clone()),
    };
    let query = match (&args.image, text) {
        (Some(image), _) => image_query(args, image).await?,
        (None, Some(text)) => text_query(args, &text).await?,
        (None, None) => return Err("give a text query or --image FILE".into()),
    };
    let hits = match (&args.index, records) {
        (Some(index), _) => search_index(index, &query, args.top)?,
        (None, Some(records)) => search_records(&records, &query, args.top)?,
        (None, None) => return Err("give a records file or --index INDEX".into()),
    };
    print_hits(&hits, args.json);
    Ok(())
}

/// `--in descriptions`: the records' descriptions ranked against the text's words.
fn search_descriptions(args: &SearchArgs) -> Result<(), String> {
    let (Some(records), Some(text)) = (&args.records, &args.query) else {
        return Err("--in descriptions needs a records file and a text query".into());
    };
    let reader = photon_arrow::read_records(records)
        .map_err(|e| format!("{}: {}", records.display(), chain(&e)))?;
    let ranking = photon_index::rank_descriptions(reader.filter_map(Result::ok), text, args.top);
    if ranking.described == 0 {
        return Err(format!(
            "no records in {} have a description (photon process --describe writes them)",
            records.display()
        ));
    }
    for hit in &ranking.hits {
        if args.json {
            let line = serde_json::json!({
                "file_path": hit.file_path, "score": hit.score, "description": hit.text,
            });
            println!("{line}");
        } else {
            println!("{:.4}\t{}\t{}", hit.score, hit.file_path, hit.text);
        }
    }
    Ok(())
}

fn search_records(records: &Path, query: &Query, top: usize) -> Result<Vec<SearchHit>, String> {
    let reader = photon_arrow::read_records(records)
        .map_err(|e| format!("{}: {}", records.display(), chain(&e)))?;
    // Lines that are not records (a torn tail, another tool's output) are not ranked.
    let ranking = rank_records(reader.filter_map(Result::ok), query.as_query(), top)
        .map_err(|e| format!("{}: {}", records.display(), chain(&e)))?;
    if ranking.other_model > 0 {
        eprintln!(
            "photon: {} records were embedded by another model than {} and are not ranked",
            ranking.other_model, query.model_id
        );
    }
    if ranking.ranked == 0 {
        return Err(format!(
            "no records in {} carry embeddings from {}",
            records.display(),
            query.model_id
        ));
    }
    Ok(ranking.hits)
}

fn search_index(dir: &Path, query: &Query, top: usize) -> Result<Vec<SearchHit>, String> {
    let index = HnswIndex::open(dir).map_err(|e| chain(&e))?;
    index
        .search(query.as_query(), top)
        .map_err(|e| format!("{}: {}", dir.display(), chain(&e)))
}

fn print_hits(hits: &[SearchHit], json: bool) {
    for hit in hits {
        if json {
            let line = serde_json::json!({ "file_path": hit.file_path, "score": hit.score });
            println!("{line}");
        } else {
            println!("{:.4}\t{}", hit.score, hit.file_path);
        }
    }
}

/// The query text, embedded by the model's text tower into the space of its image embeddings.
async fn text_query(args: &SearchArgs, text: &str) -> Result<Query, String> {
    let model = args
        .model
        .as_ref()
        .ok_or("a text query needs --model, a CLIP/SigLIP folder")?;
    let vision = load_model_dir(model).map_err(|e| chain(&e))?;
    let tower = load_text_dir(model)
        .map_err(|e| format!("{} (search needs a model with a text tower)", chain(&e)))?;
    let tokenizer = TextTokenizer::from_spec(&tower).map_err(|e| chain(&e))?;
    let encoder = text_encoder(tower, args.backend, 1, None)?;
    let mut vectors = embed_text(encoder.as_ref(), &tokenizer, &[text])
        .await
        .map_err(|e| chain(&e))?;
    Ok(Query {
        vector: vectors.swap_remove(0),
        model_id: vision.id,
    })
}

/// The example image, embedded by the model's image tower exactly as `photon process` does.
async fn image_query(args: &SearchArgs, image: &Path) -> Result<Query, String> {
    let dir: PathBuf = args
        .model
        .clone()
        .unwrap_or_else(|| models_dir().join(DEFAULT_MODEL));
    let options = ModelOptions::default()
        .backend(args.backend.into())
        .tagging(false);
    let model = load_model(&dir, &options)
        .await
        .map_err(|e| format!("{}: {}", dir.display(), chain(&e)))?;
    let model_id = model.embedder.spec().id.clone();
    let pipeline = Pipeline::builder()
        .decoder(photon_decode::default_decoder())
        .thumbnail(None)
        .exif(false)
        .perceptual_hash(false)
        .embedder(model.embedder)
        .build();
    match pipeline.process(Source::Path(image.to_owned())).await {
        Record::Image(record) => Ok(Query {
            vector: record.embedding.ok_or("the image got no embedding")?,
            model_id,
        }),
        Record::Error(e) => Err(format!("{}: {}", image.display(), e.error)),
    }
}

fn index(args: &IndexBuildArgs) -> Result<(), String> {
    let started = std::time::Instant::now();
    let reader = photon_arrow::read_records(&args.records)
        .map_err(|e| format!("{}: {}", args.records.display(), chain(&e)))?;
    let (embeddings, other_model) =
        Embeddings::from_records(reader.filter_map(Result::ok), None)
            .map_err(|e| format!("{}: {}", args.records.display(), chain(&e)))?;
    if other_model > 0 {
        eprintln!(
            "photon: {other_model} records embedded by another model than {} were left out",
            embeddings.model_id()
        );
    }
    let mut options = HnswOptions::default();
    options.connectivity = args.connectivity;
    options.half_precision = !args.full_precision;
    let index = HnswIndex::build(&embeddings, &options).map_err(|e| chain(&e))?;
    index.save(&args.output).map_err(|e| chain(&e))?;
    eprintln!(
        "photon: indexed {} embeddings of {} in {:.1} s into {}",
        index.len(),
        embeddings.model_id(),
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}
