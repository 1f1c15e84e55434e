# rpcwatch lab: real RPC peers behind a real firewall, in network namespaces.
# Source it after tests/lib.sh.  Needs root, iproute2, nftables, ethtool.
#
#   client ns                 router ns                        server ns
#   c0 198.18.1.10/24 ---- r0 198.18.1.1/24                    
#      2001:2:0:1::10/64      2001:2:0:1::1/64
#                             r1 198.18.2.1/24 ---------- s0 198.18.2.20/24
#                                2001:2:0:2::1/64            2001:2:0:2::20/64
#
# Addresses come only from 198.18.0.0/15 (RFC 2544) and 2001:2::/48 (RFC 5180),
# the benchmarking ranges; the namespaces have no link to anything else, so no
# packet can leave them.  nftables on the router (table inet rwlab, chain
# forward) and on each host (table inet rwhost, chains input/output) filter.
#
# Namespaces are named $RW_NS_PREFIX{client,router,server}; every process the
# lab starts runs inside one of them, so deleting the namespaces after killing
# their processes (lab_down, or lib.sh's rw_netns_cleanup) removes everything.

: "${LAB_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
LAB_PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ next to labrpc.py in the source tree

LAB_C4=198.18.1.10   LAB_R4C=198.18.1.1
LAB_S4=198.18.2.20   LAB_R4S=198.18.2.1
LAB_C6=2001:2:0:1::10 LAB_R6C=2001:2:0:1::1
LAB_S6=2001:2:0:2::20 LAB_R6S=2001:2:0:2::1

# Ports the Exchange-like scenarios use (fixed, so recordings are repeatable)
LAB_EMSMDB_PORT=49157		# "dynamic" port the endpoint mapper hands out
LAB_NSPI_PORT=49158		# second dynamic endpoint (pinned-port scenario)
LAB_PINNED_PORT=45001		# registry-pinned port (calendar connector style)
LAB_SAMBA_PORTS=49152-49199	# samba's "rpc server dynamic port range"
LAB_UDP_PORT=50123		# the Outlook-like client's notification port

lab_log() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2; }

# lab_up : create the three namespaces, links, addresses, routes; no filtering yet
lab_up() {
	LAB_CNS=$(rw_ns client) && LAB_RNS=$(rw_ns router) && LAB_SNS=$(rw_ns server) || return 1
	local ns
	for ns in "$LAB_CNS" "$LAB_RNS" "$LAB_SNS"; do
		# no router advertisements or autoconfiguration, no DAD delay
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 || return 1
	done
	rw_veth "$LAB_CNS" c0 "$LAB_C4/24" "$LAB_RNS" r0 "$LAB_R4C/24" || return 1
	rw_veth "$LAB_RNS" r1 "$LAB_R4S/24" "$LAB_SNS" s0 "$LAB_S4/24" || return 1
	ip -n "$LAB_CNS" -6 addr add "$LAB_C6/64" dev c0 nodad
	ip -n "$LAB_RNS" -6 addr add "$LAB_R6C/64" dev r0 nodad
	ip -n "$LAB_RNS" -6 addr add "$LAB_R6S/64" dev r1 nodad
	ip -n "$LAB_SNS" -6 addr add "$LAB_S6/64" dev s0 nodad
	ip -n "$LAB_CNS" route add default via "$LAB_R4C"
	ip -n "$LAB_SNS" route add default via "$LAB_R4S"
	ip -n "$LAB_CNS" -6 route add default via "$LAB_R6C"
	ip -n "$LAB_SNS" -6 route add default via "$LAB_R6S"
	ip netns exec "$LAB_RNS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	# wire-size segments in the captures, correct checksums
	local i
	for i in "$LAB_CNS c0" "$LAB_RNS r0" "$LAB_RNS r1" "$LAB_SNS s0"; do
		set -- $i
		ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 ||
			lab_log "warning: ethtool -K $2 failed (offloads stay on)"
	done
	# empty filter tables, policy accept; scenarios add rules
	ip netns exec "$LAB_RNS" nft -f - <<-'NFT' || return 1
	table inet rwlab {
		chain forward { type filter hook forward priority 0; policy accept; }
	}
	NFT
	for ns in "$LAB_CNS" "$LAB_SNS"; do
		ip netns exec "$ns" nft -f - <<-'NFT' || return 1
		table inet rwhost {
			chain input { type filter hook input priority 0; policy accept; }
			chain output { type filter hook output priority 0; policy accept; }
		}
		NFT
	done
	# wait until the paths work both ways (neighbour discovery, v4 and v6)
	lab_wait_path || { lab_log "paths through the router do not work"; return 1; }
}

# lab_wait_path : wait (<= 3 s) until client -> server works over IPv4 and IPv6
# (a TCP SYN to the closed port 9 comes back as a reset: "refused")
lab_wait_path() {
	local n
	for n in $(seq 30); do
		lab_in client $LAB_PY - "$LAB_S4" "$LAB_S6" <<-'PY' && return 0
		import socket, sys
		for a in sys.argv[1:]:
		    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
		    s.settimeout(0.5)
		    try:
		        s.connect((a, 9))
		    except ConnectionRefusedError:
		        continue
		    except OSError:
		        sys.exit(1)
		    finally:
		        s.close()
		PY
		sleep 0.1
	done
	return 1
}

# lab_router_rule RULE... : append a rule to the router's forward chain
lab_router_rule() { ip netns exec "$LAB_RNS" nft add rule inet rwlab forward "$@"; }
# lab_host_rule client|server input|output RULE... : append a rule to a host's chain
lab_host_rule() {
	local ns=$LAB_CNS; [ "$1" = server ] && ns=$LAB_SNS
	ip netns exec "$ns" nft add rule inet rwhost "$2" "${@:3}"
}

# lab_ns client|router|server : the namespace's full name
lab_ns() {
	case "$1" in client) echo "$LAB_CNS" ;; router) echo "$LAB_RNS" ;; server) echo "$LAB_SNS" ;; *) return 2 ;; esac
}
# lab_in client|router|server CMD... : run CMD in that namespace.  For background
# processes use `ip netns exec "$(lab_ns NODE)" CMD &` instead, so that $! is the
# process itself (ip netns exec execs CMD) and signals reach it.
lab_in() {
	local ns
	ns=$(lab_ns "$1") || return 2
	shift
	ip netns exec "$ns" "$@"
}

# lab_wait_listen NS PROTO PORT [ADDR] : wait (<= 5 s) for a listening socket in NS
lab_wait_listen() {
	local n flag=-lnt; [ "$2" = udp ] && flag=-lnu
	for n in $(seq 50); do
		lab_in "$1" ss -H "$flag" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# lab_wait_line FILE REGEX [TENTHS] : wait until a line of FILE matches
lab_wait_line() {
	local n=${3:-50}
	until grep -Eq "$2" "$1" 2>/dev/null; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ---- captures -------------------------------------------------------------
# Only the scenario's traffic: TCP, UDP, ICMP, and ICMPv6 errors (types < 128:
# unreachable, too big, time exceeded, parameter problem), no neighbour discovery.
LAB_BPF='tcp or udp or icmp or (icmp6 and ip6[40] < 128)'
LAB_CAP_PIDS=""
LAB_CAP_TOOL=rpcwatch

# lab_capture_start client|server FILE ERRFILE [FILTER] : rpcwatch capture on c0/s0
# (default filter $LAB_BPF), falling back to tcpdump (and saying so) if it fails
# lab_samba_conf DIR NETBIOS-NAME INTERFACES : a private Samba configuration,
# DIR/smb.conf, with every state directory under DIR and the dynamic RPC
# ports pinned to $LAB_SAMBA_PORTS; append to [global] or add shares after.
SAMBA_DCERPCD=/usr/libexec/samba/samba-dcerpcd
lab_samba_conf() {
	local d=$1 sub
	for sub in private lock state cache pid ncalrpc bind-dns log share; do mkdir -p "$d/$sub"; done
	cat >"$d/smb.conf" <<-EOF
	[global]
		netbios name = $2
		workgroup = RWLAB
		server role = standalone server
		interfaces = $3
		bind interfaces only = yes
		private dir = $d/private
		lock directory = $d/lock
		state directory = $d/state
		cache directory = $d/cache
		pid directory = $d/pid
		ncalrpc dir = $d/ncalrpc
		binddns dir = $d/bind-dns
		log file = $d/log/log.%m
		passdb backend = tdbsam:$d/private/passdb.tdb
		rpc start on demand helpers = false
		rpc server dynamic port range = ${LAB_SAMBA_PORTS}
		load printers = no
		printcap name = /dev/null
		disable spoolss = yes
	EOF
}

# lab_start_dcerpcd DIR LOG [OPTION...] : samba-dcerpcd with DIR/smb.conf in the
# server namespace, output to LOG, killed at exit; its pid in LAB_DCERPCD_PID
lab_start_dcerpcd() {
	local d=$1 log=$2
	shift 2
	ip netns exec "$LAB_SNS" "$SAMBA_DCERPCD" --libexec-rpcds -F --debug-stdout -d 1 "$@" \
		--configfile="$d/smb.conf" </dev/null >"$log" 2>&1 &
	LAB_DCERPCD_PID=$!
	RW_BG_PIDS="$RW_BG_PIDS $LAB_DCERPCD_PID"
}

lab_capture_start() {
	local side=$1 file=$2 err=$3 bpf=${4:-$LAB_BPF} ifc=c0 pid
	[ "$side" = server ] && ifc=s0
	ip netns exec "$(lab_ns "$side")" "$RPCWATCH" capture -i "$ifc" -w "$file" "$bpf" 2>"$err" &
	pid=$!
	if lab_wait_line "$err" 'listening on' 50; then
		LAB_CAP_PIDS="$LAB_CAP_PIDS $pid"; RW_BG_PIDS="$RW_BG_PIDS $pid"
		return 0
	fi
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	lab_log "rpcwatch capture on $side failed: $(head -3 "$err" | tr '\n' '|'); falling back to tcpdump"
	LAB_CAP_TOOL=tcpdump
	ip netns exec "$(lab_ns "$side")" tcpdump -i "$ifc" -s 262144 -U -w "$file" "$bpf" 2>"$err" &
	pid=$!
	lab_wait_line "$err" 'listening on' 50 || { kill "$pid" 2>/dev/null; return 1; }
	LAB_CAP_PIDS="$LAB_CAP_PIDS $pid"; RW_BG_PIDS="$RW_BG_PIDS $pid"
}

# lab_capture_stop : SIGINT every capture, wait for each to close its file
lab_capture_stop() {
	local p n rc=0
	for p in $LAB_CAP_PIDS; do kill -INT "$p" 2>/dev/null; done
	for p in $LAB_CAP_PIDS; do
		n=100
		while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null; rc=1; fi
		wait "$p" 2>/dev/null || rc=1
	done
	LAB_CAP_PIDS=""
	return $rc
}

# ---- teardown of a persistent lab (lab.sh) ----------------------------------
# lab_down PREFIX : kill every process in, then delete, each namespace PREFIX*
lab_down() {
	local ns pids n
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$1"); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
		for n in $(seq 20); do
			pids=$(ip netns pids "$ns" 2>/dev/null); [ -z "$pids" ] && break
			sleep 0.1
		done
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
