#!/usr/bin/python3
"""Client for the rpcwatch lab's Samba scenarios, on impacket's DCE/RPC stack.

Asks the endpoint mapper on TCP 135 (samba-dcerpcd) where an interface lives
(ept_map, ncacn_ip_tcp; srvsvc by default), connects to the dynamic port it
names, binds the interface and makes one anonymous call (srvsvc
NetrServerGetInfo level 101, or wkssvc NetrWkstaGetInfo level 100).

Prints one line per step and ends with "outcome: WORD": OK, EPM_UNREACHABLE,
NOT_REGISTERED, DYNAMIC_UNREACHABLE or ERROR (as outlook_client.py).
"""
import argparse
import sys

from impacket.dcerpc.v5 import srvs, wkst
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import bin_to_uuidtup

from labrpc import conn_error, connect, ept_map, log, rc_name

IFACES = {
    'srvsvc': (srvs.MSRPC_UUID_SRVS, lambda d: srvs.hNetrServerGetInfo(d, 101)['InfoStruct']['ServerInfo101']['sv101_name']),
    'wkssvc': (wkst.MSRPC_UUID_WKST, lambda d: wkst.hNetrWkstaGetInfo(d, 100)['WkstaInfo']['WkstaInfo100']['wki100_computername']),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--server', required=True)
    ap.add_argument('--iface', choices=sorted(IFACES), default='srvsvc')
    ap.add_argument('--timeout', type=float, default=3.5, help='TCP connect timeout, seconds (3.5: 3 SYNs)')
    a = ap.parse_args()

    def outcome(w):
        log('outcome: %s' % w)
        sys.exit(0)

    uuid, call = IFACES[a.iface]
    try:
        t, dce = connect(a.server, 135, a.timeout)
    except DCERPCException as e:
        log('epm: connect %s:135 failed: %s' % (a.server, conn_error(e)))
        outcome('EPM_UNREACHABLE')
    try:
        binding, port = ept_map(dce, bin_to_uuidtup(uuid))
    except LookupError as e:
        log('epm: ept_map %s -> %s' % (a.iface, rc_name(e.args[0])))
        outcome('NOT_REGISTERED')
    dce.disconnect()
    log('epm: ept_map %s -> %s' % (a.iface, binding))

    try:
        t, dce = connect(a.server, port, a.timeout)
    except DCERPCException as e:
        log('%s: connect %s port %d failed: %s' % (a.iface, a.server, port, conn_error(e)))
        outcome('DYNAMIC_UNREACHABLE')
    log('%s: connect %s port %d ok' % (a.iface, a.server, port))
    try:
        dce.bind(uuid)
        name = call(dce)
        log('%s: server name %s' % (a.iface, name.rstrip('\0').strip()))
        dce.disconnect()
    except (DCERPCException, OSError) as e:
        log('%s: error: %s' % (a.iface, e))
        outcome('ERROR')
    outcome('OK')


if __name__ == '__main__':
    main()
