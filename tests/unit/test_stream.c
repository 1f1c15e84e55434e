/* \summary: unit tests for bounded TCP stream reassembly (src/stream.c)
 *
 * Every segment is handed to stream_segment() from an exact-size heap copy
 * of its captured bytes, so AddressSanitizer reports a read past them, and
 * the copy is freed right after the call, so anything the stream keeps must
 * be its own copy.  Run under ASan/LSan to check that queued segments are
 * freed on every path (delivery, flush, reset, restart).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "stream.h"

/* ---- recording consumer --------------------------------------------------------------- */

#define OUT_MAX (2u * 1024 * 1024)
#define CHUNK_MAX 4096

struct chunk {
	size_t off, len;	/* where in out[] */
	int gap;
};

struct out {
	uint8_t *b;		/* every delivered byte, concatenated */
	size_t n;
	struct chunk c[CHUNK_MAX];
	size_t nc;
};

static void on_data(void *ctx, const uint8_t *d, size_t n, int gap)
{
	struct out *o = ctx;
	assert_non_null(d);
	assert_true(n > 0);
	assert_true(o->n + n <= OUT_MAX);
	assert_true(o->nc < CHUNK_MAX);
	memcpy(o->b + o->n, d, n);
	o->c[o->nc].off = o->n;
	o->c[o->nc].len = n;
	o->c[o->nc].gap = gap;
	o->nc++;
	o->n += n;
}

static struct out *out_new(void)
{
	struct out *o = calloc(1, sizeof *o);
	assert_non_null(o);
	o->b = malloc(OUT_MAX);
	assert_non_null(o->b);
	return o;
}

static void out_free(struct out *o)
{
	free(o->b);
	free(o);
}

/* Number of chunks delivered with gap = 1. */
static size_t out_gaps(const struct out *o)
{
	size_t k = 0;
	for (size_t i = 0; i < o->nc; i++)
		k += o->c[i].gap != 0;
	return k;
}

/* ---- segments ---------------------------------------------------------------------------- */

/* Byte at sequence number q of a test stream: a function of q alone, so any
 * reordering, duplication or loss shows in the output. */
static uint8_t sbyte(uint32_t q) { return (uint8_t)((q * 131u) ^ (q >> 8) ^ 0x5a); }

/* Segment [seq, seq+len) of the test stream with `cap` bytes captured; flags syn/fin. */
static void seg_full(struct stream *s, struct out *o, uint32_t seq, uint32_t cap, uint32_t len, int syn, int fin)
{
	uint8_t *p = malloc(cap ? cap : 1);
	assert_non_null(p);
	uint32_t first = seq + (syn ? 1u : 0u);	/* data on a SYN follows the SYN's number */
	for (uint32_t i = 0; i < cap; i++)
		p[i] = sbyte(first + i);
	stream_segment(s, seq, cap ? p : NULL, cap, len, syn, fin, on_data, o);
	free(p);
}

static void seg(struct stream *s, struct out *o, uint32_t seq, uint32_t len) { seg_full(s, o, seq, len, len, 0, 0); }

/* A segment with arbitrary contents. */
static void seg_bytes(struct stream *s, struct out *o, uint32_t seq, const void *data, uint32_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, data, len);
	stream_segment(s, seq, p, len, len, 0, 0, on_data, o);
	free(p);
}

/* out[from .. from+len) holds the test stream's bytes [seq, seq+len). */
static void assert_stream_bytes(const struct out *o, size_t from, uint32_t seq, size_t len)
{
	assert_true(from + len <= o->n);
	for (size_t i = 0; i < len; i++)
		if (o->b[from + i] != sbyte(seq + (uint32_t)i))
			fail_msg("byte %zu (seq %u): got 0x%02x want 0x%02x", from + i, seq + (uint32_t)i,
				 o->b[from + i], sbyte(seq + (uint32_t)i));
}

static void assert_chunk(const struct out *o, size_t i, size_t len, int gap)
{
	assert_true(i < o->nc);
	assert_int_equal(o->c[i].len, len);
	assert_int_equal(o->c[i].gap, gap);
}

static void assert_queue_empty(const struct stream *s)
{
	assert_null(s->q);
	assert_int_equal(s->nq, 0);
	assert_int_equal(s->qbytes, 0);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_in_order(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	assert_int_equal(s.init, 0);
	stream_set_next(&s, 1000);
	assert_int_equal(s.init, 1);
	assert_int_equal(s.next, 1000);

	seg(&s, o, 1000, 100);
	seg(&s, o, 1100, 1);
	seg(&s, o, 1101, 1460);
	assert_int_equal(o->nc, 3);
	assert_chunk(o, 0, 100, 0);
	assert_chunk(o, 1, 1, 0);
	assert_chunk(o, 2, 1460, 0);
	assert_int_equal(o->n, 1561);
	assert_stream_bytes(o, 0, 1000, 1561);
	assert_int_equal(s.next, 2561);
	assert_int_equal(s.delivered, 1561);
	assert_int_equal(s.gaps, 0);
	assert_int_equal(s.retrans, 0);
	assert_int_equal(s.queued, 0);

	/* an empty segment (pure ACK) changes nothing */
	seg(&s, o, 2561, 0);
	assert_int_equal(o->nc, 3);
	assert_int_equal(s.next, 2561);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* Without stream_set_next, the first data segment starts the sequence space (mid-stream capture). */
static void test_first_segment_starts_stream(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	seg(&s, o, 0x40000000u, 50);
	assert_int_equal(s.init, 1);
	assert_int_equal(s.next, 0x40000000u + 50);
	assert_int_equal(o->nc, 1);
	assert_chunk(o, 0, 50, 0);
	assert_stream_bytes(o, 0, 0x40000000u, 50);
	/* bytes before the first one seen are old, not a gap */
	seg(&s, o, 0x40000000u - 20, 20);
	assert_int_equal(o->nc, 1);
	assert_int_equal(s.retrans, 1);
	assert_int_equal(s.gaps, 0);
	stream_reset(&s);
	out_free(o);
}

static void test_retransmission(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 5000);
	seg(&s, o, 5000, 100);
	seg(&s, o, 5100, 100);
	assert_int_equal(o->n, 200);

	/* whole segment again, with different bytes: ignored */
	static const uint8_t junk[100] = {0xee};
	seg_bytes(&s, o, 5000, junk, 100);
	assert_int_equal(s.retrans, 1);
	/* a piece inside what was delivered */
	seg_bytes(&s, o, 5150, junk, 50);
	assert_int_equal(s.retrans, 2);
	/* ending exactly at next */
	seg_bytes(&s, o, 5190, junk, 10);
	assert_int_equal(s.retrans, 3);
	assert_int_equal(o->nc, 2);
	assert_int_equal(o->n, 200);
	assert_stream_bytes(o, 0, 5000, 200);
	assert_int_equal(s.delivered, 200);
	assert_int_equal(s.next, 5200);

	/* a queued (out-of-order) segment sent twice is queued once */
	seg(&s, o, 5300, 100);
	seg(&s, o, 5300, 100);
	seg(&s, o, 5300, 60);	/* shorter copy of the same start */
	assert_int_equal(s.nq, 1);
	assert_int_equal(s.qbytes, 100);
	assert_int_equal(s.queued, 1);
	assert_int_equal(s.retrans, 5);
	seg(&s, o, 5200, 100);
	assert_int_equal(o->n, 400);
	assert_stream_bytes(o, 0, 5000, 400);
	assert_int_equal(out_gaps(o), 0);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* First copy wins: an overlapping segment only contributes the bytes past `next`. */
static void test_overlap_first_copy_wins(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	uint8_t a[10], b[10];
	memset(a, 'A', sizeof a);
	memset(b, 'B', sizeof b);
	seg_bytes(&s, o, 0, a, 10);
	seg_bytes(&s, o, 5, b, 10);	/* [5,15): only [10,15) is new */
	assert_int_equal(o->n, 15);
	assert_memory_equal(o->b, "AAAAAAAAAABBBBB", 15);
	assert_int_equal(o->nc, 2);
	assert_chunk(o, 1, 5, 0);
	assert_int_equal(s.overlaps, 1);
	assert_int_equal(s.retrans, 0);
	assert_int_equal(s.next, 15);

	/* re-segmented retransmission of queued data: every byte exactly once, in order */
	stream_reset(&s);
	stream_set_next(&s, 1000);
	o->n = o->nc = 0;
	seg(&s, o, 1030, 20);	/* [1030,1050) */
	seg(&s, o, 1020, 20);	/* [1020,1040) overlaps it */
	seg(&s, o, 1045, 15);	/* [1045,1060) */
	assert_int_equal(s.nq, 3);
	seg(&s, o, 1000, 25);	/* [1000,1025) fills the hole and overlaps the queue head */
	assert_int_equal(o->n, 60);
	assert_stream_bytes(o, 0, 1000, 60);
	assert_int_equal(out_gaps(o), 0);
	assert_int_equal(s.next, 1060);
	assert_true(s.overlaps >= 3);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	seg(&s, o, 200, 100);
	seg(&s, o, 100, 100);
	assert_int_equal(o->nc, 0);
	assert_int_equal(s.nq, 2);
	assert_int_equal(s.qbytes, 200);
	assert_int_equal(s.queued, 2);
	assert_non_null(s.q);
	assert_int_equal(s.q->seq, 100);	/* sorted by sequence number */
	assert_non_null(s.q->next);
	assert_int_equal(s.q->next->seq, 200);

	seg(&s, o, 0, 100);
	assert_int_equal(o->nc, 3);
	assert_chunk(o, 0, 100, 0);
	assert_chunk(o, 1, 100, 0);
	assert_chunk(o, 2, 100, 0);
	assert_stream_bytes(o, 0, 0, 300);
	assert_int_equal(s.next, 300);
	assert_int_equal(s.gaps, 0);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* More than STREAM_MAX_SEGS segments waiting: the hole before the first run is a gap. */
static void test_gap_segment_cap(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	/* hole [0,100); run A [100,200) in 10 segments; hole [200,300); run B from 300 */
	for (uint32_t i = 0; i < 10; i++)
		seg(&s, o, 100 + 10 * i, 10);
	uint32_t nb = STREAM_MAX_SEGS - 10;
	for (uint32_t i = 0; i < nb; i++)
		seg(&s, o, 300 + 10 * i, 10);
	assert_int_equal(s.nq, STREAM_MAX_SEGS);
	assert_int_equal(o->nc, 0);	/* at the cap, still waiting */
	assert_int_equal(s.gaps, 0);

	seg(&s, o, 300 + 10 * nb, 10);	/* one more: over the cap */
	assert_int_equal(s.gaps, 1);
	assert_int_equal(s.gap_bytes, 100);
	assert_int_equal(o->n, 100);	/* run A only */
	assert_int_equal(o->nc, 10);
	assert_chunk(o, 0, 10, 1);	/* told before the first bytes after the hole */
	for (size_t i = 1; i < 10; i++)
		assert_chunk(o, i, 10, 0);
	assert_stream_bytes(o, 0, 100, 100);
	assert_int_equal(s.next, 200);
	assert_int_equal(s.nq, nb + 1);

	/* the second hole arrives: everything else follows without a gap */
	seg(&s, o, 200, 100);
	assert_int_equal(s.gaps, 1);
	assert_int_equal(o->n, 100 + 100 + 10 * (nb + 1));
	assert_stream_bytes(o, 100, 200, 100 + 10 * (nb + 1));
	assert_int_equal(out_gaps(o), 1);
	assert_queue_empty(&s);

	/* the first hole's bytes arriving late are old data */
	seg(&s, o, 0, 100);
	assert_int_equal(s.retrans, 1);
	assert_int_equal(out_gaps(o), 1);
	stream_reset(&s);
	out_free(o);
}

/* More than STREAM_MAX_BYTES waiting: same, triggered by bytes. */
static void test_gap_byte_cap(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 7);
	const uint32_t sz = 40000, base = 7 + 1000;
	uint32_t k = 0;
	while ((k + 1) * (size_t)sz <= STREAM_MAX_BYTES) {
		seg(&s, o, base + k * sz, sz);
		k++;
	}
	assert_int_equal(s.qbytes, (size_t)k * sz);
	assert_int_equal(o->nc, 0);
	seg(&s, o, base + k * sz, sz);	/* now over STREAM_MAX_BYTES */
	k++;
	assert_int_equal(s.gaps, 1);
	assert_int_equal(s.gap_bytes, 1000);
	assert_int_equal(o->nc, k);
	assert_chunk(o, 0, sz, 1);
	assert_chunk(o, 1, sz, 0);
	assert_int_equal(o->n, (size_t)k * sz);
	assert_stream_bytes(o, 0, base, (size_t)k * sz);
	assert_int_equal(s.next, base + k * sz);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* caplen < len: the captured part is delivered, the rest is a gap before the next bytes. */
static void test_snaplen_cut(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	seg_full(&s, o, 0, 60, 100, 0, 0);
	assert_int_equal(o->nc, 1);
	assert_chunk(o, 0, 60, 0);
	assert_stream_bytes(o, 0, 0, 60);
	assert_int_equal(s.gaps, 1);
	assert_int_equal(s.gap_bytes, 40);
	assert_int_equal(s.next, 100);
	assert_int_equal(s.pending_gap, 1);

	seg(&s, o, 100, 50);
	assert_int_equal(o->nc, 2);
	assert_chunk(o, 1, 50, 1);
	assert_stream_bytes(o, 60, 100, 50);
	seg(&s, o, 150, 50);
	assert_chunk(o, 2, 50, 0);

	/* nothing captured at all: the whole segment is a gap */
	seg_full(&s, o, 200, 0, 30, 0, 0);
	assert_int_equal(o->nc, 3);
	assert_int_equal(s.gaps, 2);
	assert_int_equal(s.gap_bytes, 70);
	assert_int_equal(s.next, 230);
	seg(&s, o, 230, 5);
	assert_chunk(o, 3, 5, 1);

	/* a cut segment overlapping delivered data: only the new captured bytes */
	seg_full(&s, o, 230, 15, 20, 0, 0);	/* [230,250), captured [230,245) */
	assert_int_equal(o->nc, 5);
	assert_chunk(o, 4, 10, 0);
	assert_stream_bytes(o, o->c[4].off, 235, 10);
	assert_int_equal(s.gap_bytes, 75);
	assert_int_equal(s.next, 250);

	/* caplen larger than len is clamped */
	seg_full(&s, o, 250, 10, 10, 0, 0);
	assert_chunk(o, 5, 10, 1);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* A snaplen-cut segment ahead of the stream is not queued; the hole before it is a gap. */
static void test_snaplen_cut_ahead(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	seg_full(&s, o, 100, 30, 50, 0, 0);	/* [100,150) captured [100,130); hole [0,100) */
	assert_int_equal(o->nc, 1);
	assert_chunk(o, 0, 30, 1);
	assert_stream_bytes(o, 0, 100, 30);
	assert_int_equal(s.gaps, 2);
	assert_int_equal(s.gap_bytes, 100 + 20);
	assert_int_equal(s.next, 150);
	seg(&s, o, 150, 10);
	assert_chunk(o, 1, 10, 1);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

/* Queued data that lies before a snaplen-cut segment arriving ahead of the
 * stream must still be delivered (it was captured). */
static void test_snaplen_cut_ahead_keeps_queue(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	seg(&s, o, 100, 50);			/* queued: [100,150) */
	seg_full(&s, o, 200, 50, 100, 0, 0);	/* cut, ahead: [200,300) captured [200,250) */
	/* want: gap, [100,150), gap, [200,250), gap */
	assert_int_equal(o->nc, 2);
	assert_chunk(o, 0, 50, 1);
	assert_stream_bytes(o, 0, 100, 50);
	assert_chunk(o, 1, 50, 1);
	assert_stream_bytes(o, 50, 200, 50);
	assert_int_equal(s.gap_bytes, 100 + 50 + 50);
	assert_int_equal(s.next, 300);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

static void test_wraparound(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0xfffffff0u);
	seg(&s, o, 0x00000008u, 16);	/* after the wrap: ahead, queued */
	seg(&s, o, 0xfffffff8u, 16);	/* crosses 2^32: also ahead */
	assert_int_equal(s.nq, 2);
	assert_int_equal(s.q->seq, 0xfffffff8u);	/* sorted modulo 2^32 */
	seg(&s, o, 0xfffffff0u, 8);
	assert_int_equal(o->nc, 3);
	assert_int_equal(o->n, 40);
	assert_stream_bytes(o, 0, 0xfffffff0u, 40);
	assert_int_equal(s.next, 0x18u);
	assert_int_equal(out_gaps(o), 0);
	/* old data from before the wrap is a retransmission, not the far future */
	seg(&s, o, 0xfffffff0u, 16);
	assert_int_equal(s.retrans, 1);
	assert_int_equal(o->n, 40);

	/* a gap across the wrap */
	stream_reset(&s);
	stream_set_next(&s, 0xffffff00u);
	o->n = o->nc = 0;
	seg(&s, o, 0x00000100u, 10);
	stream_flush(&s, on_data, o);
	assert_int_equal(s.gap_bytes, 0x200);
	assert_chunk(o, 0, 10, 1);
	assert_int_equal(s.next, 0x10au);
	stream_reset(&s);
	out_free(o);
}

static void test_syn_with_data(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	const uint32_t isn = 0x12345678u;
	seg_full(&s, o, isn, 20, 20, 1, 0);	/* SYN carrying 20 bytes (TFO) */
	assert_int_equal(s.init, 1);
	assert_int_equal(s.next, isn + 1 + 20);
	assert_int_equal(o->nc, 1);
	assert_chunk(o, 0, 20, 0);
	assert_stream_bytes(o, 0, isn + 1, 20);
	/* the SYN retransmitted: its data is old, the stream is not restarted */
	seg_full(&s, o, isn, 20, 20, 1, 0);
	assert_int_equal(s.next, isn + 21);
	assert_int_equal(o->nc, 1);
	assert_int_equal(s.retrans, 1);
	seg(&s, o, isn + 21, 10);
	assert_int_equal(o->n, 30);
	assert_stream_bytes(o, 0, isn + 1, 30);

	/* a bare SYN, then data at ISN+1 */
	stream_reset(&s);
	stream_init(&s);
	o->n = o->nc = 0;
	seg_full(&s, o, 99, 0, 0, 1, 0);
	assert_int_equal(s.next, 100);
	assert_int_equal(o->nc, 0);
	seg(&s, o, 100, 5);
	assert_chunk(o, 0, 5, 0);
	assert_stream_bytes(o, 0, 100, 5);
	/* a SYN after a mid-stream start (first data seen before the handshake) restarts the space */
	stream_reset(&s);
	stream_init(&s);
	o->n = o->nc = 0;
	seg(&s, o, 1000, 10);
	seg(&s, o, 3000, 10);	/* queued */
	assert_int_equal(s.nq, 1);
	seg_full(&s, o, 5000, 0, 0, 1, 0);	/* a new connection's SYN further on */
	assert_int_equal(s.next, 5001);
	assert_queue_empty(&s);	/* the old queue was freed */
	stream_reset(&s);
	out_free(o);
}

static void test_fin(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 100);
	seg_full(&s, o, 100, 10, 10, 0, 1);	/* data + FIN */
	assert_int_equal(o->n, 10);
	assert_int_equal(s.next, 111);	/* FIN takes one sequence number */
	seg_full(&s, o, 110, 0, 0, 0, 1);	/* FIN retransmitted */
	assert_int_equal(s.next, 111);
	assert_int_equal(o->n, 10);

	/* bare FIN */
	stream_reset(&s);
	stream_set_next(&s, 500);
	seg_full(&s, o, 500, 0, 0, 0, 1);
	assert_int_equal(s.next, 501);

	/* FIN while a hole is open does not move next */
	stream_reset(&s);
	stream_set_next(&s, 0);
	o->n = o->nc = 0;
	seg(&s, o, 10, 10);
	seg_full(&s, o, 20, 0, 0, 0, 1);
	assert_int_equal(s.next, 0);
	seg(&s, o, 0, 10);
	assert_int_equal(o->n, 20);
	assert_stream_bytes(o, 0, 0, 20);
	assert_int_equal(out_gaps(o), 0);

	/* a bare FIN at `next` while later data waits in the queue: not the end of the stream */
	stream_reset(&s);
	stream_set_next(&s, 0);
	o->n = o->nc = 0;
	seg(&s, o, 0, 10);
	seg(&s, o, 20, 10);
	seg_full(&s, o, 10, 0, 0, 0, 1);
	assert_int_equal(s.next, 10);
	seg(&s, o, 10, 10);
	assert_int_equal(o->n, 30);
	assert_stream_bytes(o, 0, 0, 30);
	assert_int_equal(out_gaps(o), 0);
	stream_reset(&s);
	out_free(o);
}

static void test_flush(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	stream_flush(&s, on_data, o);	/* nothing queued: nothing happens */
	assert_int_equal(o->nc, 0);
	assert_int_equal(s.gaps, 0);

	seg(&s, o, 0, 10);
	seg(&s, o, 20, 10);	/* hole [10,20) */
	seg(&s, o, 30, 10);
	seg(&s, o, 50, 10);	/* hole [40,50) */
	seg(&s, o, 60, 5);
	assert_int_equal(o->nc, 1);
	assert_int_equal(s.nq, 4);
	stream_flush(&s, on_data, o);
	assert_int_equal(s.gaps, 2);
	assert_int_equal(s.gap_bytes, 20);
	assert_int_equal(o->nc, 5);
	assert_chunk(o, 1, 10, 1);
	assert_chunk(o, 2, 10, 0);
	assert_chunk(o, 3, 10, 1);
	assert_chunk(o, 4, 5, 0);
	assert_stream_bytes(o, 10, 20, 20);
	assert_stream_bytes(o, 30, 50, 15);
	assert_int_equal(s.next, 65);
	assert_queue_empty(&s);
	/* and the stream goes on afterwards */
	seg(&s, o, 65, 5);
	assert_chunk(o, 5, 5, 0);
	stream_reset(&s);
	out_free(o);
}

/* Queued copies are freed by reset and by a restart; LSan checks nothing leaks. */
static void test_queue_freed(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	stream_set_next(&s, 0);
	for (uint32_t i = 0; i < 20; i++)
		seg(&s, o, 1000 + 100 * i, 50);
	assert_int_equal(s.nq, 20);
	assert_int_equal(s.qbytes, 1000);
	stream_reset(&s);
	assert_queue_empty(&s);
	assert_int_equal(s.next, 0);	/* reset frees; it does not move the stream */
	assert_int_equal(s.init, 1);

	for (uint32_t i = 0; i < 5; i++)
		seg(&s, o, 2000 + 100 * i, 50);
	assert_int_equal(s.nq, 5);
	stream_set_next(&s, 9000);	/* restart frees too */
	assert_queue_empty(&s);
	assert_int_equal(s.next, 9000);

	for (uint32_t i = 0; i < 3; i++)
		seg(&s, o, 9100 + 100 * i, 50);
	stream_reset(&s);
	stream_reset(&s);	/* twice is harmless */
	assert_queue_empty(&s);
	assert_int_equal(o->nc, 0);
	out_free(o);
}

/* Many random-order arrivals of one stream, with duplicates: delivered once, in order, all freed. */
static void test_shuffled(void **state)
{
	(void)state;
	struct stream s;
	struct out *o = out_new();
	stream_init(&s);
	const uint32_t base = 0xffff0000u;	/* crosses the wrap too */
	stream_set_next(&s, base);
	enum { N = 24, SZ = 3000 };
	uint32_t order[N];
	for (uint32_t i = 0; i < N; i++)
		order[i] = i;
	uint32_t x = 12345;
	for (uint32_t i = N - 1; i > 0; i--) {
		x = x * 1103515245u + 12345u;
		uint32_t j = (x >> 16) % (i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (uint32_t i = 0; i < N; i++) {
		seg(&s, o, base + order[i] * SZ, SZ);
		if (i % 3 == 0)
			seg(&s, o, base + order[i] * SZ, SZ);	/* duplicate */
	}
	assert_int_equal(o->n, (size_t)N * SZ);
	assert_stream_bytes(o, 0, base, (size_t)N * SZ);
	assert_int_equal(out_gaps(o), 0);
	assert_int_equal(s.next, base + N * SZ);
	assert_queue_empty(&s);
	stream_reset(&s);
	out_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_first_segment_starts_stream),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_first_copy_wins),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_gap_segment_cap),
		cmocka_unit_test(test_gap_byte_cap),
		cmocka_unit_test(test_snaplen_cut),
		cmocka_unit_test(test_snaplen_cut_ahead),
		cmocka_unit_test(test_snaplen_cut_ahead_keeps_queue),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_syn_with_data),
		cmocka_unit_test(test_fin),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_queue_freed),
		cmocka_unit_test(test_shuffled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
