"""Small workload for the compressed-snapshot scenarios of zk-3.6 / zk-3.9 (gz, snappy).
usage: wl_compress.py PORT PHASE(1|2|3) BIGNODES
BIGNODES: number of 16 000-byte values (random lowercase letters) created late in phase 2, so that the last
snapshots (at least the start-up snapshot of phase 3) exceed 32 KiB uncompressed (a snappy-java
stream of several chunks)."""
import random
import sys

from kazoo.exceptions import BadVersionError, NodeExistsError
from kazoo.security import ACL, Id, Permissions

import zkwl

port, phase, big = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
zk = zkwl.connect(port)
rnd = random.Random(42)
if phase == "1":
    zk.create("/app", b"hello")
    zk.create("/app/eph", b"e", ephemeral=True)
    zk.create("/app/seq-", b"s", sequence=True)
    zk.create("/app/c2", b"c2", include_data=True)
    zk.create("/app/nulldata", None)
    zk.create("/app/ünï-中", "ünï".encode())
    zk.set("/app", b"hello2", version=0)
    zk.set_acls("/app/c2", [ACL(Permissions.READ, Id("world", "anyone")),
                            ACL(Permissions.ALL, Id("ip", "127.0.0.1"))])
    t = zk.transaction()
    t.create("/app/m1", b"m1")
    t.check("/app", 99)
    t.commit()
    zkwl.expect_error(lambda: zk.create("/app", b""), NodeExistsError)
    zkwl.expect_error(lambda: zk.set("/app", b"", version=42), BadVersionError)
    zkwl.create_container(zk, "/cont2", data=None)
    zk.create("/cont2/keep", b"k")
    zkwl.create_ttl(zk, "/ttl", 600000, b"t")
    zkwl.expire_session(port, zk, ["/app/exp"])
    zkwl.load(zk, "/load", 15)
elif phase == "2":
    zk.delete("/app/seq-0000000001")
    zkwl.load(zk, "/load", 10, start=100)
    for i in range(big):   # created late so that only the last snapshots carry them
        zk.create("/big%d" % i, bytes(0x61 + rnd.randrange(26) for _ in range(16000)))   # random letters
    zkwl.load(zk, "/load", 5, start=200)
elif phase == "3":   # after a restart: the start-up snapshot holds the big values
    zk.set("/app", b"hello3")
    zk.create("/app/open", b"session left open", ephemeral=True)
    sys.exit(0)   # no closeSession: the session survives in the data dir
zk.stop()
zk.close()
