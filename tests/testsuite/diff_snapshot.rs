//! zkdd diff on snapshot files: the in-place index gives exactly what the
//! tree loader gives (changes, node counts, zxids, errors), on every fixture
//! snapshot and on hand-made streams that hit each of the loader's rules.

use std::path::{Path, PathBuf};

use zkdd::format::jute::{Acl, Limits};
use zkdd::format::snapshot::StatPersisted;
use zkdd::format::write::{JuteBuf, SnapshotWriter};
use zkdd::ops::diff::{self, DiffOptions, Side, SideSpec, SideTree};
use zkdd::tree::replay::{self, Options};
use zkdd::zxid::Zxid;

use crate::common;

/// A side through the snapshot index (`indexed`: whether the index was used).
fn fast(p: &Path) -> Result<(Side, bool), String> {
    let side = diff::load_side(
        &SideSpec::Snapshot(p.to_path_buf()),
        "x",
        false,
        Limits::default(),
    )
    .map_err(|e| e.to_string())?;
    let indexed = matches!(side.tree, SideTree::Snap(_));
    Ok((side, indexed))
}

/// The same side through the tree loader, as `zkdd diff` used to load it.
fn tree(p: &Path) -> Result<Side, String> {
    let t = replay::load_snapshot_file(p, &Options::default()).map_err(|e| e.to_string())?;
    Ok(Side {
        label: "x".into(),
        zxid: Some(t.last_processed_zxid()),
        tree: SideTree::Tree(Box::new(t)),
        notes: Vec::new(),
    })
}

/// Everything the output is made of: every change with both nodes, the
/// counts compared and the zxids.
fn report(l: &Side, r: &Side, opts: &DiffOptions) -> String {
    let (changes, compared) = diff::diff(&l.nodes(), &r.nodes(), opts);
    format!("{:?} {:?} {compared:?}\n{changes:#?}", l.zxid, r.zxid)
}

fn option_sets() -> Vec<DiffOptions> {
    vec![
        DiffOptions::default(),
        DiffOptions {
            include_quota_stats: true,
            include_config: true,
            ..DiffOptions::default()
        },
        DiffOptions {
            ignore_ephemeral: true,
            ignore: diff::Field::parse("stat").unwrap(),
            ..DiffOptions::default()
        },
        DiffOptions {
            prefix: Some(b"/app".to_vec()),
            ignore: diff::Field::parse("data").unwrap(),
            ..DiffOptions::default()
        },
    ]
}

/// Asserts index and tree agree on `l` vs `r` (also when mixed), and
/// returns whether both sides were indexed.
fn assert_same(l: &Path, r: &Path) -> bool {
    let (fl, il) = fast(l).unwrap();
    let (fr, ir) = fast(r).unwrap();
    let (tl, tr) = (tree(l).unwrap(), tree(r).unwrap());
    for opts in option_sets() {
        let want = report(&tl, &tr, &opts);
        let what = format!("{} vs {} ({opts:?})", l.display(), r.display());
        assert_eq!(report(&fl, &fr, &opts), want, "{what}");
        assert_eq!(report(&fl, &tr, &opts), want, "{what}, tree on the right");
        assert_eq!(report(&tl, &fr, &opts), want, "{what}, tree on the left");
    }
    il && ir
}

#[test]
fn index_matches_the_tree_on_every_fixture_snapshot() {
    let mut pairs = 0;
    for dir in common::data_dirs() {
        let snaps = common::files(&dir, "snapshot.");
        for w in snaps.windows(2) {
            assert!(assert_same(&w[0], &w[1]), "{:?} not indexed", w);
            pairs += 1;
        }
        if let (Some(first), Some(last)) = (snaps.first(), snaps.last()) {
            assert!(assert_same(last, first));
            assert!(assert_same(last, last));
        }
    }
    assert!(pairs > 50, "{pairs}");
}

#[test]
fn cli_output_on_snapshots_equals_json_trees_and_replayed_dirs() {
    let dir = common::fixtures().join("standalone/data");
    let v2 = dir.join("version-2");
    let tmp = tempfile::tempdir().unwrap();
    let changes = |args: &[&str]| -> Vec<String> {
        let o = common::run(args);
        assert!(o.status.code().unwrap() <= 1, "{args:?}");
        common::stdout(&o)
            .lines()
            .filter(|l| l.contains("\"type\":\"difference\""))
            .map(str::to_string)
            .collect()
    };
    let json_of = |name: &str| -> String {
        let o = common::run(&["dump", "--json", &v2.join(name).display().to_string()]);
        assert_eq!(o.status.code(), Some(0));
        let p = tmp.path().join(format!("{name}.jsonl"));
        std::fs::write(&p, &o.stdout).unwrap();
        p.display().to_string()
    };
    let snap = |name: &str| v2.join(name).display().to_string();
    for (a, b) in [
        ("snapshot.0", "snapshot.86"),
        ("snapshot.86", "snapshot.b7"),
        ("snapshot.4a", "snapshot.238"),
    ] {
        for extra in [&[][..], &["--values"][..], &["--ignore-ephemeral"][..]] {
            let mut args = vec!["diff", "--json"];
            args.extend_from_slice(extra);
            let run = |l: &str, r: &str| {
                let mut v = args.clone();
                v.extend_from_slice(&[l, r]);
                changes(&v)
            };
            let got = run(&snap(a), &snap(b));
            assert!(!got.is_empty(), "{a} {b}");
            assert_eq!(got, run(&json_of(a), &json_of(b)), "{a} {b} {extra:?}");
        }
    }
    // Snapshots whose content is exactly the replayed tree at their zxid.
    let at = |z: &str| format!("{}@{z}", dir.display());
    for script in [false, true] {
        let flag = if script { "--script" } else { "--values" };
        let a = common::run(&["diff", flag, &snap("snapshot.0"), &snap("snapshot.86")]);
        let b = common::run(&["diff", flag, &at("0x0"), &at("0x86")]);
        let body = |o: &std::process::Output| {
            let s = common::stdout(o);
            // The summary names the sides' zxids, the same here.
            s.lines().map(str::to_string).collect::<Vec<_>>()
        };
        assert_eq!(body(&a), body(&b), "{flag}");
        let err = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(err(&a), err(&b), "{flag}");
    }
}

#[test]
fn corrupt_snapshots_fail_with_the_loaders_words() {
    let corrupt = common::root().join("testdata/corrupt");
    let mut n = 0;
    for e in std::fs::read_dir(&corrupt).unwrap() {
        let d = e.unwrap().path();
        if !d
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("snapshot-")
        {
            continue;
        }
        for f in std::fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            if !f
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snapshot.")
            {
                continue;
            }
            let want = tree(&f).err().expect("corrupt");
            assert_eq!(fast(&f).err(), Some(want), "{}", f.display());
            n += 1;
        }
    }
    assert!(n >= 7);
}

// ---- hand-made snapshots ------------------------------------------------------

fn stat(z: i64, owner: i64) -> StatPersisted {
    StatPersisted {
        czxid: Zxid(z),
        mzxid: Zxid(z),
        ctime: z * 1000,
        mtime: z * 1000,
        ephemeral_owner: owner,
        ..StatPersisted::default()
    }
}

type N<'a> = (&'a str, Option<&'a [u8]>, i64);

/// Writes `snapshot.<zxid>` with these ACL cache entries and nodes, in order.
fn write_snap(dir: &Path, zxid: u32, cache: &[(i64, Vec<Acl<'_>>)], nodes: &[N<'_>]) -> PathBuf {
    let mut w = SnapshotWriter::new(Vec::new(), &[], cache).unwrap();
    for (i, (path, data, acl)) in nodes.iter().enumerate() {
        w.node(path.as_bytes(), *data, *acl, &stat(i as i64, 0))
            .unwrap();
    }
    let p = dir.join(format!("snapshot.{zxid:x}"));
    std::fs::write(&p, w.finish(None).unwrap()).unwrap();
    p
}

fn acl<'a>(scheme: &'a str, id: &'a str, perms: i32) -> Acl<'a> {
    Acl {
        perms,
        scheme: scheme.as_bytes(),
        id: id.as_bytes(),
    }
}

#[test]
fn out_of_order_streams_missing_acls_and_shared_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let world = vec![acl("world", "anyone", 31)];
    let digest = vec![acl("digest", "u:x", 1), acl("world", "anyone", 1)];
    // Left: pre-order, ids 1 (world:anyone, = -1) and 2.
    let l = write_snap(
        tmp.path(),
        0x10,
        &[(1, world.clone()), (2, digest.clone())],
        &[
            ("/", Some(b""), -1),
            ("/a", Some(b"x"), 1),
            ("/a/x", None, 2),
            ("/a!", Some(b""), 9), // id 9 is not in the cache
            ("/b", Some(b"y"), 2),
            ("/b/c", Some(b"z"), -1),
        ],
    );
    // Right: not pre-order (/a/x after /b), the same lists under other ids,
    // another missing id, null vs empty data.
    let r = write_snap(
        tmp.path(),
        0x20,
        &[(7, digest.clone()), (5, world.clone())],
        &[
            ("/", Some(b""), -1),
            ("/a", Some(b"x"), -1),
            ("/b", Some(b"y"), 7),
            ("/a/x", Some(b""), 7),
            ("/a!", Some(b""), 8),
            ("/b/c", Some(b"z"), 5),
            ("/b/c/d", Some(b"\xff\x00"), 7),
        ],
    );
    assert!(assert_same(&l, &r));
    assert!(assert_same(&r, &l));
    // The lists compare by content: only /a/x (data) and /b/c/d differ, plus stats.
    let (fl, _) = fast(&l).unwrap();
    let (fr, _) = fast(&r).unwrap();
    let opts = DiffOptions {
        ignore: diff::Field::parse("stat").unwrap(),
        ..DiffOptions::default()
    };
    let (changes, _) = diff::diff(&fl.nodes(), &fr.nodes(), &opts);
    let paths: Vec<String> = changes
        .iter()
        .map(|c| String::from_utf8_lossy(c.path()).into_owned())
        .collect();
    assert_eq!(paths, ["/a/x", "/b/c/d"]);
    assert!(changes[0].null_vs_empty);

    // Same records but for the ACL id: equal lists are no change, others are.
    let cache = [(1, world.clone()), (2, digest.clone()), (3, digest.clone())];
    let same = |z, acls: [i64; 3]| {
        let nodes = [
            ("/", Some(&b""[..]), -1),
            ("/p", Some(&b"d"[..]), acls[0]),
            ("/q", None, acls[1]),
            ("/r", Some(&b""[..]), acls[2]),
        ];
        write_snap(tmp.path(), z, &cache, &nodes)
    };
    let (l, r) = (same(0x30, [1, 2, 2]), same(0x40, [-1, 3, 1]));
    assert!(assert_same(&l, &r));
    let (fl, _) = fast(&l).unwrap();
    let (fr, _) = fast(&r).unwrap();
    let (changes, _) = diff::diff(&fl.nodes(), &fr.nodes(), &DiffOptions::default());
    let got: Vec<(String, Vec<&str>)> = changes
        .iter()
        .map(|c| {
            (
                String::from_utf8_lossy(c.path()).into_owned(),
                c.fields.iter().map(|f| f.name()).collect(),
            )
        })
        .collect();
    assert_eq!(got, [("/r".to_string(), vec!["acl"])]);
}

#[test]
fn loader_errors_and_fallbacks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A node before its parent, a path without '/'.
    for (z, nodes) in [
        (1, &[("/", Some(&b""[..]), -1), ("/a/x", None, -1)][..]),
        (
            2,
            &[
                ("/", Some(&b""[..]), -1),
                ("/a", None, -1),
                ("/b", None, -1),
                ("/b/c/d", None, -1),
            ][..],
        ),
        (3, &[("/", Some(&b""[..]), -1), ("abc", None, -1)][..]),
        (4, &[("/a", Some(&b""[..]), -1)][..]),
    ] {
        let p = write_snap(d, z, &[], nodes);
        let want = tree(&p).err().expect("bad tree");
        assert_eq!(fast(&p).err(), Some(want));
    }
    // A null list in the ACL cache.
    let mut b = JuteBuf::new();
    b.0.extend_from_slice(b"ZKSN");
    b.i32(2).i64(-1).i32(0).i32(1).i64(3).acl_list(None);
    let p = d.join("snapshot.5");
    std::fs::write(&p, &b.0).unwrap();
    let want = tree(&p).err().expect("null list");
    assert!(want.contains("null list"), "{want}");
    assert_eq!(fast(&p).err(), Some(want));

    // A path stored twice: the tree decides (the later record drops the
    // earlier one's children); the index steps aside.
    let dup = write_snap(
        d,
        6,
        &[],
        &[
            ("/", Some(b""), -1),
            ("/a", Some(b"1"), -1),
            ("/a/x", Some(b"2"), -1),
            ("/a", Some(b"3"), -1),
            ("/a/y", Some(b"4"), -1),
        ],
    );
    assert!(matches!(fast(&dup).unwrap().0.tree, SideTree::Tree(_)));
    // Twice deeper down, and the root twice.
    for (z, nodes) in [
        (
            8,
            &[
                ("/", Some(&b""[..]), -1),
                ("/a", None, -1),
                ("/a/x", None, -1),
                ("/a/x", None, -1),
            ][..],
        ),
        (
            9,
            &[
                ("/", Some(&b""[..]), -1),
                ("/a", None, -1),
                ("/", None, -1),
                ("/b", None, -1),
            ][..],
        ),
    ] {
        let p = write_snap(d, z, &[], nodes);
        assert!(matches!(fast(&p).unwrap().0.tree, SideTree::Tree(_)));
        assert!(!assert_same(&p, &dup));
    }
    let plain = write_snap(d, 7, &[], &[("/", Some(b""), -1), ("/a", Some(b"3"), -1)]);
    assert!(!assert_same(&dup, &plain));
}

#[test]
fn path_order_interleaves_names_below_slash() {
    // "/a-b" sorts between "/a" and "/a/x", "/a/x" before "/a0"; the root's
    // and /a's children come in hash order, not pre-sorted.
    let tmp = tempfile::tempdir().unwrap();
    let nodes: Vec<N<'_>> = vec![
        ("/", Some(b""), -1),
        ("/a0", Some(b"1"), -1),
        ("/a", Some(b"2"), -1),
        ("/a/y", Some(b"3"), -1),
        ("/a/x", Some(b"4"), -1),
        ("/a/x/", Some(b"empty name"), -1),
        ("/a/x/-", Some(b"5"), -1),
        ("/a/x-", Some(b"6"), -1),
        ("/a-b", Some(b"7"), -1),
        ("/a-b/c", Some(b"8"), -1),
        ("/a.", Some(b"9"), -1),
        ("/", Some(b""), -1),
    ];
    // The last "/" is the terminator the writer adds; leave it out.
    let l = write_snap(tmp.path(), 1, &[], &nodes[..nodes.len() - 1]);
    let r = write_snap(tmp.path(), 2, &[], &nodes[..3]);
    assert!(assert_same(&l, &r));
    assert!(assert_same(&r, &l));
    let (fl, _) = fast(&l).unwrap();
    let keys: Vec<String> = match fl.nodes() {
        diff::NodeList::Snap(s) => (0..s.len())
            .map(|i| String::from_utf8_lossy(s.key(i)).into_owned())
            .collect(),
        _ => unreachable!(),
    };
    let mut want = keys.clone();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(keys.len(), 11);
}

#[test]
fn quota_stats_are_recounted_as_the_loader_does() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let quota = |z: u32, root_quota: bool, extra: &[N<'static>]| {
        let mut nodes: Vec<N<'_>> = vec![
            ("/", Some(b""), -1),
            ("/zookeeper", Some(b""), -1),
            ("/zookeeper/quota", Some(b""), -1),
            ("/zookeeper/quota/app", None, -1),
            (
                "/zookeeper/quota/app/zookeeper_limits",
                Some(b"count=10,bytes=-1"),
                -1,
            ),
            (
                "/zookeeper/quota/app/zookeeper_stats",
                Some(b"count=1,bytes=0"),
                -1,
            ),
            ("/zookeeper/quota/app!", None, -1),
            (
                "/zookeeper/quota/app!/zookeeper_limits",
                Some(b"count=5"),
                -1,
            ),
            (
                "/zookeeper/quota/app!/zookeeper_stats",
                Some(b"count=0,bytes=0;x=1"),
                -1,
            ),
            ("/app", Some(b"12345"), -1),
            ("/app/x", Some(b"ab"), -1),
            ("/app/x/y", None, -1),
            ("/app!", Some(b"not below /app"), -1),
            ("/app0", Some(b"nor this"), -1),
        ];
        if root_quota {
            nodes.push(("/zookeeper/quota/zookeeper_limits", Some(b"count=1"), -1));
            nodes.push(("/zookeeper/quota/zookeeper_stats", Some(b""), -1));
        }
        nodes.extend_from_slice(extra);
        write_snap(d, z, &[], &nodes)
    };
    let a = quota(1, false, &[]);
    let b = quota(2, false, &[("/app/z", Some(b"zzz"), -1)]);
    assert!(assert_same(&a, &b));
    // The recount shows in the data the diff compares.
    let (fa, _) = fast(&a).unwrap();
    let stats = match fa.nodes() {
        diff::NodeList::Snap(s) => {
            let i = (0..s.len())
                .find(|&i| s.key(i) == b"/zookeeper/quota/app/zookeeper_stats")
                .unwrap();
            s.view(i).data.unwrap().to_vec()
        }
        _ => unreachable!(),
    };
    assert_eq!(stats, b"count=3,bytes=7");
    // A quota on "/": the tree decides.
    let c = quota(3, true, &[]);
    assert!(matches!(fast(&c).unwrap().0.tree, SideTree::Tree(_)));
    assert!(!assert_same(&a, &c));
}
