//! A search's recall measured against an exact scan, on a spread sample of the faces: what
//! [`FaceGraph::tune_search`](crate::FaceGraph::tune_search) widens its searches by.

use crate::neighbours::{ExactNeighbours, FaceNeighbours, on_every_core};
use photon_core::vector::dot;

/// Faces whose exact nearest are computed to measure recall: seconds at a million faces.
const RECALL_SAMPLES: usize = 256;

/// The neighbours that count for recall: those within `max_distance` among the `k` nearest.
#[derive(Clone, Copy)]
pub(crate) struct Reach {
    pub k: usize,
    pub max_distance: f32,
}

/// The faces within reach among the exact nearest of a spread sample of faces, to measure a
/// search's recall against.
pub(crate) struct RecallSample {
    faces: Vec<usize>,
    truth: Vec<Vec<usize>>,
    reach: Reach,
}

impl RecallSample {
    /// The sample among `faces[..len]`.
    pub fn new(faces: &[&[f32]], len: usize, reach: Reach) -> Self {
        let step = len.div_ceil(RECALL_SAMPLES).max(1);
        let sampled: Vec<usize> = (0..len).step_by(step).collect();
        let exact = ExactNeighbours::new(&faces[..len]);
        let truth = on_every_core(&sampled, |&face| {
            let mut near = keys(exact.nearest(face, reach.k));
            near.retain(|&other| {
                other != face && 1.0 - dot(faces[face], faces[other]) <= reach.max_distance
            });
            near
        });
        Self {
            faces: sampled,
            truth,
            reach,
        }
    }

    /// The share of the exact nearest that `search` finds, over the whole sample.
    pub fn recall_of(&self, search: &dyn FaceNeighbours) -> f64 {
        let found = on_every_core(&self.faces, |&face| {
            keys(search.nearest(face, self.reach.k))
        });
        let wanted: usize = self.truth.iter().map(Vec::len).sum();
        let hits: usize = self
            .truth
            .iter()
            .zip(&found)
            .map(|(t, f)| {
                t.iter()
                    .filter(|face| f.binary_search(face).is_ok())
                    .count()
            })
            .sum();
        if wanted == 0 {
            1.0
        } else {
            hits as f64 / wanted as f64
        }
    }
}

fn keys(neighbours: Vec<(usize, f32)>) -> Vec<usize> {
    let mut keys: Vec<usize> = neighbours.into_iter().map(|(face, _)| face).collect();
    keys.sort_unstable();
    keys
}
