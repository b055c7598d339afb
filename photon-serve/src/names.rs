//! Model names from requests into folders under the models folder, and never outside it.

use crate::error::ApiError;
use std::path::{Path, PathBuf};

/// Longest model name accepted; immich's longest is under 50 characters.
const MAX_NAME_LEN: usize = 128;

/// The prefix immich's settings may carry (its Hugging Face organisation); its ML service
/// strips it too.
const IMMICH_ORG: &str = "immich-app/";

/// The folder of the model `name` for immich's `task` (`clip`, `facial-recognition`):
/// `<models>/<task>/<name>` (immich's cache layout) if it exists, else `<models>/<name>`. The
/// name is one plain path component (letters, digits, `-`, `_`, `.`, not starting with a dot),
/// and the folder found, symlinks resolved, lies inside the models folder.
pub(crate) fn resolve(models: &Path, task: &str, name: &str) -> Result<PathBuf, ApiError> {
    let name = name.strip_prefix(IMMICH_ORG).unwrap_or(name);
    check_name(name)?;
    let root = models
        .canonicalize()
        .map_err(|e| ApiError::internal(format!("models folder {}: {e}", models.display())))?;
    for candidate in [models.join(task).join(name), models.join(name)] {
        let Ok(real) = candidate.canonicalize() else {
            continue;
        };
        if !real.starts_with(&root) {
            return Err(ApiError::bad_request(format!(
                "model name {name:?} leads outside the models folder"
            )));
        }
        if real.is_dir() {
            return Ok(real);
        }
    }
    Err(ApiError::not_found(format!(
        "no model {name:?} in the models folder (looked for {task}/{name} and {name})"
    )))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.starts_with('.') || !plain {
        return Err(ApiError::bad_request(format!(
            "model name {:?} is not a plain folder name (letters, digits, '-', '_', '.'; at most {MAX_NAME_LEN})",
            truncate(name)
        )));
    }
    Ok(())
}

/// A name as quoted back in an error, cut so a huge one does not make a huge answer.
fn truncate(name: &str) -> String {
    name.chars().take(MAX_NAME_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_separators_or_dots_first_are_refused() {
        for bad in [
            "..", "../x", "/etc", "a/b", ".hidden", "a\\b", "", "x\0y", "a b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "ViT-B-32__openai",
            "nllb-clip-base-siglip__v1",
            "efficientnet-lite0",
            "m.v2",
        ] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }
}
