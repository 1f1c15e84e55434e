#!/usr/bin/env bash
# bench/live.sh (root): replay a bench/gen capture onto a veth pair between
# two network namespaces as fast as the machine goes (or at -p packets/s)
# while `rpcwatch capture -w`, `tcpdump -w` and, when it is built, `rpcwatch
# watch` (in tmux) listen on the far end; report the replay rate, what the
# veth delivered, each listener's pcap_stats (received / dropped by kernel /
# dropped by interface), its CPU time and the machine's CPU split during the
# replay.  See bench/README ("Live").
#
#   bench/live.sh [-n PACKETS] [-p PPS] [-l LOOPS] [-f FILE] [-d DIR] [-B KiB] [-R blast|tcpreplay] [-W] [-r ROUNDS]
#
#   -n N    replay the first N packets of the capture (default 1000000)
#   -p PPS  at most PPS packets/s (default: as fast as the replayer goes)
#   -l N    send the capture N times (default 1)
#   -f FILE capture to replay (default: made with bench/gen, 20000 sessions)
#   -d DIR  work directory (default /tmp/rpcwatch-bench)
#   -B KiB  kernel capture buffer of every listener (default 16384, rpcwatch's
#           default; tcpdump's own default is 2 MiB)
#   -R X    replayer: blast (default; bench/blast.c, AF_PACKET TX ring with
#           PACKET_QDISC_BYPASS, built into DIR when `make bench/blast` was not
#           run) or tcpreplay (--topspeed or --pps)
#   -W      leave out rpcwatch watch
#   -r LIST rounds to run, any of: capture tcpdump watch all none (default
#           "none capture tcpdump watch all"; none = replay with no listener)
#
# Only 198.18.0.0/15 addresses are in the capture (blast refuses anything
# else); the veth pair lives in namespaces named rw<pid>-*, removed at exit.
# Exit status 0 (measurement, not assertion), 2 setup error, 77 not root.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$top}
RPCWATCH=${RPCWATCH:-$PWD/src/rpcwatch}
. "$top/tests/lib.sh"
npk=1000000; pps=""; loops=1; file=""; dir=/tmp/rpcwatch-bench; want_watch=1; bufk=16384; replayer=blast
rounds="none capture tcpdump watch all"
while getopts "n:p:l:f:d:B:R:r:Wh" o; do
	case $o in
	n) npk=$OPTARG ;; p) pps=$OPTARG ;; l) loops=$OPTARG ;; f) file=$OPTARG ;; d) dir=$OPTARG ;; W) want_watch=0 ;;
	B) bufk=$OPTARG ;; R) replayer=$OPTARG ;; r) rounds=$OPTARG ;;
	*) sed -n '2,28p' "$0"; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: bench/live.sh needs root (network namespaces)"; exit 77; }
[ -x "$RPCWATCH" ] || { echo "live: rpcwatch not found at $RPCWATCH (set RPCWATCH)" >&2; exit 2; }
for t in tcpdump ip; do
	command -v $t >/dev/null || { echo "live: $t is missing (apt-get install tcpdump iproute2)" >&2; exit 2; }
done
mkdir -p "$dir" || exit 2
case $replayer in
blast)
	BLAST=${BLAST:-$(dirname "$RPCWATCH")/../bench/blast}
	if [ ! -x "$BLAST" ]; then
		BLAST=$dir/blast
		[ -x "$BLAST" ] && [ "$BLAST" -nt "$top/bench/blast.c" ] ||
			${CC:-cc} -std=c11 -O2 -o "$BLAST" "$top/bench/blast.c" -lpcap || exit 2
	fi ;;
tcpreplay)
	command -v tcpreplay >/dev/null || { echo "live: tcpreplay is missing (apt-get install tcpreplay)" >&2; exit 2; } ;;
*) echo "live: -R wants blast or tcpreplay" >&2; exit 2 ;;
esac
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

# "user nice system softirq steal idle" jiffies of the whole machine
cpu_now() { awk '/^cpu / { print $2, $3, $4, $8, $9, $5 + $6 }' /proc/stat; }
cpu_split() {	# BEFORE AFTER -> "us 12% ni 30% sy 40% si 5% st 0% id 13%" (of all CPUs)
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x); split(b, y); t = 0
		for (i = 1; i <= 6; i++) { d[i] = y[i] - x[i]; t += d[i] }
		if (t <= 0) t = 1
		printf "us %d%% ni %d%% sy %d%% si %d%% st %d%% id %d%%", 100*d[1]/t, 100*d[2]/t, 100*d[3]/t, 100*d[4]/t, 100*d[5]/t, 100*d[6]/t }'
}
rx_now() { ip -s -n "$dst" link show vcap0 | awk '/RX:/ { getline; print $2, $4; exit }'; }	# packets dropped
proc_cpu() {	# PID -> "1.23 s CPU" (utime + stime so far)
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f s CPU", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null
}

# replay; prints the replayer's summary, what vcap0 received and the CPU split
do_replay() {
	local c0 c1 r0 r1
	c0=$(cpu_now); r0=$(rx_now)
	if [ "$replayer" = blast ]; then
		local pa=()
		[ -n "$pps" ] && pa=(-p "$pps")
		ip netns exec "$src" "$BLAST" -i vrep0 -f "$replay" -l "$loops" "${pa[@]}" 2>&1 | grep -v frames |
			sed 's/^/    /'
	else
		local ra=(--topspeed)
		[ -n "$pps" ] && ra=(--pps="$pps")
		ip netns exec "$src" tcpreplay -i vrep0 -K --loop="$loops" "${ra[@]}" "$replay" 2>&1 |
			grep -E "Actual|Rated|Failed" | sed 's/^ */    /'
	fi
	c1=$(cpu_now); r1=$(rx_now)
	set -- $r0 $r1
	echo "    vcap0 received $(($3 - $1)) packets, dropped $(($4 - $2)); CPU during replay: $(cpu_split "$c0" "$c1")"
}

start_rpcwatch() {
	rm -f "$dir/live-rw.pcap" "$dir/live-rw.err"
	ip netns exec "$dst" "$RPCWATCH" capture -i vcap0 -w "$dir/live-rw.pcap" -B "$bufk" >/dev/null \
		2>"$dir/live-rw.err" &
	RW_PID=$!
}
stop_rpcwatch() {
	local cpu; cpu=$(proc_cpu "$RW_PID")
	kill -INT "$RW_PID" 2>/dev/null; wait "$RW_PID" 2>/dev/null
	echo "    rpcwatch capture: $(grep -E 'captured' "$dir/live-rw.err" | sed 's/^rpcwatch capture: //' | tail -1); $cpu"
}
start_tcpdump() {
	rm -f "$dir/live-td.pcap" "$dir/live-td.err"
	ip netns exec "$dst" tcpdump -i vcap0 -n -B "$bufk" -w "$dir/live-td.pcap" 2>"$dir/live-td.err" &
	TD_PID=$!
}
stop_tcpdump() {
	local cpu; cpu=$(proc_cpu "$TD_PID")
	kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null
	echo "    tcpdump -w:       $(grep -E 'captured|received|dropped' "$dir/live-td.err" | tr '\n' ',' | sed 's/,$//; s/,/, /g'); $cpu"
}
WATCH_SESSION="rwlive$$"
start_watch() {
	rm -f "$dir/live-wt.err"
	tmux kill-session -t "$WATCH_SESSION" 2>/dev/null
	tmux new-session -d -s "$WATCH_SESSION" -x 160 -y 40 \
		"ip netns exec $dst $RPCWATCH watch -i vcap0 -B $bufk --no-color 2>$dir/live-wt.err; sleep 30"
	sleep 0.5
	WT_PID=$(pgrep -P "$(tmux display -p -t "$WATCH_SESSION" '#{pane_pid}')" | head -1)
}
stop_watch() {
	local cpu screen
	sleep 1
	cpu=$(proc_cpu "${WT_PID:-0}")
	screen=$(tmux capture-pane -p -t "$WATCH_SESSION" 2>/dev/null | grep -m1 -E 'pkts [0-9]+ +drops' | sed 's/  */ /g')
	tmux send-keys -t "$WATCH_SESSION" q 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q 'received by filter' "$dir/live-wt.err" 2>/dev/null && break
		sleep 0.5
	done
	tmux kill-session -t "$WATCH_SESSION" 2>/dev/null
	echo "    rpcwatch watch:   $(grep -E 'read' "$dir/live-wt.err" | sed 's/^rpcwatch watch: //' | tail -1); $cpu"
	echo "      (screen: ${screen:-no status line read})"
}
settle() { sleep 2; }	# listeners open their sockets

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'): replaying $replay ($npk packets, loop $loops) with $replayer on a veth pair; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); buffers $bufk KiB"
n=0
for r in $rounds; do
	n=$((n + 1))
	case $r in
	none)
		echo "-- round $n: nobody listening (the replayer's own ceiling)"
		do_replay ;;
	capture)
		echo "-- round $n: rpcwatch capture -w alone"
		start_rpcwatch; settle; do_replay; sleep 1; stop_rpcwatch ;;
	tcpdump)
		echo "-- round $n: tcpdump -w alone"
		start_tcpdump; settle; do_replay; sleep 1; stop_tcpdump ;;
	watch)
		[ "$have_watch" = 1 ] || continue
		echo "-- round $n: rpcwatch watch alone (tmux)"
		start_watch; settle; do_replay; stop_watch ;;
	all)
		echo "-- round $n: all listeners at once"
		start_rpcwatch; start_tcpdump
		[ "$have_watch" = 1 ] && start_watch
		settle; do_replay; sleep 1
		stop_rpcwatch; stop_tcpdump
		[ "$have_watch" = 1 ] && stop_watch ;;
	*) echo "live: unknown round '$r'" >&2 ;;
	esac
	echo "    (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
[ "$have_watch" = 0 ] && [ "$want_watch" = 1 ] && echo "(rpcwatch watch not available: needs tmux and the watch command)"
exit 0
