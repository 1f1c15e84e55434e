/* \summary: bounded TCP stream reassembly, one direction
 *
 * Delivers the bytes of one TCP direction in sequence order to a callback.
 * Retransmissions and overlaps are trimmed (first copy wins); segments
 * ahead of the next expected byte wait in a small queue.  When the queue
 * would exceed its caps (STREAM_MAX_SEGS segments, STREAM_MAX_BYTES bytes)
 * or a segment's payload was cut by the snaplen, the missing bytes are
 * declared a gap: the callback is told (gap = 1) before the next bytes, so
 * a framer can resynchronise instead of misreading.
 *
 * Ownership: struct stream is owned by its embedding object; queued
 * segment copies are malloc'd and freed by stream_reset()/delivery.
 */
#ifndef RPCWATCH_STREAM_H
#define RPCWATCH_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_MAX_SEGS 32
#define STREAM_MAX_BYTES (256 * 1024)

struct stream_seg {
	struct stream_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

struct stream {
	uint32_t next;		/* next expected sequence number */
	uint8_t init;		/* next is valid */
	uint8_t pending_gap;	/* tell the consumer about a gap before the next bytes */
	uint32_t nq;		/* queued segments */
	size_t qbytes;
	struct stream_seg *q;	/* sorted by seq */
	uint64_t delivered, gaps, gap_bytes, retrans, overlaps, queued;
};

/* Called with in-order bytes; gap = bytes were lost just before these. */
typedef void (*stream_deliver_fn)(void *ctx, const uint8_t *data, size_t len, int gap);

void stream_init(struct stream *s);
void stream_reset(struct stream *s);	/* frees queued segments */

/* Start (or restart) the sequence space: SYN (isn = its seq, next = isn + 1)
 * or a first data segment seen mid-stream (next = its seq). */
void stream_set_next(struct stream *s, uint32_t next);

/* One segment: seq, `caplen` captured payload bytes of `len` declared.
 * syn/fin occupy one sequence number each. */
void stream_segment(struct stream *s, uint32_t seq, const uint8_t *data, uint32_t caplen, uint32_t len,
		    int syn, int fin, stream_deliver_fn cb, void *ctx);

/* Give up on the hole at the head of the queue: declare a gap and deliver
 * what is queued (end of capture, or flow teardown). */
void stream_flush(struct stream *s, stream_deliver_fn cb, void *ctx);

#endif
