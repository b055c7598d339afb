//! Reading records back, whichever format holds them: [`read_records`], [`RecordFormat`].

use crate::description::describer_at;
use crate::error::ArrowRecordError;
use crate::files;
use crate::from_arrow::records_from_batch;
use crate::schema::RecordSchema;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;
use photon_core::{JsonlRecords, Record, ResumeIndex, read_jsonl};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The two formats records are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordFormat {
    /// JSON Lines, one record per line.
    Jsonl,
    /// Parquet, under a [`RecordSchema`].
    Parquet,
}

impl RecordFormat {
    /// The format an output path asks for by its extension: `.parquet` (any case) for Parquet,
    /// anything else JSON Lines.
    pub fn from_extension(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("parquet") => RecordFormat::Parquet,
            _ => RecordFormat::Jsonl,
        }
    }

    /// The format of an existing file, from its first bytes (Parquet's `PAR1`), whatever its
    /// name.
    pub fn of_file(path: &Path) -> std::io::Result<Self> {
        let mut magic = [0u8; 4];
        let mut file = File::open(path)?;
        let mut read = 0;
        while read < magic.len() {
            match file.read(&mut magic[read..])? {
                0 => break,
                n => read += n,
            }
        }
        Ok(if &magic[..read] == b"PAR1" {
            RecordFormat::Parquet
        } else {
            RecordFormat::Jsonl
        })
    }
}

/// The records of a file Photon wrote, JSON Lines or Parquet (told apart by content), in the
/// order they were written.
///
/// In a JSON Lines file, a line that is not a record (a torn last line) comes out as an error
/// in its place; a Parquet file is complete or refused whole.
///
/// ```no_run
/// for record in photon_arrow::read_records("photos.parquet".as_ref())? {
///     println!("{}", record?.file_path());
/// }
/// # Ok::<(), photon_arrow::ArrowRecordError>(())
/// ```
pub fn read_records(path: &Path) -> Result<RecordReader, ArrowRecordError> {
    Ok(match RecordFormat::of_file(path)? {
        RecordFormat::Jsonl => RecordReader::Jsonl(read_jsonl(BufReader::new(File::open(path)?))),
        RecordFormat::Parquet => {
            let (builder, schema) = files::open(path)?;
            RecordReader::Parquet {
                batches: builder.build()?,
                schema,
                pending: Vec::new().into_iter(),
            }
        }
    })
}

/// The records of one file; see [`read_records`].
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordReader {
    /// Reading JSON Lines.
    Jsonl(JsonlRecords<BufReader<File>>),
    /// Reading Parquet, a batch at a time.
    Parquet {
        /// The file's batches.
        batches: ParquetRecordBatchReader,
        /// The schema it was written with.
        schema: RecordSchema,
        /// The records of the current batch not yet returned.
        pending: std::vec::IntoIter<Record>,
    },
}

impl RecordReader {
    /// The Parquet file's schema (its model); `None` for JSON Lines, whose records each name
    /// their own model.
    pub fn schema(&self) -> Option<&RecordSchema> {
        match self {
            RecordReader::Parquet { schema, .. } => Some(schema),
            RecordReader::Jsonl(_) => None,
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<Record, ArrowRecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RecordReader::Jsonl(lines) => Some(lines.next()?.map_err(ArrowRecordError::from)),
            RecordReader::Parquet {
                batches, pending, ..
            } => loop {
                if let Some(record) = pending.next() {
                    return Some(Ok(record));
                }
                let batch = match batches.next()? {
                    Ok(batch) => batch,
                    Err(e) => return Some(Err(e.into())),
                };
                match records_from_batch(&batch) {
                    Ok(records) => *pending = records.into_iter(),
                    Err(e) => return Some(Err(e)),
                }
            },
        }
    }
}

/// Notes what the stages that may not have run left on the success in `row`: no faces, and
/// who described it.
fn note_stages(
    batch: &arrow_array::RecordBatch,
    row: usize,
    path: &str,
    index: &mut ResumeIndex,
) -> Result<(), ArrowRecordError> {
    if !batch
        .column_by_name("faces")
        .is_some_and(|c| c.is_valid(row))
    {
        index.insert_without_faces(path);
    }
    let description = batch
        .column_by_name("description")
        .and_then(|c| c.as_struct_opt());
    if let Some(by) = description
        .map(|d| describer_at(d, row))
        .transpose()?
        .flatten()
    {
        index.insert_description(path, by);
    }
    Ok(())
}

/// Adds what the Parquet file `path` recorded to `index`, reading only the columns resume
/// needs. Returns the records read.
pub(crate) fn index_table(path: &Path, index: &mut ResumeIndex) -> Result<u64, ArrowRecordError> {
    let columns = [
        "file_path",
        "file_size",
        "file_mtime_ns",
        "content_hash",
        "error",
        "errors",
        "faces.score",
        "description.provider",
        "description.model",
        "description.prompt_hash",
    ];
    let mut records = 0;
    for batch in files::read_columns(path, &columns)? {
        let batch = batch?;
        let text = |name| batch.column_by_name(name)?.as_string_opt::<i32>();
        let int = |name| batch.column_by_name(name)?.as_primitive_opt::<Int64Type>();
        let (Some(paths), Some(sizes), Some(times), Some(hashes)) = (
            text("file_path"),
            int("file_size"),
            int("file_mtime_ns"),
            text("content_hash"),
        ) else {
            return Err(ArrowRecordError::schema(format!(
                "{}: resume columns of the wrong type",
                path.display()
            )));
        };
        // Null on successes; a file without the column has none of its kind.
        let failed = batch.column_by_name("error");
        let survived = batch.column_by_name("errors");
        let present = |column: Option<&ArrayRef>, row| column.is_some_and(|c| c.is_valid(row));
        for row in 0..batch.num_rows() {
            records += 1;
            if present(failed, row) || present(survived, row) {
                index.insert_failure(paths.value(row).to_owned());
                continue;
            }
            let size = sizes.is_valid(row).then(|| sizes.value(row));
            index.insert(
                paths.value(row).to_owned(),
                size.and_then(|s| u64::try_from(s).ok()),
                times.is_valid(row).then(|| times.value(row)),
                hashes.is_valid(row).then(|| hashes.value(row).to_owned()),
            );
            note_stages(&batch, row, paths.value(row), index)?;
        }
    }
    Ok(records)
}
