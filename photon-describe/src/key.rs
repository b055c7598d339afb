//! The API key: held, sent in a header, and never shown.

use crate::options::Provider;
use std::path::Path;

/// An API key. It has no `Display`; its `Debug` prints nothing of it; the describer puts it in
/// a header only (never in a URL or a body) and cleans it out of every text a server sends
/// back before that text reaches an error or a record.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// A key from its text, surrounding whitespace dropped; `None` when nothing is left.
    ///
    /// ```
    /// let key = photon_describe::ApiKey::new(" sk-secret\n").unwrap();
    /// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    /// assert!(photon_describe::ApiKey::new("  ").is_none());
    /// ```
    pub fn new(key: impl AsRef<str>) -> Option<Self> {
        let key = key.as_ref().trim();
        (!key.is_empty()).then(|| Self(key.to_owned()))
    }

    /// The key in the provider's variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`), if set.
    pub fn from_env(provider: Provider) -> Option<Self> {
        std::env::var(provider.key_variable())
            .ok()
            .and_then(Self::new)
    }

    /// The key in a file (its whole text, trimmed), for keys kept out of the environment.
    pub fn from_file(path: &Path) -> std::io::Result<Option<Self>> {
        Ok(Self::new(std::fs::read_to_string(path)?))
    }

    /// The key a run with the preset `preset` (see
    /// [`DescriberOptions::preset`](crate::DescriberOptions::preset)) uses: the one in `file`
    /// when given (an empty file is an error), else for the providers' own presets (`openai`,
    /// `anthropic`) the one in their variable. A local server's preset never picks a cloud key
    /// up from the environment: it would go to whatever listens at that address.
    pub fn for_preset(preset: &str, file: Option<&Path>) -> std::io::Result<Option<Self>> {
        if let Some(path) = file {
            return match Self::from_file(path)? {
                Some(key) => Ok(Some(key)),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the API key file is empty",
                )),
            };
        }
        Ok(match preset {
            "openai" => Self::from_env(Provider::OpenAi),
            "anthropic" => Self::from_env(Provider::Anthropic),
            _ => None,
        })
    }

    /// The key itself, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` without the key, nor its first 8 characters where a server echoes a key in part
    /// (`Incorrect API key provided: sk-abc12***`).
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut clean = text.replace(&self.0, "<redacted>");
        if let Some(head) = self.0.get(..8).filter(|_| self.0.len() >= 16) {
            clean = clean.replace(head, "<redacted>");
        }
        clean
    }
}

/// Removes `key` from `text`, when there is a key.
pub(crate) fn redacted(key: Option<&ApiKey>, text: &str) -> String {
    match key {
        Some(key) => key.redact(text),
        None => text.to_owned(),
    }
}
