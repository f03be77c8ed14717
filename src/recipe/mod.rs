//! Recipes: how each image is made from its source, one file per recipe. The
//! pixel tables' recipe is the reference kernel's steps (`crate::image::steps`);
//! image files go through Pillow's ([`pil`]).

pub mod pil;

pub use pil::{Fit, PilColor, PilRecipe};

/// The recipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipeKind {
    /// The reference Kaggle kernel's steps, for pixel tables.
    Kernel,
    /// Pillow's `convert(MODE).resize(size, FILTER)`, for image files.
    Pil,
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
