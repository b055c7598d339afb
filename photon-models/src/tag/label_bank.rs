//! A label bank: every vocabulary term, put in a prompt template and embedded by the text
//! tower, as one row-major matrix of unit vectors. Building one for 80 000 terms takes a while,
//! so it is cached on disk under a key made of the text model's file hash, the vocabulary and
//! the template: change any of them and the cache is not used. Loading reads the vectors straight
//! into their final buffer in one read.

use super::scoring::{ZeroShotScoring, score_rows};
use super::wordnet::{VISUAL_LEX_FILES, WordNet};
use crate::text::{TextError, TextTokenizer, embed_text};
use photon_core::{EmbedError, Label, TextEncoder, read_labels};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"PHOTONLB";
const VERSION: u32 = 2;

/// Default prompt template; `{}` is replaced by the term.
pub const DEFAULT_TEMPLATE: &str = "a photo of a {}";

/// Text embeddings of a vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelBank {
    labels: Vec<Label>,
    dim: usize,
    vectors: Vec<f32>,
}

impl LabelBank {
    /// A bank from ready vectors (`labels.len() × dim`, row-major, unit length).
    pub fn new(labels: Vec<Label>, dim: usize, vectors: Vec<f32>) -> Option<Self> {
        (vectors.len() == labels.len() * dim).then_some(Self {
            labels,
            dim,
            vectors,
        })
    }

    /// The terms.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Embedding length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// All vectors, row-major.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True for an empty vocabulary.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The best `k` labels for `embedding` (unit length, from the image tower of the same
    /// model) with their confidences under `scoring`, best first: `(label index, confidence)`.
    pub fn score(
        &self,
        embedding: &[f32],
        scoring: ZeroShotScoring,
        k: usize,
    ) -> Vec<(usize, f32)> {
        score_rows(&self.vectors, self.dim, embedding, scoring, k)
    }

    /// The cache key of a bank: the text model's id (which includes its file's hash), the
    /// tokenizer's [fingerprint](TextTokenizer::fingerprint) (its file and the model's
    /// tokenising config), the vocabulary and the template, hashed together. A change to any of
    /// them builds a new bank.
    pub fn cache_key(
        text_model_id: &str,
        tokenizer: &TextTokenizer,
        labels: &[Label],
        template: &str,
    ) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&VERSION.to_le_bytes());
        for part in [text_model_id, tokenizer.fingerprint(), template] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        for label in labels {
            let id = label.synset.as_deref().unwrap_or("");
            hasher.update(&(id.len() as u64).to_le_bytes());
            hasher.update(id.as_bytes());
            hasher.update(&(label.name.len() as u64).to_le_bytes());
            hasher.update(label.name.as_bytes());
        }
        hasher.finalize().to_hex().to_string()
    }

    /// Embeds `template` filled with each label, `batch` prompts per encoder call, calling
    /// `progress(done, total)` after each batch.
    pub async fn build(
        encoder: &dyn TextEncoder,
        tokenizer: &TextTokenizer,
        labels: Vec<Label>,
        template: &str,
        batch: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Self, TextError> {
        let dim = encoder.spec().embedding_dim;
        let mut vectors = Vec::with_capacity(labels.len() * dim);
        for chunk in labels.chunks(batch.max(1)) {
            let prompts: Vec<String> = chunk
                .iter()
                .map(|l| template.replace("{}", &l.name))
                .collect();
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            for v in embed_text(encoder, tokenizer, &refs).await? {
                if v.len() != dim {
                    let message = format!("text embedding of {} values, want {dim}", v.len());
                    return Err(EmbedError::Backend(message.into()).into());
                }
                vectors.extend(v);
            }
            progress(vectors.len() / dim, labels.len());
        }
        Ok(Self {
            labels,
            dim,
            vectors,
        })
    }

    /// Writes the bank with its key, atomically (temporary file, then rename).
    pub fn save(&self, path: &Path, key: &str) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let labels = serde_json::to_vec(
            &self
                .labels
                .iter()
                .map(|l| (&l.synset, &l.name))
                .collect::<Vec<_>>(),
        )?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        out.write_all(&(key.len() as u64).to_le_bytes())?;
        out.write_all(key.as_bytes())?;
        for n in [self.labels.len(), self.dim, labels.len()] {
            out.write_all(&(n as u64).to_le_bytes())?;
        }
        out.write_all(&labels)?;
        for v in &self.vectors {
            out.write_all(&v.to_le_bytes())?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    }

    /// Loads a bank written by [`LabelBank::save`] if its key is `key`; `Ok(None)` for a missing,
    /// stale or unreadable file, which the caller then rebuilds.
    pub fn load(path: &Path, key: &str) -> std::io::Result<Option<Self>> {
        let mut file = match std::fs::File::open(path) {
            Ok(f) => std::io::BufReader::with_capacity(1 << 16, f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Self::read_from(&mut file, key).ok().flatten())
    }

    fn read_from(file: &mut impl Read, key: &str) -> std::io::Result<Option<Self>> {
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic)?;
        let mut word = [0u8; 4];
        file.read_exact(&mut word)?;
        if &magic != MAGIC || u32::from_le_bytes(word) != VERSION || !cfg!(target_endian = "little")
        {
            return Ok(None);
        }
        let read_u64 = |file: &mut dyn Read| -> std::io::Result<usize> {
            let mut b = [0u8; 8];
            file.read_exact(&mut b)?;
            usize::try_from(u64::from_le_bytes(b))
                .map_err(|_| std::io::ErrorKind::InvalidData.into())
        };
        let key_len = read_u64(file)?;
        if key_len != key.len() {
            return Ok(None);
        }
        let mut stored = vec![0u8; key_len];
        file.read_exact(&mut stored)?;
        if stored != key.as_bytes() {
            return Ok(None);
        }
        let (n, dim, labels_len) = (read_u64(file)?, read_u64(file)?, read_u64(file)?);
        let mut labels_json = vec![0u8; labels_len];
        file.read_exact(&mut labels_json)?;
        let pairs: Vec<(Option<String>, String)> = serde_json::from_slice(&labels_json)?;
        if pairs.len() != n {
            return Ok(None);
        }
        let count = n.checked_mul(dim).ok_or(std::io::ErrorKind::InvalidData)?;
        let mut vectors = vec![0f32; count];
        // One read straight into the final buffer (little-endian f32 on disk and in memory).
        file.read_exact(bytemuck::cast_slice_mut(&mut vectors))?;
        let labels = pairs
            .into_iter()
            .map(|(synset, name)| Label { synset, name })
            .collect();
        Ok(Some(Self {
            labels,
            dim,
            vectors,
        }))
    }

    /// Loads the cached bank for this model, vocabulary and template from `cache_dir`, or
    /// builds and caches it. Returns the bank and whether it was built.
    pub async fn load_or_build(
        cache_dir: &Path,
        encoder: &dyn TextEncoder,
        tokenizer: &TextTokenizer,
        labels: Vec<Label>,
        template: &str,
        batch: usize,
        progress: impl FnMut(usize, usize),
    ) -> Result<(Self, bool), TextError> {
        let key = Self::cache_key(&encoder.spec().id, tokenizer, &labels, template);
        let path = Self::cache_path(cache_dir, &key);
        if let Ok(Some(bank)) = Self::load(&path, &key) {
            return Ok((bank, false));
        }
        let bank = Self::build(encoder, tokenizer, labels, template, batch, progress).await?;
        // A cache that cannot be written only costs the next run a rebuild.
        let _ = bank.save(&path, &key);
        Ok((bank, true))
    }

    /// Where the bank with `key` is cached.
    pub fn cache_path(cache_dir: &Path, key: &str) -> PathBuf {
        cache_dir.join(format!("{}.labelbank", &key[..32.min(key.len())]))
    }
}

/// The default zero-shot vocabulary: WordNet nouns for things a camera sees (animals, plants,
/// artifacts, food, people, places, natural objects), each with its synset id so tags get paths.
pub fn wordnet_vocabulary(wordnet: &WordNet) -> Vec<Label> {
    let mut seen = std::collections::HashSet::new();
    wordnet
        .synsets_in(&VISUAL_LEX_FILES)
        .into_iter()
        // One prompt per distinct name: homonyms would embed identically anyway.
        .filter(|(_, name)| seen.insert(name.clone()))
        .map(|(offset, name)| Label {
            synset: Some(format!("n{offset:08}")),
            name,
        })
        .collect()
}

/// A user vocabulary: one term per line, or `synset<TAB>term` lines; blank lines and `#`
/// comments are skipped.
pub fn read_vocabulary(path: &Path) -> std::io::Result<Vec<Label>> {
    Ok(read_labels(path)?
        .into_iter()
        .filter(|l| !l.name.starts_with('#'))
        .collect())
}
