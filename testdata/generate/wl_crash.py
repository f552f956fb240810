"""Workload for `crash`. usage: wl_crash.py PORT PHASE
 setup: some sync history (several logs/snapshots)
 burst: endless async writes with 500-byte values (the driver kill -9s the server meanwhile)"""
import sys
import time

import zkwl

port, phase = int(sys.argv[1]), sys.argv[2]
zk = zkwl.connect(port)
if phase == "setup":
    zk.create("/crash", b"root")
    zk.create("/crash/eph", b"e", ephemeral=True)
    t = zk.transaction()
    t.create("/crash/m1", b"m1")
    t.set_data("/crash", b"root2")
    t.commit()
    zkwl.load(zk, "/crash/load", 40)
    zk.delete("/crash/m1")
    zk.stop()
    zk.close()
else:
    # 20 nodes rewritten over and over: many big log entries, small snapshots
    for k in range(20):
        zk.create("/crash/b%02d" % k, b"")
    print("bursting", flush=True)
    i = 0
    while True:
        rs = [zk.set_async("/crash/b%02d" % (k % 20), b"%08d" % (i + k) + b"z" * 500) for k in range(200)]
        for r in rs:
            r.get(timeout=30)
        i += 200
