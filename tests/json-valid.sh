#!/usr/bin/env bash
# `analyze --json --pdus` never writes invalid JSON, whatever the packets hold:
# every line of its output, for every capture in data/samples and
# $SHARED_DIR/captures (when present), for 300 mutants of the samples whose
# printable strings and payload bytes were overwritten with hostile bytes
# (quotes, backslashes, control characters, NUL, invalid UTF-8), and for a
# capture whose file name itself holds such bytes, is parsed by python3:
# strict UTF-8, json.loads without NaN/Infinity, no lone surrogates, no
# duplicate keys, one object with "type" and "ts" per line.
set -u
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
command -v python3 >/dev/null || rw_skip "python3 not installed"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/out" "$work/mut"

# mutants: deterministic, from the committed samples
python3 - "$TOP_SRCDIR/data/samples" "$work/mut" <<'PY' || rw_fail "mutant generator"
import os, random, struct, sys
src, out = sys.argv[1], sys.argv[2]
rnd = random.Random(9)
hostile = [0x22, 0x5c, 0x00, 0x01, 0x08, 0x0a, 0x0d, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf4, 0xf8, 0xfe, 0xff]
files = sorted(f for f in os.listdir(src) if f.endswith('.pcap'))
k = 0
for round_ in range(300 // max(1, len(files)) + 1):
    for f in files:
        if k >= 300:
            break
        b = bytearray(open(os.path.join(src, f), 'rb').read())
        recs, off = [], 24
        while off + 16 <= len(b):
            n = struct.unpack('<I', b[off + 8:off + 12])[0]
            recs.append((off + 16, n))
            off += 16 + n
        for start, n in recs:
            if n <= 54:
                continue
            body = range(start + 54, start + n)
            # printable runs (pipe names, hosts, annotations): overwrite some of their bytes
            i = body.start
            while i < body.stop:
                if 0x20 <= b[i] < 0x7f:
                    j = i
                    while j < body.stop and 0x20 <= b[j] < 0x7f:
                        j += 1
                    if j - i >= 3 and rnd.random() < 0.7:
                        for _ in range(rnd.randint(1, 3)):
                            b[rnd.randrange(i, j)] = rnd.choice(hostile)
                    i = j
                else:
                    i += 1
            if rnd.random() < 0.3:
                b[rnd.randrange(body.start, body.stop)] = rnd.randrange(256)
        open(os.path.join(out, 'm%03d-%s' % (k, f)), 'wb').write(bytes(b))
        k += 1
PY
# a file name with a quote, a backslash, a newline, a control character and invalid UTF-8
weird=$work/$'we"ird\\na\nme\001\377.pcap'
cp "$TOP_SRCDIR/data/samples/healthy-client.pcap" "$weird"

n=0; bad=0
run() {
	n=$((n + 1))
	timeout 60 "$RPCWATCH" analyze -q --json --pdus "$1" >"$work/out/$n.json" 2>"$work/err"
	local rc=$?
	printf '%s\0' "$1" >"$work/out/$n.name"
	if [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
		rw_fail "$1: exit $rc"; head -3 "$work/err"; bad=$((bad + 1))
	fi
}
while IFS= read -r -d '' f; do run "$f"; done < <(
	{ find "$TOP_SRCDIR/data/samples" "$work/mut" -name '*.pcap' -print0
	  [ -d "$SHARED_DIR/captures" ] && find "$SHARED_DIR/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' \
		-o -name '*.cap' -o -path '*/hostile/*' \) ! -name '*.md' ! -name '*.gz' ! -name SHA256SUMS -print0; } | sort -z)
run "$weird"
[ -d "$SHARED_DIR/captures" ] || echo "# $SHARED_DIR/captures not found: samples and mutants only"

if python3 - "$work/out" "$weird" >"$work/py.out" 2>&1 <<'PY'
import json, os, sys
d, weird = sys.argv[1], os.fsencode(sys.argv[2])
def no_const(x):
    raise ValueError('non-standard constant %s' % x)
def pairs(kv):
    keys = [k for k, _ in kv]
    if len(keys) != len(set(keys)):
        raise ValueError('duplicate key')
    return dict(kv)
files = lines = 0
errs = []
saw_weird = False
for name in sorted(os.listdir(d), key=lambda s: (len(s), s)):
    if not name.endswith('.json'):
        continue
    files += 1
    src = open(os.path.join(d, name[:-5] + '.name'), 'rb').read().rstrip(b'\0')
    data = open(os.path.join(d, name), 'rb').read()
    if data and not data.endswith(b'\n'):
        errs.append('%s: output does not end with a newline' % src)
    for i, raw in enumerate(data.split(b'\n')[:-1] if data else [], 1):
        lines += 1
        try:
            text = raw.decode('utf-8')          # strict: invalid UTF-8 fails
            r = json.loads(text, parse_constant=no_const, object_pairs_hook=pairs)
            json.dumps(r, ensure_ascii=False).encode('utf-8')   # lone surrogates fail here
            if not isinstance(r, dict) or not isinstance(r.get('type'), str) or not isinstance(r.get('ts'), str):
                raise ValueError('not an object with "type" and "ts"')
            if src == weird and r['type'] == 'file' and os.fsencode(r['path']) != weird:
                # the path is escaped, with U+FFFD for the byte that is not UTF-8
                if r['path'] != weird.decode('utf-8', 'replace'):
                    raise ValueError('file path %r does not stand for %r' % (r['path'], weird))
            if src == weird and r['type'] == 'file':
                saw_weird = True
        except Exception as e:
            errs.append('%s line %d: %s: %r' % (src.decode('utf-8', 'replace'), i, e, raw[:120]))
if not saw_weird:
    errs.append('no "file" record for the capture with the hostile name')
print('%d outputs, %d JSON lines parsed' % (files, lines))
for e in errs[:20]:
    print('INVALID:', e)
sys.exit(1 if errs else 0)
PY
then rw_pass "every line valid JSON: $(cat "$work/py.out")"
else rw_fail "invalid JSON:"; cat "$work/py.out"
fi
[ "$bad" -eq 0 ] && rw_pass "$n runs of analyze --json --pdus exited 0, 1 or 2"
rw_finish
