/* \summary: TCP header
 * specification: RFC 9293
 *
 *  | source port(16) | destination port(16) |
 *  |            sequence number(32)          |
 *  |         acknowledgment number(32)       |
 *  | offset(4) | res(4) | flags(8) | window(16) |
 *  | checksum(16) | urgent pointer(16) | options ((offset-5)*4) |
 *
 * The 20 fixed bytes are required.  Options and payload may be cut by the
 * snaplen: the header fields stay valid and p->l4_clamped is set.
 */
#include "config.h"
#include "decode.h"
#include "l4.h"

enum dec_status tcp_decode(struct pkt *p, struct cur *c)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	p->seq = cur_be32(c);
	p->ack = cur_be32(c);
	uint8_t off = cur_u8(c);
	p->tcp_flags = cur_u8(c);
	p->win = cur_be16(c);
	cur_skip(c, 4);		/* checksum, urgent pointer */
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_TCP;
		return l4_short(p);
	}
	unsigned hl = (unsigned)(off >> 4) * 4;
	if (hl < 20 || hl > p->l4_len) {
		p->fail_layer = LAYER_TCP;
		return DEC_INVALID;
	}
	p->has_l4 = 1;
	if (!cur_skip(c, hl - 20)) {	/* options cut by the snaplen */
		p->l4_clamped = 1;
		p->payload_len = p->l4_len - hl;
		return DEC_OK;
	}
	l4_payload(p, c, p->l4_len - hl);
	return DEC_OK;
}
