//! Many record files into one, each input once: where a path has several records (an input
//! redone after it changed), the last one written wins.

use crate::error::ArrowRecordError;
use crate::files::{self, write_atomically, writer_properties};
use crate::schema::RecordSchema;
use arrow_array::cast::AsArray;
use arrow_array::{BooleanArray, RecordBatch};
use arrow_select::filter::filter_record_batch;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Writes the records of `inputs` (in the order they were written) to `output`, atomically,
/// keeping the last record of each `file_path`. Returns the rows written.
pub(crate) fn merge(
    inputs: &[PathBuf],
    schema: &RecordSchema,
    output: &Path,
    zstd_level: i32,
    row_group_bytes: usize,
) -> Result<u64, ArrowRecordError> {
    let keep = rows_to_keep(inputs)?;
    let properties = writer_properties(schema, zstd_level, row_group_bytes)?;
    let batches = inputs.iter().zip(keep).flat_map(|(input, keep)| {
        let mut keep = keep.into_iter();
        let reader = files::open(input).and_then(|(builder, found)| {
            if found.same_model(schema) {
                Ok(builder.build()?)
            } else {
                Err(mismatch(input, &found, schema))
            }
        });
        let batches: Box<dyn Iterator<Item = _>> = match reader {
            Ok(reader) => Box::new(reader.map(move |batch| {
                let batch = batch?;
                let mask: BooleanArray = keep.by_ref().take(batch.num_rows()).map(Some).collect();
                schema.conform(&filter_record_batch(&batch, &mask)?)
            })),
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        batches
    });
    write_atomically(output, schema, properties, batches.filter(non_empty))
}

fn non_empty(batch: &Result<RecordBatch, ArrowRecordError>) -> bool {
    batch.as_ref().map_or(true, |b| b.num_rows() > 0)
}

/// For each input, which of its rows hold the last record of their path. Paths are known by a
/// 128-bit BLAKE3 digest (no collision in any collection there is), which keeps the map at a
/// few dozen bytes a record however long the paths.
fn rows_to_keep(inputs: &[PathBuf]) -> Result<Vec<Vec<bool>>, ArrowRecordError> {
    let mut last: HashMap<u128, (usize, usize)> = HashMap::new();
    let mut rows = vec![0usize; inputs.len()];
    for (file, input) in inputs.iter().enumerate() {
        for batch in files::read_columns(input, &["file_path"])? {
            let batch = batch?;
            let paths = batch
                .column(0)
                .as_string_opt::<i32>()
                .ok_or_else(|| ArrowRecordError::schema("file_path is not text"))?;
            for path in paths.iter() {
                let path = path.ok_or_else(|| ArrowRecordError::row(rows[file], "no file_path"))?;
                last.insert(path_digest(path), (file, rows[file]));
                rows[file] += 1;
            }
        }
    }
    let mut keep: Vec<Vec<bool>> = rows.iter().map(|&n| vec![false; n]).collect();
    for (file, row) in last.into_values() {
        keep[file][row] = true;
    }
    Ok(keep)
}

fn path_digest(path: &str) -> u128 {
    let digest = blake3::hash(path.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest.as_bytes()[..16]);
    u128::from_le_bytes(first)
}

pub(crate) fn mismatch(
    path: &Path,
    found: &RecordSchema,
    wanted: &RecordSchema,
) -> ArrowRecordError {
    let model = |s: &RecordSchema| match (s.model_id(), s.embedding_dim()) {
        (Some(id), Some(dim)) => format!("model {id} ({dim}-float embeddings)"),
        _ => "no model".to_owned(),
    };
    let model = |s: &RecordSchema| match s.face_embedding_dim() {
        Some(dim) => format!("{} with faces ({dim}-float face embeddings)", model(s)),
        None => format!("{} without faces", model(s)),
    };
    ArrowRecordError::schema(format!(
        "{} holds records of {}, not of {}: write them to another file",
        path.display(),
        model(found),
        model(wanted)
    ))
}
