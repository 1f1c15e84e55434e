/* \summary: Ethernet II / 802.3 LLC-SNAP and 802.1Q/802.1ad VLAN tags
 * specification: IEEE 802.3, IEEE 802.1Q (0x8100), 802.1ad (0x88a8),
 * pre-standard QinQ (0x9100, 0x9200), RFC 1042 (SNAP)
 *
 *   0      6      12     14
 *   | dst  | src  | type | payload        (type >= 0x0600)
 *   | dst  | src  | len  | AA AA 03 | OUI(3) | type | payload   (802.3 + SNAP)
 *   VLAN tag: | TCI (2) | inner type (2) |
 */
#include "config.h"
#include "decode.h"

#define ETH_HDR_LEN 14
#define VLAN_MAX_KEPT 2
#define VLAN_MAX_STACK 8	/* more nested tags than this is treated as invalid */

static int is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200; }

/* Consume any VLAN tags at the cursor; *etype in/out.  Shared with SLL. */
enum dec_status vlan_decode(struct pkt *p, struct cur *c, uint16_t *etype);
enum dec_status vlan_decode(struct pkt *p, struct cur *c, uint16_t *etype)
{
	unsigned depth = 0;
	while (is_vlan_tpid(*etype)) {
		if (++depth > VLAN_MAX_STACK) {
			p->fail_layer = LAYER_VLAN;
			return DEC_INVALID;
		}
		uint16_t tci = cur_be16(c);
		uint16_t inner = cur_be16(c);
		if (!cur_ok(c)) {
			p->fail_layer = LAYER_VLAN;
			return DEC_TRUNCATED;
		}
		if (p->nvlan < VLAN_MAX_KEPT)
			p->vlan[p->nvlan] = tci & 0x0fff;
		if (p->nvlan < 255)
			p->nvlan++;
		*etype = inner;
	}
	p->ethertype = *etype;
	return DEC_OK;
}

enum dec_status ether_decode(struct pkt *p, struct cur *c, uint16_t *etype)
{
	if (!cur_skip(c, 12)) {
		p->fail_layer = LAYER_LINK;
		return DEC_TRUNCATED;
	}
	uint16_t t = cur_be16(c);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_LINK;
		return DEC_TRUNCATED;
	}
	if (t < 0x0600) {
		/* 802.3 length field: only LLC/SNAP carries an ethertype */
		const uint8_t *llc = cur_take(c, 3);
		if (!llc) {
			p->fail_layer = LAYER_LINK;
			return DEC_TRUNCATED;
		}
		if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03) {
			*etype = 0;
			return DEC_NOT_IP;
		}
		cur_skip(c, 3);	/* OUI */
		t = cur_be16(c);
		if (!cur_ok(c)) {
			p->fail_layer = LAYER_LINK;
			return DEC_TRUNCATED;
		}
	}
	*etype = t;
	return vlan_decode(p, c, etype);
}
