//! The kernel's images in memory, nothing written: [`transform`] for a table
//! on disk, [`transform_batches`] for Arrow record batches already in memory
//! (the Python API's `pixelprep.transform`). A part at a time is decoded, as
//! for `convert`, and each image goes straight into its place in one
//! `(N, size, size)` array.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::image::resize::opencv::CvInterp;
use crate::image::resize::pillow::PilFilter;
use crate::image::transform as transform_image;
use crate::read::batches::BatchTable;
use crate::read::{check_pixel_count, PixelRows, PixelSource};
use crate::recipe::{Fit, OutputShape, PilColor, RecipeKind};

/// What [`transform`] needs. The default has the reference's geometry, all
/// cores and the `image_id` column.
#[derive(Debug, Clone)]
pub struct TransformOptions {
    /// Source shape, output size and padding.
    pub geometry: Geometry,
    /// Worker threads.
    pub threads: usize,
    /// The column holding the image ids, when it is not `image_id`.
    pub id_column: Option<String>,
    /// Image files: output width and height, when not `geometry.size` square.
    pub output_size: Option<(usize, usize)>,
    /// Image files: the mode converted to.
    pub color: PilColor,
    /// Image files: the recipe, Pillow's when `None`.
    pub recipe: Option<RecipeKind>,
    /// Image files: Pillow's resampling filter.
    pub filter: PilFilter,
    /// Image files: OpenCV's interpolation.
    pub interpolation: CvInterp,
    /// Image files: the pixel limit of a file's header.
    pub max_pixels: u64,
    /// Image files: how they are fitted to the output size.
    pub fit: Fit,
    /// Image files: the border colour of `Fit::Pad`.
    pub fill: [u8; 3],
    /// Image files: JPEGs decoded in Pillow's draft mode.
    pub draft: bool,
    /// Image tables: the column of encoded images, when it is not found.
    pub image_column: Option<String>,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions {
            geometry: Geometry::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            id_column: None,
            output_size: None,
            color: PilColor::Rgb,
            recipe: None,
            filter: PilFilter::Bicubic,
            interpolation: CvInterp::Linear,
            max_pixels: crate::decode::DEFAULT_MAX_PIXELS,
            fit: Fit::Stretch,
            fill: [0; 3],
            image_column: None,
            draft: false,
        }
    }
}

/// The kernel's images of a table: ids, and the pixels of every image, row by
/// row (`ids.len() x size x size` bytes, C order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Images {
    /// Image ids, in input order.
    pub ids: Vec<String>,
    /// Side of the square images (their width).
    pub size: usize,
    /// The shape of each image: `(size, size)` gray for tables, `(H, W, 3)` or
    /// `(H, W)` for image files.
    pub shape: OutputShape,
    /// `ids.len()` images of `shape`, C order.
    pub pixels: Vec<u8>,
}

/// The images of the table at `path` (any input `convert` reads). `cancel` is
/// polled between batches of images.
pub fn transform(path: &Path, options: &TransformOptions, cancel: &AtomicBool) -> Result<Images> {
    if crate::files::is_image_input(path) {
        return super::files::transform_files(&[path.to_path_buf()], options, cancel);
    }
    tables_take_the_kernel(options)?;
    let table = crate::read::open(path, options.geometry.shape(), options.id_column.as_deref())?;
    transform_source(table.as_ref(), path, options, cancel)
}

/// Refuses a recipe for image files asked of a table.
fn tables_take_the_kernel(options: &TransformOptions) -> Result<()> {
    match options.recipe {
        Some(RecipeKind::Pil | RecipeKind::OpenCv) => Err(crate::Error::Usage {
            message: "recipes pil and opencv make images from image files; a pixel table is \
                      made by the kernel's steps (recipe kernel)"
                .into(),
        }),
        _ => Ok(()),
    }
}

/// The images of Arrow record batches of `schema`; `name` stands for the
/// table in errors (`<pyarrow.Table>`, say).
pub fn transform_batches(
    name: &str,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    options: &TransformOptions,
    cancel: &AtomicBool,
) -> Result<Images> {
    tables_take_the_kernel(options)?;
    let name = PathBuf::from(name);
    let table = BatchTable::new(&name, schema, batches, options.id_column.as_deref())?;
    check_pixel_count(&name, table.pixel_count(), options.geometry.shape())?;
    transform_source(&table, &name, options, cancel)
}

fn transform_source(
    table: &dyn PixelSource,
    name: &Path,
    options: &TransformOptions,
    cancel: &AtomicBool,
) -> Result<Images> {
    let geometry = options.geometry;
    let image_len = geometry.size * geometry.size;
    let pool = super::worker_pool(options.threads, name)?;
    let total = usize::try_from(table.num_rows()).unwrap_or(usize::MAX);
    let mut images = Images {
        ids: Vec::with_capacity(total),
        size: geometry.size,
        shape: OutputShape::square_gray(geometry.size),
        pixels: Vec::new(),
    };
    reserve(&mut images.pixels, total, image_len, name)?;
    let mut rows = PixelRows::default();
    let mut first_row = 0u64;
    for part in 0..table.num_parts() {
        let interrupted = || Error::Interrupted {
            path: name.to_path_buf(),
            written: None,
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        let ids = table.read_ids(part, first_row)?;
        pool.install(|| table.read_pixels(part, first_row, &ids, &mut rows))?;
        let start = images.pixels.len();
        images.pixels.resize(start + ids.len() * image_len, 0);
        pool.install(|| {
            rows.par_rows(0..ids.len())
                .zip(images.pixels[start..].par_chunks_mut(image_len))
                .for_each(|(raw, out)| {
                    if !cancel.load(Ordering::Relaxed) {
                        out.copy_from_slice(&transform_image(raw, &geometry).0);
                    }
                })
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        first_row += ids.len() as u64;
        images.ids.extend(ids);
    }
    Ok(images)
}

/// Makes room for `total` images of `image_len` bytes, or says to use an array
/// on disk instead.
pub(super) fn reserve(
    pixels: &mut Vec<u8>,
    total: usize,
    image_len: usize,
    name: &Path,
) -> Result<()> {
    pixels
        .try_reserve_exact(total.saturating_mul(image_len))
        .map_err(|_| Error::WriteOutput {
            path: name.to_path_buf(),
            written: None,
            cause: std::io::Error::other(format!(
                "{total} images of {image_len} bytes do not fit in memory; convert to an .npy \
                 file and open it with numpy.load(path, mmap_mode=\"r\") instead"
            )),
        })
}
