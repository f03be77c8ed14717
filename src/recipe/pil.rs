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

/// How an image is fitted to the output size (docs/spec.md 8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Resized to the output size, whatever its aspect (both articles).
    #[default]
    Stretch,
    /// The largest centred box of the output's aspect, resized: Pillow's
    /// `resize(size, box=...)`.
    Crop,
    /// The whole image, aspect kept, centred on a canvas of the fill colour.
    Pad,
}

/// `convert(MODE).resize((width, height), filter)`, fitted by `fit`.
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
    /// How the image is fitted to `width x height`.
    pub fit: Fit,
    /// The colour of the border of `Fit::Pad` (R, G, B; gray takes R).
    pub fill: [u8; 3],
    /// Decode JPEGs as after Pillow's `im.draft("RGB", (2 * width, 2 * height))`:
    /// at the largest DCT scale that keeps twice the output size.
    pub draft: bool,
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

    /// The size to ask a JPEG decoder's draft mode for, when drafting.
    pub fn draft_request(&self) -> Option<(usize, usize)> {
        self.draft.then_some((2 * self.width, 2 * self.height))
    }

    /// The image made from `decoded`.
    pub fn make(&self, decoded: Decoded) -> Vec<u8> {
        let (w, h) = (decoded.width, decoded.height);
        let converted = convert(decoded, self.color);
        let channels = self.color.channels();
        let (out_w, out_h) = (self.width, self.height);
        let whole = [0.0, 0.0, w as f32, h as f32];
        match self.fit {
            Fit::Stretch => resize_pillow(
                &converted,
                (w, h),
                channels,
                (out_w, out_h),
                self.filter,
                whole,
            ),
            Fit::Crop => {
                let region = crop_box((w, h), (out_w, out_h));
                resize_pillow(
                    &converted,
                    (w, h),
                    channels,
                    (out_w, out_h),
                    self.filter,
                    region,
                )
            }
            Fit::Pad => {
                let (inner_w, inner_h) = padded_size((w, h), (out_w, out_h));
                let inner = resize_pillow(
                    &converted,
                    (w, h),
                    channels,
                    (inner_w, inner_h),
                    self.filter,
                    whole,
                );
                paste_centred(
                    &inner,
                    (inner_w, inner_h),
                    (out_w, out_h),
                    &self.fill[..channels],
                )
            }
        }
    }
}

/// The largest centred box of the output's aspect, as Python computes it in
/// double and Pillow holds it (f32): `bw = min(w, h * W / H)`, `bh = min(h, w *
/// H / W)`, `((w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2)`.
fn crop_box((w, h): (usize, usize), (out_w, out_h): (usize, usize)) -> [f32; 4] {
    let (w, h, out_w, out_h) = (w as f64, h as f64, out_w as f64, out_h as f64);
    let box_w = w.min(h * out_w / out_h);
    let box_h = h.min(w * out_h / out_w);
    [
        ((w - box_w) / 2.0) as f32,
        ((h - box_h) / 2.0) as f32,
        ((w + box_w) / 2.0) as f32,
        ((h + box_h) / 2.0) as f32,
    ]
}

/// The size the whole image takes inside the output with its aspect kept:
/// `scale = min(W / w, H / h)`, each side `max(1, round(side * scale))` with
/// Python's `round` (half to even).
pub(super) fn padded_size(
    (w, h): (usize, usize),
    (out_w, out_h): (usize, usize),
) -> (usize, usize) {
    let scale = (out_w as f64 / w as f64).min(out_h as f64 / h as f64);
    let side =
        |v: usize, most: usize| ((v as f64 * scale).round_ties_even() as usize).clamp(1, most);
    (side(w, out_w), side(h, out_h))
}

/// `inner` (`inner_w x inner_h`) centred on an `out_w x out_h` canvas of
/// `fill`: `((W - nw) // 2, (H - nh) // 2)` from its top left corner.
pub(super) fn paste_centred(
    inner: &[u8],
    (inner_w, inner_h): (usize, usize),
    (out_w, out_h): (usize, usize),
    fill: &[u8],
) -> Vec<u8> {
    let channels = fill.len();
    let mut canvas: Vec<u8> = fill
        .iter()
        .copied()
        .cycle()
        .take(out_w * out_h * channels)
        .collect();
    let (left, top) = ((out_w - inner_w) / 2, (out_h - inner_h) / 2);
    for (y, row) in inner.chunks_exact(inner_w * channels).enumerate() {
        let at = ((top + y) * out_w + left) * channels;
        canvas[at..at + row.len()].copy_from_slice(row);
    }
    canvas
}

impl PilRecipe {
    /// Pillow's recipe at `width x height`, stretched, black border.
    pub fn new(width: usize, height: usize, color: PilColor, filter: PilFilter) -> Self {
        PilRecipe {
            width,
            height,
            color,
            filter,
            fit: Fit::Stretch,
            fill: [0; 3],
            draft: false,
        }
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

/// `convert("RGB")` or `convert("L")` of a decoded image (its own buffer when
/// the mode is the same).
pub fn convert(decoded: Decoded, color: PilColor) -> Vec<u8> {
    let n = decoded.width * decoded.height;
    let pixels = &decoded.pixels;
    match (decoded.layout, color) {
        (Layout::L, PilColor::Gray) | (Layout::Rgb, PilColor::Rgb) => decoded.pixels,
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
    fn fits_follow_their_python_expressions() {
        assert_eq!(crop_box((200, 100), (64, 64)), [50.0, 0.0, 150.0, 100.0]);
        assert_eq!(crop_box((100, 300), (50, 100)), [0.0, 50.0, 100.0, 250.0]);
        assert_eq!(padded_size((200, 100), (64, 64)), (64, 32));
        // 2.5 rounds to 2, as Python's round does.
        assert_eq!(padded_size((10, 1), (25, 25)), (25, 2));
        assert_eq!(padded_size((1000, 1), (10, 10)), (10, 1));
    }

    #[test]
    fn alpha_is_dropped_not_composited() {
        let decoded = Decoded {
            width: 1,
            height: 1,
            layout: Layout::Rgba,
            pixels: vec![10, 20, 30, 0],
        };
        assert_eq!(convert(decoded, PilColor::Rgb), vec![10, 20, 30]);
    }
}
