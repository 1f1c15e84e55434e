/* \summary: unit tests for connection-oriented DCE/RPC over TCP (src/dcerpc.c via src/rpc.c)
 *
 * Every test builds IPv4/TCP frames around DCE/RPC PDUs, decodes them with
 * decode_packet(), attributes them with flow_table_packet() and feeds them
 * to rpc_packet(); a recording sink copies every event.  Worked PDUs and
 * stubs come verbatim from rpc-facts sections 1.5, 1.6, 3.4, 4.3 and 4.4.
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
#include "rpc_int.h"	/* DCE_MAX_CALLS, DCE_MAX_PDU */
#include "dcebuild.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static struct flow *send_req(struct harness *h, struct tcpc *c, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
			     uint16_t opnum, const void *stub, size_t n)
{
	struct dbuf d;
	db_init(&d);
	co_request(&d, le, flags, call_id, ctx, opnum, NULL, stub, n);
	struct flow *f = h_cli(h, c, &d);
	db_free(&d);
	return f;
}

static struct flow *send_resp(struct harness *h, struct tcpc *c, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
			      const void *stub, size_t n)
{
	struct dbuf d;
	db_init(&d);
	co_response(&d, le, flags, call_id, ctx, stub, n);
	struct flow *f = h_srv(h, c, &d);
	db_free(&d);
	return f;
}

/* bind ctx 0 (NDR) to one interface and accept it. */
static void bind_one(struct harness *h, struct tcpc *c, int le, uint32_t call_id, const char *iface, uint16_t vmaj,
		     uint16_t vmin)
{
	struct ctx_spec cs = {0, iface, vmaj, vmin, U_NDR, 2};
	struct result_spec rs = {0, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, le, call_id, &cs, 1);
	h_cli(h, c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, le, call_id, "135", &rs, 1);
	h_srv(h, c, &d);
	db_free(&d);
}

static void assert_ep(const struct rpc_ep *ep, const struct tcpc *c)
{
	assert_int_equal(ep->proto, PROTO_TCP);
	assert_true(addr_is4(&ep->cli, c->cli));
	assert_true(addr_is4(&ep->srv, c->srv));
	assert_int_equal(ep->cport, c->cport);
	assert_int_equal(ep->sport, c->sport);
}

/* Every call_id in want[] reported exactly once, in that order. */
static void assert_call_order(const struct harness *h, const uint32_t *want, size_t n)
{
	assert_int_equal(h->r->ncall, n);
	for (size_t i = 0; i < n; i++)
		if (h->r->call[i].call_id != want[i])
			fail_msg("call event %zu: call_id %u, want %u", i, h->r->call[i].call_id, want[i]);
}

/* ---- builders against the worked examples ----------------------------------------------------- */

static void test_builders_match_facts(void **state)
{
	(void)state;
	struct dbuf d;
	db_init(&d);
	struct ctx_spec cs[2] = {{0, U_EMSMDB, 0, 81, U_NDR, 2}, {1, U_EMSMDB, 0, 81, U_NDR64, 1}};
	co_bind(&d, 11, 1, 1, cs, 2);
	assert_int_equal(d.n, sizeof FACTS_BIND);
	assert_memory_equal(d.b, FACTS_BIND, sizeof FACTS_BIND);

	d.n = 0;
	struct result_spec rs[2] = {{0, 0, U_NDR, 2}, {2, 2, NULL, 0}};
	co_bind_ack(&d, 12, 1, 1, "49155", rs, 2);
	assert_int_equal(d.n, sizeof FACTS_BIND_ACK);
	assert_memory_equal(d.b, FACTS_BIND_ACK, sizeof FACTS_BIND_ACK);

	d.n = 0;
	co_request(&d, 1, PFC_FL, 5, 0, 4, NULL, FACTS_RPN_REQ + 24, sizeof FACTS_RPN_REQ - 24);
	assert_int_equal(d.n, sizeof FACTS_RPN_REQ);
	assert_memory_equal(d.b, FACTS_RPN_REQ, sizeof FACTS_RPN_REQ);

	d.n = 0;
	facts_epm_map_req(&d);
	assert_int_equal(d.n, 132);
	d.n = 0;
	facts_epm_map_resp(&d);
	assert_int_equal(d.n, 128);
	assert_memory_equal(d.b + 0x30, FACTS_TOWER, 75);
	db_free(&d);
}

/* ---- binds ----------------------------------------------------------------------------------- */

/* rpc-facts 1.5 / 1.6 verbatim, on a dynamic port (detected from the header alone). */
static void test_bind_two_contexts(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49700, V4_B, 49155);
	h_open(h, &c);
	h_send(h, &c, 0, FACTS_BIND, sizeof FACTS_BIND);
	uint64_t bind_frame = h->frame;
	h_send(h, &c, 1, FACTS_BIND_ACK, sizeof FACTS_BIND_ACK);
	uint64_t ack_frame = h->frame;

	assert_int_equal(h->r->nbind, 1);
	const struct rpc_bind_ev *b = &h->r->bind[0];
	assert_ep(&b->ep, &c);
	assert_int_equal(b->ptype, 11);
	assert_int_equal(b->call_id, 1);
	assert_int_equal(b->frame, bind_frame);
	assert_int_equal(b->ts_us, H_T0 + bind_frame * 1000);
	assert_int_equal(b->reply_frame, ack_frame);
	assert_int_equal(b->reply_ts_us, H_T0 + ack_frame * 1000);
	assert_int_equal(b->reply_ptype, 12);
	assert_int_equal(b->nak_reason, 0);
	assert_string_equal(b->sec_addr, "49155");
	assert_int_equal(b->auth_type, 0);
	assert_int_equal(b->auth_level, 0);
	assert_int_equal(b->n_ctx_declared, 2);
	assert_int_equal(b->n_ctx, 2);

	assert_int_equal(b->ctx[0].ctx_id, 0);
	assert_true(uuid_is(&b->ctx[0].iface, U_EMSMDB));
	assert_int_equal(b->ctx[0].ver_major, 0);
	assert_int_equal(b->ctx[0].ver_minor, 81);
	assert_int_equal(b->ctx[0].n_xfer, 1);
	assert_true(uuid_is(&b->ctx[0].xfer, U_NDR));
	assert_int_equal(b->ctx[0].xfer_ver, 2);
	assert_int_equal(b->ctx[0].answered, 1);
	assert_int_equal(b->ctx[0].result, 0);
	assert_int_equal(b->ctx[0].reason, 0);

	assert_int_equal(b->ctx[1].ctx_id, 1);
	assert_true(uuid_is(&b->ctx[1].iface, U_EMSMDB));
	assert_true(uuid_is(&b->ctx[1].xfer, U_NDR64));	/* rejected: the proposed syntax stays */
	assert_int_equal(b->ctx[1].xfer_ver, 1);
	assert_int_equal(b->ctx[1].answered, 1);
	assert_int_equal(b->ctx[1].result, 2);	/* provider_rejection */
	assert_int_equal(b->ctx[1].reason, 2);	/* proposed_transfer_syntaxes_not_supported */

	/* the accepted context carries calls; the rejected one does not name an interface */
	uint8_t rc_ok[4] = {0, 0, 0, 0};
	send_req(h, &c, 1, PFC_FL, 2, 0, 6, NULL, 0);	/* EcDummyRpc */
	send_resp(h, &c, 1, PFC_FL, 2, 0, rc_ok, 4);
	send_req(h, &c, 1, PFC_FL, 3, 1, 6, NULL, 0);
	send_resp(h, &c, 1, PFC_FL, 3, 1, rc_ok, 4);
	assert_int_equal(h->r->ncall, 2);
	const struct rpc_call_ev *k = h_call(h, 2);
	assert_non_null(k);
	assert_int_equal(k->has_iface, 1);
	assert_int_equal(k->iface_from_epm, 0);
	assert_int_equal(k->iface_unconfirmed, 0);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->ver_major, 0);
	assert_int_equal(k->ver_minor, 81);
	assert_int_equal(k->ndr64, 0);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	assert_int_equal(k->rc_table, 1);
	k = h_call(h, 3);
	assert_non_null(k);
	assert_int_equal(k->has_iface, 0);
	assert_int_equal(k->has_rc, 0);

	const struct rpc_stats *st = h_stats(h);
	assert_int_equal(st->binds, 1);
	assert_int_equal(st->co_pdus, 6);
	assert_int_equal(st->ptype[11], 1);
	assert_int_equal(st->ptype[12], 1);
	assert_int_equal(st->ptype[0], 2);
	assert_int_equal(st->ptype[2], 2);
	assert_int_equal(st->bad_pdus, 0);
	/* one pdu event per PDU, direction known from the first (a bind) */
	assert_int_equal(h->r->npdu, 6);
	assert_int_equal(h->r->pdu[0].ptype, 11);
	assert_int_equal(h->r->pdu[0].to_server, 1);
	assert_int_equal(h->r->pdu[0].frag_len, 116);
	assert_int_equal(h->r->pdu[0].le, 1);
	assert_int_equal(h->r->pdu[1].ptype, 12);
	assert_int_equal(h->r->pdu[1].to_server, 0);
	assert_int_equal(h->r->pdu[2].has_opnum, 1);
	assert_int_equal(h->r->pdu[2].opnum, 6);
	assert_int_equal(h->r->pdu[2].has_iface, 1);
	assert_int_equal(h->r->pdu[3].ptype, 2);
	assert_int_equal(h->r->pdu[3].opnum, 6);	/* the response PDU names its request's opnum */
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->dropped, 0);
	h_free(h);
}

/* A third element for bind-time feature negotiation: result 3 (negotiate_ack), reason = bitmask. */
static void test_bind_feature_negotiation(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49701, V4_B, 135);
	h_open(h, &c);
	struct ctx_spec cs[3] = {
		{0, U_EMSMDB, 0, 81, U_NDR, 2}, {1, U_EMSMDB, 0, 81, U_NDR64, 1}, {2, U_EMSMDB, 0, 81, U_BTFN, 1}};
	struct result_spec rs[3] = {{0, 0, U_NDR, 2}, {2, 2, NULL, 0}, {3, 0x0003, NULL, 0}};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, 9, cs, 3);
	h_cli(h, &c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, 1, 9, "135", rs, 3);
	h_srv(h, &c, &d);
	db_free(&d);

	assert_int_equal(h->r->nbind, 1);
	const struct rpc_bind_ev *b = &h->r->bind[0];
	assert_int_equal(b->call_id, 9);
	assert_string_equal(b->sec_addr, "135");
	assert_int_equal(b->n_ctx, 3);
	assert_int_equal(b->ctx[0].result, 0);
	assert_int_equal(b->ctx[1].result, 2);
	assert_int_equal(b->ctx[1].reason, 2);
	assert_int_equal(b->ctx[2].ctx_id, 2);
	assert_true(uuid_is(&b->ctx[2].xfer, U_BTFN));
	assert_int_equal(b->ctx[2].answered, 1);
	assert_int_equal(b->ctx[2].result, 3);	/* negotiate_ack */
	assert_int_equal(b->ctx[2].reason, 3);	/* feature bits */

	/* a negotiate_ack is not a usable context */
	send_req(h, &c, 1, PFC_FL, 10, 2, 1, pattern(20, 1), 20);
	send_req(h, &c, 1, PFC_FL, 11, 0, 1, pattern(20, 1), 20);
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h_call(h, 10)->has_iface, 0);
	assert_int_equal(h_call(h, 11)->has_iface, 1);
	h_free(h);
}

/* alter_context adds a second interface; a request on the new ctx_id belongs to it. */
static void test_alter_context(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49702, V4_B, 49155);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EMSMDB, 0, 81);
	struct ctx_spec cs = {1, U_ASYNC, 0, 1, U_NDR, 2};
	struct result_spec rs = {0, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 14, 1, 2, &cs, 1);
	h_cli(h, &c, &d);
	uint64_t alter_frame = h->frame;
	d.n = 0;
	co_bind_ack(&d, 15, 1, 2, NULL, &rs, 1);	/* sec_addr length 0: pad 2 before n_results */
	h_srv(h, &c, &d);
	db_free(&d);

	assert_int_equal(h->r->nbind, 2);
	const struct rpc_bind_ev *b = &h->r->bind[1];
	assert_int_equal(b->ptype, 14);
	assert_int_equal(b->reply_ptype, 15);
	assert_int_equal(b->call_id, 2);
	assert_int_equal(b->frame, alter_frame);
	assert_int_equal(b->reply_frame, alter_frame + 1);
	assert_string_equal(b->sec_addr, "");
	assert_int_equal(b->n_ctx, 1);
	assert_int_equal(b->ctx[0].ctx_id, 1);
	assert_true(uuid_is(&b->ctx[0].iface, U_ASYNC));
	assert_int_equal(b->ctx[0].ver_minor, 1);
	assert_int_equal(b->ctx[0].answered, 1);
	assert_int_equal(b->ctx[0].result, 0);

	uint8_t ret[8] = {1, 0, 0, 0, 0, 0, 0, 0};
	send_req(h, &c, 1, PFC_FL, 3, 1, 0, pattern(24, 3), 24);	/* EcDoAsyncWaitEx on ctx 1 */
	send_req(h, &c, 1, PFC_FL, 4, 0, 1, pattern(20, 4), 20);	/* EcDoDisconnect on ctx 0 */
	send_resp(h, &c, 1, PFC_FL, 4, 0, pattern(24, 9), 24);
	send_resp(h, &c, 1, PFC_FL, 3, 1, ret, 8);
	assert_int_equal(h->r->ncall, 2);
	const struct rpc_call_ev *k = h_call(h, 3);
	assert_int_equal(k->ctx_id, 1);
	assert_int_equal(k->opnum, 0);
	assert_int_equal(k->has_iface, 1);
	assert_true(uuid_is(&k->iface, U_ASYNC));
	assert_int_equal(k->ver_major, 0);
	assert_int_equal(k->ver_minor, 1);
	assert_int_equal(k->has_rc, 1);	/* the last 4 stub bytes */
	assert_int_equal(k->rc, 0);
	k = h_call(h, 4);
	assert_int_equal(k->ctx_id, 0);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->opnum, 1);
	h_finish(h);
	h_free(h);
}

static void test_bind_nak(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49703, V4_B, 135);
	h_open(h, &c);
	struct ctx_spec cs = {0, U_EPM, 3, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, 1, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	co_bind_nak(&d, 1, 1, 4);	/* protocol version not supported */
	h_srv(h, &c, &d);
	uint64_t nak_frame = h->frame;
	db_free(&d);

	assert_int_equal(h->r->nbind, 1);
	const struct rpc_bind_ev *b = &h->r->bind[0];
	assert_int_equal(b->reply_ptype, 13);
	assert_int_equal(b->nak_reason, 4);
	assert_int_equal(b->reply_frame, nak_frame);
	assert_int_equal(b->n_ctx, 1);
	assert_int_equal(b->ctx[0].answered, 0);
	assert_string_equal(b->sec_addr, "");
	h_finish(h);
	assert_int_equal(h->r->nbind, 1);	/* not reported twice at the end */
	assert_int_equal(h_stats(h)->ptype[13], 1);
	h_free(h);
}

/* A bind_nak turns down every context its bind proposed: a later call on one has no interface. */
static void test_bind_nak_withdraws_proposals(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49731, V4_B, 135);
	h_open(h, &c);
	struct ctx_spec cs = {0, U_EPM, 3, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, 1, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	co_bind_nak(&d, 1, 1, 4);
	h_srv(h, &c, &d);
	db_free(&d);
	send_req(h, &c, 1, PFC_FL, 2, 0, 3, pattern(8, 0), 8);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].has_iface, 0);
	assert_int_equal(h->r->call[0].iface_unconfirmed, 0);
	h_free(h);
}

/* A bind whose answer was not captured: its contexts still name the interface, marked unconfirmed. */
static void test_bind_unanswered_proposal(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49732, V4_B, 49155);
	h_open(h, &c);
	h_send(h, &c, 0, FACTS_BIND, sizeof FACTS_BIND);	/* no bind_ack (one-sided capture) */
	send_req(h, &c, 1, PFC_FL, 2, 0, 6, NULL, 0);
	send_req(h, &c, 1, PFC_FL, 3, 1, 6, NULL, 0);
	send_req(h, &c, 1, PFC_FL, 4, 2, 6, NULL, 0);	/* never proposed */
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	const struct rpc_call_ev *k = h_call(h, 2);
	assert_int_equal(k->has_iface, 1);
	assert_int_equal(k->iface_unconfirmed, 1);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->ndr64, 0);
	k = h_call(h, 3);
	assert_int_equal(k->has_iface, 1);
	assert_int_equal(k->iface_unconfirmed, 1);
	assert_int_equal(k->ndr64, 1);
	assert_int_equal(h_call(h, 4)->has_iface, 0);
	assert_int_equal(h->r->nbind, 1);
	assert_int_equal(h->r->bind[0].reply_frame, 0);

	/* answered later: the accepted context is confirmed, the rejected one withdrawn */
	h_free(h);
	h = h_new();
	tcpc_init(&c, V4_A, 49733, V4_B, 49155);
	h_open(h, &c);
	h_send(h, &c, 0, FACTS_BIND, sizeof FACTS_BIND);
	send_req(h, &c, 1, PFC_FL, 2, 0, 6, NULL, 0);	/* sent before the answer */
	h_send(h, &c, 1, FACTS_BIND_ACK, sizeof FACTS_BIND_ACK);
	send_req(h, &c, 1, PFC_FL, 3, 0, 6, NULL, 0);
	send_req(h, &c, 1, PFC_FL, 4, 1, 6, NULL, 0);
	h_finish(h);
	assert_int_equal(h_call(h, 2)->has_iface, 1);
	assert_int_equal(h_call(h, 2)->iface_unconfirmed, 1);	/* decided when the request was seen */
	assert_int_equal(h_call(h, 3)->has_iface, 1);
	assert_int_equal(h_call(h, 3)->iface_unconfirmed, 0);
	assert_int_equal(h_call(h, 4)->has_iface, 0);
	h_free(h);
}

/* ---- calls ------------------------------------------------------------------------------------- */

static void test_request_response(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49704, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 7, 0, 64, pattern(48, 1), 48);
	uint64_t req = h->frame;
	assert_int_equal(h->r->ncall, 0);
	send_resp(h, &c, 1, PFC_FL, 99, 0, pattern(12, 2), 12);	/* another call_id: not this one */
	send_resp(h, &c, 1, PFC_FL, 7, 0, pattern(36, 2), 36);
	uint64_t resp = h->frame;

	assert_int_equal(h->r->ncall, 2);
	const struct rpc_call_ev *k = h_call(h, 7);
	assert_non_null(k);
	assert_ep(&k->ep, &c);
	assert_int_equal(k->connectionless, 0);
	assert_int_equal(k->ctx_id, 0);
	assert_int_equal(k->opnum, 64);
	assert_int_equal(k->has_iface, 1);
	assert_true(uuid_is(&k->iface, U_SAMR));
	assert_int_equal(k->ver_major, 1);
	assert_int_equal(k->ver_minor, 0);
	assert_int_equal(k->req_frame, req);
	assert_int_equal(k->resp_frame, resp);
	assert_int_equal(k->req_ts_us, H_T0 + req * 1000);
	assert_int_equal(k->resp_ts_us, H_T0 + resp * 1000);
	assert_int_equal(k->req_stub_len, 48);
	assert_int_equal(k->resp_stub_len, 36);
	assert_int_equal(k->req_frags, 1);
	assert_int_equal(k->resp_frags, 1);
	assert_int_equal(k->fault, 0);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(k->sealed, 0);
	assert_int_equal(k->auth_level, 0);
	assert_int_equal(k->has_rc, 0);	/* not an interface with a known return value */
	assert_int_equal(k->detailed, 0);
	/* the stray response */
	k = h_call(h, 99);
	assert_int_equal(k->req_frame, 0);
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(h_stats(h)->calls, 2);
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h_stats(h)->unanswered, 0);
	h_free(h);
}

/* Concurrent calls answered in reverse order are matched by call_id. */
static void test_interleaved_calls(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49705, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 10, 0, 5, pattern(10, 0), 10);
	uint64_t r10 = h->frame;
	send_req(h, &c, 1, PFC_FL, 11, 0, 6, pattern(20, 0), 20);
	uint64_t r11 = h->frame;
	send_req(h, &c, 1, PFC_FL, 12, 0, 7, pattern(30, 0), 30);
	uint64_t r12 = h->frame;
	send_resp(h, &c, 1, PFC_FL, 12, 0, pattern(3, 0), 3);
	send_resp(h, &c, 1, PFC_FL, 11, 0, pattern(2, 0), 2);
	send_resp(h, &c, 1, PFC_FL, 10, 0, pattern(1, 0), 1);
	uint64_t last = h->frame;
	static const uint32_t want[] = {12, 11, 10};
	assert_call_order(h, want, 3);
	assert_int_equal(h_call(h, 12)->opnum, 7);
	assert_int_equal(h_call(h, 12)->req_frame, r12);
	assert_int_equal(h_call(h, 12)->resp_frame, last - 2);
	assert_int_equal(h_call(h, 12)->req_stub_len, 30);
	assert_int_equal(h_call(h, 12)->resp_stub_len, 3);
	assert_int_equal(h_call(h, 11)->opnum, 6);
	assert_int_equal(h_call(h, 11)->req_frame, r11);
	assert_int_equal(h_call(h, 11)->resp_frame, last - 1);
	assert_int_equal(h_call(h, 10)->opnum, 5);
	assert_int_equal(h_call(h, 10)->req_frame, r10);
	assert_int_equal(h_call(h, 10)->resp_frame, last);
	assert_int_equal(h_call(h, 10)->resp_stub_len, 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	h_free(h);
}

static void test_fault(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49706, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 20, 0, 200, pattern(16, 0), 16);
	uint64_t req = h->frame;
	struct dbuf d;
	db_init(&d);
	co_fault(&d, 1, 20, 0, 0x1c010002);
	h_srv(h, &c, &d);
	uint64_t flt = h->frame;
	/* a fault for a call whose request was not seen */
	d.n = 0;
	co_fault(&d, 1, 21, 0, 0x00000005);
	h_srv(h, &c, &d);
	db_free(&d);

	assert_int_equal(h->r->ncall, 2);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->call_id, 20);
	assert_int_equal(k->opnum, 200);
	assert_int_equal(k->fault, 1);
	assert_int_equal(k->status, 0x1c010002);
	assert_int_equal(k->req_frame, req);
	assert_int_equal(k->resp_frame, flt);
	assert_int_equal(k->resp_frags, 1);
	assert_int_equal(k->resp_stub_len, 0);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(k->has_rc, 0);
	k = &h->r->call[1];
	assert_int_equal(k->call_id, 21);
	assert_int_equal(k->fault, 1);
	assert_int_equal(k->status, 5);
	assert_int_equal(k->req_frame, 0);
	assert_int_equal(k->incomplete, 1);
	assert_true(uuid_is(&k->iface, U_SAMR));	/* from its ctx_id */
	assert_int_equal(h_stats(h)->faults, 2);
	assert_int_equal(h_stats(h)->ptype[3], 2);
	h_finish(h);
	h_free(h);
}

/* FIRST / middle / LAST request fragments and a two-fragment response: one call. */
static void test_multifragment(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49707, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FIRST, 30, 0, 17, pattern(100, 0), 100);
	uint64_t first = h->frame;
	send_req(h, &c, 1, 0, 30, 0, 17, pattern(100, 1), 100);
	send_req(h, &c, 1, PFC_LAST, 30, 0, 17, pattern(50, 2), 50);
	send_resp(h, &c, 1, PFC_FIRST, 30, 0, pattern(80, 3), 80);
	assert_int_equal(h->r->ncall, 0);	/* not before the last fragment */
	send_resp(h, &c, 1, PFC_LAST, 30, 0, pattern(40, 4), 40);
	uint64_t last = h->frame;
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->call_id, 30);
	assert_int_equal(k->opnum, 17);
	assert_int_equal(k->req_frags, 3);
	assert_int_equal(k->req_stub_len, 250);
	assert_int_equal(k->resp_frags, 2);
	assert_int_equal(k->resp_stub_len, 120);
	assert_int_equal(k->req_frame, first);
	assert_int_equal(k->resp_frame, last);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(h_stats(h)->calls, 1);
	assert_int_equal(h->r->npdu, 2 + 5);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	h_free(h);
}

/* ---- EPM: the stub decoders see exactly the reassembled stub ------------------------------------ */

static void assert_epm_facts(const struct harness *h, size_t i, const struct rpc_ep *ep, uint64_t req_frame,
			     uint64_t frame)
{
	assert_true(i < h->r->nepm);
	const struct rpc_epm_ev *m = &h->r->epm[i];
	assert_int_equal(m->ep.proto, ep->proto);
	assert_true(addr_eq(&m->ep.cli, &ep->cli));
	assert_true(addr_eq(&m->ep.srv, &ep->srv));
	assert_int_equal(m->ep.sport, ep->sport);
	assert_int_equal(m->opnum, 3);
	assert_int_equal(m->req_frame, req_frame);
	assert_int_equal(m->frame, frame);
	assert_int_equal(m->status, 0);
	assert_int_equal(m->has_tower, 1);
	assert_int_equal(m->index, 0);
	assert_int_equal(m->count, 1);
	assert_int_equal(m->has_iface, 1);
	assert_true(uuid_is(&m->iface, U_EMSMDB));
	assert_int_equal(m->ver_major, 0);
	assert_int_equal(m->ver_minor, 81);
	assert_int_equal(m->proto, RPC_EPM_TCP);
	assert_non_null(m->protseq);
	assert_string_equal(m->protseq, "ncacn_ip_tcp");
	assert_int_equal(m->has_ip, 1);
	assert_true(addr_is4(&m->ip, IP_EPMSRV));
	assert_int_equal(m->has_port, 1);
	assert_int_equal(m->port, 1025);
	assert_string_equal(m->binding, "ncacn_ip_tcp:192.168.1.10[1025]");
}

static void assert_endpoint_learned(const struct harness *h, uint64_t frame)
{
	const struct rpc_endpoint *v;
	size_t n = rpc_endpoints(h->e, &v);
	assert_int_equal(n, 1);
	assert_true(addr_is4(&v[0].srv, IP_EPMSRV));
	assert_int_equal(v[0].port, 1025);
	assert_int_equal(v[0].proto, PROTO_TCP);
	assert_true(uuid_is(&v[0].iface, U_EMSMDB));
	assert_int_equal(v[0].ver_major, 0);
	assert_int_equal(v[0].frame, frame);
	assert_int_equal(v[0].ts_us, H_T0 + frame * 1000);
	assert_int_equal(h_stats(h)->endpoints_learned, 1);
}

/* ept_map on 135 (rpc-facts 3.4 stubs), then a connection to the learned
 * endpoint with no bind: its call is attributed to EMSMDB from the map. */
static void test_epm_map_then_learned_endpoint(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50100, IP_EPMSRV, 135);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EPM, 3, 0);
	struct dbuf s;
	db_init(&s);
	facts_epm_map_req(&s);
	send_req(h, &c, 1, PFC_FL, 2, 0, 3, s.b, s.n);
	uint64_t req = h->frame;
	s.n = 0;
	facts_epm_map_resp(&s);
	send_resp(h, &c, 1, PFC_FL, 2, 0, s.b, s.n);
	uint64_t resp = h->frame;
	db_free(&s);

	assert_int_equal(h->r->nepm, 1);
	struct rpc_ep ep;
	memset(&ep, 0, sizeof ep);
	ep.proto = PROTO_TCP;
	addr_set4(&ep.cli, IP_CLIENT);
	addr_set4(&ep.srv, IP_EPMSRV);
	ep.cport = 50100;
	ep.sport = 135;
	assert_epm_facts(h, 0, &ep, req, resp);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_true(uuid_is(&k->iface, U_EPM));
	assert_int_equal(k->opnum, 3);
	assert_int_equal(k->req_stub_len, 132);
	assert_int_equal(k->resp_stub_len, 128);
	assert_int_equal(k->detailed, 1);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	assert_int_equal(k->rc_table, 2);
	assert_string_equal(h->r->order, "BEC");
	assert_endpoint_learned(h, resp);
	assert_int_equal(h_stats(h)->epm_answers, 1);

	/* a new connection to 192.168.1.10:1025, no bind seen */
	struct tcpc m;
	tcpc_init(&m, IP_CLIENT, 50200, IP_EPMSRV, 1025);
	h_open(h, &m);
	uint8_t ret[4] = {0, 0, 0, 0};
	send_req(h, &m, 1, PFC_FL, 1, 0, 6, NULL, 0);	/* EcDummyRpc */
	send_resp(h, &m, 1, PFC_FL, 1, 0, ret, 4);
	assert_int_equal(h->r->ncall, 2);
	k = &h->r->call[1];
	assert_ep(&k->ep, &m);
	assert_int_equal(k->has_iface, 1);
	assert_int_equal(k->iface_from_epm, 1);
	assert_int_equal(k->iface_unconfirmed, 0);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->ver_major, 0);
	assert_int_equal(k->opnum, 6);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	assert_int_equal(k->rc_table, 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->nepm, 1);
	h_free(h);
}

/* The same ept_map, each stub split over two fragments, with an object UUID on the
 * first request fragment (stub at 40) and authentication padding on the response. */
static void test_epm_fragmented_object_auth(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50101, IP_EPMSRV, 135);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EPM, 3, 0);
	struct dbuf s, d;
	db_init(&s);
	db_init(&d);
	facts_epm_map_req(&s);
	size_t at = co_request_body(&d, 1, PFC_FIRST, 2, 0, 3, U_ACT1, s.b, 60);
	co_end(&d, at, 1, 0);
	assert_int_equal(d.b[3] & PFC_OBJECT, PFC_OBJECT);
	h_cli(h, &c, &d);
	uint64_t req = h->frame;
	d.n = 0;
	co_request(&d, 1, PFC_LAST, 2, 0, 3, NULL, s.b + 60, s.n - 60);
	h_cli(h, &c, &d);
	s.n = 0;
	facts_epm_map_resp(&s);
	d.n = 0;
	at = co_response_body(&d, 1, PFC_FIRST, 2, 0, s.b, 50);
	co_auth_end(&d, at, 1, 10, 5, 6, 16);	/* NTLMSSP, integrity, 6 bytes of padding */
	h_srv(h, &c, &d);
	d.n = 0;
	at = co_response_body(&d, 1, PFC_LAST, 2, 0, s.b + 50, s.n - 50);
	co_auth_end(&d, at, 1, 10, 5, 2, 16);
	h_srv(h, &c, &d);
	uint64_t resp = h->frame;
	db_free(&s);
	db_free(&d);

	assert_int_equal(h->r->nepm, 1);
	struct rpc_ep ep;
	memset(&ep, 0, sizeof ep);
	ep.proto = PROTO_TCP;
	addr_set4(&ep.cli, IP_CLIENT);
	addr_set4(&ep.srv, IP_EPMSRV);
	ep.sport = 135;
	assert_epm_facts(h, 0, &ep, req, resp);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->req_frags, 2);
	assert_int_equal(k->req_stub_len, 132);	/* object UUID not counted */
	assert_int_equal(k->resp_frags, 2);
	assert_int_equal(k->resp_stub_len, 128);	/* padding not counted */
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(k->auth_level, 0);	/* the request was not authenticated */
	assert_endpoint_learned(h, resp);
	h_finish(h);
	h_free(h);
}

/* When the endpoint map names two interfaces at one port, a call without a bind gets no interface. */
static void test_epm_ambiguous_port(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50104, IP_EPMSRV, 135);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EPM, 3, 0);
	/* ept_map answer with two towers: EMSMDB and NSPI, both at 192.168.1.10[1025] */
	uint8_t nspi[75];
	memcpy(nspi, FACTS_TOWER, sizeof nspi);
	static const uint8_t nspi_le[16] = {0x18, 0x5a, 0xcc, 0xf5, 0x64, 0x42, 0x1a, 0x10,
					    0x8c, 0x59, 0x08, 0x00, 0x2b, 0x2f, 0x84, 0x26};
	memcpy(nspi + 5, nspi_le, 16);
	nspi[21] = 56;	/* major 56 */
	nspi[25] = 0;	/* minor 0 */
	struct dbuf s;
	db_init(&s);
	facts_epm_map_req(&s);
	send_req(h, &c, 1, PFC_FL, 2, 0, 3, s.b, s.n);
	s.n = 0;
	db_fill(&s, 0, 20);
	db_u32(&s, 2, 1);	/* num_towers */
	db_u32(&s, 4, 1);
	db_u32(&s, 0, 1);
	db_u32(&s, 2, 1);
	db_u32(&s, 3, 1);	/* referents */
	db_u32(&s, 4, 1);
	db_u32(&s, 75, 1);
	db_u32(&s, 75, 1);
	db_bytes(&s, FACTS_TOWER, 75);
	db_u8(&s, 0);
	db_u32(&s, 75, 1);
	db_u32(&s, 75, 1);
	db_bytes(&s, nspi, 75);
	db_u8(&s, 0);
	db_u32(&s, 0, 1);
	send_resp(h, &c, 1, PFC_FL, 2, 0, s.b, s.n);
	db_free(&s);
	assert_int_equal(h->r->nepm, 2);
	assert_int_equal(h->r->epm[0].count, 2);
	assert_int_equal(h->r->epm[1].index, 1);
	assert_true(uuid_is(&h->r->epm[1].iface, "f5cc5a18-4264-101a-8c59-08002b2f8426"));
	assert_int_equal(h->r->epm[1].ver_major, 56);
	assert_int_equal(h->r->epm[1].port, 1025);
	const struct rpc_endpoint *v;
	assert_int_equal(rpc_endpoints(h->e, &v), 2);

	struct tcpc m;
	tcpc_init(&m, IP_CLIENT, 50205, IP_EPMSRV, 1025);
	h_open(h, &m);
	send_req(h, &m, 1, PFC_FL, 1, 0, 6, NULL, 0);
	send_resp(h, &m, 1, PFC_FL, 1, 0, "\0\0\0\0", 4);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[1].has_iface, 0);	/* decoded (learned port), but no guess */
	assert_int_equal(h->r->call[1].iface_from_epm, 0);
	h_finish(h);
	h_free(h);
}

/* Capture started inside a fragmented request: the call is incomplete. */
static void test_midstream_continuation_fragment(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49730, V4_B, 135);
	send_req(h, &c, 1, 0, 8, 0, 3, pattern(64, 0), 64);	/* a middle fragment first */
	send_req(h, &c, 1, PFC_LAST, 8, 0, 3, pattern(16, 0), 16);
	send_resp(h, &c, 1, PFC_FL, 8, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(k->req_frags, 2);
	assert_int_equal(k->req_stub_len, 80);
	assert_int_equal(k->opnum, 3);
	assert_int_equal(k->req_frame, h->frame - 2);
	/* same for a response whose first fragment was missed */
	send_req(h, &c, 1, PFC_FL, 9, 0, 4, pattern(8, 0), 8);
	send_resp(h, &c, 1, PFC_LAST, 9, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[1].incomplete, 1);
	h_finish(h);
	h_free(h);
}

/* PFC_OBJECT_UUID: the stub starts at 40. */
static void test_object_uuid(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49708, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, 3, 0, 9, U_ACT2, pattern(30, 0), 30);
	assert_int_equal(d.n, 70);
	h_cli(h, &c, &d);
	db_free(&d);
	send_resp(h, &c, 1, PFC_FL, 3, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].opnum, 9);
	assert_int_equal(h->r->call[0].req_stub_len, 30);
	assert_int_equal(h->r->pdu[2].flags & PFC_OBJECT, PFC_OBJECT);
	/* too short for its object UUID: a bad PDU, no call */
	db_init(&d);
	size_t at = co_request_body(&d, 1, PFC_FL, 4, 0, 9, NULL, pattern(8, 0), 8);
	d.b[at + 3] |= PFC_OBJECT;
	co_end(&d, at, 1, 0);
	h_cli(h, &c, &d);
	db_free(&d);
	assert_int_equal(h_stats(h)->bad_pdus, 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	h_free(h);
}

/* auth_len > 0 with auth_pad_length: the stub ends before the padding. */
static void test_auth_padding(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50102, IP_EPMSRV, 135);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EPM, 3, 0);
	struct dbuf s, d;
	db_init(&s);
	db_init(&d);
	facts_epm_map_req(&s);
	size_t at = co_request_body(&d, 1, PFC_FL, 2, 0, 3, NULL, s.b, s.n);
	co_auth_end(&d, at, 1, 9, 5, 12, 32);	/* SPNEGO, integrity, 12 pad bytes (0xcc) */
	h_cli(h, &c, &d);
	s.n = 0;
	facts_epm_map_resp(&s);
	d.n = 0;
	at = co_response_body(&d, 1, PFC_FL, 2, 0, s.b, s.n);
	co_auth_end(&d, at, 1, 9, 5, 8, 32);
	h_srv(h, &c, &d);
	db_free(&s);
	db_free(&d);

	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->auth_level, 5);
	assert_int_equal(k->sealed, 0);
	assert_int_equal(k->req_stub_len, 132);
	assert_int_equal(k->resp_stub_len, 128);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	/* the tower decoded: the padding was not read as stub */
	assert_int_equal(h->r->nepm, 1);
	assert_int_equal(h->r->epm[0].port, 1025);
	assert_int_equal(h->r->epm[0].status, 0);
	assert_int_equal(h->r->pdu[2].auth_len, 32);
	h_finish(h);
	h_free(h);
}

/* Auth level 6: the stub is sealed; nothing is decoded from it. */
static void test_sealed(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50103, IP_EPMSRV, 1025);
	h_open(h, &c);
	h_send(h, &c, 0, FACTS_BIND, sizeof FACTS_BIND);
	h_send(h, &c, 1, FACTS_BIND_ACK, sizeof FACTS_BIND_ACK);
	struct dbuf s, d;
	db_init(&s);
	db_init(&d);
	size_t at = co_request_body(&d, 1, PFC_FL, 5, 0, 4, NULL, FACTS_RPN_REQ + 24, 66);
	co_auth_end(&d, at, 1, 10, 6, 6, 16);	/* NTLMSSP, privacy */
	h_cli(h, &c, &d);
	uint64_t req = h->frame;
	facts_rpn_resp(&s, 0x1234, 0);
	d.n = 0;
	at = co_response_body(&d, 1, PFC_FL, 5, 0, s.b, s.n);
	co_auth_end(&d, at, 1, 10, 6, 4, 16);
	h_srv(h, &c, &d);
	uint64_t resp = h->frame;
	db_free(&s);
	db_free(&d);

	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->opnum, 4);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->auth_level, 6);
	assert_int_equal(k->sealed, 1);
	assert_int_equal(k->req_stub_len, 66);
	assert_int_equal(k->resp_stub_len, 28);
	assert_int_equal(k->has_rc, 0);	/* the return value is ciphertext */
	/* the registration is reported, with its arguments unknown */
	assert_int_equal(h->r->nreg, 1);
	const struct rpc_notify_reg_ev *r = &h->r->reg[0];
	assert_int_equal(r->args_sealed, 1);
	assert_int_equal(r->af, 0);
	assert_int_equal(r->cb_port, 0);
	assert_int_equal(r->context_len, 0);
	assert_int_equal(r->answered, 1);
	assert_int_equal(r->has_rc, 0);
	assert_int_equal(r->req_frame, req);
	assert_int_equal(r->resp_frame, resp);
	assert_int_equal(h_stats(h)->sealed_calls, 1);
	/* no callback was learned: a datagram to the one in the clear stub matches nothing */
	static const uint8_t ctx8[8] = {'l', 'i', 'b', 'm', 'a', 'p', 'i', 7};
	h_udp(h, IP_OTHER, 40000, IP_CLIENT, 50000, ctx8, sizeof ctx8);
	assert_int_equal(h->r->nudp, 0);
	h_finish(h);
	h_free(h);
}

/* ---- byte order ---------------------------------------------------------------------------------- */

struct run_result {
	struct rpc_bind_ev bind;
	struct rpc_call_ev call[2];
	uint8_t pdu_le;
};

static void run_le_be(int le, struct run_result *out)
{
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49709, V4_B, 49155);
	h_open(h, &c);
	struct ctx_spec cs[2] = {{0, U_EMSMDB, 0, 81, U_NDR, 2}, {1, U_EMSMDB, 0, 81, U_NDR64, 1}};
	struct result_spec rs[2] = {{0, 0, U_NDR, 2}, {2, 2, NULL, 0}};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, le, 0x01020304, cs, 2);
	h_cli(h, &c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, le, 0x01020304, "49155", rs, 2);
	h_srv(h, &c, &d);
	/* EcDoConnectEx, answered with return value 0x3eb (ecUnknownUser) in the drep order */
	send_req(h, &c, le, PFC_FL, 0x0a0b0c0d, 0, 10, pattern(40, 5), 40);
	d.n = 0;
	db_fill(&d, 0x77, 12);
	db_u32(&d, 0x000003eb, le);
	send_resp(h, &c, le, PFC_FL, 0x0a0b0c0d, 0, d.b, d.n);
	/* a fragmented call with opnum 0x0102 */
	send_req(h, &c, le, PFC_FIRST, 0x00000102, 0, 0x0102, pattern(300, 0), 300);
	send_req(h, &c, le, PFC_LAST, 0x00000102, 0, 0x0102, pattern(5, 0), 5);
	d.n = 0;
	db_fill(&d, 0, 4);
	db_u32(&d, 0x80040111, le);
	send_resp(h, &c, le, PFC_FL, 0x00000102, 0, d.b, d.n);
	db_free(&d);
	h_finish(h);
	assert_int_equal(h->r->nbind, 1);
	assert_int_equal(h->r->ncall, 2);
	out->bind = h->r->bind[0];
	out->call[0] = h->r->call[0];
	out->call[1] = h->r->call[1];
	out->pdu_le = h->r->pdu[0].le;
	assert_int_equal(h_stats(h)->bad_pdus, 0);
	assert_int_equal(h_stats(h)->resyncs, 0);
	h_free(h);
}

static void test_big_endian(void **state)
{
	(void)state;
	struct run_result le, be;
	run_le_be(1, &le);
	run_le_be(0, &be);
	assert_int_equal(le.pdu_le, 1);
	assert_int_equal(be.pdu_le, 0);
	const struct rpc_bind_ev *b = &be.bind;
	assert_int_equal(b->call_id, 0x01020304);
	assert_string_equal(b->sec_addr, "49155");
	assert_int_equal(b->n_ctx, 2);
	assert_true(uuid_is(&b->ctx[0].iface, U_EMSMDB));
	assert_int_equal(b->ctx[0].ver_minor, 81);
	assert_true(uuid_is(&b->ctx[0].xfer, U_NDR));
	assert_int_equal(b->ctx[0].xfer_ver, 2);
	assert_int_equal(b->ctx[0].result, 0);
	assert_int_equal(b->ctx[1].result, 2);
	assert_int_equal(b->ctx[1].reason, 2);
	for (int i = 0; i < 2; i++) {
		const struct rpc_call_ev *x = &le.call[i], *y = &be.call[i];
		assert_int_equal(y->call_id, x->call_id);
		assert_int_equal(y->opnum, x->opnum);
		assert_true(uuid_eq(&y->iface, &x->iface));
		assert_int_equal(y->ver_minor, x->ver_minor);
		assert_int_equal(y->req_stub_len, x->req_stub_len);
		assert_int_equal(y->resp_stub_len, x->resp_stub_len);
		assert_int_equal(y->req_frags, x->req_frags);
		assert_int_equal(y->req_frame, x->req_frame);
		assert_int_equal(y->resp_frame, x->resp_frame);
		assert_int_equal(y->has_rc, x->has_rc);
		assert_int_equal(y->rc, x->rc);
	}
	assert_int_equal(be.call[0].call_id, 0x0a0b0c0d);
	assert_int_equal(be.call[0].opnum, 10);
	assert_true(uuid_is(&be.call[0].iface, U_EMSMDB));
	assert_int_equal(be.call[0].req_stub_len, 40);
	assert_int_equal(be.call[0].has_rc, 1);
	assert_int_equal(be.call[0].rc, 0x3eb);
	assert_int_equal(be.call[1].call_id, 0x102);
	assert_int_equal(be.call[1].opnum, 0x102);
	assert_int_equal(be.call[1].req_frags, 2);
	assert_int_equal(be.call[1].req_stub_len, 305);
	assert_int_equal(be.call[1].rc, 0x80040111);
}

/* ---- stream framing ---------------------------------------------------------------------------------- */

static void test_several_pdus_per_segment(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49710, V4_B, 49160);
	h_open(h, &c);
	struct ctx_spec cs[2] = {{0, U_SAMR, 1, 0, U_NDR, 2}, {1, U_EPM, 3, 0, U_NDR, 2}};
	struct result_spec rs[2] = {{0, 0, U_NDR, 2}, {0, 0, U_NDR, 2}};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, 1, cs, 2);
	h_cli(h, &c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, 1, 1, "49160", rs, 2);
	h_srv(h, &c, &d);
	/* three requests in one segment, three answers in another */
	d.n = 0;
	co_request(&d, 1, PFC_FL, 2, 0, 1, NULL, pattern(10, 0), 10);
	co_request(&d, 1, PFC_FL, 3, 1, 2, NULL, pattern(20, 0), 20);
	co_request(&d, 1, PFC_FL, 4, 0, 3, NULL, NULL, 0);
	h_cli(h, &c, &d);
	uint64_t creq = h->frame;
	d.n = 0;
	co_response(&d, 1, PFC_FL, 3, 1, pattern(7, 0), 7);
	co_fault(&d, 1, 4, 0, 0x1c00001c);
	co_response(&d, 1, PFC_FL, 2, 0, pattern(5, 0), 5);
	h_srv(h, &c, &d);
	uint64_t cresp = h->frame;
	db_free(&d);
	assert_string_equal(h->r->order, "BCCC");
	static const uint32_t want[] = {3, 4, 2};
	assert_call_order(h, want, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(h->r->call[i].req_frame, creq);
		assert_int_equal(h->r->call[i].resp_frame, cresp);
		assert_int_equal(h->r->call[i].has_iface, 1);
	}
	assert_int_equal(h_call(h, 3)->opnum, 2);
	assert_true(uuid_is(&h_call(h, 3)->iface, U_EPM));
	assert_int_equal(h_call(h, 3)->resp_stub_len, 7);
	assert_int_equal(h_call(h, 4)->fault, 1);
	assert_int_equal(h_call(h, 4)->status, 0x1c00001c);
	assert_true(uuid_is(&h_call(h, 2)->iface, U_SAMR));
	assert_int_equal(h_call(h, 2)->resp_stub_len, 5);
	assert_int_equal(h_stats(h)->co_pdus, 8);
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	h_free(h);
}

/* One PDU over three segments, the first cut inside the 16-byte header. */
static void test_pdu_split_three_segments(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49711, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, 5, 0, 33, NULL, pattern(276, 0), 276);
	assert_int_equal(d.n, 300);
	h_send(h, &c, 0, d.b, 10);
	h_send(h, &c, 0, d.b + 10, 150);
	assert_int_equal(h_stats(h)->ptype[0], 0);
	h_send(h, &c, 0, d.b + 160, 140);
	uint64_t done = h->frame;
	assert_int_equal(h_stats(h)->ptype[0], 1);
	/* the response split at byte 9 (inside frag_length) and sent with the next request's start */
	d.n = 0;
	co_response(&d, 1, PFC_FL, 5, 0, pattern(40, 1), 40);
	h_send(h, &c, 1, d.b, 9);
	h_send(h, &c, 1, d.b + 9, d.n - 9);
	db_free(&d);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->req_frame, done);	/* the segment that completed it */
	assert_int_equal(k->req_stub_len, 276);
	assert_int_equal(k->resp_stub_len, 40);
	assert_int_equal(k->resp_frame, h->frame);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(h_stats(h)->resyncs, 0);
	h_finish(h);
	h_free(h);
}

/* A lost segment: the framer resynchronises on the next header after the queue
 * gives up on the hole; the cut call is incomplete, later calls are intact. */
static void test_gap_resync(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49712, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	struct dbuf a, lost, rest;
	db_init(&a);
	db_init(&lost);
	db_init(&rest);
	co_request(&a, 1, PFC_FIRST, 2, 0, 8, NULL, pattern(100, 0), 100);	/* call 2, first fragment */
	co_request(&lost, 1, 0, 2, 0, 8, NULL, pattern(100, 1), 100);	/* call 2, middle: lost */
	struct dbuf c3;
	db_init(&c3);
	co_request(&c3, 1, PFC_FL, 3, 0, 9, NULL, pattern(200, 2), 200);	/* call 3: its first 30 bytes lost */
	db_bytes(&lost, c3.b, 30);
	db_bytes(&rest, c3.b + 30, c3.n - 30);	/* garbage to the framer */
	co_request(&rest, 1, PFC_LAST, 2, 0, 8, NULL, pattern(50, 3), 50);	/* call 2, last */
	co_request(&rest, 1, PFC_FL, 4, 0, 10, NULL, pattern(64, 4), 64);	/* call 4 */
	db_free(&c3);

	h_cli(h, &c, &a);
	c.seq[0] += (uint32_t)lost.n;	/* never captured */
	/* the rest in STREAM_MAX_SEGS + 1 segments: the last one makes the queue give up */
	size_t nseg = STREAM_MAX_SEGS + 1, off = 0;
	for (size_t i = 0; i < nseg; i++) {
		size_t k = i + 1 < nseg ? rest.n / nseg : rest.n - off;
		h_send(h, &c, 0, rest.b + off, k);
		off += k;
		if (i + 1 < nseg)
			assert_int_equal(h_stats(h)->gaps, 0);
	}
	assert_int_equal(off, rest.n);
	assert_int_equal(h_stats(h)->gaps, 1);

	send_resp(h, &c, 1, PFC_FL, 2, 0, pattern(8, 0), 8);
	send_resp(h, &c, 1, PFC_FL, 3, 0, pattern(8, 0), 8);
	send_resp(h, &c, 1, PFC_FL, 4, 0, pattern(8, 0), 8);
	db_free(&a);
	db_free(&lost);
	db_free(&rest);

	static const uint32_t want[] = {2, 3, 4};
	assert_call_order(h, want, 3);
	const struct rpc_call_ev *k = h_call(h, 2);
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(k->req_frags, 2);
	assert_int_equal(k->req_stub_len, 150);
	assert_int_equal(k->opnum, 8);
	k = h_call(h, 3);	/* its request never decoded */
	assert_int_equal(k->req_frame, 0);
	assert_int_equal(k->incomplete, 1);
	k = h_call(h, 4);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(k->opnum, 10);
	assert_int_equal(k->req_stub_len, 64);
	assert_true(uuid_is(&k->iface, U_SAMR));
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	h_free(h);
}

/* A snaplen-cut segment inside a fragmented response: gap right after it; the call is incomplete. */
static void test_gap_snaplen_response(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49713, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 2, 0, 3, pattern(16, 0), 16);
	send_resp(h, &c, 1, PFC_FIRST, 2, 0, pattern(100, 0), 100);
	struct dbuf d;
	db_init(&d);
	co_response(&d, 1, 0, 2, 0, pattern(300, 1), 300);
	h_tcp_seg(h, &c, 1, TH_ACK, c.seq[1], d.b, d.n, 40);	/* only 40 of 324 bytes captured */
	c.seq[1] += (uint32_t)d.n;
	assert_int_equal(h_stats(h)->gaps, 0);	/* told with the next bytes */
	db_free(&d);
	send_resp(h, &c, 1, PFC_LAST, 2, 0, pattern(60, 2), 60);
	assert_int_equal(h_stats(h)->gaps, 1);
	send_req(h, &c, 1, PFC_FL, 3, 0, 4, pattern(16, 0), 16);
	send_resp(h, &c, 1, PFC_FL, 3, 0, pattern(16, 0), 16);
	static const uint32_t want[] = {2, 3};
	assert_call_order(h, want, 2);
	const struct rpc_call_ev *k = h_call(h, 2);
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(k->resp_frags, 2);
	assert_int_equal(k->resp_stub_len, 160);
	assert_int_equal(k->resp_frame, h->frame - 2);
	assert_int_equal(h_call(h, 3)->incomplete, 0);
	h_finish(h);
	h_free(h);
}

/* Mid-stream capture: a response whose request was never seen. */
static void test_response_without_request(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49714, V4_B, 135);
	send_resp(h, &c, 1, PFC_FL, 77, 0, pattern(40, 0), 40);	/* no handshake, no bind */
	uint64_t f = h->frame;
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->call_id, 77);
	assert_int_equal(k->req_frame, 0);
	assert_int_equal(k->resp_frame, f);
	assert_int_equal(k->incomplete, 1);
	assert_int_equal(k->has_iface, 0);
	assert_int_equal(k->resp_stub_len, 40);
	assert_ep(&k->ep, &c);	/* the receiver of a response is the client */
	assert_int_equal(h->r->pdu[0].to_server, 0);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h_stats(h)->unanswered, 0);
	h_free(h);
}

/* Requests (and binds) never answered are reported when the flow ends. */
static void test_unanswered_at_flow_end(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49715, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 40, 0, 12, pattern(8, 0), 8);
	uint64_t r40 = h->frame;
	send_req(h, &c, 1, PFC_FL, 41, 0, 13, pattern(8, 0), 8);
	struct ctx_spec cs = {1, U_EPM, 3, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 14, 1, 42, &cs, 1);	/* alter_context, never answered */
	h_cli(h, &c, &d);
	db_free(&d);
	assert_int_equal(h->r->ncall, 0);
	assert_int_equal(h->r->nbind, 1);
	h_finish(h);
	assert_int_equal(h->flows_ended, 1);
	assert_string_equal(h->r->order, "BBCC");
	assert_int_equal(h->r->bind[1].call_id, 42);
	assert_int_equal(h->r->bind[1].reply_frame, 0);
	assert_int_equal(h->r->bind[1].ctx[0].answered, 0);
	static const uint32_t want[] = {40, 41};	/* oldest first */
	assert_call_order(h, want, 2);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->req_frame, r40);
	assert_int_equal(k->resp_frame, 0);
	assert_int_equal(k->opnum, 12);
	assert_int_equal(k->incomplete, 0);
	assert_int_equal(h_stats(h)->unanswered, 2);
	h_free(h);
}

/* co_cancel marks the call; a reused call_id reports the earlier call. */
static void test_cancel_and_call_id_reuse(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49716, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 50, 0, 1, pattern(8, 0), 8);
	struct dbuf d;
	db_init(&d);
	size_t at = co_begin(&d, 18, PFC_FL, 1, 50);	/* co_cancel */
	co_end(&d, at, 1, 0);
	h_cli(h, &c, &d);
	db_free(&d);
	send_resp(h, &c, 1, PFC_FL, 50, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].orphaned, 1);

	send_req(h, &c, 1, PFC_FL, 51, 0, 2, pattern(8, 0), 8);
	uint64_t first = h->frame;
	send_req(h, &c, 1, PFC_FL, 51, 0, 3, pattern(8, 0), 8);	/* same call_id, new call */
	uint64_t second = h->frame;
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[1].opnum, 2);
	assert_int_equal(h->r->call[1].req_frame, first);
	assert_int_equal(h->r->call[1].resp_frame, 0);
	send_resp(h, &c, 1, PFC_FL, 51, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 3);
	assert_int_equal(h->r->call[2].opnum, 3);
	assert_int_equal(h->r->call[2].req_frame, second);
	assert_int_equal(h->r->call[2].orphaned, 0);
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	h_free(h);
}

/* The return value is the last 4 stub bytes even when the last fragments are tiny. */
static void test_rc_across_small_fragments(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49727, V4_B, 49155);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EMSMDB, 0, 81);
	static const uint8_t f1[7] = {0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0x11, 0x01};
	static const uint8_t f2[2] = {0x04, 0x80};
	send_req(h, &c, 1, PFC_FL, 2, 0, 11, pattern(32, 0), 32);	/* EcDoRpcExt2 */
	send_resp(h, &c, 1, PFC_FIRST, 2, 0, f1, 7);
	send_resp(h, &c, 1, PFC_LAST, 2, 0, f2, 2);
	static const uint8_t g[4] = {0x00, 0x00, 0x15, 0x01};	/* 0x80040115 split 4 ways, then an empty last */
	send_req(h, &c, 1, PFC_FL, 3, 0, 11, pattern(32, 0), 32);
	send_resp(h, &c, 1, PFC_FIRST, 3, 0, pattern(20, 0), 20);
	send_resp(h, &c, 1, 0, 3, 0, g, 4);
	send_resp(h, &c, 1, 0, 3, 0, "\x04", 1);
	send_resp(h, &c, 1, 0, 3, 0, "\x80", 1);
	send_resp(h, &c, 1, PFC_LAST, 3, 0, NULL, 0);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[0].has_rc, 1);
	assert_int_equal(h->r->call[0].rc, 0x80040111);
	assert_int_equal(h->r->call[0].resp_stub_len, 9);
	assert_int_equal(h->r->call[1].has_rc, 1);
	assert_int_equal(h->r->call[1].rc, 0x80040115);
	assert_int_equal(h->r->call[1].resp_frags, 5);
	h_finish(h);
	h_free(h);
}

/* FIN both ways or a RST: the connection's open calls are reported at once, later segments ignored. */
static void test_connection_close(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49728, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_SAMR, 1, 0);
	send_req(h, &c, 1, PFC_FL, 2, 0, 1, pattern(8, 0), 8);
	send_req(h, &c, 1, PFC_FL, 3, 0, 2, pattern(8, 0), 8);
	send_resp(h, &c, 1, PFC_FL, 3, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 1);
	h_tcp_seg(h, &c, 0, TH_FIN | TH_ACK, c.seq[0]++, NULL, 0, 0);
	assert_int_equal(h->r->ncall, 1);	/* half-closed: the answer may still come */
	h_tcp_seg(h, &c, 1, TH_FIN | TH_ACK, c.seq[1]++, NULL, 0, 0);
	assert_int_equal(h->r->ncall, 2);	/* closed: call 2 will never be answered */
	assert_int_equal(h->r->call[1].call_id, 2);
	assert_int_equal(h->r->call[1].resp_frame, 0);
	assert_int_equal(h->flows_ended, 0);
	/* a late response on the closed connection is not decoded */
	send_resp(h, &c, 1, PFC_FL, 2, 0, pattern(4, 0), 4);
	assert_int_equal(h->r->ncall, 2);

	/* RST, with data queued behind a hole: flushed then */
	struct tcpc r;
	tcpc_init(&r, V4_A, 49729, V4_B, 49160);
	h_open(h, &r);
	bind_one(h, &r, 1, 1, U_SAMR, 1, 0);
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, 7, 0, 5, NULL, pattern(8, 0), 8);
	h_tcp_seg(h, &r, 0, TH_ACK, r.seq[0] + 50, d.b, d.n, d.n);
	db_free(&d);
	assert_int_equal(h->r->ncall, 2);
	h_tcp_seg(h, &r, 1, TH_RST, r.seq[1], NULL, 0, 0);
	uint64_t rst = h->frame;
	assert_int_equal(h->r->ncall, 3);
	assert_int_equal(h->r->call[2].call_id, 7);
	assert_int_equal(h->r->call[2].opnum, 5);
	assert_int_equal(h->r->call[2].req_frame, rst);
	assert_int_equal(h_stats(h)->gaps, 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, 3);
	assert_int_equal(h->r->nbind, 2);
	h_free(h);
}

/* ---- EMSMDB push registration and the UDP datagrams that answer it ------------------------------------ */

static void test_emsmdb_register_and_notify(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50001, IP_EPMSRV, 1025);
	h_open(h, &c);
	h_send(h, &c, 0, FACTS_BIND, sizeof FACTS_BIND);
	h_send(h, &c, 1, FACTS_BIND_ACK, sizeof FACTS_BIND_ACK);
	h_send(h, &c, 0, FACTS_RPN_REQ, sizeof FACTS_RPN_REQ);
	uint64_t req = h->frame;
	struct dbuf s;
	db_init(&s);
	facts_rpn_resp(&s, 0x1234, 0);
	send_resp(h, &c, 1, PFC_FL, 5, 0, s.b, s.n);
	uint64_t resp = h->frame;
	db_free(&s);

	static const uint8_t ctx8[8] = {'l', 'i', 'b', 'm', 'a', 'p', 'i', 7};
	assert_string_equal(h->r->order, "BRC");
	assert_int_equal(h->r->nreg, 1);
	const struct rpc_notify_reg_ev *r = &h->r->reg[0];
	assert_ep(&r->ep, &c);
	assert_int_equal(r->reg_id, 1);
	assert_int_equal(r->req_frame, req);
	assert_int_equal(r->resp_frame, resp);
	assert_int_equal(r->ts_us, H_T0 + req * 1000);
	assert_int_equal(r->af, 4);
	assert_int_equal(r->family_raw, 2);
	assert_true(addr_is4(&r->cb_ip, IP_CLIENT));
	assert_int_equal(r->cb_port, 50000);
	assert_int_equal(r->context_len, 8);
	assert_memory_equal(r->context, ctx8, 8);
	assert_int_equal(r->cb_context, 8);
	assert_int_equal(r->advise_bits, 0xffffffffu);
	assert_int_equal(r->answered, 1);
	assert_int_equal(r->has_rc, 1);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->hnotification, 0x1234);
	assert_int_equal(r->args_sealed, 0);
	assert_int_equal(r->inconsistent, 0);
	assert_int_equal(h->r->ncall, 1);
	const struct rpc_call_ev *k = &h->r->call[0];
	assert_int_equal(k->call_id, 5);
	assert_int_equal(k->opnum, 4);
	assert_true(uuid_is(&k->iface, U_EMSMDB));
	assert_int_equal(k->req_stub_len, 66);
	assert_int_equal(k->resp_stub_len, 28);
	assert_int_equal(k->detailed, 1);
	assert_int_equal(k->has_rc, 1);
	assert_int_equal(k->rc, 0);
	assert_int_equal(k->rc_table, 1);
	assert_int_equal(h_stats(h)->registrations, 1);

	/* 1: the registered context to the registered callback */
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50000, ctx8, 8);
	uint64_t u1 = h->frame;
	/* 2: the same context to another port: context only */
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50002, ctx8, 8);
	/* 3: another payload to the callback: address only */
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50000, "XXXXXXXX", 8);
	/* 4: unrelated traffic: nothing */
	h_udp(h, IP_OTHER, 5353, IP_CLIENT, 5353, "hello", 5);
	h_udp(h, IP_OTHER, 40000, IP_CLIENT, 50010, "zz", 2);
	assert_int_equal(h->r->nudp, 3);
	/* 5: a tiny datagram from the EMSMDB server between ephemeral ports: a candidate */
	h_udp(h, IP_EPMSRV, 40001, IP_CLIENT, 50010, "zz", 2);
	assert_int_equal(h->r->nudp, 4);

	const struct rpc_notify_udp_ev *u = &h->r->udp[0];
	assert_int_equal(u->reg_id, 1);
	assert_int_equal(u->match_addr, 1);
	assert_int_equal(u->match_context, 1);
	assert_int_equal(u->candidate, 0);
	assert_int_equal(u->frame, u1);
	assert_int_equal(u->ts_us, H_T0 + u1 * 1000);
	assert_int_equal(u->len, 8);
	assert_int_equal(u->payload_len, 8);
	assert_memory_equal(u->payload, ctx8, 8);
	assert_true(addr_is4(&u->src, IP_EPMSRV));
	assert_true(addr_is4(&u->dst, IP_CLIENT));
	assert_int_equal(u->sport, 40000);
	assert_int_equal(u->dport, 50000);
	assert_int_equal(u->ep.proto, PROTO_UDP);
	assert_true(addr_is4(&u->ep.cli, IP_CLIENT));
	assert_true(addr_is4(&u->ep.srv, IP_EPMSRV));
	assert_int_equal(u->ep.cport, 50000);
	assert_int_equal(u->ep.sport, 40000);
	u = &h->r->udp[1];
	assert_int_equal(u->reg_id, 1);
	assert_int_equal(u->match_context, 1);
	assert_int_equal(u->match_addr, 0);
	assert_int_equal(u->dport, 50002);
	u = &h->r->udp[2];
	assert_int_equal(u->reg_id, 1);
	assert_int_equal(u->match_context, 0);
	assert_int_equal(u->match_addr, 1);
	assert_memory_equal(u->payload, "XXXXXXXX", 8);
	u = &h->r->udp[3];
	assert_int_equal(u->reg_id, 0);
	assert_int_equal(u->candidate, 1);
	assert_int_equal(u->match_addr, 0);
	assert_int_equal(u->match_context, 0);
	assert_int_equal(h_stats(h)->notify_udp, 4);
	assert_int_equal(h_stats(h)->notify_matched, 3);
	h_finish(h);
	assert_int_equal(h->r->nreg, 1);
	h_free(h);
}

/* ---- hostile input ------------------------------------------------------------------------------------ */

/* frag_length < 16 and auth_length > frag_length are not headers: skipped, the next PDU decodes. */
static void test_hostile_bad_lengths(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49717, V4_B, 135);
	h_open(h, &c);
	struct dbuf d;
	db_init(&d);
	size_t at = co_begin(&d, 0, PFC_FL, 1, 1);
	db_fill(&d, 0xee, 8);
	db_set16(&d, at + 8, 8, 1);	/* frag_length 8 */
	co_request(&d, 1, PFC_FL, 2, 0, 1, NULL, pattern(16, 0), 16);
	h_cli(h, &c, &d);
	assert_int_equal(h_stats(h)->ptype[0], 1);
	assert_true(h_stats(h)->resyncs >= 1);

	d.n = 0;
	at = co_request_body(&d, 1, PFC_FL, 3, 0, 1, NULL, pattern(40, 0), 40);
	co_end(&d, at, 1, 0x400);	/* auth_length 1024 in a 64-byte PDU */
	co_request(&d, 1, PFC_FL, 4, 0, 1, NULL, pattern(16, 0), 16);
	h_cli(h, &c, &d);
	d.n = 0;
	at = co_request_body(&d, 1, PFC_FL, 5, 0, 1, NULL, pattern(40, 0), 40);
	co_end(&d, at, 1, 41);	/* auth_length + 8 + 16 just over frag_length */
	co_request(&d, 1, PFC_FL, 6, 0, 1, NULL, pattern(16, 0), 16);
	h_cli(h, &c, &d);
	/* one stray byte between two PDUs, seen while the framer is buffering */
	d.n = 0;
	co_request(&d, 1, PFC_FL, 7, 0, 1, NULL, pattern(16, 0), 16);
	db_u8(&d, 0x05);
	co_request(&d, 1, PFC_FL, 8, 0, 1, NULL, pattern(16, 0), 16);
	h_send(h, &c, 0, d.b, 20);
	h_send(h, &c, 0, d.b + 20, d.n - 20);
	db_free(&d);
	h_finish(h);
	static const uint32_t want[] = {2, 4, 6, 7, 8};
	assert_call_order(h, want, 5);
	assert_true(h_stats(h)->resyncs >= 4);
	assert_int_equal(h_stats(h)->ptype[0], 5);
	h_free(h);
}

/* A PDU longer than what follows, then the capture ends: nothing reported for it, nothing leaks. */
static void test_hostile_truncated_pdu_at_end(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49718, V4_B, 135);
	h_open(h, &c);
	send_req(h, &c, 1, PFC_FL, 1, 0, 1, pattern(8, 0), 8);
	struct dbuf d;
	db_init(&d);
	size_t at = co_request_body(&d, 1, PFC_FL, 2, 0, 1, NULL, pattern(176, 0), 176);
	co_end(&d, at, 1, 0);
	db_set16(&d, at + 8, 1000, 1);	/* claims 1000 bytes, 200 follow */
	h_cli(h, &c, &d);
	db_free(&d);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].call_id, 1);
	assert_int_equal(h_stats(h)->ptype[0], 1);
	assert_int_equal(h_stats(h)->bad_pdus, 0);
	h_free(h);
}

static void test_hostile_bind_lengths(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49719, V4_B, 135);
	h_open(h, &c);
	/* n_ctx 255 with room for one element */
	struct ctx_spec cs = {0, U_EPM, 3, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	size_t at = co_bind(&d, 11, 1, 1, &cs, 1);
	d.b[at + 24] = 255;
	h_cli(h, &c, &d);
	assert_int_equal(h_stats(h)->bad_pdus, 1);
	struct result_spec rs = {0, 0, U_NDR, 2};
	d.n = 0;
	co_bind_ack(&d, 12, 1, 1, "135", &rs, 1);
	h_srv(h, &c, &d);
	assert_int_equal(h->r->nbind, 1);
	assert_int_equal(h->r->bind[0].n_ctx_declared, 255);
	assert_int_equal(h->r->bind[0].n_ctx, 1);
	assert_int_equal(h->r->bind[0].ctx[0].result, 0);
	assert_true(uuid_is(&h->r->bind[0].ctx[0].iface, U_EPM));

	/* n_results 255 with one result present */
	d.n = 0;
	co_bind(&d, 11, 1, 2, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	at = co_bind_ack(&d, 12, 1, 2, "135", &rs, 1);
	d.b[at + 32] = 255;
	h_srv(h, &c, &d);
	assert_int_equal(h->r->nbind, 2);
	assert_int_equal(h->r->bind[1].ctx[0].answered, 1);
	assert_int_equal(h_stats(h)->bad_pdus, 2);

	/* sec_addr_len 65535 in an 84-byte bind_ack: its bind stays unanswered */
	d.n = 0;
	co_bind(&d, 11, 1, 3, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	at = co_bind_ack(&d, 12, 1, 3, "49155", &rs, 1);
	db_set16(&d, at + 24, 65535, 1);
	h_srv(h, &c, &d);
	assert_int_equal(h->r->nbind, 2);
	assert_int_equal(h_stats(h)->bad_pdus, 3);
	/* a sec_addr longer than the event's buffer is cut */
	d.n = 0;
	co_bind(&d, 11, 1, 4, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	char longaddr[101];
	memset(longaddr, 'p', 100);
	longaddr[100] = 0;
	co_bind_ack(&d, 12, 1, 4, longaddr, &rs, 1);
	h_srv(h, &c, &d);
	assert_int_equal(h->r->nbind, 3);
	assert_int_equal(strlen(h->r->bind[2].sec_addr), sizeof h->r->bind[2].sec_addr - 1);
	assert_int_equal(h->r->bind[2].ctx[0].result, 0);
	/* bind_nak too short for its reason */
	d.n = 0;
	co_bind(&d, 11, 1, 5, &cs, 1);
	h_cli(h, &c, &d);
	d.n = 0;
	at = co_begin(&d, 13, PFC_FL, 1, 5);
	co_end(&d, at, 1, 0);
	h_srv(h, &c, &d);
	assert_int_equal(h_stats(h)->bad_pdus, 4);
	db_free(&d);
	h_finish(h);
	assert_int_equal(h->r->nbind, 5);	/* binds 3 and 5 at the end, unanswered */
	assert_int_equal(h->r->bind[3].call_id, 3);
	assert_int_equal(h->r->bind[3].reply_frame, 0);
	assert_int_equal(h->r->bind[4].call_id, 5);
	assert_int_equal(h->r->bind[4].reply_frame, 0);
	h_free(h);
}

/* auth_pad_length larger than the stub: a bad PDU, not a call; equal to it: an empty stub. */
static void test_hostile_pad_over_stub(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49720, V4_B, 135);
	h_open(h, &c);
	struct dbuf d;
	db_init(&d);
	size_t at = co_request_body(&d, 1, PFC_FL, 1, 0, 1, NULL, pattern(8, 0), 8);
	co_auth_end(&d, at, 1, 10, 5, 0, 16);
	d.b[at + 24 + 8 + 2] = 200;	/* auth_pad_length 200 > 8 */
	h_cli(h, &c, &d);
	assert_int_equal(h_stats(h)->bad_pdus, 1);
	d.n = 0;
	at = co_request_body(&d, 1, PFC_FL, 2, 0, 1, NULL, NULL, 0);
	co_auth_end(&d, at, 1, 10, 5, 8, 16);	/* 8 bytes, all padding */
	h_cli(h, &c, &d);
	d.n = 0;
	at = co_response_body(&d, 1, PFC_FL, 1, 0, NULL, 0);
	co_auth_end(&d, at, 1, 10, 5, 0, 16);
	d.b[at + 24 + 2] = 255;	/* no stub at all, 255 bytes of padding claimed */
	h_srv(h, &c, &d);
	assert_int_equal(h_stats(h)->bad_pdus, 2);
	db_free(&d);
	h_finish(h);
	assert_int_equal(h->r->ncall, 1);
	assert_int_equal(h->r->call[0].call_id, 2);
	assert_int_equal(h->r->call[0].req_stub_len, 0);
	assert_int_equal(h->r->call[0].auth_level, 5);
	h_free(h);
}

/* More than DCE_MAX_CALLS outstanding calls: the oldest are reported, unanswered, as new ones arrive. */
static void test_hostile_call_table_overflow(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49721, V4_B, 49160);
	h_open(h, &c);
	bind_one(h, &c, 1, 1, U_EPM, 3, 0);
	enum { EXTRA = 8 };
	uint64_t frame[DCE_MAX_CALLS + EXTRA + 1];
	struct dbuf s;
	db_init(&s);
	facts_epm_map_req(&s);
	for (uint32_t id = 1; id <= DCE_MAX_CALLS + EXTRA; id++) {
		/* ept_map: each call keeps its request stub until answered */
		send_req(h, &c, 1, PFC_FL, id, 0, 3, s.b, s.n);
		frame[id] = h->frame;
		size_t want = id > DCE_MAX_CALLS ? id - DCE_MAX_CALLS : 0;
		assert_int_equal(h->r->ncall, want);
	}
	db_free(&s);
	for (uint32_t i = 0; i < EXTRA; i++) {
		assert_int_equal(h->r->call[i].call_id, i + 1);
		assert_int_equal(h->r->call[i].req_frame, frame[i + 1]);
		assert_int_equal(h->r->call[i].resp_frame, 0);
	}
	assert_int_equal(h_stats(h)->capped, EXTRA);
	/* the newest is still matched */
	struct dbuf r;
	db_init(&r);
	facts_epm_map_resp(&r);
	send_resp(h, &c, 1, PFC_FL, DCE_MAX_CALLS + EXTRA, 0, r.b, r.n);
	db_free(&r);
	assert_int_equal(h->r->ncall, EXTRA + 1);
	assert_int_equal(h->r->call[EXTRA].call_id, DCE_MAX_CALLS + EXTRA);
	assert_int_equal(h->r->call[EXTRA].resp_frame, h->frame);
	assert_int_equal(h->r->nepm, 1);
	h_finish(h);
	assert_int_equal(h->r->ncall, DCE_MAX_CALLS + EXTRA);
	for (uint32_t i = EXTRA + 1; i < DCE_MAX_CALLS + EXTRA; i++)
		assert_int_equal(h->r->call[i].call_id, i);	/* oldest first */
	assert_int_equal(h_stats(h)->unanswered, DCE_MAX_CALLS + EXTRA - 1);
	h_free(h);
}

/* Binds never answered: more than DCE_MAX_BINDS at once reports the oldest. */
static void test_hostile_bind_table_overflow(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49722, V4_B, 135);
	h_open(h, &c);
	struct ctx_spec cs = {0, U_EPM, 3, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	for (uint32_t id = 1; id <= DCE_MAX_BINDS + 2; id++) {
		d.n = 0;
		co_bind(&d, 11, 1, id, &cs, 1);
		h_cli(h, &c, &d);
	}
	db_free(&d);
	assert_int_equal(h->r->nbind, 2);
	assert_int_equal(h->r->bind[0].call_id, 1);
	assert_int_equal(h->r->bind[1].call_id, 2);
	h_finish(h);
	assert_int_equal(h->r->nbind, DCE_MAX_BINDS + 2);
	h_free(h);
}

/* Random bytes on port 135 and a random walk of PDU fragments: no crash, no leak (ASan/LSan). */
static void test_hostile_noise(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49723, V4_B, 135);
	h_open(h, &c);
	uint32_t x = 99;
	uint8_t buf[1400];
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)(round * 37 % 1400);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		/* sprinkle plausible headers with hostile lengths */
		if (n >= 16 && round % 3 == 0) {
			static const uint8_t hd[8] = {5, 0, 0, 3, 0x10, 0, 0, 0};
			size_t at = (x >> 8) % (n - 15);
			memcpy(buf + at, hd, 8);
			buf[at + 2] = (uint8_t)((x >> 4) % 21);
		}
		h_send(h, &c, round & 1, buf, n);
	}
	h_finish(h);
	assert_int_equal(h->r->dropped, 0);
	h_free(h);
}

/* ---- known bugs (see the report) ---------------------------------------------------------------------- */

/* A DCE/RPC header at the start of a TCP payload built directly (payload larger than pktbuild allows). */
static struct flow *h_tcp_big(struct harness *h, struct tcpc *c, int from_srv, const uint8_t *data, size_t len)
{
	struct pb b;
	pb_init(&b);
	size_t ip = from_srv ? pb_ipv4(&b, PROTO_TCP, 64, c->srv, c->cli, 0) : pb_ipv4(&b, PROTO_TCP, 64, c->cli, c->srv, 0);
	pb_tcp(&b, from_srv ? c->sport : c->cport, from_srv ? c->cport : c->sport, c->seq[from_srv], c->seq[!from_srv],
	       TH_ACK, 8192, NULL, 0);
	pb_ipv4_end(&b, ip);
	h_decode(h, &b, b.n);
	h->pkt.payload = data;
	h->pkt.payload_caplen = (uint32_t)len;
	h->pkt.payload_len = (uint32_t)len;
	h->pkt.ip_len = (uint32_t)(40 + len);
	h->pkt.l4_len = (uint32_t)(20 + len);
	h->pkt.caplen = h->pkt.wirelen = h->pkt.ip_len;
	c->seq[from_srv] += (uint32_t)len;
	return h_feed(h);
}

/* A 65495-byte segment (the largest IPv4 TCP payload) arriving while the framer holds
 * part of a PDU: every PDU must still be framed. */
static void test_large_segment_after_partial_pdu(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49724, V4_B, 135);
	h_open(h, &c);
	struct dbuf all;
	db_init(&all);
	uint32_t id = 1;
	co_request(&all, 1, PFC_FL, id++, 0, 1, NULL, pattern(176, 0), 176);	/* 200 bytes */
	while (all.n < 100 + 65495 + 100)
		co_request(&all, 1, PFC_FL, id++, 0, 1, NULL, pattern(3976, 1), 3976);	/* 4000 bytes */
	co_request(&all, 1, PFC_FL, id++, 0, 1, NULL, pattern(176, 2), 176);
	uint32_t ncalls = id - 1;
	uint8_t *p = malloc(all.n);
	assert_non_null(p);
	memcpy(p, all.b, all.n);
	h_tcp_big(h, &c, 0, p, 100);
	h_tcp_big(h, &c, 0, p + 100, 65495);
	h_tcp_big(h, &c, 0, p + 100 + 65495, all.n - 100 - 65495);
	free(p);
	db_free(&all);
	h_finish(h);
	assert_int_equal(h_stats(h)->resyncs, 0);
	assert_int_equal(h_stats(h)->ptype[0], ncalls);
	assert_int_equal(h->r->ncall, ncalls);
	h_free(h);
}

/* Data flushed when a flow is evicted belongs to that flow's frames, not to the packet that evicted it. */
static void test_flush_frames_on_eviction(void **state)
{
	(void)state;
	struct harness *h = h_new_n(1);
	struct tcpc c;
	tcpc_init(&c, V4_A, 49725, V4_B, 135);
	h_open(h, &c);
	send_req(h, &c, 1, PFC_FL, 1, 0, 1, pattern(8, 0), 8);
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, 2, 0, 1, NULL, pattern(8, 0), 8);
	h_tcp_seg(h, &c, 0, TH_ACK, c.seq[0] + 100, d.b, d.n, d.n);	/* after a hole: queued */
	uint64_t last = h->frame;
	db_free(&d);
	h_udp(h, V4_C, 5000, V4_B, 6000, "x", 1);	/* evicts the TCP flow */
	assert_int_equal(h->flows_ended, 1);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[1].call_id, 2);
	assert_int_equal(h->r->call[1].req_frame, last);
	h_finish(h);
	h_free(h);
}

/* analyze's struct pkt is gone when the flow table is flushed at the end of input:
 * the engine must not read it (ASan: heap-use-after-free). */
static void test_flow_end_after_packet_gone(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, V4_A, 49726, V4_B, 135);
	h_open(h, &c);
	send_req(h, &c, 1, PFC_FL, 1, 0, 1, pattern(8, 0), 8);
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, 2, 0, 1, NULL, pattern(8, 0), 8);
	struct pb b;
	pb_init(&b);
	size_t ip = pb_ipv4(&b, PROTO_TCP, 64, c.cli, c.srv, 0);
	pb_tcp(&b, c.cport, c.sport, c.seq[0] + 100, c.seq[1], TH_ACK, 8192, NULL, 0);
	pb_bytes(&b, d.b, d.n);
	pb_ipv4_end(&b, ip);
	db_free(&d);
	h_decode(h, &b, b.n);
	struct pkt *p = malloc(sizeof *p);
	assert_non_null(p);
	*p = h->pkt;
	int dir = -1;
	struct flow *f = flow_table_packet(h->ft, p, &dir);
	rpc_packet(h->e, f, dir, p);	/* queued behind a hole */
	uint64_t last = p->frame;
	free(p);
	h_finish(h);
	assert_int_equal(h->r->ncall, 2);
	assert_int_equal(h->r->call[1].call_id, 2);
	assert_int_equal(h->r->call[1].req_frame, last);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builders_match_facts),
		cmocka_unit_test(test_bind_two_contexts),
		cmocka_unit_test(test_bind_feature_negotiation),
		cmocka_unit_test(test_alter_context),
		cmocka_unit_test(test_bind_nak),
		cmocka_unit_test(test_bind_nak_withdraws_proposals),
		cmocka_unit_test(test_bind_unanswered_proposal),
		cmocka_unit_test(test_request_response),
		cmocka_unit_test(test_interleaved_calls),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_multifragment),
		cmocka_unit_test(test_epm_map_then_learned_endpoint),
		cmocka_unit_test(test_epm_fragmented_object_auth),
		cmocka_unit_test(test_epm_ambiguous_port),
		cmocka_unit_test(test_midstream_continuation_fragment),
		cmocka_unit_test(test_object_uuid),
		cmocka_unit_test(test_auth_padding),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_several_pdus_per_segment),
		cmocka_unit_test(test_pdu_split_three_segments),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_gap_snaplen_response),
		cmocka_unit_test(test_response_without_request),
		cmocka_unit_test(test_unanswered_at_flow_end),
		cmocka_unit_test(test_cancel_and_call_id_reuse),
		cmocka_unit_test(test_rc_across_small_fragments),
		cmocka_unit_test(test_connection_close),
		cmocka_unit_test(test_emsmdb_register_and_notify),
		cmocka_unit_test(test_hostile_bad_lengths),
		cmocka_unit_test(test_hostile_truncated_pdu_at_end),
		cmocka_unit_test(test_hostile_bind_lengths),
		cmocka_unit_test(test_hostile_pad_over_stub),
		cmocka_unit_test(test_hostile_call_table_overflow),
		cmocka_unit_test(test_hostile_bind_table_overflow),
		cmocka_unit_test(test_hostile_noise),
		cmocka_unit_test(test_large_segment_after_partial_pdu),
		cmocka_unit_test(test_flush_frames_on_eviction),
		cmocka_unit_test(test_flow_end_after_packet_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
