//! Pairs of images whose embeddings are close, by comparing every pair of a model's embeddings
//! (on all cores).

use super::items::Items;
use super::{Distance, Pair};
use photon_core::vector::dot;
use std::collections::HashMap;
use std::thread;

/// Pairs of `representatives` embedded by the same model with cosine at least `threshold`.
pub(crate) fn pairs_at_least(items: &Items, representatives: &[u32], threshold: f32) -> Vec<Pair> {
    let mut by_model: HashMap<&str, Vec<u32>> = HashMap::new();
    for &i in representatives {
        if let Some((model, _)) = items.embedding(i) {
            by_model.entry(model).or_default().push(i);
        }
    }
    let mut pairs: Vec<Pair> = by_model
        .values()
        .flat_map(|members| model_pairs(items, members, threshold))
        .collect();
    pairs.sort_unstable_by_key(|&(a, b, _)| (a, b));
    pairs
}

fn model_pairs(items: &Items, members: &[u32], threshold: f32) -> Vec<Pair> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut pairs = Vec::new();
                    // Rows dealt round-robin: row n compares with the rows after it, so the
                    // early rows are the long ones.
                    for n in (t..members.len()).step_by(threads) {
                        let a = members[n];
                        let Some((_, va)) = items.embedding(a) else {
                            continue;
                        };
                        for &b in &members[n + 1..] {
                            let Some((_, vb)) = items.embedding(b) else {
                                continue;
                            };
                            if va.len() != vb.len() {
                                continue;
                            }
                            let cosine = dot(va, vb);
                            if cosine >= threshold {
                                pairs.push((a.min(b), a.max(b), Distance::Cosine(cosine)));
                            }
                        }
                    }
                    pairs
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a similarity thread panicked"))
            .collect()
    })
}
