//! The Pillow resize's horizontal pass with AVX2: the same integer sums as
//! Resample.c, 16 taps per two instructions. Each 22-bit weight `k` is split
//! into `hi * 2048 + lo` (`lo` in 0..2048), both fitting i16, so 16-bit
//! multiply-adds (`vpmaddwd`) weigh 16 pixels at once:
//! `sum(p * k) = 2048 * sum(p * hi) + sum(p * lo)`, exactly. Integer sums do
//! not depend on their order, so the bytes are the plain pass's (a test checks
//! it). RGB rows are split into three planes first.

use std::arch::x86_64::*;

use super::{clip8, Coefficients, HALF};

/// Bytes of zeros after each plane, so that 16-byte loads near the end of a
/// row stay inside it (their extra pixels are weighed by 0).
const SLACK: usize = 32;

/// One output pixel's weights, split and padded to a multiple of 16 taps.
struct Split {
    hi: Vec<i16>,
    lo: Vec<i16>,
}

fn split(c: &Coefficients) -> Vec<Split> {
    c.bounds
        .iter()
        .enumerate()
        .map(|(xx, &(_, taps))| {
            let k = &c.weights[xx * c.ksize..xx * c.ksize + taps];
            let padded = taps.div_ceil(16) * 16;
            let mut s = Split {
                hi: vec![0; padded],
                lo: vec![0; padded],
            };
            for (j, &w) in k.iter().enumerate() {
                s.hi[j] = (w >> 11) as i16;
                s.lo[j] = (w & 2047) as i16;
            }
            s
        })
        .collect()
}

#[target_feature(enable = "avx2")]
pub(super) fn horizontal_avx2(
    src: &[u8],
    width: usize,
    channels: usize,
    rows: std::ops::Range<usize>,
    c: &Coefficients,
) -> Vec<u8> {
    let out_width = c.bounds.len();
    let row_len = width * channels;
    let mut out = vec![0u8; out_width * rows.len() * channels];
    let weights = split(c);
    let plane_len = width + SLACK;
    let mut planes = vec![0u8; plane_len * channels];
    for (out_row, y) in out.chunks_exact_mut(out_width * channels).zip(rows) {
        let row = &src[y * row_len..(y + 1) * row_len];
        if channels == 1 {
            planes[..width].copy_from_slice(row);
        } else {
            let (r, rest) = planes.split_at_mut(plane_len);
            let (g, b) = rest.split_at_mut(plane_len);
            for (((pixel, r), g), b) in row
                .chunks_exact(channels)
                .zip(r.iter_mut())
                .zip(g.iter_mut())
                .zip(b.iter_mut())
            {
                (*r, *g, *b) = (pixel[0], pixel[1], pixel[2]);
            }
        }
        for (xx, (&(xmin, _), out)) in c
            .bounds
            .iter()
            .zip(out_row.chunks_exact_mut(channels))
            .enumerate()
        {
            let w = &weights[xx];
            for (ch, o) in out.iter_mut().enumerate() {
                let plane = &planes[ch * plane_len + xmin..(ch + 1) * plane_len];
                *o = clip8(weighed(plane, w));
            }
        }
    }
    out
}

/// `HALF + sum(pixels[j] * k[j])` over the taps; `pixels` reaches at least
/// `w.hi.len()` bytes (the slack).
#[target_feature(enable = "avx2")]
fn weighed(pixels: &[u8], w: &Split) -> i32 {
    let mut hi = _mm256_setzero_si256();
    let mut lo = _mm256_setzero_si256();
    for (j, (kh, kl)) in w.hi.chunks_exact(16).zip(w.lo.chunks_exact(16)).enumerate() {
        let bytes = &pixels[j * 16..j * 16 + 16];
        // SAFETY: 16 readable bytes and 16 readable i16 each; unaligned loads.
        unsafe {
            let p = _mm256_cvtepu8_epi16(_mm_loadu_si128(bytes.as_ptr().cast()));
            let kh = _mm256_loadu_si256(kh.as_ptr().cast());
            let kl = _mm256_loadu_si256(kl.as_ptr().cast());
            hi = _mm256_add_epi32(hi, _mm256_madd_epi16(p, kh));
            lo = _mm256_add_epi32(lo, _mm256_madd_epi16(p, kl));
        }
    }
    // The true sum fits i32; wrapping arithmetic gets it whatever the parts.
    HALF.wrapping_add(horizontal_add(hi).wrapping_shl(11))
        .wrapping_add(horizontal_add(lo))
}

#[target_feature(enable = "avx2")]
fn horizontal_add(v: __m256i) -> i32 {
    let halves = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let pairs = _mm_add_epi32(halves, _mm_shuffle_epi32::<0b01_00_11_10>(halves));
    let one = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b10_11_00_01>(pairs));
    _mm_cvtsi128_si32(one)
}
