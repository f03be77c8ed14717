//! Tiny Parquet pixel tables for the tests, written with the `parquet` crate's
//! low-level writer: a few rows of small images (say 12 x 14) in whatever layout a
//! test needs, broken ones included (nulls, values outside 0..255, a wrong number of
//! pixel columns, no id column, dangerous ids).
//!
//! ```ignore
//! TinyTable::new(12, 14)
//!     .rows(10)
//!     .row_group_size(4)
//!     .pixel_override(6, 57, Cell::Null)
//!     .write(&path);
//! ```
//!
//! By default: an `image_id` column (`img_0`, `img_1`, ...), then the pixel columns
//! `"0"..` as `INT32 (UINT_8)` like pandas writes them, then `__index_level_0__`;
//! all columns optional, dictionary-encoded, snappy, format 1.0, one row group.
//! Every image has ink (a dark block in the middle on a light background), so none is
//! blank; [`constant_image`] and [`inkless_image`] make the two kinds of blank image.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::parser::parse_message_type;

/// How the pixel columns are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelType {
    /// Physical `INT32`, logical `Int(8, unsigned)`: pandas' `uint8`.
    Int32Uint8,
    /// Physical `INT64`: pandas' `int64`, e.g. after reading a CSV.
    Int64,
    /// Physical `DOUBLE`: not a valid pixel type.
    Double,
}

/// One pixel cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Value(i64),
    Null,
}

/// A builder of tiny pixel tables; see the module documentation.
#[derive(Debug, Clone)]
pub struct TinyTable {
    height: usize,
    width: usize,
    rows: usize,
    id_column: Option<String>,
    string_columns: Vec<String>,
    pixel_type: PixelType,
    pixel_columns: Option<usize>,
    index_column: bool,
    row_group_size: usize,
    ids: Option<Vec<Option<String>>>,
    images: BTreeMap<usize, Vec<u8>>,
    overrides: Vec<(usize, usize, Cell)>,
    dictionary: bool,
    format_v2: bool,
    compression: Compression,
}

impl TinyTable {
    pub fn new(height: usize, width: usize) -> Self {
        TinyTable {
            height,
            width,
            rows: 4,
            id_column: Some("image_id".into()),
            string_columns: Vec::new(),
            pixel_type: PixelType::Int32Uint8,
            pixel_columns: None,
            index_column: true,
            row_group_size: usize::MAX,
            ids: None,
            images: BTreeMap::new(),
            overrides: Vec::new(),
            dictionary: true,
            format_v2: false,
            compression: Compression::SNAPPY,
        }
    }

    /// Number of rows (images). Ignored if [`TinyTable::ids`] is given.
    pub fn rows(mut self, rows: usize) -> Self {
        self.rows = rows;
        self
    }

    /// Name of the id column (a string column, first in the schema).
    pub fn id_column(mut self, name: &str) -> Self {
        self.id_column = Some(name.into());
        self
    }

    /// No id column at all.
    pub fn no_id_column(mut self) -> Self {
        self.id_column = None;
        self
    }

    /// Another string column (after the id column), holding `"<name>_<row>"`.
    pub fn string_column(mut self, name: &str) -> Self {
        self.string_columns.push(name.into());
        self
    }

    pub fn pixel_type(mut self, pixel_type: PixelType) -> Self {
        self.pixel_type = pixel_type;
        self
    }

    /// Writes this many pixel columns instead of `height * width`.
    pub fn pixel_columns(mut self, count: usize) -> Self {
        self.pixel_columns = Some(count);
        self
    }

    /// Whether to store pandas' `__index_level_0__` column (last).
    pub fn with_index_column(mut self, yes: bool) -> Self {
        self.index_column = yes;
        self
    }

    pub fn row_group_size(mut self, rows: usize) -> Self {
        assert!(rows > 0);
        self.row_group_size = rows;
        self
    }

    /// The image ids, one per row (sets the number of rows).
    pub fn ids<S: Into<String>>(mut self, ids: Vec<S>) -> Self {
        self.rows = ids.len();
        self.ids = Some(ids.into_iter().map(|s| Some(s.into())).collect());
        self
    }

    /// Makes the id of `row` null.
    pub fn null_id(mut self, row: usize) -> Self {
        let mut ids = self.id_list();
        ids[row] = None;
        self.ids = Some(ids);
        self
    }

    /// Replaces the pixels of `row` (`height * width` values, row-major).
    pub fn image(mut self, row: usize, pixels: Vec<u8>) -> Self {
        self.images.insert(row, pixels);
        self
    }

    /// Sets one cell: `row`, pixel column `column` (0-based, named `"<column>"`).
    pub fn pixel_override(mut self, row: usize, column: usize, cell: Cell) -> Self {
        self.overrides.push((row, column, cell));
        self
    }

    /// Dictionary encoding on (the default, like pandas) or off (plain pages).
    pub fn dictionary(mut self, yes: bool) -> Self {
        self.dictionary = yes;
        self
    }

    /// Format 2.x with data pages v2, instead of 1.0.
    pub fn format_v2(mut self, yes: bool) -> Self {
        self.format_v2 = yes;
        self
    }

    /// Snappy (the default) or no compression.
    pub fn snappy(mut self, yes: bool) -> Self {
        self.compression = if yes {
            Compression::SNAPPY
        } else {
            Compression::UNCOMPRESSED
        };
        self
    }

    /// The id of every row, as it will be written (`None` is a null).
    pub fn id_list(&self) -> Vec<Option<String>> {
        self.ids
            .clone()
            .unwrap_or_else(|| (0..self.rows).map(|r| Some(format!("img_{r}"))).collect())
    }

    fn pixel_count(&self) -> usize {
        self.pixel_columns.unwrap_or(self.height * self.width)
    }

    fn schema(&self) -> String {
        let mut fields = Vec::new();
        if let Some(id) = &self.id_column {
            fields.push(format!("optional binary {id} (STRING);"));
        }
        for name in &self.string_columns {
            fields.push(format!("optional binary {name} (STRING);"));
        }
        let pixel = match self.pixel_type {
            PixelType::Int32Uint8 => "int32",
            PixelType::Int64 => "int64",
            PixelType::Double => "double",
        };
        let annotation = match self.pixel_type {
            PixelType::Int32Uint8 => " (INTEGER(8,false))",
            _ => "",
        };
        for column in 0..self.pixel_count() {
            fields.push(format!("optional {pixel} {column}{annotation};"));
        }
        if self.index_column {
            fields.push("optional int64 __index_level_0__;".into());
        }
        format!("message schema {{\n  {}\n}}", fields.join("\n  "))
    }

    fn properties(&self) -> WriterProperties {
        WriterProperties::builder()
            .set_writer_version(if self.format_v2 {
                WriterVersion::PARQUET_2_0
            } else {
                WriterVersion::PARQUET_1_0
            })
            .set_compression(self.compression)
            .set_dictionary_enabled(self.dictionary)
            .set_max_row_group_row_count(None)
            .build()
    }

    /// The pixels of `row` before overrides: the given image, or the default one.
    fn base_image(&self, row: usize) -> Vec<u8> {
        match self.images.get(&row) {
            Some(pixels) => {
                assert_eq!(pixels.len(), self.height * self.width, "image of row {row}");
                pixels.clone()
            }
            None => inked_image(self.height, self.width, row),
        }
    }

    /// Writes the table to `path`.
    pub fn write(&self, path: &Path) {
        let schema = parse_message_type(&self.schema()).expect("a valid schema");
        let file = std::fs::File::create(path).unwrap();
        let mut writer =
            SerializedFileWriter::new(file, Arc::new(schema), Arc::new(self.properties())).unwrap();
        let ids = self.id_list();
        let rows = ids.len();
        let mut first = 0;
        while first < rows {
            let n = self.row_group_size.min(rows - first);
            let mut group = writer.next_row_group().unwrap();
            self.write_row_group(&mut group, &ids, first, n);
            group.close().unwrap();
            first += n;
        }
        writer.close().unwrap();
    }

    fn write_row_group(
        &self,
        group: &mut SerializedRowGroupWriter<'_, std::fs::File>,
        ids: &[Option<String>],
        first: usize,
        rows: usize,
    ) {
        let range = first..first + rows;
        if self.id_column.is_some() {
            let cells: Vec<Option<ByteArray>> = ids[range.clone()]
                .iter()
                .map(|id| id.as_ref().map(|s| ByteArray::from(s.as_bytes().to_vec())))
                .collect();
            write_cells::<ByteArrayType>(group, &cells);
        }
        for name in &self.string_columns {
            let cells: Vec<Option<ByteArray>> = range
                .clone()
                .map(|r| Some(ByteArray::from(format!("{name}_{r}").into_bytes())))
                .collect();
            write_cells::<ByteArrayType>(group, &cells);
        }
        let images: Vec<Vec<u8>> = range.clone().map(|r| self.base_image(r)).collect();
        for column in 0..self.pixel_count() {
            let mut cells: Vec<Cell> = images
                .iter()
                .map(|img| Cell::Value(i64::from(img[column % img.len().max(1)])))
                .collect();
            for &(row, c, cell) in &self.overrides {
                if c == column && range.contains(&row) {
                    cells[row - first] = cell;
                }
            }
            let value = |cell: &Cell| match *cell {
                Cell::Value(v) => Some(v),
                Cell::Null => None,
            };
            match self.pixel_type {
                PixelType::Int32Uint8 => {
                    let cells: Vec<Option<i32>> = cells
                        .iter()
                        .map(|c| value(c).map(|v| i32::try_from(v).unwrap()))
                        .collect();
                    write_cells::<Int32Type>(group, &cells);
                }
                PixelType::Int64 => {
                    let cells: Vec<Option<i64>> = cells.iter().map(value).collect();
                    write_cells::<Int64Type>(group, &cells);
                }
                PixelType::Double => {
                    let cells: Vec<Option<f64>> =
                        cells.iter().map(|c| value(c).map(|v| v as f64)).collect();
                    write_cells::<DoubleType>(group, &cells);
                }
            }
        }
        if self.index_column {
            let cells: Vec<Option<i64>> = range.map(|r| Some(r as i64)).collect();
            write_cells::<Int64Type>(group, &cells);
        }
    }
}

/// Writes the next column of `group`: `None` cells are nulls.
fn write_cells<T: parquet::data_type::DataType>(
    group: &mut SerializedRowGroupWriter<'_, std::fs::File>,
    cells: &[Option<T::T>],
) where
    T::T: Clone,
{
    let levels: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
    let values: Vec<T::T> = cells.iter().flatten().cloned().collect();
    let mut column = group.next_column().unwrap().expect("a column left");
    column
        .typed::<T>()
        .write_batch(&values, Some(&levels), None)
        .unwrap();
    column.close().unwrap();
}

/// An image with ink: a dark block over the middle half on a light background (a
/// little different per `seed`), raw like the competition's (dark ink on white).
pub fn inked_image(height: usize, width: usize, seed: usize) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(height * width);
    for y in 0..height {
        for x in 0..width {
            let p = y * width + x;
            let ink = (height / 4..height - height / 4).contains(&y)
                && (width / 4..width - width / 4).contains(&x);
            pixels.push(if ink {
                10 + ((seed * 7 + p) % 30) as u8
            } else {
                235 + ((seed * 3 + p) % 20) as u8
            });
        }
    }
    pixels
}

/// A constant image: blank.
pub fn constant_image(height: usize, width: usize, value: u8) -> Vec<u8> {
    vec![value; height * width]
}

/// A light image with one dark pixel in the corner, outside the inner region the
/// kernel searches for ink: after normalizing, no inner pixel passes 80. Blank.
pub fn inkless_image(height: usize, width: usize) -> Vec<u8> {
    let mut pixels: Vec<u8> = (0..height * width).map(|p| 248 + (p % 3) as u8).collect();
    pixels[0] = 0;
    pixels
}
