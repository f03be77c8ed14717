//! The Pillow resize's horizontal pass with AVX2: the same integer sums as
//! Resample.c. Each 22-bit weight `k` is split into `hi * 2048 + lo` (`lo` in
//! 0..2048), both fitting i16, so 16-bit multiply-adds (`vpmaddwd`) weigh 16
//! pixels at once: `sum(p * k) = 2048 * sum(p * hi) + sum(p * lo)`, exactly.
//! Integer sums do not depend on their order (wrapping i32 lanes included, as
//! the true sum fits i32), so the bytes are the plain pass's (a test checks
//! it). RGB rows are split into three planes first; eight output samples are
//! summed across their lanes together, which costs about one instruction each
//! instead of a dozen.

use std::arch::x86_64::*;

use super::{Coefficients, HALF, PRECISION_BITS};

/// The weights of every output pixel, split, each padded with zeros to
/// `stride` taps (a multiple of 16, the same for all).
struct SplitWeights {
    stride: usize,
    hi: Vec<i16>,
    lo: Vec<i16>,
}

fn split(c: &Coefficients) -> SplitWeights {
    let most = c.bounds.iter().map(|&(_, taps)| taps).max().unwrap_or(0);
    let stride = most.div_ceil(16).max(1) * 16;
    let mut hi = vec![0; stride * c.bounds.len()];
    let mut lo = vec![0; stride * c.bounds.len()];
    for (xx, &(_, taps)) in c.bounds.iter().enumerate() {
        let k = &c.weights[xx * c.ksize..xx * c.ksize + taps];
        for (j, &w) in k.iter().enumerate() {
            hi[xx * stride + j] = (w >> 11) as i16;
            lo[xx * stride + j] = (w & 2047) as i16;
        }
    }
    SplitWeights { stride, hi, lo }
}

#[target_feature(enable = "avx2")]
pub(super) fn horizontal_avx2(
    src: &[u8],
    width: usize,
    channels: usize,
    rows: std::ops::Range<usize>,
    c: &Coefficients,
) -> Vec<u8> {
    assert!(matches!(channels, 1 | 3), "one or three channels");
    let out_width = c.bounds.len();
    let samples = out_width * channels;
    let row_len = width * channels;
    let mut out = vec![0u8; samples * rows.len()];
    let weights = split(c);
    // Each plane is followed by zeros, so that the padded taps of the last
    // pixels read inside it (weighed by 0).
    let plane_len = width + weights.stride;
    let mut planes = vec![0u8; plane_len * channels];
    // Output sample `s` (pixel s / channels, channel s % channels): where its
    // taps start in the planes, and its pixel's weights.
    let starts: Vec<(usize, usize)> = (0..samples)
        .map(|s| {
            let (xx, ch) = (s / channels, s % channels);
            (ch * plane_len + c.bounds[xx].0, xx * weights.stride)
        })
        .collect();
    let blocks = weights.stride / 16;
    for (out_row, y) in out.chunks_exact_mut(samples).zip(rows) {
        let row = &src[y * row_len..(y + 1) * row_len];
        if channels == 1 {
            planes[..width].copy_from_slice(row);
        } else {
            split_rgb(row, &mut planes, plane_len);
        }
        let mut groups = out_row.chunks_exact_mut(8);
        let mut starts_of = starts.chunks_exact(8);
        for (group, group_starts) in (&mut groups).zip(&mut starts_of) {
            let bytes = eight_samples(&planes, group_starts, &weights, blocks);
            group.copy_from_slice(&bytes);
        }
        let rest = groups.into_remainder();
        if !rest.is_empty() {
            let bytes = eight_samples(&planes, starts_of.remainder(), &weights, blocks);
            rest.copy_from_slice(&bytes[..rest.len()]);
        }
    }
    out
}

/// Up to eight output samples (`starts`: one per sample), clipped to bytes;
/// the bytes past `starts.len()` are meaningless.
#[target_feature(enable = "avx2")]
fn eight_samples(
    planes: &[u8],
    starts: &[(usize, usize)],
    weights: &SplitWeights,
    blocks: usize,
) -> [u8; 8] {
    let mut sums = [_mm256_setzero_si256(); 8];
    for (sum, &(at, k)) in sums.iter_mut().zip(starts) {
        *sum = lanes(
            &planes[at..at + blocks * 16],
            &weights.hi[k..k + blocks * 16],
            &weights.lo[k..k + blocks * 16],
        );
    }
    let total = across_lanes(sums);
    let shifted = _mm256_srai_epi32::<{ PRECISION_BITS as i32 }>(_mm256_add_epi32(
        total,
        _mm256_set1_epi32(HALF),
    ));
    // i32 -> i16 -> u8 with saturation: clip8's clamp to 0..=255.
    let words = _mm256_packs_epi32(shifted, shifted);
    let words = _mm256_permute4x64_epi64::<0b00_00_10_00>(words);
    let bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_castsi256_si128(words));
    (_mm_cvtsi128_si64(bytes) as u64).to_le_bytes()
}

/// The taps of one sample, weighed, in eight i32 lanes whose (wrapping) sum is
/// `sum(pixels[j] * k[j])`.
#[target_feature(enable = "avx2")]
fn lanes(pixels: &[u8], hi: &[i16], lo: &[i16]) -> __m256i {
    let mut sum_hi = _mm256_setzero_si256();
    let mut sum_lo = _mm256_setzero_si256();
    for ((p, kh), kl) in pixels
        .chunks_exact(16)
        .zip(hi.chunks_exact(16))
        .zip(lo.chunks_exact(16))
    {
        // SAFETY: 16 readable bytes and 16 readable i16 each; unaligned loads.
        unsafe {
            let p = _mm256_cvtepu8_epi16(_mm_loadu_si128(p.as_ptr().cast()));
            let kh = _mm256_loadu_si256(kh.as_ptr().cast());
            let kl = _mm256_loadu_si256(kl.as_ptr().cast());
            sum_hi = _mm256_add_epi32(sum_hi, _mm256_madd_epi16(p, kh));
            sum_lo = _mm256_add_epi32(sum_lo, _mm256_madd_epi16(p, kl));
        }
    }
    _mm256_add_epi32(_mm256_slli_epi32::<11>(sum_hi), sum_lo)
}

/// Eight vectors to the vector of their lane sums.
#[target_feature(enable = "avx2")]
fn across_lanes(v: [__m256i; 8]) -> __m256i {
    let t0 = _mm256_hadd_epi32(v[0], v[1]);
    let t1 = _mm256_hadd_epi32(v[2], v[3]);
    let t2 = _mm256_hadd_epi32(v[4], v[5]);
    let t3 = _mm256_hadd_epi32(v[6], v[7]);
    // Low halves hold lanes 0..4 of v0..v3 (u0) and v4..v7 (u1), high halves lanes 4..8.
    let u0 = _mm256_hadd_epi32(t0, t1);
    let u1 = _mm256_hadd_epi32(t2, t3);
    _mm256_add_epi32(
        _mm256_permute2x128_si256::<0x20>(u0, u1),
        _mm256_permute2x128_si256::<0x31>(u0, u1),
    )
}

/// An RGB row into three planes `plane_len` apart, 16 pixels per shuffle.
#[target_feature(enable = "avx2")]
fn split_rgb(row: &[u8], planes: &mut [u8], plane_len: usize) {
    let masks = crate::image::rgb::loaded_masks();
    let (r, rest) = planes.split_at_mut(plane_len);
    let (g, b) = rest.split_at_mut(plane_len);
    let mut pixels = row.chunks_exact(48);
    for (i, chunk) in (&mut pixels).enumerate() {
        let channels = crate::image::rgb::split16(chunk, &masks);
        for (plane, v) in [&mut *r, &mut *g, &mut *b].into_iter().zip(channels) {
            let dst = &mut plane[16 * i..16 * i + 16];
            // SAFETY: 16 writable bytes; an unaligned store.
            unsafe { _mm_storeu_si128(dst.as_mut_ptr().cast(), v) };
        }
    }
    let done = row.len() / 48 * 16;
    for (x, pixel) in pixels.remainder().chunks_exact(3).enumerate() {
        (r[done + x], g[done + x], b[done + x]) = (pixel[0], pixel[1], pixel[2]);
    }
}
