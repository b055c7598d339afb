//! Which file of a group to keep.

use super::items::{Item, Items};
use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::str::FromStr;

/// The rule that names the file to keep in each group. Ties fall through to the default rule
/// (largest), and last to the shortest, then alphabetically first, path, so the choice never
/// depends on the records' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeepPolicy {
    /// The most pixels, then the largest file (the least compressed).
    #[default]
    Largest,
    /// The oldest modification time (files without one lose).
    Oldest,
    /// The newest modification time (files without one lose).
    Newest,
    /// The shortest path (the copy nearest the top of the tree).
    ShortestPath,
}

impl KeepPolicy {
    /// The member of `members` to keep.
    pub(crate) fn choose(self, items: &Items, members: &[u32]) -> u32 {
        *members
            .iter()
            .max_by(|&&a, &&b| self.compare(items.get(a), items.get(b)))
            .expect("a group has members")
    }

    /// `Greater` when `a` is the better file to keep.
    fn compare(self, a: &Item, b: &Item) -> Ordering {
        let largest = |i: &Item| (i.pixels, i.file_size);
        let path = |i: &Item| (Reverse(i.path.len()), Reverse(i.path.clone()));
        let first = match self {
            KeepPolicy::Largest | KeepPolicy::ShortestPath => Ordering::Equal,
            // `Some` beats `None` in both directions: a file without a time never wins on time.
            KeepPolicy::Oldest => a.mtime_ns.map(Reverse).cmp(&b.mtime_ns.map(Reverse)),
            KeepPolicy::Newest => a.mtime_ns.cmp(&b.mtime_ns),
        };
        let by_path = path(a).cmp(&path(b));
        match self {
            KeepPolicy::ShortestPath => by_path.then_with(|| largest(a).cmp(&largest(b))),
            _ => first
                .then_with(|| largest(a).cmp(&largest(b)))
                .then(by_path),
        }
    }
}

impl FromStr for KeepPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "largest" => Ok(Self::Largest),
            "oldest" => Ok(Self::Oldest),
            "newest" => Ok(Self::Newest),
            "shortest-path" => Ok(Self::ShortestPath),
            other => Err(format!(
                "unknown keep policy {other:?} (largest, oldest, newest, shortest-path)"
            )),
        }
    }
}

impl fmt::Display for KeepPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Largest => "largest",
            Self::Oldest => "oldest",
            Self::Newest => "newest",
            Self::ShortestPath => "shortest-path",
        })
    }
}
