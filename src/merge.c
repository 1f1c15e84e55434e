/* \summary: recognising one packet captured at several vantage points (see merge.h) */
#include "config.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

struct ment {
	uint64_t fp;		/* 0 = empty slot */
	uint64_t frame, ts_us;
	uint32_t claimed;	/* files that matched (or gave) this packet */
	uint8_t file, ttl;
};

struct gen {
	struct ment *t;
	size_t cap, n;		/* cap is a power of two */
	uint64_t start_us;
};

struct merge {
	uint64_t window_us;
	size_t max_entries;
	struct gen g[2];	/* g[cur] takes inserts; the other is the previous window */
	int cur;
	struct merge_stats st;
};

struct merge *merge_new(uint64_t window_us, size_t max_entries)
{
	struct merge *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->window_us = window_us ? window_us : 1;
	m->max_entries = max_entries < 64 ? 64 : max_entries;
	return m;
}

void merge_free(struct merge *m)
{
	if (!m)
		return;
	free(m->g[0].t);
	free(m->g[1].t);
	free(m);
}

const struct merge_stats *merge_stats(const struct merge *m)
{
	return &m->st;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

uint64_t merge_fingerprint(const struct pkt *p)
{
	if (p->status != DEC_OK || !p->ipver)
		return 0;
	uint64_t h = 0x243f6a8885a308d3ull;
	int n = p->ipver == 6 ? 16 : 4;
	for (int i = 0; i < n; i += 4) {
		h = mix(h, (uint64_t)p->src.a[i] << 24 | (uint64_t)p->src.a[i + 1] << 16 | (uint64_t)p->src.a[i + 2] << 8 |
			       p->src.a[i + 3]);
		h = mix(h, (uint64_t)p->dst.a[i] << 24 | (uint64_t)p->dst.a[i + 1] << 16 | (uint64_t)p->dst.a[i + 2] << 8 |
			       p->dst.a[i + 3]);
	}
	h = mix(h, (uint64_t)p->ipver << 40 | (uint64_t)p->proto << 32 | p->ip_len);
	h = mix(h, (uint64_t)p->ip_id << 32 | p->is_fragment);
	if (p->has_l4) {
		h = mix(h, (uint64_t)p->sport << 16 | p->dport);
		h = mix(h, (uint64_t)p->tcp_flags << 48 | (uint64_t)p->win << 32 | p->icmp_type << 8 | p->icmp_code);
		h = mix(h, (uint64_t)p->seq << 32 | p->ack);
	}
	/* the first payload bytes: 8 survive even tcpdump's old 68-byte snaplen */
	h = mix(h, p->payload_len);
	uint32_t k = p->payload_caplen < 8 ? p->payload_caplen : 8;
	uint64_t v = 0;
	for (uint32_t i = 0; i < k; i++)
		v = v << 8 | p->payload[i];
	h = mix(h, v);
	return h ? h : 1;
}

static size_t slot(uint64_t fp, size_t cap)
{
	return (size_t)(fp ^ (fp >> 29)) & (cap - 1);
}

/* Grow (or create) a generation's table; 0 when at the bound or out of memory. */
static int gen_grow(struct gen *g, size_t max_entries)
{
	size_t ncap = g->cap ? g->cap * 2 : 1024;
	if (ncap / 2 > max_entries)
		return 0;
	struct ment *t = calloc(ncap, sizeof *t);
	if (!t)
		return 0;
	for (size_t i = 0; i < g->cap; i++) {
		if (!g->t[i].fp)
			continue;
		size_t j = slot(g->t[i].fp, ncap);
		while (t[j].fp)
			j = (j + 1) & (ncap - 1);
		t[j] = g->t[i];
	}
	free(g->t);
	g->t = t;
	g->cap = ncap;
	return 1;
}

static void rotate(struct merge *m, uint64_t ts)
{
	struct gen *c = &m->g[m->cur];
	if (!c->n) {
		c->start_us = ts;
		return;
	}
	if (ts < c->start_us + m->window_us)
		return;
	/* the previous generation is older than a window: reuse it */
	int o = !m->cur;
	struct gen *old = &m->g[o];
	if (old->t)
		memset(old->t, 0, old->cap * sizeof *old->t);
	old->n = 0;
	old->start_us = ts;
	m->cur = o;
}

static int claim(struct merge *m, struct gen *g, uint64_t fp, unsigned file, uint64_t ts, struct merge_seen *first)
{
	if (!g->cap)
		return 0;
	uint32_t bit = 1u << file;
	size_t j = slot(fp, g->cap);
	while (g->t[j].fp) {
		struct ment *e = &g->t[j];
		if (e->fp == fp && !(e->claimed & bit)) {
			uint64_t dt = ts > e->ts_us ? ts - e->ts_us : e->ts_us - ts;
			if (dt <= m->window_us) {
				e->claimed |= bit;
				first->frame = e->frame;
				first->ts_us = e->ts_us;
				first->file = e->file;
				first->ttl = e->ttl;
				return 1;
			}
		}
		j = (j + 1) & (g->cap - 1);
	}
	return 0;
}

int merge_check(struct merge *m, const struct pkt *p, uint64_t fp, unsigned file, struct merge_seen *first)
{
	if (!fp || file >= MERGE_MAX_FILES)
		return 0;
	rotate(m, p->ts_us);
	if (claim(m, &m->g[m->cur], fp, file, p->ts_us, first) || claim(m, &m->g[!m->cur], fp, file, p->ts_us, first)) {
		m->st.copies++;
		return 1;
	}
	struct gen *g = &m->g[m->cur];
	if ((g->n + 1) * 2 > g->cap && !gen_grow(g, m->max_entries)) {
		m->st.not_indexed++;
		return 0;
	}
	size_t j = slot(fp, g->cap);
	while (g->t[j].fp)
		j = (j + 1) & (g->cap - 1);
	struct ment *e = &g->t[j];
	e->fp = fp;
	e->frame = p->frame;
	e->ts_us = p->ts_us;
	e->claimed = 1u << file;
	e->file = (uint8_t)file;
	e->ttl = p->ttl;
	g->n++;
	m->st.indexed++;
	return 0;
}
