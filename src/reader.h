/* \summary: capture file reader: merged time order, decoded, optionally in a thread
 *
 * The reader takes opened libpcap handles (one per file), reads them in
 * merged time order - the earliest next packet first, on a tie the file added
 * first, as mergecap does - and hands out each packet decoded (decode_packet)
 * together with the end of every file, in exactly the order a single loop
 * reading them would.
 *
 * With threaded = 1, libpcap reading, copying and decoding run in a second
 * thread that fills batches ahead of the caller (about 1 MiB in flight);
 * the caller's analysis runs beside it on the other CPU.  The sequence of
 * items is the same either way, so output does not depend on it.  The
 * thread takes no asynchronous signal (rw_thread_start, sigwake.h).
 *
 * Ownership: reader_add() takes the pcap_t; the reader closes it at the end of
 * that file or in reader_free().  An item, its struct pkt and the bytes its
 * payload and data point to belong to the reader and stay valid until the
 * next reader_next() or reader_free().  The reader is used from one thread (the
 * caller's); the worker thread is internal.
 */
#ifndef RPCWATCH_READER_H
#define RPCWATCH_READER_H

#include <pcap/pcap.h>

#include "decode.h"

enum rd_kind {
	RD_PACKET,	/* p holds a decoded packet of file `file` */
	RD_END,		/* file `file` ended normally */
	RD_ERROR,	/* file `file` stopped with a read error: reader_errmsg() */
};

struct rd_item {
	enum rd_kind kind;
	unsigned file;
	struct pkt p;	/* RD_PACKET: frame (1-based across all files), ts_us, lengths, decode */
	const uint8_t *data;	/* RD_PACKET: the captured bytes (p.caplen), which p.payload points into */
};

struct reader;

/* A reader of at most `nfiles` files.  NULL when out of memory. */
struct reader *reader_new(unsigned nfiles);

/* Add the next file (index = number of files added before) and read its
 * first packet now.  1: it has one; 0: it is empty; -1: read error
 * (reader_errmsg(r, index) says which).  The handle is the reader's from here;
 * pc NULL (a file that could not be opened) keeps the numbering and gives 0. */
int reader_add(struct reader *r, pcap_t *pc, int linktype);

/* Call fn(ctx, p) on every decoded packet right after decode_packet(), in
 * the reading thread (threaded: the worker, so fn must only read state that
 * the caller does not change meanwhile), e.g. flow_table_pkt_hash().
 * Before reader_start(). */
void reader_set_prepare(struct reader *r, void (*fn)(void *ctx, struct pkt *p), void *ctx);

/* After the last reader_add(): start reading (threaded: in a worker thread,
 * falls back to the caller's thread if one cannot be created).  */
void reader_start(struct reader *r, int threaded);

/* The next item, or NULL when every file has ended. */
const struct rd_item *reader_next(struct reader *r);

/* The item `ahead` places after the last one reader_next() returned, if it
 * is already decoded (threaded: in the same batch), else NULL.  For
 * prefetching only: reader_next() hands it out later as usual. */
const struct rd_item *reader_peek(const struct reader *r, size_t ahead);

/* libpcap's message for a file that ended with RD_ERROR or reader_add() -1. */
const char *reader_errmsg(const struct reader *r, unsigned file);

/* Stop the worker (if running), close every handle still open, free. */
void reader_free(struct reader *r);

#endif
