"""Moderate workload for the nodigest / gz / snappy scenarios.
usage: wl_basic.py PORT PHASE(1|2) [BIGNODES]
BIGNODES: number of 20 KB incompressible-ish nodes (snappy: > 32 KiB of snapshot -> several chunks)."""
import random
import sys

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError
from kazoo.security import ACL, Id, Permissions

import zkwl

port, phase = int(sys.argv[1]), sys.argv[2]
big = int(sys.argv[3]) if len(sys.argv) > 3 else 0
zk = zkwl.connect(port)
rnd = random.Random(42)
if phase == "1":
    zk.create("/app", b"hello")
    zk.create("/app/eph", b"e", ephemeral=True)
    zk.create("/app/seq-", b"s", sequence=True)
    zk.create("/app/c2", b"c2", include_data=True)
    zk.create("/app/nulldata", None)
    zk.create("/app/empty", b"")
    zk.create("/app/ünï-中", "ünï".encode())
    zk.set("/app", b"hello2", version=0)
    zk.set_acls("/app/c2", [ACL(Permissions.READ, Id("world", "anyone")),
                            ACL(Permissions.ALL, Id("ip", "127.0.0.1"))])
    t = zk.transaction()
    t.create("/app/m1", b"m1")
    t.set_data("/app", b"hello3")
    t.check("/app/seq-0000000001", 0)
    t.commit()
    t = zk.transaction()
    t.create("/app/m2", b"m2")
    t.check("/app", 99)
    t.commit()
    zkwl.expect_error(lambda: zk.create("/app", b""), NodeExistsError)
    zkwl.expect_error(lambda: zk.delete("/nope"), NoNodeError)
    zkwl.expect_error(lambda: zk.set("/app", b"", version=42), BadVersionError)
    zkwl.create_container(zk, "/cont")
    zk.create("/cont/x", b"")
    zk.delete("/cont/x")
    zkwl.wait_gone(zk, "/cont")
    zkwl.create_ttl(zk, "/ttl", 600000, b"t")
    zkwl.expire_session(port, zk, ["/app/exp"])
    zkwl.load(zk, "/load", 40)
elif phase == "2":
    zk.delete("/app/seq-0000000001")
    zk.set("/app/m1", b"m1b")
    zkwl.load(zk, "/load", 30, start=100)
    for i in range(big):   # created late so that only the last snapshots carry them
        zk.create("/big%d" % i, bytes(rnd.getrandbits(8) for _ in range(20000)))
    zkwl.burst(zk, "/burst", 60, size=30)
    zk.create("/app/open", b"session left open", ephemeral=True)
    sys.exit(0)   # no closeSession: the session survives in the data dir
zk.stop()
zk.close()
