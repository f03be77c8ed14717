//! Pillow's recipe: each image is what
//! `Image.open(p).convert(MODE).resize((W, H), FILTER)` gives (docs/spec.md
//! section 8): the conversion by Pillow's rules (alpha dropped, not composited;
//! CMYK by Pillow's formula; gray from colour by its ITU-R 601 fixed-point
//! weights), no EXIF rotation, then Pillow's resize.

use crate::decode::{Decoded, Layout};
use crate::image::resize::pillow::{resize_pillow, PilFilter};

use super::OutputShape;

/// The mode images are converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PilColor {
    /// `convert("RGB")`.
    #[default]
    Rgb,
    /// `convert("L")`.
    Gray,
}

impl PilColor {
    /// Samples per pixel.
    pub fn channels(self) -> usize {
        match self {
            PilColor::Rgb => 3,
            PilColor::Gray => 1,
        }
    }
}

/// `convert(MODE).resize((width, height), filter)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PilRecipe {
    /// Output width.
    pub width: usize,
    /// Output height.
    pub height: usize,
    /// The mode converted to.
    pub color: PilColor,
    /// The resampling filter.
    pub filter: PilFilter,
}

impl PilRecipe {
    /// The shape of the images it makes.
    pub fn shape(&self) -> OutputShape {
        OutputShape {
            height: self.height,
            width: self.width,
            channels: self.color.channels(),
        }
    }

    /// The image made from `decoded`.
    pub fn make(&self, decoded: &Decoded) -> Vec<u8> {
        let converted = convert(decoded, self.color);
        let (w, h) = (decoded.width, decoded.height);
        resize_pillow(
            &converted,
            (w, h),
            self.color.channels(),
            (self.width, self.height),
            self.filter,
            [0.0, 0.0, w as f32, h as f32],
        )
    }
}

/// Pillow's `L24`: gray from RGB, `(19595 R + 38470 G + 7471 B + 0x8000) >> 16`.
#[inline]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

/// Pillow's `MULDIV255`: `a * b / 255`, rounded, in integers.
#[inline]
fn muldiv255(a: u8, b: u8) -> i32 {
    let t = i32::from(a) * i32::from(b) + 128;
    ((t >> 8) + t) >> 8
}

/// Pillow's `cmyk2rgb`.
#[inline]
fn cmyk_to_rgb(p: &[u8]) -> [u8; 3] {
    let nk = 255 - p[3];
    let channel = |c: u8| (i32::from(nk) - muldiv255(c, nk)).clamp(0, 255) as u8;
    [channel(p[0]), channel(p[1]), channel(p[2])]
}

/// `convert("RGB")` or `convert("L")` of a decoded image.
pub fn convert(decoded: &Decoded, color: PilColor) -> Vec<u8> {
    let pixels = &decoded.pixels;
    let n = decoded.width * decoded.height;
    match (decoded.layout, color) {
        (Layout::L, PilColor::Gray) | (Layout::Rgb, PilColor::Rgb) => pixels.clone(),
        (Layout::L | Layout::La, PilColor::Rgb) => {
            let step = decoded.layout.channels();
            let mut out = Vec::with_capacity(n * 3);
            for p in pixels.chunks_exact(step) {
                out.extend_from_slice(&[p[0]; 3]);
            }
            out
        }
        (Layout::La, PilColor::Gray) => pixels.chunks_exact(2).map(|p| p[0]).collect(),
        (Layout::Rgba, PilColor::Rgb) => {
            let mut out = Vec::with_capacity(n * 3);
            for p in pixels.chunks_exact(4) {
                out.extend_from_slice(&p[..3]);
            }
            out
        }
        (Layout::Rgb | Layout::Rgba, PilColor::Gray) => pixels
            .chunks_exact(decoded.layout.channels())
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        (Layout::Cmyk, PilColor::Rgb) => {
            let mut out = Vec::with_capacity(n * 3);
            for p in pixels.chunks_exact(4) {
                out.extend_from_slice(&cmyk_to_rgb(p));
            }
            out
        }
        // Pillow has no CMYK-to-L conversion: it goes through RGB.
        (Layout::Cmyk, PilColor::Gray) => pixels
            .chunks_exact(4)
            .map(|p| {
                let [r, g, b] = cmyk_to_rgb(p);
                luma(r, g, b)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pillow_conversion_constants() {
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(255, 0, 0), 76);
        assert_eq!(luma(0, 255, 0), 150);
        assert_eq!(luma(0, 0, 255), 29);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0]), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[255, 0, 0, 0]), [0, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 255]), [0, 0, 0]);
    }

    #[test]
    fn alpha_is_dropped_not_composited() {
        let decoded = Decoded {
            width: 1,
            height: 1,
            layout: Layout::Rgba,
            pixels: vec![10, 20, 30, 0],
        };
        assert_eq!(convert(&decoded, PilColor::Rgb), vec![10, 20, 30]);
    }
}
