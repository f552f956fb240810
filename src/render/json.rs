//! The JSON Lines wire format. Every line is one object with a `"type"`.
//! This contract is binding: fields are only ever added, never renamed.
//!
//! * zxids, session ids, cxids, ephemeral owners: `"0x"` + lowercase hex.
//! * times: RFC 3339 UTC with milliseconds (`"2026-11-23T08:34:20.025Z"`);
//!   a `*_ms` twin carries the raw number.
//! * data: `null` for null, `{"text": "..."}` for UTF-8, else `{"base64": "..."}`;
//!   with `--redact`, `{"redacted": {"length": N, "sha256": "..."}}` (render::redact).
//! * acl: `[{"scheme": "world", "id": "anyone", "perms": "cdrwa"}]`, the
//!   order of zkCli's `scheme:id:perms`.
//! * `{"type":"txn","file","offset","zxid","time","session","cxid","op",...}`
//!   with the op's fields: `path`, `data`, `acl`, `ephemeral`,
//!   `parent_cversion`, `ttl_ms`, `version`, `timeout_ms`, `paths`, `err`,
//!   `err_name`, `ops` (multi sub-ops, each with its own `op`), `digest`
//!   (`{"version","tree"}`).
//! * `{"type":"node","path","data","acl","stat":{czxid, mzxid, pzxid, ctime,
//!   mtime, version, cversion, aversion, ephemeral_owner, data_length,
//!   num_children}}`.
//! * `{"type":"session","session","timeout_ms"}`.
//! * `{"type":"file",...}`: one per file read, how it ended and any problem.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::field;
use crate::format::jute::{Acl, perms_letters};
use crate::format::snapshot::StatPersisted;
use crate::format::txn::{OpCode, SubTxn, Txn, TxnBody, error_name};
use crate::render::jsonw::{self, Obj, TimeCache};
use crate::render::redact::Redaction;
use crate::timefmt::rfc3339_utc;
use crate::zxid::hex64;

/// Lossy UTF-8 of raw bytes (paths, ACL ids), as Java decodes them.
pub fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Znode data: `null`, `{"text"}` or `{"base64"}`; redacted,
/// `{"redacted":{"length","sha256"}}`.
pub struct DataJson<'a>(pub Option<&'a [u8]>, pub Redaction);

impl Serialize for DataJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_none(),
            Some(bytes) if self.1.is_on() => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    crate::render::redact::DATA_KEY,
                    &serde_json::json!({
                        "length": bytes.len(),
                        "sha256": crate::render::redact::sha256_hex(bytes),
                    }),
                )?;
                m.end()
            }
            Some(bytes) => {
                let mut m = s.serialize_map(Some(1))?;
                match std::str::from_utf8(bytes) {
                    Ok(text) => m.serialize_entry("text", text)?,
                    Err(_) => {
                        m.serialize_entry("base64", &base64_simd::STANDARD.encode_to_string(bytes))?
                    }
                }
                m.end()
            }
        }
    }
}

/// One ACL entry (its credential masked as the [`Redaction`] says).
pub struct AclJson<'a, 'b>(pub &'b Acl<'a>, pub Redaction);

impl Serialize for AclJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("scheme", &lossy(self.0.scheme))?;
        match self.1.acl_id(self.0.scheme, self.0.id) {
            Some(masked) => m.serialize_entry("id", &lossy(&masked))?,
            None => m.serialize_entry("id", &lossy(self.0.id))?,
        }
        m.serialize_entry("perms", &perms_letters(self.0.perms))?;
        m.end()
    }
}

/// An ACL list; `None` (a null vector) is `null`.
pub struct AclListJson<'a, 'b>(pub Option<&'b [Acl<'a>]>, pub Redaction);

impl Serialize for AclListJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_none(),
            Some(list) => {
                let mut seq = s.serialize_seq(Some(list.len()))?;
                for a in list {
                    seq.serialize_element(&AclJson(a, self.1))?;
                }
                seq.end()
            }
        }
    }
}

/// A time: RFC 3339 string, or `null` when out of range.
pub fn time_json(ms: i64) -> Option<String> {
    rfc3339_utc(ms)
}

/// A txn line.
pub struct TxnJson<'a, 'b> {
    /// File the entry came from.
    pub file: &'b str,
    /// Entry offset in the file.
    pub offset: u64,
    /// The decoded txn.
    pub txn: &'b Txn<'a>,
    /// Framed size of the entry in bytes.
    pub size: u64,
    /// Data and credentials as stored or redacted.
    pub redact: Redaction,
}

impl TxnJson<'_, '_> {
    /// `{"type":"txn","file":"…"`: how every txn line of `file` starts,
    /// escaped once per file for [`TxnJson::write_after`].
    pub fn line_start(file: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut o = Obj::begin(&mut out);
        field!(o, "type").extend_from_slice(b"\"txn\"");
        jsonw::string(field!(o, "file"), file);
        out
    }

    /// Appends the line (without newline) to `out`.
    pub fn write(&self, out: &mut Vec<u8>, times: &mut TimeCache) {
        self.write_after(&Self::line_start(self.file), out, times);
    }

    /// Appends the line (without newline) to `out`, starting with `start`,
    /// which must be [`TxnJson::line_start`] of `self.file`: the fast path
    /// `dump` uses.
    pub fn write_after(&self, start: &[u8], out: &mut Vec<u8>, times: &mut TimeCache) {
        let h = &self.txn.header;
        out.extend_from_slice(start);
        let mut o = Obj::resume(out);
        jsonw::int(field!(o, "offset"), self.offset as i64);
        jsonw::hex64(field!(o, "zxid"), h.zxid.0);
        times.write(field!(o, "time"), h.time);
        times.write_ms(field!(o, "time_ms"), h.time);
        jsonw::hex64(field!(o, "session"), h.session.0);
        jsonw::hex32(field!(o, "cxid"), h.cxid);
        op_name(field!(o, "op"), h.op);
        body_fields(&mut o, &self.txn.body, self.redact);
        if let Some(d) = self.txn.digest {
            let buf = field!(o, "digest");
            buf.extend_from_slice(b"{\"version\":");
            jsonw::int(buf, i64::from(d.version));
            buf.extend_from_slice(b",\"tree\":");
            jsonw::int(buf, d.tree);
            buf.push(b'}');
        }
        jsonw::int(field!(o, "size"), self.size as i64);
        o.end();
    }
}

fn op_name(out: &mut Vec<u8>, op: OpCode) {
    match op.name() {
        Some(n) => jsonw::plain(out, n),
        None => jsonw::string(out, &op.display_name()),
    }
}

/// Writes the fields of a body into an open object.
fn body_fields(o: &mut Obj<'_>, body: &TxnBody<'_>, r: Redaction) {
    match body {
        TxnBody::CreateSession { timeout_ms } => {
            jsonw::int(field!(o, "timeout_ms"), i64::from(*timeout_ms))
        }
        TxnBody::CloseSession { paths } => {
            if let Some(p) = paths {
                let buf = field!(o, "paths");
                buf.push(b'[');
                for (i, x) in p.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    jsonw::lossy_string(buf, x);
                }
                buf.push(b']');
            }
        }
        TxnBody::Create(c) => {
            jsonw::lossy_string(field!(o, "path"), c.path);
            r.json_data(field!(o, "data"), c.data);
            jsonw::acl_as(field!(o, "acl"), c.acl.as_deref(), r);
            if let Some(e) = c.ephemeral {
                field!(o, "ephemeral").extend_from_slice(if e { b"true" } else { b"false" });
            }
            jsonw::int(field!(o, "parent_cversion"), i64::from(c.parent_cversion));
            if let Some(ttl) = c.ttl_ms {
                jsonw::int(field!(o, "ttl_ms"), ttl);
            }
            if c.v0 {
                field!(o, "v0").extend_from_slice(b"true");
            }
        }
        TxnBody::Delete { path } => jsonw::lossy_string(field!(o, "path"), path),
        TxnBody::SetData {
            path,
            data,
            version,
        } => {
            jsonw::lossy_string(field!(o, "path"), path);
            r.json_data(field!(o, "data"), *data);
            jsonw::int(field!(o, "version"), i64::from(*version));
        }
        TxnBody::SetAcl { path, acl, version } => {
            jsonw::lossy_string(field!(o, "path"), path);
            jsonw::acl_as(field!(o, "acl"), acl.as_deref(), r);
            jsonw::int(field!(o, "version"), i64::from(*version));
        }
        TxnBody::Check { path, version } => {
            jsonw::lossy_string(field!(o, "path"), path);
            jsonw::int(field!(o, "version"), i64::from(*version));
        }
        TxnBody::Error {
            err,
            rewritten: Some(sub),
        } => {
            // Marked failed before it was logged: its bytes hold `sub`, and
            // `err` is only their first four bytes.
            jsonw::int(field!(o, "err"), i64::from(*err));
            field!(o, "err_name").extend_from_slice(b"null");
            let mut w = Obj::begin(field!(o, "logged_as"));
            op_name(field!(w, "op"), sub.op);
            body_fields(&mut w, &sub.body, r);
            w.end();
        }
        TxnBody::Error { err, .. } => {
            jsonw::int(field!(o, "err"), i64::from(*err));
            match error_name(*err) {
                Some(n) => jsonw::plain(field!(o, "err_name"), n),
                None => field!(o, "err_name").extend_from_slice(b"null"),
            }
        }
        TxnBody::Multi { ops } => {
            let buf = field!(o, "ops");
            buf.push(b'[');
            for (i, SubTxn { op, body }) in ops.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                let mut sub = Obj::begin(buf);
                op_name(field!(sub, "op"), *op);
                body_fields(&mut sub, body, r);
                sub.end();
            }
            buf.push(b']');
        }
        TxnBody::Invalid { data } => r.json_data(field!(o, "raw"), Some(data)),
    }
}

impl Serialize for TxnJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::new();
        self.write(&mut buf, &mut TimeCache::default());
        let text = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
        let raw =
            serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// A node line. `acl` is the resolved list (`None`: the id is missing).
pub struct NodeJson<'a, 'b> {
    /// Path as users see it ("/" for the root).
    pub path: &'b [u8],
    /// Data.
    pub data: Option<&'b [u8]>,
    /// Resolved ACL list.
    pub acl: Option<&'b [Acl<'a>]>,
    /// Persisted stat.
    pub stat: &'b StatPersisted,
    /// Number of children.
    pub num_children: u64,
    /// Extra fields (file, offset, acl_id) when dumping a file; the file
    /// name already as a JSON string ([`jsonw::quoted`]: it is the same on
    /// every line).
    pub origin: Option<(&'b [u8], u64, i64)>,
    /// Data and credentials as stored or redacted.
    pub redact: Redaction,
}

impl NodeJson<'_, '_> {
    /// Appends the line (without newline) to `out`: the fast path for big
    /// snapshots and trees; the same bytes as the serde form of its parts.
    pub fn write(&self, out: &mut Vec<u8>, times: &mut TimeCache) {
        let st = self.stat;
        let mut o = Obj::begin(out);
        field!(o, "type").extend_from_slice(b"\"node\"");
        jsonw::lossy_string(field!(o, "path"), self.path);
        self.redact.json_data(field!(o, "data"), self.data);
        jsonw::acl_as(field!(o, "acl"), self.acl, self.redact);
        {
            let mut s = Obj::begin(field!(o, "stat"));
            jsonw::hex64(field!(s, "czxid"), st.czxid.0);
            jsonw::hex64(field!(s, "mzxid"), st.mzxid.0);
            jsonw::hex64(field!(s, "pzxid"), st.pzxid.0);
            times.write(field!(s, "ctime"), st.ctime);
            times.write(field!(s, "mtime"), st.mtime);
            jsonw::int(field!(s, "version"), i64::from(st.version));
            jsonw::int(field!(s, "cversion"), i64::from(st.cversion));
            jsonw::int(field!(s, "aversion"), i64::from(st.aversion));
            jsonw::hex64(field!(s, "ephemeral_owner"), st.ephemeral_owner);
            jsonw::int(
                field!(s, "data_length"),
                self.data.map_or(0, <[u8]>::len) as i64,
            );
            jsonw::uint(field!(s, "num_children"), self.num_children);
            times.write_ms(field!(s, "ctime_ms"), st.ctime);
            times.write_ms(field!(s, "mtime_ms"), st.mtime);
            s.end();
        }
        if let Some((file, offset, acl_id)) = self.origin {
            field!(o, "file").extend_from_slice(file);
            jsonw::uint(field!(o, "offset"), offset);
            jsonw::int(field!(o, "acl_id"), acl_id);
        }
        o.end();
    }
}

impl Serialize for NodeJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::new();
        self.write(&mut buf, &mut TimeCache::default());
        let text = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
        let raw =
            serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// The `stat` object of a node line.
pub struct StatJson<'b> {
    /// Persisted stat.
    pub stat: &'b StatPersisted,
    /// Derived data length.
    pub data_length: u64,
    /// Derived child count.
    pub num_children: u64,
}

impl Serialize for StatJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.stat;
        let mut m = s.serialize_map(Some(13))?;
        m.serialize_entry("czxid", &hex64(st.czxid.0))?;
        m.serialize_entry("mzxid", &hex64(st.mzxid.0))?;
        m.serialize_entry("pzxid", &hex64(st.pzxid.0))?;
        m.serialize_entry("ctime", &time_json(st.ctime))?;
        m.serialize_entry("mtime", &time_json(st.mtime))?;
        m.serialize_entry("version", &st.version)?;
        m.serialize_entry("cversion", &st.cversion)?;
        m.serialize_entry("aversion", &st.aversion)?;
        m.serialize_entry("ephemeral_owner", &hex64(st.ephemeral_owner))?;
        m.serialize_entry("data_length", &self.data_length)?;
        m.serialize_entry("num_children", &self.num_children)?;
        m.serialize_entry("ctime_ms", &st.ctime)?;
        m.serialize_entry("mtime_ms", &st.mtime)?;
        m.end()
    }
}

/// A session line.
pub fn session_json(session: i64, timeout_ms: i32) -> serde_json::Value {
    serde_json::json!({"type": "session", "session": hex64(session), "timeout_ms": timeout_ms})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zxid::Zxid;

    /// The fast node writer against serde_json over the serde parts.
    #[test]
    fn node_lines_match_serde() {
        let acl = [
            Acl {
                perms: 31,
                scheme: b"world",
                id: b"anyone",
            },
            Acl {
                perms: 0x41,
                scheme: b"digest",
                id: b"u:\"x\\\xff",
            },
            Acl {
                perms: 1,
                scheme: b"digest",
                id: b"bob:hash=",
            },
        ];
        let stat = StatPersisted {
            czxid: Zxid(0x1_0000_0001),
            mzxid: Zxid(-1),
            ctime: 1_795_422_860_025,
            mtime: i64::MAX,
            version: -5,
            cversion: 7,
            aversion: i32::MIN,
            ephemeral_owner: 0x0100_0005_bdca_0001,
            pzxid: Zxid(0),
        };
        let datas: [Option<&[u8]>; 4] =
            [None, Some(b""), Some(b"{\"a\":\"\n\"}"), Some(b"\xff\x00")];
        for data in datas {
            for acl in [None, Some(&acl[..]), Some(&acl[..0])] {
                let file = jsonw::quoted("dir/snap\"shot.1");
                for (origin, redact) in [
                    (None, Redaction::Off),
                    (Some((&file[..], 1234u64, -1i64)), Redaction::Off),
                    (None, Redaction::On),
                ] {
                    let node = NodeJson {
                        path: b"/a/\xc3\"b",
                        data,
                        acl,
                        stat: &stat,
                        num_children: 3,
                        origin,
                        redact,
                    };
                    let mut fast = Vec::new();
                    node.write(&mut fast, &mut TimeCache::default());
                    let j = |x: &dyn erased::Ser| x.text();
                    let mut slow = format!(
                        r#"{{"type":"node","path":{},"data":{},"acl":{},"stat":{}"#,
                        j(&lossy(node.path)),
                        j(&DataJson(data, redact)),
                        j(&AclListJson(acl, redact)),
                        j(&StatJson {
                            stat: &stat,
                            data_length: data.map_or(0, <[u8]>::len) as u64,
                            num_children: 3,
                        })
                    );
                    if origin.is_some() {
                        let (f, off, id) = ("dir/snap\"shot.1", 1234, -1);
                        slow += &format!(r#","file":{},"offset":{off},"acl_id":{id}"#, j(&f));
                    }
                    slow.push('}');
                    assert_eq!(String::from_utf8(fast).unwrap(), slow);
                }
            }
        }
    }

    mod erased {
        pub trait Ser {
            fn text(&self) -> String;
        }
        impl<T: serde::Serialize> Ser for T {
            fn text(&self) -> String {
                serde_json::to_string(self).unwrap()
            }
        }
    }
}
