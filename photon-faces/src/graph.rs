//! An HNSW graph over face embeddings (USearch), kept on disk so that a later run adds only the
//! faces it has not seen, for grouping a million faces where comparing each with every other
//! would take days.

use crate::neighbours::{FaceNeighbours, most_similar, on_every_core};
use crate::recall::{Reach, RecallCount, RecallSample};
use photon_core::vector::dot;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Candidates a search keeps at first (HNSW's ef): recall of the 16 nearest at 0.99 and more on
/// face embeddings of up to a few hundred thousand faces; [`FaceGraph::tune_search`] widens it
/// where a graph needs more.
const EXPANSION_SEARCH: usize = 64;
/// The widest search [`FaceGraph::tune_search`] tries unless told otherwise: each doubling of
/// the breadth roughly doubles the time to place every face, and at 256 a million faces of no
/// shared structure are grouped in 43 minutes on two cores (docs/benchmarks.md).
pub const DEFAULT_WIDEST_SEARCH: usize = 256;
/// The share of the exact nearest faces the searches must find.
const TARGET_RECALL: f64 = 0.99;
/// Candidates kept while adding (HNSW's efConstruction): half of photon-index's, as faces
/// gather more tightly than whole-image embeddings and the build is most of the cost.
const EXPANSION_ADD: usize = 64;
const CONNECTIVITY: usize = 16;
/// Faces compared with the embeddings given when a graph is reopened.
const SPOT_CHECKS: usize = 64;

/// Why a face graph could not be built, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceGraphError {
    /// A file could not be read or written, or is not a face graph.
    #[error("{path}: {reason}")]
    File {
        /// The graph's file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The index library refused an operation.
    #[error("the face index: {0}")]
    Index(String),
}

/// An approximate nearest-neighbour graph over face embeddings numbered from 0, as
/// [`People::place`](crate::People::place) takes them.
///
/// ```
/// use photon_faces::{FaceGraph, FaceNeighbours, People, PeopleOptions};
///
/// let (a, b) = (vec![1.0, 0.0], vec![0.0, 1.0]);
/// let faces = [a.clone(), a.clone(), a, b.clone(), b.clone(), b];
/// let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
/// let mut graph = FaceGraph::new(2).unwrap();
/// graph.extend(&views).unwrap();
/// let mut people = People::default();
/// people.place(&graph.neighbours(&views), PeopleOptions::default());
/// assert_eq!(people.person, [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)]);
///
/// let dir = tempfile::tempdir().unwrap();
/// graph.save(&dir.path().join("faces.usearch")).unwrap();
/// let graph = FaceGraph::open(&dir.path().join("faces.usearch")).unwrap();
/// assert_eq!(graph.len(), 6);
/// assert!(graph.holds(&views));
/// ```
pub struct FaceGraph {
    index: Index,
}

impl FaceGraph {
    /// An empty graph for embeddings of `dim` dimensions.
    pub fn new(dim: usize) -> Result<Self, FaceGraphError> {
        let index = Index::new(&IndexOptions {
            dimensions: dim,
            // Face embeddings are unit length: the inner product is the cosine.
            metric: MetricKind::IP,
            // Half the memory; the similarities reported are recomputed from the embeddings.
            quantization: ScalarKind::F16,
            connectivity: CONNECTIVITY,
            expansion_add: EXPANSION_ADD,
            expansion_search: EXPANSION_SEARCH,
            multi: false,
        })
        .map_err(index_error)?;
        Ok(Self { index })
    }

    /// The graph [`save`](Self::save) wrote to `path`, read into memory so faces can be added.
    pub fn open(path: &Path) -> Result<Self, FaceGraphError> {
        let text = path.to_str().ok_or_else(|| not_utf8(path))?;
        let index = Index::restore(text).map_err(|e| FaceGraphError::File {
            path: path.to_owned(),
            reason: format!("not a face graph ({e})"),
        })?;
        index.change_expansion_search(EXPANSION_SEARCH);
        Ok(Self { index })
    }

    /// How many faces it holds: faces `0..len()`.
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The embeddings' dimension.
    pub fn dimensions(&self) -> usize {
        self.index.dimensions()
    }

    /// Adds `faces[self.len()..]`, each under its number, on every core. `faces` are unit
    /// vectors of the graph's dimension.
    pub fn extend(&mut self, faces: &[&[f32]]) -> Result<(), FaceGraphError> {
        let start = self.len();
        if let Some(face) = faces[start.min(faces.len())..]
            .iter()
            .find(|f| f.len() != self.dimensions())
        {
            return Err(FaceGraphError::Index(format!(
                "an embedding of {} dimensions in a graph of {}",
                face.len(),
                self.dimensions()
            )));
        }
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        self.index
            .reserve_capacity_and_threads(faces.len(), threads)
            .map_err(index_error)?;
        let new: Vec<usize> = (start..faces.len()).collect();
        let index = &self.index;
        on_every_core(&new, |&face| index.add(face as u64, faces[face]))
            .into_iter()
            .collect::<Result<(), _>>()
            .map_err(index_error)
    }

    /// Whether the faces it holds are `faces[..self.len()]`: checked on a spread of them (the
    /// records may have been made again with another model since the graph was saved).
    pub fn holds(&self, faces: &[&[f32]]) -> bool {
        let len = self.len();
        if len > faces.len() || faces.iter().any(|f| f.len() != self.dimensions()) {
            return false;
        }
        let step = len.div_ceil(SPOT_CHECKS).max(1);
        let mut stored = vec![0f32; self.dimensions()];
        (0..len).step_by(step).all(|face| {
            matches!(self.index.get(face as u64, &mut stored), Ok(1))
                && dot(&stored, faces[face]) >= 0.999
        })
    }

    /// Writes the graph to `path` through a temporary file beside it, synced, then renamed: a
    /// kill leaves the old file or the new one.
    pub fn save(&self, path: &Path) -> Result<(), FaceGraphError> {
        let mut temporary = path.as_os_str().to_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let text = temporary.to_str().ok_or_else(|| not_utf8(path))?;
        self.index.save(text).map_err(index_error)?;
        let failed = |e: std::io::Error| FaceGraphError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        fs::File::open(&temporary)
            .and_then(|file| file.sync_all())
            .map_err(failed)?;
        fs::rename(&temporary, path).map_err(failed)
    }

    /// Widens the graph's searches until they find [`TARGET_RECALL`] of the faces within reach
    /// among the exact `k` nearest (cosine distance at most `max_distance`, the face itself
    /// left out), measured on a spread sample of `faces` (those it holds, by number), or until
    /// `widest` candidates (HNSW's ef; [`DEFAULT_WIDEST_SEARCH`] is a choice of time over
    /// recall); returns the breadth it settled on and the recall measured there, which the
    /// caller should report when it falls short.
    /// Faces out of reach play no part in grouping, so missing them costs nothing; `count` says
    /// whether the grouping to come searches every face (then a pair either face finds counts).
    ///
    /// A graph's recall depends on its faces: among a million faces of people who look nothing
    /// alike, a search must look much further before it comes upon a face's own person than
    /// among faces that share a structure, as real ones do. Measuring it keeps grouping honest
    /// on both rather than trusting one setting.
    pub fn tune_search(
        &self,
        faces: &[&[f32]],
        (k, max_distance): (usize, f32),
        count: RecallCount,
        widest: usize,
    ) -> SearchBreadth {
        let reach = Reach { k, max_distance };
        let sample = RecallSample::new(faces, self.len().min(faces.len()), reach);
        let widest = widest.max(EXPANSION_SEARCH);
        let mut expansion = self.index.expansion_search();
        loop {
            let breadth = SearchBreadth {
                expansion,
                recall: sample.recall_of(&self.neighbours(faces), count),
            };
            if !breadth.fell_short() || expansion >= widest {
                return breadth;
            }
            expansion = (expansion * 2).min(widest);
            self.index.change_expansion_search(expansion);
        }
    }

    /// The graph as [`FaceNeighbours`] of `faces` (those it holds, by number).
    pub fn neighbours<'a>(&'a self, faces: &'a [&'a [f32]]) -> GraphNeighbours<'a> {
        GraphNeighbours { graph: self, faces }
    }
}

/// A [`FaceGraph`] searched for [`People`](crate::People), with the similarities of what it
/// finds recomputed from the embeddings.
pub struct GraphNeighbours<'a> {
    graph: &'a FaceGraph,
    faces: &'a [&'a [f32]],
}

impl FaceNeighbours for GraphNeighbours<'_> {
    fn len(&self) -> usize {
        self.graph.len().min(self.faces.len())
    }

    fn nearest(&self, face: usize, k: usize) -> Vec<(usize, f32)> {
        let query = self.faces[face];
        // The library refuses a search only for a query of another dimension, which `extend`
        // has ruled out; were it to refuse one, the face would stand alone.
        let found = self
            .graph
            .index
            .search(query, k)
            .map_or_else(|_| Vec::new(), |found| found.keys);
        let mut scored: Vec<(usize, f32)> = found
            .into_iter()
            .map(|key| key as usize)
            .filter(|&other| other != face && other < self.faces.len())
            .map(|other| (other, dot(query, self.faces[other])))
            .collect();
        // The face is its own nearest even where the graph's search passed it by.
        scored.push((face, dot(query, query)));
        most_similar(scored, k)
    }
}

/// How widely a [`FaceGraph`] searches, as [`FaceGraph::tune_search`] chose it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct SearchBreadth {
    /// Candidates a search keeps (HNSW's ef).
    pub expansion: usize,
    /// The share of the exact nearest faces its searches found on the sample.
    pub recall: f64,
}

impl SearchBreadth {
    /// Whether the widest search allowed stopped short of the recall the tuning aims for (0.99):
    /// some people may then be split or faces left alone, which a caller should report.
    pub fn fell_short(&self) -> bool {
        self.recall < TARGET_RECALL
    }
}

fn index_error(e: impl std::fmt::Display) -> FaceGraphError {
    FaceGraphError::Index(e.to_string())
}

fn not_utf8(path: &Path) -> FaceGraphError {
    FaceGraphError::File {
        path: path.to_owned(),
        reason: "the index library needs a UTF-8 path".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExactNeighbours, People, PeopleOptions};

    /// `n` unit vectors of 64 dimensions around at most `n / 30` people (cosine about 0.75 within a
    /// person, about 0 across), and every tenth face a stranger; a fixed xorshift.
    fn clustered(n: usize) -> Vec<Vec<f32>> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let mut unit = |centre: Option<&Vec<f32>>, spread: f32| {
            let mut v: Vec<f32> = (0..64).map(|_| uniform() * spread * 0.43).collect();
            if let Some(c) = centre {
                v.iter_mut().zip(c).for_each(|(x, c)| *x += c);
            }
            photon_core::vector::l2_normalize(&mut v);
            v
        };
        let centres: Vec<Vec<f32>> = (0..n / 30).map(|_| unit(None, 1.0)).collect();
        (0..n)
            .map(|i| match i % 10 {
                0 => unit(None, 1.0),
                _ => unit(Some(&centres[(i * 7919) % centres.len()]), 0.6),
            })
            .collect()
    }

    #[test]
    fn people_through_the_graph_are_those_of_the_exact_search() {
        let faces = clustered(3000);
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let (old, new) = views.split_at(2500);
        let options = PeopleOptions::default();
        let exact = People::cluster(&views, options);

        // In two runs, the graph saved and reopened between them, as `photon faces` does.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faces.usearch");
        let mut graph = FaceGraph::new(64).unwrap();
        graph.extend(old).unwrap();
        let mut people = People::default();
        people.place(&graph.neighbours(old), options);
        graph.save(&path).unwrap();
        let mut graph = FaceGraph::open(&path).unwrap();
        assert!(graph.holds(old) && !graph.holds(new));
        graph.extend(&views).unwrap();
        let mut exact_in_two = People::default();
        exact_in_two.place(&ExactNeighbours::new(old), options);
        exact_in_two.place(&ExactNeighbours::new(&views), options);
        people.place(&graph.neighbours(&views), options);

        // An approximate search may miss a face's neighbours (the graph is built on every core,
        // so not the same graph each run): a person can split, never two merge, and nearly
        // every face is placed as the exact search places it.
        let agree = agreement(&people, &exact_in_two);
        assert!(agree >= 0.97, "{agree}");
        assert!(no_person_mixes(&people, &exact_in_two));
        let (found, want) = (
            people.representative.len(),
            exact_in_two.representative.len(),
        );
        assert!(
            (want..=want + 3).contains(&found),
            "{found} people for {want}"
        );
        // Placing in two runs keeps the people of one; a face left alone in the first run gets
        // another chance only if a new face has it on its shortlist, so a few may stay alone.
        assert_eq!(
            exact_in_two.representative.len(),
            exact.representative.len()
        );
        let agree = agreement(&exact_in_two, &exact);
        assert!(agree >= 0.99, "{agree}");
        assert!(no_person_mixes(&exact_in_two, &exact));
        // The people are the 90 centres faces were drawn around (`i * 7919 % 100` misses the ten that only multiples of 10 reach).
        assert_eq!(exact.representative.len(), 90);
    }

    /// The share of faces whose person, read through the exact person of its representative,
    /// is the face's exact person (unassigned on both sides counts as agreeing).
    fn agreement(found: &People, exact: &People) -> f64 {
        let same = (0..found.person.len())
            .filter(|&i| {
                let mapped =
                    found.person[i].and_then(|p| exact.person[found.representative[p as usize]]);
                mapped == exact.person[i]
            })
            .count();
        same as f64 / found.person.len() as f64
    }

    /// Whether every found person's faces all belong to one exact person.
    fn no_person_mixes(found: &People, exact: &People) -> bool {
        let mut of: std::collections::HashMap<u32, Option<u32>> = Default::default();
        (0..found.person.len()).all(|i| match found.person[i] {
            None => true,
            Some(p) => *of.entry(p).or_insert(exact.person[i]) == exact.person[i],
        })
    }

    #[test]
    fn searches_widen_until_they_find_the_exact_nearest() {
        // Faces of no structure at all, the hardest a graph can be given: a narrow search
        // misses many of each face's nearest.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let faces: Vec<Vec<f32>> = (0..20_000)
            .map(|_| {
                let mut v: Vec<f32> = (0..64)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect();
                photon_core::vector::l2_normalize(&mut v);
                v
            })
            .collect();
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let mut graph = FaceGraph::new(64).unwrap();
        graph.extend(&views).unwrap();
        graph.index.change_expansion_search(16);
        // Every face within reach of every other: recall counts all 16 nearest.
        let reach = Reach {
            k: 16,
            max_distance: 2.0,
        };
        let sample = RecallSample::new(&views, views.len(), reach);
        let narrow = sample.recall_of(&graph.neighbours(&views), RecallCount::OwnSearch);
        assert!(narrow < TARGET_RECALL, "{narrow}");
        // A pair either face's search finds is found at least as often as by one face's alone
        // (little more here: with every face within reach, a face is often not among the 16
        // nearest of its own nearest).
        let either = sample.recall_of(&graph.neighbours(&views), RecallCount::EitherFace);
        assert!(either >= narrow, "{either} against {narrow}");
        // A cap below what the recall needs is kept to, and the recall there reported.
        let capped = graph.tune_search(&views, (16, 2.0), RecallCount::OwnSearch, 64);
        assert_eq!(capped.expansion, 64, "{capped:?}");
        assert!(capped.fell_short(), "{capped:?}");
        graph.index.change_expansion_search(16);
        let breadth = graph.tune_search(&views, (16, 2.0), RecallCount::OwnSearch, 1024);
        assert!(breadth.recall >= TARGET_RECALL, "{breadth:?}");
        assert!(breadth.expansion > 16, "{breadth:?}");
        assert_eq!(graph.index.expansion_search(), breadth.expansion);
        // Counting pairs either face finds settles on a search no wider.
        graph.index.change_expansion_search(16);
        let either = graph.tune_search(&views, (16, 2.0), RecallCount::EitherFace, 1024);
        assert!(either.recall >= TARGET_RECALL, "{either:?}");
        assert!(
            either.expansion <= breadth.expansion,
            "{either:?} {breadth:?}"
        );
    }

    #[test]
    fn a_graph_of_other_faces_or_no_graph_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faces.usearch");
        assert!(matches!(
            FaceGraph::open(&path),
            Err(FaceGraphError::File { .. })
        ));
        std::fs::write(&path, b"not a graph").unwrap();
        assert!(FaceGraph::open(&path).is_err());
        let mut graph = FaceGraph::new(2).unwrap();
        let wrong: [&[f32]; 1] = [&[1.0, 0.0, 0.0]];
        assert!(graph.extend(&wrong).is_err());
        assert!(!graph.holds(&wrong));
    }
}
