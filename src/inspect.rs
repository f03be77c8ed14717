//! What a pixel table holds, from its footer alone (no pixel data is read).

use std::path::Path;

use crate::error::Result;
use crate::read::{PixelTable, TableLayout};

/// Reads the footer of `path` and describes its layout: rows and row groups, which
/// columns are the id, the pixels and a stored index, their types, encodings and
/// codecs. Works whatever the image shape; [`TableLayout::inferred_shape`] says
/// what the pixel count suggests.
pub fn inspect(path: &Path) -> Result<TableLayout> {
    Ok(PixelTable::open_any_shape(path)?.describe())
}
