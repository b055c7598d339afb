//! Every pair of 64-bit hashes within a Hamming radius, by multi-index hashing (Norouzi et al.,
//! "Fast search in Hamming space with multi-index hashing", CVPR 2012): split the 64 bits into
//! `m` chunks; two hashes within `r` bits agree to within `r / m` bits on at least one chunk
//! (pigeonhole). Each chunk gets a table of the hashes by chunk value, and each hash looks up the
//! few chunk values near its own, so no pair of far hashes is ever compared.

use std::thread;

/// A pair of indexes into the hashes (`a < b`) and their distance in bits.
pub(crate) type HashPair = (u32, u32, u32);

/// Every pair `(a, b, distance)` with `a < b` of `hashes` (distinct or not) at most
/// `max_distance` bits apart, each pair once, sorted.
pub(crate) fn pairs_within(hashes: &[u64], max_distance: u32) -> Vec<HashPair> {
    let max_distance = max_distance.min(64);
    let chunks = Chunks::plan(hashes.len(), max_distance);
    let tables: Vec<ChunkTable> = (0..chunks.count)
        .map(|c| ChunkTable::new(hashes, chunks.range(c)))
        .collect();
    let search = Search {
        chunks: &chunks,
        tables: &tables,
        max_distance,
    };
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let mut pairs: Vec<HashPair> = thread::scope(|scope| {
        let mut workers = Vec::new();
        // Queries go chunk by chunk in the order of that chunk's value (its table's order), so
        // consecutive queries probe neighbouring values and the table stays in the cache.
        for (c, table) in tables.iter().enumerate() {
            let per_thread = table.members.len().div_ceil(threads).max(1024);
            for queries in table.members.chunks(per_thread) {
                let search = &search;
                workers.push(scope.spawn(move || search.pairs_in_chunk(c, queries)));
            }
        }
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a search thread panicked"))
            .collect()
    });
    pairs.sort_unstable();
    pairs
}

/// How the 64 bits are cut: `count` chunks of nearly equal width, each searched to within
/// `radius` bits.
struct Chunks {
    count: usize,
    radius: u32,
}

impl Chunks {
    /// The cut with the least expected work for `n` hashes: per hash and chunk, one table lookup
    /// per chunk value within the radius, and one comparison per hash found there (random hashes
    /// spread evenly over the 2^width values); per chunk, a table of 2^width entries to fill.
    /// Costs are in units of a cached lookup:
    /// - a lookup in a table bigger than a core's cache (over 2^18 values) misses it (40) when
    ///   the occupancy bitmap says the value has members;
    /// - a comparison streams a 16-byte member from memory (4).
    ///
    /// Chunks are at most 22 bits, so a table's index stays within 16 MB.
    fn plan(n: usize, max_distance: u32) -> Self {
        (3..=(max_distance as usize + 1).clamp(3, 64))
            .map(|count| {
                let width = 64usize.div_ceil(count) as u32;
                let radius = max_distance / count as u32;
                let probes = ball_size(width, radius);
                let per_value = n as f64 / 2f64.powi(width as i32);
                let lookup = if width > 18 {
                    1.0 + 40.0 * per_value.min(1.0)
                } else {
                    1.0
                };
                let table = 2f64.powi(width as i32);
                let cost =
                    count as f64 * (n as f64 * probes * (lookup + 4.0 * per_value) + table / 8.0);
                (cost, count, radius)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, count, radius)| Chunks { count, radius })
            .expect("at least one cut")
    }

    /// The bits of chunk `c`: `(shift, width)`.
    fn range(&self, c: usize) -> (u32, u32) {
        let base = 64 / self.count as u32;
        let wider = 64 % self.count as u32; // the first `wider` chunks get one bit more
        let c = c as u32;
        let shift = c * base + c.min(wider);
        (shift, base + u32::from(c < wider))
    }
}

/// The number of `width`-bit values within `radius` bits of a given one.
fn ball_size(width: u32, radius: u32) -> f64 {
    let mut total = 0.0;
    let mut choose = 1.0;
    for k in 0..=radius.min(width) {
        total += choose;
        choose = choose * f64::from(width - k) / f64::from(k + 1);
    }
    total
}

/// The hashes grouped by one chunk's value (compressed rows: `starts[v]..starts[v+1]` index
/// `members`), each member stored with its hash so a bucket is checked in one sequential scan.
/// A bitmap of the values that have members answers most lookups of a wide chunk from the
/// cache: at a million hashes, 22-bit chunks leave four values in five empty.
struct ChunkTable {
    shift: u32,
    mask: u64,
    occupied: Vec<u64>,
    starts: Vec<u32>,
    members: Vec<(u64, u32)>,
}

impl ChunkTable {
    fn new(hashes: &[u64], (shift, width): (u32, u32)) -> Self {
        let mask = (1u64 << width) - 1;
        let mut starts = vec![0u32; (1usize << width) + 1];
        for &h in hashes {
            starts[((h >> shift) & mask) as usize + 1] += 1;
        }
        for v in 1..starts.len() {
            starts[v] += starts[v - 1];
        }
        let mut next = starts.clone();
        let mut occupied = vec![0u64; (1usize << width).div_ceil(64)];
        for &h in hashes {
            let v = ((h >> shift) & mask) as usize;
            occupied[v / 64] |= 1 << (v % 64);
        }
        let mut members = vec![(0u64, 0u32); hashes.len()];
        for (i, &h) in hashes.iter().enumerate() {
            let slot = &mut next[((h >> shift) & mask) as usize];
            members[*slot as usize] = (h, i as u32);
            *slot += 1;
        }
        Self {
            shift,
            mask,
            occupied,
            starts,
            members,
        }
    }

    fn value(&self, hash: u64) -> u64 {
        (hash >> self.shift) & self.mask
    }

    fn members_at(&self, value: u64) -> &[(u64, u32)] {
        let v = value as usize;
        if self.occupied[v / 64] & (1 << (v % 64)) == 0 {
            return &[];
        }
        &self.members[self.starts[v] as usize..self.starts[v + 1] as usize]
    }
}

struct Search<'a> {
    chunks: &'a Chunks,
    tables: &'a [ChunkTable],
    max_distance: u32,
}

impl Search<'_> {
    /// The pairs chunk `c` finds for `queries` (hashes with their indexes): each pair `a < b`
    /// from the query `a`, and only when `c` is the first chunk that finds it.
    fn pairs_in_chunk(&self, c: usize, queries: &[(u64, u32)]) -> Vec<HashPair> {
        let table = &self.tables[c];
        let mut flips = Vec::new();
        values_within(0, table.mask.count_ones(), self.chunks.radius, &mut flips);
        let mut pairs = Vec::new();
        for &(hash, a) in queries {
            let value = table.value(hash);
            for flip in &flips {
                for &(other, b) in table.members_at(value ^ flip) {
                    let distance = (hash ^ other).count_ones();
                    if distance <= self.max_distance && b > a && self.first_chunk(hash, other) == c
                    {
                        pairs.push((a, b, distance));
                    }
                }
            }
        }
        pairs
    }

    fn first_chunk(&self, a: u64, b: u64) -> usize {
        self.tables
            .iter()
            .position(|t| (t.value(a) ^ t.value(b)).count_ones() <= self.chunks.radius)
            .unwrap_or(usize::MAX)
    }
}

/// Appends every `width`-bit value within `radius` bits of `value` (itself first).
fn values_within(value: u64, width: u32, radius: u32, out: &mut Vec<u64>) {
    fn flip(value: u64, from: u32, width: u32, left: u32, out: &mut Vec<u64>) {
        for bit in from..width {
            let flipped = value ^ (1 << bit);
            out.push(flipped);
            if left > 1 {
                flip(flipped, bit + 1, width, left - 1, out);
            }
        }
    }
    out.push(value);
    if radius > 0 {
        flip(value, 0, width, radius, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(hashes: &[u64], r: u32) -> Vec<HashPair> {
        let mut pairs = Vec::new();
        for a in 0..hashes.len() {
            for b in a + 1..hashes.len() {
                let d = (hashes[a] ^ hashes[b]).count_ones();
                if d <= r {
                    pairs.push((a as u32, b as u32, d));
                }
            }
        }
        pairs
    }

    /// Random hashes (a fixed xorshift), with near copies planted: each of the first quarter
    /// has a twin a few bits away, and a few hashes repeat exactly.
    fn hashes(n: usize, seed: u64) -> Vec<u64> {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut hashes: Vec<u64> = (0..n).map(|_| next()).collect();
        for i in 0..n / 4 {
            let mut twin = hashes[i];
            for _ in 0..(next() % 14) {
                twin ^= 1 << (next() % 64);
            }
            hashes.push(twin);
        }
        let repeated = hashes[..hashes.len().min(5)].to_vec();
        hashes.extend(repeated);
        hashes
    }

    #[test]
    fn multi_index_hashing_finds_exactly_the_brute_force_pairs() {
        for (n, seed) in [(0, 1), (1, 2), (50, 3), (2000, 4)] {
            let hashes = hashes(n, seed + 88172645463325252);
            for r in [0, 1, 2, 5, 8, 10, 13, 20] {
                assert_eq!(
                    pairs_within(&hashes, r),
                    brute_force(&hashes, r),
                    "n={n} r={r}"
                );
            }
        }
    }

    #[test]
    fn the_plan_cuts_64_bits_exactly() {
        for count in 3..=16 {
            let chunks = Chunks { count, radius: 0 };
            let widths: u32 = (0..count).map(|c| chunks.range(c).1).sum();
            assert_eq!(widths, 64);
            assert_eq!(chunks.range(count - 1).0 + chunks.range(count - 1).1, 64);
        }
        assert!(Chunks::plan(1_000_000, 8).count >= 3);
    }

    #[test]
    fn values_within_enumerates_the_ball() {
        let mut out = Vec::new();
        values_within(0b1010, 6, 2, &mut out);
        assert_eq!(out.len() as f64, ball_size(6, 2));
        let mut sorted = out.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), out.len());
        assert!(
            out.iter()
                .all(|v| (v ^ 0b1010).count_ones() <= 2 && *v < 64)
        );
    }
}
