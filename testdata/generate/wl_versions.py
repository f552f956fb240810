"""Workload for the multi-version `standalone` scenarios (zk-3.4, zk-3.5, zk-3.6, zk-3.9).
usage: wl_versions.py PORT PHASE(1|2|3) VERSION(3.4|3.5|3.6|3.9)
The shell driver (versions.sh) restarts the server between phases.  Env ZKCLI: the command
(JSON list) that runs this version's own ZooKeeperMain, used for `setquota`.

Ops that a version does not have are skipped: create2 (op 15), createContainer (19) and
createTTL (21) exist from 3.5 on.  A raw multi holding a Create2 sub-op is sent on 3.5+ (3.9
logs it as a create2 sub-txn, older versions as create; see README)."""
import json
import os
import subprocess
import sys

from kazoo.exceptions import BadVersionError, NoNodeError, NodeExistsError, NotEmptyError
from kazoo.protocol.serialization import Create, Create2, Delete, SetData
from kazoo.security import ACL, OPEN_ACL_UNSAFE, Id, Permissions, make_digest_acl

import zkwl

port = int(sys.argv[1])
phase = sys.argv[2]
ver = tuple(int(x) for x in sys.argv[3].split("."))
EXT = ver >= (3, 5)
zk = zkwl.connect(port)                                  # createSession


def zkcli(*args):
    cmd = json.loads(os.environ["ZKCLI"]) + ["-server", "127.0.0.1:%d" % port] + list(args)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return out.stdout.decode("utf-8", "replace")


if phase == "1":
    zk.create("/app", b"hello")                          # create (op 1), persistent
    zk.create("/app/eph", b"e", ephemeral=True)          # ephemeral
    zk.create("/app/seq-", b"s", sequence=True)          # persistent sequential
    zk.create("/app/eseq-", b"es", ephemeral=True, sequence=True)
    if EXT:
        zk.create("/app/c2", b"created with create2", include_data=True)   # create2 (op 15)
    zk.create("/app/empty", b"")                         # empty data (len 0)
    zk.create("/app/nulldata", None)                     # null data (len -1)
    zk.create("/app/binary", bytes([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x22, 0x5c, 0xe4]))
    zk.create("/app/ünï-中", "ünïcødé 中文".encode("utf-8"))
    zk.create("/app/cfg", b"v0")
    zk.set("/app/cfg", b"v1")                            # setData
    zk.set("/app/cfg", b"v2", version=1)                 # versioned setData
    zk.set("/app/empty", None)                           # setData with NULL data
    zk.set("/app/nulldata", b"now has data")
    # setACL: digest / ip / world, several perms
    zk.create("/app/acl1", b"a1")
    zk.set_acls("/app/acl1", [make_digest_acl("alice", "secret", read=True, write=True, create=True),
                              ACL(Permissions.READ, Id("ip", "127.0.0.1")),
                              ACL(Permissions.READ | Permissions.ADMIN, Id("world", "anyone"))])
    zk.create("/app/acl2", b"a2", acl=[ACL(Permissions.ALL, Id("ip", "127.0.0.1"))])
    zk.set_acls("/app/acl2", [ACL(Permissions.READ | Permissions.WRITE, Id("world", "anyone"))], version=0)
    # successful multi: create / delete / check / set_data
    zk.create("/app/m0", b"m0")
    t = zk.transaction()
    t.create("/app/m1", b"m1")
    t.create("/app/m2", b"m2")
    t.delete("/app/m0")
    t.check("/app", 0)
    t.set_data("/app/m1", b"m1b")
    r = t.commit()
    assert not any(isinstance(x, Exception) for x in r), r
    # failed multi (version check failure): create, then BadVersion, then rest -> error sub-txns
    t = zk.transaction()
    t.create("/app/m3", b"m3")
    t.check("/app/m1", 42)
    t.set_data("/app/m2", b"never")
    t.delete("/app/m2")
    r = t.commit()
    assert isinstance(r[1], BadVersionError), r
    # failed multi (NodeExists on the first op)
    t = zk.transaction()
    t.create("/app/m1", b"dup")
    t.create("/app/m4", b"m4")
    r = t.commit()
    assert isinstance(r[0], NodeExistsError), r
    # top-level errors -> error txns
    zkwl.expect_error(lambda: zk.create("/app/cfg", b"x"), NodeExistsError)
    zkwl.expect_error(lambda: zk.delete("/app/nope"), NoNodeError)
    zkwl.expect_error(lambda: zk.set("/app/cfg", b"x", version=99), BadVersionError)
    zkwl.expect_error(lambda: zk.delete("/app"), NotEmptyError)
    zk.create("/app/tmp", b"deleted right away")
    zk.delete("/app/tmp")                                # plain top-level delete
    if EXT:
        # containers: one that is emptied (server deletes it), one kept with a child
        zkwl.create_container(zk, "/cont")
        zk.create("/cont/child", b"c")
        zk.delete("/cont/child")
        zkwl.create_container(zk, "/cont2", data=None)
        zk.create("/cont2/keep", b"k")
        # TTL: one that expires (deleteContainer by the server), two that stay
        zkwl.create_ttl(zk, "/ttl-short", 500, b"short")
        zkwl.create_ttl(zk, "/ttl-long", 600000, b"long")
        zkwl.create_ttl(zk, "/ttlseq-", 900000, b"ttl-seq", sequential=True)
        # raw multi: createContainer + createTTL + create2 + create + setData + delete sub-ops
        zk.create("/app/md", b"to delete in a raw multi")
        zkwl.call(zk, zkwl.RawMulti([
            zkwl.CreateContainer("/mcont", b"mc", OPEN_ACL_UNSAFE, zkwl.CONTAINER),
            zkwl.CreateTTL("/mttl", b"mt", OPEN_ACL_UNSAFE, zkwl.PERSISTENT_WITH_TTL, 700000),
            Create2("/mcont/c2", b"create2 in multi", OPEN_ACL_UNSAFE, 0),
            Create("/mcont/plain", b"create in multi", OPEN_ACL_UNSAFE, 0),
            SetData("/mcont", b"mc2", -1),
            Delete("/app/md", -1)]))
        zkwl.wait_gone(zk, "/cont")
        zkwl.wait_gone(zk, "/ttl-short")
    # quota with this version's own zkCli (setquota -n 4)
    zk.create("/app/q", b"quota root")
    zk.create("/app/q/a", b"1")
    print(zkcli("setquota", "-n", "4", "/app/q")[-400:])
    zk.create("/app/q/b", b"2")
    # session expiry (closeSession with cxid 0) and a clean close with ephemerals
    zkwl.expire_session(port, zk, ["/app/exp1", "/app/exp2"])
    zk2 = zkwl.connect(port)
    zk2.create("/app/close1", b"c", ephemeral=True)
    zk2.create("/app/closeseq-", b"c", ephemeral=True, sequence=True)
    zk2.stop()
    zk2.close()
elif phase == "2":
    # after a restart (snapshot written at startup, new log)
    zk.set("/app/cfg", b"v3")
    zk.delete("/app/seq-0000000001")
    zk.set("/app/ünï-中", "changed ✓".encode("utf-8"))
    zk.create("/app/eph2", b"e2", ephemeral=True)        # removed by the clean closeSession at the end of the phase
    zkwl.load(zk, "/load", 8, start=100)
    # fuzzy snapshots: an async burst while the server rolls/snapshots
    zkwl.burst(zk, "/burst", 50, size=24)
    zkwl.expire_session(port, zk, ["/app/exp3"])
    t = zk.transaction()
    t.create("/app/m5", b"m5")
    t.set_data("/app/m5", b"m5b")
    t.delete("/app/m1")
    t.commit()
elif phase == "3":
    # 100 000-byte value (ASCII letters, so the dumps stay readable), created and deleted within
    # the first txns after a restart: a snapshot needs snapCount/2 txns since the start, so no
    # snapshot holds it (only log.<first of run 3>, which grows past its 64 KiB preallocation)
    zk.create("/big", bytes(0x61 + (i * 7 + 3) % 26 for i in range(100000)))
    zkwl.load(zk, "/load", 2)
    zk.delete("/big")
    zk.create("/app/final", b"last phase")
    zk.set("/app/final", b"last phase 2")
    zk.delete("/app/m2")
    zkwl.load(zk, "/load", 5, start=200)
    # keep one ephemeral and its session open at the end: the session is in the restored
    # session list because the server is stopped without a closeSession
    zk.create("/app/eph-final", b"stays", ephemeral=True)
    print("leaving session 0x%x open" % zk.client_id[0])
    sys.exit(0)
zk.stop()
zk.close()
