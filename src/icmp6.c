/* \summary: ICMPv6
 * specification: RFC 4443 (errors 1-4 quote "as much of the invoking packet
 * as possible"), RFC 4443 3.1 codes (1 = administratively prohibited,
 * 5 = source address failed ingress/egress policy, 6 = reject route)
 *
 *  | type(8) | code(8) | checksum(16) | rest of header (4) | quoted IPv6 packet |
 */
#include "config.h"
#include "decode.h"
#include "l4.h"

enum dec_status icmp6_decode(struct pkt *p, struct cur *c)
{
	p->icmp_type = cur_u8(c);
	p->icmp_code = cur_u8(c);
	cur_skip(c, 6);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_ICMP6;
		return l4_short(p);
	}
	p->has_l4 = 1;
	p->icmp_is_error = p->icmp_type >= 1 && p->icmp_type <= 4;
	struct cur body = *c;
	l4_payload(p, c, p->l4_len >= 8 ? p->l4_len - 8 : 0);
	if (p->icmp_is_error)
		icmp_quote_decode(&p->q, &body);
	return DEC_OK;
}
