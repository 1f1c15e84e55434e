#!/usr/bin/env bash
# Every shipped profile (data/profiles) against lab hosts set up to PASS it and
# set up to FAIL it (nftables drop / reject on the router), with
#   - the exit status (0 pass, 1 failure, 3 only inconclusive, 2 bad profile);
#   - the failing assertion named in the text output, with who blocked it;
#   - the JUnit file parsed by python3's xml.etree: one testsuite per target,
#     the failure count equal to the failed checks, the failing testcase named;
#   - the JSON Lines parsed by python3's json: one record per check, verdicts
#     counted the same way.
# Peers: the impacket Exchange-like server (endpoint mapper on 135 with EMSMDB
# mapped to 49157, the store on 49157) and plain TCP listeners for 45001, 80,
# 443, 8530, 8531 on 198.18.2.20; Samba (samba-dcerpcd for the endpoint mapper
# and its dynamic ports, smbd for SMB 139/445 with a MAILDAT$ share) on
# 198.18.2.21; `rpcwatch responder` on the client for the new-mail UDP pair.
# Needs root (skips; fails under CI=true), nftables, ethtool, /usr/bin/python3
# with python3-impacket, samba (samba-dcerpcd, smbd).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/lab/lab-lib.sh"

missing() {
	if [ "${CI:-}" = true ]; then echo "FAIL: CI=true but $1 is missing"; exit 1; fi
	rw_skip "$1 is missing"
}
rw_need_root
for c in nft ethtool ss; do command -v "$c" >/dev/null || missing "$c"; done
[ -x /usr/bin/python3 ] || missing /usr/bin/python3
/usr/bin/python3 -c 'import impacket' 2>/dev/null || missing "python3-impacket"
[ -x "$SAMBA_DCERPCD" ] || missing "samba (samba-dcerpcd)"
SMBD=$(command -v smbd || echo /usr/sbin/smbd)
[ -x "$SMBD" ] || missing "samba (smbd)"
[ -x "$RPCWATCH" ] || { echo "FAIL: $RPCWATCH not built"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/rwprof.XXXXXX") || exit 99
chmod 0755 "$W"
rw_netns_init
trap 'rw_netns_cleanup; rm -rf "$W"' EXIT
export RPCWATCH_PROFILE_DIR=$TOP_SRCDIR/data/profiles
S=$LAB_S4 C=$LAB_C4 SMB=198.18.2.21 ROUTER=$LAB_R4C P=$LAB_EMSMDB_PORT
CLIENT_PORTS=1024,5000,49152,65535

lab_up || { echo "FAIL: lab did not come up"; exit 1; }
ip -n "$LAB_SNS" addr add "$SMB/24" dev s0 || { echo "FAIL: second server address"; exit 1; }

# ---- peers ----------------------------------------------------------------------------
ip netns exec "$LAB_SNS" $LAB_PY "$TOP_SRCDIR/tests/lab/exchange_server.py" --addr "$S" --epm \
	--map emsmdb=$P --emsmdb-port $P >"$W/exchange.log" 2>&1 &
RW_BG_PIDS="$RW_BG_PIDS $!"
lab_wait_line "$W/exchange.log" '^exchange_server: listening' 100 ||
	{ echo "FAIL: exchange_server.py did not start: $(tail -3 "$W/exchange.log")"; exit 1; }

# plain TCP listeners: accept, close
ip netns exec "$LAB_SNS" $LAB_PY - "$S" 45001 80 443 8530 8531 >"$W/listen.log" 2>&1 <<'PY' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for p in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(p)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
PY
RW_BG_PIDS="$RW_BG_PIDS $!"
lab_wait_line "$W/listen.log" '^listening' 50 || { echo "FAIL: listeners: $(cat "$W/listen.log")"; exit 1; }

# Samba on the second address: samba-dcerpcd (endpoint mapper, dynamic ports) and smbd (139/445),
# each in its own process group (no --no-process-group): smbd signals its whole group when
# it stops, which would otherwise include this script and whoever runs it
d=$W/samba
lab_samba_conf "$d" RWPOSTOFFICE "$SMB/24"
cat >>"$d/smb.conf" <<EOF
	smb ports = 445 139
[MAILDAT\$]
	path = $d/share
	read only = no
	guest ok = yes
EOF
lab_start_dcerpcd "$d" "$W/dcerpcd.log"
ip netns exec "$LAB_SNS" "$SMBD" -F --debug-stdout -d 1 \
	--configfile="$d/smb.conf" </dev/null >"$W/smbd.log" 2>&1 &
RW_BG_PIDS="$RW_BG_PIDS $!"
for n in $(seq 50); do
	lab_in server ss -H -lnt "src $SMB and sport = :135" 2>/dev/null | grep -q . && break
	sleep 0.1
done
lab_in server ss -H -lnt "src $SMB and sport = :135" | grep -q . ||
	{ echo "FAIL: samba-dcerpcd did not listen on $SMB:135: $(tail -3 "$W/dcerpcd.log")"; exit 1; }
lab_wait_listen server tcp 445 || { echo "FAIL: smbd did not listen on 445: $(tail -3 "$W/smbd.log")"; exit 1; }
lab_wait_listen server tcp 139 || { echo "FAIL: smbd did not listen on 139: $(tail -3 "$W/smbd.log")"; exit 1; }
# the rpcd helpers register their endpoints a moment later
for n in $(seq 50); do
	[ "$(lab_in server ss -H -lnt "sport >= :49152" 2>/dev/null | wc -l)" -ge 3 ] && break
	sleep 0.1
done
sleep 0.5

# the client's half of the new-mail pair
ip netns exec "$LAB_CNS" "$RPCWATCH" responder -p "$CLIENT_PORTS" >"$W/responder.log" 2>&1 &
RW_BG_PIDS="$RW_BG_PIDS $!"
lab_wait_listen client udp 65535 || { echo "FAIL: responder: $(cat "$W/responder.log")"; exit 1; }

# ---- the runner ---------------------------------------------------------------------------
# router_reset : no rules on the router
router_reset() { ip netns exec "$LAB_RNS" nft flush chain inet rwlab forward; }

FAST="--retries 1 --wait 400"
# run NODE WANT_RC WANT_FAILS 'FAIL-REGEX' LABEL -- CHECK-ARGS...
#   runs `rpcwatch check` in NODE's namespace twice (text + --junit, then --json) and checks
#   the exit status, the text's FAIL line (regex, '' = none expected), JUnit and JSON
run() {
	local node=$1 want=$2 fails=$3 re=$4 label=$5; shift 6
	local out=$W/out.txt junit=$W/junit.xml json=$W/out.json rc rcj
	rm -f "$junit"
	lab_in "$node" "$RPCWATCH" check $FAST --junit "$junit" "$@" >"$out" 2>"$W/err.txt"
	rc=$?
	if [ "$rc" = "$want" ]; then
		rw_pass "$label: exit $rc ($(tail -1 "$out" | sed 's/^rpcwatch check: //'))"
	else
		rw_fail "$label: exit $rc, want $want"; sed 's/^/    /' "$out" "$W/err.txt" | head -30
	fi
	if [ -n "$re" ]; then
		if grep -Eq "$re" "$out"; then
			rw_pass "$label: names the failure: $(grep -E -m1 "$re" "$out" | sed 's/^ *//; s/  */ /g')"
		else
			rw_fail "$label: no line matching '$re'"; sed 's/^/    /' "$out" | head -20
		fi
	elif grep -q '^  FAIL' "$out"; then
		rw_fail "$label: unexpected FAIL line: $(grep -m1 '^  FAIL' "$out")"
	fi
	# JUnit: parses; failures attribute and <failure> elements agree with the text
	local nsuites jres
	nsuites=$(grep -c '^[^ ].* ([a-z]*):$' "$out")
	jres=$(/usr/bin/python3 - "$junit" "$fails" "$nsuites" <<-'PY' 2>&1
	import sys, xml.etree.ElementTree as ET
	r = ET.parse(sys.argv[1]).getroot()
	want, nsuites = int(sys.argv[2]), int(sys.argv[3])
	assert r.tag == "testsuites", r.tag
	suites = r.findall("testsuite")
	assert len(suites) == nsuites, "%d testsuites, want %d" % (len(suites), nsuites)
	nf = sum(len(s.findall("testcase/failure")) for s in suites)
	assert nf == want == int(r.get("failures")), "failures: elements %d, attribute %s, want %d" % (nf, r.get("failures"), want)
	for s in suites:
	    assert int(s.get("tests")) == len(s.findall("testcase")), "suite tests count"
	    assert int(s.get("failures")) == len(s.findall("testcase/failure")), "suite failures count"
	names = [c.get("name") for s in suites for c in s.findall("testcase") if c.find("failure") is not None]
	msgs = [c.find("failure").get("message") for s in suites for c in s.findall("testcase") if c.find("failure") is not None]
	print("%d testsuites, %d testcases, %d failures%s" % (len(suites), sum(len(s.findall("testcase")) for s in suites), nf,
	      (": " + names[0] + " / " + msgs[0]) if names else ""))
	PY
	)
	if [ $? -eq 0 ]; then rw_pass "$label: JUnit $jres"; else rw_fail "$label: JUnit: $jres"; fi
	# JSON Lines: parses; one check record per text line; same failure count and exit
	lab_in "$node" "$RPCWATCH" check $FAST --json "$@" >"$json" 2>"$W/jerr.txt"
	rcj=$?
	jres=$(/usr/bin/python3 - "$json" "$fails" "$rcj" "$re" <<-'PY' 2>&1
	import json, re, sys
	recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
	want, rc, rx = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	assert recs[0]["type"] == "rpcwatch" and recs[0]["command"] == "check", recs[0]
	checks = [r for r in recs if r["type"] == "check"]
	summ = recs[-1]
	assert summ["type"] == "check_summary" and summ["checks"] == len(checks), summ
	nf = sum(1 for r in checks if r["verdict"] == "fail")
	assert nf == want == summ["failed"], "json failures %d, summary %d, want %d" % (nf, summ["failed"], want)
	assert summ["exit"] == rc, "exit %d vs summary %d" % (rc, summ["exit"])
	for r in checks:
	    assert r["verdict"] in ("pass", "fail", "inconclusive", "error") and r["proto"] in ("tcp", "udp")
	    if "tries" in r:
	        assert r["tries"] >= 1
	f = [r for r in checks if r["verdict"] == "fail"]
	print("%d records, %d failed%s" % (len(checks), nf, (": %s/%d %s %s by %s" % (f[0]["proto"], f[0]["port"],
	      f[0]["state"], f[0]["reason"], f[0].get("by"))) if f else ""))
	PY
	)
	if [ $? -eq 0 ] && [ "$rcj" = "$want" ]; then rw_pass "$label: JSON $jres"; else rw_fail "$label: JSON (exit $rcj): $jres"; fi
}

# ---- exchange-calcon --------------------------------------------------------------------------
router_reset
run client 0 0 '' "exchange-calcon pass" -- --profile exchange-calcon "$S"
grep -q "domino assertions of exchange-calcon are not run" "$W/err.txt" &&
	rw_pass "exchange-calcon: says the domino role was not run" ||
	rw_fail "exchange-calcon: no note about the domino role: $(cat "$W/err.txt")"
# the Notes side's port, probed from the Exchange server (role domino; here the same lab host)
run client 0 0 '' "exchange-calcon domino role pass" -- --profile exchange-calcon "server,domino=$S"
lab_router_rule ip daddr $S tcp dport 45001 reject with icmp type admin-prohibited
run client 1 1 "^  FAIL +tcp/45001 +expected open, got filtered \(admin-prohibited.*blocked by $ROUTER \(ttl" \
	"exchange-calcon fail (router rejects 45001 admin-prohibited)" -- --profile exchange-calcon "$S"
grep -q "hint: Allow TCP 45001 to the Exchange server" "$W/out.txt" && rw_pass "exchange-calcon fail: prints the hint" ||
	rw_fail "exchange-calcon fail: no hint"
router_reset
run client 1 1 '^  FAIL +tcp/45002 +expected open, got closed \(reset' \
	"exchange-calcon --set calcon_port=45002 (nothing listens)" -- --profile exchange-calcon --set calcon_port=45002 "$S"
grep -q "own answers arrive" "$W/out.txt" && rw_fail "exchange-calcon --set: the server's own reset called forged" ||
	rw_pass "exchange-calcon --set: the server's own reset (ttl 63) is not called forged"
grep -q "from .*exchange-calcon.profile:[0-9]*: expect tcp 45002 open" "$W/out.txt" &&
	rw_pass "exchange-calcon --set: the failure names profile line and expanded assertion" ||
	rw_fail "exchange-calcon --set: no file:line: $(grep -m1 from "$W/out.txt")"

# ---- exchange-newmail: the client's half (TCP) and the server's half (UDP to the client) --------
run client 0 0 '' "exchange-newmail pass (client -> server: 135, EMSMDB via epm)" -- --profile exchange-newmail "$S"
grep -Eq "PASS +tcp/$P \(EMSMDB via epm\)" "$W/out.txt" && rw_pass "exchange-newmail: learned EMSMDB's port $P from the endpoint mapper" ||
	rw_fail "exchange-newmail: EMSMDB port $P not learned: $(grep -m3 'epm\|EMSMDB' "$W/out.txt")"
lab_router_rule ip daddr $S tcp dport $P drop
run client 1 1 "^  FAIL +tcp/$P \(EMSMDB via epm\) +expected open, got filtered \(no-response" \
	"exchange-newmail fail (router drops the EMSMDB port $P)" -- --profile exchange-newmail "$S"
router_reset
lab_router_rule ip daddr $S tcp dport 135 reject with tcp reset
run client 1 2 "^  FAIL +epm EMSMDB +expected open, got closed" \
	"exchange-newmail fail (router resets 135: endpoint mapper unreachable)" -- --profile exchange-newmail "$S"
router_reset
run server 0 0 '' "exchange-newmail pass (server -> client UDP, responder on the client)" \
	-- --profile exchange-newmail "client=$C"
lab_router_rule ip saddr $S ip daddr $C udp dport 1024-65535 drop
run server 1 4 "^  FAIL +udp/1024 to client +expected open, got filtered \(no-response" \
	"exchange-newmail fail (router drops UDP server -> client)" -- --profile exchange-newmail "client=$C"
router_reset
lab_host_rule client input udp dport 5000 reject with icmp type port-unreachable
run server 1 1 "^  FAIL +udp/5000 to client +expected open, got closed \(port-unreach" \
	"exchange-newmail fail (client firewall rejects UDP 5000)" -- --profile exchange-newmail "client=$C"
ip netns exec "$LAB_CNS" nft flush chain inet rwhost input

# through a NAT: the router maps 198.18.2.22 to the server; the endpoint mapper's tower names
# the server's own address, the learned port is probed on the address the client uses
ip netns exec "$LAB_RNS" nft -f - <<'NFT' || rw_fail "DNAT rule"
table ip rwnat {
	chain pre {
		type nat hook prerouting priority -100;
		ip daddr 198.18.2.22 dnat to 198.18.2.20
	}
}
NFT
run client 0 0 '' "exchange-newmail through a DNAT (198.18.2.22 -> $S)" -- --profile exchange-newmail 198.18.2.22
grep -Eq "PASS +tcp/$P \(EMSMDB via epm\) .*the endpoint mapper named $S" "$W/out.txt" &&
	grep -q "\"epm_addr\":\"$S\"" "$W/out.json" &&
	rw_pass "DNAT: the tower's address $S is reported, the port probed on 198.18.2.22" ||
	rw_fail "DNAT: $(grep -m1 "tcp/$P" "$W/out.txt")"
ip netns exec "$LAB_RNS" nft delete table ip rwnat

# ---- ConfigMgr software updates ---------------------------------------------------------------
run client 0 0 '' "sccm-software-updates-mixed pass" -- --profile sccm-software-updates-mixed "server,wsus=$S"
lab_router_rule ip daddr $S tcp dport 8530 drop
run client 1 1 '^  FAIL +tcp/8530 +expected open, got filtered \(no-response' \
	"sccm-software-updates-mixed fail (router drops WSUS 8530)" -- --profile sccm-software-updates-mixed "server,wsus=$S"
router_reset
run client 0 0 '' "sccm-software-updates-mixed-ssl pass" -- --profile sccm-software-updates-mixed-ssl "server,wsus=$S"
lab_router_rule ip daddr $S tcp dport 443 reject with tcp reset
run client 1 1 '^  FAIL +tcp/443 +expected open, got closed \(reset' \
	"sccm-software-updates-mixed-ssl fail (router resets 443)" -- --profile sccm-software-updates-mixed-ssl "server,wsus=$S"
# the reset comes "from" the server but one hop nearer (ttl 64, the server's syn-acks have 63)
grep -q "FAIL .*tcp/443 .*ttl 64.*the target's own answers arrive with ttl 63: sent by a device on the path" "$W/out.txt" &&
	rw_pass "mixed-ssl: the router's reset in the server's name is told apart by its TTL" ||
	rw_fail "mixed-ssl: forged reset not called out: $(grep -m1 FAIL "$W/out.txt")"
grep -q '"port": *443.*"target_ttl": *63' "$W/out.json" && rw_pass "mixed-ssl: JSON target_ttl 63" ||
	rw_fail "mixed-ssl: no target_ttl in JSON: $(grep -m1 '443' "$W/out.json")"
router_reset
run client 0 0 '' "sccm-software-updates-native-ssl pass" -- --profile sccm-software-updates-native-ssl "server,wsus=$S"
lab_router_rule ip daddr $S tcp dport 8531 reject with icmp type host-prohibited
run client 1 1 "^  FAIL +tcp/8531 +expected open, got filtered \(host-prohibited.*blocked by $ROUTER" \
	"sccm-software-updates-native-ssl fail (router rejects 8531 host-prohibited)" \
	-- --profile sccm-software-updates-native-ssl "server,wsus=$S"
router_reset
# only the server role given: the wsus assertions are not run, and that is said
run client 0 0 '' "sccm-software-updates-native-ssl, server role only" -- --profile sccm-software-updates-native-ssl "$S"

# ---- MS Mail directory synchronization (Samba) -------------------------------------------------
run client 0 0 '' "msmail-dirsync pass (Samba: endpoint mapper, SMB)" -- --profile msmail-dirsync "server,postoffice=$SMB"
nlearned=$(grep -Ec 'PASS +tcp/4915[0-9]|PASS +tcp/491[6-9][0-9]' "$W/out.txt")
[ "$nlearned" -ge 2 ] && rw_pass "msmail-dirsync: $nlearned dynamic ports learned from samba-dcerpcd and probed" ||
	rw_fail "msmail-dirsync: only $nlearned dynamic ports learned"
lab_router_rule ip daddr $SMB tcp dport 49152-65535 drop
run client 1 "$nlearned" '^  FAIL +tcp/49[0-9]+ \(.* via epm\) +expected open, got filtered' \
	"msmail-dirsync fail (router drops the dynamic RPC range)" -- --profile msmail-dirsync "server,postoffice=$SMB"
router_reset
lab_router_rule ip daddr $SMB tcp dport 445 reject with tcp reset
run client 1 1 '^  FAIL +tcp/445 +expected open, got closed \(reset' \
	"msmail-dirsync fail (router resets SMB 445)" -- --profile msmail-dirsync "server,postoffice=$SMB"
router_reset

# ---- inconclusive and --strict, --epm, -p ------------------------------------------------------
lab_router_rule ip daddr $S udp dport 135 drop
run client 3 0 '' "-p U:135 dropped: open|filtered is inconclusive (exit 3)" -- -p U:135 "$S"
grep -Eq '^  INCONCLUSIVE +udp/135 +expected open, got open\|filtered' "$W/out.txt" &&
	rw_pass "-p U:135: INCONCLUSIVE line" || rw_fail "-p U:135: no INCONCLUSIVE line: $(cat "$W/out.txt")"
run client 1 1 '^  FAIL +udp/135 +expected open, got open\|filtered .*--strict' "-p U:135 --strict (exit 1)" \
	-- --strict -p U:135 "$S"
router_reset
run client 0 0 '' "--epm against samba-dcerpcd: every learned port open" -- --epm "$SMB"
run client 1 1 '^  FAIL +tcp/9 ' "-p 135,9 (9 closed)" -- -p T:135,9 "$S"
run client 1 1 '^  FAIL +tcp/9 +expected open, got closed' "--connect -p 135,9 (connect() probes)" -- --connect -p T:135,9 "$S"
# IPv6: nothing listens on [2001:2:0:2::20]:135 (the peers bind IPv4 addresses), the server resets
run client 1 1 '^  FAIL +tcp/135 +expected open, got closed \(reset' "IPv6 target" -- -p 135 "$LAB_S6"
lab_in client "$RPCWATCH" check $FAST -w "$W/ev.pcap" --json -p 135,45001 "$S" >"$W/ev.json" 2>&1
rc=$?
ev=$(/usr/bin/python3 - "$W/ev.json" "$W/ev.pcap" <<'PY' 2>&1
import json, struct, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
c = [r for r in recs if r["type"] == "check"]
assert len(c) == 2 and all(r["verdict"] == "pass" for r in c), c
data = open(sys.argv[2], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
n, off = 0, 24
while off + 16 <= len(data):
    off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]
    n += 1
for r in c:
    assert r["frame"] and 1 <= r["frame"] <= n and r["capture"] == sys.argv[2], (r, n)
print("%d frames; evidence frames %s" % (n, [r["frame"] for r in c]))
PY
)
[ "$rc" = 0 ] && [ $? -eq 0 ] && rw_pass "-w: the capture holds the evidence frames ($ev)" || rw_fail "-w (exit $rc): $ev"

# an interface the endpoint mapper does not have: ept_map answers ept_s_not_registered
printf 'name nspi-only\nepm expect nspi open\nhint the address book\n' >"$W/nspi.profile"
run client 1 1 '^  FAIL +epm NSPI +expected open, got not-registered \(the endpoint mapper has no ncacn_ip_tcp endpoint for NSPI' \
	"epm expect nspi (not registered)" -- --profile "$W/nspi.profile" "$S"

# hostile bytes in a profile (invalid UTF-8, markup, quotes, "]]>"):
# the JUnit file and the JSON Lines must still parse (run checks both)
printf 'name hostile\nvar v = \xff\xfe<&>\ndescription <b>"&\x27]]>\xc0\xaf\nexpect tcp 9 open\nhint \xed\xa0\x80 <x a="1"> & ]]> \x27q\x27 \xf0\x9f\x94\xa5 ${v}\n' >"$W/hostile.profile"
run client 1 1 '^  FAIL +tcp/9 ' "hostile bytes in the profile" -- --profile "$W/hostile.profile" "$S"
/usr/bin/python3 - "$W/junit.xml" "$W/out.json" <<'PY' && rw_pass "hostile: hint with U+FFFD for the bad bytes, markup kept as text, in JUnit and JSON" || rw_fail "hostile: hint not carried through"
import json, sys, xml.etree.ElementTree as ET
f = ET.parse(sys.argv[1]).getroot().find("testsuite/testcase/failure")
assert "<x a=\"1\"> & ]]> 'q' \U0001f525 \ufffd\ufffd<&>" in f.text, repr(f.text)
assert f.text.count("\ufffd") >= 5, repr(f.text)
c = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")][1]
assert "<x a=\"1\"> & ]]>" in c["hint"], c
PY

# a runtime error while probing (no such interface): exit 2, and still a JUnit <error> per check
run client 2 0 '' "-i nosuch0: probing fails" -- -i nosuch0 -p 135,139 "$S"
/usr/bin/python3 - "$W/junit.xml" <<'PY' && rw_pass "-i nosuch0: JUnit has an <error> per check" || rw_fail "-i nosuch0: JUnit errors"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
e = r.findall("testsuite/testcase/error")
assert len(e) == 2 == int(r.get("errors")), (len(e), r.get("errors"))
assert "probing failed" in e[0].get("message"), e[0].get("message")
PY

# a bad profile: exit 2 with file:line, before anything is sent
printf 'name broken\nexpect tcp 135 open\nexpect tcp 99999 open\n' >"$W/broken.profile"
lab_in client "$RPCWATCH" check --profile "$W/broken.profile" "$S" >"$W/out.txt" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "broken.profile:3: bad port '99999'" "$W/out.txt" &&
	rw_pass "bad profile: exit 2, $(head -1 "$W/out.txt")" || rw_fail "bad profile: exit $rc: $(head -2 "$W/out.txt")"

rw_finish
