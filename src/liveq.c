/* \summary: a capture read in its own thread into a bounded queue (see liveq.h)
 *
 * The reading thread fills a chunk with records (a 16-byte header: time,
 * captured and wire length; then the bytes, padded to 8) and publishes it
 * when it is full, or after a pcap_dispatch() call when the caller has
 * nothing left to read or the device has nothing more, so a packet waits
 * at most about libpcap's timeout before the caller can have it.  Live, the
 * device is non-blocking and the thread poll()s it (IDLE_POLL_MS at most).  Chunks in use (being
 * filled, queued, being read) are counted against max_bytes; the thread
 * waits for the caller to give one back when the limit is reached.  The
 * mutex guards the queue, the counters, the stop flag and the error/stats
 * copies; the chunk being filled belongs to the thread and the chunk being
 * read to the caller.  A byte on a pipe wakes the caller's poll() when a
 * chunk lands in an empty queue or the reading ends.
 */
#include "config.h"
#include "liveq.h"
#include "sigwake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REC_HDR 16u
/* with decoding, a record is REC_HDR, the struct pkt, then the bytes */
#define REC_PKT ((sizeof(struct pkt) + 7u) & ~(size_t)7u)
#define KEEP_FREE 4		/* idle chunks kept for reuse */
#define IDLE_POLL_MS 50		/* live: nothing ready -> wait this long for the device at most */

struct lq_chunk {
	struct lq_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

struct liveq {
	pcap_t *p;
	int offline;
	size_t max_bytes;
	int decode;			/* records carry a struct pkt (dec given to liveq_start) */
	struct liveq_decode dec;
	int pipe[2];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a chunk came back, or stop */

	/* under mu */
	struct lq_chunk *head, *tail;	/* published, oldest first */
	struct lq_chunk *free;
	unsigned nfree;
	size_t inuse, peak;		/* bytes of chunks filling, queued or being read */
	int stop, ended, waiting;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_stat st;
	int have_st;

	/* the reading thread's */
	struct lq_chunk *fill;
	int gave_up;			/* stop came while it waited for a chunk */

	/* the caller's */
	struct lq_chunk *cur;
	size_t off;
};

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void wake(struct liveq *q)
{
	ssize_t r = write(q->pipe[1], "x", 1);	/* full pipe: a wake-up is pending anyway */
	(void)r;
}

/* Under mu: a chunk of at least need bytes, or NULL when stopping. */
static struct lq_chunk *get_chunk_locked(struct liveq *q, size_t need)
{
	size_t cap = need > LIVEQ_CHUNK ? need : LIVEQ_CHUNK;
	while (!q->stop && q->inuse + cap > q->max_bytes && q->inuse > 0) {
		q->waiting = 1;
		pthread_cond_wait(&q->cv, &q->mu);
		q->waiting = 0;
	}
	if (q->stop)
		return NULL;
	struct lq_chunk *c = NULL;
	if (cap == LIVEQ_CHUNK && q->free) {
		c = q->free;
		q->free = c->next;
		q->nfree--;
	} else {
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->cap = cap;
	}
	c->next = NULL;
	c->used = 0;
	q->inuse += c->cap;
	if (q->inuse > q->peak)
		q->peak = q->inuse;
	return c;
}

/* Under mu: a chunk the caller finished with. */
static void put_chunk_locked(struct liveq *q, struct lq_chunk *c)
{
	q->inuse -= c->cap;
	if (c->cap == LIVEQ_CHUNK && q->nfree < KEEP_FREE) {
		c->next = q->free;
		q->free = c;
		q->nfree++;
	} else {
		free(c);
	}
	if (q->waiting)
		pthread_cond_signal(&q->cv);
}

static void publish(struct liveq *q)
{
	struct lq_chunk *c = q->fill;
	q->fill = NULL;
	pthread_mutex_lock(&q->mu);
	int was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	pthread_mutex_unlock(&q->mu);
	if (was_empty)
		wake(q);
}

static int queue_empty(struct liveq *q)
{
	pthread_mutex_lock(&q->mu);
	int e = q->head == NULL;
	pthread_mutex_unlock(&q->mu);
	return e;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct liveq *q = (struct liveq *)user;
	if (q->gave_up)
		return;
	size_t pk = q->decode ? REC_PKT : 0;
	size_t need = REC_HDR + pk + (((size_t)h->caplen + 7u) & ~(size_t)7u);
	if (!q->fill || q->fill->used + need > q->fill->cap) {
		if (q->fill && q->fill->used)
			publish(q);
		pthread_mutex_lock(&q->mu);
		if (q->fill) {	/* empty but too small for this packet */
			put_chunk_locked(q, q->fill);
			q->fill = NULL;
		}
		q->fill = get_chunk_locked(q, need);
		if (!q->fill && !q->stop)
			snprintf(q->err, sizeof q->err, "out of memory for the capture queue");
		pthread_mutex_unlock(&q->mu);
		if (!q->fill) {	/* stopping (or out of memory): end this dispatch */
			q->gave_up = 1;
			pcap_breakloop(q->p);
			return;
		}
	}
	uint8_t *r = q->fill->data + q->fill->used;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	uint32_t cl = h->caplen, wl = h->len;
	memcpy(r, &ts, 8);
	memcpy(r + 8, &cl, 4);
	memcpy(r + 12, &wl, 4);
	if (cl)
		memcpy(r + REC_HDR + pk, data, cl);
	if (q->decode) {	/* records start 8-aligned in a malloc'd chunk */
		struct pkt *d = (struct pkt *)(void *)(r + REC_HDR);
		d->frame = 0;
		d->ts_us = ts;
		d->caplen = cl;
		d->wirelen = wl;
		decode_packet(q->dec.linktype, r + REC_HDR + pk, d);
		if (q->dec.prepare)
			q->dec.prepare(q->dec.ctx, d);
	}
	q->fill->used += need;
}

static void *reader(void *arg)
{
	struct liveq *q = arg;
	double last_stats = 0;
	char err[PCAP_ERRBUF_SIZE] = "";
	int fd = q->offline ? -1 : pcap_get_selectable_fd(q->p);
	for (;;) {
		pthread_mutex_lock(&q->mu);
		int stop = q->stop;
		pthread_mutex_unlock(&q->mu);
		if (stop || q->gave_up)
			break;
		int n = pcap_dispatch(q->p, -1, on_packet, (u_char *)q);
		/* A partly filled chunk goes out when the caller has run out of
		 * packets or the device has nothing more right now (so the last
		 * packets of a burst never wait for the next one); otherwise it
		 * fills further: a chunk per libpcap block (one dispatch) would
		 * spend the budget on chunks a tenth full. */
		if (q->fill && q->fill->used && (n <= 0 || queue_empty(q)))
			publish(q);
		if (n == PCAP_ERROR_BREAK)
			continue;	/* stop: seen at the top */
		if (n < 0) {
			snprintf(err, sizeof err, "%s", pcap_geterr(q->p));
			break;
		}
		if (n == 0 && q->offline)
			break;
		if (n == 0) {	/* non-blocking: wait for the device, waking for stop */
			if (fd >= 0) {
				struct pollfd pf = {.fd = fd, .events = POLLIN};
				(void)poll(&pf, 1, IDLE_POLL_MS);
			} else {
				struct timespec ts = {0, IDLE_POLL_MS * 1000000L};
				nanosleep(&ts, NULL);
			}
		}
		double now = mono_s();
		if (!q->offline && now - last_stats >= LIVEQ_STATS_MS / 1000.0) {
			struct pcap_stat st;
			memset(&st, 0, sizeof st);
			int ok = pcap_stats(q->p, &st) == 0;
			pthread_mutex_lock(&q->mu);
			q->st = st;
			q->have_st = ok;
			pthread_mutex_unlock(&q->mu);
			last_stats = now;
		}
	}
	pthread_mutex_lock(&q->mu);
	if (q->fill) {	/* empty (published ones are gone) */
		put_chunk_locked(q, q->fill);
		q->fill = NULL;
	}
	if (err[0] && !q->stop && !q->err[0])
		snprintf(q->err, sizeof q->err, "%s", err);
	q->ended = 1;
	pthread_mutex_unlock(&q->mu);
	wake(q);
	return NULL;
}

static void free_list(struct lq_chunk *c)
{
	while (c) {
		struct lq_chunk *n = c->next;
		free(c);
		c = n;
	}
}

struct liveq *liveq_start(pcap_t *p, size_t max_bytes, const struct liveq_decode *dec, char *err, size_t errlen)
{
	struct liveq *q = calloc(1, sizeof *q);
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->p = p;
	q->offline = pcap_file(p) != NULL;
	if (dec) {
		q->decode = 1;
		q->dec = *dec;
	}
	q->max_bytes = max_bytes < 2 * LIVEQ_CHUNK ? 2 * LIVEQ_CHUNK : max_bytes;
	q->pipe[0] = q->pipe[1] = -1;
	char eb[PCAP_ERRBUF_SIZE] = "";
	if (!q->offline && pcap_setnonblock(p, 1, eb) != 0) {
		snprintf(err, errlen, "cannot make the capture non-blocking: %s", eb);
		free(q);
		return NULL;
	}
	if (pipe(q->pipe) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(q);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(q->pipe[i], F_SETFL, fcntl(q->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(q->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	if (pthread_mutex_init(&q->mu, NULL) != 0 || pthread_cond_init(&q->cv, NULL) != 0) {
		snprintf(err, errlen, "cannot create a mutex");
		close(q->pipe[0]);
		close(q->pipe[1]);
		free(q);
		return NULL;
	}
	/* the thread starts with asynchronous signals blocked: the caller's
	 * handlers (self-pipe, terminal restore) run in the caller's thread */
	int rc = rw_thread_start(&q->th, reader, q);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the reading thread: %s", strerror(rc));
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		close(q->pipe[0]);
		close(q->pipe[1]);
		free(q);
		return NULL;
	}
	return q;
}

int liveq_fd(const struct liveq *q) { return q->pipe[0]; }

static void drain_pipe(struct liveq *q)
{
	char b[64];
	while (read(q->pipe[0], b, sizeof b) > 0)
		;
}

int liveq_next(struct liveq *q, struct liveq_pkt *out)
{
	if (!q->cur || q->off >= q->cur->used) {
		drain_pipe(q);	/* before looking: a chunk published after this wakes poll() again */
		pthread_mutex_lock(&q->mu);
		if (q->cur)
			put_chunk_locked(q, q->cur);
		q->cur = q->head;
		if (q->cur) {
			q->head = q->cur->next;
			if (!q->head)
				q->tail = NULL;
		}
		int ended = q->ended;
		pthread_mutex_unlock(&q->mu);
		q->off = 0;
		if (!q->cur)
			return ended ? -1 : 0;
	}
	/* a published chunk holds whole records and at least one */
	const uint8_t *r = q->cur->data + q->off;
	memcpy(&out->ts_us, r, 8);
	memcpy(&out->caplen, r + 8, 4);
	memcpy(&out->len, r + 12, 4);
	size_t pk = q->decode ? REC_PKT : 0;
	out->p = q->decode ? (struct pkt *)(void *)(q->cur->data + q->off + REC_HDR) : NULL;
	out->data = r + REC_HDR + pk;
	q->off += REC_HDR + pk + (((size_t)out->caplen + 7u) & ~(size_t)7u);
	return 1;
}

int liveq_pending(const struct liveq *q)
{
	if (q->cur && q->off < q->cur->used)
		return 1;
	return !queue_empty((struct liveq *)q);	/* the mutex, not the queue, changes */
}

int liveq_stats(struct liveq *q, struct pcap_stat *st)
{
	pthread_mutex_lock(&q->mu);
	int ok = q->have_st;
	if (ok)
		*st = q->st;
	pthread_mutex_unlock(&q->mu);
	return ok ? 0 : -1;
}

const char *liveq_error(struct liveq *q)
{
	pthread_mutex_lock(&q->mu);
	const char *e = q->ended ? q->err : "";
	pthread_mutex_unlock(&q->mu);
	return e;	/* q->err is written once, before ended is set */
}

size_t liveq_peak_bytes(struct liveq *q)
{
	pthread_mutex_lock(&q->mu);
	size_t p = q->peak;
	pthread_mutex_unlock(&q->mu);
	return p;
}

void liveq_stop(struct liveq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pcap_breakloop(q->p);
	pthread_join(q->th, NULL);
	free(q->cur);
	free_list(q->head);
	free_list(q->free);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	close(q->pipe[0]);
	close(q->pipe[1]);
	free(q);
}
