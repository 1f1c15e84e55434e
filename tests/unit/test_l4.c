/* \summary: unit tests for the L4 decoders (src/tcp.c udp.c icmp.c icmp6.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "pktbuild.h"

/* ---- TCP ------------------------------------------------------------------------------- */

/* Ethernet + IPv4 + TCP 198.18.0.1:49152 -> 198.18.0.2:135; returns the TCP offset. */
static size_t eth4_tcp(struct pb *b, uint8_t flags, const uint8_t *opts, size_t optlen, size_t paylen)
{
	pb_init(b);
	pb_eth(b, 0x0800);
	size_t ip = pb_ipv4(b, PROTO_TCP, 64, V4_A, V4_B, 0);
	size_t t = pb_tcp(b, 49152, 135, 0xfedcba98u, 0x01234567u, flags, 29200, opts, optlen);
	pb_pattern(b, 0xc0, paylen);
	pb_ipv4_end(b, ip);
	return t;
}

static void test_tcp_fields_and_flags(void **state)
{
	(void)state;
	static const uint8_t flags[] = {TH_SYN,
					TH_SYN | TH_ACK,
					TH_ACK,
					TH_FIN | TH_PUSH | TH_ACK,
					TH_RST,
					TH_RST | TH_ACK,
					TH_URG | TH_ECE | TH_CWR,
					0,
					0xff};
	struct pb b;
	struct dec d = {0};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		eth4_tcp(&b, flags[i], NULL, 0, 0);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.has_l4, 1);
		assert_int_equal(d.p.tcp_flags, flags[i]);
		assert_int_equal(d.p.sport, 49152);
		assert_int_equal(d.p.dport, 135);
		assert_int_equal(d.p.seq, 0xfedcba98u);
		assert_int_equal(d.p.ack, 0x01234567u);
		assert_int_equal(d.p.win, 29200);
		assert_int_equal(d.p.l4_clamped, 0);
		assert_int_equal(d.p.payload_len, 0);
		assert_int_equal(d.p.icmp_is_error, 0);
	}
	pb_dec_free(&d);
}

static void test_tcp_options_skipped(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t t = eth4_tcp(&b, TH_SYN, TCP_SYN_OPTS, 20, 10);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.l4_len, 50);
	assert_int_equal(pb_payload_off(&d), t + 40);
	assert_int_equal(d.p.payload_len, 10);
	assert_int_equal(d.p.payload_caplen, 10);
	assert_memory_equal(d.p.payload, b.b + t + 40, 10);
	assert_int_equal(d.p.payload[0], 0xc0);
	assert_int_equal(d.p.payload[9], 0xc9);

	/* 40 bytes of options (maximum) */
	uint8_t nops[40];
	memset(nops, 1, sizeof nops);
	t = eth4_tcp(&b, TH_ACK, nops, 40, 1);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(pb_payload_off(&d), t + 60);
	assert_int_equal(d.p.payload_len, 1);
	pb_dec_free(&d);
}

static void test_tcp_doff_too_small(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	for (uint8_t w = 0; w < 5; w++) {
		size_t t = eth4_tcp(&b, TH_SYN, NULL, 0, 20);
		pb_tcp_doff(&b, t, w);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_TCP);
		assert_int_equal(d.p.has_l4, 0);
	}
	pb_dec_free(&d);
}

static void test_tcp_doff_beyond_segment(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	/* 15 words = 60 bytes, but the segment is 20 + 10 */
	size_t t = eth4_tcp(&b, TH_ACK, NULL, 0, 10);
	pb_tcp_doff(&b, t, 15);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_TCP);

	/* 6 words: invalid with 23 declared bytes, fine with 24 */
	t = eth4_tcp(&b, TH_ACK, NULL, 0, 3);
	pb_tcp_doff(&b, t, 6);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_TCP);
	t = eth4_tcp(&b, TH_ACK, NULL, 0, 4);
	pb_tcp_doff(&b, t, 6);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.payload_len, 0);

	/* the doff check uses the declared length: trailing Ethernet bytes do not help */
	t = eth4_tcp(&b, TH_ACK, NULL, 0, 0);
	pb_fill(&b, 0, 20);
	pb_tcp_doff(&b, t, 10);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_TCP);
	pb_dec_free(&d);
}

static void test_tcp_options_cut_by_snaplen(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t t = eth4_tcp(&b, TH_SYN, TCP_SYN_OPTS, 20, 100);
	for (size_t cut = 20; cut < 40; cut++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, t + cut), DEC_OK);
		assert_int_equal(d.p.has_l4, 1);
		assert_int_equal(d.p.l4_clamped, 1);
		assert_int_equal(d.p.ip_clamped, 1);
		assert_int_equal(d.p.tcp_flags, TH_SYN);
		assert_int_equal(d.p.seq, 0xfedcba98u);
		assert_int_equal(d.p.win, 29200);
		assert_int_equal(d.p.payload_len, 100);
		assert_int_equal(d.p.payload_caplen, 0);
	}
	pb_dec_free(&d);
}

static void test_tcp_payload_cut_by_snaplen(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t t = eth4_tcp(&b, TH_ACK | TH_PUSH, TCP_SYN_OPTS, 12, 200);
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, t + 32 + 50), DEC_OK);
	assert_int_equal(d.p.l4_clamped, 1);
	assert_int_equal(d.p.payload_len, 200);
	assert_int_equal(d.p.payload_caplen, 50);
	assert_int_equal(pb_payload_off(&d), t + 32);
	assert_int_equal(d.p.payload[49], (uint8_t)(0xc0 + 49));

	/* cut exactly after the header */
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, t + 32), DEC_OK);
	assert_int_equal(d.p.payload_caplen, 0);
	assert_int_equal(d.p.payload_len, 200);
	assert_int_equal(d.p.l4_clamped, 1);

	/* the whole frame */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.l4_clamped, 0);
	assert_int_equal(d.p.payload_caplen, 200);
	pb_dec_free(&d);
}

static void test_tcp_header_short(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t t = eth4_tcp(&b, TH_SYN, NULL, 0, 0);
	/* snaplen: truncated */
	for (size_t cut = 0; cut < 20; cut++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, t + cut), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_TCP);
		assert_int_equal(d.p.has_l4, 0);
	}
	/* declared too short: invalid */
	pb_ipv4_tot(&b, ETH_HLEN, 20 + 19);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_TCP);
	pb_dec_free(&d);
}

/* ---- UDP ------------------------------------------------------------------------------------ */

static size_t eth4_udp(struct pb *b, size_t paylen, size_t trailing)
{
	pb_init(b);
	pb_eth(b, 0x0800);
	size_t ip = pb_ipv4(b, PROTO_UDP, 64, V4_A, V4_B, 0);
	size_t u = pb_udp(b, 40000, 135);
	pb_pattern(b, 0x20, paylen);
	pb_udp_end(b, u);
	pb_fill(b, 0xdd, trailing);	/* inside the IP datagram, after the UDP datagram */
	pb_ipv4_end(b, ip);
	return u;
}

static void test_udp_payload(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t u = eth4_udp(&b, 24, 0);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 40000);
	assert_int_equal(d.p.dport, 135);
	assert_int_equal(d.p.payload_len, 24);
	assert_int_equal(d.p.payload_caplen, 24);
	assert_int_equal(pb_payload_off(&d), u + 8);
	assert_memory_equal(d.p.payload, b.b + u + 8, 24);
	assert_int_equal(d.p.l4_clamped, 0);

	/* empty payload */
	eth4_udp(&b, 0, 0);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.payload_len, 0);
	assert_int_equal(d.p.payload_caplen, 0);
	pb_dec_free(&d);
}

static void test_udp_len_too_small(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	for (uint16_t len = 1; len < 8; len++) {
		size_t u = eth4_udp(&b, 16, 0);
		pb_udp_len(&b, u, len);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_UDP);
		assert_int_equal(d.p.has_l4, 0);
	}
	pb_dec_free(&d);
}

static void test_udp_len_vs_ip_payload(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	/* longer than the IP payload: invalid */
	size_t u = eth4_udp(&b, 16, 0);
	pb_udp_len(&b, u, 25);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_UDP);
	pb_udp_len(&b, u, 0xffff);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);

	/* shorter: the UDP length wins, the IP payload's tail is not UDP payload */
	u = eth4_udp(&b, 10, 6);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.l4_len, 24);
	assert_int_equal(d.p.payload_len, 10);
	assert_int_equal(d.p.payload_caplen, 10);

	/* exactly 8: header only */
	pb_udp_len(&b, u, 8);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.payload_len, 0);
	pb_dec_free(&d);
}

static void test_udp_cut_by_snaplen(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	size_t u = eth4_udp(&b, 100, 0);
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, u + 8 + 33), DEC_OK);
	assert_int_equal(d.p.payload_len, 100);
	assert_int_equal(d.p.payload_caplen, 33);
	assert_int_equal(d.p.l4_clamped, 1);
	for (size_t cut = 0; cut < 8; cut++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, u + cut), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_UDP);
	}
	pb_dec_free(&d);
}

static void test_udp_ipv6_jumbo_len0(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_jumbo(&b, PROTO_UDP, 100000);
	size_t u = pb_udp(&b, 2000, 3000);
	pb_pattern(&b, 1, 300);
	pb_udp_len(&b, u, 0);
	pb_ipv6_plen(&b, ip, 0);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 2000);
	assert_int_equal(d.p.dport, 3000);
	assert_int_equal(d.p.payload_len, 300);
	assert_int_equal(d.p.payload_caplen, 300);
	assert_int_equal(pb_payload_off(&d), u + 8);
	pb_dec_free(&d);
}

/* ---- ICMP ------------------------------------------------------------------------------------- */

#define Q_SEQ 0x11223344u

/* The offending packet: IPv4 198.18.0.1:49152 -> 198.18.0.2:135 TCP SYN with options. */
static void orig_v4_tcp(struct pb *o, size_t ipopt)
{
	pb_init(o);
	size_t ip = pb_ipv4(o, PROTO_TCP, 63, V4_A, V4_B, ipopt);
	pb_tcp(o, 49152, 135, Q_SEQ, 0, TH_SYN, 64240, TCP_SYN_OPTS, 20);
	pb_ipv4_end(o, ip);
}

static void orig_v4_udp(struct pb *o)
{
	pb_init(o);
	size_t ip = pb_ipv4(o, PROTO_UDP, 63, V4_A, V4_B, 0);
	size_t u = pb_udp(o, 40000, 53);
	pb_pattern(o, 0, 30);
	pb_udp_end(o, u);
	pb_ipv4_end(o, ip);
}

/* Ethernet + IPv4 198.19.255.254 -> 198.18.0.1 ICMP error quoting `qlen` bytes of `orig`. */
static size_t icmp4_frame(struct pb *b, uint8_t type, uint8_t code, const struct pb *orig, size_t qlen)
{
	pb_init(b);
	pb_eth(b, 0x0800);
	size_t ip = pb_ipv4(b, PROTO_ICMP, 250, V4_R, V4_A, 0);
	size_t ic = pb_icmp(b, type, code, 0);
	pb_bytes(b, orig->b, qlen);
	pb_ipv4_end(b, ip);
	return ic;
}

static void check_q_v4_tcp(const struct quoted *q, int want_seq)
{
	assert_int_equal(q->valid, 1);
	assert_int_equal(q->proto, PROTO_TCP);
	assert_int_equal(q->src.family, 4);
	assert_memory_equal(q->src.a, V4_A, 4);
	assert_memory_equal(q->dst.a, V4_B, 4);
	assert_int_equal(q->has_ports, 1);
	assert_int_equal(q->sport, 49152);
	assert_int_equal(q->dport, 135);
	assert_int_equal(q->has_seq, want_seq);
	assert_int_equal(q->tcp_seq, want_seq ? Q_SEQ : 0);
}

static void test_icmp_errors_quote_tcp(void **state)
{
	(void)state;
	static const uint8_t tc[][2] = {{3, 0}, {3, 1}, {3, 3}, {3, 4}, {3, 13}, {4, 0}, {5, 1}, {11, 0}, {11, 1}, {12, 0}};
	struct pb o, b;
	struct dec d = {0};
	orig_v4_tcp(&o, 0);
	for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		size_t ic = icmp4_frame(&b, tc[i][0], tc[i][1], &o, 28);	/* RFC 792: header + 8 bytes */
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.proto, PROTO_ICMP);
		assert_memory_equal(d.p.src.a, V4_R, 4);
		assert_int_equal(d.p.ttl, 250);
		assert_int_equal(d.p.has_l4, 1);
		assert_int_equal(d.p.icmp_type, tc[i][0]);
		assert_int_equal(d.p.icmp_code, tc[i][1]);
		assert_int_equal(d.p.icmp_is_error, 1);
		assert_int_equal(d.p.sport, 0);
		assert_int_equal(d.p.dport, 0);
		assert_int_equal(d.p.l4_len, 36);
		assert_int_equal(d.p.payload_len, 28);
		assert_int_equal(d.p.payload_caplen, 28);
		assert_int_equal(pb_payload_off(&d), ic + 8);
		check_q_v4_tcp(&d.p.q, 1);
	}

	/* a router that quotes the whole packet (RFC 1812) */
	icmp4_frame(&b, 11, 0, &o, o.n);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_q_v4_tcp(&d.p.q, 1);
	assert_int_equal(d.p.payload_len, o.n);
	pb_dec_free(&d);
}

static void test_icmp_quote_udp(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v4_udp(&o);
	icmp4_frame(&b, 3, 3, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.icmp_is_error, 1);
	assert_int_equal(d.p.q.valid, 1);
	assert_int_equal(d.p.q.proto, PROTO_UDP);
	assert_int_equal(d.p.q.has_ports, 1);
	assert_int_equal(d.p.q.sport, 40000);
	assert_int_equal(d.p.q.dport, 53);
	assert_int_equal(d.p.q.has_seq, 0);
	assert_memory_equal(d.p.q.src.a, V4_A, 4);
	assert_memory_equal(d.p.q.dst.a, V4_B, 4);
	pb_dec_free(&d);
}

static void test_icmp_quote_with_ip_options(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	static const size_t opts[] = {4, 12, 40};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		orig_v4_tcp(&o, opts[i]);
		icmp4_frame(&b, 3, 13, &o, 20 + opts[i] + 8);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		check_q_v4_tcp(&d.p.q, 1);
	}
	pb_dec_free(&d);
}

/* Only 4 bytes of the L4 header quoted: ports but no sequence number. */
static void test_icmp_quote_four_l4_bytes(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v4_tcp(&o, 0);
	/* by the ICMP sender (the outer length says so) */
	for (size_t k = 4; k < 8; k++) {
		icmp4_frame(&b, 3, 3, &o, 20 + k);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		check_q_v4_tcp(&d.p.q, 0);
		assert_int_equal(d.p.l4_clamped, 0);
	}
	/* by the snaplen */
	size_t ic = icmp4_frame(&b, 3, 3, &o, 28);
	for (size_t k = 4; k < 8; k++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, ic + 8 + 20 + k), DEC_OK);
		check_q_v4_tcp(&d.p.q, 0);
		assert_int_equal(d.p.l4_clamped, 1);
		assert_int_equal(d.p.ip_clamped, 1);
	}
	pb_dec_free(&d);
}

/* The quote ends inside the quoted IP header: the error is decoded, the quote is not. */
static void test_icmp_quote_cut_in_ip_header(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v4_tcp(&o, 8);
	for (size_t k = 0; k < 28; k++) {
		size_t ic = icmp4_frame(&b, 11, 0, &o, k);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.icmp_is_error, 1);
		assert_int_equal(d.p.has_l4, 1);
		assert_int_equal(d.p.q.valid, 0);
		assert_int_equal(d.p.q.has_ports, 0);
		assert_int_equal(d.p.q.src.family, 0);
		assert_int_equal(d.p.payload_len, k);

		/* the same cut made by the snaplen */
		icmp4_frame(&b, 11, 0, &o, o.n);
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, ic + 8 + k), DEC_OK);
		assert_int_equal(d.p.q.valid, 0);
		assert_int_equal(d.p.q.has_ports, 0);
	}
	/* the full 28-byte header with options, no L4 byte */
	icmp4_frame(&b, 11, 0, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 1);
	assert_int_equal(d.p.q.has_ports, 0);
	assert_int_equal(d.p.q.proto, PROTO_TCP);
	pb_dec_free(&d);
}

static void test_icmp_quote_oddities(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};

	/* a later fragment: no L4 header to read */
	orig_v4_tcp(&o, 0);
	pb_ipv4_frag(&o, 0, 0, 1, 100);
	icmp4_frame(&b, 11, 1, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 1);
	assert_int_equal(d.p.q.has_ports, 0);
	assert_int_equal(d.p.q.has_seq, 0);

	/* the first fragment has ports */
	pb_ipv4_frag(&o, 0, 0, 1, 0);
	icmp4_frame(&b, 11, 1, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_q_v4_tcp(&d.p.q, 1);

	/* bad quoted IHL */
	orig_v4_tcp(&o, 0);
	pb_set8(&o, 0, 0x44);
	icmp4_frame(&b, 3, 1, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 0);
	assert_int_equal(d.p.q.has_ports, 0);

	/* quoted version neither 4 nor 6 */
	pb_set8(&o, 0, 0x55);
	icmp4_frame(&b, 3, 1, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 0);

	/* a quoted protocol without ports (an echo request) */
	pb_init(&o);
	size_t ip = pb_ipv4(&o, PROTO_ICMP, 64, V4_A, V4_B, 0);
	pb_icmp(&o, 8, 0, 0x00010002);
	pb_ipv4_end(&o, ip);
	icmp4_frame(&b, 11, 0, &o, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 1);
	assert_int_equal(d.p.q.proto, PROTO_ICMP);
	assert_int_equal(d.p.q.has_ports, 0);
	assert_int_equal(d.p.q.sport, 0);
	pb_dec_free(&d);
}

static void test_icmp_not_errors(void **state)
{
	(void)state;
	static const uint8_t types[] = {0, 8, 9, 10, 13, 14, 6, 255};
	struct pb o, b;
	struct dec d = {0};
	orig_v4_tcp(&o, 0);	/* bytes that would parse as a quote */
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t ic = icmp4_frame(&b, types[i], 0, &o, 28);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.has_l4, 1);
		assert_int_equal(d.p.icmp_type, types[i]);
		assert_int_equal(d.p.icmp_is_error, 0);
		assert_int_equal(d.p.q.valid, 0);
		assert_int_equal(d.p.q.has_ports, 0);
		assert_int_equal(d.p.payload_len, 28);
		assert_int_equal(pb_payload_off(&d), ic + 8);
	}
	pb_dec_free(&d);
}

static void test_icmp_header_short(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v4_tcp(&o, 0);
	size_t ic = icmp4_frame(&b, 3, 3, &o, 28);
	for (size_t k = 0; k < 8; k++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, ic + k), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_ICMP);
		assert_int_equal(d.p.has_l4, 0);
		assert_int_equal(d.p.q.valid, 0);
	}
	pb_ipv4_tot(&b, ETH_HLEN, 20 + 7);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_ICMP);
	/* exactly the 8-byte header, nothing quoted */
	pb_ipv4_tot(&b, ETH_HLEN, 20 + 8);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.icmp_is_error, 1);
	assert_int_equal(d.p.q.valid, 0);
	assert_int_equal(d.p.payload_len, 0);
	pb_dec_free(&d);
}

/* ---- ICMPv6 ------------------------------------------------------------------------------------ */

/* The offending packet: first fragment of a UDP datagram [2001:2::1]:40000 -> [2001:2::2]:53. */
static void orig_v6_frag_udp(struct pb *o, uint16_t off8)
{
	pb_init(o);
	size_t ip = pb_ipv6(o, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(o, PROTO_UDP, off8, 1, 0xabcdef01u);
	size_t u = pb_udp(o, 40000, 53);
	pb_pattern(o, 0, 40);
	pb_udp_len(o, u, 3000);
	(void)u;
	pb_ipv6_end(o, ip);
}

static void orig_v6_hbh_tcp(struct pb *o)
{
	pb_init(o);
	size_t ip = pb_ipv6(o, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_opts(o, PROTO_TCP, 0);
	pb_tcp(o, 49152, 445, Q_SEQ, 0, TH_SYN, 64800, TCP_SYN_OPTS, 20);
	pb_ipv6_end(o, ip);
}

/* Ethernet + IPv6 2001:2:0:ff::1 -> 2001:2::1 ICMPv6 quoting `qlen` bytes of `orig`. */
static size_t icmp6_frame(struct pb *b, uint8_t type, uint8_t code, const struct pb *orig, size_t qlen)
{
	pb_init(b);
	pb_eth(b, 0x86dd);
	size_t ip = pb_ipv6(b, PROTO_ICMP6, 64, V6_R, V6_A);
	size_t ic = pb_icmp(b, type, code, type == 2 ? 1280 : 0);
	pb_bytes(b, orig->b, qlen);
	pb_ipv6_end(b, ip);
	return ic;
}

static void test_icmp6_unreach_quote_frag_udp(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v6_frag_udp(&o, 0);
	size_t ic = icmp6_frame(&b, 1, 4, &o, o.n);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.proto, PROTO_ICMP6);
	assert_memory_equal(d.p.src.a, V6_R, 16);
	assert_int_equal(d.p.ttl, 64);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.icmp_type, 1);
	assert_int_equal(d.p.icmp_code, 4);
	assert_int_equal(d.p.icmp_is_error, 1);
	assert_int_equal(d.p.payload_len, o.n);
	assert_int_equal(pb_payload_off(&d), ic + 8);
	const struct quoted *q = &d.p.q;
	assert_int_equal(q->valid, 1);
	assert_int_equal(q->proto, PROTO_UDP);
	assert_int_equal(q->src.family, 6);
	assert_memory_equal(q->src.a, V6_A, 16);
	assert_memory_equal(q->dst.a, V6_B, 16);
	assert_int_equal(q->has_ports, 1);
	assert_int_equal(q->sport, 40000);
	assert_int_equal(q->dport, 53);
	assert_int_equal(q->has_seq, 0);

	/* a later fragment quoted: valid, no ports */
	orig_v6_frag_udp(&o, 10);
	icmp6_frame(&b, 1, 4, &o, o.n);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.valid, 1);
	assert_int_equal(d.p.q.has_ports, 0);
	assert_int_equal(d.p.q.proto, PROTO_UDP);
	pb_dec_free(&d);
}

static void test_icmp6_errors_quote_tcp(void **state)
{
	(void)state;
	static const uint8_t tc[][2] = {{1, 0}, {1, 1}, {1, 3}, {1, 5}, {1, 6}, {2, 0}, {3, 0}, {4, 1}};
	struct pb o, b;
	struct dec d = {0};
	orig_v6_hbh_tcp(&o);
	for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		icmp6_frame(&b, tc[i][0], tc[i][1], &o, 40 + 8 + 8);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.icmp_type, tc[i][0]);
		assert_int_equal(d.p.icmp_code, tc[i][1]);
		assert_int_equal(d.p.icmp_is_error, 1);
		assert_int_equal(d.p.q.valid, 1);
		assert_int_equal(d.p.q.proto, PROTO_TCP);
		assert_int_equal(d.p.q.has_ports, 1);
		assert_int_equal(d.p.q.sport, 49152);
		assert_int_equal(d.p.q.dport, 445);
		assert_int_equal(d.p.q.has_seq, 1);
		assert_int_equal(d.p.q.tcp_seq, Q_SEQ);
	}
	/* cut after 4 L4 bytes */
	icmp6_frame(&b, 1, 1, &o, 40 + 8 + 4);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.q.has_ports, 1);
	assert_int_equal(d.p.q.has_seq, 0);
	/* cut inside the fixed IPv6 header, then inside the hop-by-hop header */
	for (size_t k = 0; k < 48; k++) {
		icmp6_frame(&b, 1, 1, &o, k);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.icmp_is_error, 1);
		assert_int_equal(d.p.q.valid, 0);
		assert_int_equal(d.p.q.has_ports, 0);
	}
	pb_dec_free(&d);
}

static void test_icmp6_not_errors(void **state)
{
	(void)state;
	static const uint8_t types[] = {0, 5, 100, 127, 128, 129, 133, 135, 136, 143, 255};
	struct pb o, b;
	struct dec d = {0};
	orig_v6_hbh_tcp(&o);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		icmp6_frame(&b, types[i], 0, &o, o.n);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.icmp_type, types[i]);
		assert_int_equal(d.p.icmp_is_error, 0);
		assert_int_equal(d.p.q.valid, 0);
		assert_int_equal(d.p.payload_len, o.n);
	}
	pb_dec_free(&d);
}

static void test_icmp6_header_short(void **state)
{
	(void)state;
	struct pb o, b;
	struct dec d = {0};
	orig_v6_hbh_tcp(&o);
	size_t ic = icmp6_frame(&b, 1, 4, &o, o.n);
	for (size_t k = 0; k < 8; k++) {
		assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, ic + k), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_ICMP6);
	}
	pb_ipv6_plen(&b, ETH_HLEN, 5);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_ICMP6);
	pb_dec_free(&d);
}

static void test_icmp_code_name(void **state)
{
	(void)state;
	assert_string_equal(icmp_code_name(4, 3, 13), "admin-prohibited");
	assert_string_equal(icmp_code_name(4, 3, 3), "port-unreachable");
	assert_string_equal(icmp_code_name(4, 3, 10), "host-prohibited");
	assert_string_equal(icmp_code_name(4, 3, 9), "net-prohibited");
	assert_string_equal(icmp_code_name(4, 3, 1), "host-unreachable");
	assert_string_equal(icmp_code_name(4, 11, 0), "ttl-exceeded");
	assert_string_equal(icmp_code_name(6, 1, 1), "admin-prohibited");
	assert_string_equal(icmp_code_name(6, 1, 4), "port-unreachable");
	assert_string_equal(icmp_code_name(6, 1, 0), "no-route");
	assert_string_equal(icmp_code_name(6, 3, 0), "hop-limit-exceeded");
	assert_string_equal(icmp_code_name(6, 2, 0), "packet-too-big");
	/* unknown codes, types and families */
	assert_null(icmp_code_name(4, 3, 16));
	assert_null(icmp_code_name(4, 3, 255));
	assert_null(icmp_code_name(4, 8, 0));
	assert_null(icmp_code_name(4, 0, 0));
	assert_null(icmp_code_name(6, 1, 7));
	assert_null(icmp_code_name(6, 128, 0));
	assert_null(icmp_code_name(6, 3, 3));	/* IPv4 port-unreachable's numbers mean nothing in v6 */
	assert_null(icmp_code_name(4, 1, 4));
	assert_null(icmp_code_name(0, 3, 3));
	assert_null(icmp_code_name(5, 3, 3));
}

/* ---- every prefix of valid frames ---------------------------------------------------------------- */

struct sample {
	const char *name;
	int dlt;
	struct pb b;
};

static void build_samples(struct sample *s, size_t *n)
{
	struct pb o;
	size_t i = 0, ip, u;

	s[i].name = "eth ipv4 tcp options payload";
	s[i].dlt = DLT_EN10MB;
	eth4_tcp(&s[i].b, TH_SYN, TCP_SYN_OPTS, 20, 37);
	i++;

	s[i].name = "eth qinq ipv6 ext chain udp";
	s[i].dlt = DLT_EN10MB;
	pb_init(&s[i].b);
	pb_eth(&s[i].b, 0x88a8);
	pb_vlan(&s[i].b, 1, 0x8100);
	pb_vlan(&s[i].b, 2, 0x86dd);
	ip = pb_ipv6(&s[i].b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_opts(&s[i].b, IP6_ROUTING, 1);
	pb_ip6_rh(&s[i].b, IP6_FRAGMENT, 2, 4, 0);
	pb_ip6_frag(&s[i].b, IP6_AH, 0, 1, 9);
	pb_ip6_ah(&s[i].b, IP6_DSTOPTS, 5);
	pb_ip6_opts(&s[i].b, PROTO_UDP, 0);
	u = pb_udp(&s[i].b, 1234, 135);
	pb_pattern(&s[i].b, 0, 19);
	pb_udp_end(&s[i].b, u);
	pb_ipv6_end(&s[i].b, ip);
	i++;

	s[i].name = "sll ipv4 icmp error quoting tcp";
	s[i].dlt = DLT_LINUX_SLL;
	orig_v4_tcp(&o, 8);
	pb_init(&s[i].b);
	pb_sll(&s[i].b, 0, 0x0800);
	ip = pb_ipv4(&s[i].b, PROTO_ICMP, 250, V4_R, V4_A, 4);
	pb_icmp(&s[i].b, 3, 13, 0);
	pb_bytes(&s[i].b, o.b, o.n);
	pb_ipv4_end(&s[i].b, ip);
	i++;

	s[i].name = "null ipv6 icmp6 error quoting frag udp";
	s[i].dlt = DLT_NULL;
	orig_v6_frag_udp(&o, 0);
	pb_init(&s[i].b);
	pb_null(&s[i].b, 30, 0);
	ip = pb_ipv6(&s[i].b, PROTO_ICMP6, 64, V6_R, V6_A);
	pb_icmp(&s[i].b, 1, 4, 0);
	pb_bytes(&s[i].b, o.b, o.n);
	pb_ipv6_end(&s[i].b, ip);
	i++;

	s[i].name = "sll2 vlan ipv4 options udp";
	s[i].dlt = DLT_LINUX_SLL2;
	pb_init(&s[i].b);
	pb_sll2(&s[i].b, 0x8100, 4, 0);
	pb_vlan(&s[i].b, 12, 0x0800);
	ip = pb_ipv4(&s[i].b, PROTO_UDP, 64, V4_A, V4_B, 40);
	u = pb_udp(&s[i].b, 137, 137);
	pb_pattern(&s[i].b, 0, 50);
	pb_udp_end(&s[i].b, u);
	pb_ipv4_end(&s[i].b, ip);
	i++;

	s[i].name = "raw ipv4 first fragment tcp";
	s[i].dlt = DLT_RAW;
	pb_init(&s[i].b);
	ip = pb_ipv4(&s[i].b, PROTO_TCP, 64, V4_A, V4_B, 0);
	pb_tcp(&s[i].b, 1, 2, 3, 4, TH_ACK, 5, TCP_SYN_OPTS, 12);
	pb_pattern(&s[i].b, 0, 64);
	pb_ipv4_end(&s[i].b, ip);
	pb_ipv4_frag(&s[i].b, ip, 0, 1, 0);
	i++;

	s[i].name = "loop ipv6 tcp options";
	s[i].dlt = DLT_LOOP;
	pb_init(&s[i].b);
	pb_null(&s[i].b, 24, 1);
	ip = pb_ipv6(&s[i].b, PROTO_TCP, 64, V6_A, V6_B);
	pb_tcp(&s[i].b, 445, 50000, 3, 4, TH_SYN | TH_ACK, 5, TCP_SYN_OPTS, 20);
	pb_pattern(&s[i].b, 0, 8);
	pb_ipv6_end(&s[i].b, ip);
	i++;

	s[i].name = "snap ipv4 icmp echo";
	s[i].dlt = DLT_EN10MB;
	pb_init(&s[i].b);
	pb_eth_snap(&s[i].b, 8 + 20 + 8 + 16, 0x0800);
	ip = pb_ipv4(&s[i].b, PROTO_ICMP, 64, V4_A, V4_B, 0);
	pb_icmp(&s[i].b, 8, 0, 0x12340001);
	pb_pattern(&s[i].b, 0, 16);
	pb_ipv4_end(&s[i].b, ip);
	i++;

	*n = i;
}

static void test_every_prefix(void **state)
{
	(void)state;
	static struct sample s[8];
	size_t n = 0;
	build_samples(s, &n);
	struct dec d = {0};
	for (size_t i = 0; i < n; i++) {
		const struct pb *b = &s[i].b;
		for (size_t len = 0; len <= b->n; len++) {
			enum dec_status st = pb_decode_n(&d, s[i].dlt, b, len);
			if (st != DEC_OK && st != DEC_TRUNCATED)
				fail_msg("%s: caplen %zu/%zu: status %d at %s", s[i].name, len, b->n, st,
					 decode_layer_name(d.p.fail_layer));
			if (st == DEC_TRUNCATED)
				assert_int_not_equal(d.p.fail_layer, LAYER_NONE);
			if (d.p.payload) {
				assert_true(d.p.payload >= d.data);
				assert_true(d.p.payload + d.p.payload_caplen <= d.data + len);
			}
			assert_true(d.p.payload_caplen <= d.p.payload_len);
			assert_true(d.p.payload_caplen <= len);
		}
		if (d.p.status != DEC_OK || !d.p.has_l4)
			fail_msg("%s: the full frame does not decode", s[i].name);
		assert_int_equal(d.p.l4_clamped, 0);
		assert_int_equal(d.p.ip_clamped, 0);
	}
	pb_dec_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_fields_and_flags),
		cmocka_unit_test(test_tcp_options_skipped),
		cmocka_unit_test(test_tcp_doff_too_small),
		cmocka_unit_test(test_tcp_doff_beyond_segment),
		cmocka_unit_test(test_tcp_options_cut_by_snaplen),
		cmocka_unit_test(test_tcp_payload_cut_by_snaplen),
		cmocka_unit_test(test_tcp_header_short),
		cmocka_unit_test(test_udp_payload),
		cmocka_unit_test(test_udp_len_too_small),
		cmocka_unit_test(test_udp_len_vs_ip_payload),
		cmocka_unit_test(test_udp_cut_by_snaplen),
		cmocka_unit_test(test_udp_ipv6_jumbo_len0),
		cmocka_unit_test(test_icmp_errors_quote_tcp),
		cmocka_unit_test(test_icmp_quote_udp),
		cmocka_unit_test(test_icmp_quote_with_ip_options),
		cmocka_unit_test(test_icmp_quote_four_l4_bytes),
		cmocka_unit_test(test_icmp_quote_cut_in_ip_header),
		cmocka_unit_test(test_icmp_quote_oddities),
		cmocka_unit_test(test_icmp_not_errors),
		cmocka_unit_test(test_icmp_header_short),
		cmocka_unit_test(test_icmp6_unreach_quote_frag_udp),
		cmocka_unit_test(test_icmp6_errors_quote_tcp),
		cmocka_unit_test(test_icmp6_not_errors),
		cmocka_unit_test(test_icmp6_header_short),
		cmocka_unit_test(test_icmp_code_name),
		cmocka_unit_test(test_every_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
