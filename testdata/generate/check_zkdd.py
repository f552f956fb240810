"""Run a zkdd binary over the multi-version fixtures and compare it with ZooKeeper's own outputs.
usage: /usr/bin/python3 check_zkdd.py ZKDD_BINARY FIXTURE_SCENARIO_DIR...   (e.g. testdata/zk-3.4/standalone)

For each scenario dir (holding data/ and expected/):
  * `zkdd verify data`                       exit code and every problem line
  * `zkdd dump --json <file>` for each file   exit code; txns per log vs the ZooKeeper dump
                                              (zxid/op per txn); 3.6 LogFormatter digests vs
                                              zkdd's; snapshot node count vs SnapshotFormatter
  * `zkdd replay --json data`                 node/session/summary lines vs expected/restore.jsonl
  * `zkdd replay --json --to-zxid Z data`     vs expected/restore-at-<Z>.jsonl (and --from-empty)
Node comparison maps zkdd's JSON (hex zxids, "cdrwa" perms, {"text"|"base64"} data, ctime_ms)
onto restore.jsonl's (decimal, int perms, base64, signed ephemeral_owner).
Prints one line per disagreement; exit 1 if any."""
import base64
import glob
import json
import os
import re
import subprocess
import sys

PERM = {"r": 1, "w": 2, "c": 4, "d": 8, "a": 16}
problems = []


def report(scen, what):
    problems.append("%s: %s" % (scen, what))
    print("DISAGREE %s: %s" % (scen, what))


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def signed(v):
    v = int(v, 16) if isinstance(v, str) else v
    return v - (1 << 64) if v >= 1 << 63 else v


def zkdd_data(d):
    if d is None:
        return None
    if "text" in d:
        return d["text"].encode("utf-8")
    return base64.b64decode(d["base64"])


def perms(p):
    if isinstance(p, int):
        return p
    return sum(PERM[c] for c in p)


def norm_zkdd_node(n):
    s = n["stat"]
    return {
        "data": zkdd_data(n["data"]),
        "acl": [(perms(a["perms"]), a["scheme"], a["id"]) for a in n["acl"]],
        "stat": {"czxid": int(s["czxid"], 16), "mzxid": int(s["mzxid"], 16), "pzxid": int(s["pzxid"], 16),
                 "ctime": s["ctime_ms"], "mtime": s["mtime_ms"], "version": s["version"],
                 "cversion": s["cversion"], "aversion": s["aversion"],
                 "ephemeral_owner": signed(s["ephemeral_owner"])},
    }


def norm_restore_node(n):
    d = n["data"]
    return {
        "data": None if d is None else base64.b64decode(d["base64"]),
        "acl": [(a["perms"], a["scheme"], a["id"]) for a in n["acl"]],
        "stat": n["stat"],
    }


def load_restore(path):
    nodes, sessions, summary = {}, {}, None
    for line in open(path, encoding="utf-8"):
        v = json.loads(line)
        if v["type"] == "node":
            nodes[v["path"]] = norm_restore_node(v)
        elif v["type"] == "session":
            sessions[v["session"]] = v["timeout_ms"]
        elif v["type"] == "restore":
            summary = v
    return nodes, sessions, summary


def load_zkdd(out):
    nodes, sessions, summary = {}, {}, None
    for line in out.splitlines():
        v = json.loads(line)
        if v["type"] == "node":
            nodes[v["path"]] = norm_zkdd_node(v)
        elif v["type"] == "session":
            sessions[int(v["session"], 16)] = v["timeout_ms"]
        elif v["type"] == "summary":
            summary = v
    return nodes, sessions, summary


def compare_trees(scen, what, want_file, rc, out, err):
    if rc != 0:
        report(scen, "%s: exit %d: %s" % (what, rc, (err.strip().splitlines() or ["(no stderr)"])[-1]))
    try:
        got_n, got_s, got_sum = load_zkdd(out)
    except Exception as e:   # noqa: BLE001
        report(scen, "%s: unreadable output (%s)" % (what, e))
        return
    want_n, want_s, want_sum = load_restore(want_file)
    if not got_n and rc != 0:
        return None   # no output at all: the exit line above says why
    for p in sorted(set(want_n) - set(got_n)):
        report(scen, "%s: node %s missing in zkdd" % (what, p))
    for p in sorted(set(got_n) - set(want_n)):
        report(scen, "%s: extra node %s in zkdd" % (what, p))
    for p in sorted(set(want_n) & set(got_n)):
        if p == "/zookeeper/config" and QUORUM:
            continue   # written locally by each quorum member at start-up, no txn (see README)
        a, b = want_n[p], got_n[p]
        for k in ("data", "acl"):
            if a[k] != b[k]:
                note = " (quota stats: recomputed by ZooKeeper on load)" if p.endswith("/zookeeper_stats") else ""
                report(scen, "%s: %s %s: zookeeper %r, zkdd %r%s" % (what, p, k, a[k], b[k], note))
        for k in a["stat"]:
            if a["stat"][k] != b["stat"][k]:
                report(scen, "%s: %s stat.%s: zookeeper %s, zkdd %s" % (what, p, k, a["stat"][k], b["stat"][k]))
    if want_s != got_s:
        report(scen, "%s: sessions: zookeeper %s, zkdd %s" % (
            what, {hex(k): v for k, v in want_s.items()}, {hex(k): v for k, v in got_s.items()}))
    if got_sum is None:
        report(scen, "%s: no summary line" % what)
        return
    lz = int(got_sum.get("last_zxid") or got_sum.get("final_zxid") or "-0x1", 16)
    if lz != want_sum["last_zxid"]:
        report(scen, "%s: last zxid: zookeeper 0x%x, zkdd 0x%x" % (what, want_sum["last_zxid"], lz))
    if want_sum["digest"] is not None and got_sum.get("tree_digest") != want_sum["digest"]:
        report(scen, "%s: tree digest: zookeeper %s, zkdd %s" % (what, want_sum["digest"], got_sum.get("tree_digest")))
    return got_sum


LINE = re.compile(r"session (0x[0-9a-f]+) cxid (0x[0-9a-f]+) zxid (0x[0-9a-f]+) (\S+)")


def zk_log_txns(exp, name):
    """(zxid, op) per txn from the ZooKeeper dumps (toolkit first, LogFormatter fills gaps)."""
    txns, digests, rcs = {}, {}, {}
    for tool in ("txnlogtoolkit", "logformatter"):
        f = os.path.join(exp, tool, name + ".txt")
        if not os.path.exists(f):
            continue
        rcs[tool] = open(f[:-4] + ".rc").read().strip()
        lines = open(f, encoding="utf-8", errors="replace").read().split("\n")
        last = None
        for line in lines:
            m = LINE.search(line)
            if m:
                last = int(m.group(3), 16)
                txns.setdefault(last, m.group(4))
            elif tool == "logformatter" and last is not None:
                # 3.6 LogFormatter: the digest "<version>,<treeDigest>" on the line after the txn
                dm = re.fullmatch(r" (\d+),(-?\d+)", line)
                if dm:
                    digests[last] = (int(dm.group(1)), int(dm.group(2)))
    return txns, digests, rcs


def parse_formatter(path):
    """SnapshotFormatter text -> ({path: {field: value}}, {sid: (timeout, ephemeralCount)})."""
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    nodes, sessions = {}, {}
    head, _, tail = text.partition("Session Details (sid, timeout, ephemeralCount):")
    for block in head.split("\n----\n")[1:]:
        lines = block.split("\n")
        fields = {}
        for l in lines[1:]:
            k, sep, v = l.strip().partition(" = ")
            if sep:
                fields[k] = v
            elif l.strip().startswith("data ="):   # "data = " with empty value
                fields["data"] = ""
        if lines[0]:
            nodes[lines[0]] = fields
    for l in tail.split("\n"):
        mm = re.fullmatch(r"(0x[0-9a-f]+), (\d+), (\d+)", l.strip())
        if mm:
            sessions[int(mm.group(1), 16)] = (int(mm.group(2)), int(mm.group(3)))
    return nodes, sessions


def compare_formatter(scen, f, sf, nodes, sessions):
    want, want_s = parse_formatter(sf)
    got = {n["path"]: n for n in nodes}
    if set(want) != set(got):
        report(scen, "dump %s: paths differ from SnapshotFormatter: only formatter %s, only zkdd %s"
               % (f, sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))
    for p in sorted(set(want) & set(got)):
        w, g = want[p], got[p]["stat"]
        pairs = [("cZxid", int(g["czxid"], 16)), ("mZxid", int(g["mzxid"], 16)), ("pZxid", int(g["pzxid"], 16)),
                 ("cversion", g["cversion"]), ("dataVersion", g["version"]), ("aclVersion", g["aversion"]),
                 ("ephemeralOwner", int(g["ephemeral_owner"], 16))]
        for k, gv in pairs:
            if k in w and int(w[k], 0) != gv:
                report(scen, "dump %s: %s %s: formatter %s, zkdd %s" % (f, p, k, w[k], hex(gv) if "Zxid" in k or k == "ephemeralOwner" else gv))
        d = zkdd_data(got[p]["data"])
        if "data" in w and base64.b64decode(w["data"]) != (d or b""):
            report(scen, "dump %s: %s data: formatter %s, zkdd %r" % (f, p, w["data"][:40], d[:40] if d else d))
        if "dataLength" in w and int(w["dataLength"]) != len(d or b""):
            report(scen, "dump %s: %s dataLength: formatter %s, zkdd %d" % (f, p, w["dataLength"], len(d or b"")))
    got_s = {int(r["session"], 16): r["timeout_ms"] for r in sessions}
    if {k: v[0] for k, v in want_s.items()} != got_s:
        report(scen, "dump %s: sessions: formatter %s, zkdd %s" % (f, want_s, got_s))


QUORUM = False


def check_scenario(zkdd, scen_dir):
    global QUORUM
    scen = os.path.relpath(scen_dir, os.path.dirname(os.path.dirname(scen_dir)))
    data = os.path.join(scen_dir, "data")
    QUORUM = os.path.exists(os.path.join(data, "myid"))
    exp = os.path.join(scen_dir, "expected")
    v2 = os.path.join(data, "version-2")
    # verify
    rc, out, err = run([zkdd, "verify", "--json", data])
    summ = {}
    for line in out.splitlines():
        v = json.loads(line)
        if v.get("type") == "summary":
            summ = v
        elif v.get("severity") == "note":
            print("   verify note: %s %s: %s" % (v.get("code"), os.path.basename(v.get("file") or ""), v.get("message")))
        else:
            report(scen, "verify finding: %s" % line[:700])
    print("== %s: verify exit %d, verdict %s, errors %s, warnings %s, notes %s; %s" % (
        scen, rc, summ.get("verdict"), summ.get("errors"), summ.get("warnings"), summ.get("notes"),
        summ.get("prediction")))
    if rc != 0 or summ.get("errors") or summ.get("warnings"):
        report(scen, "verify exit %d: %s" % (rc, json.dumps(summ)[:700]))
    if err.strip():
        print("   verify stderr: %s" % err.strip()[:700])
    # dump each file
    for f in sorted(os.listdir(v2)):
        if not f.startswith(("log.", "snapshot.")):
            continue   # acceptedEpoch / currentEpoch (quorum members)
        path = os.path.join(v2, f)
        rc, out, err = run([zkdd, "dump", "--json", path])
        if rc != 0:
            report(scen, "dump %s: exit %d: %s" % (f, rc, err.strip()[-600:]))
        recs = []
        for line in out.splitlines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                report(scen, "dump %s: bad JSON line %r" % (f, line[:200]))
        for r in recs:
            if r.get("type") == "file" and (r.get("problem") or r.get("end") not in (None, "padding", "eof", "clean")):
                report(scen, "dump %s: file line %s" % (f, json.dumps(r)[:600]))
        if f.startswith("log."):
            want, digests, rcs = zk_log_txns(exp, f)
            got = {int(r["zxid"], 16): r for r in recs if r.get("type") == "txn"}
            if sorted(want) != sorted(got):
                report(scen, "dump %s: zxids differ: zookeeper %d txns (%s), zkdd %d txns; only zookeeper %s; only zkdd %s"
                       % (f, len(want), rcs, len(got), [hex(z) for z in sorted(set(want) - set(got))][:10],
                          [hex(z) for z in sorted(set(got) - set(want))][:10]))
            for z in sorted(set(want) & set(got)):
                zop, gop = want[z], got[z].get("op")
                if zop.lower() != str(gop).lower():
                    report(scen, "dump %s: zxid 0x%x op: zookeeper %s, zkdd %s" % (f, z, zop, gop))
                elif zop != gop:
                    print("   note %s: zxid 0x%x op spelled %s by ZooKeeper, %s by zkdd" % (f, z, zop, gop))
            for z, (ver, dig) in sorted(digests.items()):
                g = got.get(z, {}).get("digest")
                if g is None or g.get("version") != ver or g.get("tree") != dig:
                    report(scen, "dump %s: zxid 0x%x digest: LogFormatter %d,%d, zkdd %s" % (f, z, ver, dig, g))
        elif f.startswith("snapshot."):
            sf = os.path.join(exp, "snapshotformatter", f + ".txt")
            m = re.search(r"ZNode Details \(count=(\d+)\)", open(sf, encoding="utf-8", errors="replace").read())
            nodes = [r for r in recs if r.get("type") == "node"]
            if m and int(m.group(1)) != len(nodes) + 1:
                report(scen, "dump %s: %d nodes, SnapshotFormatter count=%s (root counted twice)" % (f, len(nodes), m.group(1)))
            compare_formatter(scen, f, sf, nodes, [r for r in recs if r.get("type") == "session"])
    # replay to the end
    rc, out, err = run([zkdd, "replay", "--json", data])
    s = compare_trees(scen, "replay", os.path.join(exp, "restore.jsonl"), rc, out, err)
    if s is not None:
        print("   replay summary: final %s, digests %s, notes %s, problem %s" % (
            s.get("final_zxid"), s.get("digests"), s.get("notes"), s.get("problem")))
    # the same end state from every snapshot, from the empty tree, and with --strict
    snaps = sorted((f for f in os.listdir(v2) if f.startswith("snapshot.")), key=lambda n: int(n.split(".")[1], 16))
    for extra in [["--snapshot", os.path.join(v2, f)] for f in snaps] + [["--from-empty"], ["--strict"]]:
        rc, out, err = run([zkdd, "replay", "--json"] + extra + [data])
        label = "replay %s" % (" ".join(extra).replace(v2 + "/", ""))
        s = compare_trees(scen, label, os.path.join(exp, "restore.jsonl"), rc, out, err)
        if s is not None and (s.get("digests") or {}).get("failed"):
            report(scen, "%s: digest mismatches %s" % (label, s["digests"]))
    # restore points
    for f in sorted(glob.glob(os.path.join(exp, "restore-at-*.jsonl"))):
        z = "0x" + os.path.basename(f)[len("restore-at-"):-len(".jsonl")]
        for extra in ([], ["--from-empty"]):
            rc, out, err = run([zkdd, "replay", "--json", "--to-zxid", z] + extra + [data])
            compare_trees(scen, "replay --to-zxid %s%s" % (z, " " + " ".join(extra) if extra else ""), f, rc, out, err)


def main():
    zkdd = sys.argv[1]
    for d in sys.argv[2:]:
        check_scenario(zkdd, os.path.abspath(d))
    print("%d disagreement(s)" % len(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
