#!/usr/bin/env bash
# `rpcwatch epm` against Samba's endpoint mapper (samba-dcerpcd) in the lab,
# compared with two independent clients:
#   - impacket's rpcdump.py (the Debian example script, impacket's own NDR and
#     tower decoding).  impacket 0.10.0's hept_lookup raises on any status but 0,
#     and Samba answers the last page with its entries *and*
#     ept_s_not_registered, so the stock script prints "No endpoints found";
#     the comparison therefore runs rpcdump.py with hept_lookup replaced by the
#     same loop that ignores that final status (said in the output);
#   - Samba's rpcclient: `epmlookup` (the whole list, one entry per call; it
#     drops the entry that arrives with ept_s_not_registered, so it must list
#     exactly rpcwatch's entries but the last) and `epmmap` (lsarpc over
#     ncacn_np, Samba's fixed query), compared with the matching rows.
# Every comparison is on the multiset of (uuid, version, protocol, port or
# pipe); the test fails when they differ.  Then the verdicts: --uuid for a
# registered (port equals impacket's hept_map answer) and an unregistered
# interface, paging with --page-size, --json through python3's json, IPv6,
# a port where HTTP answers (protocol error) or nothing answers after the
# handshake (timeout), and the router dropping (filtered), resetting (closed)
# and rejecting with ICMP admin-prohibited (unreachable) TCP 135, each exit 1
# with its one-line message.
# Needs root (skips; fails under CI=true), nftables, ethtool, /usr/bin/python3
# with python3-impacket, samba (samba-dcerpcd), smbclient (rpcclient).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/lab/lab-lib.sh"

missing() {
	if [ "${CI:-}" = true ]; then echo "FAIL: CI=true but $1 is missing"; exit 1; fi
	rw_skip "$1 is missing"
}
rw_need_root
for c in nft ethtool ss rpcclient; do command -v "$c" >/dev/null || missing "$c"; done
[ -x /usr/bin/python3 ] || missing /usr/bin/python3
/usr/bin/python3 -c 'import impacket' 2>/dev/null || missing "python3-impacket"
[ -x "$SAMBA_DCERPCD" ] || missing "samba (samba-dcerpcd)"
RPCDUMP=""
for f in /usr/share/doc/python3-impacket/examples/rpcdump.py /usr/bin/impacket-rpcdump; do
	[ -f "$f" ] && { RPCDUMP=$f; break; }
done
[ -n "$RPCDUMP" ] || missing "impacket's rpcdump.py"
[ -x "$RPCWATCH" ] || { echo "FAIL: $RPCWATCH not built"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/rwepm.XXXXXX") || exit 99
chmod 0755 "$W"
rw_netns_init
trap 'rw_netns_cleanup; rm -rf "$W"' EXIT
S4=$LAB_S4
SRVSVC=4b324fc8-1670-01d3-1278-5a47bf6ee188
EMSMDB=a4f1db00-ca47-1067-b31f-00dd010662da

lab_up || { echo "FAIL: lab did not come up"; exit 1; }

# samba-dcerpcd as in scenario.sh's start_samba: own smb.conf and state under $W
lab_samba_conf "$W/samba" RWLABSRV s0
lab_start_dcerpcd "$W/samba" "$W/samba.log" --no-process-group
lab_wait_listen server tcp 135 || { echo "FAIL: samba-dcerpcd did not listen on 135: $(tail -3 "$W/samba.log")"; exit 1; }
# the rpcd helpers register their endpoints a moment later: wait until the list stops growing
prev=-1
for n in $(seq 50); do
	cur=$(lab_in client timeout 10 rpcclient -U% -c epmlookup "ncacn_ip_tcp:$S4[135]" 2>/dev/null | wc -l)
	[ "$cur" -gt 0 ] && [ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 0.3
done

# ---- the listings --------------------------------------------------------------
lab_in client "$RPCWATCH" epm "$S4" >"$W/rw.txt" 2>"$W/rw.err"
rc=$?
[ "$rc" = 0 ] && rw_pass "rpcwatch epm $S4: exit 0, $(tail -1 "$W/rw.txt")" ||
	rw_fail "rpcwatch epm $S4: exit $rc: $(head -2 "$W/rw.err")"
lab_in client "$RPCWATCH" epm --json "$S4" >"$W/rw.json" 2>"$W/rw.jerr"
rc=$?
[ "$rc" = 0 ] && rw_pass "rpcwatch epm --json: exit 0" || rw_fail "rpcwatch epm --json: exit $rc: $(head -2 "$W/rw.jerr")"
lab_in client "$RPCWATCH" epm --json --page-size 5 "$S4" >"$W/rw5.json" 2>&1
rc=$?
[ "$rc" = 0 ] && rw_pass "rpcwatch epm --page-size 5: exit 0" || rw_fail "rpcwatch epm --page-size 5: exit $rc"
lab_in client "$RPCWATCH" epm --json --page-size 1 "$S4" >"$W/rw1.json" 2>&1
rc=$?
[ "$rc" = 0 ] && rw_pass "rpcwatch epm --page-size 1: exit 0" || rw_fail "rpcwatch epm --page-size 1: exit $rc"

# impacket: the stock rpcdump.py, then rpcdump.py with a status-tolerant hept_lookup
lab_in client timeout 30 /usr/bin/python3 "$RPCDUMP" "$S4" >"$W/rpcdump-stock.txt" 2>&1
cat >"$W/rpcdump-tolerant.py" <<'PY'
import runpy, sys
from impacket.dcerpc.v5 import epm

def hept_lookup(destHost, inquiry_type=epm.RPC_C_EP_ALL_ELTS, objectUUID=epm.NULL, ifId=epm.NULL,
                vers_option=epm.RPC_C_VERS_ALL, dce=None):
    # impacket 0.10.0's loop, but a last page that carries ept_s_not_registered ends it
    dce.bind(epm.MSRPC_UUID_PORTMAP)
    entries, handle = [], epm.ept_lookup_handle_t()
    while True:
        req = epm.ept_lookup()
        req['inquiry_type'] = inquiry_type
        req['object'] = objectUUID
        req['Ifid'] = ifId
        req['vers_option'] = vers_option
        req['entry_handle'] = handle
        req['max_ents'] = 500
        resp = dce.request(req, checkError=False)
        for i in range(resp['num_ents']):
            e = resp['entries'][i]
            entries.append({'object': e['object'], 'annotation': b''.join(e['annotation']),
                            'tower': epm.EPMTower(b''.join(e['tower']['tower_octet_string']))})
        handle = resp['entry_handle']
        if resp['status'] == 0x16c9a0d6 or handle.isNull():
            break
        if resp['status'] != 0:
            raise Exception('ept_lookup status 0x%08x' % resp['status'])
    return entries

epm.hept_lookup = hept_lookup
path = sys.argv[1]
sys.argv = [path] + sys.argv[2:]
runpy.run_path(path, run_name='__main__')
PY
lab_in client timeout 30 /usr/bin/python3 "$W/rpcdump-tolerant.py" "$RPCDUMP" "$S4" >"$W/rpcdump.txt" 2>&1
lab_in client timeout 30 rpcclient -U% -c epmlookup "ncacn_ip_tcp:$S4[135]" >"$W/epmlookup.txt" 2>&1
lab_in client timeout 30 rpcclient -U% -c epmmap "ncacn_ip_tcp:$S4[135]" >"$W/epmmap.txt" 2>&1
# impacket's ept_map for srvsvc over TCP, the oracle for --uuid
lab_in client timeout 30 /usr/bin/python3 -c '
import sys
from impacket.dcerpc.v5 import epm, srvs
print(epm.hept_map(sys.argv[1], srvs.MSRPC_UUID_SRVS, protocol="ncacn_ip_tcp"))' "$S4" >"$W/hept_map.txt" 2>&1

# compare.py prints "ok: ..." / "FAIL: ..." lines; the counts go to the report
/usr/bin/python3 - "$W" >"$W/compare.out" 2>&1 <<'PY'
import collections, json, re, sys
w = sys.argv[1]
def ok(m): print('ok: ' + m)
def fail(m): print('FAIL: ' + m)

def key(uuid, ver, proto, ep):
    return (uuid.lower(), ver, proto, ep)

# rpcwatch --json
rw, status = [], None
for n, line in enumerate(open(w + '/rw.json'), 1):
    try:
        r = json.loads(line)
    except ValueError as e:
        fail('rpcwatch --json line %d is not JSON: %s' % (n, e)); continue
    if r.get('type') == 'epm_endpoint':
        ep = str(r['port']) if r['protocol'] in ('ncacn_ip_tcp', 'ncadg_ip_udp', 'ncacn_http') else r['endpoint']
        rw.append(key(r['uuid'], r['version'], r['protocol'], ep))
    elif r.get('type') == 'epm_status':
        status = r
if status and status['status'] == 'ok' and status['endpoints'] == len(rw) and rw:
    ok('--json: %d epm_endpoint records and an epm_status record (ok, endpoints=%d, interfaces=%d), all valid JSON'
       % (len(rw), status['endpoints'], status['interfaces']))
else:
    fail('--json: %d endpoint records, status record %r' % (len(rw), status))

# rpcwatch text table: the same rows as the JSON
txt = []
lines = open(w + '/rw.txt').read().splitlines()
for line in lines[1:-1]:
    f = line.split()
    txt.append(key(f[0], f[1], f[3], f[5]))
if collections.Counter(txt) == collections.Counter(rw) and re.match(r'^%d endpoints, \d+ interfaces$' % len(rw), lines[-1]):
    ok('text table lists the same %d rows as --json; summary "%s"' % (len(txt), lines[-1]))
else:
    fail('text table (%d rows, "%s") differs from --json (%d)' % (len(txt), lines[-1] if lines else '', len(rw)))

# paging: --page-size 5 gives the same list
rw5 = []
for line in open(w + '/rw5.json'):
    r = json.loads(line)
    if r.get('type') == 'epm_endpoint':
        ep = str(r['port']) if r['protocol'] in ('ncacn_ip_tcp', 'ncadg_ip_udp', 'ncacn_http') else r['endpoint']
        rw5.append(key(r['uuid'], r['version'], r['protocol'], ep))
    elif r.get('type') == 'epm_status':
        detail = r['detail']
pages = re.search(r'in (\d+) pages?', detail)
if rw5 == rw and pages and int(pages.group(1)) >= (len(rw) + 4) // 5:
    ok('--page-size 5: the same %d entries in %s pages through entry_handle' % (len(rw5), pages.group(1)))
else:
    fail('--page-size 5: %d entries (%s) vs %d' % (len(rw5), detail, len(rw)))

def binding(b):
    m = re.match(r'^(\w+):([^\[]*)\[([^\]]*)\]$', b.strip())
    if not m:
        return None
    return m.group(1), m.group(3).split(',')[0]

# impacket rpcdump.py
stock = open(w + '/rpcdump-stock.txt').read()
m = re.search(r'Received (\d+) endpoints', stock)
if m:
    print('# stock rpcdump.py listed %s endpoints' % m.group(1))
else:
    print('# stock rpcdump.py (impacket 0.10.0) listed none: %s' %
          '; '.join(l.strip() for l in stock.splitlines() if 'failed' in l or 'No endpoints' in l))
imp, cur = [], None
for line in open(w + '/rpcdump.txt'):
    m = re.match(r'^UUID\s*:\s*([0-9A-Fa-f-]{36}) v(\d+\.\d+)', line)
    if m:
        cur = (m.group(1), m.group(2)); continue
    if cur and line.startswith('          ') and line.strip():
        b = binding(line)
        if b:
            imp.append(key(cur[0], cur[1], b[0], b[1]))
    elif not line.strip():
        cur = None
m = re.search(r'Received (\d+) endpoints', open(w + '/rpcdump.txt').read())
print('# counts: rpcwatch %d, rpcdump.py (tolerant hept_lookup) %d (says %s)' % (len(rw), len(imp), m.group(1) if m else '?'))
if imp and collections.Counter(imp) == collections.Counter(rw):
    ok('rpcdump.py lists the same %d endpoints (uuid, version, protocol, port/pipe)' % len(imp))
else:
    a, b = collections.Counter(rw), collections.Counter(imp)
    fail('rpcdump.py differs: only rpcwatch %s; only rpcdump %s' % (sorted((a - b).elements())[:5], sorted((b - a).elements())[:5]))

# rpcclient epmlookup: "OBJ proto:host[ep,abstract_syntax=UUID/0xVERSION]: annotation"
sam = []
for line in open(w + '/epmlookup.txt'):
    m = re.match(r'^\S+ (\w+):[^\[]*\[([^,\]]*),abstract_syntax=([0-9a-f-]{36})/0x([0-9a-f]+)\]', line)
    if m:
        v = int(m.group(4), 16)
        sam.append(key(m.group(3), '%d.%d' % (v & 0xffff, v >> 16), m.group(1), m.group(2)))
# rpcclient asks for one entry per call and stops at ept_s_not_registered without
# printing the entry that came with it; Samba sends the last entry together with
# that status (rpcwatch --page-size 1: N entries in N pages, the last one ended by
# the status).  So rpcclient must list exactly rpcwatch's entries but that last one.
rw1, detail1 = [], ''
for line in open(w + '/rw1.json'):
    r = json.loads(line)
    if r.get('type') == 'epm_endpoint':
        ep = str(r['port']) if r['protocol'] in ('ncacn_ip_tcp', 'ncadg_ip_udp', 'ncacn_http') else r['endpoint']
        rw1.append(key(r['uuid'], r['version'], r['protocol'], ep))
    elif r.get('type') == 'epm_status':
        detail1 = r['detail']
print('# counts: rpcclient epmlookup %d; rpcwatch --page-size 1: %s' % (len(sam), detail1))
n1 = len(rw1)
if n1 and detail1.startswith('%d entries in %d pages (end of the list)' % (n1, n1)) and \
        collections.Counter(rw1) == collections.Counter(rw) and \
        collections.Counter(sam) + collections.Counter([rw1[-1]]) == collections.Counter(rw) and \
        'no more entries' in open(w + '/epmlookup.txt').read():
    ok('rpcclient epmlookup lists the same endpoints but the last, %s, which Samba sends with '
       'ept_s_not_registered and rpcclient drops (%d + 1 = %d)' % (rw1[-1], len(sam), len(rw)))
else:
    a, b = collections.Counter(rw), collections.Counter(sam)
    fail('rpcclient epmlookup differs: only rpcwatch %s; only rpcclient %s; page-size 1: %s'
         % (sorted((a - b).elements())[:5], sorted((b - a).elements())[:5], detail1))

# rpcclient epmmap: Samba maps lsarpc over ncacn_np; the rows rpcwatch listed for it
mp = []
for line in open(w + '/epmmap.txt'):
    m = re.match(r'^tower\[\d+\] (\w+):[^\[]*\[([^,\]]*),abstract_syntax=([0-9a-f-]{36})/0x([0-9a-f]+)\]', line)
    if m:
        v = int(m.group(4), 16)
        mp.append(key(m.group(3), '%d.%d' % (v & 0xffff, v >> 16), m.group(1), m.group(2)))
lsa = [k for k in rw if k[0] == '12345778-1234-abcd-ef00-0123456789ab' and k[2] == 'ncacn_np']
print('# counts: rpcclient epmmap (lsarpc, ncacn_np) %d towers' % len(mp))
if mp and collections.Counter(mp) == collections.Counter(lsa):
    ok('rpcclient epmmap: the same %d lsarpc ncacn_np endpoints (%s)' % (len(mp), ', '.join(k[3] for k in mp)))
else:
    fail('rpcclient epmmap %s vs rpcwatch %s' % (mp, lsa))
PY
while read -r line; do
	case "$line" in
	ok:*) rw_pass "${line#ok: }" ;;
	FAIL:*) rw_fail "${line#FAIL: }" ;;
	*) echo "$line" ;;
	esac
done <"$W/compare.out"
grep -q '^ok:\|^FAIL:' "$W/compare.out" || rw_fail "comparison did not run: $(head -3 "$W/compare.out")"

# ---- ept_map ---------------------------------------------------------------------
want=$(sed -n 's/^ncacn_ip_tcp:[^[]*\[\([0-9]*\)\]$/\1/p' "$W/hept_map.txt")
out=$(lab_in client "$RPCWATCH" epm --uuid "$SRVSVC:3.0" "$S4" 2>&1)
rc=$?
got=$(echo "$out" | awk -v u="$SRVSVC" '$1 == u && $4 == "ncacn_ip_tcp" {print $6}')
if [ "$rc" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
	rw_pass "--uuid srvsvc: ncacn_ip_tcp port $got, as impacket's hept_map says"
else
	rw_fail "--uuid srvsvc: exit $rc, port '$got', impacket: '$(cat "$W/hept_map.txt")'"
fi
out=$(lab_in client "$RPCWATCH" epm --uuid "$EMSMDB" "$S4" 2>&1)
rc=$?
case "$rc:$out" in
1:*"is not registered with the endpoint mapper on $S4 port 135 (ept_s_not_registered)"*)
	rw_pass "--uuid EMSMDB (not on Samba): exit 1, $out" ;;
*) rw_fail "--uuid EMSMDB: exit $rc: $out" ;;
esac
out=$(lab_in client "$RPCWATCH" epm --json --uuid "$SRVSVC" --udp "$S4" 2>/dev/null |
	/usr/bin/python3 -c 'import json, sys; r = [json.loads(l) for l in sys.stdin]; print(r[-1]["type"], r[-1]["status"], r[-1]["protocol"])')
[ "$out" = "epm_status not-registered ncadg_ip_udp" ] && rw_pass "--uuid srvsvc --udp --json: $out" ||
	rw_fail "--uuid srvsvc --udp --json: '$out'"

# ---- IPv6 -------------------------------------------------------------------------
if lab_in server ss -H -lnt 'sport = :135' | grep -q '\['; then
	n6=$(lab_in client "$RPCWATCH" epm --json "$LAB_S6" 2>/dev/null | grep -c '"epm_endpoint"')
	n4=$(grep -c '"epm_endpoint"' "$W/rw.json")
	[ "$n6" = "$n4" ] && rw_pass "over IPv6 ($LAB_S6): the same $n6 endpoints" || rw_fail "over IPv6: $n6 endpoints, over IPv4 $n4"
else
	echo "# samba-dcerpcd does not listen on IPv6 here: IPv6 not checked"
fi

# ---- something else on the port: a service that answers HTTP, one that never answers
# peer PORT MODE : a TCP listener in the server namespace (http: answer "400", hold: say nothing)
peer() {
	ip netns exec "$LAB_SNS" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept()
    if sys.argv[3] == "http":
        c.recv(4096)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        c.close()
    else:
        held.append(c)' "$S4" "$1" "$2" >"$W/peer-$1.log" 2>&1 &
	RW_BG_PIDS="$RW_BG_PIDS $!"
	lab_wait_line "$W/peer-$1.log" '^listening' 50 || rw_fail "peer on port $1 did not start"
}
peer 1135 http
peer 1136 hold
out=$(lab_in client "$RPCWATCH" epm -p 1135 --timeout 1000 "$S4" 2>&1 >/dev/null)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "rpcwatch epm: $S4 port 1135 does not answer like an endpoint mapper: the answer is not DCE/RPC (first bytes 48 54 54 50)" ] &&
	rw_pass "HTTP on the port: exit 1, $out" || rw_fail "HTTP on the port: exit $rc: $out"
out=$(lab_in client "$RPCWATCH" epm -p 1136 --timeout 500 "$S4" 2>&1 >/dev/null)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "rpcwatch epm: 1136/tcp on $S4: connected, but no answer to the bind within 500 ms" ] &&
	rw_pass "silent listener: exit 1, $out" || rw_fail "silent listener: exit $rc: $out"

# ---- verdicts through the router ------------------------------------------------
# verdict NAME RULE EXPECTED-STATUS EXPECTED-MESSAGE
verdict() {
	ip netns exec "$LAB_RNS" nft flush chain inet rwlab forward
	lab_router_rule ip daddr "$S4" tcp dport 135 $2
	local t0 t1 out rc st
	t0=$(date +%s%N)
	out=$(lab_in client "$RPCWATCH" epm --timeout 1000 "$S4" 2>&1 >/dev/null)
	rc=$?
	t1=$(date +%s%N)
	st=$(lab_in client "$RPCWATCH" epm --json --timeout 1000 "$S4" 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(json.loads(sys.stdin.readlines()[-1])["status"])')
	if [ "$rc" = 1 ] && [ "$st" = "$3" ] && [ "$out" = "rpcwatch epm: $4" ]; then
		rw_pass "$1 ($2): exit 1, status $st, $(( (t1 - t0) / 1000000 )) ms: $out"
	else
		rw_fail "$1 ($2): exit $rc, status '$st': $out"
	fi
}
verdict dropped "drop" filtered "135/tcp on $S4 is filtered (no answer in 1000 ms)"
verdict reset "reject with tcp reset" closed "135/tcp on $S4 is closed (connection refused: TCP reset)"
verdict prohibited "reject with icmp type admin-prohibited" unreachable \
	"135/tcp on $S4 is unreachable: No route to host on connect (no route, or an ICMP unreachable/prohibited answer)"
ip netns exec "$LAB_RNS" nft flush chain inet rwlab forward
lab_in client "$RPCWATCH" epm "$S4" >/dev/null 2>&1 && rw_pass "rules removed: the listing works again" ||
	rw_fail "rules removed: the listing still fails"

rw_finish
