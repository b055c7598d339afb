//! The Arrow schema of a record: one column per field of `docs/record-format.md`, and the
//! metadata that says which writer and which model made the rows.

use crate::error::ArrowRecordError;
use arrow_array::{RecordBatch, new_null_array};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::collections::HashMap;
use std::sync::Arc;

/// Schema metadata key: the record layout version ([`photon_core::SCHEMA_VERSION`]).
pub const META_SCHEMA_VERSION: &str = "schema_version";
/// Schema metadata key: the version of Photon that wrote the file.
pub const META_PHOTON_VERSION: &str = "photon_version";
/// Schema metadata key: the id of the model behind the `embedding` column, when there is one.
pub const META_MODEL_ID: &str = "model_id";
/// Schema metadata key: the length of every vector in the `embedding` column.
pub const META_EMBEDDING_DIM: &str = "embedding_dim";
/// Schema metadata key: the length of every face's `embedding`, when the run found faces.
pub const META_FACE_EMBEDDING_DIM: &str = "face_embedding_dim";

/// The schema of a table of records, for one model (or none).
///
/// The `embedding` column is `FixedSizeList<Float32, dim>`, the type vector stores search
/// (LanceDB's vector type), so its length is part of the schema: a table holds the embeddings of
/// one model. Without a model the column is left out. Every other column is always there, null
/// where a field does not apply:
///
/// | column | Arrow type |
/// |---|---|
/// | `schema_version` | UInt32, never null |
/// | `file_path` | Utf8, never null |
/// | `file_name`, `content_hash`, `format`, `decoded_from`, `perceptual_hash`, `thumbnail_path` | Utf8 |
/// | `file_size`, `file_mtime_ns` | Int64 |
/// | `width`, `height` | UInt32 |
/// | `exif` | Struct of the EXIF fields (Utf8, Float64, UInt32 `iso`, UInt8 `orientation`) |
/// | `thumbnail` | Binary: the JPEG's bytes |
/// | `embedding` | FixedSizeList<Float32, dim>, no null inside a vector |
/// | `tags` | List<Struct{name: Utf8, confidence: Float32, path: Utf8}> |
/// | `model` | Struct{id: Utf8, backend: Utf8} |
/// | `error` | Struct{stage: Utf8, kind: Utf8, message: Utf8} |
/// | `errors` | List<Struct{stage, kind, message}>: stages that failed on a record kept (`faces`, `describe`) |
/// | `description` | Struct{text, provider, model, prompt_hash: Utf8, input_tokens, output_tokens: UInt64}: null where the image was not described |
///
/// With the face stage ([`with_faces`](RecordSchema::with_faces)) two more:
///
/// | column | Arrow type |
/// |---|---|
/// | `faces` | List<Struct{box: FixedSizeList<Float32, 4>, score: Float32, landmarks: FixedSizeList<FixedSizeList<Float32, 2>, 5>, embedding: FixedSizeList<Float32, face dim>}> |
/// | `faces_found` | UInt32: faces found when a cap kept fewer |
///
/// The schema's metadata holds `schema_version`, `photon_version`, `model_id` and
/// `embedding_dim` (the last two only with a model), and `face_embedding_dim` with faces.
///
/// ```
/// use photon_arrow::RecordSchema;
///
/// let schema = RecordSchema::for_model("siglip-base-0123456789ab", 768);
/// let embedding = schema.arrow().field_with_name("embedding").unwrap();
/// assert_eq!(
///     embedding.data_type().to_string(),
///     "FixedSizeList(768 x Float32)"
/// );
/// assert_eq!(schema.arrow().metadata()["embedding_dim"], "768");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSchema {
    model: Option<(String, usize)>,
    face_dim: Option<usize>,
    arrow: SchemaRef,
}

impl RecordSchema {
    /// Records whose embeddings, `dim` floats each, come from the model `model_id`.
    pub fn for_model(model_id: impl Into<String>, dim: usize) -> Self {
        Self::new(Some((model_id.into(), dim)), None)
    }

    /// Records without embeddings (a run with no model): no `embedding` column.
    pub fn without_model() -> Self {
        Self::new(None, None)
    }

    /// The same records with the face stage's columns, each face's embedding `dim` floats.
    ///
    /// ```
    /// use photon_arrow::RecordSchema;
    ///
    /// let schema = RecordSchema::without_model().with_faces(512);
    /// assert!(schema.arrow().field_with_name("faces").is_ok());
    /// assert_eq!(schema.face_embedding_dim(), Some(512));
    /// ```
    pub fn with_faces(self, dim: usize) -> Self {
        Self::new(self.model, Some(dim))
    }

    fn new(model: Option<(String, usize)>, face_dim: Option<usize>) -> Self {
        let mut metadata = HashMap::from([
            (
                META_SCHEMA_VERSION.to_owned(),
                photon_core::SCHEMA_VERSION.to_string(),
            ),
            (
                META_PHOTON_VERSION.to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
        ]);
        if let Some((id, dim)) = &model {
            metadata.insert(META_MODEL_ID.to_owned(), id.clone());
            metadata.insert(META_EMBEDDING_DIM.to_owned(), dim.to_string());
        }
        if let Some(dim) = face_dim {
            metadata.insert(META_FACE_EMBEDDING_DIM.to_owned(), dim.to_string());
        }
        let fields = record_fields(model.as_ref().map(|(_, dim)| *dim), face_dim);
        let arrow = Arc::new(Schema::new_with_metadata(fields, metadata));
        Self {
            model,
            face_dim,
            arrow,
        }
    }

    /// Reads the model back from a file's schema, and checks that its columns are the ones
    /// this version writes.
    pub fn from_arrow(schema: &Schema) -> Result<Self, ArrowRecordError> {
        let meta = schema.metadata();
        let model = match (meta.get(META_MODEL_ID), meta.get(META_EMBEDDING_DIM)) {
            (Some(id), Some(dim)) => {
                let dim = dim.parse().map_err(|_| {
                    ArrowRecordError::schema(format!("embedding_dim is not a number: {dim:?}"))
                })?;
                Some((id.clone(), dim))
            }
            _ => None,
        };
        let face_dim = match meta.get(META_FACE_EMBEDDING_DIM) {
            Some(dim) => Some(dim.parse().map_err(|_| {
                ArrowRecordError::schema(format!("face_embedding_dim is not a number: {dim:?}"))
            })?),
            None => None,
        };
        let expected = Self::new(model, face_dim);
        for field in expected.arrow.fields() {
            match schema.field_with_name(field.name()) {
                // Files written before these columns existed hold no such fields.
                Err(_) if ADDED_LATER.contains(&field.name().as_str()) => {}
                Ok(found) if found.data_type().equals_datatype(field.data_type()) => {}
                Ok(found) => {
                    return Err(ArrowRecordError::schema(format!(
                        "column {} is {}, not {}",
                        field.name(),
                        found.data_type(),
                        field.data_type()
                    )));
                }
                Err(_) => {
                    return Err(ArrowRecordError::schema(format!(
                        "no column {}",
                        field.name()
                    )));
                }
            }
        }
        Ok(expected)
    }

    /// The Arrow schema, with its metadata.
    pub fn arrow(&self) -> &SchemaRef {
        &self.arrow
    }

    /// The model behind the `embedding` column, if any.
    pub fn model_id(&self) -> Option<&str> {
        self.model.as_ref().map(|(id, _)| id.as_str())
    }

    /// The length of every embedding, if there is a model.
    pub fn embedding_dim(&self) -> Option<usize> {
        self.model.as_ref().map(|(_, dim)| *dim)
    }

    /// `batch`, read from a file of this schema's model, with the columns its version lacked
    /// (`errors` and `description`, in files from before them) added as nulls.
    pub(crate) fn conform(&self, batch: &RecordBatch) -> Result<RecordBatch, ArrowRecordError> {
        let columns = self
            .arrow
            .fields()
            .iter()
            .map(|field| match batch.column_by_name(field.name()) {
                Some(column) => column.clone(),
                None => new_null_array(field.data_type(), batch.num_rows()),
            })
            .collect();
        Ok(RecordBatch::try_new(self.arrow.clone(), columns)?)
    }

    /// The length of every face embedding, if the table holds faces.
    pub fn face_embedding_dim(&self) -> Option<usize> {
        self.face_dim
    }

    /// True when rows written under `other` may sit in the same table as rows written under
    /// this schema: the same model (or none), faces or not, and so the same columns.
    pub fn same_model(&self, other: &RecordSchema) -> bool {
        self.model == other.model && self.face_dim == other.face_dim
    }
}

/// The column of the failures a record survived.
pub(crate) const ERRORS_COLUMN: &str = "errors";

/// Columns older files lack, read as nulls from them.
const ADDED_LATER: [&str; 2] = [ERRORS_COLUMN, crate::description::DESCRIPTION_COLUMN];

fn record_fields(embedding_dim: Option<usize>, face_dim: Option<usize>) -> Vec<Field> {
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    let mut fields = vec![
        Field::new("schema_version", DataType::UInt32, false),
        Field::new("file_path", DataType::Utf8, false),
        utf8("file_name"),
        Field::new("file_size", DataType::Int64, true),
        Field::new("file_mtime_ns", DataType::Int64, true),
        utf8("content_hash"),
        Field::new("width", DataType::UInt32, true),
        Field::new("height", DataType::UInt32, true),
        utf8("format"),
        utf8("decoded_from"),
        Field::new("exif", DataType::Struct(exif_fields()), true),
        utf8("perceptual_hash"),
        Field::new("thumbnail", DataType::Binary, true),
        utf8("thumbnail_path"),
    ];
    if let Some(dim) = embedding_dim {
        fields.push(Field::new("embedding", embedding_type(dim), true));
    }
    fields.extend([
        Field::new("tags", tags_type(), true),
        Field::new("model", DataType::Struct(model_fields()), true),
        Field::new("error", DataType::Struct(error_fields()), true),
        Field::new(ERRORS_COLUMN, errors_type(), true),
        Field::new(
            crate::description::DESCRIPTION_COLUMN,
            DataType::Struct(crate::description::description_fields()),
            true,
        ),
    ]);
    if let Some(dim) = face_dim {
        fields.extend([
            Field::new("faces", faces_type(dim), true),
            Field::new("faces_found", DataType::UInt32, true),
        ]);
    }
    fields
}

/// `FixedSizeList<Float32, dim>`, the vector type of LanceDB and pyarrow's
/// `pa.list_(pa.float32(), dim)`. The item field is declared nullable as theirs is (LanceDB
/// fills null vectors through it), though Photon never writes a null inside a vector and
/// refuses one when reading.
pub(crate) fn embedding_type(dim: usize) -> DataType {
    // Arrow's list sizes are i32; no embedding comes near that.
    let size = i32::try_from(dim).unwrap_or(i32::MAX);
    DataType::FixedSizeList(embedding_item(), size)
}

pub(crate) fn embedding_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Float32, true))
}

pub(crate) fn exif_fields() -> Fields {
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    let float = |name: &str| Field::new(name, DataType::Float64, true);
    Fields::from(vec![
        utf8("captured_at"),
        utf8("camera_make"),
        utf8("camera_model"),
        utf8("lens_model"),
        float("gps_latitude"),
        float("gps_longitude"),
        Field::new("iso", DataType::UInt32, true),
        float("aperture"),
        float("shutter_speed"),
        float("focal_length"),
        Field::new("orientation", DataType::UInt8, true),
    ])
}

// Nested fields are all declared nullable, as pyarrow declares its own: a child declared
// non-null under a null parent (an image's `error`) is valid Arrow, but pyarrow's Parquet writer
// refuses it once tables are concatenated (Ray Data's `write_parquet` does). Photon fills every
// child of a present parent all the same, and its reader refuses one that is missing.
pub(crate) fn tag_fields() -> Fields {
    Fields::from(vec![
        Field::new("name", DataType::Utf8, true),
        Field::new("confidence", DataType::Float32, true),
        Field::new("path", DataType::Utf8, true),
    ])
}

pub(crate) fn tags_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(tag_fields()),
        true,
    )))
}

pub(crate) fn model_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("backend", DataType::Utf8, true),
    ])
}

pub(crate) fn error_fields() -> Fields {
    Fields::from(vec![
        Field::new("stage", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("message", DataType::Utf8, true),
    ])
}

pub(crate) fn errors_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(error_fields()),
        true,
    )))
}

/// Points a face's landmarks hold.
pub(crate) const LANDMARKS: i32 = 5;

pub(crate) fn float_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Float32, true))
}

pub(crate) fn point_type() -> DataType {
    DataType::FixedSizeList(float_item(), 2)
}

pub(crate) fn face_fields(dim: usize) -> Fields {
    Fields::from(vec![
        Field::new("box", DataType::FixedSizeList(float_item(), 4), true),
        Field::new("score", DataType::Float32, true),
        Field::new(
            "landmarks",
            DataType::FixedSizeList(Arc::new(Field::new("item", point_type(), true)), LANDMARKS),
            true,
        ),
        Field::new("embedding", embedding_type(dim), true),
    ])
}

/// `List<Struct{box, score, landmarks, embedding}>`.
pub(crate) fn faces_type(dim: usize) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(face_fields(dim)),
        true,
    )))
}
