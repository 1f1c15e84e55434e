/* \summary: IPv4 header
 * specification: RFC 791
 *
 *  0       4       8              16      19                      31
 *  | ver | ihl | TOS |       total length                           |
 *  |      identification         |flags|   fragment offset          |
 *  |  TTL  | protocol |          header checksum                    |
 *  |                        source address                          |
 *  |                     destination address                        |
 *  |                    options (ihl*4 - 20)                         |
 *
 * The L4 window is clamped to total length (drops Ethernet padding) and to
 * what was captured.  total length 0 is accepted as "unknown" (TSO
 * captures on the sending host) and the captured length is used.
 */
#include "config.h"
#include "decode.h"

enum dec_status ipv4_decode(struct pkt *p, struct cur *c)
{
	size_t start_left = cur_left(c);
	uint8_t vihl = cur_u8(c);
	cur_skip(c, 1);			/* TOS */
	uint16_t tot = cur_be16(c);
	uint16_t ipid = cur_be16(c);
	uint16_t fo = cur_be16(c);
	uint8_t ttl = cur_u8(c);
	uint8_t proto = cur_u8(c);
	cur_skip(c, 2);			/* checksum */
	const uint8_t *src = cur_take(c, 4);
	const uint8_t *dst = cur_take(c, 4);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_IPV4;
		return DEC_TRUNCATED;
	}
	unsigned hl = (unsigned)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || hl < 20 || (tot != 0 && tot < hl)) {
		p->fail_layer = LAYER_IPV4;
		return DEC_INVALID;
	}
	p->ipver = 4;
	addr_set4(&p->src, src);
	addr_set4(&p->dst, dst);
	p->ttl = ttl;
	p->ip_id = ipid;
	p->proto = proto;
	p->ip_len = tot ? tot : (uint32_t)start_left;
	if (!cur_skip(c, hl - 20)) {	/* options */
		p->fail_layer = LAYER_IPV4;
		return DEC_TRUNCATED;
	}
	uint16_t off = fo & 0x1fff;
	p->is_fragment = (fo & 0x2000) || off;
	p->frag_later = off != 0;

	int clamped = 0;
	uint32_t l4 = p->ip_len - hl;
	*c = cur_sub(c, l4, &clamped);
	p->ip_clamped = (uint8_t)clamped;
	p->l4_len = l4;
	return DEC_OK;
}
