#!/bin/bash
# rpcwatch capture end to end: two network namespaces joined by a veth pair
# (198.18.0.1/24 <-> 198.18.0.2/24, RFC 2544 benchmarking space; no traffic
# leaves the namespaces).  Checks: exact -c counts, clean stop on SIGINT/SIGTERM,
# -C size rotation, -W ring, -G time rotation on second boundaries (also when
# idle), -Z file ownership, SIGUSR1 statistics, and one-line exit-2 errors.
# Usage errors run unprivileged; the rest needs root (skips, or fails if CI=true).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/rwcap-test.XXXXXX") || exit 99
chmod 0755 "$W"		# -Z nobody must reach $W/c6
trap 'rm -rf "$W"' EXIT

# ---- helpers -------------------------------------------------------------

# expect_err DESC ARGS... : rpcwatch capture ARGS exits 2, one line on stderr, nothing on
# stdout (run in namespace $EXPECT_NS when set)
expect_err() {
	local d=$1 rc lines; shift
	${EXPECT_NS:+ip netns exec "$EXPECT_NS"} "$RPCWATCH" capture "$@" </dev/null >"$W/e.out" 2>"$W/e.err"
	rc=$?
	lines=$(wc -l <"$W/e.err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$W/e.out" ]; then
		rw_pass "$d -> exit 2: $(cat "$W/e.err")"
	else
		rw_fail "$d: want exit 2 and one stderr line, got exit $rc, $lines lines: $(head -3 "$W/e.err" | tr '\n' '|')"
	fi
}

# alive PID : process exists and is not a zombie
alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 1
	[ "$st" != Z ]
}

# wait_line FILE REGEX [TENTHS] : wait until a line of FILE matches
wait_line() {
	local n=${3:-50}
	until grep -Eq "$2" "$1" 2>/dev/null; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# start_cap TAG ARGS... : rpcwatch capture ARGS in namespace A, stderr in $W/TAG.err;
# sets CAP_PID, returns once it is listening
start_cap() {
	local tag=$1; shift
	ip netns exec "$NSA" "$RPCWATCH" capture "$@" 2>"$W/$tag.err" &
	CAP_PID=$!
	RW_BG_PIDS="$RW_BG_PIDS $CAP_PID"
	if ! wait_line "$W/$tag.err" 'listening on'; then
		rw_fail "$tag: capture did not start: $(head -3 "$W/$tag.err" | tr '\n' '|')"
		return 1
	fi
}

# stop_cap [SIGNAL] : signal the capture (unless SIGNAL is "none"), wait <= 10 s; sets CAP_RC
stop_cap() {
	local n=100
	[ "${1:-INT}" = none ] || kill -"${1:-INT}" "$CAP_PID" 2>/dev/null
	while alive "$CAP_PID" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	if alive "$CAP_PID"; then
		kill -9 "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
		CAP_RC=timeout
		return 1
	fi
	wait "$CAP_PID"; CAP_RC=$?
}

# send_udp N [FIRST] : N datagrams B -> A:9999, payload "rwseqNNNNN" padded to 100 bytes
# (142-byte frames, 158 bytes per pcap record).  A fresh socket per datagram, so
# ICMP port-unreachable replies cannot make a later send fail.
send_udp() {
	ip netns exec "$NSB" bash -c '
		for ((i = $1; i < $1 + $2; i++)); do
			printf "rwseq%05d%090d" "$i" 0 >/dev/udp/198.18.0.1/9999 || exit 1
		done' send_udp "${2:-1}" "$1"
}

# send_echo N : N ICMP echo requests B -> A (A's kernel answers each); ping or python3
send_echo() {
	if command -v ping >/dev/null; then
		ip netns exec "$NSB" ping -q -n -c "$1" -i 0.2 -W 2 198.18.0.1 >/dev/null
	elif command -v python3 >/dev/null; then
		ip netns exec "$NSB" python3 - "$1" <<'EOF'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for seq in range(1, int(sys.argv[1]) + 1):
    body = b'rpcwatch-test-echo!!'
    hdr = struct.pack('!BBHHH', 8, 0, 0, 0x7277, seq)
    s.sendto(struct.pack('!BBHHH', 8, 0, csum(hdr + body), 0x7277, seq) + body, ('198.18.0.1', 0))
    time.sleep(0.05)
EOF
	else
		return 2
	fi
}

PCOUNT_ERR=$W/tcpdump.err
# pcount FILE : packets tcpdump reads from FILE (stderr kept in $PCOUNT_ERR)
pcount() { tcpdump -nn -r "$1" 2>"$PCOUNT_ERR" | wc -l; }
# pcap_clean FILE : tcpdump reads FILE without errors or truncation warnings
pcap_clean() {
	tcpdump -nn -r "$1" >/dev/null 2>"$PCOUNT_ERR" || return 1
	! grep -Eqi 'truncated|error|bogus' "$PCOUNT_ERR"
}
# markers FILE... : the rwseq numbers in the files, in order, space separated
markers() {
	local f
	for f in "$@"; do tcpdump -nn -A -r "$f" 2>/dev/null; done |
		grep -ao 'rwseq[0-9]\{5\}' | sed 's/rwseq0*\([0-9]\)/\1/' | tr '\n' ' ' | sed 's/ $//'
}
STATS_RE='^rpcwatch capture: [0-9]+ packets? captured, [0-9]+ received by filter, [0-9]+ dropped by kernel, [0-9]+ dropped by interface$'
UDP_F='udp and dst host 198.18.0.1 and dst port 9999'

# ---- 8a. usage errors and help (no privileges needed) --------------------

expect_err "unknown short flag" -X -i lo -w "$W/x.pcap"
expect_err "unknown long flag" --no-such-flag -i lo -w "$W/x.pcap"
expect_err "missing value" -i lo -w
expect_err "missing -w" -i lo
expect_err "missing -i" -w "$W/x.pcap"
expect_err "snaplen too big" -i lo -w "$W/x.pcap" -s 262145
expect_err "snaplen not a number" -i lo -w "$W/x.pcap" -s 12k
expect_err "count 0" -i lo -w "$W/x.pcap" -c 0
expect_err "-C below 0.001" -i lo -w "$W/x.pcap" -C 0.0009
expect_err "-C not a number" -i lo -w "$W/x.pcap" -C 1e3
expect_err "-G 0" -i lo -w "$W/x.pcap" -G 0
expect_err "-W without -C/-G" -i lo -w "$W/x.pcap" -W 3
expect_err "-W 0" -i lo -w "$W/x.pcap" -C 1 -W 0
expect_err "-B 0" -i lo -w "$W/x.pcap" -B 0
expect_err "rotation to stdout" -i lo -w - -C 1
expect_err "unknown -Z user" -i lo -w "$W/x.pcap" -Z rw-no-such-user-$$
"$RPCWATCH" capture --help >"$W/h.out" 2>"$W/h.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^Usage: rpcwatch capture' "$W/h.out" && [ ! -s "$W/h.err" ]; then
	rw_pass "--help: usage on stdout, exit 0"
else
	rw_fail "--help: exit $rc"
fi
"$RPCWATCH" capture -D >"$W/d.out" 2>"$W/d.err"
rc=$?
if [ $rc -eq 0 ] && grep -Eq '^[0-9]+\. lo( |$)' "$W/d.out"; then
	rw_pass "-D lists interfaces (lo among them)"
else
	rw_fail "-D: exit $rc: $(head -3 "$W/d.out" "$W/d.err" | tr '\n' '|')"
fi

# ---- namespaces ------------------------------------------------------------

rw_need_root
command -v tcpdump >/dev/null || rw_skip "tcpdump not installed (needed to read the capture files)"
rw_netns_init
trap 'rw_netns_cleanup; rm -rf "$W"' EXIT
# rw_ns is called directly, not in $(...), so it can record the namespace for cleanup.
rw_ns cap >/dev/null || exit 99
rw_ns peer >/dev/null || exit 99
NSA=${RW_NS_PREFIX}cap
NSB=${RW_NS_PREFIX}peer
for ns in "$NSA" "$NSB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
rw_veth "$NSA" rwa 198.18.0.1/24 "$NSB" rwb 198.18.0.2/24 || exit 99
# Static neighbours: no ARP on the wire, and the first datagram is never queued.
MAC_A=$(ip netns exec "$NSA" cat /sys/class/net/rwa/address)
MAC_B=$(ip netns exec "$NSB" cat /sys/class/net/rwb/address)
ip -n "$NSA" neigh replace 198.18.0.2 lladdr "$MAC_B" dev rwa nud permanent
ip -n "$NSB" neigh replace 198.18.0.1 lladdr "$MAC_A" dev rwb nud permanent

# ---- 8b. errors that need a device -----------------------------------------

expect_err "nonexistent interface" -i rw-nonexist0 -w "$W/x.pcap"
if grep -q "no such interface 'rw-nonexist0'" "$W/e.err"; then rw_pass "nonexistent interface named";
else rw_fail "nonexistent interface message: $(cat "$W/e.err")"; fi
expect_err "bad BPF filter" -i lo -w "$W/x.pcap" udp port
if grep -q "'udp port'" "$W/e.err"; then rw_pass "bad filter expression named";
else rw_fail "bad filter message: $(cat "$W/e.err")"; fi
[ ! -e "$W/x.pcap" ] && rw_pass "no output file left after errors" || rw_fail "output file created despite errors"

# ---- 1. -c with UDP and ICMP ------------------------------------------------

if start_cap c1 -i rwa -w "$W/c1.pcap" -c 10 "$UDP_F"; then
	send_udp 15
	stop_cap none
	n=$(pcount "$W/c1.pcap")
	if [ "$CAP_RC" = 0 ] && [ "$n" -eq 10 ] && pcap_clean "$W/c1.pcap"; then
		rw_pass "-c 10 with 15 UDP sent: exit 0 by itself, tcpdump reads exactly 10"
	else
		rw_fail "-c 10: exit $CAP_RC, tcpdump counts $n: $(cat "$PCOUNT_ERR")"
	fi
	m=$(markers "$W/c1.pcap")
	[ "$m" = "1 2 3 4 5 6 7 8 9 10" ] && rw_pass "-c 10 kept the first 10 datagrams in order" ||
		rw_fail "-c 10 payload order: $m"
	grep -Eq "$STATS_RE" "$W/c1.err" && grep -q '^rpcwatch capture: 10 packets captured' "$W/c1.err" &&
		grep -q '^rpcwatch capture: 1 file written$' "$W/c1.err" &&
		grep -qx "rpcwatch capture: writing $W/c1.pcap" "$W/c1.err" &&
		rw_pass "-c 10: final statistics and file name on stderr" ||
		rw_fail "-c 10 stderr: $(tr '\n' '|' <"$W/c1.err")"
fi

ICMP_F='icmp and host 198.18.0.2 and (icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply)'
if start_cap c1i -i rwa -w "$W/c1i.pcap" -c 6 "$ICMP_F"; then
	if send_echo 3; then
		stop_cap none
		n=$(pcount "$W/c1i.pcap")
		req=$(tcpdump -nn -r "$W/c1i.pcap" 2>/dev/null | grep -c 'ICMP echo request')
		if [ "$CAP_RC" = 0 ] && [ "$n" -eq 6 ] && [ "$req" -eq 3 ] && pcap_clean "$W/c1i.pcap"; then
			rw_pass "-c 6 with 3 ICMP echoes: 3 requests + 3 replies"
		else
			rw_fail "ICMP -c 6: exit $CAP_RC, $n packets, $req requests"
		fi
	else
		stop_cap INT
		echo "SKIP: ICMP part of check 1 (neither ping nor python3 available)"
	fi
fi

# -q: nothing but the statistics
ip netns exec "$NSA" "$RPCWATCH" capture -q -i rwa -w "$W/c1q.pcap" -c 3 "$UDP_F" 2>"$W/c1q.err" &
CAP_PID=$!
RW_BG_PIDS="$RW_BG_PIDS $CAP_PID"
# No "listening" line to wait for: keep sending until it has written three.
for _ in $(seq 50); do alive "$CAP_PID" || break; send_udp 1; sleep 0.1; done
stop_cap none
if [ "$CAP_RC" = 0 ] && [ "$(wc -l <"$W/c1q.err")" -eq 2 ] && grep -Eq "$STATS_RE" "$W/c1q.err" &&
	[ "$(pcount "$W/c1q.pcap")" -eq 3 ]; then
	rw_pass "-q: only the two statistics lines on stderr"
else
	rw_fail "-q: exit $CAP_RC: $(tr '\n' '|' <"$W/c1q.err")"
fi

# ---- 2. SIGINT / SIGTERM: complete file, exit 0 ------------------------------

if start_cap c2 -i rwa -w "$W/c2.pcap" "$UDP_F"; then
	send_udp 25
	# Flushed after every batch: readable while the capture still runs.
	for _ in $(seq 50); do [ "$(pcount "$W/c2.pcap")" -eq 25 ] && break; sleep 0.1; done
	[ "$(pcount "$W/c2.pcap")" -eq 25 ] && rw_pass "file complete on disk while capturing (flushed)" ||
		rw_fail "file on disk has $(pcount "$W/c2.pcap") of 25 packets while capturing"
	stop_cap INT
	n=$(pcount "$W/c2.pcap")
	if [ "$CAP_RC" = 0 ] && [ "$n" -eq 25 ] && pcap_clean "$W/c2.pcap"; then
		rw_pass "SIGINT: exit 0, no truncation, all 25 packets"
	else
		rw_fail "SIGINT: exit $CAP_RC, $n packets: $(cat "$PCOUNT_ERR")"
	fi
	grep -Eq "$STATS_RE" "$W/c2.err" && grep -q '^rpcwatch capture: 25 packets captured, 25 received by filter' "$W/c2.err" &&
		rw_pass "SIGINT: statistics on stderr" || rw_fail "SIGINT stderr: $(tr '\n' '|' <"$W/c2.err")"
fi

if start_cap c2t -i rwa -w "$W/c2t.pcap" "$UDP_F"; then
	send_udp 5
	stop_cap TERM
	n=$(pcount "$W/c2t.pcap")
	[ "$CAP_RC" = 0 ] && [ "$n" -eq 5 ] && pcap_clean "$W/c2t.pcap" &&
		rw_pass "SIGTERM: exit 0, all 5 packets" || rw_fail "SIGTERM: exit $CAP_RC, $n packets"
fi

# ---- 3. -C size rotation ------------------------------------------------------
# -C 0.001 = 1000 bytes: 24 + 6 * 158 = 972 fits, a 7th record would not.

mkdir "$W/c3"
if start_cap c3 -i rwa -w "$W/c3/trace.pcap" -C 0.001 "$UDP_F"; then
	send_udp 40
	stop_cap INT
	files=$(cd "$W/c3" && ls)
	want=$(printf 'trace-%05d.pcap\n' 0 1 2 3 4 5 6)
	[ "$files" = "$want" ] && rw_pass "-C: 7 files trace-00000.pcap .. trace-00006.pcap" ||
		rw_fail "-C: files: $(echo $files)"
	total=0 bad=
	for f in "$W"/c3/*.pcap; do
		c=$(pcount "$f"); total=$((total + c))
		pcap_clean "$f" || bad="$bad $(basename "$f")(unreadable)"
		[ "$(stat -c %s "$f")" -le 1000 ] || bad="$bad $(basename "$f")(>1000 bytes)"
	done
	[ "$CAP_RC" = 0 ] && [ "$total" -eq 40 ] && [ -z "$bad" ] &&
		rw_pass "-C: every file readable and <= 1000 bytes, 40 packets in total" ||
		rw_fail "-C: exit $CAP_RC, total $total, problems:$bad"
	m=$(markers "$W"/c3/trace-*.pcap)
	[ "$m" = "$(seq -s ' ' 1 40)" ] && rw_pass "-C: packets in order across files" || rw_fail "-C order: $m"
	[ "$(grep -c '^rpcwatch capture: writing ' "$W/c3.err")" -eq 7 ] &&
		grep -q '^rpcwatch capture: 7 files written$' "$W/c3.err" &&
		rw_pass "-C: each new file announced, 7 files written" || rw_fail "-C stderr: $(tr '\n' '|' <"$W/c3.err")"
fi

# ---- 4. -W ring -----------------------------------------------------------------

mkdir "$W/c4"
if start_cap c4 -i rwa -w "$W/c4/ring.pcap" -C 0.001 -W 3 "$UDP_F"; then
	send_udp 40
	stop_cap INT
	files=$(cd "$W/c4" && ls)
	want=$(printf 'ring-%05d.pcap\n' 4 5 6)
	[ "$CAP_RC" = 0 ] && [ "$files" = "$want" ] && rw_pass "-W 3: exactly the 3 newest files remain" ||
		rw_fail "-W 3: exit $CAP_RC, files: $(echo $files)"
	m=$(markers "$W"/c4/ring-*.pcap)
	[ "$m" = "$(seq -s ' ' 25 40)" ] && rw_pass "-W 3: they hold the newest 16 packets (25..40)" ||
		rw_fail "-W 3 contents: $m"
fi

# ---- 5. -G time rotation on second boundaries ------------------------------------
# Datagrams are sent mid-second so that no packet is near a boundary.

# sleep until the next x.5 s of the wall clock
sleep_mid() { sleep "$(date +%N | awk '{ d = 1.5 - $1 / 1e9; if (d > 1) d -= 1; print d }')"; }

mkdir "$W/c5"
if start_cap c5 -i rwa -w "$W/c5/g-%s.pcap" -G 1 "$UDP_F"; then
	sleep_mid; send_udp 3 1
	sleep 1; sleep_mid; send_udp 3 4	# one whole second without traffic in between
	sleep 0.7
	stop_cap INT
	secs=$(cd "$W/c5" && ls | sed -n 's/^g-\([0-9]*\)\.pcap$/\1/p' | sort -n)
	nfiles=$(echo "$secs" | wc -w)
	first=$(echo "$secs" | head -1); last=$(echo "$secs" | tail -1)
	[ "$CAP_RC" = 0 ] && [ "$nfiles" -ge 4 ] && [ "$(ls "$W/c5" | wc -l)" -eq "$nfiles" ] &&
		[ "$secs" = "$(seq "$first" "$last")" ] &&
		rw_pass "-G 1: $nfiles files named g-<epoch>.pcap, one per second, no gaps (idle seconds too)" ||
		rw_fail "-G 1: exit $CAP_RC, files: $(ls "$W/c5" | tr '\n' ' ')"
	total=0 misplaced=0 empty=0
	for s in $secs; do
		f=$W/c5/g-$s.pcap
		pcap_clean "$f" || misplaced=$((misplaced + 1000))
		n=0
		while read -r ts _; do
			n=$((n + 1))
			[ "${ts%%.*}" = "$s" ] || misplaced=$((misplaced + 1))
		done < <(tcpdump -tt -nn -r "$f" 2>/dev/null)
		total=$((total + n))
		[ "$n" -eq 0 ] && empty=$((empty + 1))
	done
	[ "$total" -eq 6 ] && [ "$misplaced" -eq 0 ] && [ "$empty" -ge 1 ] &&
		rw_pass "-G 1: 6 packets, each in the file of its second; idle seconds give empty files" ||
		rw_fail "-G 1: total $total, misplaced $misplaced, empty files $empty"
fi

# -G with -W and no pattern: sequence numbers, ring of 2 periods, rotation while idle
mkdir "$W/c5w"
if start_cap c5w -i rwa -w "$W/c5w/t.pcap" -G 1 -W 2 "$UDP_F"; then
	sleep 3.3
	stop_cap INT
	files=$(cd "$W/c5w" && ls | tr '\n' ' ')
	nw=$(grep -c '^rpcwatch capture: writing ' "$W/c5w.err")
	last=$(printf 't-%05d.pcap' $((nw - 1)))
	prev=$(printf 't-%05d.pcap' $((nw - 2)))
	[ "$CAP_RC" = 0 ] && [ "$nw" -ge 3 ] && [ "$files" = "$prev $last " ] &&
		rw_pass "-G 1 -W 2 idle: $nw files created, only $prev and $last remain" ||
		rw_fail "-G 1 -W 2: exit $CAP_RC, $nw created, remaining: $files"
fi

# ---- 6. -Z: every file owned by the unprivileged user -----------------------------

if id nobody >/dev/null 2>&1; then
	mkdir "$W/c6"; chmod 1777 "$W/c6"
	if start_cap c6 -i rwa -w "$W/c6/z.pcap" -C 0.001 -Z nobody "$UDP_F"; then
		send_udp 20
		stop_cap INT
		owners=$(stat -c %U "$W"/c6/* | sort -u | tr '\n' ' ')
		nf=$(ls "$W/c6" | wc -l)
		total=0; for f in "$W"/c6/*; do total=$((total + $(pcount "$f"))); done
		[ "$CAP_RC" = 0 ] && [ "$nf" -eq 4 ] && [ "$owners" = "nobody " ] && [ "$total" -eq 20 ] &&
			grep -Eq "$STATS_RE" "$W/c6.err" &&
			rw_pass "-Z nobody: first and rotated files (4) all owned by nobody, 20 packets" ||
			rw_fail "-Z nobody: exit $CAP_RC, $nf files, owners '$owners', $total packets"
	fi
	mkdir -m 0700 "$W/rootonly"
	EXPECT_NS=$NSA expect_err "-Z nobody, output dir not writable by nobody" -i rwa -w "$W/rootonly/x.pcap" -Z nobody
	grep -q "'$W/rootonly/x.pcap'" "$W/e.err" && [ ! -e "$W/rootonly/x.pcap" ] &&
		rw_pass "-Z: output error names the file, nothing created as root" ||
		rw_fail "-Z error message: $(cat "$W/e.err")"
else
	echo "SKIP: check 6 (no user 'nobody')"
fi

# ---- 7. SIGUSR1: statistics, capture continues ------------------------------------

if start_cap c7 -i rwa -w "$W/c7.pcap" "$UDP_F"; then
	send_udp 5
	for _ in $(seq 50); do [ "$(pcount "$W/c7.pcap")" -eq 5 ] && break; sleep 0.1; done
	kill -USR1 "$CAP_PID"
	if wait_line "$W/c7.err" '^rpcwatch capture: 5 packets captured, ' && alive "$CAP_PID"; then
		rw_pass "SIGUSR1: statistics printed, still capturing"
	else
		rw_fail "SIGUSR1: $(tr '\n' '|' <"$W/c7.err")"
	fi
	send_udp 5 6
	stop_cap INT
	n=$(pcount "$W/c7.pcap")
	[ "$CAP_RC" = 0 ] && [ "$n" -eq 10 ] && grep -q '^rpcwatch capture: 10 packets captured' "$W/c7.err" &&
		[ "$(grep -Ec "$STATS_RE" "$W/c7.err")" -eq 2 ] &&
		rw_pass "SIGUSR1: capture continued, 10 packets at the end" ||
		rw_fail "after SIGUSR1: exit $CAP_RC, $n packets: $(tr '\n' '|' <"$W/c7.err")"
fi

rw_finish
