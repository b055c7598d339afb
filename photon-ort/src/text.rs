//! The text tower of CLIP/SigLIP-style models on ONNX Runtime.

use crate::session_pool::{SessionPool, check_io, load_sessions};
use crate::{OrtError, OrtOptions, backend};
use async_trait::async_trait;
use ort::session::Session;
use ort::value::{DynValue, Tensor};
use photon_backend_common::{existing_model_file, split_rows};
use photon_core::{EmbedError, TextEncoder, TextSpec, TokenBatch, TokenType};

/// A text tower on ONNX Runtime.
pub struct OrtTextEncoder {
    spec: TextSpec,
    pool: SessionPool,
}

impl std::fmt::Debug for OrtTextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtTextEncoder")
            .field("spec", &self.spec.id)
            .finish_non_exhaustive()
    }
}

impl OrtTextEncoder {
    /// Loads `spec.model_file` into `options.sessions` sessions.
    pub fn new(spec: TextSpec, options: &OrtOptions) -> Result<Self, OrtError> {
        let file = existing_model_file(Some(&spec.model_file))?;
        let sessions = load_sessions(file, options)?;
        let inputs: Vec<&str> = std::iter::once(spec.input_ids.as_str())
            .chain(spec.attention_mask.as_deref())
            .collect();
        check_io(&sessions[0], &inputs, &[spec.output.as_str()])?;
        Ok(Self {
            spec,
            pool: SessionPool::new(sessions),
        })
    }
}

/// Runs the texts of `tokens` in runs of at most `spec.max_batch`.
fn run(
    session: &mut Session,
    spec: &TextSpec,
    tokens: TokenBatch,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let per_call = spec.max_batch.unwrap_or(tokens.len).max(1);
    let seq = tokens.seq_len;
    let mut vectors = Vec::with_capacity(tokens.len);
    for start in (0..tokens.len).step_by(per_call) {
        let rows = start..(start + per_call).min(tokens.len);
        let n = rows.len();
        let ids = &tokens.ids[rows.start * seq..rows.end * seq];
        let mask = tokens
            .attention_mask
            .as_ref()
            .map(|m| &m[rows.start * seq..rows.end * seq]);
        vectors.extend(run_rows(session, spec, n, seq, ids, mask)?);
    }
    Ok(vectors)
}

fn run_rows(
    session: &mut Session,
    spec: &TextSpec,
    n: usize,
    seq: usize,
    ids: &[i64],
    mask: Option<&[i64]>,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let shape = [n as i64, seq as i64];
    let mut inputs = vec![(spec.input_ids.clone(), token_tensor(spec, shape, ids)?)];
    if let (Some(name), Some(mask)) = (&spec.attention_mask, mask) {
        inputs.push((name.clone(), token_tensor(spec, shape, mask)?));
    }
    let outputs = session.run(inputs).map_err(backend)?;
    let (_, data) = outputs[spec.output.as_str()]
        .try_extract_tensor::<f32>()
        .map_err(backend)?;
    split_rows(data, n, &spec.output)
}

/// Token ids (or a mask) in the integer type the tower takes.
fn token_tensor(spec: &TextSpec, shape: [i64; 2], values: &[i64]) -> Result<DynValue, EmbedError> {
    match spec.input_type {
        TokenType::I32 => {
            let narrow: Vec<i32> = values.iter().map(|&v| v as i32).collect();
            Tensor::from_array((shape, narrow)).map(Tensor::into_dyn)
        }
        _ => Tensor::from_array((shape, values.to_vec())).map(Tensor::into_dyn),
    }
    .map_err(backend)
}

#[async_trait]
impl TextEncoder for OrtTextEncoder {
    fn spec(&self) -> &TextSpec {
        &self.spec
    }

    fn backend(&self) -> &str {
        "ort"
    }

    async fn encode(&self, tokens: TokenBatch) -> Result<Vec<Vec<f32>>, EmbedError> {
        let spec = self.spec.clone();
        self.pool
            .with_session(move |session| run(session, &spec, tokens))
            .await
    }
}
