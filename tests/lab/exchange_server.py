#!/usr/bin/python3
"""Exchange-like RPC server for the rpcwatch lab, on impacket's DCE/RPC stack.

  * endpoint mapper on TCP 135: ept_map (opnum 3) answers one ncacn_ip_tcp tower
    per --map IFACE=PORT, or ept_s_not_registered (0x16c9a0d6) with no tower for
    an interface it does not know (or for every interface with --not-registered);
  * the store (EMSMDB a4f1db00-ca47-1067-b31f-00dd010662da v0.81) on --emsmdb-port:
    EcDoConnectEx (10) hands out a session handle, EcRRegisterPushNotification (4)
    answers --register-rc (0 ecNone; 0x80040102 ecNotSupported ...) and, when that
    is ecNone, sends --notify UDP datagrams whose payload is the registered
    rgbContext to the registered callback address (MS-OXCRPC 3.1.4.5, MS-OXCNOTIF
    3.1.5.4), each from a fresh socket; EcDoDisconnect (1) ends the session;
  * optionally the address book (NSPI) on --nspi-port, bind only.

Runs until killed.  One line per event on stdout.
"""
import argparse
import socket
import sys
import threading
import time
import uuid
from struct import unpack

from impacket.dcerpc.v5 import epm
from impacket.uuid import bin_to_string

import labrpc
from labrpc import log


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--addr', required=True, help='address to listen on (IPv4 or IPv6)')
    ap.add_argument('--epm', action='store_true', help='serve the endpoint mapper on 135')
    ap.add_argument('--map', action='append', default=[], metavar='IFACE=PORT',
                    help='endpoint map entry: emsmdb=PORT, nspi=PORT')
    ap.add_argument('--not-registered', action='store_true', help='ept_map answers ept_s_not_registered for everything')
    ap.add_argument('--emsmdb-port', type=int, help='serve EMSMDB on this port')
    ap.add_argument('--nspi-port', type=int, help='serve NSPI (bind only) on this port')
    ap.add_argument('--register-rc', type=lambda s: int(s, 0), default=0,
                    help='EcRRegisterPushNotification return code (default 0 ecNone)')
    ap.add_argument('--notify', type=int, default=2, help='UDP notifications to send after a registration')
    ap.add_argument('--notify-delay', type=float, default=0.3, help='seconds before the first notification')
    ap.add_argument('--notify-interval', type=float, default=0.3, help='seconds between notifications')
    a = ap.parse_args()

    emap = {}
    for m in a.map:
        name, port = m.split('=')
        emap[labrpc.uuidtup_to_bin(labrpc.IFACES[name])[:16]] = (name, int(port))
    # towers name the server's IPv4 address, as Windows does; 0.0.0.0 ("the address
    # you asked") when serving IPv6
    tower_ip = '0.0.0.0' if ':' in a.addr else a.addr
    servers = []

    # ---- endpoint mapper ----
    def ept_map(stub):
        req = epm.ept_map(stub)
        tower = epm.EPMTower(b''.join(req['map_tower']['tower_octet_string']))
        floor = tower['Floors'][0]
        want = floor['InterfaceUUID']
        name = '%s v%d.%d' % (bin_to_string(want), floor['MajorVersion'], floor['MinorVersion'])
        hit = None if a.not_registered else emap.get(want)
        r = epm.ept_mapResponse()
        r['entry_handle'] = epm.ept_lookup_handle_t()
        if hit:
            t = labrpc.tcp_tower(labrpc.IFACES[hit[0]], hit[1], tower_ip)
            p = epm.twr_p_t()
            p['tower_length'] = len(t)
            p['tower_octet_string'] = t
            p.fields['ReferentID'] = 3
            r['ITowers'].append(p)
            r['num_towers'] = 1
            r['status'] = 0
            log('epm: ept_map %s v%d.%d -> ncacn_ip_tcp:%s[%d]' % (hit[0], floor['MajorVersion'], floor['MinorVersion'],
                                                                 tower_ip, hit[1]))
        else:
            r['num_towers'] = 0
            r['status'] = labrpc.EPT_S_NOT_REGISTERED
            log('epm: ept_map %s -> ept_s_not_registered' % name)
        r.fields['ITowers'].fields['MaximumCount'] = req['max_towers']
        return r.getData()

    if a.epm:
        s = labrpc.LabDCERPCServer(a.addr, 135)
        s.addCallbacks(labrpc.EPM, '135', {3: ept_map})
        servers.append(s)

    # ---- EMSMDB ----
    sessions = {}
    state = {'hnotif': 0x101}

    def notify(ctx, dst):
        time.sleep(a.notify_delay)
        fam = socket.AF_INET6 if ':' in dst[0] else socket.AF_INET
        for i in range(a.notify):
            u = socket.socket(fam, socket.SOCK_DGRAM)     # a fresh source port per send
            u.bind((a.addr, 0))
            try:
                u.sendto(ctx, dst)
                log('emsmdb: notification %d sent %d bytes %s -> udp %s:%d' % (i + 1, len(ctx), ctx.hex(), dst[0], dst[1]))
            except OSError as e:
                log('emsmdb: notification %d not sent: %s' % (i + 1, e))
            u.close()
            if i + 1 < a.notify:
                time.sleep(a.notify_interval)

    def ec_do_connect_ex(stub):
        req = labrpc.EcDoConnectEx(stub)
        cxh = uuid.uuid4().bytes
        sessions[cxh] = req['szUserDN']
        r = labrpc.EcDoConnectExResponse()
        r['pcxh']['attributes'] = 0
        r['pcxh']['uuid'] = cxh
        r['pcmsPollsMax'] = 60000
        r['pcRetry'] = 6
        r['pcmsRetryDelay'] = 10000
        r['picxr'] = 1
        r['szDNPrefix'] = '/o=RWLAB/ou=Exchange Administrative Group/cn=Recipients/cn=\0'
        r['szDisplayName'] = 'RWLAB-EX1\0'
        r['rgwServerVersion0'], r['rgwServerVersion1'], r['rgwServerVersion2'] = 8, 0x82b4, 3   # Exchange 2007 SP3
        r['rgwBestVersion0'], r['rgwBestVersion1'], r['rgwBestVersion2'] = 8, 0x82b4, 3
        r['pulTimeStamp'] = req['pulTimeStamp']
        r['rgbAuxOut'] = b''
        r['pcbAuxOut'] = 0
        r['ErrorCode'] = 0
        log('emsmdb: EcDoConnectEx %s -> ecNone' % req['szUserDN'].rstrip('\0'))
        return r.getData()

    def ec_register(stub):
        req = labrpc.EcRRegisterPushNotification(stub)
        ctx = labrpc.bytes_of(req['rgbContext'])
        sa = labrpc.bytes_of(req['rgbCallbackAddress'])
        cb = labrpc.parse_sockaddr(sa)
        rc = a.register_rc
        r = labrpc.EcRRegisterPushNotificationResponse()
        r['pcxh'] = req['pcxh']
        r['hNotification'] = 0
        if rc == 0 and not cb:
            rc = 0x80070057       # ecInvalidParam: family not supported
        if rc == 0:
            state['hnotif'] += 1
            r['hNotification'] = state['hnotif']
        r['ErrorCode'] = rc
        log('emsmdb: EcRRegisterPushNotification callback %s context %s -> %s hNotification %d' % (
            '%s %s:%d' % cb if cb else sa.hex(), ctx.hex(), labrpc.rc_name(rc), r['hNotification']))
        if rc == 0 and a.notify > 0:
            dst = (cb[1], cb[2])
            # after the response is on the wire
            srv.after_send = lambda: threading.Thread(target=notify, args=(ctx, dst), daemon=True).start()
        return r.getData()

    def ec_disconnect(stub):
        req = labrpc.EcDoDisconnect(stub)
        sessions.pop(bytes(req['pcxh']['uuid']), None)
        r = labrpc.EcDoDisconnectResponse()
        r['ErrorCode'] = 0
        log('emsmdb: EcDoDisconnect -> ecNone')
        return r.getData()

    if a.emsmdb_port:
        srv = labrpc.LabDCERPCServer(a.addr, a.emsmdb_port)
        srv.addCallbacks(labrpc.EMSMDB, str(a.emsmdb_port), {10: ec_do_connect_ex, 4: ec_register, 1: ec_disconnect})
        servers.append(srv)
    if a.nspi_port:
        n = labrpc.LabDCERPCServer(a.addr, a.nspi_port)
        n.addCallbacks(labrpc.NSPI, str(a.nspi_port), {})
        servers.append(n)

    for s in servers:
        s.start()
    log('exchange_server: listening on %s: %s' % (a.addr, ', '.join(str(s._listenPort) for s in servers)))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
