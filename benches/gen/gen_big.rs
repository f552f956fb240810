//! Makes a large synthetic data dir for `benches/replay.sh`: a snapshot of
//! NODES nodes (100-byte values under 1000 parents) and one log of about
//! LOG_MB megabytes of setData/create/delete txns (with digests) after it.
//!
//! Usage: cargo run --release --example gen_big -- DIR [NODES] [LOG_MB]
#![allow(clippy::print_stderr)] // a command-line tool reporting progress

use std::io::{BufWriter, Write};

use zkdd::format::checksum::adler32;
use zkdd::format::jute::Acl;
use zkdd::format::txn::{CreateTxn, OpCode, Txn, TxnBody, TxnDigest, TxnHeader};
use zkdd::format::write::encode_txn;
use zkdd::tree::DataTree;
use zkdd::zxid::{SessionId, Zxid};

const ACL: [Acl<'static>; 1] = [Acl {
    perms: 31,
    scheme: b"world",
    id: b"anyone",
}];

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).expect("DIR"));
    let nodes: u64 = args.get(2).map_or(1_000_000, |s| s.parse().expect("NODES"));
    let log_mb: u64 = args.get(3).map_or(1024, |s| s.parse().expect("LOG_MB"));
    let v2 = dir.join("version-2");
    std::fs::create_dir_all(&v2)?;
    let mut tree = DataTree::new();
    let mut zxid = 0i64;
    let value = [b'v'; 100];
    let apply = |tree: &mut DataTree, op: OpCode, body: TxnBody<'_>, zxid: i64| {
        let txn = Txn {
            header: TxnHeader {
                session: SessionId(0x1000_0000_0000_0001),
                cxid: zxid as i32,
                zxid: Zxid(zxid),
                time: 1_700_000_000_000 + zxid,
                op,
            },
            body,
            digest: None,
            ignored_bytes: 0,
        };
        tree.apply(&txn);
        txn.header
    };
    let parents = 1000.min(nodes.max(1));
    let mut paths = Vec::new();
    for p in 0..parents {
        paths.push(format!("/b{p:04}"));
    }
    for i in 0..nodes {
        paths.push(format!("/b{:04}/n{i:08}", i % parents));
    }
    for p in &paths {
        zxid += 1;
        let body = TxnBody::Create(CreateTxn {
            path: p.as_bytes(),
            data: Some(&value),
            acl: Some(ACL.to_vec().into()),
            ephemeral: Some(false),
            parent_cversion: -1,
            ttl_ms: None,
            v0: false,
        });
        apply(&mut tree, OpCode::CREATE, body, zxid);
    }
    let snap = std::fs::File::create(v2.join(format!("snapshot.{zxid:x}")))?;
    let mut w = tree.write_snapshot(BufWriter::new(snap), Zxid(zxid))?;
    w.flush()?;
    eprintln!("snapshot.{zxid:x}: {} nodes", tree.node_count());

    let log = std::fs::File::create(v2.join(format!("log.{:x}", zxid + 1)))?;
    let mut out = BufWriter::with_capacity(1 << 20, log);
    out.write_all(b"ZKLG\0\0\0\x02\0\0\0\0\0\0\0\0")?;
    let big = vec![b'd'; 1000];
    let mut written = 16u64;
    let mut i = 0u64;
    while written < log_mb << 20 {
        zxid += 1;
        i += 1;
        let target = &paths[(parents + (i * 7919) % nodes) as usize];
        let (op, body) = match i % 10 {
            0 => (
                OpCode::DELETE,
                TxnBody::Delete {
                    path: target.as_bytes(),
                },
            ),
            1 => (
                OpCode::CREATE,
                TxnBody::Create(CreateTxn {
                    path: target.as_bytes(),
                    data: Some(&big),
                    acl: Some(ACL.to_vec().into()),
                    ephemeral: Some(false),
                    parent_cversion: -1,
                    ttl_ms: None,
                    v0: false,
                }),
            ),
            _ => (
                OpCode::SET_DATA,
                TxnBody::SetData {
                    path: target.as_bytes(),
                    data: Some(&big),
                    version: i as i32,
                },
            ),
        };
        let header = apply(&mut tree, op, body.clone(), zxid);
        let mut txn = Txn {
            header,
            body,
            digest: Some(TxnDigest {
                version: 2,
                tree: tree.digest(),
            }),
            ignored_bytes: 0,
        };
        if let TxnBody::Create(c) = &mut txn.body {
            c.parent_cversion = tree
                .get(&target.as_bytes()[..6])
                .map_or(-1, |p| p.stat().cversion);
        }
        let bytes = encode_txn(&txn);
        out.write_all(&i64::from(adler32(&bytes)).to_be_bytes())?;
        out.write_all(&(bytes.len() as i32).to_be_bytes())?;
        out.write_all(&bytes)?;
        out.write_all(&[0x42])?;
        written += bytes.len() as u64 + 13;
    }
    out.write_all(&[0u8; 16])?;
    out.flush()?;
    eprintln!(
        "log.{:x}: {i} txns, {written} bytes, last zxid {zxid:x}",
        zxid - i as i64 + 1
    );
    Ok(())
}
