/* \summary: unit tests for connectionless DCE/RPC over UDP (src/dcerpc_cl.c via src/rpc.c)
 *
 * Datagrams carry the 80-byte CL header of rpc-facts section 2 (either byte
 * order); they are decoded with decode_packet(), attributed with
 * flow_table_packet() and fed to rpc_packet(); a recording sink keeps every
 * event.  Calls are matched by activity UUID + sequence number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "dcebuild.h"

#define CL_MAX_CALLS 256	/* as in src/dcerpc_cl.c */

enum { CL_REQUEST = 0, CL_PING = 1, CL_RESPONSE = 2, CL_FAULT = 3, CL_WORKING = 4, CL_REJECT = 6, CL_ACK = 7 };
#define CLF_LAST 0x02
#define CLF_FRAG 0x04
#define CLF_IDEM 0x20

#define VER(maj, min) ((uint32_t)(min) << 16 | (maj))

/* One UDP datagram carrying one CL PDU, client -> server (to_srv 1) or back. */
struct udpc {
	const uint8_t *cli, *srv;
	uint16_t cport, sport;
};

static struct flow *cl_send(struct harness *h, const struct udpc *u, int to_srv, uint8_t ptype, uint8_t flags, int le,
			    const char *iface, uint32_t ifver, const char *act, uint32_t seq, uint16_t opnum,
			    const void *body, size_t blen)
{
	struct dbuf d;
	db_init(&d);
	cl_pdu(&d, ptype, flags, le, iface, ifver, act, seq, opnum, body, blen);
	struct flow *f = to_srv ? h_udp(h, u->cli, u->cport, u->srv, u->sport, d.b, d.n)
				: h_udp(h, u->srv, u->sport, u->cli, u->cport, d.b, d.n);
	db_free(&d);
	return f;
}

static void assert_ep_udp(const struct rpc_ep *ep, const struct udpc *u)
{
	assert_int_equal(ep->proto, PROTO_UDP);
	assert_true(addr_is4(&ep->cli, u->cli));
	assert_true(addr_is4(&ep->srv, u->srv));
	assert_int_equal(ep->cport, u->cport);
	assert_int_equal(ep->sport, u->sport);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_cl_header_builder(void **state)
{
	(void)state;
	struct dbuf d;
	db_init(&d);
	cl_pdu(&d, CL_REQUEST, CLF_IDEM, 1, U_EPM, VER(3, 0), U_ACT1, 0x01020304, 3, "abc", 3);
	assert_int_equal(d.n, 83);
	assert_int_equal(d.b[0], 4);
	assert_int_equal(d.b[1], 0);
	assert_int_equal(d.b[4], 0x10);
	/* interface UUID at 24, LE time fields: 08 83 af e1 1f 5d c9 11 */
	static const uint8_t epm_le[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
					   0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa};
	assert_memory_equal(d.b + 24, epm_le, 16);
	assert_int_equal(d.b[64], 0x04);	/* seqnum LE */
	assert_int_equal(d.b[67], 0x01);
	assert_int_equal(d.b[68], 3);	/* opnum */
	assert_int_equal(d.b[74], 3);	/* len */
	assert_memory_equal(d.b + 80, "abc", 3);
	d.n = 0;
	cl_pdu(&d, CL_REQUEST, 0, 0, U_EPM, VER(3, 0), U_ACT1, 0x01020304, 3, NULL, 0);
	assert_int_equal(d.b[4], 0x00);
	assert_int_equal(d.b[24], 0xe1);	/* BE time_low first byte */
	assert_int_equal(d.b[64], 0x01);	/* seqnum BE */
	assert_int_equal(d.b[69], 3);
	db_free(&d);
}

static void run_request_response(int le)
{
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1030, 34567};	/* a dynamic port: found from the header alone */
	cl_send(h, &u, 1, CL_REQUEST, CLF_IDEM, le, U_EMSMDB, VER(0, 81), U_ACT1, 0x00010007, 12, pattern(40, 1), 40);
	uint64_t req = h->frame;
	assert_int_equal(h->r->ncall, 0);
	/* an answer on another activity with the same sequence number is not this call */
	cl_send(h, &u, 0, CL_RESPONSE, 0, le, U_EMSMDB, VER(0, 81), U_ACT2, 0x00010007, 12, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].req_frame, 0);
	assert_int_equal(h->r->call[0].incomplete, 1);
	uint8_t body[16];
	memset(body, 0x44, 12);
	body[12] = le ? 0x02 : 0x80;	/* return value 0x80040102 in the drep order */
	body[13] = le ? 0x01 : 0x04;
	body[14] = le ? 0x04 : 0x01;
	body[15] = le ? 0x80 : 0x02;
	cl_send(h, &u, 0, CL_RESPONSE, 0, le, U_EMSMDB, VER(0, 81), U_ACT1, 0x00010007, 12, body, 16);
	uint64_t resp = h->frame;
	assert_int_equal(h->r->ncall, 2);
	const struct rpc_call_ev *k = &h->r->call[1];
	assert_ep_udp(&k->ep, &u);
	assert_int_equal(k->connectionless, 1);
	assert_int_equal(k->call_id, 0x00010007);
	assert_int_equal(k->opnum, 12);
	assert_int_equal(k->has_iface, 1);
	assert_int_equal(k->iface_from_epm, 0);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->ver_major, 0);
	assert_int_equal(k->ver_minor, 81);
	assert_int_equal(k->req_frame, req);
	assert_int_equal(k->resp_frame, resp);
	assert_int_equal(k->req_ts_us, H_T0 + req * 1000);
	assert_int_equal(k->resp_ts_us, H_T0 + resp * 1000);
	assert_int_equal(k->req_stub_len, 40);
	assert_int_equal(k->resp_stub_len, 16);
	assert_int_equal(k->req_frags, 1);
	assert_int_equal(k->resp_frags, 1);
	assert_int_equal(k->fault, 0);
	assert_int_equal(k->incomplete, 0);
	/* pdu events: one per datagram, oriented by PTYPE */
	assert_int_equal(h->r->npdu, 3);
	const struct rpc_pdu_ev *p = &h->r->pdu[0];
	assert_int_equal(p->connectionless, 1);
	assert_int_equal(p->to_server, 1);
	assert_int_equal(p->ptype, CL_REQUEST);
	assert_int_equal(p->flags, CLF_IDEM);
	assert_int_equal(p->le, le);
	assert_int_equal(p->frag_len, 80 + 40);
	assert_int_equal(p->call_id, 0x00010007);
	assert_int_equal(p->has_opnum, 1);
	assert_int_equal(p->opnum, 12);
	assert_int_equal(p->has_iface, 1);
	assert_true(uuid_is(&p->iface, U_EMSMDB));
	assert_ep_udp(&p->ep, &u);
	p = &h->r->pdu[2];
	assert_int_equal(p->to_server, 0);
	assert_int_equal(p->ptype, CL_RESPONSE);
	assert_ep_udp(&p->ep, &u);
	const struct rpc_stats *st = h_stats(h);
	assert_int_equal(st->cl_pdus, 3);
	assert_int_equal(st->co_pdus, 0);
	assert_int_equal(st->calls, 2);
	assert_int_equal(st->ptype[0], 1);
	assert_int_equal(st->ptype[2], 2);
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h_stats(h)->unanswered, 0);
	h_free(h);
}

static void test_cl_request_response(void **state)
{
	(void)state;
	run_request_response(1);
}

static void test_cl_big_endian(void **state)
{
	(void)state;
	run_request_response(0);
}

static void test_cl_fault_reject(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1031, 135};
	for (int le = 0; le <= 1; le++) {
		uint8_t st[4];
		cl_send(h, &u, 1, CL_REQUEST, 0, le, U_SAMR, VER(1, 0), U_ACT1, 100 + (uint32_t)le, 99, NULL, 0);
		uint64_t req = h->frame;
		for (int i = 0; i < 4; i++)
			st[i] = (uint8_t)(0x1c010003u >> (8 * (le ? i : 3 - i)));
		cl_send(h, &u, 0, CL_FAULT, 0, le, U_SAMR, VER(1, 0), U_ACT1, 100 + (uint32_t)le, 99, st, 4);
		const struct rpc_call_ev *k = &h->r->call[h->r->ncall - 1];
		assert_int_equal(k->call_id, 100 + (uint32_t)le);
		assert_int_equal(k->fault, 1);
		assert_int_equal(k->status, 0x1c010003);
		assert_int_equal(k->req_frame, req);
		assert_int_equal(k->resp_frame, h->frame);
		assert_int_equal(k->opnum, 99);

		cl_send(h, &u, 1, CL_REQUEST, 0, le, U_SAMR, VER(1, 0), U_ACT2, 200 + (uint32_t)le, 5, NULL, 0);
		for (int i = 0; i < 4; i++)
			st[i] = (uint8_t)(0x1c010002u >> (8 * (le ? i : 3 - i)));
		cl_send(h, &u, 0, CL_REJECT, 0, le, U_SAMR, VER(1, 0), U_ACT2, 200 + (uint32_t)le, 5, st, 4);
		k = &h->r->call[h->r->ncall - 1];
		assert_int_equal(k->call_id, 200 + (uint32_t)le);
		assert_int_equal(k->fault, 1);
		assert_int_equal(k->status, 0x1c010002);
	}
	/* a fault with no status bytes */
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 300, 5, NULL, 0);
	cl_send(h, &u, 0, CL_FAULT, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 300, 5, NULL, 0);
	assert_int_equal(h->r->ncall, 5);
	assert_int_equal(h->r->call[4].fault, 1);
	assert_int_equal(h->r->call[4].status, 0);
	assert_int_equal(h_stats(h)->faults, 5);
	h_finish(h);
	assert_int_equal(h->r->ncall, 5);
	h_free(h);
}

/* The client resends a request until answered: one call. */
static void test_cl_request_retransmission(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1032, 135};
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, pattern(20, 0), 20);
	uint64_t first = h->frame;
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, pattern(20, 0), 20);
	cl_send(h, &u, 1, CL_PING, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, NULL, 0);
	cl_send(h, &u, 0, CL_WORKING, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, NULL, 0);
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, pattern(20, 0), 20);
	assert_int_equal(h->r->ncall, 0);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, pattern(8, 0), 8);
	cl_send(h, &u, 1, CL_ACK, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 5, 7, NULL, 0);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].req_frame, first);
	assert_int_equal(h->r->call[0].req_frags, 1);
	assert_int_equal(h->r->call[0].req_stub_len, 20);
	assert_int_equal(h_stats(h)->calls, 1);
	assert_int_equal(h_stats(h)->cl_pdus, 7);
	assert_int_equal(h_stats(h)->ptype[CL_PING], 1);
	assert_int_equal(h_stats(h)->ptype[CL_ACK], 1);
	assert_int_equal(h->r->npdu, 7);
	assert_int_equal(h->r->pdu[3].to_server, 0);	/* working comes from the server */
	assert_int_equal(h->r->pdu[6].to_server, 1);	/* ack from the client */
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	h_free(h);
}

/* The answer was lost on the way back: the client resends the request
 * after the capture saw the response.  Still one call. */
static void test_cl_retransmission_after_answer(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1033, 135};
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 6, 7, pattern(20, 0), 20);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 6, 7, pattern(8, 0), 8);
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 6, 7, pattern(20, 0), 20);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 6, 7, pattern(8, 0), 8);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h_stats(h)->calls, 1);
	h_free(h);
}

/* Short or inconsistent datagrams are not CL PDUs: no call, no pdu event, nothing counted. */
static void test_cl_not_plausible(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1034, 135};
	struct dbuf d;
	db_init(&d);
	cl_pdu(&d, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 1, 1, pattern(40, 0), 40);
	/* the header cut at 79 bytes */
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, 79);
	/* the datagram is whole but the capture kept only 60 bytes of it */
	h_udp_n(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n, 60);
	/* len larger than the body that follows */
	db_set16(&d, 74, 41, 1);
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	db_set16(&d, 74, 0xffff, 1);
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	/* len in the other byte order than drep says */
	db_set16(&d, 74, 40, 0);
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	db_set16(&d, 74, 40, 1);
	/* version 5, PTYPE 11, bad drep */
	d.b[0] = 5;
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	d.b[0] = 4;
	d.b[1] = 11;
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	d.b[1] = 0;
	d.b[4] = 0x20;
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	d.b[4] = 0x10;
	d.b[5] = 4;
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	d.b[5] = 0;
	assert_int_equal(h_stats(h)->cl_pdus, 0);
	assert_int_equal(h->r->npdu, 0);
	/* the same bytes repaired: decoded; len shorter than the body is fine (trailing bytes) */
	db_set16(&d, 74, 30, 1);
	h_udp(h, u.cli, u.cport, u.srv, u.sport, d.b, d.n);
	assert_int_equal(h_stats(h)->cl_pdus, 1);
	db_free(&d);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].req_stub_len, 30);
	assert_int_equal(h->r->nudp, 0);
	assert_int_equal(h_stats(h)->bad_pdus, 0);
	h_free(h);
}

/* Requests never answered are reported by rpc_engine_flush, oldest first. */
static void test_cl_unanswered_at_flush(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1035, 135};
	struct udpc w = {V4_C, V4_B, 1036, 135};
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 9, 1, NULL, 0);
	uint64_t r9 = h->frame;
	cl_send(h, &w, 1, CL_REQUEST, 0, 1, U_EPM, VER(3, 0), U_ACT2, 3, 2, NULL, 0);
	cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 10, 1, NULL, 0);
	flow_table_flush(h->ft);
	assert_int_equal(h->r->ncall, 0);	/* UDP flows ending do not report CL calls */
	rpc_engine_flush(h->e);
	assert_int_equal(h->r->ncall, 3);
	assert_int_equal(h->r->call[0].call_id, 9);
	assert_int_equal(h->r->call[0].req_frame, r9);
	assert_int_equal(h->r->call[0].resp_frame, 0);
	assert_ep_udp(&h->r->call[0].ep, &u);
	assert_int_equal(h->r->call[1].call_id, 3);
	assert_true(uuid_is(&h->r->call[1].iface, U_EPM));
	assert_ep_udp(&h->r->call[1].ep, &w);
	assert_int_equal(h->r->call[2].call_id, 10);
	assert_int_equal(h_stats(h)->unanswered, 3);
	rpc_engine_flush(h->e);	/* twice: nothing more */
	assert_int_equal(h->r->ncall, 3);
	h_free(h);
}

/* A response whose request was not captured. */
static void test_cl_response_without_request(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1037, 135};
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 44, 17, pattern(12, 0), 12);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->call_id, 44);
	assert_int_equal(k->opnum, 17);	/* every CL PDU names it */
	assert_true(uuid_is(&k->iface, U_SAMR));
	assert_int_equal(k->req_frame, 0);
	assert_int_equal(k->resp_frame, h->frame);
	assert_int_equal(k->incomplete, 1);
	assert_ep_udp(&k->ep, &u);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	h_free(h);
}

/* Fragmented request and response: counted, marked incomplete (no CL reassembly). */
static void test_cl_fragments(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1038, 135};
	cl_send(h, &u, 1, CL_REQUEST, CLF_FRAG, 1, U_SAMR, VER(1, 0), U_ACT1, 60, 3, pattern(100, 0), 100);
	cl_send(h, &u, 0, CL_RESPONSE, CLF_FRAG, 1, U_SAMR, VER(1, 0), U_ACT1, 60, 3, pattern(100, 0), 100);
	assert_int_equal(h->r->ncall, 0);
	cl_send(h, &u, 0, CL_RESPONSE, CLF_FRAG, 1, U_SAMR, VER(1, 0), U_ACT1, 60, 3, pattern(100, 0), 100);
	cl_send(h, &u, 0, CL_RESPONSE, CLF_FRAG | CLF_LAST, 1, U_SAMR, VER(1, 0), U_ACT1, 60, 3, pattern(30, 0), 30);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(k->resp_frags, 3);
	assert_int_equal(k->resp_stub_len, 230);
	assert_int_equal(k->resp_frame, h->frame);
	h_finish(h);
	h_free(h);
}

/* More outstanding CL calls than the table holds: the oldest are reported unanswered. */
static void test_cl_call_table_overflow(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {V4_A, V4_B, 1039, 135};
	enum { EXTRA = 5 };
	for (uint32_t s = 1; s <= CL_MAX_CALLS + EXTRA; s++)
		cl_send(h, &u, 1, CL_REQUEST, 0, 1, U_SAMR, VER(1, 0), U_ACT1, s, 1, NULL, 0);
	assert_int_equal(h->r->ncall, EXTRA);
	for (uint32_t i = 0; i < EXTRA; i++) {
		assert_int_equal(h->r->call[i].call_id, i + 1);
		assert_int_equal(h->r->call[i].resp_frame, 0);
	}
	assert_int_equal(h_stats(h)->capped, EXTRA);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_SAMR, VER(1, 0), U_ACT1, CL_MAX_CALLS + EXTRA, 1, NULL, 0);
	assert_int_equal(h->r->ncall, EXTRA + 1);
	assert_int_equal(h->r->call[EXTRA].req_frame, h->frame - 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, CL_MAX_CALLS + EXTRA);
	for (uint32_t i = EXTRA + 1; i < CL_MAX_CALLS + EXTRA; i++)
		assert_int_equal(h->r->call[i].call_id, i);
	assert_int_equal(h->r->dropped, 0);
	h_free(h);
}

/* ept_map over 135/udp (rpc-facts 3.4 stubs): the call is matched ... */
static void test_cl_epm_map_call(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {IP_CLIENT, IP_EPMSRV, 1100, 135};
	struct dbuf s;
	db_init(&s);
	facts_epm_map_req(&s);
	cl_send(h, &u, 1, CL_REQUEST, CLF_IDEM, 1, U_EPM, VER(3, 0), U_ACT1, 1, 3, s.b, s.n);
	uint64_t req = h->frame;
	s.n = 0;
	facts_epm_map_resp(&s);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_EPM, VER(3, 0), U_ACT1, 1, 3, s.b, s.n);
	uint64_t resp = h->frame;
	db_free(&s);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->connectionless, 1);
	assert_true(uuid_is(&k->iface, U_EPM));
	assert_int_equal(k->ver_major, 3);
	assert_int_equal(k->opnum, 3);
	assert_int_equal(k->req_frame, req);
	assert_int_equal(k->resp_frame, resp);
	assert_int_equal(k->req_stub_len, 132);
	assert_int_equal(k->resp_stub_len, 128);
	assert_int_equal(k->incomplete, 0);
	h_finish(h);
	h_free(h);
}

/* ... and its answer is decoded like the CO one: an epm event, the endpoint learned. */
static void test_cl_epm_map_answer(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct udpc u = {IP_CLIENT, IP_EPMSRV, 1101, 135};
	struct dbuf s;
	db_init(&s);
	facts_epm_map_req(&s);
	cl_send(h, &u, 1, CL_REQUEST, CLF_IDEM, 1, U_EPM, VER(3, 0), U_ACT1, 1, 3, s.b, s.n);
	uint64_t req = h->frame;
	s.n = 0;
	facts_epm_map_resp(&s);
	cl_send(h, &u, 0, CL_RESPONSE, 0, 1, U_EPM, VER(3, 0), U_ACT1, 1, 3, s.b, s.n);
	uint64_t resp = h->frame;
	db_free(&s);
	assert_string_equal(h->r->order, "EC");
	assert_int_equal(h->r->nepm, 1);
	const struct rpc_epm_ev *m = &h->r->epm[0];
	assert_ep_udp(&m->ep, &u);
	assert_int_equal(m->opnum, 3);
	assert_int_equal(m->req_frame, req);
	assert_int_equal(m->frame, resp);
	assert_int_equal(m->status, 0);
	assert_int_equal(m->has_tower, 1);
	assert_true(uuid_is(&m->iface, U_EMSMDB));
	assert_int_equal(m->proto, RPC_EPM_TCP);
	assert_true(addr_is4(&m->ip, IP_EPMSRV));
	assert_int_equal(m->port, 1025);
	assert_string_equal(m->binding, "ncacn_ip_tcp:192.168.1.10[1025]");
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->detailed, 1);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	assert_int_equal(k->rc_table, 2);
	const struct rpc_endpoint *v;
	assert_int_equal(rpc_endpoints(h->e, &v), 1);
	assert_true(addr_is4(&v[0].srv, IP_EPMSRV));
	assert_int_equal(v[0].port, 1025);
	assert_int_equal(v[0].proto, PROTO_TCP);
	assert_int_equal(v[0].frame, resp);
	h_finish(h);
	h_free(h);
}

/* UDP that is neither DCE/RPC nor a notification produces nothing. */
static void test_cl_other_udp(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_udp(h, V4_A, 53, V4_B, 40000, "\x12\x34\x81\x80", 4);
	h_udp(h, V4_A, 40001, V4_B, 135, "\x04\x00", 2);
	uint8_t big[200];
	memset(big, 4, sizeof big);
	h_udp(h, V4_A, 40002, V4_B, 135, big, sizeof big);
	h_udp(h, V4_A, 40003, V4_B, 135, NULL, 0);
	h_finish(h);
	assert_int_equal(h->r->ncall + h->r->npdu + h->r->nudp + h->r->nepm, 0);
	assert_int_equal(h_stats(h)->cl_pdus, 0);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cl_header_builder),
		cmocka_unit_test(test_cl_request_response),
		cmocka_unit_test(test_cl_big_endian),
		cmocka_unit_test(test_cl_fault_reject),
		cmocka_unit_test(test_cl_request_retransmission),
		cmocka_unit_test(test_cl_retransmission_after_answer),
		cmocka_unit_test(test_cl_not_plausible),
		cmocka_unit_test(test_cl_unanswered_at_flush),
		cmocka_unit_test(test_cl_response_without_request),
		cmocka_unit_test(test_cl_fragments),
		cmocka_unit_test(test_cl_call_table_overflow),
		cmocka_unit_test(test_cl_epm_map_call),
		cmocka_unit_test(test_cl_epm_map_answer),
		cmocka_unit_test(test_cl_other_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
