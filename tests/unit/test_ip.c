/* \summary: unit tests for the IPv4 / IPv6 decoders (src/ip.c ipv4.c ipv6.c) */
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

#define PROTO_GRE 47

/* ---- IPv4 -------------------------------------------------------------------------- */

/* IPv4 + UDP 198.18.0.1:40000 -> 198.18.0.2:53 with `paylen` payload bytes. */
static size_t v4_udp(struct pb *b, size_t optlen, size_t paylen)
{
	size_t ip = pb_ipv4(b, PROTO_UDP, 64, V4_A, V4_B, optlen);
	size_t u = pb_udp(b, 40000, 53);
	pb_pattern(b, 0x10, paylen);
	pb_udp_end(b, u);
	pb_ipv4_end(b, ip);
	return ip;
}

/* IPv4 + TCP 198.18.0.1:49152 -> 198.18.0.2:135 ACK with `paylen` payload bytes. */
static size_t v4_tcp(struct pb *b, size_t optlen, size_t paylen)
{
	size_t ip = pb_ipv4(b, PROTO_TCP, 128, V4_A, V4_B, optlen);
	pb_tcp(b, 49152, 135, 0x01020304u, 0x0a0b0c0du, TH_ACK | TH_PUSH, 8192, NULL, 0);
	pb_pattern(b, 0x30, paylen);
	pb_ipv4_end(b, ip);
	return ip;
}

static void test_ipv4_basic(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	v4_udp(&b, 0, 8);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ipver, 4);
	assert_int_equal(d.p.src.family, 4);
	assert_int_equal(d.p.dst.family, 4);
	assert_memory_equal(d.p.src.a, V4_A, 4);
	assert_memory_equal(d.p.dst.a, V4_B, 4);
	assert_int_equal(d.p.ttl, 64);
	assert_int_equal(d.p.proto, PROTO_UDP);
	assert_int_equal(d.p.ip_len, 36);
	assert_int_equal(d.p.l4_len, 16);
	assert_int_equal(d.p.is_fragment, 0);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.ip_clamped, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 40000);
	assert_int_equal(d.p.dport, 53);
	assert_int_equal(d.p.payload_len, 8);
	assert_int_equal(d.p.payload_caplen, 8);
	assert_int_equal(pb_payload_off(&d), 28);
	pb_dec_free(&d);
}

static void test_ipv4_ttl_proto(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	static const uint8_t ttls[] = {0, 1, 255};
	for (size_t i = 0; i < sizeof ttls / sizeof ttls[0]; i++) {
		pb_init(&b);
		size_t ip = pb_ipv4(&b, PROTO_GRE, ttls[i], V4_B, V4_A, 0);
		pb_fill(&b, 0, 24);
		pb_ipv4_end(&b, ip);
		assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
		assert_int_equal(d.p.ttl, ttls[i]);
		assert_int_equal(d.p.proto, PROTO_GRE);
		assert_int_equal(d.p.has_l4, 0);	/* other protocols are counted only */
		assert_int_equal(d.p.l4_len, 24);
		assert_int_equal(d.p.ip_len, 44);
		assert_memory_equal(d.p.src.a, V4_B, 4);
	}
	pb_dec_free(&d);
}

static void test_ipv4_options(void **state)
{
	(void)state;
	static const size_t opts[] = {4, 8, 12, 40};
	struct pb b;
	struct dec d = {0};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		pb_init(&b);
		pb_eth(&b, 0x0800);
		v4_tcp(&b, opts[i], 5);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
		assert_int_equal(d.p.ip_len, 20 + opts[i] + 20 + 5);
		assert_int_equal(d.p.l4_len, 25);
		assert_int_equal(d.p.sport, 49152);
		assert_int_equal(d.p.dport, 135);
		assert_int_equal(d.p.seq, 0x01020304u);
		assert_int_equal(d.p.payload_len, 5);
		assert_int_equal(pb_payload_off(&d), 14 + 20 + opts[i] + 20);
		assert_int_equal(d.p.payload[0], 0x30);
	}
	pb_dec_free(&d);
}

static void test_ipv4_bad_version(void **state)
{
	(void)state;
	static const uint8_t vihl[] = {0x05, 0x15, 0x55, 0x65, 0xf5};
	struct pb b;
	struct dec d = {0};
	for (size_t i = 0; i < sizeof vihl / sizeof vihl[0]; i++) {
		pb_init(&b);
		pb_eth(&b, 0x0800);
		size_t ip = v4_udp(&b, 0, 4);
		pb_set8(&b, ip, vihl[i]);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_IPV4);
		assert_int_equal(d.p.ipver, 0);
		assert_int_equal(d.p.has_l4, 0);
	}
	pb_dec_free(&d);
}

static void test_ipv4_bad_ihl(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		pb_init(&b);
		size_t ip = v4_udp(&b, 0, 16);
		pb_set8(&b, ip, (uint8_t)(0x40 | ihl));
		assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_IPV4);
		assert_int_equal(d.p.ipver, 0);
	}
	pb_dec_free(&d);
}

static void test_ipv4_totlen_vs_ihl(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};

	pb_init(&b);
	size_t ip = v4_udp(&b, 0, 4);
	pb_ipv4_tot(&b, ip, 19);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	pb_ipv4_tot(&b, ip, 1);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);

	/* with options: 24-byte header, total length 23 */
	pb_init(&b);
	ip = pb_ipv4(&b, 253, 64, V4_A, V4_B, 4);
	pb_fill(&b, 0, 8);
	pb_ipv4_tot(&b, ip, 23);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	/* total length == header length: valid, empty payload (trailing bytes excluded) */
	pb_ipv4_tot(&b, ip, 24);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 24);
	assert_int_equal(d.p.l4_len, 0);
	assert_int_equal(d.p.proto, 253);
	assert_int_equal(d.p.ip_clamped, 0);
	pb_dec_free(&d);
}

/* Total length 0 (TSO on the capturing host): the captured length is used. */
static void test_ipv4_totlen_zero(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = v4_tcp(&b, 0, 3000);
	pb_ipv4_tot(&b, ip, 0);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 3040);
	assert_int_equal(d.p.l4_len, 3020);
	assert_int_equal(d.p.ip_clamped, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.payload_len, 3000);
	assert_int_equal(d.p.payload_caplen, 3000);
	assert_int_equal(d.p.l4_clamped, 0);

	/* behind Ethernet */
	pb_init(&b);
	pb_eth(&b, 0x0800);
	ip = v4_udp(&b, 8, 10);
	pb_ipv4_tot(&b, ip, 0);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 46);
	assert_int_equal(d.p.l4_len, 18);
	assert_int_equal(d.p.sport, 40000);
	assert_int_equal(d.p.payload_len, 10);
	pb_dec_free(&d);
}

static void test_ipv4_ethernet_padding_excluded(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x0800);
	v4_udp(&b, 0, 2);	/* 14 + 30 bytes */
	pb_fill(&b, 0xee, 60 - b.n);	/* minimum frame padding */
	pb_fill(&b, 0xfc, 4);		/* and an FCS */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 30);
	assert_int_equal(d.p.l4_len, 10);
	assert_int_equal(d.p.ip_clamped, 0);
	assert_int_equal(d.p.payload_len, 2);
	assert_int_equal(d.p.payload_caplen, 2);
	assert_int_equal(d.p.l4_clamped, 0);
	assert_int_equal(d.p.payload[0], 0x10);
	assert_int_equal(d.p.payload[1], 0x11);

	pb_init(&b);
	pb_eth(&b, 0x0800);
	v4_tcp(&b, 0, 0);	/* a bare ACK: 54 bytes */
	pb_fill(&b, 0xee, 6);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.l4_len, 20);
	assert_int_equal(d.p.payload_len, 0);
	assert_int_equal(d.p.payload_caplen, 0);
	pb_dec_free(&d);
}

static void test_ipv4_snaplen_clamped(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x0800);
	v4_tcp(&b, 0, 100);
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, 14 + 20 + 20 + 30), DEC_OK);
	assert_int_equal(d.p.ip_clamped, 1);
	assert_int_equal(d.p.ip_len, 140);
	assert_int_equal(d.p.l4_len, 120);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.payload_len, 100);
	assert_int_equal(d.p.payload_caplen, 30);
	assert_int_equal(d.p.l4_clamped, 1);

	/* cut exactly after the IP header: IP is fine, TCP is truncated */
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, 14 + 20), DEC_TRUNCATED);
	assert_int_equal(d.p.ip_clamped, 1);
	assert_int_equal(d.p.ipver, 4);
	assert_int_equal(d.p.fail_layer, LAYER_TCP);
	pb_dec_free(&d);
}

static void test_ipv4_options_truncated(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	v4_udp(&b, 40, 4);
	for (size_t len = 20; len < 60; len++) {
		assert_int_equal(pb_decode_n(&d, DLT_RAW, &b, len), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	}
	assert_int_equal(pb_decode_n(&d, DLT_RAW, &b, 60), DEC_TRUNCATED);
	assert_int_equal(d.p.fail_layer, LAYER_UDP);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	pb_dec_free(&d);
}

static void test_ipv4_first_fragment_tcp(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = v4_tcp(&b, 0, 1000);
	pb_ipv4_frag(&b, ip, 0, 1, 0);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 49152);
	assert_int_equal(d.p.dport, 135);
	assert_int_equal(d.p.payload_len, 1000);
	pb_dec_free(&d);
}

/* The UDP length of a fragmented datagram covers all fragments, so it is
 * larger than the first fragment's IP payload; the header is still there. */
static void test_ipv4_first_fragment_udp(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv4(&b, PROTO_UDP, 64, V4_A, V4_B, 0);
	size_t u = pb_udp(&b, 40000, 2049);
	pb_pattern(&b, 0, 1472);
	pb_udp_len(&b, u, 8 + 4000);	/* the whole datagram */
	pb_ipv4_end(&b, ip);
	pb_ipv4_frag(&b, ip, 0, 1, 0);
	enum dec_status st = pb_decode(&d, DLT_RAW, &b);
	struct pkt p = d.p;
	pb_dec_free(&d);	/* before any assertion can fail */
	assert_int_equal(p.is_fragment, 1);
	assert_int_equal(p.frag_later, 0);
	if (st != DEC_OK)
		fail_msg("first UDP fragment: status %d at %s, want DEC_OK with ports", st,
			 decode_layer_name(p.fail_layer));
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 2049);
	assert_int_equal(p.payload_caplen, 1472);
}

static void test_ipv4_later_fragment(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	/* the last fragment: offset 185 (1480 bytes), MF clear; its bytes look like a TCP header */
	pb_init(&b);
	size_t ip = v4_tcp(&b, 0, 40);
	pb_ipv4_frag(&b, ip, 0, 0, 185);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 1);
	assert_int_equal(d.p.has_l4, 0);
	assert_int_equal(d.p.sport, 0);
	assert_int_equal(d.p.dport, 0);
	assert_int_equal(d.p.tcp_flags, 0);
	assert_int_equal(d.p.proto, PROTO_TCP);
	assert_int_equal(d.p.l4_len, 60);

	/* a middle fragment (MF set, offset 1) too short to be a UDP header */
	pb_init(&b);
	ip = pb_ipv4(&b, PROTO_UDP, 64, V4_A, V4_B, 0);
	pb_fill(&b, 0xff, 3);
	pb_ipv4_end(&b, ip);
	pb_ipv4_frag(&b, ip, 1, 1, 1);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 1);
	assert_int_equal(d.p.has_l4, 0);

	/* the highest offset */
	pb_init(&b);
	ip = v4_udp(&b, 0, 0);
	pb_ipv4_frag(&b, ip, 0, 0, 0x1fff);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.frag_later, 1);
	pb_dec_free(&d);
}

static void test_ipv4_df_is_not_fragment(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = v4_tcp(&b, 0, 10);
	pb_ipv4_frag(&b, ip, 1, 0, 0);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 0);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.has_l4, 1);
	/* the reserved (evil) bit is not a fragment either */
	pb_set16(&b, ip + 6, 0x8000);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 0);
	pb_dec_free(&d);
}

/* ---- IPv6 ------------------------------------------------------------------------------ */

static void test_ipv6_basic(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x86dd);
	size_t ip = pb_ipv6(&b, PROTO_UDP, 255, V6_A, V6_B);
	size_t u = pb_udp(&b, 546, 547);
	pb_pattern(&b, 0x60, 12);
	pb_udp_end(&b, u);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.ipver, 6);
	assert_int_equal(d.p.src.family, 6);
	assert_memory_equal(d.p.src.a, V6_A, 16);
	assert_memory_equal(d.p.dst.a, V6_B, 16);
	assert_int_equal(d.p.ttl, 255);
	assert_int_equal(d.p.proto, PROTO_UDP);
	assert_int_equal(d.p.ip_len, 60);
	assert_int_equal(d.p.l4_len, 20);
	assert_int_equal(d.p.is_fragment, 0);
	assert_int_equal(d.p.ip_clamped, 0);
	assert_int_equal(d.p.sport, 546);
	assert_int_equal(d.p.dport, 547);
	assert_int_equal(d.p.payload_len, 12);
	assert_int_equal(pb_payload_off(&d), 14 + 40 + 8);
	pb_dec_free(&d);
}

static void test_ipv6_bad_version(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	static const uint8_t first[] = {0x45, 0x00, 0x70, 0xf0};
	for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
		pb_init(&b);
		pb_eth(&b, 0x86dd);
		size_t ip = pb_ipv6(&b, PROTO_UDP, 64, V6_A, V6_B);
		size_t u = pb_udp(&b, 1, 2);
		pb_udp_end(&b, u);
		pb_ipv6_end(&b, ip);
		pb_set8(&b, ip, first[i]);
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_IPV6);
		assert_int_equal(d.p.ipver, 0);
	}
	pb_dec_free(&d);
}

static void test_ipv6_truncated_fixed_header(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, PROTO_TCP, 64, V6_A, V6_B);
	pb_tcp(&b, 1, 2, 3, 4, TH_SYN, 5, NULL, 0);
	pb_ipv6_end(&b, ip);
	for (size_t len = 1; len < 40; len++) {
		assert_int_equal(pb_decode_n(&d, DLT_RAW, &b, len), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_IPV6);
		assert_int_equal(d.p.ipver, 0);
	}
	pb_dec_free(&d);
}

/* One extension header of type `type` (built by `build`), then UDP. */
static void check_one_ext(uint8_t type, size_t ext_len)
{
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, type, 64, V6_A, V6_B);
	switch (type) {
	case IP6_ROUTING:
		pb_ip6_rh(&b, PROTO_UDP, (uint8_t)(ext_len / 8 - 1), 4, 0);
		break;
	case IP6_AH:
		pb_ip6_ah(&b, PROTO_UDP, (uint8_t)(ext_len / 4 - 2));
		break;
	case IP6_FRAGMENT:
		pb_ip6_frag(&b, PROTO_UDP, 0, 0, 0xdeadbeef);
		break;
	default:
		pb_ip6_opts(&b, PROTO_UDP, (uint8_t)(ext_len / 8 - 1));
		break;
	}
	assert_int_equal(b.n, 40 + ext_len);
	size_t u = pb_udp(&b, 500, 4500);
	pb_pattern(&b, 0x70, 6);
	pb_udp_end(&b, u);
	pb_ipv6_end(&b, ip);
	enum dec_status st = pb_decode(&d, DLT_RAW, &b);
	if (st != DEC_OK)
		fail_msg("ext header %u (%zu bytes): status %d at %s", type, ext_len, st,
			 decode_layer_name(d.p.fail_layer));
	assert_int_equal(d.p.proto, PROTO_UDP);
	assert_int_equal(d.p.ip_len, 40 + ext_len + 14);
	assert_int_equal(d.p.l4_len, 14);
	assert_int_equal(d.p.is_fragment, type == IP6_FRAGMENT);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 500);
	assert_int_equal(d.p.dport, 4500);
	assert_int_equal(d.p.payload_len, 6);
	assert_int_equal(pb_payload_off(&d), 40 + ext_len + 8);
	assert_int_equal(d.p.payload[0], 0x70);
	pb_dec_free(&d);
}

static void test_ipv6_each_ext(void **state)
{
	(void)state;
	check_one_ext(IP6_HBH, 8);
	check_one_ext(IP6_HBH, 24);
	check_one_ext(IP6_DSTOPTS, 8);
	check_one_ext(IP6_DSTOPTS, 16);
	check_one_ext(IP6_DSTOPTS, 2048);	/* hdr ext len 255 */
	check_one_ext(IP6_ROUTING, 24);
	check_one_ext(IP6_ROUTING, 40);
	check_one_ext(IP6_FRAGMENT, 8);
	check_one_ext(IP6_MOBILITY, 16);
	check_one_ext(139, 8);	/* HIP */
	check_one_ext(140, 8);	/* shim6 */
}

/* AH length is in 32-bit words minus 2, unlike the other headers. */
static void test_ipv6_ah_length(void **state)
{
	(void)state;
	check_one_ext(IP6_AH, 12);	/* payload len 1: no ICV */
	check_one_ext(IP6_AH, 24);	/* payload len 4: 96-bit ICV */
	check_one_ext(IP6_AH, 28);	/* payload len 5: not a multiple of 8 */
	check_one_ext(IP6_AH, 36);
	check_one_ext(IP6_AH, 1028);	/* payload len 255 */
}

static void test_ipv6_fragment_first(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(&b, PROTO_TCP, 0, 1, 77);
	pb_tcp(&b, 49153, 135, 99, 100, TH_ACK, 512, NULL, 0);
	pb_pattern(&b, 0, 1232);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.proto, PROTO_TCP);
	assert_int_equal(d.p.sport, 49153);
	assert_int_equal(d.p.dport, 135);
	assert_int_equal(d.p.seq, 99);
	assert_int_equal(d.p.l4_len, 20 + 1232);
	pb_dec_free(&d);
}

static void test_ipv6_fragment_first_udp(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(&b, PROTO_UDP, 0, 1, 78);
	size_t u = pb_udp(&b, 40001, 2049);
	pb_pattern(&b, 0, 1224);
	pb_udp_len(&b, u, 8 + 3000);	/* the whole datagram */
	pb_ipv6_end(&b, ip);
	enum dec_status st = pb_decode(&d, DLT_RAW, &b);
	struct pkt p = d.p;
	pb_dec_free(&d);	/* before any assertion can fail */
	assert_int_equal(p.is_fragment, 1);
	assert_int_equal(p.frag_later, 0);
	if (st != DEC_OK)
		fail_msg("first IPv6 UDP fragment: status %d at %s, want DEC_OK with ports", st,
			 decode_layer_name(p.fail_layer));
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.dport, 2049);
	assert_int_equal(p.payload_caplen, 1224);
}

static void test_ipv6_fragment_later(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_opts(&b, IP6_FRAGMENT, 0);
	pb_ip6_frag(&b, PROTO_UDP, 154, 0, 78);	/* offset 1232 bytes */
	/* an ext header after a later fragment's header is payload, not parsed */
	pb_fill(&b, 0xff, 100);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 1);
	assert_int_equal(d.p.has_l4, 0);
	assert_int_equal(d.p.proto, PROTO_UDP);
	assert_int_equal(d.p.sport, 0);
	assert_int_equal(d.p.l4_len, 100);
	assert_int_equal(d.p.ip_len, 40 + 116);

	/* offset 1, M set */
	pb_init(&b);
	ip = pb_ipv6(&b, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(&b, IP6_DSTOPTS, 1, 1, 79);
	pb_fill(&b, 0xff, 4);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.frag_later, 1);
	assert_int_equal(d.p.has_l4, 0);
	assert_int_equal(d.p.proto, IP6_DSTOPTS);
	pb_dec_free(&d);
}

/* Offset 0 and M clear (RFC 6946 atomic fragment): a fragment with ports. */
static void test_ipv6_atomic_fragment(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(&b, PROTO_TCP, 0, 0, 80);
	pb_tcp(&b, 1024, 443, 1, 2, TH_SYN, 3, NULL, 0);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.sport, 1024);
	assert_int_equal(d.p.dport, 443);
	pb_dec_free(&d);
}

static void test_ipv6_full_chain(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 17, V6_A, V6_C);
	pb_ip6_opts(&b, IP6_DSTOPTS, 1);		/* 16 */
	pb_ip6_opts(&b, IP6_ROUTING, 0);		/* 8 */
	pb_ip6_rh(&b, IP6_FRAGMENT, 2, 4, 1);		/* 24 */
	pb_ip6_frag(&b, IP6_AH, 0, 1, 5);		/* 8 */
	pb_ip6_ah(&b, IP6_DSTOPTS, 4);			/* 24 */
	pb_ip6_opts(&b, PROTO_TCP, 0);			/* 8 */
	size_t ext = b.n - ip - 40;
	assert_int_equal(ext, 88);
	pb_tcp(&b, 55555, 593, 7, 8, TH_FIN | TH_ACK, 9, TCP_SYN_OPTS, 20);
	pb_pattern(&b, 0x80, 3);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ttl, 17);
	assert_memory_equal(d.p.dst.a, V6_C, 16);
	assert_int_equal(d.p.proto, PROTO_TCP);
	assert_int_equal(d.p.is_fragment, 1);
	assert_int_equal(d.p.frag_later, 0);
	assert_int_equal(d.p.ip_len, 40 + 88 + 40 + 3);
	assert_int_equal(d.p.l4_len, 43);
	assert_int_equal(d.p.sport, 55555);
	assert_int_equal(d.p.dport, 593);
	assert_int_equal(d.p.tcp_flags, TH_FIN | TH_ACK);
	assert_int_equal(d.p.payload_len, 3);
	assert_int_equal(d.p.payload[0], 0x80);
	pb_dec_free(&d);
}

static enum dec_status decode_chain(struct dec *d, unsigned n)
{
	struct pb b;
	pb_init(&b);
	size_t ip = pb_ipv6(&b, n ? IP6_DSTOPTS : PROTO_UDP, 64, V6_A, V6_B);
	for (unsigned i = 0; i < n; i++)
		pb_ip6_opts(&b, i + 1 < n ? IP6_DSTOPTS : PROTO_UDP, 0);
	size_t u = pb_udp(&b, 7, 9);
	pb_udp_end(&b, u);
	pb_ipv6_end(&b, ip);
	return pb_decode(d, DLT_RAW, &b);
}

static void test_ipv6_chain_limit(void **state)
{
	(void)state;
	struct dec d = {0};
	for (unsigned n = 0; n <= 16; n++) {
		if (decode_chain(&d, n) != DEC_OK)
			fail_msg("chain of %u extension headers: status %d", n, d.p.status);
		assert_int_equal(d.p.sport, 7);
		assert_int_equal(d.p.l4_len, 8);
	}
	for (unsigned n = 17; n <= 40; n++) {
		assert_int_equal(decode_chain(&d, n), DEC_INVALID);
		assert_int_equal(d.p.fail_layer, LAYER_IPV6_EXT);
		assert_int_equal(d.p.has_l4, 0);
	}
	pb_dec_free(&d);
}

/* Extension headers that do not fit the declared payload length. */
static void test_ipv6_ext_beyond_payload(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_opts(&b, PROTO_UDP, 1);	/* 16 bytes */
	size_t u = pb_udp(&b, 1, 2);
	pb_udp_end(&b, u);
	for (uint16_t plen = 1; plen < 16; plen++) {
		pb_ipv6_plen(&b, ip, plen);
		if (pb_decode(&d, DLT_RAW, &b) != DEC_INVALID || d.p.fail_layer != LAYER_IPV6_EXT)
			fail_msg("plen %u: status %d at %s", plen, d.p.status, decode_layer_name(d.p.fail_layer));
	}
	/* plen 16: the ext header fits, the UDP header does not (declared) */
	pb_ipv6_plen(&b, ip, 16);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_UDP);

	/* fragment and AH headers past the declared end */
	pb_init(&b);
	ip = pb_ipv6(&b, IP6_FRAGMENT, 64, V6_A, V6_B);
	pb_ip6_frag(&b, PROTO_UDP, 0, 1, 1);
	pb_fill(&b, 0, 16);
	pb_ipv6_plen(&b, ip, 7);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV6_EXT);

	pb_init(&b);
	ip = pb_ipv6(&b, IP6_AH, 64, V6_A, V6_B);
	pb_ip6_ah(&b, PROTO_UDP, 4);
	pb_fill(&b, 0, 16);
	pb_ipv6_plen(&b, ip, 20);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV6_EXT);
	pb_dec_free(&d);
}

/* The snaplen ends inside an extension header: truncated, not invalid. */
static void test_ipv6_truncated_mid_ext(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_opts(&b, IP6_FRAGMENT, 1);	/* 40..55 */
	pb_ip6_frag(&b, IP6_AH, 0, 1, 2);	/* 56..63 */
	pb_ip6_ah(&b, PROTO_UDP, 4);		/* 64..87 */
	size_t u = pb_udp(&b, 3, 4);		/* 88..95 */
	pb_pattern(&b, 0, 50);
	pb_udp_end(&b, u);
	pb_ipv6_end(&b, ip);
	for (size_t len = 40; len < 88; len++) {
		if (pb_decode_n(&d, DLT_RAW, &b, len) != DEC_TRUNCATED || d.p.fail_layer != LAYER_IPV6_EXT)
			fail_msg("caplen %zu: status %d at %s", len, d.p.status, decode_layer_name(d.p.fail_layer));
		assert_int_equal(d.p.ip_clamped, 1);
		assert_int_equal(d.p.ipver, 6);
	}
	for (size_t len = 88; len < 96; len++) {
		assert_int_equal(pb_decode_n(&d, DLT_RAW, &b, len), DEC_TRUNCATED);
		assert_int_equal(d.p.fail_layer, LAYER_UDP);
	}
	assert_int_equal(pb_decode_n(&d, DLT_RAW, &b, 96), DEC_OK);
	assert_int_equal(d.p.payload_len, 50);
	assert_int_equal(d.p.payload_caplen, 0);
	assert_int_equal(d.p.l4_clamped, 1);
	pb_dec_free(&d);
}

/* Payload length 0 with a Jumbo Payload option: the captured length is used. */
static void test_ipv6_jumbo(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 64, V6_A, V6_B);
	pb_ip6_jumbo(&b, PROTO_UDP, 8 + 8 + 70000);
	size_t u = pb_udp(&b, 5001, 5002);
	pb_pattern(&b, 0x90, 2000);	/* the capture holds the first 2000 bytes */
	pb_udp_len(&b, u, 0);		/* RFC 2675: UDP length 0 */
	pb_ipv6_plen(&b, ip, 0);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, b.n);
	assert_int_equal(d.p.l4_len, b.n - 48);
	assert_int_equal(d.p.ip_clamped, 0);
	assert_int_equal(d.p.has_l4, 1);
	assert_int_equal(d.p.sport, 5001);
	assert_int_equal(d.p.payload_len, 2000);
	assert_int_equal(d.p.payload_caplen, 2000);
	assert_int_equal(d.p.payload[0], 0x90);
	pb_dec_free(&d);
}

static void test_ipv6_padding_and_clamp(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x86dd);
	size_t ip = pb_ipv6(&b, PROTO_TCP, 64, V6_A, V6_B);
	pb_tcp(&b, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
	pb_pattern(&b, 0xa0, 10);
	pb_ipv6_end(&b, ip);
	pb_fill(&b, 0xfc, 4);	/* FCS after the datagram */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 70);
	assert_int_equal(d.p.l4_len, 30);
	assert_int_equal(d.p.payload_len, 10);
	assert_int_equal(d.p.payload_caplen, 10);
	assert_int_equal(d.p.ip_clamped, 0);

	/* declared longer than captured */
	assert_int_equal(pb_decode_n(&d, DLT_EN10MB, &b, 14 + 40 + 20 + 4), DEC_OK);
	assert_int_equal(d.p.ip_clamped, 1);
	assert_int_equal(d.p.ip_len, 70);
	assert_int_equal(d.p.payload_len, 10);
	assert_int_equal(d.p.payload_caplen, 4);
	assert_int_equal(d.p.l4_clamped, 1);
	pb_dec_free(&d);
}

static void test_ipv6_no_upper_layer(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = pb_ipv6(&b, IP6_HBH, 1, V6_A, V6_B);
	pb_ip6_opts(&b, IP6_NONE, 0);
	pb_fill(&b, 0xee, 8);	/* ignored after No Next Header */
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.proto, IP6_NONE);
	assert_int_equal(d.p.ttl, 1);
	assert_int_equal(d.p.has_l4, 0);
	assert_int_equal(d.p.l4_len, 8);

	pb_init(&b);
	ip = pb_ipv6(&b, IP6_ESP, 64, V6_A, V6_B);
	pb_be32(&b, 0x100);
	pb_be32(&b, 1);
	pb_fill(&b, 0x33, 32);
	pb_ipv6_end(&b, ip);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.proto, IP6_ESP);
	assert_int_equal(d.p.has_l4, 0);
	assert_int_equal(d.p.l4_len, 40);

	/* payload length 0 without any payload at all */
	pb_init(&b);
	ip = pb_ipv6(&b, IP6_NONE, 64, V6_A, V6_B);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	assert_int_equal(d.p.ip_len, 40);
	assert_int_equal(d.p.l4_len, 0);
	pb_dec_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_basic),
		cmocka_unit_test(test_ipv4_ttl_proto),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_version),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_totlen_vs_ihl),
		cmocka_unit_test(test_ipv4_totlen_zero),
		cmocka_unit_test(test_ipv4_ethernet_padding_excluded),
		cmocka_unit_test(test_ipv4_snaplen_clamped),
		cmocka_unit_test(test_ipv4_options_truncated),
		cmocka_unit_test(test_ipv4_first_fragment_tcp),
		cmocka_unit_test(test_ipv4_first_fragment_udp),
		cmocka_unit_test(test_ipv4_later_fragment),
		cmocka_unit_test(test_ipv4_df_is_not_fragment),
		cmocka_unit_test(test_ipv6_basic),
		cmocka_unit_test(test_ipv6_bad_version),
		cmocka_unit_test(test_ipv6_truncated_fixed_header),
		cmocka_unit_test(test_ipv6_each_ext),
		cmocka_unit_test(test_ipv6_ah_length),
		cmocka_unit_test(test_ipv6_fragment_first),
		cmocka_unit_test(test_ipv6_fragment_first_udp),
		cmocka_unit_test(test_ipv6_fragment_later),
		cmocka_unit_test(test_ipv6_atomic_fragment),
		cmocka_unit_test(test_ipv6_full_chain),
		cmocka_unit_test(test_ipv6_chain_limit),
		cmocka_unit_test(test_ipv6_ext_beyond_payload),
		cmocka_unit_test(test_ipv6_truncated_mid_ext),
		cmocka_unit_test(test_ipv6_jumbo),
		cmocka_unit_test(test_ipv6_padding_and_clamp),
		cmocka_unit_test(test_ipv6_no_upper_layer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
