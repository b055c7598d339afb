//! photon-serve's integration tests, one binary: the routes called in-process (no sockets),
//! with the test model folders in immich's and Hugging Face's layouts and the installed
//! EfficientNet-Lite0 in Photon's. The real-client tests (Node's fetch, the `photon serve`
//! process, SIGTERM, memory) are photon-cli's `serve` tests.

mod bad_input;
mod faces;
mod protocol;
mod support;
mod v1;
