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

/// `{"facial-recognition":{"detection":{"modelName":M,"options":{"minScore":S}},
/// "recognition":{"modelName":M}}}`: the faces of an image.
#[derive(Debug, PartialEq)]
pub(crate) struct FaceRequest {
    /// The face model folder (detector and recognition model are one pack).
    pub model: String,
    /// The detector's threshold (immich's default 0.7 when not sent).
    pub min_score: f32,
}

/// The tasks of one request: immich sends one at a time, its protocol allows both.
#[derive(Debug, PartialEq, Default)]
pub(crate) struct Tasks {
    pub clip: Option<ClipRequest>,
    pub faces: Option<FaceRequest>,
}

/// Tasks of immich's protocol that this server knows but does not run.
const UNSUPPORTED_TASKS: [&str; 1] = ["ocr"];

const FACES: &str = "facial-recognition";

/// immich's default detector score.
const DEFAULT_MIN_SCORE: f32 = 0.7;

/// Parses `entries`: 422 for anything that is not a request this protocol has, and a 422
/// naming the task for OCR, so a caller is never given a wrong or partial answer.
pub(crate) fn parse(entries: &str) -> Result<Tasks, ApiError> {
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
    if let Some(unknown) = tasks.keys().find(|k| !matches!(k.as_str(), "clip" | FACES)) {
        return Err(ApiError::unprocessable(format!(
            "unknown task {:?} in entries",
            unknown.chars().take(64).collect::<String>()
        )));
    }
    Ok(Tasks {
        clip: tasks.get("clip").map(clip).transpose()?,
        faces: tasks.get(FACES).map(faces).transpose()?,
    })
}

fn faces(task: &Value) -> Result<FaceRequest, ApiError> {
    let refuse = |message: String| ApiError::unprocessable(message).with_task(FACES);
    let part = |name: &str| {
        task.get(name)
            .and_then(Value::as_object)
            .ok_or_else(|| refuse(format!("entries.{FACES}.{name} must be an object")))
    };
    let (detection, recognition) = (part("detection")?, part("recognition")?);
    let name = |entry: &Map<String, Value>, part: &str| {
        entry
            .get("modelName")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refuse(format!("entries.{FACES}.{part}.modelName must be a string")))
    };
    let model = name(detection, "detection")?;
    let recognizer = name(recognition, "recognition")?;
    if model != recognizer {
        return Err(refuse(format!(
            "detection ({model:?}) and recognition ({recognizer:?}) must name the same face \
             model folder here, as immich's packs do"
        )));
    }
    let min_score = match detection.get("options").and_then(|o| o.get("minScore")) {
        None | Some(Value::Null) => DEFAULT_MIN_SCORE,
        Some(score) => score
            .as_f64()
            .filter(|s| (0.0..=1.0).contains(s))
            .ok_or_else(|| {
                refuse(format!(
                    "minScore must be a number from 0 to 1, not {score}"
                ))
            })? as f32,
    };
    Ok(FaceRequest { model, min_score })
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
            parse(visual).unwrap().clip,
            Some(ClipRequest::Visual {
                model: "ViT-B-32__openai".into()
            })
        );
        assert_eq!(
            parse(textual).unwrap().clip,
            Some(ClipRequest::Textual { model: "m".into() })
        );
        let faces = r#"{"facial-recognition":{"detection":{"modelName":"buffalo_l","options":{"minScore":0.5}},"recognition":{"modelName":"buffalo_l"}}}"#;
        assert_eq!(
            parse(faces).unwrap(),
            Tasks {
                clip: None,
                faces: Some(FaceRequest {
                    model: "buffalo_l".into(),
                    min_score: 0.5
                })
            }
        );
        let default = r#"{"facial-recognition":{"detection":{"modelName":"b"},"recognition":{"modelName":"b"}}}"#;
        assert_eq!(parse(default).unwrap().faces.unwrap().min_score, 0.7);
    }

    #[test]
    fn ocr_and_mismatched_face_models_are_refused_by_name() {
        let both = r#"{"clip":{"visual":{"modelName":"m"}},"ocr":{}}"#;
        assert_eq!(parse(both).unwrap_err().task.as_deref(), Some("ocr"));
        for bad in [
            r#"{"facial-recognition":{"detection":{"modelName":"a"},"recognition":{"modelName":"b"}}}"#,
            r#"{"facial-recognition":{"detection":{"modelName":"a"}}}"#,
            r#"{"facial-recognition":{"detection":{"modelName":"a","options":{"minScore":2}},"recognition":{"modelName":"a"}}}"#,
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(
                (error.status.as_u16(), error.task.as_deref()),
                (422, Some("facial-recognition")),
                "{bad}"
            );
        }
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
