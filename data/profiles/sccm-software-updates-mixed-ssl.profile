# sccm-software-updates-mixed-ssl - ConfigMgr 2007 software updates, mixed mode,
# WSUS with SSL
#
# Site systems on the default web site: HTTP 80 and HTTPS 443 between the
# clients and the management / distribution points.  WSUS on its custom web
# site with SSL: HTTPS 8531 from the clients and the site server.
#
#     rpcwatch check --profile sccm-software-updates-mixed-ssl SITESYSTEM wsus=SUP
#     rpcwatch check --profile sccm-software-updates-mixed-ssl server,wsus=SERVER

name sccm-software-updates-mixed-ssl
description ConfigMgr 2007 software updates, mixed mode, WSUS with SSL: HTTP 80, HTTPS 443 and WSUS 8531

var http_port = 80
var https_port = 443
var wsus_ssl_port = 8531

# role server: management point / distribution point
expect tcp ${http_port} open
hint Allow HTTP ${http_port} from the clients to the management and distribution points.
expect tcp ${https_port} open
hint Allow HTTPS ${https_port} from the clients to the site systems.

role wsus
expect tcp ${wsus_ssl_port} open
hint Allow HTTPS ${wsus_ssl_port} from the clients and the site server to the software update point (WSUS custom web site with SSL).
