//! pixelprep: Parquet pixel tables (Bengali.AI layout) to zip or folder archives
//! of PNGs, pixel-identical to the reference Kaggle kernel.
//!
//! The stages, one module each: [`table`] reads pixel tables (with the fast
//! dictionary decoder in [`decode`]), [`steps`] holds the kernel's image steps,
//! [`resize`] OpenCV's INTER_LINEAR, [`encode`] the PNG encoding, [`archive`] the
//! zip and folder writers, and [`pipeline`] drives them. The binary
//! (`src/bin/pixelprep/`) parses arguments into these modules' options.

pub mod archive;
pub mod decode;
pub mod encode;
pub mod error;
pub mod inspect;
mod lookup;
pub mod pipeline;
mod readahead;
pub mod resize;
pub mod rows;
pub mod steps;
pub mod synth;
pub mod table;

pub use error::{Error, Result};
