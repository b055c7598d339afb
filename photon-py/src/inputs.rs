//! The image bytes and names `process_bytes` takes: Python lists, or Arrow arrays read through
//! the C data interface so that a Ray batch's `bytes` column never becomes one Python object per
//! row.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, make_array};
use arrow_pyarrow::FromPyArrow;
use arrow_schema::DataType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The images: `list[bytes]`, or a `pyarrow` binary array or chunked array. A null entry
/// becomes empty bytes, which the pipeline reports as an error row for its name.
pub(crate) fn image_bytes(data: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    match arrow_chunks(data)? {
        Some(chunks) => chunks.iter().try_fold(Vec::new(), |mut all, chunk| {
            append_binary(chunk, &mut all)?;
            Ok(all)
        }),
        None => {
            let list: Vec<Bound<'_, PyBytes>> = data.extract().map_err(|_| {
                PyTypeError::new_err("data must be a list of bytes or a pyarrow binary array")
            })?;
            Ok(list.iter().map(|b| b.as_bytes().to_vec()).collect())
        }
    }
}

/// The names: `list[str]`, or a `pyarrow` string array or chunked array, with no nulls.
pub(crate) fn names(names: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    match arrow_chunks(names)? {
        Some(chunks) => chunks.iter().try_fold(Vec::new(), |mut all, chunk| {
            append_strings(chunk, &mut all)?;
            Ok(all)
        }),
        None => names.extract().map_err(|_| {
            PyTypeError::new_err("names must be a list of str or a pyarrow string array")
        }),
    }
}

/// The chunks of an Arrow array or chunked array, or `None` for anything else.
fn arrow_chunks(value: &Bound<'_, PyAny>) -> PyResult<Option<Vec<ArrayRef>>> {
    if value.hasattr("__arrow_c_array__")? {
        return Ok(Some(vec![import(value)?]));
    }
    // A pyarrow.ChunkedArray (a table's column): each chunk crosses on its own, uncopied.
    if value.hasattr("chunks")? && value.hasattr("__arrow_c_stream__")? {
        let chunks = value.getattr("chunks")?;
        return chunks
            .try_iter()?
            .map(|chunk| import(&chunk?))
            .collect::<PyResult<_>>()
            .map(Some);
    }
    Ok(None)
}

fn import(value: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    Ok(make_array(arrow_data::ArrayData::from_pyarrow_bound(
        value,
    )?))
}

fn append_binary(array: &ArrayRef, out: &mut Vec<Vec<u8>>) -> PyResult<()> {
    let owned = |v: Option<&[u8]>| v.unwrap_or_default().to_vec();
    match array.data_type() {
        DataType::Binary => out.extend(array.as_binary::<i32>().iter().map(owned)),
        DataType::LargeBinary => out.extend(array.as_binary::<i64>().iter().map(owned)),
        DataType::BinaryView => out.extend(array.as_binary_view().iter().map(owned)),
        other => {
            return Err(PyTypeError::new_err(format!(
                "data must be a binary array, not {other}"
            )));
        }
    }
    Ok(())
}

fn append_strings(array: &ArrayRef, out: &mut Vec<String>) -> PyResult<()> {
    if array.null_count() > 0 {
        return Err(PyValueError::new_err("names must not contain nulls"));
    }
    let owned = |v: Option<&str>| v.unwrap_or_default().to_owned();
    match array.data_type() {
        DataType::Utf8 => out.extend(array.as_string::<i32>().iter().map(owned)),
        DataType::LargeUtf8 => out.extend(array.as_string::<i64>().iter().map(owned)),
        DataType::Utf8View => out.extend(array.as_string_view().iter().map(owned)),
        other => {
            return Err(PyTypeError::new_err(format!(
                "names must be a string array, not {other}"
            )));
        }
    }
    Ok(())
}
