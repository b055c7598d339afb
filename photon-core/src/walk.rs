//! Directory walks: every image file under some roots, as driver inputs, and every other file
//! counted, so that nothing is passed over in silence.

use crate::source::{Source, SourceError, SourceItem};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The extensions a walk takes by default, compared without case: the formats Photon decodes,
/// and the photo formats phones and cameras write (HEIF/HEIC, AVIF, JPEG XL, MPO and camera
/// raws), so that a file Photon cannot read yet still gets a record saying so rather than being
/// passed over.
pub const IMAGE_EXTENSIONS: [&str; 51] = [
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif", "bmp", "dib", "tif", "tiff", "mpo",
    "heic", "heif", "hif", "avif", "jxl", "dng", "cr2", "cr3", "nef", "nrw", "arw", "srf", "sr2",
    "raf", "orf", "rw2", "pef", "srw", "x3f", "3fr", "iiq", "erf", "mef", "mos", "kdc", "dcr",
    "mrw", "tga", "ppm", "pgm", "pbm", "pnm", "pam", "qoi", "ico", "dds", "hdr", "exr",
];

/// What a walk collects: [`Default`] and the setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkOptions {
    /// File extensions to take, compared case-insensitively, without the dot.
    pub extensions: Vec<String>,
    /// Follow symbolic links (loops are detected and reported, never followed forever).
    pub follow_links: bool,
    /// Deepest level to descend to below each root; `None` for no limit.
    pub max_depth: Option<usize>,
}

impl Default for WalkOptions {
    /// [`IMAGE_EXTENSIONS`]; links followed; unlimited depth.
    fn default() -> Self {
        Self {
            extensions: IMAGE_EXTENSIONS.map(String::from).to_vec(),
            follow_links: true,
            max_depth: None,
        }
    }
}

impl WalkOptions {
    /// Sets [`extensions`](Self::extensions).
    pub fn extensions(mut self, extensions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.extensions = extensions.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`follow_links`](Self::follow_links).
    pub fn follow_links(mut self, follow: bool) -> Self {
        self.follow_links = follow;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn max_depth(mut self, depth: Option<usize>) -> Self {
        self.max_depth = depth;
        self
    }

    fn wants(&self, path: &Path) -> bool {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|ext| self.extensions.iter().any(|w| w.eq_ignore_ascii_case(ext)))
    }
}

/// Walks `roots` in a stable (sorted) order. A root that is a file is taken whatever its
/// extension; inside folders only files with a wanted extension are, and every other regular
/// file is noted in [`Walk::not_images`]. Entries that cannot be walked (permission denied, a
/// symlink loop, a broken link) come out as errors, so they still get a record.
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
    let not_images = NotImages::default();
    let opts = opts.clone();
    let noted = not_images.clone();
    let inputs = roots.into_iter().flat_map(move |root| {
        let opts = opts.clone();
        let noted = noted.clone();
        let mut walker = walkdir::WalkDir::new(&root)
            .follow_links(opts.follow_links)
            .sort_by_file_name();
        if let Some(depth) = opts.max_depth {
            walker = walker.max_depth(depth);
        }
        walker.into_iter().filter_map(move |entry| match entry {
            Ok(entry) if entry.file_type().is_dir() => None,
            Ok(entry) if entry.depth() == 0 || opts.wants(entry.path()) => {
                Some(Ok(Source::Path(entry.into_path())))
            }
            Ok(entry) => {
                if entry.file_type().is_file() {
                    noted.note(entry.into_path());
                }
                None
            }
            Err(e) => Some(Err(walk_error(&root, e))),
        })
    });
    Walk {
        inputs: Box::new(inputs),
        not_images,
    }
}

/// The inputs found by [`walk`], in order; owns everything it needs, so it can be sent to a
/// blocking thread or turned into a stream.
pub struct Walk {
    inputs: Box<dyn Iterator<Item = SourceItem> + Send>,
    not_images: NotImages,
}

impl Walk {
    /// The regular files the walk has passed over so far because their extension is not an
    /// image's (sidecars such as `.xmp`, `.aae` and `.json` are the common case). The handle
    /// stays valid after the walk is consumed; read it once the walk is done.
    pub fn not_images(&self) -> NotImages {
        self.not_images.clone()
    }
}

impl Iterator for Walk {
    type Item = SourceItem;
    fn next(&mut self) -> Option<SourceItem> {
        self.inputs.next()
    }
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk")
            .field("not_images", &self.not_images.len())
            .finish_non_exhaustive()
    }
}

/// Files a [`Walk`] passed over as not images; a shared handle, filled as the walk goes.
#[derive(Debug, Clone, Default)]
pub struct NotImages(Arc<Mutex<Vec<PathBuf>>>);

impl NotImages {
    fn note(&self, path: PathBuf) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(path);
    }

    /// How many so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when none so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Their paths, in walk order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
