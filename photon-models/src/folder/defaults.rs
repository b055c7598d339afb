//! transformers' defaults for the `config.json` fields Photon reads. transformers saves only the
//! values that differ from its configuration classes' defaults, so a published folder (e.g.
//! google/siglip-base-patch16-224) may list nothing but `model_type`s; these are the values
//! transformers itself would then use. docs/models.md shows the same table.

/// One tower's section of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tower {
    /// `vision_config`, or the whole file for a vision-only config.
    Vision,
    /// `text_config`.
    Text,
}

/// The configuration classes Photon knows, by `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigClass {
    /// `siglip`: `SiglipTextConfig`, `SiglipVisionConfig`.
    Siglip,
    /// `siglip2`: `Siglip2TextConfig`, `Siglip2VisionConfig`.
    Siglip2,
    /// `clip`: `CLIPTextConfig`, `CLIPVisionConfig`, `CLIPConfig`.
    Clip,
}

impl ConfigClass {
    /// The class a `model_type` names (`siglip_vision_model` and the like included).
    pub(crate) fn from_model_type(model_type: &str) -> Option<Self> {
        if model_type.starts_with("siglip2") {
            Some(Self::Siglip2)
        } else if model_type.starts_with("siglip") {
            Some(Self::Siglip)
        } else if model_type.contains("clip") {
            Some(Self::Clip)
        } else {
            None
        }
    }

    /// Where the defaults of `tower` are defined.
    pub(crate) fn source(self, tower: Tower) -> &'static str {
        match (self, tower) {
            (Self::Siglip, Tower::Text) => "transformers SiglipTextConfig",
            (Self::Siglip, Tower::Vision) => "transformers SiglipVisionConfig",
            (Self::Siglip2, Tower::Text) => "transformers Siglip2TextConfig",
            (Self::Siglip2, Tower::Vision) => "transformers Siglip2VisionConfig",
            (Self::Clip, Tower::Text) => "transformers CLIPTextConfig",
            (Self::Clip, Tower::Vision) => "transformers CLIPVisionConfig",
        }
    }
}

/// transformers' default of `key` in `tower`'s configuration class, if it has one.
pub(crate) fn transformers_default(class: ConfigClass, tower: Tower, key: &str) -> Option<u64> {
    use ConfigClass::*;
    use Tower::*;
    let value = match (class, tower, key) {
        // SigLIP and SigLIP 2 share their text defaults. Their token ids are CLIP's, which do not
        // exist in SigLIP's 32k vocabulary: the tokenizer's own special tokens come first.
        (Siglip | Siglip2, Text, "hidden_size") => 768,
        (Siglip | Siglip2, Text, "max_position_embeddings") => 64,
        (Siglip | Siglip2, Text, "vocab_size") => 32000,
        (Siglip | Siglip2, Text, "pad_token_id") => 1,
        (Siglip | Siglip2, Text, "bos_token_id") => 49406,
        (Siglip | Siglip2, Text, "eos_token_id") => 49407,
        (Siglip | Siglip2, Vision, "hidden_size") => 768,
        (Siglip | Siglip2, Vision, "patch_size") => 16,
        (Siglip, Vision, "image_size") => 224,
        (Siglip2, Vision, "num_patches") => 256,
        (Clip, Text, "hidden_size") => 512,
        (Clip, Text, "max_position_embeddings") => 77,
        (Clip, Text, "vocab_size") => 49408,
        (Clip, Text, "pad_token_id") => 1,
        (Clip, Text, "bos_token_id") => 49406,
        (Clip, Text, "eos_token_id") => 49407,
        (Clip, _, "projection_dim") => 512,
        (Clip, Vision, "hidden_size") => 768,
        (Clip, Vision, "image_size") => 224,
        (Clip, Vision, "patch_size") => 32,
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transformers_defaults_as_its_configuration_classes_define_them() {
        let siglip = ConfigClass::from_model_type("siglip_text_model").unwrap();
        assert_eq!(siglip, ConfigClass::Siglip);
        assert_eq!(
            transformers_default(siglip, Tower::Text, "max_position_embeddings"),
            Some(64)
        );
        assert_eq!(
            transformers_default(siglip, Tower::Text, "pad_token_id"),
            Some(1)
        );
        assert_eq!(
            transformers_default(siglip, Tower::Vision, "hidden_size"),
            Some(768)
        );
        assert_eq!(
            transformers_default(siglip, Tower::Vision, "image_size"),
            Some(224)
        );
        let clip = ConfigClass::from_model_type("clip").unwrap();
        assert_eq!(
            transformers_default(clip, Tower::Text, "max_position_embeddings"),
            Some(77)
        );
        assert_eq!(
            transformers_default(clip, Tower::Text, "eos_token_id"),
            Some(49407)
        );
        assert_eq!(
            transformers_default(clip, Tower::Vision, "projection_dim"),
            Some(512)
        );
        assert_eq!(
            transformers_default(clip, Tower::Vision, "patch_size"),
            Some(32)
        );
        let siglip2 = ConfigClass::from_model_type("siglip2").unwrap();
        assert_eq!(
            transformers_default(siglip2, Tower::Vision, "num_patches"),
            Some(256)
        );
        assert_eq!(
            transformers_default(siglip2, Tower::Vision, "image_size"),
            None
        );
        assert_eq!(ConfigClass::from_model_type("bert"), None);
    }
}
