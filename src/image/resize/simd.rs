//! The resize's x86_64 SIMD: the horizontal pass 8 (SSSE3) or 16 (AVX2)
//! destination columns at a time, and the vertical pass 8 (SSE2) or 32 (AVX2).
//!
//! The horizontal pass, 8 destination columns at a time: when the 8 taps read
//! within 16 source bytes (any downscale by less than 2), one byte shuffle
//! gathers their pairs and one multiply-add per 4 columns weighs them.

use super::{inner_scalar, Tap};
use std::arch::x86_64::*;

pub struct Group {
    /// First source byte of the 16 loaded, or `None` to use the scalar path.
    base: Option<usize>,
    /// Per column, bytes `[s[sx], 0, s[sx + 1], 0]` as two i16 lanes.
    shuffle: [[u8; 16]; 2],
    /// Per column, `[w0, w1]`.
    weights: [[i16; 8]; 2],
}

/// The groups of `inner` (the taps before the right border), or `None` on a
/// CPU without SSSE3.
pub fn groups(inner: &[Tap], sw: usize) -> Option<Vec<Group>> {
    if !std::arch::is_x86_feature_detected!("ssse3") {
        return None;
    }
    let groups = inner
        .chunks(8)
        .map(|taps| {
            // Near the right edge the 16 bytes end at the row's end instead.
            let base = (taps[0].index as usize).min(sw.saturating_sub(16));
            // A group of fewer than 8 (the last before the border) weighs its
            // missing columns as 0.
            let fits = sw >= 16
                && taps
                    .iter()
                    .all(|t| t.index as usize >= base && (t.index as usize) + 1 - base < 16);
            let mut group = Group {
                base: fits.then_some(base),
                shuffle: [[0x80; 16]; 2],
                weights: [[0; 8]; 2],
            };
            if fits {
                for (k, t) in taps.iter().enumerate() {
                    let (half, lane) = (k / 4, k % 4);
                    let offset = (t.index as usize - base) as u8;
                    group.shuffle[half][lane * 4] = offset;
                    group.shuffle[half][lane * 4 + 2] = offset + 1;
                    group.weights[half][lane * 2] = t.w0 as i16;
                    group.weights[half][lane * 2 + 1] = t.w1 as i16;
                }
            }
            group
        })
        .collect();
    Some(groups)
}

pub fn inner(
    groups: &[Group],
    taps: &[Tap],
    src_row: &[u8],
    range: std::ops::Range<usize>,
    out: &mut [i16],
) {
    let mut dx = range.start;
    while dx < range.end {
        let group = &groups[dx / 8];
        let group_end = (dx / 8 * 8 + 8).min(range.end);
        match group.base {
            Some(base) if dx.is_multiple_of(8) && group_end == dx + 8 => {
                let source = &src_row[base..base + 16];
                let target = &mut out[dx..dx + 8];
                // SAFETY: `groups` is only built when SSSE3 is present.
                unsafe { weigh_group(group, source, target) };
            }
            _ => inner_scalar(taps, src_row, dx..group_end, out),
        }
        dx = group_end;
    }
}

/// Two neighbouring groups that both fit, for one AVX2 step: each 128-bit lane
/// holds one group, as `vpshufb` works lane by lane.
pub struct Pair {
    bases: [usize; 2],
    shuffle: [[u8; 32]; 2],
    weights: [[i16; 16]; 2],
}

/// One pair per 16 destination columns (`None` where a group does not fit, or
/// the 16 columns pass `dw`), or `None` on a CPU without AVX2.
pub fn pairs(groups: &[Group], dw: usize) -> Option<Vec<Option<Pair>>> {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return None;
    }
    let pairs = groups
        .chunks(2)
        .enumerate()
        .map(|(block, two)| match two {
            [a @ Group {
                base: Some(base_a), ..
            }, b @ Group {
                base: Some(base_b), ..
            }] if block * 16 + 16 <= dw => {
                let mut pair = Pair {
                    bases: [*base_a, *base_b],
                    shuffle: [[0; 32]; 2],
                    weights: [[0; 16]; 2],
                };
                for half in 0..2 {
                    pair.shuffle[half][..16].copy_from_slice(&a.shuffle[half]);
                    pair.shuffle[half][16..].copy_from_slice(&b.shuffle[half]);
                    pair.weights[half][..8].copy_from_slice(&a.weights[half]);
                    pair.weights[half][8..].copy_from_slice(&b.weights[half]);
                }
                Some(pair)
            }
            _ => None,
        })
        .collect();
    Some(pairs)
}

/// `inner` 16 columns at a time: the 16-column blocks that touch `range` are
/// computed whole where their pair exists (the extra columns get their true
/// values), the rest as `inner` does.
///
/// # Safety
/// The CPU must have AVX2 (`pairs` is only built when it does).
#[target_feature(enable = "avx2")]
pub unsafe fn inner_avx2(
    pairs: &[Option<Pair>],
    groups: &[Group],
    taps: &[Tap],
    src_row: &[u8],
    range: std::ops::Range<usize>,
    out: &mut [i16],
) {
    let mut block = range.start / 16;
    while block * 16 < range.end {
        let (start, end) = (block * 16, block * 16 + 16);
        match pairs.get(block) {
            Some(Some(pair)) => {
                // SAFETY: AVX2 is present (this function's contract).
                unsafe { weigh_pair(pair, src_row, &mut out[start..end]) }
            }
            _ => inner(
                groups,
                taps,
                src_row,
                start.max(range.start)..end.min(range.end),
                out,
            ),
        }
        block += 1;
    }
}

/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
unsafe fn weigh_pair(pair: &Pair, source: &[u8], out: &mut [i16]) {
    let [low, high] = pair.bases;
    assert!(low + 16 <= source.len() && high + 16 <= source.len() && out.len() >= 16);
    // SAFETY: two 16-byte loads inside `source` and loads of the pair's own
    // arrays; the store writes 16 i16 of `out`; all checked above.
    unsafe {
        let bytes = _mm256_loadu2_m128i(
            source.as_ptr().add(high).cast(),
            source.as_ptr().add(low).cast(),
        );
        let mut halves = [_mm256_setzero_si256(); 2];
        for (half, slot) in halves.iter_mut().enumerate() {
            let shuffle = _mm256_loadu_si256(pair.shuffle[half].as_ptr().cast());
            let weights = _mm256_loadu_si256(pair.weights[half].as_ptr().cast());
            let pairs = _mm256_shuffle_epi8(bytes, shuffle);
            *slot = _mm256_srai_epi32(_mm256_madd_epi16(pairs, weights), 4);
        }
        // Lane by lane: columns 0-3 then 4-7 of each group, in order.
        _mm256_storeu_si256(
            out.as_mut_ptr().cast(),
            _mm256_packs_epi32(halves[0], halves[1]),
        );
    }
}

/// # Safety
/// The CPU must have SSSE3. (An `unsafe fn` so that the crate's declared
/// minimum Rust accepts the target feature.)
#[target_feature(enable = "ssse3")]
unsafe fn weigh_group(group: &Group, source: &[u8], out: &mut [i16]) {
    assert!(source.len() >= 16 && out.len() >= 8);
    // SAFETY: the loads read 16 bytes of `source` and of the group's arrays,
    // the store writes 8 i16 of `out`, all checked above.
    unsafe {
        let bytes = _mm_loadu_si128(source.as_ptr().cast());
        let mut halves = [_mm_setzero_si128(); 2];
        for (half, slot) in halves.iter_mut().enumerate() {
            let pairs =
                _mm_shuffle_epi8(bytes, _mm_loadu_si128(group.shuffle[half].as_ptr().cast()));
            let weights = _mm_loadu_si128(group.weights[half].as_ptr().cast());
            *slot = _mm_srai_epi32(_mm_madd_epi16(pairs, weights), 4);
        }
        _mm_storeu_si128(
            out.as_mut_ptr().cast(),
            _mm_packs_epi32(halves[0], halves[1]),
        );
    }
}

/// `blend_rows` 8 columns a step; returns how many columns it did (the rest are
/// left to the scalar loop). SSE2 is part of x86_64: no runtime check needed.
/// LLVM does not find the multiply-high on its own here, and this loop is a third
/// of the resize.
pub(super) fn blend_rows_sse2(h0: &[i16], h1: &[i16], b0: i16, b1: i16, out: &mut [u8]) -> usize {
    let n = out.len().min(h0.len()).min(h1.len());
    let lanes = n / 8 * 8;
    // SAFETY: SSE2 is always present on x86_64; every load reads 8 i16 at
    // `i < lanes <= len` of `h0`/`h1`, every store writes 8 bytes inside `out`.
    unsafe {
        let (w0, w1, two) = (_mm_set1_epi16(b0), _mm_set1_epi16(b1), _mm_set1_epi16(2));
        for i in (0..lanes).step_by(8) {
            let a = _mm_loadu_si128(h0.as_ptr().add(i).cast());
            let b = _mm_loadu_si128(h1.as_ptr().add(i).cast());
            let sum = _mm_add_epi16(_mm_mulhi_epi16(w0, a), _mm_mulhi_epi16(w1, b));
            let v = _mm_srai_epi16(_mm_add_epi16(sum, two), 2);
            let bytes = _mm_packus_epi16(v, v);
            _mm_storel_epi64(out.as_mut_ptr().add(i).cast(), bytes);
        }
    }
    lanes
}

/// `blend_rows` 32 columns a step.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn blend_rows_avx2(h0: &[i16], h1: &[i16], b0: i16, b1: i16, out: &mut [u8]) {
    let n = out.len().min(h0.len()).min(h1.len());
    let lanes = n / 32 * 32;
    // SAFETY: every load reads 16 i16 at `i + 16 <= lanes <= len` of `h0`/`h1`, every
    // store writes 32 bytes at `i + 32 <= lanes` of `out`; AVX2 is the caller's promise.
    unsafe {
        let (w0, w1) = (_mm256_set1_epi16(b0), _mm256_set1_epi16(b1));
        let two = _mm256_set1_epi16(2);
        for i in (0..lanes).step_by(32) {
            let mut halves = [_mm256_setzero_si256(); 2];
            for (k, half) in halves.iter_mut().enumerate() {
                let a = _mm256_loadu_si256(h0.as_ptr().add(i + 16 * k).cast());
                let b = _mm256_loadu_si256(h1.as_ptr().add(i + 16 * k).cast());
                let sum = _mm256_add_epi16(_mm256_mulhi_epi16(w0, a), _mm256_mulhi_epi16(w1, b));
                *half = _mm256_srai_epi16(_mm256_add_epi16(sum, two), 2);
            }
            // packus works per 128-bit lane: put the four 8-byte quarters back in order.
            let packed = _mm256_packus_epi16(halves[0], halves[1]);
            let ordered = _mm256_permute4x64_epi64(packed, 0b11_01_10_00);
            _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), ordered);
        }
    }
    super::blend_rows(&h0[lanes..n], &h1[lanes..n], b0, b1, &mut out[lanes..n]);
}
