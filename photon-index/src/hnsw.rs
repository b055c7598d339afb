//! An HNSW graph over one model's embeddings (USearch), saved as a folder with the files'
//! paths and the model's id, for search in milliseconds at millions of images.

use crate::embeddings::Embeddings;
use crate::error::SearchError;
use crate::query::Query;
use crate::rank::SearchHit;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

const MANIFEST: &str = "photon-index.json";
const PATHS: &str = "paths.json";
const GRAPH: &str = "graph.usearch";
const FORMAT: u32 = 1;

/// How the graph is built and searched.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HnswOptions {
    /// Links per node (HNSW's M): more is better recall, a bigger index and a slower build.
    pub connectivity: usize,
    /// Candidates kept while adding (HNSW's efConstruction).
    pub expansion_add: usize,
    /// Candidates kept while searching (HNSW's ef): more is better recall, slower queries. The
    /// default, 256, gives recall@10 0.95 at a million 768-dimensional embeddings in 4.6 ms a
    /// query on 2 cores (docs/benchmarks.md).
    pub expansion_search: usize,
    /// Store vectors as half-precision floats: half the memory and disk, cosines within ~1e-3.
    pub half_precision: bool,
}

impl Default for HnswOptions {
    fn default() -> Self {
        Self {
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 256,
            half_precision: true,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    model_id: String,
    dim: usize,
    count: usize,
    half_precision: bool,
    expansion_search: usize,
}

/// An approximate nearest-neighbour index over [`Embeddings`].
///
/// ```
/// use photon_index::{Embeddings, HnswIndex, HnswOptions, Query};
/// let mut set = Embeddings::new("my-model", 2);
/// set.push("cat.jpg", &[0.6, 0.8]).unwrap();
/// set.push("dog.jpg", &[1.0, 0.0]).unwrap();
/// let index = HnswIndex::build(&set, &HnswOptions::default()).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// index.save(&dir.path().join("index")).unwrap();
/// let index = HnswIndex::open(&dir.path().join("index")).unwrap();
/// let query = Query::new("my-model", &[0.0, 1.0]);
/// assert_eq!(index.search(query, 1).unwrap()[0].file_path, "cat.jpg");
/// assert_eq!(index.model_id(), "my-model");
/// assert!(index.search(Query::new("another-model", &[0.0, 1.0]), 1).is_err());
/// ```
pub struct HnswIndex {
    graph: Index,
    paths: Vec<String>,
    model_id: String,
    half_precision: bool,
}

impl HnswIndex {
    /// Builds the graph from `embeddings`, on all cores.
    pub fn build(embeddings: &Embeddings, options: &HnswOptions) -> Result<Self, SearchError> {
        if embeddings.is_empty() {
            return Err(SearchError::Empty);
        }
        let graph = new_graph(embeddings.dim(), options)?;
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        graph
            .reserve_capacity_and_threads(embeddings.len(), threads)
            .map_err(index_error)?;
        let rows_per_thread = embeddings.len().div_ceil(threads);
        thread::scope(|scope| {
            let workers: Vec<_> = (0..embeddings.len())
                .step_by(rows_per_thread)
                .map(|start| {
                    let graph = &graph;
                    scope.spawn(move || {
                        let end = (start + rows_per_thread).min(embeddings.len());
                        (start..end).try_for_each(|row| {
                            graph
                                .add(row as u64, embeddings.vector(row))
                                .map_err(index_error)
                        })
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|w| w.join().expect("an index thread panicked"))
        })?;
        Ok(Self {
            graph,
            paths: (0..embeddings.len())
                .map(|r| embeddings.path(r).to_owned())
                .collect(),
            model_id: embeddings.model_id().to_owned(),
            half_precision: options.half_precision,
        })
    }

    /// Writes the index as the folder `dir`: the graph, the files' paths and the model's id. The
    /// folder appears complete or not at all; an existing one is replaced.
    pub fn save(&self, dir: &Path) -> Result<(), SearchError> {
        let partial = sibling(dir, ".partial");
        let _ = fs::remove_dir_all(&partial);
        fs::create_dir_all(&partial).map_err(io(&partial))?;
        let manifest = Manifest {
            format: FORMAT,
            model_id: self.model_id.clone(),
            dim: self.graph.dimensions(),
            count: self.paths.len(),
            half_precision: self.half_precision,
            expansion_search: self.graph.expansion_search(),
        };
        write_json(&partial.join(MANIFEST), &manifest)?;
        write_json(&partial.join(PATHS), &self.paths)?;
        let graph = partial.join(GRAPH);
        self.graph
            .save(graph.to_str().ok_or_else(|| not_utf8(&graph))?)
            .map_err(index_error)?;
        let old = sibling(dir, ".old");
        if dir.exists() {
            fs::rename(dir, &old).map_err(io(dir))?;
        }
        fs::rename(&partial, dir).map_err(io(dir))?;
        let _ = fs::remove_dir_all(&old);
        Ok(())
    }

    /// Opens an index folder [`save`](Self::save) wrote; the graph is memory-mapped, not read.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let manifest: Manifest = read_json(&dir.join(MANIFEST))?;
        if manifest.format != FORMAT {
            return Err(SearchError::Format {
                path: dir.to_owned(),
                reason: format!("format {} (this Photon reads {FORMAT})", manifest.format),
            });
        }
        let paths: Vec<String> = read_json(&dir.join(PATHS))?;
        let graph_path = dir.join(GRAPH);
        let graph = Index::restore_view(graph_path.to_str().ok_or_else(|| not_utf8(&graph_path))?)
            .map_err(|e| SearchError::Format {
                path: graph_path.clone(),
                reason: e.to_string(),
            })?;
        if graph.size() != paths.len() || graph.dimensions() != manifest.dim {
            return Err(SearchError::Format {
                path: dir.to_owned(),
                reason: "the graph and the paths disagree".into(),
            });
        }
        graph.change_expansion_search(manifest.expansion_search);
        Ok(Self {
            graph,
            paths,
            model_id: manifest.model_id,
            half_precision: manifest.half_precision,
        })
    }

    /// The model the indexed embeddings come from.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// How many files are indexed.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Sets how many candidates a search keeps (HNSW's ef), trading speed for recall.
    pub fn set_expansion_search(&self, candidates: usize) {
        self.graph.change_expansion_search(candidates);
    }

    /// The `top` files closest to `query` (a unit vector of the same model, else
    /// [`SearchError::ModelMismatch`]), best first, by cosine (approximate: a graph search, not a
    /// scan).
    pub fn search(&self, query: Query<'_>, top: usize) -> Result<Vec<SearchHit>, SearchError> {
        query.check_model(&self.model_id)?;
        let query = query.vector;
        if query.len() != self.graph.dimensions() {
            return Err(SearchError::Dimensions {
                expected: self.graph.dimensions(),
                found: query.len(),
            });
        }
        let matches = self.graph.search(query, top).map_err(index_error)?;
        Ok(matches
            .keys
            .iter()
            .zip(&matches.distances)
            .map(|(&key, &distance)| {
                SearchHit::new(self.paths[key as usize].clone(), 1.0 - distance)
            })
            .collect())
    }
}

fn new_graph(dim: usize, options: &HnswOptions) -> Result<Index, SearchError> {
    let graph = Index::new(&IndexOptions {
        dimensions: dim,
        // Embeddings are unit length: the inner product is the cosine.
        metric: MetricKind::IP,
        quantization: if options.half_precision {
            ScalarKind::F16
        } else {
            ScalarKind::F32
        },
        connectivity: options.connectivity,
        expansion_add: options.expansion_add,
        expansion_search: options.expansion_search,
        multi: false,
    })
    .map_err(index_error)?;
    Ok(graph)
}

fn index_error(e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(e.to_string())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.to_owned(),
        source,
    }
}

fn not_utf8(path: &Path) -> SearchError {
    SearchError::Format {
        path: path.to_owned(),
        reason: "the index library needs a UTF-8 path".into(),
    }
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dir.with_file_name(name)
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), SearchError> {
    let file = fs::File::create(path).map_err(io(path))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value).map_err(|e| io(path)(e.into()))?;
    let file = writer.into_inner().map_err(|e| io(path)(e.into_error()))?;
    file.sync_all().map_err(io(path))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SearchError> {
    let file = fs::File::open(path).map_err(io(path))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| SearchError::Format {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit vectors in clusters, as image embeddings are (a fixed xorshift, so the test is
    /// repeatable): `n` vectors of `dim` around `n / 50` centres.
    fn clustered(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let centres: Vec<Vec<f32>> = (0..n / 50 + 1)
            .map(|_| (0..dim).map(|_| uniform()).collect())
            .collect();
        (0..n)
            .map(|i| {
                let mut v: Vec<f32> = centres[i % centres.len()]
                    .iter()
                    .map(|c| c + 0.6 * uniform())
                    .collect();
                photon_core::vector::l2_normalize(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn recall_at_10_against_exact_search() {
        let vectors = clustered(20_000, 96, 0x9E3779B97F4A7C15);
        let mut set = Embeddings::new("m", 96);
        for (i, v) in vectors.iter().enumerate() {
            set.push(format!("{i}.jpg"), v).unwrap();
        }
        let index = HnswIndex::build(&set, &HnswOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        index.save(&dir.path().join("idx")).unwrap();
        let index = HnswIndex::open(&dir.path().join("idx")).unwrap();
        assert_eq!(index.len(), 20_000);
        let queries = clustered(200, 96, 0xD1B54A32D192ED03);
        let mut found = 0;
        for q in &queries {
            let exact: std::collections::HashSet<String> = set
                .search(Query::new("m", q), 10)
                .unwrap()
                .into_iter()
                .map(|h| h.file_path)
                .collect();
            let approx = index.search(Query::new("m", q), 10).unwrap();
            assert!(approx.windows(2).all(|w| w[0].score >= w[1].score - 1e-6));
            found += approx
                .iter()
                .filter(|h| exact.contains(&h.file_path))
                .count();
        }
        let recall = found as f64 / (10 * queries.len()) as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");
    }

    #[test]
    fn a_damaged_or_missing_index_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            HnswIndex::open(dir.path()),
            Err(SearchError::Io { .. })
        ));
        std::fs::write(dir.path().join(MANIFEST), "{}").unwrap();
        assert!(matches!(
            HnswIndex::open(dir.path()),
            Err(SearchError::Format { .. })
        ));
    }
}
