//! Engine parity tests, one binary: ONNX Runtime and tract against each other and against Python references.

mod efficientnet;
mod text;
mod tiny_vit;
