#!/usr/bin/env bash
# bench/live.sh (root): replay a bench/gen capture with tcpreplay onto a veth
# pair between two network namespaces as fast as the machine goes (or at -p
# packets/s) while `rpcwatch capture -w`, `tcpdump -w` and, when it is built,
# `rpcwatch watch` (in tmux) listen on the far end; report the replay rate and
# each listener's pcap_stats (received / dropped by kernel / dropped by
# interface) and the packets it wrote.  See bench/README.
#
#   bench/live.sh [-n PACKETS] [-p PPS] [-l LOOPS] [-f FILE] [-d DIR] [-W]
#
#   -n N    replay the first N packets of the capture (default 1000000)
#   -p PPS  tcpreplay --pps=PPS (default: --topspeed, as fast as it can)
#   -l N    tcpreplay --loop=N (default 1)
#   -f FILE capture to replay (default: made with bench/gen, 20000 sessions)
#   -d DIR  work directory (default /tmp/rpcwatch-bench)
#   -B KiB  kernel capture buffer of every listener (default 16384, rpcwatch's
#           default; tcpdump's own default is 2 MiB)
#   -W      leave out rpcwatch watch
#
# Three rounds: rpcwatch capture alone, tcpdump alone, then every listener at
# once (they share the CPUs with tcpreplay).  Only 198.18.0.0/15 addresses are
# in the capture; the veth pair lives in namespaces named rw<pid>-*, removed
# at exit.  Exit status 0 (measurement, not assertion), 2 setup error, 77 not root.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$top}
RPCWATCH=${RPCWATCH:-$PWD/src/rpcwatch}
. "$top/tests/lib.sh"
npk=1000000; pps=""; loops=1; file=""; dir=/tmp/rpcwatch-bench; want_watch=1; bufk=16384
while getopts "n:p:l:f:d:B:Wh" o; do
	case $o in
	n) npk=$OPTARG ;; p) pps=$OPTARG ;; l) loops=$OPTARG ;; f) file=$OPTARG ;; d) dir=$OPTARG ;; W) want_watch=0 ;;
	B) bufk=$OPTARG ;;
	*) sed -n '2,24p' "$0"; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: bench/live.sh needs root (network namespaces)"; exit 77; }
[ -x "$RPCWATCH" ] || { echo "live: rpcwatch not found at $RPCWATCH (set RPCWATCH)" >&2; exit 2; }
for t in tcpreplay tcpdump ip; do
	command -v $t >/dev/null || { echo "live: $t is missing (apt-get install tcpreplay tcpdump iproute2)" >&2; exit 2; }
done
mkdir -p "$dir" || exit 2
if [ -z "$file" ]; then
	file=$dir/bench-20000.pcap
	if [ ! -s "$file" ]; then
		GEN=${GEN:-$(dirname "$RPCWATCH")/../bench/gen}
		[ -x "$GEN" ] || { GEN=$dir/gen; ${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$GEN" "$top/bench/gen.c" || exit 2; }
		"$GEN" -n 20000 -o "$file" || exit 2
	fi
fi
replay=$dir/live-$npk.pcap
[ -s "$replay" ] && [ "$replay" -nt "$file" ] || tcpdump -q -r "$file" -c "$npk" -w "$replay" 2>/dev/null || exit 2
npk=$(capinfos -M -c "$replay" 2>/dev/null | awk '/Number of packets/ { print $NF }')
[ -n "$npk" ] || npk=unknown

rw_netns_init
src=$(rw_ns src) && dst=$(rw_ns dst) || exit 2
rw_veth "$src" vrep0 198.18.250.1/30 "$dst" vcap0 198.18.250.2/30 || exit 2
for ns in "$src" "$dst"; do
	# wire-sized frames, no offloads: what the kernel hands the sockets is what was sent
	ip netns exec "$ns" ethtool -K "$([ "$ns" = "$src" ] && echo vrep0 || echo vcap0)" tso off gso off gro off \
		>/dev/null 2>&1
done
ip -n "$dst" link set vcap0 promisc on

have_watch=0
if [ "$want_watch" = 1 ] && command -v tmux >/dev/null && "$RPCWATCH" watch --help >/dev/null 2>&1; then
	have_watch=1
fi

rate_args=(--topspeed)
[ -n "$pps" ] && rate_args=(--pps="$pps")

# replay; prints tcpreplay's summary lines
do_replay() {
	ip netns exec "$src" tcpreplay -i vrep0 -K --loop="$loops" "${rate_args[@]}" "$replay" 2>&1 |
		grep -E "Actual|Rated|Statistics|Successful|Failed|Truncated|Retried" | sed 's/^ */    /'
}

start_rpcwatch() {
	rm -f "$dir/live-rw.pcap" "$dir/live-rw.err"
	ip netns exec "$dst" "$RPCWATCH" capture -i vcap0 -w "$dir/live-rw.pcap" -B "$bufk" >/dev/null \
		2>"$dir/live-rw.err" &
	RW_PID=$!
}
stop_rpcwatch() {
	kill -INT "$RW_PID" 2>/dev/null; wait "$RW_PID" 2>/dev/null
	echo "    rpcwatch capture: $(grep -E 'captured' "$dir/live-rw.err" | sed 's/^rpcwatch capture: //' | tail -1)"
}
start_tcpdump() {
	rm -f "$dir/live-td.pcap" "$dir/live-td.err"
	ip netns exec "$dst" tcpdump -i vcap0 -n -B "$bufk" -w "$dir/live-td.pcap" 2>"$dir/live-td.err" &
	TD_PID=$!
}
stop_tcpdump() {
	kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null
	echo "    tcpdump -w:       $(grep -E 'captured|received|dropped' "$dir/live-td.err" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
}
WATCH_SESSION="rwlive$$"
start_watch() {
	tmux kill-session -t "$WATCH_SESSION" 2>/dev/null
	tmux new-session -d -s "$WATCH_SESSION" -x 160 -y 40 \
		"ip netns exec $dst $RPCWATCH watch -i vcap0 -B $bufk --no-color; sleep 30"
}
stop_watch() {
	sleep 2
	local screen
	screen=$(tmux capture-pane -p -t "$WATCH_SESSION" 2>/dev/null | grep -m1 -E 'pkts [0-9]+ +drops')
	tmux send-keys -t "$WATCH_SESSION" q 2>/dev/null
	sleep 1
	tmux kill-session -t "$WATCH_SESSION" 2>/dev/null
	echo "    rpcwatch watch:   ${screen:-(no status line read)}" | sed 's/  */ /g'
}
settle() { sleep 2; }	# listeners open their sockets

echo "== replaying $replay ($npk packets, loop $loops) on a veth pair; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); buffers $bufk KiB"
echo "-- round 1: rpcwatch capture -w alone"
start_rpcwatch; settle; do_replay; sleep 1; stop_rpcwatch
echo "-- round 2: tcpdump -w alone"
start_tcpdump; settle; do_replay; sleep 1; stop_tcpdump
if [ "$have_watch" = 1 ]; then
	echo "-- round 3: rpcwatch watch alone (tmux)"
	start_watch; settle; do_replay; stop_watch
fi
echo "-- round $((have_watch ? 4 : 3)): all listeners at once"
start_rpcwatch; start_tcpdump
[ "$have_watch" = 1 ] && start_watch
settle; do_replay; sleep 1
stop_rpcwatch; stop_tcpdump
[ "$have_watch" = 1 ] && stop_watch
[ "$have_watch" = 0 ] && [ "$want_watch" = 1 ] && echo "(rpcwatch watch not available: needs tmux and the watch command)"
exit 0
