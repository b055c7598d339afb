//! Faces grouped into people, as immich groups them: density-based, and incremental.
//!
//! A face is a **core** face when at least `min_faces` faces (itself included) lie within
//! `max_distance` (cosine distance, `1 - cos`) of it. In the order faces are taken, a core face
//! joins the person of its nearest neighbour within reach that has one, or else starts a new
//! person (whose representative it is); once every core face is placed, each other face joins
//! the person of its nearest placed neighbour within reach, or stays unassigned. This is immich's
//! `handleRecognizeFaces` with its deferred second pass, so people come out as immich's would.
//!
//! [`People::add`] places new faces among those already placed without moving any of them;
//! [`People::cluster`] starts over.

use crate::neighbours::{
    ExactNeighbours, FaceNeighbours, most_similar, within_reach, within_reach_of_each,
};

/// How many nearest faces each face is first compared with: enough for `min_faces` and for the
/// nearest person to be among them almost always.
pub const SHORTLIST: usize = 16;

/// immich's defaults: `maxDistance` 0.5, `minFaces` 3.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PeopleOptions {
    /// Largest cosine distance at which two faces count as neighbours.
    pub max_distance: f32,
    /// Faces (the face included) within reach that make a face a core face.
    pub min_faces: usize,
}

impl Default for PeopleOptions {
    fn default() -> Self {
        Self {
            max_distance: 0.5,
            min_faces: 3,
        }
    }
}

impl PeopleOptions {
    /// Neighbours within `max_distance` (cosine distance).
    pub fn max_distance(mut self, max_distance: f32) -> Self {
        self.max_distance = max_distance;
        self
    }

    /// A core face has at least `min_faces` faces (itself included) within reach (at least 1).
    pub fn min_faces(mut self, min_faces: usize) -> Self {
        self.min_faces = min_faces.max(1);
        self
    }

    /// How many nearest faces each face's search asks for: [`SHORTLIST`], or `min_faces` if
    /// more, so that a core face's faces within reach all fit.
    pub fn shortlist(&self) -> usize {
        self.min_faces.max(SHORTLIST)
    }
}

/// Who each face is: `person[i]` for the `i`-th face given, `None` when unassigned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct People {
    /// The person of each face, by the order faces were given.
    pub person: Vec<Option<u32>>,
    /// Each person's representative face: the core face that started it.
    pub representative: Vec<usize>,
}

impl People {
    /// Groups `faces` (L2-normalised embeddings) from scratch.
    ///
    /// ```
    /// use photon_faces::{People, PeopleOptions};
    ///
    /// let a = vec![1.0, 0.0];
    /// let b = vec![0.0, 1.0];
    /// let faces = [a.clone(), a.clone(), a, b.clone(), b.clone(), b];
    /// let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
    /// let people = People::cluster(&views, PeopleOptions::default());
    /// assert_eq!(people.representative.len(), 2);
    /// assert_eq!(people.person, [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)]);
    /// ```
    pub fn cluster(faces: &[&[f32]], options: PeopleOptions) -> Self {
        let mut people = People::default();
        people.add(faces, options);
        people
    }

    /// Places the faces of `faces` past those already placed (`faces[..self.person.len()]`
    /// keep their people; a face that stayed unassigned gets another chance when a new face
    /// lies within its reach), without moving any face already assigned. Compares every face
    /// with every other: for more than a few thousand faces, [`place`](Self::place) them with an
    /// index.
    pub fn add(&mut self, faces: &[&[f32]], options: PeopleOptions) {
        self.place(&ExactNeighbours::new(faces), options);
    }

    /// As [`add`](Self::add), with the faces searched through `neighbours` (faces numbered
    /// as there; the first `self.person.len()` are those already placed).
    ///
    /// Each face's [`SHORTLIST`] nearest are found at once, on every core, and a pair of faces
    /// to place that either one's search found within reach counts for both (an approximate
    /// search may lead one way and not back); a core face none of
    /// whose shortlist has a person, yet all within reach, looks further (16 times as far, as
    /// often as that holds) before it starts a person.
    pub fn place(&mut self, neighbours: &dyn FaceNeighbours, options: PeopleOptions) {
        let count = neighbours.len();
        let known = self.person.len().min(count);
        self.person.truncate(known);
        self.person.resize(count, None);
        let similarity = 1.0 - options.max_distance;
        let shortlist = options.shortlist();
        let (open, near) = self.open_faces(neighbours, known, shortlist, similarity);
        let mut deferred = Vec::new();
        for (face, near) in open.into_iter().zip(near) {
            if near.len() < options.min_faces {
                deferred.push((face, near));
                continue;
            }
            let person = self
                .nearest_person(&near)
                .or_else(|| {
                    self.nearest_person_further(
                        neighbours,
                        face,
                        (shortlist, near.len()),
                        similarity,
                    )
                })
                .unwrap_or_else(|| {
                    self.representative.push(face);
                    (self.representative.len() - 1) as u32
                });
            self.person[face] = Some(person);
        }
        // A face with fewer than `min_faces` within reach had them all on its shortlist.
        for (face, near) in deferred {
            self.person[face] = self.nearest_person(&near);
        }
    }

    /// The faces to place, in order, with the faces within reach on their shortlists: the new
    /// faces (`known..`), and the faces left unassigned before that a new face reaches, since
    /// nothing else about them changed. Searching only these keeps a later run's cost with its
    /// new faces, not with every face that stayed alone.
    fn open_faces(
        &self,
        neighbours: &dyn FaceNeighbours,
        known: usize,
        shortlist: usize,
        similarity: f32,
    ) -> (Vec<usize>, Vec<Vec<(usize, f32)>>) {
        let new: Vec<usize> = (known..neighbours.len()).collect();
        let near_new = within_reach_of_each(neighbours, &new, shortlist, similarity);
        let mut reached: Vec<usize> = near_new
            .iter()
            .flatten()
            .map(|&(face, _)| face)
            .filter(|&face| face < known && self.person[face].is_none())
            .collect();
        reached.sort_unstable();
        reached.dedup();
        let near_reached = within_reach_of_each(neighbours, &reached, shortlist, similarity);
        reached.extend(new);
        let mut near: Vec<_> = near_reached.into_iter().chain(near_new).collect();
        share_pairs(&reached, &mut near, neighbours.len(), shortlist);
        (reached, near)
    }

    /// The person of the nearest face in `near` (most similar first) that has one.
    fn nearest_person(&self, near: &[(usize, f32)]) -> Option<u32> {
        near.iter().find_map(|&(i, _)| self.person[i])
    }

    /// When all `k` faces nearest `face` were within reach (`found == k`) and none had a
    /// person: the person of the nearest face within reach that has one, looking ever further.
    fn nearest_person_further(
        &self,
        neighbours: &dyn FaceNeighbours,
        face: usize,
        (mut k, mut found): (usize, usize),
        similarity: f32,
    ) -> Option<u32> {
        while found == k && k < neighbours.len() {
            k = k.saturating_mul(16).min(neighbours.len());
            let near = within_reach(neighbours, face, k, similarity);
            if let Some(person) = self.nearest_person(&near) {
                return Some(person);
            }
            found = near.len();
        }
        None
    }

    /// The faces of each person, in order.
    pub fn members(&self) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.representative.len()];
        for (face, person) in self.person.iter().enumerate() {
            if let Some(person) = person {
                members[*person as usize].push(face);
            }
        }
        members
    }
}

/// Each pair of open faces one's search found within reach, given to the other as well, the
/// shortlists then cut back to the `shortlist` most similar. Being within reach is symmetric but
/// an approximate search is not: where the graph leads one face to another and not back, the
/// pair still counts for both, so a face's neighbours are missed only when both searches miss
/// them. An exact search loses nothing here and gains nothing.
fn share_pairs(open: &[usize], near: &mut [Vec<(usize, f32)>], count: usize, shortlist: usize) {
    let mut position = vec![u32::MAX; count];
    for (at, &face) in open.iter().enumerate() {
        position[face] = at as u32;
    }
    // Only the pairs searches found: those shared during the loop are not shared back.
    let found: Vec<usize> = near.iter().map(Vec::len).collect();
    for (at, &face) in open.iter().enumerate() {
        for pair in 0..found[at] {
            let (other, similarity) = near[at][pair];
            match position[other] {
                u32::MAX => {}
                other_at if other_at as usize != at => {
                    near[other_at as usize].push((face, similarity))
                }
                _ => {}
            }
        }
    }
    for shortlist_of in near.iter_mut() {
        let unique = std::mem::take(shortlist_of);
        *shortlist_of = most_similar(deduplicated(unique), shortlist);
    }
}

/// `pairs` with each face once.
fn deduplicated(mut pairs: Vec<(usize, f32)>) -> Vec<(usize, f32)> {
    pairs.sort_unstable_by_key(|&(face, _)| face);
    pairs.dedup_by_key(|pair| pair.0);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(angle: f32) -> Vec<f32> {
        vec![angle.cos(), angle.sin()]
    }

    #[test]
    fn a_face_without_enough_neighbours_joins_a_near_person_or_none() {
        // Within 0.1 (about 0.45 rad): three faces close together (a person), one that reaches
        // only the nearest of them (too few to be a core face), one opposite (nobody).
        let faces = [unit(0.0), unit(0.05), unit(0.1), unit(0.54), unit(3.1)];
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let people = People::cluster(&views, PeopleOptions::default().max_distance(0.1));
        assert_eq!(people.person, [Some(0), Some(0), Some(0), Some(0), None]);
        assert_eq!(people.representative, [0]);
    }

    #[test]
    fn added_faces_keep_the_placed_ones() {
        let mut faces = vec![unit(0.0), unit(0.05), unit(0.1)];
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let mut people = People::cluster(&views, PeopleOptions::default());
        faces.extend([unit(2.0), unit(2.05), unit(2.1), unit(0.02)]);
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        people.add(&views, PeopleOptions::default());
        assert_eq!(
            people.person,
            [
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                Some(0)
            ]
        );
    }

    /// An exact search that never leads a face to a face numbered above it, as an approximate
    /// graph may lead one way and not back.
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
    fn a_pair_one_search_finds_counts_for_both_faces() {
        // Three people of three to five faces, interleaved, and a stranger: every face's
        // neighbours fit its shortlist, so a pair found one way is all that is needed.
        let angles = [
            0.0, 2.0, 4.0, 0.03, 2.03, 4.03, 0.06, 2.06, 1.0, 0.09, 4.06, 0.12,
        ];
        let faces: Vec<Vec<f32>> = angles.iter().map(|&a| unit(a)).collect();
        let views: Vec<&[f32]> = faces.iter().map(Vec::as_slice).collect();
        let options = PeopleOptions::default().max_distance(0.05);
        let exact = People::cluster(&views, options);
        assert_eq!(exact.representative.len(), 3);
        let mut one_way = People::default();
        one_way.place(&OneWay(ExactNeighbours::new(&views)), options);
        assert_eq!(one_way, exact);
    }
}
