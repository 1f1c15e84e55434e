/* \summary: UDP header
 * specification: RFC 768
 *
 *  | source port(16) | destination port(16) | length(16) | checksum(16) |
 *
 * The payload length is MIN(UDP length, IP payload length) - 8.  A UDP
 * length of 0 is allowed for IPv6 jumbograms and means "the IP payload".
 */
#include "config.h"
#include "decode.h"
#include "l4.h"

enum dec_status udp_decode(struct pkt *p, struct cur *c)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	uint16_t ulen = cur_be16(c);
	cur_skip(c, 2);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_UDP;
		return l4_short(p);
	}
	/* length 0 only means "the IP payload" in an IPv6 jumbogram (RFC 2675) */
	uint32_t len = ulen ? ulen : (p->ipver == 6 ? p->l4_len : 0);
	/* a first fragment's UDP length covers the whole datagram, not this fragment */
	if (len < 8 || (len > p->l4_len && !p->is_fragment)) {
		p->fail_layer = LAYER_UDP;
		return DEC_INVALID;
	}
	if (len > p->l4_len)
		len = p->l4_len;
	p->has_l4 = 1;
	l4_payload(p, c, len - 8);
	return DEC_OK;
}
