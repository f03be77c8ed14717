//! What a pixel table holds, from its footer or schema alone (no pixel data is read).

use std::path::Path;

use crate::error::Result;
use crate::read::TableLayout;

/// Reads the footer (Parquet) or the schema and message headers (Arrow IPC) of
/// `path` and describes its layout: rows and row groups or record batches, which
/// columns are the id, the pixels, metadata and a stored index, their types,
/// encodings and codecs. Works whatever the image shape;
/// [`TableLayout::inferred_shape`] says what the pixel count suggests.
/// `id_column` names the id column when it is not `image_id`.
pub fn inspect(path: &Path, id_column: Option<&str>) -> Result<TableLayout> {
    Ok(crate::read::open_any_shape(path, id_column)?.describe())
}
