//! The face stage's columns, both ways: `faces` (a list of structs per record, each face's
//! vectors fixed-size lists, as vector stores and DuckDB's array functions take them),
//! `faces_found`, and `errors`, the failures a record survived.

use crate::error::ArrowRecordError;
use crate::schema::{LANDMARKS, error_fields, face_fields, float_item, point_type};
use crate::struct_list::struct_list;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, ListArray, StringArray, StructArray,
    UInt32Array,
};
use arrow_schema::Field;
use photon_core::{FaceRecord, ImageRecord, ItemError, Record, Stage};
use std::sync::Arc;

fn image(record: &Record) -> Option<&ImageRecord> {
    match record {
        Record::Image(image) => Some(image),
        Record::Error(_) => None,
    }
}

/// Refuses a face whose embedding is not `dim` floats, before any column is built. An empty
/// list fits any table (JSON Lines where no image had a face give no length to make one).
pub(crate) fn check_faces(image: &ImageRecord, dim: Option<usize>) -> Result<(), ArrowRecordError> {
    let Some(faces) = image.faces.as_deref().filter(|f| !f.is_empty()) else {
        return Ok(());
    };
    let Some(dim) = dim else {
        return Err(ArrowRecordError::record(
            &image.file_path,
            "has faces, but the table was made for records without the face stage",
        ));
    };
    match faces.iter().find(|f| f.embedding.len() != dim) {
        Some(face) => Err(ArrowRecordError::record(
            &image.file_path,
            format!(
                "face embedding of {} floats in a table of {dim}-float face embeddings",
                face.embedding.len()
            ),
        )),
        None => Ok(()),
    }
}

fn fixed(values: Vec<f32>, size: i32) -> Result<FixedSizeListArray, ArrowRecordError> {
    Ok(FixedSizeListArray::try_new(
        float_item(),
        size,
        Arc::new(Float32Array::from(values)),
        None,
    )?)
}

/// The `faces` column: null where the stage did not run, empty where it found none.
pub(crate) fn faces_column(records: &[Record], dim: usize) -> Result<ListArray, ArrowRecordError> {
    let lists: Vec<Option<&[FaceRecord]>> = records
        .iter()
        .map(|r| image(r).and_then(|i| i.faces.as_deref()))
        .collect();
    let faces: Vec<&FaceRecord> = lists.iter().flatten().flat_map(|f| f.iter()).collect();
    let size = i32::try_from(dim)
        .map_err(|_| ArrowRecordError::schema(format!("face embedding dim {dim} is too large")))?;
    let mut embeddings = Vec::with_capacity(faces.len() * dim);
    for face in &faces {
        if face.embedding.len() != dim {
            return Err(ArrowRecordError::schema(format!(
                "a face embedding of {} floats, not {dim}",
                face.embedding.len()
            )));
        }
        embeddings.extend_from_slice(&face.embedding);
    }
    let points = fixed(
        faces
            .iter()
            .flat_map(|f| f.landmarks.iter().flatten().copied())
            .collect(),
        2,
    )?;
    let landmarks = FixedSizeListArray::try_new(
        Arc::new(Field::new("item", point_type(), true)),
        LANDMARKS,
        Arc::new(points),
        None,
    )?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(fixed(faces.iter().flat_map(|f| f.bbox).collect(), 4)?),
        Arc::new(Float32Array::from_iter_values(
            faces.iter().map(|f| f.score),
        )),
        Arc::new(landmarks),
        Arc::new(fixed(embeddings, size)?),
    ];
    let rows = lists.iter().map(|l| l.map(<[_]>::len));
    struct_list(face_fields(dim), columns, rows)
}

/// The `faces_found` column.
pub(crate) fn faces_found_column(records: &[Record]) -> UInt32Array {
    UInt32Array::from_iter(records.iter().map(|r| image(r).and_then(|i| i.faces_found)))
}

/// The `errors` column: null where a record has none.
pub(crate) fn errors_column(records: &[Record]) -> Result<ListArray, ArrowRecordError> {
    let lists: Vec<&[ItemError]> = records
        .iter()
        .map(|r| image(r).map_or(&[][..], |i| i.errors.as_slice()))
        .collect();
    let errors: Vec<&ItemError> = lists.iter().flat_map(|l| l.iter()).collect();
    let text = |get: fn(&ItemError) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(errors.iter().map(|e| get(e))))
    };
    let columns = vec![
        text(|e| e.stage.as_str()),
        text(|e| e.kind.as_str()),
        text(|e| e.message.as_str()),
    ];
    let rows = lists.iter().map(|l| (!l.is_empty()).then_some(l.len()));
    struct_list(error_fields(), columns, rows)
}

fn child<'a>(parent: &'a StructArray, name: &str) -> Result<&'a ArrayRef, ArrowRecordError> {
    parent
        .column_by_name(name)
        .ok_or_else(|| ArrowRecordError::schema(format!("no field {name}")))
}

fn floats(array: &dyn Array) -> Result<&Float32Array, ArrowRecordError> {
    array
        .as_primitive_opt::<Float32Type>()
        .ok_or_else(|| ArrowRecordError::schema(format!("a field is {}", array.data_type())))
}

/// The floats of a fixed-size list column's row, refusing nulls inside.
fn fixed_row(array: &dyn Array, row: usize) -> Result<Vec<f32>, ArrowRecordError> {
    let list = array
        .as_fixed_size_list_opt()
        .ok_or_else(|| ArrowRecordError::schema(format!("a field is {}", array.data_type())))?;
    let values = list.value(row);
    let values = floats(values.as_ref())?;
    if list.is_null(row) || values.null_count() > 0 {
        return Err(ArrowRecordError::schema("a null inside a face"));
    }
    Ok(values.values().to_vec())
}

/// The faces of row `row` of a `faces` column.
pub(crate) fn faces_at(
    faces: &ListArray,
    row: usize,
) -> Result<Option<Vec<FaceRecord>>, ArrowRecordError> {
    if faces.is_null(row) {
        return Ok(None);
    }
    let list = faces.value(row);
    let faces = list
        .as_struct_opt()
        .ok_or_else(|| ArrowRecordError::row(row, "faces are not structs"))?;
    let scores = floats(child(faces, "score")?.as_ref())?;
    let landmarks = child(faces, "landmarks")?
        .as_fixed_size_list_opt()
        .ok_or_else(|| ArrowRecordError::row(row, "landmarks are not a fixed-size list"))?;
    let in_row = |e: ArrowRecordError| ArrowRecordError::row(row, e.to_string());
    (0..faces.len())
        .map(|i| {
            let bbox = fixed_row(child(faces, "box")?.as_ref(), i).map_err(in_row)?;
            let points = landmarks.value(i);
            let points: Vec<f32> = (0..points.len())
                .map(|p| fixed_row(points.as_ref(), p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(in_row)?
                .concat();
            let embedding = fixed_row(child(faces, "embedding")?.as_ref(), i).map_err(in_row)?;
            let (Ok(bbox), Ok(points), true) = (
                <[f32; 4]>::try_from(bbox),
                <[f32; 10]>::try_from(points),
                scores.is_valid(i),
            ) else {
                return Err(ArrowRecordError::row(
                    row,
                    "a face without box, score or landmarks",
                ));
            };
            let landmarks = std::array::from_fn(|p| [points[2 * p], points[2 * p + 1]]);
            Ok(FaceRecord::new(bbox, scores.value(i), landmarks, embedding))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// The errors of row `row` of an `errors` column.
pub(crate) fn errors_at(
    errors: &ListArray,
    row: usize,
) -> Result<Vec<ItemError>, ArrowRecordError> {
    if errors.is_null(row) {
        return Ok(Vec::new());
    }
    let list = errors.value(row);
    let errors = list
        .as_struct_opt()
        .ok_or_else(|| ArrowRecordError::row(row, "errors are not structs"))?;
    let text = |name| -> Result<&StringArray, ArrowRecordError> {
        child(errors, name)?
            .as_string_opt::<i32>()
            .ok_or_else(|| ArrowRecordError::row(row, format!("errors.{name} is not text")))
    };
    let (stages, kinds, messages) = (text("stage")?, text("kind")?, text("message")?);
    (0..errors.len())
        .map(|i| {
            let stage = Stage::from_name(stages.value(i)).ok_or_else(|| {
                ArrowRecordError::row(row, format!("unknown stage {:?}", stages.value(i)))
            })?;
            Ok(ItemError::new(stage, kinds.value(i), messages.value(i)))
        })
        .collect()
}
