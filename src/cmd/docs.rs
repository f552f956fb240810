//! What `--help` and the man pages say beyond the flags: examples, further
//! sections and the exit status of each subcommand, written once here and
//! laid out for both (help text, and roff that renders at 80 columns).

use clap_mangen::roff::{Roff, bold, italic, roman};

/// One example: the command (lines after the first continue it, as typed
/// after a `\`) and what it does.
pub struct Example {
    /// The command line(s), at most 68 columns each.
    pub cmd: &'static str,
    /// What it does.
    pub what: &'static str,
}

/// The documentation of one subcommand (or of zkdd itself).
pub struct Doc {
    /// Examples, most common first.
    pub examples: &'static [Example],
    /// Further sections: a title and paragraphs (blank-line separated);
    /// lines indented by two spaces are kept as they are.
    pub sections: Vec<(&'static str, String)>,
    /// Exit status: the code and what it means.
    pub exit: &'static [(&'static str, &'static str)],
    /// Related pages, as `name(section)`.
    pub see_also: &'static [&'static str],
}

const JSON_NOTE: &str = "--json writes JSON Lines, one object per line, its first key \"type\", \
keys in a fixed order; zkdd-json(5) lists every line and field, and src/render/zkdd.schema.json \
is the JSON Schema they validate against. A run that cannot run writes one \"error\" line.";

const CRASH_TAIL: &str = "A log whose last readable entry is cut short (the file ends inside it, \
or zeros stand where its end byte should be) may be the write a crash interrupted, or an entry \
whose length field was damaged. Only what follows tells them apart, so zkdd scans every byte \
after it for a plausible entry (framing, matching Adler-32, end byte 0x42, a zxid after the last \
good one; the scan of repair --salvage). Nothing found: a crash tail, a warning; that txn was \
never acknowledged and ZooKeeper ignores it. An entry found: damage, an error naming the txns \
ZooKeeper would silently drop (the damaged one and every valid one after it). Every subcommand \
uses this one rule and says the same.";

const REDACT_NOTE: &str = "--redact hides what a vendor or a ticket must not see, and keeps \
what it needs: every znode data value (not null) becomes its length and SHA-256, in JSON \
{\"redacted\":{\"length\":N,\"sha256\":\"<64 hex>\"}} in place of {\"text\"} or {\"base64\"}, in \
text <redacted N bytes sha256:<first 16 hex>>; equal values keep equal hashes, so outputs stay \
comparable. The hash is not salted: a short or guessable value (true, a port, a host name) can \
be found by hashing candidates, so it hides content, not secrets anyone could guess. A digest ACL \
id (user:base64(SHA-1(user:password)), which can be brute-forced) keeps its user name and loses \
the hash: digest:alice:<redacted>:cdrwa; ids of other schemes (ip, sasl, x509, world) name \
someone and stay. Paths, stats, sessions and zxids are not hidden. A zkCli script written with \
--redact (extract, diff --script) starts with an unknown command and quit, so zkCli.sh stops \
there (exit 127) before any change; zkdd diff refuses a redacted JSON tree, and replay refuses \
to write a redacted snapshot.";

const EXIT_2: (&str, &str) = (
    "2",
    "could not run: usage, I/O error, input that is not ZooKeeper data",
);

/// The documentation of `name` ("zkdd" for the top level).
pub fn doc(name: &str) -> Doc {
    let json = || ("JSON", JSON_NOTE.to_string());
    let redact = || ("Redaction", REDACT_NOTE.to_string());
    match name {
        "dump" => Doc {
            examples: &[
                Example { cmd: "zkdd dump /var/lib/zookeeper", what: "all logs of a data dir, oldest first" },
                Example { cmd: "zkdd dump --path /app/config --json log.1a", what: "every change to one znode, as JSON Lines" },
                Example { cmd: "zkdd dump --zxid 0x1a2b..0x1a40 --op delete,multi DATADIR", what: "deletes and multis in a zxid range" },
                Example { cmd: "zkdd dump --since -1h --prefix /services DATADIR", what: "the last hour under /services" },
                Example { cmd: "zkdd dump --limit 20 log.1a00000001", what: "the first 20 txns (pg_waldump -n)" },
                Example { cmd: "zkdd dump --stats log.100000001", what: "txns and bytes per op, session and subtree" },
                Example { cmd: "zkdd dump --stats snapshot.4d.gz", what: "nodes and data per subtree, node kind, session" },
                Example { cmd: "zkdd dump --prefix /app snapshot.4d.gz", what: "the nodes of one subtree" },
                Example { cmd: "zkdd dump --follow --json /var/lib/zookeeper", what: "new txns of a running server, as written" },
                Example { cmd: "zkdd dump -f --tail 20 --path /app/leader DATADIR", what: "its last 20 changes, then new ones" },
                Example { cmd: "zkdd dump -f --from-start log.1a00000001", what: "a whole log, then what is appended" },
                Example { cmd: "zkdd dump --redact --json DATADIR > for-vendor.jsonl", what: "data as length and SHA-256, digest ids masked" },
            ],
            sections: vec![("Crash tail or corruption", CRASH_TAIL.into()), json(), redact()],
            exit: &[
                ("0", "every file read to its end; a crash tail (a torn or partial last entry with nothing readable after it) is only a warning (--follow: stopped by --follow-timeout)"),
                ("1", "a file is damaged (reported on stderr and in the JSON file line, with its offset and the txns ZooKeeper would drop); everything before it was printed. With --strict, a crash tail too"),
                EXIT_2,
            ],
            see_also: &["zkdd-verify(1)", "zkdd-history(1)", "zkdd-json(5)"],
        },
        "verify" => Doc {
            examples: &[
                Example { cmd: "zkdd verify /var/lib/zookeeper", what: "a data dir (the dataDir, or its version-2/)" },
                Example { cmd: "zkdd verify --config /etc/zookeeper/conf/zoo.cfg", what: "the data dir zoo.cfg names (dataLogDir too)" },
                Example { cmd: "zkdd verify --log-dir /disk2/zk-logs /var/lib/zookeeper", what: "logs kept apart from snapshots" },
                Example { cmd: "zkdd verify -q /var/lib/zookeeper", what: "from cron: silent unless something is wrong" },
                Example { cmd: "zkdd verify log.1a2b snapshot.1a00.gz", what: "single files (no recovery analysis)" },
                Example { cmd: "zkdd verify --no-mmap --config /etc/zookeeper/conf/zoo.cfg \\\n    --prometheus /var/lib/prometheus/node-exporter/zkdd.prom", what: "metrics for node_exporter's textfile collector" },
            ],
            sections: vec![
                ("Crash tail or corruption", CRASH_TAIL.into()),
                ("Output", "Text: a one-line verdict, one line saying what ZooKeeper 3.x would do at startup, then the findings grouped by file: severity, byte offset, code, what is wrong and what it means for recovery. Offsets are byte offsets in the file; for .gz/.snappy snapshots they are in the uncompressed stream, except for snapshot_compressed_stream.".into()),
                json(),
                ("Prometheus", PROMETHEUS.into()),
                ("Finding codes", finding_codes()),
            ],
            exit: &[
                ("0", "nothing worse than warnings or notes"),
                ("1", "errors: corruption, lost or skipped txns, a dir ZooKeeper cannot start from, a digest mismatch (with --strict, warnings too)"),
                EXIT_2,
            ],
            see_also: &["zkdd-recover(1)", "zkdd-repair(1)", "zkdd-report(1)", "zkdd-json(5)"],
        },
        "replay" => Doc {
            examples: &[
                Example { cmd: "zkdd replay /var/lib/zookeeper --output /tmp/restore/", what: "snapshot.<zxid> of the recovered tree" },
                Example { cmd: "zkdd replay DATADIR --before-zxid 0x1a2b --output snapshot.gz", what: "the tree just before a bad txn (undo)" },
                Example { cmd: "zkdd replay --config /etc/zookeeper/conf/zoo.cfg \\\n    --to-time 2026-11-23T03:14Z --json > tree.jsonl", what: "the tree at a time, as JSON Lines" },
                Example { cmd: "zkdd replay DATADIR --prefix /app --json > app.jsonl", what: "one subtree" },
                Example { cmd: "zkdd replay /var/lib/zookeeper --strict", what: "check that everything replays cleanly" },
                Example { cmd: "zkdd replay DATADIR --redact --output tree.jsonl", what: "the tree to share: data and credentials hidden" },
            ],
            sections: vec![
                ("Output", "--output FILE writes a snapshot (raw, or gzip/snappy when FILE ends in .gz/.snappy) ZooKeeper 3.6+ loads; name it snapshot.<final zxid hex> and put it in <dataDir>/version-2/ (an existing directory as FILE gets that name, inside its version-2/ if it has one). FILE ending in .json or .jsonl gets the JSON Lines tree instead. Files are written to a temporary name, synced and renamed; the source data dir is never written to. Without --output or --json the report alone is printed.".into()),
                json(),
                redact(),
            ],
            exit: &[
                ("0", "replayed; every file ended as ZooKeeper expects (a torn last entry included)"),
                ("1", "findings: a file ZooKeeper would refuse or silently cut short, a gap, a digest mismatch; with --strict any problem, and then nothing is written"),
                ("2", "could not run: usage, I/O error, no usable snapshot"),
            ],
            see_also: &["zkdd-extract(1)", "zkdd-recover(1)", "zkdd-diff(1)", "zkdd-json(5)"],
        },
        "diff" => Doc {
            examples: &[
                Example { cmd: "zkdd diff backup/snapshot.1a2b /var/lib/zookeeper", what: "a backup against now" },
                Example { cmd: "zkdd diff DATADIR@0x100 DATADIR@0x200", what: "what happened between two zxids" },
                Example { cmd: "zkdd diff --ignore stat --prefix /app a.jsonl b.jsonl", what: "data, ACL and existence only" },
                Example { cmd: "zkdd diff --script DATADIR@2026-11-23T03:14Z DATADIR \\\n    | zkCli.sh -server host:2181", what: "undo everything since 03:14" },
                Example { cmd: "zkdd diff --logs /data/member1 /data/member2", what: "where two ensemble members' histories part" },
                Example { cmd: "zkdd diff --values --redact DATADIR@0x100 DATADIR", what: "which values changed, without showing them" },
            ],
            sections: vec![
                ("Output", "+ /path added, - /path removed, ~ /path  data,acl,... modified (--values shows old and new), then a summary line. --script: zkCli commands that turn LEFT into RIGHT (deletes children first, creates parents first, ACLs last); ephemeral nodes, null data in set, and data zkCli cannot quote (binary, newlines, both quote kinds) are skipped with a warning. Stat fields cannot be set through a client.".into()),
                json(),
                redact(),
            ],
            exit: &[
                ("0", "no differences"),
                ("1", "differences (or, with --logs, diverging histories), or a side is damaged"),
                ("2", "could not run: usage, I/O error, unreadable input"),
            ],
            see_also: &["zkdd-replay(1)", "zkdd-history(1)", "zkdd-json(5)"],
        },
        "purge" => Doc {
            examples: &[
                Example { cmd: "zkdd purge -n /var/lib/zookeeper", what: "show the plan, delete nothing" },
                Example { cmd: "zkdd purge --retain 5 /var/lib/zookeeper", what: "keep 5 snapshots and the logs they need" },
                Example { cmd: "zkdd purge --config /etc/zookeeper/conf/zoo.cfg -q", what: "from cron: silent unless something is wrong" },
                Example { cmd: "zkdd purge /data/zk --log-dir /txnlogs/zk --json -n", what: "logs kept apart, the plan as JSON Lines" },
                Example { cmd: "zkdd purge --server-logs /var/log/zookeeper DATADIR", what: "also old server log files (see --keep-server-logs)" },
                Example { cmd: "zkdd purge --config /etc/zookeeper/conf/zoo.cfg \\\n    --archive-to /archive/zk1 -q", what: "move old files to an archive instead" },
            ],
            sections: vec![
                ("Safety", "Nothing recovery of the newest state needs is ever deleted: the newest N valid snapshots (damaged ones do not count), every log holding txns after the oldest kept one, the log before it when the snapshot is fuzzy, epoch files, and anything younger than --min-age. A lock keeps two purges apart; a dir that looks wrong (dataDir and dataLogDir swapped, entries named like logs that are not regular files) is refused. PurgeTxnLog's -n is the retain count; here it is --dry-run.".into()),
                json(),
            ],
            exit: &[
                ("0", "plan carried out (or printed, with --dry-run); or nothing to purge yet: fewer than N valid snapshots (a young server), one line, none with -q"),
                ("1", "a corrupt snapshot was found (named on stderr; kept unless --remove-corrupt), or a deletion failed (the file is named on stderr); nothing else is undone"),
                ("2", "refused, nothing deleted: not a ZooKeeper data dir, dataDir and dataLogDir look swapped, another purge holds the lock, bad usage or an I/O error"),
            ],
            see_also: &["zkdd-verify(1)", "zkdd-json(5)"],
        },
        "history" => Doc {
            examples: &[
                Example { cmd: "zkdd history /app/cfg /var/lib/zookeeper", what: "who changed /app/cfg, when, from what to what" },
                Example { cmd: "zkdd history --prefix /app /var/lib/zookeeper", what: "everything under /app" },
                Example { cmd: "zkdd history /app/cfg --since -2h", what: "the last two hours (the data dir from zoo.cfg)" },
                Example { cmd: "zkdd history /app/lock DATADIR --json \\\n    | jq 'select(.type==\"change\")'", what: "the changes as JSON" },
                Example { cmd: "zkdd history /app/cfg DATADIR --redact", what: "when it changed, values as hashes" },
            ],
            sections: vec![json(), redact()],
            exit: &[
                ("0", "the history was read; every file ended as ZooKeeper expects"),
                ("1", "findings: a file ZooKeeper would refuse or cut short, a gap (the history may be incomplete)"),
                ("2", "could not run: usage, I/O error, no usable start"),
            ],
            see_also: &["zkdd-dump(1)", "zkdd-extract(1)", "zkdd-json(5)"],
        },
        "extract" => Doc {
            examples: &[
                Example { cmd: "zkdd extract DATADIR --before-zxid 0x1a2b --prefix /app \\\n    > restore-app.zk", what: "/app as it was just before a bad txn, as zkCli commands" },
                Example { cmd: "zkCli.sh -server 127.0.0.1:2181 < restore-app.zk", what: "apply it (zkdd never connects to a server)" },
                Example { cmd: "zkdd extract DATADIR --to-time -1h --prefix /app --json", what: "/app an hour ago, as JSON Lines" },
                Example { cmd: "zkdd extract DATADIR --prefix /app --redact", what: "its shape to share; zkCli refuses to apply it" },
            ],
            sections: vec![json(), redact()],
            exit: &[
                ("0", "written; nothing was left out"),
                ("1", "written, but something was left out or altered (ephemerals, untypable data, a file ZooKeeper would refuse or cut short): see the warnings"),
                ("2", "could not run: usage, I/O error, no usable snapshot"),
            ],
            see_also: &["zkdd-replay(1)", "zkdd-history(1)", "zkdd-json(5)"],
        },
        "du" => Doc {
            examples: &[
                Example { cmd: "zkdd du /var/lib/zookeeper/version-2/snapshot.1a2b", what: "largest subtrees, two levels deep" },
                Example { cmd: "zkdd du /var/lib/zookeeper --prefix /app --depth 3", what: "deeper under /app" },
                Example { cmd: "zkdd du /var/lib/zookeeper --to-time -1d", what: "as it was a day ago" },
                Example { cmd: "zkdd du DATADIR --ncdu > zk.ncdu && ncdu -f zk.ncdu", what: "browse it in ncdu" },
            ],
            sections: vec![json()],
            exit: &[
                ("0", "done"),
                ("1", "the data dir replayed with findings (see zkdd replay), or the snapshot is damaged"),
                ("2", "could not run: usage, I/O error, not a snapshot or data dir"),
            ],
            see_also: &["zkdd-dump(1)", "zkdd-report(1)", "zkdd-json(5)", "ncdu(1)"],
        },
        "repair" => Doc {
            examples: &[
                Example { cmd: "zkdd repair log.1a00000001 -o /tmp/log.1a00000001", what: "cut at the first damaged entry" },
                Example { cmd: "zkdd repair log.1a00000001 -o out --to-zxid 0x1a00000f3", what: "keep zxids up to 0x1a00000f3 (a chop)" },
                Example { cmd: "zkdd repair --salvage log.1a00000001 -o out", what: "also report valid entries past the damage" },
                Example { cmd: "zkdd repair --salvage --write-salvaged log.1a00000001 -o out", what: "and keep them (a zxid gap!)" },
            ],
            sections: vec![
                ("Output", "The output is a copy; the input is never written. Dropped bytes run from the cut to the last non-zero byte; dropped entries are the ones still readable there (the damaged entry itself is not counted).".into()),
                json(),
            ],
            exit: &[
                ("0", "the log was clean, or was cut at --to-zxid as asked; the output was written"),
                ("1", "entries or bytes were dropped because of damage (torn tail, partial record, bad checksum, garbage after the padding); the output was written"),
                ("2", "could not run: usage, I/O error, not a txn log, output exists or is the input"),
            ],
            see_also: &["zkdd-recover(1)", "zkdd-verify(1)", "zkdd-json(5)"],
        },
        "recover" => Doc {
            examples: &[
                Example { cmd: "zkdd recover /var/lib/zookeeper --output /var/lib/zookeeper.new", what: "a data dir ZooKeeper starts from" },
                Example { cmd: "zkdd recover --config /etc/zookeeper/conf/zoo.cfg -n -o NEWDIR", what: "what would be recovered and lost" },
                Example { cmd: "zkdd recover /data/zk -o /data/zk.new --script lost.zk", what: "also the lost txns as zkCli commands" },
                Example { cmd: "zkdd recover /data/zk --log-dir /logs/zk -o /data/zk.new --json", what: "logs kept apart; the report as JSON Lines" },
            ],
            sections: vec![
                ("Then", "Stop the server, move the old dataDir aside (keep it), move NEWDIR in its place, leave dataLogDir empty, start the server. An ensemble member whose quorum is alive is better wiped and resynced from the leader.".into()),
                ("Script", "--script FILE: zkCli commands turning the recovered tree into the one the readable txns after the damage would give. They passed their checksums but follow damage or a gap: review them before applying (zkCli.sh -server HOST:PORT < FILE).".into()),
                json(),
            ],
            exit: &[
                ("0", "recovered, and nothing acknowledged was lost (a torn last entry is not)"),
                ("1", "recovered, but txns were lost: the report names them"),
                ("2", "nothing could be recovered (the report says why), or could not run: usage, I/O error, NEWDIR exists and is not empty"),
            ],
            see_also: &["zkdd-verify(1)", "zkdd-replay(1)", "zkdd-repair(1)", "zkdd-json(5)"],
        },
        "report" => Doc {
            examples: &[
                Example { cmd: "zkdd report /var/lib/zookeeper -o report.html", what: "one page: verdict, files, txns, space" },
                Example { cmd: "zkdd report --config /etc/zookeeper/conf/zoo.cfg \\\n    -o /tmp/zk-$(hostname).html", what: "the data dir zoo.cfg names" },
                Example { cmd: "zkdd report DATADIR --since 2026-11-23T03:00Z \\\n    --until 2026-11-23T04:00Z -o incident.html", what: "the txn charts of one hour" },
                Example { cmd: "zkdd report member1/data member2/data -o ensemble.html", what: "where two members part" },
                Example { cmd: "zkdd report DIR@0x100000040 DIR@0x200000010 -o change.html", what: "what changed between two points" },
            ],
            sections: vec![
                ("Page", "Sections (ids): verdict, timeline (files on the zxid axis), txns, space, divergence. Marks carry data-kind (damage, crash-tail, gap, lost, bad-snapshot, warning, divergence, point, log, snapshot, startup, purge, subtree, txns) and data-zxid / data-file attributes. The page loads nothing and runs no script.\n\n--since/--until and --prefix narrow the txn charts, the busiest sessions and paths, the space (prefix) and the comparison (prefix); the verdict and the files are always the whole data dir. The purge shading is what zkdd purge --retain N --min-age 0 would delete, N from --retain, else autopurge.snapRetainCount in --config, else 3.".into()),
                json(),
            ],
            exit: &[
                ("0", "page written; the data dir has nothing worse than warnings"),
                ("1", "page written; verify found errors in the data dir"),
                ("2", "could not run: usage, I/O error, not a data dir, output not writable"),
            ],
            see_also: &["zkdd-verify(1)", "zkdd-du(1)", "zkdd-diff(1)"],
        },
        "ls" => Doc {
            examples: &[
                Example { cmd: "zkdd ls /var/lib/zookeeper", what: "every file: zxids, txns or nodes, size, end, startup" },
                Example { cmd: "zkdd ls --config /etc/zookeeper/conf/zoo.cfg --bytes", what: "the data dir zoo.cfg names, exact sizes" },
                Example { cmd: "zkdd ls /data/zk --log-dir /txnlogs/zk", what: "logs kept apart from snapshots" },
                Example { cmd: "zkdd ls DATADIR --json | jq -c 'select(.end==\"damaged\")'", what: "the damaged files, as JSON Lines" },
                Example { cmd: "zkdd ls -q DATADIR", what: "nothing unless a file is damaged or startup would fail" },
            ],
            sections: vec![
                ("Columns", "NAME and KIND (log, snapshot, epoch, myid, other); ZXIDS: a log's first and last txn read, a snapshot's name zxid; EPOCH:COUNTER: the same split in two; HOLDS: txns read (logs), nodes read (snapshots), the value of an epoch file or myid; SIZE (human units unless --bytes); ENDS: clean, zero padding (the preallocated end of a log), crash tail at an offset, or damaged at an offset, with verify's finding code; FOLLOWS: the snapshot whose state a log's txns continue (the one startup loads, for the logs it replays); STARTUP: loads, rejected (with why), replays or not read.\n\nThe ENDS and STARTUP columns are verify's own verdict and startup prediction (the digest replay aside): zkdd verify DATADIR says why at length. Every log and snapshot is read through, so ls takes as long as verify --no-digest.".into()),
                ("Crash tail or corruption", CRASH_TAIL.into()),
                json(),
            ],
            exit: &[
                ("0", "listed; no file is damaged (a crash tail is only a warning)"),
                ("1", "a file is damaged (its row names the offset and finding code), or ZooKeeper's startup would fail"),
                ("2", "could not run: usage, I/O error, not a data dir"),
            ],
            see_also: &["zkdd-verify(1)", "zkdd-dump(1)", "zkdd-report(1)", "zkdd-json(5)"],
        },
        "completions" => Doc {
            examples: &[
                Example { cmd: "zkdd completions bash > /etc/bash_completion.d/zkdd", what: "bash" },
                Example { cmd: "zkdd completions zsh > \"${fpath[1]}/_zkdd\"", what: "zsh" },
                Example { cmd: "zkdd completions fish > ~/.config/fish/completions/zkdd.fish", what: "fish" },
            ],
            sections: Vec::new(),
            exit: &[("0", "printed"), ("2", "bad usage")],
            see_also: &["zkdd(1)"],
        },
        _ => Doc {
            examples: &[
                Example { cmd: "zkdd verify /var/lib/zookeeper", what: "is this data dir healthy, and what would ZooKeeper do with it?" },
                Example { cmd: "zkdd dump --since -1h --path /app/cfg DATADIR", what: "what happened to a znode in the last hour" },
                Example { cmd: "zkdd recover DATADIR -o NEWDIR", what: "a data dir ZooKeeper starts from, out of a damaged one" },
                Example { cmd: "zkdd purge --config /etc/zookeeper/conf/zoo.cfg -q", what: "retention from cron" },
            ],
            sections: vec![
                ("Data dirs", "A data dir may be given as the dataDir, its version-2/, or through --config zoo.cfg; without one, zoo.cfg is looked for (see FILES).\n  <dataDir>/version-2/snapshot.<zxid>[.gz|.snappy]  fuzzy snapshots\n  <dataLogDir>/version-2/log.<zxid>             txn logs\n  <dataDir>/version-2/acceptedEpoch, currentEpoch  quorum epochs".into()),
                ("Live data dirs", "Files are memory-mapped by default. A follower told to TRUNC cuts its log in place, which would make a mapped read fail with SIGBUS: on a running server use --no-mmap, or work on a copy.".into()),
                ("Crash tail or corruption", CRASH_TAIL.into()),
                json(),
            ],
            exit: &[
                ("0", "ok: nothing found, trees identical, plan carried out (warnings allowed)"),
                ("1", "findings: corruption, silent loss, differences, a deletion that failed"),
                EXIT_2,
            ],
            see_also: &["zkdd-json(5)"],
        },
    }
}

const PROMETHEUS: &str =
    "--prometheus FILE also writes the results in Prometheus's text format for \
node_exporter's textfile collector (name FILE *.prom in the directory given to \
--collector.textfile.directory). FILE is replaced atomically (temp file beside it, fsync, \
rename), and written even when verify cannot run. Every sample has a dir label: the data dir \
as given, or the dataDir of zoo.cfg. All are gauges about the last run:

- zkdd_verify_success: 1 checked (exit 0 or 1), 0 could not run (exit 2)
- zkdd_verify_last_run_timestamp_seconds: when the run finished (Unix time)
- zkdd_verify_duration_seconds: how long the dir took
- zkdd_verify_errors, _warnings, _notes: findings by severity
- zkdd_verify_findings{severity,code}: findings by code (codes found only)
- zkdd_verify_recoverable_zxid: the recoverable zxid as a number
- zkdd_snapshot_newest_age_seconds: age (mtime) of the highest-zxid snapshot
- zkdd_data_files{kind}: files by kind (log, snapshot)
- zkdd_data_bytes{kind}: their bytes (logs with preallocated zeros)

When verify cannot run, only the first three are written, success 0. Alert on \
zkdd_verify_success == 0, zkdd_verify_errors > 0 and a stale \
zkdd_verify_last_run_timestamp_seconds (the Debian package has example rules in \
/usr/share/doc/zkdd/examples/zkdd.rules.yml). An idle ensemble takes no snapshots: graph the \
snapshot age rather than alert on it.";

/// verify's finding codes, one per line.
fn finding_codes() -> String {
    let mut s = String::from("Stable: codes are only added.\n\n");
    for (code, what) in crate::ops::verify::CODES {
        s.push_str(&format!("- {code}: {what}\n"));
    }
    s
}

/// The environment every page lists.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "when set, no colour with --color auto"),
    (
        "CLICOLOR_FORCE",
        "when set (and NO_COLOR is not), colour with --color auto even into a pipe",
    ),
    (
        "ZOOCFGDIR",
        "where zoo.cfg is looked for first when no data dir is given",
    ),
];

/// The files every page lists.
pub const FILES: &[(&str, &str)] = &[
    (
        "$ZOOCFGDIR/zoo.cfg",
        "looked for first when no data dir or --config is given",
    ),
    (
        "/etc/zookeeper/conf/zoo.cfg",
        "then here (Debian's zookeeper package)",
    ),
    ("/opt/zookeeper/conf/zoo.cfg", "then here"),
];

/// Wraps `text` at `width` columns, indented by `indent`.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
            out.push_str(&" ".repeat(indent));
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&" ".repeat(indent));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A paragraph of `- term: what` lines, as (term, what) pairs.
fn definitions(para: &str) -> Option<Vec<(&str, &str)>> {
    para.lines()
        .map(|l| l.strip_prefix("- ")?.split_once(": "))
        .collect()
}

/// A section's text for `--help`: paragraphs wrapped, kept lines as they are.
fn help_text(text: &str) -> String {
    let mut out = String::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(items) = definitions(para) {
            for (term, what) in items {
                out.push_str(&format!("  {term}\n{}", wrap(what, 6, 80)));
            }
            continue;
        }
        let mut prose = String::new();
        for line in para.lines() {
            if line.starts_with("  ") {
                out.push_str(&wrap(&prose, 2, 80));
                prose.clear();
                out.push_str(&format!("  {line}\n"));
            } else {
                prose.push_str(line);
                prose.push(' ');
            }
        }
        out.push_str(&wrap(&prose, 2, 80));
    }
    out
}

fn examples_help(d: &Doc) -> String {
    let mut s = String::from("Examples:\n");
    for e in d.examples {
        for line in e.cmd.lines() {
            s.push_str(&format!("  {line}\n"));
        }
        s.push_str(&format!("      {}\n", e.what));
    }
    s
}

fn exit_help(d: &Doc) -> String {
    let mut s = String::from("Exit status:\n");
    for (code, what) in d.exit {
        let w = wrap(what, 5, 80);
        s.push_str(&format!("  {code}  {}", w.trim_start()));
    }
    s
}

/// `-h`: examples and the exit status.
pub fn short_help(name: &str) -> String {
    let d = doc(name);
    format!("{}\n{}", examples_help(&d), exit_help(&d))
        .trim_end()
        .to_string()
}

/// `--help`: examples, every section, the exit status.
pub fn long_help(name: &str) -> String {
    let d = doc(name);
    let mut s = examples_help(&d);
    for (title, text) in &d.sections {
        s.push_str(&format!("\n{title}:\n{}", help_text(text)));
    }
    s.push('\n');
    s.push_str(&exit_help(&d));
    s.trim_end().to_string()
}

/// The man page sections after OPTIONS: EXAMPLES, the subcommand's own,
/// EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO.
pub fn man_sections(name: &str, roff: &mut Roff, siblings: &[String]) {
    let d = doc(name);
    roff.control("SH", ["EXAMPLES"]);
    for e in d.examples {
        roff.control("PP", []);
        roff.text([roman(e.what)]);
        roff.control("PP", []);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in e.cmd.lines() {
            roff.text([bold(line)]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
    }
    for (title, text) in &d.sections {
        roff.control("SH", [title.to_uppercase().as_str()]);
        for para in text.split("\n\n") {
            if let Some(items) = definitions(para) {
                for (term, what) in items {
                    roff.control("TP", []);
                    roff.text([bold(term)]);
                    roff.text([roman(what)]);
                }
                continue;
            }
            roff.control("PP", []);
            let mut prose = String::new();
            let mut kept = Vec::new();
            let flush_kept = |roff: &mut Roff, kept: &mut Vec<&str>| {
                if !kept.is_empty() {
                    roff.control("nf", []);
                    for l in kept.drain(..) {
                        roff.text([roman(l.trim_start())]);
                    }
                    roff.control("fi", []);
                }
            };
            for line in para.lines() {
                if line.starts_with("  ") {
                    if !prose.is_empty() {
                        roff.text([roman(prose.trim_end())]);
                        prose.clear();
                    }
                    kept.push(line);
                } else {
                    flush_kept(roff, &mut kept);
                    prose.push_str(line);
                    prose.push(' ');
                }
            }
            flush_kept(roff, &mut kept);
            if !prose.is_empty() {
                roff.text([roman(prose.trim_end())]);
            }
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in d.exit {
        roff.control("TP", []);
        roff.text([bold(*code)]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (var, what) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*var)]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["FILES"]);
    for (file, what) in FILES {
        roff.control("TP", []);
        roff.text([italic(*file)]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = Vec::new();
    if name != "zkdd" {
        refs.push("zkdd(1)".into());
    }
    refs.extend(d.see_also.iter().map(|s| s.to_string()));
    if name == "zkdd" {
        refs.extend(siblings.iter().map(|s| format!("zkdd-{s}(1)")));
    }
    roff.text([roman(refs.join(", "))]);
}
