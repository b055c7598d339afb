//! The state of `photon faces` beside the records: who each face is, so that a later run
//! places only new faces. Written atomically (a temporary file renamed over the old one): a
//! kill leaves the old state or the new one.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A face known across runs: the image's content hash (the same photo under two paths is one
/// image) and the face's place in its record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaceKey {
    pub content_hash: String,
    pub index: usize,
}

/// One face's person, or none.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placed {
    #[serde(flatten)]
    pub key: FaceKey,
    pub person: Option<u32>,
}

/// What a run leaves for the next.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeopleState {
    pub version: u32,
    pub max_distance: f32,
    pub min_faces: usize,
    /// Every face placed, in the order they were taken.
    pub faces: Vec<Placed>,
    /// Each person's representative, as a face key.
    pub representatives: Vec<FaceKey>,
    /// How many faces the graph saved beside the state holds (the first of `faces`, by their
    /// order here); none from a state written before graphs were kept.
    #[serde(default)]
    pub graph_faces: Option<usize>,
}

pub const STATE_VERSION: u32 = 1;

/// `RECORDS.people.json` beside the first records file.
pub fn default_path(records: &Path) -> PathBuf {
    let mut name = records.file_name().unwrap_or_default().to_os_string();
    name.push(".people.json");
    records.with_file_name(name)
}

/// The face graph beside the state: `RECORDS.people.usearch`.
pub fn graph_path(state: &Path) -> PathBuf {
    state.with_extension("usearch")
}

/// The state at `path`, if there is one; one that cannot be read is an error, never ignored.
pub fn load(path: &Path) -> Result<Option<PeopleState>, String> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let state: PeopleState = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{}: not a people state ({e}); --recluster starts over",
            path.display()
        )
    })?;
    if state.version != STATE_VERSION {
        return Err(format!(
            "{}: state version {}, this photon reads {STATE_VERSION}; --recluster starts over",
            path.display(),
            state.version
        ));
    }
    Ok(Some(state))
}

/// Writes `state` to `path` through a temporary file in the same folder, synced, then renamed.
pub fn save(path: &Path, state: &PeopleState) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("writing {}: {e}", path.display());
    let mut temporary = path.as_os_str().to_os_string();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let bytes = serde_json::to_vec(state).map_err(|e| e.to_string())?;
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&temporary).map_err(failed)?;
        file.write_all(&bytes).map_err(failed)?;
        file.sync_all().map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}
