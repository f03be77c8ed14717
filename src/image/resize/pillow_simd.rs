//! The Pillow resize's horizontal pass with AVX2: the same i32 multiply-adds
//! as Resample.c, several taps per instruction. Integer sums do not depend on
//! their order, so the bytes are the plain pass's (a test checks it).
//!
//! Gray: 8 taps at a time, 8 source bytes widened to 8 i32 lanes. RGB: 2 taps
//! at a time, each pixel's 3 bytes (and one byte past them, weighed into a lane
//! that is dropped) widened to 4 lanes. Rows are copied into a scratch with 16
//! bytes of slack, so the 8-byte loads never read past the image.

use std::arch::x86_64::*;

use super::{clip8, Coefficients, HALF};

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
    let mut row = vec![0u8; row_len + 16];
    // RGB: each weight four times, so one load gives the lanes of two taps.
    let spread: Vec<i32> = if channels == 3 {
        c.weights.iter().flat_map(|&w| [w; 4]).collect()
    } else {
        Vec::new()
    };
    for (out_row, y) in out.chunks_exact_mut(out_width * channels).zip(rows) {
        row[..row_len].copy_from_slice(&src[y * row_len..(y + 1) * row_len]);
        for (xx, (&(xmin, taps), out)) in c
            .bounds
            .iter()
            .zip(out_row.chunks_exact_mut(channels))
            .enumerate()
        {
            let k = &c.weights[xx * c.ksize..xx * c.ksize + taps];
            if channels == 1 {
                out[0] = clip8(gray_sum(&row[xmin..], k));
            } else {
                let spread = &spread[xx * c.ksize * 4..(xx * c.ksize + taps) * 4];
                let sums = rgb_sums(&row[xmin * 3..], spread, taps);
                for (o, sum) in out.iter_mut().zip(sums) {
                    *o = clip8(sum);
                }
            }
        }
    }
    out
}

/// `HALF + sum(pixels[i] * k[i])`; `pixels` has 8 bytes of slack past `k.len()`.
#[target_feature(enable = "avx2")]
fn gray_sum(pixels: &[u8], k: &[i32]) -> i32 {
    let mut acc = _mm256_setzero_si256();
    let mut chunks = k.chunks_exact(8);
    let mut at = 0;
    for weights in chunks.by_ref() {
        let bytes = &pixels[at..at + 8];
        // SAFETY: 8 readable bytes and 8 readable i32; unaligned loads.
        unsafe {
            let wide = _mm256_cvtepu8_epi32(_mm_loadl_epi64(bytes.as_ptr().cast()));
            let w = _mm256_loadu_si256(weights.as_ptr().cast());
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(wide, w));
        }
        at += 8;
    }
    let mut sum = HALF + horizontal_add(acc);
    for (&v, &w) in pixels[at..].iter().zip(chunks.remainder()) {
        sum += i32::from(v) * w;
    }
    sum
}

/// The R, G and B sums of `taps` pixels; `spread` holds each weight 4 times and
/// `pixels` 8 bytes of slack past the last pixel.
#[target_feature(enable = "avx2")]
fn rgb_sums(pixels: &[u8], spread: &[i32], taps: usize) -> [i32; 3] {
    // Bytes 0..3 (pixel j and one more) and 3..6 (pixel j + 1 and one more).
    let pair = _mm_setr_epi8(0, 1, 2, 3, 3, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1);
    let mut acc = _mm256_setzero_si256();
    let mut j = 0;
    while j + 2 <= taps {
        let bytes = &pixels[j * 3..j * 3 + 8];
        let weights = &spread[j * 4..j * 4 + 8];
        // SAFETY: 8 readable bytes and 8 readable i32; unaligned loads.
        unsafe {
            let loaded = _mm_shuffle_epi8(_mm_loadl_epi64(bytes.as_ptr().cast()), pair);
            let wide = _mm256_cvtepu8_epi32(loaded);
            let w = _mm256_loadu_si256(weights.as_ptr().cast());
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(wide, w));
        }
        j += 2;
    }
    let halves = _mm_add_epi32(
        _mm256_castsi256_si128(acc),
        _mm256_extracti128_si256::<1>(acc),
    );
    let mut lanes = [0i32; 4];
    // SAFETY: 16 writable bytes.
    unsafe { _mm_storeu_si128(lanes.as_mut_ptr().cast(), halves) };
    let mut sums = [HALF + lanes[0], HALF + lanes[1], HALF + lanes[2]];
    if j < taps {
        let w = spread[j * 4];
        for (sum, &v) in sums.iter_mut().zip(&pixels[j * 3..j * 3 + 3]) {
            *sum += i32::from(v) * w;
        }
    }
    sums
}

#[target_feature(enable = "avx2")]
fn horizontal_add(v: __m256i) -> i32 {
    let halves = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let pairs = _mm_add_epi32(halves, _mm_shuffle_epi32::<0b01_00_11_10>(halves));
    let one = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b10_11_00_01>(pairs));
    _mm_cvtsi128_si32(one)
}
