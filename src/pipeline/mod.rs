//! The conversion pipeline: open and check every input, check every image id, then
//! per row group decode the pixels (parallel over columns), transform and encode
//! the images (parallel over rows, in batches), and hand each batch, in input
//! order, to one writer thread that owns the archive. A serial run (one thread)
//! writes each batch itself instead, so it never computes on two cores at once.
//! Meanwhile a readahead thread has the kernel read the next row group from disk.

use std::collections::HashMap;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

mod files;
#[cfg(feature = "python")]
pub(crate) use files::ImageSet;
mod readahead;
mod transform;

pub use transform::{transform, transform_batches, Images, TransformOptions};

use crossbeam_channel::{bounded, Receiver};
use rayon::prelude::*;

use crate::error::{Error, Location, Result};
use crate::geometry::Geometry;
use crate::image::resize::opencv::CvInterp;
use crate::image::resize::pillow::PilFilter;
use crate::image::{encode_png, transform as transform_image};
use crate::meta::labels::Labels;
use crate::meta::{Metadata, Value};
use crate::read::{PixelRows, PixelSource};
use crate::recipe::{Fit, OutputShape, PilColor, RecipeKind};
use crate::write::{image_id_problem, open_sink, Finished, Image, OutputFormat, Sink, SinkSpec};
use readahead::Readahead;

/// Images transformed per parallel step and sent to the writer as one message.
const BATCH: usize = 256;
/// Batches in flight between the workers and the writer.
const BATCHES_IN_FLIGHT: usize = 8;

/// Everything [`convert`] needs. The default has no inputs and no output, the
/// reference's geometry, all cores, and neither `force` nor `skip_blank`.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// Pixel tables (Parquet, Feather / Arrow IPC), converted in this order.
    pub inputs: Vec<PathBuf>,
    /// Where the images go; its extension picks the format unless `format` is
    /// set: `.zip`, `.tar` (with `%06d` in the name: shards), `.npy`, `.lmdb`,
    /// anything else a folder.
    pub output: PathBuf,
    /// The output format, when not the one `output`'s extension says.
    pub format: Option<OutputFormat>,
    /// Images per tar shard (with a shard pattern in `output`).
    pub shard_size: u64,
    /// A CSV with a row per image, joined on the image id; its columns go to
    /// the outputs with the table's own metadata columns.
    pub labels: Option<PathBuf>,
    /// Source shape, output size and padding.
    pub geometry: Geometry,
    /// Worker threads; 1 runs every stage serially, the writing included.
    pub threads: usize,
    /// Replace an existing output once the new one is complete: files (a zip, tar
    /// shards, the array and its CSV, a store) are renamed over the old ones; a
    /// folder that holds only PNGs and `metadata.csv` is built beside it and
    /// swapped in.
    pub force: bool,
    /// Leave blank images (constant, or with no ink) out of the output.
    pub skip_blank: bool,
    /// The column holding the image ids, when it is not `image_id` (and not the
    /// only string column).
    pub id_column: Option<String>,
    /// For the tests: the worker that transforms this image panics (checks that a
    /// panic never leaves an archive that looks complete).
    #[doc(hidden)]
    pub panic_on_image_id: Option<String>,
    /// How each image is made: `None` for the source's own (the kernel's steps
    /// for pixel tables, Pillow's for image files).
    pub recipe: Option<RecipeKind>,
    /// Output width and height for image files, when not `geometry.size` square.
    pub output_size: Option<(usize, usize)>,
    /// The mode image files are converted to (Pillow's recipe).
    pub color: PilColor,
    /// The resampling filter of Pillow's recipe.
    pub filter: PilFilter,
    /// The interpolation of OpenCV's recipe.
    pub interpolation: CvInterp,
    /// A text file listing image files, one path a line, relative to its folder
    /// (or to `files_root`).
    pub files: Option<PathBuf>,
    /// The folder the paths of `files` are relative to, and the images' ids too.
    pub files_root: Option<PathBuf>,
    /// Leave out image files that cannot be decoded, and name them in the
    /// summary and in a CSV beside the output, instead of stopping.
    pub skip_bad: bool,
    /// Image files whose header declares more pixels are refused before any
    /// pixel buffer is allocated (Pillow's `MAX_IMAGE_PIXELS` by default).
    pub max_pixels: u64,
    /// How image files are fitted to the output size.
    pub fit: Fit,
    /// The border colour of `Fit::Pad` (R, G, B; gray images take R).
    pub fill: [u8; 3],
    /// An LMDB output stores each image's raw pixels (`H * W * C` bytes, the
    /// shape under `__shape__`) instead of its PNG.
    pub lmdb_raw: bool,
    /// Image files into tar shards: continue a run of the same command that
    /// stopped, keeping the shards it finished (checked against this run's
    /// images) and writing the rest, byte for byte as one run would.
    pub resume: bool,
    /// Decode JPEGs at 1/2, 1/4 or 1/8 scale when the output is that much
    /// smaller, as Pillow's `draft` (what `thumbnail` does).
    pub draft: bool,
    /// The column of image bytes of a Parquet or Arrow table of encoded images, when it
    /// is not found by its type (a Hugging Face `{bytes, path}` struct first).
    pub image_column: Option<String>,
}

impl ConvertOptions {
    /// The format of the output: `format`, else the one `output`'s extension says.
    pub fn output_format(&self) -> OutputFormat {
        self.format
            .unwrap_or_else(|| OutputFormat::from_path(&self.output))
    }
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            inputs: Vec::new(),
            output: PathBuf::new(),
            format: None,
            shard_size: 10_000,
            labels: None,
            geometry: Geometry::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            force: false,
            skip_blank: false,
            id_column: None,
            panic_on_image_id: None,
            recipe: None,
            output_size: None,
            color: PilColor::Rgb,
            filter: PilFilter::Bicubic,
            interpolation: CvInterp::Linear,
            resume: false,
            files: None,
            files_root: None,
            skip_bad: false,
            max_pixels: crate::decode::DEFAULT_MAX_PIXELS,
            fit: Fit::Stretch,
            fill: [0; 3],
            lmdb_raw: false,
            draft: false,
            image_column: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Input files read.
    pub files: usize,
    /// Images converted (skipped blanks included).
    pub images: u64,
    /// Images that were constant or had no ink.
    pub blanks: u64,
    /// Blank images left out (with `skip_blank`).
    pub skipped: u64,
    /// Bytes of the output: the files written (every shard, the array and its
    /// CSV), or the PNGs of a folder.
    pub output_bytes: u64,
    /// Wall time of the run.
    pub seconds: f64,
    /// Mean of the written images' pixels, 0..255 scale (0 when none).
    pub mean: f64,
    /// Their standard deviation (population), 0..255 scale.
    pub std: f64,
    /// The paths written: the archive, the folder, each shard, the array and its CSV.
    pub outputs: Vec<PathBuf>,
    /// Mean of each channel (R, G, B; one value for gray), 0..255 scale.
    pub channel_mean: Vec<f64>,
    /// Standard deviation (population) of each channel, 0..255 scale.
    pub channel_std: Vec<f64>,
    /// Files in input folders without an image extension, passed over.
    pub ignored: u64,
    /// Image files left out as bad (with `skip_bad`), in input order.
    pub bad: Vec<BadFile>,
}

/// An image file left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFile {
    /// The file.
    pub path: PathBuf,
    /// Its image id.
    pub id: String,
    /// The kind of problem: `not an image`, `truncated`, `unsupported`, `too large`, `damaged`, `unreadable`.
    pub problem: String,
    /// What is wrong, in words.
    pub reason: String,
}

/// Exact sums over the pixels of written images, the same whatever the thread
/// count (the mean and standard deviation a training script normalizes with).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PixelSums {
    pixels: u64,
    sum: u64,
    squares: u128,
}

impl PixelSums {
    fn of(image: &[u8]) -> Self {
        let (sum, squares) = sum_and_squares(image);
        PixelSums {
            pixels: image.len() as u64,
            sum,
            squares: u128::from(squares),
        }
    }

    /// The sums of each channel of `channels` interleaved samples.
    fn of_channels(image: &[u8], channels: usize) -> Vec<Self> {
        let pixels = (image.len() / channels) as u64;
        channel_sums(image, channels)
            .into_iter()
            .map(|(sum, squares)| PixelSums {
                pixels,
                sum,
                squares: u128::from(squares),
            })
            .collect()
    }

    fn add(&mut self, other: PixelSums) {
        self.pixels += other.pixels;
        self.sum += other.sum;
        self.squares += other.squares;
    }

    /// Mean and population standard deviation; the variance is computed exactly
    /// in integers, `(n * sum(x^2) - sum(x)^2) / n^2`.
    fn mean_and_std(&self) -> (f64, f64) {
        if self.pixels == 0 {
            return (0.0, 0.0);
        }
        let n = u128::from(self.pixels);
        let sum = u128::from(self.sum);
        let spread = n * self.squares - sum * sum;
        let variance = spread as f64 / (n * n) as f64;
        (self.sum as f64 / self.pixels as f64, variance.sqrt())
    }
}

/// The sum and the sum of squares of `pixels`, exactly: SAD for the sum, 16-bit
/// multiply-adds into 32-bit lanes for the squares. The plain sums compile to
/// 64-bit lanes and cost 5.4 more instructions a pixel (callgrind).
#[cfg(target_arch = "x86_64")]
fn sum_and_squares(pixels: &[u8]) -> (u64, u64) {
    // SAFETY: every x86_64 processor has SSE2.
    unsafe { sum_and_squares_sse2(pixels) }
}

/// Sums and sums of squares of 16-byte vectors: SAD for the sum, 16-bit
/// multiply-adds into 32-bit lanes for the squares, which the caller widens to
/// 64 bits at least every [`VectorSums::STEPS`] vectors.
#[cfg(target_arch = "x86_64")]
struct VectorSums {
    sum: std::arch::x86_64::__m128i,
    squares: std::arch::x86_64::__m128i,
    squares32: std::arch::x86_64::__m128i,
}

#[cfg(target_arch = "x86_64")]
impl VectorSums {
    /// Each vector adds at most 4 x 65,025 to an i32 lane of `squares32`:
    /// 8,192 vectors stay below 2^31.
    const STEPS: usize = 8192;

    #[target_feature(enable = "sse2")]
    fn new() -> Self {
        use std::arch::x86_64::*;
        VectorSums {
            sum: _mm_setzero_si128(),
            squares: _mm_setzero_si128(),
            squares32: _mm_setzero_si128(),
        }
    }

    #[target_feature(enable = "sse2")]
    #[inline]
    fn add(&mut self, x: std::arch::x86_64::__m128i) {
        use std::arch::x86_64::*;
        let zero = _mm_setzero_si128();
        self.sum = _mm_add_epi64(self.sum, _mm_sad_epu8(x, zero));
        let low = _mm_unpacklo_epi8(x, zero);
        let high = _mm_unpackhi_epi8(x, zero);
        let pairs = _mm_add_epi32(_mm_madd_epi16(low, low), _mm_madd_epi16(high, high));
        self.squares32 = _mm_add_epi32(self.squares32, pairs);
    }

    #[target_feature(enable = "sse2")]
    fn widen(&mut self) {
        use std::arch::x86_64::*;
        let zero = _mm_setzero_si128();
        self.squares = _mm_add_epi64(self.squares, _mm_unpacklo_epi32(self.squares32, zero));
        self.squares = _mm_add_epi64(self.squares, _mm_unpackhi_epi32(self.squares32, zero));
        self.squares32 = zero;
    }

    /// The sum and the sum of squares, widened.
    #[target_feature(enable = "sse2")]
    fn total(mut self) -> (u64, u64) {
        use std::arch::x86_64::*;
        self.widen();
        let mut out = [0u64; 4];
        // SAFETY: two 16-byte stores into 32 bytes of `out`.
        unsafe {
            _mm_storeu_si128(out.as_mut_ptr().cast(), self.sum);
            _mm_storeu_si128(out.as_mut_ptr().add(2).cast(), self.squares);
        }
        (out[0] + out[1], out[2] + out[3])
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sum_and_squares_sse2(pixels: &[u8]) -> (u64, u64) {
    let whole = pixels.len() / 16 * 16;
    let mut sums = VectorSums::new();
    for run in pixels[..whole].chunks(16 * VectorSums::STEPS) {
        for lane in run.chunks_exact(16) {
            // SAFETY: `lane` is 16 readable bytes; the load needs no alignment.
            sums.add(unsafe { std::arch::x86_64::_mm_loadu_si128(lane.as_ptr().cast()) });
        }
        sums.widen();
    }
    let (sum, squares) = sums.total();
    let (rest_sum, rest_squares) = sum_and_squares_scalar(&pixels[whole..]);
    (sum + rest_sum, squares + rest_squares)
}

/// The sum and the sum of squares of each of `channels` interleaved channels
/// (at most 4): RGB split by shuffles and summed as [`sum_and_squares`] sums
/// (at 224x224 the per-sample loop was 6% of a run), other layouts per sample
/// in u64 (one image's squares fit).
fn channel_sums(image: &[u8], channels: usize) -> Vec<(u64, u64)> {
    if channels == 1 {
        return vec![sum_and_squares(image)];
    }
    #[cfg(target_arch = "x86_64")]
    if channels == 3 && std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: the CPU has SSSE3.
        return unsafe { rgb_sums_ssse3(image) }.to_vec();
    }
    let mut sums = vec![(0u64, 0u64); channels];
    for pixel in image.chunks_exact(channels) {
        for ((sum, squares), &v) in sums.iter_mut().zip(pixel) {
            *sum += u64::from(v);
            *squares += u64::from(u32::from(v) * u32::from(v));
        }
    }
    sums
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
fn rgb_sums_ssse3(pixels: &[u8]) -> [(u64, u64); 3] {
    let whole = pixels.len() / 48 * 48;
    let masks = crate::image::rgb::loaded_masks();
    let mut sums = [VectorSums::new(), VectorSums::new(), VectorSums::new()];
    for run in pixels[..whole].chunks(48 * VectorSums::STEPS) {
        for block in run.chunks_exact(48) {
            let channels = crate::image::rgb::split16(block, &masks);
            for (sums, x) in sums.iter_mut().zip(channels) {
                sums.add(x);
            }
        }
        for sums in &mut sums {
            sums.widen();
        }
    }
    let totals = sums.map(|sums| sums.total());
    let rest = &pixels[whole..];
    std::array::from_fn(|c| {
        let plane: Vec<u8> = rest.iter().skip(c).step_by(3).copied().collect();
        let (rest_sum, rest_squares) = sum_and_squares_scalar(&plane);
        (totals[c].0 + rest_sum, totals[c].1 + rest_squares)
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn sum_and_squares(pixels: &[u8]) -> (u64, u64) {
    sum_and_squares_scalar(pixels)
}

fn sum_and_squares_scalar(pixels: &[u8]) -> (u64, u64) {
    pixels.iter().fold((0, 0), |(sum, squares), &v| {
        let v = u64::from(v);
        (sum + v, squares + v * v)
    })
}

impl Summary {
    /// Images per second of wall time.
    pub fn images_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.images as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Hears about progress; the binary draws bars or lines with it.
pub trait Progress: Sync {
    /// Called once the inputs are checked: how many images there are in all.
    fn start(&self, _total_images: u64) {}
    /// Called after each batch reaches the writer.
    fn advance(&self, _images: u64) {}
    /// Something the user should know that does not stop the run.
    fn warn(&self, _message: &str) {}
}

/// Progress that reports nothing, for library callers.
pub struct Silent;
impl Progress for Silent {}

/// One checked input: its path and the ids of each row group. A 32k-column footer
/// takes about 30 MB parsed, so with several inputs no table is kept: each is
/// opened again in its turn and one footer is held at a time.
struct Input {
    path: PathBuf,
    ids: Vec<Vec<String>>,
    /// The table as opened for the checks, kept only when it is the sole input:
    /// parsing its footer again took 40 ms.
    table: Option<Box<dyn PixelSource>>,
    /// The file bytes of each row group's pixels, to read ahead.
    spans: Vec<Range<u64>>,
    /// The table's metadata columns, and their values a row per image (taken
    /// when the run's labels are put together).
    metadata_columns: Vec<String>,
    metadata: Vec<Vec<Value>>,
}

/// Refuses a file given twice (under the same name or another one): its ids would
/// all be duplicates. Paths that cannot be read are left to the opening, which
/// names the problem.
fn check_each_input_once(paths: &[PathBuf]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    for (index, path) in paths.iter().enumerate() {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        if let Some(&first) = seen.get(&(meta.dev(), meta.ino())) {
            return Err(Error::InputGivenTwice {
                first: paths[first].clone(),
                second: path.clone(),
                positions: (first + 1, index + 1),
            });
        }
        seen.insert((meta.dev(), meta.ino()), index);
    }
    Ok(())
}

/// Opens every input and checks its layout and image ids before anything is written:
/// a bad file, a dangerous id or a duplicate anywhere stops the run at the start.
fn open_inputs(options: &ConvertOptions, progress: &dyn Progress) -> Result<Vec<Input>> {
    let shape = options.geometry.shape();
    let format = options.output_format();
    // Where each id was first seen: input number and row (a Location per id would
    // hold a copy of the path for each of 200,000 ids).
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    check_each_input_once(&options.inputs)?;
    let mut inputs = Vec::with_capacity(options.inputs.len());
    for (input, path) in options.inputs.iter().enumerate() {
        let table = crate::read::open(path, shape, options.id_column.as_deref())?;
        if table.num_rows() == 0 {
            progress.warn(&format!(
                "{}: has no rows; it adds nothing to the output",
                path.display()
            ));
        }
        let mut ids = Vec::with_capacity(table.num_parts());
        let mut first_row = 0u64;
        for rg in 0..table.num_parts() {
            let group_ids = table.read_ids(rg, first_row)?;
            for (i, id) in group_ids.iter().enumerate() {
                let row = first_row + i as u64;
                let at = |path: &Path, row: u64, id: &str| {
                    Location::file(path)
                        .with_row(row)
                        .with_image_id(id.to_owned())
                };
                let problem = image_id_problem(id).or_else(|| {
                    format
                        .id_problem(id)
                        .map(|why| format!("{why} ({} output)", format.name()))
                });
                if let Some(message) = problem {
                    return Err(Error::BadImageId {
                        at: Location {
                            column: Some(crate::read::ID_COLUMN.into()),
                            ..at(path, row, id)
                        },
                        message,
                    });
                }
                if let Some(&(first_input, first_row)) = seen.get(id) {
                    let first_path = &options.inputs[first_input];
                    return Err(Error::DuplicateImageId {
                        id: id.clone(),
                        first: Box::new(at(first_path, first_row, id)),
                        second: Box::new(at(path, row, id)),
                    });
                }
                seen.insert(id.clone(), (input, row));
            }
            first_row += group_ids.len() as u64;
            ids.push(group_ids);
        }
        for (column, type_name) in table.uncarried_metadata() {
            progress.warn(&format!(
                "{}: column {column:?} ({type_name}) is not carried to the outputs, which hold \
                 numbers and text; cast it to one of those to keep it",
                path.display()
            ));
        }
        let metadata_columns = table.metadata_columns();
        let mut metadata = Vec::new();
        if !metadata_columns.is_empty() {
            let mut first_row = 0u64;
            for rg in 0..table.num_parts() {
                metadata.extend(table.read_metadata(rg, first_row)?);
                first_row += table.part_rows(rg) as u64;
            }
        }
        inputs.push(Input {
            metadata_columns,
            metadata,
            path: path.clone(),
            ids,
            spans: (0..table.num_parts())
                .map(|rg| table.part_span(rg))
                .collect(),
            table: (options.inputs.len() == 1).then_some(table),
        });
    }
    Ok(inputs)
}

/// The labels of every image, by row of the run: the tables' metadata columns
/// (their union, in order of first appearance; null where an input lacks one),
/// then the columns of the `--labels` CSV joined on the image id.
fn gather_metadata(options: &ConvertOptions, inputs: &mut [Input]) -> Result<Metadata> {
    let mut columns: Vec<String> = Vec::new();
    for input in inputs.iter() {
        for column in &input.metadata_columns {
            if !columns.contains(column) {
                columns.push(column.clone());
            }
        }
    }
    let images: usize = inputs
        .iter()
        .map(|i| i.ids.iter().map(Vec::len).sum::<usize>())
        .sum();
    let mut rows: Vec<Vec<Value>> = Vec::new();
    if !columns.is_empty() {
        rows.reserve(images);
        for input in inputs.iter_mut() {
            let at: Vec<usize> = input
                .metadata_columns
                .iter()
                .map(|c| columns.iter().position(|x| x == c).expect("in the union"))
                .collect();
            for values in std::mem::take(&mut input.metadata) {
                let mut row = vec![Value::Null; columns.len()];
                for (value, &column) in values.into_iter().zip(&at) {
                    row[column] = value;
                }
                rows.push(row);
            }
        }
    }
    // The CSV tables of the outputs have a key column of their own.
    let key_column = match options.output_format() {
        OutputFormat::Zip | OutputFormat::Dir => Some("file_name"),
        OutputFormat::Npy | OutputFormat::Lmdb => Some("image_id"),
        OutputFormat::Tar => None,
    };
    let clash_message = |key: &str| {
        format!(
            "column {key:?} has the name of the key column of the {} output's metadata CSV; \
             rename it",
            options.output_format().name()
        )
    };
    if let Some(key) = key_column.filter(|k| columns.iter().any(|c| c == k)) {
        let owner = inputs
            .iter()
            .find(|i| i.metadata_columns.iter().any(|c| c == key))
            .expect("a column of some input");
        return Err(Error::Layout {
            at: Location::file(&owner.path).with_column(key),
            message: clash_message(key),
        });
    }
    let Some(labels_path) = &options.labels else {
        return Ok(Metadata { columns, rows });
    };
    let key = options
        .id_column
        .as_deref()
        .unwrap_or(crate::read::ID_COLUMN);
    let labels = Labels::read(labels_path, key)?;
    if let Some(clash) = labels.columns.iter().find(|c| columns.contains(c)) {
        let owner = inputs
            .iter()
            .find(|i| i.metadata_columns.contains(clash))
            .map_or_else(String::new, |i| i.path.display().to_string());
        return Err(Error::Labels {
            path: labels_path.clone(),
            line: Some(1),
            message: format!(
                "column {clash:?} is also a column of {owner}; drop it from one of them"
            ),
        });
    }
    if let Some(key) = key_column.filter(|k| labels.columns.iter().any(|c| c == k)) {
        return Err(Error::Labels {
            path: labels_path.clone(),
            line: Some(1),
            message: clash_message(key),
        });
    }
    // Where run row i is, for the error of an image without a label row.
    let place = |i: usize| {
        let mut rest = i;
        for input in inputs.iter() {
            let n: usize = input.ids.iter().map(Vec::len).sum();
            if rest < n {
                return format!("{}, row {rest}", input.path.display());
            }
            rest -= n;
        }
        String::new()
    };
    let ids = inputs
        .iter()
        .flat_map(|i| i.ids.iter().flatten())
        .map(String::as_str);
    let joined = labels.join(ids, place)?;
    if rows.is_empty() {
        rows = joined;
    } else {
        for (row, extra) in rows.iter_mut().zip(joined) {
            row.extend(extra);
        }
    }
    columns.extend(labels.columns.iter().cloned());
    Ok(Metadata { columns, rows })
}

/// What the images of a run add up to.
#[derive(Default)]
struct Counts {
    images: u64,
    blanks: u64,
    skipped: u64,
    /// Of the written images' pixels, one per channel.
    sums: Vec<PixelSums>,
    /// Files left out with `skip_bad`, and why.
    bad: Vec<BadFile>,
}

impl Counts {
    fn add_sums(&mut self, sums: &[PixelSums]) {
        if self.sums.len() < sums.len() {
            self.sums.resize(sums.len(), PixelSums::default());
        }
        for (total, s) in self.sums.iter_mut().zip(sums) {
            total.add(*s);
        }
    }
}

/// What the writer gets of one image.
enum Payload {
    /// A blank left out.
    Skipped,
    /// Its PNG, or for the array its pixels.
    Data(Vec<u8>),
    /// Already in place: the worker wrote it through the sink's `Sink::place`.
    Placed,
}

/// One image for the writer: id, row of the run, and what to write.
type Made = (String, usize, Payload);

/// One batch of images, in input order.
type Batch = Vec<Made>;

/// Makes every image of a run and hands each batch, in order, to its callback,
/// which says false when the writer has failed.
type Produce<'a> = dyn FnMut(&mut dyn FnMut(Batch) -> bool) -> Result<Counts> + 'a;

enum ToWriter {
    Batch(Batch),
    /// Sent only after the last batch: a writer that sees the channel close
    /// without it discards the archive.
    Done,
}

/// What the writer gives back: the finished output, or the failure and the number
/// of images written before it.
type Written = std::result::Result<Finished, (std::io::Error, u64)>;

/// Adds one batch's images to the sink, in order.
fn write_batch(sink: &mut dyn Sink, batch: Batch, progress: &dyn Progress) -> std::io::Result<()> {
    let n = batch.len() as u64;
    let images: Vec<Image> = batch
        .iter()
        .filter_map(|(id, row, payload)| {
            let data = match payload {
                Payload::Skipped => return None,
                Payload::Data(data) => Some(data.as_slice()),
                Payload::Placed => None,
            };
            Some(Image {
                id,
                row: *row,
                data,
            })
        })
        .collect();
    sink.add_all(&images)?;
    progress.advance(n);
    Ok(())
}

/// A sink that is not finished because the conversion stopped: dropping it
/// removes a partial zip.
fn abandon(sink: Box<dyn Sink>) -> Written {
    Err((
        std::io::Error::other("the conversion stopped before the end"),
        sink.written(),
    ))
}

/// The writer thread's loop: adds every image, and finishes the sink only on `Done`.
/// A failure comes back with the number of images written before it; the sink is
/// dropped, which removes a partial zip.
fn write_all(
    mut sink: Box<dyn Sink>,
    batches: Receiver<ToWriter>,
    progress: &dyn Progress,
) -> Written {
    loop {
        match batches.recv() {
            Ok(ToWriter::Batch(batch)) => {
                if let Err(e) = write_batch(sink.as_mut(), batch, progress) {
                    return Err((e, sink.written()));
                }
            }
            Ok(ToWriter::Done) => {
                let written = sink.written();
                return sink.finish().map_err(|e| (e, written));
            }
            Err(_) => return abandon(sink),
        }
    }
}

/// The run's own pool of `threads` workers (never rayon's global one, so a forked
/// process builds its own); `output` names the run in the error.
pub(crate) fn worker_pool(threads: usize, output: &Path) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("pixelprep-worker-{i}"))
        .build()
        .map_err(|e| Error::WriteOutput {
            path: output.to_path_buf(),
            written: None,
            cause: std::io::Error::other(e),
        })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `produce`, which makes every image and hands each batch in order to
/// its `deliver` callback, and writes the batches into `sink`: on this thread
/// when `threads` is 1, else on a writer thread of its own. A failure, a panic or
/// an interruption leaves nothing under a final name (a folder filled in place
/// keeps what it has, and the error says how many).
fn drive(
    sink: Box<dyn Sink>,
    threads: usize,
    output: &Path,
    progress: &dyn Progress,
    produce: &mut Produce<'_>,
) -> Result<(Counts, Finished)> {
    let keeps_partial = sink.keeps_partial_output();
    let (produced, written) = if threads <= 1 {
        // Serial: this thread writes each batch once it is made, so one thread
        // works at a time, the writing included.
        let mut sink = Some(sink);
        let mut failure = None;
        let produced = catch_unwind(AssertUnwindSafe(|| {
            produce(&mut |batch| {
                let sink = sink.as_mut().expect("the sink is kept until the end");
                match write_batch(sink.as_mut(), batch, progress) {
                    Ok(()) => true,
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                }
            })
        }));
        let sink = sink.take().expect("the sink is kept until the end");
        let written = match failure {
            Some(e) => Err((e, sink.written())),
            None if matches!(produced, Ok(Ok(_))) => {
                let written = sink.written();
                sink.finish().map_err(|e| (e, written))
            }
            None => abandon(sink),
        };
        (produced, Ok(written))
    } else {
        let (sender, receiver) = bounded::<ToWriter>(BATCHES_IN_FLIGHT);
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_all(sink, receiver, progress));
            let produced = catch_unwind(AssertUnwindSafe(|| {
                let counts = produce(&mut |batch| sender.send(ToWriter::Batch(batch)).is_ok())?;
                let _ = sender.send(ToWriter::Done);
                Ok(counts)
            }));
            drop(sender);
            (produced, writer.join())
        })
    };
    let written = match written {
        Ok(w) => w,
        Err(payload) => {
            return Err(Error::WorkerPanic {
                message: format!("writer: {}", panic_message(&*payload)),
                written: None,
            })
        }
    };
    // After a failure the writer has discarded a zip, or left a folder's files:
    // say how many of those.
    let written_to_folder = match &written {
        Err((_, n)) if keeps_partial => Some(*n),
        _ => None,
    };
    let counts = match produced {
        Ok(Ok(counts)) => counts,
        Ok(Err(e)) => {
            return Err(match (e, written_to_folder) {
                (Error::Interrupted { path, .. }, Some(n)) => Error::Interrupted {
                    path,
                    written: Some(n),
                },
                (e, Some(n)) => Error::PartialOutput {
                    cause: Box::new(e),
                    path: output.to_path_buf(),
                    written: n,
                },
                (e, None) => e,
            });
        }
        Err(payload) => {
            return Err(Error::WorkerPanic {
                message: panic_message(&*payload),
                written: written_to_folder,
            })
        }
    };
    let finished = written.map_err(|(source, _)| Error::WriteOutput {
        path: output.to_path_buf(),
        written: written_to_folder,
        cause: source,
    })?;
    Ok((counts, finished))
}

/// Converts the inputs into the output archive. `cancel` is polled between batches
/// (Ctrl-C); when set, the run stops and removes its partial archive.
pub fn convert(
    options: &ConvertOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<Summary> {
    let started = Instant::now();
    if files::wants_image_files(options)? {
        return files::convert_files(options, progress, cancel, started);
    }
    if options.resume {
        return Err(Error::Usage {
            message: "--resume continues runs of image files into tar shards; a pixel table \
                      converts in seconds: run it again with --force"
                .into(),
        });
    }
    if let Some(kind @ (RecipeKind::Pil | RecipeKind::OpenCv)) = options.recipe {
        let name = if kind == RecipeKind::Pil {
            "pil"
        } else {
            "opencv"
        };
        return Err(Error::Usage {
            message: format!(
                "--recipe {name} makes images from image files (folders, photos, --files \
                 lists); pixel tables are made by the kernel's steps (--recipe kernel)"
            ),
        });
    }
    let mut inputs = open_inputs(options, progress)?;
    // Every row group in conversion order, each read ahead while the one before it
    // is turned into images.
    let row_groups: Vec<(PathBuf, Range<u64>)> = inputs
        .iter()
        .flat_map(|i| i.spans.iter().map(|span| (i.path.clone(), span.clone())))
        .collect();
    let readahead = Readahead::start();
    if let Some((path, span)) = row_groups.first() {
        readahead.request(path, span.clone());
    }
    let mut decoded = 0;
    let total: u64 = inputs
        .iter()
        .flat_map(|i| &i.ids)
        .map(|g| g.len() as u64)
        .sum();
    let metadata = gather_metadata(options, &mut inputs)?;
    let format = options.output_format();
    let sink = open_sink(&SinkSpec {
        path: options.output.clone(),
        format,
        force: options.force,
        shard_size: options.shard_size,
        shape: OutputShape::square_gray(options.geometry.size),
        metadata: std::sync::Arc::new(metadata),
        raw_values: options.lmdb_raw,
        publish_shards_from: None,
    })?;
    let holds_png = format.holds_png(options.lmdb_raw);
    // Where the sink knows each image's place (the array, when no image is left
    // out), the workers write the images there themselves, in parallel.
    let place = if options.skip_blank {
        None
    } else {
        sink.place()
    };
    let output = options.output.clone();
    progress.start(total);

    let pool = worker_pool(options.threads, &output)?;

    let geometry = options.geometry;
    let id_column = options.id_column.clone();
    let skip_blank = options.skip_blank;
    let panic_on = options.panic_on_image_id.as_deref();

    let check_cancel = || {
        if cancel.load(Ordering::Relaxed) {
            Err(Error::Interrupted {
                path: output.clone(),
                written: None,
            })
        } else {
            Ok(())
        }
    };

    // Makes every image and hands each batch, in order, to `deliver`, which says
    // false when the writer has failed (its error is reported by the caller).
    let mut produce = |deliver: &mut dyn FnMut(Batch) -> bool| -> Result<Counts> {
        let mut counts = Counts::default();
        let mut pixels = PixelRows::default();
        // Row of the run (over all inputs) of the part's first image.
        let mut run_row = 0usize;
        for input in inputs.iter_mut() {
            // Dropped after its last row group. One opened again (footer only;
            // checked above) must still have the rows that were checked.
            let table = match input.table.take() {
                Some(table) => table,
                None => crate::read::open(&input.path, geometry.shape(), id_column.as_deref())?,
            };
            let groups: Vec<usize> = (0..table.num_parts())
                .map(|rg| table.part_rows(rg))
                .collect();
            if groups != input.ids.iter().map(Vec::len).collect::<Vec<_>>() {
                return Err(Error::Layout {
                    at: Location::file(&input.path),
                    message: "changed while the run was converting it (its rows are not the \
                                  ones checked at the start); run again on a file that stays put"
                        .into(),
                });
            }
            let mut first_row = 0u64;
            for (rg, ids) in input.ids.iter().enumerate() {
                check_cancel()?;
                pool.install(|| table.read_pixels(rg, first_row, ids, &mut pixels))?;
                decoded += 1;
                if let Some((path, span)) = row_groups.get(decoded) {
                    readahead.request(path, span.clone());
                }
                for (chunk_index, chunk_ids) in ids.chunks(BATCH).enumerate() {
                    check_cancel()?;
                    let start = chunk_index * BATCH;
                    let first = run_row + start;
                    let made: std::io::Result<Vec<(Made, bool, PixelSums)>> = pool.install(|| {
                        pixels
                            .par_rows(start..start + chunk_ids.len())
                            .zip(chunk_ids.par_iter())
                            .enumerate()
                            .map(|(k, (raw, id))| {
                                if panic_on == Some(id.as_str()) {
                                    panic!("test hook: --panic-on-image-id {id}");
                                }
                                let (img, blank) = transform_image(raw, &geometry);
                                let made = |payload| (id.clone(), first + k, payload);
                                if blank && skip_blank {
                                    return Ok((
                                        made(Payload::Skipped),
                                        blank,
                                        PixelSums::default(),
                                    ));
                                }
                                let sums = PixelSums::of(&img);
                                let payload = if let Some(place) = &place {
                                    place.place((first + k) as u64, &img)?;
                                    Payload::Placed
                                } else if holds_png {
                                    Payload::Data(encode_png(&img, geometry.size, geometry.size))
                                } else {
                                    Payload::Data(img)
                                };
                                Ok((made(payload), blank, sums))
                            })
                            .collect()
                    });
                    let made = made.map_err(|cause| Error::WriteOutput {
                        path: output.clone(),
                        written: None,
                        cause,
                    })?;
                    counts.images += made.len() as u64;
                    counts.blanks += made.iter().filter(|m| m.1).count() as u64;
                    counts.skipped += made
                        .iter()
                        .filter(|m| matches!(m.0 .2, Payload::Skipped))
                        .count() as u64;
                    for m in &made {
                        counts.add_sums(&[m.2]);
                    }
                    let batch = made.into_iter().map(|m| m.0).collect();
                    if !deliver(batch) {
                        return Ok(counts);
                    }
                }
                first_row += ids.len() as u64;
                run_row += ids.len();
            }
        }
        Ok(counts)
    };

    let (counts, finished) = drive(sink, options.threads, &output, progress, &mut produce)?;
    Ok(summary(inputs.len(), 0, counts, finished, started))
}

/// The summary of a finished run.
fn summary(
    files: usize,
    ignored: u64,
    counts: Counts,
    finished: Finished,
    started: Instant,
) -> Summary {
    let mut all = PixelSums::default();
    for s in &counts.sums {
        all.add(*s);
    }
    let (mean, std) = all.mean_and_std();
    let (channel_mean, channel_std) = counts.sums.iter().map(PixelSums::mean_and_std).unzip();
    Summary {
        files,
        images: counts.images,
        blanks: counts.blanks,
        skipped: counts.skipped,
        output_bytes: finished.bytes,
        seconds: started.elapsed().as_secs_f64(),
        mean,
        std,
        outputs: finished.paths,
        channel_mean,
        channel_std,
        ignored,
        bad: counts.bad,
    }
}

#[cfg(test)]
mod tests {
    use super::PixelSums;

    #[test]
    fn sums_give_the_mean_and_population_std() {
        let mut sums = PixelSums::of(&[0, 255]);
        sums.add(PixelSums::of(&[255, 0]));
        assert_eq!(sums.mean_and_std(), (127.5, 127.5));
        assert_eq!(PixelSums::of(&[7; 9]).mean_and_std(), (7.0, 0.0));
        assert_eq!(PixelSums::default().mean_and_std(), (0.0, 0.0));
    }

    #[test]
    fn channel_sums_are_the_sums_of_each_channel() {
        let mut rng = fastrand::Rng::with_seed(9);
        for (channels, pixels) in [
            (1, 333),
            (2, 333),
            (3, 333),
            (3, 17),
            (3, 150_001),
            (4, 333),
        ] {
            let image: Vec<u8> = (0..channels * pixels).map(|_| rng.u8(..)).collect();
            let white = vec![255u8; channels * pixels];
            for image in [image, white] {
                let sums = PixelSums::of_channels(&image, channels);
                for (c, got) in sums.into_iter().enumerate() {
                    let plane: Vec<u8> = image.iter().skip(c).step_by(channels).copied().collect();
                    assert_eq!(got, PixelSums::of(&plane), "channel {c} of {channels}");
                }
            }
        }
    }

    #[test]
    fn vector_sums_match_the_plain_ones_at_every_length_and_value() {
        let mut rng = fastrand::Rng::with_seed(5);
        // Past 8,192 steps of 16 bytes the 32-bit lanes are widened: all 255s
        // there are the largest squares.
        for len in [0, 1, 15, 16, 17, 255, 16_384, 131_072, 131_089, 300_001] {
            let random: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            for pixels in [random, vec![255u8; len]] {
                assert_eq!(
                    super::sum_and_squares(&pixels),
                    super::sum_and_squares_scalar(&pixels),
                    "{len} pixels"
                );
            }
        }
        let all_white = vec![255u8; 300_001];
        assert_eq!(
            super::sum_and_squares(&all_white),
            (300_001 * 255, 300_001 * 65_025)
        );
    }
}
