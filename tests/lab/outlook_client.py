#!/usr/bin/python3
"""Outlook-like client for the rpcwatch lab, on impacket's DCE/RPC stack.

Asks the endpoint mapper (TCP 135) where the store (EMSMDB) lives with ept_map,
connects to the port it names, binds EMSMDB, logs on (EcDoConnectEx), registers
for push notifications (EcRRegisterPushNotification, opnum 4) with an
rgbContext and a callback SOCKADDR naming its own address (the one its RPC
connection uses: AF_INET, or Windows AF_INET6 = 23 over IPv6) and a UDP port it
listens on, then waits for the server's UDP datagrams and compares each with
the rgbContext.  With --probe IFACE it first maps and connects to another
interface (the address book, NSPI), as Outlook does.

Prints one line per step and ends with "outcome: WORD":
  OK                   registered, and --expect matching notifications arrived
  EPM_UNREACHABLE      no TCP connection to the endpoint mapper
  NOT_REGISTERED       ept_map answered ept_s_not_registered
  DYNAMIC_UNREACHABLE  no TCP connection to the port the endpoint mapper gave
  REGISTER_REFUSED     EcRRegisterPushNotification returned an error
  NO_NOTIFICATIONS     registered, but fewer than --expect datagrams arrived
  ERROR                anything else (the line before says what)
"""
import argparse
import select
import socket
import sys
import time

from impacket.dcerpc.v5.rpcrt import DCERPCException

import labrpc
from labrpc import conn_error, connect, ept_map, log


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--server', required=True, help='Exchange server address (IPv4 or IPv6)')
    ap.add_argument('--timeout', type=float, default=3.5, help='TCP connect timeout, seconds (3.5: 3 SYNs)')
    ap.add_argument('--udp-port', type=int, default=50123, help='UDP port for notifications')
    ap.add_argument('--context', default='72776c61622d6e31', help='rgbContext, hex (8..16 bytes)')
    ap.add_argument('--expect', type=int, default=2, help='notifications to wait for')
    ap.add_argument('--wait', type=float, default=2.5, help='seconds to wait for them')
    ap.add_argument('--probe', choices=['nspi'], help='map and connect to this interface first')
    ap.add_argument('--user-dn', default='/o=RWLAB/ou=Exchange Administrative Group/cn=Recipients/cn=labuser')
    a = ap.parse_args()
    ctx = bytes.fromhex(a.context)
    srv = a.server

    def outcome(w):
        log('outcome: %s' % w)
        sys.exit(0)

    # ---- endpoint mapper ----
    def lookup(name):
        try:
            t, dce = connect(srv, 135, a.timeout)
        except DCERPCException as e:
            log('epm: connect %s:135 failed: %s' % (srv, conn_error(e)))
            outcome('EPM_UNREACHABLE')
        try:
            binding, port = ept_map(dce, labrpc.IFACES[name])
        except LookupError as e:
            log('epm: ept_map %s -> %s' % (name, labrpc.rc_name(e.args[0])))
            dce.disconnect()
            outcome('NOT_REGISTERED')
        dce.disconnect()
        log('epm: ept_map %s -> %s' % (name, binding))
        return port

    if a.probe:
        port = lookup(a.probe)
        try:
            t, dce = connect(srv, port, a.timeout)
            dce.bind(labrpc.uuidtup_to_bin(labrpc.IFACES[a.probe]))
            log('%s: connect %s port %d ok, bound' % (a.probe, srv, port))
            dce.disconnect()
        except DCERPCException as e:
            log('%s: connect %s port %d failed: %s' % (a.probe, srv, port, conn_error(e)))

    port = lookup('emsmdb')

    # ---- the store ----
    try:
        t, dce = connect(srv, port, a.timeout)
    except DCERPCException as e:
        log('emsmdb: connect %s port %d failed: %s' % (srv, port, conn_error(e)))
        outcome('DYNAMIC_UNREACHABLE')
    me = t.get_socket().getsockname()[0]
    log('emsmdb: connect %s port %d ok (from %s)' % (srv, port, me))
    try:
        dce.bind(labrpc.uuidtup_to_bin(labrpc.EMSMDB))
        c = labrpc.EcDoConnectEx()
        c['szUserDN'] = a.user_dn + '\0'
        c['ulFlags'] = 0
        c['ulConMod'] = 0x12345678
        c['cbLimit'] = 0
        c['ulCpid'] = 1252
        c['ulLcidString'] = 0x409
        c['ulLcidSort'] = 0x409
        c['ulIcxrLink'] = 0xffffffff
        c['usFCanConvertCodePages'] = 1
        c['rgwClientVersion0'], c['rgwClientVersion1'], c['rgwClientVersion2'] = 12, 0x1838, 0   # Outlook 2007
        c['pulTimeStamp'] = 0
        c['rgbAuxIn'] = b''
        c['cbAuxIn'] = 0
        c['pcbAuxOut'] = 0x1008
        r = dce.request(c, checkError=False)
        log('emsmdb: EcDoConnectEx -> %s' % labrpc.rc_name(r['ErrorCode']))
        if r['ErrorCode']:
            outcome('ERROR')
        cxh = r['pcxh']

        fam = socket.AF_INET6 if ':' in me else socket.AF_INET
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((me, a.udp_port))
        reg = labrpc.EcRRegisterPushNotification()
        reg['pcxh'] = cxh
        reg['iRpc'] = 0
        reg['rgbContext'] = ctx
        reg['cbContext'] = len(ctx)
        reg['grbitAdviseBits'] = 0xffffffff
        sa = labrpc.sockaddr(me, a.udp_port)
        reg['rgbCallbackAddress'] = sa
        reg['cbCallbackAddress'] = len(sa)
        r = dce.request(reg, checkError=False)
        rc = r['ErrorCode']
        cb = '[%s]:%d' % (me, a.udp_port) if fam == socket.AF_INET6 else '%s:%d' % (me, a.udp_port)
        log('emsmdb: EcRRegisterPushNotification callback udp %s context %s -> %s hNotification %d'
            % (cb, ctx.hex(), labrpc.rc_name(rc), r['hNotification']))

        got = bad = 0
        if rc == 0:
            end = time.monotonic() + a.wait
            while got < a.expect:
                left = end - time.monotonic()
                if left <= 0 or not select.select([u], [], [], left)[0]:
                    break
                data, src = u.recvfrom(2048)
                if data == ctx:
                    got += 1
                else:
                    bad += 1
                log('notify: %d bytes from %s port %d%s' % (len(data), src[0], src[1], '' if data == ctx else ' (not our context)'))
            log('notifications received: %d%s' % (got, ' (+%d not matching)' % bad if bad else ''))
        u.close()

        d = labrpc.EcDoDisconnect()
        d['pcxh'] = cxh
        r = dce.request(d, checkError=False)
        log('emsmdb: EcDoDisconnect -> %s' % labrpc.rc_name(r['ErrorCode']))
        dce.disconnect()
    except (DCERPCException, OSError) as e:
        log('emsmdb: error: %s' % e)
        outcome('ERROR')
    if rc != 0:
        outcome('REGISTER_REFUSED')
    outcome('OK' if got >= a.expect else 'NO_NOTIFICATIONS')


if __name__ == '__main__':
    main()
