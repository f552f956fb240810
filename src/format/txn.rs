//! Transactions: the `TxnHeader`, the body chosen by the header's type, and
//! the optional `TxnDigest` trailer (3.6+).
//!
//! ```text
//! TxnHeader (32 bytes)  long clientId; int cxid; long zxid; long time; int type
//! body                  record selected by type (see TxnBody), absent for some
//! TxnDigest (12 bytes)  int version; long treeDigest      (optional, 3.6+)
//! ```
//!
//! Mirrors `SerializeUtils.deserializeTxn`. Because the entry length is known,
//! the body and digest are decided by the bytes that remain rather than by
//! reader flags, so logs from 3.4 to 3.9 all decode (FORMAT.md §3.3).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};
use super::jute::{AclList, Limits};
use crate::zxid::{SessionId, Zxid};

/// A ZooKeeper `OpCode` (the txn header's `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpCode(pub i32);

impl OpCode {
    /// `create` (CreateTxn, or CreateTxnV0 in old logs).
    pub const CREATE: OpCode = OpCode(1);
    /// `delete` (DeleteTxn).
    pub const DELETE: OpCode = OpCode(2);
    /// `setData` (SetDataTxn).
    pub const SET_DATA: OpCode = OpCode(5);
    /// `setACL` (SetACLTxn).
    pub const SET_ACL: OpCode = OpCode(7);
    /// `check` (CheckVersionTxn, only inside a multi).
    pub const CHECK: OpCode = OpCode(13);
    /// `multi` (MultiTxn).
    pub const MULTI: OpCode = OpCode(14);
    /// `create2` (CreateTxn).
    pub const CREATE2: OpCode = OpCode(15);
    /// `reconfig` (SetDataTxn on /zookeeper/config).
    pub const RECONFIG: OpCode = OpCode(16);
    /// `createContainer` (CreateContainerTxn).
    pub const CREATE_CONTAINER: OpCode = OpCode(19);
    /// `deleteContainer` (DeleteTxn).
    pub const DELETE_CONTAINER: OpCode = OpCode(20);
    /// `createTtl` (CreateTTLTxn).
    pub const CREATE_TTL: OpCode = OpCode(21);
    /// `createSession` (CreateSessionTxn).
    pub const CREATE_SESSION: OpCode = OpCode(-10);
    /// `closeSession` (CloseSessionTxn in 3.6+, else no body).
    pub const CLOSE_SESSION: OpCode = OpCode(-11);
    /// `error` (ErrorTxn).
    pub const ERROR: OpCode = OpCode(-1);

    /// ZooKeeper's display name (`Request.op2String`) for op codes that appear in logs.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "create",
            2 => "delete",
            5 => "setData",
            7 => "setACL",
            13 => "check",
            14 => "multi",
            15 => "create2",
            16 => "reconfig",
            19 => "createContainer",
            20 => "deleteContainer",
            21 => "createTtl",
            -10 => "createSession",
            -11 => "closeSession",
            -1 => "error",
            _ => return None,
        })
    }

    /// Looks an op code up by its display name.
    pub fn from_name(name: &str) -> Option<OpCode> {
        ALL_LOGGED_OPS
            .iter()
            .copied()
            .find(|op| op.name() == Some(name))
    }

    /// The display name, or `unknown(N)`.
    pub fn display_name(self) -> String {
        match self.name() {
            Some(n) => n.to_string(),
            None => format!("unknown({})", self.0),
        }
    }
}

/// Every op code that can appear in a txn log, in op-code order.
pub const ALL_LOGGED_OPS: [OpCode; 14] = [
    OpCode::ERROR,
    OpCode::CLOSE_SESSION,
    OpCode::CREATE_SESSION,
    OpCode::CREATE,
    OpCode::DELETE,
    OpCode::SET_DATA,
    OpCode::SET_ACL,
    OpCode::CHECK,
    OpCode::MULTI,
    OpCode::CREATE2,
    OpCode::RECONFIG,
    OpCode::CREATE_CONTAINER,
    OpCode::DELETE_CONTAINER,
    OpCode::CREATE_TTL,
];

/// `KeeperException.Code` name for an error code, e.g. -110 → `NodeExists`.
pub fn error_name(code: i32) -> Option<&'static str> {
    Some(match code {
        0 => "Ok",
        -1 => "SystemError",
        -2 => "RuntimeInconsistency",
        -3 => "DataInconsistency",
        -4 => "ConnectionLoss",
        -5 => "MarshallingError",
        -6 => "Unimplemented",
        -7 => "OperationTimeout",
        -8 => "BadArguments",
        -12 => "UnknownSession",
        -13 => "NewConfigNoQuorum",
        -14 => "ReconfigInProgress",
        -100 => "APIError",
        -101 => "NoNode",
        -102 => "NoAuth",
        -103 => "BadVersion",
        -108 => "NoChildrenForEphemerals",
        -110 => "NodeExists",
        -111 => "NotEmpty",
        -112 => "SessionExpired",
        -113 => "InvalidCallback",
        -114 => "InvalidACL",
        -115 => "AuthFailed",
        -118 => "SessionMoved",
        -119 => "NotReadOnly",
        -120 => "EphemeralOnLocalSession",
        -121 => "NoWatcher",
        -122 => "RequestTimeout",
        -123 => "ReconfigDisabled",
        -124 => "SessionClosedRequireSaslAuth",
        -125 => "QuotaExceeded",
        -127 => "Throttled",
        _ => return None,
    })
}

/// Size of a `TxnHeader`.
pub const TXN_HEADER_LEN: usize = 32;
/// Size of a `TxnDigest`.
pub const TXN_DIGEST_LEN: usize = 12;

/// The header every txn starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnHeader {
    /// The session (clientId); 0 for server-internal txns.
    pub session: SessionId,
    /// The client's request xid.
    pub cxid: i32,
    /// The txn id.
    pub zxid: Zxid,
    /// Leader wall clock in ms since the epoch (becomes ctime/mtime).
    pub time: i64,
    /// The txn type.
    pub op: OpCode,
}

impl TxnHeader {
    /// Reads a `TxnHeader`.
    pub fn read(c: &mut Cursor<'_>) -> Result<TxnHeader, DecodeError> {
        Ok(TxnHeader {
            session: SessionId(c.read_i64()?),
            cxid: c.read_i32()?,
            zxid: Zxid(c.read_i64()?),
            time: c.read_i64()?,
            op: OpCode(c.read_i32()?),
        })
    }
}

/// The tree digest a 3.6+ leader appends to a txn: the digest after applying it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnDigest {
    /// Digest algorithm version (2 in every release).
    pub version: i32,
    /// The tree digest.
    pub tree: i64,
}

/// The body of a txn or of a multi sub-txn, by record shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnBody<'a> {
    /// `CreateSessionTxn`.
    CreateSession {
        /// Negotiated session timeout in ms.
        timeout_ms: i32,
    },
    /// `CloseSessionTxn`; `paths` is `None` when the entry has no body (3.4/3.5).
    CloseSession {
        /// Ephemerals the leader expected to delete.
        paths: Option<Vec<&'a [u8]>>,
    },
    /// `CreateTxn`, `CreateTxnV0`, `CreateContainerTxn` or `CreateTTLTxn`.
    Create(CreateTxn<'a>),
    /// `DeleteTxn` (delete and deleteContainer).
    Delete {
        /// The node.
        path: &'a [u8],
    },
    /// `SetDataTxn` (setData and reconfig).
    SetData {
        /// The node.
        path: &'a [u8],
        /// New data; `None` for null.
        data: Option<&'a [u8]>,
        /// Resulting data version (absolute).
        version: i32,
    },
    /// `SetACLTxn`.
    SetAcl {
        /// The node.
        path: &'a [u8],
        /// New ACL list; `None` for a null vector.
        acl: Option<AclList<'a>>,
        /// Resulting ACL version (absolute).
        version: i32,
    },
    /// `CheckVersionTxn` (inside multi): version is current + 1.
    Check {
        /// The node.
        path: &'a [u8],
        /// The version recorded.
        version: i32,
    },
    /// `ErrorTxn`.
    Error {
        /// A `KeeperException.Code` (for a rewritten sub-txn, its record's
        /// first four bytes, as ZooKeeper reads them).
        err: i32,
        /// A failed multi's sub-txn whose type ZooKeeper had already set to
        /// `error` when the txn was logged, but whose bytes are still the
        /// original record (`DataTree.processTxn` marks the sub-txns of a
        /// failed multi in memory, racing the log writer): that record.
        rewritten: Option<Box<SubTxn<'a>>>,
    },
    /// `MultiTxn`.
    Multi {
        /// Sub-txns in order.
        ops: Vec<SubTxn<'a>>,
    },
    /// A multi sub-txn of a type DataTree refuses inside a multi (setACL,
    /// sessions, nested multi); kept raw. Replay stops the multi there.
    Invalid {
        /// The sub-txn's raw data.
        data: &'a [u8],
    },
}

/// The create family: which fields exist depends on the op code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateTxn<'a> {
    /// The node, with any sequential suffix already applied.
    pub path: &'a [u8],
    /// Data; `None` for null.
    pub data: Option<&'a [u8]>,
    /// ACL list; `None` for a null vector.
    pub acl: Option<AclList<'a>>,
    /// `ephemeral` flag (create/create2 only).
    pub ephemeral: Option<bool>,
    /// Parent cversion after the create; -1 = compute at apply time (V0).
    pub parent_cversion: i32,
    /// TTL in ms (createTtl only).
    pub ttl_ms: Option<i64>,
    /// True when decoded as `CreateTxnV0` (no parentCVersion on disk).
    pub v0: bool,
}

/// One sub-txn of a multi: its own type, and the outer header's ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubTxn<'a> {
    /// The sub-txn type.
    pub op: OpCode,
    /// Its decoded record.
    pub body: TxnBody<'a>,
}

/// A fully decoded txn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn<'a> {
    /// The header.
    pub header: TxnHeader,
    /// The body.
    pub body: TxnBody<'a>,
    /// The digest trailer, when present.
    pub digest: Option<TxnDigest>,
    /// Bytes after body and digest that ZooKeeper's reader ignores (normally 0).
    pub ignored_bytes: u32,
}

impl<'a> Txn<'a> {
    /// Decodes the txn bytes of one log entry; `base` is their absolute offset.
    pub fn decode(bytes: &'a [u8], base: u64, limits: &Limits) -> Result<Txn<'a>, DecodeError> {
        let mut c = Cursor::new(bytes, base);
        let header = TxnHeader::read(&mut c)?;
        let body = if header.op == OpCode::CLOSE_SESSION {
            // No body at all (3.4/3.5), digest only, or CloseSessionTxn [+ digest].
            match c.remaining() {
                0 | TXN_DIGEST_LEN => TxnBody::CloseSession { paths: None },
                _ => read_close_session(&mut c, limits)?,
            }
        } else {
            read_body(&mut c, header.op, limits, false)?
        };
        let (digest, ignored_bytes) = read_digest_trailer(&mut c)?;
        Ok(Txn {
            header,
            body,
            digest,
            ignored_bytes,
        })
    }

    /// Paths this txn touches (the multi's sub-ops included).
    pub fn paths(&self) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        self.body.collect_paths(&mut out);
        out
    }
}

impl<'a> TxnBody<'a> {
    fn collect_paths(&self, out: &mut Vec<&'a [u8]>) {
        match self {
            TxnBody::Create(c) => out.push(c.path),
            TxnBody::Delete { path }
            | TxnBody::SetData { path, .. }
            | TxnBody::SetAcl { path, .. }
            | TxnBody::Check { path, .. } => out.push(path),
            TxnBody::CloseSession { paths: Some(p) } => out.extend(p.iter().copied()),
            TxnBody::Multi { ops } => ops.iter().for_each(|op| op.body.collect_paths(out)),
            _ => {}
        }
    }
}

/// After the body: nothing, a 12-byte digest, or bytes the reader ignores.
fn read_digest_trailer(c: &mut Cursor<'_>) -> Result<(Option<TxnDigest>, u32), DecodeError> {
    let left = c.remaining();
    if left < TXN_DIGEST_LEN {
        // ZooKeeper tries to read a digest, hits EOF, and treats it as absent.
        return Ok((None, left as u32));
    }
    let digest = TxnDigest {
        version: c.read_i32()?,
        tree: c.read_i64()?,
    };
    Ok((Some(digest), c.remaining() as u32))
}

fn read_close_session<'a>(c: &mut Cursor<'a>, limits: &Limits) -> Result<TxnBody<'a>, DecodeError> {
    // Each path takes at least its 4-byte length.
    let count = c.read_vector_count(4)?;
    let paths = match count {
        None => Vec::new(),
        Some(n) => {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(c.read_string(limits, "closeSession path")?);
            }
            v
        }
    };
    Ok(TxnBody::CloseSession { paths: Some(paths) })
}

/// Decodes the record for `op`. `in_multi` selects the sub-txn rules.
fn read_body<'a>(
    c: &mut Cursor<'a>,
    op: OpCode,
    limits: &Limits,
    in_multi: bool,
) -> Result<TxnBody<'a>, DecodeError> {
    let at = *c;
    Ok(match op {
        OpCode::CREATE_SESSION if !in_multi => TxnBody::CreateSession {
            timeout_ms: c.read_i32()?,
        },
        OpCode::CREATE | OpCode::CREATE2 => {
            let path = c.read_string(limits, "path")?;
            let data = c.read_buffer(limits)?;
            let acl = c.read_acl_list(limits)?;
            let ephemeral = c.read_bool()?;
            // CreateTxnV0 lacks parentCVersion; only type 1 falls back to it.
            let (parent_cversion, v0) = match c.read_i32() {
                Ok(v) => (v, false),
                Err(e) if op == OpCode::CREATE && c.remaining() < 4 => {
                    let _ = e;
                    (-1, true)
                }
                Err(e) => return Err(e),
            };
            TxnBody::Create(CreateTxn {
                path,
                data,
                acl,
                ephemeral: Some(ephemeral),
                parent_cversion,
                ttl_ms: None,
                v0,
            })
        }
        OpCode::CREATE_CONTAINER => TxnBody::Create(CreateTxn {
            path: c.read_string(limits, "path")?,
            data: c.read_buffer(limits)?,
            acl: c.read_acl_list(limits)?,
            ephemeral: None,
            parent_cversion: c.read_i32()?,
            ttl_ms: None,
            v0: false,
        }),
        OpCode::CREATE_TTL => TxnBody::Create(CreateTxn {
            path: c.read_string(limits, "path")?,
            data: c.read_buffer(limits)?,
            acl: c.read_acl_list(limits)?,
            ephemeral: None,
            parent_cversion: c.read_i32()?,
            ttl_ms: Some(c.read_i64()?),
            v0: false,
        }),
        OpCode::DELETE | OpCode::DELETE_CONTAINER => TxnBody::Delete {
            path: c.read_string(limits, "path")?,
        },
        OpCode::SET_DATA | OpCode::RECONFIG if !(in_multi && op == OpCode::RECONFIG) => {
            TxnBody::SetData {
                path: c.read_string(limits, "path")?,
                data: c.read_buffer(limits)?,
                version: c.read_i32()?,
            }
        }
        OpCode::SET_ACL if !in_multi => TxnBody::SetAcl {
            path: c.read_string(limits, "path")?,
            acl: c.read_acl_list(limits)?,
            version: c.read_i32()?,
        },
        OpCode::CHECK if in_multi => TxnBody::Check {
            path: c.read_string(limits, "path")?,
            version: c.read_i32()?,
        },
        OpCode::ERROR if in_multi && c.remaining() > 4 => {
            let rewritten = rewritten_record(*c, limits).map(Box::new);
            let err = c.read_i32()?;
            // The rest belongs to the record it really holds.
            let _ = c.rest();
            TxnBody::Error { err, rewritten }
        }
        OpCode::ERROR => TxnBody::Error {
            err: c.read_i32()?,
            rewritten: None,
        },
        OpCode::MULTI if !in_multi => read_multi(c, limits)?,
        _ if in_multi => TxnBody::Invalid { data: c.rest() },
        _ => return Err(at.error(DecodeErrorKind::UnknownOpCode(op.0))),
    })
}

/// The record an `error` sub-txn of more than four bytes really holds: the
/// first sub-txn type whose record takes exactly these bytes and names an
/// absolute path.
fn rewritten_record<'a>(c: Cursor<'a>, limits: &Limits) -> Option<SubTxn<'a>> {
    [
        OpCode::CREATE,
        OpCode::CREATE_TTL,
        OpCode::CREATE_CONTAINER,
        OpCode::SET_DATA,
        OpCode::CHECK,
        OpCode::DELETE,
    ]
    .into_iter()
    .find_map(|op| {
        let mut c = c;
        let body = read_body(&mut c, op, limits, true).ok()?;
        let path = match &body {
            TxnBody::Create(t) => t.path,
            TxnBody::SetData { path, .. }
            | TxnBody::Check { path, .. }
            | TxnBody::Delete { path } => path,
            _ => return None,
        };
        (c.remaining() == 0 && path.starts_with(b"/")).then_some(SubTxn { op, body })
    })
}

fn read_multi<'a>(c: &mut Cursor<'a>, limits: &Limits) -> Result<TxnBody<'a>, DecodeError> {
    // A Txn record takes at least 8 bytes: type and buffer length.
    let count = c.read_vector_count(8)?.unwrap_or(0);
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let op = OpCode(c.read_i32()?);
        let data_at = c.offset() + 4;
        let at = *c;
        let data = c
            .read_buffer(limits)?
            .ok_or_else(|| at.error(DecodeErrorKind::UnexpectedNull("multi sub-txn data")))?;
        let mut sub = Cursor::new(data, data_at);
        let body = read_body(&mut sub, op, limits, true)?;
        ops.push(SubTxn { op, body });
    }
    Ok(TxnBody::Multi { ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(op: i32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0x0100_0005_bdca_0000_i64.to_be_bytes());
        v.extend_from_slice(&7_i32.to_be_bytes());
        v.extend_from_slice(&0x1f_i64.to_be_bytes());
        v.extend_from_slice(&1_700_000_000_000_i64.to_be_bytes());
        v.extend_from_slice(&op.to_be_bytes());
        v
    }

    fn jstr(v: &mut Vec<u8>, s: &[u8]) {
        v.extend_from_slice(&(s.len() as i32).to_be_bytes());
        v.extend_from_slice(s);
    }

    #[test]
    fn close_session_shapes_are_decided_by_length() {
        let l = Limits::default();
        let bare = header(-11);
        let t = Txn::decode(&bare, 0, &l).unwrap();
        assert_eq!(t.body, TxnBody::CloseSession { paths: None });
        assert_eq!(t.digest, None);

        let mut digest_only = header(-11);
        digest_only.extend_from_slice(&2_i32.to_be_bytes());
        digest_only.extend_from_slice(&42_i64.to_be_bytes());
        let t = Txn::decode(&digest_only, 0, &l).unwrap();
        assert_eq!(t.body, TxnBody::CloseSession { paths: None });
        assert_eq!(
            t.digest,
            Some(TxnDigest {
                version: 2,
                tree: 42
            })
        );

        let mut with_paths = header(-11);
        with_paths.extend_from_slice(&1_i32.to_be_bytes());
        jstr(&mut with_paths, b"/app/eph");
        let t = Txn::decode(&with_paths, 0, &l).unwrap();
        assert_eq!(
            t.body,
            TxnBody::CloseSession {
                paths: Some(vec![&b"/app/eph"[..]])
            }
        );
    }

    #[test]
    fn create_v0_falls_back_only_for_type_1() {
        let l = Limits::default();
        let mut v0 = header(1);
        jstr(&mut v0, b"/a");
        jstr(&mut v0, b"x");
        v0.extend_from_slice(&0_i32.to_be_bytes()); // empty ACL vector
        v0.push(1); // ephemeral
        let t = Txn::decode(&v0, 0, &l).unwrap();
        let TxnBody::Create(c) = t.body else { panic!() };
        assert!(c.v0);
        assert_eq!(c.parent_cversion, -1);
        assert_eq!(c.ephemeral, Some(true));

        let mut v0_as_create2 = v0.clone();
        v0_as_create2[28..32].copy_from_slice(&15_i32.to_be_bytes());
        let e = Txn::decode(&v0_as_create2, 0x10, &l).unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::UnexpectedEof { .. }));
        assert_eq!(e.offset(), 0x10 + v0.len() as u64);
    }

    #[test]
    fn top_level_check_is_unknown_like_in_zookeeper() {
        let mut t = header(13);
        jstr(&mut t, b"/a");
        t.extend_from_slice(&1_i32.to_be_bytes());
        let e = Txn::decode(&t, 0x100, &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), &DecodeErrorKind::UnknownOpCode(13));
        assert_eq!(e.offset(), 0x100 + 32);
    }

    #[test]
    fn error_name_and_op_names() {
        assert_eq!(error_name(-110), Some("NodeExists"));
        assert_eq!(OpCode::from_name("createTtl"), Some(OpCode::CREATE_TTL));
        assert_eq!(OpCode(99).display_name(), "unknown(99)");
    }
}
