"""List the chunks of a snappy-java (SnappyOutputStream) file. usage: snappy_chunks.py FILE"""
import struct
import sys

b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x82SNAPPY\x00", b[:8]
off, chunks = 16, []
while off < len(b):
    (n,) = struct.unpack_from(">i", b, off)
    # varint uncompressed length at the start of the raw snappy block
    v, shift, p = 0, 0, off + 4
    while True:
        c = b[p]; v |= (c & 0x7f) << shift; p += 1; shift += 7
        if c < 0x80:
            break
    chunks.append((n, v))
    off += 4 + n
print("%s: %d chunk(s) %s" % (sys.argv[1].split("/")[-1], len(chunks),
      " ".join("%d->%d" % c for c in chunks)))
