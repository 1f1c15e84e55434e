# exchange-calcon - Exchange 2007 calendar connector (free/busy with Lotus Domino)
#
# The calendar connector ("Microsoft Exchange Free Busy Connector for Lotus
# Domino", service MSExchangeCalCon) sends and receives free/busy requests over
# RPC.  Through a firewall that needs TCP 135 (the endpoint mapper) AND all
# ports above 1024 - unless the RPC ports are pinned.  Pin them, then open
# only 135 and the pinned ports:
#
#   On the Exchange server, two DWORD values under
#     HKLM\System\CurrentControlSet\Services\MSExchangeCalCon\Parameters
#       NotesCal.Exchange CalCon RPC Port   the connector's port (e.g. 45001)
#       NotesCal.Notes ExCalCon RPC Port    the Lotus Notes side's port (e.g. 45001)
#   Any unused port above 1024 (netstat -an shows what is taken); 0 means "let
#   the endpoint mapper pick a dynamic port above 1024".  Restart the service
#   "Microsoft Exchange Free Busy Connector for Lotus Domino".
#
#   On Domino:  Excalcon q    then
#     LOAD EXCALCON <exchangeserver> <calendarsystem> <exchange_calcon_port> <notes_excalcon_port> <debug_flag>
#     e.g. LOAD EXCALCON exchange ExchangeFreeBusy 45001 45001 1
#
#   With logging high, event 6001 from MSExchangeNotesCal logs
#   CONFIG_NOTES_NOTES_EXCALCON_RPC_PORT: 45001 - proof the pinned port took effect.
#
# Run from the Domino side (or a host in its network) against the Exchange server:
#     rpcwatch check --profile exchange-calcon EXCHANGE
#     rpcwatch check --profile exchange-calcon --set calcon_port=45002 EXCHANGE
# and from the Exchange server against Domino's ExCalCon port:
#     rpcwatch check --profile exchange-calcon domino=DOMINO

name exchange-calcon
description Exchange calendar connector (free/busy with Lotus Domino): TCP 135 and the pinned connector port

var calcon_port = 45001   # NotesCal.Exchange CalCon RPC Port
var notes_port = 45001    # NotesCal.Notes ExCalCon RPC Port

# role server: the Exchange server running the calendar connector
expect tcp 135 open
hint Allow TCP 135 (RPC endpoint mapper) to the Exchange server; the connector's clients ask it where the connector listens.
expect tcp ${calcon_port} open
hint Allow TCP ${calcon_port} to the Exchange server.  If nothing listens there (closed), check that "NotesCal.Exchange CalCon RPC Port" under HKLM\System\CurrentControlSet\Services\MSExchangeCalCon\Parameters is ${calcon_port} and restart the Free Busy Connector service; event 6001 (MSExchangeNotesCal) confirms the port.

# role domino: the Domino server running EXCALCON
role domino
expect tcp ${notes_port} open
hint Allow TCP ${notes_port} to the Domino server, and load the task with that port: LOAD EXCALCON <exchangeserver> <calendarsystem> ${calcon_port} ${notes_port} <debug_flag> ("Excalcon q" stops it first).
