//! The image stages: the reference kernel's steps ([`steps`]), OpenCV's
//! INTER_LINEAR resize ([`resize`]) and the PNG encoding ([`png`]).

pub mod png;
pub mod resize;
pub(crate) mod rgb;
pub mod steps;

pub use png::encode_png;
pub use steps::transform;
