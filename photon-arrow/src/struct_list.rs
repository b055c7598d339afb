//! A list-of-struct column from its flattened struct columns and each row's length, the shape
//! of `tags`, `faces` and `errors`.

use crate::error::ArrowRecordError;
use arrow_array::{ArrayRef, ListArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields};
use std::sync::Arc;

/// The list column whose items are structs of `fields` with the values `columns` (every row's
/// items one after another), each row `Some(items)` or `None` for a null row.
pub(crate) fn struct_list(
    fields: Fields,
    columns: Vec<ArrayRef>,
    rows: impl IntoIterator<Item = Option<usize>>,
) -> Result<ListArray, ArrowRecordError> {
    let rows: Vec<Option<usize>> = rows.into_iter().collect();
    let values = StructArray::try_new(fields.clone(), columns, None)?;
    let offsets = OffsetBuffer::from_lengths(rows.iter().map(|r| r.unwrap_or(0)));
    let nulls = NullBuffer::from_iter(rows.iter().map(Option::is_some));
    let item = Arc::new(Field::new("item", DataType::Struct(fields), true));
    Ok(ListArray::try_new(
        item,
        offsets,
        Arc::new(values),
        Some(nulls),
    )?)
}
