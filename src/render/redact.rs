//! `--redact`: the one policy for what a redacted output shows in place of
//! znode data and ACL credentials. Every writer of data or ACLs (the JSON
//! lines, the text lines, zkCli scripts) asks a [`Redaction`].
//!
//! * Data (not null) becomes its length and SHA-256: JSON
//!   `{"redacted":{"length":N,"sha256":"<64 hex>"}}` in place of
//!   `{"text"}`/`{"base64"}`, text `<redacted N bytes sha256:<16 hex>>`.
//!   Equal values keep equal hashes, so outputs stay comparable; a short or
//!   guessable value can still be found by hashing candidates, so the hash
//!   hides content, not a password. Null data stays `null`.
//! * A `digest` ACL id (`user:base64(sha1(user:password))`) keeps its user
//!   name and loses the hash, the credential: `alice:<redacted>`. Other
//!   schemes' ids (`world:anyone`, `ip`, `sasl`, `x509` principals) name,
//!   they do not authenticate, and stay.
//! * A zkCli script starts with [`SCRIPT_GUARD`], a command zkCli does not
//!   know, then `quit`: fed to `zkCli.sh`, it stops there (exit 127) before
//!   any change. zkdd refuses redacted JSON trees as input.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// The key of a redacted data object: `{"redacted":{...}}` (ops::diff,
/// which may not import render, spells it again to refuse such input).
pub const DATA_KEY: &str = "redacted";

/// What a masked digest credential reads as, after the user name and ':'.
pub const MASK: &str = "<redacted>";

/// The first lines of a redacted zkCli script: an unknown command (zkCli
/// says "Command not found" and sets exit status 127) and `quit`, so that
/// nothing after them runs.
pub const SCRIPT_GUARD: [&str; 3] = [
    "# written with --redact: data and digest credentials are hidden, so this script cannot restore them",
    "zkdd-redacted-script-cannot-be-applied",
    "quit",
];

/// Whether and how an output hides data and credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Redaction {
    /// Everything as stored.
    #[default]
    Off,
    /// Data as length and SHA-256, digest ACL credentials masked.
    On,
}

impl Redaction {
    /// From the `--redact` flag.
    pub fn from_flag(on: bool) -> Redaction {
        if on { Redaction::On } else { Redaction::Off }
    }

    /// True with `--redact`.
    pub fn is_on(self) -> bool {
        self == Redaction::On
    }

    /// Appends znode data as a JSON value: as stored, or redacted.
    pub fn json_data(self, out: &mut Vec<u8>, d: Option<&[u8]>) {
        match (self, d) {
            (Redaction::On, Some(bytes)) => {
                out.extend_from_slice(b"{\"redacted\":{\"length\":");
                super::jsonw::uint(out, bytes.len() as u64);
                out.extend_from_slice(b",\"sha256\":\"");
                out.extend_from_slice(sha256_hex(bytes).as_bytes());
                out.extend_from_slice(b"\"}}");
            }
            _ => super::jsonw::data(out, d),
        }
    }

    /// Znode data for people: as `human::data_limited` shows it, or redacted.
    pub fn text_data(self, d: Option<&[u8]>, mode: super::human::DataMode, limit: usize) -> String {
        match (self, d) {
            (Redaction::On, Some(bytes)) => text(bytes),
            _ => super::human::data_limited(d, mode, limit),
        }
    }

    /// An ACL id as this output shows it: the user name of a `digest` id
    /// with its hash masked; any other id as stored. `None`: as stored.
    pub fn acl_id(self, scheme: &[u8], id: &[u8]) -> Option<Vec<u8>> {
        if self == Redaction::Off || scheme != b"digest" {
            return None;
        }
        // The hash follows the last ':' (ZooKeeper splits there too); an
        // id without one is all credential.
        let user = match id.iter().rposition(|&b| b == b':') {
            Some(i) => id.get(..=i).unwrap_or_default(),
            None => b"",
        };
        let mut masked = user.to_vec();
        masked.extend_from_slice(MASK.as_bytes());
        Some(masked)
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `<redacted N bytes sha256:0123456789abcdef>`: the text form, with the
/// first 16 hex digits of the hash (enough to compare values by eye).
pub fn text(bytes: &[u8]) -> String {
    let hex = sha256_hex(bytes);
    format!(
        "<redacted {} bytes sha256:{}>",
        bytes.len(),
        hex.get(..16).unwrap_or(&hex)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_becomes_length_and_hash() {
        let mut out = Vec::new();
        Redaction::On.json_data(&mut out, Some(b"abc"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"redacted":{"length":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}"#
        );
        let mut out = Vec::new();
        Redaction::On.json_data(&mut out, None);
        assert_eq!(out, b"null");
        assert_eq!(text(b"abc"), "<redacted 3 bytes sha256:ba7816bf8f01cfea>");
    }

    #[test]
    fn digest_ids_keep_the_user_only() {
        let r = Redaction::On;
        assert_eq!(
            r.acl_id(b"digest", b"alice:x/5Gg1mRPWfGqzQ+z3K2Q2bN0e8=")
                .unwrap(),
            b"alice:<redacted>"
        );
        assert_eq!(r.acl_id(b"digest", b"nouser").unwrap(), b"<redacted>");
        assert_eq!(r.acl_id(b"ip", b"10.0.0.1"), None);
        assert_eq!(Redaction::Off.acl_id(b"digest", b"a:b"), None);
    }
}
