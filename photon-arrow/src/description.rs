//! The describe stage's column, both ways: `description`, a struct per record (null where the
//! image was not described), and what resume reads of it.

use crate::error::ArrowRecordError;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{Array, ArrayRef, StringArray, StructArray, UInt64Array};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Fields};
use photon_core::{DescriberId, Description, Record};
use std::sync::Arc;

/// The column's name.
pub(crate) const DESCRIPTION_COLUMN: &str = "description";

/// `Struct{text, provider, model, prompt_hash: Utf8, input_tokens, output_tokens: UInt64}`.
pub(crate) fn description_fields() -> Fields {
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    Fields::from(vec![
        utf8("text"),
        utf8("provider"),
        utf8("model"),
        utf8("prompt_hash"),
        Field::new("input_tokens", DataType::UInt64, true),
        Field::new("output_tokens", DataType::UInt64, true),
    ])
}

fn description(record: &Record) -> Option<&Description> {
    match record {
        Record::Image(image) => image.description.as_ref(),
        Record::Error(_) => None,
    }
}

/// The `description` column of `records`.
pub(crate) fn description_column(records: &[Record]) -> Result<StructArray, ArrowRecordError> {
    let said: Vec<Option<&Description>> = records.iter().map(description).collect();
    let text = |get: fn(&Description) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter(said.iter().map(|d| d.map(get))))
    };
    let count = |get: fn(&Description) -> Option<u64>| -> ArrayRef {
        Arc::new(UInt64Array::from_iter(said.iter().map(|d| d.and_then(get))))
    };
    let columns = vec![
        text(|d| d.text.as_str()),
        text(|d| d.provider.as_str()),
        text(|d| d.model.as_str()),
        text(|d| d.prompt_hash.as_str()),
        count(|d| d.input_tokens),
        count(|d| d.output_tokens),
    ];
    let nulls = NullBuffer::from_iter(said.iter().map(Option::is_some));
    Ok(StructArray::try_new(
        description_fields(),
        columns,
        Some(nulls),
    )?)
}

fn text_child<'a>(
    parent: &'a StructArray,
    name: &str,
) -> Result<&'a StringArray, ArrowRecordError> {
    parent
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| {
            ArrowRecordError::schema(format!("description.{name} is missing or not text"))
        })
}

/// Who made the description of row `row`, when it has one.
pub(crate) fn describer_at(
    column: &StructArray,
    row: usize,
) -> Result<Option<DescriberId>, ArrowRecordError> {
    if column.is_null(row) {
        return Ok(None);
    }
    let value = |name| -> Result<String, ArrowRecordError> {
        let array = text_child(column, name)?;
        match array.is_valid(row) {
            true => Ok(array.value(row).to_owned()),
            false => Err(ArrowRecordError::row(row, format!("no description.{name}"))),
        }
    };
    Ok(Some(DescriberId::from_hash(
        value("provider")?,
        value("model")?,
        value("prompt_hash")?,
    )))
}

/// The description of row `row`, when it has one.
pub(crate) fn description_at(
    column: &StructArray,
    row: usize,
) -> Result<Option<Description>, ArrowRecordError> {
    let Some(by) = describer_at(column, row)? else {
        return Ok(None);
    };
    let text = text_child(column, "text")?;
    if text.is_null(row) {
        return Err(ArrowRecordError::row(row, "no description.text"));
    }
    let count = |name| {
        column
            .column_by_name(name)
            .and_then(|c| c.as_primitive_opt::<UInt64Type>())
            .and_then(|c| c.is_valid(row).then(|| c.value(row)))
    };
    Ok(Some(
        Description::new(text.value(row), &by)
            .with_usage(count("input_tokens"), count("output_tokens")),
    ))
}
