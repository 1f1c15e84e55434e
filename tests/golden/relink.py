#!/usr/bin/python3
"""Re-encapsulate an Ethernet pcap in another link type, packet for packet.

usage: relink.py KIND IN.pcap OUT.pcap
KIND: null-le, null-be, loop, raw, ipv4 (v4 only), ipv6 (v6 only), sll, sll2,
      vlan (802.1Q), qinq (802.1ad + 802.1Q)
The IP packets are unchanged, so rpcwatch must report the same flows for
every KIND as for the Ethernet original.
"""
import struct, sys

DLT = {"null-le": 0, "null-be": 0, "loop": 108, "raw": 101, "ipv4": 228, "ipv6": 229,
       "sll": 113, "sll2": 276, "vlan": 1, "qinq": 1}

def main():
    kind, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        sys.exit("relink.py: %s: not a classic microsecond pcap" % src)
    ver_maj, ver_min, tz, sig, snap, lt = struct.unpack(e + "HHiIII", data[4:24])
    if lt != 1:
        sys.exit("relink.py: %s: link type %d is not Ethernet" % (src, lt))
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, DLT[kind])]
    off = 24
    while off + 16 <= len(data):
        ts, tus, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16: off + 16 + incl]
        off += 16 + incl
        etype = struct.unpack(">H", frame[12:14])[0]
        ip = frame[14:]
        if kind == "null-le":
            hdr = struct.pack("<I", 2 if etype == 0x0800 else 24)
        elif kind == "null-be":
            hdr = struct.pack(">I", 2 if etype == 0x0800 else 30)
        elif kind == "loop":
            hdr = struct.pack(">I", 2 if etype == 0x0800 else 24)
        elif kind in ("raw", "ipv4", "ipv6"):
            hdr = b""
        elif kind == "sll":
            hdr = struct.pack(">HHH8sH", 0, 1, 6, frame[6:12] + b"\0\0", etype)
        elif kind == "sll2":
            hdr = struct.pack(">HHIHBB8s", etype, 0, 3, 1, 0, 6, frame[6:12] + b"\0\0")
        elif kind == "vlan":
            hdr = frame[:12] + struct.pack(">HHH", 0x8100, 0x0064, etype)
        elif kind == "qinq":
            hdr = frame[:12] + struct.pack(">HHHHH", 0x88a8, 0x00c8, 0x8100, 0x0064, etype)
        new = hdr + ip
        grow = len(new) - len(frame)
        out.append(struct.pack("<IIII", ts, tus, len(new), orig + grow) + new)
    open(dst, "wb").write(b"".join(out))

main()
