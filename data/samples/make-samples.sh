#!/usr/bin/env bash
# Regenerate the bundled sample captures in data/samples/ from real traffic,
# by running the lab (tests/lab/): a client, a router running nftables and a
# server as network namespaces joined by veth pairs, addressed from
# 198.18.0.0/15 (RFC 2544) and 2001:2::/48 (RFC 5180) only, with real RPC
# peers (Samba's samba-dcerpcd, impacket-based Exchange-like server and
# Outlook-like client, rpcclient).  README in this directory says what each
# capture shows and what rpcwatch must conclude.
#
#   client 198.18.1.10 --- 198.18.1.1 router 198.18.2.1 --- 198.18.2.20 server
#
#   data/samples/make-samples.sh [-o DIR] [--all] [NAME...]
#
#   (no NAME)        every lab scenario (tests/lab/scenario.sh list): for each,
#                    NAME-client.pcap (taken on the client's interface) and
#                    NAME-server.pcap (on the server's), by `rpcwatch capture`
#   NAME...          only these scenarios
#   firewall-basics  the basic flow-outcome sample (firewall-basics.pcap); only
#                    when named or with --all, because README's example output,
#                    its golden files and their relinked variants show its bytes
#   -o DIR           write there instead of data/samples/
#
# Needs root, iproute2, nftables, ethtool, tcpdump (fallback), tshark (not
# here: the tests), /usr/bin/python3 with python3-impacket, samba, smbclient
# (rpcclient), and a built src/rpcwatch (RPCWATCH overrides).
# Afterwards the golden files of every regenerated sample must be rebuilt and
# REVIEWED: the command to do so is printed at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=$(cd "$here/../.." && pwd)
. "$TOP_SRCDIR/tests/lib.sh"
LAB=$TOP_SRCDIR/tests/lab
out=$here
names=()
all=""
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=${2:?-o needs a directory}; shift 2 ;;
	--all) all=1; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "make-samples.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
rw_need_root
[ -x "$RPCWATCH" ] || { echo "make-samples.sh: $RPCWATCH not built (make src/rpcwatch)" >&2; exit 2; }
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2
scenarios=$("$LAB/scenario.sh" list | awk '{print $1}')
if [ ${#names[@]} -eq 0 ]; then
	names=($scenarios)
	[ -n "$all" ] && names+=(firewall-basics)
fi
for n in "${names[@]}"; do
	[ "$n" = firewall-basics ] || echo "$scenarios" | grep -qx "$n" ||
		{ echo "make-samples.sh: unknown sample '$n' (scenarios: $(echo $scenarios))" >&2; exit 2; }
done

# ---- firewall-basics.pcap (captured on the client) shows, in order: ----------
#   TCP 135    open: handshake, a few bytes each way, FIN both ways
#   TCP 49163  dropped by the router: the client's SYN is retransmitted, no answer
#   TCP 49164  rejected by the router with ICMP admin-prohibited (3/13) from 198.18.1.1
#   TCP 49165  nothing listening on the server: RST
#   UDP 1434   nothing listening on the server: ICMP port-unreachable from 198.18.2.20
#   UDP 2571 -> client 1054  datagrams from the server to a listening client port
#   UDP 2571 -> client 1055  nothing listening on the client: ICMP port-unreachable
firewall_basics() (
	set -e
	. "$LAB/lab-lib.sh"
	tmp=$(mktemp -d)
	rw_netns_init
	trap 'set +e; lab_capture_stop 2>/dev/null; rw_netns_cleanup; rm -rf "$tmp"' EXIT
	lab_up
	lab_router_rule tcp dport 49163 drop
	lab_router_rule tcp dport 49164 reject with icmp type admin-prohibited
	# server: TCP 135 says hello and reads one line
	ip netns exec "$LAB_SNS" $LAB_PY - <<-'PY' &
	import socket
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("198.18.2.20", 135)); s.listen(4)
	c, _ = s.accept(); c.sendall(b"hello\n"); c.recv(64); c.close()
	PY
	RW_BG_PIDS="$RW_BG_PIDS $!"
	# client UDP listener on 1054
	ip netns exec "$LAB_CNS" $LAB_PY - <<-'PY' &
	import socket
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.1.10", 1054))
	u.settimeout(15)
	try:
	    for _ in range(2): u.recvfrom(64)
	except socket.timeout: pass
	PY
	RW_BG_PIDS="$RW_BG_PIDS $!"
	lab_wait_listen server tcp 135; lab_wait_listen client udp 1054
	lab_capture_start client "$tmp/cap.pcap" "$tmp/cap.err" 'ip and not arp'
	sleep 0.5
	lab_in client $LAB_PY - <<-'PY'
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
	lab_in server $LAB_PY - <<-'PY'
	import socket, time
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.2.20", 2571))
	for _ in range(2):
	    u.sendto(bytes.fromhex("d027270278010900"), ("198.18.1.10", 1054)); time.sleep(0.2)
	u.sendto(bytes.fromhex("d027270278010900"), ("198.18.1.10", 1055)); time.sleep(0.5)
	PY
	sleep 0.5
	lab_capture_stop
	cp "$tmp/cap.pcap" "$out/firewall-basics.pcap"
)

failed=0
goldens=()
for n in "${names[@]}"; do
	echo "== $n"
	if [ "$n" = firewall-basics ]; then
		if firewall_basics; then
			goldens+=(firewall-basics firewall-basics-json fb-max-flows-2 fb-filter-udp)
		else
			echo "FAIL: firewall-basics"; failed=$((failed + 1))
		fi
		continue
	fi
	if "$LAB/scenario.sh" "$n" --record "$out" -q; then
		goldens+=("lab-$n-client" "lab-$n-server")
	else
		failed=$((failed + 1))
	fi
done
echo "== samples in $out"
for n in "${names[@]}"; do
	for f in "$out/$n.pcap" "$out/$n-client.pcap" "$out/$n-server.pcap"; do
		[ -f "$f" ] || continue
		sz=$(stat -c %s "$f")
		printf '%7d  %s\n' "$sz" "$(basename "$f")"
		[ "$sz" -le 16384 ] || echo "warning: $(basename "$f") is bigger than 16 KB"
	done
done
if [ ${#goldens[@]} -gt 0 ] && [ "$out" = "$here" ]; then
	echo "Now rebuild and REVIEW their expected outputs:"
	echo "  RPCWATCH=$RPCWATCH bash tests/golden/update.sh ${goldens[*]}"
	echo "  git diff tests/golden"
fi
[ "$failed" -eq 0 ]
