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

/// What follows the backslash for each byte JSON needs escaped (`u` for
/// `\u00XX`), 0 for bytes copied as they are: serde_json's table.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = b'u';
        c += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Appends one byte, escaped if JSON needs it.
#[inline(always)]
fn push_escaped(out: &mut Vec<u8>, c: u8) {
    match ESCAPE[usize::from(c)] {
        0 => out.push(c),
        b'u' => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]);
        }
        e => out.extend_from_slice(&[b'\\', e]),
    }
}

/// Appends `bytes` escaped as the inside of a JSON string (no quotes), and
/// returns the OR of all the bytes: bit 7 is set when any byte is not
/// ASCII, the only case where the caller still has to check UTF-8.
///
/// Blocks of 16 bytes are tested in one go (the loop compiles to a few
/// SIMD compares) and copied whole when nothing in them needs escaping,
/// which is most of a typical znode value even when it is JSON full of
/// quotes.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) -> u8 {
    out.reserve(bytes.len());
    // Written as lane-wise array operations, which LLVM turns into vector
    // compares and ORs; a byte-wise fold over `seen` would stay scalar.
    let mut high = [0u8; 16];
    let (blocks, tail) = bytes.as_chunks::<16>();
    for block in blocks {
        let mut special = [false; 16];
        for ((s, h), &c) in special.iter_mut().zip(&mut high).zip(block) {
            *h |= c;
            *s = c < 0x20 || c == b'"' || c == b'\\';
        }
        if special.iter().fold(false, |a, &b| a | b) {
            for &c in block {
                push_escaped(out, c);
            }
        } else {
            out.extend_from_slice(block);
        }
    }
    let mut seen = high.iter().fold(0, |a, &b| a | b);
    for &c in tail {
        seen |= c;
        push_escaped(out, c);
    }
    seen
}

/// Appends a JSON string (quoted, escaped as serde_json does).
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s.as_bytes());
    out.push(b'"');
}

/// Appends raw bytes as a string, lossily decoded as UTF-8 (as Java does).
pub fn lossy_string(out: &mut Vec<u8>, b: &[u8]) {
    let start = out.len();
    out.push(b'"');
    // Escaping first and checking UTF-8 only when a non-ASCII byte showed
    // up saves a second pass over the common, all-ASCII, case.
    if escape_into(out, b) & 0x80 != 0 && std::str::from_utf8(b).is_err() {
        out.truncate(start);
        string(out, &String::from_utf8_lossy(b));
        return;
    }
    out.push(b'"');
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
    let Some(bytes) = d else {
        out.extend_from_slice(b"null");
        return;
    };
    let start = out.len();
    out.extend_from_slice(b"{\"text\":\"");
    // As in `lossy_string`: UTF-8 is checked only when non-ASCII showed up.
    if escape_into(out, bytes) & 0x80 == 0 || std::str::from_utf8(bytes).is_ok() {
        out.extend_from_slice(b"\"}");
        return;
    }
    use base64::Engine;
    out.truncate(start);
    out.extend_from_slice(b"{\"base64\":\"");
    let at = out.len();
    out.resize(at + bytes.len().div_ceil(3) * 4, 0);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[at..])
        .unwrap_or(0);
    out.truncate(at + n);
    out.extend_from_slice(b"\"}");
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
    /// Writes `"key":` and returns the buffer for the value. Inlined so
    /// that the key's length is a constant and its copy a few moves.
    #[inline(always)]
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
    fn long_strings_and_data_match_serde_json_across_blocks() {
        // Every special byte at every position of a 16-byte block and of
        // the tail, in ASCII and non-ASCII surroundings.
        let specials: [&[u8]; 7] = [
            b"\"",
            b"\\",
            b"\n",
            b"\x01",
            b"\x1f",
            "é".as_bytes(),
            b"\x7f",
        ];
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 47, 100] {
            for sp in specials {
                for at in 0..=len {
                    let mut v = vec![b'a'; len];
                    v.splice(at..at, sp.iter().copied());
                    let text = String::from_utf8(v.clone()).unwrap();
                    let mut out = Vec::new();
                    string(&mut out, &text);
                    assert_eq!(out, serde_json::to_vec(&text).unwrap());
                    out.clear();
                    data(&mut out, Some(&v));
                    assert_eq!(
                        out,
                        serde_json::to_vec(&serde_json::json!({ "text": text })).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_falls_back_to_lossy_and_base64() {
        use base64::Engine;
        for len in [0usize, 5, 16, 40] {
            for at in 0..=len {
                let mut v = vec![b'"'; len];
                v.insert(at, 0xff);
                let mut out = b"prefix".to_vec();
                lossy_string(&mut out, &v);
                let want = serde_json::to_vec(&String::from_utf8_lossy(&v)).unwrap();
                assert_eq!(out[6..], want[..]);
                out.truncate(3);
                data(&mut out, Some(&v));
                let b64 = base64::engine::general_purpose::STANDARD.encode(&v);
                assert_eq!(
                    out[3..],
                    serde_json::to_vec(&serde_json::json!({ "base64": b64 })).unwrap()[..]
                );
            }
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
