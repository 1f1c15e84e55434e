#!/usr/bin/env bash
# probe-run and responder: command-line contract (no privilege, no traffic):
# help, exit status 2 with one clear line naming the bad input.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
R=$RPCWATCH

# expect RC DESC PATTERN CMD... : exit status RC; for 2, one stderr line matching PATTERN
expect() {
	local want=$1 desc=$2 pat=$3; shift 3
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		rw_fail "$desc: exit $rc, wanted $want ($(head -c 300 "$work/err"))"; return
	fi
	if [ "$want" -eq 2 ]; then
		local n; n=$(grep -c . "$work/err")
		if [ "$n" -ne 1 ] || ! grep -q "^rpcwatch" "$work/err" || ! grep -q -- "$pat" "$work/err"; then
			rw_fail "$desc: wanted one 'rpcwatch ...$pat...' line on stderr, got $n:"; cat "$work/err"; return
		fi
	fi
	rw_pass "$desc"
}

expect 0 "probe-run --help" "" "$R" probe-run --help
grep -q "Usage: rpcwatch probe-run" "$work/out" && grep -q -- "--expect-responder" "$work/out" &&
	rw_pass "probe-run --help shows usage and options" || rw_fail "probe-run --help content"
expect 0 "responder --help" "" "$R" responder --help
grep -q "Usage: rpcwatch responder" "$work/out" && grep -q "exchange-newmail" "$work/out" &&
	rw_pass "responder --help shows usage and the pair" || rw_fail "responder --help content"
"$R" --help | grep -q "responder" && rw_pass "rpcwatch --help lists responder" || rw_fail "rpcwatch --help lacks responder"

T=198.18.2.20
expect 2 "probe-run without target" "missing TARGET" "$R" probe-run -p 135
expect 2 "probe-run without -p" "missing -p" "$R" probe-run "$T"
expect 2 "probe-run bad address" "'198.18.2' is not a numeric" "$R" probe-run 198.18.2 -p 135
expect 2 "probe-run unknown option" "" "$R" probe-run --frob "$T" -p 135
expect 2 "probe-run bad rate" "invalid --rate" "$R" probe-run "$T" -p 135 --rate 0
expect 2 "probe-run bad retries" "invalid --retries" "$R" probe-run "$T" -p 135 --retries 9
expect 2 "probe-run bad wait" "invalid --wait" "$R" probe-run "$T" -p 135 --wait x
for spec in "T:" "135,,136" "X:135" "70000" "9-3" "1-" "U:1,T:65536" "abc"; do
	expect 2 "probe-run -p '$spec' rejected" "port list" "$R" probe-run "$T" -p "$spec"
done
expect 2 "the error names the item" "'65536'" "$R" probe-run "$T" -p "U:1,T:65536"
expect 2 "backwards range said so" "backwards" "$R" probe-run "$T" -p "9-3"

expect 2 "responder bad port list" "port list" "$R" responder -p 1024-70000
expect 2 "responder bad --bind" "--bind 'x' is not" "$R" responder --bind x
expect 2 "responder extra argument" "unexpected argument" "$R" responder extra
expect 2 "responder unknown option" "" "$R" responder --frob
# more ports than descriptors: refuses before opening anything, says how many it needs
expect 2 "responder over the descriptor limit" "need 1033 file descriptors" \
	bash -c "ulimit -n 200 && exec '$R' responder -p 2000-3000"

rw_finish
