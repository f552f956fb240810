//! Adler-32, the checksum ZooKeeper writes for txn-log entries and snapshot
//! seals (`java.util.zip.Adler32`, stored zero-extended in a long).
//!
//! The tree digest (§5 of FORMAT.md) is CRC-32 and lives with the tree.

/// Adler-32 of `bytes`.
pub fn adler32(bytes: &[u8]) -> u32 {
    let mut h = simd_adler32::Adler32::new();
    h.write(bytes);
    h.finish()
}

/// A running Adler-32 over a stream, for the cumulative snapshot seals.
#[derive(Clone, Default)]
pub struct RunningAdler32(simd_adler32::Adler32);

impl std::fmt::Debug for RunningAdler32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunningAdler32({:#x})", self.value())
    }
}

impl RunningAdler32 {
    /// A fresh checksum (value 1).
    pub fn new() -> Self {
        RunningAdler32(simd_adler32::Adler32::new())
    }
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    /// The checksum of everything fed so far.
    pub fn value(&self) -> u32 {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        let mut r = RunningAdler32::new();
        r.update(b"Wiki");
        r.update(b"pedia");
        assert_eq!(r.value(), 0x11e6_0398);
    }

    #[test]
    fn first_entry_of_a_real_zookeeper_log() {
        // FORMAT.md §2.2: the first entry of log.1 written by ZooKeeper 3.8.0.
        let txn: [u8; 48] = [
            0x01, 0x00, 0x00, 0x05, 0xbd, 0xca, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0xa2, 0x07, 0x8e, 0x7c, 0x84,
            0xff, 0xff, 0xff, 0xf6, 0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x51, 0xc6, 0xd6, 0x60,
        ];
        assert_eq!(adler32(&txn), 0xc85d_0a40);
    }
}
