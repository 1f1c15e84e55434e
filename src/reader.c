/* \summary: capture file reader: merged time order, decoded, optionally in a thread
 *
 * One routine, step(), decides the order: it first reads the next packet of
 * the file whose packet went out last (reporting that file's end or error
 * right there, as a plain read loop would), then hands out the earliest
 * packet of all files.  Unthreaded, reader_next() calls it and decodes the
 * packet in libpcap's own buffer.  Threaded, a worker calls it, copies each
 * packet into a batch (RD_BATCH_ITEMS items, RD_BATCH_BYTES of packet bytes),
 * decodes it there and passes full batches through a ring of RD_NBATCH; the
 * caller takes them in order.  A batch is written only by the worker until
 * published and only read by the caller until released, so the one mutex
 * guards just the ring counters.  A side signals only when the other one is
 * waiting, and a worker that found the ring full sleeps until RD_REFILL
 * batches are free: on a VM a wake-up costs an interrupt to the other CPU, and
 * waking the worker for every batch released cost the caller a tenth of its time.
 */
#include "config.h"
#include "reader.h"
#include "sigwake.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RD_BATCH_ITEMS 512
#define RD_BATCH_BYTES (256u * 1024u)	/* libpcap's largest snapshot length */
#define RD_NBATCH 8
#define RD_REFILL (RD_NBATCH / 2)	/* a worker that found the ring full waits for this many free */

struct rd_file {
	pcap_t *pc;		/* NULL once ended */
	int linktype;
	int have;		/* h/data hold its next packet */
	struct pcap_pkthdr *h;
	const u_char *data;
	char err[PCAP_ERRBUF_SIZE];
};

struct rd_batch {
	size_t n;
	struct rd_item it[RD_BATCH_ITEMS];
	uint8_t *data;
	size_t used, cap;
};

struct reader {
	struct rd_file *f;
	unsigned nfiles, maxfiles;
	int pending;		/* file whose packet went out last, -1 none */
	uint64_t frame;
	struct rd_item cur;	/* unthreaded: the item handed out */
	void (*prepare)(void *ctx, struct pkt *p);
	void *prepare_ctx;
	/* threaded */
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* head, tail, eof or stop changed while a side waited */
	int wwait, cwait;	/* the worker / the caller is waiting on cv */
	struct rd_batch *ring[RD_NBATCH];
	uint64_t head, tail;	/* batches released by the caller / published by the worker */
	int eof, stop;
	struct rd_batch *cb;	/* the caller's batch (ring[head % RD_NBATCH]) */
	size_t ci;
};

struct reader *reader_new(unsigned nfiles)
{
	struct reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->f = calloc(nfiles ? nfiles : 1, sizeof *r->f);
	if (!r->f) {
		free(r);
		return NULL;
	}
	r->maxfiles = nfiles;
	r->pending = -1;
	return r;
}

/* Read file i's next packet: 1, or 0 at its end / -1 on an error (closed then). */
static int read_one(struct reader *r, unsigned i)
{
	struct rd_file *f = &r->f[i];
	f->have = 0;
	if (!f->pc)
		return 0;
	int rc = pcap_next_ex(f->pc, &f->h, &f->data);
	if (rc == 1)
		return f->have = 1;
	int ret = 0;
	if (rc != PCAP_ERROR_BREAK) {
		snprintf(f->err, sizeof f->err, "%s", pcap_geterr(f->pc));
		ret = -1;
	}
	pcap_close(f->pc);
	f->pc = NULL;
	return ret;
}

int reader_add(struct reader *r, pcap_t *pc, int linktype)
{
	if (r->nfiles >= r->maxfiles) {
		pcap_close(pc);
		return -1;
	}
	unsigned i = r->nfiles++;
	r->f[i].pc = pc;	/* NULL: a file that could not be opened just ends */
	r->f[i].linktype = linktype;
	return read_one(r, i);
}

const char *reader_errmsg(const struct reader *r, unsigned file)
{
	return file < r->nfiles ? r->f[file].err : "";
}

static uint64_t ts_of(const struct pcap_pkthdr *h)
{
	return (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
}

/* The next item in order (*data: an RD_PACKET's bytes, libpcap's until
 * that file is read again); 0 when every file has ended. */
static int step(struct reader *r, struct rd_item *it, const u_char **data)
{
	if (r->pending >= 0) {
		unsigned i = (unsigned)r->pending;
		r->pending = -1;
		int st = read_one(r, i);
		if (st <= 0) {
			it->kind = st < 0 ? RD_ERROR : RD_END;
			it->file = i;
			it->data = NULL;
			return 1;
		}
	}
	int best = -1;
	uint64_t bt = 0;
	for (unsigned i = 0; i < r->nfiles; i++) {
		if (!r->f[i].have)
			continue;
		uint64_t t = ts_of(r->f[i].h);
		if (best < 0 || t < bt) {
			best = (int)i;
			bt = t;
		}
	}
	if (best < 0)
		return 0;
	const struct rd_file *f = &r->f[best];
	it->kind = RD_PACKET;
	it->file = (unsigned)best;
	it->p.frame = ++r->frame;
	it->p.ts_us = bt;
	it->p.caplen = f->h->caplen;
	it->p.wirelen = f->h->len;
	*data = f->data;
	r->pending = best;
	return 1;
}

/* ---- worker thread ------------------------------------------------------- */

/* Wait for a free ring slot; NULL when asked to stop. */
static struct rd_batch *take_free(struct reader *r)
{
	pthread_mutex_lock(&r->mu);
	if (!r->stop && r->tail - r->head >= RD_NBATCH) {
		r->wwait = 1;
		while (!r->stop && r->tail - r->head > RD_NBATCH - RD_REFILL)
			pthread_cond_wait(&r->cv, &r->mu);
		r->wwait = 0;
	}
	struct rd_batch *b = r->stop ? NULL : r->ring[r->tail % RD_NBATCH];
	pthread_mutex_unlock(&r->mu);
	if (b)
		b->n = b->used = 0;
	return b;
}

static void publish(struct reader *r, int eof)
{
	pthread_mutex_lock(&r->mu);
	if (!eof)
		r->tail++;
	else
		r->eof = 1;
	if (r->cwait)
		pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void *worker(void *arg)
{
	struct reader *r = arg;
	struct rd_batch *b = take_free(r);
	while (b) {
		struct rd_item it;
		const u_char *data = NULL;
		if (!step(r, &it, &data))
			break;
		if (it.kind == RD_PACKET) {
			size_t cl = it.p.caplen;
			if (b->n == RD_BATCH_ITEMS || b->used + cl > b->cap) {
				if (b->n) {
					publish(r, 0);
					if (!(b = take_free(r)))
						break;
				}
				if (cl > b->cap) {	/* cannot happen with libpcap's limits; kept safe */
					uint8_t *nd = realloc(b->data, cl);
					if (!nd) {
						struct rd_file *f = &r->f[it.file];
						snprintf(f->err, sizeof f->err, "out of memory for a %zu-byte packet", cl);
						pcap_close(f->pc);
						f->pc = NULL;
						f->have = 0;
						r->pending = -1;
						it.kind = RD_ERROR;
						it.data = NULL;
						b->it[b->n++] = it;
						continue;
					}
					b->data = nd;
					b->cap = cl;
				}
			}
			struct rd_item *slot = &b->it[b->n++];
			*slot = it;
			uint8_t *copy = b->data + b->used;
			if (cl)
				memcpy(copy, data, cl);
			b->used += cl;
			slot->data = copy;
			decode_packet(r->f[it.file].linktype, copy, &slot->p);
			if (r->prepare)
				r->prepare(r->prepare_ctx, &slot->p);
		} else {
			if (b->n == RD_BATCH_ITEMS) {
				publish(r, 0);
				if (!(b = take_free(r)))
					break;
			}
			b->it[b->n++] = it;
		}
	}
	if (b && b->n)
		publish(r, 0);
	publish(r, 1);
	return NULL;
}

static void free_ring(struct reader *r)
{
	for (int i = 0; i < RD_NBATCH; i++) {
		if (r->ring[i])
			free(r->ring[i]->data);
		free(r->ring[i]);
		r->ring[i] = NULL;
	}
}

void reader_set_prepare(struct reader *r, void (*fn)(void *ctx, struct pkt *p), void *ctx)
{
	r->prepare = fn;
	r->prepare_ctx = ctx;
}

const struct rd_item *reader_peek(const struct reader *r, size_t ahead)
{
	if (!r->cb || !r->ci || r->ci - 1 + ahead >= r->cb->n)
		return NULL;
	return &r->cb->it[r->ci - 1 + ahead];
}

void reader_start(struct reader *r, int threaded)
{
	if (!threaded)
		return;
	for (int i = 0; i < RD_NBATCH; i++) {
		r->ring[i] = calloc(1, sizeof *r->ring[i]);
		if (!r->ring[i] || !(r->ring[i]->data = malloc(RD_BATCH_BYTES))) {
			free_ring(r);
			return;
		}
		r->ring[i]->cap = RD_BATCH_BYTES;
	}
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		free_ring(r);
		return;
	}
	if (pthread_cond_init(&r->cv, NULL) != 0) {
		pthread_mutex_destroy(&r->mu);
		free_ring(r);
		return;
	}
	if (rw_thread_start(&r->th, worker, r) != 0) {	/* signals stay with the caller's thread */
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free_ring(r);
		return;
	}
	r->threaded = 1;
}

const struct rd_item *reader_next(struct reader *r)
{
	if (!r->threaded) {
		const u_char *data = NULL;
		if (!step(r, &r->cur, &data))
			return NULL;
		if (r->cur.kind == RD_PACKET) {
			r->cur.data = data;
			decode_packet(r->f[r->cur.file].linktype, data, &r->cur.p);
			if (r->prepare)
				r->prepare(r->prepare_ctx, &r->cur.p);
		}
		return &r->cur;
	}
	if (r->cb && r->ci < r->cb->n)
		return &r->cb->it[r->ci++];
	pthread_mutex_lock(&r->mu);
	if (r->cb) {		/* release the batch just read */
		r->cb = NULL;
		r->head++;
		if (r->wwait && r->tail - r->head <= RD_NBATCH - RD_REFILL)
			pthread_cond_broadcast(&r->cv);
	}
	if (r->head == r->tail && !r->eof) {
		r->cwait = 1;
		while (r->head == r->tail && !r->eof)
			pthread_cond_wait(&r->cv, &r->mu);
		r->cwait = 0;
	}
	if (r->head != r->tail) {
		r->cb = r->ring[r->head % RD_NBATCH];
		r->ci = 0;
	}
	pthread_mutex_unlock(&r->mu);
	if (!r->cb)
		return NULL;
	/* a published batch is never empty */
	return &r->cb->it[r->ci++];
}

void reader_free(struct reader *r)
{
	if (!r)
		return;
	if (r->threaded) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free_ring(r);
	}
	for (unsigned i = 0; i < r->nfiles; i++)
		if (r->f[i].pc)
			pcap_close(r->f[i].pc);
	free(r->f);
	free(r);
}
