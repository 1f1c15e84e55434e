#!/usr/bin/python3
"""Cross-check rpcwatch's DCE/RPC decoding against tshark's, capture by capture.

Usage: compare.py [--jobs N] [--verbose] [--all] RPCWATCH CAPDIR [CAPTURE...]

Without CAPTURE arguments, every file under CAPDIR is compared, except the
hostile/ captures in which a byte scan finds no DCE/RPC header (--all: those
too; see has_dcerpc_bytes).  CAPTURE paths are relative to CAPDIR (they name
the capture in the output and in TSHARK_MISTAKES below).  Output: one
"ok: " or "FAIL: " line per capture, details on "#" lines.  For each capture:

tshark side:  tshark -n -r F -Y dcerpc -T json -J 'frame tcp udp dcerpc epm'
  One record per dcerpc layer (a frame may carry several PDUs).  Layers
  that come after an SMB/SMB2 or NetBIOS-session (NBSS) layer, or inside
  an ICMP error, are not compared (rpcwatch decodes DCE/RPC directly over
  TCP and UDP only) and are counted on a "# not compared" line.
  tshark gives no interface UUID in a CO request/response; it finds the
  sub-dissector from its bind table, keyed by conversation and context id.
  The same is done here from tshark's own fields: each bind/alter_context
  item (dcerpc.cn_ctx_id -> dcerpc.cn_bind_to_uuid) in a TCP stream names
  the interface of later PDUs of that stream with that dcerpc.cn_ctx_id.
  CL PDUs carry the interface in their header (dcerpc.dg_if_id).

rpcwatch side:  rpcwatch analyze -q --json --pdus F
  rpc_pdu records (frame, ptype, call_id, opnum, ctx_id, interface),
  rpc_bind records (bind contexts and the answer's results, by frame) and
  epm_map records (one per tower, by response frame).

Compared, frame by frame:
  * the multiset of PDUs: (ptype, call_id) [CL: sequence number];
    unmatched ones are "missing" (tshark only) or "extra" (rpcwatch only);
  * for matched PDUs: pfc_flags, frag_length, auth_length, drep byte order;
    the opnum (a request's is in its header; any other PDU's comes from the
    request it answers: when tshark paired it, rpcwatch must have too --
    PDUs only rpcwatch paired, e.g. on connections whose bind tshark did not
    see, are counted); ctx_id (CO request/response/fault); the interface
    (when tshark knows it rpcwatch must know the same one; interfaces only
    rpcwatch knows, e.g. inferred from the endpoint map on a connection
    whose bind is not in the capture, are counted); a fault's status
    (against rpcwatch's rpc_call record);
  * bind/alter_context: the (ctx_id, interface) items; bind_ack /
    alter_context_resp: the per-item results;
  * EPM ept_map/ept_lookup responses: the multiset of towers that name a port,
    as (tcp|udp|http, port, IPv4 address or -).

A difference fails the capture unless TSHARK_MISTAKES below explains it:
an entry there says tshark is wrong and rpcwatch is right, for one frame.
"""
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------------------
# Differences that are tshark's mistake, each checked against the bytes
# (tshark -x) and the specification.  A difference is explained only when
# capture, frame, field, tshark's value and the correct value (= rpcwatch's)
# all match.  Fields: "pdu" (a PDU only one side decodes; the value is
# "PTYPE call_id=N" or "-"), "opnum", "interface", "ctx_id", "call_id",
# "flags", "frag_len", "auth_len", "drep", "fault_status", "bind_contexts",
# "bind_results", "epm_towers".  Only add an entry after checking the bytes
# and the specification: anything else is an rpcwatch bug.
TSHARK_MISTAKES = []


def _mistake(capture, field, why, *frames):
    """frames: (frame, tshark's value, correct value) triples."""
    for fr, tv, cv in frames:
        TSHARK_MISTAKES.append(dict(capture=capture, frame=fr, field=field, tshark=tv, correct=cv, why=why))


# zerologon f419: the only copy of bytes 177-320 of the client's stream.
# f418, a bare ACK with seq 321, shows their first transmission was not
# captured; tshark therefore flags f419 "TCP Retransmission" and does not
# hand its payload to DCE/RPC.  The payload is a whole CO request:
# 05 00 00 03 10000000 9000 0000 02000000 (frag_len 144 = TCP length,
# call_id 2), alloc_hint 0x78, p_cont_id 0, opnum 0x1a = 26
# (NetrServerAuthenticate3) -- C706 12.6 (CO common header, request PDU
# 12.6.4.9); tshark itself decodes its answer, f420, as "Response: call_id: 2".
_mistake("OISF+suricata-verify/tests/dcerpc/zerologon/input.pcap", "pdu",
         "f419 carries bytes never seen before in the capture (f418 is a bare ACK with seq 321), "
         "but tshark flags it as a retransmission and skips its payload: a CO request call_id 2 "
         "opnum 26 (05 00 00 03, frag_len 144 = TCP length; C706 12.6.4.9), answered in f420",
         (419, "-", "request call_id=2"))

# truncate-applayer-test-01: the response to call 5361 has 3 fragments of
# frag_len 5836, 5836 and 2860 (TCP seq 7471-22003).  The last fragment's
# header starts in the last 4 bytes of f67 (05 00 02 02: response,
# PFC_LAST) and goes on in f68 (10000000 2c0b 1c00 f1140000: frag_len 2860,
# auth_len 28, call_id 5361), ending with f69 at seq 22003.  tshark gives
# the 4 bytes to "data" instead of asking TCP for the rest of the 16-byte
# common header (C706 12.6), so it never finds this PDU.
_mistake("OISF+suricata-verify/tests/truncate-applayer-test-01/input.pcap", "pdu",
         "the last fragment of response 5361 begins in the last 4 bytes of f67 (05 00 02 02, "
         "PFC_LAST) and ends in f69 (frag_len 2860 from f68's first bytes); tshark shows those "
         "4 bytes as 'data' instead of reassembling the 16-byte CO common header (C706 12.6)",
         (69, "-", "response call_id=5361"))

# mapi.pcap TCP stream 192.168.0.183:1153 <-> 192.168.0.2:1032 (EMSMDB
# server port, the same server port as the EMSMDB conversation tshark does
# decode): tshark dissects every segment by its registered port table, where
# TCP 1153 is ANSI C12.22 (tshark -G decodes: tcp.port 1153 c1222), and
# shows "[Malformed Packet]".  1153 is the client's ephemeral port.  Every
# segment starts with a CO header, e.g. f331 05 00 00 03 10000000 a000 1000
# 3e000000 (request, frag_len 160, auth_len 16, call_id 62), opnum 2
# (EcDoRpc); f334+f335 reassemble the 1856-byte response to call 63.
_MAPI_WHY = ("TCP port 1153 (the client's ephemeral port) is registered for ANSI C12.22 in tshark, which "
             "decodes this EMSMDB connection to 192.168.0.2:1032 as malformed C12.22; the bytes are CO "
             "DCE/RPC PDUs (05 00 00|02 03 10000000 ..., C706 12.6, CO common header)")
_mistake("zeek+zeek/testing/btest/Traces/dce-rpc/mapi.pcap", "pdu", _MAPI_WHY,
         (331, "-", "request call_id=62"), (332, "-", "response call_id=62"),
         (333, "-", "request call_id=63"), (335, "-", "response call_id=63"),
         (337, "-", "request call_id=64"), (338, "-", "response call_id=64"),
         (339, "-", "request call_id=65"), (341, "-", "response call_id=65"),
         (565, "-", "request call_id=66"), (566, "-", "response call_id=66"))

# arkime dcerpc_synthetic: 8 connections to TCP port 445 carry CO DCE/RPC
# PDUs directly, without the 4-byte Direct-TCP/NBSS length header that port
# 445 uses (MS-SMB2 2.1; RFC 1002 4.3.1): every payload starts 05 00 0b 03,
# 05 00 0c 03, 05 00 00 03, ... .  tshark dissects port 445 as NBSS only and
# shows "NBSS Continuation Message"; a first byte 0x05 is not an NBSS
# message type (RFC 1002 4.3.1: 0x00, 0x81-0x85), so these are not NBSS.
_ARK = "arkime+arkime/tests/pcap/dcerpc_synthetic.pcap"
_ARK_WHY = ("DCE/RPC CO PDUs sent straight over TCP port 445, without an NBSS/Direct-TCP header; tshark "
            "decodes port 445 only as NBSS ('NBSS Continuation Message'), but the payload starts "
            "05 00 <ptype> 03 (C706 12.6, CO common header) and 0x05 is no NBSS message type (RFC 1002 4.3.1)")
_mistake(_ARK, "pdu", _ARK_WHY,
         (11, "-", "bind call_id=1"), (12, "-", "bind_ack call_id=1"),
         (13, "-", "request call_id=1"), (14, "-", "fault call_id=1"),
         (31, "-", "bind call_id=1"), (32, "-", "bind_ack call_id=1"),
         (33, "-", "request call_id=1"), (34, "-", "shutdown call_id=1"),
         (52, "-", "bind call_id=1"), (53, "-", "bind_ack call_id=1"),
         (54, "-", "request call_id=1"), (55, "-", "response call_id=1"),
         (73, "-", "bind call_id=1"), (74, "-", "bind_ack call_id=1"),
         (75, "-", "request call_id=1"), (76, "-", "response call_id=1"),
         (94, "-", "bind call_id=1"), (95, "-", "bind_ack call_id=1"),
         (96, "-", "request call_id=1"), (97, "-", "response call_id=1"),
         (115, "-", "bind call_id=1"), (116, "-", "bind_ack call_id=1"),
         (117, "-", "request call_id=1"), (118, "-", "response call_id=1"))

PTYPE_NAMES = {
    0: "request", 1: "ping", 2: "response", 3: "fault", 4: "working", 5: "nocall",
    6: "reject", 7: "ack", 8: "cl_cancel", 9: "fack", 10: "cancel_ack",
    11: "bind", 12: "bind_ack", 13: "bind_nak", 14: "alter_context",
    15: "alter_context_resp", 16: "auth3", 17: "shutdown", 18: "co_cancel",
    19: "orphaned", 20: "rts",
}
EPM_KIND = {"ncacn_ip_tcp": "tcp", "ncadg_ip_udp": "udp", "ncacn_http": "http"}
CARRIERS_SMB = ("smb", "smb2")
CARRIERS_ICMP = ("icmp", "icmpv6")


def pt_name(t):
    return PTYPE_NAMES.get(t, str(t))


# ---- tshark JSON (duplicate keys kept: every object is a list of pairs) ----

def pairs(o):
    return o if isinstance(o, list) and all(isinstance(x, tuple) for x in o) else []


def first(o, key, default=None):
    for k, v in pairs(o):
        if k == key:
            return v
    return default


def walk(o):
    """Every object (list of pairs) under o, o included, depth first."""
    if isinstance(o, list):
        if all(isinstance(x, tuple) for x in o):
            yield o
            for _, v in o:
                yield from walk(v)
        else:
            for v in o:
                yield from walk(v)


def find_values(o, key):
    out = []
    for obj in walk(o):
        for k, v in obj:
            if k == key and isinstance(v, str):
                out.append(v)
    return out


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def tshark_pdus(path):
    """Returns (pdus, excluded Counter, epm {frame: Counter of towers}, notes)."""
    rc, out, err = run(["tshark", "-n", "-r", path, "-Y", "dcerpc", "-T", "json",
                        "-J", "frame tcp udp dcerpc epm"])
    notes = []	# (fatal, text)
    if rc != 0:	# e.g. a damaged file in hostile/: what it read is still compared
        notes.append((False, "note: tshark exit %d: %s" % (rc, err.decode(errors="replace").strip()[:200])))
    if not out.strip():
        return [], collections.Counter(), {}, notes
    try:
        pkts = json.loads(out, object_pairs_hook=lambda p: p)
    except ValueError as ex:
        notes.append((True, "tshark JSON unreadable: %s" % ex))
        return [], collections.Counter(), {}, notes
    pdus, excluded, epm = [], collections.Counter(), {}
    binds = {}	# (stream, ctx_id) -> interface uuid, from tshark's bind items
    for pkt in pkts:
        layers = first(first(pkt, "_source"), "layers")
        frame = int(first(first(layers, "frame"), "frame.number"))
        stream = None
        seen = []
        cur = None
        for name, body in pairs(layers):
            if name == "tcp" and stream is None:
                stream = ("tcp", first(body, "tcp.stream"))
            elif name == "udp" and stream is None:
                stream = ("udp", first(body, "udp.stream"))
            if name == "dcerpc":
                carrier = [c for c in seen if c in CARRIERS_SMB]
                if [c for c in seen if c in CARRIERS_ICMP]:
                    excluded["inside an ICMP error (quoted packet, not a PDU on the wire)"] += 1
                    cur = None
                elif carrier:
                    excluded["over SMB named pipes (ncacn_np): rpcwatch does not decode named pipes yet"] += 1
                    cur = None
                elif "nbss" in seen:
                    excluded["over NetBIOS session service: rpcwatch does not decode NBSS yet"] += 1
                    cur = None
                else:
                    cur = tshark_one(frame, stream, body, binds)
                    pdus.append(cur)
            elif name == "epm" and cur is not None and cur["ptype"] == 2:
                op = first(body, "epm.opnum")
                if op in ("2", "3"):
                    c = epm.setdefault(frame, collections.Counter())
                    for t in towers(body):
                        c[t] += 1
            elif name == "_ws.malformed" and cur is not None:
                cur["malformed"] = True
            seen.append(name)
    return pdus, excluded, epm, notes


def tshark_one(frame, stream, d, binds):
    ver = int(first(d, "dcerpc.ver", "5"))
    ptype = int(first(d, "dcerpc.pkt_type", "-1"))
    p = {"frame": frame, "ptype": ptype, "cl": ver == 4, "opnum": None, "iface": None,
         "ctx_id": None, "malformed": False}
    op = first(d, "dcerpc.opnum")
    if op is not None:
        p["opnum"] = int(op)
    drep = first(d, "dcerpc.drep", "10")
    p["drep"] = "le" if int(drep[:2], 16) & 0x10 else "be"
    if ver == 4:
        p["call_id"] = int(first(d, "dcerpc.dg_seqnum", "-1"))
        p["flags"] = int(first(d, "dcerpc.dg_flags1", "0"), 16)
        fl = first(d, "dcerpc.dg_frag_len")
        p["frag_len"] = 80 + int(fl) if fl is not None else None	# CL header is 80 bytes
        p["auth_len"] = None
        u = first(d, "dcerpc.dg_if_id")
        p["iface"] = u.lower() if u else None
        return p
    p["call_id"] = int(first(d, "dcerpc.cn_call_id", "-1"))
    p["flags"] = int(first(d, "dcerpc.cn_flags", "0"), 16)
    p["frag_len"] = int(first(d, "dcerpc.cn_frag_len", "-1"))
    p["auth_len"] = int(first(d, "dcerpc.cn_auth_len", "-1"))
    st = first(d, "dcerpc.cn_status")
    p["status"] = int(st, 16) if st is not None and ptype == 3 else None
    if ptype in (11, 14):
        items = []
        for k, v in pairs(d):
            if k == "dcerpc.cn_ctx_item":
                cid = first(v, "dcerpc.cn_ctx_id")
                uu = find_values(v, "dcerpc.cn_bind_to_uuid")
                if cid is None or not uu:
                    continue
                vmaj = find_values(v, "dcerpc.cn_bind_if_ver")
                vmin = find_values(v, "dcerpc.cn_bind_if_ver_minor")
                ver = "%s.%s" % (vmaj[0], vmin[0]) if vmaj and vmin else "?"
                items.append((int(cid), uu[0].lower(), ver))
                binds[(stream, int(cid))] = uu[0].lower()
        p["contexts"] = items
    elif ptype in (12, 15):
        p["sec_addr"] = first(d, "dcerpc.cn_sec_addr", "")
        res = []
        for k, v in pairs(d):
            if k.startswith("Ctx Item[") and isinstance(v, list):
                r = first(v, "dcerpc.cn_ack_result")
                if r is not None:
                    res.append(int(r))
        p["results"] = res
    elif ptype in (0, 2, 3):
        cid = first(d, "dcerpc.cn_ctx_id")
        if cid is not None:
            p["ctx_id"] = int(cid)
            p["iface"] = binds.get((stream, int(cid)))
    return p


def towers(epm_layer):
    """(tcp|udp|http, port, ip or -, floor-1 interface) of each tower with a port.
    The floor versions are left out on purpose: tshark 4.0 reads the floor's
    little-endian u16 version as big-endian (epm.uuid_version 256 for v1),
    see rpc-facts 3.3; that would be one TSHARK_MISTAKES entry per tower."""
    out = []
    for obj in walk(epm_layer):
        if first(obj, "epm.tower.num_floors") is None:
            continue
        kind = port = None
        ip = iface = "-"
        for _, fl in pairs(obj):
            for k, v in pairs(fl):
                if k in ("epm.proto.tcp_port", "epm.proto.udp_port", "epm.proto.http_port") and port is None:
                    kind, port = k.split(".")[2][:-5], int(v)
                elif k == "epm.proto.ip":
                    ip = v
                elif k == "epm.uuid" and iface == "-":	# floor 1: the interface
                    iface = v.lower()
        if port is not None:
            out.append((kind, port, ip, iface))
    return out


# ---- rpcwatch -----------------------------------------------------------------

def rpcwatch_pdus(rpcwatch, path):
    rc, out, err = run([rpcwatch, "analyze", "-q", "--json", "--pdus", path])
    notes = []	# (fatal, text)
    e = err.decode(errors="replace")
    if rc not in (0, 1, 2, 3) or "Sanitizer" in e or "runtime error" in e:
        notes.append((True, "rpcwatch exit %d: %s" % (rc, e.strip()[:300])))
    elif rc == 2:	# an unreadable file: its PDUs count as missing
        notes.append((False, "note: rpcwatch exit 2: %s" % e.strip()[:200]))
    pdus, binds, epm, faults = [], {}, {}, {}
    for line in out.decode(errors="replace").splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            notes.append((True, "rpcwatch: unreadable JSON line: %s" % line[:120]))
            continue
        t = r.get("type")
        if t == "rpc_pdu":
            pdus.append({"frame": r["frame"], "ptype": r["ptype"], "cl": r["connectionless"],
                         "call_id": r["call_id"], "opnum": r.get("opnum"),
                         "ctx_id": r.get("ctx_id"), "iface": r.get("interface"), "flags": r["flags"],
                         "frag_len": r["frag_len"], "auth_len": r["auth_len"], "drep": r["drep"]})
        elif t == "rpc_call":
            if r.get("outcome") == "fault" and r.get("resp_frame"):
                faults[(r["resp_frame"], r["call_id"])] = int(r["fault_status"], 16)
        elif t == "rpc_bind":
            ctxs = [(c["ctx_id"], c["interface"], c["version"]) for c in r.get("contexts", [])]
            binds[(r["frame"], r["call_id"], "req")] = ctxs
            if r.get("reply_frame") and r.get("reply") in ("bind_ack", "alter_context_resp"):
                binds[(r["reply_frame"], r["call_id"], "ack")] = [c.get("result") for c in r.get("contexts", [])]
                binds[(r["reply_frame"], r["call_id"], "sec_addr")] = r.get("sec_addr", "")
        elif t == "epm_map":
            if "port" in r:
                kind = EPM_KIND.get(r.get("protocol"), r.get("protocol"))
                epm.setdefault(r["frame"], collections.Counter())[
                    (kind, r["port"], r.get("ip", "-"), r.get("interface") or "-")] += 1
    return pdus, binds, epm, faults, notes, rc


# ---- comparison -----------------------------------------------------------------

def pdu_str(p):
    return "%s%s call_id=%d" % ("cl " if p["cl"] else "", pt_name(p["ptype"]), p["call_id"])


def towers_str(c):
    return " ".join("%s/%d@%s:%s" % t for t in sorted(c.elements())) or "-"


def compare(rpcwatch, capdir, rel):
    path = os.path.join(capdir, rel)
    tp, excluded, tepm, tnotes = tshark_pdus(path)
    rp, rbinds, repm, rfaults, rnotes, rrc = rpcwatch_pdus(rpcwatch, path)
    diffs = []	# (frame, field, tshark value, rpcwatch value)
    info = collections.Counter()
    checked = collections.Counter()

    by_t, by_r = collections.defaultdict(list), collections.defaultdict(list)
    for p in tp:
        by_t[p["frame"]].append(p)
        if p["malformed"]:
            info["tshark marks [Malformed Packet] (compared all the same)"] += 1
    for p in rp:
        by_r[p["frame"]].append(p)
    matched = 0
    for fr in sorted(set(by_t) | set(by_r)):
        ts, rs = list(by_t.get(fr, [])), list(by_r.get(fr, []))
        pairs_ = []
        for key in (lambda p: (p["cl"], p["ptype"], p["call_id"]), lambda p: (p["cl"], p["ptype"])):
            for t in list(ts):
                for r in rs:
                    if key(t) == key(r):
                        pairs_.append((t, r))
                        ts.remove(t)
                        rs.remove(r)
                        break
        for t in ts:
            diffs.append((fr, "pdu", pdu_str(t), "-"))
        for r in rs:
            diffs.append((fr, "pdu", "-", pdu_str(r)))
        for t, r in pairs_:
            matched += 1
            if t["call_id"] != r["call_id"]:
                diffs.append((fr, "call_id", str(t["call_id"]), str(r["call_id"])))
            for f in ("flags", "frag_len", "auth_len", "drep"):
                if t[f] is not None and t[f] != r[f]:
                    diffs.append((fr, f, str(t[f]), str(r[f])))
            if t.get("status") is not None:
                checked["faults"] += 1
                rs_ = rfaults.get((fr, t["call_id"]))
                if rs_ != t["status"]:
                    diffs.append((fr, "fault_status", "0x%08x" % t["status"],
                                  "0x%08x" % rs_ if rs_ is not None else "no rpc_call fault record"))
            # a request's opnum is in its header; an answer's comes from
            # its request, so an answer may lack one on either side, but
            # when tshark paired it with its request rpcwatch must have too
            if t["opnum"] is not None:
                checked["opnums"] += 1
                if t["opnum"] != r["opnum"]:
                    diffs.append((fr, "opnum", str(t["opnum"]), "-" if r["opnum"] is None else str(r["opnum"])))
            elif r["opnum"] is not None and t["ptype"] == 0:
                diffs.append((fr, "opnum", "-", str(r["opnum"])))
            elif r["opnum"] is not None:
                info["non-request PDUs whose opnum only rpcwatch knows "
                     "(it paired them with their request, tshark did not)"] += 1
            if not t["cl"] and t["ptype"] in (0, 2, 3) and t["ctx_id"] is not None and t["ctx_id"] != r["ctx_id"]:
                diffs.append((fr, "ctx_id", str(t["ctx_id"]), str(r["ctx_id"])))
            if t["iface"] is not None:
                checked["interfaces"] += 1
                if t["iface"] != r["iface"]:
                    diffs.append((fr, "interface", t["iface"], r["iface"] or "-"))
            elif r["iface"] is not None and t["ptype"] in (0, 2, 3):
                info["interface known only to rpcwatch (endpoint map or bind tshark lacks)"] += 1
            if t["ptype"] in (11, 14):
                checked["binds"] += 1
                rc = rbinds.get((fr, t["call_id"], "req"))
                tc = t.get("contexts", [])
                if rc is None:
                    diffs.append((fr, "bind_contexts", ctx_str(tc), "no rpc_bind record"))
                elif sorted(rc) != sorted(tc[:len(rc)]) or len(rc) < min(len(tc), 8):
                    diffs.append((fr, "bind_contexts", ctx_str(tc), ctx_str(rc)))
            if t["ptype"] in (12, 15):
                rr = rbinds.get((fr, t["call_id"], "ack"))
                tr = t.get("results", [])
                if rr is None:
                    info["bind answers whose bind rpcwatch did not pair (no rpc_bind reply)"] += 1
                    continue
                checked["acks"] += 1
                rsa = rbinds.get((fr, t["call_id"], "sec_addr"))
                if rsa != t["sec_addr"]:
                    diffs.append((fr, "sec_addr", repr(t["sec_addr"]), repr(rsa)))
                if [x for x in rr if x is not None] != tr[:len([x for x in rr if x is not None])]:
                    diffs.append((fr, "bind_results", ",".join(map(str, tr)), ",".join(map(str, rr))))
    for fr in sorted(set(tepm) | set(repm)):
        a, b = tepm.get(fr, collections.Counter()), repm.get(fr, collections.Counter())
        if a != b:
            diffs.append((fr, "epm_towers", towers_str(a), towers_str(b)))
    n_towers = sum(sum(c.values()) for c in repm.values())

    explained, unexplained = [], []
    for d in diffs:
        e = explain(rel, d)
        (explained if e else unexplained).append((d, e))
    missing = sum(1 for d in diffs if d[1] == "pdu" and d[3] == "-")
    extra = sum(1 for d in diffs if d[1] == "pdu" and d[2] == "-")
    mism = len(diffs) - missing - extra
    lines = []
    for _, n in tnotes + rnotes:
        lines.append("#   " + n)
    groups = collections.OrderedDict()
    for (fr, field, tv, rv), e in explained:
        groups.setdefault(e["why"], []).append(fr)
    for why, frames in groups.items():
        lines.append("#   tshark's mistake, frame%s %s (rpcwatch right): %s" % (
            "s" if len(frames) > 1 else "", ",".join(map(str, frames)), why))
    for (fr, field, tv, rv), _ in unexplained:
        lines.append("#   frame %d %s: tshark %s, rpcwatch %s" % (fr, field, tv, rv))
    for why, n in sorted(excluded.items()):
        lines.append("#   %d PDUs %s; not compared" % (n, why))
    for why, n in sorted(info.items()):
        lines.append("#   %d PDUs: %s" % (n, why))
    summary = "%s: %d PDUs matched (%d opnums, %d interfaces, %d binds, %d bind answers, %d faults compared), " \
              "%d missing in rpcwatch, " \
              "%d extra in rpcwatch, %d field mismatches, %d EPM towers with ports, " \
              "%d differences explained as tshark's mistakes" % (
                  rel, matched, checked["opnums"], checked["interfaces"], checked["binds"], checked["acks"],
                  checked["faults"], missing, extra,
                  mism, n_towers, len(explained))
    ok = not unexplained and not [n for fatal, n in tnotes + rnotes if fatal]
    return ok, summary, lines, diffs, not tp and not rp and not excluded


def ctx_str(items):
    return " ".join("%d:%s/v%s" % x for x in sorted(items)) or "-"


def explain(rel, d):
    fr, field, tv, rv = d
    for e in TSHARK_MISTAKES:
        if e["capture"] == rel and e["frame"] == fr and e["field"] == field and e["tshark"] == tv \
                and e["correct"] == rv:
            return e
    return None


# ---- which captures ---------------------------------------------------------------

# Cheap byte-level preselection for hostile/ (running tshark on all ~870 of
# them takes about 7 minutes).  A CO PDU header as both tshark's heuristic
# and rpcwatch accept it (version 5.0/5.1, PTYPE <= 20, drep 0x00/0x10 with
# a known float format and zero reserved bytes, frag_length covering the
# header and the auth trailer), or a CL header (version 4, PTYPE <= 19,
# flags2 < 4) right behind a UDP header whose length is exactly 8 + 80 +
# the CL body length.
_CO = re.compile(rb"\x05[\x00\x01][\x00-\x14][\x00-\xff][\x00\x01\x10\x11][\x00-\x03]\x00\x00", re.S)
_CL = re.compile(rb"\x04[\x00-\x13][\x00-\xff][\x00-\x03][\x00\x01\x10\x11][\x00-\x03]", re.S)


def _u16(b, o, le):
    return b[o] | b[o + 1] << 8 if le else b[o] << 8 | b[o + 1]


def has_dcerpc_bytes(path):
    with open(path, "rb") as f:
        b = f.read()
    for m in _CO.finditer(b):
        s = m.start()
        if len(b) < s + 16:
            continue
        le = b[s + 4] & 0x10
        fl, al = _u16(b, s + 8, le), _u16(b, s + 10, le)
        if fl >= (24 if b[s + 2] in (0, 2, 3) else 16) and (al == 0 or al + 24 <= fl):
            return True
    for m in _CL.finditer(b):
        s = m.start()
        if s >= 8 and len(b) >= s + 76 and (b[s - 4] << 8 | b[s - 3]) == 88 + _u16(b, s + 74, b[s + 4] & 0x10):
            return True
    return False


def discover(capdir, everything):
    """(captures to compare, number of hostile captures left out)"""
    caps, left = [], 0
    for root, dirs, files in os.walk(capdir):
        dirs.sort()
        for fn in sorted(files):
            if fn.endswith((".gz", ".md")) or fn == "SHA256SUMS":
                continue
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, capdir)
            if rel.startswith("hostile" + os.sep) and not everything and not has_dcerpc_bytes(path):
                left += 1
                continue
            caps.append(rel)
    return caps, left


def main(argv):
    jobs, verbose, everything = 2, False, False
    while argv and argv[0].startswith("--"):
        a = argv.pop(0)
        if a == "--jobs":
            jobs = int(argv.pop(0))
        elif a == "--verbose":
            verbose = True
        elif a == "--all":
            everything = True
        else:
            sys.exit("compare.py: unknown option " + a)
    if len(argv) < 2:
        sys.exit(__doc__)
    rpcwatch, capdir, caps = argv[0], argv[1], argv[2:]
    if not caps:
        caps, left = discover(capdir, everything)
        print("# %d captures to compare; %d hostile/ captures left out: no DCE/RPC header bytes in them"
              % (len(caps), left))
    used = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(lambda c: compare(rpcwatch, capdir, c), caps))
    quiet = 0
    for rel, (ok, summary, lines, diffs, nothing) in zip(caps, results):
        for d in diffs:
            e = explain(rel, d)
            if e:
                used.add(id(e))
        if nothing and ok and rel.startswith("hostile" + os.sep):
            quiet += 1	# neither side found a PDU: one summary line for all
            continue
        print(("ok: " if ok else "FAIL: ") + summary)
        if not ok or verbose:
            for ln in lines:
                print(ln)
        else:	# keep the reasons for what was not compared visible
            for ln in lines:
                if "not compared" in ln or "tshark's mistake" in ln or ln.startswith("#   note"):
                    print(ln)
    if quiet:
        print("# %d more hostile/ captures compared: neither tshark nor rpcwatch finds a DCE/RPC PDU in them"
              % quiet)
    for e in TSHARK_MISTAKES:
        if id(e) not in used and e["capture"] in caps:
            print("# note: unused TSHARK_MISTAKES entry %s frame %d %s (tshark version changed?)"
                  % (e["capture"], e["frame"], e["field"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
