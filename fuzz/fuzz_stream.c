/* \summary: libFuzzer harness: TCP stream reassembly (src/stream.h) fed segment sequences
 *
 * Input: u32 ISN, then records of 8 bytes:
 *   u8 flags (1 SYN, 2 FIN, 4 snaplen cut, 8 flush, 0x10 restart at ISN+off, 0x20 reset)
 *   u32 sequence offset from the ISN, u16 declared length, u8 bytes cut by the snaplen.
 * Segment bytes are not taken from the input: byte at sequence number s is
 * (s & 0xff), so the consumer can check what it is given.  Oracle: between
 * two gap notices the delivered bytes are consecutive sequence numbers;
 * (a SYN restart and a FIN's sequence number aside); the queue respects its caps
 * (STREAM_MAX_SEGS, STREAM_MAX_BYTES) and its bookkeeping matches the list.
 */
#include <string.h>

#include "fuzz.h"
#include "stream.h"

struct check {
	int have_prev;
	uint8_t prev;
	uint64_t bytes;
};

static const uint8_t *pattern(void);

static void on_data(void *ctx, const uint8_t *d, size_t n, int gap)
{
	struct check *k = ctx;
	FZ_ASSERT(n > 0 && n <= 65536);
	if (gap)
		k->have_prev = 0;
	if (k->have_prev)
		FZ_ASSERT(d[0] == (uint8_t)(k->prev + 1));
	/* consecutive sequence numbers within the chunk */
	FZ_ASSERT(memcmp(d, pattern() + d[0], n) == 0);
	k->prev = d[n - 1];
	k->have_prev = 1;
	k->bytes += n;
}

static void check_queue(const struct stream *s)
{
	uint32_t n = 0;
	size_t b = 0;
	for (const struct stream_seg *g = s->q; g; g = g->next) {
		n++;
		b += g->len;
		if (g->next)
			FZ_ASSERT((int32_t)(g->next->seq - g->seq) >= 0);
	}
	FZ_ASSERT(n == s->nq);
	FZ_ASSERT(b == s->qbytes);
	FZ_ASSERT(s->nq <= STREAM_MAX_SEGS);
	FZ_ASSERT(s->qbytes <= STREAM_MAX_BYTES);
}

/* 0, 1, ..., 255, 0, 1, ...: a segment starting at sequence s copies from offset s & 0xff */
static const uint8_t *pattern(void)
{
	static uint8_t pat[65536 + 256];
	if (!pat[1])
		for (size_t i = 0; i < sizeof pat; i++)
			pat[i] = (uint8_t)i;
	return pat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	uint32_t isn = fz_u32(&z);
	fz_pkt_reset();
	struct stream s;
	stream_init(&s);
	struct check k = {0, 0, 0};
	int steps = 0;
	while (fz_left(&z) >= 8 && steps++ < 256) {
		uint8_t fl = fz_u8(&z);
		uint32_t seq = isn + fz_u32(&z);
		uint32_t len = fz_u16(&z);
		uint32_t cut = fz_u8(&z);
		if (fl & 0x20) {
			stream_reset(&s);
			check_queue(&s);
			continue;
		}
		if (fl & 0x10) {
			stream_set_next(&s, seq);
			k.have_prev = 0;	/* a restart is a discontinuity the caller chose */
			continue;
		}
		if (fl & 0x08) {
			stream_flush(&s, on_data, &k);
			FZ_ASSERT(s.q == NULL && s.nq == 0 && s.qbytes == 0);
			continue;
		}
		uint32_t caplen = (fl & 4) ? (cut < len ? len - cut : 0) : len;
		int syn = (fl & 1) != 0, fin = (fl & 2) != 0;
		uint32_t first = syn ? seq + 1 : seq;	/* sequence number of data byte 0 */
		/* exact-size copy, gone after the call (fuzz.h: fz_pkt_new) */
		uint8_t *buf = fz_pkt_new(pattern() + (first & 0xff), caplen);
		FZ_ASSERT(buf);
		if (syn && (!s.init || (int32_t)(seq + 1 - s.next) > 0))
			k.have_prev = 0;	/* the stream restarts at this SYN */
		stream_segment(&s, seq, buf, caplen, len, syn, fin, on_data, &k);
		if (fin)	/* the FIN takes a sequence number: data sent past it skips one */
			k.have_prev = 0;
		fz_pkt_free(buf);
		check_queue(&s);
	}
	stream_flush(&s, on_data, &k);
	FZ_ASSERT(s.nq == 0 && s.qbytes == 0);
	FZ_ASSERT(k.bytes == s.delivered);
	stream_reset(&s);
	return 0;
}
