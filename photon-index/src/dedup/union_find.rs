//! Disjoint sets over item indexes, for grouping pairs transitively.

pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent; // path halving
            x = grandparent;
        }
        x
    }

    /// The set's root without shortening paths.
    pub(crate) fn find_const(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller index becomes the root: deterministic whatever the pair order.
            let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[child as usize] = root;
        }
    }

    /// Every set with more than one member among `touched` (the items of the pairs joined;
    /// every other item is alone), members in index order.
    pub(crate) fn components(&mut self, touched: impl IntoIterator<Item = u32>) -> Vec<Vec<u32>> {
        let mut by_root: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        for x in touched {
            let root = self.find(x);
            by_root.entry(root).or_default().push(x);
        }
        let mut sets: Vec<Vec<u32>> = by_root
            .into_values()
            .map(|mut s| {
                s.sort_unstable();
                s.dedup();
                s
            })
            .filter(|s| s.len() > 1)
            .collect();
        sets.sort_unstable_by_key(|s| s[0]);
        sets
    }
}
