//! Classifying 16 bytes at a time for the JSON string escaper: which bytes
//! JSON must escape and which are not ASCII, as two bit masks.
//!
//! Escaping znode data is most of the work of `dump --json` (values are
//! often JSON themselves, full of quotes). LLVM does not turn a portable
//! loop into `pcmpeqb` + `pmovmskb` here, so x86-64 uses the SSE2
//! intrinsics directly; other targets take the portable loop.
//!
//! # Safety
//!
//! The one `unsafe` is calling a `#[target_feature(enable = "sse2")]`
//! function, compiled only when SSE2 is enabled for the whole build
//! (`cfg(target_feature = "sse2")`, part of the x86-64 baseline): every
//! CPU the binary runs on has it. The function itself reads only its
//! argument, by value.
#![allow(unsafe_code)]

/// Bit `i` of `.0` is set when `block[i]` must be escaped in a JSON string
/// (`"`, `\`, below 0x20); bit `i` of `.1` when `block[i]` is not ASCII.
#[inline(always)]
pub fn json_classes(block: &[u8; 16]) -> (u32, u32) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: SSE2 is enabled at compile time (the cfg above); see the
        // module docs.
        unsafe { sse2::json_classes(block) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable_json_classes(block)
    }
}

/// The same masks, one byte at a time.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn portable_json_classes(block: &[u8; 16]) -> (u32, u32) {
    let (mut special, mut high) = (0u32, 0u32);
    for (i, &c) in block.iter().enumerate() {
        special |= u32::from(c < 0x20 || c == b'"' || c == b'\\') << i;
        high |= u32::from(c >= 0x80) << i;
    }
    (special, high)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };

    #[target_feature(enable = "sse2")]
    #[inline]
    pub(super) fn json_classes(block: &[u8; 16]) -> (u32, u32) {
        let (lo, hi) = block.split_at(8);
        // Two 8-byte halves: LLVM loads them as one unaligned vector.
        let v = _mm_set_epi64x(
            i64::from_le_bytes(hi.try_into().unwrap_or_default()),
            i64::from_le_bytes(lo.try_into().unwrap_or_default()),
        );
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned c < 0x20 is min(c, 0x1f) == c.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (
            _mm_movemask_epi8(special) as u32,
            _mm_movemask_epi8(v) as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_and_portable_classes_agree_on_every_byte_in_every_lane() {
        for c in 0..=255u8 {
            for lane in 0..16 {
                let mut block = [b'a'; 16];
                block[lane] = c;
                block[(lane + 7) % 16] = c.wrapping_mul(37);
                assert_eq!(
                    json_classes(&block),
                    portable_json_classes(&block),
                    "{c:#x} at {lane}"
                );
            }
        }
        assert_eq!(
            json_classes(b"ab\"\\\n\x1f \x7f\x80\xff012345"),
            (0b11_1100, 0b11_0000_0000)
        );
    }
}
