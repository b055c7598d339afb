//! The `photon` command's integration tests, one binary: each module runs the built command as a user would.

mod bounded_memory;
mod cli;
mod crash_resume;
mod describe;
mod driver_flags;
mod faces;
mod hostile_corpus;
mod llama_server;
mod model_folders;
mod parquet;
mod people;
mod quantize;
mod references;
mod resume_failures;
mod robustness;
mod serve;
mod similar_images;
