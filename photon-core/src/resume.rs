//! Resume: what an earlier run already recorded, read back from its JSONL output, and the
//! decision for each new input (skip it, process it, or process it unless its bytes are the same).

use crate::describe::DescriberId;
use crate::source::{FileStamp, Source};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The identity an earlier record gives an input, and whether that record was an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Seen {
    size: Option<u64>,
    mtime_ns: Option<i64>,
    content_hash: Option<String>,
    failed: bool,
    /// A success recorded without the face stage.
    without_faces: bool,
    /// Who described it, when a success has a description.
    described_by: Option<DescriberId>,
}

/// The fields of a record that resume needs; everything else on the line is ignored.
#[derive(Deserialize)]
struct RecordKey {
    file_path: String,
    #[serde(default)]
    file_size: Option<u64>,
    #[serde(default)]
    file_mtime_ns: Option<i64>,
    #[serde(default)]
    content_hash: Option<String>,
    /// Present (not null) on error records; its contents do not matter here.
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
    /// Failures of stages that kept the record (`faces`): retried as an error record is.
    #[serde(default)]
    errors: Vec<serde::de::IgnoredAny>,
    #[serde(default)]
    model: Option<ModelKey>,
    /// Present (an array) when the face stage ran.
    #[serde(default)]
    faces: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    description: Option<DescriptionKey>,
}

/// Who made a record's description; its words do not matter here.
#[derive(Deserialize)]
struct DescriptionKey {
    provider: String,
    model: String,
    prompt_hash: String,
}

/// The model a record names.
#[derive(Deserialize)]
struct ModelKey {
    id: String,
}

/// What reading an earlier output found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReadReport {
    /// Lines that parsed as records.
    pub records: u64,
    /// Complete lines that did not parse; they are left in place and ignored.
    pub bad_lines: u64,
    /// Bytes up to the end of the last complete line. Anything after it is a torn write from
    /// an interrupted run and must be cut before appending.
    pub valid_len: u64,
    /// The file ends with a record that parses but has no final newline.
    pub missing_final_newline: bool,
}

/// What to do with one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResumeDecision {
    /// Not recorded before, or changed: process it.
    Process,
    /// Same path and size but a different modification time: process it unless its content
    /// hash is still this one.
    ProcessUnlessHash(String),
    /// Its latest record is an error: process it again (a file that was missing, unreadable or
    /// timed out may be fine now, and a newer Photon may read what an older one refused).
    Retry,
    /// Already recorded and unchanged, or a failure the caller keeps: skip it.
    Skip,
}

/// The inputs an earlier run recorded, by `file_path`: the latest record of each decides.
///
/// **The rule**: an input is skipped only when its latest record is a success and still matches
/// the file (same size, and same modification time or, failing that, the same content hash).
/// An input whose latest record is an error is retried, unless
/// [`skip_failed`](ResumeIndex::skip_failed) keeps failures as they are; a retried input gets a
/// new record, which then is its latest. A record whose `errors` holds a failed stage that kept
/// the record (`faces`) counts as an error here; a run that finds faces redoes records made
/// without them when told to ([`require_faces`](ResumeIndex::require_faces)), and a run that
/// describes redoes those its describer did not describe
/// ([`require_description`](ResumeIndex::require_description)).
#[derive(Debug, Clone, Default)]
pub struct ResumeIndex {
    seen: HashMap<String, Seen>,
    skip_failed: bool,
    require_faces: bool,
    require_description: Option<DescriberId>,
    models: std::collections::BTreeSet<String>,
}

impl ResumeIndex {
    /// Reads a JSONL output, tolerating a torn last line and skipping unparsable ones. A file
    /// that does not exist gives an empty index.
    pub fn load(path: &Path) -> std::io::Result<(Self, ReadReport)> {
        match std::fs::File::open(path) {
            Ok(file) => Self::from_reader(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((Self::default(), ReadReport::default()))
            }
            Err(e) => Err(e),
        }
    }

    /// Like [`ResumeIndex::load`], from any reader.
    ///
    /// ```
    /// use photon_core::ResumeIndex;
    /// let jsonl = b"{\"file_path\":\"a.jpg\",\"file_size\":3,\"content_hash\":\"h\"}\n{\"file_pa";
    /// let (index, report) = ResumeIndex::from_reader(&jsonl[..]).unwrap();
    /// assert_eq!((index.len(), report.records, report.valid_len), (1, 1, 55));
    /// ```
    pub fn from_reader(mut reader: impl Read) -> std::io::Result<(Self, ReadReport)> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        let mut index = Self::default();
        let mut report = ReadReport::default();
        let mut start = 0usize;
        while start < bytes.len() {
            let (line, next, complete) = match bytes[start..].iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[start..start + i], start + i + 1, true),
                None => (&bytes[start..], bytes.len(), false),
            };
            let parsed = serde_json::from_slice::<RecordKey>(line);
            match (parsed, complete) {
                (Ok(key), _) => {
                    report.records += 1;
                    report.valid_len = next as u64;
                    report.missing_final_newline = !complete;
                    index.insert_key(key);
                }
                (Err(_), true) => {
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        report.bad_lines += 1;
                    }
                    report.valid_len = next as u64;
                }
                (Err(_), false) => {} // a torn tail: not counted, cut by the writer
            }
            start = next;
        }
        Ok((index, report))
    }

    /// Keeps inputs whose latest record is an error skipped (`true`) rather than retried (the
    /// default, `false`).
    ///
    /// ```
    /// use photon_core::ResumeIndex;
    /// let jsonl = b"{\"file_path\":\"gone.jpg\",\"error\":{\"stage\":\"read\"}}\n";
    /// let (index, _) = ResumeIndex::from_reader(&jsonl[..]).unwrap();
    /// assert_eq!(index.failures(), 1);
    /// let index = index.skip_failed(true);
    /// ```
    pub fn skip_failed(mut self, skip: bool) -> Self {
        self.skip_failed = skip;
        self
    }

    /// Inputs whose latest record is an error.
    pub fn failures(&self) -> usize {
        self.seen.values().filter(|s| s.failed).count()
    }

    /// Number of inputs recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The ids of the models the earlier records name (embedded records only), so that a
    /// caller can refuse to mix another model's vectors into the same output.
    pub fn model_ids(&self) -> impl Iterator<Item = &str> {
        self.models.iter().map(String::as_str)
    }

    /// Refuses to resume an output that holds embeddings of another model than `model_id`, the
    /// model of the run that would resume it: one output holds one model's vectors, as a search
    /// over it compares them all.
    ///
    /// ```
    /// let mut index = photon_core::ResumeIndex::default();
    /// index.insert_model("efficientnet-lite0@c58ee05e93fd");
    /// assert!(index.check_model("efficientnet-lite0@c58ee05e93fd").is_ok());
    /// let refusal = index.check_model("siglip@0123456789ab").unwrap_err();
    /// assert_eq!(refusal.theirs, "efficientnet-lite0@c58ee05e93fd");
    /// ```
    pub fn check_model(&self, model_id: &str) -> Result<(), OtherModel> {
        match self.model_ids().find(|id| *id != model_id) {
            Some(theirs) => Err(OtherModel {
                ours: model_id.to_owned(),
                theirs: theirs.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Notes that an earlier record was embedded by `model_id`.
    pub fn insert_model(&mut self, model_id: &str) {
        if !self.models.contains(model_id) {
            self.models.insert(model_id.to_owned());
        }
    }

    fn insert_key(&mut self, key: RecordKey) {
        if let Some(model) = &key.model {
            self.insert_model(&model.id);
        }
        if key.error.is_some() || !key.errors.is_empty() {
            self.insert_failure(key.file_path);
        } else {
            let without_faces = key.faces.is_none();
            self.insert(
                key.file_path.clone(),
                key.file_size,
                key.file_mtime_ns,
                key.content_hash,
            );
            if without_faces {
                self.insert_without_faces(&key.file_path);
            }
            if let Some(d) = key.description {
                let id = DescriberId::from_hash(d.provider, d.model, d.prompt_hash);
                self.insert_description(&key.file_path, id);
            }
        }
    }

    /// Notes who described the latest record of `file_path`, a success, for outputs that are
    /// not JSON Lines: see [`require_description`](ResumeIndex::require_description).
    pub fn insert_description(&mut self, file_path: &str, by: DescriberId) {
        if let Some(seen) = self.seen.get_mut(file_path) {
            seen.described_by = Some(by);
        }
    }

    /// Processes again the inputs whose latest record has no description that `describer`
    /// made (another provider, model or prompt, or none), for a run that describes with it; by
    /// default (`None`) descriptions do not matter. A record whose describe stage failed is an
    /// error here, retried unless failures are kept.
    ///
    /// ```
    /// use photon_core::{DescriberId, ResumeIndex};
    /// let ours = DescriberId::new("openai", "gpt-4o-mini", "Describe the photo.");
    /// let jsonl = format!(
    ///     r#"{{"file_path":"a.jpg","file_size":3,"content_hash":"h","description":{{"text":"A dog.","provider":"openai","model":"gpt-4o-mini","prompt_hash":"{}"}}}}"#,
    ///     ours.prompt_hash
    /// );
    /// let (index, _) = ResumeIndex::from_reader(jsonl.as_bytes()).unwrap();
    /// assert_eq!(index.described_by(&ours), 1);
    /// let other = DescriberId::new("openai", "gpt-4o-mini", "Another prompt.");
    /// assert_eq!(index.described_by(&other), 0);
    /// let index = index.require_description(Some(ours));
    /// ```
    pub fn require_description(mut self, describer: Option<DescriberId>) -> Self {
        self.require_description = describer;
        self
    }

    /// Successes whose description `describer` made.
    pub fn described_by(&self, describer: &DescriberId) -> usize {
        self.seen
            .values()
            .filter(|s| !s.failed && s.described_by.as_ref() == Some(describer))
            .count()
    }

    /// Notes that the latest record of `file_path`, a success, was made without the face stage,
    /// for outputs that are not JSON Lines: see [`require_faces`](ResumeIndex::require_faces).
    pub fn insert_without_faces(&mut self, file_path: &str) {
        if let Some(seen) = self.seen.get_mut(file_path) {
            seen.without_faces = true;
        }
    }

    /// Processes again the inputs recorded without faces (`true`, for a run that finds faces);
    /// by default (`false`) a record counts whichever stages it has.
    ///
    /// ```
    /// use photon_core::ResumeIndex;
    /// let jsonl = b"{\"file_path\":\"a.jpg\",\"file_size\":3,\"content_hash\":\"h\"}\n";
    /// let (index, _) = ResumeIndex::from_reader(&jsonl[..]).unwrap();
    /// assert_eq!(index.without_faces(), 1);
    /// let index = index.require_faces(true);
    /// ```
    pub fn require_faces(mut self, require: bool) -> Self {
        self.require_faces = require;
        self
    }

    /// Successes recorded without the face stage.
    pub fn without_faces(&self) -> usize {
        self.seen
            .values()
            .filter(|s| !s.failed && s.without_faces)
            .count()
    }

    /// Adds that the latest record of `file_path` is an error, for outputs that are not JSON
    /// Lines. Like [`insert`](ResumeIndex::insert), a later record replaces an earlier one.
    pub fn insert_failure(&mut self, file_path: String) {
        let failed = Seen {
            failed: true,
            ..Seen::default()
        };
        self.seen.insert(file_path, failed);
    }

    /// Adds what one earlier successful record says about its input (its `file_path`,
    /// `file_size`, `file_mtime_ns` and `content_hash`), for outputs that are not JSON Lines.
    /// Inserted in the order they were written: a later record for the same path replaces an
    /// earlier one.
    pub fn insert(
        &mut self,
        file_path: String,
        file_size: Option<u64>,
        file_mtime_ns: Option<i64>,
        content_hash: Option<String>,
    ) {
        self.seen.insert(
            file_path,
            Seen {
                size: file_size,
                mtime_ns: file_mtime_ns,
                content_hash,
                failed: false,
                without_faces: false,
                described_by: None,
            },
        );
    }

    /// Decides what to do with `source`, given the file's current `stamp` (for paths; `None`
    /// when it could not be read or for in-memory bytes).
    ///
    /// See the rule on [`ResumeIndex`].
    pub(crate) fn decide(&self, source: &Source, stamp: Option<FileStamp>) -> ResumeDecision {
        let Some(seen) = self.seen.get(&source.display_path()) else {
            return ResumeDecision::Process;
        };
        if seen.failed {
            return match self.skip_failed {
                true => ResumeDecision::Skip,
                false => ResumeDecision::Retry,
            };
        }
        if self.require_faces && seen.without_faces {
            return ResumeDecision::Process;
        }
        if let Some(ours) = &self.require_description
            && seen.described_by.as_ref() != Some(ours)
        {
            return ResumeDecision::Process;
        }
        let Some(size) = seen.size else {
            // A success that does not say what it read cannot be matched: redo it.
            return ResumeDecision::Process;
        };
        let (current_size, current_mtime) = match (source, stamp) {
            (Source::Bytes { bytes, .. }, _) => (Some(bytes.len() as u64), None),
            (Source::Path(_), Some(stamp)) => (Some(stamp.size), stamp.mtime_ns),
            (Source::Path(_), None) => (None, None),
        };
        if current_size != Some(size) {
            return ResumeDecision::Process;
        }
        if current_mtime.is_some() && current_mtime == seen.mtime_ns {
            return ResumeDecision::Skip;
        }
        match &seen.content_hash {
            Some(hash) => ResumeDecision::ProcessUnlessHash(hash.clone()),
            None => ResumeDecision::Process,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_input_whose_mtime_moved_is_redone_unless_its_hash_is_the_same() {
        let jsonl = b"{\"file_path\":\"a.jpg\",\"file_size\":3,\"content_hash\":\"h\"}\n";
        let (index, _) = ResumeIndex::from_reader(&jsonl[..]).unwrap();
        let again = Source::Bytes {
            name: "a.jpg".into(),
            bytes: b"abc".to_vec(),
        };
        assert_eq!(
            index.decide(&again, None),
            ResumeDecision::ProcessUnlessHash("h".into())
        );
        let grown = Source::Bytes {
            name: "a.jpg".into(),
            bytes: b"abcd".to_vec(),
        };
        assert_eq!(index.decide(&grown, None), ResumeDecision::Process);
    }

    #[test]
    fn the_latest_record_decides_and_failures_are_retried_unless_kept() {
        let jsonl = concat!(
            "{\"file_path\":\"a.jpg\",\"file_size\":3,\"content_hash\":\"h\",\"error\":null}\n",
            "{\"file_path\":\"b.jpg\",\"error\":{\"stage\":\"read\",\"kind\":\"not_found\"}}\n",
            "{\"file_path\":\"c.jpg\",\"file_size\":3,\"error\":{\"stage\":\"decode\"}}\n",
            "{\"file_path\":\"d.jpg\",\"file_size\":3,\"error\":{\"stage\":\"decode\"}}\n",
            "{\"file_path\":\"d.jpg\",\"file_size\":3,\"content_hash\":\"h\"}\n",
            "{\"file_path\":\"e.jpg\",\"file_size\":3,\"content_hash\":\"h\"}\n",
            "{\"file_path\":\"e.jpg\",\"error\":{\"stage\":\"read\"}}\n",
        );
        let (index, report) = ResumeIndex::from_reader(jsonl.as_bytes()).unwrap();
        assert_eq!((report.records, index.len(), index.failures()), (7, 5, 3));
        let bytes = |name: &str| Source::Bytes {
            name: name.into(),
            bytes: b"abc".to_vec(),
        };
        let decide = |index: &ResumeIndex, name: &str| index.decide(&bytes(name), None);
        assert_eq!(
            decide(&index, "a.jpg"),
            ResumeDecision::ProcessUnlessHash("h".into())
        );
        assert_eq!(
            decide(&index, "b.jpg"),
            ResumeDecision::Retry,
            "no size: retried"
        );
        assert_eq!(
            decide(&index, "c.jpg"),
            ResumeDecision::Retry,
            "same size: retried"
        );
        assert_eq!(
            decide(&index, "d.jpg"),
            ResumeDecision::ProcessUnlessHash("h".into())
        );
        assert_eq!(
            decide(&index, "e.jpg"),
            ResumeDecision::Retry,
            "failed last"
        );
        let kept = index.skip_failed(true);
        for name in ["b.jpg", "c.jpg", "e.jpg"] {
            assert_eq!(decide(&kept, name), ResumeDecision::Skip, "{name}");
        }
        assert_eq!(
            decide(&kept, "d.jpg"),
            ResumeDecision::ProcessUnlessHash("h".into())
        );
    }
}

/// An earlier output holds embeddings of another model than the run that would resume it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the output holds embeddings of model {theirs}, not of this run's {ours}: one output holds one \
     model's vectors"
)]
#[non_exhaustive]
pub struct OtherModel {
    /// The resuming run's model.
    pub ours: String,
    /// A model the output's records name.
    pub theirs: String,
}
