#!/usr/bin/env bash
# Long fuzzing run for the report: every harness until RUNS executions
# (default 10 million) or MAXTIME seconds (default 3600), whichever comes
# first, JOBS at a time (default 1: the long runs share a small machine)
# under nice -n 19.  Seeds from fuzz/seed.sh.
#   fuzz/run-long.sh BUILDDIR OUTDIR [HARNESS...]
# Writes OUTDIR/<harness>.log, crash inputs as OUTDIR/<harness>-crash-*,
# and prints one line per harness: executions, seconds, exec/s, edges (cov),
# features (ft), corpus.  See fuzz/README for the last results.
# TIMEOUT (default 25) is libFuzzer's -timeout, seconds per input of WALL
# time: raise it (e.g. 600) when the fuzzer may be paused with SIGSTOP for
# a while, or the pause is reported as a timeout.  PIDFILE (default none):
# the running fuzzer's process id is written there while it runs (one line
# per harness running, JOBS=1 gives one), e.g. for kill -STOP / -CONT.
set -u
b=${1:?builddir}; o=${2:?outdir}; shift 2
RUNS=${RUNS:-10000000}; MAXTIME=${MAXTIME:-3600}; JOBS=${JOBS:-1}; TIMEOUT=${TIMEOUT:-25}
PIDFILE=${PIDFILE:-}
hs=${*:-$(make -s -C "$b" print-fuzz-harnesses)}
mkdir -p "$o"
[ -d "$o/corpus" ] || "$(dirname "$0")/seed.sh" "$o/corpus" >/dev/null

# Longest input per harness: what the harness can use, no more.  Execution
# time grows with input length, and libFuzzer lets lengths grow towards
# -max_len over a long run, so a limit far above what the harness reads
# only makes the run slower.
max_len() {
	case $1 in
	stream) echo 2052 ;;	# u32 ISN + 256 records of 8 bytes; the rest is never read
	json) echo 4096 ;;	# 256 records of 2 + up to 255 bytes: 16 bytes a record on average
	profile) echo 8192 ;;	# profiles are a few KB; still room for a line over PROF_MAX_LINE (4096)
	dce_co) echo 16384 ;;	# conversations: replaying session 4's 64 KB corpus cut to 16 KB reaches
				# 1657 of its 1664 edges at 3.5x the executions/s (fuzz/README)
	pipeline) echo 16384 ;;	# captures: the same replay reaches 2884 of 2894 edges at 1.6x
	*) echo 65536 ;;	# packets and captures: a whole 64 KB PDU or capture
	esac
}

one() {
	local h=$1 t0 t1 l0
	mkdir -p "$o/corpus/$h"
	t0=$(date +%s)
	l0=$(uptime | sed 's/.*load average: //')
	nice -n 19 "$b/fuzz/fuzz_$h" -runs="$RUNS" -max_total_time="$MAXTIME" -rss_limit_mb=2048 -timeout="$TIMEOUT" \
		-max_len="$(max_len "$h")" -print_final_stats=1 -artifact_prefix="$o/$h-" "$o/corpus/$h" >"$o/$h.log" 2>&1 &
	local pid=$!	# nice execs the fuzzer: this is its process id
	[ -z "$PIDFILE" ] || echo "$pid" >>"$PIDFILE"
	wait "$pid"
	local rc=$? t1=$(date +%s)
	if [ -n "$PIDFILE" ] && [ -f "$PIDFILE" ]; then
		grep -vx "$pid" "$PIDFILE" >"$PIDFILE.tmp.$$"
		if [ -s "$PIDFILE.tmp.$$" ]; then mv "$PIDFILE.tmp.$$" "$PIDFILE"; else rm -f "$PIDFILE" "$PIDFILE.tmp.$$"; fi
	fi
	local ex eps cov
	ex=$(sed -n 's/^stat::number_of_executed_units: //p' "$o/$h.log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$o/$h.log")
	cov=$(grep -E "^#[0-9]+.*(DONE|cov:)" "$o/$h.log" | tail -1 | sed 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [^ ]*\).*/\1 \2 \3/')
	printf '%-9s rc=%d execs=%s secs=%d exec/s=%s %s load=[%s] -> [%s]\n' "$h" "$rc" "${ex:-?}" $((t1 - t0)) "${eps:-?}" "$cov" \
		"$l0" "$(uptime | sed 's/.*load average: //')" | tee -a "$o/summary.txt"
}
for h in $hs; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 2; done
	one "$h" &
done
wait
