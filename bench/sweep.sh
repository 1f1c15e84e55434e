#!/usr/bin/env bash
# Full 65,536-port TCP sweep of a lab host: rpcwatch's probe engine beside
# nmap -sS -T4 -p- --reason, in the same run, against the same firewall.
#
#   scanner ns  198.18.10.1/24 ---- veth ---- 198.18.10.2/24  target ns
#
# The target listens on a few ports (open), drops a block of ports, rejects a
# block with ICMP admin-prohibited and a block with a TCP reset (nftables input
# chain); every other port is closed.  Both tools sweep 0-65535; the script
# prints wall time and verdict counts of each, the expected counts, the ratios
# and how many ports the two tools gave the same state.  Root only.
#
# Usage: bench/sweep.sh [RATE] [REPEAT]
#   RATE   rpcwatch probes per second (default 50000)
#   REPEAT how many times to run the pair (default 1)
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${TOP_SRCDIR:=$(cd "$here/.." && pwd)}"
: "${RPCWATCH:=${TOP_BUILDDIR:-$TOP_SRCDIR}/src/rpcwatch}"
. "$TOP_SRCDIR/tests/lib.sh"
RATE=${1:-50000}
REPEAT=${2:-1}
[ "$(id -u)" -eq 0 ] || { echo "bench/sweep.sh: needs root (network namespaces)" >&2; exit 2; }
for t in nft nmap python3; do command -v $t >/dev/null || { echo "bench/sweep.sh: $t not installed" >&2; exit 2; }; done
[ -x "$RPCWATCH" ] || { echo "bench/sweep.sh: no rpcwatch at $RPCWATCH (set RPCWATCH=)" >&2; exit 2; }

OPEN="135 445 593 5985 8530 45001 49152 49153 49157 60000"
DROP=20000-21999		# 2000 ports dropped
ADMIN=30000-30999		# 1000 ports rejected with ICMP admin-prohibited
RESET=40000-40999		# 1000 ports rejected with a TCP reset (closed anyway)

rw_netns_init
S=$(rw_ns scanner) && T=$(rw_ns target) || exit 2
rw_veth "$S" sc0 198.18.10.1/24 "$T" tg0 198.18.10.2/24 || exit 2
for ns in "$S" "$T"; do
	# no ICMP rate limits, so every reject is answered (both tools see the same)
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=10000000 \
		net.ipv4.icmp_msgs_burst=10000000 >/dev/null 2>&1
done
ip netns exec "$T" nft -f - <<EOF || exit 2
table inet rwbench {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport $DROP drop
		tcp dport $ADMIN reject with icmpx type admin-prohibited
		tcp dport $RESET reject with tcp reset
	}
}
EOF
ip netns exec "$T" python3 -c '
import socket, sys, time
ss = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(p))); s.listen(1024); ss.append(s)
time.sleep(36000)' $OPEN 2>&1 &
RW_BG_PIDS="$RW_BG_PIDS $!"
for i in $(seq 50); do ip netns exec "$T" ss -Hltn "sport = :60000" | grep -q . && break; sleep 0.1; done
ip netns exec "$S" "$RPCWATCH" probe-run 198.18.10.2 -p T:135 -q | grep -q " open " ||
	{ echo "bench/sweep.sh: no path to the target" >&2; exit 2; }

work=$(mktemp -d /tmp/rw-sweep-XXXXXX)
trap 'rw_netns_cleanup; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
now() { date +%s.%N; }

n_open=$(echo $OPEN | wc -w)
echo "target: 65536 TCP ports: $n_open open, 2000 dropped, 1000 admin-prohibited, rest closed"
echo "expected: open $n_open, closed $((65536 - n_open - 3000)), filtered 3000"
echo "rpcwatch: $RPCWATCH probe-run --rate $RATE (retries 1, wait 1000 ms)"
echo "nmap:     $(nmap --version | head -1) -sS -T4 -p- --reason (plus port 0)"
echo
for i in $(seq "$REPEAT"); do
	t0=$(now)
	ip netns exec "$S" "$RPCWATCH" probe-run 198.18.10.2 -p T:0-65535 --rate "$RATE" --json -q >"$work/rw.json" ||
		{ echo "rpcwatch failed" >&2; exit 2; }
	t1=$(now)
	ip netns exec "$S" nmap -n -Pn -sS -T4 -p 0-65535 --reason -oX "$work/nmap.xml" 198.18.10.2 >/dev/null ||
		{ echo "nmap failed" >&2; exit 2; }
	t2=$(now)
	python3 - "$work/rw.json" "$work/nmap.xml" "$t0" "$t1" "$t2" "$OPEN" <<'PY'
import json, sys, collections, xml.etree.ElementTree as ET
rwf, nmf, t0, t1, t2, opn = sys.argv[1:7]
t_rw, t_nm = float(t1) - float(t0), float(t2) - float(t1)
rw = {}
for line in open(rwf):
    r = json.loads(line)
    st = "filtered" if r["state"] == "unreachable" else r["state"]
    rw[r["port"]] = (st, r["reason"])
root = ET.parse(nmf).getroot()
nm, extra = {}, collections.Counter()
for p in root.iter("port"):
    s = p.find("state")
    nm[int(p.get("portid"))] = (s.get("state"), s.get("reason"))
listed = len(nm)
# ports nmap folds into <extraports> are named by <extrareasons ports="a-b,c,...">
for e in root.iter("extraports"):
    for r in e.iter("extrareasons"):
        for item in r.get("ports", "").split(","):
            if not item:
                continue
            lo, _, hi = item.partition("-")
            for p in range(int(lo), int(hi or lo) + 1):
                nm[p] = (e.get("state"), r.get("reason"))
c_rw = collections.Counter(v[0] for v in rw.values())
c_nm = collections.Counter(v[0] for v in nm.values())
same = sum(1 for p, v in nm.items() if rw.get(p, ("?",))[0] == v[0])
same_r = sum(1 for p, v in nm.items() if rw.get(p) == v)
diff = [p for p in sorted(nm) if rw.get(p) != nm[p]][:10]
print("%-9s %8s %7s %7s %9s %9s" % ("tool", "seconds", "open", "closed", "filtered", "ports/s"))
for name, t, c in (("rpcwatch", t_rw, c_rw), ("nmap", t_nm, c_nm)):
    print("%-9s %8.2f %7d %7d %9d %9.0f" % (name, t, c["open"], c["closed"], c["filtered"], 65536 / t))
print("time ratio nmap/rpcwatch: %.1fx" % (t_nm / t_rw))
print("same state on %d of 65536 ports, same state and reason on %d (nmap: %d ports listed, %d in <extraports>)" %
      (same, same_r, listed, len(nm) - listed))
if diff:
    print("first differences:", ", ".join("%d rpcwatch %s nmap %s" % (p, rw.get(p), nm[p]) for p in diff))
reasons = collections.Counter(v[1] for v in rw.values())
print("rpcwatch reasons:", ", ".join("%s %d" % kv for kv in sorted(reasons.items())))
PY
	echo
done
