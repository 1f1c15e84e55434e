#!/usr/bin/env bash
# Fuzz smoke test: when clang with libFuzzer is installed, build the
# harnesses (`make fuzz`), seed them from the test captures (fuzz/seed.sh)
# and run each for FUZZ_SECONDS (default 20) of fuzzing, two at a time.
# Any crash, sanitizer report, leak or harness invariant failure fails the
# test; libFuzzer's crash input is kept in $FUZZ_ARTIFACTS (default: a
# temporary directory that is printed) for a regression test.
# Skips (77) when clang or its libFuzzer runtime is missing.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_CC=${FUZZ_CC:-clang}
command -v "$FUZZ_CC" >/dev/null || rw_skip "$FUZZ_CC not installed (Debian packages: clang libclang-rt-dev)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$work/t.c"
"$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$work/t" "$work/t.c" 2>/dev/null \
	|| rw_skip "$FUZZ_CC cannot link -fsanitize=fuzzer (Debian package: libclang-rt-dev)"

if make -C "$TOP_BUILDDIR" fuzz FUZZ_CC="$FUZZ_CC" >"$work/build.log" 2>&1; then
	rw_pass "make fuzz builds the harnesses"
else
	tail -30 "$work/build.log"; rw_fail "make fuzz"; rw_finish
fi
harnesses=$(make -s --no-print-directory -C "$TOP_BUILDDIR" print-fuzz-harnesses | grep -v '^make')

SEED_MAX_FILE=8192 "$TOP_SRCDIR/fuzz/seed.sh" "$work/corpus" >"$work/seed.log" 2>&1 \
	|| { cat "$work/seed.log"; rw_fail "fuzz/seed.sh"; }
art=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$art"

run_one() {
	local h=$1 bin="$TOP_BUILDDIR/fuzz/fuzz_$1"
	mkdir -p "$work/corpus/$h"
	# committed seeds and regression inputs first: they must pass as they are
	local fixed=()
	for d in "$TOP_SRCDIR/fuzz/seeds/$h" "$TOP_SRCDIR/fuzz/regress/$h"; do
		[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && fixed+=("$d")
	done
	if [ ${#fixed[@]} -gt 0 ]; then
		timeout 300 "$bin" -runs=0 "${fixed[@]}" >"$work/$h.fixed.log" 2>&1 || return 1
	fi
	timeout $((FUZZ_SECONDS + 240)) nice -n 19 "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
		-timeout=25 -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/$h-" "$work/corpus/$h" \
		>"$work/$h.log" 2>&1
}

set -- $harnesses
while [ $# -gt 0 ]; do
	a=$1; shift; b=${1:-}; [ $# -gt 0 ] && shift
	run_one "$a" & pa=$!
	if [ -n "$b" ]; then run_one "$b" & pb=$!; fi
	for h in $a $b; do
		if [ "$h" = "$a" ]; then wait $pa; rc=$?; else wait $pb; rc=$?; fi
		execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$work/$h.log" 2>/dev/null)
		if [ $rc -eq 0 ] && ! grep -q "ERROR: \|runtime error\|invariant failed" "$work/$h.log" "$work/$h.fixed.log" 2>/dev/null; then
			rw_pass "fuzz_$h: ${execs:-?} executions in ${FUZZ_SECONDS}s, no crash"
		else
			rw_fail "fuzz_$h (exit $rc); crash input kept in $art"
			grep -h -A12 "ERROR: \|runtime error\|invariant failed" "$work/$h.log" "$work/$h.fixed.log" 2>/dev/null | head -30
			FUZZ_ARTIFACTS=$art; trap - EXIT
		fi
	done
done
rw_finish
