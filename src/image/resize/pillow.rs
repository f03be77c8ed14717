//! Pillow's `Image.resize(size, filter, box)` on 8-bit images, bit for bit
//! (`libImaging/Resample.c`; docs/spec.md section 8): two separable passes of
//! fixed-point convolution with coefficients computed in double, and NEAREST as
//! Pillow's affine scaling, whose source positions are accumulated sums.
//! Channels are independent; the pixels are interleaved, `channels` per pixel.

/// Pillow's resampling filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PilFilter {
    /// `Image.NEAREST`.
    Nearest,
    /// `Image.BOX`.
    Box,
    /// `Image.BILINEAR`.
    Bilinear,
    /// `Image.HAMMING`.
    Hamming,
    /// `Image.BICUBIC`, Pillow's default.
    Bicubic,
    /// `Image.LANCZOS`.
    Lanczos,
}

impl PilFilter {
    /// Half the width of the filter's kernel, in source pixels at scale 1.
    fn support(self) -> f64 {
        match self {
            PilFilter::Nearest | PilFilter::Box => 0.5,
            PilFilter::Bilinear | PilFilter::Hamming => 1.0,
            PilFilter::Bicubic => 2.0,
            PilFilter::Lanczos => 3.0,
        }
    }

    /// The filter's weight at `x`, as Resample.c computes it.
    fn weight(self, x: f64) -> f64 {
        match self {
            PilFilter::Nearest | PilFilter::Box => {
                if x > -0.5 && x <= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            PilFilter::Bilinear => {
                let x = x.abs();
                if x < 1.0 {
                    1.0 - x
                } else {
                    0.0
                }
            }
            PilFilter::Hamming => {
                let x = x.abs();
                if x == 0.0 {
                    1.0
                } else if x >= 1.0 {
                    0.0
                } else {
                    let x = x * std::f64::consts::PI;
                    // Resample.c writes `0.54f + 0.46f * cos(x)`: f32 constants.
                    x.sin() / x * (f64::from(0.54f32) + f64::from(0.46f32) * x.cos())
                }
            }
            PilFilter::Bicubic => {
                const A: f64 = -0.5;
                let x = x.abs();
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
            PilFilter::Lanczos => {
                if (-3.0..3.0).contains(&x) {
                    sinc(x) * sinc(x / 3.0)
                } else {
                    0.0
                }
            }
        }
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

#[cfg(target_arch = "x86_64")]
#[path = "pillow_simd.rs"]
mod simd;

/// `PRECISION_BITS` of Resample.c.
const PRECISION_BITS: u32 = 22;

/// For each output index, the first source index, the number of taps and their
/// fixed-point weights (`ksize` per index).
pub(super) struct Coefficients {
    pub(super) ksize: usize,
    pub(super) bounds: Vec<(usize, usize)>,
    pub(super) weights: Vec<i32>,
}

/// `precompute_coeffs` then `normalize_coeffs_8bpc`: the region `in0..in1` of
/// `in_size` source pixels onto `out_size`.
fn coefficients(
    in_size: usize,
    in0: f32,
    in1: f32,
    out_size: usize,
    filter: PilFilter,
) -> Coefficients {
    // The box is f32 in Pillow, and so is the difference of its edges.
    let scale = f64::from(in1 - in0) / out_size as f64;
    let in0 = f64::from(in0);
    let filterscale = scale.max(1.0);
    let support = filter.support() * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut bounds = Vec::with_capacity(out_size);
    let mut weights = vec![0i32; out_size * ksize];
    let mut k = vec![0f64; ksize];
    for xx in 0..out_size {
        let center = in0 + (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) truncates toward zero.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let taps = xmax.saturating_sub(xmin);
        let mut sum = 0.0;
        for (x, slot) in k.iter_mut().enumerate().take(taps) {
            let w = filter.weight((x as f64 + xmin as f64 - center + 0.5) * ss);
            *slot = w;
            sum += w;
        }
        let row = &mut weights[xx * ksize..(xx + 1) * ksize];
        for (slot, &w) in row.iter_mut().zip(&k[..taps]) {
            let w = if sum != 0.0 { w / sum } else { w };
            let scaled = w * f64::from(1u32 << PRECISION_BITS);
            *slot = if w < 0.0 {
                (scaled - 0.5) as i32
            } else {
                (scaled + 0.5) as i32
            };
        }
        bounds.push((xmin, taps));
    }
    Coefficients {
        ksize,
        bounds,
        weights,
    }
}

/// `clip8`: the accumulated sum back to a sample.
#[inline]
pub(super) fn clip8(sum: i32) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

pub(super) const HALF: i32 = 1 << (PRECISION_BITS - 1);

/// The horizontal pass over source rows `rows`: AVX2 where the CPU has it
/// (the same i32 arithmetic, so the same bytes), else plain code.
fn horizontal(
    src: &[u8],
    width: usize,
    channels: usize,
    rows: std::ops::Range<usize>,
    c: &Coefficients,
) -> Vec<u8> {
    #[cfg(target_arch = "x86_64")]
    if matches!(channels, 1 | 3) && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { simd::horizontal_avx2(src, width, channels, rows, c) };
    }
    horizontal_scalar(src, width, channels, rows, c)
}

/// [`horizontal`] in plain code, and the reference the SIMD is tested against.
fn horizontal_scalar(
    src: &[u8],
    width: usize,
    channels: usize,
    rows: std::ops::Range<usize>,
    c: &Coefficients,
) -> Vec<u8> {
    let out_width = c.bounds.len();
    let mut out = vec![0u8; out_width * rows.len() * channels];
    let row_len = width * channels;
    let mut sums = [HALF; 4];
    for (out_row, y) in out.chunks_exact_mut(out_width * channels).zip(rows) {
        let row = &src[y * row_len..(y + 1) * row_len];
        for (xx, (&(xmin, taps), out)) in c
            .bounds
            .iter()
            .zip(out_row.chunks_exact_mut(channels))
            .enumerate()
        {
            let k = &c.weights[xx * c.ksize..xx * c.ksize + taps];
            let pixels = &row[xmin * channels..(xmin + taps) * channels];
            sums[..channels].fill(HALF);
            for (pixel, &w) in pixels.chunks_exact(channels).zip(k) {
                for (sum, &v) in sums.iter_mut().zip(pixel) {
                    *sum += i32::from(v) * w;
                }
            }
            for (o, &sum) in out.iter_mut().zip(&sums) {
                *o = clip8(sum);
            }
        }
    }
    out
}

/// The vertical pass: source row `first_row + bounds` of `src`; compiled for
/// AVX2 too, where the compiler vectorizes the i32 multiply-adds.
fn vertical(
    src: &[u8],
    width: usize,
    channels: usize,
    first_row: usize,
    c: &Coefficients,
) -> Vec<u8> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { vertical_avx2(src, width, channels, first_row, c) };
    }
    vertical_plain(src, width, channels, first_row, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn vertical_avx2(
    src: &[u8],
    width: usize,
    channels: usize,
    first_row: usize,
    c: &Coefficients,
) -> Vec<u8> {
    vertical_plain(src, width, channels, first_row, c)
}

#[inline(always)]
fn vertical_plain(
    src: &[u8],
    width: usize,
    channels: usize,
    first_row: usize,
    c: &Coefficients,
) -> Vec<u8> {
    let row_len = width * channels;
    let mut out = vec![0u8; row_len * c.bounds.len()];
    let mut sums = vec![0i32; row_len];
    for (yy, out_row) in out.chunks_exact_mut(row_len).enumerate() {
        let (ymin, taps) = c.bounds[yy];
        let k = &c.weights[yy * c.ksize..yy * c.ksize + taps];
        sums.fill(HALF);
        for (y, &w) in k.iter().enumerate() {
            let at = (ymin - first_row + y) * row_len;
            for (sum, &v) in sums.iter_mut().zip(&src[at..at + row_len]) {
                *sum += i32::from(v) * w;
            }
        }
        for (o, &sum) in out_row.iter_mut().zip(&sums) {
            *o = clip8(sum);
        }
    }
    out
}

/// Pillow's NEAREST: `ImagingScaleAffine`, with the source positions summed
/// step by step in double as Pillow does (not `(x + 0.5) * scale`).
fn nearest(
    src: &[u8],
    (width, height): (usize, usize),
    channels: usize,
    (out_width, out_height): (usize, usize),
    region: [f32; 4],
) -> Vec<u8> {
    let coord = |v: f64| if v < 0.0 { -1 } else { v as i64 };
    let step_x = f64::from(region[2] - region[0]) / out_width as f64;
    let step_y = f64::from(region[3] - region[1]) / out_height as f64;
    let mut columns = Vec::with_capacity(out_width);
    let mut xo = f64::from(region[0]) + step_x * 0.5;
    for _ in 0..out_width {
        let x = coord(xo);
        columns.push((0..width as i64).contains(&x).then_some(x as usize));
        xo += step_x;
    }
    let mut out = vec![0u8; out_width * out_height * channels];
    let mut yo = f64::from(region[1]) + step_y * 0.5;
    for out_row in out.chunks_exact_mut(out_width * channels) {
        let y = coord(yo);
        yo += step_y;
        if !(0..height as i64).contains(&y) {
            continue;
        }
        let row = &src[y as usize * width * channels..][..width * channels];
        for (o, column) in out_row.chunks_exact_mut(channels).zip(&columns) {
            if let Some(x) = column {
                o.copy_from_slice(&row[x * channels..(x + 1) * channels]);
            }
        }
    }
    out
}

/// `Image.resize((out_width, out_height), filter, box=region)` of a `width x
/// height` image of `channels` interleaved 8-bit samples; `region` is the box
/// as Pillow holds it (f32), `[0, 0, width, height]` for the whole image.
pub fn resize_pillow(
    src: &[u8],
    (width, height): (usize, usize),
    channels: usize,
    (out_width, out_height): (usize, usize),
    filter: PilFilter,
    region: [f32; 4],
) -> Vec<u8> {
    assert_eq!(
        src.len(),
        width * height * channels,
        "pixels match the size"
    );
    assert!(
        out_width > 0 && out_height > 0,
        "resizing to an empty image"
    );
    let whole = region == [0.0, 0.0, width as f32, height as f32];
    if whole && (width, height) == (out_width, out_height) {
        return src.to_vec();
    }
    // A box of whole pixels the size of the output is a plain crop.
    let whole_pixels = region[0].fract() == 0.0 && region[1].fract() == 0.0;
    if whole_pixels
        && region[2] - region[0] == out_width as f32
        && region[3] - region[1] == out_height as f32
    {
        let (left, top) = (region[0] as usize, region[1] as usize);
        let row = width * channels;
        return (top..top + out_height)
            .flat_map(|y| &src[y * row + left * channels..y * row + (left + out_width) * channels])
            .copied()
            .collect();
    }
    if filter == PilFilter::Nearest {
        return nearest(
            src,
            (width, height),
            channels,
            (out_width, out_height),
            region,
        );
    }
    let need_horizontal = out_width != width || region[0] != 0.0 || region[2] != out_width as f32;
    let need_vertical = out_height != height || region[1] != 0.0 || region[3] != out_height as f32;
    let across = coefficients(width, region[0], region[2], out_width, filter);
    let down = coefficients(height, region[1], region[3], out_height, filter);
    // Pillow 12.2 and later: when the height shrinks by more than twice what
    // the width does, the vertical pass runs first (over every column).
    let shrink_y = height as i64 - out_height as i64;
    let shrink_x = width as i64 - out_width as i64;
    let horizontal_first = !(shrink_y > 0 && shrink_y > shrink_x * 2);
    if !horizontal_first {
        let pixels = if need_vertical {
            vertical(src, width, channels, 0, &down)
        } else {
            src.to_vec()
        };
        return if need_horizontal {
            horizontal(&pixels, width, channels, 0..out_height, &across)
        } else {
            pixels
        };
    }
    let (mut pixels, mut pixel_width, mut first_row) = (None::<Vec<u8>>, width, 0);
    if need_horizontal {
        // Only the rows the vertical pass reads.
        let first = down.bounds[0].0;
        let (last_min, last_taps) = down.bounds[out_height - 1];
        let rows = if need_vertical {
            first..last_min + last_taps
        } else {
            0..height
        };
        first_row = rows.start;
        pixels = Some(horizontal(src, width, channels, rows, &across));
        pixel_width = out_width;
    }
    if need_vertical {
        let input = pixels.as_deref().unwrap_or(src);
        return vertical(input, pixel_width, channels, first_row, &down);
    }
    pixels.unwrap_or_else(|| src.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_about_one_in_fixed_point() {
        for filter in [
            PilFilter::Box,
            PilFilter::Bilinear,
            PilFilter::Hamming,
            PilFilter::Bicubic,
            PilFilter::Lanczos,
        ] {
            for (input, output) in [(100, 64), (33, 64), (64, 64), (1000, 7)] {
                let c = coefficients(input, 0.0, input as f32, output, filter);
                for (i, &(_, taps)) in c.bounds.iter().enumerate() {
                    let sum: i32 = c.weights[i * c.ksize..i * c.ksize + taps].iter().sum();
                    assert!((sum - (1 << 22)).abs() <= taps as i32, "{filter:?} {sum}");
                }
            }
        }
    }

    #[test]
    fn the_simd_horizontal_pass_equals_the_plain_one() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut cases = vec![
            (1000, 3, 64),
            (37, 5, 64),
            (64, 2, 63),
            (9, 2, 3),
            (300, 4, 1),
            (1000, 2, 7),
            (47, 3, 13),
        ];
        // Widths around the 16-pixel shuffles, outputs around groups of 8.
        cases.extend((0..40).map(|_| (rng.usize(1..200), 2, rng.usize(1..90))));
        for (w, h, out_w) in cases {
            for channels in [1, 3] {
                let src: Vec<u8> = (0..w * h * channels).map(|_| rng.u8(..)).collect();
                for filter in [PilFilter::Bicubic, PilFilter::Lanczos, PilFilter::Box] {
                    let c = coefficients(w, 0.0, w as f32, out_w, filter);
                    assert_eq!(
                        horizontal(&src, w, channels, 0..h, &c),
                        horizontal_scalar(&src, w, channels, 0..h, &c),
                        "{w}x{h} -> {out_w}, {channels} channels, {filter:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_constant_image_stays_constant() {
        let src = vec![77u8; 37 * 23 * 3];
        for filter in [PilFilter::Bicubic, PilFilter::Lanczos, PilFilter::Nearest] {
            let out = resize_pillow(&src, (37, 23), 3, (64, 10), filter, [0.0, 0.0, 37.0, 23.0]);
            assert!(out.iter().all(|&v| v == 77), "{filter:?}");
        }
    }

    #[test]
    fn nearest_halving_takes_every_other_pixel() {
        let src: Vec<u8> = (0..16).collect();
        let out = resize_pillow(
            &src,
            (4, 4),
            1,
            (2, 2),
            PilFilter::Nearest,
            [0.0, 0.0, 4.0, 4.0],
        );
        assert_eq!(out, vec![5, 7, 13, 15]);
    }
}
