/* \summary: IPv6 header and extension-header chain
 * specification: RFC 8200 (header, hop-by-hop, routing, fragment, destination
 * options), RFC 4302 (AH), RFC 6275 (mobility), RFC 7401 (HIP), RFC 5533 (shim6)
 *
 *  | ver(4) | traffic class(8) | flow label(20) |
 *  | payload length(16) | next header(8) | hop limit(8) |
 *  | source address (16) | destination address (16) |
 *  extension headers: | next(1) | hdr ext len(1) | ... |   ((len+1)*8 bytes)
 *  fragment header:   | next(1) | res(1) | offset(13) res(2) M(1) | id(4) |
 *  AH:                | next(1) | payload len(1) | ... |    ((len+2)*4 bytes)
 *
 * Every extension header consumes at least 8 bytes, so the walk always
 * advances; it also stops after IPV6_MAX_EXT headers.
 */
#include "config.h"
#include "decode.h"

#define IPV6_MAX_EXT 16

/* Walk extension headers starting at *nh; leaves c at the upper-layer header.
 * Sets *frag / *later for a fragment header.  Shared with the ICMPv6 quote decoder. */
enum dec_status ipv6_ext_walk(struct cur *c, uint8_t *nh, uint8_t *frag, uint8_t *later, uint32_t *ext_bytes);
static int ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case 0: case 43: case 44: case 51: case 60: case 135: case 139: case 140:
		return 1;
	default:
		return 0;	/* upper layer, ESP (50) or no next header (59) */
	}
}

enum dec_status ipv6_ext_walk(struct cur *c, uint8_t *nh, uint8_t *frag, uint8_t *later, uint32_t *ext_bytes)
{
	*ext_bytes = 0;
	for (int i = 0; ipv6_is_ext(*nh); i++) {
		if (i == IPV6_MAX_EXT)
			return DEC_INVALID;	/* absurdly long chain */
		uint8_t next, len;
		size_t hlen;
		if (*nh == 44) {	/* fragment: | next | res | offset(13) res(2) M(1) | id(4) | */
			next = cur_u8(c);
			cur_skip(c, 1);
			uint16_t fo = cur_be16(c);
			cur_skip(c, 4);
			if (!cur_ok(c))
				return DEC_TRUNCATED;
			*frag = 1;
			*nh = next;
			*ext_bytes += 8;
			if (fo >> 3) {
				*later = 1;
				return DEC_OK;	/* no upper-layer header in later fragments */
			}
			continue;
		}
		next = cur_u8(c);
		len = cur_u8(c);
		/* AH counts 4-byte units minus 2; the others 8-byte units minus 1 */
		hlen = *nh == 51 ? ((size_t)len + 2) * 4 : ((size_t)len + 1) * 8;
		if (!cur_ok(c) || !cur_skip(c, hlen - 2))
			return DEC_TRUNCATED;
		*nh = next;
		*ext_bytes += (uint32_t)hlen;
	}
	return DEC_OK;
}

enum dec_status ipv6_decode(struct pkt *p, struct cur *c)
{
	size_t start_left = cur_left(c);
	uint32_t vtcfl = cur_be32(c);
	uint16_t plen = cur_be16(c);
	uint8_t nh = cur_u8(c);
	uint8_t hlim = cur_u8(c);
	const uint8_t *src = cur_take(c, 16);
	const uint8_t *dst = cur_take(c, 16);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_IPV6;
		return DEC_TRUNCATED;
	}
	if ((vtcfl >> 28) != 6) {
		p->fail_layer = LAYER_IPV6;
		return DEC_INVALID;
	}
	p->ipver = 6;
	addr_set6(&p->src, src);
	addr_set6(&p->dst, dst);
	p->ttl = hlim;
	/* payload length 0 means a jumbogram (RFC 2675): use what was captured */
	uint32_t payload = plen ? plen : (uint32_t)(start_left - 40);
	p->ip_len = payload + 40;

	int clamped = 0;
	*c = cur_sub(c, payload, &clamped);
	p->ip_clamped = (uint8_t)clamped;

	uint32_t ext = 0;
	enum dec_status st = ipv6_ext_walk(c, &nh, &p->is_fragment, &p->frag_later, &ext);
	if (st != DEC_OK) {
		p->fail_layer = LAYER_IPV6_EXT;
		/* ran out of bytes inside the declared payload: the lengths disagree */
		return st == DEC_TRUNCATED && !clamped ? DEC_INVALID : st;
	}
	p->proto = nh;
	p->l4_len = payload - ext;
	return DEC_OK;
}
