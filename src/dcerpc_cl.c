/* \summary: connectionless DCE/RPC (ncadg_ip_udp), e.g. the endpoint mapper on 135/udp
 * specification: C706 chapter 12.5 (CL PDU header), MS-RPCE 2.2.3
 *
 *  0 rpc_vers(4) | 1 PTYPE | 2 flags1 | 3 flags2 | 4 drep[3] | 7 serial_hi
 *  8 object uuid | 24 interface uuid | 40 activity uuid
 *  56 server_boot | 60 if_version | 64 seqnum | 68 opnum | 70 ihint | 72 ahint
 *  74 len (body) | 76 fragnum | 78 auth_proto | 79 serial_lo | 80 body
 * Integers and UUIDs follow the drep byte order.  Every packet names its
 * interface and opnum; a request and its answer share activity + seqnum.
 */
#include "config.h"
#include "rpc_int.h"

#include <stdlib.h>
#include <string.h>

#define CL_HDR 80
#define CL_MAX_CALLS 256
#define CL_FLAG_FRAG 0x04

enum { CL_REQUEST = 0, CL_PING = 1, CL_RESPONSE = 2, CL_FAULT = 3, CL_WORKING = 4, CL_NOCALL = 5,
       CL_REJECT = 6, CL_ACK = 7 };

struct cl_call {
	uint8_t in_use;
	struct rpc_uuid act;
	uint64_t age;
	struct dce_call call;
};

int dce_cl_header_plausible(const uint8_t *d, size_t n)
{
	if (n < CL_HDR || d[0] != 4 || d[1] > 10 || (d[4] & 0xee) != 0 || d[5] > 3)
		return 0;
	int le = (d[4] & 0x10) != 0;
	uint16_t len = le ? (uint16_t)(d[74] | d[75] << 8) : (uint16_t)(d[74] << 8 | d[75]);
	return len <= n - CL_HDR;
}

void dce_cl_free(struct rpc_engine *e)
{
	if (!e->cl)
		return;
	for (uint32_t i = 0; i < CL_MAX_CALLS; i++)
		if (e->cl[i].in_use) {
			free(e->cl[i].call.req.p);
			free(e->cl[i].call.resp.p);
			free(e->cl[i].call.reg);
		}
	free(e->cl);
	e->cl = NULL;
}

static struct cl_call *cl_find(struct rpc_engine *e, const struct rpc_uuid *act, uint32_t seq)
{
	for (uint32_t i = 0; i < CL_MAX_CALLS; i++)
		if (e->cl[i].in_use && e->cl[i].call.ev.call_id == seq && uuid_eq(&e->cl[i].act, act))
			return &e->cl[i];
	return NULL;
}

static void cl_finish(struct rpc_engine *e, struct cl_call *k)
{
	rpc_call_complete(e, &k->call);
	free(k->call.req.p);
	free(k->call.resp.p);
	free(k->call.reg);
	memset(k, 0, sizeof *k);
}

void dce_cl_flush(struct rpc_engine *e)
{
	if (!e->cl)
		return;
	for (;;) {
		struct cl_call *o = NULL;
		for (uint32_t i = 0; i < CL_MAX_CALLS; i++)
			if (e->cl[i].in_use && (!o || e->cl[i].age < o->age))
				o = &e->cl[i];
		if (!o)
			break;
		cl_finish(e, o);
	}
}

static struct cl_call *cl_new(struct rpc_engine *e)
{
	struct cl_call *slot = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < CL_MAX_CALLS; i++) {
		if (!e->cl[i].in_use) {
			slot = &e->cl[i];
			break;
		}
		if (!oldest || e->cl[i].age < oldest->age)
			oldest = &e->cl[i];
	}
	if (!slot) {
		e->st.capped++;
		cl_finish(e, oldest);
		slot = oldest;
	}
	memset(slot, 0, sizeof *slot);
	slot->in_use = 1;
	slot->age = e->cur->frame;
	return slot;
}

/* Calls already answered, so a retransmitted request or answer is not a new call. */
static int cl_recent(const struct rpc_engine *e, const struct rpc_uuid *act, uint32_t seq)
{
	for (uint32_t i = 0; i < CL_RECENT; i++)
		if (e->cl_recent[i].used && e->cl_recent[i].seq == seq && uuid_eq(&e->cl_recent[i].act, act))
			return 1;
	return 0;
}

static void cl_remember(struct rpc_engine *e, const struct rpc_uuid *act, uint32_t seq)
{
	struct cl_done *r = &e->cl_recent[e->cl_recent_next];
	e->cl_recent_next = (e->cl_recent_next + 1) % CL_RECENT;
	r->used = 1;
	r->act = *act;
	r->seq = seq;
}

static void keep_stub(struct dce_buf *b, const uint8_t *p, uint32_t n)
{
	b->p = malloc(n ? n : 1);
	if (!b->p)
		return;
	memcpy(b->p, p, n);
	b->len = b->cap = n;
}

void dce_cl_packet(struct rpc_engine *e, struct flow *f, int dir, const struct pkt *p)
{
	if (!e->cl) {
		e->cl = calloc(CL_MAX_CALLS, sizeof *e->cl);
		if (!e->cl)
			return;
	}
	struct cur k;
	cur_init(&k, p->payload, p->payload_caplen);
	cur_skip(&k, 1);
	uint8_t ptype = cur_u8(&k);
	uint8_t flags1 = cur_u8(&k);
	cur_skip(&k, 1);
	uint8_t drep0 = cur_u8(&k);
	int le = (drep0 & 0x10) != 0;
	cur_skip(&k, 3 + 16);
	struct rpc_uuid iface, act;
	uuid_read(&k, le, &iface);
	uuid_read(&k, le, &act);
	cur_skip(&k, 4);
	uint32_t ifver = cur_u32x(&k, le);
	uint32_t seq = cur_u32x(&k, le);
	uint16_t opnum = cur_u16x(&k, le);
	cur_skip(&k, 4);
	uint16_t blen = cur_u16x(&k, le);
	cur_skip(&k, 4);
	if (!cur_ok(&k)) {
		e->st.bad_pdus++;
		return;
	}
	struct cur body = cur_sub(&k, blen, NULL);
	e->st.cl_pdus++;
	e->st.ptype[ptype]++;

	/* the client is the sender of requests and pings */
	int from_client = ptype == CL_REQUEST || ptype == CL_PING || ptype == CL_ACK || ptype == 8;
	int client_dir = from_client ? dir : !dir;
	if (e->sink.pdu) {
		struct rpc_pdu_ev ev;
		memset(&ev, 0, sizeof ev);
		rpc_ep_from_flow(f, client_dir, &ev.ep);
		ev.connectionless = 1;
		ev.to_server = (uint8_t)from_client;
		ev.frame = p->frame;
		ev.ts_us = p->ts_us;
		ev.ptype = ptype;
		ev.flags = flags1;
		ev.le = (uint8_t)le;
		ev.frag_len = (uint16_t)(CL_HDR + blen);
		ev.call_id = seq;
		ev.has_opnum = 1;
		ev.opnum = opnum;
		ev.has_iface = 1;
		ev.iface = iface;
		e->sink.pdu(e->sink.ctx, &ev);
	}

	int single = !(flags1 & CL_FLAG_FRAG);
	struct cl_call *c = cl_find(e, &act, seq);
	switch (ptype) {
	case CL_REQUEST:
		if (c || cl_recent(e, &act, seq))
			break;	/* retransmitted request (before or after its answer) */
		c = cl_new(e);
		c->act = act;
		rpc_ep_from_flow(f, client_dir, &c->call.ev.ep);
		c->call.ev.connectionless = 1;
		c->call.ev.call_id = seq;
		c->call.ev.opnum = opnum;
		c->call.ev.has_iface = 1;
		c->call.ev.iface = iface;
		c->call.ev.ver_major = (uint16_t)(ifver & 0xffff);
		c->call.ev.ver_minor = (uint16_t)(ifver >> 16);
		c->call.ev.req_frame = p->frame;
		c->call.ev.req_ts_us = p->ts_us;
		c->call.ev.req_frags = 1;
		c->call.le = (uint8_t)le;
		c->call.ev.req_stub_len = blen;
		if (!single || body.len < blen)
			c->call.ev.incomplete = 1;
		else if (rpc_call_wants_stub(&iface, opnum, 0))
			keep_stub(&c->call.req, body.base, (uint32_t)body.len);
		c->call.keep_resp = (uint8_t)rpc_call_wants_stub(&iface, opnum, 1);
		c->call.req_done = 1;
		e->st.calls++;
		rpc_call_request_done(e, &c->call);
		break;
	case CL_RESPONSE:
	case CL_FAULT:
	case CL_REJECT:
		if (!c && cl_recent(e, &act, seq))
			break;	/* the answer again: already reported */
		if (!c) {	/* request not captured */
			c = cl_new(e);
			c->act = act;
			rpc_ep_from_flow(f, client_dir, &c->call.ev.ep);
			c->call.ev.connectionless = 1;
			c->call.ev.call_id = seq;
			c->call.ev.opnum = opnum;
			c->call.ev.has_iface = 1;
			c->call.ev.iface = iface;
			c->call.ev.incomplete = 1;
			c->call.le = (uint8_t)le;
			e->st.calls++;
		}
		c->call.ev.resp_frame = p->frame;
		c->call.ev.resp_ts_us = p->ts_us;
		c->call.ev.resp_frags++;
		c->call.ev.resp_stub_len += blen;
		if (ptype != CL_RESPONSE) {
			c->call.ev.fault = 1;
			c->call.ev.status = cur_u32x(&body, le);
			e->st.faults++;
		} else if (single && body.len == blen) {
			if (c->call.keep_resp)
				keep_stub(&c->call.resp, body.base, (uint32_t)body.len);
			if (body.len >= 4) {
				uint32_t t = (uint32_t)(body.len < 8 ? body.len : 8);
				memcpy(c->call.tail, body.base + body.len - t, t);
				c->call.tail_len = t;
			}
		} else {
			c->call.ev.incomplete = 1;
		}
		if (ptype != CL_RESPONSE || single || (flags1 & 0x02)) {
			c->call.resp_done = 1;
			cl_remember(e, &c->act, seq);
			cl_finish(e, c);
		}
		break;
	default:	/* ping, working, nocall, ack, cancel, fack, cancel_ack */
		break;
	}
}
