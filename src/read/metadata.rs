//! The metadata columns of a part (labels, text, floats) as [`Value`]s, from
//! Parquet (through the parquet crate's record reader, which knows every logical
//! type) and from Arrow arrays.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::Array;
use arrow_schema::{DataType, Schema};
use parquet::file::metadata::page_index::RowGroupPageIndex;
use parquet::file::properties::ReaderProperties;
use parquet::file::serialized_reader::SerializedRowGroupReader;
use parquet::record::reader::RowIter;
use parquet::record::Field;
use parquet::schema::types::Type;

use super::parquet::PixelTable;
use crate::error::{Error, Location, Result};
use crate::meta::Value;

/// The top-level fields that hold `table`'s metadata columns, in file order.
pub(super) fn parquet_metadata_fields(table: &PixelTable) -> Vec<usize> {
    let schema = table.metadata.file_metadata().schema_descr();
    let mut roots: Vec<usize> = table
        .classified
        .metadata
        .iter()
        .map(|&leaf| schema.get_column_root_idx(leaf))
        .collect();
    roots.dedup();
    roots
}

fn value_of_field(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(v) => Value::Int(i64::from(*v)),
        Field::Short(v) => Value::Int(i64::from(*v)),
        Field::Int(v) => Value::Int(i64::from(*v)),
        Field::Long(v) => Value::Int(*v),
        Field::UByte(v) => Value::Int(i64::from(*v)),
        Field::UShort(v) => Value::Int(i64::from(*v)),
        Field::UInt(v) => Value::Int(i64::from(*v)),
        Field::ULong(v) => i64::try_from(*v).map_or(Value::UInt(*v), Value::Int),
        Field::Float16(v) => Value::Float(f64::from(*v)),
        Field::Float(v) => Value::Float(f64::from(*v)),
        Field::Double(v) => Value::Float(*v),
        Field::Str(s) => Value::Text(s.clone()),
        // Dates, times, decimals, bytes, lists: as the parquet crate shows them.
        other => Value::Text(other.to_string()),
    }
}

/// The metadata of one row group of `table`: a row of values per image.
pub(super) fn read_parquet_metadata(
    table: &PixelTable,
    row_group: usize,
    first_row: u64,
) -> Result<Vec<Vec<Value>>> {
    let fields = parquet_metadata_fields(table);
    read_parquet_fields(
        &table.path,
        &table.data,
        &table.metadata,
        &fields,
        row_group,
        first_row,
    )
}

/// The values of the top-level `fields` of one row group of the Parquet file
/// `data` (at `path`, for errors): a row of values per row.
pub(crate) fn read_parquet_fields(
    path: &std::path::Path,
    data: &bytes::Bytes,
    metadata: &parquet::file::metadata::ParquetMetaData,
    fields: &[usize],
    row_group: usize,
    first_row: u64,
) -> Result<Vec<Vec<Value>>> {
    let rows = metadata.row_group(row_group).num_rows().max(0) as usize;
    if fields.is_empty() {
        return Ok(vec![Vec::new(); rows]);
    }
    let at = || Location::file(path).with_row(first_row);
    let corrupt = |cause| Error::from_parquet(at(), cause);
    let schema = metadata.file_metadata().schema_descr();
    let roots = schema.root_schema().get_fields();
    let projection = Type::group_type_builder(schema.root_schema().name())
        .with_fields(fields.iter().map(|&f| roots[f].clone()).collect())
        .build()
        .map_err(corrupt)?;
    let reader = SerializedRowGroupReader::new(
        Arc::new(data.clone()),
        metadata.row_group(row_group),
        RowGroupPageIndex::new(row_group, None),
        Arc::new(ReaderProperties::builder().build()),
    )
    .map_err(corrupt)?;
    let mut out = Vec::with_capacity(rows);
    for row in RowIter::from_row_group(Some(projection), &reader).map_err(corrupt)? {
        let row = row.map_err(corrupt)?;
        out.push(
            row.get_column_iter()
                .map(|(_, field)| value_of_field(field))
                .collect(),
        );
    }
    if out.len() != rows {
        return Err(corrupt(parquet::errors::ParquetError::EOF(format!(
            "the metadata columns have {} rows for {rows}",
            out.len()
        ))));
    }
    Ok(out)
}

/// True for the Arrow types whose values are carried; the others are left out
/// of the outputs with a warning.
pub(super) fn arrow_type_is_carried(data_type: &DataType) -> bool {
    match data_type {
        DataType::Dictionary(_, values) => arrow_type_is_carried(values),
        t => matches!(
            t,
            DataType::Null
                | DataType::Boolean
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Float16
                | DataType::Float32
                | DataType::Float64
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
        ),
    }
}

/// The metadata columns of `schema` (field indices) whose values are carried,
/// and those left out, each in file order.
pub(crate) fn split_carried(schema: &Schema, metadata: &[usize]) -> (Vec<usize>, Vec<usize>) {
    metadata
        .iter()
        .partition(|&&c| arrow_type_is_carried(schema.field(c).data_type()))
}

/// Row `row` of `array` (a type [`arrow_type_is_carried`] accepts).
fn arrow_value(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    macro_rules! int {
        ($t:ty) => {
            Value::Int(i64::from(array.as_primitive::<$t>().value(row)))
        };
    }
    match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => {
            let v = array.as_primitive::<UInt64Type>().value(row);
            i64::try_from(v).map_or(Value::UInt(v), Value::Int)
        }
        DataType::Float16 => {
            Value::Float(f64::from(array.as_primitive::<Float16Type>().value(row)))
        }
        DataType::Float32 => {
            Value::Float(f64::from(array.as_primitive::<Float32Type>().value(row)))
        }
        DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::Text(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Value::Text(array.as_string_view().value(row).to_string()),
        _ => Value::Null,
    }
}

/// Every row of `array`; a dictionary's values are made once.
fn column_values(array: &dyn Array) -> Vec<Value> {
    if let DataType::Dictionary(_, _) = array.data_type() {
        let dict = array.as_any_dictionary();
        let values = column_values(dict.values().as_ref());
        let keys = dict.normalized_keys();
        return (0..array.len())
            .map(|row| match array.is_null(row) {
                true => Value::Null,
                false => values.get(keys[row]).cloned().unwrap_or(Value::Null),
            })
            .collect();
    }
    (0..array.len())
        .map(|row| arrow_value(array, row))
        .collect()
}

/// The values of `columns` (arrays of one record batch), a row per image.
pub(crate) fn arrow_rows(columns: &[&dyn Array], rows: usize) -> Vec<Vec<Value>> {
    let mut by_column: Vec<std::vec::IntoIter<Value>> = columns
        .iter()
        .map(|c| column_values(*c).into_iter())
        .collect();
    (0..rows)
        .map(|_| {
            by_column
                .iter_mut()
                .map(|c| c.next().unwrap_or(Value::Null))
                .collect()
        })
        .collect()
}
