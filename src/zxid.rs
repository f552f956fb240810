//! ZooKeeper identifiers as newtypes, so a zxid is never mixed up with a
//! session id, and every one prints the way ZooKeeper names files: `0x` plus
//! lowercase hex without padding (`Long.toHexString`).

use std::fmt;

/// A transaction id: epoch in the high 32 bits, counter in the low 32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zxid(pub i64);

impl Zxid {
    /// Builds a zxid from an epoch and a counter.
    pub fn new(epoch: u32, counter: u32) -> Self {
        Zxid(((epoch as u64) << 32 | counter as u64) as i64)
    }
    /// The leader epoch (high 32 bits).
    pub fn epoch(self) -> u32 {
        ((self.0 as u64) >> 32) as u32
    }
    /// The counter within the epoch (low 32 bits).
    pub fn counter(self) -> u32 {
        self.0 as u64 as u32
    }
    /// Lowercase hex without `0x`, as in file names.
    pub fn to_name_hex(self) -> String {
        format!("{:x}", self.0 as u64)
    }
    /// Parses `0x1f`, `1f` (hex) or a decimal with a `#` prefix? No: accepts
    /// `0x`-prefixed hex or plain hex, as users copy zxids from file names.
    pub fn parse(s: &str) -> Option<Zxid> {
        let s = s.trim();
        let hex = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        if hex.is_empty() || hex.len() > 16 {
            return None;
        }
        u64::from_str_radix(hex, 16).ok().map(|v| Zxid(v as i64))
    }
}

impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0 as u64)
    }
}

/// Parses a zxid range: `A..B`, `A..`, `..B` (inclusive, hex zxids) or a
/// single zxid `A` (= `A..A`). `None` when an end is not a hex zxid.
pub fn parse_range(s: &str) -> Option<(Option<Zxid>, Option<Zxid>)> {
    let one = |x: &str| -> Option<Option<Zxid>> {
        if x.trim().is_empty() {
            Some(None)
        } else {
            Zxid::parse(x).map(Some)
        }
    };
    match s.split_once("..") {
        Some((a, b)) => Some((one(a)?, one(b)?)),
        None => {
            let z = one(s)??;
            Some((Some(z), Some(z)))
        }
    }
}

/// A session id (the txn header's clientId); the top byte is the server id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub i64);

impl SessionId {
    /// Parses `0x`-prefixed or plain hex.
    pub fn parse(s: &str) -> Option<SessionId> {
        Zxid::parse(s).map(|z| SessionId(z.0))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0 as u64)
    }
}

/// `0x` + lowercase hex of a 64-bit value, as `Long.toHexString` prints it.
pub fn hex64(v: i64) -> String {
    format!("0x{:x}", v as u64)
}

/// `0x` + lowercase hex of a 32-bit value, as `Integer.toHexString` prints it.
pub fn hex32(v: i32) -> String {
    format!("0x{:x}", v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_file_names() {
        assert_eq!(Zxid(0x100000001).to_string(), "0x100000001");
        assert_eq!(Zxid(0x100000001).epoch(), 1);
        assert_eq!(Zxid(0x100000001).counter(), 1);
        assert_eq!(Zxid::new(2, 5), Zxid(0x200000005));
        assert_eq!(SessionId(-1).to_string(), "0xffffffffffffffff");
        assert_eq!(hex32(-1), "0xffffffff");
    }

    #[test]
    fn parses_hex_with_or_without_prefix() {
        assert_eq!(Zxid::parse("0x1A"), Some(Zxid(0x1a)));
        assert_eq!(Zxid::parse("1a"), Some(Zxid(0x1a)));
        assert_eq!(Zxid::parse(""), None);
        assert_eq!(Zxid::parse("0x"), None);
        assert_eq!(Zxid::parse("xyz"), None);
        assert_eq!(Zxid::parse("11112222333344445"), None);
    }

    #[test]
    fn zxid_ranges() {
        assert_eq!(
            parse_range("0x1a..0x2f"),
            Some((Some(Zxid(0x1a)), Some(Zxid(0x2f))))
        );
        assert_eq!(parse_range("1a.."), Some((Some(Zxid(0x1a)), None)));
        assert_eq!(parse_range("..2f"), Some((None, Some(Zxid(0x2f)))));
        assert_eq!(parse_range("0x5"), Some((Some(Zxid(5)), Some(Zxid(5)))));
        assert_eq!(parse_range("zz.."), None);
        assert_eq!(parse_range(""), None);
    }
}
