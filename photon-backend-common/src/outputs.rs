//! From an engine's `[N, ...]` outputs to one [`ModelOutput`] per image.

use photon_core::{EmbedError, ModelOutput, ModelSpec};

/// The outputs an image model must have, in the order engines fetch them: the embedding, then
/// the classifier logits when the spec has them.
pub fn output_names(spec: &ModelSpec) -> Vec<&str> {
    std::iter::once(spec.embedding_output.as_str())
        .chain(spec.logits_output.as_deref())
        .collect()
}

/// Splits an engine's `[N, ...]` output named `output` into one row per item.
pub fn split_rows(data: &[f32], n: usize, output: &str) -> Result<Vec<Vec<f32>>, EmbedError> {
    if n == 0 || !data.len().is_multiple_of(n) {
        return Err(EmbedError::Backend(
            format!("output {output} has {} values for {n} images", data.len()).into(),
        ));
    }
    Ok(data
        .chunks_exact(data.len() / n)
        .map(<[f32]>::to_vec)
        .collect())
}

/// One output per image of a batch of `n`, from the flat embedding output and, for a model
/// with a classifier head, the flat logits output.
pub fn image_outputs(
    spec: &ModelSpec,
    n: usize,
    embeddings: &[f32],
    logits: Option<&[f32]>,
) -> Result<Vec<ModelOutput>, EmbedError> {
    let embeddings = split_rows(embeddings, n, &spec.embedding_output)?;
    let logits = match (logits, &spec.logits_output) {
        (Some(data), Some(name)) => Some(split_rows(data, n, name)?),
        _ => None,
    };
    Ok(match logits {
        Some(logits) => embeddings
            .into_iter()
            .zip(logits)
            .map(|(embedding, logits)| ModelOutput::new(embedding).with_logits(logits))
            .collect(),
        None => embeddings.into_iter().map(ModelOutput::new).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_evenly_or_not_at_all() {
        assert_eq!(
            split_rows(&[1.0, 2.0, 3.0, 4.0], 2, "e").unwrap(),
            [vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        let uneven = split_rows(&[1.0, 2.0, 3.0], 2, "e").unwrap_err();
        assert!(photon_core::with_causes(&uneven).contains("output e has 3 values for 2 images"));
        assert!(split_rows(&[], 0, "e").is_err());
    }
}
