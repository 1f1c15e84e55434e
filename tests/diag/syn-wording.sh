#!/usr/bin/env bash
# port_filtered's summary counts the SYNs nobody answered (issue 9): a single
# SYN followed by 5 s of capture reads "no answer to SYN", a SYN retransmitted
# three times "no answer to 4 SYNs (retransmitted)", and two separate flows of
# one SYN each "no answer to 2 SYNs" (nothing was retransmitted).  The
# captures are written here by python3 (Ethernet, IPv4, 198.18.0.0/15 only).
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v python3 >/dev/null || rw_skip "python3 not installed"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# gen OUT "SPORT:T T ..." ...: SYNs from 198.18.1.10:SPORT to 198.18.2.20:49163
# at the given seconds, then a DNS-like datagram at 5 s past the last SYN
gen() {
	python3 - "$@" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
def l4sum(src, dst, proto, seg):
    return csum(bytes(src) + bytes(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)
cli, srv, dns = [198, 18, 1, 10], [198, 18, 2, 20], [198, 18, 2, 53]
pkts = []
for spec in sys.argv[2:]:
    sport, times = spec.split(':')
    for t in times.split():
        tcp = struct.pack('!HHIIBBHHH', int(sport), 49163, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
        tcp = tcp[:16] + struct.pack('!H', l4sum(cli, srv, 6, tcp)) + tcp[18:]
        pkts.append((float(t), ip(cli, srv, 6, tcp)))
last = max(t for t, _ in pkts) + 5
udp = struct.pack('!HHHH', 40000, 53, 12, 0) + b'\1\2\3\4'
pkts.append((last, ip(cli, dns, 17, udp)))
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for t, p in sorted(pkts, key=lambda x: x[0]):
        fr = b'\2\0\0\0\0\2' + b'\2\0\0\0\0\1' + b'\x08\x00' + p
        sec = 1795000000 + int(t)
        f.write(struct.pack('<IIII', sec, int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr)
PY
}
summary() { "$RPCWATCH" analyze -q --findings-only "$1" | sed -n 's/^.*port_filtered: //p'; }

gen "$work/one.pcap" "40001:0"
gen "$work/retx.pcap" "40002:0 1 2 3"
gen "$work/two.pcap" "40003:0" "40004:0.5"
s1=$(summary "$work/one.pcap"); s2=$(summary "$work/retx.pcap"); s3=$(summary "$work/two.pcap")
echo "# one: $s1"; echo "# retx: $s2"; echo "# two: $s3"
rw_check "one unanswered SYN: no answer to SYN" [ "$s1" = "198.18.2.20:49163/tcp is filtered: no answer to SYN" ]
rw_check "a SYN sent 4 times: no answer to 4 SYNs (retransmitted)" \
	[ "$s2" = "198.18.2.20:49163/tcp is filtered: no answer to 4 SYNs (retransmitted)" ]
rw_check "two flows of one SYN: no answer to 2 SYNs" [ "$s3" = "198.18.2.20:49163/tcp is filtered: no answer to 2 SYNs (x2)" ]
rw_finish
