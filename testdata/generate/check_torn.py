"""Walk a ZooKeeper txn log the way FileTxnIterator does and report how it ends.
usage: check_torn.py LOGFILE   -> prints one summary line; exit 0 if the tail is torn, 1 if clean."""
import struct
import sys
import zlib

b = open(sys.argv[1], "rb").read()
magic, ver, dbid = struct.unpack_from(">iiq", b, 0)
assert magic == 0x5A4B4C47, hex(magic)
off, n, last_zxid = 16, 0, None
while True:
    start = off
    if off + 12 > len(b):
        print("TORN: EOF inside the crc/len prefix at offset %d (file size %d) after %d entries, last zxid %s"
              % (start, len(b), n, last_zxid and hex(last_zxid)))
        sys.exit(0)
    crc, ln = struct.unpack_from(">qi", b, off)
    if ln == 0 and crc == 0:
        print("CLEAN: %d entries, logical end at offset %d (zero padding), last zxid %s, file size %d"
              % (n, start, last_zxid and hex(last_zxid), len(b)))
        sys.exit(1)
    body = b[off + 12: off + 12 + ln]
    if off + 12 + ln + 1 > len(b):
        print("TORN: entry %d at offset %d promises len %d (needs %d bytes to offset %d incl. 0x42) but the file ends at %d "
              "(%d bytes of it present); last complete zxid %s"
              % (n + 1, start, ln, 12 + ln + 1, start + 12 + ln + 1, len(b), len(b) - start, last_zxid and hex(last_zxid)))
        sys.exit(0)
    if b[off + 12 + ln] != 0x42:
        print("TORN: entry %d at offset %d has no 0x42 EOR (byte %#x); last complete zxid %s"
              % (n + 1, start, b[off + 12 + ln], last_zxid and hex(last_zxid)))
        sys.exit(0)
    if zlib.adler32(body) & 0xffffffff != crc:
        print("TORN/CORRUPT: CRC mismatch in entry %d at offset %d; last good zxid %s" % (n + 1, start, last_zxid and hex(last_zxid)))
        sys.exit(0)
    last_zxid = struct.unpack_from(">q", body, 12)[0]
    n += 1
    off += 12 + ln + 1
