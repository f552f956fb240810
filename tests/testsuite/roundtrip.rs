//! Writer → reader round trips. The strongest form: re-encoding every real
//! ZooKeeper entry and snapshot reproduces the original bytes exactly.

use proptest::prelude::*;
use zkdd::format::compress::{Compression, decompress};
use zkdd::format::jute::{Acl, AclList, Limits};
use zkdd::format::snapshot::{Snapshot, SnapshotEnd, StatPersisted};
use zkdd::format::txn::{CreateTxn, OpCode, SubTxn, Txn, TxnBody, TxnDigest, TxnHeader};
use zkdd::format::txnlog::{IterOptions, LogEnd, TxnLog};
use zkdd::format::write::{SnapshotWriter, TxnLogWriter, compress, encode_txn};
use zkdd::zxid::{SessionId, Zxid};

use crate::common;

#[test]
fn every_real_entry_reencodes_to_the_same_bytes() {
    let mut entries = 0;
    for dir in common::all_data_dirs() {
        for path in common::files(&dir, "log.") {
            let bytes = std::fs::read(&path).unwrap();
            let log = TxnLog::parse(&bytes).unwrap();
            let mut rewritten = TxnLogWriter::new();
            let mut it = log.entries(IterOptions::default());
            for e in &mut it {
                assert_eq!(
                    encode_txn(&e.txn),
                    e.bytes,
                    "{} entry at {:#x}",
                    path.display(),
                    e.offset
                );
                rewritten.append(&e.txn);
                entries += 1;
            }
            // The rewritten log holds the same framed entries as the original.
            let end = it.end().unwrap().offset() as usize;
            let out = rewritten.finish(None);
            assert_eq!(&out[..], &bytes[..end.min(out.len())], "{}", path.display());
            if !matches!(
                it.end(),
                Some(LogEnd::TornTail { .. } | LogEnd::PartialRecord { .. })
            ) {
                assert_eq!(out.len(), end, "{}", path.display());
            }
        }
    }
    assert!(entries > 500, "only {entries} entries in the fixtures");
}

#[test]
fn every_real_snapshot_rewrites_to_the_same_stream() {
    let mut checked = 0;
    for dir in common::all_data_dirs() {
        for path in common::files(&dir, "snapshot.") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let compression = if name.ends_with(".gz") {
                Compression::Gzip
            } else if name.ends_with(".snappy") {
                Compression::Snappy
            } else {
                Compression::None
            };
            let file = std::fs::read(&path).unwrap();
            let d = decompress(&file, compression);
            assert!(d.error.is_none(), "{name}: {:?}", d.error);
            let snap = Snapshot::parse(&d.data, Limits::default()).unwrap();
            let sessions: Vec<(SessionId, i32)> = snap
                .sessions()
                .iter()
                .map(|s| (s.session, s.timeout_ms))
                .collect();
            let acls: Vec<(i64, Vec<Acl<'_>>)> = snap
                .acl_cache()
                .iter()
                .map(|e| (e.id, e.acl.as_deref().unwrap().to_vec()))
                .collect();
            let mut w = SnapshotWriter::new(Vec::new(), &sessions, &acls).unwrap();
            let mut it = snap.nodes();
            for n in &mut it {
                w.node(n.path, n.data, n.acl_id, &n.stat).unwrap();
            }
            let Some(SnapshotEnd::Complete(t)) = it.end() else {
                panic!("{name}: {:?}", it.end())
            };
            t.check_seals().unwrap();
            let digest = t.digest.as_ref().map(|d| (d.zxid, d.value().unwrap()));
            // 3.9 adds its lastProcessedZxid section.
            let out = w.finish_with(digest, t.last_processed_zxid).unwrap();
            assert_eq!(out, d.data, "{name}: rewritten stream differs");
            // And the container round-trips too.
            if compression != Compression::None {
                let again = decompress(&compress(&out, compression).unwrap(), compression);
                assert_eq!(again.data, d.data, "{name}");
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} snapshots");
}

fn arb_bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop::collection::vec(any::<u8>(), 0..40))
}

fn arb_path() -> impl Strategy<Value = Vec<u8>> {
    "(/[a-zü0-9]{1,6}){1,3}".prop_map(String::into_bytes)
}

fn arb_acl() -> impl Strategy<Value = Option<Vec<(i32, String, String)>>> {
    prop::option::of(prop::collection::vec(
        (0..32i32, "[a-z]{1,6}", "[a-z0-9:.]{0,10}"),
        0..3,
    ))
}

#[derive(Debug, Clone)]
enum Shape {
    Create(
        u8,
        Vec<u8>,
        Option<Vec<u8>>,
        Option<Vec<(i32, String, String)>>,
        bool,
        i32,
        i64,
    ),
    Delete(Vec<u8>),
    SetData(Vec<u8>, Option<Vec<u8>>, i32),
    SetAcl(Vec<u8>, Option<Vec<(i32, String, String)>>, i32),
    Session(i32),
    Close(Option<Vec<Vec<u8>>>),
    Error(i32),
    Multi(Vec<(Vec<u8>, i32)>),
}

fn arb_shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (
            0..4u8,
            arb_path(),
            arb_bytes(),
            arb_acl(),
            any::<bool>(),
            any::<i32>(),
            0..1_000_000i64
        )
            .prop_map(|(k, p, d, a, e, v, t)| Shape::Create(k, p, d, a, e, v, t)),
        arb_path().prop_map(Shape::Delete),
        (arb_path(), arb_bytes(), any::<i32>()).prop_map(|(p, d, v)| Shape::SetData(p, d, v)),
        (arb_path(), arb_acl(), any::<i32>()).prop_map(|(p, a, v)| Shape::SetAcl(p, a, v)),
        any::<i32>().prop_map(Shape::Session),
        prop::option::of(prop::collection::vec(arb_path(), 0..3)).prop_map(Shape::Close),
        any::<i32>().prop_map(Shape::Error),
        prop::collection::vec((arb_path(), any::<i32>()), 1..4).prop_map(Shape::Multi),
    ]
}

fn acl_of(a: &Option<Vec<(i32, String, String)>>) -> Option<AclList<'_>> {
    a.as_ref().map(|l| {
        l.iter()
            .map(|(p, s, i)| Acl {
                perms: *p,
                scheme: s.as_bytes(),
                id: i.as_bytes(),
            })
            .collect()
    })
}

fn build<'a>(shape: &'a Shape, zxid: i64, digest: Option<TxnDigest>) -> Txn<'a> {
    let (op, body) = match shape {
        Shape::Create(kind, path, data, acl, eph, pcv, ttl) => {
            let op = [
                OpCode::CREATE,
                OpCode::CREATE2,
                OpCode::CREATE_CONTAINER,
                OpCode::CREATE_TTL,
            ][*kind as usize];
            let ephemeral = (*kind < 2).then_some(*eph);
            let ttl_ms = (*kind == 3).then_some(*ttl);
            let c = CreateTxn {
                path,
                data: data.as_deref(),
                acl: acl_of(acl),
                ephemeral,
                parent_cversion: *pcv,
                ttl_ms,
                v0: false,
            };
            (op, TxnBody::Create(c))
        }
        Shape::Delete(p) => (OpCode::DELETE, TxnBody::Delete { path: p }),
        Shape::SetData(p, d, v) => (
            OpCode::SET_DATA,
            TxnBody::SetData {
                path: p,
                data: d.as_deref(),
                version: *v,
            },
        ),
        Shape::SetAcl(p, a, v) => (
            OpCode::SET_ACL,
            TxnBody::SetAcl {
                path: p,
                acl: acl_of(a),
                version: *v,
            },
        ),
        Shape::Session(t) => (
            OpCode::CREATE_SESSION,
            TxnBody::CreateSession { timeout_ms: *t },
        ),
        Shape::Close(paths) => (
            OpCode::CLOSE_SESSION,
            TxnBody::CloseSession {
                paths: paths.as_ref().map(|v| v.iter().map(|p| &p[..]).collect()),
            },
        ),
        Shape::Error(e) => (
            OpCode::ERROR,
            TxnBody::Error {
                err: *e,
                rewritten: None,
            },
        ),
        Shape::Multi(ops) => (
            OpCode::MULTI,
            TxnBody::Multi {
                ops: ops
                    .iter()
                    .map(|(p, v)| SubTxn {
                        op: OpCode::CHECK,
                        body: TxnBody::Check {
                            path: p,
                            version: *v,
                        },
                    })
                    .collect(),
            },
        ),
    };
    Txn {
        header: TxnHeader {
            session: SessionId(0x100_0000_0000 + zxid),
            cxid: zxid as i32,
            zxid: Zxid(zxid),
            time: 1_700_000_000_000 + zxid,
            op,
        },
        body,
        digest,
        ignored_bytes: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn written_logs_read_back_identically(shapes in prop::collection::vec(arb_shape(), 1..20), with_digest in any::<bool>()) {
        let txns: Vec<Txn<'_>> = shapes.iter().enumerate().map(|(i, s)| {
            build(s, i as i64 + 1, with_digest.then_some(TxnDigest { version: 2, tree: i as i64 * 7919 }))
        }).collect();
        let mut w = TxnLogWriter::new();
        for t in &txns { w.append(t); }
        let bytes = w.finish(Some(64 * 1024));
        let log = TxnLog::parse(&bytes).unwrap();
        let mut it = log.entries(IterOptions::default());
        let read: Vec<Txn<'_>> = (&mut it).map(|e| e.txn).collect();
        prop_assert_eq!(read, txns);
        prop_assert!(it.end().unwrap().is_clean(), "{:?}", it.end());
    }

    #[test]
    fn written_snapshots_read_back_identically(
        nodes in prop::collection::btree_map(arb_path(), (arb_bytes(), any::<[i64; 5]>(), any::<[i32; 3]>(), any::<i64>()), 0..30),
        sessions in prop::collection::vec((any::<i64>(), any::<i32>()), 0..5),
        compression in prop_oneof![Just(Compression::None), Just(Compression::Gzip), Just(Compression::Snappy)],
    ) {
        let sessions: Vec<(SessionId, i32)> = sessions.into_iter().map(|(s, t)| (SessionId(s), t)).collect();
        let acl = vec![(1i64, vec![Acl { perms: 31, scheme: b"world", id: b"anyone" }])];
        let mut w = SnapshotWriter::new(Vec::new(), &sessions, &acl).unwrap();
        let mut written = Vec::new();
        for (path, (data, z, v, owner)) in &nodes {
            let stat = StatPersisted { czxid: Zxid(z[0]), mzxid: Zxid(z[1]), ctime: z[2], mtime: z[3], version: v[0], cversion: v[1], aversion: v[2], ephemeral_owner: *owner, pzxid: Zxid(z[4]) };
            w.node(path, data.as_deref(), 1, &stat).unwrap();
            written.push((path.clone(), data.clone(), stat));
        }
        let stream = w.finish(Some((Zxid(42), -5))).unwrap();
        let file = compress(&stream, compression).unwrap();
        let d = decompress(&file, compression);
        prop_assert!(d.error.is_none());
        let snap = Snapshot::parse(&d.data, Limits::default()).unwrap();
        prop_assert_eq!(snap.sessions().len(), sessions.len());
        let mut it = snap.nodes();
        let read: Vec<_> = (&mut it).map(|n| (n.path.to_vec(), n.data.map(<[u8]>::to_vec), n.stat)).collect();
        prop_assert_eq!(read, written);
        let Some(SnapshotEnd::Complete(t)) = it.end() else { panic!("{:?}", it.end()) };
        prop_assert!(t.check_seals().is_ok());
        prop_assert_eq!(t.seals.len(), 2);
        prop_assert_eq!(t.digest.as_ref().map(|d| (d.zxid, d.value())), Some((Zxid(42), Some(-5))));
    }
}
