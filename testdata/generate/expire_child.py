"""Child for session-expiry scenarios: connect with a 1.5 s session timeout, create
the ephemerals given on the command line, print 'ready', then sleep until killed."""
import sys
import time

from kazoo.client import KazooClient

zk = KazooClient(hosts="127.0.0.1:%s" % sys.argv[1], timeout=1.5)
zk.start(timeout=30)
for p in sys.argv[2:]:
    zk.create(p, b"expiring", ephemeral=True)
sys.stdout.write("ready\n")
sys.stdout.flush()
while True:
    time.sleep(60)
