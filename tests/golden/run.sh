#!/usr/bin/env bash
# Golden tests: run `rpcwatch analyze` on each TESTLIST input and compare
# stdout with the expected file.  With UPDATE=1 (see update.sh) the expected
# files are rewritten instead.  Optional arguments select test names.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dir=$TOP_SRCDIR/tests/golden
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ -x "$RPCWATCH" ] || { echo "FAIL: $RPCWATCH not built"; exit 1; }
skipped=0
while read -r name input expected args; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	relink=""
	case "$input" in
	relink:*) rest=${input#relink:}; relink=${rest%%:*}; input=${rest#*:} ;;
	esac
	case "$input" in
	data:*) path=$TOP_SRCDIR/data/${input#data:} ;;
	shared:*) path=$SHARED_DIR/captures/${input#shared:} ;;
	*) echo "FAIL: $name: bad input '$input'"; RW_FAILS=$((RW_FAILS + 1)); continue ;;
	esac
	if [ ! -f "$path" ]; then
		echo "skip: $name: $path not found"; skipped=$((skipped + 1)); continue
	fi
	if [ -n "$relink" ]; then
		/usr/bin/python3 "$dir/relink.py" "$relink" "$path" "$work/$(basename "$path")" ||
			{ rw_fail "$name: relink.py $relink"; continue; }
		path=$work/$(basename "$path")
	fi
	# shellcheck disable=SC2086  # args are word-split on purpose
	(cd "$(dirname "$path")" && "$RPCWATCH" analyze -q $args "$(basename "$path")") \
		>"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$rc" >>"$work/$name.out"	# exit status is part of the expectation
		sed 's/^/# stderr: /' "$work/$name.err" >>"$work/$name.out"
	fi
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$work/$name.out" "$dir/$expected"; echo "updated: $name -> $expected"; continue
	fi
	if [ ! -f "$dir/$expected" ]; then
		rw_fail "$name: no expected file $expected (run tests/golden/update.sh $name)"
	elif diff -u "$dir/$expected" "$work/$name.out" >"$work/$name.diff"; then
		rw_pass "$name"
	else
		rw_fail "$name"; head -40 "$work/$name.diff"
	fi
done <"$dir/TESTLIST"
[ "$skipped" -gt 0 ] && echo "# $skipped golden tests skipped (inputs not present)"
[ "${UPDATE:-}" = 1 ] && exit 0
[ $((RW_PASSES + RW_FAILS)) -eq 0 ] && rw_skip "no golden inputs available"
rw_finish
