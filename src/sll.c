/* \summary: Linux "cooked" capture headers, v1 (DLT_LINUX_SLL) and v2 (DLT_LINUX_SLL2)
 * specification: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
 *                https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
 *
 * SLL  (16): | pkttype(2) | hatype(2) | halen(2) | addr(8) | protocol(2) |
 * SLL2 (20): | protocol(2) | reserved(2) | ifindex(4) | hatype(2) | pkttype(1) | halen(1) | addr(8) |
 *
 * protocol is an ethertype, except for small values (1 = 802.3 frames,
 * 4 = 802.2 LLC, ...) which never carry IP directly.
 */
#include "config.h"
#include "decode.h"

enum dec_status vlan_decode(struct pkt *p, struct cur *c, uint16_t *etype);

static enum dec_status sll_proto(struct pkt *p, struct cur *c, uint16_t proto, uint16_t *etype)
{
	if (proto < 0x0600) {
		*etype = 0;
		return DEC_NOT_IP;
	}
	*etype = proto;
	return vlan_decode(p, c, etype);
}

enum dec_status sll_decode(struct pkt *p, struct cur *c, uint16_t *etype)
{
	cur_skip(c, 14);
	uint16_t proto = cur_be16(c);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_LINK;
		return DEC_TRUNCATED;
	}
	return sll_proto(p, c, proto, etype);
}

enum dec_status sll2_decode(struct pkt *p, struct cur *c, uint16_t *etype)
{
	uint16_t proto = cur_be16(c);
	cur_skip(c, 18);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_LINK;
		return DEC_TRUNCATED;
	}
	return sll_proto(p, c, proto, etype);
}
