//! Reading pixel tables: the file is mapped, its footer checked (which column is
//! the id, which are pixels), and a row group at a time is decoded into rows of
//! pixels, in parallel over columns.
//!
//! - [`parquet`]: the table, its checks and its ids; [`decode`]: a row group's
//!   pixels, decoded in parallel in strips;
//! - [`layout`]: which column is what;
//! - [`columns`] and [`dictionary`]: one column's pages, with the fast path for
//!   dictionary-encoded pixels;
//! - [`rows`]: a row group's pixels as rows, and the transpose that fills them;
//! - [`arrow`]: Feather v2 / Arrow IPC files and streams, a record batch at a time;
//!   [`batches`]: record batches already in memory (the Python API's Arrow input);
//! - [`metadata`]: the metadata columns' values, from either format;
//! - [`sniff`]: what a file that is neither is.
//!
//! Both formats are behind [`PixelSource`]; [`open`] picks one from the file's
//! first bytes.

pub mod arrow;
mod arrow_compressed;
pub mod batches;
pub mod columns;
pub mod decode;
pub mod dictionary;
pub mod layout;
pub mod metadata;
pub mod parquet;
pub mod rows;
pub mod sniff;
mod zstd_context;

pub use layout::ID_COLUMN;
pub use parquet::{PixelTable, TableLayout};
pub use rows::PixelRows;

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::geometry::ImageShape;
use crate::meta::Value;

/// A pixel table of any format, read a part at a time: a Parquet row group or an
/// Arrow record batch, the unit of memory.
pub trait PixelSource: Send + Sync {
    /// Rows in the file.
    fn num_rows(&self) -> u64;
    /// Parts (row groups, record batches) in the file.
    fn num_parts(&self) -> usize;
    /// Rows in `part`.
    fn part_rows(&self, part: usize) -> usize;
    /// The bytes of the file that `part`'s pixels are read from, to read ahead.
    fn part_span(&self, part: usize) -> Range<u64>;
    /// Pixel columns per row.
    fn pixel_count(&self) -> usize;
    /// The image ids of `part`, whose first row is `first_row` of the file.
    fn read_ids(&self, part: usize, first_row: u64) -> Result<Vec<String>>;
    /// The pixels of `part` into `out`, a row per image; `ids` name the rows in
    /// errors.
    fn read_pixels(
        &self,
        part: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
    ) -> Result<()>;
    /// What the table holds, for `inspect`.
    fn describe(&self) -> TableLayout;
    /// The metadata columns carried to the outputs, in file order.
    fn metadata_columns(&self) -> Vec<String>;
    /// Metadata columns of a type the outputs do not hold, with their types.
    fn uncarried_metadata(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The values of [`PixelSource::metadata_columns`] in `part`, a row per image.
    fn read_metadata(&self, part: usize, first_row: u64) -> Result<Vec<Vec<Value>>>;
}

/// Opens a pixel table, Parquet or Arrow IPC (told from its first bytes), and
/// finds its id and pixel columns whatever their count.
pub fn open_any_shape(path: &Path, id_column: Option<&str>) -> Result<Box<dyn PixelSource>> {
    if arrow::looks_like_arrow(path) {
        Ok(Box::new(arrow::ArrowTable::open(path, id_column)?))
    } else {
        Ok(Box::new(PixelTable::open_any_shape(path, id_column)?))
    }
}

/// [`open_any_shape`], then checks that there are `shape.pixels()` pixel columns.
pub fn open(
    path: &Path,
    shape: ImageShape,
    id_column: Option<&str>,
) -> Result<Box<dyn PixelSource>> {
    let table = open_any_shape(path, id_column)?;
    check_pixel_count(path, table.pixel_count(), shape)?;
    Ok(table)
}

/// The error for a table whose pixel count does not fit `shape`.
pub(crate) fn check_pixel_count(path: &Path, found: usize, shape: ImageShape) -> Result<()> {
    if found == shape.pixels() {
        return Ok(());
    }
    let hint = match layout::infer_shape(found) {
        Some(s) if s != shape => format!(
            "; these look like {} x {} images: pass --height {} --width {}",
            s.height, s.width, s.height, s.width
        ),
        _ => "; pass the --height and --width of these images".to_string(),
    };
    Err(Error::Layout {
        at: Location::file(path),
        message: format!(
            "has {found} pixel columns but --height {} x --width {} needs {}{hint}",
            shape.height,
            shape.width,
            shape.pixels(),
        ),
    })
}
