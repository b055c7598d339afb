//! A search's recall measured against an exact scan, on a spread sample of the faces: what
//! [`FaceGraph::tune_search`](crate::FaceGraph::tune_search) widens its searches by.

use crate::neighbours::{ExactNeighbours, FaceNeighbours, on_every_core};
use photon_core::vector::dot;

/// Faces whose exact nearest are computed to measure recall: seconds at a million faces.
const RECALL_SAMPLES: usize = 256;

/// Which searches find a pair of faces, as the grouping that follows will run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecallCount {
    /// Every face is searched (a first grouping): a pair counts when either face's search finds
    /// it, as [`People::place`](crate::People::place) shares it with the other face.
    EitherFace,
    /// Only some faces are searched (new ones placed among faces placed before): a pair counts
    /// when the face's own search finds it.
    OwnSearch,
}

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

    /// The share of the exact nearest that `search` finds, over the whole sample, counted as
    /// `count` says.
    pub fn recall_of(&self, search: &dyn FaceNeighbours, count: RecallCount) -> f64 {
        let k = self.reach.k;
        let sampled: Vec<(usize, &Vec<usize>)> =
            self.faces.iter().copied().zip(&self.truth).collect();
        let hits: Vec<usize> = on_every_core(&sampled, |&(face, truth)| {
            let found = keys(search.nearest(face, k));
            let found_back = |other: usize| {
                count == RecallCount::EitherFace
                    && search
                        .nearest(other, k)
                        .iter()
                        .any(|&(back, _)| back == face)
            };
            truth
                .iter()
                .filter(|&&other| found.binary_search(&other).is_ok() || found_back(other))
                .count()
        });
        let (hits, wanted): (usize, usize) =
            (hits.iter().sum(), self.truth.iter().map(Vec::len).sum());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An exact search that never leads a face to a face numbered above it.
    struct OneWay<'a>(ExactNeighbours<'a>);

    impl FaceNeighbours for OneWay<'_> {
        fn len(&self) -> usize {
            self.0.len()
        }

        fn nearest(&self, face: usize, k: usize) -> Vec<(usize, f32)> {
            let mut near = self.0.nearest(face, self.0.len());
            near.retain(|&(other, _)| other <= face);
            near.truncate(k);
            near
        }
    }

    #[test]
    fn a_pair_counts_once_found_from_either_face_when_every_face_is_searched() {
        // Pairs of faces close together, far from the other pairs: each pair is found only
        // from its higher-numbered face.
        let faces: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                let angle = (i / 2) as f32 * 0.3 + (i % 2) as f32 * 0.01;
                vec![angle.cos(), angle.sin()]
            })
            .collect();
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let reach = Reach {
            k: 16,
            max_distance: 0.01,
        };
        let sample = RecallSample::new(&views, views.len(), reach);
        let search = OneWay(ExactNeighbours::new(&views));
        assert_eq!(sample.recall_of(&search, RecallCount::OwnSearch), 0.5);
        assert_eq!(sample.recall_of(&search, RecallCount::EitherFace), 1.0);
    }
}
