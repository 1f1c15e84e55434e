/* \summary: the DCE/RPC engine: which flows carry DCE/RPC, the endpoint map
 * learned from the endpoint mapper, EMSMDB push registrations and the UDP
 * notifications that answer them (see rpc.h)
 *
 * A TCP flow is taken as connection-oriented DCE/RPC when it goes to port
 * 135 or 593, to a port the endpoint mapper handed out earlier in the
 * capture, or when one of its first data segments starts with a plausible
 * CO PDU header (so a capture that starts mid-stream on a dynamic port is
 * still decoded).  UDP datagrams with a plausible connectionless header go
 * to dcerpc_cl.c; other UDP datagrams are checked against the registered
 * push-notification callbacks.
 */
#include "config.h"
#include "rpc_int.h"
#include "epm.h"
#include "emsmdb.h"
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EP_TABLE_MAX 65536
#ifndef REG_TABLE_MAX	/* fuzz/fuzz.mk makes it small: a 5 MB table per fuzz run is most of its time */
#define REG_TABLE_MAX 65536
#endif

static const struct rpc_uuid EPM_UUID = {{0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9, 0x91, 0xa4, 0x08, 0x00,
					  0x2b, 0x14, 0xa0, 0xfa}};
static const struct rpc_uuid EMSMDB_UUID = {{0xa4, 0xf1, 0xdb, 0x00, 0xca, 0x47, 0x10, 0x67, 0xb3, 0x1f, 0x00,
					     0xdd, 0x01, 0x06, 0x62, 0xda}};
static const struct rpc_uuid ASYNCEMSMDB_UUID = {{0x52, 0x61, 0x57, 0x4a, 0x45, 0x72, 0x20, 0x6e, 0xb2, 0x68,
						  0x6b, 0x19, 0x92, 0x13, 0xb4, 0xe4}};

enum { EPM_OP_LOOKUP = 2, EPM_OP_MAP = 3 };
enum { EMSMDB_OP_REGISTER = 4 };

/* Decoder results are large (every tower of an answer); one set per engine. */
struct rpc_scratch {
	struct epm_map_req map_req;
	struct epm_map_resp map_resp;
	struct epm_lookup_req lookup_req;
	struct epm_lookup_resp lookup_resp;
};

/* What matching a notification needs of a registration, and no more: the
 * ring holds up to REG_TABLE_MAX of them, so its size is most of the engine's
 * memory on a long capture (52 bytes a slot, not the 208 of a whole event).
 * The ring starts small and doubles (REG_TABLE_FIRST slots first) until it
 * holds REG_TABLE_MAX; only then does it wrap.  The hash buckets are as many
 * as the slots, and a chain lists its registrations newest first whatever
 * the number of buckets, so growing does not change which one matches.
 *
 * Reclaiming (reg_reclaim): when the ring is full, before it doubles (or
 * wraps), it forgets the registrations whose EMSMDB connection ended at
 * least the hold time ago (rpc_engine_set_reg_hold: analyze passes
 * --notify-window, default 60 s) in capture time.  The server drops a
 * registration with its session (EcDoDisconnect or the connection's end),
 * and diag's notify window has passed for it, so a datagram after that is
 * reported unmatched, like one for a registration the capture did not see.
 * Registrations whose connection is still open (or whose end the engine
 * did not see) are kept until the ring wraps.  The ring keeps age order
 * (oldest first from slot 0, or from reg_next once wrapped), so a
 * registration is found by reg_id with a binary search.  So memory follows
 * the sessions open in the last hold time, not the length of the capture. */
#define REG_CTX_INLINE 16		/* cbContext is at most 16 unless the server says ecTooBig */
#define REG_TABLE_FIRST 1024
#define REG_HOLD_DEFAULT_S 60		/* rpc_engine_set_reg_hold(): --notify-window's default */
struct reg_slot {
	uint32_t next_addr, next_ctx;	/* hash chains: index + 1 */
	uint32_t reg_id;		/* 0: slot unused (the engine numbers from 1) */
	uint32_t end_s;			/* capture second (rounded up) its EMSMDB connection ended; 0: open */
	uint16_t cb_port;
	uint8_t context_len;		/* <= RPC_CONTEXT_MAX */
	struct addr cb_ip;
	uint8_t ctx[REG_CTX_INLINE];	/* the context when it fits, else in e->reg_ext[slot] */
};

_Static_assert(RPC_CONTEXT_MAX <= 255, "reg_slot.context_len is a byte");

static const uint8_t *reg_context(const struct rpc_engine *e, const struct reg_slot *r)
{
	return r->context_len > REG_CTX_INLINE ? e->reg_ext[r - e->regs] : r->ctx;
}

_Static_assert((REG_TABLE_MAX & (REG_TABLE_MAX - 1)) == 0, "hash buckets: a power of two");
static uint32_t reg_bucket(const struct rpc_engine *e, uint32_t h) { return h & (e->hbuckets - 1); }

/* ---- engine ------------------------------------------------------------------ */

struct rpc_engine *rpc_engine_new(const struct rpc_sink *sink)
{
	struct rpc_engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->sink = *sink;
	e->scratch = calloc(1, sizeof *e->scratch);
	if (!e->scratch) {
		free(e);
		return NULL;
	}
	return e;
}

/* Everything the engine allocated after rpc_engine_new (not the scratch). */
static void engine_release(struct rpc_engine *e)
{
	dce_cl_free(e);
	free(e->eps);
	if (e->reg_ext)
		for (uint32_t i = 0; i < e->reg_cap; i++)
			free(e->reg_ext[i]);
	free(e->reg_ext);
	free(e->regs);
	free(e->h_addr);
	free(e->h_ctx);
}

void rpc_engine_free(struct rpc_engine *e)
{
	if (!e)
		return;
	engine_release(e);
	free(e->scratch);
	free(e);
}

void rpc_engine_reset(struct rpc_engine *e, const struct rpc_sink *sink)
{
	struct rpc_scratch *scratch = e->scratch;
	engine_release(e);
	memset(e, 0, sizeof *e);
	memset(scratch, 0, sizeof *scratch);
	e->sink = *sink;
	e->scratch = scratch;
}

const struct rpc_stats *rpc_engine_stats(const struct rpc_engine *e) { return &e->st; }

size_t rpc_endpoints(const struct rpc_engine *e, const struct rpc_endpoint **v)
{
	*v = e->eps;
	return e->neps;
}

void rpc_ep_from_flow(const struct flow *f, int client_dir, struct rpc_ep *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->proto = f->proto;
	if (client_dir == 0) {
		ep->cli = f->orig;
		ep->cport = f->oport;
		ep->srv = f->resp;
		ep->sport = f->rport;
	} else {
		ep->cli = f->resp;
		ep->cport = f->rport;
		ep->srv = f->orig;
		ep->sport = f->oport;
	}
}

/* ---- learned endpoints ------------------------------------------------------- */

static void learn_endpoint(struct rpc_engine *e, const struct addr *srv, uint16_t port, uint8_t proto,
			   const struct rpc_uuid *iface, uint16_t vmaj)
{
	for (size_t i = 0; i < e->neps; i++) {
		struct rpc_endpoint *x = &e->eps[i];
		if (x->port == port && x->proto == proto && addr_eq(&x->srv, srv) && uuid_eq(&x->iface, iface))
			return;
	}
	if (e->neps == e->caps_eps) {
		if (e->caps_eps >= EP_TABLE_MAX) {
			e->st.capped++;
			return;
		}
		size_t nc = e->caps_eps ? e->caps_eps * 2 : 64;
		struct rpc_endpoint *v = realloc(e->eps, nc * sizeof *v);
		if (!v)
			return;
		e->eps = v;
		e->caps_eps = nc;
	}
	struct rpc_endpoint *x = &e->eps[e->neps++];
	memset(x, 0, sizeof *x);
	x->srv = *srv;
	x->port = port;
	x->proto = proto;
	x->iface = *iface;
	x->ver_major = vmaj;
	x->frame = e->cur->frame;
	x->ts_us = e->cur->ts_us;
	e->st.endpoints_learned++;
	if (uuid_eq(iface, &EMSMDB_UUID))
		rpc_note_emsmdb_server(e, srv);
}

/* The interface at srv:port, if the endpoint map names exactly one. */
int rpc_lookup_endpoint(const struct rpc_engine *e, const struct addr *srv, uint16_t port, uint8_t proto,
			struct rpc_uuid *iface, uint16_t *vmaj)
{
	int found = 0;
	for (size_t i = 0; i < e->neps; i++) {
		const struct rpc_endpoint *x = &e->eps[i];
		if (x->port != port || x->proto != proto || !addr_eq(&x->srv, srv))
			continue;
		if (found && !uuid_eq(iface, &x->iface))
			return 0;	/* several interfaces share the port: no guess */
		*iface = x->iface;
		*vmaj = x->ver_major;
		found = 1;
	}
	return found;
}

static int is_learned_port(const struct rpc_engine *e, const struct addr *srv, uint16_t port)
{
	for (size_t i = 0; i < e->neps; i++)
		if (e->eps[i].port == port && e->eps[i].proto == PROTO_TCP && addr_eq(&e->eps[i].srv, srv))
			return 1;
	return 0;
}

void rpc_note_emsmdb_server(struct rpc_engine *e, const struct addr *srv)
{
	for (size_t i = 0; i < e->n_emsmdb_srv; i++)
		if (addr_eq(&e->emsmdb_srv[i], srv))
			return;
	if (e->n_emsmdb_srv < sizeof e->emsmdb_srv / sizeof e->emsmdb_srv[0])
		e->emsmdb_srv[e->n_emsmdb_srv++] = *srv;
}

static int is_emsmdb_server(const struct rpc_engine *e, const struct addr *a)
{
	for (size_t i = 0; i < e->n_emsmdb_srv; i++)
		if (addr_eq(&e->emsmdb_srv[i], a))
			return 1;
	return 0;
}

/* ---- registrations and notifications ---------------------------------------- */

static uint32_t hash_bytes(const uint8_t *p, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static uint32_t addr_key(const struct addr *a, uint16_t port)
{
	uint32_t h = hash_bytes(a->a, a->family == 6 ? 16 : 4, 2166136261u);
	uint8_t pb[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	return hash_bytes(pb, 2, h);
}

static void chain_unlink(uint32_t *heads, struct reg_slot *regs, uint32_t bucket, uint32_t idx, int ctx)
{
	uint32_t *pp = &heads[bucket];
	while (*pp) {
		struct reg_slot *r = &regs[*pp - 1];
		if (*pp - 1 == idx) {
			*pp = ctx ? r->next_ctx : r->next_addr;
			return;
		}
		pp = ctx ? &r->next_ctx : &r->next_addr;
	}
}

static uint32_t slot_h_addr(const struct rpc_engine *e, const struct reg_slot *r)
{
	return reg_bucket(e, addr_key(&r->cb_ip, r->cb_port));
}

static uint32_t slot_h_ctx(const struct rpc_engine *e, const struct reg_slot *r)
{
	return reg_bucket(e, hash_bytes(reg_context(e, r), r->context_len, 2166136261u));
}

static void chain_push(struct rpc_engine *e, uint32_t idx)
{
	struct reg_slot *r = &e->regs[idx];
	uint32_t ha = slot_h_addr(e, r), hc = slot_h_ctx(e, r);
	r->next_addr = e->h_addr[ha];
	e->h_addr[ha] = idx + 1;
	r->next_ctx = e->h_ctx[hc];
	e->h_ctx[hc] = idx + 1;
}

/* Room for one more registration before the ring wraps: double the slots
 * (and buckets, rebuilt oldest first so chains stay newest first).  Returns 0
 * when out of memory (the table is then unchanged and wraps early). */
static int reg_grow(struct rpc_engine *e)
{
	uint32_t nc = e->reg_cap ? e->reg_cap * 2 : (REG_TABLE_FIRST < REG_TABLE_MAX ? REG_TABLE_FIRST : REG_TABLE_MAX);
	struct reg_slot *regs = realloc(e->regs, (size_t)nc * sizeof *regs);
	if (!regs)
		return 0;
	e->regs = regs;
	memset(regs + e->reg_cap, 0, (size_t)(nc - e->reg_cap) * sizeof *regs);
	if (e->reg_ext) {
		uint8_t **x = realloc(e->reg_ext, (size_t)nc * sizeof *x);
		if (!x)
			return 0;
		memset(x + e->reg_cap, 0, (size_t)(nc - e->reg_cap) * sizeof *x);
		e->reg_ext = x;
	}
	uint32_t *ha = calloc(nc, sizeof *ha), *hc = calloc(nc, sizeof *hc);
	if (!ha || !hc) {
		free(ha);
		free(hc);
		return 0;
	}
	free(e->h_addr);
	free(e->h_ctx);
	e->h_addr = ha;
	e->h_ctx = hc;
	e->hbuckets = nc;
	e->reg_cap = nc;
	for (uint32_t i = 0; i < e->nregs; i++)	/* not wrapped yet: slot order is age order */
		chain_push(e, i);
	return 1;
}

static uint32_t reg_hold_s(const struct rpc_engine *e)
{
	return e->reg_hold_s ? e->reg_hold_s : REG_HOLD_DEFAULT_S;
}

void rpc_engine_set_reg_hold(struct rpc_engine *e, uint32_t secs) { e->reg_hold_s = secs; }

/* Slot i of the ring in age order (0 = oldest). */
static uint32_t reg_age_slot(const struct rpc_engine *e, uint32_t i)
{
	return e->reg_wrapped ? (e->reg_next + i) % e->reg_cap : i;
}

/* The slot of registration id, or NULL when the ring no longer (or never) held it. */
static struct reg_slot *reg_by_id(struct rpc_engine *e, uint32_t id)
{
	uint32_t lo = 0, hi = e->nregs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (e->regs[reg_age_slot(e, mid)].reg_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct reg_slot *r = lo < e->nregs ? &e->regs[reg_age_slot(e, lo)] : NULL;
	return r && r->reg_id == id ? r : NULL;
}

/* Reverse slots [i, j) (and their context pointers). */
static void reg_reverse(struct rpc_engine *e, uint32_t i, uint32_t j)
{
	while (i + 1 < j) {
		j--;
		struct reg_slot t = e->regs[i];
		e->regs[i] = e->regs[j];
		e->regs[j] = t;
		if (e->reg_ext) {
			uint8_t *x = e->reg_ext[i];
			e->reg_ext[i] = e->reg_ext[j];
			e->reg_ext[j] = x;
		}
		i++;
	}
}

/* Forget the registrations whose connection ended at least the hold time
 * ago (see the comment at struct reg_slot); the ring is left in age order
 * from slot 0, chains rebuilt.  Returns how many were forgotten. */
static uint32_t reg_reclaim(struct rpc_engine *e)
{
	if (!e->nregs || !e->cur)
		return 0;
	if (e->reg_wrapped && e->reg_next) {	/* rotate: the oldest to slot 0 */
		reg_reverse(e, 0, e->reg_next);
		reg_reverse(e, e->reg_next, e->reg_cap);
		reg_reverse(e, 0, e->reg_cap);
	}
	e->reg_wrapped = 0;
	uint64_t now_s = e->cur->ts_us / 1000000u;
	uint32_t n = e->nregs, k = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct reg_slot *r = &e->regs[i];
		if (r->end_s && now_s >= (uint64_t)r->end_s + reg_hold_s(e)) {
			e->ctx_len_regs[r->context_len]--;
			if (e->reg_ext) {
				free(e->reg_ext[i]);
				e->reg_ext[i] = NULL;
			}
			continue;
		}
		if (k != i) {
			e->regs[k] = *r;
			if (e->reg_ext) {
				e->reg_ext[k] = e->reg_ext[i];
				e->reg_ext[i] = NULL;
			}
		}
		k++;
	}
	memset(e->regs + k, 0, (size_t)(n - k) * sizeof *e->regs);
	e->nregs = k;
	e->reg_next = k % e->reg_cap;
	memset(e->h_addr, 0, (size_t)e->hbuckets * sizeof *e->h_addr);
	memset(e->h_ctx, 0, (size_t)e->hbuckets * sizeof *e->h_ctx);
	for (uint32_t i = 0; i < k; i++)	/* oldest first: chains newest first */
		chain_push(e, i);
	return n - k;
}

/* A registration was made by a CO call: remember it on the connection being
 * processed (rpc_packet and rpc_flow_end set cur_flow to its flow). */
static void reg_note_conn(struct rpc_engine *e, uint32_t reg_id)
{
	struct dce_conn *c = e->cur_flow && e->cur_flow->proto == PROTO_TCP ? e->cur_flow->app : NULL;
	if (!c || c->kind != 1 || c->nreg_ids >= DCE_CONN_REGS)
		return;
	c->reg_ids[c->nreg_ids++] = reg_id;
}

/* Connection c is over (the engine is about to free it): its registrations'
 * hold time starts now. */
static void reg_conn_ended(struct rpc_engine *e, const struct dce_conn *c)
{
	for (uint8_t i = 0; i < c->nreg_ids; i++) {
		struct reg_slot *r = reg_by_id(e, c->reg_ids[i]);
		if (r && !r->end_s && e->cur)
			r->end_s = (uint32_t)(e->cur->ts_us / 1000000u + 1);
	}
}

/* Room for the next registration at reg_next: reclaim (at most once per
 * quarter of the ring's registrations, so a ring of open sessions is not
 * scanned at every one), else grow, else the ring wraps. */
static void reg_make_room(struct rpc_engine *e)
{
	if (e->nregs < e->reg_cap)
		return;
	if (e->reg_cap && e->reg_since_reclaim >= e->reg_cap / 4) {
		e->reg_since_reclaim = 0;
		if (reg_reclaim(e) >= e->reg_cap / 4)
			return;
	}
	if (e->reg_cap < REG_TABLE_MAX && !e->reg_wrapped && reg_grow(e))
		e->reg_next = e->nregs;
}

static void reg_add(struct rpc_engine *e, const struct rpc_notify_reg_ev *ev)
{
	reg_make_room(e);
	if (!e->reg_cap)
		return;
	e->reg_since_reclaim++;
	if (ev->context_len > REG_CTX_INLINE && !e->reg_ext)
		e->reg_ext = calloc(e->reg_cap, sizeof *e->reg_ext);
	uint32_t idx = e->reg_next;
	e->reg_next = (e->reg_next + 1) % e->reg_cap;
	struct reg_slot *r = &e->regs[idx];
	if (r->reg_id) {	/* the ring wrapped: forget the oldest registration */
		e->reg_wrapped = 1;	/* age order now starts at reg_next: no growing until reg_reclaim */
		e->st.capped++;
		chain_unlink(e->h_addr, e->regs, slot_h_addr(e, r), idx, 0);
		chain_unlink(e->h_ctx, e->regs, slot_h_ctx(e, r), idx, 1);
		e->ctx_len_regs[r->context_len]--;
	} else {
		e->nregs++;
	}
	if (e->reg_ext) {
		free(e->reg_ext[idx]);
		e->reg_ext[idx] = NULL;
	}
	memset(r, 0, sizeof *r);
	r->reg_id = ev->reg_id;
	r->cb_ip = ev->cb_ip;
	r->cb_port = ev->cb_port;
	r->context_len = (uint8_t)ev->context_len;
	if (ev->context_len > REG_CTX_INLINE) {
		uint8_t *x = e->reg_ext ? malloc(ev->context_len) : NULL;
		if (x) {
			e->reg_ext[idx] = x;
		} else {	/* out of memory: keep what fits, it will not match */
			e->st.capped++;
			r->context_len = REG_CTX_INLINE;
		}
	}
	memcpy(r->context_len > REG_CTX_INLINE ? e->reg_ext[idx] : r->ctx, ev->context, r->context_len);
	e->ctx_len_regs[r->context_len]++;
	chain_push(e, idx);
}

/* A UDP datagram that is not DCE/RPC: is it a push notification? */
static void check_notification(struct rpc_engine *e, const struct pkt *p)
{
	if (!p->payload_len || p->payload_len > RPC_CONTEXT_MAX || p->payload_caplen != p->payload_len)
		return;
	const struct reg_slot *best = NULL;
	int m_addr = 0, m_ctx = 0;
	if (e->regs) {
		/* newest registration first: walk both chains, keep the best match */
		for (uint32_t i = e->h_addr[reg_bucket(e, addr_key(&p->dst, p->dport))]; i; i = e->regs[i - 1].next_addr) {
			const struct reg_slot *r = &e->regs[i - 1];
			if (r->cb_port == p->dport && addr_eq(&r->cb_ip, &p->dst)) {
				int c = r->context_len == p->payload_len && !memcmp(reg_context(e, r), p->payload, p->payload_len);
				if (!best || c > m_ctx) {
					best = r;
					m_addr = 1;
					m_ctx = c;
				}
				if (c)
					break;
			}
		}
		/* by content, unless no registration has a context of this length */
		if (!m_ctx && e->ctx_len_regs[p->payload_len]) {
			uint32_t hb = reg_bucket(e, hash_bytes(p->payload, p->payload_len, 2166136261u));
			for (uint32_t i = e->h_ctx[hb]; i; i = e->regs[i - 1].next_ctx) {
				const struct reg_slot *r = &e->regs[i - 1];
				if (r->context_len == p->payload_len && !memcmp(reg_context(e, r), p->payload, p->payload_len)) {
					best = r;
					m_ctx = 1;
					m_addr = r->cb_port == p->dport && addr_eq(&r->cb_ip, &p->dst);
					break;
				}
			}
		}
	}
	int candidate = 0;
	if (!best) {
		/* unmatched: from a known EMSMDB server, ephemeral ports both sides, tiny payload */
		if (!(p->sport >= 1024 && p->dport >= 1024 && p->payload_len <= 16 && is_emsmdb_server(e, &p->src)))
			return;
		candidate = 1;
	}
	struct rpc_notify_udp_ev ev;
	memset(&ev, 0, sizeof ev);
	ev.ep.proto = PROTO_UDP;
	ev.ep.cli = p->dst;
	ev.ep.cport = p->dport;
	ev.ep.srv = p->src;
	ev.ep.sport = p->sport;
	ev.src = p->src;
	ev.dst = p->dst;
	ev.sport = p->sport;
	ev.dport = p->dport;
	ev.frame = p->frame;
	ev.ts_us = p->ts_us;
	ev.len = p->payload_len;
	ev.reg_id = best ? best->reg_id : 0;
	ev.match_addr = (uint8_t)m_addr;
	ev.match_context = (uint8_t)m_ctx;
	ev.candidate = (uint8_t)candidate;
	ev.payload_len = (uint16_t)p->payload_len;
	memcpy(ev.payload, p->payload, p->payload_len);
	e->st.notify_udp++;
	if (best)
		e->st.notify_matched++;
	if (best && m_addr && e->cur_flow)
		e->cur_flow->notify = 1;
	if (e->sink.notify_udp)
		e->sink.notify_udp(e->sink.ctx, &ev);
}

/* ---- interface stub decoders ------------------------------------------------ */

int rpc_call_wants_stub(const struct rpc_uuid *iface, uint16_t opnum, int response)
{
	(void)response;
	if (uuid_eq(iface, &EPM_UUID))
		return opnum == EPM_OP_LOOKUP || opnum == EPM_OP_MAP;
	if (uuid_eq(iface, &EMSMDB_UUID))
		return opnum == EMSMDB_OP_REGISTER;
	return 0;
}

/* The address a tower names; 0.0.0.0 (as some servers answer) means the
 * endpoint mapper's own address. */
static void tower_addr(const struct epm_tower *t, const struct rpc_ep *ep, struct addr *a)
{
	static const uint8_t any[4];
	if (t->has_ip && memcmp(t->ipv4, any, 4))
		addr_set4(a, t->ipv4);
	else
		*a = ep->srv;
}

static void epm_event_from_tower(struct rpc_epm_ev *ev, const struct epm_tower *t, const struct rpc_ep *ep)
{
	ev->has_tower = 1;
	ev->has_iface = t->has_iface;
	ev->iface = t->iface;
	ev->ver_major = t->ver_major;
	ev->ver_minor = t->ver_minor;
	ev->protseq = epm_protseq_name(t->protseq);
	switch (t->protseq) {
	case EPM_NCACN_IP_TCP: ev->proto = RPC_EPM_TCP; break;
	case EPM_NCADG_IP_UDP: ev->proto = RPC_EPM_UDP; break;
	case EPM_NCACN_NP: ev->proto = RPC_EPM_NP; break;
	case EPM_NCACN_HTTP: ev->proto = RPC_EPM_HTTP; break;
	case EPM_NCALRPC: ev->proto = RPC_EPM_LRPC; break;
	default: ev->proto = RPC_EPM_OTHER; break;
	}
	if (t->has_ip) {
		ev->has_ip = 1;
		addr_set4(&ev->ip, t->ipv4);
	}
	ev->has_port = t->has_port;
	ev->port = t->port;
	if (t->has_pipe)
		snprintf(ev->pipe, sizeof ev->pipe, "%s", t->pipe);
	if (t->has_host)
		snprintf(ev->host, sizeof ev->host, "%s", t->host);
	epm_tower_string(t, ev->binding, sizeof ev->binding);
	(void)ep;
}

static void learn_from_tower(struct rpc_engine *e, const struct epm_tower *t, const struct rpc_ep *ep)
{
	if (!t->has_iface || !t->has_port || t->malformed)
		return;
	uint8_t proto = t->protseq == EPM_NCACN_IP_TCP || t->protseq == EPM_NCACN_HTTP ? PROTO_TCP
		      : t->protseq == EPM_NCADG_IP_UDP ? PROTO_UDP : 0;
	if (!proto || !t->port)
		return;
	struct addr a;
	tower_addr(t, ep, &a);
	learn_endpoint(e, &a, t->port, proto, &t->iface, t->ver_major);
}

static void epm_emit(struct rpc_engine *e, struct rpc_epm_ev *ev)
{
	e->st.epm_answers++;
	if (e->sink.epm)
		e->sink.epm(e->sink.ctx, ev);
}

/* One epm event per tower (or entry); one without a tower when the answer has none. */
static void epm_emit_towers(struct rpc_engine *e, struct rpc_epm_ev *ev, const struct rpc_ep *ep,
			    const struct epm_tower *const *towers, const char *const *notes, uint32_t n)
{
	ev->count = n;
	if (n == 0) {
		epm_emit(e, ev);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rpc_epm_ev t = *ev;
		t.index = i;
		if (towers[i]) {
			epm_event_from_tower(&t, towers[i], ep);
			learn_from_tower(e, towers[i], ep);
		}
		if (notes && notes[i])
			snprintf(t.annotation, sizeof t.annotation, "%s", notes[i]);
		epm_emit(e, &t);
	}
}

static void epm_complete(struct rpc_engine *e, struct dce_call *call)
{
	struct rpc_call_ev *c = &call->ev;
	struct rpc_epm_ev ev;
	memset(&ev, 0, sizeof ev);
	ev.ep = c->ep;
	ev.opnum = c->opnum;
	ev.req_frame = c->req_frame;
	ev.frame = c->resp_frame;
	ev.ts_us = c->resp_ts_us;
	if (call->have_epm_req) {
		ev.has_iface = 1;
		ev.iface = call->epm_req_iface;
		ev.ver_major = call->epm_req_vmaj;
		ev.ver_minor = call->epm_req_vmin;
	}
	const struct epm_tower *towers[EPM_MAX_ENTRIES > EPM_MAX_TOWERS ? EPM_MAX_ENTRIES : EPM_MAX_TOWERS];
	const char *notes[EPM_MAX_ENTRIES];
	uint32_t n = 0, status;
	if (c->opnum == EPM_OP_MAP) {
		struct epm_map_resp *r = &e->scratch->map_resp;
		epm_map_resp_decode(call->resp.p, call->resp.len, call->le, c->ndr64, r);
		if (!r->has_status)
			return;
		status = r->status;
		for (n = 0; n < r->n_towers; n++)
			towers[n] = &r->towers[n];
		ev.status = status;
		epm_emit_towers(e, &ev, &c->ep, towers, NULL, n);
	} else {
		struct epm_lookup_resp *r = &e->scratch->lookup_resp;
		epm_lookup_resp_decode(call->resp.p, call->resp.len, call->le, c->ndr64, r);
		if (!r->has_status)
			return;
		status = r->status;
		for (n = 0; n < r->n_entries; n++) {
			towers[n] = r->entries[n].tower_decoded ? &r->entries[n].tower : NULL;
			notes[n] = r->entries[n].annotation;
		}
		ev.status = status;
		epm_emit_towers(e, &ev, &c->ep, towers, notes, n);
	}
	c->has_rc = 1;
	c->rc = status;
	c->rc_table = 2;
	c->detailed = 1;
}

/* ---- EMSMDB push registrations ------------------------------------------------ */

static void emsmdb_request_done(struct dce_call *call)
{
	const struct rpc_call_ev *c = &call->ev;
	struct rpc_notify_reg_ev *r = call->reg ? call->reg : calloc(1, sizeof *r);
	if (!r)
		return;
	memset(r, 0, sizeof *r);
	call->reg = r;
	r->ep = c->ep;
	r->req_frame = c->req_frame;
	r->ts_us = c->req_ts_us;
	if (c->sealed || !call->req.len) {
		r->args_sealed = c->sealed;
		return;
	}
	struct emsmdb_rpn_req q;
	emsmdb_rpn_req_decode(call->req.p, call->req.len, call->le, c->ndr64, &q);
	r->family_raw = q.family;
	if (q.has_addr && q.af) {
		r->af = q.af;
		if (q.af == 4)
			addr_set4(&r->cb_ip, q.ip);
		else
			addr_set6(&r->cb_ip, q.ip);
		r->cb_port = q.port;
	}
	r->cb_context = q.cb_context;
	r->context_len = (uint16_t)(q.context_len < RPC_CONTEXT_MAX ? q.context_len : RPC_CONTEXT_MAX);
	memcpy(r->context, q.context, r->context_len);
	r->advise_bits = q.advise_bits;
	r->inconsistent = q.context_count_mismatch || q.callback_count_mismatch || q.callback_size_mismatch ||
			  q.invalid != NULL;
}

/* The registration is answered (or its connection ended): record and report it. */
static void emsmdb_complete(struct rpc_engine *e, struct dce_call *call)
{
	const struct rpc_call_ev *c = &call->ev;
	struct rpc_notify_reg_ev *r = call->reg;
	if (c->resp_frame && !c->fault) {
		r->resp_frame = c->resp_frame;
		r->answered = 1;
		if (call->resp.len && !c->sealed) {
			struct emsmdb_rpn_resp a;
			if (emsmdb_rpn_resp_decode(call->resp.p, call->resp.len, call->le, c->ndr64, &a) == STUB_OK) {
				r->has_rc = 1;
				r->rc = a.rc;
				r->hnotification = a.hnotification;
			}
		} else if (c->has_rc) {
			r->has_rc = 1;
			r->rc = c->rc;
		}
	}
	call->ev.detailed = 1;
	r->reg_id = ++e->next_reg_id;
	e->st.registrations++;
	if (r->af) {
		reg_add(e, r);
		if (!c->connectionless)
			reg_note_conn(e, r->reg_id);
	}
	if (e->sink.notify_reg)
		e->sink.notify_reg(e->sink.ctx, r);
}

void rpc_call_request_done(struct rpc_engine *e, struct dce_call *call)
{
	const struct rpc_call_ev *c = &call->ev;
	if (!c->has_iface)
		return;
	if (uuid_eq(&c->iface, &EPM_UUID) && call->req.len) {
		if (c->opnum == EPM_OP_MAP) {
			struct epm_map_req *r = &e->scratch->map_req;
			epm_map_req_decode(call->req.p, call->req.len, call->le, c->ndr64, r);
			if (r->has_tower && r->tower.has_iface) {
				call->have_epm_req = 1;
				call->epm_req_iface = r->tower.iface;
				call->epm_req_vmaj = r->tower.ver_major;
				call->epm_req_vmin = r->tower.ver_minor;
			}
		} else if (c->opnum == EPM_OP_LOOKUP) {
			struct epm_lookup_req *r = &e->scratch->lookup_req;
			epm_lookup_req_decode(call->req.p, call->req.len, call->le, c->ndr64, r);
			if (r->has_ifid) {
				call->have_epm_req = 1;
				call->epm_req_iface = r->if_uuid;
				call->epm_req_vmaj = r->if_vers_major;
				call->epm_req_vmin = r->if_vers_minor;
			}
		}
	} else if (uuid_eq(&c->iface, &EMSMDB_UUID) && c->opnum == EMSMDB_OP_REGISTER) {
		emsmdb_request_done(call);
	}
}

void rpc_call_complete(struct rpc_engine *e, struct dce_call *call)
{
	struct rpc_call_ev *c = &call->ev;
	int answered = call->resp_done && !c->fault;
	if (!c->resp_frame)
		e->st.unanswered++;
	if (c->has_iface && uuid_eq(&c->iface, &EPM_UUID) && answered && !c->sealed && call->resp.len &&
	    (c->opnum == EPM_OP_MAP || c->opnum == EPM_OP_LOOKUP) && c->req_frame)
		epm_complete(e, call);
	else if (c->has_iface && (uuid_eq(&c->iface, &EMSMDB_UUID) || uuid_eq(&c->iface, &ASYNCEMSMDB_UUID))) {
		rpc_note_emsmdb_server(e, &c->ep.srv);
		if (answered && !c->sealed && call->tail_len >= 4 && c->req_frame) {
			/* the method's return value is marshalled last */
			const uint8_t *t = call->tail + call->tail_len - 4;
			c->has_rc = 1;
			c->rc = call->le ? (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24
					 : (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3];
			c->rc_table = 1;
		}
		if (uuid_eq(&c->iface, &EMSMDB_UUID) && c->opnum == EMSMDB_OP_REGISTER && call->reg)
			emsmdb_complete(e, call);
	}
	if (e->sink.call)
		e->sink.call(e->sink.ctx, c);
}

/* ---- per-packet -------------------------------------------------------------- */

void rpc_packet(struct rpc_engine *e, struct flow *f, int dir, const struct pkt *p)
{
	if (!f)
		return;
	e->cur = p;
	e->cur_flow = f;
	e->cur_dir = dir;
	if (p->proto == PROTO_UDP) {
		if ((p->sport == 135 || p->dport == 135 || dce_cl_header_plausible(p->payload, p->payload_caplen)) &&
		    dce_cl_header_plausible(p->payload, p->payload_caplen))
			dce_cl_packet(e, f, dir, p);
		else
			check_notification(e, p);
		return;
	}
	if (p->proto != PROTO_TCP)
		return;
	struct dce_conn *c = f->app;
	if (!c) {
		if (f->app_probe >= DCE_PROBE_SEGMENTS || !p->payload_len)
			return;
		int yes = f->rport == 135 || f->rport == 593 || f->oport == 135 ||
			  is_learned_port(e, &f->resp, f->rport) || is_learned_port(e, &f->orig, f->oport) ||
			  dce_co_header_plausible(p->payload, p->payload_caplen);
		if (!yes) {
			f->app_probe++;
			return;
		}
		c = dce_conn_new(f);
		if (!c)
			return;
		f->app = c;
		/* start both directions here: bytes before this segment were not seen */
		stream_set_next(&c->st[dir], p->seq);
	}
	dce_conn_segment(e, c, dir, p);
	/* the connection is over: report what it left open and free its state now
	 * rather than when the flow expires */
	if ((p->tcp_flags & TH_RST) || (f->fin[0] && f->fin[1])) {
		dce_conn_end(e, c);
		reg_conn_ended(e, c);
		dce_conn_free(c);
		f->app = NULL;
		f->app_probe = DCE_PROBE_SEGMENTS;	/* do not attach again */
	}
}

void rpc_flow_end(struct rpc_engine *e, struct flow *f)
{
	struct dce_conn *c = f->app;
	if (!c || c->kind != 1)
		return;
	/* The caller's packet may be gone (end of input) or belong to another
	 * flow (eviction): PDUs flushed now are dated by this flow's last packet. */
	struct pkt end;
	memset(&end, 0, sizeof end);
	end.frame = f->last_frame;
	end.ts_us = f->last_ts_us;
	const struct pkt *saved = e->cur;
	struct flow *saved_flow = e->cur_flow;
	e->cur = &end;
	e->cur_flow = f;	/* a registration completed now belongs to c */
	dce_conn_end(e, c);
	reg_conn_ended(e, c);
	e->cur = saved;
	e->cur_flow = saved_flow;
}

void rpc_flow_free(void *app) { dce_conn_free(app); }

void rpc_engine_flush(struct rpc_engine *e) { dce_cl_flush(e); }
