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

/// What a set of image files holds, from their headers (no pixel is decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesReport {
    /// Image files found.
    pub files: usize,
    /// Other files in the folders, passed over.
    pub ignored: u64,
    /// Files per format (`JPEG`, `PNG`...).
    pub formats: std::collections::BTreeMap<String, usize>,
    /// Files per Pillow mode as opened (`RGB`, `L`, `P`, `I;16`, `CMYK`...).
    pub modes: std::collections::BTreeMap<String, usize>,
    /// Smallest and largest width, and height, over the readable files.
    pub widths: Option<(usize, usize)>,
    /// Smallest and largest height.
    pub heights: Option<(usize, usize)>,
    /// The class folders (ImageFolder layout) and their image counts, sorted.
    pub classes: Vec<(String, usize)>,
    /// Files whose header cannot be read, and why.
    pub unreadable: Vec<(std::path::PathBuf, String)>,
}

/// Reads the header of every image file of `inputs` (folders, single files)
/// and of the list `files`, on `threads` threads, and sums them up.
pub fn inspect_images(
    inputs: &[std::path::PathBuf],
    files: Option<&Path>,
    threads: usize,
) -> Result<ImagesReport> {
    use rayon::prelude::*;
    let list = crate::files::list_images(inputs, files, None)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| crate::error::Error::Usage {
            message: format!("cannot start worker threads: {e}"),
        })?;
    let headers: Vec<_> = pool.install(|| {
        list.files
            .par_iter()
            .map(|f| {
                crate::files::read_bytes(f)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| crate::decode::header(&bytes).map_err(|e| e.to_string()))
            })
            .collect()
    });
    let mut report = ImagesReport {
        files: list.files.len(),
        ignored: list.ignored,
        ..ImagesReport::default()
    };
    let widen = |range: &mut Option<(usize, usize)>, v: usize| {
        *range = Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    };
    for (file, header) in list.files.iter().zip(headers) {
        match header {
            Ok(h) => {
                *report
                    .formats
                    .entry(h.format.name().to_string())
                    .or_default() += 1;
                *report.modes.entry(h.mode.to_string()).or_default() += 1;
                widen(&mut report.widths, h.width);
                widen(&mut report.heights, h.height);
            }
            Err(why) => report.unreadable.push((file.place(), why)),
        }
    }
    if list.classes().is_some() {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for f in &list.files {
            *counts
                .entry(f.class().unwrap_or_default().to_string())
                .or_default() += 1;
        }
        report.classes = counts.into_iter().collect();
    } else if let Some(label) = list.metadata.columns.iter().position(|c| c == "label") {
        // An image table's label column, counted as class folders are.
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for row in &list.metadata.rows {
            if let Some(crate::meta::Value::Text(class)) = row.get(label) {
                *counts.entry(class.clone()).or_default() += 1;
            }
        }
        report.classes = counts.into_iter().collect();
    }
    Ok(report)
}
