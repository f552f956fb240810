"""Pick restore points from TxnLogToolkit dumps (expected/txnlogtoolkit/*.txt).
usage: pick_zxids.py DUMP_DIR [DUMP_DIR...]  -> prints "<zxid hex> <reason>" lines (3-5 of them)
Rules (first match each, in zxid order):
  multi        zxid of the first successful multi (the chopped log ends ON the multi)
  pre-delete   zxid right before the first server-side deleteContainer (else first delete)
  expiry       zxid of the first closeSession with cxid 0 (session expiry)
  epoch-N      for multi-epoch logs: the last zxid of each epoch but the newest, and the
               3rd txn of the newest epoch
  mid          a zxid about 60% through the history (a plain txn)
"""
import glob
import os
import re
import sys

pat = re.compile(rb"session (0x[0-9a-f]+) cxid (0x[0-9a-f]+) zxid (0x[0-9a-f]+) (\S+)(.*)")
txns = {}
# several dump dirs (e.g. txnlogtoolkit + logformatter, where a toolkit died mid-file): union by zxid
for d in sys.argv[1:]:
    for f in glob.glob(os.path.join(d, "log.*.txt")):
        for line in open(f, "rb").read().split(b"\n"):
            m = pat.search(line)
            if m:
                z = int(m.group(3), 16)
                txns.setdefault(z, (int(m.group(2), 16), m.group(4).decode(), m.group(5)))
zs = sorted(txns)
picks = {}


def add(z, why):
    if z is not None and z in txns and z not in picks:
        picks[z] = why


add(next((z for z in zs if txns[z][1] == "multi" and b"error:" not in txns[z][2]
           and b"s{-1," not in txns[z][2]), None),   # 3.8 toolkit / jute toString (3.4-3.6)
    "multi: zxid of the first successful multi")
dc = next((z for z in zs if txns[z][1] == "deleteContainer"), None)
if dc is None:
    dc = next((z for z in zs if txns[z][1] == "delete"), None)
if dc is not None:
    add(max(z for z in zs if z < dc), "pre-delete: txn right before the %s at 0x%x" % (txns[dc][1], dc))
add(next((z for z in zs if txns[z][1] == "closeSession" and txns[z][0] == 0), None),
    "expiry: closeSession of an expired session (cxid 0)")
epochs = sorted({z >> 32 for z in zs})
if len(epochs) > 1:
    for e in epochs[:-1]:
        add(max(z for z in zs if z >> 32 == e), "epoch-%d: last txn of epoch %d" % (e, e))
    last = [z for z in zs if z >> 32 == epochs[-1]]
    add(last[min(2, len(last) - 1)], "epoch-%d: 3rd txn of epoch %d" % (epochs[-1], epochs[-1]))
else:
    add(zs[int(len(zs) * 0.6)], "mid: ~60% through the history")
for z in sorted(picks)[:5]:
    print("0x%x %s" % (z, picks[z]))
