/* \summary: active probes: port-list parser, answer matching, UDP payloads, probe_run() dispatch
 *
 * The engines live in probe_raw.c (libnet SYN/UDP probes, answers through
 * libpcap) and probe_connect.c (connect()/UDP sockets without privilege);
 * the route/interface choice in probe_route.c.  This file holds what both
 * share and what the unit tests exercise from byte arrays: the port-list
 * parser, the stateless probe<->answer mapping (see probe_int.h), the
 * ICMP verdict table in nmap's words, and the UDP payloads (the connectionless
 * DCE/RPC ept_lookup request for 135/udp per C706 chapter 12, and the
 * rpcwatch responder datagram).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "probe.h"
#include "probe_int.h"
#include "names.h"
#include "uuid.h"

const char *probe_state_name(enum probe_state s)
{
	switch (s) {
	case PS_OPEN: return "open";
	case PS_CLOSED: return "closed";
	case PS_FILTERED: return "filtered";
	case PS_OPEN_FILTERED: return "open|filtered";
	case PS_UNREACHABLE: return "unreachable";
	case PS_ERROR: return "error";
	}
	return "error";
}

void probe_opts_init(struct probe_opts *o)
{
	memset(o, 0, sizeof *o);
	o->rate_pps = PROBE_DEFAULT_RATE;
	o->retries = PROBE_DEFAULT_RETRIES;
	o->wait_ms = PROBE_DEFAULT_WAIT_MS;
}

void probe_set(struct probe_result *r, enum probe_state st, const char *reason)
{
	r->state = st;
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
}

uint64_t probe_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t probe_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- port lists ------------------------------------------------------------------ */

static int parse_port(const char *s, size_t len, unsigned *out)
{
	if (len == 0 || len > 5)
		return 0;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return 0;
	*out = v;
	return 1;
}

int probe_ports_parse(const char *spec, struct probe_port **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty port list");
		return -1;
	}
	uint8_t *seen = calloc(2 * 65536 / 8, 1);
	size_t cap = 16, cnt = 0;
	struct probe_port *v = malloc(cap * sizeof *v);
	if (!seen || !v) {
		free(seen);
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint8_t proto = 6;
	const char *p = spec;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *item = p;
		size_t ilen = len;
		/* protocol prefix */
		const char *colon = memchr(item, ':', ilen);
		if (colon) {
			size_t pl = (size_t)(colon - item);
			if ((pl == 1 && (item[0] == 'T' || item[0] == 't')) || (pl == 3 && !strncasecmp(item, "tcp", 3)))
				proto = 6;
			else if ((pl == 1 && (item[0] == 'U' || item[0] == 'u')) || (pl == 3 && !strncasecmp(item, "udp", 3)))
				proto = 17;
			else {
				snprintf(err, errlen, "port list item '%.*s': unknown protocol prefix '%.*s' (use T: or U:)",
					 (int)(ilen > 40 ? 40 : ilen), item, (int)(pl > 10 ? 10 : pl), item);
				goto bad;
			}
			ilen -= pl + 1;
			item = colon + 1;
		}
		if (ilen == 0) {
			snprintf(err, errlen, "port list '%.60s': empty item at offset %zu", spec, (size_t)(p - spec));
			goto bad;
		}
		unsigned lo, hi;
		const char *dash = memchr(item, '-', ilen);
		if (dash) {
			size_t l1 = (size_t)(dash - item), l2 = ilen - l1 - 1;
			if (!parse_port(item, l1, &lo) || !parse_port(dash + 1, l2, &hi)) {
				snprintf(err, errlen, "port list item '%.*s': a range is LOW-HIGH with ports 0-65535",
					 (int)(ilen > 40 ? 40 : ilen), item);
				goto bad;
			}
			if (lo > hi) {
				snprintf(err, errlen, "port list item '%.*s': range runs backwards", (int)(ilen > 40 ? 40 : ilen), item);
				goto bad;
			}
		} else {
			if (!parse_port(item, ilen, &lo)) {
				snprintf(err, errlen, "port list item '%.*s': not a port number 0-65535",
					 (int)(ilen > 40 ? 40 : ilen), item);
				goto bad;
			}
			hi = lo;
		}
		for (unsigned q = lo; q <= hi; q++) {
			size_t bit = (proto == 17 ? 65536u : 0u) + q;
			if (seen[bit / 8] & (1u << (bit % 8)))
				continue;
			seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
			if (cnt == cap) {
				cap *= 2;
				struct probe_port *nv = realloc(v, cap * sizeof *v);
				if (!nv) {
					snprintf(err, errlen, "out of memory");
					goto bad;
				}
				v = nv;
			}
			v[cnt].proto = proto;
			v[cnt].port = (uint16_t)q;
			cnt++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	free(seen);
	*out = v;
	*n = cnt;
	return 0;
bad:
	free(seen);
	free(v);
	return -1;
}

/* ---- responder datagrams ---------------------------------------------------------- */

size_t probe_resp_build(uint8_t *b, uint8_t type, uint16_t port, uint64_t nonce)
{
	b[0] = 0x52; b[1] = 0x57; b[2] = 0x50; b[3] = 0x52;
	b[4] = PROBE_RESP_VERSION;
	b[5] = type;
	b[6] = (uint8_t)(port >> 8);
	b[7] = (uint8_t)port;
	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t)(nonce >> (56 - 8 * i));
	return PROBE_RESP_LEN;
}

int probe_resp_parse(const uint8_t *buf, size_t len, uint8_t *type, uint16_t *port, uint64_t *nonce)
{
	struct cur c;
	cur_init(&c, buf, len);
	uint32_t magic = cur_be32(&c);
	uint8_t ver = cur_u8(&c);
	uint8_t t = cur_u8(&c);
	uint16_t pt = cur_be16(&c);
	uint32_t hi = cur_be32(&c), lo = cur_be32(&c);
	if (!cur_ok(&c) || magic != PROBE_RESP_MAGIC || ver != PROBE_RESP_VERSION ||
	    (t != PROBE_RESP_T_PROBE && t != PROBE_RESP_T_ANSWER))
		return 0;
	*type = t;
	*port = pt;
	*nonce = (uint64_t)hi << 32 | lo;
	return 1;
}

/* ---- keyed hashes ----------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint32_t probe_cookie(const struct probe_key *k, const struct addr *src, const struct addr *dst,
		      uint16_t sport, uint16_t dport)
{
	uint64_t h = k->k0 ^ 0xcbf29ce484222325ull;
	h = fnv(h, src->a, src->family == 6 ? 16 : 4);
	h = fnv(h, dst->a, dst->family == 6 ? 16 : 4);
	uint8_t pp[4] = {(uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8), (uint8_t)dport};
	h = fnv(h, pp, 4);
	return (uint32_t)mix64(h ^ k->k1);
}

uint64_t probe_nonce(const struct probe_key *k, const struct addr *dst, uint16_t dport, uint32_t index)
{
	uint64_t h = k->k1 ^ 0x84222325cbf29ce4ull;
	h = fnv(h, dst->a, dst->family == 6 ? 16 : 4);
	uint8_t pp[6] = {(uint8_t)(dport >> 8), (uint8_t)dport, (uint8_t)(index >> 24), (uint8_t)(index >> 16),
			 (uint8_t)(index >> 8), (uint8_t)index};
	h = fnv(h, pp, 6);
	return mix64(h ^ k->k0);
}

uint32_t probe_tcp_seq(const struct probe_match *m, const struct addr *dst, uint16_t dport,
		       uint32_t index, uint32_t try_no)
{
	return probe_cookie(&m->key, &m->src, dst, m->tcp_sport, dport) ^ (index << 2 | (try_no & 3));
}

/* ---- answers ---------------------------------------------------------------------- */

int probe_icmp_verdict(int family, uint8_t type, uint8_t code, uint8_t proto,
		       enum probe_state *st, const char **reason)
{
	if (family == 4) {
		if (type == 11) {
			*st = PS_FILTERED;
			*reason = "time-exceeded";
			return 1;
		}
		if (type != 3)
			return 0;
		switch (code) {
		case 0: *st = PS_UNREACHABLE; *reason = "net-unreach"; return 1;
		case 1: *st = PS_UNREACHABLE; *reason = "host-unreach"; return 1;
		case 2: *st = proto == PROTO_UDP ? PS_CLOSED : PS_FILTERED; *reason = "proto-unreach"; return 1;
		case 3: *st = proto == PROTO_UDP ? PS_CLOSED : PS_FILTERED; *reason = "port-unreach"; return 1;
		case 9: *st = PS_FILTERED; *reason = "net-prohibited"; return 1;
		case 10: *st = PS_FILTERED; *reason = "host-prohibited"; return 1;
		case 13: *st = PS_FILTERED; *reason = "admin-prohibited"; return 1;
		case 6: *st = PS_UNREACHABLE; *reason = "net-unknown"; return 1;
		case 7: *st = PS_UNREACHABLE; *reason = "host-unknown"; return 1;
		default: {
			const char *nm = icmp_code_name(4, type, code);
			*st = PS_FILTERED;
			*reason = nm ? nm : "unreach";
			return 1;
		}
		}
	}
	if (family == 6) {
		if (type == 3) {
			*st = PS_FILTERED;
			*reason = "time-exceeded";
			return 1;
		}
		if (type != 1)
			return 0;
		switch (code) {
		case 0: *st = PS_UNREACHABLE; *reason = "no-route"; return 1;
		case 1: *st = PS_FILTERED; *reason = "admin-prohibited"; return 1;
		case 2: *st = PS_UNREACHABLE; *reason = "beyond-scope"; return 1;
		case 3: *st = PS_UNREACHABLE; *reason = "host-unreach"; return 1;
		case 4: *st = proto == PROTO_UDP ? PS_CLOSED : PS_FILTERED; *reason = "port-unreach"; return 1;
		case 5: *st = PS_FILTERED; *reason = "source-policy"; return 1;
		case 6: *st = PS_FILTERED; *reason = "reject-route"; return 1;
		default: *st = PS_FILTERED; *reason = "unreach"; return 1;
		}
	}
	return 0;
}

/* Index of the UDP probe with source port sport to (dst, dport), or -1. */
static long udp_index(const struct probe_match *m, const struct addr *dst, uint16_t sport, uint16_t dport)
{
	if (!m->udp_span || sport < m->udp_base || sport - m->udp_base >= m->udp_span)
		return -1;
	for (size_t i = (size_t)(sport - m->udp_base); i < m->n; i += m->udp_span) {
		const struct probe_target *t = &m->tg[i];
		if (t->proto == PROTO_UDP && t->port == dport && addr_eq(&t->dst, dst))
			return (long)i;
	}
	return -1;
}

/* Index/try of the TCP probe with this sequence number, or -1. */
static long tcp_index(const struct probe_match *m, const struct addr *dst, uint16_t sport, uint16_t dport,
		      uint32_t seq, uint32_t *try_no)
{
	if (sport != m->tcp_sport)
		return -1;
	uint32_t v = seq ^ probe_cookie(&m->key, &m->src, dst, sport, dport);
	uint32_t idx = v >> 2;
	if (idx >= m->n)
		return -1;
	const struct probe_target *t = &m->tg[idx];
	if (t->proto != PROTO_TCP || t->port != dport || !addr_eq(&t->dst, dst))
		return -1;
	*try_no = v & 3;
	return (long)idx;
}

int probe_match_pkt(const struct probe_match *m, const struct pkt *p, struct probe_answer *a)
{
	if (p->status != DEC_OK || !p->has_l4 || p->frag_later)
		return 0;
	memset(a, 0, sizeof *a);
	a->by = p->src;
	a->ttl = p->ttl;
	if (p->proto == PROTO_TCP) {
		if (!addr_eq(&p->dst, &m->src) || !(p->tcp_flags & TH_ACK))
			return 0;
		int synack = (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK);
		int rst = (p->tcp_flags & TH_RST) != 0;
		if (!synack && !rst)
			return 0;
		long i = tcp_index(m, &p->src, p->dport, p->sport, p->ack - 1, &a->try_no);
		if (i < 0)
			return 0;
		a->index = (uint32_t)i;
		a->state = synack ? PS_OPEN : PS_CLOSED;
		a->reason = synack ? "syn-ack" : "reset";
		return 1;
	}
	if (p->proto == PROTO_UDP) {
		if (!addr_eq(&p->dst, &m->src))
			return 0;
		long i = udp_index(m, &p->src, p->dport, p->sport);
		if (i < 0)
			return 0;
		a->index = (uint32_t)i;
		a->state = PS_OPEN;
		a->reason = "udp-response";
		uint8_t t;
		uint16_t port;
		uint64_t nonce;
		if (probe_resp_parse(p->payload, p->payload_caplen, &t, &port, &nonce)) {
			if (t == PROBE_RESP_T_ANSWER && port == m->tg[i].port &&
			    nonce == probe_nonce(&m->key, &m->tg[i].dst, m->tg[i].port, (uint32_t)i))
				a->reason = "responder-echo";
			else
				a->spoofed = 1;
		}
		return 1;
	}
	if ((p->proto == PROTO_ICMP && p->ipver == 4) || (p->proto == PROTO_ICMP6 && p->ipver == 6)) {
		const struct quoted *q = &p->q;
		if (!p->icmp_is_error || !q->valid || !q->has_ports || !addr_eq(&q->src, &m->src))
			return 0;
		long i;
		if (q->proto == PROTO_TCP) {
			if (!q->has_seq)
				return 0;
			i = tcp_index(m, &q->dst, q->sport, q->dport, q->tcp_seq, &a->try_no);
		} else if (q->proto == PROTO_UDP) {
			i = udp_index(m, &q->dst, q->sport, q->dport);
		} else {
			return 0;
		}
		if (i < 0)
			return 0;
		if (!probe_icmp_verdict(p->ipver, p->icmp_type, p->icmp_code, q->proto, &a->state, &a->reason))
			return 0;
		a->index = (uint32_t)i;
		return 1;
	}
	return 0;
}

/* ---- UDP payloads ----------------------------------------------------------------- */

static void put_le16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *b, uint32_t v) { put_le16(b, (uint16_t)v); put_le16(b + 2, (uint16_t)(v >> 16)); }

/* The endpoint mapper's UUID and version come from data/interfaces.tsv. */
static int epm_iface(struct rpc_uuid *u, uint16_t *vmaj, uint16_t *vmin)
{
	for (size_t i = 0; i < names_iface_count(); i++) {
		const struct names_iface *f = names_iface_at(i, u);
		if (f && f->name && !strcmp(f->name, "EPM")) {
			*vmaj = f->ver_major;
			*vmin = f->ver_minor;
			return 1;
		}
	}
	return 0;
}

/* ept_lookup (opnum 2) as a connectionless request, little-endian NDR:
 * 80-byte CL header (rpc-facts 2) + inquiry_type 0 (all), object NULL,
 * interface_id NULL, vers_option 1 (all), entry_handle nil (20), max_ents 1. */
size_t probe_dcerpc_cl_lookup(uint8_t *b, size_t cap, const uint8_t activity[16], uint32_t seq)
{
	const size_t stub = 40, total = 80 + stub;
	struct rpc_uuid epm;
	uint16_t vmaj = 3, vmin = 0;
	if (cap < total || !epm_iface(&epm, &vmaj, &vmin))
		return 0;
	memset(b, 0, total);
	b[0] = 4;		/* rpc_vers */
	b[1] = 0;		/* request */
	b[2] = 0x20;		/* flags1: idempotent (ept_lookup is [idempotent]) */
	b[4] = 0x10;		/* drep: little-endian, ASCII, IEEE */
	/* interface UUID, little-endian first three fields */
	b[24] = epm.b[3]; b[25] = epm.b[2]; b[26] = epm.b[1]; b[27] = epm.b[0];
	b[28] = epm.b[5]; b[29] = epm.b[4];
	b[30] = epm.b[7]; b[31] = epm.b[6];
	memcpy(b + 32, epm.b + 8, 8);
	memcpy(b + 40, activity, 16);
	put_le32(b + 56, 0);					/* server_boot */
	put_le32(b + 60, (uint32_t)vmaj | (uint32_t)vmin << 16);	/* if_version */
	put_le32(b + 64, seq);					/* seqnum */
	put_le16(b + 68, 2);					/* opnum: ept_lookup */
	put_le16(b + 70, 0xffff);				/* interface hint */
	put_le16(b + 72, 0xffff);				/* activity hint */
	put_le16(b + 74, (uint16_t)stub);			/* len */
	put_le16(b + 76, 0);					/* fragnum */
	uint8_t *s = b + 80;
	put_le32(s + 0, 0);	/* inquiry_type: RPC_C_EP_ALL_ELTS */
	put_le32(s + 4, 0);	/* object: NULL */
	put_le32(s + 8, 0);	/* interface_id: NULL */
	put_le32(s + 12, 1);	/* vers_option: RPC_C_VERS_ALL */
	/* s + 16: entry_handle (20 zero bytes) */
	put_le32(s + 36, 1);	/* max_ents */
	return total;
}

size_t probe_udp_payload(const struct probe_opts *o, uint16_t port, uint64_t nonce,
			 uint32_t seq, uint8_t *buf, size_t cap)
{
	if (port == 135) {
		uint8_t act[16];
		for (int i = 0; i < 8; i++) {
			act[i] = (uint8_t)(nonce >> (8 * i));
			act[8 + i] = (uint8_t)(~nonce >> (8 * i));
		}
		act[7] = (uint8_t)((act[7] & 0x0f) | 0x40);	/* version 4 (random) in the LE time_hi field */
		act[8] = (uint8_t)((act[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
		return probe_dcerpc_cl_lookup(buf, cap, act, seq);
	}
	if (o && o->responder_port_hint && port < o->responder_port_hint)
		return 0;
	if (cap < PROBE_RESP_LEN)
		return 0;
	return probe_resp_build(buf, PROBE_RESP_T_PROBE, port, nonce);
}

/* ---- dispatch --------------------------------------------------------------------- */

int probe_have_raw(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int probe_run(const struct probe_opts *o, const struct probe_target *targets, size_t n,
	      struct probe_result *results, char *err, size_t errlen)
{
	struct probe_opts def;
	if (!o) {
		probe_opts_init(&def);
		o = &def;
	}
	if (err && errlen)
		err[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct probe_target *t = &targets[i];
		struct probe_result *r = &results[i];
		memset(r, 0, sizeof *r);
		r->t = *t;
		if (t->proto != PROTO_TCP && t->proto != PROTO_UDP) {
			snprintf(err, errlen, "target %zu: protocol %u is neither TCP (6) nor UDP (17)", i, t->proto);
			return -1;
		}
		if (t->dst.family != 4 && t->dst.family != 6) {
			snprintf(err, errlen, "target %zu: no address", i);
			return -1;
		}
		if (t->proto == PROTO_TCP)
			probe_set(r, PS_FILTERED, "no-response");
		else
			probe_set(r, o->udp_expect_responder ? PS_FILTERED : PS_OPEN_FILTERED, "no-response");
	}
	if (n == 0)
		return 0;
	if (!o->force_connect && probe_have_raw())
		return probe_raw_run(o, targets, n, results, err, errlen);
	if (!o->force_connect && !o->quiet)
		fprintf(stderr, "note: no raw-socket privilege; using connect() probes\n");
	return probe_connect_run(o, targets, n, results, err, errlen);
}
