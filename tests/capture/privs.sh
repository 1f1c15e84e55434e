#!/bin/bash
# Privileges of `rpcwatch capture` (src/privs.h), in a network namespace
# (198.18.0.1/24 <-> 198.18.0.2/24):
#   1. root, no -Z, output directory writable by the default user (the
#      configure --with-user value, read from config.h): the process becomes
#      that user; first and rotated files (-C, ring -W) are owned by it;
#      no capabilities left (CapEff, CapPrm, CapBnd 0, NoNewPrivs 1).
#   2. root, no -Z, directory only root may write: stays uid 0 without any
#      capability; files owned by root; still captures.
#   3. -Z root: uid 0 without capabilities.
#   4. file capabilities instead of root: a copy of the binary with
#      cap_net_raw,cap_net_admin=eip run as the default user captures, then
#      holds no capability.
# Needs root (skips, or fails if CI=true).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"
rw_need_root
command -v tcpdump >/dev/null || rw_skip "tcpdump not installed (reads the capture files)"

user=$(sed -n 's/^#define RW_DEFAULT_USER "\(.*\)"$/\1/p' "$TOP_BUILDDIR/config.h" 2>/dev/null)
[ -n "$user" ] || rw_skip "built --without-user (no default user to switch to)"
uid=$(id -u "$user" 2>/dev/null) || rw_skip "default user '$user' does not exist here"
gid=$(id -g "$user")

W=$(mktemp -d "${TMPDIR:-/tmp}/rwprivs.XXXXXX") || exit 99
chmod 0755 "$W"
rw_netns_init
trap 'rw_netns_cleanup; rm -rf "$W"' EXIT
NSA=$(rw_ns a) && NSB=$(rw_ns b) || { echo "FAIL: cannot create namespaces"; exit 1; }
rw_veth "$NSA" rwa 198.18.0.1/24 "$NSB" rwb 198.18.0.2/24 || { echo "FAIL: veth"; exit 1; }

wait_line() {
	local n=${3:-50}
	until grep -Eq "$2" "$1" 2>/dev/null; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.1; done
}
send_udp() {	# N datagrams of 1000 bytes B -> A:9999
	ip netns exec "$NSB" bash -c 'for ((i = 0; i < $1; i++)); do printf "%01000d" 0 >/dev/udp/198.18.0.1/9999; done' x "$1"
}
# status PID FIELD : a field of /proc/PID/status
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# start TAG CMD... : run CMD (a capture) in namespace A; sets PID; waits for "listening on"
start() {
	local tag=$1; shift
	ip netns exec "$NSA" "$@" 2>"$W/$tag.err" &
	PID=$!
	RW_BG_PIDS="$RW_BG_PIDS $PID"
	wait_line "$W/$tag.err" 'listening on' || { rw_fail "$tag: did not start: $(head -3 "$W/$tag.err" | tr '\n' '|')"; return 1; }
	# the drop happens before the "listening on" line; the child may be the
	# setpriv wrapper's exec: look at the process itself
	sleep 0.2
}
stop() { kill -INT "$PID" 2>/dev/null; wait "$PID"; RC=$?; }
# nocaps PID TAG [bnd] : every capability set empty (the bounding set too unless
# "bnd" is given: without CAP_SETPCAP it cannot be emptied), no_new_privs set
nocaps() {
	local e p i a b n
	e=$(status "$1" CapEff); p=$(status "$1" CapPrm); i=$(status "$1" CapInh); a=$(status "$1" CapAmb)
	b=$(status "$1" CapBnd); n=$(status "$1" NoNewPrivs)
	[ "${3:-}" = bnd ] && b=0000000000000000
	if local z=0000000000000000; [ "$e$p$i$a$b" = "$z$z$z$z$z" ] && [ "$n" = 1 ]; then
		local sets="CapEff/CapPrm/CapInh/CapAmb/CapBnd 0"
		[ "${3:-}" = bnd ] && sets="CapEff/CapPrm/CapInh/CapAmb 0, bounding set kept"
		rw_pass "$2: no capabilities left ($sets, NoNewPrivs 1)"
	else
		rw_fail "$2: CapEff=$e CapPrm=$p CapInh=$i CapAmb=$a CapBnd=$(status "$1" CapBnd) NoNewPrivs=$n"
	fi
}
# owners DIR : "uid:gid" of every file in DIR, unique
owners() { stat -c '%u:%g' "$1"/* 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'; }
npkts() { local f n=0; for f in "$@"; do n=$((n + $(tcpdump -nn -r "$f" 2>/dev/null | wc -l))); done; echo $n; }

# ---- 1. default user, rotation and ring -------------------------------------------
mkdir -m 1777 "$W/pub"
if start c1 "$RPCWATCH" capture -i rwa -w "$W/pub/r.pcap" -C 0.004 -W 3 udp port 9999; then
	ruid=$(status "$PID" Uid | awk '{print $1, $2, $3, $4}')
	[ "$ruid" = "$uid $uid $uid $uid" ] && rw_pass "no -Z as root: became $user (uid $uid) after opening rwa" \
		|| rw_fail "no -Z as root: Uid line '$ruid', want $user ($uid)"
	grep -q "running as user $user" "$W/c1.err" && rw_pass "announced: $(grep 'running as' "$W/c1.err")" \
		|| rw_fail "no 'running as user $user' line: $(tr '\n' '|' <"$W/c1.err")"
	nocaps "$PID" "default user"
	send_udp 20; sleep 0.5
	stop
	nfiles=$(ls "$W/pub" | wc -l)
	own=$(owners "$W/pub")
	n=$(npkts "$W"/pub/*)
	if [ "$RC" = 0 ] && [ "$own" = "$uid:$gid" ] && [ "$nfiles" -eq 3 ] && [ "$(grep -c 'writing ' "$W/c1.err")" -ge 5 ]; then
		rw_pass "-C 0.004 -W 3 as $user: $(grep -c 'writing ' "$W/c1.err") files written, ring kept 3, all owned by $uid:$gid ($n packets)"
	else
		rw_fail "rotation as $user: exit $RC, $nfiles files, owners '$own', $(grep -c 'writing ' "$W/c1.err") written"
		tail -3 "$W/c1.err"
	fi
fi

# ---- 2. default user cannot write: root without capabilities -----------------------
mkdir -m 0700 "$W/rootonly"
if start c2 "$RPCWATCH" capture -i rwa -w "$W/rootonly/x.pcap" -C 0.004 udp port 9999; then
	[ "$(status "$PID" Uid | awk '{print $2}')" = 0 ] && rw_pass "root-only directory: stayed uid 0" \
		|| rw_fail "root-only directory: euid $(status "$PID" Uid)"
	nocaps "$PID" "root-only directory"
	send_udp 10; sleep 0.5
	stop
	own=$(owners "$W/rootonly"); n=$(npkts "$W"/rootonly/*)
	[ "$RC" = 0 ] && [ "$own" = "0:0" ] && [ "$n" -eq 10 ] && [ "$(ls "$W/rootonly" | wc -l)" -ge 2 ] \
		&& rw_pass "root-only directory: $(ls "$W/rootonly" | wc -l) rotated files owned by root, $n packets" \
		|| rw_fail "root-only directory: exit $RC, owners '$own', $n packets"
	grep -q "without capabilities (user $user cannot write $W/rootonly)" "$W/c2.err" \
		&& rw_pass "announced: $(grep 'running as' "$W/c2.err")" || rw_fail "c2 announcement: $(tr '\n' '|' <"$W/c2.err")"
fi

# ---- 3. -Z root ---------------------------------------------------------------
if start c3 "$RPCWATCH" capture -Z root -i rwa -w "$W/pub/z.pcap" -c 3 udp port 9999; then
	[ "$(status "$PID" Uid | awk '{print $2}')" = 0 ] && rw_pass "-Z root: uid 0" || rw_fail "-Z root: $(status "$PID" Uid)"
	nocaps "$PID" "-Z root"
	send_udp 3
	wait "$PID"; RC=$?
	[ "$RC" = 0 ] && [ "$(stat -c %u "$W/pub/z.pcap")" = 0 ] && [ "$(npkts "$W/pub/z.pcap")" = 3 ] \
		&& rw_pass "-Z root: 3 packets, file owned by root" || rw_fail "-Z root: exit $RC"
fi

# ---- 4. file capabilities instead of root -------------------------------------------
if ! command -v setcap >/dev/null || ! command -v setpriv >/dev/null; then
	echo "# setcap or setpriv missing (Debian: libcap2-bin, util-linux): file capability case not run"
else
	cp "$RPCWATCH" "$W/rpcwatch-caps" && chmod 0755 "$W/rpcwatch-caps"
	if setcap cap_net_raw,cap_net_admin=eip "$W/rpcwatch-caps" 2>"$W/setcap.err" \
		&& [ -n "$(getcap "$W/rpcwatch-caps")" ]; then
		if start c4 setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all \
			"$W/rpcwatch-caps" capture -i rwa -w "$W/pub/fc.pcap" -c 5 udp port 9999; then
			[ "$(status "$PID" Uid | awk '{print $2}')" = "$uid" ] && rw_pass "file capabilities: runs as $user, opened rwa" \
				|| rw_fail "file capabilities: Uid $(status "$PID" Uid)"
			nocaps "$PID" "file capabilities" bnd
			send_udp 5
			wait "$PID"; RC=$?
			[ "$RC" = 0 ] && [ "$(stat -c %u "$W/pub/fc.pcap")" = "$uid" ] && [ "$(npkts "$W/pub/fc.pcap")" = 5 ] \
				&& rw_pass "file capabilities: 5 packets, file owned by $user" || rw_fail "file capabilities: exit $RC $(tr '\n' '|' <"$W/c4.err")"
		fi
		# and without the capabilities it cannot open the device (one-line error)
		setcap -r "$W/rpcwatch-caps"
		ip netns exec "$NSA" setpriv --reuid="$uid" --regid="$gid" --clear-groups "$W/rpcwatch-caps" capture -i rwa \
			-w "$W/pub/no.pcap" -c 1 >/dev/null 2>"$W/c5.err"
		RC=$?
		[ "$RC" = 2 ] && [ "$(wc -l <"$W/c5.err")" = 1 ] && [ ! -e "$W/pub/no.pcap" ] \
			&& rw_pass "no capabilities, not root -> exit 2: $(cat "$W/c5.err")" \
			|| rw_fail "unprivileged open: exit $RC: $(tr '\n' '|' <"$W/c5.err")"
	else
		echo "# setcap failed here ($(cat "$W/setcap.err")): file capability case not run"
	fi
fi
rw_finish
