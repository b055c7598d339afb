//! JSON Lines: [`JsonlSink`] writes one JSON object per line, and [`read_jsonl`] reads them back.

use super::{Sink, SinkError};
use crate::record::Record;
use crate::resume::{ReadReport, ResumeIndex};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Seek, SeekFrom, Write};
use std::path::Path;

/// Cuts an output back to `len` bytes after a failed write.
type Rollback<W> = fn(&mut W, u64) -> std::io::Result<()>;

/// Writes records as JSON Lines, one object per line.
///
/// **Durability:** each record is serialised whole, handed to the OS in one `write` call and
/// flushed before [`write`](Sink::write) returns, so a killed process loses at most the line
/// being written, and [`JsonlSink::resume`] cuts such a torn line off. On a file, a write that
/// fails part-way (disk full, quota) is cut back to the last complete line before the error is
/// returned, so the file stays valid JSON Lines. (Surviving a power cut as well would take an
/// fsync per line; the OS's page cache is trusted here.)
#[derive(Debug)]
pub struct JsonlSink<W: Write> {
    out: W,
    line: Vec<u8>,
    /// Length of the complete lines written, and how to cut the output back to it.
    rollback: Option<(u64, Rollback<W>)>,
}

impl<W: Write> JsonlSink<W> {
    /// Writes to any writer (stdout, a socket, a buffer).
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::with_capacity(4096),
            rollback: None,
        }
    }

    fn with_rollback(out: W, len: u64, cut: Rollback<W>) -> Self {
        Self {
            rollback: Some((len, cut)),
            ..Self::new(out)
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
        Ok(Self::with_rollback(File::create(path)?, 0, cut_file))
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
        let len = file.stream_position()?;
        Ok((Self::with_rollback(file, len, cut_file), index, report))
    }
}

fn cut_file(file: &mut File, len: u64) -> std::io::Result<()> {
    file.set_len(len)?;
    file.seek(SeekFrom::Start(len)).map(drop)
}

impl<W: Write> Sink for JsonlSink<W> {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record)?;
        self.line.push(b'\n');
        // One write call per complete line keeps lines whole even when the process dies.
        if let Err(e) = self
            .out
            .write_all(&self.line)
            .and_then(|()| self.out.flush())
        {
            if let Some((len, cut)) = self.rollback {
                let _ = cut(&mut self.out, len);
            }
            return Err(e.into());
        }
        if let Some((len, _)) = &mut self.rollback {
            *len += self.line.len() as u64;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.out.flush()?;
        Ok(())
    }
}

/// Reads JSON Lines records, one per line, from `reader`: an earlier run's output.
///
/// Lines that do not parse as records (a torn last line, a line from another tool) come out as
/// errors, in place, so a caller can count or skip them; blank lines are skipped.
pub fn read_jsonl<R: BufRead>(reader: R) -> JsonlRecords<R> {
    JsonlRecords {
        lines: reader.lines(),
    }
}

/// The records of a JSON Lines file; see [`read_jsonl`].
#[derive(Debug)]
pub struct JsonlRecords<R> {
    lines: std::io::Lines<R>,
}

impl<R: BufRead> Iterator for JsonlRecords<R> {
    type Item = Result<Record, SinkError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next()? {
                Ok(line) => line,
                Err(e) => return Some(Err(e.into())),
            };
            if !line.trim().is_empty() {
                return Some(serde_json::from_str(&line).map_err(SinkError::from));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ItemError, Stage};

    /// A disk that fills after `cap` bytes, accepting part of the write that crosses it.
    struct FillingDisk {
        data: Vec<u8>,
        cap: usize,
    }

    impl Write for FillingDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = self.cap.saturating_sub(self.data.len());
            if room == 0 {
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = room.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_leaves_only_complete_lines() {
        let disk = FillingDisk {
            data: Vec::new(),
            cap: 1000,
        };
        let mut sink = JsonlSink::with_rollback(disk, 0, |d: &mut FillingDisk, len| {
            d.data.truncate(len as usize);
            Ok(())
        });
        let mut written = 0;
        let error = loop {
            let record = Record::failed(
                format!("photo_{written:04}.jpg"),
                ItemError::new(Stage::Decode, "truncated", "cut short"),
            );
            match sink.write(&record) {
                Ok(()) => written += 1,
                Err(e) => break e,
            }
        };
        assert!(
            crate::error::with_causes(&error).contains("No space left"),
            "{error}"
        );
        let data = sink.into_inner().data;
        let text = std::str::from_utf8(&data).unwrap();
        assert!(written > 3 && text.ends_with('\n'), "{text}");
        assert_eq!(text.lines().count(), written);
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }

    #[test]
    fn written_records_read_back_and_bad_lines_come_out_as_errors() {
        let mut sink = JsonlSink::new(Vec::new());
        let failed = Record::failed("a.jpg", ItemError::new(Stage::Decode, "truncated", "cut"));
        sink.write(&failed).unwrap();
        let mut bytes = sink.into_inner();
        bytes.extend_from_slice(b"\n{\"file_pa");
        let read: Vec<_> = read_jsonl(&bytes[..]).collect();
        assert_eq!(read.len(), 2, "the blank line is skipped");
        assert_eq!(read[0].as_ref().unwrap(), &failed);
        assert!(matches!(read[1], Err(SinkError::Serialize(_))));
    }
}
