/* \summary: unit tests for rpc_engine_reset (rpc.c): an engine that learned an
 * endpoint, holds a push registration, a connectionless call awaiting its
 * answer and connections in mid-call, once reset, reports exactly what a new
 * engine reports (text and JSON output with PDUs, statistics, endpoint map).
 * The fuzz harnesses (fuzz/fuzz_rpc.inc) rely on this: one engine for every
 * input, and a crash must reproduce from its input alone.
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
#include "rpcout.h"
#include "dcebuild.h"

#define VER(maj, min) ((uint32_t)(min) << 16 | (maj))

/* rpcout into memory, text or JSON, every PDU included */
struct out {
	char *buf;
	size_t len;
	FILE *f;
	struct jw jw;
	struct rpcout ro;
	struct rpc_sink sink;
};

static void on_record(void *ctx, const char *type, uint64_t ts)
{
	struct out *o = ctx;
	char tb[32];
	snprintf(tb, sizeof tb, "%llu", (unsigned long long)ts);
	jw_begin(&o->jw);
	jw_str(&o->jw, "type", type);
	jw_str(&o->jw, "ts", tb);
}

static void out_open(struct out *o, int json)
{
	memset(o, 0, sizeof *o);
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
	jw_init(&o->jw, o->f);
	o->ro = (struct rpcout){.out = o->f, .json = json, .jw = &o->jw, .record = on_record, .record_ctx = o};
	rpcout_sink(&o->ro, &o->sink, 1);
}

/* The output so far (NUL-terminated, owned by o). */
static const char *out_text(struct out *o)
{
	fflush(o->f);
	return o->buf;
}

static void out_close(struct out *o)
{
	fclose(o->f);
	free(o->buf);
}

/* A dcebuild harness (frames from 1, a new flow table) driving engine e (its recorder unused). */
static struct harness *h_with(struct rpc_engine *e)
{
	struct harness *h = h_new();
	rpc_engine_free(h->e);
	h->e = e;
	return h;
}

static void h_drop(struct harness *h, int keep_engine)
{
	if (keep_engine)
		h->e = NULL;	/* rpc_engine_free(NULL) does nothing */
	h_free(h);
}

static void req(struct harness *h, struct tcpc *c, uint32_t call_id, uint16_t opnum, const void *stub, size_t n)
{
	struct dbuf d;
	db_init(&d);
	co_request(&d, 1, PFC_FL, call_id, 0, opnum, NULL, stub, n);
	h_cli(h, c, &d);
	db_free(&d);
}

static void resp(struct harness *h, struct tcpc *c, uint32_t call_id, const void *stub, size_t n)
{
	struct dbuf d;
	db_init(&d);
	co_response(&d, 1, PFC_FL, call_id, 0, stub, n);
	h_srv(h, c, &d);
	db_free(&d);
}

static void bind1(struct harness *h, struct tcpc *c, uint32_t call_id, const char *iface, uint16_t vmaj, uint16_t vmin)
{
	struct ctx_spec cs = {0, iface, vmaj, vmin, U_NDR, 2};
	struct result_spec rs = {0, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, call_id, &cs, 1);
	h_cli(h, c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, 1, call_id, "1025", &rs, 1);
	h_srv(h, c, &d);
	db_free(&d);
}

static void cl_req(struct harness *h, const char *act, uint32_t seq)
{
	struct dbuf d;
	db_init(&d);
	cl_pdu(&d, 0, 0, 1, U_SAMR, VER(1, 0), act, seq, 1, NULL, 0);
	h_udp(h, IP_CLIENT, 1035, IP_EPMSRV, 135, d.b, d.n);
	db_free(&d);
}

/* Everything an engine keeps across flows: the endpoint 192.168.1.10:1025
 * (EMSMDB) learned by ept_map, the registration of 192.168.1.20:50000 with
 * context "libmapi\x07" (registration 1), a CL call awaiting its answer, and
 * two connections left in mid-call. */
static void pollute(struct harness *h)
{
	struct tcpc c, m;
	struct dbuf s;
	db_init(&s);
	tcpc_init(&c, IP_CLIENT, 50100, IP_EPMSRV, 135);
	h_open(h, &c);
	bind1(h, &c, 1, U_EPM, 3, 0);
	facts_epm_map_req(&s);
	req(h, &c, 2, 3, s.b, s.n);
	s.n = 0;
	facts_epm_map_resp(&s);
	resp(h, &c, 2, s.b, s.n);
	req(h, &c, 3, 3, NULL, 0);	/* never answered */

	tcpc_init(&m, IP_CLIENT, 50200, IP_EPMSRV, 1025);
	h_open(h, &m);
	bind1(h, &m, 1, U_EMSMDB, 0, 81);
	h_send(h, &m, 0, FACTS_RPN_REQ, sizeof FACTS_RPN_REQ);
	s.n = 0;
	facts_rpn_resp(&s, 7, 0);
	resp(h, &m, 5, s.b, s.n);
	req(h, &m, 6, 6, NULL, 0);	/* never answered */
	db_free(&s);

	cl_req(h, U_ACT1, 9);	/* never answered */
	assert_true(rpc_engine_stats(h->e)->endpoints_learned >= 1);
	assert_true(rpc_engine_stats(h->e)->registrations >= 1);
}

/* What each kind of kept state would change, then a registration of its own:
 * a connection to 1025 without a bind (its interface only from the endpoint
 * map), a notification to the registered callback with the registered
 * context, a CL answer to the pending call, a new registration (numbered 1
 * by a new engine), a notification for it and a CL call left to the flush. */
static void probe(struct harness *h)
{
	struct tcpc m, n;
	struct dbuf s;
	db_init(&s);
	tcpc_init(&m, IP_CLIENT, 50300, IP_EPMSRV, 1025);
	h_open(h, &m);
	req(h, &m, 1, 6, NULL, 0);
	uint8_t ret[4] = {0, 0, 0, 0};
	resp(h, &m, 1, ret, 4);

	static const uint8_t libmapi[8] = {'l', 'i', 'b', 'm', 'a', 'p', 'i', 7};
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50000, libmapi, sizeof libmapi);

	cl_pdu(&s, 2, 0, 1, U_SAMR, VER(1, 0), U_ACT1, 9, 1, ret, 4);	/* answer to the pending call */
	h_udp(h, IP_EPMSRV, 135, IP_CLIENT, 1035, s.b, s.n);

	tcpc_init(&n, IP_OTHER, 50400, IP_EPMSRV, 135);
	h_open(h, &n);
	bind1(h, &n, 1, U_EMSMDB, 0, 81);
	h_send(h, &n, 0, FACTS_RPN_REQ, sizeof FACTS_RPN_REQ);
	s.n = 0;
	facts_rpn_resp(&s, 8, 0);
	resp(h, &n, 5, s.b, s.n);
	h_udp(h, IP_EPMSRV, 40001, IP_CLIENT, 50000, libmapi, sizeof libmapi);

	cl_req(h, U_ACT2, 4);
	db_free(&s);
	h_finish(h);
}

struct result {
	char *text;
	struct rpc_stats st;
	size_t neps;
	struct rpc_endpoint eps[8];
};

/* The output from byte `from` on, statistics and endpoint map of e. */
static void result_take(struct result *r, struct out *o, size_t from, const struct rpc_engine *e)
{
	const char *t = out_text(o);
	assert_true(from <= o->len);
	r->text = strdup(t + from);
	assert_non_null(r->text);
	r->st = *rpc_engine_stats(e);
	const struct rpc_endpoint *v;
	r->neps = rpc_endpoints(e, &v);
	assert_true(r->neps <= 8);
	memset(r->eps, 0, sizeof r->eps);
	for (size_t i = 0; i < r->neps; i++) {	/* field by field: no padding compared */
		r->eps[i].srv = v[i].srv;
		r->eps[i].port = v[i].port;
		r->eps[i].proto = v[i].proto;
		r->eps[i].iface = v[i].iface;
		r->eps[i].ver_major = v[i].ver_major;
		r->eps[i].frame = v[i].frame;
		r->eps[i].ts_us = v[i].ts_us;
	}
}

static void result_equal(const struct result *a, const struct result *b)
{
	assert_string_equal(a->text, b->text);
	assert_memory_equal(&a->st, &b->st, sizeof a->st);
	assert_int_equal(a->neps, b->neps);
	assert_memory_equal(a->eps, b->eps, sizeof a->eps);
}

static void result_free(struct result *r) { free(r->text); }

/* probe() on a new engine */
static void run_new(struct result *r, int json)
{
	struct out o;
	out_open(&o, json);
	struct rpc_engine *e = rpc_engine_new(&o.sink);
	assert_non_null(e);
	struct harness *h = h_with(e);
	probe(h);
	result_take(r, &o, 0, e);
	h_drop(h, 0);
	out_close(&o);
}

/* probe() on an engine that ran pollute() `times` times, its flows freed
 * after each (connections in mid-call) and reset in between; reset 1: reset
 * once more, with a new output, before the probe; reset 0 (the control): the
 * probe on the polluted engine as it is, its output from there on. */
static void run_used(struct result *r, int json, int reset, int times)
{
	struct out dirty, o;
	out_open(&dirty, json);
	struct rpc_engine *e = rpc_engine_new(&dirty.sink);
	assert_non_null(e);
	for (int i = 0; i < times; i++) {
		if (i)
			rpc_engine_reset(e, &dirty.sink);
		struct harness *h = h_with(e);
		pollute(h);
		h_drop(h, 1);	/* flow_table_free: the flows' rpc state goes */
	}
	struct out *po = &dirty;
	size_t from = 0;
	if (reset) {
		out_open(&o, json);
		rpc_engine_reset(e, &o.sink);
		po = &o;
	} else {
		from = strlen(out_text(&dirty));
	}
	struct harness *h = h_with(e);	/* frames counted from 1 again, a new flow table */
	probe(h);
	result_take(r, po, from, e);
	h_drop(h, 0);
	if (reset)
		out_close(&o);
	out_close(&dirty);
}

static void check(int json, int times)
{
	struct result a, b;
	run_new(&a, json);
	run_used(&b, json, 1, times);
	result_equal(&a, &b);
	/* what a new engine makes of the probe */
	assert_int_equal(a.st.registrations, 1);
	assert_int_equal(a.st.notify_matched, 1);
	assert_int_equal(a.st.unanswered, 1);
	assert_int_equal(a.neps, 0);
	result_free(&a);
	result_free(&b);
}

static void test_reset_like_new_text(void **state)
{
	(void)state;
	check(0, 1);
}

static void test_reset_like_new_json(void **state)
{
	(void)state;
	check(1, 1);
}

/* used and reset many times over (as in a fuzzing run): still a new engine */
static void test_reset_repeated(void **state)
{
	(void)state;
	check(1, 6);
}

/* Control: an engine that kept pollute()'s state reports something else in
 * the same probe, field by field where the state shows. */
static void test_control_kept_state_differs(void **state)
{
	(void)state;
	struct result a, b;
	run_new(&a, 0);
	run_used(&b, 0, 0, 1);
	assert_string_not_equal(a.text, b.text);
	assert_true(b.st.registrations > a.st.registrations);
	assert_true(b.st.notify_matched > a.st.notify_matched);
	assert_true(b.neps > a.neps);
	result_free(&a);
	result_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_like_new_text),
		cmocka_unit_test(test_reset_like_new_json),
		cmocka_unit_test(test_reset_repeated),
		cmocka_unit_test(test_control_kept_state_differs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
