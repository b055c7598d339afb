//! Duplicate groups among records: exact copies by content hash, near duplicates (re-encodes,
//! resized copies, small edits) by perceptual hash, and optionally similar images by embedding
//! cosine. Each group names the file to keep.
//!
//! ```
//! use photon_core::Record;
//! use photon_index::dedup::{DedupOptions, GroupKind, find_duplicates};
//! let record = |path: &str, hash: &str, phash: &str, width: u32| -> Record {
//!     serde_json::from_value(serde_json::json!({
//!         "schema_version": 1, "file_path": path, "file_size": 1000, "content_hash": hash,
//!         "width": width, "height": width, "format": "jpeg", "perceptual_hash": phash,
//!     })).unwrap()
//! };
//! let records = [
//!     record("cat.jpg", "aa", "f0f0f0f0f0f0f0f0", 1024),
//!     record("copy/cat.jpg", "aa", "f0f0f0f0f0f0f0f0", 1024),
//!     record("cat-small.jpg", "bb", "f0f0f0f0f0f0f0f1", 512),
//!     record("dog.jpg", "cc", "0123456789abcdef", 1024),
//! ];
//! let found = find_duplicates(records, &DedupOptions::default());
//! assert_eq!(found.groups.len(), 2);
//! assert_eq!(found.groups[0].kind, GroupKind::Exact);
//! assert_eq!(found.groups[0].keep, "cat.jpg"); // the shorter path of two equal files
//! assert_eq!(found.groups[1].kind, GroupKind::Near);
//! assert_eq!(found.groups[1].files, ["cat-small.jpg", "cat.jpg"]);
//! assert_eq!(found.groups[1].keep, "cat.jpg"); // the larger picture
//! ```

mod hamming;
mod items;
mod keep;
mod similar;
mod union_find;

use items::Items;
pub use keep::KeepPolicy;
use serde::Serialize;
use union_find::UnionFind;

/// The default `max_distance`: the most bits a re-encode, a half-size copy, a brightness change
/// or a PNG re-save of a photo moved its perceptual hash in docs/dedup.md's measurements, with
/// room to spare, and far below the closest two different photos there.
pub const DEFAULT_MAX_DISTANCE: u32 = 8;

/// What counts as a duplicate, and which copy to keep.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DedupOptions {
    /// Near duplicates: perceptual hashes at most this many bits apart (of 64).
    pub max_distance: u32,
    /// Similar images: embeddings from the same model with at least this cosine; `None` (the
    /// default) finds no similar groups.
    pub similarity: Option<f32>,
    /// Which file of a group to keep.
    pub keep: KeepPolicy,
}

impl Default for DedupOptions {
    fn default() -> Self {
        Self {
            max_distance: DEFAULT_MAX_DISTANCE,
            similarity: None,
            keep: KeepPolicy::default(),
        }
    }
}

impl DedupOptions {
    /// Sets [`max_distance`](Self::max_distance).
    pub fn max_distance(mut self, bits: u32) -> Self {
        self.max_distance = bits;
        self
    }

    /// Sets [`similarity`](Self::similarity).
    pub fn similarity(mut self, cosine: Option<f32>) -> Self {
        self.similarity = cosine;
        self
    }

    /// Sets [`keep`](Self::keep).
    pub fn keep(mut self, policy: KeepPolicy) -> Self {
        self.keep = policy;
        self
    }
}

/// How the files of a group are alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum GroupKind {
    /// The same bytes (equal content hashes).
    Exact,
    /// The same picture, re-encoded, resized or slightly edited (close perceptual hashes).
    Near,
    /// Similar pictures by the model (close embeddings) that are not near duplicates.
    Similar,
}

/// How far apart a group's files are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Distance {
    /// Perceptual hash bits: the most between two members (0 for exact groups).
    Bits(u32),
    /// Embedding cosine: the least between two members.
    Cosine(f32),
}

/// Files that are alike, and the one to keep.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Group {
    /// How they are alike.
    pub kind: GroupKind,
    /// The file to keep, by the [`KeepPolicy`].
    pub keep: String,
    /// Every member, `keep` included, sorted by path.
    pub files: Vec<String>,
    /// How far apart the members are.
    pub distance: Distance,
}

/// The groups found, and what could not take part.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Duplicates {
    /// Exact groups, then near, then similar; by `keep` within a kind.
    pub groups: Vec<Group>,
    /// Images considered (the latest record of each path that succeeded).
    pub images: usize,
    /// Error records, which have no picture to compare.
    pub failed: usize,
    /// Images without a perceptual hash (written with it off): exact groups only.
    pub without_hash: usize,
    /// Images without an embedding, when similar groups were asked for.
    pub without_embedding: usize,
}

/// Groups duplicates among `records` (JSON Lines or Parquet records, any order; the last record
/// of a path counts, as resume writes them).
///
/// - Exact groups: files with the same content hash.
/// - Near groups: distinct contents whose perceptual hashes are at most
///   [`max_distance`](DedupOptions::max_distance) bits apart, found by multi-index hashing
///   rather than by comparing every pair. An exact group takes part through its kept file.
/// - Similar groups (when [`similarity`](DedupOptions::similarity) is set): distinct contents
///   whose embeddings, from the same model, have at least that cosine and are not near
///   duplicates. This compares every pair of embeddings of a model: fine for a photo library,
///   quadratic for millions.
///
/// Groups merge transitively within a kind only: A near B and B near C make one near group.
pub fn find_duplicates(
    records: impl IntoIterator<Item = Record>,
    options: &DedupOptions,
) -> Duplicates {
    let items = Items::collect(records, options.similarity.is_some());
    let mut found = Duplicates {
        images: items.len(),
        failed: items.failed,
        without_hash: items.without_hash(),
        without_embedding: items.without_embedding(options.similarity.is_some()),
        groups: Vec::new(),
    };
    let (exact, representatives) = exact_groups(&items, options.keep);
    found.groups.extend(exact);
    let near = near_pairs(&items, &representatives, options.max_distance);
    found.groups.extend(groups_from_pairs(
        &items,
        GroupKind::Near,
        &near,
        options.keep,
    ));
    if let Some(threshold) = options.similarity {
        let near_set: std::collections::HashSet<(u32, u32)> =
            near.iter().map(|&(a, b, _)| (a, b)).collect();
        let similar: Vec<Pair> = similar::pairs_at_least(&items, &representatives, threshold)
            .into_iter()
            .filter(|&(a, b, _)| !near_set.contains(&(a, b)))
            .collect();
        found.groups.extend(groups_from_pairs(
            &items,
            GroupKind::Similar,
            &similar,
            options.keep,
        ));
    }
    found
}

/// Two items (indexes, `a < b`) and how alike they are.
type Pair = (u32, u32, Distance);

/// Groups of equal content hashes, and one item per content (the kept one) for the other kinds.
fn exact_groups(items: &Items, keep: KeepPolicy) -> (Vec<Group>, Vec<u32>) {
    let mut groups = Vec::new();
    let mut representatives = Vec::new();
    for members in items.by_content() {
        let kept = keep.choose(items, &members);
        representatives.push(kept);
        if members.len() > 1 {
            groups.push(items.group(GroupKind::Exact, kept, &members, Distance::Bits(0)));
        }
    }
    groups.sort_by(|a, b| a.keep.cmp(&b.keep));
    representatives.sort_unstable();
    (groups, representatives)
}

/// Near pairs among the representatives, as item indexes.
fn near_pairs(items: &Items, representatives: &[u32], max_distance: u32) -> Vec<Pair> {
    let hashed: Vec<u32> = representatives
        .iter()
        .copied()
        .filter(|&i| items.phash(i).is_some())
        .collect();
    let hashes: Vec<u64> = hashed.iter().filter_map(|&i| items.phash(i)).collect();
    hamming::pairs_within(&hashes, max_distance)
        .into_iter()
        .map(|(a, b, bits)| (hashed[a as usize], hashed[b as usize], Distance::Bits(bits)))
        .collect()
}

/// The connected groups of `pairs`, each with its kept file and widest distance.
fn groups_from_pairs(
    items: &Items,
    kind: GroupKind,
    pairs: &[Pair],
    keep: KeepPolicy,
) -> Vec<Group> {
    let mut sets = UnionFind::new(items.len());
    for &(a, b, _) in pairs {
        sets.union(a, b);
    }
    let mut groups: Vec<Group> = sets
        .components(pairs.iter().flat_map(|&(a, b, _)| [a, b]))
        .into_iter()
        .filter(|members| members.len() > 1)
        .map(|members| {
            let distance = widest(items, kind, &members, pairs, &sets);
            items.group(kind, keep.choose(items, &members), &members, distance)
        })
        .collect();
    groups.sort_by(|a, b| a.keep.cmp(&b.keep));
    groups
}

/// The widest distance between two members: every pair of a group of up to 2048 members, else
/// the widest of the pairs that joined it.
fn widest(
    items: &Items,
    kind: GroupKind,
    members: &[u32],
    pairs: &[Pair],
    sets: &UnionFind,
) -> Distance {
    if members.len() <= 2048 {
        return items.widest_distance(kind, members);
    }
    let root = sets.find_const(members[0]);
    let joined = pairs
        .iter()
        .filter(|p| sets.find_const(p.0) == root)
        .map(|p| p.2);
    match kind {
        GroupKind::Similar => Distance::Cosine(
            joined
                .filter_map(|d| {
                    if let Distance::Cosine(c) = d {
                        Some(c)
                    } else {
                        None
                    }
                })
                .fold(1.0, f32::min),
        ),
        _ => Distance::Bits(
            joined
                .filter_map(|d| {
                    if let Distance::Bits(b) = d {
                        Some(b)
                    } else {
                        None
                    }
                })
                .max()
                .unwrap_or(0),
        ),
    }
}

use photon_core::Record;

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        path: &str,
        content: &str,
        phash: u64,
        pixels: u32,
        embedding: Option<[f32; 2]>,
    ) -> Record {
        let mut value = serde_json::json!({
            "schema_version": 1, "file_path": path, "file_size": 100, "content_hash": content,
            "width": pixels, "height": 1, "format": "jpeg",
            "perceptual_hash": format!("{phash:016x}"),
        });
        if let Some(e) = embedding {
            value["embedding"] = serde_json::json!(e);
            value["model"] = serde_json::json!({"id": "m", "backend": "ort"});
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn similar_groups_leave_near_pairs_to_the_near_kind() {
        let s = 0.6f32.sqrt();
        let records = [
            record("a.jpg", "1", 0, 10, Some([1.0, 0.0])),
            record("a-small.jpg", "2", 0b11, 5, Some([1.0, 0.0])),
            record("b.jpg", "3", u64::MAX, 10, Some([s, 0.4f32.sqrt()])),
            record("c.jpg", "4", 0xF0F0_F0F0_F0F0_F0F0, 10, Some([0.0, 1.0])),
        ];
        let found = find_duplicates(records, &DedupOptions::default().similarity(Some(0.7)));
        let kinds: Vec<(GroupKind, Vec<&str>)> = found
            .groups
            .iter()
            .map(|g| (g.kind, g.files.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            kinds,
            [
                (GroupKind::Near, vec!["a-small.jpg", "a.jpg"]),
                (GroupKind::Similar, vec!["a-small.jpg", "a.jpg", "b.jpg"]),
            ]
        );
        assert_eq!(found.groups[0].keep, "a.jpg");
        let Distance::Cosine(least) = found.groups[1].distance else {
            panic!()
        };
        assert!((least - s).abs() < 1e-6);
        assert_eq!(
            find_duplicates([], &DedupOptions::default()),
            Duplicates::default()
        );
    }

    #[test]
    fn the_latest_record_of_a_path_counts_and_failures_are_counted() {
        let failed: Record = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "file_path": "b.jpg",
            "error": {"stage": "decode", "kind": "corrupt", "message": "bad"},
        }))
        .unwrap();
        let records = [
            record("a.jpg", "1", 0, 10, None),
            record("b.jpg", "1", 0, 10, None),
            failed,
            record("c.jpg", "2", 0, 10, None),
        ];
        let found = find_duplicates(records, &DedupOptions::default());
        assert_eq!((found.images, found.failed), (2, 1));
        assert_eq!(found.groups.len(), 1);
        assert_eq!(found.groups[0].files, ["a.jpg", "c.jpg"]);
        assert_eq!(found.groups[0].kind, GroupKind::Near);
    }

    #[test]
    fn keep_policies_rank_as_documented() {
        let at = |path: &str, pixels: u32, mtime: Option<i64>| -> Record {
            let mut r = record(path, path, 0, pixels, None);
            if let Record::Image(image) = &mut r {
                image.file_mtime_ns = mtime;
            }
            r
        };
        let records = || {
            [
                at("deep/folder/big.jpg", 100, Some(5)),
                at("old.jpg", 10, Some(1)),
                at("new.jpg", 10, Some(9)),
                at("x.jpg", 10, None),
            ]
        };
        let keep = |policy: KeepPolicy| {
            find_duplicates(records(), &DedupOptions::default().keep(policy)).groups[0]
                .keep
                .clone()
        };
        assert_eq!(keep(KeepPolicy::Largest), "deep/folder/big.jpg");
        assert_eq!(keep(KeepPolicy::Oldest), "old.jpg");
        assert_eq!(keep(KeepPolicy::Newest), "new.jpg");
        assert_eq!(keep(KeepPolicy::ShortestPath), "x.jpg");
        assert_eq!(
            "shortest-path".parse::<KeepPolicy>(),
            Ok(KeepPolicy::ShortestPath)
        );
        assert!("biggest".parse::<KeepPolicy>().is_err());
    }
}
