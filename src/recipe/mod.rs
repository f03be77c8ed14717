//! Recipes: how each image is made from its source, one file per recipe. The
//! pixel tables' recipe is the reference kernel's steps (`crate::image::steps`);
//! image files go through Pillow's ([`pil`]) or OpenCV's ([`opencv`]).

pub mod opencv;
pub mod pil;

pub use opencv::CvRecipe;
pub use pil::{Fit, PilColor, PilRecipe};

use crate::decode::DecodeError;
use crate::image::resize::opencv::CvInterp;
use crate::image::resize::pillow::PilFilter;

/// The resampling named `name` for `recipe`, as a pair of which the recipe uses
/// its own: Pillow's filters (bicubic, its default; bilinear, lanczos, box,
/// hamming, nearest) for Pillow's recipe, OpenCV's interpolations (linear, its
/// default; cubic, area, nearest) for OpenCV's. An `Err` says what to pass.
pub fn resampling(
    recipe: Option<RecipeKind>,
    name: Option<&str>,
) -> Result<(PilFilter, CvInterp), String> {
    let defaults = (PilFilter::Bicubic, CvInterp::Linear);
    let Some(name) = name else {
        return Ok(defaults);
    };
    let lower = name.to_ascii_lowercase();
    if recipe == Some(RecipeKind::OpenCv) {
        let interpolation = match lower.as_str() {
            "linear" => CvInterp::Linear,
            "cubic" => CvInterp::Cubic,
            "area" => CvInterp::Area,
            "nearest" => CvInterp::Nearest,
            _ => {
                return Err(format!(
                    "filter {name:?} is not one of OpenCV's: linear, cubic, area, nearest"
                ))
            }
        };
        return Ok((defaults.0, interpolation));
    }
    let filter = match lower.as_str() {
        "bicubic" => PilFilter::Bicubic,
        "bilinear" => PilFilter::Bilinear,
        "lanczos" => PilFilter::Lanczos,
        "box" => PilFilter::Box,
        "hamming" => PilFilter::Hamming,
        "nearest" => PilFilter::Nearest,
        "linear" | "cubic" | "area" => {
            return Err(format!(
                "filter {name:?} is OpenCV's: pass recipe opencv, or one of Pillow's: bicubic, \
                 bilinear, lanczos, box, hamming, nearest"
            ))
        }
        _ => {
            return Err(format!(
                "filter {name:?} is not one of Pillow's: bicubic, bilinear, lanczos, box, \
                 hamming, nearest (or OpenCV's, with recipe opencv: linear, cubic, area, nearest)"
            ))
        }
    };
    Ok((filter, defaults.1))
}

/// How an image file becomes an image: one of the recipes for files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRecipe {
    /// Pillow's.
    Pil(PilRecipe),
    /// OpenCV's.
    OpenCv(CvRecipe),
}

impl FileRecipe {
    /// The shape of the images it makes.
    pub fn shape(&self) -> OutputShape {
        match self {
            FileRecipe::Pil(r) => r.shape(),
            FileRecipe::OpenCv(r) => r.shape(),
        }
    }

    /// The image made from the file in `bytes`, refused before any pixel
    /// buffer exists when its header declares more than `max_pixels`.
    pub fn make_from_bytes(&self, bytes: &[u8], max_pixels: u64) -> Result<Vec<u8>, DecodeError> {
        match self {
            FileRecipe::Pil(r) => {
                let decoded = crate::decode::decode(bytes, max_pixels, r.draft_request())?;
                Ok(r.make(decoded))
            }
            FileRecipe::OpenCv(r) => r.make_from_bytes(bytes, max_pixels),
        }
    }
}

/// The recipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipeKind {
    /// The reference Kaggle kernel's steps, for pixel tables.
    Kernel,
    /// Pillow's `convert(MODE).resize(size, FILTER)`, for image files.
    Pil,
    /// OpenCV's `cv2.resize(cv2.imread(p), size, interpolation=INTER)`, for
    /// image files.
    OpenCv,
}

/// The shape of every image a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputShape {
    /// Rows.
    pub height: usize,
    /// Pixels per row.
    pub width: usize,
    /// Samples per pixel: 1 (gray) or 3 (RGB).
    pub channels: usize,
}

impl OutputShape {
    /// A gray square of side `size`, what the kernel makes.
    pub fn square_gray(size: usize) -> Self {
        OutputShape {
            height: size,
            width: size,
            channels: 1,
        }
    }

    /// Bytes of one image.
    pub fn bytes(&self) -> usize {
        self.height * self.width * self.channels
    }
}
