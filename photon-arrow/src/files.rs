//! Writing and reading one Parquet file of records: the writer settings, the atomic
//! write-sync-rename, and the readers.

use crate::error::ArrowRecordError;
use crate::schema::RecordSchema;
use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowSchemaConverter, ProjectionMask};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Rows read at a time: a few MiB with thumbnails.
pub(crate) const READ_BATCH_ROWS: usize = 256;

/// Leaf columns whose values repeat across images (a camera model, a format, a tag): written
/// with a Parquet dictionary. Everything else (paths, hashes, thumbnails, floats) is mostly
/// unique, where a dictionary only costs.
const REPEATED: &[&str] = &[
    "format",
    "decoded_from",
    "camera_make",
    "camera_model",
    "lens_model",
    "name",
    "path",
    "id",
    "backend",
    "stage",
    "kind",
];

/// The writer settings for `schema`: zstd, dictionaries on repeated strings, row groups of at
/// most `row_group_bytes` (encoded) and a million rows, no statistics on thumbnails and
/// embeddings (no one filters on their bytes), embeddings' floats split by byte (they compress
/// better so).
pub(crate) fn writer_properties(
    schema: &RecordSchema,
    zstd_level: i32,
    row_group_bytes: usize,
) -> Result<WriterProperties, ArrowRecordError> {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(zstd_level)?))
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_max_row_group_bytes(Some(row_group_bytes.max(1)));
    let descriptor = ArrowSchemaConverter::new().convert(schema.arrow())?;
    for column in descriptor.columns() {
        let path = column.path().clone();
        let parts = path.parts();
        let leaf = parts.last().map(String::as_str).unwrap_or_default();
        let root = parts.first().map(String::as_str).unwrap_or_default();
        if REPEATED.contains(&leaf) {
            builder = builder.set_column_dictionary_enabled(path.clone(), true);
        }
        if root == "thumbnail" || root == "embedding" {
            builder = builder.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
        }
        if root == "embedding" {
            builder = builder.set_column_encoding(path, Encoding::BYTE_STREAM_SPLIT);
        }
    }
    Ok(builder.build())
}

/// Writes `batches` to `path` so that `path` appears only complete (see [`AtomicFile`]).
/// Returns the rows written.
pub(crate) fn write_atomically(
    path: &Path,
    schema: &RecordSchema,
    properties: WriterProperties,
    batches: impl IntoIterator<Item = Result<RecordBatch, ArrowRecordError>>,
) -> Result<u64, ArrowRecordError> {
    let mut file = AtomicFile::create(path, schema, properties)?;
    for batch in batches {
        if let Err(e) = batch.and_then(|batch| file.write(&batch)) {
            file.abandon();
            return Err(e);
        }
    }
    file.commit()
}

/// A Parquet file written under a temporary name beside its own (`*.tmp`, which nothing reads
/// as finished), then synced, renamed into place and the directory synced: the name appears
/// only with a complete file behind it. Batches go to disk as row groups fill, so memory holds
/// one row group, whatever the file's size.
pub(crate) struct AtomicFile {
    writer: ArrowWriter<File>,
    temporary: PathBuf,
    path: PathBuf,
    rows: u64,
}

impl AtomicFile {
    pub(crate) fn create(
        path: &Path,
        schema: &RecordSchema,
        properties: WriterProperties,
    ) -> Result<Self, ArrowRecordError> {
        let temporary = temporary_name(path);
        let file = File::create(&temporary)?;
        let writer = ArrowWriter::try_new(file, schema.arrow().clone(), Some(properties))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temporary);
            })?;
        Ok(Self {
            writer,
            temporary,
            path: path.to_owned(),
            rows: 0,
        })
    }

    /// Appends a batch; on error the caller [abandons](Self::abandon) the file.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), ArrowRecordError> {
        self.writer.write(batch)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Completes the file and puts it in place. Returns its rows.
    pub(crate) fn commit(self) -> Result<u64, ArrowRecordError> {
        let (temporary, path, rows) = (self.temporary.clone(), self.path.clone(), self.rows);
        let committed = (|| {
            let file = self.writer.into_inner()?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            sync_directory(&path)?;
            Ok(rows)
        })();
        if committed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        committed
    }

    /// Gives up the file: the temporary is removed and the name never appears.
    pub(crate) fn abandon(self) {
        drop(self.writer);
        let _ = std::fs::remove_file(&self.temporary);
    }
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// `out.parquet` → `out.parquet.tmp`: not named `*.parquet`, so that nothing takes a file being
/// written for a finished one.
pub(crate) fn temporary_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Makes a rename or removal in `path`'s directory durable.
pub(crate) fn sync_directory(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// A reader of the Parquet file at `path`, and the records schema it was written with.
pub(crate) fn open(
    path: &Path,
) -> Result<(ParquetRecordBatchReaderBuilder<File>, RecordSchema), ArrowRecordError> {
    let file = File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(READ_BATCH_ROWS);
    let schema = RecordSchema::from_arrow(builder.schema())?;
    Ok((builder, schema))
}

/// The batches of `path` holding only the named top-level columns.
pub(crate) fn read_columns(
    path: &Path,
    columns: &[&str],
) -> Result<ParquetRecordBatchReader, ArrowRecordError> {
    let (builder, _) = open(path)?;
    let leaves = builder
        .parquet_schema()
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, leaf)| {
            columns
                .iter()
                .any(|name| leaf_of(leaf.path().parts(), name))
        })
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
    Ok(builder.with_projection(mask).build()?)
}

/// Whether the leaf at `parts` belongs to `name`: a whole column (`file_path`), or one field
/// of a nested one (`faces.score`, whose leaf path is `faces.list.<item>.score`), read for the
/// list's nulls without its heavy fields.
fn leaf_of(parts: &[String], name: &str) -> bool {
    match name.split_once('.') {
        Some((root, field)) => {
            parts.first().is_some_and(|p| p == root) && parts.last().is_some_and(|p| p == field)
        }
        None => parts.first().is_some_and(|p| p == name),
    }
}
