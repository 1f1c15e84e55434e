/* \summary: unit tests for link-layer decoding (src/decode.c ether.c sll.c null.c) */
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

/* Every frame below carries one of two network payloads. */
#define U_SPORT 40000
#define U_DPORT 135
#define U_PAYLOAD 4
#define T_SPORT 49152
#define T_DPORT 445

/* IPv4 + UDP 198.18.0.1:40000 -> 198.18.0.2:135, 4 payload bytes (32 bytes). */
static size_t add_ip4_udp(struct pb *b)
{
	size_t ip = pb_ipv4(b, PROTO_UDP, 64, V4_A, V4_B, 0);
	size_t u = pb_udp(b, U_SPORT, U_DPORT);
	pb_pattern(b, 0x40, U_PAYLOAD);
	pb_udp_end(b, u);
	pb_ipv4_end(b, ip);
	return ip;
}

/* IPv6 + TCP [2001:2::1]:49152 -> [2001:2::2]:445 SYN, no payload (60 bytes). */
static size_t add_ip6_tcp(struct pb *b)
{
	size_t ip = pb_ipv6(b, PROTO_TCP, 63, V6_A, V6_B);
	pb_tcp(b, T_SPORT, T_DPORT, 1000, 0, TH_SYN, 65535, NULL, 0);
	pb_ipv6_end(b, ip);
	return ip;
}

static void check_ip4_udp(const struct dec *d, size_t ip_off)
{
	const struct pkt *p = &d->p;
	assert_int_equal(p->status, DEC_OK);
	assert_int_equal(p->fail_layer, LAYER_NONE);
	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->ethertype, 0x0800);
	assert_int_equal(p->src.family, 4);
	assert_memory_equal(p->src.a, V4_A, 4);
	assert_memory_equal(p->dst.a, V4_B, 4);
	assert_int_equal(p->ttl, 64);
	assert_int_equal(p->proto, PROTO_UDP);
	assert_int_equal(p->ip_len, 32);
	assert_int_equal(p->has_l4, 1);
	assert_int_equal(p->sport, U_SPORT);
	assert_int_equal(p->dport, U_DPORT);
	assert_int_equal(p->payload_len, U_PAYLOAD);
	assert_int_equal(p->payload_caplen, U_PAYLOAD);
	assert_int_equal(pb_payload_off(d), ip_off + IP4_HLEN + UDP_HLEN);
	assert_int_equal(p->payload[0], 0x40);
}

static void check_ip6_tcp(const struct pkt *p)
{
	assert_int_equal(p->status, DEC_OK);
	assert_int_equal(p->ipver, 6);
	assert_int_equal(p->ethertype, 0x86dd);
	assert_memory_equal(p->src.a, V6_A, 16);
	assert_memory_equal(p->dst.a, V6_B, 16);
	assert_int_equal(p->ttl, 63);
	assert_int_equal(p->proto, PROTO_TCP);
	assert_int_equal(p->has_l4, 1);
	assert_int_equal(p->sport, T_SPORT);
	assert_int_equal(p->dport, T_DPORT);
	assert_int_equal(p->tcp_flags, TH_SYN);
	assert_int_equal(p->seq, 1000);
}

/* Expected outcome for a capture cut to `caplen` bytes: ranges [prev.upto, upto)
 * are DEC_TRUNCATED at `layer`; from the last upto on the frame decodes. */
struct cut {
	size_t upto;
	enum dec_layer layer;
};

static void check_every_prefix(int dlt, const struct pb *b, const struct cut *cuts, size_t ncuts)
{
	struct dec d = {0};
	for (size_t len = 0; len <= b->n; len++) {
		enum dec_status st = pb_decode_n(&d, dlt, b, len);
		enum dec_layer want = LAYER_NONE;
		for (size_t i = 0; i < ncuts; i++) {
			if (len < cuts[i].upto) {
				want = cuts[i].layer;
				break;
			}
		}
		if (want != LAYER_NONE) {
			if (st != DEC_TRUNCATED || d.p.fail_layer != want)
				fail_msg("dlt %d caplen %zu/%zu: status %d layer %s, want TRUNCATED at %s", dlt, len,
					 b->n, st, decode_layer_name(d.p.fail_layer), decode_layer_name(want));
			assert_int_equal(d.p.has_l4, 0);
		} else {
			if (st != DEC_OK)
				fail_msg("dlt %d caplen %zu/%zu: status %d layer %s, want DEC_OK", dlt, len, b->n, st,
					 decode_layer_name(d.p.fail_layer));
			assert_int_equal(d.p.has_l4, 1);
			assert_int_equal(d.p.l4_clamped, len < b->n);
		}
		assert_int_equal(d.p.caplen, len);
		assert_int_equal(d.p.wirelen, b->n);
	}
	pb_dec_free(&d);
}

/* ---- Ethernet ------------------------------------------------------------------ */

static void test_eth_plain_v4(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x0800);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 0);
	pb_dec_free(&d);
}

static void test_eth_plain_v6(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x86dd);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip6_tcp(&d.p);
	assert_int_equal(d.p.nvlan, 0);
	pb_dec_free(&d);
}

static void test_eth_8021q(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 0xa064, 0x0800);	/* PCP 5, DEI 0, VID 100 */
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 1);
	assert_int_equal(d.p.vlan[0], 100);	/* priority and DEI bits masked off */
	pb_dec_free(&d);

	pb_init(&b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 0x1fff, 0x86dd);	/* DEI set, VID 4095 */
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip6_tcp(&d.p);
	assert_int_equal(d.p.nvlan, 1);
	assert_int_equal(d.p.vlan[0], 4095);
	pb_dec_free(&d);
}

static void test_eth_qinq(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x88a8);
	pb_vlan(&b, 200, 0x8100);
	pb_vlan(&b, 30, 0x0800);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 2);
	assert_int_equal(d.p.vlan[0], 200);	/* outer first */
	assert_int_equal(d.p.vlan[1], 30);
	pb_dec_free(&d);

	/* pre-standard 0x9100 outer tag */
	pb_init(&b);
	pb_eth(&b, 0x9100);
	pb_vlan(&b, 7, 0x8100);
	pb_vlan(&b, 8, 0x0800);
	ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 2);
	assert_int_equal(d.p.vlan[0], 7);
	assert_int_equal(d.p.vlan[1], 8);
	pb_dec_free(&d);
}

static void test_eth_three_tags(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x88a8);
	pb_vlan(&b, 1, 0x8100);
	pb_vlan(&b, 2, 0x8100);
	pb_vlan(&b, 3, 0x0800);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 3);	/* counted ... */
	assert_int_equal(d.p.vlan[0], 1);	/* ... but only two kept */
	assert_int_equal(d.p.vlan[1], 2);
	pb_dec_free(&d);
}

static void build_tags(struct pb *b, unsigned ntags)
{
	pb_init(b);
	pb_eth(b, 0x8100);
	for (unsigned i = 0; i < ntags; i++)
		pb_vlan(b, (uint16_t)(10 + i), i + 1 < ntags ? 0x8100 : 0x0800);
	add_ip4_udp(b);
}

static void test_eth_tag_limit(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	build_tags(&b, 8);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	assert_int_equal(d.p.nvlan, 8);
	assert_int_equal(d.p.sport, U_SPORT);

	build_tags(&b, 9);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_VLAN);
	assert_int_equal(d.p.ipver, 0);
	assert_int_equal(d.p.has_l4, 0);

	/* a long run of tags cut by the snaplen is invalid as soon as the 9th TPID is read */
	build_tags(&b, 40);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_VLAN);
	pb_dec_free(&d);
}

static void test_eth_snap(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth_snap(&b, 8 + 32, 0x0800);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(ip, SNAP_HLEN);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	pb_dec_free(&d);

	/* SNAP carrying a VLAN tag */
	pb_init(&b);
	pb_eth_snap(&b, 8 + 4 + 60, 0x8100);
	pb_vlan(&b, 42, 0x86dd);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_OK);
	check_ip6_tcp(&d.p);
	assert_int_equal(d.p.nvlan, 1);
	assert_int_equal(d.p.vlan[0], 42);
	pb_dec_free(&d);
}

static void test_eth_8023_not_snap(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth_llc(&b, 38, 0x42, 0x42, 0x03);	/* spanning tree BPDU */
	pb_fill(&b, 0, 35);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_NOT_IP);
	assert_int_equal(d.p.ipver, 0);
	assert_int_equal(d.p.has_l4, 0);

	/* 0x05ff is still a length; an LLC that only starts like SNAP is not SNAP */
	pb_init(&b);
	pb_eth_llc(&b, 0x05ff, 0xaa, 0xaa, 0x13);
	pb_fill(&b, 0, 40);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_NOT_IP);
	pb_dec_free(&d);
}

static void test_eth_not_ip(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	static const uint16_t types[] = {0x0806 /* ARP */, 0x0600, 0x8035 /* RARP */, 0x88cc /* LLDP */,
					 0x8847 /* MPLS */, 0xffff};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		pb_init(&b);
		pb_eth(&b, types[i]);
		add_ip4_udp(&b);	/* looks like IP, but the type says otherwise */
		assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_NOT_IP);
		assert_int_equal(d.p.ethertype, types[i]);
		assert_int_equal(d.p.ipver, 0);
		assert_int_equal(d.p.has_l4, 0);
	}
	/* ARP behind a VLAN tag */
	pb_init(&b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 5, 0x0806);
	pb_fill(&b, 0, 28);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_NOT_IP);
	assert_int_equal(d.p.ethertype, 0x0806);
	assert_int_equal(d.p.nvlan, 1);
	pb_dec_free(&d);
}

static void test_eth_type_version_mismatch(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x86dd);
	add_ip4_udp(&b);
	pb_fill(&b, 0, 20);	/* long enough for a fixed IPv6 header */
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV6);

	pb_init(&b);
	pb_eth(&b, 0x0800);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_EN10MB, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	pb_dec_free(&d);
}

static void test_eth_truncated_every_length(void **state)
{
	(void)state;
	struct pb b;

	pb_init(&b);
	pb_eth(&b, 0x0800);
	add_ip4_udp(&b);
	const struct cut plain[] = {{14, LAYER_LINK}, {34, LAYER_IPV4}, {42, LAYER_UDP}};
	check_every_prefix(DLT_EN10MB, &b, plain, 3);

	pb_init(&b);
	pb_eth(&b, 0x86dd);
	add_ip6_tcp(&b);
	const struct cut v6[] = {{14, LAYER_LINK}, {54, LAYER_IPV6}, {74, LAYER_TCP}};
	check_every_prefix(DLT_EN10MB, &b, v6, 3);

	pb_init(&b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 100, 0x0800);
	add_ip4_udp(&b);
	const struct cut q[] = {{14, LAYER_LINK}, {18, LAYER_VLAN}, {38, LAYER_IPV4}, {46, LAYER_UDP}};
	check_every_prefix(DLT_EN10MB, &b, q, 4);

	pb_init(&b);
	pb_eth(&b, 0x88a8);
	pb_vlan(&b, 100, 0x8100);
	pb_vlan(&b, 200, 0x8100);
	pb_vlan(&b, 300, 0x86dd);
	add_ip6_tcp(&b);
	const struct cut qq[] = {{14, LAYER_LINK}, {26, LAYER_VLAN}, {66, LAYER_IPV6}, {86, LAYER_TCP}};
	check_every_prefix(DLT_EN10MB, &b, qq, 4);

	pb_init(&b);
	pb_eth_snap(&b, 40, 0x0800);
	add_ip4_udp(&b);
	const struct cut snap[] = {{22, LAYER_LINK}, {42, LAYER_IPV4}, {50, LAYER_UDP}};
	check_every_prefix(DLT_EN10MB, &b, snap, 3);
}

/* ---- Linux cooked ----------------------------------------------------------------- */

static void test_sll(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_sll(&b, 0 /* to us */, 0x0800);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(ip, SLL_HLEN);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL, &b), DEC_OK);
	check_ip4_udp(&d, ip);

	pb_init(&b);
	pb_sll(&b, 4 /* outgoing */, 0x86dd);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL, &b), DEC_OK);
	check_ip6_tcp(&d.p);

	/* VLAN tag left in the frame */
	pb_init(&b);
	pb_sll(&b, 0, 0x8100);
	pb_vlan(&b, 77, 0x0800);
	ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 1);
	assert_int_equal(d.p.vlan[0], 77);

	/* small protocol values are not ethertypes; ARP is not IP */
	static const uint16_t notip[] = {0x0001, 0x0004, 0x0003, 0x05ff, 0x0806};
	for (size_t i = 0; i < sizeof notip / sizeof notip[0]; i++) {
		pb_init(&b);
		pb_sll(&b, 0, notip[i]);
		add_ip4_udp(&b);
		assert_int_equal(pb_decode(&d, DLT_LINUX_SLL, &b), DEC_NOT_IP);
		assert_int_equal(d.p.ipver, 0);
	}
	pb_dec_free(&d);
}

static void test_sll2(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_sll2(&b, 0x0800, 3, 0);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(ip, SLL2_HLEN);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL2, &b), DEC_OK);
	check_ip4_udp(&d, ip);

	pb_init(&b);
	pb_sll2(&b, 0x86dd, 0xffffffffu, 4);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL2, &b), DEC_OK);
	check_ip6_tcp(&d.p);

	pb_init(&b);
	pb_sll2(&b, 0x88a8, 1, 0);
	pb_vlan(&b, 10, 0x8100);
	pb_vlan(&b, 20, 0x0800);
	ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL2, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 2);
	assert_int_equal(d.p.vlan[1], 20);

	pb_init(&b);
	pb_sll2(&b, 0x0001, 1, 0);
	add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL2, &b), DEC_NOT_IP);
	pb_init(&b);
	pb_sll2(&b, 0x0806, 1, 0);
	pb_fill(&b, 0, 28);
	assert_int_equal(pb_decode(&d, DLT_LINUX_SLL2, &b), DEC_NOT_IP);
	pb_dec_free(&d);
}

static void test_sll_truncated_every_length(void **state)
{
	(void)state;
	struct pb b;
	pb_init(&b);
	pb_sll(&b, 0, 0x0800);
	add_ip4_udp(&b);
	const struct cut c1[] = {{16, LAYER_LINK}, {36, LAYER_IPV4}, {44, LAYER_UDP}};
	check_every_prefix(DLT_LINUX_SLL, &b, c1, 3);

	pb_init(&b);
	pb_sll(&b, 0, 0x8100);
	pb_vlan(&b, 1, 0x86dd);
	add_ip6_tcp(&b);
	const struct cut c2[] = {{16, LAYER_LINK}, {20, LAYER_VLAN}, {60, LAYER_IPV6}, {80, LAYER_TCP}};
	check_every_prefix(DLT_LINUX_SLL, &b, c2, 4);

	pb_init(&b);
	pb_sll2(&b, 0x0800, 2, 0);
	add_ip4_udp(&b);
	const struct cut c3[] = {{20, LAYER_LINK}, {40, LAYER_IPV4}, {48, LAYER_UDP}};
	check_every_prefix(DLT_LINUX_SLL2, &b, c3, 3);

	pb_init(&b);
	pb_sll2(&b, 0x86dd, 2, 0);
	add_ip6_tcp(&b);
	const struct cut c4[] = {{20, LAYER_LINK}, {60, LAYER_IPV6}, {80, LAYER_TCP}};
	check_every_prefix(DLT_LINUX_SLL2, &b, c4, 3);
}

/* ---- BSD loopback ----------------------------------------------------------------- */

static void test_null_both_orders(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	for (int be = 0; be <= 1; be++) {
		pb_init(&b);
		pb_null(&b, 2, be);
		size_t ip = add_ip4_udp(&b);
		assert_int_equal(ip, NULL_HLEN);
		assert_int_equal(pb_decode(&d, DLT_NULL, &b), DEC_OK);
		check_ip4_udp(&d, ip);

		static const uint32_t v6fam[] = {24, 28, 30, 10, 23};
		for (size_t i = 0; i < sizeof v6fam / sizeof v6fam[0]; i++) {
			pb_init(&b);
			pb_null(&b, v6fam[i], be);
			add_ip6_tcp(&b);
			if (pb_decode(&d, DLT_NULL, &b) != DEC_OK)
				fail_msg("DLT_NULL family %u %s-endian: status %d", v6fam[i], be ? "big" : "little",
					 d.p.status);
			check_ip6_tcp(&d.p);
		}

		/* unknown families: not IP */
		static const uint32_t other[] = {0, 1, 7, 11, 31, 0x0800};
		for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
			pb_init(&b);
			pb_null(&b, other[i], be);
			add_ip4_udp(&b);
			assert_int_equal(pb_decode(&d, DLT_NULL, &b), DEC_NOT_IP);
			assert_int_equal(d.p.ipver, 0);
		}
	}
	pb_dec_free(&d);
}

static void test_loop(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_null(&b, 2, 1);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_LOOP, &b), DEC_OK);
	check_ip4_udp(&d, ip);

	static const uint32_t v6fam[] = {24, 28, 30};
	for (size_t i = 0; i < sizeof v6fam / sizeof v6fam[0]; i++) {
		pb_init(&b);
		pb_null(&b, v6fam[i], 1);
		add_ip6_tcp(&b);
		assert_int_equal(pb_decode(&d, DLT_LOOP, &b), DEC_OK);
		check_ip6_tcp(&d.p);
	}

	/* DLT_LOOP is always network byte order: a little-endian AF_INET is not it */
	pb_init(&b);
	pb_null(&b, 2, 0);
	add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_LOOP, &b), DEC_NOT_IP);
	pb_dec_free(&d);
}

static void test_null_truncated_every_length(void **state)
{
	(void)state;
	struct pb b;
	for (int be = 0; be <= 1; be++) {
		pb_init(&b);
		pb_null(&b, 2, be);
		add_ip4_udp(&b);
		const struct cut c4[] = {{4, LAYER_LINK}, {24, LAYER_IPV4}, {32, LAYER_UDP}};
		check_every_prefix(DLT_NULL, &b, c4, 3);
		if (be)
			check_every_prefix(DLT_LOOP, &b, c4, 3);

		pb_init(&b);
		pb_null(&b, 28, be);
		add_ip6_tcp(&b);
		const struct cut c6[] = {{4, LAYER_LINK}, {44, LAYER_IPV6}, {64, LAYER_TCP}};
		check_every_prefix(DLT_NULL, &b, c6, 3);
		if (be)
			check_every_prefix(DLT_LOOP, &b, c6, 3);
	}
}

/* ---- raw IP ------------------------------------------------------------------------- */

static void test_raw(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	size_t ip = add_ip4_udp(&b);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	check_ip4_udp(&d, ip);
	assert_int_equal(d.p.nvlan, 0);

	pb_init(&b);
	add_ip6_tcp(&b);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_OK);
	check_ip6_tcp(&d.p);

	/* empty frame: nothing to pick the version from */
	pb_init(&b);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_TRUNCATED);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);

	/* a version nibble that is neither 4 nor 6 */
	pb_init(&b);
	ip = add_ip4_udp(&b);
	pb_set8(&b, ip, 0x55);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	pb_set8(&b, ip, 0x05);
	assert_int_equal(pb_decode(&d, DLT_RAW, &b), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	pb_dec_free(&d);
}

/* DLT_IPV4 / DLT_IPV6 promise one version; the other one is invalid. */
static void test_ipv4_ipv6_dlt(void **state)
{
	(void)state;
	struct pb b4, b6;
	struct dec d = {0};
	pb_init(&b4);
	add_ip4_udp(&b4);
	pb_init(&b6);
	add_ip6_tcp(&b6);

	assert_int_equal(pb_decode(&d, DLT_IPV4, &b4), DEC_OK);
	assert_int_equal(d.p.ipver, 4);
	assert_memory_equal(d.p.src.a, V4_A, 4);
	assert_int_equal(d.p.sport, U_SPORT);
	assert_int_equal(d.p.dport, U_DPORT);
	assert_int_equal(d.p.payload_len, U_PAYLOAD);

	assert_int_equal(pb_decode(&d, DLT_IPV6, &b6), DEC_OK);
	assert_int_equal(d.p.ipver, 6);
	assert_memory_equal(d.p.src.a, V6_A, 16);
	assert_int_equal(d.p.sport, T_SPORT);
	assert_int_equal(d.p.seq, 1000);

	assert_int_equal(pb_decode(&d, DLT_IPV4, &b6), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	pb_fill(&b4, 0, 20);	/* long enough for a fixed IPv6 header */
	assert_int_equal(pb_decode(&d, DLT_IPV6, &b4), DEC_INVALID);
	assert_int_equal(d.p.fail_layer, LAYER_IPV6);

	pb_init(&b4);
	assert_int_equal(pb_decode(&d, DLT_IPV4, &b4), DEC_TRUNCATED);
	assert_int_equal(d.p.fail_layer, LAYER_IPV4);
	assert_int_equal(pb_decode(&d, DLT_IPV6, &b4), DEC_TRUNCATED);
	assert_int_equal(d.p.fail_layer, LAYER_IPV6);
	pb_dec_free(&d);
}

static void test_raw_truncated_every_length(void **state)
{
	(void)state;
	struct pb b;
	pb_init(&b);
	add_ip4_udp(&b);
	const struct cut c4[] = {{20, LAYER_IPV4}, {28, LAYER_UDP}};
	check_every_prefix(DLT_RAW, &b, c4, 2);

	pb_init(&b);
	add_ip6_tcp(&b);
	/* caplen 0 cannot tell the version and reports IPv4 */
	const struct cut c6[] = {{1, LAYER_IPV4}, {40, LAYER_IPV6}, {60, LAYER_TCP}};
	check_every_prefix(DLT_RAW, &b, c6, 3);
	const struct cut c6b[] = {{40, LAYER_IPV6}, {60, LAYER_TCP}};
	check_every_prefix(DLT_IPV6, &b, c6b, 2);

	pb_init(&b);
	add_ip4_udp(&b);
	check_every_prefix(DLT_IPV4, &b, c4, 2);
}

/* ---- dispatch and bookkeeping ------------------------------------------------------------ */

static void test_unsupported_link(void **state)
{
	(void)state;
	struct pb b;
	struct dec d = {0};
	pb_init(&b);
	pb_eth(&b, 0x0800);
	add_ip4_udp(&b);
	static const int bad[] = {DLT_IEEE802_11, DLT_PPP, DLT_IEEE802_11_RADIO, DLT_USER0, -1, 100000};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(pb_decode(&d, bad[i], &b), DEC_UNSUPPORTED_LINK);
		assert_int_equal(d.p.status, DEC_UNSUPPORTED_LINK);
		assert_int_equal(d.p.fail_layer, LAYER_LINK);
		assert_int_equal(d.p.ipver, 0);
		assert_int_equal(decode_link_supported(bad[i]), 0);
	}
	pb_dec_free(&d);
}

static void test_link_supported(void **state)
{
	(void)state;
	static const int ok[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				 DLT_IPV4,   DLT_IPV6,	    DLT_NULL,	    DLT_LOOP};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_int_equal(decode_link_supported(ok[i]), 1);
}

/* decode_packet keeps the caller's metadata and resets everything else. */
static void test_metadata_and_reset(void **state)
{
	(void)state;
	struct pb b;
	pb_init(&b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 9, 0x0806);
	pb_fill(&b, 0, 28);

	struct pkt p;
	memset(&p, 0xa5, sizeof p);
	p.frame = 77;
	p.ts_us = 1234567890123456ull;
	p.caplen = (uint32_t)b.n;
	p.wirelen = 1514;
	assert_int_equal(decode_packet(DLT_EN10MB, b.b, &p), DEC_NOT_IP);
	assert_int_equal(p.frame, 77);
	assert_true(p.ts_us == 1234567890123456ull);
	assert_int_equal(p.caplen, b.n);
	assert_int_equal(p.wirelen, 1514);
	assert_int_equal(p.status, DEC_NOT_IP);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan[0], 9);
	assert_int_equal(p.vlan[1], 0);
	assert_int_equal(p.ipver, 0);
	assert_int_equal(p.has_l4, 0);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.q.valid, 0);
	assert_null(p.payload);
	assert_int_equal(p.payload_len, 0);

	/* NULL data with caplen 0 */
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_EN10MB, NULL, &p), DEC_TRUNCATED);
	assert_int_equal(p.fail_layer, LAYER_LINK);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_RAW, NULL, &p), DEC_TRUNCATED);
}

static void test_layer_names(void **state)
{
	(void)state;
	assert_string_equal(decode_layer_name(LAYER_NONE), "none");
	assert_string_equal(decode_layer_name(LAYER_LINK), "link");
	assert_string_equal(decode_layer_name(LAYER_VLAN), "vlan");
	assert_string_equal(decode_layer_name(LAYER_IPV4), "ipv4");
	assert_string_equal(decode_layer_name(LAYER_IPV6), "ipv6");
	assert_string_equal(decode_layer_name(LAYER_IPV6_EXT), "ipv6-ext");
	assert_string_equal(decode_layer_name(LAYER_TCP), "tcp");
	assert_string_equal(decode_layer_name(LAYER_UDP), "udp");
	assert_string_equal(decode_layer_name(LAYER_ICMP), "icmp");
	assert_string_equal(decode_layer_name(LAYER_ICMP6), "icmp6");
	assert_string_equal(decode_layer_name(LAYER_ICMP_QUOTE), "icmp-quote");
	assert_string_equal(decode_layer_name(LAYER__COUNT), "?");
	assert_string_equal(decode_layer_name((enum dec_layer)-1), "?");
	assert_string_equal(decode_layer_name((enum dec_layer)1000), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_plain_v4),
		cmocka_unit_test(test_eth_plain_v6),
		cmocka_unit_test(test_eth_8021q),
		cmocka_unit_test(test_eth_qinq),
		cmocka_unit_test(test_eth_three_tags),
		cmocka_unit_test(test_eth_tag_limit),
		cmocka_unit_test(test_eth_snap),
		cmocka_unit_test(test_eth_8023_not_snap),
		cmocka_unit_test(test_eth_not_ip),
		cmocka_unit_test(test_eth_type_version_mismatch),
		cmocka_unit_test(test_eth_truncated_every_length),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_sll_truncated_every_length),
		cmocka_unit_test(test_null_both_orders),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_null_truncated_every_length),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_ipv4_ipv6_dlt),
		cmocka_unit_test(test_raw_truncated_every_length),
		cmocka_unit_test(test_unsupported_link),
		cmocka_unit_test(test_link_supported),
		cmocka_unit_test(test_metadata_and_reset),
		cmocka_unit_test(test_layer_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
