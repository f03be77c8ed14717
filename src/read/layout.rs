//! Which column of a table is what: the id column, the pixel columns and a stored
//! pandas index, from the footer's schema; and names for types and encodings.

use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::ColumnDescPtr;

use crate::geometry::ImageShape;

/// The name pandas gives a stored index; it is not a pixel column.
pub(crate) const PANDAS_INDEX_PREFIX: &str = "__index_level_";

pub use crate::meta::ID_COLUMN;

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

/// What a column holds, as far as the layout cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Integer,
    String,
    /// Repeated or nested: never a pixel or an id.
    Nested,
    Other,
}

/// One column of a table's schema, in file order.
#[derive(Debug, Clone)]
pub(crate) struct ColumnInfo {
    pub name: String,
    pub kind: ColumnKind,
    /// The type as the format names it, e.g. `INT32 (UINT_8)` or `UInt8`.
    pub type_name: String,
}

/// Which column is what, by position in the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub id: usize,
    /// In pixel order (the index in their names, where they have one).
    pub pixels: Vec<usize>,
    /// Everything else a user may want beside the image: labels, text, floats.
    pub metadata: Vec<usize>,
    /// Stored pandas index columns.
    pub index: Vec<usize>,
}

/// A layout problem, and the column it is about.
pub(crate) type LayoutError = (Option<usize>, String);

/// `name` as a prefix and an index: `"pixel12"` -> `("pixel", 12)`. The index has
/// no leading zero (so `"01"` is not pixel 1).
fn indexed_name(name: &str) -> Option<(&str, usize)> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = name.split_at(name.len() - digits);
    if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
        return None;
    }
    Some((prefix, number.parse().ok()?))
}

/// The columns named by their index, `"0".."N-1"` or one prefix plus the index,
/// in index order: the largest such group with every index from 0 once, if any.
fn indexed_pixels(columns: &[ColumnInfo]) -> Option<Vec<usize>> {
    let mut groups: std::collections::HashMap<&str, Vec<(usize, usize)>> = Default::default();
    for (position, column) in columns.iter().enumerate() {
        if column.name.starts_with(PANDAS_INDEX_PREFIX) {
            continue;
        }
        if let Some((prefix, index)) = indexed_name(&column.name) {
            groups.entry(prefix).or_default().push((index, position));
        }
    }
    groups
        .into_values()
        .filter_map(|mut group| {
            group.sort_unstable();
            let complete =
                group.len() >= 2 && group.iter().enumerate().all(|(i, &(index, _))| i == index);
            complete.then(|| {
                group
                    .into_iter()
                    .map(|(_, position)| position)
                    .collect::<Vec<_>>()
            })
        })
        .max_by_key(Vec::len)
}

/// Sorts a table's columns into the id, the pixels, metadata and a stored index.
///
/// When columns are named by their index (`"0".."N-1"`, or `pixel0..pixelN-1`),
/// those are the pixels, in index order, wherever they stand; every other column
/// but the id and a stored index is metadata. Otherwise every column but the id
/// and a stored index is a pixel. The id is `id_column` if given, else
/// `image_id`, else the only string column that is not a pixel.
pub(crate) fn classify(
    columns: &[ColumnInfo],
    id_column: Option<&str>,
) -> Result<Classified, LayoutError> {
    let is_index = |c: &ColumnInfo| c.name.starts_with(PANDAS_INDEX_PREFIX);
    let indexed = indexed_pixels(columns);
    let id = find_id(columns, id_column, indexed.as_deref())?;
    let index: Vec<usize> = (0..columns.len())
        .filter(|&i| i != id && is_index(&columns[i]))
        .collect();
    let (pixels, metadata) = match indexed {
        Some(pixels) => {
            // A mask, not `pixels.contains`: that was quadratic, 0.1 s a file at
            // 32,332 columns.
            let mut is_pixel = vec![false; columns.len()];
            for &p in &pixels {
                is_pixel[p] = true;
            }
            let metadata = (0..columns.len())
                .filter(|&i| i != id && !is_index(&columns[i]) && !is_pixel[i])
                .collect();
            (pixels, metadata)
        }
        None => {
            let pixels: Vec<usize> = (0..columns.len())
                .filter(|&i| i != id && !is_index(&columns[i]))
                .collect();
            (pixels, Vec::new())
        }
    };
    for &p in &pixels {
        let column = &columns[p];
        match column.kind {
            ColumnKind::Integer => {}
            ColumnKind::Nested => {
                return Err((Some(p), "is a nested (repeated) column; pixel tables need one flat integer column per pixel".into()))
            }
            _ => {
                return Err((Some(p), format!(
                    "has type {} but pixel columns must be integers 0..255; convert the table to integer pixels first",
                    column.type_name
                )))
            }
        }
    }
    if pixels.is_empty() {
        return Err((None, "has no pixel columns (integer columns besides the id and a pandas index); is this a pixel table?".into()));
    }
    Ok(Classified {
        id,
        pixels,
        metadata,
        index,
    })
}

/// The id column: `id_column` if given, else `image_id`, else the only string
/// column among those that are not pixels.
fn find_id(
    columns: &[ColumnInfo],
    id_column: Option<&str>,
    pixels: Option<&[usize]>,
) -> Result<usize, LayoutError> {
    let must_be_text = |i: usize, how: &str| -> Result<usize, LayoutError> {
        if columns[i].kind == ColumnKind::String {
            Ok(i)
        } else {
            Err((
                Some(i),
                format!(
                    "{how} has type {} but image ids must be strings",
                    columns[i].type_name
                ),
            ))
        }
    };
    if let Some(name) = id_column {
        return match columns.iter().position(|c| c.name == name) {
            Some(i) => must_be_text(i, "the --id-column"),
            None => Err((
                None,
                format!(
                    "has no column {name:?} (given as --id-column); its string columns are: {}",
                    quoted_names(columns, |c| c.kind == ColumnKind::String)
                ),
            )),
        };
    }
    if let Some(i) = columns.iter().position(|c| c.name == ID_COLUMN) {
        return must_be_text(i, &format!("column {ID_COLUMN:?}"))
            .map_err(|(_, message)| (None, message));
    }
    let is_pixel = |i: &usize| pixels.is_some_and(|p| p.contains(i));
    let strings: Vec<usize> = (0..columns.len())
        .filter(|i| columns[*i].kind == ColumnKind::String && !is_pixel(i))
        .collect();
    match strings.as_slice() {
        [only] => Ok(*only),
        [] => Err((None, format!(
            "has no {ID_COLUMN:?} column and no string column to name the images; add an {ID_COLUMN:?} string column, or name one with --id-column"
        ))),
        several => Err((None, format!(
            "has no {ID_COLUMN:?} column and {} string columns ({}); rename the one holding the ids to {ID_COLUMN:?}, or name it with --id-column",
            several.len(),
            several.iter().map(|&i| format!("{:?}", columns[i].name)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn quoted_names(columns: &[ColumnInfo], keep: impl Fn(&ColumnInfo) -> bool) -> String {
    let names: Vec<String> = columns
        .iter()
        .filter(|c| keep(c))
        .map(|c| format!("{:?}", c.name))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// [`classify`], with a problem named by file and column.
pub(crate) fn classify_table(
    path: &std::path::Path,
    columns: &[ColumnInfo],
    id_column: Option<&str>,
) -> crate::error::Result<Classified> {
    use crate::error::{Error, Location};
    classify(columns, id_column).map_err(|(column, message)| {
        let at = Location::file(path);
        Error::Layout {
            at: match column {
                Some(c) => at.with_column(&columns[c].name),
                None => at,
            },
            message,
        }
    })
}

/// What a format knows of itself, for [`describe`].
pub(crate) struct FormatFacts {
    pub format: String,
    pub part_kind: &'static str,
    pub part_rows: Vec<u64>,
    pub encodings: Vec<String>,
    pub compression: Vec<String>,
    pub created_by: Option<String>,
}

/// What `inspect` reports: the columns' roles, and the format's facts.
pub(crate) fn describe(
    columns: &[ColumnInfo],
    classified: &Classified,
    facts: FormatFacts,
) -> super::TableLayout {
    let names = |list: &[usize]| {
        list.iter()
            .map(|&c| columns[c].name.clone())
            .collect::<Vec<_>>()
    };
    let pixels = &classified.pixels;
    let mut pixel_types = Vec::new();
    for &c in pixels {
        push_unique(&mut pixel_types, columns[c].type_name.clone());
    }
    super::TableLayout {
        format: facts.format,
        part_kind: facts.part_kind,
        rows: facts.part_rows.iter().sum(),
        row_group_rows: facts.part_rows,
        columns: columns.len(),
        id_column: columns[classified.id].name.clone(),
        index_columns: names(&classified.index),
        metadata_columns: classified
            .metadata
            .iter()
            .map(|&c| (columns[c].name.clone(), columns[c].type_name.clone()))
            .collect(),
        pixel_columns: pixels.len(),
        first_pixel_column: columns[pixels[0]].name.clone(),
        last_pixel_column: columns[*pixels.last().expect("a table has pixel columns")]
            .name
            .clone(),
        inferred_shape: infer_shape(pixels.len()),
        pixel_types,
        encodings: facts.encodings,
        compression: facts.compression,
        created_by: facts.created_by,
    }
}

/// A Parquet schema as the layout sees it.
pub(crate) fn parquet_columns(metadata: &ParquetMetaData) -> Vec<ColumnInfo> {
    let schema = metadata.file_metadata().schema_descr();
    schema
        .columns()
        .iter()
        .map(|descr| ColumnInfo {
            name: descr.name().to_owned(),
            kind: if descr.max_rep_level() > 0 {
                ColumnKind::Nested
            } else if is_integer(descr) {
                ColumnKind::Integer
            } else if descr.physical_type() == PhysicalType::BYTE_ARRAY {
                ColumnKind::String
            } else {
                ColumnKind::Other
            },
            type_name: type_name(descr),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(spec: &[(&str, ColumnKind)]) -> Vec<ColumnInfo> {
        spec.iter()
            .map(|&(name, kind)| ColumnInfo {
                name: name.into(),
                kind,
                type_name: format!("{kind:?}"),
            })
            .collect()
    }
    use ColumnKind::*;

    #[test]
    fn indexed_names_are_the_pixels_in_index_order_wherever_they_stand() {
        let c = columns(&[
            ("image_id", String),
            ("2", Integer),
            ("grapheme", String),
            ("0", Integer),
            ("label", Integer),
            ("1", Integer),
            ("__index_level_0__", Integer),
        ]);
        let got = classify(&c, None).unwrap();
        assert_eq!(
            got,
            Classified {
                id: 0,
                pixels: vec![3, 5, 1],
                metadata: vec![2, 4],
                index: vec![6]
            }
        );
    }

    #[test]
    fn a_common_prefix_names_pixels_too() {
        let c = columns(&[
            ("label", Integer),
            ("pixel0", Integer),
            ("pixel1", Integer),
            ("pixel2", Integer),
            ("name", String),
        ]);
        let got = classify(&c, None).unwrap();
        assert_eq!(
            (got.id, got.pixels, got.metadata),
            (4, vec![1, 2, 3], vec![0])
        );
        // "01" is not an index, and a group with a gap is not one.
        assert_eq!(indexed_name("01"), None);
        assert_eq!(indexed_name("px10"), Some(("px", 10)));
        let gap = columns(&[
            ("image_id", String),
            ("p0", Integer),
            ("p2", Integer),
            ("p3", Integer),
        ]);
        assert_eq!(classify(&gap, None).unwrap().pixels, vec![1, 2, 3]);
        assert!(classify(&gap, None).unwrap().metadata.is_empty());
    }

    #[test]
    fn without_indexed_names_every_other_column_is_a_pixel() {
        let c = columns(&[("image_id", String), ("a", Integer), ("b", Other)]);
        let (column, message) = classify(&c, None).unwrap_err();
        assert_eq!(column, Some(2));
        assert!(
            message.contains("pixel columns must be integers"),
            "{message}"
        );
    }

    #[test]
    fn the_id_column_can_be_named() {
        let c = columns(&[
            ("file", String),
            ("name", String),
            ("0", Integer),
            ("1", Integer),
        ]);
        assert!(classify(&c, None)
            .unwrap_err()
            .1
            .contains("2 string columns"));
        assert_eq!(classify(&c, Some("name")).unwrap().id, 1);
        assert_eq!(classify(&c, Some("name")).unwrap().metadata, vec![0]);
        let missing = classify(&c, Some("id")).unwrap_err().1;
        assert!(
            missing.contains("no column \"id\"") && missing.contains("\"file\", \"name\""),
            "{missing}"
        );
        assert!(classify(&c, Some("0"))
            .unwrap_err()
            .1
            .contains("must be strings"));
    }
}
