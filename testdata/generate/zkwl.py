"""Shared kazoo helpers for the zkdd fixture workloads (run with /usr/bin/python3).

kazoo has no public API for createContainer (op 19) and createTTL (op 21); the
request classes below extend kazoo's own protocol classes and go through the
client's normal request queue (KazooClient._call).  kazoo's create()/set() accept
value=None and then send a null buffer (length -1), so null data needs no raw request.
"""
import os
import signal
import subprocess
import sys
import time
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.protocol.serialization import Create2, Transaction, long_struct
from kazoo.security import OPEN_ACL_UNSAFE

CONTAINER = 4            # CreateMode.CONTAINER
PERSISTENT_WITH_TTL = 5  # CreateMode.PERSISTENT_WITH_TTL
PERSISTENT_SEQUENTIAL_WITH_TTL = 6


class CreateContainer(Create2):
    """CreateRequest sent with opcode 19; response is a Create2Response."""
    __slots__ = ()
    type = 19


class CreateTTL(namedtuple("CreateTTL", "path data acl flags ttl")):
    """CreateTTLRequest (opcode 21): CreateRequest fields + long ttl."""
    __slots__ = ()
    type = 21

    def serialize(self):
        b = Create2(self.path, self.data, self.acl, self.flags).serialize()
        b.extend(long_struct.pack(self.ttl))
        return b

    deserialize = Create2.deserialize


class RawMulti(namedtuple("RawMulti", "operations")):
    """A multi that may hold op types kazoo cannot decode in the reply; reply kept raw."""
    __slots__ = ()
    type = 14
    serialize = Transaction.serialize

    @classmethod
    def deserialize(cls, b, offset):
        return bytes(b[offset:])


def call(zk, req, timeout=15):
    ar = zk.handler.async_result()
    zk._call(req, ar)
    return ar.get(timeout=timeout)


def create_container(zk, path, data=b"", acl=OPEN_ACL_UNSAFE):
    return call(zk, CreateContainer(path, data, acl, CONTAINER))


def create_ttl(zk, path, ttl_ms, data=b"", acl=OPEN_ACL_UNSAFE, sequential=False):
    flags = PERSISTENT_SEQUENTIAL_WITH_TTL if sequential else PERSISTENT_WITH_TTL
    return call(zk, CreateTTL(path, data, acl, flags, ttl_ms))


def connect(port, timeout=10.0):
    zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=timeout)
    zk.start(timeout=30)
    return zk


def expect_error(fn, exc):
    try:
        fn()
    except exc:
        return
    raise AssertionError("expected %s" % exc.__name__)


def wait_gone(zk, path, limit=30.0):
    end = time.time() + limit
    while time.time() < end:
        if zk.exists(path) is None:
            return True
        time.sleep(0.2)
    raise AssertionError("%s still exists after %.0fs" % (path, limit))


def expire_session(port, zk, paths):
    """Child process (own session, timeout 1.5 s) creates ephemerals `paths`, then is
    SIGKILLed; the server expires the session -> closeSession with cxid 0."""
    child = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "expire_child.py"),
         str(port)] + list(paths),
        stdout=subprocess.PIPE)
    line = child.stdout.readline()
    assert line.strip() == b"ready", line
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    for p in paths:
        wait_gone(zk, p)


def load(zk, prefix, n, start=0):
    """Sync filler traffic: create, set, delete per item (3 txns each)."""
    zk.ensure_path(prefix)
    for i in range(start, start + n):
        p = "%s/n%04d" % (prefix, i)
        zk.create(p, b"v%d" % i)
        zk.set(p, b"w%d" % i)
        zk.delete(p)


def burst(zk, prefix, n, size=16):
    """Async burst: n creates + n sets in flight at once (for fuzzy snapshots / torn tails)."""
    zk.ensure_path(prefix)
    rs = [zk.create_async("%s/b%05d" % (prefix, i), b"x" * size) for i in range(n)]
    rs += [zk.set_async("%s/b%05d" % (prefix, i), b"y" * size) for i in range(n)]
    for r in rs:
        try:
            r.get(timeout=30)
        except Exception:
            pass


def zkcli(port, *args):
    out = subprocess.run(["/usr/share/zookeeper/bin/zkCli.sh", "-server", "127.0.0.1:%d" % port] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return out.stdout.decode("utf-8", "replace")
