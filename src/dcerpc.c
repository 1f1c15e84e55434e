/* \summary: connection-oriented DCE/RPC (ncacn_ip_tcp): framing, PDUs, contexts, calls
 * specification: C706 chapter 12 (CO PDUs), MS-RPCE 2.2.2 (extensions: bind-time
 * feature negotiation, header signing, sec_trailer alignment), MS-RPCE 3.3.1.5
 *
 * Common header (16 bytes, integers in the drep byte order):
 *   0 rpc_vers(5) | 1 minor | 2 PTYPE | 3 pfc_flags | 4 drep[4] | 8 frag_length
 *   | 10 auth_length | 12 call_id
 * bind/alter_context (11/14):   16 max_xmit | 18 max_recv | 20 assoc_group |
 *   24 n_ctx | 25 pad(3) | 28 ctx items: id(2) n_xfer(1) pad(1) abstract(20) xfer(20)*n
 * bind_ack/alter_resp (12/15):  16 max_xmit | 18 max_recv | 20 assoc_group |
 *   24 sec_addr_len | 26 sec_addr | pad to 4 | n_results(1) pad(3) |
 *   results: result(2) reason(2) xfer(20)
 * bind_nak (13):                16 reject_reason | 18 n_versions | versions
 * request (0):                  16 alloc_hint | 20 ctx_id | 22 opnum | [24 object uuid] | stub
 * response (2):                 16 alloc_hint | 20 ctx_id | 22 cancel_count | 23 pad | 24 stub
 * fault (3):                    16 alloc_hint | 20 ctx_id | 22 cancel_count | 23 flags | 24 status
 * auth trailer: sec_trailer (8) at frag_length - auth_length - 8, preceded by
 *   auth_pad_length bytes of padding; the stub ends before the padding.
 *
 * Each direction of a TCP connection is reassembled (stream.c), then cut into
 * PDUs at frag_length.  After a gap the framer scans for the next plausible
 * header instead of misreading the rest of the stream.
 */
#include "config.h"
#include "rpc_int.h"
#include "names.h"

#include <stdlib.h>
#include <string.h>

enum {
	PT_REQUEST = 0, PT_RESPONSE = 2, PT_FAULT = 3, PT_BIND = 11, PT_BIND_ACK = 12, PT_BIND_NAK = 13,
	PT_ALTER = 14, PT_ALTER_RESP = 15, PT_AUTH3 = 16, PT_SHUTDOWN = 17, PT_CO_CANCEL = 18,
	PT_ORPHANED = 19, PT_RTS = 20,
};
#define PFC_FIRST 0x01
#define PFC_LAST 0x02
#define PFC_OBJECT 0x80

static const struct rpc_uuid NDR64_UUID = {{0x71, 0x71, 0x05, 0x33, 0xbe, 0xba, 0x49, 0x37, 0x83, 0x19, 0xb5,
					    0xdb, 0xef, 0x9c, 0xcc, 0x36}};

/* ---- header ---------------------------------------------------------------- */

struct co_hdr {
	uint8_t ptype, flags, le;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
};

static int ptype_is_co(uint8_t t) { return t == 0 || t == 2 || t == 3 || (t >= 11 && t <= 20); }

/* A header we are willing to frame on: version 5.0/5.1, a CO PTYPE, a sane
 * drep, frag_length covering the fixed part and the auth trailer. */
int dce_co_header_plausible(const uint8_t *d, size_t n)
{
	if (n < 16 || d[0] != 5 || d[1] > 1 || !ptype_is_co(d[2]) || (d[4] & 0xee) != 0 || d[5] > 3 || d[6] || d[7])
		return 0;
	int le = (d[4] & 0x10) != 0;
	uint16_t fl = le ? (uint16_t)(d[8] | d[9] << 8) : (uint16_t)(d[8] << 8 | d[9]);
	uint16_t al = le ? (uint16_t)(d[10] | d[11] << 8) : (uint16_t)(d[10] << 8 | d[11]);
	uint32_t min = (d[2] == PT_REQUEST || d[2] == PT_RESPONSE || d[2] == PT_FAULT) ? 24 : 16;
	if (fl < min)
		return 0;
	if (al && (uint32_t)al + 8 + 16 > fl)
		return 0;
	return 1;
}

static void read_hdr(struct cur *k, struct co_hdr *h)
{
	cur_skip(k, 2);
	h->ptype = cur_u8(k);
	h->flags = cur_u8(k);
	uint8_t drep0 = cur_u8(k);
	cur_skip(k, 3);
	h->le = (drep0 & 0x10) != 0;
	h->frag_len = cur_u16x(k, h->le);
	h->auth_len = cur_u16x(k, h->le);
	h->call_id = cur_u32x(k, h->le);
}

/* ---- buffers --------------------------------------------------------------- */

static void buf_append(struct dce_buf *b, const uint8_t *p, size_t n, uint32_t cap, int *capped)
{
	if (b->len + n > cap) {
		if (capped)
			*capped = 1;
		n = b->len < cap ? cap - b->len : 0;
	}
	if (!n)
		return;
	if (b->len + n > b->cap) {
		uint32_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n)
			nc *= 2;
		uint8_t *q = realloc(b->p, nc);
		if (!q) {
			if (capped)
				*capped = 1;
			return;
		}
		b->p = q;
		b->cap = nc;
	}
	memcpy(b->p + b->len, p, n);
	b->len += (uint32_t)n;
}

static void buf_free(struct dce_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- connection ------------------------------------------------------------ */

struct dce_conn *dce_conn_new(struct flow *f)
{
	struct dce_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->kind = 1;
	c->flow = f;
	stream_init(&c->st[0]);
	stream_init(&c->st[1]);
	return c;
}

static void call_release(struct dce_call *call)
{
	buf_free(&call->req);
	buf_free(&call->resp);
	free(call->reg);
	memset(call, 0, sizeof *call);
}

void dce_conn_free(struct dce_conn *c)
{
	if (!c)
		return;
	stream_reset(&c->st[0]);
	stream_reset(&c->st[1]);
	buf_free(&c->fr[0].b);
	buf_free(&c->fr[1].b);
	for (int i = 0; i < DCE_MAX_CALLS; i++)
		if (c->calls[i]) {
			call_release(c->calls[i]);
			free(c->calls[i]);
		}
	free(c->binds);
	free(c);
}

static struct rpc_ep conn_ep(const struct dce_conn *c)
{
	struct rpc_ep ep;
	rpc_ep_from_flow(c->flow, c->client_dir, &ep);
	return ep;
}

static struct dce_ctx *ctx_find(struct dce_conn *c, uint16_t id)
{
	for (int i = 0; i < DCE_MAX_CTX; i++)
		if (c->ctx[i].valid && c->ctx[i].id == id)
			return &c->ctx[i];
	return NULL;
}

/* Record a context: proposed by a bind (confirmed 0) or accepted by its answer (1).
 * A proposal never overrides a context the server already accepted. */
static void ctx_install(struct rpc_engine *e, struct dce_conn *c, const struct rpc_ctx_item *it, int confirmed)
{
	struct dce_ctx *x = ctx_find(c, it->ctx_id);
	if (x && x->confirmed && !confirmed)
		return;
	if (!x) {
		for (int i = 0; i < DCE_MAX_CTX && !x; i++)
			if (!c->ctx[i].valid)
				x = &c->ctx[i];
		if (!x) {
			e->st.capped++;
			x = &c->ctx[it->ctx_id % DCE_MAX_CTX];
		}
	}
	x->valid = 1;
	x->confirmed = (uint8_t)confirmed;
	x->id = it->ctx_id;
	x->iface = it->iface;
	x->ver_major = it->ver_major;
	x->ver_minor = it->ver_minor;
	x->ndr64 = uuid_eq(&it->xfer, &NDR64_UUID);
}

static struct dce_call *call_find(struct dce_conn *c, uint32_t call_id)
{
	for (int i = 0; i < DCE_MAX_CALLS; i++)
		if (c->calls[i] && c->calls[i]->in_use && c->calls[i]->ev.call_id == call_id)
			return c->calls[i];
	return NULL;
}

/* Report a call and free its slot. */
static void call_finish(struct rpc_engine *e, struct dce_call *call)
{
	rpc_call_complete(e, call);
	call_release(call);
}

static struct dce_call *call_new(struct rpc_engine *e, struct dce_conn *c, uint32_t call_id)
{
	struct dce_call *slot = NULL, *oldest = NULL;
	for (int i = 0; i < DCE_MAX_CALLS; i++) {
		struct dce_call *k = c->calls[i];
		if (!k) {	/* never used: allocate it now */
			k = c->calls[i] = calloc(1, sizeof *k);
			if (!k) {
				e->st.capped++;
				return NULL;
			}
		}
		if (!k->in_use) {
			slot = k;
			break;
		}
		if (!oldest || k->ev.req_frame < oldest->ev.req_frame)
			oldest = k;
	}
	if (!slot) {	/* too many outstanding calls: report the oldest as unanswered */
		e->st.capped++;
		call_finish(e, oldest);
		slot = oldest;
	}
	memset(slot, 0, sizeof *slot);
	slot->in_use = 1;
	slot->ev.call_id = call_id;
	slot->ev.ep = conn_ep(c);
	return slot;
}

/* Fill interface details of a call from its context, or from the endpoint map. */
static void call_set_iface(struct rpc_engine *e, struct dce_conn *c, struct dce_call *call)
{
	struct dce_ctx *x = ctx_find(c, call->ev.ctx_id);
	if (x) {
		call->ev.has_iface = 1;
		call->ev.iface = x->iface;
		call->ev.ver_major = x->ver_major;
		call->ev.ver_minor = x->ver_minor;
		call->ev.ndr64 = x->ndr64;
		call->ev.iface_unconfirmed = !x->confirmed;
		return;
	}
	uint16_t vmaj;
	if (rpc_lookup_endpoint(e, &call->ev.ep.srv, call->ev.ep.sport, PROTO_TCP, &call->ev.iface, &vmaj)) {
		call->ev.has_iface = 1;
		call->ev.iface_from_epm = 1;
		call->ev.ver_major = vmaj;
	}
}

/* ---- PDU bodies ------------------------------------------------------------ */

struct pdu {
	const uint8_t *p;
	struct co_hdr h;
	uint32_t body_end;	/* end of the stub / context list (before auth padding + trailer) */
	uint8_t auth_type, auth_level;
	int dir;
};

static void emit_pdu(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u, int has_opnum,
		     uint16_t opnum, uint16_t ctx_id, const struct dce_call *call)
{
	if (!e->sink.pdu)
		return;
	struct rpc_pdu_ev ev;
	memset(&ev, 0, sizeof ev);
	ev.ep = conn_ep(c);
	ev.to_server = u->dir == c->client_dir;
	ev.frame = e->cur->frame;
	ev.ts_us = e->cur->ts_us;
	ev.ptype = u->h.ptype;
	ev.flags = u->h.flags;
	ev.le = u->h.le;
	ev.frag_len = u->h.frag_len;
	ev.auth_len = u->h.auth_len;
	ev.call_id = u->h.call_id;
	ev.has_opnum = (uint8_t)has_opnum;
	ev.opnum = opnum;
	ev.ctx_id = ctx_id;
	if (call && call->ev.has_iface) {
		ev.has_iface = 1;
		ev.iface = call->ev.iface;
	}
	e->sink.pdu(e->sink.ctx, &ev);
}

static void parse_bind(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->body_end);
	cur_skip(&k, 24);
	uint8_t n = cur_u8(&k);
	cur_skip(&k, 3);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	if (!c->binds && !(c->binds = calloc(DCE_MAX_BINDS, sizeof *c->binds))) {
		e->st.capped++;	/* out of memory */
		return;
	}
	int slot = -1;
	for (int i = 0; i < DCE_MAX_BINDS; i++)
		if (!c->bind_used[i] || c->binds[i].call_id == u->h.call_id) {
			slot = i;
			break;
		}
	if (slot < 0) {	/* binds never answered: report the oldest and reuse it */
		slot = 0;
		for (int i = 1; i < DCE_MAX_BINDS; i++)
			if (c->binds[i].frame < c->binds[slot].frame)
				slot = i;
		if (e->sink.bind)
			e->sink.bind(e->sink.ctx, &c->binds[slot]);
	}
	struct rpc_bind_ev *b = &c->binds[slot];
	memset(b, 0, sizeof *b);
	c->bind_used[slot] = 1;
	b->ep = conn_ep(c);
	b->ptype = u->h.ptype;
	b->call_id = u->h.call_id;
	b->frame = e->cur->frame;
	b->ts_us = e->cur->ts_us;
	b->auth_type = u->auth_type;
	b->auth_level = u->auth_level;
	b->n_ctx_declared = n;
	for (unsigned i = 0; i < n; i++) {
		struct rpc_ctx_item it;
		memset(&it, 0, sizeof it);
		it.ctx_id = cur_u16x(&k, u->h.le);
		it.n_xfer = cur_u8(&k);
		cur_skip(&k, 1);
		uuid_read(&k, u->h.le, &it.iface);
		uint32_t v = cur_u32x(&k, u->h.le);	/* if_version: major in the low 16 bits */
		it.ver_major = (uint16_t)(v & 0xffff);
		it.ver_minor = (uint16_t)(v >> 16);
		for (unsigned j = 0; j < it.n_xfer; j++) {
			struct rpc_uuid x;
			uuid_read(&k, u->h.le, &x);
			uint32_t xv = cur_u32x(&k, u->h.le);
			if (j == 0) {
				it.xfer = x;
				it.xfer_ver = (uint16_t)(xv & 0xffff);
			}
		}
		if (!cur_ok(&k)) {
			e->st.bad_pdus++;
			break;
		}
		if (b->n_ctx < RPC_MAX_CTX_PER_BIND)
			b->ctx[b->n_ctx++] = it;
		else
			e->st.capped++;
		/* usable for attribution until the answer says otherwise (the answer
		 * may be missing: one-sided capture, or a firewall eating replies) */
		const char *xn = names_xfer(&it.xfer);
		if (!xn || strcmp(xn, "bind-time-features") != 0)
			ctx_install(e, c, &it, 0);
	}
	e->st.binds++;
	emit_pdu(e, c, u, 0, 0, 0, NULL);
}

static void parse_bind_ack(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->h.frag_len - (u->h.auth_len ? u->h.auth_len + 8u : 0u));
	cur_skip(&k, 24);
	uint16_t sl = cur_u16x(&k, u->h.le);
	const uint8_t *sa = cur_take(&k, sl);
	size_t off = 26u + sl;
	cur_skip(&k, (4 - off % 4) % 4);
	uint8_t n = cur_u8(&k);
	cur_skip(&k, 3);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	struct rpc_bind_ev *b = NULL;
	int slot = -1;
	for (int i = 0; i < DCE_MAX_BINDS; i++)
		if (c->bind_used[i] && c->binds[i].call_id == u->h.call_id) {
			b = &c->binds[i];
			slot = i;
			break;
		}
	emit_pdu(e, c, u, 0, 0, 0, NULL);
	if (!b)
		return;	/* its bind was not captured */
	b->reply_frame = e->cur->frame;
	b->reply_ts_us = e->cur->ts_us;
	b->reply_ptype = u->h.ptype;
	size_t j = 0;
	for (size_t i = 0; i + 1 < sl && j + 1 < sizeof b->sec_addr; i++)
		if (sa[i] == 0)
			break;
		else
			b->sec_addr[j++] = (sa[i] >= 0x20 && sa[i] < 0x7f) ? (char)sa[i] : '?';
	b->sec_addr[j] = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t res = cur_u16x(&k, u->h.le);
		uint16_t reason = cur_u16x(&k, u->h.le);
		struct rpc_uuid x;
		uuid_read(&k, u->h.le, &x);
		uint32_t xv = cur_u32x(&k, u->h.le);
		if (!cur_ok(&k)) {
			e->st.bad_pdus++;
			break;
		}
		if (i >= b->n_ctx)
			continue;
		struct rpc_ctx_item *it = &b->ctx[i];
		it->answered = 1;
		it->result = res;
		it->reason = reason;
		if (res == 0) {
			it->xfer = x;
			it->xfer_ver = (uint16_t)(xv & 0xffff);
			ctx_install(e, c, it, 1);
		} else {
			struct dce_ctx *px = ctx_find(c, it->ctx_id);
			if (px && !px->confirmed)
				px->valid = 0;	/* the proposal was turned down */
		}
	}
	if (e->sink.bind)
		e->sink.bind(e->sink.ctx, b);
	c->bind_used[slot] = 0;
}

static void parse_bind_nak(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->h.frag_len);
	cur_skip(&k, 16);
	uint16_t reason = cur_u16x(&k, u->h.le);
	emit_pdu(e, c, u, 0, 0, 0, NULL);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	for (int i = 0; i < DCE_MAX_BINDS; i++)
		if (c->bind_used[i] && c->binds[i].call_id == u->h.call_id) {
			struct rpc_bind_ev *b = &c->binds[i];
			b->reply_frame = e->cur->frame;
			b->reply_ts_us = e->cur->ts_us;
			b->reply_ptype = PT_BIND_NAK;
			b->nak_reason = reason;
			/* the whole bind was turned down: withdraw what it proposed */
			for (unsigned j = 0; j < b->n_ctx; j++) {
				struct dce_ctx *px = ctx_find(c, b->ctx[j].ctx_id);
				if (px && !px->confirmed)
					px->valid = 0;
			}
			if (e->sink.bind)
				e->sink.bind(e->sink.ctx, b);
			c->bind_used[i] = 0;
			return;
		}
}

static void stub_add(struct rpc_engine *e, struct dce_conn *c, struct dce_call *call, struct dce_buf *b, int keep,
		     const uint8_t *p, uint32_t n, int response)
{
	if (keep) {
		/* per call DCE_STUB_CAP, and DCE_CONN_STUB_MAX for the connection's
		 * calls together (32 calls x 256 KiB would be 16 MiB per flow) */
		size_t kept = 0;
		for (int i = 0; i < DCE_MAX_CALLS; i++)
			if (c->calls[i])
				kept += (size_t)c->calls[i]->req.len + c->calls[i]->resp.len;
		size_t room = kept < DCE_CONN_STUB_MAX ? DCE_CONN_STUB_MAX - kept : 0;
		uint32_t cap = b->len + room < DCE_STUB_CAP ? (uint32_t)(b->len + room) : DCE_STUB_CAP;
		int capped = 0;
		buf_append(b, p, n, cap, &capped);
		if (capped) {
			e->st.capped++;
			call->ev.incomplete = 1;
		}
	}
	if (response) {	/* keep the last 8 bytes for the return value */
		if (n >= 8) {
			memcpy(call->tail, p + n - 8, 8);
			call->tail_len = 8;
		} else {
			uint32_t keepn = call->tail_len + n > 8 ? 8 - n : call->tail_len;
			memmove(call->tail, call->tail + call->tail_len - keepn, keepn);
			memcpy(call->tail + keepn, p, n);
			call->tail_len = keepn + n;
		}
	}
}

static void parse_request(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->body_end);
	cur_skip(&k, 20);
	uint16_t ctx_id = cur_u16x(&k, u->h.le);
	uint16_t opnum = cur_u16x(&k, u->h.le);
	if (u->h.flags & PFC_OBJECT)
		cur_skip(&k, 16);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	struct dce_call *call = call_find(c, u->h.call_id);
	if (call && (u->h.flags & PFC_FIRST) && call->ev.req_frags) {
		call_finish(e, call);	/* call_id reused before an answer: report the old one */
		call = NULL;
	}
	if (!call) {
		call = call_new(e, c, u->h.call_id);
		if (!call)
			return;	/* out of memory */
		call->ev.ctx_id = ctx_id;
		call->ev.opnum = opnum;
		call->ev.req_frame = e->cur->frame;
		call->ev.req_ts_us = e->cur->ts_us;
		call->ev.auth_level = u->auth_level;
		call->ev.sealed = u->auth_level == 6;
		call->le = u->h.le;
		if (!(u->h.flags & PFC_FIRST))
			call->ev.incomplete = 1;	/* its first fragment was not captured */
		call_set_iface(e, c, call);
		if (!call->ev.sealed && call->ev.has_iface) {
			call->keep_req = (uint8_t)rpc_call_wants_stub(&call->ev.iface, opnum, 0);
			call->keep_resp = (uint8_t)rpc_call_wants_stub(&call->ev.iface, opnum, 1);
		}
		e->st.calls++;
		if (call->ev.sealed)
			e->st.sealed_calls++;
	}
	uint32_t n = (uint32_t)cur_left(&k);
	call->ev.req_frags++;
	call->ev.req_stub_len += n;
	stub_add(e, c, call, &call->req, call->keep_req, cur_pos(&k), n, 0);
	emit_pdu(e, c, u, 1, opnum, ctx_id, call);
	if (u->h.flags & PFC_LAST) {
		call->req_done = 1;
		rpc_call_request_done(e, call);
	}
}

static void parse_response(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->body_end);
	cur_skip(&k, 20);
	uint16_t ctx_id = cur_u16x(&k, u->h.le);
	cur_skip(&k, 2);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	struct dce_call *call = call_find(c, u->h.call_id);
	if (!call) {	/* its request was not captured */
		call = call_new(e, c, u->h.call_id);
		if (!call)
			return;	/* out of memory */
		call->ev.ctx_id = ctx_id;
		call->ev.incomplete = 1;
		call->ev.sealed = u->auth_level == 6;
		call->ev.auth_level = u->auth_level;
		call->le = u->h.le;
		call_set_iface(e, c, call);
		e->st.calls++;
	}
	uint32_t n = (uint32_t)cur_left(&k);
	if (!call->ev.resp_frags && !(u->h.flags & PFC_FIRST))
		call->ev.incomplete = 1;
	call->ev.resp_frags++;
	call->ev.resp_stub_len += n;
	stub_add(e, c, call, &call->resp, call->keep_resp, cur_pos(&k), n, 1);
	emit_pdu(e, c, u, call->ev.req_frame != 0, call->ev.opnum, ctx_id, call);
	if (u->h.flags & PFC_LAST) {
		call->ev.resp_frame = e->cur->frame;
		call->ev.resp_ts_us = e->cur->ts_us;
		call->resp_done = 1;
		call_finish(e, call);
	}
}

static void parse_fault(struct rpc_engine *e, struct dce_conn *c, const struct pdu *u)
{
	struct cur k;
	cur_init(&k, u->p, u->h.frag_len);
	cur_skip(&k, 20);
	uint16_t ctx_id = cur_u16x(&k, u->h.le);
	cur_skip(&k, 2);
	uint32_t status = cur_u32x(&k, u->h.le);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	struct dce_call *call = call_find(c, u->h.call_id);
	if (!call) {
		call = call_new(e, c, u->h.call_id);
		if (!call)
			return;	/* out of memory */
		call->ev.ctx_id = ctx_id;
		call->ev.incomplete = 1;
		call_set_iface(e, c, call);
		e->st.calls++;
	}
	emit_pdu(e, c, u, call->ev.req_frame != 0, call->ev.opnum, ctx_id, call);
	call->ev.fault = 1;
	call->ev.status = status;
	call->ev.resp_frame = e->cur->frame;
	call->ev.resp_ts_us = e->cur->ts_us;
	call->ev.resp_frags++;
	call->resp_done = 1;
	e->st.faults++;
	call_finish(e, call);
}

static void process_pdu(struct rpc_engine *e, struct dce_conn *c, int dir, const uint8_t *p, uint32_t len)
{
	struct pdu u;
	memset(&u, 0, sizeof u);
	struct cur k;
	cur_init(&k, p, len);
	read_hdr(&k, &u.h);
	u.p = p;
	u.dir = dir;
	u.body_end = u.h.frag_len;
	e->st.co_pdus++;
	e->st.ptype[u.h.ptype <= 20 ? u.h.ptype : 0]++;

	if (!c->dir_known) {
		int from_client = u.h.ptype == PT_REQUEST || u.h.ptype == PT_BIND || u.h.ptype == PT_ALTER ||
				  u.h.ptype == PT_AUTH3 || u.h.ptype == PT_CO_CANCEL || u.h.ptype == PT_ORPHANED;
		c->client_dir = (uint8_t)(from_client ? dir : !dir);
		c->dir_known = 1;
	}
	if (u.h.auth_len) {
		uint32_t sec = (uint32_t)u.h.frag_len - u.h.auth_len - 8;	/* >= 16: checked when framed */
		u.auth_type = p[sec];
		u.auth_level = p[sec + 1];
		uint8_t pad = p[sec + 2];
		uint32_t hdr_end = u.h.ptype == PT_REQUEST ? ((u.h.flags & PFC_OBJECT) ? 40 : 24)
							   : (u.h.ptype == PT_RESPONSE ? 24 : 16);
		if (u.h.ptype == PT_REQUEST || u.h.ptype == PT_RESPONSE) {
			if (sec < hdr_end || pad > sec - hdr_end) {
				e->st.bad_pdus++;
				return;
			}
			u.body_end = sec - pad;
		} else {
			u.body_end = sec;
		}
	}
	switch (u.h.ptype) {
	case PT_BIND:
	case PT_ALTER:
		parse_bind(e, c, &u);
		break;
	case PT_BIND_ACK:
	case PT_ALTER_RESP:
		parse_bind_ack(e, c, &u);
		break;
	case PT_BIND_NAK:
		parse_bind_nak(e, c, &u);
		break;
	case PT_REQUEST:
		parse_request(e, c, &u);
		break;
	case PT_RESPONSE:
		parse_response(e, c, &u);
		break;
	case PT_FAULT:
		parse_fault(e, c, &u);
		break;
	case PT_CO_CANCEL:
	case PT_ORPHANED: {
		struct dce_call *call = call_find(c, u.h.call_id);
		if (call)
			call->ev.orphaned = 1;
		emit_pdu(e, c, &u, call && call->ev.req_frame, call ? call->ev.opnum : 0, 0, call);
		break;
	}
	default:	/* auth3, shutdown, rts: counted */
		emit_pdu(e, c, &u, 0, 0, 0, NULL);
		break;
	}
}

/* Mark calls whose PDUs in this direction may have been lost. */
static void note_gap(struct rpc_engine *e, struct dce_conn *c, int dir)
{
	e->st.gaps++;
	int to_server = dir == c->client_dir;
	for (int i = 0; i < DCE_MAX_CALLS; i++) {
		struct dce_call *k = c->calls[i];
		if (k && k->in_use && ((to_server && !k->req_done) || (!to_server && k->ev.resp_frags && !k->resp_done)))
			k->ev.incomplete = 1;
	}
}

void dce_conn_data(struct rpc_engine *e, struct dce_conn *c, int dir, const uint8_t *d, size_t n, int gap)
{
	struct dce_framer *fr = &c->fr[dir];
	if (gap) {
		note_gap(e, c, dir);
		fr->b.len = 0;
		fr->resync = 1;
		fr->scanned = 0;
	}
	/* fast path: whole PDUs straight from the segment */
	while (!fr->resync && fr->b.len == 0 && n >= 16) {
		if (!dce_co_header_plausible(d, n)) {
			fr->resync = 1;
			fr->scanned = 0;
			e->st.resyncs++;
			break;
		}
		int le = (d[4] & 0x10) != 0;
		uint16_t fl = le ? (uint16_t)(d[8] | d[9] << 8) : (uint16_t)(d[8] << 8 | d[9]);
		if (fl > n)
			break;
		process_pdu(e, c, dir, d, fl);
		d += fl;
		n -= fl;
	}
	if (!n)
		return;
	/* A delivered chunk can be larger than the buffer's cap (a 64 KiB
	 * segment after part of a PDU): feed it in pieces, each processed
	 * before the next is appended, so no byte is dropped. */
	while (fr->b.len + n > DCE_MAX_PDU + 16) {
		size_t room = DCE_MAX_PDU + 16 - fr->b.len;	/* > 16: a pass leaves < 65535 bytes */
		dce_conn_data(e, c, dir, d, room, 0);
		d += room;
		n -= room;
	}
	buf_append(&fr->b, d, n, DCE_MAX_PDU + 16, NULL);
	struct dce_buf *b = &fr->b;
	uint32_t pos = 0;
	for (;;) {
		uint32_t left = b->len - pos;
		if (fr->resync) {
			uint32_t i = 0;
			while (i + 16 <= left && !dce_co_header_plausible(b->p + pos + i, left - i))
				i++;
			fr->scanned += i;
			pos += i;
			if (i + 16 > left) {	/* keep a possible header's first bytes */
				if (fr->scanned > DCE_RESYNC_MAX) {
					pos = b->len;	/* not DCE/RPC any more: drop it all */
					fr->scanned = 0;
				}
				break;
			}
			fr->resync = 0;
			fr->scanned = 0;
			continue;
		}
		if (left < 16)
			break;
		if (!dce_co_header_plausible(b->p + pos, left)) {
			fr->resync = 1;
			e->st.resyncs++;
			pos++;
			continue;
		}
		int le = (b->p[pos + 4] & 0x10) != 0;
		uint16_t fl = le ? (uint16_t)(b->p[pos + 8] | b->p[pos + 9] << 8)
				 : (uint16_t)(b->p[pos + 8] << 8 | b->p[pos + 9]);
		if (fl > left)
			break;
		process_pdu(e, c, dir, b->p + pos, fl);
		pos += fl;
	}
	if (pos) {
		memmove(b->p, b->p + pos, b->len - pos);
		b->len -= pos;
	}
}

struct deliver_ctx {
	struct rpc_engine *e;
	struct dce_conn *c;
	int dir;
};

static void deliver_cb(void *ctx, const uint8_t *d, size_t n, int gap)
{
	struct deliver_ctx *x = ctx;
	dce_conn_data(x->e, x->c, x->dir, d, n, gap);
}

/* Feed one TCP segment of this connection. */
void dce_conn_segment(struct rpc_engine *e, struct dce_conn *c, int dir, const struct pkt *p)
{
	struct deliver_ctx x = {e, c, dir};
	stream_segment(&c->st[dir], p->seq, p->payload, p->payload_caplen, p->payload_len,
		       (p->tcp_flags & TH_SYN) != 0, (p->tcp_flags & TH_FIN) != 0, deliver_cb, &x);
}

void dce_conn_end(struct rpc_engine *e, struct dce_conn *c)
{
	for (int dir = 0; dir < 2; dir++) {
		struct deliver_ctx x = {e, c, dir};
		stream_flush(&c->st[dir], deliver_cb, &x);
	}
	for (int i = 0; i < DCE_MAX_BINDS; i++)
		if (c->bind_used[i]) {
			if (e->sink.bind)
				e->sink.bind(e->sink.ctx, &c->binds[i]);
			c->bind_used[i] = 0;
		}
	/* report calls still waiting, oldest first */
	for (;;) {
		struct dce_call *o = NULL;
		for (int i = 0; i < DCE_MAX_CALLS; i++)
			if (c->calls[i] && c->calls[i]->in_use && (!o || c->calls[i]->ev.req_frame < o->ev.req_frame))
				o = c->calls[i];
		if (!o)
			break;
		call_finish(e, o);
	}
}
