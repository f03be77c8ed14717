//! Byte-to-byte table lookups, `out[i] = table[from[i]]`: the dictionary's index ->
//! pixel map and the normalization's raw -> value map both run one per pixel.
//!
//! Where the CPU has AVX-512 VBMI, 64 bytes take two 128-entry permutes and a blend
//! (the index's top bit picks the half of the table); elsewhere, one load per byte.
//! On the 2-core Xeon of docs/benchmarks.md the scalar loop was about a tenth of
//! the whole conversion's CPU time.

/// `out[i] = table[from[i]]` for every `i`.
pub fn map(table: &[u8; 256], from: &[u8], out: &mut [u8]) {
    map_tracking::<false>(table, from, out);
}

/// [`map`], also returning the largest index, found in the same pass.
pub fn map_max(table: &[u8; 256], from: &[u8], out: &mut [u8]) -> u8 {
    map_tracking::<true>(table, from, out)
}

/// `values[i] = table[values[i]]` for every `i`.
pub fn map_in_place(table: &[u8; 256], values: &mut [u8]) {
    map_in_place_tracking::<false>(table, values);
}

/// [`map_in_place`], also returning the largest index (the values it replaced).
pub fn map_in_place_max(table: &[u8; 256], values: &mut [u8]) -> u8 {
    map_in_place_tracking::<true>(table, values)
}

/// [`map`]; with `MAX`, also the largest index (else 0).
fn map_tracking<const MAX: bool>(table: &[u8; 256], from: &[u8], out: &mut [u8]) -> u8 {
    assert_eq!(
        from.len(),
        out.len(),
        "lookup of slices of different lengths"
    );
    #[cfg(target_arch = "x86_64")]
    if vbmi::available() {
        // SAFETY: the CPU has the features (checked just above); both pointers cover
        // `out.len()` bytes (asserted above).
        return unsafe { vbmi::map::<MAX>(table, from.as_ptr(), out.as_mut_ptr(), out.len()) };
    }
    let max = if MAX { largest(from) } else { 0 };
    map_scalar(table, from, out);
    max
}

/// [`map_in_place`]; with `MAX`, also the largest index (else 0).
fn map_in_place_tracking<const MAX: bool>(table: &[u8; 256], values: &mut [u8]) -> u8 {
    #[cfg(target_arch = "x86_64")]
    if vbmi::available() {
        let at = values.as_mut_ptr();
        // SAFETY: as in `map_tracking`; each 64-byte step loads its bytes before it
        // stores them, so reading and writing the same bytes is fine.
        return unsafe { vbmi::map::<MAX>(table, at, at, values.len()) };
    }
    let max = if MAX { largest(values) } else { 0 };
    for v in values.iter_mut() {
        *v = table[*v as usize];
    }
    max
}

fn largest(values: &[u8]) -> u8 {
    values.iter().fold(0, |m, &v| m.max(v))
}

fn map_scalar(table: &[u8; 256], from: &[u8], out: &mut [u8]) {
    for (o, &i) in out.iter_mut().zip(from) {
        *o = table[i as usize];
    }
}

#[cfg(target_arch = "x86_64")]
mod vbmi {
    use std::arch::x86_64::*;

    pub fn available() -> bool {
        // Cached by std after the first call: one relaxed load.
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
    }

    /// `to[i] = table[from[i]]`; with `MAX`, also returns the largest index (else 0).
    /// The normalization's lookups, one per image row, do without the maximum and
    /// its final reduction.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, BW and VBMI; `from` must be readable and `to`
    /// writable for `len` bytes (they may be the same bytes).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub unsafe fn map<const MAX: bool>(
        table: &[u8; 256],
        from: *const u8,
        to: *mut u8,
        len: usize,
    ) -> u8 {
        let t = table.as_ptr();
        // SAFETY: `table` is 256 bytes: four unaligned 64-byte loads inside it.
        let (low_a, low_b, high_a, high_b) = unsafe {
            (
                _mm512_loadu_si512(t.cast()),
                _mm512_loadu_si512(t.add(64).cast()),
                _mm512_loadu_si512(t.add(128).cast()),
                _mm512_loadu_si512(t.add(192).cast()),
            )
        };
        let mut max = _mm512_setzero_si512();
        let mut done = 0;
        while done < len {
            let left = len - done;
            // The last step masks off the bytes past the end: no tail loop.
            let mask: __mmask64 = if left >= 64 { !0 } else { (1u64 << left) - 1 };
            // SAFETY: the mask limits the load and the store to `done..len`; masked
            // lanes load as 0, which leaves the maximum alone.
            unsafe {
                let index = _mm512_maskz_loadu_epi8(mask, from.add(done).cast());
                if MAX {
                    max = _mm512_max_epu8(max, index);
                }
                let low = _mm512_permutex2var_epi8(low_a, index, low_b);
                let high = _mm512_permutex2var_epi8(high_a, index, high_b);
                let value = _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high);
                _mm512_mask_storeu_epi8(to.add(done).cast(), mask, value);
            }
            done += 64;
        }
        if !MAX {
            return 0;
        }
        let mut lanes = [0u8; 64];
        // SAFETY: `lanes` is 64 writable bytes.
        unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), max) };
        lanes.into_iter().fold(0, u8::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrambled_table(seed: u64) -> [u8; 256] {
        let mut rng = fastrand::Rng::with_seed(seed);
        std::array::from_fn(|_| rng.u8(..))
    }

    #[test]
    fn map_matches_the_definition_at_every_length_and_offset() {
        // Lengths around the 64-byte step, from unaligned starts, every index value.
        let table = scrambled_table(1);
        let from: Vec<u8> = (0..700u32).map(|i| (i * 37 % 256) as u8).collect();
        for start in [0, 1, 13, 63] {
            for len in [0, 1, 5, 63, 64, 65, 127, 128, 129, 255, 256, 600] {
                let from = &from[start..start + len];
                let mut out = vec![0xAAu8; len + 1];
                map(&table, from, &mut out[..len]);
                for (i, &index) in from.iter().enumerate() {
                    assert_eq!(
                        out[i], table[index as usize],
                        "start {start} len {len} at {i}"
                    );
                }
                assert_eq!(
                    out[len], 0xAA,
                    "wrote past the end (start {start} len {len})"
                );
            }
        }
    }

    #[test]
    fn map_in_place_matches_map() {
        let table = scrambled_table(2);
        let from: Vec<u8> = (0..=255u8)
            .chain((0..333u32).map(|i| (i * 91 % 256) as u8))
            .collect();
        for len in [0, 3, 64, 70, from.len()] {
            let mut expected = vec![0u8; len];
            map_scalar(&table, &from[..len], &mut expected);
            let mut values = from[..len].to_vec();
            map_in_place(&table, &mut values);
            assert_eq!(values, expected, "len {len}");
        }
    }

    #[test]
    fn the_max_variants_map_alike_and_return_the_largest_index() {
        let table = scrambled_table(3);
        let from: Vec<u8> = (0..300u32).map(|i| (i * 53 % 200) as u8).collect();
        for len in [0usize, 1, 63, 64, 65, 130, 300] {
            // The largest index sits at each end of the slice in turn.
            for peak_at in [0, len.saturating_sub(1)] {
                let mut from = from[..len].to_vec();
                if len > 0 {
                    from[peak_at] = 250;
                }
                let largest = from.iter().copied().max().unwrap_or(0);
                let mut expected = vec![0u8; len];
                map_scalar(&table, &from, &mut expected);
                let mut out = vec![0u8; len];
                assert_eq!(map_max(&table, &from, &mut out), largest, "len {len}");
                assert_eq!(out, expected, "len {len}");
                let mut values = from.clone();
                assert_eq!(map_in_place_max(&table, &mut values), largest, "len {len}");
                assert_eq!(values, expected, "len {len}");
            }
        }
    }
}
