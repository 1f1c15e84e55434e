# Shared helpers for rpcwatch's shell tests.  Source it: . "$TOP_SRCDIR/tests/lib.sh"
# Exit status convention (automake): 0 pass, 1 fail, 77 skip, 99 hard error.

: "${TOP_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"
: "${RPCWATCH:=$TOP_BUILDDIR/src/rpcwatch}"
: "${SHARED_DIR:=$TOP_SRCDIR/../shared}"
export TZ=UTC LC_ALL=C

RW_FAILS=0
RW_PASSES=0

rw_skip() { echo "SKIP: $*"; exit 77; }
rw_fail() { echo "FAIL: $*"; RW_FAILS=$((RW_FAILS + 1)); }
rw_pass() { echo "ok: $*"; RW_PASSES=$((RW_PASSES + 1)); }
# rw_check DESC CMD... : run CMD, pass if it exits 0
rw_check() { local d=$1; shift; if "$@"; then rw_pass "$d"; else rw_fail "$d"; fi; }
rw_finish() {
	echo "# $RW_PASSES passed, $RW_FAILS failed"
	[ "$RW_FAILS" -eq 0 ]
	exit $?
}

# Tests that need root skip when unprivileged, except under CI=true where
# a missing privilege is a failure (CI runs as root).
rw_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		if [ "${CI:-}" = true ]; then echo "FAIL: CI=true but not root"; exit 1; fi
		rw_skip "needs root (network namespaces); run as root or with CI=true"
	fi
	command -v ip >/dev/null || rw_skip "iproute2 'ip' not installed"
}

rw_need_shared() {
	[ -d "$SHARED_DIR/captures" ] || rw_skip "reference captures not found at $SHARED_DIR/captures"
}

# ---- network namespaces (addresses from 198.18.0.0/15 only) --------------
# Every namespace made here is named rw<pid>-<name> ($$ is the top shell's pid,
# also inside $(...) subshells) and rw_netns_cleanup, which rw_netns_init
# installs as an EXIT trap, removes every namespace with that prefix.
RW_NS_PREFIX="rw$$-"
RW_BG_PIDS=""
rw_netns_cleanup() {
	local p ns
	for p in $RW_BG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $RW_BG_PIDS; do wait "$p" 2>/dev/null; done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$RW_NS_PREFIX"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
rw_netns_init() { trap rw_netns_cleanup EXIT; trap 'exit 130' INT TERM; }
# rw_ns NAME -> prints the full namespace name, creating it with lo up
rw_ns() {
	local ns="$RW_NS_PREFIX$1"
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	echo "$ns"
}
# rw_veth NS_A IF_A ADDR_A/LEN NS_B IF_B ADDR_B/LEN : veth pair between two namespaces
rw_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}
# rw_bg CMD... : run in background, killed by cleanup
rw_bg() { "$@" & RW_BG_PIDS="$RW_BG_PIDS $!"; }
