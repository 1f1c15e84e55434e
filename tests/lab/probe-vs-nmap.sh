#!/usr/bin/env bash
# The probe engine against the firewall rules and against nmap -sS --reason.
#
# Lab (tests/lab/lab-lib.sh): client -- router (nftables) -- server.  On the
# router, chosen ports are dropped, rejected with ICMP admin-prohibited /
# host-prohibited / net-prohibited / host-unreachable, rejected with a TCP
# reset, or accepted; the server listens on some of them.  From the client,
# `rpcwatch probe-run` (raw SYN probes, then connect() probes, then without
# CAP_NET_RAW) and `nmap -sS --reason` probe the same ports over IPv4 and IPv6.
# Every verdict must match the rule AND nmap's state and reason (nmap says
# "filtered" where rpcwatch says "unreachable" for host-/net-unreachable; the
# reason and the answering router agree).
#
# UDP, with `rpcwatch responder` in the server namespace (definitions, also in
# rpcwatch(1)):
#   responder answers                        -> open          responder-echo
#   router drops, responder runs             -> open|filtered no-response
#     ... with --expect-responder             -> filtered      no-response
#   router rejects with admin-prohibited     -> filtered      admin-prohibited
#   nothing listens (server's ICMP)          -> closed        port-unreach
# nmap -sU --reason agrees on the drop, the reject and the closed ports.
# -w: the frame number of each answer points at that answer in the capture.
. "${TOP_SRCDIR:?}/tests/lib.sh"
. "$TOP_SRCDIR/tests/lab/lab-lib.sh"

rw_need_root
for t in nft ethtool $LAB_PY; do
	command -v "$t" >/dev/null || rw_skip "$t not installed"
done
if ! command -v nmap >/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: CI=true but nmap is not installed"; exit 1; }
	rw_skip "nmap not installed (apt-get install nmap)"
fi
rw_netns_init
LAB_QUIET=1
lab_up || { echo "FAIL: lab did not come up"; exit 1; }
work=$(mktemp -d /tmp/rw-probe-XXXXXX)
trap 'rw_netns_cleanup; rm -rf "$work"' EXIT

# ---- the server: TCP listeners, and the responder for UDP 2001-2003 ------------
ip netns exec "$LAB_SNS" $LAB_PY -c '
import socket, time
ss = []
for p in (135, 445, 45001, 1007):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", p)); s.listen(64); ss.append(s)
time.sleep(3600)' &
RW_BG_PIDS="$RW_BG_PIDS $!"
ip netns exec "$LAB_SNS" "$RPCWATCH" responder -p 2001-2003,T:2100 >"$work/responder.log" 2>&1 &
resp_pid=$!
RW_BG_PIDS="$RW_BG_PIDS $resp_pid"
lab_wait_listen server tcp 45001 || { echo "FAIL: listeners did not start"; exit 1; }
lab_wait_line "$work/responder.log" 'listening on 3 UDP and 1 TCP' || { echo "FAIL: responder did not start"; cat "$work/responder.log"; exit 1; }

# ---- the router's rules ----------------------------------------------------------
lab_router_rule tcp dport 445 drop
lab_router_rule tcp dport 1001 drop
lab_router_rule tcp dport 1002 reject with icmpx type admin-prohibited
lab_router_rule tcp dport 1003 reject with tcp reset
lab_router_rule meta nfproto ipv4 tcp dport 1004 reject with icmp type host-unreachable
lab_router_rule meta nfproto ipv4 tcp dport 1005 reject with icmp type net-prohibited
lab_router_rule meta nfproto ipv4 tcp dport 1006 reject with icmp type host-prohibited
lab_router_rule tcp dport 1007 accept
lab_router_rule tcp dport 45001 accept
lab_router_rule udp dport 2002 drop
lab_router_rule udp dport 2003 reject with icmpx type admin-prohibited

TCP_PORTS=9,135,445,1001,1002,1003,1004,1005,1006,1007,45001
# expected verdicts: port state reason by (T = target, R = router, - = nobody)
expect_tcp() {	# $1 = 4|6
	cat <<-EOF
	9 closed reset T
	135 open syn-ack T
	445 filtered no-response -
	1001 filtered no-response -
	1002 filtered admin-prohibited R
	1003 closed reset T
	1007 open syn-ack T
	45001 open syn-ack T
	EOF
	if [ "$1" = 4 ]; then
		printf '%s\n' "1004 unreachable host-unreach R" "1005 filtered net-prohibited R" "1006 filtered host-prohibited R"
	else	# the ICMPv4-only rules do not match IPv6: the server answers
		printf '%s\n' "1004 closed reset T" "1005 closed reset T" "1006 closed reset T"
	fi
}

# compare.py MODE EXPECTED TARGET ROUTER RESULTS.jsonl [NMAP.xml]
cat >"$work/compare.py" <<'PY'
import json, sys, xml.etree.ElementTree as ET
expected_file, target, router, results = sys.argv[1:5]
nmap_xml = sys.argv[5] if len(sys.argv) > 5 else None
who = {"T": target, "R": router, "-": None}
exp = {}
for line in open(expected_file):
    if line.strip():
        port, state, reason, by = line.split()
        exp[int(port)] = (state, reason, who[by])
got = {}
for line in open(results):
    r = json.loads(line)
    got[(r["proto"], r["port"])] = r
nm = {}
if nmap_xml:
    for p in ET.parse(nmap_xml).getroot().iter("port"):
        st = p.find("state")
        nm[int(p.get("portid"))] = (st.get("state"), st.get("reason"), st.get("reason_ip"))
bad = 0
def say(ok, msg):
    global bad
    print(("ok: " if ok else "FAIL: ") + msg)
    bad += 0 if ok else 1
for port in sorted(exp):
    state, reason, by = exp[port]
    key = [k for k in got if k[1] == port]
    if not key:
        say(False, "port %d: no result" % port); continue
    r = got[key[0]]
    desc = "%s/%d %s %s by %s" % (r["proto"], port, r["state"], r["reason"], r["by"])
    say(r["state"] == state and r["reason"] == reason and r["by"] == by,
        "%s (rule says %s %s by %s)" % (desc, state, reason, by))
    if nmap_xml:
        if port not in nm:
            say(False, "port %d: nmap has no verdict" % port); continue
        ns, nr, nip = nm[port]
        want_state = "filtered" if r["state"] == "unreachable" else r["state"]
        same = ns == want_state and nr == r["reason"] and (nip is None or nip == r["by"])
        say(same, "%s == nmap %s %s%s" % (desc, ns, nr, " from " + nip if nip else ""))
sys.exit(1 if bad else 0)
PY

run_compare() {	# DESC EXPECTED RESULTS [NMAP.xml] (target/router from $T/$R)
	local d=$1 out
	shift
	if out=$($LAB_PY "$work/compare.py" "$1" "$T" "$R" "${@:2}" 2>&1); then
		rw_pass "$d"
	else
		rw_fail "$d"
	fi
	echo "$out" | sed 's/^/    /'
}

for fam in 4 6; do
	if [ $fam = 4 ]; then T=$LAB_S4 R=$LAB_R4C nmap6=; else T=$LAB_S6 R=$LAB_R6C nmap6=-6; fi
	expect_tcp $fam >"$work/exp$fam"
	lab_in client "$RPCWATCH" probe-run "$T" -p "T:$TCP_PORTS" --json -q -w "$work/raw$fam.pcap" \
		>"$work/raw$fam.json" 2>"$work/raw$fam.err" || { rw_fail "IPv$fam probe-run exit status"; cat "$work/raw$fam.err"; }
	lab_in client nmap -n -Pn $nmap6 -sS --reason --max-retries 1 -p "$TCP_PORTS" -oX "$work/nmap$fam.xml" "$T" >/dev/null 2>&1 ||
		rw_fail "IPv$fam nmap ran"
	run_compare "IPv$fam raw SYN probes match the rules and nmap -sS --reason" "$work/exp$fam" "$work/raw$fam.json" "$work/nmap$fam.xml"

	# connect() probes: same states and answering hosts; reasons are the socket's words
	sed -e 's/ syn-ack / connected /' -e 's/ reset / conn-refused /' "$work/exp$fam" >"$work/expc$fam"
	lab_in client "$RPCWATCH" probe-run "$T" -p "T:$TCP_PORTS" --json -q --connect -w "$work/conn$fam.pcap" \
		>"$work/conn$fam.json" 2>"$work/conn$fam.err" || rw_fail "IPv$fam probe-run --connect exit status"
	run_compare "IPv$fam connect() probes give the same verdicts" "$work/expc$fam" "$work/conn$fam.json"
	# with -w the connect() traffic is recorded: a SYN to every port, the router's ICMP errors
	syns=$(tcpdump -nr "$work/conn$fam.pcap" 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0' 2>/dev/null | wc -l)
	[ $fam = 6 ] && syns=$(tcpdump -nr "$work/conn$fam.pcap" 'ip6 and ip6[40+13] & 0x12 == 0x02' 2>/dev/null | wc -l)
	icmps=$(tcpdump -nr "$work/conn$fam.pcap" "src $R and (icmp or icmp6)" 2>/dev/null | wc -l)
	want_icmp=4; [ $fam = 6 ] && want_icmp=1
	if [ "$syns" -ge 11 ] && [ "$icmps" -eq "$want_icmp" ]; then rw_pass "IPv$fam connect() -w capture has the SYNs ($syns) and ICMP errors ($icmps)"
	else rw_fail "IPv$fam connect() -w capture: $syns SYNs, $icmps ICMP errors from $R (want >= 11, $want_icmp)"; fi

	# -w: each answer's frame number points at a frame from the answering host
	if $LAB_PY - "$work/raw$fam.pcap" "$work/raw$fam.json" <<-'PY'
	import json, struct, sys, ipaddress
	data = open(sys.argv[1], "rb").read()
	assert struct.unpack("<I", data[:4])[0] == 0xa1b2c3d4, "not a little-endian pcap"
	frames, off = [], 24
	while off + 16 <= len(data):
	    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
	    frames.append(data[off + 16:off + 16 + incl]); off += 16 + incl
	bad = 0
	for line in open(sys.argv[2]):
	    r = json.loads(line)
	    if not r["frame"]:
	        if r["by"]: bad += 1; print("FAIL: %s/%d has an answer but no frame" % (r["proto"], r["port"]))
	        continue
	    f = frames[r["frame"] - 1]
	    et = f[12:14]
	    src = ipaddress.ip_address(f[26:30]) if et == b"\x08\x00" else ipaddress.ip_address(f[22:38])
	    if str(src) != r["by"]:
	        bad += 1; print("FAIL: %s/%d frame %d is from %s, not %s" % (r["proto"], r["port"], r["frame"], src, r["by"]))
	print("# %d frames, %d answers checked" % (len(frames), sum(1 for _ in open(sys.argv[2]))))
	sys.exit(1 if bad else 0)
	PY
	then rw_pass "IPv$fam -w capture: frame numbers point at the answers"; else rw_fail "IPv$fam -w capture: frame numbers"; fi
done

# ---- a network the router has no route to: ICMP net-unreachable from the router ------------
T=198.18.9.9 R=$LAB_R4C
echo "135 unreachable net-unreach R" >"$work/expnet"
lab_in client "$RPCWATCH" probe-run "$T" -p T:135 --json -q >"$work/net.json"
lab_in client nmap -n -Pn -sS --reason --max-retries 1 -p 135 -oX "$work/nmapnet.xml" "$T" >/dev/null 2>&1
run_compare "no route behind the router: unreachable net-unreach, as nmap" "$work/expnet" "$work/net.json" "$work/nmapnet.xml"
# no route on the client itself: a verdict for that target, not an error of the run
lab_in client ip route add unreachable 198.18.8.0/24
echo "135 unreachable no-route -" >"$work/expnr"
lab_in client "$RPCWATCH" probe-run "$T" 198.18.8.8 -p T:135 --json -q >"$work/nr.json" &&
	grep -q '"198.18.8.8"' "$work/nr.json" && grep '"198.18.8.8"' "$work/nr.json" >"$work/nr8.json" &&
	run_compare "no local route: unreachable no-route, the other target still probed" "$work/expnr" "$work/nr8.json" ||
	rw_fail "probe-run with an unroutable target: $(cat "$work/nr.json")"

# our own address: routed through the loopback interface, answers read there
a=$(lab_in client "$RPCWATCH" probe-run "$LAB_C4" "$LAB_C6" -p T:9 -q | awk '{print $3, $4, $6}' | tr '\n' ' ')
[ "$a" = "closed reset $LAB_C4 closed reset $LAB_C6 " ] && rw_pass "probing our own addresses (loopback)" ||
	rw_fail "probing our own addresses: $a"

# ---- without CAP_NET_RAW: connect() probes, said once -------------------------------
T=$LAB_S4 R=$LAB_R4C
if command -v setpriv >/dev/null; then
	lab_in client setpriv --bounding-set=-net_raw --inh-caps=-net_raw -- "$RPCWATCH" probe-run "$T" -p "T:$TCP_PORTS" --json \
		>"$work/nocap.json" 2>"$work/nocap.err"
	n=$(grep -c "no raw-socket privilege; using connect() probes" "$work/nocap.err")
	if [ "$n" = 1 ]; then rw_pass "without CAP_NET_RAW the fallback is announced once"; else
		rw_fail "without CAP_NET_RAW: note printed $n times"; cat "$work/nocap.err"; fi
	run_compare "without CAP_NET_RAW: connect() verdicts match the rules" "$work/expc4" "$work/nocap.json"
fi

# ---- UDP ------------------------------------------------------------------------------
cat >"$work/expu" <<-EOF
2001 open responder-echo T
2002 open|filtered no-response -
2003 filtered admin-prohibited R
2004 closed port-unreach T
135 closed port-unreach T
EOF
sed 's/^2002 open|filtered/2002 filtered/' "$work/expu" >"$work/expur"
for fam in 4 6; do
	if [ $fam = 4 ]; then T=$LAB_S4 R=$LAB_R4C; else T=$LAB_S6 R=$LAB_R6C; fi
	lab_in client "$RPCWATCH" probe-run "$T" -p U:2001-2004,135 --json -q >"$work/udp$fam.json" || rw_fail "udp probe-run"
	run_compare "IPv$fam UDP raw probes: responder, drop, reject, closed" "$work/expu" "$work/udp$fam.json"
	# nmap -sU agrees where it can tell (it sends no responder payload, so 2001 is left out)
	grep -v '^2001 ' "$work/expu" >"$work/expun"
	nmap6=; [ $fam = 6 ] && nmap6=-6
	lab_in client nmap -n -Pn $nmap6 -sU --reason --max-retries 1 -p 2002-2004,135 -oX "$work/nmapu$fam.xml" "$T" >/dev/null 2>&1 ||
		rw_fail "IPv$fam nmap -sU ran"
	run_compare "IPv$fam UDP: drop, reject, closed as nmap -sU --reason" "$work/expun" "$work/udp$fam.json" "$work/nmapu$fam.xml"
	lab_in client "$RPCWATCH" probe-run "$T" -p U:2001-2004,135 --json -q --expect-responder >"$work/udpr$fam.json" || rw_fail "udp probe-run"
	run_compare "IPv$fam UDP with --expect-responder: silence is filtered" "$work/expur" "$work/udpr$fam.json"
	lab_in client "$RPCWATCH" probe-run "$T" -p U:2001-2004,135 --json -q --connect >"$work/udpc$fam.json" || rw_fail "udp probe-run"
	run_compare "IPv$fam UDP connect() probes give the same verdicts" "$work/expu" "$work/udpc$fam.json"
done

# the 135/udp payload is a connectionless DCE/RPC ept_lookup request: tshark as the oracle
if command -v tshark >/dev/null; then
	lab_in client "$RPCWATCH" probe-run "$LAB_S4" -p U:135 -q -w "$work/u135.pcap" >/dev/null
	got=$(tshark -r "$work/u135.pcap" -Y 'udp.dstport == 135' -T fields -e dcerpc.ver -e dcerpc.pkt_type \
		-e dcerpc.cn_bind_to_uuid -e dcerpc.dg_if_id -e dcerpc.opnum -e epm.inq_type -e epm.max_ents 2>/dev/null | head -1)
	if [ "$got" = "$(printf '4\t0\t\te1af8308-5d1f-11c9-91a4-08002b14a0fa\t2\t0\t1')" ]; then
		rw_pass "tshark dissects the 135/udp probe as an EPM ept_lookup (CL request, opnum 2)"
	else rw_fail "tshark on the 135/udp probe: '$got'"; fi
fi

# ---- a range of thousands of ports (one socket per port) ----------------------------------
ip netns exec "$LAB_SNS" "$RPCWATCH" responder -p 3000-6999 >"$work/responder2.log" 2>&1 &
resp2=$!
RW_BG_PIDS="$RW_BG_PIDS $resp2"
lab_router_rule udp dport 4000 drop
if lab_wait_line "$work/responder2.log" 'listening on 4000 UDP'; then
	lab_in client "$RPCWATCH" probe-run "$LAB_S4" -p U:3000-6999 --json -q --expect-responder >"$work/range.json"
	if $LAB_PY - "$work/range.json" <<-'PY'
	import json, sys
	bad = 0
	for line in open(sys.argv[1]):
	    r = json.loads(line)
	    want = ("filtered", "no-response") if r["port"] == 4000 else ("open", "responder-echo")
	    if (r["state"], r["reason"]) != want:
	        bad += 1
	        if bad < 5: print("FAIL: udp/%d %s %s" % (r["port"], r["state"], r["reason"]))
	sys.exit(1 if bad else 0)
	PY
	then rw_pass "4000-port UDP range: every port answered by the responder, the dropped one filtered"
	else rw_fail "4000-port UDP range"; fi
	kill -INT "$resp2"; wait "$resp2"
	grep -q "stopped: 3999 probes answered" "$work/responder2.log" && rw_pass "responder counted 3999 answers" ||
		rw_fail "responder counter: $(tail -1 "$work/responder2.log")"
else
	rw_fail "responder on 4000 ports did not start: $(head -3 "$work/responder2.log")"
fi

# ---- responder: a TCP port (T:), and --bind to one address --------------------------------
lab_in client "$RPCWATCH" probe-run "$LAB_S4" -p T:2100 -q | grep -q "tcp/2100 open syn-ack" &&
	lab_in client "$RPCWATCH" probe-run "$LAB_S4" -p T:2100 -q --connect | grep -q "tcp/2100 open connected" &&
	rw_pass "responder T:2100 is open to SYN and connect() probes" || rw_fail "responder T:2100 not open"
ip netns exec "$LAB_SNS" "$RPCWATCH" responder --bind "$LAB_S4" -p 2200 >"$work/responder3.log" 2>&1 &
resp3=$!
RW_BG_PIDS="$RW_BG_PIDS $resp3"
if lab_wait_line "$work/responder3.log" 'listening on 1 UDP'; then
	a=$(lab_in client "$RPCWATCH" probe-run "$LAB_S4" "$LAB_S6" -p U:2200 -q | awk '{print $3, $4}' | tr '\n' ' ')
	[ "$a" = "open responder-echo closed port-unreach " ] &&
		rw_pass "responder --bind $LAB_S4 answers there only (IPv6: closed)" || rw_fail "responder --bind: $a"
	kill -INT "$resp3"; wait "$resp3"
else
	rw_fail "responder --bind did not start: $(head -3 "$work/responder3.log")"
fi

# ---- the responder: counters, clean stop -----------------------------------------------
kill -TERM "$resp_pid"
n=50; while kill -0 "$resp_pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
wait "$resp_pid"; rc=$?
answered=$(sed -n 's/.*stopped: \([0-9]*\) probes answered.*/\1/p' "$work/responder.log")
# 2001 answered by 6 runs (raw, expect-responder, connect; v4 and v6)
accepted=$(sed -n 's/.*ignored, \([0-9]*\) TCP connections accepted.*/\1/p' "$work/responder.log")
[ "${accepted:-0}" -ge 1 ] && rw_pass "responder counted the accepted TCP connection ($accepted)" ||
	rw_fail "responder accepted count: $(tail -1 "$work/responder.log")"
if [ "$rc" = 0 ] && [ "${answered:-0}" -ge 6 ]; then rw_pass "responder stops on SIGTERM with its counters ($answered answered)"
else rw_fail "responder exit $rc, counter line: $(tail -1 "$work/responder.log")"; fi

rw_finish
