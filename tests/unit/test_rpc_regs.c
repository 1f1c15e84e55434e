/* \summary: unit tests for the engine's push-registration table (rpc.c): contexts
 * longer than the inline part of a slot, the ring forgetting the oldest
 * registration once REG_TABLE_MAX are held, and registrations whose
 * connection ended more than the hold time ago making room before the ring
 * grows (bench/README: bounded memory)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rpc.h"
#include "dcebuild.h"

#ifndef REG_TABLE_MAX
#define REG_TABLE_MAX 65536	/* rpc.c (a build may make it smaller, as fuzz/fuzz.mk does) */
#endif

/* EcRRegisterPushNotification request stub (rpc-facts 4.3), NDR20 LE */
static void rpn_req_stub(struct dbuf *d, const uint8_t *ctx, uint32_t n, const uint8_t ip[4], uint16_t port)
{
	db_fill(d, 0, 4);
	db_fill(d, 0x11, 16);	/* CXH */
	db_u32(d, 0, 1);	/* iRpc */
	db_u32(d, n, 1);
	db_bytes(d, ctx, n);
	while (d->n % 2)
		db_u8(d, 0);
	db_u16(d, (uint16_t)n, 1);
	while (d->n % 4)
		db_u8(d, 0);
	db_u32(d, 0xffffffffu, 1);
	db_u32(d, 16, 1);
	db_u16(d, 2, 1);	/* AF_INET, LE */
	db_u8(d, (uint8_t)(port >> 8));
	db_u8(d, (uint8_t)port);
	db_bytes(d, ip, 4);
	db_fill(d, 0, 8);
	db_u16(d, 16, 1);
}

static void bind_emsmdb(struct harness *h, struct tcpc *c)
{
	struct ctx_spec cs = {0, U_EMSMDB, 0, 81, U_NDR, 2};
	struct result_spec rs = {0, 0, U_NDR, 2};
	struct dbuf d;
	db_init(&d);
	co_bind(&d, 11, 1, 1, &cs, 1);
	h_cli(h, c, &d);
	d.n = 0;
	co_bind_ack(&d, 12, 1, 1, "49155", &rs, 1);
	h_srv(h, c, &d);
	db_free(&d);
}

/* One registration (request and ecNone answer) on an EMSMDB connection. */
static void reg_at(struct harness *h, struct tcpc *c, uint32_t call_id, const uint8_t *ctx, uint32_t n,
		   const uint8_t ip[4], uint16_t port)
{
	struct dbuf s, d;
	db_init(&s);
	db_init(&d);
	rpn_req_stub(&s, ctx, n, ip, port);
	co_request(&d, 1, PFC_FL, call_id, 0, 4, NULL, s.b, s.n);
	h_cli(h, c, &d);
	s.n = d.n = 0;
	facts_rpn_resp(&s, call_id, 0);
	co_response(&d, 1, PFC_FL, call_id, 0, s.b, s.n);
	h_srv(h, c, &d);
	db_free(&s);
	db_free(&d);
}

static void reg(struct harness *h, struct tcpc *c, uint32_t call_id, const uint8_t *ctx, uint32_t n, uint16_t port)
{
	reg_at(h, c, call_id, ctx, n, IP_CLIENT, port);
}

/* callback address of registration i in the ring test: one address each */
static void ring_ip(uint32_t i, uint8_t ip[4])
{
	ip[0] = 10;
	ip[1] = (uint8_t)(i >> 16);
	ip[2] = (uint8_t)(i >> 8);
	ip[3] = (uint8_t)i;
}

static const struct rpc_notify_udp_ev *last_udp(const struct harness *h)
{
	assert_true(h->r->nudp > 0);
	return &h->r->udp[h->r->nudp - 1];
}

/* Contexts of 16 (inline), 17 and 64 bytes (kept outside the slot) match by
 * address and by content; a longer datagram than any context never matches. */
static void test_long_contexts(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50001, IP_EPMSRV, 49155);
	h_open(h, &c);
	bind_emsmdb(h, &c);
	uint8_t c16[16], c17[17], c64[64];
	memcpy(c16, pattern(16, 1), 16);
	memcpy(c17, pattern(17, 2), 17);
	memcpy(c64, pattern(64, 3), 64);
	reg(h, &c, 2, c16, 16, 50016);
	reg(h, &c, 3, c17, 17, 50017);
	reg(h, &c, 4, c64, 64, 50064);
	assert_int_equal(h->r->nreg, 3);
	assert_int_equal(h->r->reg[1].context_len, 17);
	assert_int_equal(h->r->reg[2].context_len, 64);

	/* the registered context to the registered port */
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50017, c17, 17);
	assert_int_equal(last_udp(h)->reg_id, 2);
	assert_int_equal(last_udp(h)->match_addr, 1);
	assert_int_equal(last_udp(h)->match_context, 1);
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50064, c64, 64);
	assert_int_equal(last_udp(h)->reg_id, 3);
	assert_int_equal(last_udp(h)->match_context, 1);
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50016, c16, 16);
	assert_int_equal(last_udp(h)->reg_id, 1);
	assert_int_equal(last_udp(h)->match_context, 1);
	/* content only (another port), then address only (other bytes, one differs at the end) */
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50099, c64, 64);
	assert_int_equal(last_udp(h)->reg_id, 3);
	assert_int_equal(last_udp(h)->match_addr, 0);
	assert_int_equal(last_udp(h)->match_context, 1);
	c17[16] ^= 0xff;
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50017, c17, 17);
	assert_int_equal(last_udp(h)->reg_id, 2);
	assert_int_equal(last_udp(h)->match_addr, 1);
	assert_int_equal(last_udp(h)->match_context, 0);
	assert_int_equal(h_stats(h)->notify_matched, 5);
	h_finish(h);
	h_free(h);
}

/* REG_TABLE_MAX + 3 registrations: the first three are forgotten (the ring
 * wrapped, counted as capped), the rest still match, long contexts included. */
static void test_ring_wraps(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct tcpc c;
	tcpc_init(&c, IP_CLIENT, 50001, IP_EPMSRV, 49155);
	h_open(h, &c);
	bind_emsmdb(h, &c);
	const uint32_t total = REG_TABLE_MAX + 3;
	for (uint32_t i = 0; i < total; i++) {
		uint8_t ctx[20];
		uint32_t n = i % 2 ? 20 : 8;	/* every other one outside the slot */
		memset(ctx, 0x5a, sizeof ctx);
		ctx[0] = (uint8_t)(i >> 24);
		ctx[1] = (uint8_t)(i >> 16);
		ctx[2] = (uint8_t)(i >> 8);
		ctx[3] = (uint8_t)i;
		uint8_t ip[4];
		ring_ip(i, ip);
		reg_at(h, &c, i + 2, ctx, n, ip, 50000);
		h->r->nreg = 0;	/* the recorder keeps REC_MAX events; only the engine's table matters */
		h->r->ncall = 0;
		h->r->npdu = 0;
	}
	assert_int_equal(h_stats(h)->registrations, total);
	assert_true(h_stats(h)->capped >= 3);

	uint8_t ctx[20];
	memset(ctx, 0x5a, sizeof ctx);
	ctx[0] = ctx[1] = ctx[2] = 0;
	/* registration index 1 (reg_id 2, 20 bytes) was overwritten: no match */
	uint8_t ip[4];
	ctx[3] = 1;
	ring_ip(1, ip);
	h_udp(h, IP_EPMSRV, 40000, ip, 50000, ctx, 20);
	assert_int_equal(h->r->nudp, 0);	/* too long for a candidate either */
	/* index 3 (reg_id 4, 20 bytes) and the last one are still there */
	ctx[3] = 3;
	ring_ip(3, ip);
	h_udp(h, IP_EPMSRV, 40000, ip, 50000, ctx, 20);
	assert_int_equal(last_udp(h)->reg_id, 4);
	assert_int_equal(last_udp(h)->match_addr, 1);
	assert_int_equal(last_udp(h)->match_context, 1);
	uint32_t i = total - 1;
	ctx[0] = (uint8_t)(i >> 24);
	ctx[1] = (uint8_t)(i >> 16);
	ctx[2] = (uint8_t)(i >> 8);
	ctx[3] = (uint8_t)i;
	ring_ip(i, ip);
	h_udp(h, IP_EPMSRV, 40000, ip, 50000, ctx, i % 2 ? 20 : 8);
	assert_int_equal(last_udp(h)->reg_id, total);
	assert_int_equal(last_udp(h)->match_context, 1);
	h_finish(h);
	h_free(h);
}

static void ctx_of(uint32_t i, uint8_t ctx[8])
{
	memset(ctx, 0x33, 8);
	ctx[4] = (uint8_t)(i >> 24);
	ctx[5] = (uint8_t)(i >> 16);
	ctx[6] = (uint8_t)(i >> 8);
	ctx[7] = (uint8_t)i;
}

/* Session 0 registers on a connection that stays open; then 3 x 1024
 * sessions each register on their own connection and close it (FIN both
 * ways), 9 ms apart.  With a hold of `hold_s` seconds: the ring forgets the
 * ended registrations older than the hold instead of growing past 1024
 * slots, so an early session's late datagram is unmatched (a candidate);
 * the open connection's registration and the newest one still match.  With
 * the default hold (60 s, longer than the 28 s of this capture) nothing is
 * forgotten. */
static void ring_reclaim_run(uint32_t hold_s, int early_matches)
{
	struct harness *h = h_new_n(8192);
	if (hold_s)
		rpc_engine_set_reg_hold(h->e, hold_s);
	uint8_t ctx[8], ip[4];
	struct tcpc c0;
	tcpc_init(&c0, IP_CLIENT, 50001, IP_EPMSRV, 49155);
	h_open(h, &c0);
	bind_emsmdb(h, &c0);
	ctx_of(0, ctx);
	reg(h, &c0, 2, ctx, 8, 50000);
	const uint32_t n = 3 * 1024;
	for (uint32_t i = 1; i <= n; i++) {
		struct tcpc c;
		ring_ip(i, ip);
		tcpc_init(&c, ip, 40000, IP_EPMSRV, 49155);
		h_open(h, &c);
		bind_emsmdb(h, &c);
		ctx_of(i, ctx);
		reg_at(h, &c, 2, ctx, 8, ip, 50000);
		h_tcp_seg(h, &c, 0, TH_FIN | TH_ACK, c.seq[0]++, NULL, 0, 0);
		h_tcp_seg(h, &c, 1, TH_FIN | TH_ACK, c.seq[1]++, NULL, 0, 0);
		h->r->nreg = 0;	/* the recorder keeps REC_MAX events */
		h->r->ncall = 0;
		h->r->npdu = 0;
		h->r->nbind = 0;
	}
	assert_int_equal(h_stats(h)->registrations, n + 1);
	assert_int_equal(h_stats(h)->capped, 0);	/* the ring never wrapped */
	/* session 1 ended 27 s ago */
	ring_ip(1, ip);
	ctx_of(1, ctx);
	h_udp(h, IP_EPMSRV, 40000, ip, 50000, ctx, 8);
	if (early_matches) {
		assert_int_equal(last_udp(h)->reg_id, 2);
		assert_int_equal(last_udp(h)->match_context, 1);
	} else {
		assert_int_equal(last_udp(h)->reg_id, 0);
		assert_int_equal(last_udp(h)->candidate, 1);
	}
	/* the open connection's registration, the oldest of all */
	ctx_of(0, ctx);
	h_udp(h, IP_EPMSRV, 40000, IP_CLIENT, 50000, ctx, 8);
	assert_int_equal(last_udp(h)->reg_id, 1);
	assert_int_equal(last_udp(h)->match_addr, 1);
	assert_int_equal(last_udp(h)->match_context, 1);
	/* the newest: its connection ended milliseconds ago */
	ring_ip(n, ip);
	ctx_of(n, ctx);
	h_udp(h, IP_EPMSRV, 40000, ip, 50000, ctx, 8);
	assert_int_equal(last_udp(h)->reg_id, n + 1);
	assert_int_equal(last_udp(h)->match_context, 1);
	h_finish(h);
	h_free(h);
}

static void test_ring_reclaims_ended(void **state)
{
	(void)state;
	ring_reclaim_run(1, 0);
	ring_reclaim_run(0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_contexts),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_ring_reclaims_ended),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
