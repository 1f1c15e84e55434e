#!/usr/bin/env bash
# Callback endpoints beyond DIAG_NOTIFY_LISTED (4096, src/diag.h) that
# received notifications and have nothing against them are counted, not
# listed (issue 8, memory): on a bench/gen capture of 4,300 Exchange sessions
# (one callback port each, every one notified) `analyze` lists the first
# 4,096 callback endpoints and ends the endpoint list with one summary line
# "(204 more) udp notify EMSMDB received notifications, ..."; --json has one
# "endpoint_summary" record (unlisted 204, listed 4096) after the endpoint
# records, and every line parses.  A 50-session capture has no summary.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v python3 >/dev/null || rw_skip "python3 not installed"
command -v "${CC:-cc}" >/dev/null || rw_skip "no C compiler for bench/gen.c"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"${CC:-cc}" -std=c11 -O2 -D_DEFAULT_SOURCE -o "$work/gen" "$TOP_SRCDIR/bench/gen.c" || rw_skip "bench/gen.c does not build here"

n=4300 listed=4096
"$work/gen" -n $n -w 0 -d 0 -r 50 -o "$work/big.pcap" 2>/dev/null || { rw_fail "gen -n $n"; rw_finish; }
"$work/gen" -n 50 -w 0 -d 0 -o "$work/small.pcap" 2>/dev/null || { rw_fail "gen -n 50"; rw_finish; }

"$RPCWATCH" analyze "$work/big.pcap" >"$work/big.txt"
echo "# analyze exit $?"
grep -m1 'more)' "$work/big.txt" | sed 's/^/# /'
rw_check "text: $listed callback endpoints listed" [ "$(grep -c '^  [0-9.]*:[0-9]* *udp notify   EMSMDB ' "$work/big.txt")" = $listed ]
rw_check "text: one summary line for the other $((n - listed))" \
	[ "$(grep -c "^  ($((n - listed)) more) *udp notify   EMSMDB     received notifications, nothing against them: not listed ($listed listed)\$" "$work/big.txt")" = 1 ]
rw_check "text: the summary is the last endpoint line" \
	[ "$(sed -n '/^Endpoints:/,/^$/p' "$work/big.txt" | sed -n '$!p' | tail -1 | grep -c 'more)')" = 1 ]
rw_check "text: no findings (every session is healthy)" grep -q '^Findings: 0 errors, 0 warnings, 0 info$' "$work/big.txt"

"$RPCWATCH" analyze --json "$work/big.pcap" >"$work/big.json"
python3 - "$work/big.json" $n $listed >"$work/json.out" 2>&1 <<'PY'
import json, sys
path, n, listed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
recs = [json.loads(l) for l in open(path)]
types = [r["type"] for r in recs]
sums = [r for r in recs if r["type"] == "endpoint_summary"]
notify = [r for r in recs if r["type"] == "endpoint" and r["role"] == "notify"]
assert len(sums) == 1, "summaries: %d" % len(sums)
s = sums[0]
assert s["unlisted"] == n - listed and s["listed"] == listed, s
assert s["proto"] == "udp" and s["role"] == "notify" and s["interface"] == "EMSMDB", s
assert len(notify) == listed, len(notify)
i = types.index("endpoint_summary")
assert "endpoint" not in types[i + 1:] and types[i - 1] == "endpoint", types[i - 1:i + 2]
print("ok", len(recs), "records")
PY
rc=$?
sed 's/^/# /' "$work/json.out"
rw_check "json: every line parses, one endpoint_summary after the endpoints, exact counts" [ $rc = 0 ]

rw_check "--findings-only: no summary" [ "$("$RPCWATCH" analyze --findings-only "$work/big.pcap" | grep -c 'more)')" = 0 ]

"$RPCWATCH" analyze "$work/small.pcap" >"$work/small.txt"
rw_check "50 sessions: all 50 callback endpoints listed, no summary" \
	[ "$(grep -c ' udp notify ' "$work/small.txt"):$(grep -c 'more)' "$work/small.txt")" = "50:0" ]
rw_finish
