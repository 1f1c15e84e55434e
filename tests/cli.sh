#!/usr/bin/env bash
# Command-line contract: help, version, exit codes, one clear line per usage error.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sample=$TOP_SRCDIR/data/samples/firewall-basics.pcap

# expect RC DESC CMD... : exit status RC; for RC=2 exactly one stderr line mentioning rpcwatch
expect() {
	local want=$1 desc=$2; shift 2
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		rw_fail "$desc: exit $rc, wanted $want ($(head -c 300 "$work/err"))"; return
	fi
	if [ "$want" -eq 2 ]; then
		local n; n=$(grep -c . "$work/err")
		if [ "$n" -ne 1 ] || ! grep -q '^rpcwatch' "$work/err"; then
			rw_fail "$desc: wanted one 'rpcwatch...' line on stderr, got $n:"; cat "$work/err"; return
		fi
	fi
	rw_pass "$desc"
}
R=$RPCWATCH
expect 0 "--version" "$R" --version
grep -q "^rpcwatch [0-9]" "$work/out" && grep -q libpcap "$work/out" && grep -qi libnet "$work/out" \
	&& grep -qi ncurses "$work/out" && rw_pass "--version names rpcwatch, libpcap, libnet, ncurses" \
	|| rw_fail "--version content: $(cat "$work/out")"
expect 0 "--help" "$R" --help
grep -q analyze "$work/out" && grep -q capture "$work/out" && rw_pass "--help lists commands" || rw_fail "--help content"
expect 2 "no command" "$R"
expect 2 "unknown command" "$R" frobnicate
expect 2 "option before command" "$R" --frob
for c in analyze capture; do
	expect 0 "$c --help" "$R" "$c" --help
	grep -q "Usage: rpcwatch $c" "$work/out" && rw_pass "$c --help shows usage" || rw_fail "$c --help content"
	expect 2 "$c unknown long option" "$R" "$c" --no-such-option
	expect 2 "$c unknown short option" "$R" "$c" -@
	grep -q -- "-@" "$work/err" && rw_pass "$c names the bad option" || rw_fail "$c bad option not named: $(cat "$work/err")"
done
for c in watch check epm probe-run; do
	expect 2 "$c without arguments is a usage error" "$R" "$c"
	[ "$(grep -c . "$work/err")" -le 3 ] && ! grep -qi "not implemented\|reserved" "$work/err" &&
		rw_pass "$c: a short usage message, not a stub" || rw_fail "$c without arguments: $(cat "$work/err")"
done

expect 0 "analyze sample" "$R" analyze -q "$sample"
expect 0 "analyze -r sample" "$R" analyze -q -r "$sample"
expect 2 "analyze no file" "$R" analyze
expect 2 "analyze missing file" "$R" analyze -q "$work/nope.pcap"
grep -q "nope.pcap" "$work/err" && rw_pass "missing file is named" || rw_fail "missing file not named"
printf 'this is not a capture file at all\n' >"$work/bad.pcap"
expect 2 "analyze garbage file" "$R" analyze -q "$work/bad.pcap"
grep -q "bad.pcap" "$work/err" && rw_pass "garbage file is named" || rw_fail "garbage file not named"
head -c 1000 "$sample" >"$work/cut.pcap"
"$R" analyze -q "$work/cut.pcap" >"$work/out" 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q "cut.pcap" "$work/err" && grep -q "packets:" "$work/out" \
	&& rw_pass "truncated file: what was read is reported, then exit 2" \
	|| rw_fail "truncated file: rc=$rc $(cat "$work/err")"
expect 2 "analyze bad --max-flows" "$R" analyze --max-flows 0 "$sample"
expect 2 "analyze non-numeric --max-flows" "$R" analyze --max-flows lots "$sample"
expect 2 "analyze bad --flow-timeout" "$R" analyze --flow-timeout -5 "$sample"
expect 2 "analyze bad filter" "$R" analyze -q --filter "port port" "$sample"
expect 2 "analyze --filter without value" "$R" analyze --filter
# JSON: every line parses, has type and ts, schema on the first record
"$R" analyze -q --json "$sample" >"$work/j" 2>/dev/null
/usr/bin/python3 - "$work/j" <<'PY' && rw_pass "JSON lines parse; type+ts everywhere; schema first" || rw_fail "JSON contract"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
recs = [json.loads(l) for l in lines]
assert recs and recs[0]["type"] == "rpcwatch" and isinstance(recs[0]["schema"], int), recs[0]
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
for r in recs:
    assert "type" in r and ts.match(r["ts"]), r
types = [r["type"] for r in recs]
assert types.count("stats") == 1
assert types.index("stats") < types.index("finding"), types   # findings end the output
assert sum(1 for r in recs if r["type"] == "flow") == 7
for r in recs:
    if r["type"] == "finding":
        assert r["severity"] in ("error", "warning", "info") and r["kind"] and r["summary"]
        assert r["explanation"] and r["remedy"] and r["evidence"], r
PY
# exit status gates CI: error findings -> 1, none -> 0
expect 1 "analyze exits 1 on error findings (dynamic port dropped)" "$R" analyze -q "$TOP_SRCDIR/data/samples/dynamic-dropped-client.pcap"
grep -q "^error   port_filtered: 198.18.2.20:49157/tcp" "$work/out" && rw_pass "the finding names the blocked port" \
	|| rw_fail "port_filtered finding missing: $(tail -5 "$work/out")"
expect 0 "analyze exits 0 on a healthy capture" "$R" analyze -q "$TOP_SRCDIR/data/samples/healthy-client.pcap"
expect 1 "--findings-only" "$R" analyze -q --findings-only "$TOP_SRCDIR/data/samples/dynamic-dropped-client.pcap"
[ "$(grep -c . "$work/out")" -eq 5 ] && ! grep -qE '^[0-9]{4}-' "$work/out" && rw_pass "--findings-only prints only findings" \
	|| rw_fail "--findings-only output: $(cat "$work/out")"
expect 2 "analyze bad --rpc-range" "$R" analyze --rpc-range 5000-1025 "$sample"
expect 2 "analyze bad --rpc-range text" "$R" analyze --rpc-range high "$sample"
expect 2 "analyze bad --notify-window" "$R" analyze --notify-window 0 "$sample"
# two vantage points merged: order of the files does not matter, a clock offset
# within the 2 s window does not either; beyond it rpcwatch says it found no copy
S=$TOP_SRCDIR/data/samples
for order in "client server" "server client"; do
	set -- $order
	expect 1 "merged $1+$2: notify_lost" "$R" analyze -q --findings-only "$S/notify-dropped-$1.pcap" "$S/notify-dropped-$2.pcap"
	grep -q "^error   notify_lost: 2 of 2 new-mail notifications from 198.18.2.20 to 198.18.1.10:50123" "$work/out" &&
		[ "$(grep -c '^error' "$work/out")" -eq 1 ] && rw_pass "merged $1+$2 names the lost notifications, nothing else" ||
		rw_fail "merged $1+$2: $(cat "$work/out")"
done
expect 0 "merged healthy: no findings" "$R" analyze -q "$S/healthy-server.pcap" "$S/healthy-client.pcap"
grep -q "healthy-client.pcap: 32 packets, 14 of them copies" "$work/out" && rw_pass "merged healthy: copies counted" ||
	rw_fail "merged healthy copies: $(grep packets, "$work/out")"
if command -v editcap >/dev/null; then
	editcap -t 0.7 "$S/notify-dropped-server.pcap" "$work/shift1.pcap" >/dev/null 2>&1
	expect 1 "merged with the server clock 0.7 s ahead" "$R" analyze -q --findings-only "$S/notify-dropped-client.pcap" "$work/shift1.pcap"
	grep -q "^error   notify_lost" "$work/out" && rw_pass "clock offset 0.7 s: notify_lost still found" || rw_fail "offset 0.7: $(cat "$work/out")"
	editcap -t 2.5 "$S/notify-dropped-server.pcap" "$work/shift3.pcap" >/dev/null 2>&1
	expect 0 "merged with the server clock 2.5 s ahead" "$R" analyze -q "$S/notify-dropped-client.pcap" "$work/shift3.pcap"
	grep -q "note: the files overlap in time but share no packet" "$work/out" && ! grep -q notify_lost "$work/out" &&
		rw_pass "clock offset 2.5 s: no copies, said so, nothing claimed" || rw_fail "offset 2.5: $(cat "$work/out")"
else
	echo "# editcap not installed: clock-offset merge checks skipped"
fi
# --threads 2 (a reader thread) and --threads 1 give the same bytes, merged
# files with a read error among them included
head -c 3000 "$S/notify-dropped-server.pcap" >"$work/cut.pcap"
for args in "--json --pdus" "" "--findings-only"; do
	# shellcheck disable=SC2086
	"$R" analyze $args --threads 1 "$S/notify-dropped-client.pcap" "$work/cut.pcap" "$S/healthy-server.pcap" \
		>"$work/t1" 2>&1
	# shellcheck disable=SC2086
	"$R" analyze $args --threads 2 "$S/notify-dropped-client.pcap" "$work/cut.pcap" "$S/healthy-server.pcap" \
		>"$work/t2" 2>&1
	grep -q "cut.pcap: stopped after" "$work/t1" && cmp -s "$work/t1" "$work/t2" &&
		rw_pass "--threads 1 and 2 identical (${args:-text})" || rw_fail "--threads differ (${args:-text})"
done
expect 2 "analyze --threads 3" "$R" analyze --threads 3 "$S/healthy-server.pcap"
# capture argument errors that need no privilege
expect 2 "capture without -i" "$R" capture -w "$work/x.pcap"
expect 2 "capture bad -s" "$R" capture -i lo -w "$work/x.pcap" -s 99999999
expect 2 "capture bad -c" "$R" capture -i lo -w "$work/x.pcap" -c abc
expect 2 "capture -W without rotation" "$R" capture -i lo -w "$work/x.pcap" -W 3
rw_finish
