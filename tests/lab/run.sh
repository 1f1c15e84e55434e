#!/usr/bin/env bash
# The lab end to end: every scenario of tests/lab/scenario.sh comes up in its
# own network namespaces, real RPC peers (impacket-based Exchange-like server
# and Outlook-like client, Samba's samba-dcerpcd with rpcclient and impacket)
# talk through the nftables router, and
#   - the client's outcome is the one the scenario is built to produce;
#   - tshark confirms the expected PDUs in the client-side and the server-side
#     capture, both recorded by `rpcwatch capture`;
#   - teardown leaves no namespace, lab process or temporary file behind, also
#     when a scenario is interrupted with SIGTERM half way.
# Needs root (skips; fails under CI=true), tshark, nftables, ethtool,
# /usr/bin/python3 with python3-impacket, samba, smbclient (rpcclient).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"
LAB=$(cd "$TOP_SRCDIR/tests/lab" && pwd -P)	# resolved: pgrep -f matches it against command lines

missing() {
	if [ "${CI:-}" = true ]; then echo "FAIL: CI=true but $1 is missing"; exit 1; fi
	rw_skip "$1 is missing"
}
rw_need_root
for c in tshark nft ethtool ss pgrep; do command -v "$c" >/dev/null || missing "$c"; done
[ -x /usr/bin/python3 ] || missing /usr/bin/python3
/usr/bin/python3 -c 'import impacket' 2>/dev/null || missing "python3-impacket"
[ -x /usr/libexec/samba/samba-dcerpcd ] || missing "samba (samba-dcerpcd)"
command -v rpcclient >/dev/null || missing "smbclient (rpcclient)"
[ -x "$RPCWATCH" ] || { echo "FAIL: $RPCWATCH not built"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/rwlab-test.XXXXXX") || exit 99
chmod 0755 "$W"
mkdir -p "$W/tmp" "$W/rec"
SPID=""
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then kill -TERM "$SPID"; wait "$SPID"; fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
T0=$(date +%s)

# lab processes: anything whose command line names our temporary tree or a lab script
# (samba-dcerpcd and its rpcd_* helpers carry --configfile=$W/tmp/...; the captures -w $W/tmp/...)
LAB_PROCS_RE="$W/tmp/|$LAB/(exchange_server|outlook_client|samba_client)\.py|epmmap ncacn_ip_tcp:198\.18\."

# check_teardown NAME PID : nothing of scenario PID is left
check_teardown() {
	local ns procs files
	ns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^rw$2-" | tr '\n' ' ')
	procs=$(pgrep -af "$LAB_PROCS_RE" | grep -v "pgrep" | head -5 | tr '\n' ';')
	files=$(ls -A "$W/tmp")
	if [ -z "$ns$procs$files" ]; then
		rw_pass "$1: teardown left no namespace, process or temporary file"
	else
		rw_fail "$1: teardown left namespaces '$ns' processes '$procs' files '$files'"
	fi
}

# scenario NAME : run it, recording; check its outcome and teardown; sets C and S (captures), LOG
scenario() {
	local name=$1 rc
	LOG=$W/$name.log C=$W/rec/$name-client.pcap S=$W/rec/$name-server.pcap
	TMPDIR=$W/tmp "$LAB/scenario.sh" "$name" --record "$W/rec" >"$LOG" 2>&1 &
	SPID=$!
	wait "$SPID"; rc=$?
	if [ "$rc" -eq 0 ]; then
		rw_pass "$name: $(tail -1 "$LOG" | sed 's/^scenario [^:]*: //')$(sed -n 's/^client: \(notifications received: .*\)/, \1/p' "$LOG")"
	else
		rw_fail "$name: scenario.sh exited $rc"; sed 's/^/    /' "$LOG" | tail -30
	fi
	if grep -q '^recorded (rpcwatch)' "$LOG"; then
		rw_pass "$name: captured by rpcwatch capture"
	else
		rw_fail "$name: not captured by rpcwatch capture: $(grep -m1 '^recorded\|^lab:' "$LOG")"
	fi
	check_teardown "$name" "$SPID"
	SPID=""
}

# tcheck FILE LABEL <<EOF : lines "N FILTER" (exactly N frames) or ">=N FILTER";
# one tshark pass (io,stat) counts the frames matching each display filter
tcheck() {
	local file=$1 label=$2 exp=() flt=() line arg="" counts i want got
	[ -f "$file" ] || { rw_fail "$label: no capture $file"; cat >/dev/null; return; }
	while read -r want line; do
		case "$want" in ''|'#'*) continue ;; esac
		exp+=("$want"); flt+=("$line"); arg="$arg,$line"
	done
	counts=$(tshark -q -n -r "$file" -z "io,stat,0$arg" 2>"$W/tshark.err" |
		awk -F'|' '/<>/ {for (i = 3; i < NF; i += 2) if ($i ~ /[0-9]/) print $i + 0}')
	if grep -qi 'error\|invalid' "$W/tshark.err"; then rw_fail "$label: tshark: $(head -2 "$W/tshark.err")"; return; fi
	i=0
	for line in $counts; do counts_a[i]=$line; i=$((i + 1)); done
	for ((i = 0; i < ${#exp[@]}; i++)); do
		got=${counts_a[i]:-0}	# an empty capture prints no data row
		want=${exp[i]}
		if { [ "${want#>=}" != "$want" ] && [ "$got" -ge "${want#>=}" ]; } || [ "$got" = "$want" ]; then
			rw_pass "$label: $got x ${flt[i]}"
		else
			rw_fail "$label: want $want, got $got x ${flt[i]}"
		fi
	done
	unset counts_a
}

S4=198.18.2.20 C4=198.18.1.10 P=49157
EMSMDB=a4f1db00-ca47-1067-b31f-00dd010662da
SRVSVC=4b324fc8-1670-01d3-1278-5a47bf6ee188
# (!icmp: tshark also dissects the packet an ICMP error quotes)
syn() { echo "!icmp && tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==$1"; }
REG_REQ='dcerpc.pkt_type==0 && dcerpc.opnum==4'
# the response stub ends with the return code (LE): 0 ecNone, 0x80040102 ecNotSupported
REG_OK='dcerpc.pkt_type==2 && dcerpc.opnum==4 && tcp.payload[-4:4]==00:00:00:00'
REG_REFUSED='dcerpc.pkt_type==2 && dcerpc.opnum==4 && tcp.payload[-4:4]==02:01:04:80'
# callback SOCKADDR: AF_INET (02 00 LE), port 50123 (c3 cb BE), 198.18.1.10
CB4='02:00:c3:cb:c6:12:01:0a'
# AF_INET6 as Windows (23 = 17 00 LE), port, flowinfo 0, 2001:2:0:1::
CB6='17:00:c3:cb:00:00:00:00:20:01:00:02:00:00:00:01'
NOTIFY='!icmp && udp.dstport==50123 && udp.payload==72:77:6c:61:62:2d:6e:31'
bind_ok() { echo "dcerpc.pkt_type==12 && dcerpc.cn_ack_result==0 && tcp.srcport==$1"; }

scenario healthy
for f in "$C client" "$S server"; do set -- $f
tcheck "$1" "healthy $2" <<EOF
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2
1 dcerpc.cn_bind_to_uuid==$EMSMDB && tcp.dstport==$P
1 $(bind_ok $P)
1 $REG_REQ && frame contains $CB4
1 $REG_OK
2 $NOTIFY
0 icmp
EOF
done

scenario epm-blocked
tcheck "$C" "epm-blocked client" <<EOF
>=3 $(syn 135)
0 tcp.srcport==135
EOF
tcheck "$S" "epm-blocked server" <<EOF
0 frame
EOF

scenario epm-reset
# the reset comes from the router in the server's name: ttl 64 (the server is a hop further: 63)
tcheck "$C" "epm-reset client" <<EOF
1 $(syn 135)
1 tcp.flags.reset==1 && tcp.srcport==135 && ip.src==$S4 && ip.ttl==64
EOF
tcheck "$S" "epm-reset server" <<EOF
0 frame
EOF

scenario dynamic-dropped
tcheck "$C" "dynamic-dropped client" <<EOF
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2
>=3 $(syn $P)
0 tcp.srcport==$P
EOF
tcheck "$S" "dynamic-dropped server" <<EOF
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2
0 tcp.port==$P
EOF

scenario dynamic-prohibited
tcheck "$C" "dynamic-prohibited client" <<EOF
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2
1 $(syn $P)
1 icmp.type==3 && icmp.code==13 && ip.src==198.18.1.1 && tcp.dstport==$P
0 tcp.srcport==$P
EOF
tcheck "$S" "dynamic-prohibited server" <<EOF
0 tcp.port==$P
0 icmp
EOF

scenario dynamic-reset
tcheck "$C" "dynamic-reset client" <<EOF
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2
1 $(syn $P)
1 tcp.srcport==$P && tcp.flags.reset==1 && ip.ttl==64
1 tcp.srcport==135 && tcp.flags.syn==1 && tcp.flags.ack==1 && ip.ttl==63
EOF
tcheck "$S" "dynamic-reset server" <<EOF
0 tcp.port==$P
1 tcp.srcport==135 && tcp.flags.syn==1 && tcp.flags.ack==1 && ip.ttl==64
EOF

scenario register-refused
for f in "$C client" "$S server"; do set -- $f
tcheck "$1" "register-refused $2" <<EOF
1 $REG_REQ && frame contains $CB4
1 $REG_REFUSED
0 udp
EOF
done

scenario notify-dropped
tcheck "$C" "notify-dropped client" <<EOF
1 $REG_OK
0 udp
EOF
tcheck "$S" "notify-dropped server" <<EOF
1 $REG_OK
2 $NOTIFY
0 icmp
EOF

scenario notify-rejected
tcheck "$C" "notify-rejected client" <<EOF
1 $REG_OK
2 $NOTIFY
2 icmp.type==3 && icmp.code==3 && ip.src==$C4 && ip.ttl==64 && udp.dstport==50123
EOF
tcheck "$S" "notify-rejected server" <<EOF
2 $NOTIFY
2 icmp.type==3 && icmp.code==3 && ip.src==$C4 && ip.ttl==63 && udp.dstport==50123
EOF

scenario not-registered
for f in "$C client" "$S server"; do set -- $f
tcheck "$1" "not-registered $2" <<EOF
1 epm.rc==0x16c9a0d6 && epm.num_towers==0
0 tcp && !(tcp.port==135)
EOF
done

scenario pinned-port
tcheck "$C" "pinned-port client" <<EOF
1 epm.proto.tcp_port==49158 && dcerpc.pkt_type==2
1 epm.proto.tcp_port==45001 && dcerpc.pkt_type==2
>=3 $(syn 49158)
0 tcp.srcport==49158
1 $(bind_ok 45001)
1 $REG_OK && tcp.srcport==45001
2 $NOTIFY
EOF
tcheck "$S" "pinned-port server" <<EOF
0 tcp.port==49158
1 $REG_OK && tcp.srcport==45001
2 $NOTIFY
EOF

scenario healthy-ipv6
for f in "$C client" "$S server"; do set -- $f
tcheck "$1" "healthy-ipv6 $2" <<EOF
0 ip
1 epm.proto.tcp_port==$P && dcerpc.pkt_type==2 && ipv6.src==2001:2:0:2::20
1 $(bind_ok $P)
1 $REG_REQ && frame contains $CB6
1 $REG_OK
2 $NOTIFY && ipv6.dst==2001:2:0:1::10
EOF
done

# samba picks the dynamic port; the client says which one the endpoint mapper gave
samba_port() { sed -n 's/^client: epm: ept_map srvsvc -> ncacn_ip_tcp:[^[]*\[\([0-9]*\)\]$/\1/p' "$LOG" | head -1; }
scenario samba-healthy
SP=$(samba_port)
for f in "$C client" "$S server"; do set -- $f
tcheck "$1" "samba-healthy $2 (srvsvc at ${SP:-?})" <<EOF
>=1 epm.proto.named_pipe && dcerpc.pkt_type==2
1 epm.proto.tcp_port==${SP:-0} && dcerpc.pkt_type==2
1 dcerpc.cn_bind_to_uuid==$SRVSVC && tcp.dstport==${SP:-0}
1 $(bind_ok ${SP:-0})
1 dcerpc.pkt_type==2 && srvsvc.opnum==21 && srvsvc.werror==0
EOF
done

scenario samba-dynamic-dropped
SP=$(samba_port)
tcheck "$C" "samba-dynamic-dropped client (srvsvc at ${SP:-?})" <<EOF
1 epm.proto.tcp_port==${SP:-0} && dcerpc.pkt_type==2
>=3 $(syn ${SP:-0})
0 tcp.srcport==${SP:-0}
EOF
tcheck "$S" "samba-dynamic-dropped server" <<EOF
1 epm.proto.tcp_port==${SP:-0} && dcerpc.pkt_type==2
0 tcp.port==${SP:-0}
EOF

# ---- interrupted half way: SIGTERM while the client waits for a dropped SYN ----
TMPDIR=$W/tmp "$LAB/scenario.sh" dynamic-dropped --record "$W/rec" >"$W/int.log" 2>&1 &
SPID=$!
n=100
until pgrep -f "$LAB/outlook_client\.py" >/dev/null || [ "$n" -eq 0 ]; do sleep 0.1; n=$((n - 1)); done
sleep 0.5
if ip netns list | grep -q "^rw$SPID-client"; then rw_pass "interrupted: scenario up (namespaces rw$SPID-*, client running)"
else rw_fail "interrupted: scenario did not come up: $(tail -3 "$W/int.log" | tr '\n' '|')"; fi
t=$(date +%s%N)
kill -TERM "$SPID"; wait "$SPID"; rc=$?
ms=$((($(date +%s%N) - t) / 1000000))
if [ "$rc" -ne 0 ] && [ "$ms" -lt 5000 ]; then rw_pass "interrupted: SIGTERM ends it in $ms ms (exit $rc)"
else rw_fail "interrupted: SIGTERM took $ms ms, exit $rc"; fi
check_teardown interrupted "$SPID"
SPID=""

echo "# lab run took $(($(date +%s) - T0)) s"
rw_finish
