//! Directory walks: every image file under some roots, as driver inputs.

use crate::source::{Source, SourceError, SourceItem};
use std::path::{Path, PathBuf};

/// What a walk collects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// File extensions to take, compared case-insensitively, without the dot.
    pub extensions: Vec<String>,
    /// Follow symbolic links (loops are detected and reported, never followed forever).
    pub follow_links: bool,
    /// Deepest level to descend to below each root; `None` for no limit.
    pub max_depth: Option<usize>,
}

impl Default for WalkOptions {
    /// The formats the default decoder reads; links followed; unlimited depth.
    fn default() -> Self {
        Self {
            extensions: [
                "jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff",
            ]
            .map(String::from)
            .to_vec(),
            follow_links: true,
            max_depth: None,
        }
    }
}

impl WalkOptions {
    fn wants(&self, path: &Path) -> bool {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|ext| self.extensions.iter().any(|w| w.eq_ignore_ascii_case(ext)))
    }
}

/// Walks `roots` in a stable (sorted) order. A root that is a file is taken whatever its
/// extension; inside folders only files with a wanted extension are. Entries that cannot be
/// walked (permission denied, a symlink loop, a broken link) come out as errors, so they still
/// get a record.
///
/// This does blocking file-system I/O; drive it from a blocking thread for large trees.
///
/// ```no_run
/// use photon_core::{walk, WalkOptions};
/// let n = walk(["/photos"], &WalkOptions::default()).filter(|s| s.is_ok()).count();
/// println!("{n} images");
/// ```
pub fn walk<P: AsRef<Path>>(roots: impl IntoIterator<Item = P>, opts: &WalkOptions) -> Walk {
    let roots: Vec<PathBuf> = roots
        .into_iter()
        .map(|r| r.as_ref().to_path_buf())
        .collect();
    let opts = opts.clone();
    Walk(Box::new(roots.into_iter().flat_map(move |root| {
        let opts = opts.clone();
        let mut walker = walkdir::WalkDir::new(&root)
            .follow_links(opts.follow_links)
            .sort_by_file_name();
        if let Some(depth) = opts.max_depth {
            walker = walker.max_depth(depth);
        }
        walker.into_iter().filter_map(move |entry| match entry {
            Ok(entry) if entry.depth() == 0 && !entry.file_type().is_dir() => {
                Some(Ok(Source::Path(entry.into_path())))
            }
            Ok(entry) if !entry.file_type().is_dir() && opts.wants(entry.path()) => {
                Some(Ok(Source::Path(entry.into_path())))
            }
            Ok(_) => None,
            Err(e) => Some(Err(walk_error(&root, e))),
        })
    })))
}

/// The inputs found by [`walk`], in order; owns everything it needs, so it can be sent to a
/// blocking thread or turned into a stream.
pub struct Walk(Box<dyn Iterator<Item = SourceItem> + Send>);

impl Iterator for Walk {
    type Item = SourceItem;
    fn next(&mut self) -> Option<SourceItem> {
        self.0.next()
    }
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Walk")
    }
}

fn walk_error(root: &Path, e: walkdir::Error) -> SourceError {
    let path = e.path().unwrap_or(root).to_path_buf();
    let kind = if e.loop_ancestor().is_some() {
        "symlink_loop"
    } else {
        match e.io_error().map(std::io::Error::kind) {
            Some(std::io::ErrorKind::PermissionDenied) => "permission_denied",
            Some(std::io::ErrorKind::NotFound) => "not_found",
            _ => "io",
        }
    };
    SourceError {
        path,
        message: e.to_string(),
        kind,
    }
}
