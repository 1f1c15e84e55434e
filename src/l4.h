/* \summary: helpers shared by the L4 decoders (private to tcp.c, udp.c, icmp*.c) */
#ifndef RPCWATCH_L4_H
#define RPCWATCH_L4_H
#include "decode.h"

/* A header that does not fit: truncated if the snaplen cut the IP datagram,
 * invalid if it does not fit in the declared IP length either. */
static inline enum dec_status l4_short(const struct pkt *p) { return p->ip_clamped ? DEC_TRUNCATED : DEC_INVALID; }

/* Point p->payload at the rest of `c`, with the declared length `declared`. */
static inline void l4_payload(struct pkt *p, struct cur *c, uint32_t declared)
{
	size_t n = cur_left(c);
	if (n > declared)
		n = declared;
	p->payload = cur_take(c, n);
	p->payload_caplen = (uint32_t)n;
	p->payload_len = declared;
	if (n < declared)
		p->l4_clamped = 1;
}
#endif
