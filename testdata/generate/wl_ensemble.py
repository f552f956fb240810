"""Workload for `ensemble`. usage: wl_ensemble.py HOSTS PHASE   (HOSTS = "127.0.0.1:p1,127.0.0.1:p2")
 1: epoch 1 (original leader); 2: after the leader was stopped (new epoch); 3: after it rejoined."""
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NodeExistsError

import zkwl

hosts, phase = sys.argv[1], sys.argv[2]
zk = KazooClient(hosts=hosts, timeout=10.0)
zk.start(timeout=60)
port = int(hosts.split(",")[0].split(":")[1])
if phase == "1":
    zk.create("/ens", b"epoch1")
    zk.create("/ens/eph", b"e", ephemeral=True)
    zk.create("/ens/seq-", b"s", sequence=True)
    zk.create("/ens/c2", b"c2", include_data=True)
    t = zk.transaction()
    t.create("/ens/m1", b"m1")
    t.set_data("/ens", b"epoch1b")
    t.commit()
    t = zk.transaction()
    t.create("/ens/m2", b"m2")
    t.check("/ens", 77)
    t.commit()
    zkwl.expect_error(lambda: zk.create("/ens", b""), NodeExistsError)
    zkwl.create_container(zk, "/ens-cont")
    zk.create("/ens-cont/x", b"x")
    zkwl.create_ttl(zk, "/ens-ttl", 600000, b"ttl")
    zkwl.expire_session(port, zk, ["/ens/exp"])
    zkwl.load(zk, "/load", 30)
elif phase == "2":
    zk.set("/ens", b"epoch2")
    zk.delete("/ens/seq-0000000001")
    zk.delete("/ens-cont/x")           # the container becomes empty -> deleteContainer by the new leader
    zkwl.wait_gone(zk, "/ens-cont")
    t = zk.transaction()
    t.create("/ens/m3", b"m3")
    t.delete("/ens/m1")
    t.commit()
    zkwl.load(zk, "/load", 30, start=100)
elif phase == "3":
    zk.set("/ens", b"after rejoin")
    zkwl.expect_error(lambda: zk.set("/ens", b"x", version=999), BadVersionError)
    zkwl.load(zk, "/load", 15, start=200)
    zk.create("/ens/final", b"done")
zk.stop()
zk.close()
