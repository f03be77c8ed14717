//! pixelprep: pixel tables (Parquet, Feather / Arrow IPC; Bengali.AI layout) to
//! training archives (a zip or folder of PNGs, WebDataset shards, a NumPy array, an
//! LMDB store) or images in memory, pixel-identical to the reference Kaggle kernel.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use pixelprep::{convert, ConvertOptions, Silent};
//!
//! let options = ConvertOptions {
//!     inputs: vec!["train_image_data_0.parquet".into()],
//!     output: "train.zip".into(),
//!     ..ConvertOptions::default()
//! };
//! let summary = convert(&options, &Silent, &AtomicBool::new(false))?;
//! println!("{} images, {} blank", summary.images, summary.blanks);
//! # Ok::<(), pixelprep::Error>(())
//! ```
//!
//! Inside, the stages have a folder each: `read` maps a table and decodes a row
//! group at a time into rows of pixels; `image` holds the kernel's steps, OpenCV's
//! resize and the PNG encoding; `write` one writer per output format; `pipeline`
//! drives them in parallel. `docs/spec.md` in the repository is the behaviour. The
//! binary (`src/bin/pixelprep/`) parses arguments into [`ConvertOptions`].
#![deny(missing_docs)]

// The binary's modules, compiled into the Python module, name the library by its name.
#[cfg(feature = "python")]
extern crate self as pixelprep;

mod decode;
mod error;
mod files;
mod geometry;
mod image;
mod inspect;
mod lookup;
mod meta;
mod os;
mod pipeline;
#[cfg(feature = "python")]
mod python;
mod read;
mod recipe;
mod synth;
mod write;

pub use decode::DEFAULT_MAX_PIXELS;
pub use error::{Error, Location, Result};
pub use files::is_image_input;
pub use geometry::{Geometry, ImageShape};
pub use image::resize::opencv::CvInterp;
pub use image::resize::pillow::PilFilter;
pub use inspect::{inspect, inspect_images, ImagesReport};
pub use meta::{Metadata, Value};
pub use pipeline::{
    convert, transform, transform_batches, BadFile, ConvertOptions, Images, Progress, Silent,
    Summary, TransformOptions,
};
pub use read::TableLayout;
pub use recipe::{
    resampling, CvRecipe, FileRecipe, Fit, OutputShape, PilColor, PilRecipe, RecipeKind,
};
pub use synth::{write_synthetic, write_synthetic_until, SynthOptions};
pub use write::OutputFormat;

/// Stage-level entry points for the crate's own benchmarks and integration tests.
/// Not part of the API: they may change in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::image::png::{decode_gray_png, decode_png_8bit};
    pub use crate::image::resize::resize_linear;
    pub use crate::image::{encode_png, transform};
    pub use crate::read::{PixelRows, PixelTable};
    pub use crate::synth::synthetic_image;
    pub use crate::write::{Finished, Sink, ZipSink};
}
