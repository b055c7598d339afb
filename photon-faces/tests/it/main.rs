//! photon-faces integration tests: one binary.
mod engines;
mod reference;
