//! A small, allocation-free JSON Lines writer for the hot paths (one txn
//! line per log entry). It writes the same bytes serde_json would for the
//! same object, but checks strings eight bytes at a time before escaping and
//! formats times once per second, which makes `dump --json` several times
//! faster on large logs.

use std::fmt::Write as _;

use crate::format::jute::{Acl, PERM_BITS_IN_ORDER};
use crate::render::bytescan;
use crate::render::redact::Redaction;
use crate::timefmt;

/// Formats ms times as RFC 3339 UTC with milliseconds, reusing the date
/// of the last day seen (a snapshot's nodes were mostly written on a few
/// days, a log's txns on one; the calendar took a tenth of `dump --json` of
/// a snapshot). The time of day is a few multiplications.
#[derive(Debug, Default)]
pub struct TimeCache {
    /// Days since the epoch and their `YYYY-MM-DDT`.
    day: Option<(i64, [u8; 11])>,
}

impl TimeCache {
    /// `YYYY-MM-DDTHH:MM:SS` of `second`, from the cached date when it is
    /// on the same day (UTC days have 86400 seconds: no leap seconds).
    fn prefix(&mut self, second: i64) -> Option<[u8; 19]> {
        let (day, in_day) = (second.div_euclid(86400), second.rem_euclid(86400));
        let date = match self.day {
            Some((d, date)) if d == day => date,
            _ => {
                let prefix = timefmt::utc_second_prefix(second)?;
                let date = *prefix.first_chunk::<11>()?;
                self.day = Some((day, date));
                return Some(prefix);
            }
        };
        let mut out = [0u8; 19];
        out.get_mut(..11)?.copy_from_slice(&date);
        let (h, m, s) = (in_day / 3600, in_day / 60 % 60, in_day % 60);
        out.get_mut(11..)?.copy_from_slice(&[
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
        ]);
        Some(out)
    }

    /// Appends `"2026-11-23T08:34:20.025Z"` (quoted) or `null`.
    pub fn write(&mut self, out: &mut Vec<u8>, ms: i64) {
        let Some(prefix) = self.prefix(ms.div_euclid(1000)) else {
            // Out of chrono's range or not a 4-digit year: the slow path.
            match timefmt::rfc3339_utc(ms) {
                Some(s) => string(out, &s),
                None => out.extend_from_slice(b"null"),
            }
            return;
        };
        let milli = ms.rem_euclid(1000) as u32;
        out.push(b'"');
        out.extend_from_slice(&prefix);
        out.extend_from_slice(&[
            b'.',
            b'0' + (milli / 100) as u8,
            b'0' + (milli / 10 % 10) as u8,
            b'0' + (milli % 10) as u8,
            b'Z',
            b'"',
        ]);
    }

    /// Appends `ms` in decimal (the `*_ms` twin of a time).
    pub fn write_ms(&mut self, out: &mut Vec<u8>, ms: i64) {
        int(out, ms);
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
/// returns true when a byte is not ASCII, the only case where the caller
/// still has to check UTF-8.
///
/// 16 bytes at a time ([`bytescan::json_classes`]): blocks with nothing to
/// escape are only scanned, and the run between two bytes to escape is
/// copied whole (a block-by-block copy stored the length at every block;
/// 6 % of the CPU time of a snapshot's `dump --json`).
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    out.reserve(bytes.len() + 16);
    let mut high = 0u32;
    // Bytes before `run` are in `out`; clean blocks are only scanned, and
    // a run of them is copied in one go when a byte to escape ends it.
    let mut run = 0;
    let (blocks, tail) = bytes.as_chunks::<16>();
    for (k, block) in blocks.iter().enumerate() {
        let (special, h) = bytescan::json_classes(block);
        high |= h;
        let mut mask = special;
        while mask != 0 {
            let p = k * 16 + mask.trailing_zeros() as usize;
            push_run(out, bytes, run, p);
            push_escaped(out, block[p - k * 16]);
            run = p + 1;
            mask &= mask - 1;
        }
    }
    if tail.is_empty() {
        push_run(out, bytes, run, bytes.len());
        return high != 0;
    }
    let at = bytes.len().wrapping_sub(16);
    match bytes.get(at..).map(<&[u8; 16]>::try_from) {
        // The last 16 bytes, of which the tail is the end.
        Some(Ok(last)) => {
            let (special, h) = bytescan::json_classes(last);
            let mut mask = special >> (16 - tail.len()) << (16 - tail.len());
            while mask != 0 {
                let p = at + mask.trailing_zeros() as usize;
                push_run(out, bytes, run, p);
                push_escaped(out, last[p - at]);
                run = p + 1;
                mask &= mask - 1;
            }
            push_run(out, bytes, run, bytes.len());
            high | h != 0
        }
        // A string shorter than 16 bytes.
        _ => {
            for &c in tail {
                push_escaped(out, c);
            }
            high != 0 || !tail.is_ascii()
        }
    }
}

/// Appends `src[from..to]`: a short run as one fixed-size copy when 16
/// bytes are there to read, else as one copy of its length.
#[inline(always)]
fn push_run(out: &mut Vec<u8>, src: &[u8], from: usize, to: usize) {
    let len = to - from;
    if len <= 16 {
        push_window::<16>(out, src, from, len);
    } else {
        out.extend_from_slice(src.get(from..to).unwrap_or_default());
    }
}

/// A JSON string (quoted, escaped as serde_json does) on its own, for text
/// repeated on many lines (a file name).
pub fn quoted(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    string(&mut out, s);
    out
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
    if escape_into(out, b) && std::str::from_utf8(b).is_err() {
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
    let digits = (64 - (v | 1).leading_zeros()).div_ceil(4) as usize;
    // The digits go straight into `out` (see `decimal`).
    let start = out.len();
    // `"0x`, room for 16 digits, and the closing quote after any of them.
    const FILL: [u8; 20] = {
        let mut f = [b'"'; 20];
        f[1] = b'0';
        f[2] = b'x';
        f
    };
    out.extend_from_slice(&FILL);
    let mut x = v;
    for d in out[start + 3..start + 3 + digits].iter_mut().rev() {
        *d = HEX[(x & 15) as usize];
        x >>= 4;
    }
    out.truncate(start + 4 + digits);
}

/// Appends `src[at..at + len]` (`len` ≤ N) as one fixed-size copy of N
/// bytes cut back to `len`, when `src` has them; a call to copy a few bytes
/// of varying length costs more than the formatting itself.
#[inline(always)]
fn push_window<const N: usize>(out: &mut Vec<u8>, src: &[u8], at: usize, len: usize) {
    if let Some(Ok(w)) = src.get(at..at + N).map(<&[u8; N]>::try_from) {
        let start = out.len();
        out.extend_from_slice(w);
        out.truncate(start + len);
    } else {
        out.extend_from_slice(src.get(at..at + len).unwrap_or_default());
    }
}

/// The eight decimal digits of `x` (< 10^8, with leading zeros) as ASCII,
/// the most significant in the lowest byte: split into 4-, 2- and 1-digit
/// lanes of one word with multiply-shift divisions, so all lanes divide at
/// once instead of one dependent division per digit pair.
fn eight_digits(x: u32) -> u64 {
    let x = u64::from(x);
    // Two 4-digit lanes of 32 bits; x * 10486 >> 20 is x / 100 below 43699.
    let v = (x / 10_000) | ((x % 10_000) << 32);
    let hundreds = ((v * 10_486) >> 20) & 0x0000_007f_0000_007f;
    // Four 2-digit lanes of 16 bits; x * 103 >> 10 is x / 10 below 179.
    let v = hundreds | ((v - hundreds * 100) << 16);
    let tens = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    let v = tens | ((v - tens * 10) << 8);
    v + 0x3030_3030_3030_3030
}

/// Appends `v` in decimal, with a leading `-` when `negative`. Values
/// below 10^16 (all but the largest) are formatted in registers by
/// [`eight_digits`] and stored with one fixed-size copy cut back to their
/// length; formatting into a buffer and copying it would read back bytes
/// just written one or two at a time (a store-forwarding stall) or call
/// memcpy for a few bytes.
fn decimal(out: &mut Vec<u8>, negative: bool, v: u64) {
    if negative {
        out.push(b'-');
    }
    // Versions, counts and ids are mostly one or two digits.
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    if v < 100 {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
        return;
    }
    let len = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let start = out.len();
    if len <= 8 {
        // One word of digits is enough (sizes, offsets below 100 MB).
        let digits = eight_digits(v as u32) >> (8 * (8 - len));
        out.extend_from_slice(&digits.to_le_bytes());
    } else if len <= 16 {
        let high = eight_digits((v / 100_000_000) as u32);
        let low = eight_digits((v % 100_000_000) as u32);
        let all = (u128::from(low) << 64 | u128::from(high)) >> (8 * (16 - len));
        out.extend_from_slice(&all.to_le_bytes());
    } else {
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(v).as_bytes());
        return;
    }
    out.truncate(start + len);
}

/// Appends an integer.
pub fn int(out: &mut Vec<u8>, v: i64) {
    decimal(out, v < 0, v.unsigned_abs());
}

/// Appends an unsigned integer.
pub fn uint(out: &mut Vec<u8>, v: u64) {
    decimal(out, false, v);
}

/// How many leading bytes of znode data [`data`] checks for UTF-8 before
/// escaping it: random bytes break UTF-8 within the first few.
const SNIFF: usize = 64;

/// Appends znode data: `null`, `{"text":...}` when it is valid UTF-8,
/// `{"base64":...}` (standard alphabet, padded) when it is not.
///
/// The choice is exactly `str::from_utf8(bytes).is_ok()`, made in steps
/// so binary data is never escaped first: the first `SNIFF` (64) bytes are
/// checked up front (an invalid sequence there, or one cut off by the end
/// of the data, settles it: base64); then the data is escaped, and only
/// when a non-ASCII byte showed up is the rest, from the last character
/// boundary of the checked prefix, checked too.
pub fn data(out: &mut Vec<u8>, d: Option<&[u8]>) {
    let Some(bytes) = d else {
        out.extend_from_slice(b"null");
        return;
    };
    let head = bytes.get(..SNIFF).unwrap_or(bytes);
    let checked = match std::str::from_utf8(head) {
        Ok(_) => head.len(),
        // A sequence cut off by the end of the prefix, not of the data:
        // the rest decides.
        Err(e) if e.error_len().is_none() && head.len() < bytes.len() => e.valid_up_to(),
        Err(_) => return base64_data(out, bytes),
    };
    let start = out.len();
    out.extend_from_slice(b"{\"text\":\"");
    // `bytes[..checked]` is whole characters, so the data is UTF-8 exactly
    // when `bytes[checked..]` is.
    if !escape_into(out, bytes)
        || std::str::from_utf8(bytes.get(checked..).unwrap_or_default()).is_ok()
    {
        out.extend_from_slice(b"\"}");
        return;
    }
    out.truncate(start);
    base64_data(out, bytes);
}

/// Appends `{"base64":"..."}` of `bytes` (SIMD, the same bytes as the
/// `base64` crate's STANDARD engine).
fn base64_data(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len().div_ceil(3) * 4 + 14);
    out.extend_from_slice(b"{\"base64\":\"");
    base64_simd::STANDARD.encode_append(bytes, out);
    out.extend_from_slice(b"\"}");
}

/// Appends an ACL list (`null` for a null vector).
pub fn acl(out: &mut Vec<u8>, list: Option<&[Acl<'_>]>) {
    acl_as(out, list, Redaction::Off);
}

/// Appends an ACL list, credentials masked as `redact` says.
pub fn acl_as(out: &mut Vec<u8>, list: Option<&[Acl<'_>]>, redact: Redaction) {
    let Some(list) = list else {
        out.extend_from_slice(b"null");
        return;
    };
    // Nearly every node has ZooKeeper's OPEN_ACL_UNSAFE.
    if let [
        Acl {
            perms: 31,
            scheme: b"world",
            id: b"anyone",
        },
    ] = list
    {
        out.extend_from_slice(br#"[{"scheme":"world","id":"anyone","perms":"cdrwa"}]"#);
        return;
    }
    out.push(b'[');
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"scheme\":");
        lossy_string(out, a.scheme);
        out.extend_from_slice(b",\"id\":");
        match redact.acl_id(a.scheme, a.id) {
            Some(masked) => lossy_string(out, &masked),
            None => lossy_string(out, a.id),
        }
        out.extend_from_slice(b",\"perms\":\"");
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
        out.extend_from_slice(b"\"}");
    }
    out.push(b']');
}

/// `field!(obj, "name")`: [`Obj::field`] with the key `name`, its quotes
/// and colon made into one constant.
#[macro_export]
macro_rules! field {
    ($obj:expr, $key:literal) => {
        $obj.field(concat!("\"", $key, "\":"))
    };
}

/// Appends a string that needs no escaping (an op or error name: ASCII
/// letters), quoted.
pub fn plain(out: &mut Vec<u8>, s: &'static str) {
    debug_assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()), "{s}");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
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
    /// Goes on with an object whose `{` and first keys are already in
    /// `out`.
    pub fn resume(out: &'b mut Vec<u8>) -> Obj<'b> {
        Obj { out, first: false }
    }
    /// Writes a key given as `"key":` and returns the buffer for the
    /// value: a comma and one fixed-size copy. Use it through
    /// [`field!`](crate::field).
    #[inline(always)]
    pub fn field(&mut self, quoted_key: &'static str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(quoted_key.as_bytes());
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
    use proptest::prelude::*;

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

    /// `data` as it was before the UTF-8 prefix check and SIMD base64:
    /// text exactly when `str::from_utf8` accepts the whole value.
    fn data_before(out: &mut Vec<u8>, d: Option<&[u8]>) {
        use base64::Engine;
        match d {
            None => out.extend_from_slice(b"null"),
            Some(bytes) => out.extend_from_slice(
                &match std::str::from_utf8(bytes) {
                    Ok(text) => serde_json::to_vec(&serde_json::json!({ "text": text })),
                    Err(_) => serde_json::to_vec(&serde_json::json!({
                        "base64": base64::engine::general_purpose::STANDARD.encode(bytes)
                    })),
                }
                .unwrap(),
            ),
        }
    }

    fn assert_data_as_before(v: &[u8]) {
        let mut fast = b"x".to_vec();
        data(&mut fast, Some(v));
        let mut want = b"x".to_vec();
        data_before(&mut want, Some(v));
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&want),
            "{v:x?}"
        );
    }

    /// Byte sequences around which the prefix check could go wrong: valid
    /// characters of every length, bytes valid UTF-8 allows but a "binary"
    /// sniff might not (NUL, controls, DEL), and each kind of invalid
    /// sequence (stray continuation, overlong, surrogate, above U+10FFFF,
    /// bytes never used, truncated).
    const TRICKY: [&[u8]; 19] = [
        b"\0",
        b"\x01\x1f\x7f",
        "é".as_bytes(),
        "中".as_bytes(),
        "😀".as_bytes(),
        "\u{10ffff}".as_bytes(),
        "\u{ffff}".as_bytes(),
        b"\x80",
        b"\xbf",
        b"\xc0\x80",
        b"\xc1\xbf",
        b"\xe0\x80\x80",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80",
        b"\xff",
        b"\xe4\xb8",
        b"\xf0\x9f\x98",
        b"\xc3",
    ];

    #[test]
    fn data_chooses_text_or_base64_as_before_around_the_prefix_end() {
        // Each tricky sequence at every offset around the end of the
        // checked prefix (and of short values), alone, before valid
        // non-ASCII text, and before an invalid byte far past the prefix.
        for sp in TRICKY {
            for at in (0..8).chain(SNIFF - 6..SNIFF + 6) {
                for tail in [&b""[..], b"a", b"tail \"q\" \xc3\xa9", b"x\xff"] {
                    for far in [0, 100] {
                        let mut v = vec![b'a'; at];
                        v.extend_from_slice(sp);
                        v.extend_from_slice(tail);
                        v.extend(std::iter::repeat_n(b'b', far));
                        assert_data_as_before(&v);
                        v.push(0xff);
                        assert_data_as_before(&v);
                    }
                }
            }
        }
        assert_data_as_before(b"");
        let mut out = Vec::new();
        data(&mut out, None);
        data_before(&mut out, None);
        assert_eq!(out, b"nullnull");
        // NUL is valid UTF-8: text, not base64.
        out.clear();
        data(&mut out, Some(b"a\0b"));
        assert_eq!(out, br#"{"text":"a\u0000b"}"#);
    }

    /// Values that are, or nearly are, UTF-8 text: a valid string, then
    /// cut at any byte and/or with one byte replaced or inserted.
    fn near_text() -> impl Strategy<Value = Vec<u8>> {
        (
            ".{0,90}",
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            any::<u8>(),
            0u8..4,
        )
            .prop_map(|(s, cut, at, byte, how)| {
                let mut v = s.into_bytes();
                if how & 1 != 0 && !v.is_empty() {
                    v.truncate(cut.index(v.len()));
                }
                if how & 2 != 0 {
                    let i = at.index(v.len() + 1);
                    v.insert(i, byte);
                }
                v
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        #[test]
        fn data_matches_before_on_random_bytes(v in prop::collection::vec(any::<u8>(), 0..300)) {
            assert_data_as_before(&v);
        }

        #[test]
        fn data_matches_before_on_near_text(pad in 0usize..80, v in near_text()) {
            // ASCII padding moves the string's characters across the
            // end of the checked prefix.
            let mut p = vec![b'-'; pad];
            p.extend_from_slice(&v);
            assert_data_as_before(&p);
        }
    }

    #[test]
    fn decimal_and_hex_match_std_formatting() {
        let mut samples: Vec<u64> = vec![0, 1, 9, 10, 99, 100, 101, 999, u64::MAX, u64::MAX - 1];
        samples.extend((0..64).map(|b| 1u64 << b));
        samples.extend((0..64).map(|b| (1u64 << b) - 1));
        samples.extend((1..20).map(|e| 10u64.pow(e) - 1));
        samples.extend((1..20).map(|e| 10u64.pow(e)));
        for &v in &samples {
            let mut out = b"x".to_vec();
            uint(&mut out, v);
            int(&mut out, v as i64);
            hex(&mut out, v);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("x{v}{}\"{:#x}\"", v as i64, v)
            );
        }
    }

    #[test]
    fn time_cache_matches_the_formatter_across_seconds_and_years() {
        let mut cache = TimeCache::default();
        let ms = [
            1_795_422_860_025,
            1_000,
            999,
            1_001,
            -999,
            1_795_422_860_999,
            1_000,
            1_795_422_861_000,
            0,
            -1,
            -62_135_596_800_001,
            253_402_300_799_999,
            253_402_300_800_000,
            i64::MIN,
            1_795_422_860_025,
        ];
        // Interleaved like the ctime and mtime of node lines.
        for &t in ms.iter().chain(ms.iter().rev()) {
            let mut out = Vec::new();
            cache.write(&mut out, t);
            let want = timefmt::rfc3339_utc(t).map_or("null".to_string(), |s| format!("{s:?}"));
            assert_eq!(String::from_utf8(out).unwrap(), want, "{t}");
            let mut out = Vec::new();
            cache.write_ms(&mut out, t);
            assert_eq!(String::from_utf8(out).unwrap(), t.to_string());
        }
    }

    #[test]
    fn time_cache_reuses_a_day_only_within_it() {
        let mut cache = TimeCache::default();
        // Steps of 7 s to 3 days around midnights, before and after the
        // epoch, to the last second of year 9999 and past it.
        let starts = [
            1_795_391_990_000i64,
            -86_400_000 - 5_000,
            -62_135_596_800_000,
            253_402_300_790_000,
        ];
        for start in starts {
            for step in [7_003i64, 86_399_001, 259_200_000] {
                for k in 0..40 {
                    let t = start.saturating_add(step * k);
                    let mut out = Vec::new();
                    cache.write(&mut out, t);
                    let want =
                        timefmt::rfc3339_utc(t).map_or("null".to_string(), |s| format!("{s:?}"));
                    assert_eq!(String::from_utf8(out).unwrap(), want, "{t}");
                }
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
