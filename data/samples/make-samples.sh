#!/usr/bin/env bash
# Regenerate the bundled sample captures in data/samples/ from real traffic:
# a client, a router running nftables and a server, as network namespaces
# joined by veth pairs, addressed from 198.18.0.0/15 (RFC 2544) only.
# Needs root, iproute2, nftables, tcpdump and /usr/bin/python3.
#
#   client 198.18.1.10 --- 198.18.1.1 router 198.18.2.1 --- 198.18.2.20 server
#
# firewall-basics.pcap (captured on the client) shows, in order:
#   TCP 135    open: handshake, a few bytes each way, FIN both ways
#   TCP 49163  dropped by the router: the client's SYN is retransmitted, no answer
#   TCP 49164  rejected by the router with ICMP admin-prohibited (3/13) from 198.18.1.1
#   TCP 49165  nothing listening on the server: RST
#   UDP 1434   nothing listening on the server: ICMP port-unreachable from 198.18.2.20
#   UDP 2571 -> client 1054  datagrams from the server to a listening client port
#   UDP 2571 -> client 1055  nothing listening on the client: ICMP port-unreachable
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=$(cd "$here/../.." && pwd)
. "$TOP_SRCDIR/tests/lib.sh"
rw_need_root
out=${1:-$here/firewall-basics.pcap}
PY=/usr/bin/python3

rw_netns_init
C=$(rw_ns client); R=$(rw_ns router); S=$(rw_ns server)
rw_veth "$C" c0 198.18.1.10/24 "$R" r0 198.18.1.1/24
rw_veth "$R" r1 198.18.2.1/24 "$S" s0 198.18.2.20/24
ip -n "$C" route add default via 198.18.1.1
ip -n "$S" route add default via 198.18.2.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
for ns in "$C" "$R" "$S"; do
	ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
done
for i in "$C c0" "$R r0" "$R r1" "$S s0"; do
	set -- $i; ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
done
ip netns exec "$R" nft -f - <<'NFT'
table inet rwlab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp dport 49163 drop
		tcp dport 49164 reject with icmp type admin-prohibited
	}
}
NFT

# server: TCP 135 says hello and echoes one line; UDP sender is driven below
ip netns exec "$S" $PY - <<'PY' &
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.2.20", 135)); s.listen(4)
c, _ = s.accept(); c.sendall(b"hello\n"); c.recv(64); c.close()
PY
RW_BG_PIDS="$RW_BG_PIDS $!"
# client UDP listener on 1054
ip netns exec "$C" $PY - <<'PY' &
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.1.10", 1054))
u.settimeout(15)
try:
    for _ in range(2): u.recvfrom(64)
except socket.timeout: pass
PY
RW_BG_PIDS="$RW_BG_PIDS $!"

tmp=$(mktemp -d); trap 'rw_netns_cleanup; rm -rf "$tmp"' EXIT
ip netns exec "$C" tcpdump -i c0 -s 262144 -U -w "$tmp/cap.pcap" 'ip and not arp' 2>"$tmp/tcpdump.err" &
TD=$!
for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.err" && break; sleep 0.1; done
sleep 0.5

ip netns exec "$C" $PY - <<'PY'
import socket, time
def tcp(port, timeout):
    s = socket.socket(); s.settimeout(timeout)
    try:
        s.connect(("198.18.2.20", port))
        if port == 135:
            s.recv(64); s.sendall(b"bye\n"); time.sleep(0.2)
        return "open"
    except Exception as e:
        return type(e).__name__
    finally:
        s.close()
print("135", tcp(135, 3)); time.sleep(0.3)
print("49163", tcp(49163, 3.5)); time.sleep(0.3)
print("49164", tcp(49164, 3)); time.sleep(0.3)
print("49165", tcp(49165, 3)); time.sleep(0.3)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"\x00" * 16, ("198.18.2.20", 1434)); time.sleep(0.5)
PY
ip netns exec "$S" $PY - <<'PY'
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.2.20", 2571))
for _ in range(2):
    u.sendto(bytes.fromhex("d027270278010900"), ("198.18.1.10", 1054)); time.sleep(0.2)
u.sendto(bytes.fromhex("d027270278010900"), ("198.18.1.10", 1055)); time.sleep(0.5)
PY
sleep 0.5
kill -INT $TD; wait $TD || true
cp "$tmp/cap.pcap" "$out"
echo "wrote $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets)"
