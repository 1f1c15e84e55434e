#!/usr/bin/env bash
# Floods: a capture of one million distinct SYNs (tests/flood/gen.py) through
# `rpcwatch analyze --max-flows N --json`:
#   - peak RSS (GNU time -v) stays within  base + N * 1 KiB + 16 MiB, where
#     base is the RSS of analyze on a 4-packet capture (a struct flow is
#     ~330 bytes; a table that grew with the capture would need > 300 MiB);
#     with distinct server ports add 40 MiB: diag keeps at most 65536
#     endpoints (~22 MiB), 200000 uncapped would need ~70 MiB;
#   - every flow is reported once, flows_evicted = flows - N and
#     flows_peak = N in the stats record, and the text output warns;
#   - the real conversation after the flood (four unanswered SYNs to the
#     endpoint mapper) is still diagnosed: a port_filtered error for
#     198.18.2.20:135 with exactly its four frames as evidence.
# A second capture sends 200000 SYNs to distinct ports (distinct server
# endpoints), which diag caps on its own; same checks.  The flow records of
# the full runs are streamed from analyze into python3, never stored.
# Then kept DCE/RPC stubs: see "Kept stub bytes" below.
# FLOOD_SYNS overrides the size (default 1000000).
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -x /usr/bin/time ] || rw_skip "GNU time not installed (Debian package: time)"
command -v python3 >/dev/null || rw_skip "python3 not installed"
SYNS=${FLOOD_SYNS:-1000000}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

rss_of() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1"; }
# AddressSanitizer's shadow memory and quarantine make RSS meaningless: a
# sanitizer build runs every check except the RSS bounds
asan=0
if ldd "$RPCWATCH" 2>/dev/null | grep -q 'libasan\|libclang_rt.asan' || nm "$RPCWATCH" 2>/dev/null | grep -q ' __asan_init$'; then
	asan=1; echo "# sanitizer build: peak RSS is reported, not checked"
fi
rss_ok() {	# rss_ok RSS BOUND: within the bound (or a sanitizer build); sets RSS_CMP for the message
	RSS_CMP="<= $2 KiB"
	[ "$asan" = 1 ] && RSS_CMP="(bound $2 KiB not applied: sanitizer build)"
	[ -n "$1" ] && { [ "$asan" = 1 ] || [ "$1" -le "$2" ]; }
}

/usr/bin/time -v "$RPCWATCH" analyze -q "$TOP_SRCDIR/data/samples/epm-blocked-client.pcap" >/dev/null 2>"$work/base.time"
base=$(rss_of "$work/base.time")
echo "# baseline RSS ${base} KiB"

# check PCAP TOTAL_FLOWS N EVIDENCE LABEL EXTRA_KIB [full]
# full: every JSON record is read (streamed from analyze into python3);
# otherwise --findings-only.
check() {
	local pcap=$1 total=$2 n=$3 ev=$4 label=$5 extra=$6 full=${7:-}
	local opts="--findings-only"
	[ -n "$full" ] && opts=""
	/usr/bin/time -v -o "$work/time" "$RPCWATCH" analyze -q --json $opts --max-flows "$n" "$pcap" 2>"$work/err" \
		| python3 "$work/check.py" "$total" "$n" "$ev" "$full" >"$work/py.out" 2>&1
	local prc=$? rc; rc=$(sed -n 's/^\s*Exit status: //p' "$work/time")
	local rss; rss=$(rss_of "$work/time")
	local bound=$((base + n + extra))
	echo "# $label: max-flows $n: exit $rc, peak RSS ${rss} KiB (bound ${bound} KiB), $(sed -n 's/^\s*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time") elapsed"
	[ "$rc" = 1 ] && rw_pass "$label N=$n: exit 1 (error finding)" || { rw_fail "$label N=$n: exit $rc, want 1"; head -3 "$work/err"; }
	rss_ok "$rss" "$bound" && rw_pass "$label N=$n: peak RSS ${rss} KiB $RSS_CMP" \
		|| rw_fail "$label N=$n: peak RSS ${rss:-?} KiB > ${bound} KiB"
	[ $prc -eq 0 ] && rw_pass "$label N=$n: $(cat "$work/py.out")" || rw_fail "$label N=$n: $(tail -3 "$work/py.out")"
}
cat >"$work/check.py" <<'PY'
import json, sys
total, n, ev, full = int(sys.argv[1]), int(sys.argv[2]), [int(x) for x in sys.argv[3].split(',')], sys.argv[4] == 'full'
flows = evicted = 0
stats = None
findings = []
for line in sys.stdin.buffer:
    if line.startswith(b'{"type":"flow"'):
        # a million of these: count without a full parse, but check each is one JSON object
        if not line.endswith(b'}\n'):
            sys.exit('truncated flow record: %r' % line[:80])
        flows += 1
        evicted += b'"end":"evicted"' in line
        continue
    r = json.loads(line)
    if r['type'] == 'stats':
        stats = r
    elif r['type'] == 'finding':
        findings.append(r)
errs = []
if full:
    if flows != total:
        errs.append('flow records %d, want %d' % (flows, total))
    if evicted != total - n:
        errs.append('flows ending "evicted" %d, want %d' % (evicted, total - n))
    if not stats:
        errs.append('no stats record')
    else:
        for k, want in (('flows', total), ('flows_evicted', total - n), ('flows_peak', n), ('max_flows', n)):
            if stats.get(k) != want:
                errs.append('stats %s = %r, want %r' % (k, stats.get(k), want))
epm = [f for f in findings if f['kind'] == 'port_filtered' and f.get('server') == '198.18.2.20' and f.get('port') == 135]
if len(epm) != 1:
    errs.append('port_filtered findings for 198.18.2.20:135: %d, want 1' % len(epm))
else:
    f = epm[0]
    got = [e['frame'] for e in f['evidence']]
    if f['severity'] != 'error' or got != ev:
        errs.append('EPM finding severity %s evidence %s, want error %s' % (f['severity'], got, ev))
if errs:
    sys.exit('; '.join(errs))
print('%sEPM port_filtered error with frames %s' % ('%d flow records, %d evicted (stats agree); ' % (flows, evicted) if full else '', ev))
PY

t0=$(date +%s)
ev=$(python3 "$TOP_SRCDIR/tests/flood/gen.py" "$work/syn.pcap" --syns "$SYNS") || rw_fail "gen.py"
echo "# $SYNS SYNs generated in $(( $(date +%s) - t0 )) s"
check "$work/syn.pcap" $((SYNS + 1)) 1000 "$ev" "SYN flood" 16384 full
check "$work/syn.pcap" $((SYNS + 1)) 50000 "$ev" "SYN flood" 16384
# the text output says flows were evicted
"$RPCWATCH" analyze -q --max-flows 1000 "$work/syn.pcap" 2>/dev/null | grep -q "^warning: $((SYNS + 1 - 1000)) flows were evicted" \
	&& rw_pass "text output warns about $((SYNS + 1 - 1000)) evicted flows" || rw_fail "text output: no eviction warning"
rm -f "$work/syn.pcap"

P=$(( SYNS < 200000 ? SYNS : 200000 ))
ev=$(python3 "$TOP_SRCDIR/tests/flood/gen.py" "$work/ports.pcap" --syns "$P" --ports) || rw_fail "gen.py --ports"
check "$work/ports.pcap" $((P + 1)) 1000 "$ev" "SYNs to $P distinct ports" 40960 full
rm -f "$work/ports.pcap"

# Kept stub bytes: 6 EPM connections x 32 calls x 260000 stub bytes (50 MB of
# capture).  At most DCE_CONN_STUB_MAX (1 MiB) per connection is kept, so
# RSS <= base + 6 x 2 MiB (allocation slack) + 8 MiB; every call is still
# reported (unanswered) and the cap is counted.
python3 "$TOP_SRCDIR/tests/flood/gen.py" "$work/stubs.pcap" --stubs 6 >/dev/null || rw_fail "gen.py --stubs"
/usr/bin/time -v -o "$work/time" "$RPCWATCH" analyze -q --json "$work/stubs.pcap" >"$work/stubs.json" 2>"$work/err"
rss=$(rss_of "$work/time"); bound=$((base + 6 * 2048 + 8192))
echo "# stub buffers: peak RSS ${rss} KiB (bound ${bound} KiB)"
rss_ok "$rss" "$bound" && rw_pass "stub buffers: peak RSS ${rss} KiB $RSS_CMP" \
	|| rw_fail "stub buffers: peak RSS ${rss:-?} KiB > ${bound} KiB"
if python3 - "$work/stubs.json" >"$work/py.out" 2>&1 <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
calls = [r for r in recs if r['type'] == 'rpc_call']
st = [r for r in recs if r['type'] == 'stats'][0]['rpc']
ok = len(calls) == 192 and st['calls'] == 192 and st['unanswered'] == 192 and st['capped'] > 0
print('%d rpc_call records, stats calls %d unanswered %d capped %d' % (len(calls), st['calls'], st['unanswered'], st['capped']))
sys.exit(0 if ok else 1)
PY
then rw_pass "stub buffers: $(cat "$work/py.out")"
else rw_fail "stub buffers: $(cat "$work/py.out") (want 192 calls, all unanswered, capped > 0)"
fi
rw_finish
