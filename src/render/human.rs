//! Text for people: one line per txn or node, data shown as text when it is
//! printable and escaped otherwise, ACLs on one line, error codes named.

use std::fmt::Write as _;

use crate::format::jute::{Acl, perms_letters};
use crate::format::snapshot::{NodeKind, StatPersisted};
use crate::format::txn::{SubTxn, Txn, TxnBody, error_name};
use crate::render::redact::Redaction;
use crate::timefmt;
use crate::zxid::{hex32, hex64};

/// How znode data is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DataMode {
    /// Quoted text with escapes for non-printable bytes.
    #[default]
    Text,
    /// Hex digits.
    Hex,
    /// Base64.
    Base64,
    /// Only the length.
    None,
}

/// Shows data: `null`, or `"text"` / hex / base64 with its length when hidden.
pub fn data(d: Option<&[u8]>, mode: DataMode) -> String {
    let Some(bytes) = d else {
        return "null".to_string();
    };
    match mode {
        DataMode::Text if is_texty(bytes) => quote(bytes),
        DataMode::Text => data(Some(bytes), DataMode::Hex),
        DataMode::Hex => {
            let mut s = String::with_capacity(bytes.len() * 2 + 2);
            s.push_str("0x");
            for b in bytes {
                let _ = write!(s, "{b:02x}");
            }
            s
        }
        DataMode::Base64 => format!("base64:{}", base64_simd::STANDARD.encode_to_string(bytes)),
        DataMode::None => format!("<{} bytes>", bytes.len()),
    }
}

/// Valid UTF-8 with no control characters but newline, tab and CR.
pub fn is_texty(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    })
}

/// Shows at most `limit` bytes of data (0 = all), noting how many were left out.
pub fn data_limited(d: Option<&[u8]>, mode: DataMode, limit: usize) -> String {
    match d {
        Some(bytes) if limit > 0 && bytes.len() > limit => {
            let mut cut = limit;
            // Do not split a UTF-8 sequence of text we are about to quote.
            while cut > 0 && !bytes.is_char_boundary_at(cut) {
                cut -= 1;
            }
            let shown = data(
                bytes.get(..cut),
                if mode == DataMode::Text && !is_texty(bytes) {
                    DataMode::Hex
                } else {
                    mode
                },
            );
            format!("{shown}...(+{} bytes)", bytes.len() - cut)
        }
        _ => data(d, mode),
    }
}

trait CharBoundary {
    fn is_char_boundary_at(&self, i: usize) -> bool;
}

impl CharBoundary for [u8] {
    fn is_char_boundary_at(&self, i: usize) -> bool {
        self.get(i).is_none_or(|b| (*b as i8) >= -0x40)
    }
}

/// Double-quoted, with `\n`, `\t`, `\"`, `\\` and `\xNN` escapes for
/// anything that is not printable UTF-8.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                c if c.is_control() => {
                    let _ = write!(s, "\\u{{{:x}}}", c as u32);
                }
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s.push('"');
    s
}

/// A path for display (lossy UTF-8, control characters escaped).
pub fn path(p: &[u8]) -> String {
    let s = String::from_utf8_lossy(p);
    if s.chars().any(|c| c.is_control() || c == ' ') {
        quote(p)
    } else {
        s.into_owned()
    }
}

/// zkCli's `scheme:id:perms` notation, comma-separated:
/// `world:anyone:cdrwa,ip:127.0.0.1:r`; `null` for a null vector.
pub fn acl(list: Option<&[Acl<'_>]>) -> String {
    acl_as(list, Redaction::Off)
}

/// [`acl`], credentials masked as `redact` says.
pub fn acl_as(list: Option<&[Acl<'_>]>, redact: Redaction) -> String {
    let Some(list) = list else {
        return "null".to_string();
    };
    let mut s = String::new();
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{}:{}:{}",
            String::from_utf8_lossy(a.scheme),
            String::from_utf8_lossy(redact.acl_id(a.scheme, a.id).as_deref().unwrap_or(a.id)),
            perms_letters(a.perms)
        );
    }
    s
}

/// `NodeExists(-110)`.
pub fn error_code(err: i32) -> String {
    match error_name(err) {
        Some(n) => format!("{n}({err})"),
        None => format!("error({err})"),
    }
}

/// The op-specific part of a txn line.
pub fn body(
    op_name: &str,
    b: &TxnBody<'_>,
    mode: DataMode,
    limit: usize,
    redact: Redaction,
) -> String {
    let mut s = String::from(op_name);
    match b {
        TxnBody::CreateSession { timeout_ms } => {
            let _ = write!(s, " timeout={timeout_ms}ms");
        }
        TxnBody::CloseSession { paths: None } => {}
        TxnBody::CloseSession { paths: Some(p) } => {
            let list: Vec<String> = p.iter().map(|x| path(x)).collect();
            let _ = write!(s, " ephemerals=[{}]", list.join(", "));
        }
        TxnBody::Create(c) => {
            let _ = write!(
                s,
                " {} data={} acl={}",
                path(c.path),
                redact.text_data(c.data, mode, limit),
                acl_as(c.acl.as_deref(), redact)
            );
            if c.ephemeral == Some(true) {
                s.push_str(" ephemeral");
            }
            if let Some(ttl) = c.ttl_ms {
                let _ = write!(s, " ttl={ttl}ms");
            }
            if c.v0 {
                s.push_str(" (CreateTxnV0)");
            } else {
                let _ = write!(s, " parent_cversion={}", c.parent_cversion);
            }
        }
        TxnBody::Delete { path: p } => {
            let _ = write!(s, " {}", path(p));
        }
        TxnBody::SetData {
            path: p,
            data: d,
            version,
        } => {
            let _ = write!(
                s,
                " {} data={} version={version}",
                path(p),
                redact.text_data(*d, mode, limit)
            );
        }
        TxnBody::SetAcl {
            path: p,
            acl: a,
            version,
        } => {
            let _ = write!(
                s,
                " {} acl={} aversion={version}",
                path(p),
                acl_as(a.as_deref(), redact)
            );
        }
        TxnBody::Check { path: p, version } => {
            let _ = write!(s, " {} version={version}", path(p));
        }
        TxnBody::Error {
            rewritten: Some(sub),
            ..
        } => {
            // The failed multi's sub-txn, marked as an error before it was
            // logged: show what it holds, not its first bytes as a code.
            let name = sub
                .op
                .name()
                .map_or_else(|| sub.op.display_name(), str::to_string);
            let _ = write!(
                s,
                " (marked failed; logged as {})",
                body(&name, &sub.body, mode, limit, redact)
            );
        }
        TxnBody::Error { err, .. } => {
            let _ = write!(s, " {}", error_code(*err));
        }
        TxnBody::Multi { ops } => {
            let failed = ops.iter().any(|o| matches!(o.body, TxnBody::Error { .. }));
            let _ = write!(
                s,
                " {} ops{}: [",
                ops.len(),
                if failed { " FAILED" } else { "" }
            );
            for (i, SubTxn { op, body: sub }) in ops.iter().enumerate() {
                if i > 0 {
                    s.push_str("; ");
                }
                s.push_str(&body(&op.display_name(), sub, mode, limit, redact));
            }
            s.push(']');
        }
        TxnBody::Invalid { data: d } => {
            let _ = write!(
                s,
                " (not allowed in a multi) raw={}",
                redact.text_data(Some(d), DataMode::Hex, 0)
            );
        }
    }
    s
}

/// One txn line: `zxid time session cxid op details`.
pub fn txn_line(
    txn: &Txn<'_>,
    mode: DataMode,
    limit: usize,
    local: bool,
    with_digest: bool,
    redact: Redaction,
) -> String {
    let h = &txn.header;
    let mut s = format!(
        "{} {} session {} cxid {} {}",
        hex64(h.zxid.0),
        timefmt::display(h.time, local),
        hex64(h.session.0),
        hex32(h.cxid),
        body(&h.op.display_name(), &txn.body, mode, limit, redact)
    );
    if with_digest && let Some(d) = txn.digest {
        let _ = write!(s, " digest={}:v{}", d.tree, d.version);
    }
    s
}

/// The stat fields of a node, one line.
pub fn stat(st: &StatPersisted, data_length: usize, num_children: u64, local: bool) -> String {
    let owner = match NodeKind::of(st.ephemeral_owner) {
        NodeKind::Persistent => String::new(),
        NodeKind::Ephemeral(s) => format!(" ephemeral_owner={s}"),
        NodeKind::Container => " container".to_string(),
        NodeKind::Ttl(ttl) => format!(" ttl={ttl}ms"),
    };
    format!(
        "czxid={} mzxid={} pzxid={} ctime={} mtime={} version={} cversion={} aversion={}{} data_length={} num_children={}",
        hex64(st.czxid.0),
        hex64(st.mzxid.0),
        hex64(st.pzxid.0),
        timefmt::display(st.ctime, local),
        timefmt::display(st.mtime, local),
        st.version,
        st.cversion,
        st.aversion,
        owner,
        data_length,
        num_children
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_text_when_printable_and_escaped_otherwise() {
        assert_eq!(data(None, DataMode::Text), "null");
        assert_eq!(data(Some(b"hello"), DataMode::Text), "\"hello\"");
        assert_eq!(data(Some(b"a\"b\n"), DataMode::Text), "\"a\\\"b\\n\"");
        assert_eq!(data(Some(&[0xff, b'a', 0]), DataMode::Text), "0xff6100");
        assert_eq!(quote(&[0xff, b'a', 0]), "\"\\xffa\\u{0}\"");
        assert_eq!(
            data_limited(Some(b"hello world"), DataMode::Text, 5),
            "\"hello\"...(+6 bytes)"
        );
        assert_eq!(data(Some(&[0xde, 0xad]), DataMode::Hex), "0xdead");
        assert_eq!(data(Some(b"hi"), DataMode::Base64), "base64:aGk=");
        assert_eq!(data(Some(b"hi"), DataMode::None), "<2 bytes>");
        assert_eq!(
            data(Some("ünï-中".as_bytes()), DataMode::Text),
            "\"ünï-中\""
        );
    }

    #[test]
    fn acl_on_one_line() {
        let list = [
            Acl {
                perms: 31,
                scheme: b"world",
                id: b"anyone",
            },
            Acl {
                perms: 1,
                scheme: b"ip",
                id: b"127.0.0.1",
            },
        ];
        assert_eq!(acl(Some(&list)), "world:anyone:cdrwa,ip:127.0.0.1:r");
        assert_eq!(acl(None), "null");
    }
}
