//! Where an image comes from, and reading it exactly once.

use crate::error::{Stage, StageError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use thiserror::Error;

/// One input to the pipeline.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Source {
    /// A file on disk; it is read once, in a worker thread.
    Path(PathBuf),
    /// Bytes the app already holds (an upload, a blob from storage), with a name for the record.
    Bytes {
        /// Goes into the record's `file_path`; any identifier the app likes.
        name: String,
        /// The encoded image.
        bytes: Vec<u8>,
    },
}

impl Source {
    /// The name this input has in its record (`file_path`).
    pub fn display_path(&self) -> String {
        match self {
            Source::Path(path) => path.to_string_lossy().into_owned(),
            Source::Bytes { name, .. } => name.clone(),
        }
    }
}

impl From<PathBuf> for Source {
    fn from(path: PathBuf) -> Self {
        Source::Path(path)
    }
}

impl From<&Path> for Source {
    fn from(path: &Path) -> Self {
        Source::Path(path.to_path_buf())
    }
}

/// An input that could not even be named as a source, e.g. a directory walk that hit a
/// permission error or a symlink loop. It still becomes an error record.
#[derive(Debug, Clone, Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct SourceError {
    /// The path the problem was found at.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
    /// Stable error class, e.g. `symlink_loop` or `permission_denied`.
    pub kind: &'static str,
}

impl StageError for SourceError {
    fn stage(&self) -> Stage {
        Stage::Read
    }
    fn kind(&self) -> &'static str {
        self.kind
    }
}

impl From<Vec<u8>> for Source {
    /// Bytes named `<bytes>` in their record.
    fn from(bytes: Vec<u8>) -> Self {
        Source::Bytes {
            name: String::from("<bytes>"),
            bytes,
        }
    }
}

impl From<Source> for SourceItem {
    fn from(source: Source) -> Self {
        Ok(source)
    }
}

/// An item as the driver takes it: a source, or a failure to produce one.
pub type SourceItem = Result<Source, SourceError>;

/// The bytes of an input and what the file system says about it.
#[derive(Debug, Clone)]
pub(crate) struct ReadInput {
    /// `file_path` of the record.
    pub(crate) path: String,
    /// Last path component, when there is one.
    pub(crate) file_name: Option<String>,
    /// The whole encoded file.
    pub(crate) bytes: Vec<u8>,
    /// Modification time in nanoseconds since the Unix epoch, when the file system knows it.
    pub(crate) mtime_ns: Option<i64>,
}

/// Why reading an input failed.
#[derive(Debug, Error)]
pub(crate) enum ReadError {
    /// The OS refused or failed (not found, permission denied, I/O error).
    #[error("cannot read {path}")]
    Io {
        /// The input's path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A directory or a device rather than a regular file.
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The input's path.
        path: String,
    },
    /// Larger than the configured maximum; refused before reading.
    #[error("{path} is {size} bytes, over the {limit}-byte input limit")]
    TooLarge {
        /// The input's path.
        path: String,
        /// Its size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
}

impl StageError for ReadError {
    fn stage(&self) -> Stage {
        Stage::Read
    }
    fn kind(&self) -> &'static str {
        match self {
            ReadError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "not_found",
                std::io::ErrorKind::PermissionDenied => "permission_denied",
                _ => "io",
            },
            ReadError::NotAFile { .. } => "not_a_file",
            ReadError::TooLarge { .. } => "too_large",
        }
    }
}

/// Size and modification time of a file, as used for resume decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    /// Size in bytes.
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub(crate) mtime_ns: Option<i64>,
}

impl FileStamp {
    /// The stamp of file metadata.
    pub(crate) fn from_metadata(meta: &std::fs::Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_nanos()).ok(),
                Err(before) => i64::try_from(before.duration().as_nanos()).ok().map(|n| -n),
            });
        Self {
            size: meta.len(),
            mtime_ns,
        }
    }
}

/// Reads a source's bytes once, refusing non-files and files over `max_bytes`.
pub(crate) fn read_source(source: Source, max_bytes: u64) -> Result<ReadInput, ReadError> {
    match source {
        Source::Bytes { name, bytes } => {
            if bytes.len() as u64 > max_bytes {
                return Err(ReadError::TooLarge {
                    path: name,
                    size: bytes.len() as u64,
                    limit: max_bytes,
                });
            }
            let file_name = Path::new(&name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            Ok(ReadInput {
                path: name,
                file_name,
                bytes,
                mtime_ns: None,
            })
        }
        Source::Path(path) => read_file(&path, max_bytes),
    }
}

fn read_file(path: &Path, max_bytes: u64) -> Result<ReadInput, ReadError> {
    let shown = path.to_string_lossy().into_owned();
    let io_err = |source| ReadError::Io {
        path: shown.clone(),
        source,
    };
    // Look before opening: opening a FIFO blocks until a writer comes, and a device such as
    // /dev/zero never ends.
    if !std::fs::metadata(path).map_err(io_err)?.is_file() {
        return Err(ReadError::NotAFile { path: shown });
    }
    let mut file = std::fs::File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: shown });
    }
    let stamp = FileStamp::from_metadata(&meta);
    if stamp.size > max_bytes {
        return Err(ReadError::TooLarge {
            path: shown,
            size: stamp.size,
            limit: max_bytes,
        });
    }
    // The size is a hint only: the file may change while we read, so cap what we accept.
    let mut bytes = Vec::with_capacity(stamp.size as usize);
    (&mut file)
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            path: shown,
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(ReadInput {
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        path: shown,
        bytes,
        mtime_ns: stamp.mtime_ns,
    })
}
