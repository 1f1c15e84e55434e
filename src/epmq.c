/* \summary: endpoint-mapper client: bind, ept_lookup with paging, ept_map, over TCP
 * specification: C706 chapter 12 (CO PDUs), chapter 14 (NDR), Appendix L
 *                (towers) and Appendix O (ept IDL); MS-RPCE 2.2.2 and 2.2.5
 *
 * Requests are built here, little-endian NDR 2.0, unauthenticated:
 *
 *   bind (72 bytes): header(16) | max_xmit max_recv | assoc_group 0 |
 *     n_ctx 1 | ctx 0: 1 transfer syntax | EPM v3.0 | NDR v2
 *   request: header(16) | alloc_hint | ctx 0 | opnum | stub
 *   ept_lookup stub (40): inquiry_type 0 (RPC_C_EP_ALL_ELTS) | object NULL |
 *     Ifid NULL | vers_option 1 (RPC_C_VERS_ALL) | entry_handle(20) | max_ents
 *   ept_map stub (116): object NULL | tower ref | max_count 75 | tower_length 75 |
 *     tower(75) | pad | entry_handle(20, nil) | max_towers
 *   tower (75): 5 floors: iface v.maj/v.min | NDR v2 | RPC CO (0x0b) or CL (0x0a) |
 *     TCP (0x07) or UDP (0x08) port 0 | IPv4 0.0.0.0
 *
 * Answers are framed at frag_length, checked with the capture engine's header
 * test (dce_co_header_plausible), read through the bounded cursor, their
 * fragments reassembled (PFC_FIRST_FRAG .. PFC_LAST_FRAG, at most
 * EPMQ_MAX_STUB bytes), and the stubs decoded with epm.c's decoders.
 *
 * ept_lookup pages: each call asks for at most EPM_MAX_ENTRIES (what the
 * decoder keeps) and passes back the entry_handle the previous answer
 * returned.  The listing ends when the status is ept_s_not_registered, the
 * handle comes back nil, a page brings no entry, or max_entries is reached
 * (then the handle is released with ept_lookup_handle_free).  Every page
 * brings at least one entry or ends the loop, so the loop is bounded.
 */
#include "config.h"
#include "epmq.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "epm.h"
#include "names.h"
#include "rpc_int.h"

enum { PT_REQUEST = 0, PT_RESPONSE = 2, PT_FAULT = 3, PT_BIND = 11, PT_BIND_ACK = 12, PT_BIND_NAK = 13 };
#define PFC_FIRST 0x01
#define PFC_LAST 0x02
#define OPNUM_LOOKUP_HANDLE_FREE 4
#define RPC_C_EP_ALL_ELTS 0
#define RPC_C_VERS_ALL 1
#define TOWER_LEN 75

/* e1af8308-5d1f-11c9-91a4-08002b14a0fa and 8a885d04-1ceb-11c9-9fe8-08002b104860, canonical order */
static const struct rpc_uuid EPM_UUID = {{0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9, 0x91, 0xa4, 0x08,
					  0x00, 0x2b, 0x14, 0xa0, 0xfa}};
static const struct rpc_uuid NDR_UUID = {{0x8a, 0x88, 0x5d, 0x04, 0x1c, 0xeb, 0x11, 0xc9, 0x9f, 0xe8, 0x08,
					  0x00, 0x2b, 0x10, 0x48, 0x60}};

const char *epmq_status_name(enum epmq_status s)
{
	switch (s) {
	case EPMQ_OK: return "ok";
	case EPMQ_FILTERED: return "filtered";
	case EPMQ_CLOSED: return "closed";
	case EPMQ_UNREACHABLE: return "unreachable";
	case EPMQ_BIND_REJECTED: return "bind-rejected";
	case EPMQ_NOT_REGISTERED: return "not-registered";
	case EPMQ_FAULT: return "fault";
	case EPMQ_PROTOCOL: return "protocol-error";
	case EPMQ_TIMEOUT: return "timeout";
	case EPMQ_ERROR: return "error";
	}
	return "error";
}

static enum epmq_status set_res(struct epmq_result *res, enum epmq_status s, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum epmq_status set_res(struct epmq_result *res, enum epmq_status s, uint32_t code, const char *fmt, ...)
{
	if (res) {
		va_list ap;
		res->status = s;
		res->code = code;
		va_start(ap, fmt);
		vsnprintf(res->detail, sizeof res->detail, fmt, ap);
		va_end(ap);
	}
	return s;
}

/* ---- request builders ------------------------------------------------------ */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	int over;	/* a write did not fit */
};

static void w_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->n = 0;
	w->cap = p ? cap : 0;
	w->over = 0;
}

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->over || n > w->cap - w->n) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void w_u8(struct wbuf *w, uint8_t v) { w_bytes(w, &v, 1); }

static void w_le16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	w_bytes(w, b, 2);
}

static void w_be16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	w_bytes(w, b, 2);
}

static void w_le32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	w_bytes(w, b, 4);
}

/* UUID in little-endian wire order (NDR drep 0x10, and always inside towers) */
static void w_uuid_le(struct wbuf *w, const struct rpc_uuid *u)
{
	const uint8_t *b = u->b;
	uint8_t x[16] = {b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
			 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]};
	w_bytes(w, x, 16);
}

/* NDR alignment relative to the start of the stub (the buffer start) */
static void w_align(struct wbuf *w, size_t k)
{
	while (!w->over && w->n % k)
		w_u8(w, 0);
}

static size_t w_done(const struct wbuf *w) { return w->over ? 0 : w->n; }

/* CO common header, little-endian, single fragment */
static void w_co_hdr(struct wbuf *w, uint8_t ptype, uint16_t frag_len, uint32_t call_id)
{
	static const uint8_t v[4] = {5, 0, 0, PFC_FIRST | PFC_LAST};
	static const uint8_t drep[4] = {0x10, 0, 0, 0};
	uint8_t h[4];
	memcpy(h, v, 4);
	h[2] = ptype;
	w_bytes(w, h, 4);
	w_bytes(w, drep, 4);
	w_le16(w, frag_len);
	w_le16(w, 0);	/* auth_length */
	w_le32(w, call_id);
}

size_t epmq_build_bind(uint8_t *buf, size_t n, uint32_t call_id)
{
	struct wbuf w;
	w_init(&w, buf, n);
	w_co_hdr(&w, PT_BIND, 72, call_id);
	w_le16(&w, EPMQ_MAX_FRAG);	/* max_xmit_frag */
	w_le16(&w, EPMQ_MAX_FRAG);	/* max_recv_frag */
	w_le32(&w, 0);			/* assoc_group_id: a new one */
	w_u8(&w, 1);			/* n_context_elem */
	w_u8(&w, 0);
	w_le16(&w, 0);
	w_le16(&w, 0);			/* p_cont_id */
	w_u8(&w, 1);			/* n_transfer_syn */
	w_u8(&w, 0);
	w_uuid_le(&w, &EPM_UUID);
	w_le16(&w, 3);			/* if_version: major in the low half */
	w_le16(&w, 0);
	w_uuid_le(&w, &NDR_UUID);
	w_le32(&w, 2);
	return w_done(&w);
}

size_t epmq_build_lookup_stub(uint8_t *buf, size_t n, const uint8_t entry_handle[20], uint32_t max_ents)
{
	struct wbuf w;
	w_init(&w, buf, n);
	w_le32(&w, RPC_C_EP_ALL_ELTS);	/* inquiry_type */
	w_le32(&w, 0);			/* [in, ptr] uuid_p_t object: NULL */
	w_le32(&w, 0);			/* [in, ptr] rpc_if_id_p_t Ifid: NULL */
	w_le32(&w, RPC_C_VERS_ALL);	/* vers_option */
	w_bytes(&w, entry_handle, 20);	/* [in, out] ept_lookup_handle_t */
	w_le32(&w, max_ents);
	return w_done(&w);
}

size_t epmq_build_tower(uint8_t *buf, size_t n, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			int udp)
{
	static const uint8_t any4[4];
	struct wbuf w;
	w_init(&w, buf, n);
	w_le16(&w, 5);			/* floor_count */
	/* floor 1: interface */
	w_le16(&w, 19);
	w_u8(&w, EPM_PROTO_UUID);
	w_uuid_le(&w, iface);
	w_le16(&w, vmaj);
	w_le16(&w, 2);
	w_le16(&w, vmin);
	/* floor 2: transfer syntax NDR v2.0 */
	w_le16(&w, 19);
	w_u8(&w, EPM_PROTO_UUID);
	w_uuid_le(&w, &NDR_UUID);
	w_le16(&w, 2);
	w_le16(&w, 2);
	w_le16(&w, 0);
	/* floor 3: RPC connection-oriented or connectionless, minor version 0 */
	w_le16(&w, 1);
	w_u8(&w, udp ? EPM_PROTO_RPC_CL : EPM_PROTO_RPC_CO);
	w_le16(&w, 2);
	w_le16(&w, 0);
	/* floor 4: port 0 (big-endian) */
	w_le16(&w, 1);
	w_u8(&w, udp ? EPM_PROTO_UDP : EPM_PROTO_TCP);
	w_le16(&w, 2);
	w_be16(&w, 0);
	/* floor 5: IPv4 0.0.0.0 */
	w_le16(&w, 1);
	w_u8(&w, EPM_PROTO_IP);
	w_le16(&w, 4);
	w_bytes(&w, any4, 4);
	return w_done(&w);
}

size_t epmq_build_map_stub(uint8_t *buf, size_t n, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			   int udp, const uint8_t entry_handle[20], uint32_t max_towers)
{
	uint8_t tower[TOWER_LEN];
	size_t tl = epmq_build_tower(tower, sizeof tower, iface, vmaj, vmin, udp);
	struct wbuf w;
	w_init(&w, buf, n);
	w_le32(&w, 0);			/* [in, ptr] uuid_p_t object: NULL */
	w_le32(&w, 1);			/* [in, ptr] twr_p_t map_tower: referent id */
	w_le32(&w, (uint32_t)tl);	/* twr_t conformance (max_count) */
	w_le32(&w, (uint32_t)tl);	/* tower_length */
	w_bytes(&w, tower, tl);
	w_align(&w, 4);
	w_bytes(&w, entry_handle, 20);
	w_le32(&w, max_towers);
	return tl ? w_done(&w) : 0;
}

size_t epmq_build_request(uint8_t *buf, size_t n, uint32_t call_id, uint16_t opnum, const uint8_t *stub,
			  size_t stub_len)
{
	if (stub_len > 65535 - 24)
		return 0;
	struct wbuf w;
	w_init(&w, buf, n);
	w_co_hdr(&w, PT_REQUEST, (uint16_t)(24 + stub_len), call_id);
	w_le32(&w, (uint32_t)stub_len);	/* alloc_hint */
	w_le16(&w, 0);			/* p_cont_id */
	w_le16(&w, opnum);
	if (stub_len)
		w_bytes(&w, stub, stub_len);
	return w_done(&w);
}

/* ---- answers -------------------------------------------------------------- */

struct co_hdr {
	uint8_t ptype, flags, le;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
};

size_t epmq_pdu_length(const uint8_t *p, size_t n)
{
	if (n < 16 || !dce_co_header_plausible(p, n))
		return 0;
	struct cur c;
	cur_init(&c, p, n);
	cur_skip(&c, 4);
	int le = (cur_u8(&c) & 0x10) != 0;
	cur_skip(&c, 3);
	return cur_u16x(&c, le);	/* >= 16: the header test checked it */
}

/* Header of one complete PDU of len bytes (frag_len == len checked). */
static int read_co_hdr(const uint8_t *pdu, size_t len, struct co_hdr *h)
{
	if (len < 16 || !dce_co_header_plausible(pdu, len))
		return 0;
	struct cur c;
	cur_init(&c, pdu, len);
	cur_skip(&c, 2);
	h->ptype = cur_u8(&c);
	h->flags = cur_u8(&c);
	h->le = (cur_u8(&c) & 0x10) != 0;
	cur_skip(&c, 3);
	h->frag_len = cur_u16x(&c, h->le);
	h->auth_len = cur_u16x(&c, h->le);
	h->call_id = cur_u32x(&c, h->le);
	return cur_ok(&c) && h->frag_len == len;
}

static const char *ptype_name(uint8_t t)
{
	const char *s = names_ptype(t);
	return s ? s : "unknown";
}

static enum epmq_status fault_res(const uint8_t *pdu, size_t len, const struct co_hdr *h, struct epmq_result *res)
{
	struct cur c;
	cur_init(&c, pdu, len);
	cur_skip(&c, 24);
	uint32_t st = cur_u32x(&c, h->le);
	if (!cur_ok(&c))
		return set_res(res, EPMQ_PROTOCOL, 0, "fault PDU too short (%zu bytes)", len);
	const char *nm = names_fault(st);
	return set_res(res, EPMQ_FAULT, st, "fault 0x%08x %s", st, nm ? nm : "(unknown status)");
}

enum epmq_status epmq_check_bind_answer(const uint8_t *pdu, size_t len, uint32_t call_id, struct epmq_result *res)
{
	struct co_hdr h;
	if (!read_co_hdr(pdu, len, &h))
		return set_res(res, EPMQ_PROTOCOL, 0, "answer to the bind is not a DCE/RPC v5 PDU");
	if (h.call_id != call_id)
		return set_res(res, EPMQ_PROTOCOL, 0, "answer to the bind has call_id %u, expected %u", h.call_id,
			       call_id);
	struct cur c;
	cur_init(&c, pdu, len - (h.auth_len ? h.auth_len + 8u : 0u));
	cur_skip(&c, 16);
	if (h.ptype == PT_BIND_NAK) {
		uint16_t reason = cur_u16x(&c, h.le);
		if (!cur_ok(&c))
			return set_res(res, EPMQ_PROTOCOL, 0, "bind_nak too short (%zu bytes)", len);
		const char *nm = names_bind_nak_reason(reason);
		return set_res(res, EPMQ_BIND_REJECTED, reason, "bind_nak: reason %u %s", reason,
			       nm ? nm : "(unknown)");
	}
	if (h.ptype == PT_FAULT)
		return fault_res(pdu, len, &h, res);
	if (h.ptype != PT_BIND_ACK)
		return set_res(res, EPMQ_PROTOCOL, h.ptype, "answer to the bind is a %s PDU (type %u)",
			       ptype_name(h.ptype), h.ptype);
	cur_skip(&c, 8);	/* max_xmit, max_recv, assoc_group */
	uint16_t sl = cur_u16x(&c, h.le);
	cur_skip(&c, sl);
	cur_skip(&c, (4 - (26u + sl) % 4) % 4);
	uint8_t n = cur_u8(&c);
	cur_skip(&c, 3);
	uint16_t result = cur_u16x(&c, h.le);
	uint16_t reason = cur_u16x(&c, h.le);
	struct rpc_uuid xfer;
	uuid_read(&c, h.le, &xfer);
	uint32_t xver = cur_u32x(&c, h.le);
	if (!cur_ok(&c) || n < 1)
		return set_res(res, EPMQ_PROTOCOL, 0, "bind_ack without a result for the endpoint mapper context");
	if (result != 0) {
		const char *rn = names_ctx_result(result), *pn = names_provider_reason(reason);
		return set_res(res, EPMQ_BIND_REJECTED, reason, "context rejected: %s, reason %u %s",
			       rn ? rn : "(unknown result)", reason, pn ? pn : "(unknown)");
	}
	if (!uuid_eq(&xfer, &NDR_UUID) || (xver & 0xffff) != 2)
		return set_res(res, EPMQ_PROTOCOL, 0, "bind_ack accepted a transfer syntax that was not offered");
	return set_res(res, EPMQ_OK, 0, "bind_ack");
}

void epmq_reasm_init(struct epmq_reasm *r, uint32_t call_id)
{
	memset(r, 0, sizeof *r);
	r->call_id = call_id;
}

void epmq_reasm_free(struct epmq_reasm *r)
{
	free(r->stub);
	r->stub = NULL;
	r->len = r->cap = 0;
}

enum epmq_status epmq_reasm_add(struct epmq_reasm *r, const uint8_t *pdu, size_t len, struct epmq_result *res)
{
	struct co_hdr h;
	if (r->done)
		return set_res(res, EPMQ_PROTOCOL, 0, "PDU after the last fragment");
	if (!read_co_hdr(pdu, len, &h))
		return set_res(res, EPMQ_PROTOCOL, 0, "answer is not a DCE/RPC v5 PDU");
	if (h.call_id != r->call_id)
		return set_res(res, EPMQ_PROTOCOL, 0, "answer has call_id %u, expected %u", h.call_id, r->call_id);
	if (h.ptype == PT_FAULT)
		return fault_res(pdu, len, &h, res);
	if (h.ptype != PT_RESPONSE)
		return set_res(res, EPMQ_PROTOCOL, h.ptype, "answer to the request is a %s PDU (type %u)",
			       ptype_name(h.ptype), h.ptype);
	if (!r->started && !(h.flags & PFC_FIRST))
		return set_res(res, EPMQ_PROTOCOL, 0, "first response fragment lacks PFC_FIRST_FRAG");
	if (r->started && (h.flags & PFC_FIRST))
		return set_res(res, EPMQ_PROTOCOL, 0, "PFC_FIRST_FRAG in the middle of a response");
	if (r->started && h.le != r->le)
		return set_res(res, EPMQ_PROTOCOL, 0, "response fragments change the data representation");

	/* the stub: [24, frag_len), or up to the auth padding before the sec_trailer */
	size_t end = len;
	if (h.auth_len) {
		if ((size_t)h.auth_len + 8 + 24 > len)
			return set_res(res, EPMQ_PROTOCOL, 0, "auth_length %u does not fit the fragment", h.auth_len);
		size_t sec = len - h.auth_len - 8;
		struct cur t;
		cur_init(&t, pdu, len);
		cur_skip(&t, sec + 2);
		uint8_t pad = cur_u8(&t);
		if (!cur_ok(&t) || pad > sec - 24)
			return set_res(res, EPMQ_PROTOCOL, 0, "auth padding runs before the stub");
		end = sec - pad;
	}
	struct cur c;
	cur_init(&c, pdu, end);
	cur_skip(&c, 24);
	size_t n = cur_left(&c);
	const uint8_t *p = cur_take(&c, n);
	if (!cur_ok(&c))
		return set_res(res, EPMQ_PROTOCOL, 0, "response fragment shorter than its header");
	if (n > EPMQ_MAX_STUB - r->len)
		return set_res(res, EPMQ_PROTOCOL, 0, "response stub larger than %u bytes", EPMQ_MAX_STUB);
	if (r->len + n > r->cap) {
		size_t nc = r->cap ? r->cap : 4096;
		while (nc < r->len + n)
			nc *= 2;
		uint8_t *q = realloc(r->stub, nc);
		if (!q)
			return set_res(res, EPMQ_ERROR, ENOMEM, "out of memory reassembling the response");
		r->stub = q;
		r->cap = nc;
	}
	if (n)
		memcpy(r->stub + r->len, p, n);
	r->len += n;
	if (!r->started) {
		r->started = 1;
		r->le = h.le;
	}
	if (h.flags & PFC_LAST)
		r->done = 1;
	return EPMQ_OK;
}

/* ---- entries -------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void epmq_entry_from_tower(struct epmq_entry *e, const struct epm_tower *t, const struct rpc_uuid *object,
			   const char *annotation)
{
	memset(e, 0, sizeof *e);
	if (t->has_iface) {
		e->iface = t->iface;
		e->vmaj = t->ver_major;
		e->vmin = t->ver_minor;
		e->iface_name = names_iface_name(&t->iface);
	}
	copy_str(e->protseq, sizeof e->protseq, epm_protseq_name(t->protseq));
	if (t->has_ip) {
		e->has_addr = 1;
		addr_set4(&e->addr, t->ipv4);
	}
	if (t->has_port)
		e->port = t->port;
	if (t->has_pipe)
		copy_str(e->endpoint, sizeof e->endpoint, t->pipe);
	if (t->has_host)
		copy_str(e->host, sizeof e->host, t->host);
	if (annotation)
		copy_str(e->annotation, sizeof e->annotation, annotation);
	if (object)
		e->object = *object;
}

/* ---- calls over a transport ----------------------------------------------- */

static const uint8_t NIL_HANDLE[20];

struct client {
	const struct epmq_io *io;
	uint32_t call_id;
	uint8_t pdu[65536];
};

/* A timeout from the transport: prefix its detail (" within N ms") with what was awaited. */
static enum epmq_status again(struct epmq_result *res, const char *what)
{
	char d[sizeof res->detail];
	copy_str(d, sizeof d, res->detail);
	return set_res(res, EPMQ_TIMEOUT, 0, "%s%s", what, d);
}

static enum epmq_status bind_epm(struct client *k, struct epmq_result *res)
{
	uint8_t b[72];
	size_t n = epmq_build_bind(b, sizeof b, ++k->call_id);
	enum epmq_status s = k->io->send(k->io->ctx, b, n, res);
	if (s != EPMQ_OK)
		return s;
	size_t len = 0;
	s = k->io->recv_pdu(k->io->ctx, k->pdu, sizeof k->pdu, &len, res);
	if (s == EPMQ_TIMEOUT)
		return again(res, "connected, but no answer to the bind");
	if (s != EPMQ_OK)
		return s;
	return epmq_check_bind_answer(k->pdu, len, k->call_id, res);
}

/* One call: send the request, reassemble the answer into r (caller frees). */
static enum epmq_status call(struct client *k, uint16_t opnum, const uint8_t *stub, size_t stub_len,
			     struct epmq_reasm *r, struct epmq_result *res)
{
	uint8_t req[24 + 256];
	size_t n = epmq_build_request(req, sizeof req, ++k->call_id, opnum, stub, stub_len);
	epmq_reasm_init(r, k->call_id);	/* first: the caller frees r whatever happens */
	if (!n)
		return set_res(res, EPMQ_ERROR, 0, "request too large");
	enum epmq_status s = k->io->send(k->io->ctx, req, n, res);
	if (s != EPMQ_OK)
		return s;
	while (!r->done) {
		size_t len = 0;
		s = k->io->recv_pdu(k->io->ctx, k->pdu, sizeof k->pdu, &len, res);
		if (s == EPMQ_TIMEOUT)
			return again(res, opnum == EPM_OPNUM_LOOKUP ? "no answer to ept_lookup"
				     : opnum == EPM_OPNUM_MAP ? "no answer to ept_map" : "no answer");
		if (s != EPMQ_OK)
			return s;
		s = epmq_reasm_add(r, k->pdu, len, res);	/* each PDU adds >= 16 bytes, bounded by the cap */
		if (s != EPMQ_OK)
			return s;
	}
	return EPMQ_OK;
}

static enum epmq_status bad_status(struct epmq_result *res, const char *op, uint32_t st)
{
	const char *nm = names_epm_status(st);
	if (!nm)
		nm = names_fault(st);
	return set_res(res, EPMQ_FAULT, st, "%s status 0x%08x %s", op, st, nm ? nm : "(unknown status)");
}

enum epmq_status epmq_lookup_io(const struct epmq_io *io, uint32_t max_entries, uint32_t page_size,
				epmq_entry_fn cb, void *ctx, struct epmq_result *res)
{
	if (!page_size || page_size > EPM_MAX_ENTRIES)
		page_size = EPM_MAX_ENTRIES;
	struct epmq_result local;
	if (!res)
		res = &local;
	if (!max_entries)
		max_entries = EPMQ_DEFAULT_MAX_ENTRIES;
	struct client *k = calloc(1, sizeof *k);
	struct epm_lookup_resp *lr = calloc(1, sizeof *lr);
	if (!k || !lr) {
		free(k);
		free(lr);
		return set_res(res, EPMQ_ERROR, ENOMEM, "out of memory");
	}
	k->io = io;
	enum epmq_status s = bind_epm(k, res);
	uint8_t handle[20];
	memcpy(handle, NIL_HANDLE, 20);
	uint32_t total = 0, pages = 0, no_tower = 0;
	const char *why = "end of the list";
	while (s == EPMQ_OK) {
		uint8_t stub[40];
		uint32_t want = max_entries - total;
		if (want > page_size)
			want = page_size;
		size_t sl = epmq_build_lookup_stub(stub, sizeof stub, handle, want);
		struct epmq_reasm r;
		s = call(k, EPM_OPNUM_LOOKUP, stub, sl, &r, res);
		if (s == EPMQ_OK) {
			enum stub_status ss = epm_lookup_resp_decode(r.stub, r.len, r.le, 0, lr);
			if (ss != STUB_OK)
				s = set_res(res, EPMQ_PROTOCOL, 0, "ept_lookup answer %s: %s", stub_status_name(ss),
					    lr->invalid ? lr->invalid : "stub ends early");
			else if (lr->n_dropped || lr->num_ents > want)
				s = set_res(res, EPMQ_PROTOCOL, 0, "ept_lookup answer has %u entries, %u were asked for",
					    lr->num_ents, want);
		}
		epmq_reasm_free(&r);
		if (s != EPMQ_OK)
			break;
		pages++;
		for (uint32_t i = 0; i < lr->n_entries; i++) {
			const struct epm_entry *en = &lr->entries[i];
			if (!en->tower_decoded) {
				no_tower++;
				continue;
			}
			struct epmq_entry e;
			epmq_entry_from_tower(&e, &en->tower, &en->object, en->annotation);
			if (cb)
				cb(ctx, &e);
		}
		total += lr->n_entries;
		if (lr->status == EPM_S_NOT_REGISTERED) {
			if (total == 0)
				s = set_res(res, EPMQ_NOT_REGISTERED, lr->status,
					    "ept_lookup: the endpoint mapper has no entries (ept_s_not_registered)");
			break;
		}
		if (lr->status != 0) {
			s = bad_status(res, "ept_lookup", lr->status);
			break;
		}
		if (!memcmp(lr->entry_handle, NIL_HANDLE, 20)) {
			why = "nil entry_handle";
			break;
		}
		if (lr->n_entries == 0) {	/* no progress: do not ask again */
			why = "empty page";
			break;
		}
		memcpy(handle, lr->entry_handle, 20);
		if (total >= max_entries) {
			why = "entry limit reached";
			/* release the server's lookup context: ept_lookup_handle_free(opnum 4) */
			struct epmq_reasm fr;
			struct epmq_result ignore;
			call(k, OPNUM_LOOKUP_HANDLE_FREE, handle, 20, &fr, &ignore);
			epmq_reasm_free(&fr);
			break;
		}
	}
	if (s == EPMQ_OK)
		set_res(res, EPMQ_OK, 0, "%u entries in %u page%s (%s)%s", total, pages, pages == 1 ? "" : "s", why,
			no_tower ? ", some without a tower" : "");
	free(lr);
	free(k);
	return s;
}

enum epmq_status epmq_map_io(const struct epmq_io *io, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			     const char *protseq, epmq_entry_fn cb, void *ctx, struct epmq_result *res)
{
	struct epmq_result local;
	if (!res)
		res = &local;
	int udp;
	if (!protseq || !strcmp(protseq, "ncacn_ip_tcp"))
		udp = 0;
	else if (!strcmp(protseq, "ncadg_ip_udp"))
		udp = 1;
	else
		return set_res(res, EPMQ_ERROR, 0, "ept_map: protocol sequence %s is not supported", protseq);
	struct client *k = calloc(1, sizeof *k);
	struct epm_map_resp *mr = calloc(1, sizeof *mr);
	if (!k || !mr) {
		free(k);
		free(mr);
		return set_res(res, EPMQ_ERROR, ENOMEM, "out of memory");
	}
	k->io = io;
	enum epmq_status s = bind_epm(k, res);
	if (s == EPMQ_OK) {
		uint8_t stub[128];
		size_t sl = epmq_build_map_stub(stub, sizeof stub, iface, vmaj, vmin, udp, NIL_HANDLE, EPM_MAX_TOWERS);
		struct epmq_reasm r;
		s = call(k, EPM_OPNUM_MAP, stub, sl, &r, res);
		if (s == EPMQ_OK) {
			enum stub_status ss = epm_map_resp_decode(r.stub, r.len, r.le, 0, mr);
			if (ss != STUB_OK)
				s = set_res(res, EPMQ_PROTOCOL, 0, "ept_map answer %s: %s", stub_status_name(ss),
					    mr->invalid ? mr->invalid : "stub ends early");
		}
		epmq_reasm_free(&r);
	}
	if (s == EPMQ_OK) {
		char us[UUID_STRLEN];
		uuid_str(iface, us, sizeof us);
		if (mr->status == EPM_S_NOT_REGISTERED || (mr->status == 0 && mr->n_towers == 0)) {
			s = set_res(res, EPMQ_NOT_REGISTERED, mr->status ? mr->status : EPM_S_NOT_REGISTERED,
				    "ept_map %s v%u.%u %s: %s", us, vmaj, vmin, udp ? "ncadg_ip_udp" : "ncacn_ip_tcp",
				    mr->status ? "ept_s_not_registered" : "no tower returned");
		} else if (mr->status != 0) {
			s = bad_status(res, "ept_map", mr->status);
		} else {
			struct rpc_uuid nil;
			memset(&nil, 0, sizeof nil);
			for (uint32_t i = 0; i < mr->n_towers; i++) {
				struct epmq_entry e;
				epmq_entry_from_tower(&e, &mr->towers[i], &nil, "");
				if (cb)
					cb(ctx, &e);
			}
			s = set_res(res, EPMQ_OK, 0, "%u tower%s", mr->n_towers, mr->n_towers == 1 ? "" : "s");
		}
	}
	free(mr);
	free(k);
	return s;
}

/* ---- TCP transport -------------------------------------------------------- */

struct tcp {
	int fd;
	uint32_t timeout_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* poll fd for ev until deadline: 1 ready, 0 timed out, -1 error (errno) */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t t = now_ms();
		if (t >= deadline)
			return 0;
		struct pollfd p = {.fd = fd, .events = ev};
		uint64_t left = deadline - t;
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static enum epmq_status sock_err(struct epmq_result *res, int err, const char *what)
{
	enum epmq_status s = EPMQ_ERROR;
	const char *hint = "";
	switch (err) {
	case ECONNRESET:
	case EPIPE:
		return set_res(res, EPMQ_PROTOCOL, (uint32_t)err, "connection reset by the server %s", what);
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		s = EPMQ_UNREACHABLE;
		hint = " (no route, or an ICMP unreachable/prohibited answer)";
		break;
	case EPERM:
	case EACCES:
		s = EPMQ_UNREACHABLE;
		hint = " (a local firewall rule dropped the packet)";
		break;
	case ETIMEDOUT:
		s = EPMQ_TIMEOUT;
		break;
	}
	return set_res(res, s, (uint32_t)err, "%s %s%s", strerror(err), what, hint);
}

static enum epmq_status tcp_send(void *ctx, const uint8_t *p, size_t n, struct epmq_result *res)
{
	struct tcp *t = ctx;
	uint64_t deadline = now_ms() + t->timeout_ms;
	while (n) {
		ssize_t w = send(t->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(t->fd, POLLOUT, deadline);
			if (r == 0)
				return set_res(res, EPMQ_TIMEOUT, 0, " (could not send within %u ms)", t->timeout_ms);
			if (r < 0)
				return sock_err(res, errno, "while sending");
			continue;
		}
		return sock_err(res, w < 0 ? errno : EPIPE, "while sending");
	}
	return EPMQ_OK;
}

/* read exactly n bytes by the deadline */
static enum epmq_status tcp_read(struct tcp *t, uint8_t *p, size_t n, uint64_t deadline, struct epmq_result *res)
{
	while (n) {
		ssize_t r = recv(t->fd, p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return set_res(res, EPMQ_PROTOCOL, 0, "the server closed the connection without answering");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int w = wait_fd(t->fd, POLLIN, deadline);
			if (w == 0)
				return set_res(res, EPMQ_TIMEOUT, 0, " within %u ms", t->timeout_ms);
			if (w < 0)
				return sock_err(res, errno, "while receiving");
			continue;
		}
		return sock_err(res, errno, "while receiving");
	}
	return EPMQ_OK;
}

static enum epmq_status tcp_recv_pdu(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct epmq_result *res)
{
	struct tcp *t = ctx;
	uint64_t deadline = now_ms() + t->timeout_ms;
	enum epmq_status s = tcp_read(t, buf, 16, deadline, res);
	if (s != EPMQ_OK)
		return s;
	size_t fl = epmq_pdu_length(buf, 16);
	if (!fl)
		return set_res(res, EPMQ_PROTOCOL, 0, "the answer is not DCE/RPC (first bytes %02x %02x %02x %02x)",
			       buf[0], buf[1], buf[2], buf[3]);
	if (fl > cap)
		return set_res(res, EPMQ_PROTOCOL, 0, "PDU of %zu bytes", fl);
	s = tcp_read(t, buf + 16, fl - 16, deadline, res);
	if (s != EPMQ_OK)
		return s;
	*len = fl;
	return EPMQ_OK;
}

/* Non-blocking connect bounded by the timeout; the verdict tells filtered
 * (no answer), closed (reset), unreachable (ICMP or no route). */
static enum epmq_status tcp_connect(const struct epmq_opts *o, struct tcp *t, struct epmq_result *res)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	uint16_t port = o->port ? o->port : EPMQ_DEFAULT_PORT;
	if (o->target.family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, o->target.a, 4);
		sl = sizeof *s4;
	} else if (o->target.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, o->target.a, 16);
		sl = sizeof *s6;
	} else {
		return set_res(res, EPMQ_ERROR, 0, "no target address");
	}
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return set_res(res, EPMQ_ERROR, (uint32_t)errno, "socket: %s", strerror(errno));
	uint64_t deadline = now_ms() + t->timeout_ms;
	int err = 0;
	if (connect(t->fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else {
			int r = wait_fd(t->fd, POLLOUT, deadline);
			if (r == 0)
				return set_res(res, EPMQ_FILTERED, 0, "no answer to the SYN within %u ms", t->timeout_ms);
			socklen_t el = sizeof err;
			if (r < 0)
				err = errno;
			else if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
		}
	}
	if (!err)
		return EPMQ_OK;
	if (err == ECONNREFUSED)
		return set_res(res, EPMQ_CLOSED, (uint32_t)err, "connection refused (TCP reset)");
	if (err == ETIMEDOUT)
		return set_res(res, EPMQ_FILTERED, (uint32_t)err, "no answer to the SYN (%s)", strerror(err));
	return sock_err(res, err, "on connect");
}

static enum epmq_status tcp_open(const struct epmq_opts *o, struct tcp *t, struct epmq_io *io,
				 struct epmq_result *res)
{
	t->fd = -1;
	t->timeout_ms = o->timeout_ms ? o->timeout_ms : EPMQ_DEFAULT_TIMEOUT_MS;
	io->ctx = t;
	io->send = tcp_send;
	io->recv_pdu = tcp_recv_pdu;
	return tcp_connect(o, t, res);
}

static void tcp_close(struct tcp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

enum epmq_status epmq_lookup(const struct epmq_opts *o, epmq_entry_fn cb, void *ctx, struct epmq_result *res)
{
	struct tcp t;
	struct epmq_io io;
	struct epmq_result local;
	if (!res)
		res = &local;
	enum epmq_status s = tcp_open(o, &t, &io, res);
	if (s == EPMQ_OK)
		s = epmq_lookup_io(&io, o->max_entries, o->page_size, cb, ctx, res);
	tcp_close(&t);
	res->status = s;
	return s;
}

enum epmq_status epmq_map(const struct epmq_opts *o, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			  const char *protseq, epmq_entry_fn cb, void *ctx, struct epmq_result *res)
{
	struct tcp t;
	struct epmq_io io;
	struct epmq_result local;
	if (!res)
		res = &local;
	enum epmq_status s = tcp_open(o, &t, &io, res);
	if (s == EPMQ_OK)
		s = epmq_map_io(&io, iface, vmaj, vmin, protseq, cb, ctx, res);
	tcp_close(&t);
	res->status = s;
	return s;
}
