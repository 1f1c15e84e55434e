/* \summary: frame decoder entry point: DLT dispatch
 *
 * Link types: EN10MB (802.1Q/802.1ad/QinQ), LINUX_SLL, LINUX_SLL2,
 * RAW / IPV4 / IPV6 (version nibble), NULL (host byte order, either) and
 * LOOP (network byte order).
 */
#include "config.h"
#include "decode.h"

#include <pcap/pcap.h>
#include <string.h>

int decode_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

enum dec_status decode_packet(int dlt, const uint8_t *data, struct pkt *p)
{
	uint64_t frame = p->frame, ts = p->ts_us;
	uint32_t caplen = p->caplen, wirelen = p->wirelen;
	memset(p, 0, sizeof *p);
	p->frame = frame;
	p->ts_us = ts;
	p->caplen = caplen;
	p->wirelen = wirelen;

	struct cur c;
	cur_init(&c, data, caplen);
	uint16_t etype = 0;
	enum dec_status st;

	switch (dlt) {
	case DLT_EN10MB:
		st = ether_decode(p, &c, &etype);
		break;
	case DLT_LINUX_SLL:
		st = sll_decode(p, &c, &etype);
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		st = sll2_decode(p, &c, &etype);
		break;
#endif
	case DLT_NULL:
		st = null_decode(p, &c, &etype, 0);
		break;
	case DLT_LOOP:
		st = null_decode(p, &c, &etype, 1);
		break;
	case DLT_RAW:
		st = DEC_OK;
		etype = 0;	/* ip_decode picks v4/v6 by the version nibble */
		break;
#ifdef DLT_IPV4
	case DLT_IPV4:		/* these two promise one version: anything else is invalid */
		st = DEC_OK;
		etype = p->ethertype = 0x0800;
		break;
	case DLT_IPV6:
		st = DEC_OK;
		etype = p->ethertype = 0x86dd;
		break;
#endif
	default:
		p->fail_layer = LAYER_LINK;
		p->status = DEC_UNSUPPORTED_LINK;
		return p->status;
	}
	if (st == DEC_OK)
		st = ip_decode(p, &c, etype);
	p->status = st;
	return st;
}

const char *decode_layer_name(enum dec_layer l)
{
	static const char *const names[LAYER__COUNT] = {
		[LAYER_NONE] = "none",	   [LAYER_LINK] = "link",	  [LAYER_VLAN] = "vlan",
		[LAYER_IPV4] = "ipv4",	   [LAYER_IPV6] = "ipv6",	  [LAYER_IPV6_EXT] = "ipv6-ext",
		[LAYER_TCP] = "tcp",	   [LAYER_UDP] = "udp",		  [LAYER_ICMP] = "icmp",
		[LAYER_ICMP6] = "icmp6",   [LAYER_ICMP_QUOTE] = "icmp-quote",
	};
	return (unsigned)l < LAYER__COUNT && names[l] ? names[l] : "?";
}
