#!/usr/bin/env bash
# Seed corpora for the libFuzzer harnesses, generated from the test captures.
#   fuzz/seed.sh [OUTDIR]      (default: ./fuzz/corpus)
# Reads data/samples/*.pcap and, when present, $SHARED_DIR/captures (pcap and
# pcapng, gzip skipped; at most $SEED_MAX_FILE bytes per capture for the
# pipeline corpus).  Writes OUTDIR/<harness>/<sha1>: frames per DLT (link),
# raw IP packets (ip), TCP/UDP DCE/RPC conversations as harness records
# (dce_co, dce_cl), EPM and EMSMDB stubs cut out of the PDUs (epm, emsmdb),
# whole small captures with an options byte (pipeline), the shipped check
# profiles (profile), and synthetic segment sequences (stream) and strings
# (json, junit).  Corpora are not committed;
# fuzz/seeds/ keeps a small handful that this script also writes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-fuzz/corpus}
: "${SHARED_DIR:=$top/../shared}"
: "${SEED_MAX_FILE:=65536}"
mkdir -p "$out"
exec python3 - "$top" "$out" "$SHARED_DIR" "$SEED_MAX_FILE" <<'PY'
import hashlib, os, struct, sys

top, out, shared, max_file = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
counts = {}

def put(h, data):
    d = os.path.join(out, h)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    p = os.path.join(d, name)
    if not os.path.exists(p):
        with open(p, 'wb') as f:
            f.write(data)
        counts[h] = counts.get(h, 0) + 1

# ---- capture readers: yield (dlt, frame bytes) --------------------------------
def read_pcap(b):
    magic = b[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return None
    if len(b) < 24:
        return []
    dlt = struct.unpack(e + 'I', b[20:24])[0] & 0xffff
    off, res = 24, []
    while off + 16 <= len(b):
        incl = struct.unpack(e + 'I', b[off + 8:off + 12])[0]
        if incl > 262144 or off + 16 + incl > len(b):
            break
        res.append((dlt, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    return res

def read_pcapng(b):
    if b[:4] != b'\x0a\x0d\x0d\x0a' or len(b) < 12:
        return None
    e = '<' if b[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
    off, idbs, res = 0, [], []
    while off + 12 <= len(b):
        bt, bl = struct.unpack(e + 'II', b[off:off + 8])
        if bl < 12 or off + bl > len(b):
            break
        body = b[off + 8:off + bl - 4]
        if bt == 0x0a0d0d0a:
            idbs = []
        elif bt == 1 and len(body) >= 2:
            idbs.append(struct.unpack(e + 'H', body[:2])[0])
        elif bt == 6 and len(body) >= 20:
            iid, _, _, cap, _ = struct.unpack(e + 'IIIII', body[:20])
            if iid < len(idbs):
                res.append((idbs[iid], body[20:20 + cap]))
        elif bt == 3 and len(body) >= 4 and idbs:
            res.append((idbs[0], body[4:]))
        off += bl
    return res

def captures():
    dirs = [os.path.join(top, 'data', 'samples'), os.path.join(shared, 'captures')]
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for root, _, files in sorted(os.walk(d)):
            for f in sorted(files):
                if f.endswith(('.pcap', '.pcapng', '.cap')):
                    p = os.path.join(root, f)
                    with open(p, 'rb') as fh:
                        b = fh.read()
                    yield p, b

# ---- layers -------------------------------------------------------------------
LINK_SEL = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 228: 4, 229: 5, 0: 6, 108: 7}

def to_ip(dlt, fr):
    """The IP packet inside a frame, or None."""
    if dlt == 1:
        off, et = 12, None
        while off + 2 <= len(fr):
            et = struct.unpack('>H', fr[off:off + 2])[0]
            if et in (0x8100, 0x88a8):
                off += 4
                continue
            break
        return fr[off + 2:] if et in (0x0800, 0x86dd) else None
    if dlt == 113:
        return fr[16:] if len(fr) >= 16 and fr[14:16] in (b'\x08\x00', b'\x86\xdd') else None
    if dlt == 276:
        return fr[20:] if len(fr) >= 20 and fr[0:2] in (b'\x08\x00', b'\x86\xdd') else None
    if dlt in (101, 12, 228, 229):
        return fr
    if dlt in (0, 108):
        return fr[4:]
    return None

def l4(ip):
    """(src, dst, proto, sport, dport, seq, flags, payload) or None."""
    if len(ip) < 20:
        return None
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        if struct.unpack('>H', ip[6:8])[0] & 0x3fff:
            return None
        proto, src, dst, body = ip[9], ip[12:16], ip[16:20], ip[ihl:tot]
    elif v == 6 and len(ip) >= 40:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        body = ip[40:40 + struct.unpack('>H', ip[4:6])[0]]
    else:
        return None
    if proto == 6 and len(body) >= 20:
        sp, dp, seq = struct.unpack('>HHI', body[:8])
        doff = (body[12] >> 4) * 4
        return src, dst, 6, sp, dp, seq, body[13], body[doff:]
    if proto == 17 and len(body) >= 8:
        sp, dp = struct.unpack('>HH', body[:4])
        return src, dst, 17, sp, dp, 0, 0, body[8:]
    return None

def rec(h, payload, cut=0):
    r = bytes([h])
    if h & 0x20:
        r += bytes([cut])
    return r + struct.pack('<H', len(payload)) + payload

EPM = bytes.fromhex('0883afe11f5dc91191a408002b14a0fa')
EMSMDB = bytes.fromhex('00dbf1a447ca6710b31f00dd010662da')
ASYNC = bytes.fromhex('4a576152724576e2b2686b199213b4e4')

def co_stubs(conv):
    """PDUs of one TCP conversation in order: (dir, bytes).  Yields (harness, selector, stub)."""
    ctx_iface, call_op = {}, {}
    for d, pdu in conv:
        if len(pdu) < 16 or pdu[0] != 5:
            continue
        le = pdu[4] & 0x10
        E = '<' if le else '>'
        ptype, flen, alen = pdu[2], struct.unpack(E + 'H', pdu[8:10])[0], struct.unpack(E + 'H', pdu[10:12])[0]
        call = struct.unpack(E + 'I', pdu[12:16])[0]
        if ptype in (11, 14) and len(pdu) >= 28:
            n = pdu[24]
            off = 28
            for _ in range(n):
                if off + 24 > len(pdu):
                    break
                cid, nx = struct.unpack(E + 'H', pdu[off:off + 2])[0], pdu[off + 2]
                ctx_iface[cid] = pdu[off + 4:off + 20]
                off += 24 + 20 * nx
        stub_end = flen - (alen + 8 if alen else 0)
        if ptype == 0 and len(pdu) >= 24:
            cid, op = struct.unpack(E + 'HH', pdu[20:24])
            start = 40 if pdu[3] & 0x80 else 24
            iface = ctx_iface.get(cid)
            call_op[call] = (iface, op)
            yield iface, op, 0, le, pdu[start:stub_end]
        elif ptype == 2 and len(pdu) >= 24 and call in call_op:
            iface, op = call_op[call]
            yield iface, op, 1, le, pdu[24:stub_end]

def main():
    tcp, udp = {}, {}
    for path, b in captures():
        frames = read_pcap(b)
        if frames is None:
            frames = read_pcapng(b)
        if frames is None:
            continue
        if len(b) <= max_file:
            for opt in (0x03, 0x00):
                put('pipeline', bytes([opt]) + b)
        for i, (dlt, fr) in enumerate(frames[:400]):
            if dlt in LINK_SEL and i % 7 == 0:
                put('link', bytes([LINK_SEL[dlt], 0]) + fr)
            ip = to_ip(dlt, fr)
            if ip is None:
                continue
            if i % 5 == 0:
                put('ip', b'\x00\x00' + ip)
            x = l4(ip)
            if not x:
                continue
            src, dst, proto, sp, dp, seq, fl, pl = x
            a, bb = (src, sp), (dst, dp)
            key = (path, proto) + tuple(sorted([a, bb]))
            if proto == 6:
                conv = tcp.setdefault(key, {'cli': None, 'pdus': [], 'srvport': None})
                if fl & 0x12 == 0x02:
                    conv['cli'] = a
                if pl:
                    conv['pdus'].append((a, pl))
            elif pl:
                udp.setdefault(key, []).append((a, sp, dp, pl))
    # TCP conversations carrying DCE/RPC CO
    for key, conv in tcp.items():
        pdus = conv['pdus']
        if not pdus or not any(p[:1] == b'\x05' for _, p in pdus):
            continue
        cli = conv['cli'] or pdus[0][0]
        srvport = [k for k in key[2:] if k != cli][0][1] if len([k for k in key[2:] if k != cli]) else 135
        opt = 0x10 | 0x01 | 0x02 | (0 if srvport == 135 else 0x08)
        body = b''.join(rec(0 if a == cli else 1, p) for a, p in pdus[:60])
        put('dce_co', bytes([opt]) + body)
        put('dce_co', bytes([opt & ~0x02]) + body)
        # whole PDUs for the stub harnesses
        conv_pdus = []
        for d in (0, 1):
            s = b''.join(p for a, p in pdus if (a == cli) == (d == 0))
            off = 0
            while off + 16 <= len(s) and s[off] == 5:
                E = '<' if s[off + 4] & 0x10 else '>'
                fl = struct.unpack(E + 'H', s[off + 8:off + 10])[0]
                if fl < 16:
                    break
                conv_pdus.append((off, d, s[off:off + fl]))
                off += fl
        # approximate order: requests and their responses share call ids
        conv_pdus.sort(key=lambda t: (t[2][12:16], t[1]))
        for iface, op, resp, le, stub in co_stubs([(d, p) for _, d, p in conv_pdus]):
            flags = 0x08 if le else 0
            if iface == EPM and op in (2, 3):
                sel = {(3, 0): 1, (3, 1): 2, (2, 0): 3, (2, 1): 4}[(op, resp)]
                put('epm', bytes([sel | flags]) + stub)
                if op == 3 and not resp and len(stub) > 48:
                    # the map_tower octet string: after the object pointer+uuid, the tower pointer and lengths
                    for o in (4 + 16 + 4 + 8, 4 + 4 + 8, 4 + 16 + 4 + 4 + 4):
                        if o + 2 <= len(stub):
                            put('epm', bytes([0]) + stub[o:])
            elif iface in (EMSMDB, ASYNC):
                if iface == EMSMDB and op == 4:
                    put('emsmdb', bytes([(1 if resp else 0) | flags]) + stub)
                elif iface == ASYNC and op == 0 and resp:
                    put('emsmdb', bytes([2 | flags]) + stub)
                elif iface == EMSMDB and op == 14 and resp:
                    put('emsmdb', bytes([3 | flags]) + stub)
                elif resp:
                    put('emsmdb', bytes([4 | flags]) + stub)
    # UDP: CL DCE/RPC (version 4) and everything else on the notification path
    for key, dgrams in udp.items():
        if not any(p[:1] == b'\x04' for _, _, _, p in dgrams) and len(dgrams) > 3:
            continue
        first = dgrams[0][0]
        body = b''.join(rec(0 if a == first else 1, p) for a, _, _, p in dgrams[:40])
        put('dce_cl', b'\x03' + body)
    # synthetic: stream segment sequences (u32 ISN, then 8-byte records)
    def seg(fl, off, ln, cut=0):
        return struct.pack('<BIHB', fl, off, ln, cut)
    put('stream', struct.pack('<I', 1000) + seg(1, 0, 0) + seg(0, 1, 100) + seg(0, 101, 100))
    put('stream', struct.pack('<I', 0xfffffff0) + seg(1, 0, 0) + seg(0, 201, 100) + seg(0, 1, 100) + seg(0, 101, 100))
    put('stream', struct.pack('<I', 7) + seg(1, 0, 0) + seg(0, 1, 1460) + seg(4, 1461, 1460, 60) + seg(0, 2921, 10) + seg(2, 2931, 0))
    put('stream', struct.pack('<I', 7) + b''.join(seg(0, 100 + 64000 * i, 64000) for i in range(6)) + seg(8, 0, 0))
    put('stream', struct.pack('<I', 9) + seg(1, 0, 0) + b''.join(seg(0, 50 + 10 * i, 5) for i in range(40)) + seg(0, 1, 60))
    # synthetic: strings for the JSON writer (kind, length, bytes)
    for s in (b'plain', b'quote " backslash \\ slash /', bytes(range(0, 32)), b'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80',
              b'\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80', b'a\x00b'):
        put('json', bytes([0, len(s)]) + s + bytes([1, len(s)]) + s + bytes([7, 1]) + b'k' + bytes([0, len(s)]) + s)
    # check profiles shipped in data/profiles
    pd = os.path.join(top, 'data', 'profiles')
    if os.path.isdir(pd):
        for f in sorted(os.listdir(pd)):
            if f.endswith('.profile'):
                t = open(os.path.join(pd, f), 'rb').read()
                for sel in (0, 1, 2):
                    put('profile', bytes([sel]) + t)
    # JUnit writer: strings with markup, entities, controls and bad UTF-8
    def js(b):
        return bytes([len(b)]) + b
    for b in (b'plain', b'<a href="x">&amp;\'</a>', b']]>\x00\x01\t\n\r', b'\xc3\xa9\xef\xbf\xbe\xed\xa0\x80\xff'):
        put('junit', js(b) * 6 + b'\x00\x00\x00\x00\x01\x02' + b''.join(bytes([st | 0x3c]) + js(b) + js(b) + b'\x10\x00' + js(b) * 4 for st in range(4)))
    for h in sorted(counts):
        print('%-9s %d seeds' % (h, counts[h]))

main()
PY
