#!/usr/bin/env bash
# Every capture under $SHARED_DIR/captures (the malformed tcpdump/libpcap
# regression files included, and the gzipped ones libpcap cannot read) goes
# through `rpcwatch analyze`: exit 0 (or 1: error findings), or 2 with a
# message naming the file for an unreadable one; never a signal, a sanitizer
# report or a hang (HOSTILE_TIMEOUT, 60 s per file, is far beyond any real
# run).  Run it under the sanitizer build too (configure --enable-sanitizers).
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
rw_need_shared
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# per file: far beyond any real run, also under the sanitizers (hundreds of ms)
HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-60}
n=0; bad=0; errs=0
while IFS= read -r -d '' f; do
	n=$((n + 1))
	timeout "$HOSTILE_TIMEOUT" "$RPCWATCH" analyze -q "$f" >/dev/null 2>"$work/err"
	rc=$?
	if grep -q "Sanitizer\|runtime error" "$work/err"; then
		rw_fail "$f: sanitizer report (exit $rc)"; head -5 "$work/err"; bad=$((bad + 1))
	elif [ $rc -eq 2 ]; then
		errs=$((errs + 1))
		# a clear error: "rpcwatch analyze: FILE: why", naming the file
		if ! grep -qF "rpcwatch analyze: $f" "$work/err"; then
			rw_fail "$f: exit 2 without a message naming the file: $(head -2 "$work/err" | tr '\n' '|')"; bad=$((bad + 1))
		fi
	elif [ $rc -eq 124 ]; then
		rw_fail "$f: still running after ${HOSTILE_TIMEOUT}s"; bad=$((bad + 1))
	elif [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		rw_fail "$f: exit $rc"; head -5 "$work/err"; bad=$((bad + 1))
	fi
done < <(find "$SHARED_DIR/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \
	-o -name '*.gz' -o -path '*/hostile/*' \) ! -name '*.md' ! -name 'SHA256SUMS' -print0 | sort -z)
echo "# $n captures: $((n - errs)) read, $errs rejected with an error, $bad misbehaved"
[ "$n" -gt 0 ] || rw_skip "no captures found"
[ "$bad" -eq 0 ] && rw_pass "all $n captures handled"
rw_finish
