//! What grouping faces into people asks of a search: the faces nearest a face.

use photon_core::vector::dot;
use std::thread;

/// The faces nearest a face, among a fixed set of L2-normalised face embeddings numbered from 0.
///
/// [`People::place`](crate::People::place) calls it once for each face it places, from several
/// threads at once, and again with a larger `k` when every neighbour it was given is within
/// reach and none has a person yet.
///
/// # Contract
/// - `nearest(face, k)` returns at most `k` faces, most similar first, each with its cosine
///   similarity to `face` computed from the embeddings themselves (an index may find the
///   candidates approximately, but it reports their true similarity); ties in similarity go to
///   the lower number.
/// - `face` itself is among them: it is its own nearest face.
/// - Fewer than `k` only when the set holds fewer than `k` faces.
pub trait FaceNeighbours: Sync {
    /// How many faces the set holds.
    fn len(&self) -> usize;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` faces most similar to face `face`, as `(face, cosine)`, most similar first.
    fn nearest(&self, face: usize, k: usize) -> Vec<(usize, f32)>;
}

/// Every face compared with every other: exact, and right for a few thousand faces (each call
/// scans them all; an index such as [`FaceGraph`](crate::FaceGraph) is for more).
///
/// ```
/// use photon_faces::{ExactNeighbours, FaceNeighbours};
///
/// let faces: [&[f32]; 3] = [&[1.0, 0.0], &[0.0, 1.0], &[0.6, 0.8]];
/// let near = ExactNeighbours::new(&faces).nearest(0, 2);
/// assert_eq!(near, [(0, 1.0), (2, 0.6)]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ExactNeighbours<'a> {
    faces: &'a [&'a [f32]],
}

impl<'a> ExactNeighbours<'a> {
    /// Searches `faces` (unit vectors of one dimension).
    pub fn new(faces: &'a [&'a [f32]]) -> Self {
        Self { faces }
    }
}

impl FaceNeighbours for ExactNeighbours<'_> {
    fn len(&self) -> usize {
        self.faces.len()
    }

    fn nearest(&self, face: usize, k: usize) -> Vec<(usize, f32)> {
        let query = self.faces[face];
        let scored = self
            .faces
            .iter()
            .enumerate()
            .map(|(other, vector)| (other, dot(query, vector)))
            .collect();
        most_similar(scored, k)
    }
}

/// The `k` most similar of `scored`, most similar first, ties to the lower number.
pub(crate) fn most_similar(mut scored: Vec<(usize, f32)>, k: usize) -> Vec<(usize, f32)> {
    let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k < scored.len() {
        scored.select_nth_unstable_by(k, order);
        scored.truncate(k);
    }
    scored.sort_by(order);
    scored
}

/// The faces within reach (`cosine >= similarity`) among the `k` nearest of each of `faces`,
/// on every core.
pub(crate) fn within_reach_of_each(
    neighbours: &dyn FaceNeighbours,
    faces: &[usize],
    k: usize,
    similarity: f32,
) -> Vec<Vec<(usize, f32)>> {
    on_every_core(faces, |&face| within_reach(neighbours, face, k, similarity))
}

/// `work` on each of `items`, the items shared out in order among a thread per core; the
/// results in the items' order.
pub(crate) fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = items.len().div_ceil(threads).max(1);
    let work = &work;
    thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    })
}

/// The faces within reach among the `k` nearest of `face`, most similar first.
pub(crate) fn within_reach(
    neighbours: &dyn FaceNeighbours,
    face: usize,
    k: usize,
    similarity: f32,
) -> Vec<(usize, f32)> {
    let mut near = neighbours.nearest(face, k);
    near.retain(|&(_, s)| s >= similarity);
    near
}
