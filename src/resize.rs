//! OpenCV's `cv2.resize(img, (dw, dh))` with `INTER_LINEAR` on 8-bit single-channel
//! images, bit for bit (SPEC section 3). Written by hand because no Rust resizer
//! reproduces it: OpenCV takes its generic path with 11-bit fixed-point
//! coefficients, computes the source positions in f32, clamps columns and rows
//! differently, and rounds the vertical pass in the 8-bit specialisation's way.

/// Fixed-point scale of the interpolation coefficients (`INTER_RESIZE_COEF_SCALE`).
const COEF_SCALE: f32 = 2048.0;
const ONE: i32 = 2048;

/// Source index and fixed-point weights for one destination column or row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tap {
    index: i32,
    w0: i32,
    w1: i32,
}

/// `saturate_cast<short>(float)`: round half to even, then saturate.
fn coefficient(weight: f32) -> i32 {
    (weight * COEF_SCALE)
        .round_ties_even()
        .clamp(i16::MIN as f32, i16::MAX as f32) as i32
}

/// Source position of each destination index, as OpenCV computes it: `scale` is
/// `1 / (dst / src)` in f64, the position is rounded to f32, then split into an
/// integer index and a fraction.
fn positions(src: usize, dst: usize) -> impl Iterator<Item = (i32, f32)> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (0..dst).map(move |d| {
        let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
        let index = f.floor();
        (index as i32, f - index)
    })
}

/// Column taps, with OpenCV's clamping, and the first "right border" column from
/// which on the horizontal pass takes a single source pixel.
fn column_taps(sw: usize, dw: usize) -> (Vec<Tap>, usize) {
    let sw = sw as i32;
    let mut border_from = dw;
    let taps = positions(sw as usize, dw)
        .enumerate()
        .map(|(dx, (mut sx, mut fx))| {
            if sx < 0 {
                sx = 0;
                fx = 0.0;
            }
            if sx + 1 >= sw {
                border_from = border_from.min(dx);
                if sx >= sw - 1 {
                    sx = sw - 1;
                    fx = 0.0;
                }
            }
            Tap {
                index: sx,
                w0: coefficient(1.0 - fx),
                w1: coefficient(fx),
            }
        })
        .collect();
    (taps, border_from)
}

/// Row taps: the index and fraction are NOT clamped (only the rows read are).
fn row_taps(sh: usize, dh: usize) -> Vec<Tap> {
    positions(sh, dh)
        .map(|(sy, fy)| Tap {
            index: sy,
            w0: coefficient(1.0 - fy),
            w1: coefficient(fy),
        })
        .collect()
}

/// Horizontal pass of one source row into `out` (one i32 per destination column).
fn resize_row(src_row: &[u8], taps: &[Tap], border_from: usize, out: &mut [i32]) {
    // The kernel pads its crops with zero rows, often half the image: skip them.
    if src_row.iter().all(|&v| v == 0) {
        out.fill(0);
        return;
    }
    // Two loops, not a branch per column: the hot one then has nothing but loads,
    // multiplies and one bounds check per pair.
    let (inner_out, border_out) = out.split_at_mut(border_from);
    let (inner_taps, border_taps) = taps.split_at(border_from);
    for (o, tap) in inner_out.iter_mut().zip(inner_taps) {
        let sx = tap.index as usize;
        let pair = &src_row[sx..sx + 2];
        *o = pair[0] as i32 * tap.w0 + pair[1] as i32 * tap.w1;
    }
    for (o, tap) in border_out.iter_mut().zip(border_taps) {
        *o = src_row[tap.index as usize] as i32 * ONE;
    }
}

/// Resizes a `sw x sh` row-major image to `dw x dh`.
///
/// Panics if `src.len() != sw * sh` or a dimension is zero: callers pass images
/// they built.
pub fn resize_linear(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<u8> {
    assert!(sw > 0 && sh > 0 && dw > 0 && dh > 0, "empty image");
    assert_eq!(src.len(), sw * sh, "image buffer does not match its size");
    if sw == dw && sh == dh {
        return src.to_vec();
    }
    let (columns, border_from) = column_taps(sw, dw);
    let rows = row_taps(sh, dh);
    let clamp_row = |r: i32| r.clamp(0, sh as i32 - 1) as usize;

    // Horizontal results of the two source rows last used, as OpenCV keeps them.
    let mut h0 = vec![0i32; dw];
    let mut h1 = vec![0i32; dw];
    let mut loaded: [Option<usize>; 2] = [None, None];
    let mut out = vec![0u8; dw * dh];
    for (dy, tap) in rows.iter().enumerate() {
        let (r0, r1) = (clamp_row(tap.index), clamp_row(tap.index + 1));
        if loaded[0] != Some(r0) {
            if loaded[1] == Some(r0) {
                std::mem::swap(&mut h0, &mut h1);
                loaded.swap(0, 1);
            } else {
                resize_row(&src[r0 * sw..(r0 + 1) * sw], &columns, border_from, &mut h0);
                loaded[0] = Some(r0);
            }
        }
        if loaded[1] != Some(r1) {
            resize_row(&src[r1 * sw..(r1 + 1) * sw], &columns, border_from, &mut h1);
            loaded[1] = Some(r1);
        }
        let (b0, b1) = (tap.w0, tap.w1);
        for (o, (&a, &b)) in out[dy * dw..(dy + 1) * dw]
            .iter_mut()
            .zip(h0.iter().zip(&h1))
        {
            let v = (((b0 * (a >> 4)) >> 16) + ((b1 * (b >> 4)) >> 16) + 2) >> 2;
            *o = v.clamp(0, 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_a_copy() {
        let src: Vec<u8> = (0..12).collect();
        assert_eq!(resize_linear(&src, 4, 3, 4, 3), src);
    }

    #[test]
    fn constant_image_stays_constant() {
        for &(sw, sh, dw, dh) in &[(7, 5, 128, 128), (300, 200, 128, 128), (1, 1, 3, 9)] {
            let src = vec![173u8; sw * sh];
            assert!(resize_linear(&src, sw, sh, dw, dh)
                .iter()
                .all(|&v| v == 173));
        }
    }

    #[test]
    fn coefficients_round_half_to_even() {
        // 0.25 * 2048 = 512 exactly; a tie like 0.5/2048 rounds to even.
        assert_eq!(coefficient(0.25), 512);
        assert_eq!(coefficient(0.5 / 2048.0), 0);
        assert_eq!(coefficient(1.5 / 2048.0), 2);
    }

    fn tap(index: i32, w0: i32, w1: i32) -> Tap {
        Tap { index, w0, w1 }
    }

    #[test]
    fn columns_clamp_left_and_right() {
        // Upscaling 2 -> 4: positions -0.25, 0.25, 0.75, 1.25.
        let (taps, border_from) = column_taps(2, 4);
        assert_eq!(
            taps,
            vec![
                tap(0, 2048, 0),
                tap(0, 1536, 512),
                tap(0, 512, 1536),
                tap(1, 2048, 0)
            ]
        );
        assert_eq!(border_from, 3);
    }

    #[test]
    fn rows_are_not_clamped_only_their_reads() {
        let taps = row_taps(2, 4);
        assert_eq!(taps[0], tap(-1, 512, 1536));
        assert_eq!(taps[3], tap(1, 1536, 512));
    }

    #[test]
    fn vertical_pass_uses_the_8_bit_rounding() {
        // A 1x2 column [0, 255] stretched to 1x4: rows at -0.25, 0.25, 0.75, 1.25.
        let out = resize_linear(&[0, 255], 1, 2, 1, 4);
        // Row 1: 0.75 * 0 + 0.25 * 255 -> (((1536*0)>>16) + ((512*(255*2048>>4))>>16) + 2) >> 2
        let h = (255 * 2048) >> 4;
        let expected = ((((512 * h) >> 16) + 2) >> 2) as u8;
        assert_eq!(out[1], expected);
        assert_eq!(out[0], 0);
        assert_eq!(out[3], 255);
    }
}
