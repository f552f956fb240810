//! A small, allocation-free JSON Lines writer for the hot paths (one txn
//! line per log entry). It writes the same bytes serde_json would for the
//! same object, but checks strings eight bytes at a time before escaping and
//! formats times once per second, which makes `dump --json` several times
//! faster on large logs.

use std::fmt::Write as _;

use crate::format::jute::{Acl, PERM_BITS_IN_ORDER};
use crate::timefmt;

/// Formats ms times as RFC 3339 UTC with milliseconds, reusing the
/// `YYYY-MM-DDTHH:MM:SS` part while consecutive times share a second.
#[derive(Debug, Default)]
pub struct TimeCache {
    second: Option<i64>,
    prefix: String,
}

impl TimeCache {
    /// Appends `"2026-11-23T08:34:20.025Z"` (quoted) or `null`.
    pub fn write(&mut self, out: &mut Vec<u8>, ms: i64) {
        let second = ms.div_euclid(1000);
        if self.second != Some(second) {
            match timefmt::rfc3339_utc(second * 1000) {
                // "YYYY-MM-DDTHH:MM:SS.000Z" → keep up to the seconds.
                Some(s) if s.len() == 24 => {
                    self.prefix.clear();
                    self.prefix.push_str(&s[..19]);
                    self.second = Some(second);
                }
                _ => {
                    // Out of chrono's range or a 5-digit year: the slow path.
                    self.second = None;
                    match timefmt::rfc3339_utc(ms) {
                        Some(s) => string(out, &s),
                        None => out.extend_from_slice(b"null"),
                    }
                    return;
                }
            }
        }
        let milli = ms.rem_euclid(1000) as u32;
        out.push(b'"');
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(&[
            b'.',
            b'0' + (milli / 100) as u8,
            b'0' + (milli / 10 % 10) as u8,
            b'0' + (milli % 10) as u8,
            b'Z',
            b'"',
        ]);
    }
}

/// Index of the first byte at or after `from` that needs escaping in a JSON
/// string (`"`, `\\`, or below 0x20), checking eight bytes at a time.
#[inline]
fn find_escape(b: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| (v.wrapping_sub(LO) & !v & HI) != 0;
    let mut i = from;
    while let Some(c) = b.get(i..i + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let v = u64::from_le_bytes(a);
        // Any byte < 0x20 borrows into its clear high bit (exact for n <= 0x80).
        let below = v.wrapping_sub(LO * 0x20) & !v & HI;
        if below != 0 || has_zero(v ^ (LO * b'"' as u64)) || has_zero(v ^ (LO * b'\\' as u64)) {
            break;
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .map(|p| i + p)
}

/// Appends a JSON string (quoted, escaped as serde_json does).
pub fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    while let Some(i) = find_escape(bytes, start) {
        // Copy the clean run before the escaped byte in one go.
        out.extend_from_slice(&bytes[start..i]);
        let c = bytes[i];
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends raw bytes as a string, lossily decoded as UTF-8 (as Java does).
pub fn lossy_string(out: &mut Vec<u8>, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => string(out, s),
        Err(_) => string(out, &String::from_utf8_lossy(b)),
    }
}

/// Appends `"0x<hex>"` of a 64-bit value.
pub fn hex64(out: &mut Vec<u8>, v: i64) {
    hex(out, v as u64);
}

/// Appends `"0x<hex>"` of a 32-bit value.
pub fn hex32(out: &mut Vec<u8>, v: i32) {
    hex(out, u64::from(v as u32));
}

fn hex(out: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let mut i = 16;
    let mut x = v;
    loop {
        i -= 1;
        buf[i] = HEX[(x & 15) as usize];
        x >>= 4;
        if x == 0 {
            break;
        }
    }
    out.extend_from_slice(b"\"0x");
    out.extend_from_slice(&buf[i..]);
    out.push(b'"');
}

/// Appends an integer.
pub fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends an unsigned integer.
pub fn uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends znode data: `null`, `{"text":...}` or `{"base64":...}`.
pub fn data(out: &mut Vec<u8>, d: Option<&[u8]>) {
    match d {
        None => out.extend_from_slice(b"null"),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.extend_from_slice(b"{\"text\":");
                string(out, text);
                out.push(b'}');
            }
            Err(_) => {
                use base64::Engine;
                out.extend_from_slice(b"{\"base64\":\"");
                let start = out.len();
                out.resize(start + bytes.len().div_ceil(3) * 4, 0);
                let n = base64::engine::general_purpose::STANDARD
                    .encode_slice(bytes, &mut out[start..])
                    .unwrap_or(0);
                out.truncate(start + n);
                out.extend_from_slice(b"\"}");
            }
        },
    }
}

/// Appends an ACL list (`null` for a null vector).
pub fn acl(out: &mut Vec<u8>, list: Option<&[Acl<'_>]>) {
    let Some(list) = list else {
        out.extend_from_slice(b"null");
        return;
    };
    out.push(b'[');
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"perms\":\"");
        for (bit, letter) in PERM_BITS_IN_ORDER {
            if a.perms & bit != 0 {
                out.push(letter as u8);
            }
        }
        let unknown = a.perms & !31;
        if unknown != 0 {
            let mut s = String::new();
            let _ = write!(s, "+{unknown:#x}");
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(b"\",\"scheme\":");
        lossy_string(out, a.scheme);
        out.extend_from_slice(b",\"id\":");
        lossy_string(out, a.id);
        out.push(b'}');
    }
    out.push(b']');
}

/// An object being written: keys are added with their separators.
pub struct Obj<'b> {
    out: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    /// Opens `{`.
    pub fn begin(out: &'b mut Vec<u8>) -> Obj<'b> {
        out.push(b'{');
        Obj { out, first: true }
    }
    /// Writes `"key":` and returns the buffer for the value.
    pub fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }
    /// Closes `}`.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_match_serde_json() {
        for s in [
            "",
            "plain",
            "quote\"d",
            "back\\slash",
            "nl\n",
            "\u{1}\u{1f}\u{7f}",
            "ünï-中",
            "0123456789abcdef\"",
            "tab\tand\r\u{8}\u{c}",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn numbers_hex_and_times() {
        let mut out = Vec::new();
        int(&mut out, -1234567890123);
        out.push(b' ');
        int(&mut out, i64::MIN);
        out.push(b' ');
        hex64(&mut out, -1);
        out.push(b' ');
        hex32(&mut out, 0);
        out.push(b' ');
        let mut t = TimeCache::default();
        t.write(&mut out, 1_795_422_860_025);
        t.write(&mut out, 1_795_422_860_999);
        t.write(&mut out, i64::MAX);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-1234567890123 -9223372036854775808 \"0xffffffffffffffff\" \"0x0\" \"2026-11-23T08:34:20.025Z\"\"2026-11-23T08:34:20.999Z\"null"
        );
    }
}
