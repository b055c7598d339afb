//! Where `photon process` writes: a JSON Lines or Parquet file (new, or resumed with what an
//! earlier run recorded), or standard output.

use crate::args::{OutputFormat, ProcessArgs};
use crate::model_setup::ModelSetup;
use crate::report::chain;
use photon_arrow::{ParquetOptions, ParquetSink, RecordSchema};
use photon_core::{DescriberId, JsonlSink, ResumeIndex, Sink};
use std::path::Path;
use std::sync::Arc;

/// Where records go, and what an earlier run into the same file recorded.
pub type Output = (Box<dyn Sink + Send>, Option<Arc<ResumeIndex>>);

/// The sink `args` ask for. A Parquet table's schema names the model, so it is opened once the
/// model is loaded.
pub fn open(
    args: &ProcessArgs,
    model: &ModelSetup,
    describer: Option<DescriberId>,
) -> Result<Output, String> {
    let format = OutputFormat::chosen(args.format, args.output.as_deref());
    match (&args.output, format) {
        (Some(path), OutputFormat::Jsonl) => open_jsonl(path, args, model, describer),
        (Some(path), OutputFormat::Parquet) => open_parquet(path, args, model, describer),
        (None, OutputFormat::Jsonl) => Ok((Box::new(JsonlSink::new(std::io::stdout())), None)),
        (None, OutputFormat::Parquet) => {
            Err("Parquet needs a file: add -o FILE.parquet".to_owned())
        }
    }
}

fn shown(path: &Path, e: &dyn std::error::Error) -> String {
    format!("{}: {}", path.display(), chain(e))
}

fn open_jsonl(
    path: &Path,
    args: &ProcessArgs,
    model: &ModelSetup,
    describer: Option<DescriberId>,
) -> Result<Output, String> {
    if !args.skip_existing {
        let sink = JsonlSink::create(path).map_err(|e| shown(path, &e))?;
        return Ok((Box::new(sink), None));
    }
    let (sink, index, report) = JsonlSink::resume(path).map_err(|e| shown(path, &e))?;
    if report.bad_lines > 0 && !args.quiet {
        eprintln!(
            "photon: {} unreadable lines in {} left as they are",
            report.bad_lines,
            path.display()
        );
    }
    if let Some(embedder) = &model.embedder {
        index.check_model(&embedder.spec().id).map_err(|e| {
            format!(
                "{}: {e} (resume with the same model, or write another file)",
                path.display()
            )
        })?;
    }
    Ok((
        Box::new(sink),
        Some(Arc::new(resume_index(index, args, describer))),
    ))
}

fn open_parquet(
    path: &Path,
    args: &ProcessArgs,
    model: &ModelSetup,
    describer: Option<DescriberId>,
) -> Result<Output, String> {
    let schema = match &model.embedder {
        Some(embedder) => {
            RecordSchema::for_model(embedder.spec().id.clone(), embedder.spec().embedding_dim)
        }
        None => RecordSchema::without_model(),
    };
    let schema = match &model.faces {
        Some(finder) => schema.with_faces(finder.embedding_dim()),
        None => schema,
    };
    let options = ParquetOptions::default()
        .part_rows(args.part_rows as usize)
        .row_group_bytes(args.row_group_mib as usize * (1 << 20));
    if !args.skip_existing {
        let sink = ParquetSink::create(path, schema, options).map_err(|e| shown(path, &e))?;
        return Ok((Box::new(sink), None));
    }
    let (sink, index, found) =
        ParquetSink::resume(path, schema, options).map_err(|e| shown(path, &e))?;
    if found.parts > 0 && !args.quiet {
        eprintln!(
            "photon: continuing an interrupted run: {} finished parts in {}.parts",
            found.parts,
            path.display()
        );
    }
    Ok((
        Box::new(sink),
        Some(Arc::new(resume_index(index, args, describer))),
    ))
}

/// What an earlier run recorded, read as this run's flags say: failures kept or retried,
/// records made without faces redone when this run finds them, and records not described by
/// this run's describer redone when it describes.
fn resume_index(
    index: ResumeIndex,
    args: &ProcessArgs,
    describer: Option<DescriberId>,
) -> ResumeIndex {
    let redo = args.finds_faces() && index.without_faces() > 0;
    if redo && !args.quiet {
        eprintln!(
            "photon: {} images recorded without faces are processed again for them",
            index.without_faces()
        );
    }
    if let Some(id) = describer.as_ref().filter(|_| !args.quiet) {
        eprintln!(
            "photon: {} images already described by {} {} with this prompt are left as they are",
            index.described_by(id),
            id.provider,
            id.model
        );
    }
    index
        .skip_failed(args.skip_failed)
        .require_faces(args.finds_faces())
        .require_description(describer)
}
