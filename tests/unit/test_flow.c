/* \summary: unit tests for the bounded flow table (src/flow.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flow.h"
#include "pktbuild.h"

#define T0 1700000000000000ull	/* capture time origin, microseconds */
#define SEC(x) (T0 + (uint64_t)(x) * 1000000ull)

/* ---- packets ------------------------------------------------------------------------------ */

/* What to build: one IPv4/IPv6 TCP or UDP (or other protocol) packet. */
struct spec {
	int v6;
	const uint8_t *src, *dst;	/* 4 or 16 bytes */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t flags;
	uint32_t seq, ack;
	size_t paylen;
	uint8_t ttl;
	int mf;
	uint16_t off8;
};

static void build_ip(struct pb *b, const struct spec *s)
{
	size_t ip;
	uint8_t ttl = s->ttl ? s->ttl : 64;
	pb_init(b);
	if (s->v6) {
		ip = pb_ipv6(b, (s->mf || s->off8) ? IP6_FRAGMENT : s->proto, ttl, s->src, s->dst);
		if (s->mf || s->off8)
			pb_ip6_frag(b, s->proto, s->off8, s->mf, 0x55);
	} else {
		ip = pb_ipv4(b, s->proto, ttl, s->src, s->dst, 0);
	}
	if (s->off8) {
		pb_pattern(b, 0, s->paylen);
	} else if (s->proto == PROTO_TCP) {
		pb_tcp(b, s->sport, s->dport, s->seq, s->ack, s->flags, 1024, NULL, 0);
		pb_pattern(b, 0, s->paylen);
	} else if (s->proto == PROTO_UDP) {
		size_t u = pb_udp(b, s->sport, s->dport);
		pb_pattern(b, 0, s->paylen);
		pb_udp_end(b, u);
	} else {
		pb_pattern(b, 0, s->paylen);
	}
	if (s->v6) {
		pb_ipv6_end(b, ip);
	} else {
		pb_ipv4_end(b, ip);
		if (s->mf || s->off8)
			pb_ipv4_frag(b, ip, 0, s->mf, s->off8);
	}
}

/* Decode a built frame into a struct pkt (payload pointer cleared: only lengths matter here). */
static struct pkt decode_pb(const struct pb *b, uint64_t frame, uint64_t ts)
{
	struct dec d = {0};
	enum dec_status st = pb_decode(&d, DLT_RAW, b);
	struct pkt p = d.p;
	pb_dec_free(&d);
	p.payload = NULL;
	p.frame = frame;
	p.ts_us = ts;
	assert_int_equal(st, DEC_OK);
	return p;
}

static struct pkt mk(const struct spec *s, uint64_t frame, uint64_t ts)
{
	struct pb b;
	build_ip(&b, s);
	return decode_pb(&b, frame, ts);
}

/* An ICMP (v4) / ICMPv6 (v6) error from `from` to `to` quoting the packet `q`. */
static struct pkt mk_icmp(const uint8_t *from, const uint8_t *to, uint8_t type, uint8_t code, uint8_t ttl,
			  const struct spec *q, uint64_t frame, uint64_t ts)
{
	struct pb o, b;
	build_ip(&o, q);
	pb_init(&b);
	size_t ip = q->v6 ? pb_ipv6(&b, PROTO_ICMP6, ttl, from, to) : pb_ipv4(&b, PROTO_ICMP, ttl, from, to, 0);
	pb_icmp(&b, type, code, 0);
	pb_bytes(&b, o.b, q->v6 ? o.n : (o.n < 28 ? o.n : 28));
	if (q->v6)
		pb_ipv6_end(&b, ip);
	else
		pb_ipv4_end(&b, ip);
	struct pkt p = decode_pb(&b, frame, ts);
	assert_int_equal(p.icmp_is_error, type == 8 || type == 128 ? 0 : 1);
	return p;
}

#define TCP4(s, sp, d, dp, fl, sq, ak, len)                                                                    \
	(&(struct spec){.src = (s), .dst = (d), .sport = (sp), .dport = (dp), .proto = PROTO_TCP, .flags = (fl), \
			.seq = (sq), .ack = (ak), .paylen = (len)})
#define TCP6(s, sp, d, dp, fl, sq, ak, len)                                                                    \
	(&(struct spec){.v6 = 1, .src = (s), .dst = (d), .sport = (sp), .dport = (dp), .proto = PROTO_TCP,      \
			.flags = (fl), .seq = (sq), .ack = (ak), .paylen = (len)})
#define UDP4(s, sp, d, dp, len)                                                                                 \
	(&(struct spec){.src = (s), .dst = (d), .sport = (sp), .dport = (dp), .proto = PROTO_UDP, .paylen = (len)})
#define UDP6(s, sp, d, dp, len)                                                                                 \
	(&(struct spec){.v6 = 1, .src = (s), .dst = (d), .sport = (sp), .dport = (dp), .proto = PROTO_UDP,      \
			.paylen = (len)})

/* ---- table with recording callbacks -------------------------------------------------------------- */

struct rec {
	uint64_t id;
	enum flow_end why;
	uint8_t proto;
	struct addr orig, resp;
	uint16_t oport, rport;
	uint64_t pkts[2];
	void *app;
	char state[32];
};

#define MAX_RECS 2048

struct recorder {
	struct rec r[MAX_RECS];
	size_t n;
	size_t freed;	/* app_free calls */
	int app_freed_before_emit;
};

static struct recorder *cur_rec;	/* for app_free, which gets no context */

static void on_emit(void *ctx, const struct flow *f, enum flow_end why)
{
	struct recorder *r = ctx;
	if (r->n >= MAX_RECS)
		return;
	struct rec *x = &r->r[r->n++];
	x->id = f->id;
	x->why = why;
	x->proto = f->proto;
	x->orig = f->orig;
	x->resp = f->resp;
	x->oport = f->oport;
	x->rport = f->rport;
	x->pkts[0] = f->pkts[0];
	x->pkts[1] = f->pkts[1];
	x->app = f->app;
	snprintf(x->state, sizeof x->state, "%s", flow_state(f));
}

static void on_app_free(void *app)
{
	if (cur_rec)
		cur_rec->freed++;
	free(app);
}

static struct flow_table *table(struct recorder *r, size_t max_flows, uint32_t idle_s)
{
	memset(r, 0, sizeof *r);
	cur_rec = r;
	struct flow_table_opts o = {
		.max_flows = max_flows,
		.idle_timeout_s = idle_s,
		.emit = on_emit,
		.emit_ctx = r,
		.app_free = on_app_free,
	};
	struct flow_table *t = flow_table_new(&o);
	assert_non_null(t);
	return t;
}

static struct flow *pkt_in(struct flow_table *t, const struct pkt *p, int *dir)
{
	*dir = -1;
	return flow_table_packet(t, p, dir);
}

static void assert_addr4(const struct addr *a, const uint8_t *v4)
{
	assert_int_equal(a->family, 4);
	assert_memory_equal(a->a, v4, 4);
}

static void assert_addr6(const struct addr *a, const uint8_t *v6)
{
	assert_int_equal(a->family, 6);
	assert_memory_equal(a->a, v6, 16);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_new_bad_options(void **state)
{
	(void)state;
	assert_null(flow_table_new(NULL));
	struct flow_table_opts o = {.max_flows = 0};
	assert_null(flow_table_new(&o));
	flow_table_free(NULL);
	o.max_flows = 1;	/* no callbacks at all is fine */
	struct flow_table *t = flow_table_new(&o);
	assert_non_null(t);
	struct pkt p = mk(TCP4(V4_A, 40000, V4_B, 135, TH_SYN, 1, 0, 0), 1, SEC(0));
	assert_non_null(flow_table_packet(t, &p, NULL));
	p = mk(TCP4(V4_A, 40001, V4_B, 135, TH_SYN, 1, 0, 0), 2, SEC(1));
	assert_non_null(flow_table_packet(t, &p, NULL));	/* evicts without an emit callback */
	assert_int_equal(flow_table_stats(t)->evicted, 1);
	flow_table_flush(t);
	assert_int_equal(flow_table_stats(t)->active, 0);
	flow_table_free(t);
}

static void test_orient_syn(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;

	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 1000, 0, 0), 1, SEC(1));
	p.ttl = 128;
	struct flow *f = pkt_in(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->id, 1);
	assert_int_equal(f->proto, PROTO_TCP);
	assert_addr4(&f->orig, V4_A);
	assert_addr4(&f->resp, V4_B);
	assert_int_equal(f->oport, 49152);
	assert_int_equal(f->rport, 135);
	assert_int_equal(f->syn, 1);
	assert_int_equal(f->syn_isn, 1000);
	assert_int_equal(f->syn_frames[0], 1);
	assert_true(f->first_syn_ts_us == SEC(1));
	assert_int_equal(f->midstream, 0);
	assert_int_equal(f->orig_ttl, 128);
	assert_string_equal(flow_state(f), "no-reply");

	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 5000, 1001, 0), 2, SEC(2));
	p.ttl = 60;
	struct flow *f2 = pkt_in(t, &p, &dir);
	assert_ptr_equal(f2, f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->synack, 1);
	assert_int_equal(f->synack_frame, 2);
	assert_true(f->synack_ts_us == SEC(2));
	assert_int_equal(f->resp_ttl, 60);

	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_ACK, 1001, 5001, 0), 3, SEC(3));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->orig_nonsyn, 1);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->orig_ttl, 128);
	assert_string_equal(flow_state(f), "established");

	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->created, 1);
	assert_int_equal(st->active, 1);
	assert_int_equal(st->peak, 1);
	assert_int_equal(r.n, 0);
	flow_table_free(t);
	assert_int_equal(r.n, 0);	/* free emits nothing */
}

static void test_orient_synack_first(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 5000, 1001, 0), 7, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_addr4(&f->orig, V4_A);	/* the receiver of the SYN-ACK initiated */
	assert_int_equal(f->oport, 49152);
	assert_addr4(&f->resp, V4_B);
	assert_int_equal(f->rport, 135);
	assert_int_equal(f->synack, 1);
	assert_int_equal(f->synack_frame, 7);
	assert_int_equal(f->syn, 0);
	assert_int_equal(f->midstream, 0);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->pkts[0], 0);
	assert_int_equal(f->orig_ttl, 0);
	assert_string_equal(flow_state(f), "established");
	flow_table_free(t);
}

static void test_orient_midstream(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;

	/* server (low port) speaks first: the client side is orig */
	struct pkt p = mk(TCP4(V4_B, 135, V4_A, 50000, TH_ACK | TH_PUSH, 1, 2, 100), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 1);
	assert_addr4(&f->orig, V4_A);
	assert_int_equal(f->oport, 50000);
	assert_int_equal(f->rport, 135);
	assert_int_equal(f->midstream, 1);
	assert_int_equal(f->bytes[1], 100);
	assert_string_equal(flow_state(f), "midstream");

	/* client first */
	p = mk(TCP4(V4_A, 50001, V4_B, 445, TH_ACK, 1, 2, 0), 2, SEC(2));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_addr4(&f->orig, V4_A);
	assert_int_equal(f->midstream, 1);

	/* both ephemeral: the sender is orig */
	p = mk(TCP4(V4_B, 50002, V4_A, 50003, TH_ACK, 1, 2, 0), 3, SEC(3));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_addr4(&f->orig, V4_B);
	assert_int_equal(f->oport, 50002);

	/* both privileged: the sender is orig */
	p = mk(TCP4(V4_B, 139, V4_A, 445, TH_RST, 1, 0, 0), 4, SEC(4));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_addr4(&f->orig, V4_B);
	assert_int_equal(f->midstream, 1);
	assert_int_equal(f->rst[0], 1);

	/* port 1023 counts as privileged, 1024 does not */
	p = mk(TCP4(V4_B, 1023, V4_A, 1024, TH_ACK, 1, 2, 0), 5, SEC(5));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 1);
	assert_int_equal(f->oport, 1024);
	assert_int_equal(flow_table_stats(t)->created, 5);
	flow_table_free(t);
}

static void test_orient_udp(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;

	struct pkt p = mk(UDP4(V4_A, 40000, V4_B, 53, 30), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_int_equal(f->proto, PROTO_UDP);
	assert_addr4(&f->orig, V4_A);
	assert_int_equal(f->oport, 40000);
	assert_int_equal(f->midstream, 0);
	assert_string_equal(flow_state(f), "one-way");
	p = mk(UDP4(V4_B, 53, V4_A, 40000, 90), 2, SEC(2));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(dir, 1);
	assert_string_equal(flow_state(f), "replied");
	assert_int_equal(f->bytes[0], 30);
	assert_int_equal(f->bytes[1], 90);

	/* reply seen first: the low port is still the responder */
	p = mk(UDP4(V4_B, 137, V4_A, 40001, 50), 3, SEC(3));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 1);
	assert_addr4(&f->orig, V4_A);
	assert_int_equal(f->oport, 40001);
	assert_string_equal(flow_state(f), "one-way");

	/* ephemeral to ephemeral: the sender */
	p = mk(UDP4(V4_B, 50000, V4_A, 60000, 1), 4, SEC(4));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_addr4(&f->orig, V4_B);
	flow_table_free(t);
}

/* A hash computed ahead (flow_table_pkt_hash, as analyze's reader thread
 * does) finds the same flow in either direction as one computed inside;
 * packets without a flow are left unmarked. */
static void test_prehash(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 64, 0);
	int dir;
	struct pkt p = mk(UDP4(V4_A, 40000, V4_B, 53, 30), 1, SEC(1));
	flow_table_pkt_hash(t, &p);
	assert_int_equal(p.flow_hashed, 1);
	struct flow *f = pkt_in(t, &p, &dir);
	assert_non_null(f);
	struct pkt q = mk(UDP4(V4_B, 53, V4_A, 40000, 90), 2, SEC(2));
	struct pkt q2 = q;
	flow_table_pkt_hash(t, &q2);
	assert_int_equal(q2.flow_hash, p.flow_hash);	/* one hash for both directions */
	assert_ptr_equal(pkt_in(t, &q, &dir), f);
	assert_int_equal(dir, 1);
	assert_ptr_equal(pkt_in(t, &q2, &dir), f);
	assert_int_equal(f->pkts[1], 2);
	/* a different tuple hashes into its own flow */
	struct pkt o = mk(UDP4(V4_A, 40001, V4_B, 53, 30), 3, SEC(3));
	flow_table_pkt_hash(t, &o);
	assert_ptr_not_equal(pkt_in(t, &o, &dir), f);
	/* GRE, later fragments: no flow, no hash */
	struct spec gre = {.src = V4_A, .dst = V4_B, .proto = 47, .paylen = 8};
	struct pkt e = mk(&gre, 4, SEC(4));
	flow_table_pkt_hash(t, &e);
	assert_int_equal(e.flow_hashed, 0);
	struct spec frag = *TCP4(V4_A, 1, V4_B, 2, TH_ACK, 0, 0, 0);
	frag.off8 = 185;
	frag.paylen = 64;
	e = mk(&frag, 5, SEC(5));
	flow_table_pkt_hash(t, &e);
	assert_int_equal(e.flow_hashed, 0);
	flow_table_prefetch(t, p.flow_hash, 0);
	flow_table_prefetch(t, p.flow_hash, 1);
	flow_table_free(t);
}

static void test_counters(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct flow *f = NULL;
	uint64_t frame = 10;
	/* 5 packets orig->resp, 3 resp->orig, with various payloads and TTLs */
	static const size_t out[] = {0, 100, 200, 0, 1};
	static const size_t in[] = {0, 1460, 7};
	for (size_t i = 0; i < 5; i++) {
		struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, i == 0 ? TH_SYN : TH_ACK, 1, 1, out[i]), frame,
				  SEC(frame));
		p.ttl = (uint8_t)(100 + i);
		f = pkt_in(t, &p, &dir);
		assert_int_equal(dir, 0);
		frame++;
		if (i < 3) {
			p = mk(TCP4(V4_B, 135, V4_A, 49152, i == 0 ? TH_SYN | TH_ACK : TH_ACK, 1, 1, in[i]), frame,
			       SEC(frame));
			p.ttl = (uint8_t)(50 + i);
			assert_ptr_equal(pkt_in(t, &p, &dir), f);
			assert_int_equal(dir, 1);
			frame++;
		}
	}
	assert_int_equal(f->pkts[0], 5);
	assert_int_equal(f->pkts[1], 3);
	assert_int_equal(f->bytes[0], 301);
	assert_int_equal(f->bytes[1], 1467);
	assert_int_equal(f->orig_ttl, 100);
	assert_int_equal(f->resp_ttl, 50);
	assert_int_equal(f->first_frame, 10);
	assert_int_equal(f->last_frame, 17);
	assert_true(f->first_ts_us == SEC(10));
	assert_true(f->last_ts_us == SEC(17));
	assert_int_equal(f->orig_nonsyn, 4);

	/* an out-of-order timestamp moves last_frame but not last_ts */
	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_ACK, 1, 1, 5), 18, SEC(12));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(f->last_frame, 18);
	assert_true(f->last_ts_us == SEC(17));
	assert_int_equal(f->bytes[0], 306);
	flow_table_free(t);
}

static void test_syn_retransmission(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct flow *f = NULL;
	for (uint64_t i = 1; i <= 6; i++) {
		struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 777, 0, 0), i, SEC(i * 3));
		f = pkt_in(t, &p, &dir);
	}
	assert_int_equal(f->syn, 6);
	assert_int_equal(f->syn_retrans, 5);
	assert_int_equal(f->syn_isn, 777);
	assert_true(f->first_syn_ts_us == SEC(3));
	for (int i = 0; i < FLOW_MAX_SYN_FRAMES; i++)
		assert_int_equal(f->syn_frames[i], (uint64_t)i + 1);	/* only the first few kept */
	assert_int_equal(f->orig_nonsyn, 0);
	assert_string_equal(flow_state(f), "no-reply");

	/* a SYN with another ISN before any answer: same flow, not a retransmission */
	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 999, 0, 0), 7, SEC(30));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(f->syn, 7);
	assert_int_equal(f->syn_retrans, 5);
	assert_int_equal(f->syn_isn, 777);
	assert_int_equal(flow_table_stats(t)->created, 1);

	/* SYNs from the responder side are not counted as the orig's SYNs */
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN, 5, 0, 0), 8, SEC(31));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->syn, 7);
	flow_table_free(t);
}

static void test_rst_each_way(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;

	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 1, 0, 0), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_RST | TH_ACK, 0, 2, 0), 2, SEC(1));
	pkt_in(t, &p, &dir);
	assert_int_equal(dir, 1);
	assert_int_equal(f->rst[1], 1);
	assert_int_equal(f->rst_frame[1], 2);
	assert_int_equal(f->rst[0], 0);
	assert_string_equal(flow_state(f), "refused");
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_RST, 0, 2, 0), 3, SEC(2));
	pkt_in(t, &p, &dir);
	assert_int_equal(f->rst[1], 2);
	assert_int_equal(f->rst_frame[1], 2);	/* the first one */

	/* orig resets */
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_SYN, 1, 0, 0), 4, SEC(3));
	f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_RST, 2, 0, 0), 5, SEC(4));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->rst[0], 1);
	assert_int_equal(f->rst_frame[0], 5);
	assert_int_equal(f->rst[1], 0);
	assert_int_equal(f->orig_nonsyn, 0);	/* an RST is not "the initiator went on talking" */
	assert_string_equal(flow_state(f), "no-reply");
	flow_table_free(t);
}

static void test_fin(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 1, 0, 0), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 9, 2, 0), 2, SEC(1));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_FIN | TH_ACK, 2, 10, 0), 3, SEC(2));
	pkt_in(t, &p, &dir);
	assert_int_equal(f->fin[0], 1);
	assert_int_equal(f->fin[1], 0);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_FIN | TH_ACK, 10, 3, 0), 4, SEC(2));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_FIN | TH_ACK | TH_PUSH, 10, 3, 0), 5, SEC(3));
	pkt_in(t, &p, &dir);
	assert_int_equal(f->fin[0], 1);
	assert_int_equal(f->fin[1], 2);
	assert_string_equal(flow_state(f), "established");
	flow_table_free(t);
}

static void test_states(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 64, 0);
	int dir;
	struct pkt p;
	struct flow *f;

	/* synack-unseen: SYN, then the initiator sends data */
	p = mk(TCP4(V4_A, 40001, V4_B, 135, TH_SYN, 1, 0, 0), 1, SEC(1));
	f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 40001, V4_B, 135, TH_ACK | TH_PUSH, 2, 99, 72), 2, SEC(1));
	pkt_in(t, &p, &dir);
	assert_string_equal(flow_state(f), "synack-unseen");

	/* synack-unseen: SYN, then the responder answers without a visible SYN-ACK */
	p = mk(TCP4(V4_A, 40002, V4_B, 135, TH_SYN, 1, 0, 0), 3, SEC(1));
	f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 40002, TH_ACK, 99, 2, 10), 4, SEC(1));
	pkt_in(t, &p, &dir);
	assert_string_equal(flow_state(f), "synack-unseen");

	/* icmp-error: SYN answered by a router's admin-prohibited */
	const struct spec *syn = TCP4(V4_A, 40003, V4_B, 135, TH_SYN, 1, 0, 0);
	p = mk(syn, 5, SEC(1));
	f = pkt_in(t, &p, &dir);
	uint64_t id = f->id;
	p = mk_icmp(V4_R, V4_A, 3, 13, 254, syn, 6, SEC(1));
	assert_null(pkt_in(t, &p, &dir));
	p = mk(TCP4(V4_A, 40003, V4_B, 135, TH_SYN, 1, 0, 0), 7, SEC(2));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, id);
	assert_string_equal(flow_state(f), "icmp-error");

	/* refused wins over an ICMP error */
	p = mk(TCP4(V4_B, 135, V4_A, 40003, TH_RST | TH_ACK, 0, 2, 0), 8, SEC(2));
	f = pkt_in(t, &p, &dir);
	assert_string_equal(flow_state(f), "refused");

	/* no-syn: a flow created from an ICMP quote, then a non-SYN packet */
	const struct spec *q = TCP4(V4_A, 40004, V4_B, 139, TH_ACK, 5, 6, 0);
	p = mk_icmp(V4_R, V4_A, 11, 0, 240, q, 9, SEC(3));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 139, V4_A, 40004, TH_RST, 6, 0, 0), 10, SEC(3));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->icmp_only, 1);
	assert_int_equal(f->midstream, 0);
	assert_string_equal(flow_state(f), "no-syn");
	flow_table_free(t);
}

static void test_icmp_attribution_existing(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	const struct spec *syn = TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 4242, 0, 0);
	struct pkt p = mk(syn, 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	uint64_t id = f->id;

	p = mk_icmp(V4_R, V4_A, 3, 13, 247, syn, 2, SEC(2));
	assert_int_equal(p.q.tcp_seq, 4242);
	dir = 99;
	assert_null(flow_table_packet(t, &p, &dir));	/* ICMP is attributed, not returned */
	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->icmp_attributed, 1);
	assert_int_equal(st->icmp_new, 0);
	assert_int_equal(st->created, 1);

	/* the next SYN finds the same flow, now carrying the error */
	p = mk(syn, 3, SEC(3));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, id);
	assert_int_equal(f->icmp_count, 1);
	assert_int_equal(f->icmp_only, 0);
	assert_int_equal(f->icmp.family, 4);
	assert_int_equal(f->icmp.type, 3);
	assert_int_equal(f->icmp.code, 13);
	assert_int_equal(f->icmp.ttl, 247);
	assert_addr4(&f->icmp.from, V4_R);
	assert_int_equal(f->icmp.frame, 2);
	assert_true(f->icmp.ts_us == SEC(2));
	assert_int_equal(f->icmp.toward_orig, 0);
	assert_int_equal(f->pkts[0], 2);	/* the error is not a packet of the flow */
	assert_int_equal(f->pkts[1], 0);

	/* a second error is counted; the first one's details stay */
	p = mk_icmp(V4_B, V4_A, 3, 3, 64, syn, 4, SEC(4));
	pkt_in(t, &p, &dir);
	p = mk(syn, 5, SEC(5));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->icmp_count, 2);
	assert_int_equal(f->icmp.code, 13);
	assert_addr4(&f->icmp.from, V4_R);
	assert_int_equal(st->icmp_attributed, 2);
	flow_table_free(t);
}

/* The error quotes a resp->orig packet: it travelled toward the initiator. */
static void test_icmp_toward_orig(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p = mk(UDP4(V4_A, 40000, V4_B, 53, 30), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	const struct spec *reply = UDP4(V4_B, 53, V4_A, 40000, 90);
	p = mk(reply, 2, SEC(2));
	pkt_in(t, &p, &dir);
	p = mk_icmp(V4_A, V4_B, 3, 3, 64, reply, 3, SEC(3));	/* the client's port closed */
	pkt_in(t, &p, &dir);
	p = mk(UDP4(V4_A, 40000, V4_B, 53, 30), 4, SEC(4));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->icmp_count, 1);
	assert_int_equal(f->icmp.toward_orig, 1);
	assert_addr4(&f->icmp.from, V4_A);
	assert_string_equal(flow_state(f), "replied");

	/* UDP one way, error toward resp: icmp-error */
	const struct spec *q = UDP4(V4_A, 40001, V4_B, 161, 40);
	p = mk(q, 5, SEC(5));
	f = pkt_in(t, &p, &dir);
	p = mk_icmp(V4_B, V4_A, 3, 3, 64, q, 6, SEC(6));
	pkt_in(t, &p, &dir);
	p = mk(q, 7, SEC(7));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->icmp.toward_orig, 0);
	assert_string_equal(flow_state(f), "icmp-error");
	flow_table_free(t);
}

static void test_icmp_creates_flow(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	const struct spec *q = TCP4(V4_A, 49160, V4_C, 135, TH_SYN, 31337, 0, 0);
	struct pkt p = mk_icmp(V4_R, V4_A, 11, 0, 252, q, 42, SEC(9));
	assert_null(pkt_in(t, &p, &dir));
	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->icmp_new, 1);
	assert_int_equal(st->icmp_attributed, 0);
	assert_int_equal(st->created, 1);
	assert_int_equal(st->active, 1);

	flow_table_flush(t);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].proto, PROTO_TCP);
	assert_addr4(&r.r[0].orig, V4_A);	/* oriented like the quoted packet */
	assert_int_equal(r.r[0].oport, 49160);
	assert_addr4(&r.r[0].resp, V4_C);
	assert_int_equal(r.r[0].rport, 135);
	assert_int_equal(r.r[0].pkts[0], 0);
	assert_int_equal(r.r[0].pkts[1], 0);
	assert_string_equal(r.r[0].state, "icmp-error");
	assert_int_equal(r.r[0].why, FLOW_END_FLUSH);

	/* once created, a later packet finds it: icmp_only stays, the details are there */
	p = mk_icmp(V4_R, V4_A, 3, 10, 251, q, 43, SEC(10));
	pkt_in(t, &p, &dir);
	p = mk(q, 44, SEC(11));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_int_equal(f->icmp_only, 1);
	assert_int_equal(f->icmp_count, 1);
	assert_int_equal(f->icmp.type, 3);
	assert_int_equal(f->icmp.code, 10);
	assert_int_equal(f->icmp.frame, 43);
	assert_int_equal(f->first_frame, 43);
	assert_int_equal(f->last_frame, 44);
	assert_int_equal(f->icmp.toward_orig, 0);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(st->icmp_new, 2);
	assert_int_equal(st->icmp_attributed, 0);
	assert_int_equal(st->created, 2);

	/* UDP, created from a host's port-unreachable */
	const struct spec *uq = UDP4(V4_A, 40000, V4_B, 2049, 40);
	p = mk_icmp(V4_B, V4_A, 3, 3, 64, uq, 45, SEC(12));
	pkt_in(t, &p, &dir);
	assert_int_equal(st->icmp_new, 3);
	flow_table_flush(t);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.r[2].proto, PROTO_UDP);
	assert_string_equal(r.r[2].state, "icmp-error");
	flow_table_free(t);
}

/* ICMP that cannot be attributed creates nothing. */
static void test_icmp_not_attributed(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	const struct spec *q = UDP4(V4_A, 40000, V4_B, 53, 30);

	/* echo request: not an error */
	struct pkt p = mk_icmp(V4_A, V4_B, 8, 0, 64, q, 1, SEC(1));
	assert_null(pkt_in(t, &p, &dir));
	/* an error quoting a non-first fragment: no ports */
	struct spec frag = *q;
	frag.off8 = 100;
	p = mk_icmp(V4_R, V4_A, 11, 1, 64, &frag, 2, SEC(2));
	assert_int_equal(p.q.valid, 1);
	assert_int_equal(p.q.has_ports, 0);
	assert_null(pkt_in(t, &p, &dir));
	/* an error quoting a protocol without ports */
	struct spec gre = {.src = V4_A, .dst = V4_B, .proto = 47, .paylen = 8};
	p = mk_icmp(V4_R, V4_A, 3, 2, 64, &gre, 3, SEC(3));
	assert_null(pkt_in(t, &p, &dir));
	/* an error whose quote is unreadable */
	p.q.valid = 0;
	p.q.has_ports = 0;
	assert_null(pkt_in(t, &p, &dir));

	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->created, 0);
	assert_int_equal(st->icmp_new, 0);
	assert_int_equal(st->icmp_attributed, 0);
	flow_table_flush(t);
	assert_int_equal(r.n, 0);
	flow_table_free(t);
}

static void test_non_flow_packets(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;

	struct spec frag = *TCP4(V4_A, 1, V4_B, 2, TH_ACK, 0, 0, 0);
	frag.off8 = 185;
	frag.paylen = 64;
	struct pkt p = mk(&frag, 1, SEC(1));
	assert_int_equal(p.frag_later, 1);
	assert_null(pkt_in(t, &p, &dir));

	struct spec gre = {.src = V4_A, .dst = V4_B, .proto = 47, .paylen = 8};
	p = mk(&gre, 2, SEC(2));
	assert_null(pkt_in(t, &p, &dir));

	p = mk(TCP4(V4_A, 1, V4_B, 2, TH_SYN, 0, 0, 0), 3, SEC(3));
	p.status = DEC_TRUNCATED;
	assert_null(pkt_in(t, &p, &dir));
	p.status = DEC_INVALID;
	assert_null(pkt_in(t, &p, &dir));

	struct pkt none;
	memset(&none, 0, sizeof none);
	none.status = DEC_OK;	/* e.g. decoded nothing at all */
	assert_null(pkt_in(t, &none, &dir));

	assert_int_equal(flow_table_stats(t)->created, 0);
	flow_table_free(t);
}

static void test_fragment_flag(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct spec s = *UDP4(V4_A, 40000, V4_B, 2049, 200);
	struct pkt p = mk(&s, 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_int_equal(f->fragments, 0);

	s = *TCP4(V4_A, 40000, V4_B, 2049, TH_ACK, 1, 1, 100);
	s.mf = 1;
	p = mk(&s, 2, SEC(2));
	assert_int_equal(p.is_fragment, 1);
	f = pkt_in(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(f->fragments, 1);
	flow_table_free(t);
}

static void test_distinct_tuples(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 64, 0);
	int dir;
	struct pkt p = mk(TCP4(V4_A, 3000, V4_B, 2000, TH_ACK, 0, 0, 0), 1, SEC(1));
	struct flow *f1 = pkt_in(t, &p, &dir);
	uint64_t id1 = f1->id;
	p = mk(UDP4(V4_A, 3000, V4_B, 2000, 0), 2, SEC(1));
	assert_int_not_equal(pkt_in(t, &p, &dir)->id, id1);	/* other protocol */
	p = mk(TCP4(V4_A, 1001, V4_B, 2000, TH_ACK, 0, 0, 0), 3, SEC(1));
	assert_int_not_equal(pkt_in(t, &p, &dir)->id, id1);	/* other port */
	p = mk(TCP4(V4_A, 2000, V4_B, 3000, TH_ACK, 0, 0, 0), 4, SEC(1));
	assert_int_not_equal(pkt_in(t, &p, &dir)->id, id1);	/* ports swapped, addresses not */
	p = mk(TCP4(V4_C, 3000, V4_B, 2000, TH_ACK, 0, 0, 0), 5, SEC(1));
	assert_int_not_equal(pkt_in(t, &p, &dir)->id, id1);	/* other address */
	p = mk(TCP4(V4_B, 2000, V4_A, 3000, TH_ACK, 0, 0, 0), 6, SEC(1));
	assert_int_equal(pkt_in(t, &p, &dir)->id, id1);	/* the reverse direction */
	assert_int_equal(dir, 1);
	/* same address both ends */
	p = mk(UDP4(V4_A, 5000, V4_A, 6000, 0), 7, SEC(1));
	struct flow *self = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	uint64_t sid = self->id;
	p = mk(UDP4(V4_A, 6000, V4_A, 5000, 0), 8, SEC(1));
	self = pkt_in(t, &p, &dir);
	assert_int_equal(self->id, sid);
	assert_int_equal(dir, 1);
	assert_int_equal(flow_table_stats(t)->created, 6);
	flow_table_free(t);
}

static void test_eviction_lru(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 3, 0);
	int dir;
	const struct flow_stats *st = flow_table_stats(t);
	const struct spec *f1 = UDP4(V4_A, 1001, V4_B, 53, 0);
	const struct spec *f2 = UDP4(V4_A, 1002, V4_B, 53, 0);
	const struct spec *f3 = UDP4(V4_A, 1003, V4_B, 53, 0);
	const struct spec *f4 = UDP4(V4_A, 1004, V4_B, 53, 0);
	const struct spec *f5 = UDP4(V4_A, 1005, V4_B, 53, 0);
	struct pkt p;

	p = mk(f1, 1, SEC(1));
	pkt_in(t, &p, &dir);
	p = mk(f2, 2, SEC(2));
	pkt_in(t, &p, &dir);
	p = mk(f3, 3, SEC(3));
	pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 0);
	p = mk(f1, 4, SEC(4));	/* flow 1 active again: flow 2 is now the least recently active */
	pkt_in(t, &p, &dir);
	p = mk(f4, 5, SEC(5));
	struct flow *n4 = pkt_in(t, &p, &dir);
	assert_int_equal(n4->id, 4);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].id, 2);
	assert_int_equal(r.r[0].why, FLOW_END_EVICTED);
	assert_int_equal(r.r[0].oport, 1002);
	assert_int_equal(r.r[0].pkts[0], 1);
	assert_int_equal(st->evicted, 1);
	assert_int_equal(st->active, 3);
	assert_int_equal(st->peak, 3);
	assert_int_equal(st->created, 4);

	/* an attributed ICMP error also counts as activity */
	p = mk_icmp(V4_B, V4_A, 3, 3, 64, f3, 6, SEC(6));
	pkt_in(t, &p, &dir);
	p = mk(f5, 7, SEC(7));
	pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.r[1].id, 1);	/* flow 1 (t=4) is older than 4 (t=5) and 3 (icmp t=6) */
	assert_int_equal(r.r[1].why, FLOW_END_EVICTED);
	assert_int_equal(r.r[1].pkts[0], 2);

	/* the evicted tuple comes back as a new flow */
	p = mk(f2, 8, SEC(8));
	struct flow *again = pkt_in(t, &p, &dir);
	assert_int_equal(again->id, 6);
	assert_int_equal(again->pkts[0], 1);
	assert_int_equal(r.r[2].id, 4);
	assert_int_equal(st->evicted, 3);
	assert_int_equal(st->active, 3);
	assert_int_equal(st->created, 6);

	/* an ICMP error creating a flow evicts too */
	p = mk_icmp(V4_R, V4_A, 11, 0, 64, UDP4(V4_A, 1006, V4_B, 53, 0), 9, SEC(9));
	pkt_in(t, &p, &dir);
	assert_int_equal(r.r[3].id, 3);
	assert_int_equal(st->evicted, 4);
	assert_int_equal(st->icmp_new, 1);
	assert_int_equal(st->active, 3);
	flow_table_free(t);
}

static void test_eviction_many(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 100, 0);
	int dir;
	for (uint32_t i = 0; i < 1100; i++) {
		struct pkt p = mk(UDP4(V4_A, (uint16_t)(10000 + i), V4_B, 53, 0), i + 1, SEC(i));
		assert_non_null(pkt_in(t, &p, &dir));
	}
	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->created, 1100);
	assert_int_equal(st->evicted, 1000);
	assert_int_equal(st->active, 100);
	assert_int_equal(st->peak, 100);
	assert_int_equal(r.n, 1000);
	for (size_t i = 0; i < r.n; i++) {
		assert_int_equal(r.r[i].id, i + 1);
		assert_int_equal(r.r[i].why, FLOW_END_EVICTED);
	}
	flow_table_flush(t);
	assert_int_equal(r.n, 1100);
	for (size_t i = 1000; i < 1100; i++)
		assert_int_equal(r.r[i].why, FLOW_END_FLUSH);
	flow_table_free(t);
}

static void test_idle_expiry(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 10);
	int dir;
	const struct flow_stats *st = flow_table_stats(t);
	struct pkt p;

	p = mk(UDP4(V4_A, 1001, V4_B, 53, 0), 1, SEC(0));
	pkt_in(t, &p, &dir);
	p = mk(UDP4(V4_A, 1002, V4_B, 53, 0), 2, SEC(5));
	pkt_in(t, &p, &dir);
	p = mk(UDP4(V4_A, 1003, V4_B, 53, 0), 3, SEC(12));
	pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].id, 1);
	assert_int_equal(r.r[0].why, FLOW_END_IDLE);
	assert_int_equal(st->expired, 1);
	assert_int_equal(st->active, 2);

	/* exactly the timeout is not yet idle */
	flow_table_expire(t, SEC(15));
	assert_int_equal(r.n, 1);
	flow_table_expire(t, SEC(15) + 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.r[1].id, 2);
	assert_int_equal(r.r[1].why, FLOW_END_IDLE);

	/* activity keeps a flow alive */
	p = mk(UDP4(V4_A, 1003, V4_B, 53, 0), 4, SEC(20));
	pkt_in(t, &p, &dir);
	flow_table_expire(t, SEC(29));
	assert_int_equal(r.n, 2);
	/* a time going backwards expires nothing */
	flow_table_expire(t, SEC(1));
	p = mk(UDP4(V4_A, 1004, V4_B, 53, 0), 5, SEC(2));
	pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 2);
	assert_int_equal(st->active, 2);

	/* flow 3 (t=20) idles out from the LRU tail, then flow 4 (last seen at t=2) */
	flow_table_expire(t, SEC(31));
	assert_int_equal(r.n, 4);
	assert_int_equal(r.r[2].id, 3);
	assert_int_equal(r.r[3].id, 4);
	assert_int_equal(r.r[3].why, FLOW_END_IDLE);
	assert_int_equal(st->expired, 4);
	assert_int_equal(st->active, 0);
	p = mk(UDP4(V4_A, 1005, V4_B, 53, 0), 6, SEC(32));
	pkt_in(t, &p, &dir);
	flow_table_flush(t);
	assert_int_equal(r.r[r.n - 1].why, FLOW_END_FLUSH);
	assert_int_equal(st->active, 0);
	flow_table_free(t);
}

static void test_no_idle_timeout(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p = mk(UDP4(V4_A, 1001, V4_B, 53, 0), 1, SEC(0));
	pkt_in(t, &p, &dir);
	p = mk(UDP4(V4_A, 1002, V4_B, 53, 0), 2, SEC(1000000));
	pkt_in(t, &p, &dir);
	flow_table_expire(t, SEC(99999999));
	assert_int_equal(r.n, 0);
	assert_int_equal(flow_table_stats(t)->expired, 0);
	flow_table_free(t);
}

static void test_flush_order(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	flow_table_flush(t);	/* empty: nothing */
	assert_int_equal(r.n, 0);
	for (uint16_t i = 0; i < 5; i++) {
		struct pkt p = mk(UDP4(V4_A, (uint16_t)(2000 + i), V4_B, 53, 0), i + 1, SEC(i));
		pkt_in(t, &p, &dir);
	}
	/* reshuffle activity: 3, 1, 5 */
	static const uint16_t touch[] = {2002, 2000, 2004};
	for (size_t i = 0; i < 3; i++) {
		struct pkt p = mk(UDP4(V4_B, 53, V4_A, touch[i], 0), 10 + i, SEC(10 + i));
		pkt_in(t, &p, &dir);
	}
	flow_table_flush(t);
	assert_int_equal(r.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(r.r[i].id, i + 1);
		assert_int_equal(r.r[i].oport, 2000 + i);
		assert_int_equal(r.r[i].why, FLOW_END_FLUSH);
	}
	assert_int_equal(flow_table_stats(t)->active, 0);
	assert_int_equal(flow_table_stats(t)->evicted, 0);
	assert_int_equal(flow_table_stats(t)->expired, 0);
	flow_table_flush(t);
	assert_int_equal(r.n, 5);

	/* the table is usable after a flush; ids keep counting */
	struct pkt p = mk(UDP4(V4_A, 2000, V4_B, 53, 0), 20, SEC(20));
	assert_int_equal(pkt_in(t, &p, &dir)->id, 6);
	flow_table_free(t);
}

static void test_reuse(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p;
	const struct flow_stats *st = flow_table_stats(t);

	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 100, 0, 0), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 500, 101, 0), 2, SEC(1));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_ACK, 101, 501, 0), 3, SEC(1));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_FIN | TH_ACK, 101, 501, 0), 4, SEC(2));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_FIN | TH_ACK, 501, 102, 0), 5, SEC(2));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_ACK, 102, 502, 0), 6, SEC(2));
	pkt_in(t, &p, &dir);
	assert_int_equal(f->id, 1);

	/* a retransmission of the old SYN is not a new connection */
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 100, 0, 0), 7, SEC(3));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, 1);
	assert_int_equal(f->syn_retrans, 1);
	assert_int_equal(r.n, 0);

	/* a fresh ISN: the old connection ends, a new flow starts */
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 9000, 0, 0), 8, SEC(60));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].id, 1);
	assert_int_equal(r.r[0].why, FLOW_END_REUSED);
	assert_int_equal(r.r[0].pkts[0], 5);
	assert_int_equal(r.r[0].pkts[1], 2);
	assert_string_equal(r.r[0].state, "established");
	assert_int_equal(f->id, 2);
	assert_int_equal(f->syn, 1);
	assert_int_equal(f->syn_isn, 9000);
	assert_int_equal(f->syn_retrans, 0);
	assert_int_equal(f->synack, 0);
	assert_int_equal(f->fin[0], 0);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 0);
	assert_int_equal(f->first_frame, 8);
	assert_addr4(&f->orig, V4_A);
	assert_int_equal(st->created, 2);
	assert_int_equal(st->active, 1);
	assert_int_equal(st->evicted, 0);
	assert_int_equal(st->expired, 0);

	/* after a refusal */
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_SYN, 1, 0, 0), 9, SEC(61));
	f = pkt_in(t, &p, &dir);
	uint64_t id = f->id;
	p = mk(TCP4(V4_B, 135, V4_A, 49153, TH_RST | TH_ACK, 0, 2, 0), 10, SEC(61));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_SYN, 2, 0, 0), 11, SEC(62));
	f = pkt_in(t, &p, &dir);
	assert_int_not_equal(f->id, id);
	assert_int_equal(r.r[r.n - 1].id, id);
	assert_int_equal(r.r[r.n - 1].why, FLOW_END_REUSED);
	assert_string_equal(r.r[r.n - 1].state, "refused");

	/* after the orig's own RST */
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_RST, 3, 0, 0), 12, SEC(63));
	pkt_in(t, &p, &dir);
	id = f->id;
	p = mk(TCP4(V4_A, 49153, V4_B, 135, TH_SYN, 77, 0, 0), 13, SEC(64));
	f = pkt_in(t, &p, &dir);
	assert_int_not_equal(f->id, id);
	assert_int_equal(r.r[r.n - 1].why, FLOW_END_REUSED);
	flow_table_free(t);
}

static void test_no_reuse_without_syn(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	/* a mid-stream flow has no SYN to compare with: a SYN joins it */
	struct pkt p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_FIN | TH_ACK, 5, 5, 0), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	uint64_t id = f->id;
	p = mk(TCP4(V4_A, 49152, V4_B, 135, TH_SYN, 1234, 0, 0), 2, SEC(2));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, id);
	assert_int_equal(f->syn, 1);
	assert_int_equal(r.n, 0);
	/* nor does a SYN+ACK ever end a flow */
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 1, 1235, 0), 3, SEC(3));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_B, 135, V4_A, 49152, TH_SYN | TH_ACK, 99, 1235, 0), 4, SEC(4));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, id);
	assert_int_equal(f->synack, 2);
	assert_int_equal(r.n, 0);
	flow_table_free(t);
}

static void test_app_free_every_path(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 2, 10);
	int dir;
	struct pkt p;
	struct flow *f;
	size_t allocated = 0;

#define ATTACH(fl)                                                                                             \
	do {                                                                                                   \
		if (!(fl)->app) {                                                                              \
			(fl)->app = malloc(16);                                                                \
			assert_non_null((fl)->app);                                                            \
			allocated++;                                                                           \
		}                                                                                              \
	} while (0)

	/* reuse */
	p = mk(TCP4(V4_A, 1, V4_B, 2, TH_SYN, 1, 0, 0), 1, SEC(0));
	f = pkt_in(t, &p, &dir);
	ATTACH(f);
	p = mk(TCP4(V4_B, 2, V4_A, 1, TH_SYN | TH_ACK, 1, 2, 0), 2, SEC(0));
	pkt_in(t, &p, &dir);
	p = mk(TCP4(V4_A, 1, V4_B, 2, TH_SYN, 50, 0, 0), 3, SEC(0));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].why, FLOW_END_REUSED);
	assert_non_null(r.r[0].app);	/* emitted before app_free */
	assert_int_equal(r.freed, 1);
	assert_null(f->app);		/* the recycled flow starts clean */
	ATTACH(f);

	/* eviction */
	p = mk(UDP4(V4_A, 3, V4_B, 4, 0), 4, SEC(1));
	f = pkt_in(t, &p, &dir);
	ATTACH(f);
	p = mk(UDP4(V4_A, 5, V4_B, 6, 0), 5, SEC(2));
	f = pkt_in(t, &p, &dir);
	assert_null(f->app);
	ATTACH(f);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.r[1].why, FLOW_END_EVICTED);
	assert_non_null(r.r[1].app);
	assert_int_equal(r.freed, 2);

	/* idle */
	p = mk(UDP4(V4_A, 7, V4_B, 8, 0), 6, SEC(20));	/* both flows idle > 10 s */
	f = pkt_in(t, &p, &dir);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.r[2].why, FLOW_END_IDLE);
	assert_int_equal(r.r[3].why, FLOW_END_IDLE);
	assert_int_equal(r.freed, 4);
	ATTACH(f);

	/* flush */
	p = mk(UDP4(V4_A, 9, V4_B, 10, 0), 7, SEC(21));
	f = pkt_in(t, &p, &dir);
	ATTACH(f);
	flow_table_flush(t);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.freed, 6);

	/* a flow without app state: app_free is not called */
	p = mk(UDP4(V4_A, 11, V4_B, 12, 0), 8, SEC(22));
	pkt_in(t, &p, &dir);
	flow_table_flush(t);
	assert_int_equal(r.n, 7);
	assert_int_equal(r.freed, 6);

	/* free: app_free without emit */
	p = mk(UDP4(V4_A, 13, V4_B, 14, 0), 9, SEC(23));
	f = pkt_in(t, &p, &dir);
	ATTACH(f);
	p = mk(UDP4(V4_A, 15, V4_B, 16, 0), 10, SEC(23));
	f = pkt_in(t, &p, &dir);
	ATTACH(f);
	flow_table_free(t);
	assert_int_equal(r.n, 7);
	assert_int_equal(r.freed, allocated);
	assert_int_equal(allocated, 8);
#undef ATTACH
}

static void test_ipv6_flows(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 16, 0);
	int dir;
	struct pkt p = mk(TCP6(V6_A, 49152, V6_B, 445, TH_SYN, 10, 0, 0), 1, SEC(1));
	struct flow *f = pkt_in(t, &p, &dir);
	assert_int_equal(dir, 0);
	assert_addr6(&f->orig, V6_A);
	assert_addr6(&f->resp, V6_B);
	assert_int_equal(f->syn, 1);
	p = mk(TCP6(V6_B, 445, V6_A, 49152, TH_SYN | TH_ACK, 20, 11, 0), 2, SEC(1));
	assert_ptr_equal(pkt_in(t, &p, &dir), f);
	assert_int_equal(dir, 1);
	p = mk(TCP6(V6_A, 49152, V6_B, 445, TH_ACK, 11, 21, 64), 3, SEC(1));
	pkt_in(t, &p, &dir);
	assert_int_equal(f->bytes[0], 64);
	assert_string_equal(flow_state(f), "established");

	/* same ports over IPv4 are another flow */
	p = mk(TCP4(V4_A, 49152, V4_B, 445, TH_SYN, 10, 0, 0), 4, SEC(2));
	struct flow *f4 = pkt_in(t, &p, &dir);
	assert_int_not_equal(f4->id, f->id);

	/* ICMPv6 port unreachable from the host */
	const struct spec *q = UDP6(V6_A, 40000, V6_C, 53, 20);
	p = mk(q, 5, SEC(3));
	f = pkt_in(t, &p, &dir);
	uint64_t id = f->id;
	p = mk_icmp(V6_C, V6_A, 1, 4, 61, q, 6, SEC(4));
	assert_int_equal(p.q.valid, 1);
	assert_null(pkt_in(t, &p, &dir));
	p = mk(q, 7, SEC(5));
	f = pkt_in(t, &p, &dir);
	assert_int_equal(f->id, id);
	assert_int_equal(f->icmp_count, 1);
	assert_int_equal(f->icmp.family, 6);
	assert_int_equal(f->icmp.type, 1);
	assert_int_equal(f->icmp.code, 4);
	assert_int_equal(f->icmp.ttl, 61);
	assert_addr6(&f->icmp.from, V6_C);
	assert_string_equal(flow_state(f), "icmp-error");

	/* ICMPv6 creating a flow, quoting a fragmented datagram's first fragment */
	struct spec fq = *UDP6(V6_A, 40001, V6_B, 2049, 100);
	fq.mf = 1;
	p = mk_icmp(V6_R, V6_A, 3, 0, 60, &fq, 8, SEC(6));
	assert_int_equal(p.q.has_ports, 1);
	pkt_in(t, &p, &dir);
	assert_int_equal(flow_table_stats(t)->icmp_new, 1);
	assert_int_equal(flow_table_stats(t)->icmp_attributed, 1);

	flow_table_flush(t);
	assert_int_equal(r.n, 4);
	assert_addr6(&r.r[3].orig, V6_A);
	assert_int_equal(r.r[3].oport, 40001);
	assert_string_equal(r.r[3].state, "icmp-error");
	flow_table_free(t);
}

/* More flows than one slab and than the initial bucket count. */
static void test_many_flows(void **state)
{
	(void)state;
	static struct recorder r;
	struct flow_table *t = table(&r, 10000, 0);
	int dir;
	for (uint32_t i = 0; i < 10000; i++) {
		uint8_t a[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
		struct pkt p = mk(TCP4(a, 50000, V4_B, 135, TH_SYN, i, 0, 0), i + 1, SEC(1));
		struct flow *f = pkt_in(t, &p, &dir);
		assert_int_equal(f->id, i + 1);
	}
	/* every flow is still found */
	for (uint32_t i = 0; i < 10000; i += 7) {
		uint8_t a[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
		struct pkt p = mk(TCP4(V4_B, 135, a, 50000, TH_SYN | TH_ACK, 1, i + 1, 0), 20000 + i, SEC(2));
		struct flow *f = pkt_in(t, &p, &dir);
		assert_int_equal(f->id, i + 1);
		assert_int_equal(dir, 1);
	}
	const struct flow_stats *st = flow_table_stats(t);
	assert_int_equal(st->created, 10000);
	assert_int_equal(st->active, 10000);
	assert_int_equal(st->evicted, 0);
	flow_table_flush(t);
	assert_int_equal(st->active, 0);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bad_options),
		cmocka_unit_test(test_orient_syn),
		cmocka_unit_test(test_orient_synack_first),
		cmocka_unit_test(test_orient_midstream),
		cmocka_unit_test(test_orient_udp),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_syn_retransmission),
		cmocka_unit_test(test_rst_each_way),
		cmocka_unit_test(test_fin),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_icmp_attribution_existing),
		cmocka_unit_test(test_icmp_toward_orig),
		cmocka_unit_test(test_icmp_creates_flow),
		cmocka_unit_test(test_icmp_not_attributed),
		cmocka_unit_test(test_non_flow_packets),
		cmocka_unit_test(test_fragment_flag),
		cmocka_unit_test(test_distinct_tuples),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_eviction_many),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_no_idle_timeout),
		cmocka_unit_test(test_flush_order),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_no_reuse_without_syn),
		cmocka_unit_test(test_app_free_every_path),
		cmocka_unit_test(test_ipv6_flows),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_prehash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
