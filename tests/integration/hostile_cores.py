# hostile_cores.py — small hostile ELF cores for `jitdebug core` (tests/integration/cli_input.sh): what
# they make it do must be bounded by what they hold.
#   python3 hostile_cores.py same-bytes OUT OBJ [N]  N registry entries (default 1000), each its own id,
#                                                   all naming one 1 MiB object (OBJ, padded) in the core
#   python3 hostile_cores.py same-id OUT OBJ         3 entries with id 1, each naming its own copy of OBJ
#                                                   (its allocated sections given load addresses)
#   python3 hostile_cores.py nt-file OUT [N]         an NT_FILE note of N distinct paths (default 400,000)
#   python3 hostile_cores.py headers OUT             100 registry headers sharing one chain of 80,000
#                                                   overlapping entries
import struct, sys
kind, out = sys.argv[1], sys.argv[2]
MAGIC = 0x3130474552444a4a
BASE = 0x7f0000000000
def core(segments, notes=b""):
    # ELF64 ET_CORE x86-64: PT_NOTE (if any) then one PT_LOAD per segment.
    phs = ([("note", notes)] if notes else []) + [("load", v, d) for v, d in segments]
    off = 64 + 56 * len(phs)
    hdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7, 4, 62, 1, 0, 64, 0, 0, 64, 56,
                      len(phs), 64, 0, 0)
    body, ph = b"", b""
    for p in phs:
        data = p[1] if p[0] == "note" else p[2]
        if p[0] == "note":
            ph += struct.pack("<IIQQQQQQ", 4, 0, off + len(body), 0, 0, len(data), 0, 4)
        else:
            ph += struct.pack("<IIQQQQQQ", 1, 6, off + len(body), p[1], 0, len(data), len(data), 4096)
        body += data
    return hdr + ph + body
def header(count, first):
    return struct.pack("<QIIQQQQQ", MAGIC, 1, 56, 0, count, first, first, 0)
if kind == "same-bytes":
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    obj = open(sys.argv[3], "rb").read().ljust(1 << 20, b"\0")
    objaddr, entries = BASE + 0x100000, BASE + 0x1000
    seg = bytearray(header(n, entries).ljust(0x1000, b"\0"))
    for i in range(n):
        nxt = entries + 64 * (i + 1) if i + 1 < n else 0
        seg += struct.pack("<QQQQQQQII", nxt, 0, i + 1, objaddr, len(obj), 0x1000, 0x2000, 0, 64)
    open(out, "wb").write(core([(BASE, bytes(seg)), (objaddr, obj)]))
elif kind == "same-id":
    obj = bytearray(open(sys.argv[3], "rb").read())
    shoff, shnum = struct.unpack_from("<Q", obj, 0x28)[0], struct.unpack_from("<H", obj, 0x3c)[0]
    for i in range(1, shnum):  # SHF_ALLOC sections with bytes get addresses, as a JIT gives them
        sh = shoff + 64 * i
        flags, size = struct.unpack_from("<Q", obj, sh + 8)[0], struct.unpack_from("<Q", obj, sh + 32)[0]
        if flags & 2 and size:
            struct.pack_into("<Q", obj, sh + 16, 0x7e0000000000 + 0x10000 * i)
    entries, objs = BASE + 0x1000, BASE + 0x100000
    stride = (len(obj) + 4095) & ~4095
    seg = bytearray(header(3, entries).ljust(0x1000, b"\0"))
    for i in range(3):
        nxt = entries + 64 * (i + 1) if i < 2 else 0
        seg += struct.pack("<QQQQQQQII", nxt, 0, 1, objs + i * stride, len(obj), 0x1000, 0x2000, 0, 64)
    blob = b"".join(bytes(obj).ljust(stride, b"\0") for _ in range(3))
    open(out, "wb").write(core([(BASE, bytes(seg)), (objs, blob)]))
elif kind == "nt-file":
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 400000
    paths = [("/nonexistent/jitdebug-%06d" % i).encode() + b"\0" for i in range(n)]
    desc = struct.pack("<QQ", n, 4096) + b"".join(struct.pack("<QQQ", 0x10000 + i * 4096, 0x11000 + i * 4096, 0)
                                                   for i in range(n)) + b"".join(paths)
    note = struct.pack("<III", 5, len(desc), 0x46494c45) + b"CORE\0\0\0\0" + desc + b"\0" * (-len(desc) % 4)
    open(out, "wb").write(core([(BASE, header(0, 0))], note))
elif kind == "headers":
    n, heads = 80000, 100
    chain = BASE + 0x10000
    seg = bytearray()
    for h in range(heads):
        seg += header(n, chain).ljust(64, b"\0")
    seg = seg.ljust(0x10000, b"\0")
    for k in range(n + 8):
        seg += struct.pack("<Q", chain + 8 * (k + 1) if k < n else 0)
    open(out, "wb").write(core([(BASE, bytes(seg))]))
