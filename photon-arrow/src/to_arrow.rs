//! Records into columns: [`RecordBatchBuilder`].

use crate::error::ArrowRecordError;
use crate::schema::{RecordSchema, error_fields, exif_fields, model_fields, tag_fields};
use arrow_array::builder::BinaryBuilder;
use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, UInt8Array, UInt32Array,
};
use arrow_buffer::NullBuffer;
use base64::Engine as _;
use photon_core::{ErrorRecord, ExifFields, ImageRecord, Record, Tag};
use std::sync::Arc;

/// Gathers records and turns them into one [`RecordBatch`] of a [`RecordSchema`].
///
/// ```
/// use photon_arrow::{RecordBatchBuilder, RecordSchema};
/// use photon_core::{ItemError, Record, Stage};
///
/// let mut builder = RecordBatchBuilder::new(RecordSchema::without_model());
/// builder.push(Record::failed("a.jpg", ItemError::new(Stage::Decode, "truncated", "cut")))?;
/// let batch = builder.finish()?;
/// assert_eq!(batch.num_rows(), 1);
/// assert!(batch.column_by_name("width").unwrap().is_null(0));
/// # Ok::<(), photon_arrow::ArrowRecordError>(())
/// ```
#[derive(Debug)]
pub struct RecordBatchBuilder {
    schema: RecordSchema,
    records: Vec<Record>,
    bytes: usize,
}

impl RecordBatchBuilder {
    /// An empty builder for tables of `schema`.
    pub fn new(schema: RecordSchema) -> Self {
        Self {
            schema,
            records: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a record. One that does not fit the schema (an embedding of another length, or
    /// one from another model) is refused here, so that [`finish`](Self::finish) cannot fail
    /// on it later.
    pub fn push(&mut self, record: Record) -> Result<(), ArrowRecordError> {
        if let Record::Image(image) = &record {
            check_embedding(&self.schema, image)?;
            crate::faces::check_faces(image, self.schema.face_embedding_dim())?;
        }
        self.bytes += approximate_size(&record);
        self.records.push(record);
        Ok(())
    }

    /// Records gathered so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no record was pushed since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Roughly how many bytes the gathered records will take as columns, for deciding when to
    /// write them out.
    pub fn approximate_bytes(&self) -> usize {
        self.bytes
    }

    /// The schema the batches follow.
    pub fn schema(&self) -> &RecordSchema {
        &self.schema
    }

    /// Turns the gathered records into a batch, and starts over empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowRecordError> {
        let records = std::mem::take(&mut self.records);
        self.bytes = 0;
        to_record_batch(&self.schema, &records)
    }
}

fn check_embedding(schema: &RecordSchema, image: &ImageRecord) -> Result<(), ArrowRecordError> {
    let Some(embedding) = &image.embedding else {
        return Ok(());
    };
    let Some(dim) = schema.embedding_dim() else {
        return Err(ArrowRecordError::record(
            &image.file_path,
            "has an embedding, but the table was made for records without a model",
        ));
    };
    if embedding.len() != dim {
        return Err(ArrowRecordError::record(
            &image.file_path,
            format!(
                "embedding of {} floats in a table of {dim}-float embeddings",
                embedding.len()
            ),
        ));
    }
    let record_model = image.model.as_ref().map(|m| m.id.as_str());
    if record_model.is_some() && record_model != schema.model_id() {
        return Err(ArrowRecordError::record(
            &image.file_path,
            format!(
                "embedded by {}, in a table of {} embeddings",
                record_model.unwrap_or_default(),
                schema.model_id().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

fn approximate_size(record: &Record) -> usize {
    let Record::Image(image) = record else {
        return 256;
    };
    let thumbnail = image.thumbnail.as_ref().map_or(0, |t| t.len() * 3 / 4);
    let embedding = image.embedding.as_ref().map_or(0, |e| e.len() * 4);
    let tags = image.tags.as_ref().map_or(0, |t| t.len() * 64);
    let faces = image.faces.as_ref().map_or(0, |faces| {
        faces.iter().map(|f| 64 + f.embedding.len() * 4).sum()
    });
    let description = image.description.as_ref().map_or(0, |d| 64 + d.text.len());
    512 + thumbnail + embedding + tags + faces + description
}

/// The batch of `records` under `schema`: one row per record, in order.
pub fn to_record_batch(
    schema: &RecordSchema,
    records: &[Record],
) -> Result<RecordBatch, ArrowRecordError> {
    let rows = Rows(records);
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(
            records.iter().map(schema_version),
        )),
        Arc::new(StringArray::from_iter_values(
            records.iter().map(Record::file_path),
        )),
        rows.strings(|i| i.file_name.as_deref(), |_| None),
        rows.int64(|i| Some(to_i64(i.file_size)), |e| e.file_size.map(to_i64)),
        rows.int64(|i| i.file_mtime_ns, |e| e.file_mtime_ns),
        rows.strings(
            |i| Some(i.content_hash.as_str()),
            |e| e.content_hash.as_deref(),
        ),
        rows.uint32(|i| Some(i.width)),
        rows.uint32(|i| Some(i.height)),
        rows.strings(|i| Some(i.format.as_str()), |_| None),
        rows.strings(|i| i.decoded_from.map(|d| d.as_str()), |_| None),
        Arc::new(exif_column(records)),
        rows.strings(|i| i.perceptual_hash.as_deref(), |_| None),
        Arc::new(thumbnail_column(records)?),
        rows.strings(|i| i.thumbnail_path.as_deref(), |_| None),
    ];
    if let Some(dim) = schema.embedding_dim() {
        columns.push(Arc::new(embedding_column(records, dim)?));
    }
    columns.extend([
        Arc::new(tags_column(records)?) as ArrayRef,
        Arc::new(model_column(records)?),
        Arc::new(error_column(records)?),
        Arc::new(crate::faces::errors_column(records)?),
        Arc::new(crate::description::description_column(records)?),
    ]);
    if let Some(dim) = schema.face_embedding_dim() {
        columns.extend([
            Arc::new(crate::faces::faces_column(records, dim)?) as ArrayRef,
            Arc::new(crate::faces::faces_found_column(records)),
        ]);
    }
    Ok(RecordBatch::try_new(schema.arrow().clone(), columns)?)
}

fn schema_version(record: &Record) -> u32 {
    match record {
        Record::Image(i) => i.schema_version,
        Record::Error(e) => e.schema_version,
    }
}

/// Sizes past i64 (8 EiB) do not exist; saturate rather than fail.
fn to_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn image(record: &Record) -> Option<&ImageRecord> {
    match record {
        Record::Image(image) => Some(image),
        Record::Error(_) => None,
    }
}

fn failure(record: &Record) -> Option<&ErrorRecord> {
    match record {
        Record::Error(error) => Some(error),
        Record::Image(_) => None,
    }
}

/// Column makers over the records, each field read from the image or the error record.
struct Rows<'a>(&'a [Record]);

impl<'a> Rows<'a> {
    fn strings(
        &self,
        of_image: impl Fn(&'a ImageRecord) -> Option<&'a str>,
        of_error: impl Fn(&'a ErrorRecord) -> Option<&'a str>,
    ) -> ArrayRef {
        Arc::new(StringArray::from_iter(self.0.iter().map(|r| match r {
            Record::Image(i) => of_image(i),
            Record::Error(e) => of_error(e),
        })))
    }

    fn int64(
        &self,
        of_image: impl Fn(&ImageRecord) -> Option<i64>,
        of_error: impl Fn(&ErrorRecord) -> Option<i64>,
    ) -> ArrayRef {
        Arc::new(Int64Array::from_iter(self.0.iter().map(|r| match r {
            Record::Image(i) => of_image(i),
            Record::Error(e) => of_error(e),
        })))
    }

    fn uint32(&self, of_image: impl Fn(&ImageRecord) -> Option<u32>) -> ArrayRef {
        Arc::new(UInt32Array::from_iter(
            self.0.iter().map(|r| image(r).and_then(&of_image)),
        ))
    }
}

fn exif_column(records: &[Record]) -> StructArray {
    let exif: Vec<Option<&ExifFields>> = records
        .iter()
        .map(|r| image(r).and_then(|i| i.exif.as_ref()))
        .collect();
    let text = |get: fn(&ExifFields) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(exif.iter().map(|e| e.and_then(get))))
    };
    let float = |get: fn(&ExifFields) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(
            exif.iter().map(|e| e.and_then(get)),
        ))
    };
    let columns: Vec<ArrayRef> = vec![
        text(|e| e.captured_at.as_deref()),
        text(|e| e.camera_make.as_deref()),
        text(|e| e.camera_model.as_deref()),
        text(|e| e.lens_model.as_deref()),
        float(|e| e.gps_latitude),
        float(|e| e.gps_longitude),
        Arc::new(UInt32Array::from_iter(
            exif.iter().map(|e| e.and_then(|e| e.iso)),
        )),
        float(|e| e.aperture),
        float(|e| e.shutter_speed),
        float(|e| e.focal_length),
        Arc::new(UInt8Array::from_iter(
            exif.iter().map(|e| e.and_then(|e| e.orientation)),
        )),
    ];
    let nulls = NullBuffer::from_iter(exif.iter().map(Option::is_some));
    StructArray::new(exif_fields(), columns, Some(nulls))
}

fn thumbnail_column(records: &[Record]) -> Result<arrow_array::BinaryArray, ArrowRecordError> {
    let mut builder = BinaryBuilder::new();
    let mut jpeg = Vec::new();
    for record in records {
        match image(record).and_then(|i| i.thumbnail.as_deref()) {
            Some(base64) => {
                jpeg.clear();
                base64::engine::general_purpose::STANDARD
                    .decode_vec(base64, &mut jpeg)
                    .map_err(|e| {
                        ArrowRecordError::record(
                            record.file_path(),
                            format!("thumbnail is not base64: {e}"),
                        )
                    })?;
                builder.append_value(&jpeg);
            }
            None => builder.append_null(),
        }
    }
    Ok(builder.finish())
}

fn embedding_column(
    records: &[Record],
    dim: usize,
) -> Result<FixedSizeListArray, ArrowRecordError> {
    let mut values = Vec::with_capacity(records.len() * dim);
    let mut valid = Vec::with_capacity(records.len());
    for record in records {
        match image(record).and_then(|i| i.embedding.as_deref()) {
            Some(embedding) if embedding.len() == dim => {
                values.extend_from_slice(embedding);
                valid.push(true);
            }
            Some(embedding) => {
                return Err(ArrowRecordError::record(
                    record.file_path(),
                    format!("embedding of {} floats, not {dim}", embedding.len()),
                ));
            }
            None => {
                // A null row still takes its slot of `dim` values.
                values.resize(values.len() + dim, 0.0);
                valid.push(false);
            }
        }
    }
    let item = crate::schema::embedding_item();
    let size = i32::try_from(dim)
        .map_err(|_| ArrowRecordError::schema(format!("embedding dim {dim} is too large")))?;
    Ok(FixedSizeListArray::try_new(
        item,
        size,
        Arc::new(Float32Array::from(values)),
        Some(NullBuffer::from(valid)),
    )?)
}

fn tags_column(records: &[Record]) -> Result<ListArray, ArrowRecordError> {
    let lists: Vec<Option<&[Tag]>> = records
        .iter()
        .map(|r| image(r).and_then(|i| i.tags.as_deref()))
        .collect();
    let tags: Vec<&Tag> = lists.iter().flatten().flat_map(|t| t.iter()).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            tags.iter().map(|t| t.name.as_str()),
        )),
        Arc::new(Float32Array::from_iter_values(
            tags.iter().map(|t| t.confidence),
        )),
        Arc::new(StringArray::from_iter(
            tags.iter().map(|t| t.path.as_deref()),
        )),
    ];
    let rows = lists.iter().map(|l| l.map(<[Tag]>::len));
    crate::struct_list::struct_list(tag_fields(), columns, rows)
}

fn model_column(records: &[Record]) -> Result<StructArray, ArrowRecordError> {
    let models: Vec<_> = records
        .iter()
        .map(|r| image(r).and_then(|i| i.model.as_ref()))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter(
            models.iter().map(|m| m.map(|m| m.id.as_str())),
        )),
        Arc::new(StringArray::from_iter(
            models.iter().map(|m| m.map(|m| m.backend.as_str())),
        )),
    ];
    let nulls = NullBuffer::from_iter(models.iter().map(Option::is_some));
    Ok(StructArray::try_new(model_fields(), columns, Some(nulls))?)
}

fn error_column(records: &[Record]) -> Result<StructArray, ArrowRecordError> {
    let errors: Vec<_> = records
        .iter()
        .map(|r| failure(r).map(|e| &e.error))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter(
            errors.iter().map(|e| e.map(|e| e.stage.as_str())),
        )),
        Arc::new(StringArray::from_iter(
            errors.iter().map(|e| e.map(|e| e.kind.as_str())),
        )),
        Arc::new(StringArray::from_iter(
            errors.iter().map(|e| e.map(|e| e.message.as_str())),
        )),
    ];
    let nulls = NullBuffer::from_iter(errors.iter().map(Option::is_some));
    Ok(StructArray::try_new(error_fields(), columns, Some(nulls))?)
}
