//! Reading immich's multipart form, with bounds on each field.

use crate::error::ApiError;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::http::StatusCode;

/// Longest `entries` JSON; immich's are under 200 bytes.
const MAX_ENTRIES_BYTES: usize = 64 << 10;
/// Longest `text` query; CLIP reads 77 tokens, SigLIP 64.
const MAX_TEXT_BYTES: usize = 64 << 10;

/// The fields of a `/predict` request.
#[derive(Debug, Default)]
pub(crate) struct PredictForm {
    pub entries: Option<String>,
    pub image: Option<Vec<u8>>,
    pub text: Option<String>,
}

/// Reads the form, refusing fields immich's protocol does not have, fields sent twice, and
/// fields longer than their bound.
pub(crate) async fn read_predict_form(mut form: Multipart) -> Result<PredictForm, ApiError> {
    let mut read = PredictForm::default();
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let duplicate = match name.as_str() {
            "entries" => read
                .entries
                .replace(text(field, "entries", MAX_ENTRIES_BYTES).await?)
                .is_some(),
            "text" => read
                .text
                .replace(text(field, "text", MAX_TEXT_BYTES).await?)
                .is_some(),
            "image" => read
                .image
                .replace(field.bytes().await.map_err(malformed)?.to_vec())
                .is_some(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown form field {:?}: immich's protocol sends `entries` with `image` or `text`",
                    name.chars().take(64).collect::<String>()
                )));
            }
        };
        if duplicate {
            return Err(ApiError::bad_request(format!(
                "form field {name:?} sent twice"
            )));
        }
    }
    Ok(read)
}

async fn text(mut field: Field<'_>, name: &str, limit: usize) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("form field {name:?} is longer than {} KiB", limit >> 10),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(format!("form field {name:?} is not UTF-8")))
}

/// A body that is not a whole multipart form (cut short, a broken boundary, over the size
/// limit), with the status the multipart parser gives it.
fn malformed(error: MultipartError) -> ApiError {
    ApiError::new(
        error.status(),
        format!("malformed multipart body: {}", error.body_text()),
    )
}

/// A request that is not a multipart form at all (another content type, no boundary).
pub(crate) fn not_multipart(rejection: MultipartRejection) -> ApiError {
    ApiError::new(
        rejection.status(),
        format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ),
    )
}
