//! Small vector arithmetic on embeddings, shared by the driver, zero-shot tags, search and
//! duplicates, so that every crate scores vectors the same way.
//!
//! ```
//! use photon_core::vector::{TopK, dot, l2_normalize};
//! let mut v = [3.0, 4.0];
//! l2_normalize(&mut v);
//! assert_eq!(v, [0.6, 0.8]);
//! assert!((dot(&v, &v) - 1.0).abs() < 1e-6);
//! let mut best = TopK::new(1);
//! best.offer("a", 0.2);
//! best.offer("b", 0.9);
//! assert_eq!(best.into_sorted(), [("b", 0.9)]);
//! ```

/// Scales `v` to unit length in place (a zero or non-finite vector stays as it is).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The dot product of two equally long vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorise the reduction.
    let mut acc = [0.0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() - a.len() % 8);
    let (b8, b_rest) = b.split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    acc.iter().sum::<f32>() + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

/// The k largest values offered, in a fixed buffer: O(k) per improving offer, nothing allocated
/// per item.
pub struct TopK<T> {
    k: usize,
    items: Vec<(T, f32)>,
    /// Index in `items` of the smallest kept value, once full.
    min_at: usize,
}

impl<T> TopK<T> {
    /// Keeps the `k` largest values offered.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k),
            min_at: 0,
        }
    }

    /// Keeps `item` if `value` is among the `k` largest so far.
    pub fn offer(&mut self, item: T, value: f32) {
        if self.items.len() < self.k {
            self.items.push((item, value));
            if self.items.len() == self.k {
                self.find_min();
            }
        } else if self.k > 0 && value > self.items[self.min_at].1 {
            self.items[self.min_at] = (item, value);
            self.find_min();
        }
    }

    fn find_min(&mut self) {
        self.min_at = (0..self.items.len())
            .min_by(|&a, &b| self.items[a].1.total_cmp(&self.items[b].1))
            .unwrap_or(0);
    }

    /// The kept items, largest value first.
    pub fn into_sorted(mut self) -> Vec<(T, f32)> {
        self.items.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_largest_in_order() {
        let mut best = TopK::new(3);
        for (i, v) in [0.1, 0.7, 0.05, 0.9, 0.3, 0.2].into_iter().enumerate() {
            best.offer(i, v);
        }
        let kept: Vec<usize> = best.into_sorted().into_iter().map(|(i, _)| i).collect();
        assert_eq!(kept, [3, 1, 4]);
        let mut none = TopK::new(0);
        none.offer("x", 1.0);
        assert!(none.into_sorted().is_empty());
    }

    #[test]
    fn dot_matches_the_plain_sum_past_the_unrolled_part() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 / 10.0).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }
}
