#!/usr/bin/python3
"""emu_frames.py IFACE — sends odd frames on IFACE (AF_PACKET): runts, non-IP, garbage, truncated
IP headers, VLAN-tagged, IPv6 with ECT, a jumbo UDP frame. Prints how many it sent."""
import os, random, socket, struct, sys

iface = sys.argv[1]
rnd = random.Random(5)
dst, src = b"\x02\x00\x00\x00\x00\x02", b"\x02\x00\x00\x00\x00\x01"
frames = [
    dst + src[:2],                                                   # 8 B runt (shorter than a header)
    dst + src + b"\x08\x00",                                         # header only, IPv4 type
    dst + src + b"\x08\x00" + b"\x45\x00\x00",                       # truncated IPv4 header
    dst + src + b"\x88\xb5" + bytes(46),                             # non-IP (local experimental type)
    dst + src + b"\x81\x00\x00\x05\x81\x00\x00\x06\x08\x00" + b"\x46" + bytes(19),  # double VLAN, bad IHL
    dst + src + b"\x86\xdd" + b"\x60\x10\x00\x00" + bytes(36),       # IPv6 header, ECT(0)... no payload
    dst + src + b"\x08\x00" + b"\x4f\x02" + bytes(18),               # IHL 15 but only 20 B present, ECT
]
for _ in range(40):                                                  # random garbage
    frames.append(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(14, 1500))))
# A valid jumbo IPv4/UDP frame (8972 B of payload).
payload = bytes(8972)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 1, 0, 64, 17, 0,
                 socket.inet_aton("10.77.0.1"), socket.inet_aton("10.77.0.2"))
frames.append(dst + src + b"\x08\x00" + ip + struct.pack("!HHHH", 9, 9, 8 + len(payload), 0) + payload)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
sent = 0
for f in frames:
    try:
        s.send(f)
        sent += 1
    except OSError as e:
        print(f"# {len(f)} B frame refused by the kernel: {e}", file=sys.stderr)
print(sent)
