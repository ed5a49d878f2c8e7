#!/usr/bin/python3
"""emu_pcap.py write IN.pcap EMPTY.pcap | compare IN.pcap OUT.pcap — the known capture for the pcap
test: 600 Ethernet frames (IPv4/UDP with a sequence number, IPv6, VLAN-tagged, non-IP; 60..1514 B),
and a frame-by-frame comparison of what came out (count, order, bytes)."""
import random, struct, sys

def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000, i, len(fr), len(fr)))
            f.write(fr)

def read(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit(f"{path}: not a little-endian pcap file")
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

def frames():
    rnd = random.Random(11)
    dst, src = b"\x02\x00\x00\x00\x00\x02", b"\x02\x00\x00\x00\x00\x01"
    out = []
    for seq in range(600):
        size = rnd.choice([60, 64, 128, 576, 1000, 1400, 1514]) if seq % 7 else rnd.randint(60, 1514)
        kind = seq % 5
        body = struct.pack("!I", seq) + bytes(rnd.getrandbits(8) for _ in range(size))
        if kind == 0:      # IPv4/UDP, ECT(0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0x02, 0, seq, 0, 64, 17, 0, b"\x0a\x4d\x00\x01", b"\x0a\x4d\x00\x02")
            fr = dst + src + b"\x08\x00" + ip + body
        elif kind == 1:    # IPv6
            fr = dst + src + b"\x86\xdd" + b"\x60\x00\x00\x00" + struct.pack("!HBB", 0, 17, 64) + bytes(32) + body
        elif kind == 2:    # VLAN 100 + IPv4
            fr = dst + src + b"\x81\x00\x00\x64\x08\x00" + b"\x45\x00" + bytes(18) + body
        elif kind == 3:    # non-IP
            fr = dst + src + b"\x88\xb5" + body
        else:              # garbage after a MAC header
            fr = dst + src + body
        out.append(fr[:size] if len(fr) > size else fr)
    return out

if sys.argv[1] == "write":
    write(sys.argv[2], frames())
    write(sys.argv[3], [])
else:
    a, b = read(sys.argv[2]), read(sys.argv[3])
    if len(a) != len(b):
        raise SystemExit(f"FAIL: {len(a)} frames in, {len(b)} out")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            raise SystemExit(f"FAIL: frame {i} differs ({len(x)} B in, {len(y)} B out)")
    print(f"ok: {len(a)} frames out, complete, in order, byte-identical")
