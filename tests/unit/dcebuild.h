/* \summary: unit-test helpers for the DCE/RPC engine: PDU builders (CO and CL,
 * either byte order), a recording rpc_sink and a harness that feeds TCP/UDP
 * frames through decode_packet -> flow_table_packet -> rpc_packet
 *
 * PDUs are built into a growable struct dbuf; integers follow the byte order
 * the PDU announces (le = 1: drep 0x10, little-endian; le = 0: big-endian).
 * UUIDs are given in text form and written in wire form for that order.
 *
 * The harness keeps the struct pkt of the last packet alive in struct
 * harness (the engine remembers a pointer to the packet being processed);
 * each frame is decoded from an exact-size heap copy so AddressSanitizer
 * reports any read past the captured bytes.  The flow table's emit callback
 * calls rpc_flow_end() and its app_free is rpc_flow_free(), as analyze does.
 *
 * Include after <cmocka.h>.
 */
#ifndef RPCWATCH_TEST_DCEBUILD_H
#define RPCWATCH_TEST_DCEBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "rpc.h"
#include "flow.h"
#include "uuid.h"
#include "pktbuild.h"

/* ---- interface and transfer-syntax identifiers ------------------------------------- */

#define U_EMSMDB "a4f1db00-ca47-1067-b31f-00dd010662da"
#define U_ASYNC "5261574a-4572-206e-b268-6b199213b4e4"
#define U_EPM "e1af8308-5d1f-11c9-91a4-08002b14a0fa"
#define U_NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"
#define U_NDR64 "71710533-beba-4937-8319-b5dbef9ccc36"
#define U_BTFN "6cb71c2c-9812-4540-0300-000000000000"	/* bind-time feature negotiation, bits 0x03 */
#define U_SAMR "12345778-1234-abcd-ef00-0123456789ac"
#define U_ACT1 "11111111-2222-3333-4444-555555555555"	/* CL activity ids */
#define U_ACT2 "66666666-7777-8888-9999-aaaaaaaaaaaa"

static inline struct rpc_uuid U(const char *text)
{
	struct rpc_uuid u;
	memset(&u, 0, sizeof u);
	if (!uuid_parse(&u, text))
		abort();	/* test bug */
	return u;
}

static inline int uuid_is(const struct rpc_uuid *u, const char *text)
{
	struct rpc_uuid v = U(text);
	return uuid_eq(u, &v);
}

/* ---- growable byte buffer ------------------------------------------------------------ */

struct dbuf {
	uint8_t *b;
	size_t n, cap;
};

static inline void db_init(struct dbuf *d) { memset(d, 0, sizeof *d); }

static inline void db_free(struct dbuf *d)
{
	free(d->b);
	memset(d, 0, sizeof *d);
}

static inline void db_reserve(struct dbuf *d, size_t k)
{
	if (d->n + k <= d->cap)
		return;
	size_t nc = d->cap ? d->cap : 256;
	while (nc < d->n + k)
		nc *= 2;
	uint8_t *q = realloc(d->b, nc);
	if (!q)
		abort();
	d->b = q;
	d->cap = nc;
}

static inline size_t db_bytes(struct dbuf *d, const void *p, size_t k)
{
	size_t at = d->n;
	db_reserve(d, k);
	if (k)
		memcpy(d->b + d->n, p, k);
	d->n += k;
	return at;
}

static inline size_t db_fill(struct dbuf *d, uint8_t v, size_t k)
{
	size_t at = d->n;
	db_reserve(d, k);
	memset(d->b + d->n, v, k);
	d->n += k;
	return at;
}

static inline size_t db_u8(struct dbuf *d, uint8_t v) { return db_bytes(d, &v, 1); }

static inline size_t db_uint(struct dbuf *d, uint32_t v, size_t w, int le)
{
	uint8_t t[4];
	for (size_t i = 0; i < w; i++)
		t[i] = (uint8_t)(v >> (8 * (le ? i : w - 1 - i)));
	return db_bytes(d, t, w);
}

static inline size_t db_u16(struct dbuf *d, uint16_t v, int le) { return db_uint(d, v, 2, le); }
static inline size_t db_u32(struct dbuf *d, uint32_t v, int le) { return db_uint(d, v, 4, le); }

static inline void db_set16(struct dbuf *d, size_t at, uint16_t v, int le)
{
	if (at + 2 > d->n)
		abort();
	d->b[at + (le ? 0 : 1)] = (uint8_t)v;
	d->b[at + (le ? 1 : 0)] = (uint8_t)(v >> 8);
}

static inline void db_set32(struct dbuf *d, size_t at, uint32_t v, int le)
{
	if (at + 4 > d->n)
		abort();
	for (size_t i = 0; i < 4; i++)
		d->b[at + i] = (uint8_t)(v >> (8 * (le ? i : 3 - i)));
}

/* A UUID in wire form: time_low, time_mid, time_hi in the byte order, then 8 raw bytes. */
static inline size_t db_uuid(struct dbuf *d, const char *text, int le)
{
	struct rpc_uuid u = U(text);
	uint8_t w[16];
	memcpy(w, u.b, 16);
	if (le) {
		w[0] = u.b[3]; w[1] = u.b[2]; w[2] = u.b[1]; w[3] = u.b[0];
		w[4] = u.b[5]; w[5] = u.b[4];
		w[6] = u.b[7]; w[7] = u.b[6];
	}
	return db_bytes(d, w, 16);
}

static inline void db_cat(struct dbuf *d, const struct dbuf *s) { db_bytes(d, s->b, s->n); }

/* ---- connection-oriented PDUs (C706 12.6, MS-RPCE 2.2.2) ------------------------------- */

#define PFC_FIRST 0x01
#define PFC_LAST 0x02
#define PFC_FL 0x03
#define PFC_OBJECT 0x80

/* Common header; frag_length and auth_length are set by co_end(). Returns its offset. */
static inline size_t co_begin(struct dbuf *d, uint8_t ptype, uint8_t flags, int le, uint32_t call_id)
{
	size_t at = db_u8(d, 5);
	db_u8(d, 0);
	db_u8(d, ptype);
	db_u8(d, flags);
	db_u8(d, le ? 0x10 : 0x00);
	db_fill(d, 0, 3);
	db_u16(d, 0, le);	/* frag_length */
	db_u16(d, 0, le);	/* auth_length */
	db_u32(d, call_id, le);
	return at;
}

static inline void co_end(struct dbuf *d, size_t at, int le, uint16_t auth_len)
{
	db_set16(d, at + 8, (uint16_t)(d->n - at), le);
	db_set16(d, at + 10, auth_len, le);
}

/* Auth padding (0xcc), sec_trailer and an auth_value of auth_len bytes (0x5a); then co_end. */
static inline void co_auth_end(struct dbuf *d, size_t at, int le, uint8_t type, uint8_t level, uint8_t pad,
			       uint16_t auth_len)
{
	db_fill(d, 0xcc, pad);
	db_u8(d, type);
	db_u8(d, level);
	db_u8(d, pad);
	db_u8(d, 0);
	db_u32(d, 0x11223344, le);	/* auth_context_id */
	db_fill(d, 0x5a, auth_len);
	co_end(d, at, le, auth_len);
}

struct ctx_spec {
	uint16_t id;
	const char *iface;
	uint16_t vmaj, vmin;
	const char *xfer;	/* one transfer syntax */
	uint16_t xver;
};

/* bind (11) or alter_context (14) with one transfer syntax per element; co_end() is left to the caller. */
static inline size_t co_bind_body(struct dbuf *d, uint8_t ptype, int le, uint32_t call_id, const struct ctx_spec *c,
				  size_t n)
{
	size_t at = co_begin(d, ptype, PFC_FL, le, call_id);
	db_u16(d, 4280, le);
	db_u16(d, 4280, le);
	db_u32(d, 0, le);
	db_u8(d, (uint8_t)n);
	db_fill(d, 0, 3);
	for (size_t i = 0; i < n; i++) {
		db_u16(d, c[i].id, le);
		db_u8(d, 1);
		db_u8(d, 0);
		/* p_syntax_id_t: UUID + u32 if_version, major in the low 16 bits (C706, samba) */
		db_uuid(d, c[i].iface, le);
		db_u32(d, (uint32_t)c[i].vmin << 16 | c[i].vmaj, le);
		db_uuid(d, c[i].xfer, le);
		db_u32(d, c[i].xver, le);
	}
	return at;
}

static inline size_t co_bind(struct dbuf *d, uint8_t ptype, int le, uint32_t call_id, const struct ctx_spec *c, size_t n)
{
	size_t at = co_bind_body(d, ptype, le, call_id, c, n);
	co_end(d, at, le, 0);
	return at;
}

struct result_spec {
	uint16_t result, reason;
	const char *xfer;	/* NULL: 20 zero bytes */
	uint16_t xver;
};

/* bind_ack (12) or alter_context_resp (15); sec_addr counted with its NUL (NULL: length 0). */
static inline size_t co_bind_ack(struct dbuf *d, uint8_t ptype, int le, uint32_t call_id, const char *sec_addr,
				 const struct result_spec *r, size_t n)
{
	size_t at = co_begin(d, ptype, PFC_FL, le, call_id);
	db_u16(d, 4280, le);
	db_u16(d, 4280, le);
	db_u32(d, 0x0001b1c3, le);
	size_t sl = sec_addr ? strlen(sec_addr) + 1 : 0;
	db_u16(d, (uint16_t)sl, le);
	db_bytes(d, sec_addr, sl);
	while ((d->n - at) % 4)
		db_u8(d, 0);
	db_u8(d, (uint8_t)n);
	db_fill(d, 0, 3);
	for (size_t i = 0; i < n; i++) {
		db_u16(d, r[i].result, le);
		db_u16(d, r[i].reason, le);
		if (r[i].xfer) {
			db_uuid(d, r[i].xfer, le);
			db_u32(d, r[i].xver, le);
		} else {
			db_fill(d, 0, 20);
		}
	}
	co_end(d, at, le, 0);
	return at;
}

static inline size_t co_bind_nak(struct dbuf *d, int le, uint32_t call_id, uint16_t reason)
{
	size_t at = co_begin(d, 13, PFC_FL, le, call_id);
	db_u16(d, reason, le);
	db_u8(d, 1);	/* one protocol version: 5.0 */
	db_u8(d, 5);
	db_u8(d, 0);
	db_u8(d, 0);	/* pad */
	co_end(d, at, le, 0);
	return at;
}

/* request (0); object: NULL or a UUID text (sets PFC_OBJECT_UUID). co_end() is left to the caller. */
static inline size_t co_request_body(struct dbuf *d, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
				     uint16_t opnum, const char *object, const void *stub, size_t n)
{
	size_t at = co_begin(d, 0, (uint8_t)(flags | (object ? PFC_OBJECT : 0)), le, call_id);
	db_u32(d, (uint32_t)n, le);
	db_u16(d, ctx, le);
	db_u16(d, opnum, le);
	if (object)
		db_uuid(d, object, le);
	db_bytes(d, stub, n);
	return at;
}

static inline size_t co_request(struct dbuf *d, int le, uint8_t flags, uint32_t call_id, uint16_t ctx, uint16_t opnum,
				const char *object, const void *stub, size_t n)
{
	size_t at = co_request_body(d, le, flags, call_id, ctx, opnum, object, stub, n);
	co_end(d, at, le, 0);
	return at;
}

static inline size_t co_response_body(struct dbuf *d, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
				      const void *stub, size_t n)
{
	size_t at = co_begin(d, 2, flags, le, call_id);
	db_u32(d, (uint32_t)n, le);
	db_u16(d, ctx, le);
	db_u8(d, 0);	/* cancel_count */
	db_u8(d, 0);
	db_bytes(d, stub, n);
	return at;
}

static inline size_t co_response(struct dbuf *d, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
				 const void *stub, size_t n)
{
	size_t at = co_response_body(d, le, flags, call_id, ctx, stub, n);
	co_end(d, at, le, 0);
	return at;
}

static inline size_t co_fault(struct dbuf *d, int le, uint32_t call_id, uint16_t ctx, uint32_t status)
{
	size_t at = co_begin(d, 3, PFC_FL | 0x20, le, call_id);
	db_u32(d, 32, le);
	db_u16(d, ctx, le);
	db_u8(d, 0);
	db_u8(d, 0);
	db_u32(d, status, le);
	db_u32(d, 0, le);
	co_end(d, at, le, 0);
	return at;
}

/* A stub of n recognisable bytes (seed + i). */
static inline const uint8_t *pattern(size_t n, uint8_t seed)
{
	static uint8_t buf[70000];
	if (n > sizeof buf)
		abort();
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	return buf;
}

/* ---- connectionless PDUs (80-byte header, rpc-facts 2) -------------------------------- */

static inline size_t cl_pdu(struct dbuf *d, uint8_t ptype, uint8_t flags1, int le, const char *iface,
			    uint32_t ifver, const char *act, uint32_t seq, uint16_t opnum, const void *body,
			    size_t blen)
{
	size_t at = db_u8(d, 4);
	db_u8(d, ptype);
	db_u8(d, flags1);
	db_u8(d, 0);	/* flags2 */
	db_u8(d, le ? 0x10 : 0x00);
	db_u8(d, 0);
	db_u8(d, 0);
	db_u8(d, 0);	/* serial_hi */
	db_fill(d, 0, 16);	/* object: nil */
	db_uuid(d, iface, le);
	db_uuid(d, act, le);
	db_u32(d, 0x5f000001, le);	/* server_boot */
	db_u32(d, ifver, le);
	db_u32(d, seq, le);
	db_u16(d, opnum, le);
	db_u16(d, 0xffff, le);	/* ihint */
	db_u16(d, 0xffff, le);	/* ahint */
	db_u16(d, (uint16_t)blen, le);
	db_u16(d, 0, le);	/* fragnum */
	db_u8(d, 0);	/* auth_proto */
	db_u8(d, 0);	/* serial_lo */
	db_bytes(d, body, blen);
	return at;
}

/* ---- recording sink ---------------------------------------------------------------------- */

#define REC_MAX 512
#define REC_PDU_MAX 1024

struct rec {
	struct rpc_bind_ev bind[REC_MAX];
	size_t nbind;
	struct rpc_call_ev call[REC_MAX];
	size_t ncall;
	struct rpc_epm_ev epm[REC_MAX];
	size_t nepm;
	struct rpc_notify_reg_ev reg[REC_MAX];
	size_t nreg;
	struct rpc_notify_udp_ev udp[REC_MAX];
	size_t nudp;
	struct rpc_pdu_ev pdu[REC_PDU_MAX];
	size_t npdu;
	char order[4096];	/* one letter per event: B C E R U (pdu events not listed) */
	size_t norder;
	size_t dropped;
};

static inline void rec_order(struct rec *r, char t)
{
	if (r->norder + 1 < sizeof r->order) {
		r->order[r->norder++] = t;
		r->order[r->norder] = 0;
	}
}

#define REC_FN(name, type, arr, cnt, max, letter)                                                            \
	static inline void rec_##name(void *ctx, const type *e)                                              \
	{                                                                                                    \
		struct rec *r = ctx;                                                                             \
		if (r->cnt >= (max)) {                                                                           \
			r->dropped++;                                                                        \
			return;                                                                              \
		}                                                                                                \
		r->arr[r->cnt++] = *e;                                                                           \
		if (letter)                                                                                      \
			rec_order(r, letter);                                                                \
	}

REC_FN(bind, struct rpc_bind_ev, bind, nbind, REC_MAX, 'B')
REC_FN(call, struct rpc_call_ev, call, ncall, REC_MAX, 'C')
REC_FN(epm, struct rpc_epm_ev, epm, nepm, REC_MAX, 'E')
REC_FN(reg, struct rpc_notify_reg_ev, reg, nreg, REC_MAX, 'R')
REC_FN(udp, struct rpc_notify_udp_ev, udp, nudp, REC_MAX, 'U')
REC_FN(pdu, struct rpc_pdu_ev, pdu, npdu, REC_PDU_MAX, 0)

/* ---- harness -------------------------------------------------------------------------------- */

#define H_T0 1700000000000000ull

struct harness {
	struct rpc_engine *e;
	struct flow_table *ft;
	struct rec *r;
	uint64_t frame;
	struct pkt pkt;		/* the packet being (or last) processed: the engine points at it */
	uint8_t *data;		/* its exact-size frame copy */
	size_t flows_ended;
};

static inline void h_flow_end(void *ctx, const struct flow *f, enum flow_end why)
{
	struct harness *h = ctx;
	(void)why;
	h->flows_ended++;
	rpc_flow_end(h->e, (struct flow *)f);
}

static inline struct harness *h_new_n(size_t max_flows)
{
	struct harness *h = calloc(1, sizeof *h);
	if (!h)
		abort();
	h->r = calloc(1, sizeof *h->r);
	if (!h->r)
		abort();
	struct rpc_sink s = {
		.ctx = h->r,
		.bind = rec_bind,
		.call = rec_call,
		.epm = rec_epm,
		.notify_reg = rec_reg,
		.notify_udp = rec_udp,
		.pdu = rec_pdu,
	};
	h->e = rpc_engine_new(&s);
	if (!h->e)
		abort();
	struct flow_table_opts o = {
		.max_flows = max_flows,
		.idle_timeout_s = 0,
		.emit = h_flow_end,
		.emit_ctx = h,
		.app_free = rpc_flow_free,
	};
	h->ft = flow_table_new(&o);
	if (!h->ft)
		abort();
	return h;
}

static inline struct harness *h_new(void) { return h_new_n(64); }

/* End of input, as analyze does it: flows first, then connectionless calls. */
static inline void h_finish(struct harness *h)
{
	flow_table_flush(h->ft);
	rpc_engine_flush(h->e);
}

static inline void h_free(struct harness *h)
{
	flow_table_free(h->ft);
	rpc_engine_free(h->e);
	free(h->data);
	free(h->r);
	free(h);
}

/* Feed h->pkt (already filled) to the flow table and the engine. */
static inline struct flow *h_feed(struct harness *h)
{
	int dir = -1;
	struct flow *f = flow_table_packet(h->ft, &h->pkt, &dir);
	rpc_packet(h->e, f, dir, &h->pkt);
	return f;
}

/* Decode `b` (first `caplen` bytes captured) into h->pkt with the next frame number. */
static inline void h_decode(struct harness *h, const struct pb *b, size_t caplen)
{
	free(h->data);
	h->data = malloc(caplen ? caplen : 1);
	if (!h->data)
		abort();
	memcpy(h->data, b->b, caplen);
	memset(&h->pkt, 0, sizeof h->pkt);
	h->pkt.frame = ++h->frame;
	h->pkt.ts_us = H_T0 + h->frame * 1000;
	h->pkt.caplen = (uint32_t)caplen;
	h->pkt.wirelen = (uint32_t)b->n;
	if (decode_packet(DLT_RAW, h->data, &h->pkt) != DEC_OK)
		abort();
}

/* One TCP endpoint pair; seq[0] is the client's next sequence number, seq[1] the server's. */
struct tcpc {
	uint8_t cli[4], srv[4];
	uint16_t cport, sport;
	uint32_t seq[2];
};

static inline void tcpc_init(struct tcpc *c, const uint8_t cli[4], uint16_t cport, const uint8_t srv[4], uint16_t sport)
{
	memset(c, 0, sizeof *c);
	memcpy(c->cli, cli, 4);
	memcpy(c->srv, srv, 4);
	c->cport = cport;
	c->sport = sport;
	c->seq[0] = 0x10000000u;
	c->seq[1] = 0x70000000u;
}

/* A TCP segment from the client (from_srv 0) or the server with explicit seq;
 * `cap` of the `len` payload bytes captured.  Returns the flow. */
static inline struct flow *h_tcp_seg(struct harness *h, const struct tcpc *c, int from_srv, uint8_t flags, uint32_t seq,
				     const void *data, size_t len, size_t cap)
{
	struct pb b;
	pb_init(&b);
	size_t ip = from_srv ? pb_ipv4(&b, PROTO_TCP, 64, c->srv, c->cli, 0) : pb_ipv4(&b, PROTO_TCP, 64, c->cli, c->srv, 0);
	pb_tcp(&b, from_srv ? c->sport : c->cport, from_srv ? c->cport : c->sport, seq, c->seq[!from_srv], flags, 8192,
	       NULL, 0);
	size_t hdr = b.n;
	pb_bytes(&b, data, len);
	pb_ipv4_end(&b, ip);
	h_decode(h, &b, hdr + cap);
	return h_feed(h);
}

/* In-order data with PSH|ACK, advancing the sender's sequence number. */
static inline struct flow *h_send(struct harness *h, struct tcpc *c, int from_srv, const void *data, size_t len)
{
	struct flow *f = h_tcp_seg(h, c, from_srv, TH_ACK | TH_PUSH, c->seq[from_srv], data, len, len);
	c->seq[from_srv] += (uint32_t)len;
	return f;
}

static inline struct flow *h_cli(struct harness *h, struct tcpc *c, const struct dbuf *d)
{
	return h_send(h, c, 0, d->b, d->n);
}

static inline struct flow *h_srv(struct harness *h, struct tcpc *c, const struct dbuf *d)
{
	return h_send(h, c, 1, d->b, d->n);
}

/* Three-way handshake (no payload: the engine only orients the flow from it). */
static inline struct flow *h_open(struct harness *h, struct tcpc *c)
{
	h_tcp_seg(h, c, 0, TH_SYN, c->seq[0]++, NULL, 0, 0);
	h_tcp_seg(h, c, 1, TH_SYN | TH_ACK, c->seq[1]++, NULL, 0, 0);
	return h_tcp_seg(h, c, 0, TH_ACK, c->seq[0], NULL, 0, 0);
}

/* A UDP datagram; `cap` of the `len` payload bytes captured. */
static inline struct flow *h_udp_n(struct harness *h, const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
				   uint16_t dport, const void *data, size_t len, size_t cap)
{
	struct pb b;
	pb_init(&b);
	size_t ip = pb_ipv4(&b, PROTO_UDP, 64, src, dst, 0);
	size_t u = pb_udp(&b, sport, dport);
	size_t hdr = b.n;
	pb_bytes(&b, data, len);
	pb_udp_end(&b, u);
	pb_ipv4_end(&b, ip);
	h_decode(h, &b, hdr + cap);
	return h_feed(h);
}

static inline struct flow *h_udp(struct harness *h, const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
				 uint16_t dport, const void *data, size_t len)
{
	return h_udp_n(h, src, sport, dst, dport, data, len, len);
}

static inline const struct rpc_stats *h_stats(const struct harness *h) { return rpc_engine_stats(h->e); }

/* Find the call event for call_id (first match), or NULL. */
static inline const struct rpc_call_ev *h_call(const struct harness *h, uint32_t call_id)
{
	for (size_t i = 0; i < h->r->ncall; i++)
		if (h->r->call[i].call_id == call_id)
			return &h->r->call[i];
	return NULL;
}

static inline int addr_is4(const struct addr *a, const uint8_t v4[4]) { return a->family == 4 && !memcmp(a->a, v4, 4); }

/* ---- rpc-facts worked examples ----------------------------------------------------------- */

/* 1.5: bind, EMSMDB with NDR (ctx 0) and NDR64 (ctx 1), call_id 1, 116 bytes */
static const uint8_t FACTS_BIND[116] = {
	0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x74, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0xb8, 0x10, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda,
	0x00, 0x00, 0x51, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00,
	0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xdb, 0xf1, 0xa4,
	0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x51, 0x00,
	0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36,
	0x01, 0x00, 0x00, 0x00,
};

/* 1.6: bind_ack for it, sec_addr "49155": ctx 0 accepted (NDR), ctx 1 provider_rejection reason 2 */
static const uint8_t FACTS_BIND_ACK[84] = {
	0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x54, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0xb8, 0x10, 0xb8, 0x10, 0xc3, 0xb1, 0x01, 0x00, 0x06, 0x00, 0x34, 0x39, 0x31, 0x35, 0x35, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
	0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* 3.4: tower EMSMDB 0.81, ncacn_ip_tcp, 192.168.1.10 port 1025 (75 bytes) */
static const uint8_t FACTS_TOWER[75] = {
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d,
	0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
};

/* 3.4: ept_map request stub (132 bytes): object pointer non-NULL (nil UUID), the
 * same tower with port 0 and IP 0.0.0.0, zero entry_handle, max_towers 4 */
static inline void facts_epm_map_req(struct dbuf *d)
{
	uint8_t t[75];
	memcpy(t, FACTS_TOWER, sizeof t);
	t[64] = t[65] = 0;
	memset(t + 71, 0, 4);
	db_u32(d, 1, 1);	/* object referent */
	db_fill(d, 0, 16);
	db_u32(d, 2, 1);	/* map_tower referent */
	db_u32(d, 75, 1);
	db_u32(d, 75, 1);
	db_bytes(d, t, 75);
	db_u8(d, 0);	/* pad */
	db_fill(d, 0, 20);	/* entry_handle */
	db_u32(d, 4, 1);	/* max_towers */
}

/* 3.4: ept_map response stub (128 bytes): one tower, max_towers 4, status 0 */
static inline void facts_epm_map_resp(struct dbuf *d)
{
	db_fill(d, 0, 20);	/* entry_handle */
	db_u32(d, 1, 1);	/* num_towers */
	db_u32(d, 4, 1);	/* max_count */
	db_u32(d, 0, 1);	/* offset */
	db_u32(d, 1, 1);	/* actual_count */
	db_u32(d, 3, 1);	/* referent */
	db_u32(d, 75, 1);
	db_u32(d, 75, 1);
	db_bytes(d, FACTS_TOWER, 75);
	db_u8(d, 0);	/* pad */
	db_u32(d, 0, 1);	/* status */
}

/* 4.3: EcRRegisterPushNotification request PDU (90 bytes, call_id 5, ctx 0, opnum 4):
 * rgbContext "libmapi\x07", callback 192.168.1.20 UDP 50000 */
static const uint8_t FACTS_RPN_REQ[90] = {
	0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0x5a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33,
	0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00, 0x6c, 0x69, 0x62, 0x6d, 0x61, 0x70, 0x69, 0x07, 0x08, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0xc3, 0x50, 0xc0, 0xa8, 0x01, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
};

/* 4.4: its response stub (28 bytes): CXH, hNotification, return value */
static inline void facts_rpn_resp(struct dbuf *d, uint32_t hnotification, uint32_t rc)
{
	static const uint8_t cxh[20] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	db_bytes(d, cxh, 20);
	db_u32(d, hnotification, 1);
	db_u32(d, rc, 1);
}

#define IP_EPMSRV ((const uint8_t[4]){192, 168, 1, 10})
#define IP_CLIENT ((const uint8_t[4]){192, 168, 1, 20})
#define IP_OTHER ((const uint8_t[4]){192, 168, 1, 99})

#endif
