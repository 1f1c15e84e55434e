/* \summary: bounded TCP stream reassembly, one direction (see stream.h)
 * specification: RFC 9293 3.4 (sequence numbers, modulo 2^32 comparison)
 */
#include "config.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>

static inline int32_t sdiff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

void stream_init(struct stream *s) { memset(s, 0, sizeof *s); }

void stream_reset(struct stream *s)
{
	struct stream_seg *g = s->q;
	while (g) {
		struct stream_seg *n = g->next;
		free(g);
		g = n;
	}
	s->q = NULL;
	s->nq = 0;
	s->qbytes = 0;
}

void stream_set_next(struct stream *s, uint32_t next)
{
	stream_reset(s);
	s->next = next;
	s->init = 1;
}

static void deliver(struct stream *s, const uint8_t *p, size_t n, stream_deliver_fn cb, void *ctx)
{
	if (!n)
		return;
	int gap = s->pending_gap;
	s->pending_gap = 0;
	s->delivered += n;
	cb(ctx, p, n, gap);
}

/* Deliver in-sequence data [seq, seq+len) of which `cap` bytes are present. */
static void take(struct stream *s, uint32_t seq, const uint8_t *p, uint32_t cap, uint32_t len,
		 stream_deliver_fn cb, void *ctx)
{
	int32_t skip = sdiff(s->next, seq);	/* bytes already delivered */
	if (skip < 0 || (uint32_t)skip >= len)
		return;
	if (skip > 0)
		s->overlaps++;
	uint32_t off = (uint32_t)skip;
	if (off < cap)
		deliver(s, p + off, cap - off, cb, ctx);
	if (cap < len) {	/* snaplen cut the payload: the rest is lost */
		s->pending_gap = 1;
		s->gaps++;
		s->gap_bytes += len - (off > cap ? off : cap);
	}
	s->next = seq + len;
}

/* Deliver queued segments that have become contiguous. */
static void drain(struct stream *s, stream_deliver_fn cb, void *ctx)
{
	while (s->q && sdiff(s->q->seq, s->next) <= 0) {
		struct stream_seg *g = s->q;
		s->q = g->next;
		s->nq--;
		s->qbytes -= g->len;
		take(s, g->seq, g->data, g->len, g->len, cb, ctx);
		free(g);
	}
}

static void jump_gap(struct stream *s, stream_deliver_fn cb, void *ctx)
{
	if (!s->q)
		return;
	s->gaps++;
	s->gap_bytes += (uint32_t)sdiff(s->q->seq, s->next);
	s->pending_gap = 1;
	s->next = s->q->seq;
	drain(s, cb, ctx);
}

void stream_flush(struct stream *s, stream_deliver_fn cb, void *ctx)
{
	while (s->q)
		jump_gap(s, cb, ctx);
}

static void enqueue(struct stream *s, uint32_t seq, const uint8_t *p, uint32_t cap)
{
	struct stream_seg **pp = &s->q;
	while (*pp && sdiff((*pp)->seq, seq) < 0)
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= cap) {
		s->retrans++;
		return;	/* same segment again */
	}
	struct stream_seg *g = malloc(sizeof *g + cap);
	if (!g)
		return;	/* the hole will be declared a gap */
	g->seq = seq;
	g->len = cap;
	memcpy(g->data, p, cap);
	g->next = *pp;
	*pp = g;
	s->nq++;
	s->qbytes += cap;
	s->queued++;
}

void stream_segment(struct stream *s, uint32_t seq, const uint8_t *data, uint32_t caplen, uint32_t len,
		    int syn, int fin, stream_deliver_fn cb, void *ctx)
{
	if (caplen > len)
		caplen = len;
	if (syn) {
		if (!s->init || sdiff(seq + 1, s->next) > 0)
			stream_set_next(s, seq + 1);
		seq++;	/* data on a SYN follows the SYN's sequence number */
	}
	if (!s->init)
		stream_set_next(s, seq);
	if (len) {
		int32_t d = sdiff(seq, s->next);
		if (d <= 0) {
			if (sdiff(seq + len, s->next) <= 0)
				s->retrans++;
			else
				take(s, seq, data, caplen, len, cb, ctx);
			drain(s, cb, ctx);
		} else if (caplen == len) {
			enqueue(s, seq, data, caplen);
			while (s->nq > STREAM_MAX_SEGS || s->qbytes > STREAM_MAX_BYTES)
				jump_gap(s, cb, ctx);
		} else {
			/* ahead of the stream and cut by the snaplen: not worth queueing.
			 * What is queued before it was captured: deliver that first. */
			while (s->q && sdiff(s->q->seq, seq) < 0)
				jump_gap(s, cb, ctx);
			d = sdiff(seq, s->next);
			if (d > 0) {
				s->gaps++;
				s->pending_gap = 1;
				s->gap_bytes += (uint32_t)d;
				s->next = seq;
			}
			take(s, seq, data, caplen, len, cb, ctx);
			drain(s, cb, ctx);
		}
	}
	if (fin && s->q == NULL && sdiff(seq + len, s->next) == 0)
		s->next++;
}
