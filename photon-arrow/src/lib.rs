//! Photon's records as columns: Arrow record batches, and Parquet files that DuckDB, pyarrow,
//! Polars, LanceDB, Spark and BigQuery read as they are.
//!
//! Kept out of `photon-core` so that the core stays light; the `photon` CLI uses it for
//! `-o out.parquet` and `photon convert`.
//!
//! # The roles
//!
//! - A [`RecordSchema`] is the Arrow schema of a table of records for one model: one column per
//!   record field, the embedding as `FixedSizeList<Float32, dim>` (the vector type of LanceDB
//!   and other vector stores, so no cast is needed before a search), the thumbnail as its JPEG
//!   bytes, and metadata naming the writer, the model and the embedding's length.
//! - A [`RecordBatchBuilder`] turns [`Record`](photon_core::Record)s into `RecordBatch`es
//!   ([`to_record_batch`] for a slice at once); [`records_from_batch`] turns them back.
//! - A [`ParquetSink`] is a [`Sink`](photon_core::Sink) writing Parquet (zstd, dictionaries on
//!   repeated strings, row groups sized by bytes) in parts that survive a `SIGKILL`, merged
//!   into one file at the end; [`ParquetSink::resume`] continues an interrupted run.
//! - [`read_records`] reads records back from either format, told apart by content, and
//!   [`convert`] copies a file from one format into the other, losslessly.
//!
//! ```no_run
//! use photon_arrow::{ParquetOptions, ParquetSink, RecordSchema};
//! use photon_core::{Pipeline, RunOptions, WalkOptions, walk};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pipeline = Pipeline::builder().build(); // no model: no embedding column
//! let inputs = futures_util::stream::iter(walk(["photos"], &WalkOptions::default()));
//! let schema = RecordSchema::without_model();
//! let mut sink = ParquetSink::create("photos.parquet".as_ref(), schema, ParquetOptions::default())?;
//! pipeline.run_into(inputs, RunOptions::default(), &mut sink).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod convert;
mod description;
mod error;
mod faces;
mod files;
mod from_arrow;
mod merge;
mod parts;
mod read;
mod schema;
mod sink;
mod struct_list;
mod to_arrow;

pub use convert::{Converted, convert};
pub use error::ArrowRecordError;
pub use from_arrow::records_from_batch;
pub use read::{RecordFormat, RecordReader, read_records};
pub use schema::{
    META_EMBEDDING_DIM, META_FACE_EMBEDDING_DIM, META_MODEL_ID, META_PHOTON_VERSION,
    META_SCHEMA_VERSION, RecordSchema,
};
pub use sink::{ParquetOptions, ParquetResume, ParquetSink};
pub use to_arrow::{RecordBatchBuilder, to_record_batch};
