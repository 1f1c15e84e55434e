/* \summary: unit tests for the probe engine: port lists, probe packets built with libnet,
 * answer matching (SYN-ACK, RST, ICMP/ICMPv6 errors quoting our probes, UDP and
 * responder answers), the ICMP verdict table, and the UDP payloads */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "probe.h"
#include "probe_int.h"
#include "pktbuild.h"

/* ---- port lists -------------------------------------------------------------------- */

static void test_ports_mixed(void **state)
{
	(void)state;
	struct probe_port *p;
	size_t n;
	char err[160];
	assert_int_equal(probe_ports_parse("T:135,45001,U:135,1024-1030", &p, &n, err, sizeof err), 0);
	assert_int_equal(n, 10);
	assert_int_equal(p[0].proto, 6);
	assert_int_equal(p[0].port, 135);
	assert_int_equal(p[1].proto, 6);
	assert_int_equal(p[1].port, 45001);
	assert_int_equal(p[2].proto, 17);
	assert_int_equal(p[2].port, 135);
	for (size_t i = 3; i < 10; i++) {
		assert_int_equal(p[i].proto, 17);
		assert_int_equal(p[i].port, 1024 + (i - 3));
	}
	free(p);
}

static void test_ports_default_tcp_dups_case(void **state)
{
	(void)state;
	struct probe_port *p;
	size_t n;
	char err[160];
	/* no prefix: TCP; duplicates dropped, order kept; u:/udp:/tcp: accepted */
	assert_int_equal(probe_ports_parse("80,443,80,udp:53,u:53,tcp:80,t:8,0-1", &p, &n, err, sizeof err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(p[0].port, 80);
	assert_int_equal(p[0].proto, 6);
	assert_int_equal(p[1].port, 443);
	assert_int_equal(p[2].port, 53);
	assert_int_equal(p[2].proto, 17);
	assert_int_equal(p[3].port, 8);
	assert_int_equal(p[3].proto, 6);
	assert_int_equal(p[4].port, 0);
	assert_int_equal(p[5].port, 1);
	free(p);
	assert_int_equal(probe_ports_parse("0-65535", &p, &n, err, sizeof err), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(p[65535].port, 65535);
	free(p);
}

static void test_ports_errors(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *want;
	} bad[] = {
		{"", "empty port list"},
		{"T:", "empty item"},
		{"135,,136", "empty item"},
		{"135,", "empty item"},
		{"X:135", "unknown protocol prefix"},
		{"70000", "not a port number"},
		{"abc", "not a port number"},
		{"-5", "a range is"},
		{"5-", "a range is"},
		{"9-3", "backwards"},
		{"1-2-3", "a range is"},
		{"U:1,T:65536", "'65536'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct probe_port *p = (struct probe_port *)1;
		size_t n = 99;
		char err[160] = "";
		assert_int_equal(probe_ports_parse(bad[i].spec, &p, &n, err, sizeof err), -1);
		assert_null(p);
		assert_int_equal(n, 0);
		if (!strstr(err, bad[i].want))
			fail_msg("spec '%s': error '%s' does not contain '%s'", bad[i].spec, err, bad[i].want);
	}
}

/* ---- responder datagrams ------------------------------------------------------------- */

static void test_responder_datagram(void **state)
{
	(void)state;
	uint8_t b[PROBE_RESP_LEN];
	assert_int_equal(probe_resp_build(b, PROBE_RESP_T_PROBE, 50123, 0x0102030405060708ull), 16);
	static const uint8_t want[16] = {'R', 'W', 'P', 'R', 1, 1, 0xc3, 0xcb, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(b, want, 16);
	uint8_t t;
	uint16_t port;
	uint64_t nonce;
	assert_int_equal(probe_resp_parse(b, 16, &t, &port, &nonce), 1);
	assert_int_equal(t, PROBE_RESP_T_PROBE);
	assert_int_equal(port, 50123);
	assert_true(nonce == 0x0102030405060708ull);
	assert_int_equal(probe_resp_parse(b, 15, &t, &port, &nonce), 0);	/* short */
	b[4] = 2;
	assert_int_equal(probe_resp_parse(b, 16, &t, &port, &nonce), 0);	/* version */
	b[4] = 1;
	b[5] = 3;
	assert_int_equal(probe_resp_parse(b, 16, &t, &port, &nonce), 0);	/* type */
	b[5] = 2;
	b[0] = 'X';
	assert_int_equal(probe_resp_parse(b, 16, &t, &port, &nonce), 0);	/* magic */
}

/* ---- probe packets and answers ------------------------------------------------------- */

struct fixture {
	struct probe_target tg[4];
	struct probe_match m;
	struct addr me, router;
};

/* targets: 0 TCP 198.18.0.2:135, 1 TCP 198.18.0.2:445, 2 UDP 198.18.0.2:50123, 3 UDP 198.18.0.2:135 */
static void fx_init(struct fixture *f, int v6)
{
	memset(f, 0, sizeof *f);
	struct addr dst;
	if (v6) {
		addr_set6(&f->me, V6_A);
		addr_set6(&dst, V6_B);
		addr_set6(&f->router, V6_R);
	} else {
		addr_set4(&f->me, V4_A);
		addr_set4(&dst, V4_B);
		addr_set4(&f->router, V4_R);
	}
	static const uint8_t pr[4] = {6, 6, 17, 17};
	static const uint16_t po[4] = {135, 445, 50123, 135};
	for (int i = 0; i < 4; i++) {
		f->tg[i].dst = dst;
		f->tg[i].proto = pr[i];
		f->tg[i].port = po[i];
	}
	f->m.key.k0 = 0x1122334455667788ull;
	f->m.key.k1 = 0x99aabbccddeeff00ull;
	f->m.src = f->me;
	f->m.tg = f->tg;
	f->m.n = 4;
	f->m.tcp_sport = 61234;
	f->m.udp_base = 63100;
	f->m.udp_span = 2;
}

/* Build probe i with libnet (no injection) and return its bytes (IP header on). */
static size_t build_probe(const struct fixture *f, size_t i, uint32_t try_no, uint8_t *out, size_t cap)
{
	char eb[LIBNET_ERRBUF_SIZE];
	libnet_t *l = libnet_init(LIBNET_NONE, NULL, eb);
	assert_non_null(l);
	int tags[3] = {0, 0, 0};
	const struct probe_target *t = &f->tg[i];
	uint8_t pl[160];
	size_t plen = 0;
	uint16_t sport = f->m.tcp_sport;
	uint32_t seq = 0;
	if (t->proto == 6) {
		seq = probe_tcp_seq(&f->m, &t->dst, t->port, (uint32_t)i, try_no);
	} else {
		sport = probe_udp_sport(&f->m, (uint32_t)i);
		plen = probe_udp_payload(NULL, t->port, probe_nonce(&f->m.key, &t->dst, t->port, (uint32_t)i),
					 (uint32_t)i, pl, sizeof pl);
	}
	assert_int_equal(probe_build(l, tags, &f->me, &t->dst, t->proto, sport, t->port, seq, pl, plen), 0);
	uint8_t *pkt;
	uint32_t len;
	assert_int_equal(libnet_pblock_coalesce(l, &pkt, &len), 1);
	assert_true(len <= cap);
	memcpy(out, pkt, len);
	libnet_adv_free_packet(l, pkt);
	libnet_destroy(l);
	return len;
}

/* Internet checksum over the L4 pseudo header + segment must come out 0. */
static uint16_t l4_sum(const uint8_t *ip, size_t len)
{
	uint32_t s = 0;
	size_t hl, l4;
	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 15) * 4;
		l4 = len - hl;
		for (int k = 12; k < 20; k += 2)
			s += (uint32_t)(ip[k] << 8 | ip[k + 1]);
		s += ip[9];
	} else {
		hl = 40;
		l4 = len - hl;
		for (int k = 8; k < 40; k += 2)
			s += (uint32_t)(ip[k] << 8 | ip[k + 1]);
		s += ip[6];
	}
	s += (uint32_t)l4;
	for (size_t k = 0; k < l4; k += 2)
		s += (uint32_t)(ip[hl + k] << 8 | (k + 1 < l4 ? ip[hl + k + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void check_built(int v6)
{
	struct fixture f;
	fx_init(&f, v6);
	uint8_t b[512];
	/* TCP SYN */
	size_t n = build_probe(&f, 1, 2, b, sizeof b);
	struct pb pb;
	pb_init(&pb);
	pb_bytes(&pb, b, n);
	struct dec d = {0};
	assert_int_equal(pb_decode(&d, DLT_RAW, &pb), DEC_OK);
	assert_int_equal(d.p.ipver, v6 ? 6 : 4);
	assert_int_equal(d.p.proto, PROTO_TCP);
	assert_int_equal(d.p.ttl, 64);
	assert_true(addr_eq(&d.p.src, &f.me));
	assert_true(addr_eq(&d.p.dst, &f.tg[1].dst));
	assert_int_equal(d.p.sport, 61234);
	assert_int_equal(d.p.dport, 445);
	assert_int_equal(d.p.tcp_flags, TH_SYN);
	assert_int_equal(d.p.win, 1024);
	assert_int_equal(d.p.seq, probe_tcp_seq(&f.m, &f.tg[1].dst, 445, 1, 2));
	assert_int_equal(n, (v6 ? 40u : 20u) + 24u);	/* 20-byte TCP header + MSS option */
	assert_int_equal(l4_sum(b, n), 0);
	/* our own probe is not an answer */
	struct probe_answer a;
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	/* UDP with the responder payload */
	n = build_probe(&f, 2, 0, b, sizeof b);
	pb_init(&pb);
	pb_bytes(&pb, b, n);
	assert_int_equal(pb_decode(&d, DLT_RAW, &pb), DEC_OK);
	assert_int_equal(d.p.proto, PROTO_UDP);
	assert_int_equal(d.p.sport, 63100);	/* udp_base + 2 % 2 */
	assert_int_equal(d.p.dport, 50123);
	assert_int_equal(d.p.payload_len, PROBE_RESP_LEN);
	uint8_t t;
	uint16_t port;
	uint64_t nonce;
	assert_int_equal(probe_resp_parse(d.p.payload, d.p.payload_caplen, &t, &port, &nonce), 1);
	assert_int_equal(t, PROBE_RESP_T_PROBE);
	assert_int_equal(port, 50123);
	assert_true(nonce == probe_nonce(&f.m.key, &f.tg[2].dst, 50123, 2));
	assert_int_equal(l4_sum(b, n), 0);
	/* UDP 135: the DCE/RPC request */
	n = build_probe(&f, 3, 0, b, sizeof b);
	pb_init(&pb);
	pb_bytes(&pb, b, n);
	assert_int_equal(pb_decode(&d, DLT_RAW, &pb), DEC_OK);
	assert_int_equal(d.p.sport, 63101);
	assert_int_equal(d.p.payload_len, 120);
	assert_int_equal(d.p.payload[0], 4);
	pb_dec_free(&d);
}

static void test_build_v4(void **state) { (void)state; check_built(0); }
static void test_build_v6(void **state) { (void)state; check_built(1); }

/* An answer from `from` to us, Ethernet framed. */
static void answer_tcp(struct pb *b, int v6, const struct addr *from, const struct addr *to, uint16_t sport,
		       uint16_t dport, uint32_t ack, uint8_t flags, uint8_t ttl)
{
	pb_init(b);
	pb_eth(b, v6 ? 0x86dd : 0x0800);
	size_t ip = v6 ? pb_ipv6(b, PROTO_TCP, ttl, from->a, to->a) : pb_ipv4(b, PROTO_TCP, ttl, from->a, to->a, 0);
	pb_tcp(b, sport, dport, 0x55aa55aau, ack, flags, 29200, NULL, 0);
	if (v6)
		pb_ipv6_end(b, ip);
	else
		pb_ipv4_end(b, ip);
}

static void check_tcp_answers(int v6)
{
	struct fixture f;
	fx_init(&f, v6);
	struct pb b;
	struct dec d = {0};
	struct probe_answer a;
	const struct addr *tgt = &f.tg[0].dst;
	uint32_t s0 = probe_tcp_seq(&f.m, tgt, 135, 0, 0), s1 = probe_tcp_seq(&f.m, tgt, 445, 1, 1);

	answer_tcp(&b, v6, tgt, &f.me, 135, 61234, s0 + 1, TH_SYN | TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.index, 0);
	assert_int_equal(a.try_no, 0);
	assert_int_equal(a.state, PS_OPEN);
	assert_string_equal(a.reason, "syn-ack");
	assert_true(addr_eq(&a.by, tgt));
	assert_int_equal(a.ttl, 63);

	answer_tcp(&b, v6, tgt, &f.me, 445, 61234, s1 + 1, TH_RST | TH_ACK, 64);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.index, 1);
	assert_int_equal(a.try_no, 1);
	assert_int_equal(a.state, PS_CLOSED);
	assert_string_equal(a.reason, "reset");

	/* not ours: wrong ack, wrong port pair, wrong source, wrong destination, no ACK, bare ACK */
	answer_tcp(&b, v6, tgt, &f.me, 135, 61234, s0 + 2, TH_SYN | TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, tgt, &f.me, 445, 61234, s0 + 1, TH_SYN | TH_ACK, 63);	/* seq of 135 on 445 */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, tgt, &f.me, 135, 61235, s0 + 1, TH_SYN | TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, &f.router, &f.me, 135, 61234, s0 + 1, TH_SYN | TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, tgt, &f.router, 135, 61234, s0 + 1, TH_SYN | TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, tgt, &f.me, 135, 61234, s0 + 1, TH_RST, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	answer_tcp(&b, v6, tgt, &f.me, 135, 61234, s0 + 1, TH_ACK, 63);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	pb_dec_free(&d);
}

static void test_tcp_answers_v4(void **state) { (void)state; check_tcp_answers(0); }
static void test_tcp_answers_v6(void **state) { (void)state; check_tcp_answers(1); }

/* An ICMP(v6) error from `from` quoting the first `quote` bytes of probe i. */
static void icmp_error(struct pb *b, const struct fixture *f, int v6, const struct addr *from, uint8_t type,
		       uint8_t code, size_t i, size_t quote)
{
	uint8_t probe[512];
	size_t n = build_probe(f, i, 1, probe, sizeof probe);
	if (quote > n)
		quote = n;
	pb_init(b);
	pb_eth(b, v6 ? 0x86dd : 0x0800);
	size_t ip = v6 ? pb_ipv6(b, PROTO_ICMP6, 64, from->a, f->me.a) : pb_ipv4(b, PROTO_ICMP, 64, from->a, f->me.a, 0);
	pb_icmp(b, type, code, 0);
	pb_bytes(b, probe, quote);
	if (v6)
		pb_ipv6_end(b, ip);
	else
		pb_ipv4_end(b, ip);
}

static void test_icmp_answers(void **state)
{
	(void)state;
	struct fixture f;
	struct pb b;
	struct dec d = {0};
	struct probe_answer a;
	static const struct {
		int v6;
		uint8_t type, code;
		size_t probe;
		enum probe_state st;
		const char *reason;
	} cases[] = {
		{0, 3, 13, 0, PS_FILTERED, "admin-prohibited"},
		{0, 3, 10, 1, PS_FILTERED, "host-prohibited"},
		{0, 3, 9, 1, PS_FILTERED, "net-prohibited"},
		{0, 3, 1, 0, PS_UNREACHABLE, "host-unreach"},
		{0, 3, 0, 0, PS_UNREACHABLE, "net-unreach"},
		{0, 3, 3, 0, PS_FILTERED, "port-unreach"},	/* TCP: nmap says filtered */
		{0, 3, 3, 2, PS_CLOSED, "port-unreach"},	/* UDP: closed */
		{0, 3, 13, 3, PS_FILTERED, "admin-prohibited"},
		{0, 11, 0, 1, PS_FILTERED, "time-exceeded"},
		{1, 1, 1, 0, PS_FILTERED, "admin-prohibited"},
		{1, 1, 4, 2, PS_CLOSED, "port-unreach"},
		{1, 1, 3, 1, PS_UNREACHABLE, "host-unreach"},
		{1, 1, 0, 3, PS_UNREACHABLE, "no-route"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		fx_init(&f, cases[k].v6);
		icmp_error(&b, &f, cases[k].v6, &f.router, cases[k].type, cases[k].code, cases[k].probe, 512);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		if (probe_match_pkt(&f.m, &d.p, &a) != 1)
			fail_msg("case %zu: ICMP %u/%u not matched", k, cases[k].type, cases[k].code);
		assert_int_equal(a.index, cases[k].probe);
		assert_int_equal(a.state, cases[k].st);
		assert_string_equal(a.reason, cases[k].reason);
		assert_true(addr_eq(&a.by, &f.router));
		assert_int_equal(a.ttl, 64);
	}
	/* RFC 792 minimum quote (IP header + 8 bytes) is enough for TCP (seq) and UDP */
	fx_init(&f, 0);
	icmp_error(&b, &f, 0, &f.router, 3, 13, 1, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.index, 1);
	/* 4 bytes of TCP: no sequence number, no attribution */
	icmp_error(&b, &f, 0, &f.router, 3, 13, 1, 24);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	/* a quote of someone else's packet (source is not us) */
	icmp_error(&b, &f, 0, &f.router, 3, 13, 0, 512);
	b.b[14 + 20 + 8 + 12] ^= 1;	/* quoted source address */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	/* echo reply / redirect-free: not errors we use */
	icmp_error(&b, &f, 0, &f.router, 5, 1, 0, 512);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	pb_dec_free(&d);
}

static void udp_answer(struct pb *b, const struct fixture *f, uint16_t sport, uint16_t dport, const uint8_t *pl,
		       size_t plen)
{
	pb_init(b);
	pb_eth(b, 0x0800);
	size_t ip = pb_ipv4(b, PROTO_UDP, 63, f->tg[2].dst.a, f->me.a, 0);
	size_t u = pb_udp(b, sport, dport);
	pb_bytes(b, pl, plen);
	pb_udp_end(b, u);
	pb_ipv4_end(b, ip);
}

static void test_udp_answers(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f, 0);
	struct pb b;
	struct dec d = {0};
	struct probe_answer a;
	uint8_t pl[PROBE_RESP_LEN];
	uint64_t nonce = probe_nonce(&f.m.key, &f.tg[2].dst, 50123, 2);

	probe_resp_build(pl, PROBE_RESP_T_ANSWER, 50123, nonce);
	udp_answer(&b, &f, 50123, 63100, pl, sizeof pl);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.index, 2);
	assert_int_equal(a.state, PS_OPEN);
	assert_string_equal(a.reason, "responder-echo");
	assert_int_equal(a.spoofed, 0);

	/* wrong nonce: flagged, not a verdict */
	probe_resp_build(pl, PROBE_RESP_T_ANSWER, 50123, nonce ^ 1);
	udp_answer(&b, &f, 50123, 63100, pl, sizeof pl);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.spoofed, 1);
	/* our probe reflected back (type 1) is not an answer either */
	probe_resp_build(pl, PROBE_RESP_T_PROBE, 50123, nonce);
	udp_answer(&b, &f, 50123, 63100, pl, sizeof pl);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.spoofed, 1);

	/* any other datagram from the port: open, udp-response (a DCE/RPC answer on 135) */
	static const uint8_t dce[8] = {4, 2, 0, 0, 0x10, 0, 0, 0};
	udp_answer(&b, &f, 135, 63101, dce, sizeof dce);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 1);
	assert_int_equal(a.index, 3);
	assert_string_equal(a.reason, "udp-response");

	/* wrong source port for that destination port, port outside our range */
	udp_answer(&b, &f, 135, 63100, dce, sizeof dce);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	udp_answer(&b, &f, 135, 63102, dce, sizeof dce);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(probe_match_pkt(&f.m, &d.p, &a), 0);
	pb_dec_free(&d);
}

/* Many probes: every index maps back from its sequence number / source port. */
static void test_index_roundtrip(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct probe_target *tg = calloc(N, sizeof *tg);
	assert_non_null(tg);
	struct addr dst, me;
	addr_set4(&dst, V4_B);
	addr_set4(&me, V4_A);
	for (size_t i = 0; i < N; i++) {
		tg[i].dst = dst;
		tg[i].proto = i % 3 ? 6 : 17;
		tg[i].port = (uint16_t)(1 + i / 2);	/* TCP and UDP share ports, some twice */
	}
	struct probe_match m = {{0xdeadbeef, 0xfeedface}, me, tg, N, 61500, 63200, 1000};
	for (uint32_t i = 0; i < N; i++) {
		struct pkt p;
		memset(&p, 0, sizeof p);
		p.status = DEC_OK;
		p.has_l4 = 1;
		p.ipver = 4;
		p.src = dst;
		p.dst = me;
		p.proto = tg[i].proto;
		p.sport = tg[i].port;
		if (tg[i].proto == 6) {
			p.dport = m.tcp_sport;
			p.tcp_flags = TH_RST | TH_ACK;
			p.ack = probe_tcp_seq(&m, &dst, tg[i].port, i, 3) + 1;
		} else {
			p.dport = probe_udp_sport(&m, i);
		}
		struct probe_answer a;
		assert_int_equal(probe_match_pkt(&m, &p, &a), 1);
		assert_int_equal(a.index, i);
		if (tg[i].proto == 6)
			assert_int_equal(a.try_no, 3);
	}
	free(tg);
}

static void test_dcerpc_cl_payload(void **state)
{
	(void)state;
	uint8_t b[160], act[16];
	for (int i = 0; i < 16; i++)
		act[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(probe_dcerpc_cl_lookup(b, 119, act, 7), 0);	/* too small */
	assert_int_equal(probe_dcerpc_cl_lookup(b, sizeof b, act, 7), 120);
	assert_int_equal(b[0], 4);	/* CL version */
	assert_int_equal(b[1], 0);	/* request */
	assert_int_equal(b[4], 0x10);	/* little-endian */
	static const uint8_t epm_le[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
					    0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa};
	assert_memory_equal(b + 24, epm_le, 16);	/* rpc-facts 1.2: EPM on the wire */
	assert_memory_equal(b + 40, act, 16);
	assert_int_equal(b[60], 3);	/* if_version 3.0 */
	assert_int_equal(b[64], 7);	/* seqnum */
	assert_int_equal(b[68], 2);	/* opnum ept_lookup */
	assert_int_equal(b[74], 40);	/* body length */
	assert_int_equal(b[80 + 12], 1);	/* vers_option */
	assert_int_equal(b[80 + 36], 1);	/* max_ents */
	/* 135 gets it, others the responder datagram, or nothing below the hint */
	struct probe_opts o;
	probe_opts_init(&o);
	assert_int_equal(probe_udp_payload(&o, 135, 1, 0, b, sizeof b), 120);
	assert_int_equal(probe_udp_payload(&o, 500, 1, 0, b, sizeof b), PROBE_RESP_LEN);
	o.responder_port_hint = 1024;
	assert_int_equal(probe_udp_payload(&o, 500, 1, 0, b, sizeof b), 0);
	assert_int_equal(probe_udp_payload(&o, 1024, 1, 0, b, sizeof b), PROBE_RESP_LEN);
}

static void test_state_names_and_defaults(void **state)
{
	(void)state;
	assert_string_equal(probe_state_name(PS_OPEN), "open");
	assert_string_equal(probe_state_name(PS_CLOSED), "closed");
	assert_string_equal(probe_state_name(PS_FILTERED), "filtered");
	assert_string_equal(probe_state_name(PS_OPEN_FILTERED), "open|filtered");
	assert_string_equal(probe_state_name(PS_UNREACHABLE), "unreachable");
	assert_string_equal(probe_state_name(PS_ERROR), "error");
	struct probe_opts o;
	probe_opts_init(&o);
	assert_int_equal(o.rate_pps, 10000);
	assert_int_equal(o.retries, 1);
	assert_int_equal(o.wait_ms, 1000);
	/* bad targets are a runtime error before anything is sent */
	struct probe_target t;
	memset(&t, 0, sizeof t);
	addr_set4(&t.dst, V4_B);
	t.proto = 1;
	struct probe_result r;
	char err[128];
	assert_int_equal(probe_run(&o, &t, 1, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "neither TCP"));
	assert_int_equal(probe_run(&o, &t, 0, &r, err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_mixed),
		cmocka_unit_test(test_ports_default_tcp_dups_case),
		cmocka_unit_test(test_ports_errors),
		cmocka_unit_test(test_responder_datagram),
		cmocka_unit_test(test_build_v4),
		cmocka_unit_test(test_build_v6),
		cmocka_unit_test(test_tcp_answers_v4),
		cmocka_unit_test(test_tcp_answers_v6),
		cmocka_unit_test(test_icmp_answers),
		cmocka_unit_test(test_udp_answers),
		cmocka_unit_test(test_index_roundtrip),
		cmocka_unit_test(test_dcerpc_cl_payload),
		cmocka_unit_test(test_state_names_and_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
