//! OpenCV's `cv2.resize(img, (dw, dh))` with `INTER_LINEAR` on 8-bit single-channel
//! images, bit for bit (docs/spec.md section 3). Written by hand because no Rust resizer
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

/// Which horizontal pass to use: the best the CPU has, or a lesser one, which
/// only the tests ask for (so they cover every path on an AVX2 machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Simd {
    Best,
    /// SSSE3 8 columns at a time, never AVX2.
    Ssse3,
    Scalar,
}

/// Column taps with the first "right border" column, and the range of
/// destination columns that read a given span of source columns.
struct ColumnTaps {
    taps: Vec<Tap>,
    border_from: usize,
    /// Per source column `x`, the first destination column whose taps read `x`
    /// or anything right of it, and the end of those that read `x` or left of it.
    first_reading: Vec<u32>,
    end_reading: Vec<u32>,
    /// Shuffle tables for 8 destination columns at a time, when the CPU has SSSE3,
    /// and for 16 at a time, when it has AVX2.
    #[cfg(target_arch = "x86_64")]
    groups: Option<Vec<simd::Group>>,
    #[cfg(target_arch = "x86_64")]
    pairs: Option<Vec<Option<simd::Pair>>>,
}

impl ColumnTaps {
    fn with_simd(sw: usize, dw: usize, simd: Simd) -> Self {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = simd; // only the scalar pass exists
        let (taps, border_from) = column_taps(sw, dw);
        // A tap reads `index` and `index + 1`; the indices never decrease.
        let mut first_reading = vec![0u32; sw];
        let mut end_reading = vec![0u32; sw];
        let mut start = 0;
        let mut end = 0;
        for x in 0..sw {
            while start < dw && (taps[start].index as usize) + 1 < x {
                start += 1;
            }
            while end < dw && (taps[end].index as usize) <= x {
                end += 1;
            }
            first_reading[x] = start as u32;
            end_reading[x] = end as u32;
        }
        #[cfg(target_arch = "x86_64")]
        let groups = (simd != Simd::Scalar)
            .then(|| simd::groups(&taps[..border_from], sw))
            .flatten();
        ColumnTaps {
            first_reading,
            end_reading,
            #[cfg(target_arch = "x86_64")]
            pairs: (simd == Simd::Best)
                .then(|| groups.as_deref().and_then(|g| simd::pairs(g, dw)))
                .flatten(),
            #[cfg(target_arch = "x86_64")]
            groups,
            taps,
            border_from,
        }
    }

    /// Whether `inner` computes 16 columns a step (AVX2).
    fn has_wide_simd(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return self.pairs.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// Destination columns whose taps can read a source column in `first..=last`.
    fn reading(&self, first: usize, last: usize) -> std::ops::Range<usize> {
        let start = self.first_reading[first] as usize;
        start..(self.end_reading[last] as usize).max(start)
    }

    /// `h >> 4` for the destination columns in `range`, all before `border_from`.
    /// The AVX2 path may also fill other columns: before `border_from` with their
    /// true values (callers pass every column that can read a non-zero pixel, so
    /// the others are 0 either way), after it with 0 (the border pass comes next).
    fn inner(&self, src_row: &[u8], range: std::ops::Range<usize>, out: &mut [i16]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(groups) = &self.groups {
            if let Some(pairs) = &self.pairs {
                // SAFETY: `pairs` is only built when AVX2 is present.
                return unsafe { simd::inner_avx2(pairs, groups, &self.taps, src_row, range, out) };
            }
            return simd::inner(groups, &self.taps, src_row, range, out);
        }
        inner_scalar(&self.taps, src_row, range, out);
    }
}

fn inner_scalar(taps: &[Tap], src_row: &[u8], range: std::ops::Range<usize>, out: &mut [i16]) {
    for (o, tap) in out[range.clone()].iter_mut().zip(&taps[range]) {
        let sx = tap.index as usize;
        let pair = &src_row[sx..sx + 2];
        *o = ((pair[0] as i32 * tap.w0 + pair[1] as i32 * tap.w1) >> 4) as i16;
    }
}

pub mod opencv;
pub mod pillow;
#[cfg(target_arch = "x86_64")]
mod simd;

/// Whether a row is all zero, as most rows of a padded crop are: an OR over the
/// row vectorizes.
fn all_zero(row: &[u8]) -> bool {
    row.iter().fold(0u8, |acc, &v| acc | v) == 0
}

/// First and last non-zero byte of a row, eight bytes at a time.
fn nonzero_span(row: &[u8]) -> Option<(usize, usize)> {
    if all_zero(row) {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(row[at..at + 8].try_into().expect("8 bytes"));
    let mut first = 0;
    while first + 8 <= row.len() && word(first) == 0 {
        first += 8;
    }
    let first = first + row[first..].iter().position(|&v| v != 0)?;
    let mut end = row.len();
    while end >= first + 8 && word(end - 8) == 0 {
        end -= 8;
    }
    let last = first + row[first..end].iter().rposition(|&v| v != 0)?;
    Some((first, last))
}

/// Horizontal pass of one source row, stored as OpenCV's vertical pass uses it:
/// `h >> 4`, which fits an i16 (at most 255 * 2048 >> 4 = 32640). Returns false,
/// leaving `out` zeroed, for an all-zero row.
fn resize_row(src_row: &[u8], columns: &ColumnTaps, out: &mut [i16]) -> bool {
    out.fill(0);
    let range = if columns.has_wide_simd() {
        // Whole rows 16 columns a step cost less than finding the ink in them.
        if all_zero(src_row) {
            return false;
        }
        0..columns.taps.len()
    } else {
        // The kernel's crops are mostly zero (padding and denoised background):
        // only the destination columns that read a non-zero pixel need computing.
        let Some((first, last)) = nonzero_span(src_row) else {
            return false;
        };
        columns.reading(first, last)
    };
    let split = range.end.min(columns.border_from).max(range.start);
    let (inner, border) = (range.start..split, split..range.end);
    columns.inner(src_row, inner, out);
    for (o, tap) in out[border.clone()].iter_mut().zip(&columns.taps[border]) {
        *o = ((src_row[tap.index as usize] as i32 * ONE) >> 4) as i16;
    }
    true
}

/// Vertical pass of one destination row: the 8-bit specialisation's rounding,
/// `((b0 * h0) >> 16) + ((b1 * h1) >> 16) + 2 >> 2`, in i16 lanes: the products
/// are multiply-highs, which is how OpenCV's SIMD version computes it.
fn blend_rows(h0: &[i16], h1: &[i16], b0: i16, b1: i16, out: &mut [u8]) {
    let n = out.len().min(h0.len()).min(h1.len());
    #[cfg(target_arch = "x86_64")]
    let done = simd::blend_rows_sse2(&h0[..n], &h1[..n], b0, b1, &mut out[..n]);
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    blend_rows_scalar(&h0[done..n], &h1[done..n], b0, b1, &mut out[done..n]);
}

fn blend_rows_scalar(h0: &[i16], h1: &[i16], b0: i16, b1: i16, out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(h0).zip(h1) {
        let hi0 = (b0 as i32 * a as i32) >> 16;
        let hi1 = (b1 as i32 * b as i32) >> 16;
        *o = ((hi0 + hi1 + 2) >> 2).clamp(0, 255) as u8;
    }
}

/// The taps of one `(sw, sh) -> (dw, dh)` resize.
struct Plan {
    columns: ColumnTaps,
    rows: Vec<Tap>,
}

/// Plans are kept per thread: the kernel's crops come in a few hundred sizes, and
/// computing the taps took a tenth of the resize.
const PLANS_KEPT: usize = 1024;

thread_local! {
    static PLANS: std::cell::RefCell<std::collections::HashMap<[usize; 4], std::rc::Rc<Plan>>> =
        std::cell::RefCell::default();
}

impl Plan {
    fn new(sw: usize, sh: usize, dw: usize, dh: usize, simd: Simd) -> Self {
        Plan {
            columns: ColumnTaps::with_simd(sw, dw, simd),
            rows: row_taps(sh, dh),
        }
    }
}

fn plan(sw: usize, sh: usize, dw: usize, dh: usize) -> std::rc::Rc<Plan> {
    PLANS.with_borrow_mut(|plans| {
        if plans.len() >= PLANS_KEPT {
            plans.clear();
        }
        plans
            .entry([sw, sh, dw, dh])
            .or_insert_with(|| std::rc::Rc::new(Plan::new(sw, sh, dw, dh, Simd::Best)))
            .clone()
    })
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
    resize_with(src, sw, sh, dw, dh, &plan(sw, sh, dw, dh))
}

fn resize_with(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize, plan: &Plan) -> Vec<u8> {
    let (columns, rows) = (&plan.columns, &plan.rows);
    let clamp_row = |r: i32| r.clamp(0, sh as i32 - 1) as usize;

    // Horizontal results of the two source rows last used, as OpenCV keeps them,
    // and whether each is non-zero.
    let mut h = [vec![0i16; dw], vec![0i16; dw]];
    let mut nonzero = [false; 2];
    let mut loaded: [Option<usize>; 2] = [None, None];
    let mut out = vec![0u8; dw * dh];
    for (tap, out_row) in rows.iter().zip(out.chunks_exact_mut(dw)) {
        let (r0, r1) = (clamp_row(tap.index), clamp_row(tap.index + 1));
        if loaded[0] != Some(r0) {
            if loaded[1] == Some(r0) {
                h.swap(0, 1);
                nonzero.swap(0, 1);
                loaded.swap(0, 1);
            } else {
                nonzero[0] = resize_row(&src[r0 * sw..(r0 + 1) * sw], columns, &mut h[0]);
                loaded[0] = Some(r0);
            }
        }
        if loaded[1] != Some(r1) {
            nonzero[1] = resize_row(&src[r1 * sw..(r1 + 1) * sw], columns, &mut h[1]);
            loaded[1] = Some(r1);
        }
        // Two zero rows blend to zero, which `out` already holds.
        if nonzero != [false, false] {
            // Row weights are in 0..=2048: they fit the i16 lanes.
            let (b0, b1) = (tap.w0 as i16, tap.w1 as i16);
            #[cfg(target_arch = "x86_64")]
            if columns.has_wide_simd() {
                // SAFETY: the column pairs exist only when the CPU has AVX2.
                unsafe { simd::blend_rows_avx2(&h[0], &h[1], b0, b1, out_row) };
                continue;
            }
            blend_rows(&h[0], &h[1], b0, b1, out_row);
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

    /// docs/spec.md section 3 transcribed directly: no row cache, no zero skipping, no
    /// SIMD. The optimized resize must agree with it everywhere.
    fn spec_resize(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<u8> {
        let (columns, border_from) = column_taps(sw, dw);
        let rows = row_taps(sh, dh);
        let horizontal = |r: usize, dx: usize| -> i32 {
            let t = columns[dx];
            let row = &src[r * sw..(r + 1) * sw];
            if dx >= border_from {
                row[t.index as usize] as i32 * ONE
            } else {
                row[t.index as usize] as i32 * t.w0 + row[t.index as usize + 1] as i32 * t.w1
            }
        };
        let clamp = |r: i32| r.clamp(0, sh as i32 - 1) as usize;
        let mut out = Vec::with_capacity(dw * dh);
        for t in &rows {
            for dx in 0..dw {
                let a = horizontal(clamp(t.index), dx);
                let b = horizontal(clamp(t.index + 1), dx);
                let v = (((t.w0 * (a >> 4)) >> 16) + ((t.w1 * (b >> 4)) >> 16) + 2) >> 2;
                out.push(v.clamp(0, 255) as u8);
            }
        }
        out
    }

    /// The resize with the horizontal pass of a given SIMD level.
    fn resize_at(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize, simd: Simd) -> Vec<u8> {
        resize_with(src, sw, sh, dw, dh, &Plan::new(sw, sh, dw, dh, simd))
    }

    /// Source and destination sizes of random case `case`: every other one the
    /// kernel's 128 x 128, the others anything.
    fn random_sizes(rng: &mut fastrand::Rng, case: usize) -> (usize, usize, usize, usize) {
        let (sw, sh) = (rng.usize(1..300), rng.usize(1..300));
        let (dw, dh) = if case.is_multiple_of(2) {
            (128, 128)
        } else {
            (rng.usize(1..200), rng.usize(1..200))
        };
        (sw, sh, dw, dh)
    }

    #[test]
    fn every_simd_level_agrees_with_the_spec_transcription() {
        let mut rng = fastrand::Rng::with_seed(13);
        for case in 0..300 {
            let (sw, sh, dw, dh) = random_sizes(&mut rng, case);
            // Dense, sparse, or zero rows; ink up to the right edge.
            let density = [0u8, 20, 128, 255][case % 4];
            let src: Vec<u8> = (0..sw * sh)
                .map(|_| if rng.u8(..) < density { rng.u8(..) } else { 0 })
                .collect();
            let expected = spec_resize(&src, sw, sh, dw, dh);
            for simd in [Simd::Best, Simd::Ssse3, Simd::Scalar] {
                assert_eq!(
                    resize_at(&src, sw, sh, dw, dh, simd),
                    expected,
                    "{sw}x{sh} -> {dw}x{dh}, {simd:?}"
                );
            }
        }
    }

    #[test]
    fn agrees_with_the_spec_transcription_on_sparse_random_images() {
        let mut rng = fastrand::Rng::with_seed(7);
        for case in 0..400 {
            let (sw, sh, dw, dh) = random_sizes(&mut rng, case);
            // Mostly zero, like padded crops: zero rows, zero margins, ink blobs.
            let density = rng.u8(..);
            let (x0, x1) = (rng.usize(0..=sw), rng.usize(0..=sw));
            let src: Vec<u8> = (0..sw * sh)
                .map(|i| {
                    let x = i % sw;
                    let inside = x >= x0.min(x1) && x < x0.max(x1);
                    if inside && rng.u8(..) < density {
                        rng.u8(..)
                    } else {
                        0
                    }
                })
                .collect();
            assert_eq!(
                resize_linear(&src, sw, sh, dw, dh),
                spec_resize(&src, sw, sh, dw, dh),
                "{sw}x{sh} -> {dw}x{dh}"
            );
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_pass_fills_the_range_exactly_and_only_true_values_elsewhere() {
        let mut rng = fastrand::Rng::with_seed(17);
        for _ in 0..300 {
            let (sw, dw) = (rng.usize(2..400), rng.usize(1..300));
            let columns = ColumnTaps::with_simd(sw, dw, Simd::Best);
            let (Some(groups), Some(pairs)) = (&columns.groups, &columns.pairs) else {
                return; // no AVX2 here: the test below covers SSSE3
            };
            let row: Vec<u8> = (0..sw).map(|_| rng.u8(..)).collect();
            let end = rng.usize(0..=columns.border_from);
            let start = rng.usize(0..=end);
            let mut all = vec![0i16; dw];
            inner_scalar(&columns.taps, &row, 0..columns.border_from, &mut all);
            let mut fast = vec![0i16; dw];
            // SAFETY: `pairs` exists, so the CPU has AVX2.
            unsafe { simd::inner_avx2(pairs, groups, &columns.taps, &row, start..end, &mut fast) };
            for dx in 0..dw {
                let ok = if (start..end).contains(&dx) {
                    fast[dx] == all[dx]
                } else if dx < columns.border_from {
                    fast[dx] == 0 || fast[dx] == all[dx]
                } else {
                    fast[dx] == 0 // the border pass writes these afterwards
                };
                assert!(ok, "{sw} -> {dw}, {start}..{end}, column {dx}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn shuffled_horizontal_pass_matches_the_scalar_one() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..300 {
            let (sw, dw) = (rng.usize(2..400), rng.usize(1..300));
            let columns = ColumnTaps::with_simd(sw, dw, Simd::Best);
            let Some(groups) = &columns.groups else {
                return; // no SSSE3 here: only the scalar path exists
            };
            let row: Vec<u8> = (0..sw).map(|_| rng.u8(..)).collect();
            let end = rng.usize(0..=columns.border_from);
            let start = rng.usize(0..=end);
            let (mut fast, mut slow) = (vec![0i16; dw], vec![0i16; dw]);
            simd::inner(groups, &columns.taps, &row, start..end, &mut fast);
            inner_scalar(&columns.taps, &row, start..end, &mut slow);
            assert_eq!(fast, slow, "{sw} -> {dw}, {start}..{end}");
        }
    }
}
