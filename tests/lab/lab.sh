#!/usr/bin/env bash
# The rpcwatch lab by hand: a client, a router and a server as network
# namespaces (see lab-lib.sh for the addresses), left up for exploring.
#
#   tests/lab/lab.sh up                  create rwlab-client, rwlab-router, rwlab-server
#   tests/lab/lab.sh exec NODE CMD...    run CMD in client|router|server
#   tests/lab/lab.sh status              namespaces, addresses, nftables rules, processes
#   tests/lab/lab.sh down                kill every process in them, delete them
#
# Scenarios (tests/lab/scenario.sh) build their own private lab and remove it
# when they end; this persistent one is for poking around, e.g.
#   lab.sh exec router nft add rule inet rwlab forward tcp dport 135 drop
#   lab.sh exec server /usr/bin/python3 tests/lab/exchange_server.py --addr 198.18.2.20 &
#   lab.sh exec client /usr/bin/python3 tests/lab/outlook_client.py --server 198.18.2.20
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$TOP_SRCDIR/tests/lib.sh"
. "$here/lab-lib.sh"
RW_NS_PREFIX=rwlab-
LAB_CNS=${RW_NS_PREFIX}client LAB_RNS=${RW_NS_PREFIX}router LAB_SNS=${RW_NS_PREFIX}server

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

case "${1:-}" in
up)
	rw_need_root
	if ip netns list | grep -q "^$RW_NS_PREFIX"; then echo "lab.sh: already up (lab.sh down first)" >&2; exit 1; fi
	# a failed bring-up leaves nothing behind
	trap 'lab_down "$RW_NS_PREFIX"' ERR
	lab_up || { lab_down "$RW_NS_PREFIX"; exit 1; }
	trap - ERR
	echo "lab up: $LAB_CNS ($LAB_C4, $LAB_C6)  $LAB_RNS  $LAB_SNS ($LAB_S4, $LAB_S6)"
	;;
down)
	rw_need_root
	lab_down "$RW_NS_PREFIX"
	echo "lab down"
	;;
exec)
	shift; node=${1:-}; shift || true
	[ $# -gt 0 ] || { usage >&2; exit 2; }
	lab_in "$node" "$@"
	;;
status)
	for n in client router server; do
		ns=$RW_NS_PREFIX$n
		ip netns list | grep -q "^$ns" || { echo "$ns: not present"; continue; }
		echo "== $ns"
		ip -n "$ns" -br addr
		ip netns exec "$ns" nft list ruleset | grep -Ev '^\s*$'
		pids=$(ip netns pids "$ns")
		[ -n "$pids" ] && ps -o pid=,args= -p "$(echo $pids | tr ' ' ,)"
	done
	;;
-h|--help) usage ;;
*) usage >&2; exit 2 ;;
esac
