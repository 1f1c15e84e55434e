# msmail-dirsync - MS Mail <-> Exchange manual directory synchronization
#
# The requestors and the dirsync server exchange dirsync messages through the
# MS Mail connector and the postoffice shares (\\<server>\MAILDAT$): SMB file
# access (TCP 139 and 445) from the Exchange server running the connector to
# each postoffice server, plus Exchange's own RPC (TCP 135 and the dynamic
# ports the endpoint mapper hands out) for administration.
#
# Progress shows in the Application log as events 4395 (mail sent / moved out)
# and 4355 (mail received / moved in), from SYSTEM1 (Exchange 5.x) or DXA
# (Exchange 2000).  No such events: check the paths below.
#
# Run on the Exchange server that runs the MS Mail connector, against each
# postoffice server:
#     rpcwatch check --profile msmail-dirsync postoffice=POSTOFFICE
# and from the administrator's workstation against the Exchange server:
#     rpcwatch check --profile msmail-dirsync EXCHANGE

name msmail-dirsync
description MS Mail directory synchronization: SMB 139/445 to the postoffice share, RPC 135 and dynamic ports to Exchange

# role server: the Exchange server (administration over RPC)
expect tcp 135 open
hint Allow TCP 135 (RPC endpoint mapper) to the Exchange server.
epm learn
hint Allow the dynamic RPC ports the endpoint mapper hands out (1025-5000 on old Windows, 49152-65535 later), or pin the services' ports and allow those.

# role postoffice: the MS Mail postoffice server holding MAILDAT$
role postoffice
expect tcp 139 open
hint Allow NetBIOS session service TCP 139 from the Exchange server (MS Mail connector) to the postoffice server (share \\<server>\MAILDAT$$).
expect tcp 445 open
hint Allow SMB TCP 445 from the Exchange server (MS Mail connector) to the postoffice server (share \\<server>\MAILDAT$$).
