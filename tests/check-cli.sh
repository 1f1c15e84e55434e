#!/usr/bin/env bash
# `rpcwatch check` command line and profile errors: every one exits 2 with one
# clear line (file:line for profiles) before anything is sent; --help,
# --list-profiles.  No root needed, no packet leaves: every case fails before
# probing (the only address used, 198.18.0.1, is never probed).
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$TOP_SRCDIR/tests/lib.sh"
[ -x "$RPCWATCH" ] || { echo "FAIL: $RPCWATCH not built"; exit 1; }
export RPCWATCH_PROFILE_DIR=$TOP_SRCDIR/data/profiles
W=$(mktemp -d "${TMPDIR:-/tmp}/rwcheckcli.XXXXXX") || exit 99
trap 'rm -rf "$W"' EXIT
T=198.18.0.1

# want RC REGEX DESC -- ARGS... : rpcwatch check ARGS exits RC, stderr+stdout matches REGEX
want() {
	local rc=$1 re=$2 desc=$3; shift 4
	"$RPCWATCH" check "$@" >"$W/out" 2>&1 </dev/null
	local got=$?
	if [ "$got" = "$rc" ] && grep -Eq -- "$re" "$W/out"; then
		rw_pass "$desc: exit $got: $(head -1 "$W/out")"
	else
		rw_fail "$desc: exit $got (want $rc), output: $(head -3 "$W/out" | tr '\n' '|') (want /$re/)"
	fi
	if [ "$rc" = 2 ] && [ "$(wc -l <"$W/out")" -ne 1 ]; then
		rw_fail "$desc: $(wc -l <"$W/out") lines, want exactly one"
	fi
}

want 2 "nothing to check: give -p PORTS, --profile NAME or --epm" "no assertions" --
want 2 "no target given" "no target" -- -p 135
want 2 "--set needs --profile" "--set without a profile" -- -p 135 --set a=1 $T
want 2 "--set 'x': expected NAME=VALUE" "--set without =" -- --profile exchange-calcon --set x $T
want 2 "unknown option '--frob'" "unknown option" -- --frob $T
want 2 "option '--junit' needs a value" "missing value" -- -p 135 --junit
want 2 "--rate '0': expected a number" "--rate 0" -- -p 135 --rate 0 $T
want 2 "--wait 'x': expected a number" "--wait x" -- -p 135 --wait x $T
want 2 "-p 0: port 0 cannot be checked" "-p 0" -- -p 0 $T
want 2 "-p 0-10: port 0 cannot be checked" "-p 0-10" -- -p 0-10 $T
want 2 "-p T:135,,1:" "-p with an empty item" -- -p T:135,,1 $T
want 2 "no profile named 'nope' \(looked for nope.profile in $TOP_SRCDIR/data/profiles:" "unknown profile" \
	-- --profile nope $T
want 2 "$W/none.profile: no such profile file" "missing profile file" -- --profile "$W/none.profile" $T
want 2 "exchange-calcon.profile: --set nope: the profile has no variable 'nope' \(it has: calcon_port, notes_port\)" \
	"--set of an unknown variable" -- --profile exchange-calcon --set nope=1 $T
want 2 "exchange-calcon.profile:[0-9]+: bad port 'abc' \(ports are 1-65535\) \(\\\$\{calcon_port\} is 'abc' from --set\)" \
	"--set calcon_port=abc names the line and the --set" -- --profile exchange-calcon --set calcon_port=abc $T
want 2 "target 'wsus=$T': profile exchange-calcon has no assertion for role 'wsus'" "role without assertions" \
	-- --profile exchange-calcon wsus=$T
want 2 "target 'a/b=$T': expected ADDR, ROLE=ADDR or ROLE,ROLE=ADDR" "bad role" -- -p 135 "a/b=$T"
want 2 "target 'server=': address missing" "empty address" -- -p 135 "server="

# broken profiles: file:line and exit 2
printf 'name broken\n\nexpect tcp 135 open\nexpect tcp 135 opne\n' >"$W/b1.profile"
want 2 "^rpcwatch check: $W/b1.profile:4: unknown state 'opne'" "profile: bad state" -- --profile "$W/b1.profile" $T
printf 'expect tcp 135 open\nhint costs $5\n' >"$W/b2.profile"
want 2 "b2.profile:2: '\\$' must start \\$\{NAME\}" "profile: stray dollar" -- --profile "$W/b2.profile" $T
printf '# nothing\n' >"$W/b3.profile"
want 2 "b3.profile: no assertions" "profile: no assertions" -- --profile "$W/b3.profile" $T
printf 'expect tcp 1 open\n\0\n' >"$W/b4.profile"
want 2 "b4.profile:2: NUL byte" "profile: binary" -- --profile "$W/b4.profile" $T
want 2 "$TOP_SRCDIR/data/profiles/: not a file" "profile: a directory" -- --profile "$TOP_SRCDIR/data/profiles/" $T

# --help, --list-profiles
"$RPCWATCH" check --help >"$W/help" 2>&1
[ $? = 0 ] && grep -q -- "--profile NAME|FILE" "$W/help" && grep -q "3 only inconclusive" "$W/help" &&
	rw_pass "--help: exit 0, options and exit codes" || rw_fail "--help: $(head -2 "$W/help")"
"$RPCWATCH" check --list-profiles >"$W/list" 2>&1
n=$(grep -Ec '^(exchange-calcon|exchange-newmail|sccm-software-updates-mixed|sccm-software-updates-mixed-ssl|sccm-software-updates-native-ssl|msmail-dirsync) ' "$W/list")
[ "$n" = 6 ] && ! grep -q "bad profile" "$W/list" && rw_pass "--list-profiles: the six shipped profiles, each with its description" ||
	rw_fail "--list-profiles: $n of 6: $(cat "$W/list")"
rw_finish
