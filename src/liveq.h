/* \summary: a capture read in its own thread into a bounded queue (watch -i)
 *
 * The screen's thread snapshots the model and redraws; a snapshot of a few
 * thousand endpoints takes tens of milliseconds.  Read from that same thread,
 * the kernel's buffer has to hold everything that arrives meanwhile, and a
 * 16 MiB buffer overflowed at 230 kpps (bench/README, Live).  A liveq takes
 * the packets off the kernel in a thread of its own, as soon as libpcap hands
 * them over, and keeps them in chunks of memory until the caller takes them.
 *
 *   struct liveq *q = liveq_start(p, max_bytes, &dec or NULL, err, errlen);
 *   poll(liveq_fd(q)) ... ; while (liveq_next(q, &pkt) == 1) use(pkt);
 *   liveq_stop(q);
 *
 * Order: packets come out exactly in libpcap's order.  Bounded: when
 * max_bytes of packets wait, the reading thread waits too and the kernel's
 * buffer fills, so losses are the kernel's and pcap_stats() counts them, as
 * without the thread.  An offline pcap_t (a file) is read to its end, which
 * then reads like a stopped capture (the tests use this).
 *
 * Threads.  liveq_start() starts one thread that alone calls libpcap on p
 * (pcap_dispatch and, every LIVEQ_STATS_MS, pcap_stats) until liveq_stop();
 * meanwhile the caller must not use p.  It has every asynchronous signal
 * blocked (they go to the caller's thread); SIGSEGV, SIGBUS, SIGFPE, SIGILL
 * and SIGABRT stay deliverable.  All other functions are for the one caller
 * thread.
 *
 * Ownership.  The queue does not own p: after liveq_stop() the caller still
 * closes it (and may call pcap_stats on it again).  A packet from
 * liveq_next() stays valid until the next liveq_next() or liveq_stop().
 */
#ifndef RPCWATCH_LIVEQ_H
#define RPCWATCH_LIVEQ_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define LIVEQ_STATS_MS 250
#define LIVEQ_CHUNK (1u << 20)	/* bytes per chunk of queued packets */

struct liveq;

struct liveq_pkt {
	uint64_t ts_us;
	uint32_t caplen, len;
	const uint8_t *data;
	struct pkt *p;		/* with decoding: the packet decoded (its payload points into data);
				 * the caller may change it.  NULL without decoding. */
};

/* Decoding in the reading thread (optional): right after a packet is
 * queued, decode_packet() with linktype, then prepare(ctx, p) if set (e.g.
 * model_prepare: it must only read what the caller's thread does not
 * change).  Each queued packet then also takes sizeof(struct pkt) of the
 * queue's bytes. */
struct liveq_decode {
	int linktype;
	void (*prepare)(void *ctx, struct pkt *p);
	void *ctx;
};

/* Start reading p (live: pcap_setnonblock(p, 1) is called; the thread
 * polls the device, at least every 50 ms, so it sees liveq_stop() and hands
 * over the last packets of a burst as soon as the device has no more).
 * max_bytes (raised to two chunks) bounds the memory of waiting packets.
 * dec: decode in the thread (copied; NULL: packets as captured only).
 * NULL with a message in err if it cannot start. */
struct liveq *liveq_start(pcap_t *p, size_t max_bytes, const struct liveq_decode *dec, char *err, size_t errlen);

/* A descriptor that polls readable when packets were queued while the
 * queue was empty, or when the reading ended.  Drain it with liveq_next()
 * until it returns 0 or -1 (liveq_next() empties the descriptor). */
int liveq_fd(const struct liveq *q);

/* The next packet: 1, 0 when none waits now, -1 when the reading ended and
 * everything read was taken (liveq_error() says why). */
int liveq_next(struct liveq *q, struct liveq_pkt *out);

/* Packets are waiting (liveq_next() would return 1). */
int liveq_pending(const struct liveq *q);

/* The reading thread's last pcap_stats() (every LIVEQ_STATS_MS): 0, or -1
 * when it has none (an offline pcap_t, or pcap_stats failed). */
int liveq_stats(struct liveq *q, struct pcap_stat *st);

/* Why the reading ended: libpcap's message, or "" (end of file, or stopped). */
const char *liveq_error(struct liveq *q);

/* Bytes queued at the worst moment so far (for the tests and the notes). */
size_t liveq_peak_bytes(struct liveq *q);

/* Stop the thread (pcap_breakloop), wait for it, free the queue.  NULL is
 * fine. */
void liveq_stop(struct liveq *q);

#endif
