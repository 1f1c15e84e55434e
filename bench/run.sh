#!/usr/bin/env bash
# bench/run.sh: time `rpcwatch analyze` against the libpcap read ceiling
# (tcpdump -r FILE -w /dev/null) and tshark, on a capture made by bench/gen;
# then peak RSS on a capture 10x larger.  See bench/README.
#
#   bench/run.sh [-n SESSIONS] [-R REPEATS] [-t TSHARK_PACKETS] [-T] [-X] [-d DIR]
#
#   -n N   sessions in the base capture (default 20000, about 1.5 M packets)
#   -R N   repetitions of each timing; the median is reported (default 3)
#   -t N   tshark reads only the first N packets and its time is scaled to the
#          whole capture by packets/s (quicker; tshark slows down as it goes, so
#          this flatters it); by default (-T) tshark reads the whole capture
#   -X     skip the 10x capture (RSS growth check)
#   -d DIR where the captures are written and kept (default /tmp/rpcwatch-bench)
#
# Environment: RPCWATCH (default: src/rpcwatch of the build tree this script
# is run from, or ./src/rpcwatch), GEN (default: bench/gen next to it, built
# from bench/gen.c with cc if missing).  Needs /usr/bin/time (package "time"),
# tcpdump and tshark.  Timings are wall-clock seconds; user+sys CPU seconds are
# printed too because the wall time suffers when other jobs share the machine.
# Exit status 0 even when a target is missed: speed is measured, not asserted.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
n=20000; reps=3; tsub=150000; tfull=1; tenx=1; dir=/tmp/rpcwatch-bench
while getopts "n:R:t:TXd:h" o; do
	case $o in
	n) n=$OPTARG ;; R) reps=$OPTARG ;; t) tsub=$OPTARG; tfull=0 ;; T) tfull=1 ;; X) tenx=0 ;; d) dir=$OPTARG ;;
	*) sed -n '2,20p' "$0"; exit 2 ;;
	esac
done
RPCWATCH=${RPCWATCH:-$PWD/src/rpcwatch}
[ -x "$RPCWATCH" ] || { echo "bench: rpcwatch not found at $RPCWATCH (set RPCWATCH)" >&2; exit 2; }
for t in /usr/bin/time tcpdump tshark; do
	command -v $t >/dev/null || { echo "bench: $t is missing (apt-get install time tcpdump tshark)" >&2; exit 2; }
done
mkdir -p "$dir" || exit 2
GEN=${GEN:-$(dirname "$RPCWATCH")/../bench/gen}
if [ ! -x "$GEN" ]; then
	GEN=$dir/gen
	if [ ! -x "$GEN" ] || [ "$top/bench/gen.c" -nt "$GEN" ]; then
		${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$GEN" "$top/bench/gen.c" || exit 2
	fi
fi

# make (or reuse) a capture of $1 sessions; prints its path
capture() {
	local f=$dir/bench-$1.pcap
	if [ ! -s "$f" ] || [ ! -s "$f.packets" ] || [ "$GEN" -nt "$f" ]; then
		"$GEN" -n "$1" -o "$f" 2>"$f.log" || { cat "$f.log" >&2; exit 2; }
		sed -n 's/.*: \([0-9]*\) packets.*/\1/p' "$f.log" >"$f.packets"
	fi
	echo "$f"
}

# run "$@" once under /usr/bin/time; prints "wall user+sys maxrss_kb"
timed() {
	local tf
	tf=$(mktemp)
	/usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" >/dev/null 2>"$tf.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench: '$*' failed ($rc):" >&2
		tail -3 "$tf.err" >&2
	fi
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$tf"
	rm -f "$tf" "$tf.err"
}

# median of the lines on stdin, field by field (3 fields)
median() {
	awk '{ w[NR] = $1; c[NR] = $2; r[NR] = $3 }
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END { printf "%s %s %s\n", med(w, NR), med(c, NR), med(r, NR) }'
}

repeat() {
	local i
	for i in $(seq "$reps"); do timed "$@"; done | tee -a "$dir/runs.log" | median
}

base=$(capture "$n")
pk=$(cat "$base.packets")
bytes=$(stat -L -c %s "$base")
echo "== capture $base: $pk packets, $bytes bytes ($n sessions)"
echo "== $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); median of $reps runs"
cat "$base" >/dev/null	# warm the page cache: every tool reads it from memory

: >"$dir/runs.log"
echo "# analyze" >>"$dir/runs.log"
read -r aw ac ar <<<"$(repeat "$RPCWATCH" analyze -q "$base")"
echo "# analyze --threads 1" >>"$dir/runs.log"
read -r a1w a1c a1r <<<"$(repeat "$RPCWATCH" analyze -q --threads 1 "$base")"
echo "# tcpdump" >>"$dir/runs.log"
read -r dw dc dr <<<"$(repeat tcpdump -q -r "$base" -w /dev/null)"

if [ "$tfull" = 1 ]; then
	tfile=$base; tpk=$pk; tnote="whole capture"
else
	tfile=$dir/tshark-subset-$n-$tsub.pcap
	[ -s "$tfile" ] || tcpdump -q -r "$base" -c "$tsub" -w "$tfile" 2>/dev/null
	tpk=$tsub; tnote="first $tsub packets, scaled to $pk by packets/s"
	[ "$tsub" -ge "$pk" ] && { tfile=$base; tpk=$pk; tnote="whole capture"; }
fi
echo "# tshark ($tnote)" >>"$dir/runs.log"
read -r tw tc tr <<<"$(repeat tshark -n -r "$tfile" -Y dcerpc)"

report() {	# name packets wall cpu rss
	awk -v n="$1" -v p="$2" -v w="$3" -v c="$4" -v r="$5" 'BEGIN {
		printf "%-34s %9d pkts %8.2f s wall %8.2f s cpu %12.0f pkts/s %8.1f MB peak RSS\n", n, p, w, c,
		       (w > 0 ? p / w : 0), r / 1024 }'
}
echo
report "rpcwatch analyze -q" "$pk" "$aw" "$ac" "$ar"
report "rpcwatch analyze -q --threads 1" "$pk" "$a1w" "$a1c" "$a1r"
report "tcpdump -r -w /dev/null" "$pk" "$dw" "$dc" "$dr"
report "tshark -Y dcerpc ($tpk pkts)" "$tpk" "$tw" "$tc" "$tr"
# tshark scaled to the whole capture by its packets/s
tsw=$(awk -v t="$tw" -v a="$tpk" -v b="$pk" 'BEGIN { printf "%.2f", t * b / a }')
tsc=$(awk -v t="$tc" -v a="$tpk" -v b="$pk" 'BEGIN { printf "%.2f", t * b / a }')
[ "$tpk" != "$pk" ] && report "tshark -Y dcerpc (scaled)" "$pk" "$tsw" "$tsc" "$tr"

echo
awk -v aw="$aw" -v ac="$ac" -v dw="$dw" -v dc="$dc" -v tw="$tsw" -v tc="$tsc" -v ar="$ar" -v a1w="$a1w" 'BEGIN {
	printf "analyze / tcpdump time:  %.2fx wall, %.2fx cpu   (target <= 2.5x)  %s\n", aw / dw, ac / dc,
	       (aw / dw <= 2.5 ? "met" : "MISSED")
	printf "tshark / analyze time:   %.1fx wall, %.1fx cpu   (target >= 50x)   %s\n", tw / aw, tc / ac,
	       (tw / aw >= 50 ? "met" : "MISSED")
	printf "one thread (--threads 1): %.2fx tcpdump wall, tshark %.1fx slower\n", a1w / dw, tw / a1w
	printf "analyze peak RSS:        %.1f MB              (target <= 64 MB) %s\n", ar / 1024,
	       (ar <= 65536 ? "met" : "MISSED")
}'

if [ "$tenx" = 1 ]; then
	big=$(capture $((n * 10)))
	bpk=$(cat "$big.packets")
	echo
	echo "== 10x capture $big: $bpk packets"
	cat "$big" >/dev/null 2>&1
	echo "# analyze 10x" >>"$dir/runs.log"
	read -r bw bc br <<<"$(timed "$RPCWATCH" analyze -q "$big" | tee -a "$dir/runs.log")"
	report "rpcwatch analyze -q (10x)" "$bpk" "$bw" "$bc" "$br"
	awk -v a="$ar" -v b="$br" 'BEGIN {
		d = (b - a) / a * 100
		printf "peak RSS 10x vs 1x:      %.1f MB vs %.1f MB, %+.1f%%  (target within 10%%) %s\n", b / 1024,
		       a / 1024, d, (d <= 10 && d >= -10) ? "met" : "MISSED"
	}'
fi
echo
echo "(every run: $dir/runs.log, fields: wall s, user+sys s, peak RSS KB)"
exit 0
