# sccm-software-updates-native-ssl - ConfigMgr 2007 software updates, native
# mode with SSL
#
# Native mode: the site systems on the default web site take HTTPS 443 from
# the clients; WSUS on its custom web site with SSL takes HTTPS 8531.
#
#     rpcwatch check --profile sccm-software-updates-native-ssl SITESYSTEM wsus=SUP
#     rpcwatch check --profile sccm-software-updates-native-ssl server,wsus=SERVER

name sccm-software-updates-native-ssl
description ConfigMgr 2007 software updates, native mode: HTTPS 443 and WSUS 8531

var https_port = 443
var wsus_ssl_port = 8531

# role server: management point / distribution point
expect tcp ${https_port} open
hint Allow HTTPS ${https_port} from the clients to the management and distribution points (native mode).

role wsus
expect tcp ${wsus_ssl_port} open
hint Allow HTTPS ${wsus_ssl_port} from the clients and the site server to the software update point (WSUS custom web site with SSL).
