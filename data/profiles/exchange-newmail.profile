# exchange-newmail - Exchange 2000/2003 new-mail notifications to Outlook (UDP)
#
# Symptom: Outlook shows new mail only when the user changes folders, or about
# once a minute - without a working notification, Outlook polls the server
# every minute.
#
# How it works: Outlook asks the endpoint mapper (TCP 135) for the store,
# binds EMSMDB a4f1db00-ca47-1067-b31f-00dd010662da on the port it is given,
# and registers a callback with opnum 0x4 (EcRRegisterPushNotification).  Each
# new-mail notification is then a UDP datagram FROM THE SERVER TO THE CLIENT,
# to a port the client chose (1024 and up).  The server answers opnum 0x4 with
# success whether or not the client was really registered: only the UDP
# datagrams prove that notifications arrive.
#
# Two common causes:
#  1. The server cannot register the client.  On Exchange 2000: a transport
#     listed under HKLM\SYSTEM\CurrentControlSet\Services\Winsock\Parameters\Transports
#     has no matching service key - remove the stale value and restart.  A
#     client-side trace shows EcOpenSocketAndRegisterForNotifications failing
#     with ecNotSupported / MAPI_E_NO_SUPPORT (0x80040102).  (rpcwatch analyze
#     on a capture of the logon shows the registration and its answer.)
#  2. The datagrams do not reach the client: a router that does not pass UDP
#     between server and client, a firewall blocking UDP from the server to
#     the client's ports 1024 and up, or a VPN client (Cisco VPN client before
#     4.0) that disables Winsock notifications in the Outlook profile
#     (PR_DISABLE_WINSOCK, property 0x00036618 = 1).
#
# The check is a pair, because the two directions start at opposite ends:
#   on the client (Outlook's side), against the Exchange server:
#       rpcwatch check --profile exchange-newmail EXCHANGE
#   on the client, so the UDP probes get a definite answer:
#       rpcwatch responder -p 1024,5000,49152,65535     (the client_ports below)
#   on the Exchange server, against that client:
#       rpcwatch check --profile exchange-newmail client=CLIENT
# Outlook's real notification port is in the registration
# (rpcwatch analyze shows "callback udp ADDR:PORT"); check it with
#       --set client_ports=PORT

name exchange-newmail
description Exchange new-mail notifications: TCP 135, the store's port from the endpoint mapper, UDP from the server to the client

# The ends of the old (1024-5000) and current (49152-65535) ephemeral ranges;
# the client's responder must listen on these ports.
var client_ports = 1024,5000,49152,65535

# role server: the Exchange server, probed from the client
expect tcp 135 open
hint Allow TCP 135 (RPC endpoint mapper) from the clients to the Exchange server.
epm expect emsmdb open
hint Allow the port the endpoint mapper hands out for the store (EMSMDB) from the clients to the Exchange server: the dynamic RPC range (1025-5000 on Windows 2003, 49152-65535 later), or pin the store's port and allow that one.

# role client: the Outlook client, probed from the Exchange server
role client
expect udp-to-client ${client_ports} open
hint Allow UDP from the Exchange server to the client's ports 1024-65535 (routers and firewalls between them, and the client's own firewall).  On VPN clients check that PR_DISABLE_WINSOCK (0x00036618) is not 1 in the Outlook profile (Cisco VPN client before 4.0 sets it).
