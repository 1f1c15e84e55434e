"""Shared pieces of the rpcwatch lab's Exchange-like peers, on impacket's
DCE/RPC stack (run with /usr/bin/python3, Debian's python3-impacket).

EMSMDB (MS-OXCRPC) calls as impacket NDR structures: EcDoConnectEx (opnum 10),
EcRRegisterPushNotification (opnum 4), EcDoDisconnect (opnum 1); endpoint
mapper towers; the Windows SOCKADDR a client registers as its callback
(AF_INET = 2, Windows AF_INET6 = 23); a DCERPCServer that listens on any
address family and answers with clean response headers.
"""
import socket
import struct
import sys
import threading
import traceback
from struct import pack, unpack

from impacket.dcerpc.v5 import epm, rpcrt, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.dcerpc.v5.dtypes import LPSTR, STR, ULONG, USHORT
from impacket.dcerpc.v5.ndr import (NDRCALL, NDRSTRUCT, NDRUniConformantArray,
                                    NDRUniConformantVaryingArray)
from impacket.dcerpc.v5.dtypes import UUID as NDR_UUID
from impacket.uuid import bin_to_uuidtup, uuidtup_to_bin

EMSMDB = ('A4F1DB00-CA47-1067-B31F-00DD010662DA', '0.81')
NSPI = ('F5CC5A18-4264-101A-8C59-08002B2F8426', '56.0')
EPM = ('E1AF8308-5D1F-11C9-91A4-08002B14A0FA', '3.0')
NDR_SYNTAX = ('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0')
IFACES = {'emsmdb': EMSMDB, 'nspi': NSPI}

ecNone = 0x00000000
ecNotSupported = 0x80040102
EPT_S_NOT_REGISTERED = 0x16c9a0d6
RC_NAMES = {ecNone: 'ecNone', ecNotSupported: 'ecNotSupported', 0x80070057: 'ecInvalidParam',
            0x80040305: 'ecTooBig', EPT_S_NOT_REGISTERED: 'ept_s_not_registered'}
WIN_AF_INET6 = 23


def rc_name(rc):
    return RC_NAMES.get(rc, '0x%08x' % rc)


def log(*a):
    print(*a, flush=True)


# ---- NDR: MS-OXCRPC 3.1.4 ----------------------------------------------------------

class CXH(NDRSTRUCT):
    """Session context handle: u32 attributes + UUID (20 bytes)."""
    structure = (
        ('attributes', ULONG),
        ('uuid', NDR_UUID),
    )


class BYTE_CARRAY(NDRUniConformantArray):
    item = 'c'


class BYTE_CVARRAY(NDRUniConformantVaryingArray):
    item = 'c'


class EcDoConnectEx(NDRCALL):
    opnum = 10
    structure = (
        ('szUserDN', STR),
        ('ulFlags', ULONG),
        ('ulConMod', ULONG),
        ('cbLimit', ULONG),
        ('ulCpid', ULONG),
        ('ulLcidString', ULONG),
        ('ulLcidSort', ULONG),
        ('ulIcxrLink', ULONG),
        ('usFCanConvertCodePages', USHORT),
        ('rgwClientVersion0', USHORT),
        ('rgwClientVersion1', USHORT),
        ('rgwClientVersion2', USHORT),
        ('pulTimeStamp', ULONG),
        ('rgbAuxIn', BYTE_CARRAY),
        ('cbAuxIn', ULONG),
        ('pcbAuxOut', ULONG),
    )


class EcDoConnectExResponse(NDRCALL):
    structure = (
        ('pcxh', CXH),
        ('pcmsPollsMax', ULONG),
        ('pcRetry', ULONG),
        ('pcmsRetryDelay', ULONG),
        ('picxr', USHORT),
        ('szDNPrefix', LPSTR),
        ('szDisplayName', LPSTR),
        ('rgwServerVersion0', USHORT),
        ('rgwServerVersion1', USHORT),
        ('rgwServerVersion2', USHORT),
        ('rgwBestVersion0', USHORT),
        ('rgwBestVersion1', USHORT),
        ('rgwBestVersion2', USHORT),
        ('pulTimeStamp', ULONG),
        ('rgbAuxOut', BYTE_CVARRAY),
        ('pcbAuxOut', ULONG),
        ('ErrorCode', ULONG),
    )


class EcRRegisterPushNotification(NDRCALL):
    opnum = 4
    structure = (
        ('pcxh', CXH),
        ('iRpc', ULONG),
        ('rgbContext', BYTE_CARRAY),
        ('cbContext', USHORT),
        ('grbitAdviseBits', ULONG),
        ('rgbCallbackAddress', BYTE_CARRAY),
        ('cbCallbackAddress', USHORT),
    )


class EcRRegisterPushNotificationResponse(NDRCALL):
    structure = (
        ('pcxh', CXH),
        ('hNotification', ULONG),
        ('ErrorCode', ULONG),
    )


class EcDoDisconnect(NDRCALL):
    opnum = 1
    structure = (
        ('pcxh', CXH),
    )


class EcDoDisconnectResponse(NDRCALL):
    structure = (
        ('pcxh', CXH),
        ('ErrorCode', ULONG),
    )


def bytes_of(v):
    """impacket hands byte arrays back as lists of 1-byte strings."""
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return b''.join(x if isinstance(x, bytes) else bytes([x]) for x in v)


# ---- SOCKADDR (MS-OXCRPC 2.2.2.x / rpc-facts 4.5) -------------------------------

def sockaddr(addr, port):
    """Windows SOCKADDR for addr:port: AF_INET (16 bytes) or AF_INET6 = 23 (28 bytes)."""
    if ':' in addr:
        return pack('<H', WIN_AF_INET6) + pack('>H', port) + pack('<L', 0) + \
            socket.inet_pton(socket.AF_INET6, addr) + pack('<L', 0)
    return pack('<H', socket.AF_INET) + pack('>H', port) + socket.inet_aton(addr) + b'\0' * 8


def parse_sockaddr(b):
    """(family name, address, port) from a Windows SOCKADDR, or None."""
    if len(b) < 4:
        return None
    fam = unpack('<H', b[:2])[0]
    port = unpack('>H', b[2:4])[0]
    if fam == socket.AF_INET and len(b) >= 8:
        return ('AF_INET', socket.inet_ntoa(b[4:8]), port)
    if fam in (WIN_AF_INET6, 10) and len(b) >= 24:
        return ('AF_INET6', socket.inet_ntop(socket.AF_INET6, b[8:24]), port)
    return None


# ---- endpoint mapper towers (C706 appendix L; rpc-facts 3.3) ---------------------

def tcp_tower(iface, port, ipv4='0.0.0.0'):
    """5-floor ncacn_ip_tcp tower for iface (uuid, 'maj.min') at ipv4[port]."""
    i = epm.EPMRPCInterface()
    b = uuidtup_to_bin(iface)
    i['InterfaceUUID'] = b[:16]
    i['MajorVersion'] = unpack('<H', b[16:18])[0]
    i['MinorVersion'] = unpack('<H', b[18:20])[0]
    d = epm.EPMRPCDataRepresentation()
    n = uuidtup_to_bin(NDR_SYNTAX)
    d['DataRepUuid'] = n[:16]
    d['MajorVersion'] = unpack('<H', n[16:18])[0]
    d['MinorVersion'] = unpack('<H', n[18:20])[0]
    p = epm.EPMProtocolIdentifier()
    p['ProtIdentifier'] = 0x0b
    t = epm.EPMPortAddr()
    t['IpPort'] = port
    h = epm.EPMHostAddr()
    h['Ip4addr'] = socket.inet_aton(ipv4)
    tower = epm.EPMTower()
    tower['NumberOfFloors'] = 5
    tower['Floors'] = i.getData() + d.getData() + p.getData() + t.getData() + h.getData()
    return tower.getData()


# ---- client side ------------------------------------------------------------------

def conn_error(e):
    """'timed out', 'refused', 'unreachable (...)' from a connect exception."""
    s = str(e)
    if 'timed out' in s:
        return 'timed out'
    if 'refused' in s:
        return 'refused'
    if 'No route to host' in s or 'unreachable' in s:
        return 'unreachable (%s)' % s.split('] ', 1)[-1]
    return s


class Transport(transport.TCPTransport):
    """impacket's TCPTransport.recv(count=N) spins forever when the peer closes."""
    def recv(self, forceRecv=0, count=0):
        if not count:
            return transport.TCPTransport.recv(self, forceRecv, count)
        buf = b''
        while len(buf) < count:
            b = self.get_socket().recv(count - len(buf))
            if not b:
                raise DCERPCException('connection closed by the server')
            buf += b
        return buf


def connect(server, port, timeout):
    t = Transport(server, port)
    t.set_connect_timeout(timeout)
    dce = t.get_dce_rpc()
    dce.connect()
    return t, dce


def ept_map(dce, iface):
    """Port of iface's ncacn_ip_tcp endpoint, or raise LookupError(status)."""
    dce.bind(epm.MSRPC_UUID_PORTMAP)
    req = epm.ept_map()
    tower = tcp_tower(iface, 0, '0.0.0.0')
    req['map_tower']['tower_length'] = len(tower)
    req['map_tower']['tower_octet_string'] = tower
    req['entry_handle'] = epm.ept_lookup_handle_t()
    req['max_towers'] = 4
    req.fields['obj'].fields['ReferentID'] = 1
    req.fields['map_tower'].fields['ReferentID'] = 2
    resp = dce.request(req, checkError=False)
    if resp['status'] != 0 or resp['num_towers'] < 1:
        raise LookupError(resp['status'])
    t = epm.EPMTower(b''.join(resp['ITowers'][0]['Data']['tower_octet_string']))
    return epm.PrintStringBinding(t['Floors']), unpack('>H', t['Floors'][3]['RelatedData'])[0]



# ---- a DCERPCServer on any address, with clean response headers ------------------

class LabDCERPCServer(rpcrt.DCERPCServer):
    """impacket's DCERPCServer listens on IPv4 127.0.0.1 only and copies the request's
    opnum into the response's cancel_count; this one listens on addr:port (v4 or v6)
    and sends cancel_count 0 and alloc_hint = stub length.  One connection at a time."""

    def __init__(self, addr, port):
        rpcrt.DCERPCServer.__init__(self)
        self._sock.close()
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self._sock = socket.socket(fam, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((addr, port))
        self._sock.listen(10)       # listening before anyone is told we are up
        self._listenAddress = addr
        self._listenPort = port
        self.daemon = True
        self.after_send = None      # callable run once the current response is on the wire

    def processRequest(self, data):
        packet = rpcrt.MSRPCHeader(data)
        if packet['type'] == rpcrt.MSRPC_REQUEST:
            request = rpcrt.MSRPCRequestHeader(data)
            cbs = self._listenUUIDS.get(self._boundUUID, {}).get('CallBacks', {})
            if request['op_num'] in cbs:
                stub = cbs[request['op_num']](request['pduData'])
                resp = rpcrt.MSRPCRespHeader()
                resp['type'] = rpcrt.MSRPC_RESPONSE
                resp['flags'] = rpcrt.PFC_FIRST_FRAG | rpcrt.PFC_LAST_FRAG
                resp['call_id'] = request['call_id']
                resp['ctx_id'] = request['ctx_id']
                resp['alloc_hint'] = len(stub)
                resp['auth_data'] = b''
                resp['sec_trailer'] = b''
                resp['pad'] = b''
                resp['pduData'] = stub
                resp['frag_len'] = len(resp)
                return resp
        return rpcrt.DCERPCServer.processRequest(self, data)

    def send(self, data):
        rpcrt.DCERPCServer.send(self, data)
        f, self.after_send = self.after_send, None
        if f:
            f()

    def run(self):
        while True:
            try:
                self._clientSock, address = self._sock.accept()
            except OSError:
                return
            try:
                while True:
                    data = self.recv()
                    if data is None:
                        break
                    answer = self.processRequest(data)
                    if answer is not None:
                        self.send(answer)
            except Exception as e:
                print('server %s:%d: %s: %s' % (self._listenAddress, self._listenPort, type(e).__name__, e),
                      file=sys.stderr, flush=True)
                traceback.print_exc(file=sys.stderr)
            self._clientSock.close()
