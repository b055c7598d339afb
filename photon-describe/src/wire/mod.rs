//! The providers' wire formats: the request each wants, and its answer read back.

mod anthropic;
mod openai;

use crate::options::{DescriberOptions, Provider};
use base64::Engine;
use photon_core::DescribeImage;
use serde::Deserialize;

/// What a provider answered, read from its documented shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) text: String,
    pub(crate) input_tokens: Option<u64>,
    pub(crate) output_tokens: Option<u64>,
}

/// Why a successful response is no description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoAnswer {
    /// The model declined (a refusal, a content filter), with what it said.
    Refused(String),
    /// It answered with no text.
    Empty,
    /// The body is not the provider's shape: JSON cut short, or another format.
    Malformed(String),
}

/// The JSON body of a request describing `image` with `prompt`.
pub(crate) fn request_body(
    options: &DescriberOptions,
    prompt: &str,
    image: &DescribeImage,
) -> Vec<u8> {
    let image = base64::engine::general_purpose::STANDARD.encode(&image.jpeg);
    let body = match options.provider {
        Provider::OpenAi => openai::body(options, prompt, &image),
        Provider::Anthropic => anthropic::body(options, prompt, &image),
    };
    serde_json::to_vec(&body).expect("a JSON value serialises")
}

/// The request's headers besides the content type: the key's header, and the API version for
/// Anthropic. The key goes nowhere else.
pub(crate) fn headers(provider: Provider, key: Option<&str>) -> Vec<(&'static str, String)> {
    match provider {
        Provider::OpenAi => openai::headers(key),
        Provider::Anthropic => anthropic::headers(key),
    }
}

/// The description in a successful response body.
pub(crate) fn answer(provider: Provider, body: &[u8]) -> Result<Answer, NoAnswer> {
    let answer = match provider {
        Provider::OpenAi => openai::answer(body)?,
        Provider::Anthropic => anthropic::answer(body)?,
    };
    let text = answer.text.trim();
    match text.is_empty() {
        true => Err(NoAnswer::Empty),
        false => Ok(Answer {
            text: text.to_owned(),
            ..answer
        }),
    }
}

/// The message of an error body, in the shape every provider here uses
/// (`{"error": {"message": ...}}`, Anthropic's with a `type` beside it, or a bare
/// `{"error": "..."}`), else the body's first 300 characters.
pub(crate) fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ErrorField {
        Object { message: String },
        Text(String),
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorField,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: ErrorField::Object { message } | ErrorField::Text(message),
        }) => message,
        Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

/// A body that did not parse as the provider's answer.
fn malformed(error: serde_json::Error) -> NoAnswer {
    NoAnswer::Malformed(format!("the answer is not the provider's JSON: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_read_from_every_shape() {
        let openai = br#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#;
        assert_eq!(error_message(openai), "The model `x` does not exist");
        let anthropic =
            br#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#;
        assert_eq!(error_message(anthropic), "model: x");
        assert_eq!(
            error_message(br#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
    }
}
