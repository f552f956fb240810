//! Flat memory: `dump` and `verify` read a big `.gz` snapshot, or a raw one
//! with `--no-mmap`, in memory that does not grow with its size.
//!
//! The input is a real 3.8 snapshot (testdata/zk-3.8/gz) grown to ~160 MiB
//! by repeating its last node record under new sibling names, so the tree
//! stays in ZooKeeper's depth-first order (its seals no longer match, which
//! both commands report). A whole reading holds all 160 MiB; a stream holds
//! a few chunks.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use zkdd::format::jute::Limits;
use zkdd::format::snapshot::Snapshot;

use crate::common;

/// Bytes the grown stream reaches at least.
const GROWN_BYTES: usize = 160 << 20;
/// Peak RSS the commands must stay under (the issue's bound).
const FLAT_KIB: u64 = 100 << 10;

/// The fixture's stream grown as the module docs say, and its node count.
fn grown_stream() -> (Vec<u8>, u64) {
    let gz = common::fixtures().join("gz/data/version-2/snapshot.fe.gz");
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut raw,
    )
    .unwrap();
    let snap = Snapshot::parse(&raw, Limits::default()).unwrap();
    let nodes: Vec<_> = snap
        .nodes()
        .map(|n| (n.offset, n.end_offset(), n.path.to_vec()))
        .collect();
    let (start, end, path) = nodes.last().cloned().unwrap();
    let (start, end) = (start as usize, end as usize);
    // A record is the path (i32 length + bytes), then the node.
    let body = &raw[start + 4 + path.len()..end];
    let mut grown = raw[..end].to_vec();
    let mut added = 0u64;
    while grown.len() < GROWN_BYTES {
        let name = [&path[..], format!("-copy{added:08}").as_bytes()].concat();
        grown.extend_from_slice(&(name.len() as i32).to_be_bytes());
        grown.extend_from_slice(&name);
        grown.extend_from_slice(body);
        added += 1;
    }
    grown.extend_from_slice(&raw[end..]);
    (grown, nodes.len() as u64 + added)
}

/// Runs `zkdd ARGS` under a python3 parent that counts the JSON node lines
/// on its stdout and reports the child's peak RSS (the test process's own
/// children include servers run by other tests). Returns (exit, node lines,
/// peak RSS in KiB).
fn run_measured(args: &[&str]) -> (i32, u64, u64) {
    let bin = match std::env::var_os("ZKDD_TEST_BIN") {
        Some(b) => b.into_string().unwrap(),
        None => env!("CARGO_BIN_EXE_zkdd").to_string(),
    };
    let script = r#"
import resource, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
n = 0
for line in p.stdout:
    if line.startswith(b'{"type":"node"'):
        n += 1
rc = p.wait()
print(rc, n, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("python3");
    let text = String::from_utf8(o.stdout).unwrap();
    let v: Vec<i64> = text
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    (v[0] as i32, v[1] as u64, v[2] as u64)
}

fn write_gz(stream: &[u8], to: &Path) {
    let mut gz = Command::new("gzip")
        .arg("-1")
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(to).unwrap())
        .spawn()
        .expect("gzip");
    gz.stdin.take().unwrap().write_all(stream).unwrap();
    assert!(gz.wait().unwrap().success());
}

#[test]
fn dump_and_verify_stream_big_gz_and_unmapped_snapshots_in_flat_memory() {
    let (stream, nodes) = grown_stream();
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("snapshot.fe.gz");
    let raw = tmp.path().join("snapshot.fe");
    write_gz(&stream, &gz);
    std::fs::write(&raw, &stream).unwrap();
    drop(stream);
    let (gz, raw) = (gz.to_str().unwrap(), raw.to_str().unwrap());
    for args in [
        &["dump", "--json", gz][..],
        &["dump", "--json", "--no-mmap", raw],
        &["verify", "--no-digest", "--json", gz],
        &["verify", "--no-digest", "--json", "--no-mmap", raw],
    ] {
        let (code, printed, kib) = run_measured(args);
        // The seals no longer match: a finding, not a failure to run.
        assert_eq!(code, 1, "zkdd {args:?}");
        if args[0] == "dump" {
            assert_eq!(printed, nodes, "zkdd {args:?}: every node printed");
        }
        assert!(
            kib < FLAT_KIB,
            "zkdd {args:?}: peak RSS {kib} KiB for a {} MiB stream (bound {FLAT_KIB} KiB)",
            GROWN_BYTES >> 20
        );
    }
}

/// `num_children` of every node line of `dump --json ARGS`, by path, in order.
fn children_counts(args: &[&str]) -> Vec<(String, u64)> {
    let o = common::run(args);
    common::json_lines(&common::stdout(&o))
        .iter()
        .filter(|v| v["type"] == "node")
        .map(|v| {
            let path = v["path"].as_str().unwrap().to_string();
            (path, v["stat"]["num_children"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn a_streamed_snapshot_out_of_depth_first_order_counts_children_as_a_mapped_one() {
    // Move the first node that has a parent other than the root to the end:
    // its parent is then no ancestor of the node before it, and the parent
    // finder must fall back to looking paths up (a fresh stream, hashed).
    let v2 = common::fixtures().join("standalone/data/version-2");
    let snap_path = common::files(v2.parent().unwrap(), "snapshot.")
        .into_iter()
        .last()
        .unwrap();
    let raw = std::fs::read(&snap_path).unwrap();
    let snap = Snapshot::parse(&raw, Limits::default()).unwrap();
    let nodes: Vec<_> = snap
        .nodes()
        .map(|n| (n.offset as usize, n.end_offset() as usize, n.path.to_vec()))
        .collect();
    let deep = nodes
        .iter()
        .position(|(_, _, p)| p.iter().filter(|&&b| b == b'/').count() >= 2)
        .unwrap();
    let (start, end, moved) = nodes[deep].clone();
    let last_end = nodes.last().unwrap().1;
    let mut shuffled = raw[..start].to_vec();
    shuffled.extend_from_slice(&raw[end..last_end]);
    shuffled.extend_from_slice(&raw[start..end]);
    shuffled.extend_from_slice(&raw[last_end..]);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(snap_path.file_name().unwrap());
    std::fs::write(&file, &shuffled).unwrap();
    let gz = tmp.path().join(format!(
        "{}.gz",
        file.file_name().unwrap().to_str().unwrap()
    ));
    write_gz(&shuffled, &gz);
    let (file, gz) = (file.to_str().unwrap(), gz.to_str().unwrap());

    let original = children_counts(&["dump", "--json", snap_path.to_str().unwrap()]);
    let mapped = children_counts(&["dump", "--json", file]);
    let unmapped = children_counts(&["dump", "--json", "--no-mmap", file]);
    let gzipped = children_counts(&["dump", "--json", gz]);
    let moved = String::from_utf8(moved).unwrap();
    assert_eq!(mapped.last().unwrap().0, moved, "the moved node comes last");
    let sorted = |mut v: Vec<(String, u64)>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(mapped.clone()),
        sorted(original),
        "same counts as before the move"
    );
    assert_eq!(unmapped, mapped, "--no-mmap (a stream) = mapped");
    assert_eq!(gzipped, mapped, ".gz (a stream) = mapped");
}
