//! Hashing for the tree's own maps and its path index. Keys are paths and
//! ids read from local files, so speed is what counts and flooding
//! resistance buys nothing.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, non-cryptographic hasher (the FxHash multiply-rotate,
/// with a final mix so hashbrown's high control bits are well spread).
/// Paths come from local files, so flooding resistance buys nothing here.
#[derive(Clone, Copy, Default)]
pub struct FastHasher {
    hash: u64,
}

const FX_K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let (words, rest) = bytes.as_chunks::<8>();
        for w in words {
            self.add(u64::from_le_bytes(*w));
        }
        if rest.is_empty() {
            return;
        }
        // The last 1..7 bytes, read in place (copying them into a buffer
        // and reading that back stalls on store forwarding): as the end of
        // the last 8 bytes, or for short inputs as overlapping 4-byte or
        // single-byte reads. Any fixed function of the bytes will do.
        let n = rest.len();
        let tail = match bytes.len() {
            len if len >= 8 => bytes
                .get(len - 8..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, |b| u64::from_le_bytes(b) >> (8 * (8 - n))),
            4.. => {
                let word = |b: Option<&[u8]>| {
                    b.and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
                };
                word(rest.get(..4)) | word(rest.get(n - 4..)) << 32
            }
            _ => {
                let byte = |i: usize| u64::from(rest.get(i).copied().unwrap_or(0));
                byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16
            }
        };
        self.add(tail ^ ((n as u64) << 59));
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits into the low ones (bucket index).
        let h = self.hash;
        h ^ (h >> 29) ^ (h >> 47)
    }
}

/// `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// `HashSet` with [`FastHasher`].
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// A path's 128-bit hash, for the sets and maps of a snapshot read as a
/// stream: they keep these instead of the paths, so their memory does not
/// grow with the paths' bytes and nothing of the stream must stay behind.
/// Two different paths share a hash with a chance of about n² / 2¹²⁹
/// (1e-26 for a million nodes).
pub fn path_hash128(path: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(path)
}
