#!/usr/bin/env bash
# Every capture under $SHARED_DIR/captures (the malformed tcpdump/libpcap
# regression files included) goes through `rpcwatch analyze`: exit 0 (or 1:
# error findings), or 2 with a message for an unreadable file; never a signal, a sanitizer report
# or a hang (60 s per file is far beyond any real run).
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
rw_need_shared
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
n=0; bad=0; errs=0
while IFS= read -r -d '' f; do
	n=$((n + 1))
	timeout 60 "$RPCWATCH" analyze -q "$f" >/dev/null 2>"$work/err"
	rc=$?
	if [ $rc -eq 2 ]; then
		errs=$((errs + 1))
		if ! grep -q "^rpcwatch analyze: " "$work/err"; then
			rw_fail "$f: exit 2 without a message"; bad=$((bad + 1))
		fi
	elif { [ $rc -ne 0 ] && [ $rc -ne 1 ]; } || grep -q "Sanitizer\|runtime error" "$work/err"; then
		rw_fail "$f: exit $rc"; head -5 "$work/err"; bad=$((bad + 1))
	fi
done < <(find "$SHARED_DIR/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \
	-o -path '*/hostile/*' \) ! -name '*.gz' ! -name '*.md' ! -name 'SHA256SUMS' -print0 | sort -z)
echo "# $n captures: $((n - errs)) read, $errs rejected with an error, $bad misbehaved"
[ "$n" -gt 0 ] || rw_skip "no captures found"
[ "$bad" -eq 0 ] && rw_pass "all $n captures handled"
rw_finish
