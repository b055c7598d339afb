//! WordNet 3.0 noun hierarchy, read from Debian's `wordnet-base` (`/usr/share/wordnet/data.noun`).
//!
//! A synset's offset *is* its byte offset in `data.noun`, so a synset is found by slicing the
//! file, without building an index of all 82 000 nouns.

use std::collections::HashSet;
use std::path::Path;

/// Where Debian's `wordnet-base` installs the noun database.
pub const DEBIAN_DATA_NOUN: &str = "/usr/share/wordnet/data.noun";

/// The noun database in memory.
#[derive(Debug, Clone)]
pub struct WordNet {
    data: Vec<u8>,
}

/// One noun synset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Synset {
    /// The 8-digit offset that identifies it.
    pub(crate) offset: u32,
    /// Its lemmas, underscores turned into spaces, most common first.
    pub(crate) words: Vec<String>,
    /// Offsets of its hypernyms (class and instance).
    pub(crate) hypernyms: Vec<u32>,
}

impl WordNet {
    /// Reads `data.noun`.
    pub fn open(data_noun: &Path) -> std::io::Result<Self> {
        Ok(Self {
            data: std::fs::read(data_noun)?,
        })
    }

    /// The synset at `offset`, if there is one.
    pub(crate) fn synset(&self, offset: u32) -> Option<Synset> {
        let start = offset as usize;
        if start > 0 && self.data.get(start - 1) != Some(&b'\n') {
            return None;
        }
        let rest = self.data.get(start..)?;
        let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        let line = std::str::from_utf8(line).ok()?;
        let fields: Vec<&str> = line.split('|').next()?.split_whitespace().collect();
        if fields.first()?.parse::<u32>().ok()? != offset || fields.get(2) != Some(&"n") {
            return None;
        }
        let word_count = usize::from_str_radix(fields.get(3)?, 16).ok()?;
        let words = (0..word_count)
            .map(|i| fields.get(4 + 2 * i).map(|w| w.replace('_', " ")))
            .collect::<Option<Vec<_>>>()?;
        let pointers_at = 4 + 2 * word_count;
        let pointer_count: usize = fields.get(pointers_at)?.parse().ok()?;
        let hypernyms = (0..pointer_count)
            .filter_map(|i| {
                let p = pointers_at + 1 + 4 * i;
                let (symbol, target, pos) =
                    (fields.get(p)?, fields.get(p + 1)?, fields.get(p + 2)?);
                (matches!(*symbol, "@" | "@i") && *pos == "n")
                    .then(|| target.parse().ok())
                    .flatten()
            })
            .collect();
        Some(Synset {
            offset,
            words,
            hypernyms,
        })
    }

    /// The chain from the root (`entity`) down to `offset`, following the first hypernym.
    pub(crate) fn path_to(&self, offset: u32) -> Vec<Synset> {
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut current = self.synset(offset);
        while let Some(synset) = current {
            if !seen.insert(synset.offset) {
                break; // never loop, whatever the file says
            }
            current = synset.hypernyms.first().and_then(|h| self.synset(*h));
            chain.push(synset);
        }
        chain.reverse();
        chain
    }

    /// Every lemma of every noun synset in lexicographer files `lex_files` (WordNet's top-level
    /// categories: 5 animal, 6 artifact, 13 food, 15 location, 17 object, 18 person, 20 plant),
    /// with its synset's offset.
    pub(crate) fn synsets_in(&self, lex_files: &[u8]) -> Vec<(u32, String)> {
        let mut found = Vec::new();
        for line in self.data.split(|b| *b == b'\n') {
            // Data lines start with the 8-digit offset; the licence header starts with spaces.
            let mut fields = line.splitn(5, |b| *b == b' ');
            let (Some(offset), Some(lex), Some(b"n"), Some(word_count), Some(rest)) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                continue;
            };
            let (Ok(offset), Ok(lex)) = (parse_ascii::<u32>(offset), parse_ascii::<u8>(lex)) else {
                continue;
            };
            if !lex_files.contains(&lex) {
                continue;
            }
            // rest: "<word> <lex id> <word> <lex id> ... <pointer count> ..."; the count field
            // before it says how many words there are.
            let Some(text) = std::str::from_utf8(rest).ok() else {
                continue;
            };
            let words = text.split(' ').collect::<Vec<_>>();
            let count = parse_ascii_hex(word_count).unwrap_or(0);
            for word in words.iter().step_by(2).take(count) {
                // Adjective markers like "(a)" are not part of the name.
                let word = word.split('(').next().unwrap_or(word);
                found.push((offset, word.replace('_', " ")));
            }
        }
        found
    }

    /// Every ancestor of `offset` through all hypernym links (not including itself).
    pub(crate) fn ancestors(&self, offset: u32) -> HashSet<u32> {
        let mut found = HashSet::new();
        let mut stack = self.synset(offset).map(|s| s.hypernyms).unwrap_or_default();
        while let Some(next) = stack.pop() {
            if found.insert(next)
                && let Some(s) = self.synset(next)
            {
                stack.extend(s.hypernyms);
            }
        }
        found
    }
}

fn parse_ascii_hex(bytes: &[u8]) -> Option<usize> {
    usize::from_str_radix(std::str::from_utf8(bytes).ok()?, 16).ok()
}

fn parse_ascii<T: std::str::FromStr>(bytes: &[u8]) -> Result<T, ()> {
    std::str::from_utf8(bytes)
        .map_err(|_| ())?
        .parse()
        .map_err(|_| ())
}

/// WordNet's lexicographer files for what a camera sees: animals, artifacts, food, places,
/// natural objects, people and plants.
pub(crate) const VISUAL_LEX_FILES: [u8; 7] = [5, 6, 13, 15, 17, 18, 20];

/// The WordNet offset of an ImageNet-style synset id (`n02123159` → 2123159).
pub(crate) fn offset_of(synset_id: &str) -> Option<u32> {
    synset_id.strip_prefix('n')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordnet_gives_hypernym_chains_from_the_root() {
        let wn = WordNet::open(DEBIAN_DATA_NOUN.as_ref())
            .unwrap_or_else(|e| panic!("{DEBIAN_DATA_NOUN}: {e}: run scripts/setup.sh"));
        let chain: Vec<String> = wn
            .path_to(offset_of("n02123159").unwrap())
            .into_iter()
            .map(|s| s.words[0].clone())
            .collect();
        assert_eq!(chain.first().map(String::as_str), Some("entity"));
        assert_eq!(
            &chain[chain.len() - 4..],
            ["feline", "cat", "domestic cat", "tiger cat"]
        );
        assert!(wn.ancestors(2123159).contains(&2121808));
        assert!(
            wn.synset(12345).is_none(),
            "an offset inside a line is not a synset"
        );
    }
}
