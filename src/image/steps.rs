//! The reference kernel's image steps (docs/spec.md section 2), one small function each,
//! reproducing its quirks: the inner bounding box used as full-image coordinates,
//! the inclusive max used as an exclusive end, and padding that loses a line on
//! odd differences.

use ndarray::{s, Array2, ArrayView2};

use crate::geometry::Geometry;

/// Pixels at or below this (after normalization) are not ink for the bounding box.
pub const INK_THRESHOLD: u8 = 80;
/// Inside the crop, values below this are noise and become 0.
pub const NOISE_THRESHOLD: u8 = 28;
/// The border excluded from the bounding-box search ("lines at the sides").
pub const BORDER: usize = 5;
/// How far the box is widened, per axis.
pub const WIDEN_X: usize = 13;
pub const WIDEN_Y: usize = 10;

/// The ink's bounding box in the kernel's terms: inclusive rows/columns found on the
/// inner region, later used unchanged as full-image coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InkBox {
    pub rmin: usize,
    pub rmax: usize,
    pub cmin: usize,
    pub cmax: usize,
}

/// The crop window, end exclusive: `y[ymin..ymax, xmin..xmax]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub ymin: usize,
    pub ymax: usize,
    pub xmin: usize,
    pub xmax: usize,
}

/// Steps 1-2 as a table from raw pixel to normalized value: `x = 255 - pixel`, then
/// `trunc(x * (255.0 / max))` with the division done once in f64, as numpy does. A
/// constant image (max 0) becomes all zeros. A table lets later steps work on the
/// raw pixels and normalize only the crop.
#[derive(Debug, Clone)]
pub struct Normalization {
    table: [u8; 256],
    /// The image was constant (max 0 after inversion).
    pub constant: bool,
}

impl Normalization {
    /// From the image itself; the pipeline gets the minimum from [`Scan`] instead.
    #[cfg(test)]
    pub fn of(raw: &[u8]) -> Self {
        Self::from_min(raw.iter().copied().min().unwrap_or(255))
    }

    /// The normalization of an image whose smallest raw pixel is `raw_min`.
    pub fn from_min(raw_min: u8) -> Self {
        // Inverting maps the raw minimum to the maximum.
        let max = 255 - raw_min;
        let mut table = [0u8; 256];
        if max > 0 {
            let scale = 255.0f64 / max as f64;
            for (raw_value, slot) in table.iter_mut().enumerate() {
                let inverted = 255 - raw_value as u8;
                *slot = (inverted as f64 * scale) as u8;
            }
        }
        Normalization {
            table,
            constant: max == 0,
        }
    }

    /// The normalized value of a raw pixel.
    pub fn value(&self, raw: u8) -> u8 {
        self.table[raw as usize]
    }

    /// The largest raw value that normalizes above the ink threshold: the table
    /// falls as raw values rise, so ink is exactly `raw <= limit`.
    pub fn ink_limit(&self) -> Option<u8> {
        (0..=255u8).rev().find(|&r| self.value(r) > INK_THRESHOLD)
    }
}

/// What steps 1-3 need from the raw image, found in one pass over it: its
/// minimum (for the normalization), and the minimum of every inner row and inner
/// column (for the ink box). One pass instead of two: the first read of an
/// image comes from memory, the second from cache, and fused they cost less.
#[derive(Debug, Clone)]
pub struct Scan {
    pub min: u8,
    inner_row_min: Vec<u8>,
    inner_column_min: Vec<u8>,
}

impl Scan {
    /// Scans a row-major `height x width` image.
    pub fn of(raw: &[u8], height: usize, width: usize) -> Self {
        assert_eq!(raw.len(), height * width, "image is not height x width");
        let has_inner = height > 2 * BORDER && width > 2 * BORDER;
        let inner_rows = if has_inner {
            BORDER..height - BORDER
        } else {
            0..0
        };
        let inner_width = if has_inner { width - 2 * BORDER } else { 0 };
        let mut inner_row_min = Vec::with_capacity(inner_rows.len());
        let mut inner_column_min = vec![255u8; inner_width];
        let mut min = 255u8;
        let row_min = |row: &[u8]| row.iter().fold(255u8, |m, &v| m.min(v));
        for (r, row) in raw.chunks_exact(width.max(1)).enumerate() {
            if !inner_rows.contains(&r) {
                min = min.min(row_min(row));
                continue;
            }
            let (left, rest) = row.split_at(BORDER);
            let (inner, right) = rest.split_at(inner_width);
            // Running minima instead of per-pixel branches: this loop vectorizes.
            let mut inner_min = 255u8;
            for (m, &v) in inner_column_min.iter_mut().zip(inner) {
                *m = (*m).min(v);
                inner_min = inner_min.min(v);
            }
            inner_row_min.push(inner_min);
            min = min.min(inner_min).min(row_min(left)).min(row_min(right));
        }
        Scan {
            min,
            inner_row_min,
            inner_column_min,
        }
    }

    /// Step 3: first and last inner row and column holding a pixel that
    /// normalizes above the ink threshold, in inner coordinates (offset by
    /// `BORDER`). `None` when there is none.
    pub fn ink_box(&self, normalization: &Normalization) -> Option<InkBox> {
        let limit = normalization.ink_limit()?;
        let is_ink = |&m: &u8| m <= limit;
        Some(InkBox {
            rmin: self.inner_row_min.iter().position(is_ink)?,
            rmax: self.inner_row_min.iter().rposition(is_ink)?,
            cmin: self.inner_column_min.iter().position(is_ink)?,
            cmax: self.inner_column_min.iter().rposition(is_ink)?,
        })
    }
}

/// Step 3 on its own, for a raw image whose normalization is known; see
/// [`Scan::ink_box`].
#[cfg(test)]
pub fn ink_box(raw: ArrayView2<u8>, normalization: &Normalization) -> Option<InkBox> {
    let (h, w) = raw.dim();
    let raw = raw.as_standard_layout();
    let pixels = raw
        .as_slice()
        .expect("a standard-layout array is contiguous");
    Scan::of(pixels, h, w).ink_box(normalization)
}

/// Step 4: widen the box and turn it into a crop window, keeping the kernel's
/// comparisons exactly (`>`/`<`, and the inclusive max used as an exclusive end).
/// With no ink the box is the whole frame.
pub fn widen(ink: Option<InkBox>, height: usize, width: usize) -> Crop {
    let Some(b) = ink else {
        return Crop {
            ymin: 0,
            ymax: height,
            xmin: 0,
            xmax: width,
        };
    };
    Crop {
        // `c - 13 if c > 13 else 0` is exactly a saturating subtraction.
        xmin: b.cmin.saturating_sub(WIDEN_X),
        ymin: b.rmin.saturating_sub(WIDEN_Y),
        xmax: if b.cmax + WIDEN_X < width {
            b.cmax + WIDEN_X
        } else {
            width
        },
        ymax: if b.rmax + WIDEN_Y < height {
            b.rmax + WIDEN_Y
        } else {
            height
        },
    }
}

/// Steps 2, 5 and 6 on the crop: normalize, zero the noise, and pad with
/// `(l - ly) / 2` rows above and below and `(l - lx) / 2` columns left and right,
/// `l = max(lx, ly) + pad`.
pub fn crop_denoise_pad(
    raw: ArrayView2<u8>,
    crop: Crop,
    pad: usize,
    normalization: &Normalization,
) -> Array2<u8> {
    let mut denoised = normalization.table;
    for v in denoised.iter_mut() {
        if *v < NOISE_THRESHOLD {
            *v = 0;
        }
    }
    let window = raw.slice(s![crop.ymin..crop.ymax, crop.xmin..crop.xmax]);
    let (ly, lx) = window.dim();
    let l = lx.max(ly) + pad;
    let (pad_y, pad_x) = ((l - ly) / 2, (l - lx) / 2);
    let (height, width) = (ly + 2 * pad_y, lx + 2 * pad_x);
    let mut out = vec![0u8; height * width];
    // Whole rows through the table (64 pixels a step where the CPU allows).
    let out_rows = out[pad_y * width..].chunks_exact_mut(width);
    for (out_row, row) in out_rows.zip(window.outer_iter()) {
        let target = &mut out_row[pad_x..pad_x + lx];
        // Views of a standard-layout image have contiguous rows; others go element-wise.
        match row.as_slice() {
            Some(source) => crate::lookup::map(&denoised, source, target),
            None => {
                for (o, &v) in target.iter_mut().zip(row.iter()) {
                    *o = denoised[v as usize];
                }
            }
        }
    }
    Array2::from_shape_vec((height, width), out).expect("the buffer has height x width pixels")
}

/// Steps 1-7 for one image of `geometry.height x geometry.width` raw pixels: the
/// `size x size` result, and whether the image was blank (constant or no ink).
pub fn transform(raw: &[u8], geometry: &Geometry) -> (Vec<u8>, bool) {
    let scan = Scan::of(raw, geometry.height, geometry.width);
    let normalization = Normalization::from_min(scan.min);
    let img = ArrayView2::from_shape((geometry.height, geometry.width), raw)
        .expect("row length is checked against height x width when the table is opened");
    let ink = scan.ink_box(&normalization);
    let crop = widen(ink, geometry.height, geometry.width);
    let padded = crop_denoise_pad(img, crop, geometry.pad, &normalization);
    let (ph, pw) = padded.dim();
    let padded = padded
        .as_slice()
        .expect("freshly made arrays are contiguous");
    let resized = super::resize::resize_linear(padded, pw, ph, geometry.size, geometry.size);
    (resized, normalization.constant || ink.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn normalized(raw: &[u8]) -> Vec<u8> {
        let n = Normalization::of(raw);
        raw.iter().map(|&r| n.value(r)).collect()
    }

    #[test]
    fn normalize_inverts_and_stretches_to_255() {
        // x = [0, 50, 100], max 100: scale 2.55, and 100 * 2.55 = 254.99999999999997
        // in f64, so even the maximum truncates to 254, exactly as numpy does.
        assert_eq!(normalized(&[255, 205, 155]), vec![0, 127, 254]);
        assert!(!Normalization::of(&[255, 205, 155]).constant);
    }

    #[test]
    fn normalize_truncates_like_numpy_f64() {
        // max 254: scale = 255/254 in f64; 253 * scale = 253.996... truncates to 253.
        let y = normalized(&[1, 2, 100]);
        assert_eq!(y, vec![255, 253, 155]);
        let scale = 255.0f64 / 254.0;
        assert_eq!(y[2], (155.0f64 * scale) as u8);
    }

    #[test]
    fn constant_image_normalizes_to_zeros() {
        assert_eq!(normalized(&[255; 12]), vec![0; 12]);
        assert!(Normalization::of(&[255; 12]).constant);
        assert_eq!(Normalization::of(&[255; 12]).ink_limit(), None);
        // A constant dark image has max > 0 and stretches to 255 everywhere.
        assert_eq!(normalized(&[0; 4]), vec![255; 4]);
        assert!(!Normalization::of(&[0; 4]).constant);
    }

    #[test]
    fn ink_limit_is_the_last_raw_value_above_80() {
        // With a black pixel the scale is 1: normalized = 255 - raw, so 81 <=> raw 174.
        let n = Normalization::of(&[0, 255]);
        assert_eq!(n.ink_limit(), Some(174));
        assert_eq!(n.value(174), 81);
        assert_eq!(n.value(175), 80);
    }

    /// A white raw image with the given dark pixels, and its normalization.
    fn raw_image(h: usize, w: usize, dark: &[((usize, usize), u8)]) -> Array2<u8> {
        let mut img = Array2::<u8>::from_elem((h, w), 255);
        for &(at, v) in dark {
            img[at] = v;
        }
        img
    }

    #[test]
    fn ink_box_reports_inner_coordinates() {
        let img = raw_image(
            30,
            40,
            &[
                ((12, 20), 174), // inner (7, 15), normalizes to 81
                ((15, 9), 55),   // inner (10, 4)
                ((2, 2), 0),     // in the border: ignored, but sets the scale to 1
            ],
        );
        let n = Normalization::of(img.as_slice().unwrap());
        assert_eq!(
            ink_box(img.view(), &n),
            Some(InkBox {
                rmin: 7,
                rmax: 10,
                cmin: 4,
                cmax: 15
            })
        );
    }

    #[test]
    fn threshold_is_strictly_above_80() {
        let img = raw_image(20, 20, &[((1, 1), 0), ((10, 10), 175)]);
        let n = Normalization::of(img.as_slice().unwrap());
        assert_eq!(n.value(175), 80);
        assert_eq!(ink_box(img.view(), &n), None);
        let img = raw_image(20, 20, &[((1, 1), 0), ((10, 10), 174)]);
        assert!(ink_box(img.view(), &n).is_some());
    }

    /// Step 3 pixel by pixel, as the kernel states it: normalize, then look for
    /// values above the threshold in the inner region.
    fn ink_box_per_pixel(raw: &[u8], h: usize, w: usize) -> Option<InkBox> {
        let n = Normalization::of(raw);
        let ink = |r: usize, c: usize| n.value(raw[(r + BORDER) * w + c + BORDER]) > INK_THRESHOLD;
        if h <= 2 * BORDER || w <= 2 * BORDER {
            return None;
        }
        let (ih, iw) = (h - 2 * BORDER, w - 2 * BORDER);
        let rows: Vec<usize> = (0..ih).filter(|&r| (0..iw).any(|c| ink(r, c))).collect();
        let cols: Vec<usize> = (0..iw).filter(|&c| (0..ih).any(|r| ink(r, c))).collect();
        Some(InkBox {
            rmin: *rows.first()?,
            rmax: *rows.last()?,
            cmin: *cols.first()?,
            cmax: *cols.last()?,
        })
    }

    #[test]
    fn one_pass_scan_matches_the_per_pixel_steps() {
        let mut rng = fastrand::Rng::with_seed(3);
        for case in 0..400 {
            let (h, w) = if case < 4 {
                [(137, 236), (11, 11), (10, 40), (40, 10)][case]
            } else {
                (rng.usize(1..60), rng.usize(1..80))
            };
            // A light background, a few dark pixels anywhere (borders included).
            let mut raw: Vec<u8> = (0..h * w).map(|_| rng.u8(200..=255)).collect();
            for _ in 0..rng.usize(0..6) {
                let at = rng.usize(0..h * w);
                raw[at] = rng.u8(0..200);
            }
            let scan = Scan::of(&raw, h, w);
            assert_eq!(scan.min, *raw.iter().min().unwrap(), "{h}x{w}");
            let n = Normalization::from_min(scan.min);
            assert_eq!(n.table, Normalization::of(&raw).table);
            assert_eq!(scan.ink_box(&n), ink_box_per_pixel(&raw, h, w), "{h}x{w}");
        }
    }

    #[test]
    fn widen_keeps_kernel_comparisons() {
        let (h, w) = (137, 236);
        let crop = widen(
            Some(InkBox {
                rmin: 10,
                rmax: 126,
                cmin: 13,
                cmax: 222,
            }),
            h,
            w,
        );
        // rmin 10 is not > 10 -> 0; cmin 13 not > 13 -> 0;
        // rmax 126 < 127 -> 136; cmax 222 < 223 -> 235.
        assert_eq!(
            crop,
            Crop {
                ymin: 0,
                ymax: 136,
                xmin: 0,
                xmax: 235
            }
        );
        let crop = widen(
            Some(InkBox {
                rmin: 11,
                rmax: 127,
                cmin: 14,
                cmax: 223,
            }),
            h,
            w,
        );
        assert_eq!(
            crop,
            Crop {
                ymin: 1,
                ymax: 137,
                xmin: 1,
                xmax: 236
            }
        );
    }

    #[test]
    fn no_ink_crops_the_whole_frame() {
        assert_eq!(
            widen(None, 137, 236),
            Crop {
                ymin: 0,
                ymax: 137,
                xmin: 0,
                xmax: 236
            }
        );
    }

    /// A normalization with scale 1: normalized = 255 - raw.
    fn identity_scale() -> Normalization {
        Normalization::of(&[0])
    }

    #[test]
    fn odd_padding_loses_a_line() {
        let img = Array2::<u8>::from_elem((10, 7), 155); // normalizes to 100
        let crop = Crop {
            ymin: 0,
            ymax: 10,
            xmin: 0,
            xmax: 7,
        };
        // l = 10 + 3 = 13: rows (13-10)/2 = 1 each side, cols (13-7)/2 = 3 each side.
        let out = crop_denoise_pad(img.view(), crop, 3, &identity_scale());
        assert_eq!(out.dim(), (12, 13));
        assert_eq!(out[[0, 5]], 0);
        assert_eq!(out[[1, 3]], 100);
        assert_eq!(out[[1, 2]], 0);
        assert_eq!(out[[10, 9]], 100);
        assert_eq!(out[[11, 9]], 0);
    }

    #[test]
    fn noise_below_28_is_zeroed_only_inside_the_crop() {
        // Raw values normalizing to 27, 28, 200 / 0, 5, 29.
        let img = Array2::<u8>::from_shape_vec((2, 3), vec![228, 227, 55, 255, 250, 226]).unwrap();
        let crop = Crop {
            ymin: 0,
            ymax: 2,
            xmin: 0,
            xmax: 3,
        };
        let out = crop_denoise_pad(img.view(), crop, 0, &identity_scale());
        // l = 3: rows (3-2)/2 = 0 padding, so the odd line is lost.
        assert_eq!(out.as_slice().unwrap(), &[0, 28, 200, 0, 0, 29]);
    }
}
