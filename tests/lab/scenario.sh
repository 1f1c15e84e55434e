#!/usr/bin/env bash
# Run one lab scenario: build a private client/router/server lab (lab-lib.sh),
# put the firewall rules in place, start the real server peer, run the real
# client, print what both said, and remove everything again (namespaces,
# processes, temporary files), also when something fails or on Ctrl-C.
#
#   tests/lab/scenario.sh NAME [--record DIR] [-q]
#   tests/lab/scenario.sh list
#
# --record DIR  capture on the client's (c0) and the server's (s0) interface
#               with `rpcwatch capture` while the scenario runs and write
#               DIR/NAME-client.pcap and DIR/NAME-server.pcap
# -q            only the summary line
#
# Exit status 0 when the client's outcome is the one the scenario is built to
# produce, 1 when not, 77 when not root, 2 on usage errors.  The last line is
#   scenario NAME: outcome WORD (expected WORD) ok|FAIL
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$TOP_SRCDIR/tests/lib.sh"
. "$here/lab-lib.sh"

# name | what it shows (one line each; the README in data/samples says more)
SCENARIOS="
healthy             EPM maps EMSMDB to 49157; bind, logon, push registration ecNone; 2 UDP notifications delivered
epm-blocked         router drops TCP 135: the client's SYN to the endpoint mapper is retransmitted, never answered
epm-reset           router resets TCP 135 (nft reject with tcp reset) in the server's name
dynamic-dropped     135 open, EPM maps EMSMDB to 49157; router drops 49157: SYN retransmitted, no answer
dynamic-prohibited  135 open; router rejects 49157 with ICMP 3/13 admin-prohibited from 198.18.1.1
dynamic-reset       135 open; router rejects 49157 with a TCP reset in the server's name (ttl 64, the server's 63)
register-refused    EcRRegisterPushNotification answered ecNotSupported (0x80040102); no UDP follows
notify-dropped      registration ecNone, router drops the server's UDP datagrams to the client
notify-rejected     registration ecNone, the client's host firewall rejects them: ICMP 3/3 port-unreachable
not-registered      EPM answers ept_map for EMSMDB with ept_s_not_registered and no tower
pinned-port         dynamic range 49152-65535 closed, store pinned to 45001: NSPI (49158) fails, EMSMDB on 45001 works
healthy-ipv6        healthy over IPv6 (2001:2::/48), callback SOCKADDR AF_INET6 (23)
samba-healthy       Samba samba-dcerpcd: rpcclient epmmap, impacket ept_map srvsvc -> dynamic port, bind, NetrServerGetInfo
samba-dynamic-dropped  as samba-healthy, router drops 49152-65535: the follow-up connection gets no answer
"
scenario_names() { echo "$SCENARIOS" | awk 'NF {print $1}'; }

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
NAME="" RECORD="" LAB_QUIET=""
while [ $# -gt 0 ]; do
	case "$1" in
	--record) RECORD=${2:?--record needs a directory}; shift 2 ;;
	--record=*) RECORD=${1#--record=}; shift ;;
	-q|--quiet) LAB_QUIET=1; shift ;;
	-h|--help) usage; exit 0 ;;
	list) echo "$SCENARIOS" | sed '/^$/d'; exit 0 ;;
	-*) echo "scenario.sh: unknown option $1" >&2; exit 2 ;;
	*) [ -z "$NAME" ] || { echo "scenario.sh: one scenario at a time" >&2; exit 2; }; NAME=$1; shift ;;
	esac
done
[ -n "$NAME" ] || { usage >&2; exit 2; }
scenario_names | grep -qx "$NAME" || { echo "scenario.sh: unknown scenario '$NAME' (scenario.sh list)" >&2; exit 2; }
if [ -n "$RECORD" ]; then
	mkdir -p "$RECORD" && RECORD=$(cd "$RECORD" && pwd) || exit 2
fi
rw_need_root
command -v nft >/dev/null || rw_skip "nftables 'nft' not installed"
[ -x "$LAB_PY" ] || rw_skip "$LAB_PY not installed"
$LAB_PY -c 'import impacket' 2>/dev/null || rw_skip "python3-impacket not installed"
if [ -n "$RECORD" ] && [ ! -x "$RPCWATCH" ]; then echo "scenario.sh: $RPCWATCH not built" >&2; exit 2; fi

say() { [ -n "$LAB_QUIET" ] || echo "$@"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rwlab.XXXXXX") || exit 99
chmod 0755 "$WORK"
rw_netns_init
lab_cleanup() {
	[ -n "$LAB_CAP_PIDS" ] && lab_capture_stop
	rw_netns_cleanup
	rm -rf "$WORK"
}
trap lab_cleanup EXIT

# ---- peers -------------------------------------------------------------------
SRV_PID=""
# start_exchange ADDR ARGS... : exchange_server.py in the server namespace
start_exchange() {
	local addr=$1; shift
	ip netns exec "$LAB_SNS" $LAB_PY "$here/exchange_server.py" --addr "$addr" "$@" >"$WORK/server.log" 2>&1 &
	SRV_PID=$!; RW_BG_PIDS="$RW_BG_PIDS $SRV_PID"
	lab_wait_line "$WORK/server.log" '^exchange_server: listening' 100 ||
		{ echo "FAIL: exchange_server.py did not start: $(tail -3 "$WORK/server.log")"; exit 1; }
}

# start_samba : samba-dcerpcd as the endpoint mapper on 198.18.2.20:135, its
# dynamic ports pinned to $LAB_SAMBA_PORTS; own smb.conf and state under $WORK
start_samba() {
	[ -x "$SAMBA_DCERPCD" ] || rw_skip "$SAMBA_DCERPCD not installed (Debian package samba)"
	lab_samba_conf "$WORK/samba" RWLABSRV s0
	lab_start_dcerpcd "$WORK/samba" "$WORK/server.log" --no-process-group
	SRV_PID=$LAB_DCERPCD_PID
	lab_wait_listen server tcp 135 || { echo "FAIL: samba-dcerpcd did not listen on 135: $(tail -3 "$WORK/server.log")"; exit 1; }
	# the rpcd helpers register their endpoints a moment later
	local n
	for n in $(seq 50); do
		[ "$(lab_in server ss -H -lnt "sport >= :49152" 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	sleep 0.3
}

# run_client LOG CMD... : the client side, in the client namespace, output appended to
# LOG; waited for with `wait`, which a signal interrupts (teardown starts at once)
run_client() {
	local log=$1; shift
	ip netns exec "$LAB_CNS" "$@" >>"$log" 2>&1 &
	local pid=$!
	RW_BG_PIDS="$RW_BG_PIDS $pid"
	wait "$pid"
}

# ---- scenarios -----------------------------------------------------------------
S4=$LAB_S4 S6=$LAB_S6 P=$LAB_EMSMDB_PORT
EXPECT=OK
STD_SERVER="--epm --map emsmdb=$P --emsmdb-port $P"
lab_up || { echo "FAIL: lab did not come up"; exit 1; }

case "$NAME" in
healthy|epm-blocked|epm-reset|dynamic-dropped|dynamic-prohibited|dynamic-reset|register-refused|notify-dropped|notify-rejected)
	SERVER_ARGS=$STD_SERVER
	case "$NAME" in
	epm-blocked) lab_router_rule ip daddr $S4 tcp dport 135 drop; EXPECT=EPM_UNREACHABLE ;;
	epm-reset) lab_router_rule ip daddr $S4 tcp dport 135 reject with tcp reset; EXPECT=EPM_UNREACHABLE ;;
	dynamic-dropped) lab_router_rule ip daddr $S4 tcp dport $P drop; EXPECT=DYNAMIC_UNREACHABLE ;;
	dynamic-prohibited) lab_router_rule ip daddr $S4 tcp dport $P reject with icmp type admin-prohibited
		EXPECT=DYNAMIC_UNREACHABLE ;;
	dynamic-reset) lab_router_rule ip daddr $S4 tcp dport $P reject with tcp reset; EXPECT=DYNAMIC_UNREACHABLE ;;
	register-refused) SERVER_ARGS="$SERVER_ARGS --register-rc 0x80040102"; EXPECT=REGISTER_REFUSED ;;
	notify-dropped) lab_router_rule ip saddr $S4 ip daddr $LAB_C4 udp dport 1024-65535 drop; EXPECT=NO_NOTIFICATIONS ;;
	notify-rejected) lab_host_rule client input udp dport $LAB_UDP_PORT reject with icmp type port-unreachable
		EXPECT=NO_NOTIFICATIONS ;;
	esac
	start_exchange $S4 $SERVER_ARGS
	CLIENT="$LAB_PY $here/outlook_client.py --server $S4 --udp-port $LAB_UDP_PORT"
	;;
not-registered)
	start_exchange $S4 --epm
	CLIENT="$LAB_PY $here/outlook_client.py --server $S4 --udp-port $LAB_UDP_PORT"
	EXPECT=NOT_REGISTERED
	;;
pinned-port)
	lab_router_rule ip daddr $S4 tcp dport 49152-65535 drop
	start_exchange $S4 --epm --map nspi=$LAB_NSPI_PORT --map emsmdb=$LAB_PINNED_PORT \
		--nspi-port $LAB_NSPI_PORT --emsmdb-port $LAB_PINNED_PORT
	CLIENT="$LAB_PY $here/outlook_client.py --server $S4 --udp-port $LAB_UDP_PORT --probe nspi"
	;;
healthy-ipv6)
	start_exchange $S6 $STD_SERVER
	CLIENT="$LAB_PY $here/outlook_client.py --server $S6 --udp-port $LAB_UDP_PORT"
	;;
samba-healthy|samba-dynamic-dropped)
	if [ "$NAME" = samba-dynamic-dropped ]; then
		lab_router_rule ip daddr $S4 tcp dport 49152-65535 drop; EXPECT=DYNAMIC_UNREACHABLE
	fi
	command -v rpcclient >/dev/null || rw_skip "rpcclient not installed (Debian package smbclient)"
	start_samba
	CLIENT="$LAB_PY $here/samba_client.py --server $S4"
	;;
esac

if [ -n "$RECORD" ]; then
	lab_capture_start client "$WORK/client.pcap" "$WORK/cap-client.err" || { echo "FAIL: client capture"; exit 1; }
	lab_capture_start server "$WORK/server.pcap" "$WORK/cap-server.err" || { echo "FAIL: server capture"; exit 1; }
fi

case "$NAME" in
samba-*)
	# rpcclient maps lsarpc over ncacn_ip_tcp at samba's endpoint mapper, anonymously
	echo "$ rpcclient -U% -c epmmap 'ncacn_ip_tcp:$S4[135]'" >"$WORK/rpcclient.log"
	run_client "$WORK/rpcclient.log" timeout 10 rpcclient -U% -c epmmap "ncacn_ip_tcp:$S4[135]"
	sed 's/^/rpcclient: /' "$WORK/rpcclient.log" >>"$WORK/client.log"
	;;
esac
# shellcheck disable=SC2086  # CLIENT is split into words on purpose
run_client "$WORK/client.log" $CLIENT
sleep 0.5		# late packets: ICMP errors, FINs

if [ -n "$RECORD" ]; then
	lab_capture_stop || echo "warning: a capture did not stop cleanly"
	cp "$WORK/client.pcap" "$RECORD/$NAME-client.pcap" && cp "$WORK/server.pcap" "$RECORD/$NAME-server.pcap" ||
		{ echo "FAIL: could not write the captures to $RECORD"; exit 1; }
	say "recorded ($LAB_CAP_TOOL): $RECORD/$NAME-client.pcap ($(stat -c %s "$RECORD/$NAME-client.pcap") bytes)," \
		"$RECORD/$NAME-server.pcap ($(stat -c %s "$RECORD/$NAME-server.pcap") bytes)"
fi

if [ -z "$LAB_QUIET" ]; then
	sed 's/^/client: /' "$WORK/client.log"
	case "$NAME" in
	samba-*) grep -v '^\s*$' "$WORK/server.log" | grep -Ei 'started|error|fail' | head -5 | sed 's/^/samba-dcerpcd: /' ;;
	*) sed 's/^/server: /' "$WORK/server.log" ;;
	esac
fi
GOT=$(sed -n 's/^outcome: //p' "$WORK/client.log" | tail -1)
if [ "$GOT" = "$EXPECT" ]; then
	echo "scenario $NAME: outcome ${GOT:-none} (expected $EXPECT) ok"
	exit 0
fi
echo "scenario $NAME: outcome ${GOT:-none} (expected $EXPECT) FAIL"
exit 1
