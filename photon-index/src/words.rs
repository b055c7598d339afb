//! Search in words: the records' descriptions (`photon process --describe`) ranked against a
//! plain-text query by BM25, the ranking full-text engines use by default.

use photon_core::Record;
use std::collections::HashMap;

/// A described record that matched a text query.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TextHit {
    /// The record's `file_path`.
    pub file_path: String,
    /// Its BM25 score: higher is better; comparable within one ranking only.
    pub score: f32,
    /// The description that matched.
    pub text: String,
}

/// The best matches for a text query, and how many records could be searched.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TextRanking {
    /// The best matches, best first.
    pub hits: Vec<TextHit>,
    /// Records with a description, all searched.
    pub described: usize,
    /// Of those, the ones holding at least one word of the query.
    pub matched: usize,
}

/// BM25's usual constants (Lucene's and Elasticsearch's defaults): how fast a word's repeats
/// stop adding, and how much a long description is discounted.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Lower-cased words: runs of letters and digits in any script.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// A record holding a word of the query: how often each query word occurs, and its length.
struct Candidate {
    file_path: String,
    text: String,
    counts: Vec<u32>,
    length: usize,
}

/// Ranks the descriptions of `records` against `query` by BM25 and keeps the `top` best. Words
/// are matched whole and case-insensitively (no stemming); a record matches when it holds any
/// word of the query, and one holding every word, or a rarer one, ranks first, as a full-text
/// engine ranks. Each file counts once, by its latest record (the last for its path). One pass
/// over the records, holding the descriptions' text.
///
/// ```
/// use photon_core::Record;
/// let record = |path: &str, text: &str| -> Record {
///     serde_json::from_value(serde_json::json!({"schema_version": 1, "file_path": path, "file_size": 1,
///         "content_hash": "h", "width": 1, "height": 1, "format": "jpeg",
///         "description": {"text": text, "provider": "p", "model": "m", "prompt_hash": "0"}}))
///     .unwrap()
/// };
/// let records = [
///     record("beach.jpg", "Two children build a sandcastle on a beach at dusk."),
///     record("dog.jpg", "A dog runs on a beach."),
///     record("desk.jpg", "A laptop on a desk."),
/// ];
/// let ranking = photon_index::rank_descriptions(records, "sandcastle beach", 10);
/// let paths: Vec<_> = ranking.hits.iter().map(|h| h.file_path.as_str()).collect();
/// assert_eq!(paths, ["beach.jpg", "dog.jpg"]);
/// assert_eq!((ranking.described, ranking.matched), (3, 2));
/// ```
pub fn rank_descriptions(
    records: impl IntoIterator<Item = Record>,
    query: &str,
    top: usize,
) -> TextRanking {
    let terms = query_terms(query);
    let mut ranking = TextRanking::default();
    let mut candidates = Vec::new();
    let mut total_length = 0usize;
    for (file_path, text) in latest_descriptions(records) {
        ranking.described += 1;
        let mut counts = vec![0u32; terms.len()];
        let mut length = 0;
        for word in words(&text) {
            length += 1;
            if let Some(i) = terms.iter().position(|t| *t == word) {
                counts[i] += 1;
            }
        }
        total_length += length;
        if counts.iter().any(|&c| c > 0) {
            candidates.push(Candidate {
                file_path,
                text,
                counts,
                length,
            });
        }
    }
    ranking.matched = candidates.len();
    let average_length = total_length as f32 / ranking.described.max(1) as f32;
    let weights = idf(&candidates, terms.len(), ranking.described);
    let mut hits: Vec<TextHit> = candidates
        .into_iter()
        .map(|c| {
            let score = bm25(&c, &weights, average_length);
            TextHit {
                file_path: c.file_path,
                score,
                text: c.text,
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.file_path.cmp(&b.file_path))
    });
    hits.truncate(top);
    ranking.hits = hits;
    ranking
}

/// The description of each file's latest record, as resume reads records (a resumed JSON Lines
/// output holds a line per run for the files done again): the last one wins, and a file whose
/// latest record has none has none.
fn latest_descriptions(records: impl IntoIterator<Item = Record>) -> Vec<(String, String)> {
    let mut latest: HashMap<String, Option<String>> = HashMap::new();
    for record in records {
        let text = match &record {
            Record::Image(image) => image.description.as_ref().map(|d| d.text.clone()),
            Record::Error(_) => None,
        };
        latest.insert(record.file_path().to_owned(), text);
    }
    latest
        .into_iter()
        .filter_map(|(path, text)| Some((path, text?)))
        .collect()
}

/// The query's distinct words, in order.
fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in words(query) {
        if !terms.contains(&word) {
            terms.push(word);
        }
    }
    terms
}

/// Each query word's inverse document frequency over the `documents` described records (the
/// BM25 form that stays positive for words in most of them).
fn idf(candidates: &[Candidate], terms: usize, documents: usize) -> Vec<f32> {
    (0..terms)
        .map(|i| {
            let holding = candidates.iter().filter(|c| c.counts[i] > 0).count() as f32;
            let documents = documents as f32;
            (1.0 + (documents - holding + 0.5) / (holding + 0.5)).ln()
        })
        .collect()
}

fn bm25(candidate: &Candidate, weights: &[f32], average_length: f32) -> f32 {
    let length_norm = 1.0 - B + B * candidate.length as f32 / average_length.max(1.0);
    candidate
        .counts
        .iter()
        .zip(weights)
        .map(|(&count, &weight)| {
            let tf = count as f32;
            weight * tf * (K1 + 1.0) / (tf + K1 * length_norm)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(path: &str, text: &str) -> Record {
        serde_json::from_value(serde_json::json!({"schema_version": 1, "file_path": path,
            "file_size": 1, "content_hash": "h", "width": 1, "height": 1, "format": "jpeg",
            "description": {"text": text, "provider": "p", "model": "m", "prompt_hash": "0"}}))
        .unwrap()
    }

    #[test]
    fn a_file_counts_once_by_its_latest_record() {
        let records = [
            described("a.jpg", "A red kite over a beach."),
            described("b.jpg", "A red kite."),
            described("a.jpg", "A sofa."),
            described("b.jpg", "A red kite over the sea."),
        ];
        let ranking = rank_descriptions(records, "Kite", 10);
        assert_eq!((ranking.described, ranking.matched), (2, 1));
        assert_eq!(ranking.hits[0].file_path, "b.jpg");
        assert_eq!(ranking.hits[0].text, "A red kite over the sea.");
    }

    #[test]
    fn more_of_the_query_and_rarer_words_rank_higher() {
        let records = [
            described("both.jpg", "A dog on a beach."),
            described("dog.jpg", "A dog on a sofa."),
            described("beach.jpg", "An empty beach."),
            described("cat.jpg", "A cat on a sofa."),
            described("cat2.jpg", "A cat on a chair."),
        ];
        let ranking = rank_descriptions(records, "dog beach", 10);
        let paths: Vec<_> = ranking.hits.iter().map(|h| h.file_path.as_str()).collect();
        assert_eq!(paths[0], "both.jpg");
        assert_eq!(paths.len(), 3);
        assert!(
            rank_descriptions([described("x.jpg", "Ünïcode CAFÉ")], "café", 1)
                .hits
                .len()
                == 1
        );
    }
}
