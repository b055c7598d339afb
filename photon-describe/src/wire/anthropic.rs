//! Anthropic's Messages API, as Anthropic documents it.

use super::{Answer, NoAnswer, malformed};
use crate::options::DescriberOptions;
use serde::Deserialize;
use serde_json::{Value, json};

/// The API version the request and answer shapes here follow.
const API_VERSION: &str = "2023-06-01";

/// One user message: the image as a base64 block first (Anthropic's advice: image before the
/// question), then the prompt.
pub(super) fn body(options: &DescriberOptions, prompt: &str, image_base64: &str) -> Value {
    json!({
        "model": options.model,
        "max_tokens": options.max_tokens,
        "messages": [{
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": image_base64}},
                {"type": "text", "text": prompt},
            ],
        }],
    })
}

/// `x-api-key` (when there is a key) and `anthropic-version`.
pub(super) fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("anthropic-version", API_VERSION.to_owned())];
    if let Some(key) = key {
        headers.push(("x-api-key", key.to_owned()));
    }
    headers
}

#[derive(Deserialize)]
struct Message {
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

/// The text blocks joined, and the usage counts; a `refusal` stop is no answer.
pub(super) fn answer(body: &[u8]) -> Result<Answer, NoAnswer> {
    let message: Message = serde_json::from_slice(body).map_err(malformed)?;
    let text: String = message
        .content
        .into_iter()
        .filter(|block| block.kind == "text")
        .filter_map(|block| block.text)
        .collect();
    if message.stop_reason.as_deref() == Some("refusal") {
        return Err(NoAnswer::Refused(text));
    }
    Ok(Answer {
        text,
        input_tokens: message.usage.as_ref().and_then(|u| u.input_tokens),
        output_tokens: message.usage.as_ref().and_then(|u| u.output_tokens),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_messages_and_refusals_are_read_as_documented() {
        let ok = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Two kids build a sandcastle at dusk."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1130,"output_tokens":11}}"#;
        let answer = answer(ok).unwrap();
        assert_eq!(answer.text, "Two kids build a sandcastle at dusk.");
        assert_eq!(
            (answer.input_tokens, answer.output_tokens),
            (Some(1130), Some(11))
        );
        let refused = br#"{"content":[],"stop_reason":"refusal","usage":{"input_tokens":5,"output_tokens":0}}"#;
        assert!(matches!(super::answer(refused), Err(NoAnswer::Refused(_))));
    }
}
