//! The reference kernel's image steps (SPEC section 2), one small function each,
//! reproducing its quirks: the inner bounding box used as full-image coordinates,
//! the inclusive max used as an exclusive end, and padding that loses a line on
//! odd differences.

use ndarray::{s, Array2, ArrayView2};

/// Pixels at or below this (after normalization) are not ink for the bounding box.
pub const INK_THRESHOLD: u8 = 80;
/// Inside the crop, values below this are noise and become 0.
pub const NOISE_THRESHOLD: u8 = 28;
/// The border excluded from the bounding-box search ("lines at the sides").
pub const BORDER: usize = 5;
/// How far the box is widened, per axis.
pub const WIDEN_X: usize = 13;
pub const WIDEN_Y: usize = 10;

/// Settings of the whole transformation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub height: usize,
    pub width: usize,
    pub size: usize,
    pub pad: usize,
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

/// Steps 1-2: `x = 255 - pixel`, then `trunc(x * (255.0 / max))` with the division
/// done once in f64, as numpy does. A constant image (max 0) becomes all zeros.
/// Returns the normalized image and whether it was constant.
pub fn invert_normalize(raw: &[u8]) -> (Vec<u8>, bool) {
    // Inverting maps the raw minimum to the maximum.
    let max = 255 - raw.iter().copied().min().unwrap_or(255);
    if max == 0 {
        return (vec![0; raw.len()], true);
    }
    let scale = 255.0f64 / max as f64;
    let mut table = [0u8; 256];
    for (raw_value, slot) in table.iter_mut().enumerate() {
        let inverted = 255 - raw_value as u8;
        *slot = (inverted as f64 * scale) as u8;
    }
    (raw.iter().map(|&p| table[p as usize]).collect(), false)
}

/// Step 3: first and last inner row and column holding a value above the ink
/// threshold, in inner coordinates (offset by `BORDER`). `None` when there is none.
pub fn ink_box(img: ArrayView2<u8>) -> Option<InkBox> {
    let (h, w) = img.dim();
    if h <= 2 * BORDER || w <= 2 * BORDER {
        return None;
    }
    let inner = img.slice(s![BORDER..h - BORDER, BORDER..w - BORDER]);
    // Running maxima instead of per-pixel branches: these loops vectorize.
    let mut column_max = vec![0u8; w - 2 * BORDER];
    let (mut rmin, mut rmax) = (None, 0);
    for (r, row) in inner.outer_iter().enumerate() {
        let row = row
            .to_slice()
            .expect("rows of a standard-layout array are contiguous");
        let mut row_max = 0u8;
        for (m, &v) in column_max.iter_mut().zip(row) {
            *m = (*m).max(v);
            row_max = row_max.max(v);
        }
        if row_max > INK_THRESHOLD {
            rmin.get_or_insert(r);
            rmax = r;
        }
    }
    let rmin = rmin?;
    let cmin = column_max.iter().position(|&m| m > INK_THRESHOLD)?;
    let cmax = column_max.iter().rposition(|&m| m > INK_THRESHOLD)?;
    Some(InkBox {
        rmin,
        rmax,
        cmin,
        cmax,
    })
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

/// Steps 5-6: crop, zero the noise, and pad with `(l - ly) / 2` rows above and below
/// and `(l - lx) / 2` columns left and right, `l = max(lx, ly) + pad`.
pub fn crop_denoise_pad(img: ArrayView2<u8>, crop: Crop, pad: usize) -> Array2<u8> {
    let window = img.slice(s![crop.ymin..crop.ymax, crop.xmin..crop.xmax]);
    let (ly, lx) = window.dim();
    let l = lx.max(ly) + pad;
    let (pad_y, pad_x) = ((l - ly) / 2, (l - lx) / 2);
    let mut out = Array2::<u8>::zeros((ly + 2 * pad_y, lx + 2 * pad_x));
    out.slice_mut(s![pad_y..pad_y + ly, pad_x..pad_x + lx])
        .zip_mut_with(&window, |o, &v| {
            *o = if v < NOISE_THRESHOLD { 0 } else { v };
        });
    out
}

/// Steps 1-7 for one image of `geometry.height x geometry.width` raw pixels: the
/// `size x size` result, and whether the image was blank (constant or no ink).
pub fn transform(raw: &[u8], geometry: &Geometry) -> (Vec<u8>, bool) {
    let (normalized, constant) = invert_normalize(raw);
    let img = ArrayView2::from_shape((geometry.height, geometry.width), &normalized)
        .expect("row length is checked against height x width when the table is opened");
    let ink = ink_box(img);
    let crop = widen(ink, geometry.height, geometry.width);
    let padded = crop_denoise_pad(img, crop, geometry.pad);
    let (ph, pw) = padded.dim();
    let padded = padded
        .as_slice()
        .expect("freshly made arrays are contiguous");
    let resized = crate::resize::resize_linear(padded, pw, ph, geometry.size, geometry.size);
    (resized, constant || ink.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn normalize_inverts_and_stretches_to_255() {
        let (y, constant) = invert_normalize(&[255, 205, 155]);
        // x = [0, 50, 100], max 100: scale 2.55, and 100 * 2.55 = 254.99999999999997
        // in f64, so even the maximum truncates to 254, exactly as numpy does.
        assert_eq!(y, vec![0, 127, 254]);
        assert!(!constant);
    }

    #[test]
    fn normalize_truncates_like_numpy_f64() {
        // max 254: scale = 255/254 in f64; 253 * scale = 253.996... truncates to 253.
        let (y, _) = invert_normalize(&[1, 2, 100]);
        assert_eq!(y, vec![255, 253, 155]);
        let scale = 255.0f64 / 254.0;
        assert_eq!(y[2], (155.0f64 * scale) as u8);
    }

    #[test]
    fn constant_image_normalizes_to_zeros() {
        let (y, constant) = invert_normalize(&[255; 12]);
        assert_eq!(y, vec![0; 12]);
        assert!(constant);
        // Constant at another level is also max 0 after inversion only for 255;
        // a constant dark image has max > 0 and stretches to 255 everywhere.
        let (y, constant) = invert_normalize(&[0; 4]);
        assert_eq!(y, vec![255; 4]);
        assert!(!constant);
    }

    #[test]
    fn ink_box_reports_inner_coordinates() {
        let mut img = Array2::<u8>::zeros((30, 40));
        img[[12, 20]] = 81; // inner (7, 15)
        img[[15, 9]] = 200; // inner (10, 4)
        img[[2, 2]] = 255; // in the border: ignored
        let b = ink_box(img.view()).unwrap();
        assert_eq!(
            b,
            InkBox {
                rmin: 7,
                rmax: 10,
                cmin: 4,
                cmax: 15
            }
        );
    }

    #[test]
    fn threshold_is_strictly_above_80() {
        let mut img = Array2::<u8>::zeros((20, 20));
        img[[10, 10]] = 80;
        assert_eq!(ink_box(img.view()), None);
        img[[10, 10]] = 81;
        assert!(ink_box(img.view()).is_some());
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

    #[test]
    fn odd_padding_loses_a_line() {
        let img = Array2::<u8>::from_elem((10, 7), 100);
        let crop = Crop {
            ymin: 0,
            ymax: 10,
            xmin: 0,
            xmax: 7,
        };
        // l = 10 + 3 = 13: rows (13-10)/2 = 1 each side, cols (13-7)/2 = 3 each side.
        let out = crop_denoise_pad(img.view(), crop, 3);
        assert_eq!(out.dim(), (12, 13));
        assert_eq!(out[[0, 5]], 0);
        assert_eq!(out[[1, 3]], 100);
        assert_eq!(out[[1, 2]], 0);
        assert_eq!(out[[10, 9]], 100);
        assert_eq!(out[[11, 9]], 0);
    }

    #[test]
    fn noise_below_28_is_zeroed_only_inside_the_crop() {
        let img = Array2::<u8>::from_shape_vec((2, 3), vec![27, 28, 200, 0, 5, 29]).unwrap();
        let crop = Crop {
            ymin: 0,
            ymax: 2,
            xmin: 0,
            xmax: 3,
        };
        let out = crop_denoise_pad(img.view(), crop, 0);
        // l = 3: rows (3-2)/2 = 0 padding, so the odd line is lost.
        assert_eq!(out.as_slice().unwrap(), &[0, 28, 200, 0, 0, 29]);
    }
}
