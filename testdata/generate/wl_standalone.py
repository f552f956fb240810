"""Workload for the `standalone` scenario.  usage: wl_standalone.py PORT PHASE (1|2|3)
The shell driver restarts the server between phases."""
import sys
import time

from kazoo.exceptions import BadVersionError, NoNodeError, NodeExistsError, NotEmptyError
from kazoo.security import ACL, Id, Permissions, make_digest_acl

import zkwl

port = int(sys.argv[1])
phase = sys.argv[2]
zk = zkwl.connect(port)                                  # createSession

if phase == "1":
    zk.create("/app", b"hello")                          # create (op 1), persistent
    zk.create("/app/eph", b"e", ephemeral=True)          # ephemeral
    zk.create("/app/seq-", b"s", sequence=True)          # persistent sequential
    zk.create("/app/eseq-", b"es", ephemeral=True, sequence=True)
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
    # successful multi: create / delete / set_data / check
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
    zkwl.expect_error(lambda: zk.delete("/app/cfg", version=99), BadVersionError)
    zkwl.expect_error(lambda: zk.delete("/app"), NotEmptyError)
    # containers: one that is emptied (server deletes it), one kept with a child
    zkwl.create_container(zk, "/cont")
    zk.create("/cont/child", b"c")
    zk.delete("/cont/child")
    zkwl.create_container(zk, "/cont2", data=None)
    zk.create("/cont2/keep", b"k")
    # TTL: one that expires (deleteContainer by the server), one that stays
    zkwl.create_ttl(zk, "/ttl-short", 500, b"short")
    zkwl.create_ttl(zk, "/ttl-long", 600000, b"long")
    zkwl.create_ttl(zk, "/ttlseq-", 900000, b"ttl-seq", sequential=True)
    # multi with createContainer + createTTL sub-txns
    zkwl.call(zk, zkwl.RawMulti([zkwl.CreateContainer("/mcont", b"mc", zkwl.OPEN_ACL_UNSAFE, zkwl.CONTAINER),
                                 zkwl.CreateTTL("/mttl", b"mt", zkwl.OPEN_ACL_UNSAFE, zkwl.PERSISTENT_WITH_TTL, 700000),
                                 zkwl.CreateContainer("/mcont/x", b"", zkwl.OPEN_ACL_UNSAFE, zkwl.CONTAINER)]))
    zkwl.wait_gone(zk, "/cont")
    zkwl.wait_gone(zk, "/ttl-short")
    # quota (zkCli setquota -n 4)
    zk.create("/app/q", b"quota root")
    zk.create("/app/q/a", b"1")
    print(zkwl.zkcli(port, "setquota", "-n", "4", "/app/q")[-300:])
    zk.create("/app/q/b", b"2")
    # session expiry (closeSession with cxid 0) and a clean close with ephemerals
    zkwl.expire_session(port, zk, ["/app/exp1", "/app/exp2"])
    zk2 = zkwl.connect(port)
    zk2.create("/app/close1", b"c", ephemeral=True)
    zk2.create("/app/closeseq-", b"c", ephemeral=True, sequence=True)
    zk2.stop()
    zk2.close()
    zk.create("/big", bytes((i * 7 + 3) % 251 for i in range(100000)))   # ~100 KB value
    zkwl.load(zk, "/load", 10)
    zk.delete("/big")                                    # large value only in a few snapshots
    zkwl.load(zk, "/load", 15, start=10)
elif phase == "2":
    # after a restart (snapshot written at startup, new log)
    zk.set("/app/cfg", b"v3")
    zk.delete("/app/seq-0000000001")
    zk.set("/app/ünï-中", "changed ✓".encode("utf-8"))
    zk.create("/app/eph2", b"e2", ephemeral=True)        # removed by the clean closeSession at the end of the phase
    zkwl.load(zk, "/load", 30, start=100)
    # fuzzy snapshot: a large async burst while the server rolls/snapshots
    zkwl.burst(zk, "/burst", 150, size=40)
    zkwl.expire_session(port, zk, ["/app/exp3"])
    t = zk.transaction()
    t.create("/app/m5", b"m5")
    t.set_data("/app/m5", b"m5b")
    t.delete("/app/m1")
    t.commit()
elif phase == "3":
    zk.create("/app/final", b"last phase")
    zk.set("/app/final", b"last phase 2")
    zk.delete("/app/m2")
    zkwl.load(zk, "/load", 10, start=200)
    # keep one ephemeral and its session open at the end: the session is in the restored
    # session list because the server is stopped without a closeSession
    zk.create("/app/eph-final", b"stays", ephemeral=True)
    print("leaving session 0x%x open" % zk.client_id[0])
    sys.exit(0)
zk.stop()
zk.close()
