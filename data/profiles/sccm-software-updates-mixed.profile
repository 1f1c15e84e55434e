# sccm-software-updates-mixed - ConfigMgr 2007 software updates, mixed mode,
# WSUS without SSL
#
# Site systems (management point, distribution point) on the default web site
# take HTTP 80 from the clients.  WSUS on the software update point runs on its
# custom web site: HTTP 8530 from the clients and from the site server.
#
# Run from a client (or the site server, for the WSUS part):
#     rpcwatch check --profile sccm-software-updates-mixed SITESYSTEM wsus=SUP
# When one server holds both roles:
#     rpcwatch check --profile sccm-software-updates-mixed server,wsus=SERVER

name sccm-software-updates-mixed
description ConfigMgr 2007 software updates, mixed mode, WSUS without SSL: HTTP 80 and WSUS 8530

var http_port = 80
var wsus_port = 8530   # WSUS custom web site (the default web site would be 80)

# role server: management point / distribution point
expect tcp ${http_port} open
hint Allow HTTP ${http_port} from the clients to the management and distribution points (site systems on the default web site, mixed mode).

role wsus
expect tcp ${wsus_port} open
hint Allow HTTP ${wsus_port} from the clients and the site server to the software update point (WSUS custom web site).
