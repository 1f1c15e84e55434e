#!/usr/bin/python3
"""Write a SYN-flood capture (pcap, Ethernet) for tests/flood/flood.sh.

  gen.py OUT.pcap [--syns N] [--ports]
  gen.py OUT.pcap --stubs K

N (default 1000000) distinct bare SYNs from 198.18.128.0/17 sources (every
source address and port pair differs) to 198.18.3.30:445, 10 us apart; with
--ports each SYN goes to a different destination port of 198.18.3.30 instead
(distinct server endpoints, not only distinct flows).  Then one real
conversation that must survive the flood: a client 198.18.1.10:40190 whose
four SYNs to the endpoint mapper 198.18.2.20:135 (0, 1, 2, 3 s after the
flood) get no answer, i.e. a filtered port 135.  Only 198.18.0.0/15
addresses.  Prints the frame numbers of those four SYNs.

--stubs K writes K endpoint-mapper connections instead (198.18.1.x:40000
-> 198.18.2.20:135), each a handshake, a bind to EPM, then 32 ept_lookup
requests (the most calls a connection tracks) whose stubs are 4 fragments
of 65000 bytes, never answered: the engine keeps EPM stubs for decoding,
so this measures the per-connection cap on kept stub bytes.
"""
import struct
import sys


def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


FRAME = struct.Struct('!6s6sH BBHHHBBHII HHIIBBHHH')
ETH_DST, ETH_SRC = b'\x02\x00\x00\x00\x00\x02', b'\x02\x00\x00\x00\x00\x01'
# one's complement sums of the fixed words: IP header (len 40, id 1, DF, ttl 64, proto 6)
IP_FIXED = 0x4500 + 40 + 1 + 0x4000 + (64 << 8 | 6)
# TCP pseudo header (proto 6, length 20) + fixed TCP words (data offset 5, SYN, window 64240)
TCP_FIXED = 6 + 20 + (5 << 12 | 0x02) + 64240


def syn(src, dst, sport, dport, seq):
    """An Ethernet/IPv4/TCP SYN; src, dst as 32-bit integers."""
    a = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff)
    ipsum = ~fold(IP_FIXED + a) & 0xffff
    tsum = ~fold(TCP_FIXED + a + sport + dport + (seq >> 16) + (seq & 0xffff)) & 0xffff
    return FRAME.pack(ETH_DST, ETH_SRC, 0x0800, 0x45, 0, 40, 1, 0x4000, 64, 6, ipsum, src, dst,
                      sport, dport, seq, 0, 5 << 4, 0x02, 64240, tsum, 0)


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload):
    ip_len = 40 + len(payload)
    a = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff)
    ipsum = ~fold(0x4500 + ip_len + 1 + 0x4000 + (64 << 8 | 6) + a) & 0xffff
    hdr = struct.pack('!6s6sH BBHHHBBHII HHIIBBHHH', ETH_DST, ETH_SRC, 0x0800, 0x45, 0, ip_len, 1, 0x4000, 64, 6,
                      ipsum, src, dst, sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    return hdr + payload


def stubs(f, k, t0):
    """K EPM connections, each with 32 unanswered ept_lookup calls of 4 x 65000 stub bytes."""
    rec = struct.Struct('<IIII')
    epm_if = bytes.fromhex('0883afe11f5dc91191a408002b14a0fa')   # e1af8308-5d1f-11c9-91a4-08002b14a0fa, LE wire form
    ndr = bytes.fromhex('045d888aeb1cc9119fe808002b104860')      # 8a885d04-1ceb-11c9-9fe8-08002b104860
    body = struct.pack('<HHIB3x', 5840, 5840, 0, 1) + struct.pack('<HBx', 0, 1) + epm_if + struct.pack('<HH', 3, 0) \
        + ndr + struct.pack('<I', 2)
    bind = struct.pack('<BBBB4sHHI', 5, 0, 11, 3, b'\x10\0\0\0', 16 + len(body), 0, 1) + body
    stub = bytes(65000)
    frame, t = 0, t0
    srv = 198 << 24 | 18 << 16 | 2 << 8 | 20

    def put(fr):
        nonlocal frame, t
        t += 100
        f.write(rec.pack(t // 1000000, t % 1000000, len(fr), len(fr)) + fr)
        frame += 1
    for c in range(k):
        cli, sport = 198 << 24 | 18 << 16 | 1 << 8 | (10 + c), 40000 + c
        cs, ss = 1000, 500000
        put(tcp_frame(cli, srv, sport, 135, cs, 0, 0x02, b''))
        put(tcp_frame(srv, cli, 135, sport, ss, cs + 1, 0x12, b''))
        cs += 1
        ss += 1
        put(tcp_frame(cli, srv, sport, 135, cs, ss, 0x10, b''))
        put(tcp_frame(cli, srv, sport, 135, cs, ss, 0x18, bind))
        cs += len(bind)
        for call in range(32):
            for frag in range(4):
                fl = (1 if frag == 0 else 0) | (2 if frag == 3 else 0)
                hdr = struct.pack('<BBBB4sHHIIHH', 5, 0, 0, fl, b'\x10\0\0\0', 24 + len(stub), 0, 2 + call,
                                  4 * len(stub), 0, 2)
                put(tcp_frame(cli, srv, sport, 135, cs, ss, 0x18, hdr + stub))
                cs += 24 + len(stub)
    return frame


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out, n, ports = args[0], 1000000, '--ports' in args
    if '--syns' in args:
        n = int(args[args.index('--syns') + 1])
    ip4 = lambda a, b, c, d: a << 24 | b << 16 | c << 8 | d
    server = ip4(198, 18, 3, 30)
    if '--stubs' in args:
        with open(out, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            print(stubs(f, int(args[args.index('--stubs') + 1]), 1700000000 * 1000000))
        return
    rec = struct.Struct('<IIII')
    t0 = 1700000000 * 1000000
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i in range(n):
            src = ip4(198, 18, 128 + (i >> 16) % 128, (i >> 8) & 0xff) if not ports else ip4(198, 18, 128, 7)
            sport = 1024 + (i & 0xff) + ((i >> 23) << 8) if not ports else 40000 + (i & 0x3fff)
            dport = 445 if not ports else 1 + (i % 65535)
            if ports and i >= 65535:
                src = ip4(198, 18, 128 + (i // 65535) % 128, 7)
            fr = syn(src, server, sport, dport, 0x10000000 + i)
            t = t0 + i * 10
            f.write(rec.pack(t // 1000000, t % 1000000, 54, 54) + fr)
        cli, epm = ip4(198, 18, 1, 10), ip4(198, 18, 2, 20)
        frames = []
        for k in range(4):
            fr = syn(cli, epm, 40190, 135, 0x5eed)
            t = t0 + n * 10 + k * 1000000
            f.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(fr), len(fr)) + fr)
            frames.append(n + 1 + k)
    print(','.join(map(str, frames)))


main()
