//! Interleaved RGB split into its three channels, 16 pixels per three
//! shuffles per channel (SSSE3 `pshufb`): the resize and the pixel sums both
//! need each channel on its own.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// For channel `c` and each 16-byte third `t` of 48 interleaved bytes, the
/// `pshufb` control at `[c * 3 + t]`: which byte of that third goes to which
/// of the channel's 16 pixels (-1: none).
pub(crate) fn split_masks() -> [[i8; 16]; 9] {
    std::array::from_fn(|i| {
        let (channel, third) = (i / 3, i % 3);
        std::array::from_fn(|pixel| {
            let at = pixel * 3 + channel;
            if at / 16 == third {
                (at % 16) as i8
            } else {
                -1
            }
        })
    })
}

/// The 16 pixels of 48 interleaved bytes as three vectors, R, G and B;
/// `masks` from [`split_masks`], loaded.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
pub(crate) fn split16(chunk: &[u8], masks: &[__m128i; 9]) -> [__m128i; 3] {
    assert!(chunk.len() >= 48);
    // SAFETY: 48 readable bytes; unaligned loads.
    let parts = unsafe {
        [
            _mm_loadu_si128(chunk.as_ptr().cast()),
            _mm_loadu_si128(chunk.as_ptr().add(16).cast()),
            _mm_loadu_si128(chunk.as_ptr().add(32).cast()),
        ]
    };
    std::array::from_fn(|c| {
        let m = &masks[c * 3..c * 3 + 3];
        _mm_or_si128(
            _mm_or_si128(
                _mm_shuffle_epi8(parts[0], m[0]),
                _mm_shuffle_epi8(parts[1], m[1]),
            ),
            _mm_shuffle_epi8(parts[2], m[2]),
        )
    })
}

/// [`split_masks`] in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
pub(crate) fn loaded_masks() -> [__m128i; 9] {
    // SAFETY: plain loads of 16-byte arrays.
    split_masks().map(|m| unsafe { _mm_loadu_si128(m.as_ptr().cast()) })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn split16_gives_each_channel_in_order() {
        if !std::arch::is_x86_feature_detected!("ssse3") {
            return;
        }
        let chunk: Vec<u8> = (0..48).collect();
        // SAFETY: the CPU has SSSE3 (checked above).
        let planes = unsafe { super::split16(&chunk, &super::loaded_masks()) };
        for (c, plane) in planes.into_iter().enumerate() {
            let mut got = [0u8; 16];
            // SAFETY: a 16-byte store into a 16-byte array.
            unsafe { std::arch::x86_64::_mm_storeu_si128(got.as_mut_ptr().cast(), plane) };
            let want: Vec<u8> = (0..16).map(|p| (p * 3 + c) as u8).collect();
            assert_eq!(got.to_vec(), want, "channel {c}");
        }
    }
}
