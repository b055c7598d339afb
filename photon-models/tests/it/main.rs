//! photon-models' integration tests, one binary: model folders, tags, zero-shot label banks and cancellation with the model loaded.

mod cancel;
mod model_spec;
mod tagging;
mod zero_shot;
