//! The text tower of CLIP/SigLIP-style models on tract: optimised for one sequence of the
//! model's fixed length, run text by text (as images are, see [`crate::BatchPlan`]).

use crate::{TractError, TractOptions, backend};
use async_trait::async_trait;
use photon_backend_common::{BatchSlots, existing_model_file, split_rows};
use photon_core::{EmbedError, TextEncoder, TextSpec, TokenBatch, TokenType};
use std::path::Path;
use std::sync::Arc;
use tract_onnx::prelude::*;

/// A text tower on tract.
pub struct TractTextEncoder {
    spec: TextSpec,
    plan: Arc<TypedRunnableModel>,
    slots: BatchSlots,
}

impl std::fmt::Debug for TractTextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractTextEncoder")
            .field("spec", &self.spec.id)
            .finish_non_exhaustive()
    }
}

impl TractTextEncoder {
    /// Loads and optimises `spec.model_file` for token inputs `[1, max_len]`.
    pub fn new(spec: TextSpec, options: &TractOptions) -> Result<Self, TractError> {
        let file = existing_model_file(Some(&spec.model_file))?.to_path_buf();
        crate::set_matmul_threads(options.matmul_threads);
        let plan = text_plan(&file, &spec).map_err(|e| TractError::Prepare {
            file,
            message: format!("{e:#}"),
        })?;
        Ok(Self {
            spec,
            plan,
            slots: BatchSlots::new(options.concurrent_batches),
        })
    }
}

/// The optimised plan of a text tower: token ids (and mask) `[1, max_len]`, the spec's output.
fn text_plan(file: &Path, spec: &TextSpec) -> TractResult<Arc<TypedRunnableModel>> {
    let mut model = crate::onnx_reader().model_for_path(file)?;
    let names: Vec<&str> = std::iter::once(spec.input_ids.as_str())
        .chain(spec.attention_mask.as_deref())
        .collect();
    for name in &names {
        crate::set_input_fact(
            &mut model,
            name,
            InferenceFact::dt_shape(token_datum(spec), tvec![1, spec.max_len]),
        )?;
    }
    model.select_outputs_by_name([spec.output.as_str()])?;
    model.into_optimized()?.into_runnable()
}

fn run(
    plan: &Arc<TypedRunnableModel>,
    spec: &TextSpec,
    tokens: &TokenBatch,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut vectors = Vec::with_capacity(tokens.len);
    for i in 0..tokens.len {
        let range = i * tokens.seq_len..(i + 1) * tokens.seq_len;
        let ids = token_tensor(spec, &tokens.ids[range.clone()])?;
        let mut inputs: TVec<TValue> = tvec![ids.into()];
        if let (Some(_), Some(mask)) = (&spec.attention_mask, &tokens.attention_mask) {
            inputs.push(token_tensor(spec, &mask[range])?.into());
        }
        let outputs = plan.run(inputs).map_err(backend)?;
        let view = outputs[0].to_plain_array_view::<f32>().map_err(backend)?;
        let data: Vec<f32> = view.iter().copied().collect();
        vectors.extend(split_rows(&data, 1, &spec.output)?);
    }
    Ok(vectors)
}

/// The tensor type of the tower's token inputs.
fn token_datum(spec: &TextSpec) -> DatumType {
    match spec.input_type {
        TokenType::I32 => i32::datum_type(),
        _ => i64::datum_type(),
    }
}

/// One sequence `[1, len]` in the tower's integer type.
fn token_tensor(spec: &TextSpec, values: &[i64]) -> Result<Tensor, EmbedError> {
    let shape = [1, values.len()];
    match spec.input_type {
        TokenType::I32 => {
            let narrow: Vec<i32> = values.iter().map(|&v| v as i32).collect();
            Tensor::from_shape(&shape, &narrow)
        }
        _ => Tensor::from_shape(&shape, values),
    }
    .map_err(backend)
}

#[async_trait]
impl TextEncoder for TractTextEncoder {
    fn spec(&self) -> &TextSpec {
        &self.spec
    }

    fn backend(&self) -> &str {
        "tract"
    }

    async fn encode(&self, tokens: TokenBatch) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (plan, spec) = (self.plan.clone(), self.spec.clone());
        self.slots.run(move || run(&plan, &spec, &tokens)).await
    }
}
