//! Columns back into records: [`records_from_batch`], the inverse of
//! [`to_record_batch`](crate::to_record_batch).

use crate::error::ArrowRecordError;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int64Type, UInt8Type, UInt32Type};
use arrow_array::{
    Array, BinaryArray, FixedSizeListArray, Float64Array, Int64Array, ListArray, PrimitiveArray,
    RecordBatch, StringArray, StructArray, UInt32Array,
};
use base64::Engine as _;
use photon_core::{
    DecodedFrom, ExifFields, ImageRecord, ItemError, ModelProvenance, Record, Stage, Tag,
};

/// The records in `batch`, one per row, in order. The batch must follow a
/// [`RecordSchema`](crate::RecordSchema) (as read from a file Photon wrote); the `embedding`
/// column may be absent.
pub fn records_from_batch(batch: &RecordBatch) -> Result<Vec<Record>, ArrowRecordError> {
    let columns = Columns::new(batch)?;
    (0..batch.num_rows())
        .map(|row| columns.record(row))
        .collect()
}

/// The batch's columns, typed.
struct Columns<'a> {
    schema_version: &'a UInt32Array,
    file_path: &'a StringArray,
    file_name: &'a StringArray,
    file_size: &'a Int64Array,
    file_mtime_ns: &'a Int64Array,
    content_hash: &'a StringArray,
    width: &'a UInt32Array,
    height: &'a UInt32Array,
    format: &'a StringArray,
    decoded_from: &'a StringArray,
    exif: &'a StructArray,
    perceptual_hash: &'a StringArray,
    thumbnail: &'a BinaryArray,
    thumbnail_path: &'a StringArray,
    embedding: Option<&'a FixedSizeListArray>,
    tags: &'a ListArray,
    model: &'a StructArray,
    error: &'a StructArray,
    errors: Option<&'a ListArray>,
    description: Option<&'a StructArray>,
    faces: Option<&'a ListArray>,
    faces_found: Option<&'a UInt32Array>,
}

fn column<'a, T: 'a>(
    batch: &'a RecordBatch,
    name: &str,
    cast: impl FnOnce(&'a dyn Array) -> Option<&'a T>,
) -> Result<&'a T, ArrowRecordError> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| ArrowRecordError::schema(format!("no column {name}")))?;
    cast(array.as_ref())
        .ok_or_else(|| ArrowRecordError::schema(format!("column {name} is {}", array.data_type())))
}

/// A column only some files have (`embedding` with a model, `faces` with the face stage,
/// `errors` since it was added).
fn optional<'a, T: 'a>(
    batch: &'a RecordBatch,
    name: &str,
    cast: impl FnOnce(&'a dyn Array) -> Option<&'a T>,
) -> Result<Option<&'a T>, ArrowRecordError> {
    match batch.column_by_name(name) {
        Some(_) => column(batch, name, cast).map(Some),
        None => Ok(None),
    }
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, ArrowRecordError> {
    column(batch, name, |a| a.as_string_opt::<i32>())
}

fn child<'a>(parent: &'a StructArray, name: &str) -> Result<&'a dyn Array, ArrowRecordError> {
    parent
        .column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| ArrowRecordError::schema(format!("no field {name}")))
}

fn typed<'a, T: 'a>(
    array: &'a dyn Array,
    cast: impl FnOnce(&'a dyn Array) -> Option<&'a T>,
) -> Result<&'a T, ArrowRecordError> {
    cast(array).ok_or_else(|| ArrowRecordError::schema(format!("a field is {}", array.data_type())))
}

fn opt_str(array: &StringArray, row: usize) -> Option<String> {
    array.is_valid(row).then(|| array.value(row).to_owned())
}

fn opt<T: arrow_array::ArrowPrimitiveType>(
    array: &PrimitiveArray<T>,
    row: usize,
) -> Option<T::Native> {
    array.is_valid(row).then(|| array.value(row))
}

impl<'a> Columns<'a> {
    fn new(batch: &'a RecordBatch) -> Result<Self, ArrowRecordError> {
        Ok(Self {
            schema_version: column(batch, "schema_version", |a| {
                a.as_primitive_opt::<UInt32Type>()
            })?,
            file_path: strings(batch, "file_path")?,
            file_name: strings(batch, "file_name")?,
            file_size: column(batch, "file_size", |a| a.as_primitive_opt::<Int64Type>())?,
            file_mtime_ns: column(batch, "file_mtime_ns", |a| {
                a.as_primitive_opt::<Int64Type>()
            })?,
            content_hash: strings(batch, "content_hash")?,
            width: column(batch, "width", |a| a.as_primitive_opt::<UInt32Type>())?,
            height: column(batch, "height", |a| a.as_primitive_opt::<UInt32Type>())?,
            format: strings(batch, "format")?,
            decoded_from: strings(batch, "decoded_from")?,
            exif: column(batch, "exif", |a| a.as_struct_opt())?,
            perceptual_hash: strings(batch, "perceptual_hash")?,
            thumbnail: column(batch, "thumbnail", |a| a.as_binary_opt::<i32>())?,
            thumbnail_path: strings(batch, "thumbnail_path")?,
            embedding: optional(batch, "embedding", |a| a.as_fixed_size_list_opt())?,
            tags: column(batch, "tags", |a| a.as_list_opt::<i32>())?,
            model: column(batch, "model", |a| a.as_struct_opt())?,
            error: column(batch, "error", |a| a.as_struct_opt())?,
            errors: optional(batch, "errors", |a| a.as_list_opt::<i32>())?,
            description: optional(batch, "description", |a| a.as_struct_opt())?,
            faces: optional(batch, "faces", |a| a.as_list_opt::<i32>())?,
            faces_found: optional(batch, "faces_found", |a| a.as_primitive_opt::<UInt32Type>())?,
        })
    }

    fn record(&self, row: usize) -> Result<Record, ArrowRecordError> {
        if self.file_path.is_null(row) {
            return Err(ArrowRecordError::row(row, "no file_path"));
        }
        let file_path = self.file_path.value(row);
        if self.error.is_valid(row) {
            return self.error_record(row, file_path);
        }
        self.image_record(row, file_path)
            .map(|i| Record::Image(Box::new(i)))
    }

    fn error_record(&self, row: usize, file_path: &str) -> Result<Record, ArrowRecordError> {
        let text = |name| -> Result<String, ArrowRecordError> {
            let array = typed(child(self.error, name)?, |a| a.as_string_opt::<i32>())?;
            opt_str(array, row)
                .ok_or_else(|| ArrowRecordError::row(row, format!("no error.{name}")))
        };
        let stage_name = text("stage")?;
        let stage = Stage::from_name(&stage_name)
            .ok_or_else(|| ArrowRecordError::row(row, format!("unknown stage {stage_name:?}")))?;
        let error = ItemError::new(stage, text("kind")?, text("message")?);
        let mut record = Record::failed(file_path, error);
        if let Record::Error(failed) = &mut record {
            failed.schema_version = self.schema_version.value(row);
            failed.file_size = self.file_size(row)?;
            failed.file_mtime_ns = opt(self.file_mtime_ns, row);
            failed.content_hash = opt_str(self.content_hash, row);
        }
        Ok(record)
    }

    fn file_size(&self, row: usize) -> Result<Option<u64>, ArrowRecordError> {
        opt(self.file_size, row)
            .map(|size| {
                u64::try_from(size)
                    .map_err(|_| ArrowRecordError::row(row, format!("file_size {size}")))
            })
            .transpose()
    }

    fn image_record(&self, row: usize, file_path: &str) -> Result<ImageRecord, ArrowRecordError> {
        let required = |name: &str| ArrowRecordError::row(row, format!("no {name}"));
        let mut image = ImageRecord::new(
            file_path,
            self.file_size(row)?.ok_or_else(|| required("file_size"))?,
            opt_str(self.content_hash, row).ok_or_else(|| required("content_hash"))?,
            (
                opt(self.width, row).ok_or_else(|| required("width"))?,
                opt(self.height, row).ok_or_else(|| required("height"))?,
            ),
            opt_str(self.format, row).ok_or_else(|| required("format"))?,
        );
        image.schema_version = self.schema_version.value(row);
        image.file_name = opt_str(self.file_name, row);
        image.file_mtime_ns = opt(self.file_mtime_ns, row);
        image.decoded_from = match opt_str(self.decoded_from, row) {
            Some(name) => Some(DecodedFrom::from_name(&name).ok_or_else(|| {
                ArrowRecordError::row(row, format!("unknown decoded_from {name:?}"))
            })?),
            None => None,
        };
        image.exif = self.exif(row)?;
        image.perceptual_hash = opt_str(self.perceptual_hash, row);
        image.thumbnail = self
            .thumbnail
            .is_valid(row)
            .then(|| base64::engine::general_purpose::STANDARD.encode(self.thumbnail.value(row)));
        image.thumbnail_path = opt_str(self.thumbnail_path, row);
        image.embedding = self.embedding(row)?;
        image.tags = self.tags(row)?;
        image.model = self.model(row)?;
        if let Some(faces) = self.faces {
            image.faces = crate::faces::faces_at(faces, row)?;
        }
        image.faces_found = self.faces_found.and_then(|found| opt(found, row));
        if let Some(errors) = self.errors {
            image.errors = crate::faces::errors_at(errors, row)?;
        }
        if let Some(description) = self.description {
            image.description = crate::description::description_at(description, row)?;
        }
        Ok(image)
    }

    fn exif(&self, row: usize) -> Result<Option<ExifFields>, ArrowRecordError> {
        if self.exif.is_null(row) {
            return Ok(None);
        }
        let text = |name| -> Result<Option<String>, ArrowRecordError> {
            let array = typed(child(self.exif, name)?, |a| a.as_string_opt::<i32>())?;
            Ok(opt_str(array, row))
        };
        let float = |name| -> Result<Option<f64>, ArrowRecordError> {
            let array: &Float64Array = typed(child(self.exif, name)?, |a| {
                a.as_primitive_opt::<Float64Type>()
            })?;
            Ok(opt(array, row))
        };
        let mut exif = ExifFields::default();
        exif.captured_at = text("captured_at")?;
        exif.camera_make = text("camera_make")?;
        exif.camera_model = text("camera_model")?;
        exif.lens_model = text("lens_model")?;
        exif.gps_latitude = float("gps_latitude")?;
        exif.gps_longitude = float("gps_longitude")?;
        exif.iso = opt(
            typed(child(self.exif, "iso")?, |a| {
                a.as_primitive_opt::<UInt32Type>()
            })?,
            row,
        );
        exif.aperture = float("aperture")?;
        exif.shutter_speed = float("shutter_speed")?;
        exif.focal_length = float("focal_length")?;
        exif.orientation = opt(
            typed(child(self.exif, "orientation")?, |a| {
                a.as_primitive_opt::<UInt8Type>()
            })?,
            row,
        );
        Ok(Some(exif))
    }

    fn embedding(&self, row: usize) -> Result<Option<Vec<f32>>, ArrowRecordError> {
        let Some(embedding) = self.embedding.filter(|e| e.is_valid(row)) else {
            return Ok(None);
        };
        let vector = embedding.value(row);
        let values = typed(vector.as_ref(), |a| a.as_primitive_opt::<Float32Type>())?;
        if values.null_count() > 0 {
            return Err(ArrowRecordError::row(row, "a null inside the embedding"));
        }
        Ok(Some(values.values().to_vec()))
    }

    fn tags(&self, row: usize) -> Result<Option<Vec<Tag>>, ArrowRecordError> {
        if self.tags.is_null(row) {
            return Ok(None);
        }
        let list = self.tags.value(row);
        let tags = typed(list.as_ref(), |a| a.as_struct_opt())?;
        let names = typed(child(tags, "name")?, |a| a.as_string_opt::<i32>())?;
        let confidences = typed(child(tags, "confidence")?, |a| {
            a.as_primitive_opt::<Float32Type>()
        })?;
        let paths = typed(child(tags, "path")?, |a| a.as_string_opt::<i32>())?;
        (0..tags.len())
            .map(|i| {
                let (Some(name), Some(confidence)) = (opt_str(names, i), opt(confidences, i))
                else {
                    return Err(ArrowRecordError::row(
                        row,
                        "a tag without name or confidence",
                    ));
                };
                let mut tag = Tag::new(name, confidence);
                tag.path = opt_str(paths, i);
                Ok(tag)
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    fn model(&self, row: usize) -> Result<Option<ModelProvenance>, ArrowRecordError> {
        if self.model.is_null(row) {
            return Ok(None);
        }
        let text = |name| -> Result<String, ArrowRecordError> {
            let array = typed(child(self.model, name)?, |a| a.as_string_opt::<i32>())?;
            opt_str(array, row)
                .ok_or_else(|| ArrowRecordError::row(row, format!("no model.{name}")))
        };
        Ok(Some(ModelProvenance::new(text("id")?, text("backend")?)))
    }
}
