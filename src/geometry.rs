//! The sizes the transformation works with: the source images' shape and the
//! output's side and padding.

/// Image dimensions in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    /// Rows of pixels.
    pub height: usize,
    /// Pixels per row.
    pub width: usize,
}

impl ImageShape {
    /// Pixels in one image: the number of pixel columns a table must have.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }
}

/// Settings of the whole transformation; the default is the competition's layout
/// and the reference kernel's output (137 x 236 in, 128 x 128 out, padding 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Height of the source images.
    pub height: usize,
    /// Width of the source images.
    pub width: usize,
    /// Side of the square output images.
    pub size: usize,
    /// Padding added around the crop before resizing.
    pub pad: usize,
}

impl Geometry {
    /// The size of the source images.
    pub fn shape(&self) -> ImageShape {
        ImageShape {
            height: self.height,
            width: self.width,
        }
    }
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            height: 137,
            width: 236,
            size: 128,
            pad: 16,
        }
    }
}
