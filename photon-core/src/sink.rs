//! Where records go. [`JsonlSink`] writes one JSON object per line and hands each line to the
//! OS as soon as it is complete, so a killed process loses at most the line being written.

use crate::record::Record;
use crate::resume::{ReadReport, ResumeIndex};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use thiserror::Error;

/// Why a record could not be written. Unlike per-input errors this stops a run: there is
/// nowhere left to put results.
#[derive(Debug, Error)]
pub enum SinkError {
    /// The output refused the write (disk full, closed pipe, permissions).
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// The record could not be serialised (a NaN in an embedding, for example).
    #[error("cannot serialise record: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// A destination for records.
pub trait Sink {
    /// Writes one record durably enough that a crash after return does not lose it.
    fn write(&mut self, record: &Record) -> Result<(), SinkError>;
    /// Flushes anything buffered; called once at the end of a run.
    fn finish(&mut self) -> Result<(), SinkError>;
}

/// Writes records as JSON Lines.
#[derive(Debug)]
pub struct JsonlSink<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonlSink<W> {
    /// Writes to any writer (stdout, a socket, a buffer).
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::with_capacity(4096),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl JsonlSink<File> {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<Self, SinkError> {
        Ok(Self::new(File::create(path)?))
    }

    /// Opens `path` to continue an earlier run: reads what it recorded, cuts a torn last line,
    /// and appends after the last complete record. A missing file starts empty.
    pub fn resume(path: &Path) -> Result<(Self, ResumeIndex, ReadReport), SinkError> {
        let (index, report) = ResumeIndex::load(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)?;
        file.set_len(report.valid_len)?;
        file.seek(SeekFrom::End(0))?;
        if report.missing_final_newline {
            file.write_all(b"\n")?;
        }
        Ok((Self::new(file), index, report))
    }
}

impl<W: Write> Sink for JsonlSink<W> {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record)?;
        self.line.push(b'\n');
        // One write call per complete line keeps lines whole even when the process dies.
        self.out.write_all(&self.line)?;
        self.out.flush()?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.out.flush()?;
        Ok(())
    }
}
