/* \summary: network-layer demultiplexer: ethertype / version nibble -> IPv4/IPv6 -> L4 */
#include "config.h"
#include "decode.h"

enum dec_status ip_decode(struct pkt *p, struct cur *c, uint16_t etype)
{
	enum dec_status st;

	if (etype == 0) {	/* raw IP: the version nibble decides */
		uint8_t b;
		if (!cur_peek_u8(c, cur_off(c), &b)) {
			p->fail_layer = LAYER_IPV4;
			return DEC_TRUNCATED;
		}
		etype = (b >> 4) == 6 ? 0x86dd : 0x0800;
		p->ethertype = etype;
	}
	if (etype == 0x0800)
		st = ipv4_decode(p, c);
	else if (etype == 0x86dd)
		st = ipv6_decode(p, c);
	else
		return DEC_NOT_IP;
	if (st != DEC_OK || p->frag_later)
		return st;

	switch (p->proto) {
	case PROTO_TCP:
		return tcp_decode(p, c);
	case PROTO_UDP:
		return udp_decode(p, c);
	case PROTO_ICMP:
		return p->ipver == 4 ? icmp_decode(p, c) : DEC_OK;
	case PROTO_ICMP6:
		return p->ipver == 6 ? icmp6_decode(p, c) : DEC_OK;
	default:
		return DEC_OK;	/* IP decoded; other upper-layer protocols are counted only */
	}
}
