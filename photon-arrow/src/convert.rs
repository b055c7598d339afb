//! [`convert`]: a records file from one format into the other, losslessly.

use crate::error::ArrowRecordError;
use crate::files::{sync_directory, temporary_name};
use crate::read::{RecordFormat, read_records};
use crate::schema::RecordSchema;
use crate::sink::{ParquetOptions, ParquetSink};
use photon_core::{JsonlSink, Record, Sink};
use std::collections::BTreeSet;
use std::path::Path;

/// Copies the records of `input` (JSON Lines or Parquet, told apart by content) into `output`
/// as `format`. Returns the records copied.
///
/// The round trip is lossless: JSON Lines → Parquet → JSON Lines gives the same records (the
/// thumbnail's base64 becomes its JPEG bytes and back). For Parquet, the records must carry
/// one model's embeddings (or none), since the embedding column has one length; the file's
/// schema then names that model. `output` appears only complete. A JSON Lines line that is
/// not a record (a torn tail of a killed run) is skipped and counted in the result.
pub fn convert(
    input: &Path,
    output: &Path,
    format: RecordFormat,
) -> Result<Converted, ArrowRecordError> {
    if same_file(input, output) {
        return Err(ArrowRecordError::schema(format!(
            "{} would be read and written at once: convert to another file",
            output.display()
        )));
    }
    match format {
        RecordFormat::Jsonl => to_jsonl(input, output),
        RecordFormat::Parquet => to_parquet(input, output),
    }
}

/// What [`convert`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Converted {
    /// Records written.
    pub records: u64,
    /// JSON Lines lines that were not records, skipped.
    pub skipped_lines: u64,
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn to_jsonl(input: &Path, output: &Path) -> Result<Converted, ArrowRecordError> {
    let temporary = temporary_name(output);
    let written = (|| {
        let mut sink = JsonlSink::create(&temporary)?;
        let converted = copy(input, &mut sink)?;
        sink.finish()?;
        sink.into_inner().sync_all()?;
        std::fs::rename(&temporary, output)?;
        sync_directory(output)?;
        Ok(converted)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn to_parquet(input: &Path, output: &Path) -> Result<Converted, ArrowRecordError> {
    let schema = schema_of(input)?;
    let mut sink = ParquetSink::create(output, schema, ParquetOptions::default())?;
    let converted = copy(input, &mut sink)?;
    sink.finish()?;
    Ok(converted)
}

fn copy(input: &Path, sink: &mut impl Sink) -> Result<Converted, ArrowRecordError> {
    let mut converted = Converted::default();
    for record in read_records(input)? {
        match record {
            Ok(record) => {
                sink.write(&record)?;
                converted.records += 1;
            }
            Err(ArrowRecordError::Jsonl(photon_core::SinkError::Serialize(_))) => {
                converted.skipped_lines += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(converted)
}

/// The schema for the records of `input`: a Parquet file's own, or for JSON Lines the one
/// model its embeddings come from.
fn schema_of(input: &Path) -> Result<RecordSchema, ArrowRecordError> {
    let reader = read_records(input)?;
    if let Some(schema) = reader.schema() {
        return Ok(schema.clone());
    }
    let mut models = BTreeSet::new();
    let mut face_dims = BTreeSet::new();
    for record in reader.flatten() {
        if let Record::Image(image) = record {
            if let Some(embedding) = &image.embedding {
                let id = image.model.map_or_else(|| "unknown".to_owned(), |m| m.id);
                models.insert((id, embedding.len()));
            }
            face_dims.extend(image.faces.iter().flatten().map(|f| f.embedding.len()));
        }
    }
    let mut models = models.into_iter();
    let schema = match (models.next(), models.next()) {
        (None, _) => RecordSchema::without_model(),
        (Some((id, dim)), None) => RecordSchema::for_model(id, dim),
        (Some(a), Some(b)) => {
            return Err(ArrowRecordError::schema(format!(
                "{} mixes the embeddings of several models ({} and {}): one Parquet table holds \
                 one model's; split the records first",
                input.display(),
                a.0,
                b.0
            )));
        }
    };
    let mut face_dims = face_dims.into_iter();
    match (face_dims.next(), face_dims.next()) {
        (None, _) => Ok(schema),
        (Some(dim), None) => Ok(schema.with_faces(dim)),
        (Some(a), Some(b)) => Err(ArrowRecordError::schema(format!(
            "{} mixes face embeddings of {a} and {b} floats: one Parquet table holds one face \
             model's",
            input.display()
        ))),
    }
}
