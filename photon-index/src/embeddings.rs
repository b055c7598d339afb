//! One model's embeddings in memory, with their files' paths, searched exactly.

use crate::error::SearchError;
use crate::query::Query;
use crate::rank::SearchHit;
use photon_core::Record;
use photon_core::vector::{TopK, dot};
use std::thread;

/// The embeddings of one model, one per file, in one contiguous buffer: the exact-search
/// baseline, and what an index is built from.
///
/// ```
/// use photon_index::{Embeddings, Query, SearchError};
/// let mut set = Embeddings::new("my-model", 2);
/// set.push("cat.jpg", &[0.6, 0.8]).unwrap();
/// set.push("dog.jpg", &[1.0, 0.0]).unwrap();
/// let hits = set.search(Query::new("my-model", &[0.0, 1.0]), 1).unwrap();
/// assert_eq!(hits[0].file_path, "cat.jpg");
/// let elsewhere = set.search(Query::new("other-model", &[0.0, 1.0]), 1);
/// assert!(matches!(elsewhere, Err(SearchError::ModelMismatch { .. })));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    model_id: String,
    dim: usize,
    paths: Vec<String>,
    vectors: Vec<f32>,
}

impl Embeddings {
    /// An empty set for the embeddings of `model_id`, `dim` long.
    pub fn new(model_id: impl Into<String>, dim: usize) -> Self {
        Self {
            model_id: model_id.into(),
            dim,
            paths: Vec::new(),
            vectors: Vec::new(),
        }
    }

    /// The embeddings of `records` from `model_id` (or, when `None`, from the model of the first
    /// record that has one); the last record of a path counts. Returns the set and how many
    /// records carried another model's embeddings, which are left out.
    pub fn from_records(
        records: impl IntoIterator<Item = Record>,
        model_id: Option<&str>,
    ) -> Result<(Self, usize), SearchError> {
        let mut latest: std::collections::HashMap<String, usize> = Default::default();
        let mut set: Option<Embeddings> = None;
        let mut other_model = 0;
        for record in records {
            let Record::Image(image) = record else {
                continue;
            };
            let (Some(vector), Some(model)) = (image.embedding, image.model) else {
                continue;
            };
            let set = set.get_or_insert_with(|| {
                Embeddings::new(model_id.unwrap_or(&model.id), vector.len())
            });
            if model.id != set.model_id {
                other_model += 1;
                continue;
            }
            match latest.get(&image.file_path) {
                Some(&row) => set.replace(row, &vector)?,
                None => {
                    latest.insert(image.file_path.clone(), set.len());
                    set.push(image.file_path, &vector)?;
                }
            }
        }
        let set = set.filter(|s| !s.is_empty()).ok_or(SearchError::Empty)?;
        Ok((set, other_model))
    }

    /// Adds a file's embedding.
    pub fn push(&mut self, path: impl Into<String>, vector: &[f32]) -> Result<(), SearchError> {
        self.check(vector)?;
        self.paths.push(path.into());
        self.vectors.extend_from_slice(vector);
        Ok(())
    }

    fn replace(&mut self, row: usize, vector: &[f32]) -> Result<(), SearchError> {
        self.check(vector)?;
        self.vectors[row * self.dim..(row + 1) * self.dim].copy_from_slice(vector);
        Ok(())
    }

    fn check(&self, vector: &[f32]) -> Result<(), SearchError> {
        if vector.len() == self.dim {
            Ok(())
        } else {
            Err(SearchError::Dimensions {
                expected: self.dim,
                found: vector.len(),
            })
        }
    }

    /// The model the embeddings come from.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The embeddings' length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The path of row `row`.
    pub fn path(&self, row: usize) -> &str {
        &self.paths[row]
    }

    /// The embedding of row `row`.
    pub fn vector(&self, row: usize) -> &[f32] {
        &self.vectors[row * self.dim..(row + 1) * self.dim]
    }

    /// The `top` files closest to `query` (a unit vector of the same model, else
    /// [`SearchError::ModelMismatch`]), best first, by cosine: every embedding compared, the
    /// rows shared among all cores.
    pub fn search(&self, query: Query<'_>, top: usize) -> Result<Vec<SearchHit>, SearchError> {
        query.check_model(&self.model_id)?;
        let query = query.vector;
        self.check(query)?;
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        let rows_per_thread = self.len().div_ceil(threads).max(4096);
        let best: Vec<(usize, f32)> = thread::scope(|scope| {
            let workers: Vec<_> = (0..self.len())
                .step_by(rows_per_thread)
                .map(|start| {
                    scope.spawn(move || {
                        let end = (start + rows_per_thread).min(self.len());
                        let mut best = TopK::new(top);
                        for row in start..end {
                            best.offer(row, dot(self.vector(row), query));
                        }
                        best.into_sorted()
                    })
                })
                .collect();
            let mut merged = TopK::new(top);
            for worker in workers {
                for (row, score) in worker.join().expect("a search thread panicked") {
                    merged.offer(row, score);
                }
            }
            merged.into_sorted()
        });
        Ok(best
            .into_iter()
            .map(|(row, score)| SearchHit::new(self.paths[row].clone(), score))
            .collect())
    }
}
