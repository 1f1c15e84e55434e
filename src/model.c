/* \summary: the live model behind `rpcwatch watch` (see model.h)
 *
 * Wiring mirrors analyze.c's read_file(): per packet decode_packet(),
 * diag_time(), flow_table_packet(), rpc_packet(); flows leaving the table go
 * to rpc_flow_end() then diag_flow(); the engine's sink tees every event into
 * diag first and then into the screen's rings.  Endpoints and findings are
 * never computed here: model_refresh() copies what diag_snapshot() reports.
 */
#include "config.h"
#include "model.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode.h"
#include "flow.h"
#include "names.h"
#include "uuid.h"

#define DEFAULT_MAX_FLOWS 65536

/* ---- mring ----------------------------------------------------------------- */

int mring_init(struct mring *r, size_t item_size, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (!item_size || !cap)
		return -1;
	r->items = calloc(cap, item_size);
	if (!r->items)
		return -1;
	r->size = item_size;
	r->cap = cap;
	return 0;
}

void mring_free(struct mring *r)
{
	free(r->items);
	memset(r, 0, sizeof *r);
}

void *mring_push(struct mring *r)
{
	unsigned char *slot = r->items + r->head * r->size;
	memset(slot, 0, r->size);
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
	r->pushed++;
	return slot;
}

void *mring_at(const struct mring *r, size_t i)
{
	if (i >= r->n)
		return NULL;
	size_t slot = (r->head + r->cap - 1 - i) % r->cap;
	return r->items + slot * r->size;
}

/* ---- pktring ------------------------------------------------------------------ */

/* The ring's two arrays (64 MiB of packets and 24 MB of records by default)
 * are written once through while the ring fills, and every 4 KiB page of
 * them was a page fault on the packet path (a tenth of watch's samples while
 * they filled, more on a PVM guest).  Large ones are mapped with
 * MADV_HUGEPAGE so a fault brings 2 MiB where transparent huge pages are
 * allowed ("madvise" or "always"); elsewhere nothing changes.  ASan builds
 * keep the heap, whose redzones catch an overrun. */
#define RING_MAP_MIN (2u << 20)
#if defined(__SANITIZE_ADDRESS__)
#define RING_USE_MAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RING_USE_MAP 0
#endif
#endif
#ifndef RING_USE_MAP
#define RING_USE_MAP 1
#endif

static void *ring_alloc(size_t n)
{
	if (!RING_USE_MAP || n < RING_MAP_MIN)
		return calloc(1, n);
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);	/* advice: refused is fine */
#endif
	return p;
}

static void ring_release(void *p, size_t n)
{
	if (!p)
		return;
	if (!RING_USE_MAP || n < RING_MAP_MIN)
		free(p);
	else
		munmap(p, n);
}

static void prefault(void *p, size_t n)
{
	if (!p || !n)
		return;
#ifdef MADV_POPULATE_WRITE
	/* Linux 5.14+: the kernel faults the range in, huge pages included */
	if (RING_USE_MAP && n >= RING_MAP_MIN && madvise(p, n, MADV_POPULATE_WRITE) == 0)
		return;
#endif
	/* older kernels and heap memory: write a zero into every page (it
	 * holds zeros: fresh memory from mmap or calloc) */
	long pg = sysconf(_SC_PAGESIZE);
	size_t step = pg > 0 ? (size_t)pg : 4096;
	volatile unsigned char *b = p;
	for (size_t off = 0; off < n; off += step)
		b[off] = 0;
	b[n - 1] = 0;
}

void pktring_prefault(struct pktring *r)
{
	prefault(r->data, r->cap);
	prefault(r->rec, r->rcap * sizeof *r->rec);
}

int pktring_init(struct pktring *r, size_t cap, size_t max_pkts)
{
	memset(r, 0, sizeof *r);
	if (!cap)
		return -1;
	if (!max_pkts)
		max_pkts = cap / 64 ? cap / 64 : 1;
	r->cap = cap;
	r->rcap = max_pkts;
	r->data = ring_alloc(cap);
	r->rec = ring_alloc(max_pkts * sizeof *r->rec);
	if (!r->data || !r->rec) {
		pktring_free(r);
		return -1;
	}
	return 0;
}

void pktring_free(struct pktring *r)
{
	ring_release(r->data, r->cap);
	ring_release(r->rec, r->rcap * sizeof *r->rec);
	memset(r, 0, sizeof *r);
}

static void pktring_drop_oldest(struct pktring *r)
{
	r->first = (r->first + 1) % r->rcap;
	r->n--;
	r->dropped++;
}

void pktring_push(struct pktring *r, uint64_t ts_us, const unsigned char *p, uint32_t caplen, uint32_t len)
{
	if (!r->cap)
		return;
	if (caplen > r->cap)
		caplen = (uint32_t)r->cap;
	if (r->n == r->rcap)
		pktring_drop_oldest(r);
	size_t pos = 0, end = 0;
	int wrapped = 0;
	if (r->n) {
		const struct mpkt *last = &r->rec[(r->first + r->n - 1) % r->rcap];
		pos = end = last->off + last->caplen;
		if (pos + caplen > r->cap) {
			pos = 0;	/* the rest of the buffer stays unused this round */
			wrapped = 1;
		}
	}
	/* Records lie in circular order after the new one's place: the oldest
	 * are the only ones it can overlap.  When it wraps to 0, the oldest
	 * first are those still above the newest (the previous round's tail). */
	while (r->n) {
		const struct mpkt *old = &r->rec[r->first];
		if (wrapped && old->off >= end)
			pktring_drop_oldest(r);
		else if (old->off < pos + caplen && old->off + old->caplen > pos)
			pktring_drop_oldest(r);
		else if (old->caplen == 0 && old->off >= pos && old->off < pos + caplen)
			pktring_drop_oldest(r);
		else
			break;
	}
	struct mpkt *m = &r->rec[(r->first + r->n) % r->rcap];
	m->ts_us = ts_us;
	m->caplen = caplen;
	m->len = len;
	m->off = pos;
	if (caplen)
		memcpy(r->data + pos, p, caplen);
	r->n++;
}

const struct mpkt *pktring_at(const struct pktring *r, size_t i, const unsigned char **data)
{
	if (i >= r->n)
		return NULL;
	const struct mpkt *m = &r->rec[(r->first + i) % r->rcap];
	if (data)
		*data = r->data + m->off;
	return m;
}

/* ---- the model ------------------------------------------------------------------- */

struct snap {
	struct model_endpoint *eps;
	size_t neps;
	uint64_t unlisted;		/* callback endpoints diag counted, not listed */
	struct diag_finding *fs;
	size_t nfs;
	unsigned counts[3];
};

struct model {
	struct model_opts o;
	int linktype, snaplen;
	struct flow_table *ft;
	struct rpc_engine *rpc;
	struct diag *diag;
	struct mring calls, regs;
	struct pktring pkts;
	struct model_stats st;
	uint64_t frame;
	int finished;
	int dirty;
	struct snap cur;		/* the last refresh */
	struct snap next;		/* being filled by diag_snapshot */
	/* the endpoint mapper's answer to the call the engine reports next */
	uint64_t epm_req_frame;
	char epm_text[160];
	unsigned epm_towers;
	/* live flows handed to diag_snapshot */
	const struct flow **live;
	size_t nlive, caplive;
};

static void on_flow_end(void *ctx, const struct flow *f, enum flow_end why)
{
	struct model *m = ctx;
	(void)why;
	rpc_flow_end(m->rpc, (struct flow *)f);
	diag_flow(m->diag, f);
	m->dirty = 1;
}

static const char *iface_text(const struct rpc_uuid *u, int has, char *buf, size_t n)
{
	if (!has) {
		snprintf(buf, n, "?");
		return buf;
	}
	const char *nm = names_iface_name(u);
	if (nm)
		snprintf(buf, n, "%s", nm);
	else
		uuid_str(u, buf, n);
	return buf;
}

static void tee_bind(void *ctx, const struct rpc_bind_ev *e)
{
	struct model *m = ctx;
	diag_bind(m->diag, e);
	m->dirty = 1;
}

static void tee_epm(void *ctx, const struct rpc_epm_ev *e)
{
	struct model *m = ctx;
	diag_epm(m->diag, e);
	m->dirty = 1;
	if (m->epm_req_frame != e->req_frame) {
		m->epm_req_frame = e->req_frame;
		m->epm_text[0] = 0;
		m->epm_towers = 0;
	}
	if (e->has_tower && (e->binding[0] || e->has_port)) {
		if (!m->epm_towers++) {
			/* TCP towers as ip[port] (the screen is narrow), others as the string binding */
			char ab[ADDR_STRLEN];
			int any = e->has_ip && !(e->ip.family == 4 && !e->ip.a[0] && !e->ip.a[1] && !e->ip.a[2] && !e->ip.a[3]);
			if (e->proto == RPC_EPM_TCP && e->has_port)
				snprintf(m->epm_text, sizeof m->epm_text, "%s[%u]",
					 addr_str(any ? &e->ip : &e->ep.srv, ab, sizeof ab), e->port);
			else
				snprintf(m->epm_text, sizeof m->epm_text, "%s", e->binding);
		}
	}
}

static void tee_call(void *ctx, const struct rpc_call_ev *e)
{
	struct model *m = ctx;
	diag_call(m->diag, e);
	m->dirty = 1;
	struct model_call *c = mring_push(&m->calls);
	c->seq = m->calls.pushed;
	c->ts_us = e->req_frame ? e->req_ts_us : e->resp_ts_us;
	c->req_frame = e->req_frame;
	c->resp_frame = e->resp_frame;
	c->ep = e->ep;
	c->connectionless = e->connectionless;
	c->sealed = e->sealed;
	iface_text(&e->iface, e->has_iface, c->iface, sizeof c->iface);
	if (!e->req_frame) {
		snprintf(c->op, sizeof c->op, "(request not captured)");
	} else {
		const char *op = e->has_iface ? names_opnum(&e->iface, e->opnum) : NULL;
		if (op)
			snprintf(c->op, sizeof c->op, "%s", op);
		else
			snprintf(c->op, sizeof c->op, "op%u", e->opnum);
	}
	const char *rn = e->rc_table == 1 ? names_mapi(e->rc) : e->rc_table == 2 ? names_epm_status(e->rc) : NULL;
	if (e->fault) {
		const char *fn = names_fault(e->status);
		snprintf(c->result, sizeof c->result, "fault 0x%08x%s%s", e->status, fn ? " " : "", fn ? fn : "");
		c->failed = 1;
	} else if (!e->resp_frame) {
		snprintf(c->result, sizeof c->result, "no response");
		c->failed = 1;
	} else if (e->has_rc) {
		if (rn)
			snprintf(c->result, sizeof c->result, "%s", rn);
		else
			snprintf(c->result, sizeof c->result, "0x%08x", e->rc);
		c->failed = e->rc != 0;
		if (e->rc_table == 2 && m->epm_req_frame == e->req_frame && m->epm_text[0]) {
			/* the endpoint mapper's answer: where the interface lives */
			if (m->epm_towers > 1)
				snprintf(c->result, sizeof c->result, "-> %s (+%u)", m->epm_text, m->epm_towers - 1);
			else
				snprintf(c->result, sizeof c->result, "-> %s", m->epm_text);
		}
	} else {
		snprintf(c->result, sizeof c->result, "ok");
	}
	m->st.calls++;
	if (c->failed)
		m->st.failed_calls++;
}

static void tee_notify_reg(void *ctx, const struct rpc_notify_reg_ev *e)
{
	struct model *m = ctx;
	diag_notify_reg(m->diag, e);
	m->dirty = 1;
	struct model_reg *r = mring_push(&m->regs);
	r->reg_id = e->reg_id;
	r->ep = e->ep;
	r->af = e->af;
	r->cb_ip = e->cb_ip;
	r->cb_port = e->cb_port;
	r->answered = e->answered;
	r->has_rc = e->has_rc;
	r->rc = e->rc;
	r->sealed = e->args_sealed;
	r->req_frame = e->req_frame;
	r->resp_frame = e->resp_frame;
	r->ts_us = e->ts_us;
	r->last_seen_us = e->ts_us;
	if (e->has_rc) {
		const char *rn = names_mapi(e->rc);
		if (rn)
			snprintf(r->result, sizeof r->result, "%s", rn);
		else
			snprintf(r->result, sizeof r->result, "0x%08x", e->rc);
		r->failed = e->rc != 0;
	} else if (!e->answered) {
		snprintf(r->result, sizeof r->result, "no answer");
		r->failed = 1;
	} else {
		snprintf(r->result, sizeof r->result, "%s", e->args_sealed ? "sealed" : "answered");
	}
	m->st.registrations++;
}

static void tee_notify_udp(void *ctx, const struct rpc_notify_udp_ev *e)
{
	struct model *m = ctx;
	diag_notify_udp(m->diag, e);
	m->dirty = 1;
	m->st.notifications++;
	if (!e->reg_id)
		return;
	for (size_t i = 0; i < m->regs.n; i++) {
		struct model_reg *r = mring_at(&m->regs, i);
		if (r->reg_id == e->reg_id) {
			r->notifications++;
			r->last_notify_frame = e->frame;
			if (e->ts_us > r->last_seen_us)
				r->last_seen_us = e->ts_us;
			return;
		}
	}
}

struct model *model_new(const struct model_opts *o, int linktype, int snaplen)
{
	struct model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->o = *o;
	m->linktype = linktype;
	m->snaplen = snaplen > 0 ? snaplen : 262144;
	if (!m->o.max_flows)
		m->o.max_flows = DEFAULT_MAX_FLOWS;
	if (!m->o.calls)
		m->o.calls = MODEL_CALLS_DEFAULT;
	if (!m->o.regs)
		m->o.regs = MODEL_REGS_DEFAULT;
	if (!m->o.ring_bytes)
		m->o.ring_bytes = MODEL_RING_BYTES_DEFAULT;
	if (!m->o.dopts.notify_window_s)
		m->o.dopts.notify_window_s = 60;
	if (!m->o.dopts.range_lo) {
		m->o.dopts.range_lo = 49152;
		m->o.dopts.range_hi = 65535;
	}
	struct rpc_sink sink = {
		.ctx = m,
		.bind = tee_bind,
		.call = tee_call,
		.epm = tee_epm,
		.notify_reg = tee_notify_reg,
		.notify_udp = tee_notify_udp,
		.pdu = NULL,
	};
	struct flow_table_opts fo = {
		.max_flows = m->o.max_flows,
		.idle_timeout_s = m->o.flow_timeout_s,
		.emit = on_flow_end,
		.emit_ctx = m,
		.app_free = rpc_flow_free,
	};
	if (mring_init(&m->calls, sizeof(struct model_call), m->o.calls) < 0 ||
	    mring_init(&m->regs, sizeof(struct model_reg), m->o.regs) < 0 ||
	    pktring_init(&m->pkts, m->o.ring_bytes, 0) < 0 || !(m->diag = diag_new(&m->o.dopts)) ||
	    !(m->rpc = rpc_engine_new(&sink)) || !(m->ft = flow_table_new(&fo))) {
		model_free(m);
		return NULL;
	}
	rpc_engine_set_reg_hold(m->rpc, m->o.dopts.notify_window_s);
	return m;
}

void model_prefault(struct model *m)
{
	pktring_prefault(&m->pkts);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	flow_table_free(m->ft);
	rpc_engine_free(m->rpc);
	diag_free(m->diag);
	mring_free(&m->calls);
	mring_free(&m->regs);
	pktring_free(&m->pkts);
	free(m->cur.eps);
	free(m->cur.fs);
	free(m->next.eps);
	free(m->next.fs);
	free(m->live);
	free(m);
}

void model_packet(struct model *m, uint64_t ts_us, const unsigned char *data, uint32_t caplen, uint32_t len)
{
	struct pkt p;
	p.frame = 0;
	p.ts_us = ts_us;
	p.caplen = caplen;
	p.wirelen = len;
	if (!m->finished)	/* after model_finish only the packet ring takes it */
		decode_packet(m->linktype, data, &p);
	model_packet_decoded(m, &p, data);
}

void model_prepare(void *model, struct pkt *p)
{
	const struct model *m = model;
	flow_table_pkt_hash(m->ft, p);
}

void model_packet_decoded(struct model *m, struct pkt *p, const unsigned char *data)
{
	m->frame++;
	p->frame = m->frame;
	pktring_push(&m->pkts, p->ts_us, data, p->caplen, p->wirelen);
	m->st.packets++;
	m->st.bytes += p->wirelen;
	if (!m->st.first_ts_us)
		m->st.first_ts_us = p->ts_us;
	if (p->ts_us > m->st.last_ts_us)
		m->st.last_ts_us = p->ts_us;
	m->dirty = 1;
	if (m->finished)
		return;	/* after model_finish the tables are final */
	if (p->status == DEC_OK)
		m->st.decoded++;
	else
		m->st.undecoded++;
	int dir = 0;
	diag_time(m->diag, p->ts_us);
	struct flow *f = flow_table_packet(m->ft, p, &dir);
	rpc_packet(m->rpc, f, dir, p);
}

void model_finish(struct model *m)
{
	if (m->finished)
		return;
	flow_table_flush(m->ft);
	rpc_engine_flush(m->rpc);
	m->finished = 1;
	m->dirty = 1;
}

int model_finished(const struct model *m) { return m->finished; }
int model_dirty(const struct model *m) { return m->dirty; }

/* ---- snapshot ------------------------------------------------------------------------ */

const char *model_verdict_label(const char *v)
{
	if (!v)
		return "-";
	if (!strcmp(v, "open"))
		return "LISTENING";
	if (!strcmp(v, "closed"))
		return "NOT LISTENING";
	if (!strcmp(v, "filtered"))
		return "FILTERED";
	if (!strcmp(v, "open|filtered"))
		return "LISTENING or FILTERED";
	if (!strcmp(v, "unreachable"))
		return "UNREACHABLE";
	return "-";
}

enum model_tone model_verdict_tone(const char *v, const char *role)
{
	if (!v)
		return TONE_NONE;
	if (!strcmp(v, "open"))
		return TONE_FINE;
	if (!strcmp(v, "filtered") || !strcmp(v, "unreachable"))
		return TONE_BLOCKED;
	if (!strcmp(v, "closed"))	/* nothing listens: a problem where RPC expects a service */
		return role && role[0] ? TONE_BLOCKED : TONE_SUSPICIOUS;
	return TONE_SUSPICIOUS;		/* open|filtered, unknown: not proven either way */
}

static void snap_endpoint(void *ctx, const struct diag_endpoint_view *v)
{
	struct model *m = ctx;
	struct snap *s = &m->next;
	if (v->unlisted) {	/* diag's summary, not an endpoint */
		s->unlisted = v->unlisted;
		return;
	}
	if (s->neps >= MODEL_VIEW_MAX)
		return;
	struct model_endpoint *e = &s->eps[s->neps++];
	memset(e, 0, sizeof *e);
	e->server = v->server;
	e->proto = v->proto;
	e->port = v->port;
	snprintf(e->role, sizeof e->role, "%s", v->role ? v->role : "");
	snprintf(e->iface, sizeof e->iface, "%s", v->iface ? v->iface : "");
	snprintf(e->verdict, sizeof e->verdict, "%s", v->verdict ? v->verdict : "unknown");
	snprintf(e->reason, sizeof e->reason, "%s", v->reason ? v->reason : "");
	e->label = model_verdict_label(e->verdict);
	if (!strcmp(e->label, "-"))	/* diag has no verdict: say why */
		e->label = v->attempts ? "no answer yet" : "not tried";
	e->tone = model_verdict_tone(e->verdict, e->role);
	e->has_by = v->has_by;
	e->by = v->by;
	e->ttl = v->ttl;
	e->attempts = v->attempts;
	e->first_frame = v->first_frame;
	e->first_ts_us = v->first_ts_us;
}

static void snap_finding(void *ctx, const struct diag_finding *f)
{
	struct model *m = ctx;
	struct snap *s = &m->next;
	if (s->nfs >= MODEL_VIEW_MAX)
		return;
	s->fs[s->nfs++] = *f;
	s->counts[f->severity <= SEV_ERROR ? f->severity : SEV_ERROR]++;
}

static void collect_live(void *ctx, const struct flow *f)
{
	struct model *m = ctx;
	if (m->nlive == m->caplive) {
		size_t nc = m->caplive ? m->caplive * 2 : 256;
		const struct flow **v = realloc(m->live, nc * sizeof *v);
		if (!v)
			return;
		m->live = v;
		m->caplive = nc;
	}
	m->live[m->nlive++] = f;
}

uint64_t model_finding_frame(const struct diag_finding *f)
{
	uint64_t x = 0;
	for (uint32_t i = 0; i < f->nev; i++)
		if (f->ev[i].frame > x)
			x = f->ev[i].frame;
	return x;
}

static int cmp_finding_newest(const void *a, const void *b)
{
	const struct diag_finding *x = a, *y = b;
	uint64_t fx = model_finding_frame(x), fy = model_finding_frame(y);
	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

int model_refresh(struct model *m, uint64_t now_us)
{
	if (!m->dirty && !now_us && m->st.snapshots)
		return 0;
	struct snap *s = &m->next;
	if (!s->eps)
		s->eps = malloc(MODEL_VIEW_MAX * sizeof *s->eps);
	if (!s->fs)
		s->fs = malloc(MODEL_VIEW_MAX * sizeof *s->fs);
	if (!s->eps || !s->fs)
		return -1;
	s->neps = s->nfs = 0;
	s->unlisted = 0;
	memset(s->counts, 0, sizeof s->counts);
	m->nlive = 0;
	if (!m->finished)
		flow_table_foreach(m->ft, collect_live, m);
	if (diag_snapshot(m->diag, (const struct flow *const *)m->live, m->nlive, now_us, snap_endpoint,
			  snap_finding, m) < 0)
		return -1;
	if (s->nfs)
		qsort(s->fs, s->nfs, sizeof *s->fs, cmp_finding_newest);
	struct snap t = m->cur;
	m->cur = *s;
	*s = t;
	m->dirty = 0;
	m->st.snapshots++;
	return 0;
}

size_t model_nendpoints(const struct model *m) { return m->cur.neps; }
uint64_t model_unlisted_callbacks(const struct model *m) { return m->cur.unlisted; }
const struct model_endpoint *model_endpoint(const struct model *m, size_t i)
{
	return i < m->cur.neps ? &m->cur.eps[i] : NULL;
}
size_t model_nfindings(const struct model *m) { return m->cur.nfs; }
const struct diag_finding *model_finding(const struct model *m, size_t i)
{
	return i < m->cur.nfs ? &m->cur.fs[i] : NULL;
}
size_t model_ncalls(const struct model *m) { return m->calls.n; }
const struct model_call *model_call(const struct model *m, size_t i) { return mring_at(&m->calls, i); }
size_t model_nregs(const struct model *m) { return m->regs.n; }
const struct model_reg *model_reg(const struct model *m, size_t i) { return mring_at(&m->regs, i); }
void model_counts(const struct model *m, unsigned counts[3]) { memcpy(counts, m->cur.counts, sizeof m->cur.counts); }
const struct model_stats *model_stats(const struct model *m) { return &m->st; }
const struct pktring *model_packets(const struct model *m) { return &m->pkts; }

long model_write_pcap(const struct model *m, const char *path, uint32_t seconds, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(m->linktype, m->snaplen);
	if (!dead) {
		snprintf(err, errlen, "cannot prepare a pcap writer for link-type %d", m->linktype);
		return -1;
	}
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	if (!d) {
		snprintf(err, errlen, "%s", pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	const struct pktring *r = &m->pkts;
	uint64_t newest = 0;
	if (r->n)
		newest = pktring_at(r, r->n - 1, NULL)->ts_us;
	uint64_t from = seconds && newest > (uint64_t)seconds * 1000000u ? newest - (uint64_t)seconds * 1000000u : 0;
	long n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const unsigned char *data;
		const struct mpkt *p = pktring_at(r, i, &data);
		if (p->ts_us < from)
			continue;
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof h);
		h.ts.tv_sec = (time_t)(p->ts_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000u);
		h.caplen = p->caplen;
		h.len = p->len;
		pcap_dump((u_char *)d, &h, data);
		n++;
	}
	int bad = pcap_dump_flush(d) != 0;
	pcap_dump_close(d);
	pcap_close(dead);
	if (bad) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	return n;
}

/* ---- filtering ---------------------------------------------------------------------- */

/* Every blank-separated word of filter occurs (case-insensitively) in hay. */
static int words_in(const char *hay, const char *filter)
{
	if (!filter)
		return 1;
	const char *p = filter;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 1;
		size_t n = strcspn(p, " \t");
		int found = 0;
		for (const char *h = hay; *h && !found; h++)
			if (!strncasecmp(h, p, n))
				found = 1;
		if (!found)
			return 0;
		p += n;
	}
}

static const char *proto_text(uint8_t proto) { return proto == PROTO_UDP ? "udp" : "tcp"; }

int model_endpoint_match(const struct model_endpoint *e, const char *filter)
{
	char hay[ADDR_STRLEN * 2 + 200], ap[ADDR_STRLEN + 8];
	snprintf(hay, sizeof hay, "%s %u/%s %s %s %s %s", addr_port_str(&e->server, e->port, ap, sizeof ap), e->port,
		 proto_text(e->proto), e->iface, e->role, e->verdict, e->label ? e->label : "");
	return words_in(hay, filter);
}

static void ep_text(const struct rpc_ep *ep, char *buf, size_t n)
{
	char c[ADDR_STRLEN + 8], s[ADDR_STRLEN + 8];
	snprintf(buf, n, "%s %s %s", addr_port_str(&ep->cli, ep->cport, c, sizeof c),
		 addr_port_str(&ep->srv, ep->sport, s, sizeof s), proto_text(ep->proto));
}

int model_call_match(const struct model_call *c, const char *filter)
{
	char hay[1024], e[ADDR_STRLEN * 2 + 40];
	ep_text(&c->ep, e, sizeof e);
	snprintf(hay, sizeof hay, "%s %s %s %s", e, c->iface, c->op, c->result);
	return words_in(hay, filter);
}

int model_reg_match(const struct model_reg *r, const char *filter)
{
	char hay[ADDR_STRLEN * 3 + 200], e[ADDR_STRLEN * 2 + 40], cb[ADDR_STRLEN + 8] = "";
	ep_text(&r->ep, e, sizeof e);
	if (r->af)
		addr_port_str(&r->cb_ip, r->cb_port, cb, sizeof cb);
	snprintf(hay, sizeof hay, "%s %s EMSMDB %s", e, cb, r->result);
	return words_in(hay, filter);
}

int model_finding_match(const struct diag_finding *f, const char *filter)
{
	char hay[ADDR_STRLEN + 600], ap[ADDR_STRLEN + 8] = "";
	if (f->has_server)
		addr_port_str(&f->server, f->port, ap, sizeof ap);
	snprintf(hay, sizeof hay, "%s %s %s %s %s", ap, f->iface, f->role ? f->role : "", f->kind, f->summary);
	return words_in(hay, filter);
}

/* ---- sorting --------------------------------------------------------------------------- */

static const char *const sort_names[PANE__COUNT][MODEL_SORT_KEYS] = {
	{"trouble first", "address", "port"},
	{"newest first", "failed first", "interface"},
	{"newest first", "failed first", "client"},
	{"newest first", "most severe first", "kind"},
};

const char *model_sort_name(enum model_pane pane, int key)
{
	if ((unsigned)pane >= PANE__COUNT || key < 0 || key >= MODEL_SORT_KEYS)
		return "?";
	return sort_names[pane][key];
}

static int tone_rank(enum model_tone t)
{
	return t == TONE_BLOCKED ? 0 : t == TONE_SUSPICIOUS ? 1 : t == TONE_FINE ? 2 : 3;
}

static int cmp_ep_addr(const struct model_endpoint *x, const struct model_endpoint *y)
{
	int c = addr_cmp(&x->server, &y->server);
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->proto < y->proto ? -1 : x->proto > y->proto;
}

static int cmp_ep_trouble(const void *a, const void *b)
{
	const struct model_endpoint *x = *(const struct model_endpoint *const *)a,
				    *y = *(const struct model_endpoint *const *)b;
	int tx = tone_rank(x->tone), ty = tone_rank(y->tone);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return cmp_ep_addr(x, y);
}

static int cmp_ep_address(const void *a, const void *b)
{
	return cmp_ep_addr(*(const struct model_endpoint *const *)a, *(const struct model_endpoint *const *)b);
}

static int cmp_ep_port(const void *a, const void *b)
{
	const struct model_endpoint *x = *(const struct model_endpoint *const *)a,
				    *y = *(const struct model_endpoint *const *)b;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return cmp_ep_addr(x, y);
}

void model_sort_endpoints(const struct model_endpoint **v, size_t n, int key)
{
	if (n < 2)
		return;
	qsort(v, n, sizeof *v, key == 1 ? cmp_ep_address : key == 2 ? cmp_ep_port : cmp_ep_trouble);
}

static int cmp_seq_desc(uint64_t x, uint64_t y) { return x > y ? -1 : x < y; }

static int cmp_call_newest(const void *a, const void *b)
{
	const struct model_call *x = *(const struct model_call *const *)a, *y = *(const struct model_call *const *)b;
	return cmp_seq_desc(x->seq, y->seq);
}

static int cmp_call_failed(const void *a, const void *b)
{
	const struct model_call *x = *(const struct model_call *const *)a, *y = *(const struct model_call *const *)b;
	if (x->failed != y->failed)
		return x->failed ? -1 : 1;
	return cmp_seq_desc(x->seq, y->seq);
}

static int cmp_call_iface(const void *a, const void *b)
{
	const struct model_call *x = *(const struct model_call *const *)a, *y = *(const struct model_call *const *)b;
	int c = strcasecmp(x->iface, y->iface);
	if (c)
		return c;
	return cmp_seq_desc(x->seq, y->seq);
}

void model_sort_calls(const struct model_call **v, size_t n, int key)
{
	if (n < 2)
		return;
	qsort(v, n, sizeof *v, key == 1 ? cmp_call_failed : key == 2 ? cmp_call_iface : cmp_call_newest);
}

static int cmp_reg_newest(const void *a, const void *b)
{
	const struct model_reg *x = *(const struct model_reg *const *)a, *y = *(const struct model_reg *const *)b;
	return cmp_seq_desc(x->reg_id, y->reg_id);
}

static int cmp_reg_failed(const void *a, const void *b)
{
	const struct model_reg *x = *(const struct model_reg *const *)a, *y = *(const struct model_reg *const *)b;
	int fx = x->failed || (x->af && !x->notifications), fy = y->failed || (y->af && !y->notifications);
	if (fx != fy)
		return fx ? -1 : 1;
	return cmp_seq_desc(x->reg_id, y->reg_id);
}

static int cmp_reg_client(const void *a, const void *b)
{
	const struct model_reg *x = *(const struct model_reg *const *)a, *y = *(const struct model_reg *const *)b;
	int c = addr_cmp(&x->ep.cli, &y->ep.cli);
	if (c)
		return c;
	return cmp_seq_desc(x->reg_id, y->reg_id);
}

void model_sort_regs(const struct model_reg **v, size_t n, int key)
{
	if (n < 2)
		return;
	qsort(v, n, sizeof *v, key == 1 ? cmp_reg_failed : key == 2 ? cmp_reg_client : cmp_reg_newest);
}

static int cmp_f_newest(const void *a, const void *b)
{
	return cmp_finding_newest(*(const struct diag_finding *const *)a, *(const struct diag_finding *const *)b);
}

static int cmp_f_severe(const void *a, const void *b)
{
	const struct diag_finding *x = *(const struct diag_finding *const *)a, *y = *(const struct diag_finding *const *)b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return cmp_finding_newest(x, y);
}

static int cmp_f_kind(const void *a, const void *b)
{
	const struct diag_finding *x = *(const struct diag_finding *const *)a, *y = *(const struct diag_finding *const *)b;
	int c = strcmp(x->kind, y->kind);
	if (c)
		return c;
	return cmp_finding_newest(x, y);
}

void model_sort_findings(const struct diag_finding **v, size_t n, int key)
{
	if (n < 2)
		return;
	qsort(v, n, sizeof *v, key == 1 ? cmp_f_severe : key == 2 ? cmp_f_kind : cmp_f_newest);
}
