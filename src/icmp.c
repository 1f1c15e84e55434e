/* \summary: ICMP (IPv4) and the IP+L4 header quoted inside ICMP/ICMPv6 errors
 * specification: RFC 792, RFC 1122 3.2.2, RFC 1812 4.3.2.3 (admin-prohibited,
 * codes 9, 10, 13), RFC 4884 (extensions do not move the quote)
 *
 *  | type(8) | code(8) | checksum(16) |
 *  | rest of header (4): unused / MTU / pointer / gateway |
 *  | quoted: original IP header + at least 8 bytes of its payload |
 *
 * Error types carrying a quote: 3 destination unreachable, 4 source quench,
 * 5 redirect, 11 time exceeded, 12 parameter problem.  The quote tells
 * which flow the error answers, so the error is attributed to that flow.
 */
#include "config.h"
#include "decode.h"
#include "l4.h"

enum dec_status ipv6_ext_walk(struct cur *c, uint8_t *nh, uint8_t *frag, uint8_t *later, uint32_t *ext_bytes);

void icmp_quote_decode(struct quoted *q, struct cur *c)
{
	memset(q, 0, sizeof *q);
	uint8_t b;
	if (!cur_peek_u8(c, cur_off(c), &b))
		return;
	int later = 0;
	if ((b >> 4) == 4) {
		uint8_t vihl = cur_u8(c);
		cur_skip(c, 5);
		uint16_t fo = cur_be16(c);
		cur_skip(c, 1);
		q->proto = cur_u8(c);
		cur_skip(c, 2);
		const uint8_t *s = cur_take(c, 4);
		const uint8_t *d = cur_take(c, 4);
		unsigned hl = (unsigned)(vihl & 0x0f) * 4;
		if (!cur_ok(c) || hl < 20 || !cur_skip(c, hl - 20))
			return;
		addr_set4(&q->src, s);
		addr_set4(&q->dst, d);
		later = (fo & 0x1fff) != 0;
	} else if ((b >> 4) == 6) {
		cur_skip(c, 6);
		uint8_t nh = cur_u8(c);
		cur_skip(c, 1);
		const uint8_t *s = cur_take(c, 16);
		const uint8_t *d = cur_take(c, 16);
		if (!cur_ok(c))
			return;
		addr_set6(&q->src, s);
		addr_set6(&q->dst, d);
		uint8_t frag = 0, lat = 0;
		uint32_t ext;
		if (ipv6_ext_walk(c, &nh, &frag, &lat, &ext) != DEC_OK)
			return;
		q->proto = nh;
		later = lat;
	} else {
		return;
	}
	q->valid = 1;
	if (later)
		return;
	if (q->proto == PROTO_TCP || q->proto == PROTO_UDP) {
		uint16_t sp = cur_be16(c);
		uint16_t dp = cur_be16(c);
		if (!cur_ok(c))
			return;
		q->sport = sp;
		q->dport = dp;
		q->has_ports = 1;
		if (q->proto == PROTO_TCP) {
			uint32_t seq = cur_be32(c);
			if (cur_ok(c)) {
				q->tcp_seq = seq;
				q->has_seq = 1;
			}
		}
	}
}

static int icmp4_is_error(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

enum dec_status icmp_decode(struct pkt *p, struct cur *c)
{
	p->icmp_type = cur_u8(c);
	p->icmp_code = cur_u8(c);
	cur_skip(c, 6);		/* checksum + rest of header */
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_ICMP;
		return l4_short(p);
	}
	p->has_l4 = 1;
	p->icmp_is_error = (uint8_t)icmp4_is_error(p->icmp_type);
	struct cur body = *c;
	l4_payload(p, c, p->l4_len >= 8 ? p->l4_len - 8 : 0);
	if (p->icmp_is_error)
		icmp_quote_decode(&p->q, &body);
	return DEC_OK;
}

struct icmp_name {
	uint8_t family, type, code;
	const char *name;
};

/* Names follow nmap's --reason vocabulary where it has one. */
static const struct icmp_name icmp_names[] = {
	{4, 3, 0, "net-unreachable"},		{4, 3, 1, "host-unreachable"},
	{4, 3, 2, "proto-unreachable"},		{4, 3, 3, "port-unreachable"},
	{4, 3, 4, "frag-needed"},		{4, 3, 5, "source-route-failed"},
	{4, 3, 6, "net-unknown"},		{4, 3, 7, "host-unknown"},
	{4, 3, 8, "source-host-isolated"},	{4, 3, 9, "net-prohibited"},
	{4, 3, 10, "host-prohibited"},		{4, 3, 11, "net-tos-unreachable"},
	{4, 3, 12, "host-tos-unreachable"},	{4, 3, 13, "admin-prohibited"},
	{4, 3, 14, "host-precedence-violation"}, {4, 3, 15, "precedence-cutoff"},
	{4, 4, 0, "source-quench"},		{4, 5, 0, "redirect-net"},
	{4, 5, 1, "redirect-host"},		{4, 11, 0, "ttl-exceeded"},
	{4, 11, 1, "reassembly-time-exceeded"},	{4, 12, 0, "param-problem"},
	{6, 1, 0, "no-route"},			{6, 1, 1, "admin-prohibited"},
	{6, 1, 2, "beyond-scope"},		{6, 1, 3, "addr-unreachable"},
	{6, 1, 4, "port-unreachable"},		{6, 1, 5, "source-policy-failed"},
	{6, 1, 6, "reject-route"},		{6, 2, 0, "packet-too-big"},
	{6, 3, 0, "hop-limit-exceeded"},	{6, 3, 1, "reassembly-time-exceeded"},
	{6, 4, 0, "param-problem"},		{6, 4, 1, "param-problem-next-header"},
	{6, 4, 2, "param-problem-option"},
};

const char *icmp_code_name(int family, uint8_t type, uint8_t code)
{
	for (size_t i = 0; i < sizeof icmp_names / sizeof icmp_names[0]; i++)
		if (icmp_names[i].family == family && icmp_names[i].type == type && icmp_names[i].code == code)
			return icmp_names[i].name;
	return NULL;
}
