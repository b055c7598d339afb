//! The facts dedup needs from each record, latest record per path.

use super::{Distance, Group, GroupKind};
use photon_core::Record;
use std::collections::HashMap;

/// One image: what identifies it, what compares it, and what the keep policies weigh.
pub(crate) struct Item {
    pub(crate) path: String,
    content_hash: String,
    phash: Option<u64>,
    pub(crate) pixels: u64,
    pub(crate) file_size: u64,
    pub(crate) mtime_ns: Option<i64>,
    /// The model's id and the embedding, kept only when similar groups are wanted.
    embedding: Option<(String, Vec<f32>)>,
}

/// The images of a records stream, indexed by `u32`.
pub(crate) struct Items {
    list: Vec<Item>,
    /// Paths whose latest record is an error.
    pub(crate) failed: usize,
}

impl Items {
    pub(crate) fn collect(records: impl IntoIterator<Item = Record>, embeddings: bool) -> Self {
        let mut slots: Vec<Option<Item>> = Vec::new();
        let mut by_path: HashMap<String, usize> = HashMap::new();
        for record in records {
            let path = record.file_path().to_owned();
            let item = match record {
                Record::Image(image) => Some(Item {
                    phash: image
                        .perceptual_hash
                        .as_deref()
                        .and_then(|h| u64::from_str_radix(h, 16).ok()),
                    pixels: u64::from(image.width) * u64::from(image.height),
                    file_size: image.file_size,
                    mtime_ns: image.file_mtime_ns,
                    embedding: match (embeddings, image.embedding, image.model) {
                        (true, Some(vector), Some(model)) => Some((model.id, vector)),
                        _ => None,
                    },
                    content_hash: image.content_hash,
                    path: image.file_path,
                }),
                Record::Error(_) => None,
            };
            match by_path.get(&path) {
                Some(&slot) => slots[slot] = item,
                None => {
                    by_path.insert(path, slots.len());
                    slots.push(item);
                }
            }
        }
        let failed = slots.iter().filter(|s| s.is_none()).count();
        Self {
            list: slots.into_iter().flatten().collect(),
            failed,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn get(&self, i: u32) -> &Item {
        &self.list[i as usize]
    }

    pub(crate) fn phash(&self, i: u32) -> Option<u64> {
        self.get(i).phash
    }

    pub(crate) fn embedding(&self, i: u32) -> Option<(&str, &[f32])> {
        self.get(i)
            .embedding
            .as_ref()
            .map(|(model, v)| (model.as_str(), v.as_slice()))
    }

    pub(crate) fn without_hash(&self) -> usize {
        self.list.iter().filter(|i| i.phash.is_none()).count()
    }

    pub(crate) fn without_embedding(&self, wanted: bool) -> usize {
        if !wanted {
            return 0;
        }
        self.list.iter().filter(|i| i.embedding.is_none()).count()
    }

    /// The items of each content hash, every content once.
    pub(crate) fn by_content(&self) -> Vec<Vec<u32>> {
        let mut order: Vec<u32> = (0..self.list.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.get(a).content_hash.cmp(&self.get(b).content_hash));
        order
            .chunk_by(|&a, &b| self.get(a).content_hash == self.get(b).content_hash)
            .map(<[u32]>::to_vec)
            .collect()
    }

    /// A group of `members`, `kept` named to keep.
    pub(crate) fn group(
        &self,
        kind: GroupKind,
        kept: u32,
        members: &[u32],
        distance: Distance,
    ) -> Group {
        let mut files: Vec<String> = members.iter().map(|&i| self.get(i).path.clone()).collect();
        files.sort_unstable();
        Group {
            kind,
            keep: self.get(kept).path.clone(),
            files,
            distance,
        }
    }

    /// The most perceptual-hash bits, or the least cosine, between two of `members`.
    pub(crate) fn widest_distance(&self, kind: GroupKind, members: &[u32]) -> Distance {
        let pairs = members
            .iter()
            .enumerate()
            .flat_map(|(n, &a)| members[n + 1..].iter().map(move |&b| (a, b)));
        match kind {
            GroupKind::Exact => Distance::Bits(0),
            GroupKind::Near => Distance::Bits(
                pairs
                    .filter_map(|(a, b)| Some((self.phash(a)? ^ self.phash(b)?).count_ones()))
                    .max()
                    .unwrap_or(0),
            ),
            GroupKind::Similar => Distance::Cosine(
                pairs
                    .filter_map(|(a, b)| {
                        Some(photon_core::vector::dot(
                            self.embedding(a)?.1,
                            self.embedding(b)?.1,
                        ))
                    })
                    .fold(1.0, f32::min),
            ),
        }
    }
}
