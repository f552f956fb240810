#!/usr/bin/env python3
"""Derive the negative fixtures in testdata/corrupt/ from real ZooKeeper files.

Each case copies one real file, breaks one thing, and records in expect.json
what a reader must report: the kind of problem and the byte offset, computed
here by walking the framing independently of zkdd (FORMAT.md §2.2, §4.3).
Rerun: testdata/generate/make_corrupt.py  (idempotent).
"""
import gzip, json, os, shutil, struct, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "zk-3.8")
OUT = os.path.join(ROOT, "corrupt")


def entries(log):
    """(offset, len) of every entry until the zero length."""
    pos, out = 16, []
    while pos + 12 <= len(log):
        crc, n = struct.unpack(">qi", log[pos:pos + 12])
        if n == 0:
            break
        out.append((pos, n))
        pos += 12 + n + 1
    return out, pos


# The finding code zkdd verify (and dump's file line) must give for what
# each case broke: "kind" is what the decoder meets, "code" what it means
# for the file.
CODES = {
    "log-wrong-magic": "log_bad_header",
    "log-truncated-header": "log_bad_header",
    "log-bad-checksum": "log_checksum_mismatch",
    "log-missing-end-of-record": "log_missing_eor",
    "log-torn-tail": "log_torn_tail",
    "log-negative-length": "log_bad_length",
    "log-absurd-length": "log_bad_length",
    "log-garbage-in-padding": "log_garbage_after_end",
    "log-unknown-txn-type": "log_undecodable_txn",
    "snapshot-bad-seal": "snapshot_seal_mismatch",
    "snapshot-bad-second-seal": "snapshot_seal_mismatch",
    "snapshot-truncated": "snapshot_truncated",
    "snapshot-absurd-path-length": "snapshot_corrupt",
    "snapshot-wrong-magic": "snapshot_bad_header",
    "snapshot-gz-truncated": "snapshot_compressed_stream",
    # A snappy chunk cut short is a damaged container, not a short stream.
    "snapshot-snappy-truncated": "snapshot_compressed_stream",
}


def write(name, fname, data, kind, offset, note):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump({"file": fname, "kind": kind, "code": CODES[name], "offset": offset, "note": note},
                  f, indent=1)
        f.write("\n")


def logs():
    src = os.path.join(SRC, "standalone/data/version-2/log.1")
    log = open(src, "rb").read()
    ents, end = entries(log)
    keep = end + 4096  # the logical part plus some padding keeps files small

    b = bytearray(log[:keep]); b[0:4] = b"ZKSN"
    write("log-wrong-magic", "log.1", b, "bad_magic", 0, "magic ZKSN instead of ZKLG")

    write("log-truncated-header", "log.1", log[:10], "unexpected_eof", 8, "file ends inside the 16-byte header")

    off, n = ents[3]
    b = bytearray(log[:keep]); b[off + 12 + n // 2] ^= 0x01
    write("log-bad-checksum", "log.1", b, "checksum_mismatch", off, "one bit flipped in the body of entry 3")

    off, n = ents[2]
    b = bytearray(log[:keep]); b[off + 12 + n] = 0x41
    write("log-missing-end-of-record", "log.1", b, "missing_end_of_record", off + 12 + n,
          "end-of-record byte of entry 2 is 0x41; valid entries follow")

    off, n = ents[5]
    write("log-torn-tail", "log.1", log[:off + 12 + n // 2], "torn_tail", off,
          "file cut in the middle of entry 5's body")

    off, n = ents[4]
    b = bytearray(log[:keep]); b[off + 8:off + 12] = struct.pack(">i", -2)
    write("log-negative-length", "log.1", b, "bad_length", off + 8, "length -2 in entry 4")

    off, n = ents[4]
    b = bytearray(log[:keep]); b[off + 8:off + 12] = struct.pack(">i", 0x7ffffff0)
    write("log-absurd-length", "log.1", b, "bad_length", off + 8, "length 0x7ffffff0 in entry 4")

    b = bytearray(log[:keep]); b[end + 100] = 0x5a
    write("log-garbage-in-padding", "log.1", b, "padding_with_garbage", end + 100,
          "a non-zero byte 100 bytes after the logical end")

    # Entry 1's op type set to 99 with a recomputed checksum: undecodable, not a bad CRC.
    off, n = ents[1]
    b = bytearray(log[:keep])
    b[off + 12 + 28:off + 12 + 32] = struct.pack(">i", 99)
    b[off:off + 8] = struct.pack(">q", zlib.adler32(bytes(b[off + 12:off + 12 + n])) & 0xffffffff)
    write("log-unknown-txn-type", "log.1", b, "unknown_op_code", off + 12 + 32, "txn type 99 with a valid checksum")


def nodes_end(s):
    """Offset of the "/" terminator of a raw snapshot stream."""
    pos = 16
    (n,) = struct.unpack(">i", s[pos:pos + 4]); pos += 4 + 12 * n
    (n,) = struct.unpack(">i", s[pos:pos + 4]); pos += 4
    for _ in range(n):
        pos += 8
        (k,) = struct.unpack(">i", s[pos:pos + 4]); pos += 4
        for _ in range(max(k, 0)):
            pos += 4
            for _ in range(2):
                (l,) = struct.unpack(">i", s[pos:pos + 4]); pos += 4 + l
    first_node = pos
    while True:
        (l,) = struct.unpack(">i", s[pos:pos + 4])
        path = s[pos + 4:pos + 4 + l]
        if path == b"/":
            return first_node, pos
        pos += 4 + l
        (dl,) = struct.unpack(">i", s[pos:pos + 4]); pos += 4 + max(dl, 0)
        pos += 8 + 60


def snapshots():
    d = os.path.join(SRC, "standalone/data/version-2")
    raw = [f for f in os.listdir(d) if f.startswith("snapshot.") and f != "snapshot.0"]
    name = sorted(raw, key=lambda f: os.path.getsize(os.path.join(d, f)))[len(raw) // 2]
    s = open(os.path.join(d, name), "rb").read()
    first, term = nodes_end(s)
    seal1 = term + 5
    seal2 = seal1 + 13 + 20

    b = bytearray(s); b[term - 30] ^= 0x01
    write("snapshot-bad-seal", name, b, "checksum_mismatch", seal1, "one bit flipped in the last node's stat")

    b = bytearray(s); b[seal1 + 13 + 19] ^= 0x01
    write("snapshot-bad-second-seal", name, b, "checksum_mismatch", seal2,
          "one bit flipped in the digest value: only seal #2 covers it")

    write("snapshot-truncated", name, s[:first + 7], "unexpected_eof", first + 4,
          "cut inside the root node's data length")

    b = bytearray(s); b[first:first + 4] = struct.pack(">i", 0x40000000)
    write("snapshot-absurd-path-length", name, b, "length_over_limit", first, "root path length 1 GiB")

    b = bytearray(s); b[0:4] = b"ZKLG"
    write("snapshot-wrong-magic", name, b, "bad_magic", 0, "magic ZKLG instead of ZKSN")

    gz = [f for f in os.listdir(os.path.join(SRC, "gz/data/version-2")) if f.endswith(".gz")]
    g = open(os.path.join(SRC, "gz/data/version-2", sorted(gz)[-1]), "rb").read()
    write("snapshot-gz-truncated", sorted(gz)[-1], g[:len(g) // 2], "decompress", len(g) // 2,
          "gzip stream cut in half (offset = compressed size read)")

    sn = [f for f in os.listdir(os.path.join(SRC, "snappy/data/version-2")) if f.endswith(".snappy")]
    big = max(sn, key=lambda f: os.path.getsize(os.path.join(SRC, "snappy/data/version-2", f)))
    s2 = open(os.path.join(SRC, "snappy/data/version-2", big), "rb").read()
    (clen,) = struct.unpack(">i", s2[16:20])
    write("snapshot-snappy-truncated", big, s2[:20 + clen + 4 + 10], "unexpected_eof", 20 + clen + 4,
          "second snappy chunk cut after 10 bytes")


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    logs()
    snapshots()
