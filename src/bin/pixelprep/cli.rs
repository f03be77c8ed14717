//! Command-line arguments, parsed once with clap and turned into validated
//! options. Nothing past this module sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::bench::BenchOptions;
use super::progress::{ProgressChoice, DEFAULT_LINE_INTERVAL};
use pixelprep::{
    resampling, ConvertOptions, Fit, Geometry, ImageShape, OutputFormat, PilColor, RecipeKind,
    SynthOptions, DEFAULT_MAX_PIXELS,
};

const EXAMPLES: &str = "\
Examples:
  pixelprep convert train_image_data_0.parquet train_image_data_1.parquet -o train.zip
  pixelprep convert data-samples/bengali_sample.parquet -o out/
  pixelprep convert train_image_data_0.parquet -o train.zip --threads 1
  pixelprep convert train_image_data_*.parquet -o shards/train-%06d.tar --labels train.csv
  pixelprep convert train_image_data_0.parquet -o train.npy
  pixelprep convert train_image_data_*.parquet -o train.lmdb --labels train.csv
  pixelprep convert photos/ -o photos.npy --size 64
  pixelprep convert photos/ -o x.lmdb --recipe opencv --size 256 --filter cubic
  pixelprep convert train.zip -o shards/p-%06d.tar --skip-bad

Exit codes: 0 ok, 1 bad input or failure, 2 usage error, 130 interrupted.";

const INSPECT_EXAMPLES: &str = "\
Examples:
  pixelprep inspect data-samples/bengali_sample.parquet";

#[derive(Debug, Parser)]
#[command(
    name = "pixelprep",
    version,
    about = "Turn pixel tables (Parquet or Feather, Bengali.AI layout) into training archives (zip, folder, WebDataset shards, NumPy, LMDB), pixel-identical to the reference Kaggle kernel",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert pixel tables (Parquet, Feather / Arrow IPC) into a zip or folder of PNGs, WebDataset shards, a NumPy array or an LMDB store.
    #[command(after_help = EXAMPLES)]
    Convert(ConvertArgs),

    /// Describe pixel tables from their footers or schemas, or image folders from the files' headers, without reading the pixels.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),

    /// Time the conversion serially, then in parallel, and check both archives are identical.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),

    /// Write a realistic competition-like pixel table, for benchmarks without a download.
    #[command(after_help = SYNTH_EXAMPLES)]
    Synth(SynthArgs),
}

const BENCH_EXAMPLES: &str = "\
Examples:
  pixelprep bench train_image_data_0.parquet
  pixelprep bench train_image_data_0.parquet --json";

const SYNTH_EXAMPLES: &str = "\
Examples:
  pixelprep synth -o synthetic_50k.parquet --rows 50210
  pixelprep synth -o many_groups.parquet --rows 10000 --row-group-size 1000 --seed 7
  pixelprep synth -o second.parquet --rows 50210 --seed 1 --first-id 50210";

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Pixel tables, as for convert.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Threads of the parallel run [default: all cores].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    #[command(flatten)]
    pub geometry: GeometryArgs,

    /// Rounds of one serial and one parallel pass; the order alternates between
    /// rounds and the medians are reported.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub rounds: u16,

    #[command(flatten)]
    pub id: IdColumnArg,

    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,

    /// Folder for the temporary archives [default: the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
}

impl BenchArgs {
    pub fn to_options(&self, command: Vec<std::ffi::OsString>) -> BenchOptions {
        BenchOptions {
            command,
            inputs: self.inputs.clone(),
            geometry: self.geometry.to_geometry(),
            threads: self.threads.map_or_else(default_threads, usize::from),
            temp_dir: self.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
            rounds: usize::from(self.rounds),
            id_column: self.id.id_column.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The Parquet file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Number of images.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub rows: u64,

    /// Seed: the same seed gives the same file.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Number of the first image id (Train_N, then Train_N+1, ...): give each file
    /// of a set its own range, as the competition does, to convert them together.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub first_id: u64,

    /// Rows per row group [default: all rows in one, like the competition files].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub row_group_size: Option<u64>,

    /// Image height, in pixels.
    #[arg(long, default_value_t = 137, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub height: u32,

    /// Image width, in pixels.
    #[arg(long, default_value_t = 236, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub width: u32,

    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

impl SynthArgs {
    pub fn to_options(&self) -> SynthOptions {
        SynthOptions {
            rows: self.rows as usize,
            seed: self.seed,
            first_id: self.first_id,
            row_group_size: self
                .row_group_size
                .map_or((self.rows as usize).max(1), |r| r as usize),
            height: self.height as usize,
            width: self.width as usize,
        }
    }
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Pixel tables (Parquet, Feather / Arrow IPC), or folders and files of images.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Check the pixel columns against this image height (with --width).
    #[arg(long, requires = "width", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub height: Option<u32>,

    /// Check the pixel columns against this image width (with --height).
    #[arg(long, requires = "height", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub width: Option<u32>,

    #[command(flatten)]
    pub id: IdColumnArg,
}

#[derive(Debug, Args)]
pub struct IdColumnArg {
    /// The column holding the image ids [default: "image_id", else the only string
    /// column that is not a pixel].
    #[arg(long, value_name = "NAME")]
    pub id_column: Option<String>,
}

impl InspectArgs {
    pub fn shape(&self) -> Option<ImageShape> {
        Some(ImageShape {
            height: self.height? as usize,
            width: self.width? as usize,
        })
    }
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Pixel tables (Parquet, Feather / Arrow IPC), or image files: folders
    /// (walked recursively, sorted by relative path; hidden files skipped),
    /// single photos (JPEG, PNG, WebP, BMP, GIF, TIFF), zip and plain tar
    /// archives read in place as the folder they unpack to (in archive order;
    /// gzip-compressed tars are not read: gunzip them first), and Parquet or
    /// Feather / Arrow IPC tables of encoded images (a Hugging Face {bytes, path}
    /// image column, or a binary one; the other columns are labels). In the
    /// order given.
    #[arg(required_unless_present = "files", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The column of image bytes of a Parquet or Feather table of images [default: the
    /// first {bytes, path} struct column, else the first binary column].
    #[arg(long, value_name = "NAME")]
    pub image_column: Option<String>,

    /// A text file listing image files, one path a line, relative to the list's
    /// folder; the list's order is kept and each id is the path without extension.
    #[arg(long, value_name = "LIST")]
    pub files: Option<PathBuf>,

    /// The folder the paths of --files are relative to, and so the images' ids
    /// [default: the list's folder].
    #[arg(long, value_name = "DIR", requires = "files")]
    pub root: Option<PathBuf>,

    /// How each image is made: `kernel` (pixel tables: the reference kernel's
    /// steps), `pil` (image files: Image.open(p).convert(MODE).resize((W, H),
    /// FILTER)) or `opencv` (image files: cv2.resize(cv2.imread(p), (W, H),
    /// interpolation=FILTER), RGB; equal to OpenCV with cv2.ipp.setUseIPP(False):
    /// with IPP on, opencv-python's cubic differs by 1 on a few pixels), pixel
    /// for pixel [default: kernel for tables, pil for image files].
    #[arg(long, value_enum, value_name = "RECIPE")]
    pub recipe: Option<RecipeArg>,

    /// The mode image files are converted to: rgb (convert("RGB"); IMREAD_COLOR
    /// for opencv) or gray (convert("L"); IMREAD_GRAYSCALE for opencv).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ColorArg::Rgb)]
    pub color: ColorArg,

    /// The resampling filter for image files: Pillow's bicubic (its default),
    /// bilinear, lanczos, box, hamming or nearest; OpenCV's linear (its
    /// default), cubic, area or nearest.
    #[arg(long, value_enum, value_name = "FILTER")]
    pub filter: Option<FilterArg>,

    /// How image files fit the size: stretch (resize to it), crop (the largest
    /// centred box of its aspect, resized), pad (the whole image, aspect kept,
    /// centred on a --fill border).
    #[arg(long, value_enum, value_name = "FIT", default_value_t = FitArg::Stretch)]
    pub fit: FitArg,

    /// Decode JPEGs at 1/2, 1/4 or 1/8 scale in the DCT domain when the size is
    /// that much smaller, as Pillow's im.draft("RGB", (2*W, 2*H)) before
    /// convert and resize (what thumbnail() does): much faster, other pixels.
    #[arg(long)]
    pub draft: bool,

    /// The border of --fit pad: a gray value (0) or R,G,B (255,255,255).
    #[arg(long, value_name = "COLOR", default_value = "0", value_parser = parse_fill)]
    pub fill: Fill,

    /// Leave out image files that cannot be decoded (not an image, truncated,
    /// unsupported, too large, damaged) and go on; they are named in the summary,
    /// in --json and in OUT's <name>.bad.csv. Without it the first stops the run.
    #[arg(long)]
    pub skip_bad: bool,

    /// Refuse image files whose header declares more pixels (before decoding
    /// them) [default: Pillow's limit, 178956970].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pixels: Option<u64>,

    /// Output, its format told by the extension: train.zip (zip of PNGs),
    /// shards/train-%06d.tar (WebDataset shards; train.tar: one tar), train.npy
    /// (one uint8 array, ids and labels in train.metadata.csv), train.lmdb (LMDB
    /// store in one file); anything else a folder of PNGs.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// The output format, when the extension of OUT does not say it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// Images per tar shard, with a shard pattern (%06d) in OUT.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_size: Option<u64>,

    /// Continue a run of image files into tar shards that was stopped (Ctrl-C,
    /// a kill, a crash, a bad file): the shards it finished are checked and
    /// kept, the rest is written, byte for byte as one run would. Give the same
    /// command again with --resume.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,

    /// A CSV with one row per image (the competition's train.csv), joined on the
    /// image_id column; its columns go to the outputs beside the table's own
    /// label columns: metadata.csv in a zip or folder, <key>.json in tar shards,
    /// the .metadata.csv of an array, __metadata__ in LMDB.
    #[arg(long, value_name = "FILE.csv")]
    pub labels: Option<PathBuf>,

    /// What an LMDB store's values are: png (each image's PNG) or raw (its H*W*C
    /// bytes as they come, the shape under the key __shape__: nothing to decode).
    #[arg(long, value_enum, value_name = "KIND", default_value_t = LmdbValuesArg::Png)]
    pub lmdb_values: LmdbValuesArg,

    /// Worker threads [default: all cores]; 1 runs serially.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    #[command(flatten)]
    pub geometry: GeometryArgs,

    #[command(flatten)]
    pub id: IdColumnArg,

    /// Replace an existing output. A zip is replaced once the new one is complete;
    /// a folder is built beside the old one and swapped with it, so it then holds
    /// exactly this run's images. A folder holding anything but PNGs and
    /// metadata.csv (other files, folders, links) is refused, never deleted.
    #[arg(long)]
    pub force: bool,

    /// Leave blank images (constant, or with no ink) out of the output.
    #[arg(long)]
    pub skip_blank: bool,

    /// How progress is shown on stderr: `auto` draws a bar on a terminal and plain
    /// lines in a notebook cell (Jupyter, Kaggle, Colab) or a log.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = ProgressChoice::Auto)]
    pub progress: ProgressChoice,

    /// Seconds between two plain progress lines.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LINE_INTERVAL.as_secs_f64(), value_parser = parse_interval)]
    pub progress_interval: f64,

    /// No progress bar or lines (as --progress none); the summary, warnings and
    /// errors are still printed.
    #[arg(short, long)]
    pub quiet: bool,

    /// Print the summary as one JSON object on stdout instead of the summary line.
    #[arg(long)]
    pub json: bool,

    /// For the tests: the worker that transforms this image panics, to check that a
    /// panic never leaves an archive that looks complete.
    #[arg(long, hide = true, value_name = "ID")]
    pub panic_on_image_id: Option<String>,
}

fn parse_interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0 to 86400"
        )),
    }
}

impl ConvertArgs {
    /// The progress choice, `--quiet` included.
    pub fn progress_choice(&self) -> ProgressChoice {
        if self.quiet {
            ProgressChoice::None
        } else {
            self.progress
        }
    }

    pub fn progress_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.progress_interval)
    }
}

#[derive(Debug, Args)]
pub struct GeometryArgs {
    /// Height of the source images, in pixels.
    #[arg(long, default_value_t = 137, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub height: u32,

    /// Width of the source images, in pixels.
    #[arg(long, default_value_t = 236, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub width: u32,

    /// Output size in pixels: a side (128, square) or WIDTHxHEIGHT (64x48, image
    /// files only).
    #[arg(long, default_value = "128", value_name = "S|WxH", value_parser = parse_size)]
    pub size: OutputSize,

    /// Padding added around the crop before resizing, in pixels.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=8192))]
    pub pad: u32,
}

/// `--size`: width and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSize {
    pub width: u32,
    pub height: u32,
}

fn parse_size(text: &str) -> Result<OutputSize, String> {
    let side = |t: &str| match t.trim().parse::<u32>() {
        Ok(v) if (1..=8192).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text:?} is not a size: give a side from 1 to 8192 (64) or WIDTHxHEIGHT (64x48)"
        )),
    };
    match text.split_once(['x', 'X']) {
        Some((w, h)) => Ok(OutputSize {
            width: side(w)?,
            height: side(h)?,
        }),
        None => {
            let s = side(text)?;
            Ok(OutputSize {
                width: s,
                height: s,
            })
        }
    }
}

impl GeometryArgs {
    pub fn to_geometry(&self) -> Geometry {
        Geometry {
            height: self.height as usize,
            width: self.width as usize,
            size: self.size.width as usize,
            pad: self.pad as usize,
        }
    }
}

/// All cores, as the default thread count.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--lmdb-values`' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LmdbValuesArg {
    /// Each image's PNG.
    Png,
    /// Each image's raw pixels.
    Raw,
}

/// `--fit`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitArg {
    /// Resize to the size, whatever the aspect.
    Stretch,
    /// The largest centred box of the size's aspect, resized.
    Crop,
    /// The whole image, aspect kept, on a border of --fill.
    Pad,
}

/// `--fill`: one gray value or R, G, B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub rgb: [u8; 3],
    pub gray: bool,
}

fn parse_fill(text: &str) -> Result<Fill, String> {
    let values: Result<Vec<u8>, _> = text.split(',').map(|v| v.trim().parse::<u8>()).collect();
    match values.as_deref() {
        Ok([v]) => Ok(Fill {
            rgb: [*v; 3],
            gray: true,
        }),
        Ok([r, g, b]) => Ok(Fill {
            rgb: [*r, *g, *b],
            gray: false,
        }),
        _ => Err(format!(
            "{text:?} is not a colour: give a gray value 0..255 (128) or R,G,B (255,255,255)"
        )),
    }
}

/// `--recipe`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecipeArg {
    /// The reference Kaggle kernel's steps (pixel tables).
    Kernel,
    /// Pillow's convert and resize (image files).
    Pil,
    /// OpenCV's imread and resize (image files).
    #[value(name = "opencv")]
    OpenCv,
}

/// `--color`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// convert("RGB"): (H, W, 3) images.
    Rgb,
    /// convert("L"): (H, W) gray images.
    Gray,
}

/// `--filter`'s values: Pillow's resampling filters and OpenCV's interpolations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FilterArg {
    /// Image.BICUBIC, Pillow's default.
    Bicubic,
    /// Image.BILINEAR.
    Bilinear,
    /// Image.LANCZOS.
    Lanczos,
    /// Image.BOX.
    Box,
    /// Image.HAMMING.
    Hamming,
    /// Image.NEAREST, cv2.INTER_NEAREST.
    Nearest,
    /// cv2.INTER_LINEAR, OpenCV's default.
    Linear,
    /// cv2.INTER_CUBIC.
    Cubic,
    /// cv2.INTER_AREA.
    Area,
}

impl FilterArg {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// `--format`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// A zip of PNGs.
    Zip,
    /// A folder of PNGs.
    Dir,
    /// WebDataset tar shards, or one tar.
    Tar,
    /// One uint8 NumPy array and its metadata CSV.
    Npy,
    /// An LMDB store in one file.
    Lmdb,
}

impl FormatArg {
    fn to_format(self) -> OutputFormat {
        match self {
            FormatArg::Zip => OutputFormat::Zip,
            FormatArg::Dir => OutputFormat::Dir,
            FormatArg::Tar => OutputFormat::Tar,
            FormatArg::Npy => OutputFormat::Npy,
            FormatArg::Lmdb => OutputFormat::Lmdb,
        }
    }
}

impl ConvertArgs {
    /// The validated options; an `Err` is a usage error to report as clap does.
    pub fn to_options(&self) -> Result<ConvertOptions, String> {
        let format = self.format.map_or_else(
            || OutputFormat::from_path(&self.output),
            FormatArg::to_format,
        );
        let has_pattern = self
            .output
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains('%'));
        if self.resume && !(format == OutputFormat::Tar && has_pattern) {
            return Err(format!(
                "--resume continues tar shards: an OUT with a shard number pattern, such as \
                 -o shards/train-%06d.tar (OUT is {})",
                self.output.display()
            ));
        }
        if self.shard_size.is_some() && !(format == OutputFormat::Tar && has_pattern) {
            return Err(format!(
                "--shard-size needs tar shards: an OUT with a shard number pattern, such as \
                 -o shards/train-%06d.tar (OUT is {})",
                self.output.display()
            ));
        }
        if has_pattern && format != OutputFormat::Tar {
            return Err(format!(
                "OUT {} has a shard pattern (%), which only tar shards take; name a .tar, or \
                 drop the %",
                self.output.display()
            ));
        }
        let size = self.geometry.size;
        let square = size.width == size.height;
        if !square && self.recipe == Some(RecipeArg::Kernel) {
            return Err(format!(
                "--size {}x{}: the kernel's images are square; give one side (--size {})",
                size.width, size.height, size.width
            ));
        }
        if self.color == ColorArg::Gray && !self.fill.gray {
            return Err(
                "--fill R,G,B is a colour, and --color gray images take one gray value (--fill 128)"
                    .into(),
            );
        }
        if self.lmdb_values == LmdbValuesArg::Raw && format != OutputFormat::Lmdb {
            return Err(format!(
                "--lmdb-values raw is for LMDB outputs (.lmdb); OUT {} is a {} output",
                self.output.display(),
                format.name()
            ));
        }
        let opencv = self.recipe == Some(RecipeArg::OpenCv);
        let recipe = self.recipe.map(|r| match r {
            RecipeArg::Kernel => RecipeKind::Kernel,
            RecipeArg::Pil => RecipeKind::Pil,
            RecipeArg::OpenCv => RecipeKind::OpenCv,
        });
        let (filter, interpolation) =
            resampling(recipe, self.filter.map(FilterArg::name).as_deref())
                .map_err(|e| format!("--{e}"))?;
        if opencv && self.draft {
            return Err(
                "--draft is Pillow's draft mode; --recipe opencv decodes JPEGs whole".into(),
            );
        }
        Ok(ConvertOptions {
            interpolation,
            image_column: self.image_column.clone(),
            lmdb_raw: self.lmdb_values == LmdbValuesArg::Raw,
            draft: self.draft,
            resume: self.resume,
            fit: match self.fit {
                FitArg::Stretch => Fit::Stretch,
                FitArg::Crop => Fit::Crop,
                FitArg::Pad => Fit::Pad,
            },
            fill: self.fill.rgb,
            recipe,
            output_size: Some((size.width as usize, size.height as usize)),
            color: match self.color {
                ColorArg::Rgb => PilColor::Rgb,
                ColorArg::Gray => PilColor::Gray,
            },
            filter,
            files: self.files.clone(),
            files_root: self.root.clone(),
            skip_bad: self.skip_bad,
            max_pixels: self.max_pixels.unwrap_or(DEFAULT_MAX_PIXELS),
            inputs: self.inputs.clone(),
            output: self.output.clone(),
            format: self.format.map(FormatArg::to_format),
            shard_size: self.shard_size.unwrap_or(10_000),
            labels: self.labels.clone(),
            geometry: self.geometry.to_geometry(),
            threads: self.threads.map_or_else(default_threads, usize::from),
            force: self.force,
            skip_blank: self.skip_blank,
            id_column: self.id.id_column.clone(),
            panic_on_image_id: self.panic_on_image_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn convert_defaults_match_the_reference() {
        let cli =
            Cli::try_parse_from(["pixelprep", "convert", "a.parquet", "-o", "x.zip"]).unwrap();
        let Command::Convert(args) = cli.command else {
            panic!("parsed as convert");
        };
        let options = args.to_options().unwrap();
        assert_eq!(options.geometry, Geometry::default());
        assert!(options.threads >= 1);
        assert!(!options.force && !options.skip_blank);
    }

    fn convert_options(args: &[&str]) -> Result<ConvertOptions, String> {
        let argv = ["pixelprep", "convert", "a.parquet"].iter().chain(args);
        let Command::Convert(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("parsed as convert");
        };
        args.to_options()
    }

    #[test]
    fn shard_options_go_together() {
        let shards = convert_options(&["-o", "s/t-%06d.tar", "--shard-size", "5"]).unwrap();
        assert_eq!(shards.shard_size, 5);
        assert_eq!(shards.output_format(), OutputFormat::Tar);
        assert!(convert_options(&["-o", "t.tar", "--shard-size", "5"]).is_err());
        assert!(convert_options(&["-o", "t-%06d.zip"]).is_err());
        let npy = convert_options(&["-o", "out", "--format", "npy"]).unwrap();
        assert_eq!(npy.output_format(), OutputFormat::Npy);
    }

    #[test]
    fn zero_threads_is_a_usage_error() {
        let r = Cli::try_parse_from(["pixelprep", "convert", "a", "-o", "b", "-j", "0"]);
        assert!(r.is_err());
    }
}
