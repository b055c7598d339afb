//! The text tower of CLIP/SigLIP-style models on ONNX Runtime.

use crate::session_pool::{SessionPool, check_io, load_sessions};
use crate::{OrtError, OrtOptions, backend};
use async_trait::async_trait;
use ort::session::Session;
use ort::value::Tensor;
use photon_backend_common::{existing_model_file, split_rows};
use photon_core::{EmbedError, TextEncoder, TextSpec, TokenBatch};

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

fn run(
    session: &mut Session,
    spec: &TextSpec,
    tokens: TokenBatch,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let shape = [tokens.len as i64, tokens.seq_len as i64];
    let ids = Tensor::from_array((shape, tokens.ids)).map_err(backend)?;
    let outputs = match (&spec.attention_mask, tokens.attention_mask) {
        (Some(name), Some(mask)) => {
            let mask = Tensor::from_array((shape, mask)).map_err(backend)?;
            session.run(ort::inputs![spec.input_ids.as_str() => ids, name.as_str() => mask])
        }
        _ => session.run(ort::inputs![spec.input_ids.as_str() => ids]),
    }
    .map_err(backend)?;
    let (_, data) = outputs[spec.output.as_str()]
        .try_extract_tensor::<f32>()
        .map_err(backend)?;
    split_rows(data, tokens.len, &spec.output)
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
