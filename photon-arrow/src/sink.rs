//! [`ParquetSink`]: records into a Parquet file, in parts that survive a kill, merged into one
//! file at the end.

use crate::error::ArrowRecordError;
use crate::files::{self, AtomicFile, writer_properties};
use crate::merge::{merge, mismatch};
use crate::parts::PartsDir;
use crate::schema::RecordSchema;
use crate::to_arrow::RecordBatchBuilder;
use photon_core::{Record, ResumeIndex, Sink, SinkError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a [`ParquetSink`] cuts its output into parts and encodes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParquetOptions {
    /// Most records in one part: what a kill can lose at worst.
    pub part_rows: usize,
    /// Longest a part stays open, so that a slow run (a big model on a small machine) still
    /// makes its work durable every so often.
    pub part_age: Duration,
    /// Largest row group, encoded, in the parts and the merged file. Row groups are sized by
    /// bytes, not rows, because a row's size varies a hundredfold with thumbnails and
    /// embeddings; a writer holds one row group in memory, so this also bounds the memory
    /// writing takes.
    pub row_group_bytes: usize,
    /// zstd level (1-22).
    pub zstd_level: i32,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        Self {
            part_rows: 1024,
            part_age: Duration::from_secs(60),
            row_group_bytes: 32 << 20,
            zstd_level: 3,
        }
    }
}

impl ParquetOptions {
    /// Sets [`part_rows`](Self::part_rows) (at least 1).
    pub fn part_rows(mut self, rows: usize) -> Self {
        self.part_rows = rows.max(1);
        self
    }

    /// Sets [`part_age`](Self::part_age).
    pub fn part_age(mut self, age: Duration) -> Self {
        self.part_age = age;
        self
    }

    /// Sets [`row_group_bytes`](Self::row_group_bytes) (at least 1).
    pub fn row_group_bytes(mut self, bytes: usize) -> Self {
        self.row_group_bytes = bytes.max(1);
        self
    }
}

/// Records converted to columns and handed to the part's writer at a time: few enough that
/// the records waiting take little memory, enough that each write is worth its overhead.
const BATCH_ROWS: usize = 64;
/// Or fewer rows when they are big (large thumbnails).
const BATCH_BYTES: usize = 4 << 20;

/// What resuming a Parquet output found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParquetResume {
    /// Records in the earlier output and its finished parts (a redone input counts each time).
    pub records: u64,
    /// Finished parts of an interrupted run.
    pub parts: usize,
}

/// Writes records to a Parquet file, `OUT`, under a [`RecordSchema`].
///
/// **Durability:** records go into parts of at most [`part_rows`](ParquetOptions::part_rows)
/// records (or [`part_age`](ParquetOptions::part_age) old). Each part is written to `OUT.parts/`
/// under a temporary name, synced and renamed to `part-NNNNNN.parquet`, so every file named
/// `*.parquet` is complete and readable at every moment, and a crash loses at most the part in
/// progress.
///
/// **Memory** stays flat however long the run: records reach the part's writer a few dozen at
/// a time, and a writer holds at most one row group
/// ([`row_group_bytes`](ParquetOptions::row_group_bytes)) before it goes to disk.
/// [`finish`](Sink::finish) writes the last part, merges the earlier `OUT` (when resuming) and
/// every part into one file, keeping each input's latest record, renames it over `OUT` and
/// removes the parts. Until then an earlier `OUT` stays as it was.
///
/// After a failed write (a full disk), `finish` leaves the finished parts for
/// [`ParquetSink::resume`] rather than merging an output with a hole in it.
#[derive(Debug)]
pub struct ParquetSink {
    output: PathBuf,
    parts: PartsDir,
    next_part: u64,
    /// Records not yet handed to the part's writer.
    pending: RecordBatchBuilder,
    /// The part being written, once its first records reach the writer.
    part: Option<AtomicFile>,
    /// When the current part's first record arrived.
    part_started: Option<Instant>,
    options: ParquetOptions,
    /// Resuming: the earlier output's records are merged with the new parts. A new run
    /// replaces it instead.
    keep_earlier: bool,
    /// Set by a failed part write: the run is over and the parts wait for a resume.
    failed: bool,
}

impl ParquetSink {
    /// Starts a new output at `path`: the parts of an interrupted earlier run are removed; an
    /// earlier `path` is replaced when the run finishes.
    pub fn create(
        path: &Path,
        schema: RecordSchema,
        options: ParquetOptions,
    ) -> Result<Self, ArrowRecordError> {
        let parts = PartsDir::beside(path);
        parts.recreate()?;
        remove_stale_merge(path)?;
        Ok(Self::new(path, parts, 0, schema, options, false))
    }

    /// Continues an earlier run into `path`: reads what `path` and the finished parts of an
    /// interrupted run recorded, and appends new parts after them. Refuses files written for
    /// another model (or without one, when this run has one): one table holds one model's
    /// embeddings.
    pub fn resume(
        path: &Path,
        schema: RecordSchema,
        options: ParquetOptions,
    ) -> Result<(Self, ResumeIndex, ParquetResume), ArrowRecordError> {
        let parts = PartsDir::beside(path);
        parts.ensure()?;
        remove_stale_merge(path)?;
        let finished = parts.finished()?;
        let mut index = ResumeIndex::default();
        let mut found = ParquetResume {
            parts: finished.len(),
            ..ParquetResume::default()
        };
        let earlier = path.exists().then(|| path.to_owned());
        for table in earlier.iter().chain(finished.iter().map(|(_, p)| p)) {
            let (_, table_schema) = files::open(table)?;
            if !table_schema.same_model(&schema) {
                return Err(mismatch(table, &table_schema, &schema));
            }
            found.records += crate::read::index_table(table, &mut index)?;
        }
        let next_part = finished.last().map_or(0, |(n, _)| n + 1);
        let sink = Self::new(path, parts, next_part, schema, options, true);
        Ok((sink, index, found))
    }

    fn new(
        path: &Path,
        parts: PartsDir,
        next_part: u64,
        schema: RecordSchema,
        options: ParquetOptions,
        keep_earlier: bool,
    ) -> Self {
        Self {
            output: path.to_owned(),
            parts,
            next_part,
            pending: RecordBatchBuilder::new(schema),
            part: None,
            part_started: None,
            options,
            keep_earlier,
            failed: false,
        }
    }

    fn part_is_due(&self) -> bool {
        let written = self.part.as_ref().map_or(0, |p| p.rows() as usize);
        written + self.pending.len() >= self.options.part_rows
            || self
                .part_started
                .is_some_and(|t| t.elapsed() >= self.options.part_age)
    }

    /// Hands the pending records to the part's writer, opening a part if none is.
    fn write_pending(&mut self) -> Result<(), ArrowRecordError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = self.pending.finish()?;
        if self.part.is_none() {
            let schema = self.pending.schema();
            let properties = writer_properties(
                schema,
                self.options.zstd_level,
                self.options.row_group_bytes,
            )?;
            let file = AtomicFile::create(&self.parts.part(self.next_part), schema, properties)?;
            self.part = Some(file);
        }
        self.part.as_mut().expect("opened above").write(&batch)
    }

    /// Writes what is pending and puts the part in place under its final name.
    fn commit_part(&mut self) -> Result<(), ArrowRecordError> {
        let written = self.write_pending();
        self.part_started = None;
        let Some(part) = self.part.take() else {
            return written;
        };
        match written {
            Ok(()) => {
                part.commit()?;
                self.next_part += 1;
                Ok(())
            }
            Err(e) => {
                part.abandon();
                Err(e)
            }
        }
    }

    fn write_record(&mut self, record: &Record) -> Result<(), ArrowRecordError> {
        self.pending.push(record.clone())?;
        self.part_started.get_or_insert_with(Instant::now);
        if self.pending.len() >= BATCH_ROWS || self.pending.approximate_bytes() >= BATCH_BYTES {
            self.write_pending()?;
        }
        if self.part_is_due() {
            self.commit_part()?;
        }
        Ok(())
    }

    fn merge_parts(&mut self) -> Result<(), ArrowRecordError> {
        let mut inputs: Vec<PathBuf> = Vec::new();
        if self.keep_earlier && self.output.exists() {
            inputs.push(self.output.clone());
        }
        inputs.extend(self.parts.finished()?.into_iter().map(|(_, p)| p));
        merge(
            &inputs,
            self.pending.schema(),
            &self.output,
            self.options.zstd_level,
            self.options.row_group_bytes,
        )?;
        self.parts.remove()?;
        files::sync_directory(&self.output)?;
        Ok(())
    }
}

/// A merge cut short by a crash leaves `OUT.tmp`; it is never read, only removed.
fn remove_stale_merge(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(files::temporary_name(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        if self.failed {
            return Err(SinkError::other(
                "Parquet output stopped",
                "an earlier part could not be written",
            ));
        }
        self.write_record(record).map_err(|e| {
            // A part that failed is gone with its records; the finished ones wait for a resume.
            if let Some(part) = self.part.take() {
                part.abandon();
            }
            self.failed = true;
            SinkError::from(e)
        })
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if self.failed {
            return Ok(());
        }
        self.commit_part()
            .and_then(|()| self.merge_parts())
            .map_err(|e| {
                self.failed = true;
                SinkError::from(e)
            })
    }
}
