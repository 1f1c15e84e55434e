/* \summary: bounded flow table keyed by 5-tuple (see flow.h)
 *
 * Hash table with chaining over a seeded hash of the canonical key, so a
 * hostile capture cannot pick colliding tuples without knowing the seed.
 * Flows come from slabs allocated on demand up to max_flows and recycled
 * through a free list.  A doubly linked list in activity order (head = most
 * recent) gives O(1) eviction of the least recently active flow and cheap
 * idle expiry from the tail.
 */
#include "config.h"
#include "flow.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#ifndef SLAB_FLOWS	/* fuzz/fuzz.mk makes it small: a 1.3 MB slab per run slows the fuzzer */
#define SLAB_FLOWS 4096
#endif

struct slab {
	struct slab *next;
	struct flow flows[SLAB_FLOWS];
};

struct flow_table {
	struct flow_table_opts o;
	struct flow **buckets;
	uint32_t nbuckets;		/* power of two */
	uint64_t seed[2];
	struct slab *slabs;
	size_t slab_used;		/* flows handed out of the newest slab */
	size_t allocated;		/* flows ever carved from slabs */
	struct flow *free_list;		/* linked through hnext */
	struct flow *lru_head, *lru_tail;
	uint64_t next_id;
	uint64_t clock_us;		/* latest capture timestamp seen */
	uint64_t last_expire_us;
	struct flow_stats st;
};

/* ---- key and hash -------------------------------------------------------- */

struct flow_key {
	uint8_t family, proto;
	uint16_t port[2];
	uint8_t addr[2][16];
};

static void key_make(struct flow_key *k, uint8_t proto, const struct addr *a, uint16_t pa,
		     const struct addr *b, uint16_t pb)
{
	memset(k, 0, sizeof *k);
	k->family = a->family;
	k->proto = proto;
	int c = addr_cmp(a, b);
	int swap = c > 0 || (c == 0 && pa > pb);
	const struct addr *x = swap ? b : a, *y = swap ? a : b;
	memcpy(k->addr[0], x->a, 16);
	memcpy(k->addr[1], y->a, 16);
	k->port[0] = swap ? pb : pa;
	k->port[1] = swap ? pa : pb;
}

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* A seeded 64-bit mix over the key words (multiply-xorshift rounds). */
static uint32_t key_hash(const struct flow_table *t, const struct flow_key *k)
{
	uint64_t w[5] = {0};
	memcpy(w, k, sizeof w < sizeof *k ? sizeof w : sizeof *k);
	uint64_t h = t->seed[0] ^ 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		h ^= rotl(w[i] * 0xbf58476d1ce4e5b9ull + t->seed[1], 31);
		h *= 0x94d049bb133111ebull;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	return (uint32_t)h;
}

_Static_assert(sizeof(struct flow_key) == 38, "flow_key layout");

/* The hash of a flow's endpoints, whichever way round they are given. */
static uint32_t ep_hash(const struct flow_table *t, uint8_t proto, const struct addr *a, uint16_t pa,
			const struct addr *b, uint16_t pb)
{
	struct flow_key k;
	key_make(&k, proto, a, pa, b, pb);
	return key_hash(t, &k);
}

/* ---- lists --------------------------------------------------------------- */

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push_head(struct flow_table *t, struct flow *f)
{
	f->lru_prev = NULL;
	f->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = f;
	t->lru_head = f;
	if (!t->lru_tail)
		t->lru_tail = f;
}

static void bucket_unlink(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* Emit, unlink and recycle one flow. */
static void flow_end(struct flow_table *t, struct flow *f, enum flow_end why)
{
	if (t->o.emit)
		t->o.emit(t->o.emit_ctx, f, why);
	if (f->app && t->o.app_free)
		t->o.app_free(f->app);
	f->app = NULL;
	bucket_unlink(t, f);
	lru_unlink(t, f);
	if (why == FLOW_END_IDLE)
		t->st.expired++;
	else if (why == FLOW_END_EVICTED)
		t->st.evicted++;
	t->st.active--;
	f->hnext = t->free_list;
	t->free_list = f;
}

static struct flow *flow_alloc(struct flow_table *t)
{
	struct flow *f = t->free_list;
	if (f) {
		t->free_list = f->hnext;
	} else {
		if (t->allocated >= t->o.max_flows) {
			if (!t->lru_tail)
				return NULL;
			flow_end(t, t->lru_tail, FLOW_END_EVICTED);
			f = t->free_list;
			t->free_list = f->hnext;
		} else {
			if (!t->slabs || t->slab_used == SLAB_FLOWS) {
				struct slab *s = malloc(sizeof *s);
				if (!s)
					return NULL;
				s->next = t->slabs;
				t->slabs = s;
				t->slab_used = 0;
			}
			f = &t->slabs->flows[t->slab_used++];
			t->allocated++;
		}
	}
	memset(f, 0, sizeof *f);
	return f;
}

/* ---- public -------------------------------------------------------------- */

struct flow_table *flow_table_new(const struct flow_table_opts *o)
{
	if (!o || o->max_flows == 0)
		return NULL;
	struct flow_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->o = *o;
	uint32_t nb = 1024;
	while (nb < o->max_flows && nb < (1u << 24))
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets = calloc(nb, sizeof *t->buckets);
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	if (getrandom(t->seed, sizeof t->seed, GRND_NONBLOCK) != (ssize_t)sizeof t->seed) {
		t->seed[0] = (uint64_t)(uintptr_t)t ^ 0x243f6a8885a308d3ull;
		t->seed[1] = (uint64_t)(uintptr_t)&nb ^ 0x13198a2e03707344ull;
	}
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	for (struct flow *f = t->lru_head; f; f = f->lru_next)
		if (f->app && t->o.app_free)
			t->o.app_free(f->app);
	struct slab *s = t->slabs;
	while (s) {
		struct slab *n = s->next;
		free(s);
		s = n;
	}
	free(t->buckets);
	free(t);
}

const struct flow_stats *flow_table_stats(const struct flow_table *t) { return &t->st; }

void flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	if (!t->o.idle_timeout_s)
		return;
	uint64_t limit = (uint64_t)t->o.idle_timeout_s * 1000000u;
	while (t->lru_tail && now_us > t->lru_tail->last_ts_us && now_us - t->lru_tail->last_ts_us > limit) {
		/* idle flows are cold: fetch the next two while this one is
		 * reported (its neighbour's bucket, the one after's struct) */
		struct flow *n = t->lru_tail->lru_prev;
		if (n) {
			__builtin_prefetch(&t->buckets[n->hash & (t->nbuckets - 1)]);
			if (n->lru_prev) {
				__builtin_prefetch(n->lru_prev);
				__builtin_prefetch((const char *)n->lru_prev + 64);
				__builtin_prefetch((const char *)n->lru_prev + 128);
			}
		}
		flow_end(t, t->lru_tail, FLOW_END_IDLE);
	}
}

static int cmp_id(const void *a, const void *b)
{
	const struct flow *x = *(const struct flow *const *)a, *y = *(const struct flow *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void flow_table_flush(struct flow_table *t)
{
	size_t n = (size_t)t->st.active, i = 0;
	if (!n)
		return;
	struct flow **v = xcalloc(n, sizeof *v);
	for (struct flow *f = t->lru_head; f && i < n; f = f->lru_next)
		v[i++] = f;
	qsort(v, i, sizeof *v, cmp_id);
	for (size_t j = 0; j < i; j++)
		flow_end(t, v[j], FLOW_END_FLUSH);
	free(v);
}

void flow_table_pkt_hash(const struct flow_table *t, struct pkt *p)
{
	if (p->status != DEC_OK || !p->ipver || !p->has_l4 || (p->proto != PROTO_TCP && p->proto != PROTO_UDP))
		return;
	p->flow_hash = ep_hash(t, p->proto, &p->src, p->sport, &p->dst, p->dport);
	p->flow_hashed = 1;
}

void flow_table_prefetch(const struct flow_table *t, uint32_t h, int stage)
{
	struct flow *const *b = &t->buckets[h & (t->nbuckets - 1)];
	if (stage == 0)
		__builtin_prefetch(b);
	else if (*b)
		__builtin_prefetch(*b);
}

static inline int a16_eq(const uint8_t *x, const uint8_t *y)
{
	uint64_t a[2], b[2];
	memcpy(a, x, 16);
	memcpy(b, y, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

/* The flow between (a, pa) and (b, pb), either orientation, in bucket h
 * (ep_hash() of the same endpoints); NULL if there is none. */
static struct flow *lookup(struct flow_table *t, uint32_t h, uint8_t proto, const struct addr *a, uint16_t pa,
			   const struct addr *b, uint16_t pb)
{
	for (struct flow *f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->proto != proto || f->orig.family != a->family)
			continue;
		if (f->oport == pa && f->rport == pb && a16_eq(f->orig.a, a->a) && a16_eq(f->resp.a, b->a))
			return f;
		if (f->oport == pb && f->rport == pa && a16_eq(f->orig.a, b->a) && a16_eq(f->resp.a, a->a))
			return f;
	}
	return NULL;
}

/* Create a flow oriented orig=(a,pa) -> resp=(b,pb). */
static struct flow *create(struct flow_table *t, uint32_t h, uint8_t proto, const struct addr *a, uint16_t pa,
			   const struct addr *b, uint16_t pb, uint64_t ts, uint64_t frame)
{
	struct flow *f = flow_alloc(t);
	if (!f)
		return NULL;
	f->hash = h;
	f->id = ++t->next_id;
	f->proto = proto;
	f->orig = *a;
	f->oport = pa;
	f->resp = *b;
	f->rport = pb;
	f->first_ts_us = f->last_ts_us = ts;
	f->first_frame = f->last_frame = frame;
	struct flow **bk = &t->buckets[h & (t->nbuckets - 1)];
	f->hnext = *bk;
	*bk = f;
	lru_push_head(t, f);
	t->st.created++;
	t->st.active++;
	if (t->st.active > t->st.peak)
		t->st.peak = t->st.active;
	return f;
}

/* Which side of a new flow initiated it (1: the packet's source). */
static int src_is_orig(const struct pkt *p)
{
	if (p->proto == PROTO_TCP && (p->tcp_flags & TH_SYN))
		return !(p->tcp_flags & TH_ACK);
	/* mid-stream TCP or UDP: a port below 1024 facing an ephemeral one is the server */
	if (p->sport < 1024 && p->dport >= 1024)
		return 0;
	return 1;
}

static void attribute_icmp(struct flow_table *t, const struct pkt *p)
{
	const struct quoted *q = &p->q;
	if (!q->valid || !q->has_ports || q->src.family != q->dst.family)
		return;
	uint32_t h = ep_hash(t, q->proto, &q->src, q->sport, &q->dst, q->dport);
	struct flow *f = lookup(t, h, q->proto, &q->src, q->sport, &q->dst, q->dport);
	if (!f) {
		f = create(t, h, q->proto, &q->src, q->sport, &q->dst, q->dport, p->ts_us, p->frame);
		if (!f)
			return;
		f->icmp_only = 1;
		t->st.icmp_new++;
	} else {
		t->st.icmp_attributed++;
		lru_unlink(t, f);
		lru_push_head(t, f);
	}
	if (f->icmp_count++ == 0) {
		f->icmp.family = p->ipver;
		f->icmp.type = p->icmp_type;
		f->icmp.code = p->icmp_code;
		f->icmp.ttl = p->ttl;
		f->icmp.from = p->src;
		f->icmp.frame = p->frame;
		f->icmp.ts_us = p->ts_us;
		f->icmp.toward_orig = !(addr_eq(&q->src, &f->orig) && q->sport == f->oport);
	}
	if (p->ts_us > f->last_ts_us)
		f->last_ts_us = p->ts_us;
	f->last_frame = p->frame;
}

struct flow *flow_table_packet(struct flow_table *t, const struct pkt *p, int *dirp)
{
	if (p->status != DEC_OK || !p->ipver)
		return NULL;
	/* capture time only moves forward here, so a clock step back in the
	 * capture cannot stall expiry */
	if (p->ts_us > t->clock_us)
		t->clock_us = p->ts_us;
	if (t->clock_us > t->last_expire_us + 1000000u) {
		flow_table_expire(t, t->clock_us);
		t->last_expire_us = t->clock_us;
	}
	if ((p->proto == PROTO_ICMP || p->proto == PROTO_ICMP6) && p->has_l4) {
		if (p->icmp_is_error)
			attribute_icmp(t, p);
		return NULL;
	}
	if ((p->proto != PROTO_TCP && p->proto != PROTO_UDP) || !p->has_l4)
		return NULL;

	/* the reader thread may have hashed it already (flow_table_pkt_hash) */
	uint32_t h = p->flow_hashed ? p->flow_hash : ep_hash(t, p->proto, &p->src, p->sport, &p->dst, p->dport);
	struct flow *f = lookup(t, h, p->proto, &p->src, p->sport, &p->dst, p->dport);

	/* A new bare SYN with a fresh ISN on a finished connection: the 5-tuple was reused. */
	if (f && p->proto == PROTO_TCP && (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN && f->syn &&
	    p->seq != f->syn_isn && (f->synack || f->rst[0] || f->rst[1] || f->fin[0])) {
		flow_end(t, f, FLOW_END_REUSED);
		f = NULL;
	}
	if (!f) {
		int so = src_is_orig(p);
		f = so ? create(t, h, p->proto, &p->src, p->sport, &p->dst, p->dport, p->ts_us, p->frame)
		       : create(t, h, p->proto, &p->dst, p->dport, &p->src, p->sport, p->ts_us, p->frame);
		if (!f)
			return NULL;
		if (p->proto == PROTO_TCP && !(p->tcp_flags & TH_SYN))
			f->midstream = 1;
	} else {
		lru_unlink(t, f);
		lru_push_head(t, f);
	}

	int dir = (addr_eq(&p->src, &f->orig) && p->sport == f->oport) ? 0 : 1;
	if (dirp)
		*dirp = dir;
	if (f->pkts[dir] == 0) {
		if (dir == 0)
			f->orig_ttl = p->ttl;
		else
			f->resp_ttl = p->ttl;
	}
	f->pkts[dir]++;
	f->bytes[dir] += p->payload_len;
	if (p->ts_us > f->last_ts_us)
		f->last_ts_us = p->ts_us;
	f->last_frame = p->frame;
	if (p->is_fragment)
		f->fragments = 1;

	if (p->proto == PROTO_TCP) {
		uint8_t fl = p->tcp_flags;
		if ((fl & (TH_SYN | TH_ACK)) == TH_SYN && dir == 0) {
			if (f->syn == 0) {
				f->syn_isn = p->seq;
				f->first_syn_ts_us = p->ts_us;
			} else if (p->seq == f->syn_isn) {
				f->syn_retrans++;
			}
			if (f->syn < FLOW_MAX_SYN_FRAMES)
				f->syn_frames[f->syn] = p->frame;
			f->syn++;
		} else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && dir == 1) {
			if (f->synack++ == 0) {
				f->synack_frame = p->frame;
				f->synack_ts_us = p->ts_us;
			}
		} else if (dir == 0 && !(fl & TH_RST)) {
			f->orig_nonsyn++;
		}
		if (fl & TH_RST) {
			if (f->rst[dir]++ == 0)
				f->rst_frame[dir] = p->frame;
		}
		if (fl & TH_FIN)
			f->fin[dir]++;
	}
	return f;
}

const char *flow_state(const struct flow *f)
{
	if (f->proto == PROTO_TCP) {
		if (f->icmp_only && !f->pkts[0] && !f->pkts[1])
			return "icmp-error";
		if (f->synack)
			return "established";
		if (!f->syn)
			return f->midstream ? "midstream" : "no-syn";
		if (f->rst[1])
			return "refused";
		if (f->icmp_count && !f->icmp.toward_orig)
			return "icmp-error";
		/* the initiator went on talking: the SYN-ACK happened out of our view */
		if (f->orig_nonsyn || f->pkts[1])
			return "synack-unseen";
		return "no-reply";
	}
	if (f->proto == PROTO_UDP) {
		if (f->icmp_count && !f->icmp.toward_orig)
			return "icmp-error";
		if (f->pkts[0] && f->pkts[1])
			return "replied";
		return "one-way";
	}
	return "other";
}

size_t flow_table_foreach(const struct flow_table *t, flow_visit_fn fn, void *ctx)
{
	size_t n = 0;
	for (const struct flow *f = t->lru_head; f; f = f->lru_next, n++)
		fn(ctx, f);
	return n;
}
