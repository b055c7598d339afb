//! OpenAI's chat completions, as OpenAI documents them and the compatible servers accept them.

use super::{Answer, NoAnswer, malformed};
use crate::options::DescriberOptions;
use serde::Deserialize;
use serde_json::{Value, json};

/// One user message: the prompt, then the image as a base64 `data:` URL. OpenAI's own API
/// takes the answer's length as `max_completion_tokens` (its newer models refuse
/// `max_tokens`); the compatible servers know `max_tokens`.
pub(super) fn body(options: &DescriberOptions, prompt: &str, image_base64: &str) -> Value {
    let length_field = match options.is_provider_api() {
        true => "max_completion_tokens",
        false => "max_tokens",
    };
    json!({
        "model": options.model,
        length_field: options.max_tokens,
        "messages": [{
            "role": "user",
            "content": [
                {"type": "text", "text": prompt},
                {"type": "image_url", "image_url": {"url": format!("data:image/jpeg;base64,{image_base64}")}},
            ],
        }],
    })
}

/// `Authorization: Bearer KEY`, when there is a key (a local server may need none).
pub(super) fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    key.map(|key| ("authorization", format!("Bearer {key}")))
        .into_iter()
        .collect()
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    refusal: Option<String>,
}

/// A string, or (some servers) a list of text parts.
#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// The first choice's text and the usage counts; a refusal or a content filter is no answer.
pub(super) fn answer(body: &[u8]) -> Result<Answer, NoAnswer> {
    let completion: Completion = serde_json::from_slice(body).map_err(malformed)?;
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(NoAnswer::Empty);
    };
    if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
        return Err(NoAnswer::Refused(refusal));
    }
    if choice.finish_reason.as_deref() == Some("content_filter") {
        return Err(NoAnswer::Refused("stopped by the content filter".into()));
    }
    let text = match choice.message.content {
        None => String::new(),
        Some(Content::Text(text)) => text,
        Some(Content::Parts(parts)) => parts.into_iter().filter_map(|p| p.text).collect(),
    };
    let usage = completion.usage;
    Ok(Answer {
        text,
        input_tokens: usage.as_ref().and_then(|u| u.prompt_tokens),
        output_tokens: usage.as_ref().and_then(|u| u.completion_tokens),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_answers_refusals_and_filters_are_read_as_documented() {
        let ok = br#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"A dog on a beach.","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":812,"completion_tokens":7,"total_tokens":819}}"#;
        let answer = answer(ok).unwrap();
        assert_eq!(answer.text, "A dog on a beach.");
        assert_eq!(
            (answer.input_tokens, answer.output_tokens),
            (Some(812), Some(7))
        );
        let refused = br#"{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#;
        assert_eq!(
            super::answer(refused),
            Err(NoAnswer::Refused("I can't help with that.".into()))
        );
        let filtered =
            br#"{"choices":[{"message":{"content":""},"finish_reason":"content_filter"}]}"#;
        assert!(matches!(super::answer(filtered), Err(NoAnswer::Refused(_))));
        assert!(matches!(
            super::answer(br#"{"choices":[{"message":{"con"#),
            Err(NoAnswer::Malformed(_))
        ));
    }
}
