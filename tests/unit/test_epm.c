/* \summary: unit tests for the endpoint mapper stub decoders (src/epm.c, src/ndr.h) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "epm.h"

/* ---- helpers ------------------------------------------------------------ */

static void uuid_is(const struct rpc_uuid *u, const char *want)
{
	char s[UUID_STRLEN];
	uuid_str(u, s, sizeof s);
	assert_string_equal(s, want);
}

static void binding_is(const struct epm_tower *t, const char *want)
{
	char s[128];
	int n = epm_tower_string(t, s, sizeof s);
	assert_string_equal(s, want);
	assert_int_equal(n, (int)strlen(want));
}

/* An NDR stub builder: integers in the chosen byte order, NDR20 or NDR64
 * widths, pads filled with 0xa5 (the decoders must not care). */
struct bld {
	uint8_t b[8192];
	size_t n;
	int le, ndr64;
};

static void b_init(struct bld *b, int le, int ndr64)
{
	memset(b, 0, sizeof *b);
	b->le = le;
	b->ndr64 = ndr64;
}

static void b_align(struct bld *b, size_t k)
{
	while (b->n % k)
		b->b[b->n++] = 0xa5;
}

static void b_raw(struct bld *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof b->b);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void b_int(struct bld *b, uint64_t v, size_t w)
{
	b_align(b, w);
	for (size_t i = 0; i < w; i++)
		b->b[b->n + i] = (uint8_t)(v >> (8 * (b->le ? i : w - 1 - i)));
	b->n += w;
}

static void b_u16(struct bld *b, uint16_t v) { b_int(b, v, 2); }
static void b_u32(struct bld *b, uint32_t v) { b_int(b, v, 4); }
static void b_conf(struct bld *b, uint64_t v) { b_int(b, v, b->ndr64 ? 8 : 4); }

static void b_uuid(struct bld *b, const char *s)
{
	struct rpc_uuid u;
	assert_true(uuid_parse(&u, s));
	b_align(b, 4);
	b_int(b, (uint32_t)u.b[0] << 24 | (uint32_t)u.b[1] << 16 | (uint32_t)u.b[2] << 8 | u.b[3], 4);
	b_int(b, (uint16_t)(u.b[4] << 8 | u.b[5]), 2);
	b_int(b, (uint16_t)(u.b[6] << 8 | u.b[7]), 2);
	b_raw(b, u.b + 8, 8);
}

static void b_handle(struct bld *b)
{
	b_u32(b, 0);
	b_uuid(b, "11223344-5566-7788-99aa-bbccddeeff00");
}

static void b_twr(struct bld *b, const uint8_t *t, size_t n)
{
	b_conf(b, n);
	b_u32(b, (uint32_t)n);
	b_raw(b, t, n);
}

/* A tower builder (little-endian lengths, no alignment). */
struct twb {
	uint8_t b[512];
	size_t n;
};

static void tw_le16(struct twb *t, uint16_t v)
{
	t->b[t->n++] = (uint8_t)v;
	t->b[t->n++] = (uint8_t)(v >> 8);
}

static void tw_init(struct twb *t, uint16_t floors)
{
	memset(t, 0, sizeof *t);
	tw_le16(t, floors);
}

static void tw_floor(struct twb *t, const uint8_t *lhs, uint16_t ll, const uint8_t *rhs, uint16_t rl)
{
	tw_le16(t, ll);
	if (ll)
		memcpy(t->b + t->n, lhs, ll);
	t->n += ll;
	tw_le16(t, rl);
	if (rl)
		memcpy(t->b + t->n, rhs, rl);
	t->n += rl;
}

static void tw_uuid(struct twb *t, const char *s, uint16_t major, uint16_t minor)
{
	struct rpc_uuid u;
	uint8_t lhs[19], rhs[2] = {(uint8_t)minor, (uint8_t)(minor >> 8)};
	assert_true(uuid_parse(&u, s));
	lhs[0] = 0x0d;
	lhs[1] = u.b[3]; lhs[2] = u.b[2]; lhs[3] = u.b[1]; lhs[4] = u.b[0];
	lhs[5] = u.b[5]; lhs[6] = u.b[4]; lhs[7] = u.b[7]; lhs[8] = u.b[6];
	memcpy(lhs + 9, u.b + 8, 8);
	lhs[17] = (uint8_t)major;
	lhs[18] = (uint8_t)(major >> 8);
	tw_floor(t, lhs, 19, rhs, 2);
}

static void tw_simple(struct twb *t, uint8_t proto, const void *rhs, uint16_t rl)
{
	tw_floor(t, &proto, 1, rhs, rl);
}

static const char EMSMDB[] = "a4f1db00-ca47-1067-b31f-00dd010662da";
static const char NDR20[] = "8a885d04-1ceb-11c9-9fe8-08002b104860";
static const char NETLOGON[] = "12345678-1234-abcd-ef00-01234567cffb";

/* A standard ncacn_ip_tcp tower for iface:major.minor at ip[port]. */
static void tw_tcp(struct twb *t, const char *iface, uint16_t major, uint16_t minor,
		   uint16_t port, const uint8_t ip[4])
{
	static const uint8_t zero2[2];
	uint8_t p[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	tw_init(t, 5);
	tw_uuid(t, iface, major, minor);
	tw_uuid(t, NDR20, 2, 0);
	tw_simple(t, 0x0b, zero2, 2);
	tw_simple(t, 0x07, p, 2);
	tw_simple(t, 0x09, ip, 4);
}

/* ---- worked examples (rpc-facts 3.4) ------------------------------------ */

static const uint8_t TOWER_WORKED[75] = {
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d,
	0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
};

static void check_worked_tower(const struct epm_tower *t)
{
	assert_int_equal(t->malformed, 0);
	assert_int_equal(t->cut, 0);
	assert_int_equal(t->declared_len, 75);
	assert_int_equal(t->floor_count, 5);
	assert_int_equal(t->floors_decoded, 5);
	assert_true(t->has_iface);
	uuid_is(&t->iface, EMSMDB);
	assert_int_equal(t->ver_major, 0);
	assert_int_equal(t->ver_minor, 81);
	assert_true(t->has_xfer);
	uuid_is(&t->xfer, NDR20);
	assert_int_equal(t->xfer_major, 2);
	assert_int_equal(t->xfer_minor, 0);
	assert_int_equal(t->rpc_proto, EPM_PROTO_RPC_CO);
	assert_int_equal(t->protseq, EPM_NCACN_IP_TCP);
	assert_true(t->has_port);
	assert_int_equal(t->port_proto, EPM_PROTO_TCP);
	assert_int_equal(t->port, 1025);
	assert_true(t->has_ip);
	assert_memory_equal(t->ipv4, ((const uint8_t[]){192, 168, 1, 10}), 4);
	assert_false(t->has_pipe);
	assert_false(t->has_host);
	assert_false(t->has_unknown);
	assert_false(t->more_than_6_floors);
	binding_is(t, "ncacn_ip_tcp:192.168.1.10[1025]");
}

static void test_tower_worked(void **state)
{
	(void)state;
	struct epm_tower t;
	assert_int_equal(epm_tower_decode(TOWER_WORKED, sizeof TOWER_WORKED, &t), 0);
	check_worked_tower(&t);
	assert_int_equal(t.captured_len, 75);
}

/* The 128-byte ept_map response of rpc-facts 3.4, byte for byte. */
static const uint8_t MAP_RESP_WORKED_HEAD[48] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
};

static size_t map_resp_worked(uint8_t *out)
{
	memcpy(out, MAP_RESP_WORKED_HEAD, 48);
	memcpy(out + 48, TOWER_WORKED, 75);
	memset(out + 123, 0, 5);	/* pad at 0x7b, status at 0x7c */
	return 128;
}

static void test_map_resp_worked(void **state)
{
	(void)state;
	uint8_t s[128];
	static struct epm_map_resp r;
	size_t n = map_resp_worked(s);
	assert_int_equal(n, 128);
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_OK);
	assert_null(r.invalid);
	assert_int_equal(r.num_towers, 1);
	assert_int_equal(r.max_count, 4);
	assert_int_equal(r.offset, 0);
	assert_int_equal(r.actual_count, 1);
	assert_int_equal(r.n_towers, 1);
	assert_int_equal(r.n_null, 0);
	assert_int_equal(r.n_dropped, 0);
	check_worked_tower(&r.towers[0]);
	assert_true(r.has_status);
	assert_int_equal(r.status, 0);

	/* a non-zero status sits at 0x7c */
	s[0x7c] = 0xd6; s[0x7d] = 0xa0; s[0x7e] = 0xc9; s[0x7f] = 0x16;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.status, EPM_S_NOT_REGISTERED);
}

/* Request: [ptr obj][16][ref 2][4b][4b][75 tower][pad 1][handle 20][max_towers], 132 bytes. */
static size_t map_req_worked(uint8_t *s)
{
	static const uint8_t head[28] = {
		0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
		0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x02, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	};
	memcpy(s, head, 28);
	s[28] = 0x4b; s[29] = 0; s[30] = 0; s[31] = 0;
	memcpy(s + 32, TOWER_WORKED, 75);
	s[107] = 0x00;				/* pad */
	memset(s + 108, 0, 20);			/* entry_handle */
	s[128] = 4; s[129] = 0; s[130] = 0; s[131] = 0;	/* max_towers */
	return 132;
}

static void test_map_req_worked(void **state)
{
	(void)state;
	uint8_t s[132];
	static struct epm_map_req r;
	size_t n = map_req_worked(s);
	assert_int_equal(epm_map_req_decode(s, n, 1, 0, &r), STUB_OK);
	assert_true(r.has_object);
	uuid_is(&r.object, "04030201-0605-0807-090a-0b0c0d0e0f10");
	assert_true(r.has_tower);
	assert_int_equal(r.tower_max_count, 75);
	assert_int_equal(r.tower_length, 75);
	check_worked_tower(&r.tower);
	uint8_t zero[20] = {0};
	assert_memory_equal(r.entry_handle, zero, 20);
	assert_int_equal(r.max_towers, 4);

	/* NULL object pointer: 16 bytes shorter */
	uint8_t s2[116];
	memcpy(s2, "\0\0\0\0", 4);
	memcpy(s2 + 4, s + 20, 112);
	assert_int_equal(epm_map_req_decode(s2, sizeof s2, 1, 0, &r), STUB_OK);
	assert_false(r.has_object);
	assert_true(r.has_tower);
	check_worked_tower(&r.tower);
	assert_int_equal(r.max_towers, 4);

	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, s, len);
		assert_int_equal(epm_map_req_decode(p, len, 1, 0, &r), STUB_TRUNCATED);
		free(p);
	}
}
/* ---- real captures ------------------------------------------------------ */

/* OISF suricata-verify tests/bug-5162/input.pcap frame 7: ept_map response,
 * two NETLOGON towers (192.168.56.102, TCP 49674 and 49667). */
static const uint8_t MAP_RESP_NETLOGON[216] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00, 0x0d, 0x78, 0x56, 0x34,
	0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0xcf,
	0xfb, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d,
	0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
	0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00, 0xc2, 0x0a, 0x01, 0x00,
	0x09, 0x04, 0x00, 0xc0, 0xa8, 0x38, 0x66, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00, 0x0d, 0x78, 0x56, 0x34,
	0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0xcf,
	0xfb, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d,
	0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
	0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00, 0xc2, 0x03, 0x01, 0x00,
	0x09, 0x04, 0x00, 0xc0, 0xa8, 0x38, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ... frame 6: the ept_map request (object NULL UUID, tower for port 135). */
static const uint8_t MAP_REQ_NETLOGON[132] = {
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x4b, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00,
	0x0d, 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01,
	0x23, 0x45, 0x67, 0xcf, 0xfb, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13,
	0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
	0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x00, 0x87, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x38, 0x66, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
};

/* zeek testing/btest/Traces/dce-rpc/mapi.pcap frame 705: ept_map response for
 * EMSMDB 0.81 at 192.168.0.2, TCP 1032 (Exchange 2003). */
static const uint8_t MAP_RESP_EMSMDB[128] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67,
	0x10, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02,
	0x00, 0x51, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c,
	0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x07, 0x02, 0x00, 0x04, 0x08, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0,
	0xa8, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00,
};

/* ... frame 501: ept_lookup request for NSPI (f5cc5a18-...) v56, max_ents 1. */
static const uint8_t LOOKUP_REQ_NSPI[76] = {
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x34, 0x00, 0x39, 0x00,
	0x39, 0x00, 0x37, 0x00, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x18, 0x5a, 0xcc, 0xf5, 0x64, 0x42, 0x1a, 0x10,
	0x8c, 0x59, 0x08, 0x00, 0x2b, 0x2f, 0x84, 0x26, 0x38, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,
};

/* ... frame 505: its response: one entry annotated
 * "MS Exchange Directory NSP Interface", an ncacn_http tower (port 5000). */
static const uint8_t LOOKUP_RESP_NSPI[188] = {
	0x00, 0x00, 0x00, 0x00, 0x7c, 0xfc, 0x5f, 0x3b, 0x92, 0xb0, 0x75, 0x44,
	0xa3, 0xe3, 0xe4, 0xd5, 0x3d, 0xf4, 0x81, 0xdf, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x24, 0x00, 0x00, 0x00, 0x4d, 0x53, 0x20, 0x45, 0x78, 0x63, 0x68, 0x61,
	0x6e, 0x67, 0x65, 0x20, 0x44, 0x69, 0x72, 0x65, 0x63, 0x74, 0x6f, 0x72,
	0x79, 0x20, 0x4e, 0x53, 0x50, 0x20, 0x49, 0x6e, 0x74, 0x65, 0x72, 0x66,
	0x61, 0x63, 0x65, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x18, 0x5a, 0xcc, 0xf5, 0x64, 0x42, 0x1a,
	0x10, 0x8c, 0x59, 0x08, 0x00, 0x2b, 0x2f, 0x84, 0x26, 0x38, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c,
	0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x1f, 0x02, 0x00, 0x13, 0x88, 0x01, 0x00, 0x20, 0x04, 0x00, 0xc0,
	0xa8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* impacket ept_mapResponse(isNDR64=True) of the worked tower */
static const uint8_t MAP_RESP_NDR64[148] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x68, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00,
	0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13,
	0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
	0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x01, 0x0a, 0xbf,
	0x00, 0x00, 0x00, 0x00,
};

/* impacket ept_lookupResponse(isNDR64=True): entries "Exchange" and "ab", status 0x16c9a0d6 */
static const uint8_t LOOKUP_RESP_NDR64[332] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0xf4, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x41, 0xd5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x78, 0x63, 0x68, 0x61, 0x6e, 0x67, 0x65,
	0x00, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x6e, 0x97, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x61, 0x62, 0x00, 0xee, 0xee, 0xee, 0xee, 0xee, 0x4b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00,
	0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13,
	0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
	0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x01, 0x0a, 0xee,
	0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67,
	0x10, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02,
	0x00, 0x51, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c,
	0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x07, 0x02, 0x00, 0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0,
	0xa8, 0x01, 0x0a, 0xbf, 0xd6, 0xa0, 0xc9, 0x16,
};

/* impacket ept_lookup(isNDR64=True) */
static const uint8_t LOOKUP_REQ_NDR64[88] = {
	0x01, 0x00, 0x00, 0x00, 0xaa, 0xaa, 0xaa, 0xaa, 0xef, 0x62, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01, 0x06, 0x05, 0x08, 0x07,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x21, 0x99, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10,
	0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x51, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xf4, 0x01, 0x00, 0x00,
};

/* impacket ept_map(isNDR64=True) */
static const uint8_t MAP_REQ_NDR64[144] = {
	0x48, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
	0x06, 0x05, 0x08, 0x07, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x83, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00,
	0x0d, 0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00,
	0xdd, 0x01, 0x06, 0x62, 0xda, 0x00, 0x00, 0x02, 0x00, 0x51, 0x00, 0x13,
	0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
	0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00,
	0x04, 0x01, 0x01, 0x00, 0x09, 0x04, 0x00, 0xc0, 0xa8, 0x01, 0x0a, 0xab,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
};


static const uint8_t IP_56_102[4] = {192, 168, 56, 102};

static void check_netlogon_tower(const struct epm_tower *t, uint16_t port)
{
	assert_int_equal(t->malformed, 0);
	assert_int_equal(t->floor_count, 5);
	uuid_is(&t->iface, NETLOGON);
	assert_int_equal(t->ver_major, 1);
	assert_int_equal(t->ver_minor, 0);
	uuid_is(&t->xfer, NDR20);
	assert_int_equal(t->protseq, EPM_NCACN_IP_TCP);
	assert_int_equal(t->port, port);
	assert_memory_equal(t->ipv4, IP_56_102, 4);
}

static void test_real_map_resp_two_towers(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	assert_int_equal(epm_map_resp_decode(MAP_RESP_NETLOGON, sizeof MAP_RESP_NETLOGON, 1, 0, &r), STUB_OK);
	assert_null(r.invalid);
	assert_int_equal(r.num_towers, 2);
	assert_int_equal(r.max_count, 4);
	assert_int_equal(r.actual_count, 2);
	assert_int_equal(r.n_towers, 2);
	check_netlogon_tower(&r.towers[0], 49674);
	check_netlogon_tower(&r.towers[1], 49667);
	binding_is(&r.towers[0], "ncacn_ip_tcp:192.168.56.102[49674]");
	binding_is(&r.towers[1], "ncacn_ip_tcp:192.168.56.102[49667]");
	assert_true(r.has_status);
	assert_int_equal(r.status, 0);
}

static void test_real_map_req(void **state)
{
	(void)state;
	static struct epm_map_req r;
	assert_int_equal(epm_map_req_decode(MAP_REQ_NETLOGON, sizeof MAP_REQ_NETLOGON, 1, 0, &r), STUB_OK);
	assert_true(r.has_object);
	assert_true(uuid_is_nil(&r.object));
	assert_true(r.has_tower);
	check_netlogon_tower(&r.tower, 135);
	assert_int_equal(r.max_towers, 4);
}

static void test_real_map_resp_emsmdb(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	assert_int_equal(epm_map_resp_decode(MAP_RESP_EMSMDB, sizeof MAP_RESP_EMSMDB, 1, 0, &r), STUB_OK);
	assert_int_equal(r.n_towers, 1);
	const struct epm_tower *t = &r.towers[0];
	uuid_is(&t->iface, EMSMDB);
	assert_int_equal(t->ver_major, 0);
	assert_int_equal(t->ver_minor, 81);	/* LE "51 00" (wireshark 4.0 shows 20736) */
	binding_is(t, "ncacn_ip_tcp:192.168.0.2[1032]");
	assert_int_equal(r.status, 0);
}

static void test_real_lookup(void **state)
{
	(void)state;
	static struct epm_lookup_req q;
	assert_int_equal(epm_lookup_req_decode(LOOKUP_REQ_NSPI, sizeof LOOKUP_REQ_NSPI, 1, 0, &q), STUB_OK);
	assert_null(q.invalid);
	assert_int_equal(q.inquiry_type, 1);
	assert_true(q.has_object);
	uuid_is(&q.object, "00390034-0039-0037-5d00-000000000000");	/* client garbage: "4997]" in UTF-16 */
	assert_true(q.has_ifid);
	uuid_is(&q.if_uuid, "f5cc5a18-4264-101a-8c59-08002b2f8426");
	assert_int_equal(q.if_vers_major, 56);
	assert_int_equal(q.if_vers_minor, 0);
	assert_int_equal(q.vers_option, 1);
	assert_int_equal(q.max_ents, 1);

	static struct epm_lookup_resp r;
	assert_int_equal(epm_lookup_resp_decode(LOOKUP_RESP_NSPI, sizeof LOOKUP_RESP_NSPI, 1, 0, &r), STUB_OK);
	assert_null(r.invalid);
	static const uint8_t h[20] = {0x00, 0x00, 0x00, 0x00, 0x7c, 0xfc, 0x5f, 0x3b, 0x92, 0xb0,
				      0x75, 0x44, 0xa3, 0xe3, 0xe4, 0xd5, 0x3d, 0xf4, 0x81, 0xdf};
	assert_memory_equal(r.entry_handle, h, 20);
	assert_int_equal(r.num_ents, 1);
	assert_int_equal(r.n_entries, 1);
	const struct epm_entry *e = &r.entries[0];
	assert_true(uuid_is_nil(&e->object));
	assert_int_equal(e->annotation_len, 36);
	assert_string_equal(e->annotation, "MS Exchange Directory NSP Interface");
	assert_true(e->has_tower);
	assert_true(e->tower_decoded);
	const struct epm_tower *t = &e->tower;
	uuid_is(&t->iface, "f5cc5a18-4264-101a-8c59-08002b2f8426");
	assert_int_equal(t->ver_major, 56);
	/* floor 4 is HTTP port 5000; floor 5 is protocol 0x20 (4 bytes
	 * c0 a8 00 02), not the 0x09 IP floor: kept as an unknown id */
	assert_int_equal(t->protseq, EPM_NCACN_HTTP);
	assert_int_equal(t->port_proto, EPM_PROTO_HTTP);
	assert_int_equal(t->port, 5000);
	assert_false(t->has_ip);
	assert_true(t->has_unknown);
	assert_int_equal(t->unknown_proto, 0x20);
	assert_int_equal(t->malformed, 0);
	binding_is(t, "ncacn_http:[5000]");
	assert_true(r.has_status);
	assert_int_equal(r.status, 0);
}

/* ---- more towers -------------------------------------------------------- */

static void test_tower_np(void **state)
{
	(void)state;
	static const uint8_t zero2[2];
	struct twb tw;
	struct epm_tower t;
	tw_init(&tw, 5);
	tw_uuid(&tw, "12345778-1234-abcd-ef00-0123456789ab", 0, 0);	/* lsarpc */
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x0f, "\\pipe\\lsass", 12);
	tw_simple(&tw, 0x11, "HOST", 5);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.protseq, EPM_NCACN_NP);
	assert_true(t.has_pipe);
	assert_string_equal(t.pipe, "\\pipe\\lsass");
	assert_true(t.has_host);
	assert_string_equal(t.host, "HOST");
	assert_false(t.has_port);
	assert_false(t.str_clipped);
	binding_is(&t, "ncacn_np:HOST[\\pipe\\lsass]");
	assert_string_equal(epm_protseq_name(t.protseq), "ncacn_np");

	/* non-printables replaced, an over-long name clipped, no NUL flagged */
	char longname[200];
	memset(longname, 'A', sizeof longname);
	longname[1] = 0x07;
	tw_init(&tw, 5);
	tw_uuid(&tw, "12345778-1234-abcd-ef00-0123456789ab", 0, 0);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x0f, longname, sizeof longname);
	tw_simple(&tw, 0x11, "H\xffST", 5);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(strlen(t.pipe), EPM_STR_MAX - 1);
	assert_int_equal(t.pipe[0], 'A');
	assert_int_equal(t.pipe[1], '?');
	assert_string_equal(t.host, "H?ST");
	assert_true(t.str_clipped);
}

static void test_tower_http_udp_lrpc(void **state)
{
	(void)state;
	static const uint8_t zero2[2];
	static const uint8_t p593[2] = {0x02, 0x51}, p135[2] = {0x00, 0x87}, ip[4] = {1, 2, 3, 4};
	struct twb tw;
	struct epm_tower t;

	tw_init(&tw, 5);
	tw_uuid(&tw, "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x1f, p593, 2);
	tw_simple(&tw, 0x09, ip, 4);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.protseq, EPM_NCACN_HTTP);
	assert_int_equal(t.port, 593);
	binding_is(&t, "ncacn_http:1.2.3.4[593]");

	tw_init(&tw, 5);
	tw_uuid(&tw, "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0a, zero2, 2);
	tw_simple(&tw, 0x08, p135, 2);
	tw_simple(&tw, 0x09, ip, 4);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.rpc_proto, EPM_PROTO_RPC_CL);
	assert_int_equal(t.protseq, EPM_NCADG_IP_UDP);
	assert_int_equal(t.port_proto, EPM_PROTO_UDP);
	binding_is(&t, "ncadg_ip_udp:1.2.3.4[135]");

	tw_init(&tw, 4);
	tw_uuid(&tw, "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0c, zero2, 2);
	tw_simple(&tw, 0x10, "epmapper", 9);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.protseq, EPM_NCALRPC);
	binding_is(&t, "ncalrpc:[epmapper]");

	/* CO with both TCP and UDP floors: no protocol sequence matches */
	tw_init(&tw, 6);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x07, p135, 2);
	tw_simple(&tw, 0x08, p135, 2);
	tw_simple(&tw, 0x09, ip, 4);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.protseq, EPM_PROTSEQ_UNKNOWN);
	binding_is(&t, "unknown:1.2.3.4[135]");

	/* an unknown floor id is recorded, not fatal */
	tw_init(&tw, 6);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x07, p135, 2);
	tw_simple(&tw, 0x09, ip, 4);
	tw_simple(&tw, 0x42, ip, 3);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_int_equal(t.protseq, EPM_NCACN_IP_TCP);
	assert_true(t.has_unknown);
	assert_int_equal(t.unknown_proto, 0x42);
}

/* Floor with lhs_len 0: malformed, never reads lhs[0], the walk advances. */
static void test_tower_empty_lhs(void **state)
{
	(void)state;
	struct twb tw;
	struct epm_tower t;
	static const uint8_t zero2[2];

	/* as the last bytes of the buffer: reading lhs[0] would run off the end */
	tw_init(&tw, 4);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_floor(&tw, NULL, 0, NULL, 0);
	uint8_t *p = malloc(tw.n);
	memcpy(p, tw.b, tw.n);
	assert_int_equal(epm_tower_decode(p, tw.n, &t), -1);
	assert_true(t.malformed);
	assert_int_equal(t.why, EPM_TWR_EMPTY_LHS);
	assert_string_equal(epm_twr_err_name(t.why), "empty-lhs");
	assert_int_equal(t.floors_decoded, 4);
	assert_true(t.has_iface);
	free(p);

	/* in floor 1, with the rest still walked */
	tw_init(&tw, 3);
	tw_floor(&tw, NULL, 0, zero2, 2);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), -1);
	assert_int_equal(t.why, EPM_TWR_EMPTY_LHS);
	assert_false(t.has_iface);
	assert_true(t.has_xfer);
	assert_int_equal(t.rpc_proto, EPM_PROTO_RPC_CO);

	/* 65535 empty floors of 4 bytes each, as far as the bytes go */
	uint8_t many[2 + 4 * 100];
	memset(many, 0, sizeof many);
	many[0] = 0xff;
	many[1] = 0xff;
	assert_int_equal(epm_tower_decode(many, sizeof many, &t), -1);
	assert_int_equal(t.why, EPM_TWR_EMPTY_LHS);	/* first problem wins */
	assert_int_equal(t.floors_decoded, 100);
	assert_int_equal(t.floor_count, 0xffff);
	assert_true(t.more_than_6_floors);
}

static void test_tower_counts(void **state)
{
	(void)state;
	struct epm_tower t;
	static const uint8_t zero_floors[2] = {0, 0};
	assert_int_equal(epm_tower_decode(zero_floors, 2, &t), -1);
	assert_int_equal(t.why, EPM_TWR_NO_FLOORS);

	assert_int_equal(epm_tower_decode(zero_floors, 1, &t), -1);	/* not even the count */
	assert_int_equal(t.why, EPM_TWR_SHORT);
	assert_int_equal(epm_tower_decode(NULL, 0, &t), -1);
	assert_int_equal(t.why, EPM_TWR_SHORT);

	/* huge floor count over a 5-floor tower */
	uint8_t big[75];
	memcpy(big, TOWER_WORKED, 75);
	big[0] = 0xff;
	big[1] = 0xff;
	assert_int_equal(epm_tower_decode(big, 75, &t), -1);
	assert_int_equal(t.why, EPM_TWR_SHORT);
	assert_int_equal(t.floors_decoded, 5);
	assert_int_equal(t.port, 1025);	/* what was there is kept */
	assert_true(t.more_than_6_floors);

	/* fewer than 3 floors */
	struct twb tw;
	tw_init(&tw, 2);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), -1);
	assert_int_equal(t.why, EPM_TWR_FEW_FLOORS);

	/* 7 floors: well-formed but flagged (MS-RPCE: SHOULD reject > 6) */
	static const uint8_t ip[4] = {10, 0, 0, 1}, zero2[2], p[2] = {0x04, 0x01};
	tw_init(&tw, 7);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x07, p, 2);
	tw_simple(&tw, 0x09, ip, 4);
	tw_simple(&tw, 0x09, ip, 4);
	tw_simple(&tw, 0x09, ip, 4);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), 0);
	assert_true(t.more_than_6_floors);

	/* floor 1 not a UUID floor; a 3-byte port; a 2-byte IP */
	tw_init(&tw, 5);
	tw_simple(&tw, 0x07, p, 2);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x07, ip, 3);
	tw_simple(&tw, 0x09, ip, 2);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), -1);
	assert_int_equal(t.why, EPM_TWR_BAD_UUID_FLOOR);
	assert_false(t.has_iface);
	assert_true(t.has_port);
	assert_int_equal(t.port, 0x0a00);
	assert_false(t.has_ip);

	tw_init(&tw, 5);
	tw_uuid(&tw, EMSMDB, 0, 81);
	tw_uuid(&tw, NDR20, 2, 0);
	tw_simple(&tw, 0x0b, zero2, 2);
	tw_simple(&tw, 0x07, p, 1);
	tw_simple(&tw, 0x09, ip, 4);
	assert_int_equal(epm_tower_decode(tw.b, tw.n, &t), -1);
	assert_int_equal(t.why, EPM_TWR_BAD_ADDR);
	assert_false(t.has_port);
	assert_true(t.has_ip);

	/* every prefix of a tower: malformed (short), never an over-read */
	for (size_t len = 0; len < sizeof TOWER_WORKED; len++) {
		uint8_t *q = malloc(len ? len : 1);
		memcpy(q, TOWER_WORKED, len);
		assert_int_equal(epm_tower_decode(q, len, &t), -1);
		assert_int_equal(t.why, EPM_TWR_SHORT);
		free(q);
	}
}

static void test_tower_string_small_buffer(void **state)
{
	(void)state;
	struct epm_tower t;
	char s[8];
	epm_tower_decode(TOWER_WORKED, sizeof TOWER_WORKED, &t);
	assert_int_equal(epm_tower_string(&t, s, sizeof s), 31);
	assert_string_equal(s, "ncacn_i");
	assert_int_equal(epm_tower_string(&t, NULL, 0), 31);
}

/* ---- ept_map response variants ------------------------------------------ */

/* Build an ept_map response: n towers (NULL entries where tw[i] == NULL). */
static void build_map_resp(struct bld *b, const struct twb *const *tw, uint32_t n, uint32_t max,
			   uint32_t status)
{
	b_handle(b);
	b_u32(b, n);
	b_conf(b, max);
	b_conf(b, 0);
	b_conf(b, n);
	for (uint32_t i = 0; i < n; i++)
		b_conf(b, tw[i] ? 3 + i : 0);
	for (uint32_t i = 0; i < n; i++)
		if (tw[i])
			b_twr(b, tw[i]->b, tw[i]->n);
	b_u32(b, status);
}

static void test_map_resp_not_registered(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	static const uint8_t s[40] = {
		[20] = 0x00, [24] = 0x04, [32] = 0x00,	/* num_towers 0, max 4, offset 0, actual 0 */
		[36] = 0xd6, [37] = 0xa0, [38] = 0xc9, [39] = 0x16,
	};
	assert_int_equal(epm_map_resp_decode(s, sizeof s, 1, 0, &r), STUB_OK);
	assert_int_equal(r.num_towers, 0);
	assert_int_equal(r.max_count, 4);
	assert_int_equal(r.actual_count, 0);
	assert_int_equal(r.n_towers, 0);
	assert_true(r.has_status);
	assert_int_equal(r.status, EPM_S_NOT_REGISTERED);

	struct bld b;
	for (int ndr64 = 0; ndr64 <= 1; ndr64++)
		for (int le = 0; le <= 1; le++) {
			b_init(&b, le, ndr64);
			build_map_resp(&b, NULL, 0, 4, EPM_S_NOT_REGISTERED);
			assert_int_equal(b.n, ndr64 ? 52 : 40);
			assert_int_equal(epm_map_resp_decode(b.b, b.n, le, ndr64, &r), STUB_OK);
			assert_int_equal(r.status, EPM_S_NOT_REGISTERED);
		}
}

static void test_map_resp_ndr64(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	assert_int_equal(epm_map_resp_decode(MAP_RESP_NDR64, sizeof MAP_RESP_NDR64, 1, 1, &r), STUB_OK);
	assert_null(r.invalid);
	assert_int_equal(r.num_towers, 1);
	assert_int_equal(r.max_count, 4);
	assert_int_equal(r.actual_count, 1);
	assert_int_equal(r.n_towers, 1);
	check_worked_tower(&r.towers[0]);
	assert_true(r.has_status);
	assert_int_equal(r.status, 0);
	/* the same bytes read as NDR20 make no sense: never OK */
	assert_int_not_equal(epm_map_resp_decode(MAP_RESP_NDR64, sizeof MAP_RESP_NDR64, 1, 0, &r), STUB_OK);

	static struct epm_map_req q;
	assert_int_equal(epm_map_req_decode(MAP_REQ_NDR64, sizeof MAP_REQ_NDR64, 1, 1, &q), STUB_OK);
	assert_true(q.has_object);
	uuid_is(&q.object, "01020304-0506-0708-090a-0b0c0d0e0f10");
	assert_true(q.has_tower);
	assert_int_equal(q.tower_max_count, 75);
	check_worked_tower(&q.tower);
	assert_int_equal(q.max_towers, 4);

	for (size_t len = 0; len < sizeof MAP_RESP_NDR64; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, MAP_RESP_NDR64, len);
		assert_int_equal(epm_map_resp_decode(p, len, 1, 1, &r), STUB_TRUNCATED);
		free(p);
	}
}

/* NDR64: a tower ending 4 mod 8 leaves the status either right there
 * (aligned 4) or after a trailing gap to 8; both decode. */
static void test_map_resp_ndr64_status_gap(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	struct twb tw;
	static const uint8_t ip[4] = {10, 1, 2, 3};
	tw_tcp(&tw, EMSMDB, 0, 81, 6001, ip);
	assert_int_equal(tw.n, 75);
	/* 5 trailing bytes: an 80-byte tower from offset 68 ends at 148, 4 mod 8 */
	memset(tw.b + tw.n, 0, 5);
	tw.n += 5;
	const struct twb *one[1] = {&tw};
	struct bld b;
	b_init(&b, 1, 1);
	build_map_resp(&b, one, 1, 4, 0x11223344);
	assert_int_equal(b.n, 152);
	assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, 1, &r), STUB_OK);
	assert_int_equal(r.status, 0x11223344);
	binding_is(&r.towers[0], "ncacn_ip_tcp:10.1.2.3[6001]");

	/* same with 4 gap bytes before the status */
	b.n -= 4;
	b_raw(&b, "\xa5\xa5\xa5\xa5", 4);
	b_u32(&b, 0x11223344);
	assert_int_equal(b.n, 156);
	assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, 1, &r), STUB_OK);
	assert_int_equal(r.status, 0x11223344);
}

/* Big-endian drep: NDR integers and UUIDs BE, the tower still LE, ports BE. */
static void test_map_resp_big_endian(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	struct twb t0, t1;
	static const uint8_t ip[4] = {172, 16, 0, 9};
	tw_tcp(&t0, NETLOGON, 1, 0, 49674, ip);
	tw_tcp(&t1, NETLOGON, 1, 0, 49667, ip);
	const struct twb *two[2] = {&t0, &t1};
	struct bld b;
	for (int ndr64 = 0; ndr64 <= 1; ndr64++) {
		b_init(&b, 0, ndr64);
		build_map_resp(&b, two, 2, 4, 0x01020304);
		assert_int_equal(b.b[20], 0x00);	/* num_towers BE */
		assert_int_equal(b.b[23], 0x02);
		assert_int_equal(epm_map_resp_decode(b.b, b.n, 0, ndr64, &r), STUB_OK);
		assert_int_equal(r.num_towers, 2);
		assert_int_equal(r.n_towers, 2);
		uuid_is(&r.towers[0].iface, NETLOGON);
		assert_int_equal(r.towers[0].ver_major, 1);
		assert_int_equal(r.towers[0].port, 49674);
		assert_int_equal(r.towers[1].port, 49667);
		binding_is(&r.towers[1], "ncacn_ip_tcp:172.16.0.9[49667]");
		assert_int_equal(r.status, 0x01020304);
		/* the same bytes read as LE: garbage counts, never a crash or OK */
		assert_int_not_equal(epm_map_resp_decode(b.b, b.n, 1, ndr64, &r), STUB_OK);
	}
}

/* More towers than EPM_MAX_TOWERS: the rest are walked, the status still read. */
static void test_map_resp_cap(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	static struct twb tw[20];
	const struct twb *ptr[21];
	static const uint8_t ip[4] = {10, 0, 0, 1};
	for (int i = 0; i < 20; i++) {
		tw_tcp(&tw[i], EMSMDB, 0, 81, (uint16_t)(2000 + i), ip);
		ptr[i] = &tw[i];
	}
	struct bld b;
	for (int ndr64 = 0; ndr64 <= 1; ndr64++) {
		b_init(&b, 1, ndr64);
		build_map_resp(&b, ptr, 20, 20, 0xdeadbeef);
		assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, ndr64, &r), STUB_OK);
		assert_int_equal(r.num_towers, 20);
		assert_int_equal(r.n_towers, EPM_MAX_TOWERS);
		assert_int_equal(r.n_dropped, 4);
		assert_int_equal(r.towers[15].port, 2015);
		assert_int_equal(r.status, 0xdeadbeef);
	}

	/* NULL referents are counted and take no pointee */
	ptr[0] = NULL;
	ptr[2] = NULL;
	b_init(&b, 1, 0);
	build_map_resp(&b, ptr, 3, 4, 7);
	assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.n_null, 2);
	assert_int_equal(r.n_towers, 1);
	assert_int_equal(r.towers[0].port, 2001);
	assert_int_equal(r.status, 7);
}

static void test_map_resp_invalid(void **state)
{
	(void)state;
	static struct epm_map_resp r;
	uint8_t s[128];
	size_t n = map_resp_worked(s);

	/* tower_length (0x4b) > max_count (0x4a) */
	s[40] = 0x4a;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_INVALID);
	assert_string_equal(r.invalid, "tower_length > max_count");
	s[40] = 0x4b;

	/* tower_length < max_count is fine: max_count octets (here the tower
	 * and its pad byte) are skipped, tower_length of them decoded */
	s[40] = 0x4c;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_OK);
	check_worked_tower(&r.towers[0]);
	assert_int_equal(r.status, 0);
	s[40] = 0x4b;

	/* num_towers != actual_count: flagged, everything still decoded */
	s[20] = 2;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_INVALID);
	assert_string_equal(r.invalid, "towers[] actual_count != num_towers");
	assert_int_equal(r.n_towers, 1);
	assert_true(r.has_status);
	s[20] = 1;

	/* actual_count > max_count */
	s[24] = 0;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_INVALID);
	s[24] = 4;

	/* huge counts over a short stub end quickly */
	s[24] = 0xff; s[25] = 0xff; s[26] = 0xff; s[27] = 0x7f;
	s[32] = 0xff; s[33] = 0xff; s[34] = 0xff; s[35] = 0x7f;
	s[20] = 0xff; s[21] = 0xff; s[22] = 0xff; s[23] = 0x7f;
	assert_int_equal(epm_map_resp_decode(s, n, 1, 0, &r), STUB_TRUNCATED);

	/* 20 NULL referents are walked without pointees */
	struct bld b;
	const struct twb *nulls[20] = {NULL};
	b_init(&b, 1, 0);
	build_map_resp(&b, nulls, 20, 20, 9);
	assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.n_null, 20);
	assert_int_equal(r.status, 9);

	/* a malformed tower (lhs_len 0) is the tower's problem, not the stub's */
	struct twb tw;
	tw_init(&tw, 1);
	tw_floor(&tw, NULL, 0, NULL, 0);
	const struct twb *one[1] = {&tw};
	b_init(&b, 1, 0);
	build_map_resp(&b, one, 1, 4, 0);
	assert_int_equal(epm_map_resp_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_true(r.towers[0].malformed);
	assert_int_equal(r.towers[0].why, EPM_TWR_EMPTY_LHS);
}

/* Every prefix of a full response: TRUNCATED, partial towers kept, no over-read. */
static void truncation_sweep(const uint8_t *s, size_t n, int le, int ndr64, uint32_t towers)
{
	static struct epm_map_resp r;
	uint32_t prev = 0;
	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, s, len);
		assert_int_equal(epm_map_resp_decode(p, len, le, ndr64, &r), STUB_TRUNCATED);
		assert_false(r.has_status);
		assert_true(r.n_towers <= towers);
		assert_true(r.n_towers >= prev);	/* more bytes never mean fewer towers */
		prev = r.n_towers;
		for (uint32_t i = 0; i < r.n_towers; i++) {
			const struct epm_tower *t = &r.towers[i];
			assert_true(t->captured_len <= t->declared_len);
			if (t->cut)
				assert_true(t->captured_len < t->declared_len);
			if (!t->cut)
				assert_int_equal(t->malformed, 0);
		}
		free(p);
	}
	assert_int_equal(epm_map_resp_decode(s, n, le, ndr64, &r), STUB_OK);
	assert_int_equal(r.n_towers, towers);
}

static void test_map_resp_truncation(void **state)
{
	(void)state;
	uint8_t s[128];
	size_t n = map_resp_worked(s);
	truncation_sweep(s, n, 1, 0, 1);
	truncation_sweep(MAP_RESP_NETLOGON, sizeof MAP_RESP_NETLOGON, 1, 0, 2);
	truncation_sweep(MAP_RESP_EMSMDB, sizeof MAP_RESP_EMSMDB, 1, 0, 1);
	truncation_sweep(MAP_RESP_NDR64, sizeof MAP_RESP_NDR64, 1, 1, 1);

	/* cut inside the second tower of the real response: tower 1 whole,
	 * tower 2 cut with its first floors decoded */
	static struct epm_map_resp r;
	assert_int_equal(epm_map_resp_decode(MAP_RESP_NETLOGON, 180, 1, 0, &r), STUB_TRUNCATED);
	assert_int_equal(r.n_towers, 2);
	check_netlogon_tower(&r.towers[0], 49674);
	assert_true(r.towers[1].cut);
	assert_false(r.towers[1].malformed);
	assert_true(r.towers[1].has_iface);
	assert_false(r.towers[1].has_port);
	assert_int_equal(r.towers[1].declared_len, 75);
	assert_int_equal(r.towers[1].captured_len, 180 - 136);
}

/* ---- ept_lookup --------------------------------------------------------- */

static void build_lookup_resp(struct bld *b, const char *const *ann, const struct twb *const *tw,
			      uint32_t n, uint32_t status)
{
	b_handle(b);
	b_u32(b, n);
	b_conf(b, 500);
	b_conf(b, 0);
	b_conf(b, n);
	for (uint32_t i = 0; i < n; i++) {
		b_align(b, b->ndr64 ? 8 : 4);
		b_uuid(b, "00000000-0000-0000-0000-0000000000aa");
		b_conf(b, tw[i] ? 0x20000 + i : 0);
		size_t al = strlen(ann[i]) + 1;
		b_conf(b, 0);
		b_conf(b, al);
		b_raw(b, ann[i], al);
	}
	for (uint32_t i = 0; i < n; i++)
		if (tw[i])
			b_twr(b, tw[i]->b, tw[i]->n);
	b_u32(b, status);
}

static void test_lookup_synthetic(void **state)
{
	(void)state;
	static struct epm_lookup_resp r;
	static const uint8_t ip[4] = {10, 9, 8, 7};
	struct twb t0, t2;
	tw_tcp(&t0, EMSMDB, 0, 81, 1025, ip);
	tw_tcp(&t2, NETLOGON, 1, 0, 49667, ip);
	const char *ann[3] = {"Exchange Server STORE EMSMDB Interface", "", "Netlogon\x01"};
	const struct twb *tw[3] = {&t0, NULL, &t2};
	struct bld b;
	for (int ndr64 = 0; ndr64 <= 1; ndr64++)
		for (int le = 0; le <= 1; le++) {
			b_init(&b, le, ndr64);
			build_lookup_resp(&b, ann, tw, 3, 0);
			assert_int_equal(epm_lookup_resp_decode(b.b, b.n, le, ndr64, &r), STUB_OK);
			assert_null(r.invalid);
			assert_int_equal(r.num_ents, 3);
			assert_int_equal(r.max_count, 500);
			assert_int_equal(r.n_entries, 3);
			uuid_is(&r.entries[0].object, "00000000-0000-0000-0000-0000000000aa");
			assert_string_equal(r.entries[0].annotation, "Exchange Server STORE EMSMDB Interface");
			assert_int_equal(r.entries[0].annotation_len, 39);
			binding_is(&r.entries[0].tower, "ncacn_ip_tcp:10.9.8.7[1025]");
			assert_string_equal(r.entries[1].annotation, "");
			assert_false(r.entries[1].has_tower);
			assert_false(r.entries[1].tower_decoded);
			assert_string_equal(r.entries[2].annotation, "Netlogon?");
			assert_true(r.entries[2].tower_decoded);
			uuid_is(&r.entries[2].tower.iface, NETLOGON);
			assert_int_equal(r.entries[2].tower.port, 49667);
			assert_int_equal(r.status, 0);

			for (size_t len = 0; len < b.n; len++) {
				uint8_t *p = malloc(len ? len : 1);
				memcpy(p, b.b, len);
				assert_int_equal(epm_lookup_resp_decode(p, len, le, ndr64, &r), STUB_TRUNCATED);
				free(p);
			}
		}

	/* annotation longer than the [64] array: flagged, clipped, still walked */
	char big[100];
	memset(big, 'x', 99);
	big[99] = 0;
	const char *ann1[1] = {big};
	const struct twb *tw1[1] = {&t0};
	b_init(&b, 1, 0);
	build_lookup_resp(&b, ann1, tw1, 1, 5);
	assert_int_equal(epm_lookup_resp_decode(b.b, b.n, 1, 0, &r), STUB_INVALID);
	assert_string_equal(r.invalid, "annotation offset + actual_count > 64");
	assert_int_equal(strlen(r.entries[0].annotation), EPM_ANNOTATION_MAX);
	assert_int_equal(r.entries[0].annotation_len, 100);
	assert_int_equal(r.entries[0].tower.port, 1025);
	assert_int_equal(r.status, 5);
}

static void test_lookup_cap(void **state)
{
	(void)state;
	static struct epm_lookup_resp r;
	static struct twb tw[70];
	const struct twb *ptr[70];
	const char *ann[70];
	static const uint8_t ip[4] = {10, 0, 0, 2};
	for (int i = 0; i < 70; i++) {
		tw_tcp(&tw[i], EMSMDB, 0, 81, (uint16_t)(3000 + i), ip);
		ptr[i] = &tw[i];
		ann[i] = "a";
	}
	static struct bld b;
	b_init(&b, 1, 0);
	build_lookup_resp(&b, ann, ptr, 70, EPM_S_NOT_REGISTERED);
	assert_true(b.n < sizeof b.b);
	assert_int_equal(epm_lookup_resp_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.num_ents, 70);
	assert_int_equal(r.n_entries, EPM_MAX_ENTRIES);
	assert_int_equal(r.n_dropped, 6);
	assert_int_equal(r.entries[63].tower.port, 3063);
	assert_int_equal(r.status, EPM_S_NOT_REGISTERED);
}

static void test_lookup_ndr64(void **state)
{
	(void)state;
	static struct epm_lookup_resp r;
	assert_int_equal(epm_lookup_resp_decode(LOOKUP_RESP_NDR64, sizeof LOOKUP_RESP_NDR64, 1, 1, &r), STUB_OK);
	assert_null(r.invalid);
	assert_int_equal(r.num_ents, 2);
	assert_int_equal(r.max_count, 500);
	assert_int_equal(r.n_entries, 2);
	assert_true(uuid_is_nil(&r.entries[0].object));
	uuid_is(&r.entries[1].object, "00000000-0000-0000-0000-000000000001");
	assert_string_equal(r.entries[0].annotation, "Exchange");
	assert_int_equal(r.entries[0].annotation_len, 9);
	assert_string_equal(r.entries[1].annotation, "ab");
	check_worked_tower(&r.entries[0].tower);
	check_worked_tower(&r.entries[1].tower);
	assert_int_equal(r.status, EPM_S_NOT_REGISTERED);

	static struct epm_lookup_req q;
	assert_int_equal(epm_lookup_req_decode(LOOKUP_REQ_NDR64, sizeof LOOKUP_REQ_NDR64, 1, 1, &q), STUB_OK);
	assert_int_equal(q.inquiry_type, 1);
	uuid_is(&q.object, "01020304-0506-0708-090a-0b0c0d0e0f10");
	uuid_is(&q.if_uuid, EMSMDB);
	assert_int_equal(q.if_vers_major, 0);
	assert_int_equal(q.if_vers_minor, 81);
	assert_int_equal(q.vers_option, 1);
	assert_int_equal(q.max_ents, 500);

	for (size_t len = 0; len < sizeof LOOKUP_REQ_NDR64; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, LOOKUP_REQ_NDR64, len);
		assert_int_equal(epm_lookup_req_decode(p, len, 1, 1, &q), STUB_TRUNCATED);
		free(p);
	}
	for (size_t len = 0; len < sizeof LOOKUP_RESP_NDR64; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, LOOKUP_RESP_NDR64, len);
		assert_int_equal(epm_lookup_resp_decode(p, len, 1, 1, &r), STUB_TRUNCATED);
		free(p);
	}
}

static void test_lookup_req_variants(void **state)
{
	(void)state;
	static struct epm_lookup_req q;
	struct bld b;
	/* BE, NULL object, interface present */
	b_init(&b, 0, 0);
	b_u32(&b, 0);
	b_conf(&b, 0);
	b_conf(&b, 0x20000);
	b_uuid(&b, EMSMDB);
	b_u16(&b, 0);
	b_u16(&b, 81);
	b_u32(&b, 3);
	b_handle(&b);
	b_u32(&b, 1);
	assert_int_equal(epm_lookup_req_decode(b.b, b.n, 0, 0, &q), STUB_OK);
	assert_false(q.has_object);
	assert_true(q.has_ifid);
	uuid_is(&q.if_uuid, EMSMDB);
	assert_int_equal(q.if_vers_minor, 81);
	assert_int_equal(q.vers_option, 3);
	assert_int_equal(q.entry_handle[4], 0x11);
	assert_int_equal(q.max_ents, 1);

	for (size_t len = 0; len < sizeof LOOKUP_REQ_NSPI; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, LOOKUP_REQ_NSPI, len);
		assert_int_equal(epm_lookup_req_decode(p, len, 1, 0, &q), STUB_TRUNCATED);
		free(p);
	}
	static struct epm_lookup_resp r;
	for (size_t len = 0; len < sizeof LOOKUP_RESP_NSPI; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, LOOKUP_RESP_NSPI, len);
		assert_int_equal(epm_lookup_resp_decode(p, len, 1, 0, &r), STUB_TRUNCATED);
		free(p);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(epm_protseq_name(EPM_NCACN_IP_TCP), "ncacn_ip_tcp");
	assert_string_equal(epm_protseq_name(EPM_NCADG_IP_UDP), "ncadg_ip_udp");
	assert_string_equal(epm_protseq_name(EPM_NCACN_NP), "ncacn_np");
	assert_string_equal(epm_protseq_name(EPM_NCACN_HTTP), "ncacn_http");
	assert_string_equal(epm_protseq_name(EPM_NCALRPC), "ncalrpc");
	assert_string_equal(epm_protseq_name(EPM_PROTSEQ_UNKNOWN), "unknown");
	assert_string_equal(epm_twr_err_name(EPM_TWR_OK), "ok");
	assert_string_equal(stub_status_name(STUB_TRUNCATED), "truncated");
}

/* ndr.h primitives: alignment from the stub start, widths, byte orders. */
static void test_ndr_reader(void **state)
{
	(void)state;
	static const uint8_t s[] = {
		0x01,			/* u8 */
		0xa5,			/* pad */
		0x02, 0x01,		/* u16 */
		0x04, 0x03, 0x02, 0x01,	/* u32 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* u64 at 8 */
		0xaa,
	};
	struct ndr n;
	ndr_init(&n, s, sizeof s, 1, 0);
	assert_int_equal(ndr_u8(&n), 1);
	assert_int_equal(ndr_u16(&n), 0x0102);
	assert_int_equal(ndr_u32(&n), 0x01020304);
	assert_true(ndr_u64(&n) == 0x0102030405060708ull);
	assert_true(ndr_ok(&n));
	assert_int_equal(ndr_u32(&n), 0);	/* pad 3 missing */
	assert_false(ndr_ok(&n));
	assert_int_equal(ndr_off(&n), 16);

	ndr_init(&n, s, sizeof s, 0, 1);
	ndr_u8(&n);
	assert_int_equal(ndr_u16(&n), 0x0201);
	assert_int_equal(ndr_conf(&n), 0x0807060504030201ull);	/* u32 skipped by align 8 */
	assert_true(ndr_ok(&n));
	assert_int_equal(ndr_conf_size(&n), 8);
	assert_null(ndr_bytes(&n, 2));
	assert_false(ndr_ok(&n));

	ndr_init(&n, s, sizeof s, 1, 0);
	assert_null(ndr_bytes(&n, UINT64_MAX));
	assert_int_equal(ndr_off(&n), 0);
	ndr_init(&n, NULL, 5, 1, 0);
	assert_int_equal(ndr_ptr(&n), 0);
	assert_false(ndr_ok(&n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndr_reader),
		cmocka_unit_test(test_tower_worked),
		cmocka_unit_test(test_map_resp_worked),
		cmocka_unit_test(test_map_req_worked),
		cmocka_unit_test(test_real_map_resp_two_towers),
		cmocka_unit_test(test_real_map_req),
		cmocka_unit_test(test_real_map_resp_emsmdb),
		cmocka_unit_test(test_real_lookup),
		cmocka_unit_test(test_tower_np),
		cmocka_unit_test(test_tower_http_udp_lrpc),
		cmocka_unit_test(test_tower_empty_lhs),
		cmocka_unit_test(test_tower_counts),
		cmocka_unit_test(test_tower_string_small_buffer),
		cmocka_unit_test(test_map_resp_not_registered),
		cmocka_unit_test(test_map_resp_ndr64),
		cmocka_unit_test(test_map_resp_ndr64_status_gap),
		cmocka_unit_test(test_map_resp_big_endian),
		cmocka_unit_test(test_map_resp_cap),
		cmocka_unit_test(test_map_resp_invalid),
		cmocka_unit_test(test_map_resp_truncation),
		cmocka_unit_test(test_lookup_synthetic),
		cmocka_unit_test(test_lookup_cap),
		cmocka_unit_test(test_lookup_ndr64),
		cmocka_unit_test(test_lookup_req_variants),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
