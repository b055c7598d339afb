//! The parts of a Parquet output in progress: `OUT.parts/part-000000.parquet`, ... beside
//! `OUT`, each complete once its name ends in `.parquet`.

use std::path::{Path, PathBuf};

/// The folder of finished parts beside an output.
#[derive(Debug, Clone)]
pub(crate) struct PartsDir {
    dir: PathBuf,
}

impl PartsDir {
    /// `out.parquet` → `out.parquet.parts/`.
    pub(crate) fn beside(output: &Path) -> Self {
        let mut name = output.as_os_str().to_owned();
        name.push(".parts");
        Self {
            dir: PathBuf::from(name),
        }
    }

    /// The file of part `number`.
    pub(crate) fn part(&self, number: u64) -> PathBuf {
        self.dir.join(format!("part-{number:06}.parquet"))
    }

    /// The finished parts, in the order they were written, with their numbers. Files being
    /// written when a run died (`*.tmp`) are removed.
    pub(crate) fn finished(&self) -> std::io::Result<Vec<(u64, PathBuf)>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut parts = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".tmp") {
                std::fs::remove_file(&path)?;
            } else if let Some(number) = part_number(name) {
                parts.push((number, path));
            }
        }
        parts.sort();
        Ok(parts)
    }

    /// Creates the folder, empty: an earlier run's parts are removed.
    pub(crate) fn recreate(&self) -> std::io::Result<()> {
        self.remove()?;
        std::fs::create_dir(&self.dir)
    }

    /// Creates the folder if it is missing, keeping what it holds.
    pub(crate) fn ensure(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)
    }

    /// Removes the folder and every part in it.
    pub(crate) fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn part_number(name: &str) -> Option<u64> {
    name.strip_prefix("part-")?
        .strip_suffix(".parquet")?
        .parse()
        .ok()
}
