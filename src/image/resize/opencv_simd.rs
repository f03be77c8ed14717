//! The horizontal sums of OpenCV's `INTER_AREA` shrink (`ResizeArea_Invoker`)
//! for eight source rows at once with AVX2. Lane `r` of every vector belongs to
//! row `first + r`, so each (row, destination sample) keeps its own chain of
//! f32 multiplies and adds in table order: the sums are the scalar ones bit for
//! bit (Rust never fuses them into FMAs). The rows are transposed first, so
//! that one 8-byte load gives a column's eight samples.

use std::arch::x86_64::*;

use super::{AreaTap, Image};

/// Source rows per block.
pub(super) const ROWS: usize = 8;

/// Buffers reused from block to block.
#[derive(Default)]
pub(super) struct Scratch {
    zeros: Vec<u8>,
    columns: Vec<u8>,
    lanes: Vec<f32>,
}

/// The sums of rows `first..first + 8` (rows past the image are zeros) into
/// `out`: eight rows of `width` f32, `width` being the destination's samples
/// per row.
#[target_feature(enable = "avx2")]
pub(super) fn area_rows<const CN: usize>(
    img: &Image,
    first: usize,
    xtab: &[AreaTap],
    width: usize,
    scratch: &mut Scratch,
    out: &mut [f32],
) {
    let row_len = img.sw * CN;
    scratch.zeros.resize(row_len, 0);
    scratch.columns.resize(row_len * ROWS, 0);
    let rows: [&[u8]; ROWS] = std::array::from_fn(|r| {
        if first + r < img.sh {
            img.row(first + r)
        } else {
            &scratch.zeros[..]
        }
    });
    transpose(rows, &mut scratch.columns);
    let lanes = &mut scratch.lanes;
    lanes.clear();
    lanes.resize(width * ROWS, 0.0);
    let columns = &scratch.columns[..];
    let mut cur = 0;
    let mut acc = [_mm256_setzero_ps(); CN];
    for t in xtab {
        if t.di != cur {
            store(&acc, &mut lanes[cur * ROWS..(cur + CN) * ROWS]);
            acc = [_mm256_setzero_ps(); CN];
            cur = t.di;
        }
        let alpha = _mm256_set1_ps(t.alpha);
        for (c, sum) in acc.iter_mut().enumerate() {
            let at = (t.si + c) * ROWS;
            let samples = column(&columns[at..at + ROWS]);
            *sum = _mm256_add_ps(*sum, _mm256_mul_ps(samples, alpha));
        }
    }
    store(&acc, &mut lanes[cur * ROWS..(cur + CN) * ROWS]);
    for (sample, lane) in lanes.chunks_exact(ROWS).enumerate() {
        for (r, &v) in lane.iter().enumerate() {
            out[r * width + sample] = v;
        }
    }
}

/// Eight samples of one column as f32.
#[target_feature(enable = "avx2")]
#[inline]
fn column(bytes: &[u8]) -> __m256 {
    assert!(bytes.len() >= 8);
    // SAFETY: eight readable bytes; an unaligned load.
    let v = unsafe { _mm_loadl_epi64(bytes.as_ptr().cast()) };
    _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))
}

#[target_feature(enable = "avx2")]
#[inline]
fn store<const CN: usize>(acc: &[__m256; CN], lanes: &mut [f32]) {
    for (sum, dst) in acc.iter().zip(lanes.chunks_exact_mut(ROWS)) {
        // SAFETY: eight writable f32; an unaligned store.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), *sum) };
    }
}

/// Eight rows of equal length to column-major order: byte `r` of column `i`
/// at `columns[i * 8 + r]`; 16 columns per round of unpacks.
#[target_feature(enable = "avx2")]
fn transpose(rows: [&[u8]; ROWS], columns: &mut [u8]) {
    let len = rows[0].len();
    let blocks = len / 16;
    for b in 0..blocks {
        // SAFETY: 16 readable bytes of each row at 16 * b.
        let a: [__m128i; ROWS] =
            std::array::from_fn(|r| unsafe { _mm_loadu_si128(rows[r][16 * b..].as_ptr().cast()) });
        // Byte pairs of rows (0,1), (2,3), (4,5), (6,7): columns 0..8 and 8..16.
        let (p01, q01) = (_mm_unpacklo_epi8(a[0], a[1]), _mm_unpackhi_epi8(a[0], a[1]));
        let (p23, q23) = (_mm_unpacklo_epi8(a[2], a[3]), _mm_unpackhi_epi8(a[2], a[3]));
        let (p45, q45) = (_mm_unpacklo_epi8(a[4], a[5]), _mm_unpackhi_epi8(a[4], a[5]));
        let (p67, q67) = (_mm_unpacklo_epi8(a[6], a[7]), _mm_unpackhi_epi8(a[6], a[7]));
        // Quads of rows 0..4 and 4..8, four columns each.
        let low = [
            _mm_unpacklo_epi16(p01, p23),
            _mm_unpackhi_epi16(p01, p23),
            _mm_unpacklo_epi16(q01, q23),
            _mm_unpackhi_epi16(q01, q23),
        ];
        let high = [
            _mm_unpacklo_epi16(p45, p67),
            _mm_unpackhi_epi16(p45, p67),
            _mm_unpacklo_epi16(q45, q67),
            _mm_unpackhi_epi16(q45, q67),
        ];
        let out = &mut columns[16 * b * ROWS..16 * (b + 1) * ROWS];
        for (k, (lo, hi)) in low.into_iter().zip(high).enumerate() {
            // Two columns of eight rows each.
            let pair = [_mm_unpacklo_epi32(lo, hi), _mm_unpackhi_epi32(lo, hi)];
            for (j, v) in pair.into_iter().enumerate() {
                let dst = &mut out[(2 * k + j) * 16..(2 * k + j + 1) * 16];
                // SAFETY: 16 writable bytes; an unaligned store.
                unsafe { _mm_storeu_si128(dst.as_mut_ptr().cast(), v) };
            }
        }
    }
    for i in blocks * 16..len {
        for (r, row) in rows.iter().enumerate() {
            columns[i * ROWS + r] = row[i];
        }
    }
}
