#!/usr/bin/env bash
# Long fuzzing run for the report: every harness until RUNS executions
# (default 10 million) or MAXTIME seconds (default 1500), whichever comes
# first, two at a time under nice -n 19.  Seeds from fuzz/seed.sh.
#   fuzz/run-long.sh BUILDDIR OUTDIR [HARNESS...]
# Writes OUTDIR/<harness>.log, crash inputs as OUTDIR/<harness>-crash-*,
# and prints one line per harness: executions, seconds, edges (cov), features (ft), corpus.
set -u
b=${1:?builddir}; o=${2:?outdir}; shift 2
RUNS=${RUNS:-10000000}; MAXTIME=${MAXTIME:-1500}; JOBS=${JOBS:-2}
hs=${*:-$(make -s -C "$b" print-fuzz-harnesses)}
mkdir -p "$o"
[ -d "$o/corpus" ] || "$(dirname "$0")/seed.sh" "$o/corpus" >/dev/null
one() {
	local h=$1 t0 t1
	mkdir -p "$o/corpus/$h"
	t0=$(date +%s)
	nice -n 19 "$b/fuzz/fuzz_$h" -runs="$RUNS" -max_total_time="$MAXTIME" -rss_limit_mb=2048 -timeout=25 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$o/$h-" "$o/corpus/$h" >"$o/$h.log" 2>&1
	local rc=$? t1=$(date +%s)
	local ex cov
	ex=$(sed -n 's/^stat::number_of_executed_units: //p' "$o/$h.log")
	cov=$(grep -E "^#[0-9]+.*(DONE|cov:)" "$o/$h.log" | tail -1 | sed 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [^ ]*\).*/\1 \2 \3/')
	printf '%-9s rc=%d execs=%s secs=%d %s\n' "$h" "$rc" "${ex:-?}" $((t1 - t0)) "$cov" | tee -a "$o/summary.txt"
}
for h in $hs; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 2; done
	one "$h" &
done
wait
