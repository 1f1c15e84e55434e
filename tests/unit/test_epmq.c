/* \summary: unit tests for the endpoint-mapper client (src/epmq.c)
 *
 * Requests are checked byte for byte against hand-computed arrays (C706 /
 * rpc-facts 1.5, 1.8, 3.2, 3.3) and round-tripped through the capture
 * decoders (epm_lookup_req_decode, epm_map_req_decode, epm_tower_decode).
 * Answers: bind_ack / bind_nak / rejected context / fault, fragmented
 * responses, and whole conversations against a scripted server (struct
 * epmq_io) for paging, limits, faults and not-registered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epm.h"
#include "epmq.h"

static const char *EMSMDB = "a4f1db00-ca47-1067-b31f-00dd010662da";
static const char *SRVSVC = "4b324fc8-1670-01d3-1278-5a47bf6ee188";

static struct rpc_uuid U(const char *s)
{
	struct rpc_uuid u;
	assert_true(uuid_parse(&u, s));
	return u;
}

/* ---- request encoding ------------------------------------------------------ */

static void test_bind_bytes(void **state)
{
	(void)state;
	static const uint8_t want[72] = {
		0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
		0xd0, 0x16, 0xd0, 0x16, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		/* EPM e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0 */
		0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
		0x03, 0x00, 0x00, 0x00,
		/* NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2 */
		0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,
		0x02, 0x00, 0x00, 0x00,
	};
	uint8_t b[128];
	memset(b, 0xee, sizeof b);
	assert_int_equal(epmq_build_bind(b, sizeof b, 7), 72);
	assert_memory_equal(b, want, 72);
	assert_int_equal(epmq_pdu_length(b, 72), 72);
	assert_int_equal(epmq_build_bind(b, 71, 7), 0);	/* too small: nothing claimed */
}

static const uint8_t HANDLE[20] = {0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02,
				   0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

static void test_lookup_stub(void **state)
{
	(void)state;
	uint8_t want[40] = {
		0x00, 0x00, 0x00, 0x00,	/* inquiry_type RPC_C_EP_ALL_ELTS */
		0x00, 0x00, 0x00, 0x00,	/* object NULL */
		0x00, 0x00, 0x00, 0x00,	/* Ifid NULL */
		0x01, 0x00, 0x00, 0x00,	/* vers_option RPC_C_VERS_ALL */
	};
	memcpy(want + 16, HANDLE, 20);
	want[36] = 0x40;	/* max_ents 64 */
	uint8_t b[64];
	assert_int_equal(epmq_build_lookup_stub(b, sizeof b, HANDLE, 64), 40);
	assert_memory_equal(b, want, 40);

	struct epm_lookup_req r;
	assert_int_equal(epm_lookup_req_decode(b, 40, 1, 0, &r), STUB_OK);
	assert_int_equal(r.inquiry_type, 0);
	assert_false(r.has_object);
	assert_false(r.has_ifid);
	assert_int_equal(r.vers_option, 1);
	assert_memory_equal(r.entry_handle, HANDLE, 20);
	assert_int_equal(r.max_ents, 64);
	assert_null(r.invalid);
	assert_int_equal(epmq_build_lookup_stub(b, 39, HANDLE, 64), 0);
}

/* rpc-facts 3.4's EMSMDB tower with port 0 and 0.0.0.0, as impacket's hept_map sends it */
static const uint8_t EMSMDB_TOWER[75] = {
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d,
	0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_tower(void **state)
{
	(void)state;
	struct rpc_uuid em = U(EMSMDB);
	uint8_t b[128];
	assert_int_equal(epmq_build_tower(b, sizeof b, &em, 0, 81, 0), 75);
	assert_memory_equal(b, EMSMDB_TOWER, 75);

	struct epm_tower t;
	assert_int_equal(epm_tower_decode(b, 75, &t), 0);
	assert_true(t.has_iface);
	assert_true(uuid_eq(&t.iface, &em));
	assert_int_equal(t.ver_major, 0);
	assert_int_equal(t.ver_minor, 81);
	assert_int_equal(t.protseq, EPM_NCACN_IP_TCP);
	assert_true(t.has_port);
	assert_int_equal(t.port, 0);
	assert_true(t.has_ip);

	/* UDP: floor 3 is 0x0a (RPC CL), floor 4 0x08 (UDP); nothing else changes */
	uint8_t u[75];
	assert_int_equal(epmq_build_tower(u, sizeof u, &em, 0, 81, 1), 75);
	uint8_t want[75];
	memcpy(want, EMSMDB_TOWER, 75);
	want[54] = 0x0a;
	want[61] = 0x08;
	assert_memory_equal(u, want, 75);
	assert_int_equal(epm_tower_decode(u, 75, &t), 0);
	assert_int_equal(t.protseq, EPM_NCADG_IP_UDP);
	assert_int_equal(t.port_proto, EPM_PROTO_UDP);
	assert_int_equal(epmq_build_tower(u, 74, &em, 0, 81, 1), 0);
}

static void test_map_stub(void **state)
{
	(void)state;
	struct rpc_uuid em = U(EMSMDB);
	uint8_t want[116];
	memset(want, 0, sizeof want);
	/* object NULL | referent 1 | max_count 75 | tower_length 75 */
	const uint8_t head[16] = {0, 0, 0, 0, 1, 0, 0, 0, 75, 0, 0, 0, 75, 0, 0, 0};
	memcpy(want, head, 16);
	memcpy(want + 16, EMSMDB_TOWER, 75);
	/* 91: one pad byte, 92: nil handle (20), 112: max_towers 16 */
	want[112] = 16;
	uint8_t b[256];
	static const uint8_t nil[20];
	assert_int_equal(epmq_build_map_stub(b, sizeof b, &em, 0, 81, 0, nil, 16), 116);
	assert_memory_equal(b, want, 116);

	struct epm_map_req r;
	assert_int_equal(epm_map_req_decode(b, 116, 1, 0, &r), STUB_OK);
	assert_false(r.has_object);
	assert_true(r.has_tower);
	assert_int_equal(r.tower_max_count, 75);
	assert_int_equal(r.tower_length, 75);
	assert_false(r.tower.malformed);
	assert_true(uuid_eq(&r.tower.iface, &em));
	assert_int_equal(r.tower.ver_minor, 81);
	assert_int_equal(r.tower.protseq, EPM_NCACN_IP_TCP);
	assert_memory_equal(r.entry_handle, nil, 20);
	assert_int_equal(r.max_towers, 16);
	assert_null(r.invalid);
	assert_int_equal(epmq_build_map_stub(b, 115, &em, 0, 81, 0, nil, 16), 0);
}

static void test_request_pdu(void **state)
{
	(void)state;
	uint8_t stub[40], b[128];
	epmq_build_lookup_stub(stub, sizeof stub, HANDLE, 500);
	assert_int_equal(epmq_build_request(b, sizeof b, 0x01020304, 2, stub, 40), 64);
	static const uint8_t hdr[24] = {
		0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,	/* alloc_hint 40, ctx 0, opnum 2 */
	};
	assert_memory_equal(b, hdr, 24);
	assert_memory_equal(b + 24, stub, 40);
	assert_int_equal(epmq_pdu_length(b, 64), 64);
	assert_int_equal(epmq_pdu_length(b, 15), 0);
	assert_int_equal(epmq_build_request(b, 63, 1, 2, stub, 40), 0);
}

/* ---- answers ----------------------------------------------------------------- */

/* A PDU builder (little-endian unless be) */
struct pdu {
	uint8_t b[70000];
	size_t n;
};

static void p_u8(struct pdu *p, uint8_t v) { p->b[p->n++] = v; }
static void p_u16(struct pdu *p, uint16_t v) { p_u8(p, (uint8_t)v); p_u8(p, (uint8_t)(v >> 8)); }
static void p_u32(struct pdu *p, uint32_t v) { p_u16(p, (uint16_t)v); p_u16(p, (uint16_t)(v >> 16)); }
static void p_raw(struct pdu *p, const void *d, size_t n) { memcpy(p->b + p->n, d, n); p->n += n; }

static void p_hdr(struct pdu *p, uint8_t ptype, uint8_t flags, uint32_t call_id)
{
	p->n = 0;
	const uint8_t h[8] = {5, 0, ptype, flags, 0x10, 0, 0, 0};
	p_raw(p, h, 8);
	p_u16(p, 0);	/* frag_length, patched by p_end */
	p_u16(p, 0);
	p_u32(p, call_id);
}

static void p_end(struct pdu *p)
{
	p->b[8] = (uint8_t)p->n;
	p->b[9] = (uint8_t)(p->n >> 8);
}

static const uint8_t NDR_WIRE[20] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
				     0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00};

/* bind_ack with sec_addr "135" and one result */
static void bind_ack(struct pdu *p, uint32_t call_id, uint16_t result, uint16_t reason)
{
	static const uint8_t zero[20];
	p_hdr(p, 12, 3, call_id);
	p_u16(p, 5840);
	p_u16(p, 5840);
	p_u32(p, 0x1234);
	p_u16(p, 4);
	p_raw(p, "135", 4);	/* 26 + 4 = 30: 2 pad bytes */
	p_u16(p, 0);
	p_u8(p, 1);
	p_u8(p, 0);
	p_u16(p, 0);
	p_u16(p, result);
	p_u16(p, reason);
	p_raw(p, result ? zero : NDR_WIRE, 20);
	p_end(p);
}

static void fault(struct pdu *p, uint32_t call_id, uint32_t status)
{
	p_hdr(p, 3, 3, call_id);
	p_u32(p, 32);
	p_u16(p, 0);
	p_u8(p, 0);
	p_u8(p, 0);
	p_u32(p, status);
	p_u32(p, 0);
	p_end(p);
}

static void response(struct pdu *p, uint32_t call_id, uint8_t flags, const uint8_t *stub, size_t n)
{
	p_hdr(p, 2, flags, call_id);
	p_u32(p, (uint32_t)n);
	p_u16(p, 0);
	p_u8(p, 0);
	p_u8(p, 0);
	p_raw(p, stub, n);
	p_end(p);
}

static void test_bind_answers(void **state)
{
	(void)state;
	struct pdu *p = malloc(sizeof *p);
	struct epmq_result r;

	bind_ack(p, 1, 0, 0);
	assert_int_equal(epmq_check_bind_answer(p->b, p->n, 1, &r), EPMQ_OK);
	assert_int_equal(epmq_check_bind_answer(p->b, p->n, 2, &r), EPMQ_PROTOCOL);	/* other call */
	assert_non_null(strstr(r.detail, "call_id"));
	assert_int_equal(epmq_check_bind_answer(p->b, p->n - 1, 1, &r), EPMQ_PROTOCOL);	/* cut */

	bind_ack(p, 1, 2, 1);	/* provider_rejection, abstract syntax not supported */
	assert_int_equal(epmq_check_bind_answer(p->b, p->n, 1, &r), EPMQ_BIND_REJECTED);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.detail, "provider_rejection"));
	assert_non_null(strstr(r.detail, "abstract_syntax_not_supported"));

	p_hdr(p, 13, 3, 1);	/* bind_nak, protocol version not supported, versions 5.0 */
	p_u16(p, 4);
	p_u8(p, 1);
	p_u8(p, 5);
	p_u8(p, 0);
	p_u8(p, 0);
	p_end(p);
	assert_int_equal(epmq_check_bind_answer(p->b, p->n, 1, &r), EPMQ_BIND_REJECTED);
	assert_int_equal(r.code, 4);
	assert_string_equal(r.detail, "bind_nak: reason 4 protocol_version_not_supported");
	assert_string_equal(epmq_status_name(EPMQ_BIND_REJECTED), "bind-rejected");

	fault(p, 1, 0x1c010003);
	assert_int_equal(epmq_check_bind_answer(p->b, p->n, 1, &r), EPMQ_FAULT);
	assert_int_equal(r.code, 0x1c010003);

	static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	assert_int_equal(epmq_check_bind_answer(http, sizeof http - 1, 1, &r), EPMQ_PROTOCOL);
	assert_int_equal(epmq_pdu_length(http, sizeof http - 1), 0);
	free(p);
}

static void test_reasm_fragments(void **state)
{
	(void)state;
	struct pdu *p = malloc(sizeof *p);
	struct epmq_result r;
	struct epmq_reasm ra;
	uint8_t s[300];
	for (size_t i = 0; i < sizeof s; i++)
		s[i] = (uint8_t)i;

	epmq_reasm_init(&ra, 9);
	response(p, 9, 0x01, s, 100);	/* first */
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_OK);
	assert_false(ra.done);
	response(p, 9, 0x00, s + 100, 150);	/* middle */
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_OK);
	assert_false(ra.done);
	response(p, 9, 0x02, s + 250, 50);	/* last */
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_OK);
	assert_true(ra.done);
	assert_int_equal(ra.len, 300);
	assert_memory_equal(ra.stub, s, 300);
	assert_true(ra.le);
	/* anything after the last fragment is an error */
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_PROTOCOL);
	epmq_reasm_free(&ra);

	/* a middle fragment first */
	epmq_reasm_init(&ra, 9);
	response(p, 9, 0x00, s, 10);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_PROTOCOL);
	assert_non_null(strstr(r.detail, "PFC_FIRST_FRAG"));
	epmq_reasm_free(&ra);

	/* a second first fragment */
	epmq_reasm_init(&ra, 9);
	response(p, 9, 0x01, s, 10);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_OK);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_PROTOCOL);
	epmq_reasm_free(&ra);

	/* fault in the middle of a call: nca_s_op_rng_error */
	epmq_reasm_init(&ra, 9);
	fault(p, 9, 0x1c010002);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_FAULT);
	assert_int_equal(r.code, 0x1c010002);
	assert_string_equal(r.detail, "fault 0x1c010002 nca_s_op_rng_error");
	epmq_reasm_free(&ra);

	/* other call id, other PDU type */
	epmq_reasm_init(&ra, 9);
	response(p, 10, 0x03, s, 10);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_PROTOCOL);
	bind_ack(p, 9, 0, 0);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_PROTOCOL);
	assert_non_null(strstr(r.detail, "bind_ack"));
	epmq_reasm_free(&ra);

	/* an authenticated fragment: the stub ends before the auth padding */
	epmq_reasm_init(&ra, 9);
	response(p, 9, 0x03, s, 13);
	p_u8(p, 0xaa);	/* 3 pad bytes to 16 */
	p_u8(p, 0xaa);
	p_u8(p, 0xaa);
	const uint8_t trailer[8] = {0x0a, 0x05, 3, 0, 0, 0, 0, 0};
	p_raw(p, trailer, 8);
	p_raw(p, "0123456789abcdef", 16);
	p->b[10] = 16;	/* auth_length */
	p_end(p);
	assert_int_equal(epmq_reasm_add(&ra, p->b, p->n, &r), EPMQ_OK);
	assert_int_equal(ra.len, 13);
	assert_memory_equal(ra.stub, s, 13);
	epmq_reasm_free(&ra);
	free(p);
}

static void test_reasm_bound(void **state)
{
	(void)state;
	struct pdu *p = malloc(sizeof *p);
	uint8_t *big = calloc(1, 65000);
	struct epmq_result r;
	struct epmq_reasm ra;
	epmq_reasm_init(&ra, 1);
	enum epmq_status s = EPMQ_OK;
	unsigned i;
	/* fragments without PFC_LAST_FRAG until the bound says stop */
	for (i = 0; i < 200 && s == EPMQ_OK; i++) {
		response(p, 1, i ? 0 : 1, big, 65000);
		s = epmq_reasm_add(&ra, p->b, p->n, &r);
	}
	assert_int_equal(s, EPMQ_PROTOCOL);
	assert_non_null(strstr(r.detail, "larger than"));
	assert_int_equal(i, EPMQ_MAX_STUB / 65000 + 1);
	assert_true(ra.len <= EPMQ_MAX_STUB);
	epmq_reasm_free(&ra);
	free(big);
	free(p);
}

/* ---- whole conversations against a scripted server ----------------------------- */

struct script {
	struct pdu *out[16];	/* answers, in order */
	size_t n_out, next;
	uint8_t sent[16][512];	/* what the client sent */
	size_t sent_len[16], n_sent;
};

static enum epmq_status s_send(void *ctx, const uint8_t *p, size_t n, struct epmq_result *res)
{
	(void)res;
	struct script *s = ctx;
	assert_true(s->n_sent < 16 && n <= 512);
	memcpy(s->sent[s->n_sent], p, n);
	s->sent_len[s->n_sent++] = n;
	return EPMQ_OK;
}

static enum epmq_status s_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct epmq_result *res)
{
	struct script *s = ctx;
	if (s->next >= s->n_out) {
		snprintf(res->detail, sizeof res->detail, " within 5 ms");
		return EPMQ_TIMEOUT;
	}
	struct pdu *p = s->out[s->next++];
	assert_true(p->n <= cap);
	memcpy(buf, p->b, p->n);
	*len = p->n;
	return EPMQ_OK;
}

static struct pdu *s_add(struct script *s)
{
	struct pdu *p = calloc(1, sizeof *p);
	s->out[s->n_out++] = p;
	return p;
}

static void s_free(struct script *s)
{
	for (size_t i = 0; i < s->n_out; i++)
		free(s->out[i]);
}

static struct epmq_io s_io(struct script *s)
{
	struct epmq_io io = {.ctx = s, .send = s_send, .recv_pdu = s_recv};
	return io;
}

/* ept_lookup response stub (NDR20 LE) with entries (iface, port) */
struct ent {
	const char *iface;
	uint16_t vmaj, vmin;
	uint16_t port;
	const char *annotation;
};

static size_t tcp_tower(uint8_t *b, const struct ent *e)
{
	struct rpc_uuid u = U(e->iface);
	size_t n = epmq_build_tower(b, 75, &u, e->vmaj, e->vmin, 0);
	b[64] = (uint8_t)(e->port >> 8);	/* port, big-endian */
	b[65] = (uint8_t)e->port;
	b[71] = 198; b[72] = 18; b[73] = 2; b[74] = 20;
	return n;
}

static void st_align(struct pdu *p, size_t k)
{
	while (p->n % k)
		p_u8(p, 0xa5);
}

static size_t lookup_stub(uint8_t *out, const uint8_t handle[20], uint32_t max, const struct ent *e, size_t n,
			  uint32_t status)
{
	struct pdu *p = calloc(1, sizeof *p);
	p_raw(p, handle, 20);
	p_u32(p, (uint32_t)n);
	p_u32(p, max);
	p_u32(p, 0);
	p_u32(p, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		struct rpc_uuid obj = U("00000000-0000-0000-0000-000000000000");
		st_align(p, 4);
		p_raw(p, obj.b, 16);
		p_u32(p, 0x20000 + (uint32_t)i);	/* tower referent */
		size_t al = strlen(e[i].annotation) + 1;
		p_u32(p, 0);
		p_u32(p, (uint32_t)al);
		p_raw(p, e[i].annotation, al);
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t t[75];
		st_align(p, 4);
		p_u32(p, (uint32_t)tcp_tower(t, &e[i]));
		p_u32(p, 75);
		p_raw(p, t, 75);
	}
	st_align(p, 4);
	p_u32(p, status);
	size_t len = p->n;
	memcpy(out, p->b, len);
	free(p);
	return len;
}

struct got {
	struct epmq_entry e[16];
	size_t n;
};

static void got_cb(void *ctx, const struct epmq_entry *e)
{
	struct got *g = ctx;
	assert_true(g->n < 16);
	g->e[g->n++] = *e;
}

/* request i the client sent: its opnum and the handle/max_ents of an ept_lookup */
static void sent_lookup(const struct script *s, size_t i, const uint8_t handle[20], uint32_t max_ents)
{
	assert_true(i < s->n_sent);
	const uint8_t *q = s->sent[i];
	assert_int_equal(q[2], 0);	/* request */
	assert_int_equal(q[22], EPM_OPNUM_LOOKUP);
	struct epm_lookup_req r;
	assert_int_equal(epm_lookup_req_decode(q + 24, s->sent_len[i] - 24, 1, 0, &r), STUB_OK);
	assert_memory_equal(r.entry_handle, handle, 20);
	assert_int_equal(r.max_ents, max_ents);
	assert_int_equal(r.inquiry_type, 0);
}

static const uint8_t NIL[20];
static const uint8_t H1[20] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint8_t H2[20] = {0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

static void test_lookup_paging(void **state)
{
	(void)state;
	struct script s;
	memset(&s, 0, sizeof s);
	static const struct ent e[3] = {
		{"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 49152, "srvsvc"},
		{"12345778-1234-abcd-ef00-0123456789ac", 1, 0, 49153, ""},
		{"a4f1db00-ca47-1067-b31f-00dd010662da", 0, 81, 49157, "Exchange"},
	};
	uint8_t stub[4096];
	size_t n;
	bind_ack(s_add(&s), 1, 0, 0);
	/* page 1: two entries, handle H1; sent as two fragments */
	n = lookup_stub(stub, H1, 64, e, 2, 0);
	response(s_add(&s), 2, 0x01, stub, 100);
	response(s_add(&s), 2, 0x02, stub + 100, n - 100);
	/* page 2: one entry, handle H2 */
	n = lookup_stub(stub, H2, 64, e + 2, 1, 0);
	response(s_add(&s), 3, 0x03, stub, n);
	/* page 3: none, nil handle, ept_s_not_registered: the end */
	n = lookup_stub(stub, NIL, 64, NULL, 0, EPM_S_NOT_REGISTERED);
	response(s_add(&s), 4, 0x03, stub, n);

	struct epmq_io io = s_io(&s);
	struct got g = {0};
	struct epmq_result r;
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(s.n_sent, 4);	/* bind + three ept_lookup */
	assert_int_equal(s.sent[0][2], 11);
	sent_lookup(&s, 1, NIL, 64);
	sent_lookup(&s, 2, H1, 64);
	sent_lookup(&s, 3, H2, 64);
	for (size_t i = 0; i < 3; i++) {
		char u[UUID_STRLEN], a[ADDR_STRLEN];
		assert_string_equal(uuid_str(&g.e[i].iface, u, sizeof u), e[i].iface);
		assert_int_equal(g.e[i].vmaj, e[i].vmaj);
		assert_int_equal(g.e[i].vmin, e[i].vmin);
		assert_int_equal(g.e[i].port, e[i].port);
		assert_string_equal(g.e[i].protseq, "ncacn_ip_tcp");
		assert_true(g.e[i].has_addr);
		assert_string_equal(addr_str(&g.e[i].addr, a, sizeof a), "198.18.2.20");
		assert_string_equal(g.e[i].annotation, e[i].annotation);
	}
	assert_string_equal(g.e[0].iface_name, "SRVSVC");
	assert_string_equal(g.e[2].iface_name, "EMSMDB");
	assert_non_null(strstr(r.detail, "3 entries in 3 pages"));
	s_free(&s);
}

static void test_lookup_limit(void **state)
{
	(void)state;
	struct script s;
	memset(&s, 0, sizeof s);
	static const struct ent e = {"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 49152, ""};
	uint8_t stub[1024];
	bind_ack(s_add(&s), 1, 0, 0);
	/* a server that always has one more */
	for (uint32_t c = 2; c <= 4; c++) {
		size_t n = lookup_stub(stub, H1, 1, &e, 1, 0);
		response(s_add(&s), c, 0x03, stub, n);
	}
	uint8_t fr[24] = {0};
	response(s_add(&s), 5, 0x03, fr, 24);	/* ept_lookup_handle_free's answer */
	struct epmq_io io = s_io(&s);
	struct got g = {0};
	struct epmq_result r;
	assert_int_equal(epmq_lookup_io(&io, 3, 0, got_cb, &g, &r), EPMQ_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(s.n_sent, 5);
	sent_lookup(&s, 1, NIL, 3);
	sent_lookup(&s, 2, H1, 2);
	sent_lookup(&s, 3, H1, 1);
	assert_int_equal(s.sent[4][22], 4);	/* ept_lookup_handle_free(H1) */
	assert_memory_equal(s.sent[4] + 24, H1, 20);
	assert_non_null(strstr(r.detail, "limit"));
	s_free(&s);
}

static void test_lookup_errors(void **state)
{
	(void)state;
	struct epmq_result r;
	struct got g = {0};
	uint8_t stub[1024];

	/* bind_nak */
	struct script s;
	memset(&s, 0, sizeof s);
	struct pdu *p = s_add(&s);
	p_hdr(p, 13, 3, 1);
	p_u16(p, 2);
	p_u8(p, 0);
	p_end(p);
	struct epmq_io io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_BIND_REJECTED);
	assert_int_equal(r.code, 2);
	s_free(&s);

	/* fault on the call */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	fault(s_add(&s), 2, 0x00000005);
	io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_FAULT);
	assert_int_equal(r.code, 5);
	s_free(&s);

	/* no answer to the call */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_TIMEOUT);
	assert_string_equal(r.detail, "no answer to ept_lookup within 5 ms");
	s_free(&s);

	/* no answer to the bind */
	memset(&s, 0, sizeof s);
	io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_TIMEOUT);
	assert_string_equal(r.detail, "connected, but no answer to the bind within 5 ms");
	s_free(&s);

	/* an empty endpoint mapper */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	size_t n = lookup_stub(stub, NIL, 64, NULL, 0, EPM_S_NOT_REGISTERED);
	response(s_add(&s), 2, 0x03, stub, n);
	io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_NOT_REGISTERED);
	assert_int_equal(r.code, EPM_S_NOT_REGISTERED);
	s_free(&s);

	/* a stub cut short */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	static const struct ent e = {"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 49152, ""};
	n = lookup_stub(stub, H1, 64, &e, 1, 0);
	response(s_add(&s), 2, 0x03, stub, n - 10);
	io = s_io(&s);
	assert_int_equal(epmq_lookup_io(&io, 0, 0, got_cb, &g, &r), EPMQ_PROTOCOL);
	assert_non_null(strstr(r.detail, "truncated"));
	s_free(&s);
	assert_int_equal(g.n, 0);
}

static size_t map_stub(uint8_t *out, const struct ent *e, size_t n, uint32_t max, uint32_t status)
{
	struct pdu *p = calloc(1, sizeof *p);
	p_raw(p, NIL, 20);
	p_u32(p, (uint32_t)n);
	p_u32(p, max);
	p_u32(p, 0);
	p_u32(p, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		p_u32(p, 3 + (uint32_t)i);
	for (size_t i = 0; i < n; i++) {
		uint8_t t[75];
		st_align(p, 4);
		p_u32(p, (uint32_t)tcp_tower(t, &e[i]));
		p_u32(p, 75);
		p_raw(p, t, 75);
	}
	st_align(p, 4);
	p_u32(p, status);
	size_t len = p->n;
	memcpy(out, p->b, len);
	free(p);
	return len;
}

static void test_map(void **state)
{
	(void)state;
	struct script s;
	struct epmq_result r;
	uint8_t stub[1024];
	struct rpc_uuid sv = U(SRVSVC);
	static const struct ent e = {"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 49155, ""};

	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	size_t n = map_stub(stub, &e, 1, 16, 0);
	response(s_add(&s), 2, 0x03, stub, n);
	struct epmq_io io = s_io(&s);
	struct got g = {0};
	assert_int_equal(epmq_map_io(&io, &sv, 3, 0, "ncacn_ip_tcp", got_cb, &g, &r), EPMQ_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].port, 49155);
	assert_string_equal(g.e[0].iface_name, "SRVSVC");
	/* the request: ept_map with the srvsvc v3.0 TCP tower */
	assert_int_equal(s.n_sent, 2);
	assert_int_equal(s.sent[1][22], EPM_OPNUM_MAP);
	struct epm_map_req q;
	assert_int_equal(epm_map_req_decode(s.sent[1] + 24, s.sent_len[1] - 24, 1, 0, &q), STUB_OK);
	assert_true(uuid_eq(&q.tower.iface, &sv));
	assert_int_equal(q.tower.ver_major, 3);
	assert_int_equal(q.tower.protseq, EPM_NCACN_IP_TCP);
	assert_int_equal(q.max_towers, EPM_MAX_TOWERS);
	s_free(&s);

	/* not registered (UDP asked) */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	n = map_stub(stub, NULL, 0, 16, EPM_S_NOT_REGISTERED);
	response(s_add(&s), 2, 0x03, stub, n);
	io = s_io(&s);
	memset(&g, 0, sizeof g);
	assert_int_equal(epmq_map_io(&io, &sv, 3, 0, "ncadg_ip_udp", got_cb, &g, &r), EPMQ_NOT_REGISTERED);
	assert_int_equal(r.code, EPM_S_NOT_REGISTERED);
	assert_int_equal(g.n, 0);
	assert_int_equal(epm_map_req_decode(s.sent[1] + 24, s.sent_len[1] - 24, 1, 0, &q), STUB_OK);
	assert_int_equal(q.tower.protseq, EPM_NCADG_IP_UDP);
	s_free(&s);

	/* some other status */
	memset(&s, 0, sizeof s);
	bind_ack(s_add(&s), 1, 0, 0);
	n = map_stub(stub, NULL, 0, 16, 0x6d8);
	response(s_add(&s), 2, 0x03, stub, n);
	io = s_io(&s);
	assert_int_equal(epmq_map_io(&io, &sv, 3, 0, NULL, got_cb, &g, &r), EPMQ_FAULT);
	assert_int_equal(r.code, 0x6d8);
	s_free(&s);

	/* unsupported protocol sequence: nothing is sent */
	memset(&s, 0, sizeof s);
	io = s_io(&s);
	assert_int_equal(epmq_map_io(&io, &sv, 3, 0, "ncacn_np", got_cb, &g, &r), EPMQ_ERROR);
	assert_int_equal(s.n_sent, 0);
}

/* Mutated answers (byte flips, cuts, inflated lengths and counts) never crash the
 * client or make it hand out more than was asked; run under the sanitizers. */
static void test_lookup_mutations(void **state)
{
	(void)state;
	static const struct ent e[3] = {
		{"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 49152, "srvsvc"},
		{"12345778-1234-abcd-ef00-0123456789ac", 1, 0, 49153, ""},
		{"a4f1db00-ca47-1067-b31f-00dd010662da", 0, 81, 49157, "Exchange"},
	};
	uint8_t stub[4096];
	size_t n = lookup_stub(stub, NIL, 64, e, 3, EPM_S_NOT_REGISTERED);
	uint32_t seed = 12345;
	unsigned ok = 0, bad = 0;
	for (unsigned round = 0; round < 3000; round++) {
		struct script s;
		memset(&s, 0, sizeof s);
		bind_ack(s_add(&s), 1, 0, 0);
		struct pdu *p = s_add(&s);
		response(p, 2, 0x03, stub, n);
		/* 1-4 changes anywhere in the PDU, including its header */
		unsigned k = 1 + round % 4;
		for (unsigned j = 0; j < k; j++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % p->n;
			seed = seed * 1103515245u + 12345u;
			switch (round % 3) {
			case 0: p->b[at] ^= (uint8_t)(1u << ((seed >> 16) % 8)); break;
			case 1: p->b[at] = 0xff; break;
			default: p->n = at > 16 ? at : 16; p_end(p); break;	/* a consistent, shorter PDU */
			}
		}
		struct epmq_io io = s_io(&s);
		struct got g = {0};
		struct epmq_result r;
		enum epmq_status st = epmq_lookup_io(&io, 0, 0, got_cb, &g, &r);
		assert_true(st == EPMQ_OK || st == EPMQ_PROTOCOL || st == EPMQ_FAULT || st == EPMQ_TIMEOUT ||
			    st == EPMQ_NOT_REGISTERED);
		assert_true(g.n <= 3);
		assert_non_null(memchr(r.detail, 0, sizeof r.detail));
		if (st == EPMQ_OK)
			ok++;
		else
			bad++;
		s_free(&s);
	}
	assert_true(ok > 0 && bad > 0);	/* both outcomes were exercised */
}

/* the real transport: no address is an error before any packet */
static void test_no_target(void **state)
{
	(void)state;
	struct epmq_opts o;
	memset(&o, 0, sizeof o);
	struct epmq_result r;
	assert_int_equal(epmq_lookup(&o, NULL, NULL, &r), EPMQ_ERROR);
	assert_int_equal(r.status, EPMQ_ERROR);
	assert_string_equal(epmq_status_name(EPMQ_NOT_REGISTERED), "not-registered");
	assert_string_equal(epmq_status_name(EPMQ_PROTOCOL), "protocol-error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_bytes),
		cmocka_unit_test(test_lookup_stub),
		cmocka_unit_test(test_tower),
		cmocka_unit_test(test_map_stub),
		cmocka_unit_test(test_request_pdu),
		cmocka_unit_test(test_bind_answers),
		cmocka_unit_test(test_reasm_fragments),
		cmocka_unit_test(test_reasm_bound),
		cmocka_unit_test(test_lookup_paging),
		cmocka_unit_test(test_lookup_limit),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_lookup_mutations),
		cmocka_unit_test(test_no_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
