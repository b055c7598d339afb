//! immich's `entries` field: which task, which model.

use crate::error::ApiError;
use serde_json::{Map, Value};

/// What a `/predict` request asks for, of what this server answers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClipRequest {
    /// `{"clip":{"visual":{"modelName":M}}}`: an image's embedding.
    Visual { model: String },
    /// `{"clip":{"textual":{"modelName":M,"options":{...}}}}`: a text's embedding.
    Textual { model: String },
}

/// Tasks of immich's protocol that this server knows but does not run.
const UNSUPPORTED_TASKS: [&str; 2] = ["facial-recognition", "ocr"];

/// Parses `entries`: 422 for anything that is not a request this protocol has, and a 422
/// naming the task for faces and OCR, so a caller is never given a wrong or partial answer.
pub(crate) fn parse(entries: &str) -> Result<ClipRequest, ApiError> {
    let value: Value = serde_json::from_str(entries)
        .map_err(|e| ApiError::unprocessable(format!("entries is not JSON: {e}")))?;
    let tasks = value
        .as_object()
        .filter(|tasks| !tasks.is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable("entries must be an object naming at least one task")
        })?;
    if let Some(task) = UNSUPPORTED_TASKS.iter().find(|t| tasks.contains_key(**t)) {
        return Err(ApiError::unprocessable(format!(
            "{task} is not supported by this server (it answers clip only)"
        ))
        .with_task(task));
    }
    if let Some(unknown) = tasks.keys().find(|k| k.as_str() != "clip") {
        return Err(ApiError::unprocessable(format!(
            "unknown task {:?} in entries",
            unknown.chars().take(64).collect::<String>()
        )));
    }
    clip(&tasks["clip"])
}

fn clip(task: &Value) -> Result<ClipRequest, ApiError> {
    let types = task.as_object().ok_or_else(|| {
        ApiError::unprocessable("entries.clip must be an object").with_task("clip")
    })?;
    let (kind, entry) = match (types.get("visual"), types.get("textual"), types.len()) {
        (Some(entry), None, 1) => ("visual", entry),
        (None, Some(entry), 1) => ("textual", entry),
        _ => {
            return Err(ApiError::unprocessable(
                "entries.clip must hold exactly one of `visual` or `textual`",
            )
            .with_task("clip"));
        }
    };
    let model = model_name(entry.as_object(), kind)?;
    Ok(match kind {
        "visual" => ClipRequest::Visual { model },
        _ => ClipRequest::Textual { model },
    })
}

fn model_name(entry: Option<&Map<String, Value>>, kind: &str) -> Result<String, ApiError> {
    entry
        .and_then(|entry| entry.get("modelName"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::unprocessable(format!("entries.clip.{kind}.modelName must be a string"))
                .with_task("clip")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immichs_requests_parse() {
        let visual = r#"{"clip":{"visual":{"modelName":"ViT-B-32__openai"}}}"#;
        let textual = r#"{"clip":{"textual":{"modelName":"m","options":{"language":"en"}}}}"#;
        assert_eq!(
            parse(visual).unwrap(),
            ClipRequest::Visual {
                model: "ViT-B-32__openai".into()
            }
        );
        assert_eq!(
            parse(textual).unwrap(),
            ClipRequest::Textual { model: "m".into() }
        );
    }

    #[test]
    fn faces_and_ocr_are_refused_by_name() {
        let faces = r#"{"facial-recognition":{"detection":{"modelName":"buffalo_l"},"recognition":{"modelName":"buffalo_l"}}}"#;
        let error = parse(faces).unwrap_err();
        assert_eq!(
            (error.status.as_u16(), error.task.as_deref()),
            (422, Some("facial-recognition"))
        );
        let both = r#"{"clip":{"visual":{"modelName":"m"}},"ocr":{}}"#;
        assert_eq!(parse(both).unwrap_err().task.as_deref(), Some("ocr"));
    }

    #[test]
    fn malformed_entries_are_422() {
        for bad in [
            "",
            "[]",
            "{}",
            "{\"clip\":1}",
            "{\"clip\":{}}",
            "{\"clip\":{\"visual\":{}}}",
            "{\"clip\":{\"visual\":{\"modelName\":3}}}",
            "{\"x\":{}}",
            "{\"clip\":{\"visual\":{\"modelName\":\"a\"},\"textual\":{\"modelName\":\"a\"}}}",
        ] {
            assert_eq!(parse(bad).unwrap_err().status.as_u16(), 422, "{bad}");
        }
    }
}
