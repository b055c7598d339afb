//! photon-faces integration tests: one binary.
mod reference;
