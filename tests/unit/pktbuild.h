/* \summary: unit-test helpers that build link/IP/L4 frames byte by byte
 *
 * A struct pb is a fixed buffer plus a write length.  Every pb_* builder
 * appends one header at the end and returns the offset where it starts, so
 * a test can patch fields afterwards (pb_set8/16/32) to build malformed
 * frames.  Length fields that depend on what follows (IPv4 total length,
 * IPv6 payload length, UDP length) are filled by the matching *_end()
 * helper once the rest of the frame is appended.
 *
 * Addresses come only from the benchmarking ranges 198.18.0.0/15 and
 * 2001:2::/48 (RFC 5180).
 *
 * pb_decode() copies the first `caplen` bytes into a heap buffer of exactly
 * that size before calling decode_packet(), so under AddressSanitizer any
 * read past the captured length is reported.
 */
#ifndef RPCWATCH_TEST_PKTBUILD_H
#define RPCWATCH_TEST_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define PB_MAX 4096

struct pb {
	uint8_t b[PB_MAX];
	size_t n;
};

/* ---- addresses (RFC 5180 benchmarking ranges) ---------------------------- */

#define V4_A ((const uint8_t[4]){198, 18, 0, 1})
#define V4_B ((const uint8_t[4]){198, 18, 0, 2})
#define V4_C ((const uint8_t[4]){198, 18, 1, 3})
#define V4_R ((const uint8_t[4]){198, 19, 255, 254})	/* a router */
#define V6_A ((const uint8_t[16]){0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01})
#define V6_B ((const uint8_t[16]){0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02})
#define V6_C ((const uint8_t[16]){0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x03})
#define V6_R ((const uint8_t[16]){0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x01})

/* ---- raw bytes ------------------------------------------------------------ */

static inline void pb_init(struct pb *p)
{
	memset(p->b, 0, sizeof p->b);
	p->n = 0;
}

static inline void pb_need(const struct pb *p, size_t k)
{
	if (k > PB_MAX - p->n)
		abort();	/* test bug: frame too large */
}

static inline size_t pb_u8(struct pb *p, uint8_t v)
{
	pb_need(p, 1);
	p->b[p->n] = v;
	return p->n++;
}

static inline size_t pb_be16(struct pb *p, uint16_t v)
{
	size_t at = p->n;
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
	return at;
}

static inline size_t pb_be32(struct pb *p, uint32_t v)
{
	size_t at = p->n;
	pb_be16(p, (uint16_t)(v >> 16));
	pb_be16(p, (uint16_t)v);
	return at;
}

static inline size_t pb_le32(struct pb *p, uint32_t v)
{
	size_t at = p->n;
	pb_u8(p, (uint8_t)v);
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)(v >> 16));
	pb_u8(p, (uint8_t)(v >> 24));
	return at;
}

static inline size_t pb_bytes(struct pb *p, const void *src, size_t k)
{
	size_t at = p->n;
	pb_need(p, k);
	if (k)
		memcpy(p->b + p->n, src, k);
	p->n += k;
	return at;
}

static inline size_t pb_fill(struct pb *p, uint8_t v, size_t k)
{
	size_t at = p->n;
	pb_need(p, k);
	memset(p->b + p->n, v, k);
	p->n += k;
	return at;
}

/* A recognisable payload: byte i is (seed + i) & 0xff. */
static inline size_t pb_pattern(struct pb *p, uint8_t seed, size_t k)
{
	size_t at = p->n;
	for (size_t i = 0; i < k; i++)
		pb_u8(p, (uint8_t)(seed + i));
	return at;
}

static inline void pb_set8(struct pb *p, size_t at, uint8_t v)
{
	if (at >= p->n)
		abort();
	p->b[at] = v;
}

static inline void pb_set16(struct pb *p, size_t at, uint16_t v)
{
	pb_set8(p, at, (uint8_t)(v >> 8));
	pb_set8(p, at + 1, (uint8_t)v);
}

static inline void pb_set32(struct pb *p, size_t at, uint32_t v)
{
	pb_set16(p, at, (uint16_t)(v >> 16));
	pb_set16(p, at + 2, (uint16_t)v);
}

/* ---- link layers ------------------------------------------------------------ */

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define SNAP_HLEN 22	/* 802.3 header + LLC (3) + SNAP (5) */
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define NULL_HLEN 4

/* Ethernet II: dst, src, type (or an 802.1Q/802.1ad TPID). */
static inline size_t pb_eth(struct pb *p, uint16_t type)
{
	static const uint8_t dst[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
	static const uint8_t src[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
	size_t at = pb_bytes(p, dst, 6);
	pb_bytes(p, src, 6);
	pb_be16(p, type);
	return at;
}

/* One VLAN tag body after a TPID: TCI, then the next type (or TPID). */
static inline size_t pb_vlan(struct pb *p, uint16_t tci, uint16_t next_type)
{
	size_t at = pb_be16(p, tci);
	pb_be16(p, next_type);
	return at;
}

/* IEEE 802.3 header with a length field, LLC AA AA 03 and SNAP OUI 0 + type. */
static inline size_t pb_eth_snap(struct pb *p, uint16_t len8023, uint16_t type)
{
	size_t at = pb_eth(p, len8023);
	pb_u8(p, 0xaa);
	pb_u8(p, 0xaa);
	pb_u8(p, 0x03);
	pb_fill(p, 0, 3);
	pb_be16(p, type);
	return at;
}

/* IEEE 802.3 header with a plain 802.2 LLC header (e.g. STP 42 42 03). */
static inline size_t pb_eth_llc(struct pb *p, uint16_t len8023, uint8_t dsap, uint8_t ssap, uint8_t ctl)
{
	size_t at = pb_eth(p, len8023);
	pb_u8(p, dsap);
	pb_u8(p, ssap);
	pb_u8(p, ctl);
	return at;
}

/* Linux cooked v1: pkttype, hatype 1, halen 6, addr(8), protocol. */
static inline size_t pb_sll(struct pb *p, uint16_t pkttype, uint16_t proto)
{
	static const uint8_t addr[8] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02, 0, 0};
	size_t at = pb_be16(p, pkttype);
	pb_be16(p, 1);
	pb_be16(p, 6);
	pb_bytes(p, addr, 8);
	pb_be16(p, proto);
	return at;
}

/* Linux cooked v2: protocol, reserved, ifindex, hatype 1, pkttype, halen 6, addr(8). */
static inline size_t pb_sll2(struct pb *p, uint16_t proto, uint32_t ifindex, uint8_t pkttype)
{
	static const uint8_t addr[8] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02, 0, 0};
	size_t at = pb_be16(p, proto);
	pb_be16(p, 0);
	pb_be32(p, ifindex);
	pb_be16(p, 1);
	pb_u8(p, pkttype);
	pb_u8(p, 6);
	pb_bytes(p, addr, 8);
	return at;
}

/* BSD loopback family word, in either byte order. */
static inline size_t pb_null(struct pb *p, uint32_t family, int big_endian)
{
	return big_endian ? pb_be32(p, family) : pb_le32(p, family);
}

/* ---- IPv4 ---------------------------------------------------------------------- */

#define IP4_HLEN 20

static inline uint16_t pb_cksum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 header with `optlen` bytes of options (multiple of 4, <= 40): a
 * Router Alert option first when there is room, NOPs, and a final EOL.
 * Total length is 0 until pb_ipv4_end()/pb_ipv4_tot(). */
static inline size_t pb_ipv4(struct pb *p, uint8_t proto, uint8_t ttl, const uint8_t src[4], const uint8_t dst[4],
			     size_t optlen)
{
	if (optlen % 4 || optlen > 40)
		abort();
	size_t at = pb_u8(p, (uint8_t)(0x40 | ((IP4_HLEN + optlen) / 4)));
	pb_u8(p, 0);		/* TOS */
	pb_be16(p, 0);		/* total length, set later */
	pb_be16(p, 0x1234);	/* id */
	pb_be16(p, 0);		/* flags + fragment offset */
	pb_u8(p, ttl);
	pb_u8(p, proto);
	pb_be16(p, 0);		/* checksum, set later */
	pb_bytes(p, src, 4);
	pb_bytes(p, dst, 4);
	size_t o = 0;
	if (optlen >= 4) {	/* Router Alert, RFC 2113 */
		pb_u8(p, 0x94);
		pb_u8(p, 4);
		pb_be16(p, 0);
		o = 4;
	}
	for (; o < optlen; o++)
		pb_u8(p, o + 1 == optlen ? 0x00 : 0x01);
	return at;
}

static inline size_t pb_ipv4_hlen(const struct pb *p, size_t at) { return (size_t)(p->b[at] & 0x0f) * 4; }

static inline void pb_ipv4_csum(struct pb *p, size_t at)
{
	size_t hl = pb_ipv4_hlen(p, at);
	if (at + hl > p->n)
		return;
	pb_set16(p, at + 10, 0);
	pb_set16(p, at + 10, pb_cksum(p->b + at, hl));
}

/* Set the total length explicitly (quotes, malformed frames). */
static inline void pb_ipv4_tot(struct pb *p, size_t at, uint16_t tot)
{
	pb_set16(p, at + 2, tot);
	pb_ipv4_csum(p, at);
}

/* Total length = everything appended since the header. */
static inline void pb_ipv4_end(struct pb *p, size_t at) { pb_ipv4_tot(p, at, (uint16_t)(p->n - at)); }

/* Flags and fragment offset (offset in 8-byte units). */
static inline void pb_ipv4_frag(struct pb *p, size_t at, int df, int mf, uint16_t off8)
{
	pb_set16(p, at + 6, (uint16_t)((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (off8 & 0x1fff)));
	pb_ipv4_csum(p, at);
}

/* ---- IPv6 and extension headers -------------------------------------------------- */

#define IP6_HLEN 40

#define IP6_HBH 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_ESP 50
#define IP6_AH 51
#define IP6_NONE 59
#define IP6_DSTOPTS 60
#define IP6_MOBILITY 135

static inline size_t pb_ipv6(struct pb *p, uint8_t nh, uint8_t hlim, const uint8_t src[16], const uint8_t dst[16])
{
	size_t at = pb_be32(p, 0x60012345u);	/* version 6, flow label 0x12345 */
	pb_be16(p, 0);		/* payload length, set later */
	pb_u8(p, nh);
	pb_u8(p, hlim);
	pb_bytes(p, src, 16);
	pb_bytes(p, dst, 16);
	return at;
}

static inline void pb_ipv6_plen(struct pb *p, size_t at, uint16_t plen) { pb_set16(p, at + 4, plen); }
static inline void pb_ipv6_end(struct pb *p, size_t at) { pb_ipv6_plen(p, at, (uint16_t)(p->n - at - IP6_HLEN)); }

/* Pad `k` option bytes with Pad1 / PadN (RFC 8200 4.2). */
static inline void pb_ip6_pad(struct pb *p, size_t k)
{
	if (k == 1) {
		pb_u8(p, 0);
	} else if (k >= 2) {
		pb_u8(p, 1);
		pb_u8(p, (uint8_t)(k - 2));
		pb_fill(p, 0, k - 2);
	}
}

/* Hop-by-hop, destination options or mobility-shaped header: next, len,
 * then (len+1)*8 - 2 bytes of padding options. */
static inline size_t pb_ip6_opts(struct pb *p, uint8_t nh, uint8_t len)
{
	size_t at = pb_u8(p, nh);
	pb_u8(p, len);
	pb_ip6_pad(p, ((size_t)len + 1) * 8 - 2);
	return at;
}

/* Hop-by-hop header carrying a Jumbo Payload option (RFC 2675). */
static inline size_t pb_ip6_jumbo(struct pb *p, uint8_t nh, uint32_t jumbo_len)
{
	size_t at = pb_u8(p, nh);
	pb_u8(p, 0);
	pb_u8(p, 0xc2);
	pb_u8(p, 4);
	pb_be32(p, jumbo_len);
	return at;
}

/* Routing header: next, len, routing type, segments left, then zeros. */
static inline size_t pb_ip6_rh(struct pb *p, uint8_t nh, uint8_t len, uint8_t type, uint8_t segleft)
{
	size_t at = pb_u8(p, nh);
	pb_u8(p, len);
	pb_u8(p, type);
	pb_u8(p, segleft);
	pb_fill(p, 0, ((size_t)len + 1) * 8 - 4);
	return at;
}

/* Fragment header: offset in 8-byte units, M flag, identification. */
static inline size_t pb_ip6_frag(struct pb *p, uint8_t nh, uint16_t off8, int m, uint32_t id)
{
	size_t at = pb_u8(p, nh);
	pb_u8(p, 0);
	pb_be16(p, (uint16_t)((off8 << 3) | (m ? 1 : 0)));
	pb_be32(p, id);
	return at;
}

/* Authentication Header (RFC 4302): (len + 2) * 4 bytes in all. */
static inline size_t pb_ip6_ah(struct pb *p, uint8_t nh, uint8_t len)
{
	size_t total = ((size_t)len + 2) * 4;
	if (total < 12)
		abort();
	size_t at = pb_u8(p, nh);
	pb_u8(p, len);
	pb_be16(p, 0);		/* reserved */
	pb_be32(p, 0x1000);	/* SPI */
	pb_be32(p, 7);		/* sequence number */
	pb_fill(p, 0xa5, total - 12);	/* ICV */
	return at;
}

/* ---- TCP / UDP / ICMP ---------------------------------------------------------------- */

#define TCP_HLEN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8

/* The options of a typical Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes). */
#define TCP_SYN_OPTS                                                                                           \
	((const uint8_t[20]){2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0, 1, 3, 3, 7})

/* TCP header; options padded with EOL to a multiple of 4.  Returns its offset. */
static inline size_t pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			    uint16_t win, const uint8_t *opts, size_t optlen)
{
	size_t padded = (optlen + 3) & ~(size_t)3;
	if (padded > 40)
		abort();
	size_t at = pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be32(p, seq);
	pb_be32(p, ack);
	pb_u8(p, (uint8_t)(((TCP_HLEN + padded) / 4) << 4));
	pb_u8(p, flags);
	pb_be16(p, win);
	pb_be16(p, 0);		/* checksum: not verified by the decoder */
	pb_be16(p, 0);		/* urgent pointer */
	pb_bytes(p, opts, optlen);
	pb_fill(p, 0, padded - optlen);
	return at;
}

/* Overwrite the data offset nibble (in 32-bit words). */
static inline void pb_tcp_doff(struct pb *p, size_t at, uint8_t words) { pb_set8(p, at + 12, (uint8_t)(words << 4)); }

static inline size_t pb_udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	size_t at = pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be16(p, 0);		/* length, set later */
	pb_be16(p, 0);		/* checksum */
	return at;
}

static inline void pb_udp_len(struct pb *p, size_t at, uint16_t len) { pb_set16(p, at + 4, len); }
static inline void pb_udp_end(struct pb *p, size_t at) { pb_udp_len(p, at, (uint16_t)(p->n - at)); }

/* ICMP / ICMPv6 header: type, code, checksum (0), 4 bytes rest-of-header. */
static inline size_t pb_icmp(struct pb *p, uint8_t type, uint8_t code, uint32_t rest)
{
	size_t at = pb_u8(p, type);
	pb_u8(p, code);
	pb_be16(p, 0);
	pb_be32(p, rest);
	return at;
}

/* ---- decoding from an exact-size heap copy --------------------------------------------- */

struct dec {
	uint8_t *data;		/* exactly caplen bytes (malloc'd), or NULL */
	size_t caplen;
	struct pkt p;
};

/* Decode the first `caplen` bytes of `b` (wirelen = b->n).  Frees any
 * earlier copy held by `d`; `d` must start zeroed. */
static inline enum dec_status pb_decode_n(struct dec *d, int dlt, const struct pb *b, size_t caplen)
{
	free(d->data);
	if (caplen > b->n)
		abort();
	d->data = malloc(caplen);	/* malloc(0): ASan flags any read at all */
	if (!d->data && caplen)
		abort();
	if (caplen)
		memcpy(d->data, b->b, caplen);
	d->caplen = caplen;
	memset(&d->p, 0, sizeof d->p);
	d->p.frame = 1;
	d->p.ts_us = 1500000000000000ull;
	d->p.caplen = (uint32_t)caplen;
	d->p.wirelen = (uint32_t)b->n;
	return decode_packet(dlt, d->data, &d->p);
}

static inline enum dec_status pb_decode(struct dec *d, int dlt, const struct pb *b) { return pb_decode_n(d, dlt, b, b->n); }

static inline void pb_dec_free(struct dec *d)
{
	free(d->data);
	d->data = NULL;
	d->p.payload = NULL;
}

/* Offset of the decoded payload inside the frame (payload must be set). */
static inline size_t pb_payload_off(const struct dec *d) { return (size_t)(d->p.payload - d->data); }

#endif
