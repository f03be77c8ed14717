//! Which column of a table is what: the id column, the pixel columns and a stored
//! pandas index, from the footer's schema; and names for types and encodings.

use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::ColumnDescPtr;

use crate::geometry::ImageShape;

/// The name pandas gives a stored index; it is not a pixel column.
pub(crate) const PANDAS_INDEX_PREFIX: &str = "__index_level_";

/// The id column's name in the competition files.
pub const ID_COLUMN: &str = "image_id";

pub(crate) fn is_integer(descr: &ColumnDescPtr) -> bool {
    matches!(
        descr.physical_type(),
        PhysicalType::INT32 | PhysicalType::INT64
    )
}

pub(crate) fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

pub(crate) fn encoding_name(encoding: Encoding) -> String {
    encoding.to_string()
}

/// A column's type as a user would name it, e.g. `INT32 (UINT_8)`.
pub fn type_name(descr: &ColumnDescPtr) -> String {
    match descr.converted_type() {
        parquet::basic::ConvertedType::NONE => descr.physical_type().to_string(),
        converted => format!("{} ({converted})", descr.physical_type()),
    }
}

/// The image shape a pixel count suggests: the competition's 137 x 236, or a square.
pub fn infer_shape(pixels: usize) -> Option<ImageShape> {
    let bengali = ImageShape {
        height: 137,
        width: 236,
    };
    if pixels == bengali.pixels() {
        return Some(bengali);
    }
    let side = (pixels as f64).sqrt().round() as usize;
    (side > 0 && side * side == pixels).then_some(ImageShape {
        height: side,
        width: side,
    })
}

/// The id column: `image_id` if there is one, else the only string column.
pub(crate) fn find_id_column(metadata: &ParquetMetaData) -> std::result::Result<usize, String> {
    let schema = metadata.file_metadata().schema_descr();
    let columns = schema.columns();
    if let Some(index) = columns.iter().position(|c| c.name() == ID_COLUMN) {
        if columns[index].physical_type() != PhysicalType::BYTE_ARRAY {
            return Err(format!(
                "column {ID_COLUMN:?} has type {} but image ids must be strings",
                type_name(&columns[index])
            ));
        }
        return Ok(index);
    }
    let strings: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].physical_type() == PhysicalType::BYTE_ARRAY)
        .collect();
    match strings.as_slice() {
        [only] => Ok(*only),
        [] => Err(format!(
            "has no {ID_COLUMN:?} column and no string column to name the images; add an {ID_COLUMN:?} string column"
        )),
        several => Err(format!(
            "has no {ID_COLUMN:?} column and {} string columns ({}); rename the one holding the ids to {ID_COLUMN:?}",
            several.len(),
            several
                .iter()
                .map(|&i| format!("{:?}", columns[i].name()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
