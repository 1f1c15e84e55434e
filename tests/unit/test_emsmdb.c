/* \summary: unit tests for the EMSMDB / AsyncEMSMDB stub decoders (src/emsmdb.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "emsmdb.h"

/* NDR stub builder: integers in the chosen byte order, NDR20/NDR64 widths,
 * pads filled with 0xa5 (Windows leaves such garbage; decoders ignore it). */
struct bld {
	uint8_t b[512];
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
	if (n)
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

static const uint8_t CXH[20] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

/* EcRRegisterPushNotification request with independent counts. */
static void build_rpn(struct bld *b, const void *ctx, uint32_t ctx_max, uint16_t cb_ctx,
		      const void *addr, uint32_t addr_max, uint16_t cb_addr)
{
	b_raw(b, CXH, 20);
	b_u32(b, 0);
	b_conf(b, ctx_max);
	b_raw(b, ctx, ctx_max);
	b_u16(b, cb_ctx);
	b_u32(b, 0xffffffff);
	b_conf(b, addr_max);
	b_raw(b, addr, addr_max);
	b_u16(b, cb_addr);
}

static const uint8_t SIN_WORKED[16] = {0x02, 0x00, 0xc3, 0x50, 0xc0, 0xa8, 0x01, 0x14};

/* rpc-facts 4.3 worked PDU: the 66 stub bytes from offset 0x18. */
static const uint8_t RPN_WORKED[66] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0xcc, 0xdd, 0xee, 0xff, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x6c, 0x69, 0x62, 0x6d,
	0x61, 0x70, 0x69, 0x07, 0x08, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x10, 0x00, 0x00, 0x00,
	0x02, 0x00, 0xc3, 0x50, 0xc0, 0xa8, 0x01, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x00,
};

/* zeek testing/btest/Traces/dce-rpc/mapi.pcap frame 797: a real
 * EcRRegisterPushNotification request (NTLMSSP, auth level connect, so the
 * stub is clear text; 14 auth pad bytes stripped).  Note the a5 a5 pad
 * after cbContext.  tshark 4.0 mis-decodes this; by MS-OXCRPC it is
 * rgbContext d0273b0200e0fd7f, callback 192.168.0.173 UDP 1071. */
static const uint8_t MAPI_RPN_REQ[66] = {
	0x00, 0x00, 0x00, 0x00, 0x96, 0x57, 0x70, 0x3b, 0x05, 0x09, 0x2b, 0x45,
	0x8e, 0xb2, 0x2f, 0x53, 0x83, 0x13, 0x30, 0x45, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00, 0xd0, 0x27, 0x3b, 0x02, 0x00, 0xe0, 0xfd, 0x7f,
	0x08, 0x00, 0xa5, 0xa5, 0xff, 0xff, 0xff, 0xff, 0x10, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x04, 0x2f, 0xc0, 0xa8, 0x00, 0xad, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
};

/* ... frame 798: its response (4 auth pad bytes stripped). */
static const uint8_t MAPI_RPN_RESP[28] = {
	0x00, 0x00, 0x00, 0x00, 0x96, 0x57, 0x70, 0x3b, 0x05, 0x09, 0x2b, 0x45,
	0x8e, 0xb2, 0x2f, 0x53, 0x83, 0x13, 0x30, 0x45, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* ... frame 6: a legacy EcDoRpc (opnum 2) response; its return value is last. */
static const uint8_t MAPI_ECDORPC_RESP[56] = {
	0x00, 0x00, 0x00, 0x00, 0x78, 0xb0, 0xca, 0x23, 0x02, 0xbe, 0x48, 0x4d,
	0xaa, 0xea, 0x90, 0x7a, 0x16, 0x16, 0xb1, 0x95, 0xcc, 0x0b, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0xaf, 0xa5, 0xa7, 0xa4,
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xcd, 0xb6, 0xa5, 0xa5, 0x72, 0xb0,
	0xa5, 0xa5, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void check_worked(const struct emsmdb_rpn_req *r)
{
	assert_true(r->has_cxh);
	assert_memory_equal(r->cxh, CXH, 20);
	assert_int_equal(r->irpc, 0);
	assert_true(r->has_context);
	assert_int_equal(r->context_max_count, 8);
	assert_int_equal(r->cb_context, 8);
	assert_int_equal(r->context_len, 8);
	assert_memory_equal(r->context, "libmapi\x07", 8);
	assert_false(r->too_big);
	assert_false(r->context_clipped);
	assert_int_equal(r->advise_bits, 0xffffffff);
	assert_true(r->has_callback);
	assert_int_equal(r->callback_max_count, 16);
	assert_int_equal(r->cb_callback, 16);
	assert_true(r->has_family);
	assert_int_equal(r->family, 2);
	assert_int_equal(r->af, 4);
	assert_true(r->has_addr);
	assert_int_equal(r->port, 50000);
	assert_memory_equal(r->ip, ((const uint8_t[]){192, 168, 1, 20}), 4);
	assert_false(r->context_count_mismatch);
	assert_false(r->callback_count_mismatch);
	assert_false(r->callback_size_mismatch);
	assert_null(r->invalid);
}

static void test_rpn_worked(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	assert_int_equal(emsmdb_rpn_req_decode(RPN_WORKED, sizeof RPN_WORKED, 1, 0, &r), STUB_OK);
	check_worked(&r);

	/* the builder reproduces it byte for byte (except the pad filler) */
	struct bld b;
	b_init(&b, 1, 0);
	build_rpn(&b, "libmapi\x07", 8, 8, SIN_WORKED, 16, 16);
	assert_int_equal(b.n, sizeof RPN_WORKED);
	b.b[38] = b.b[39] = 0;
	assert_memory_equal(b.b, RPN_WORKED, sizeof RPN_WORKED);
}

static void test_rpn_real_capture(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	static const uint8_t cxh[20] = {0x00, 0x00, 0x00, 0x00, 0x96, 0x57, 0x70, 0x3b, 0x05, 0x09,
					0x2b, 0x45, 0x8e, 0xb2, 0x2f, 0x53, 0x83, 0x13, 0x30, 0x45};
	static const uint8_t ctx[8] = {0xd0, 0x27, 0x3b, 0x02, 0x00, 0xe0, 0xfd, 0x7f};
	assert_int_equal(emsmdb_rpn_req_decode(MAPI_RPN_REQ, sizeof MAPI_RPN_REQ, 1, 0, &r), STUB_OK);
	assert_null(r.invalid);
	assert_memory_equal(r.cxh, cxh, 20);
	assert_int_equal(r.irpc, 0);
	assert_int_equal(r.cb_context, 8);
	assert_int_equal(r.context_len, 8);
	assert_memory_equal(r.context, ctx, 8);
	assert_int_equal(r.advise_bits, 0xffffffff);
	assert_int_equal(r.cb_callback, 16);
	assert_int_equal(r.family, 2);
	assert_int_equal(r.af, 4);
	assert_true(r.has_addr);
	assert_int_equal(r.port, 1071);
	assert_memory_equal(r.ip, ((const uint8_t[]){192, 168, 0, 173}), 4);
	assert_false(r.too_big);
	assert_false(r.context_count_mismatch);
	assert_false(r.callback_count_mismatch);
	assert_false(r.callback_size_mismatch);

	struct emsmdb_rpn_resp s;
	assert_int_equal(emsmdb_rpn_resp_decode(MAPI_RPN_RESP, sizeof MAPI_RPN_RESP, 1, 0, &s), STUB_OK);
	assert_memory_equal(s.cxh, cxh, 20);
	assert_int_equal(s.hnotification, 0);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.trailing, 0);

	uint32_t rc = 0xffffffff;
	assert_int_equal(rpc_stub_return_code(MAPI_RPN_RESP, sizeof MAPI_RPN_RESP, 1, &rc), 1);
	assert_int_equal(rc, 0);
	rc = 0xffffffff;
	assert_int_equal(rpc_stub_return_code(MAPI_ECDORPC_RESP, sizeof MAPI_ECDORPC_RESP, 1, &rc), 1);
	assert_int_equal(rc, 0);
}

static void test_rpn_inet6(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;
	uint8_t sin6[28] = {0x17, 0x00, 0xc3, 0x51, 0x01, 0x00, 0x00, 0x00,	/* family 23, port 50001, flowinfo 1 */
			    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05,
			    0x0b, 0x00, 0x00, 0x00};	/* scope_id 11 */
	static const uint8_t addr6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05};

	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sin6, 28, 28);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.family, 23);
	assert_int_equal(r.af, 6);
	assert_true(r.has_addr);
	assert_int_equal(r.port, 50001);
	assert_memory_equal(r.ip, addr6, 16);
	assert_int_equal(r.flowinfo, 1);
	assert_int_equal(r.scope_id, 11);
	assert_false(r.callback_size_mismatch);

	/* Linux AF_INET6 = 10 */
	sin6[0] = 10;
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sin6, 28, 28);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.family, 10);
	assert_int_equal(r.af, 6);
	assert_true(r.has_addr);
	assert_memory_equal(r.ip, addr6, 16);

	/* AF_INET6 in 16 bytes: no address, size mismatch */
	sin6[0] = 23;
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sin6, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.af, 6);
	assert_false(r.has_addr);
	assert_int_equal(r.port, 0);
	assert_true(r.callback_size_mismatch);

	/* AF_INET in 28 bytes: address read, size mismatch (server: ecInvalidParam) */
	uint8_t sin[28] = {0x02, 0x00, 0x04, 0x2f, 10, 0, 0, 1};
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sin, 28, 28);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.af, 4);
	assert_true(r.has_addr);
	assert_int_equal(r.port, 1071);
	assert_true(r.callback_size_mismatch);
}

static void test_rpn_unknown_family(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;
	static const uint8_t sa[16] = {0x34, 0x12, 0x00, 0x87, 1, 2, 3, 4};
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sa, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_true(r.has_family);
	assert_int_equal(r.family, 0x1234);
	assert_int_equal(r.af, 0);
	assert_false(r.has_addr);
	assert_false(r.callback_size_mismatch);

	/* family byte-swapped (a BE writer): also unknown */
	static const uint8_t sa_be[16] = {0x00, 0x02, 0x00, 0x87, 1, 2, 3, 4};
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sa_be, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.family, 0x0200);
	assert_int_equal(r.af, 0);

	/* empty and one-byte callback addresses */
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sa, 0, 0);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_true(r.has_callback);
	assert_false(r.has_family);
	b_init(&b, 1, 0);
	build_rpn(&b, "12345678", 8, 8, sa, 1, 1);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_false(r.has_family);
}

static void test_rpn_context_sizes(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;
	uint8_t ctx[100];
	for (int i = 0; i < 100; i++)
		ctx[i] = (uint8_t)i;

	b_init(&b, 1, 0);
	build_rpn(&b, ctx, 17, 17, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_true(r.too_big);
	assert_int_equal(r.cb_context, 17);
	assert_int_equal(r.context_len, 17);
	assert_memory_equal(r.context, ctx, 17);
	assert_int_equal(r.port, 50000);	/* alignment after 17 bytes still right */

	b_init(&b, 1, 0);
	build_rpn(&b, ctx, 16, 16, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_false(r.too_big);

	/* more than we keep */
	b_init(&b, 1, 0);
	build_rpn(&b, ctx, 100, 100, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_true(r.too_big);
	assert_true(r.context_clipped);
	assert_int_equal(r.context_len, EMSMDB_CONTEXT_KEEP);
	assert_memory_equal(r.context, ctx, EMSMDB_CONTEXT_KEEP);
	assert_int_equal(r.port, 50000);

	/* empty context */
	b_init(&b, 1, 0);
	build_rpn(&b, ctx, 0, 0, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_equal(r.context_len, 0);
	assert_int_equal(r.port, 50000);
}

static void test_rpn_count_mismatch(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;

	/* max_count 8 but cbContext 5: the 8 marshalled bytes frame the stub */
	b_init(&b, 1, 0);
	build_rpn(&b, "libmapi\x07", 8, 5, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_INVALID);
	assert_string_equal(r.invalid, "rgbContext max_count != cbContext");
	assert_true(r.context_count_mismatch);
	assert_int_equal(r.cb_context, 5);
	assert_int_equal(r.context_len, 8);
	assert_true(r.has_addr);
	assert_int_equal(r.port, 50000);

	b_init(&b, 1, 0);
	build_rpn(&b, "libmapi\x07", 8, 8, SIN_WORKED, 16, 28);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_INVALID);
	assert_string_equal(r.invalid, "rgbCallbackAddress max_count != cbCallbackAddress");
	assert_true(r.callback_count_mismatch);
	assert_true(r.callback_size_mismatch);	/* cbCallbackAddress 28 for AF_INET */
	assert_true(r.has_addr);

	/* absurd max_count */
	b_init(&b, 1, 0);
	b_raw(&b, CXH, 20);
	b_u32(&b, 0);
	b_u32(&b, 0x80000000u);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_INVALID);
	b.b[27] = 0x7f;
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_TRUNCATED);
}

static void sweep(const uint8_t *s, size_t n, int le, int ndr64)
{
	struct emsmdb_rpn_req r, full;
	assert_int_equal(emsmdb_rpn_req_decode(s, n, le, ndr64, &full), STUB_OK);
	for (size_t len = 0; len < n; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, s, len);
		assert_int_equal(emsmdb_rpn_req_decode(p, len, le, ndr64, &r), STUB_TRUNCATED);
		assert_false(r.has_callback);
		assert_int_equal(r.has_cxh, len >= 20);
		if (r.has_cxh)
			assert_memory_equal(r.cxh, full.cxh, 20);
		if (r.has_context) {
			assert_int_equal(r.cb_context, full.cb_context);
			assert_memory_equal(r.context, full.context, full.context_len);
		}
		/* the context bytes captured so far are kept even when cut */
		assert_true(r.context_len <= full.context_len);
		assert_memory_equal(r.context, full.context, r.context_len);
		if (r.has_addr) {	/* only cbCallbackAddress missing */
			assert_int_equal(r.port, full.port);
			assert_memory_equal(r.ip, full.ip, 16);
		}
		free(p);
	}
}

static void test_rpn_truncation(void **state)
{
	(void)state;
	sweep(RPN_WORKED, sizeof RPN_WORKED, 1, 0);
	sweep(MAPI_RPN_REQ, sizeof MAPI_RPN_REQ, 1, 0);

	struct emsmdb_rpn_req r;
	assert_int_equal(emsmdb_rpn_req_decode(MAPI_RPN_REQ, 64, 1, 0, &r), STUB_TRUNCATED);
	assert_true(r.has_addr);	/* the SOCKADDR is all there, cbCallbackAddress is not */
	assert_int_equal(r.port, 1071);
	assert_int_equal(emsmdb_rpn_req_decode(MAPI_RPN_REQ, 32, 1, 0, &r), STUB_TRUNCATED);
	assert_false(r.has_context);
	assert_int_equal(r.context_len, 4);
	assert_memory_equal(r.context, "\xd0\x27\x3b\x02", 4);

	struct bld b;
	uint8_t sin6[28] = {0x17, 0x00, 0xc3, 0x51};
	for (int ndr64 = 0; ndr64 <= 1; ndr64++)
		for (int le = 0; le <= 1; le++) {
			b_init(&b, le, ndr64);
			build_rpn(&b, "abcdefghijklmnopq", 17, 17, sin6, 28, 28);
			sweep(b.b, b.n, le, ndr64);
		}
}

static void test_rpn_big_endian(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;
	b_init(&b, 0, 0);
	build_rpn(&b, "libmapi\x07", 8, 8, SIN_WORKED, 16, 16);
	assert_int_equal(b.n, 66);
	assert_int_equal(b.b[27], 0x08);	/* max_count BE */
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 0, 0, &r), STUB_OK);
	check_worked(&r);	/* the SOCKADDR does not follow the drep */

	/* read with the wrong byte order: counts are nonsense, never a crash */
	assert_int_not_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
}

static void test_rpn_ndr64(void **state)
{
	(void)state;
	struct emsmdb_rpn_req r;
	struct bld b;
	b_init(&b, 1, 1);
	build_rpn(&b, "libmapi\x07", 8, 8, SIN_WORKED, 16, 16);
	/* CXH 20, iRpc 4, max_count u64 at 24, bytes at 32, cbContext at 40,
	 * grbit at 44, max_count u64 at 48, SOCKADDR at 56, cb at 72 */
	assert_int_equal(b.n, 74);
	assert_int_equal(b.b[24], 8);
	assert_int_equal(b.b[48], 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 1, &r), STUB_OK);
	check_worked(&r);

	/* NDR64 bytes read as NDR20 and vice versa: not a valid request */
	assert_int_not_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 0, &r), STUB_OK);
	assert_int_not_equal(emsmdb_rpn_req_decode(RPN_WORKED, sizeof RPN_WORKED, 1, 1, &r), STUB_OK);

	/* the context length shifts the later alignment */
	b_init(&b, 1, 1);
	build_rpn(&b, "abc", 3, 3, SIN_WORKED, 16, 16);
	assert_int_equal(emsmdb_rpn_req_decode(b.b, b.n, 1, 1, &r), STUB_OK);
	assert_int_equal(r.cb_context, 3);
	assert_int_equal(r.port, 50000);
}

static void test_responses(void **state)
{
	(void)state;
	struct bld b;
	struct emsmdb_rpn_resp s;
	for (int le = 0; le <= 1; le++)
		for (int ndr64 = 0; ndr64 <= 1; ndr64++) {
			b_init(&b, le, ndr64);
			b_raw(&b, CXH, 20);
			b_u32(&b, 244);
			b_u32(&b, 0x80040102);
			assert_int_equal(b.n, 28);
			assert_int_equal(emsmdb_rpn_resp_decode(b.b, b.n, le, ndr64, &s), STUB_OK);
			assert_memory_equal(s.cxh, CXH, 20);
			assert_int_equal(s.hnotification, 244);
			assert_int_equal(s.rc, 0x80040102);
			uint32_t rc = 0;
			assert_int_equal(rpc_stub_return_code(b.b, b.n, le, &rc), 1);
			assert_int_equal(rc, 0x80040102);
			for (size_t len = 0; len < b.n; len++)
				assert_int_equal(emsmdb_rpn_resp_decode(b.b, len, le, ndr64, &s), STUB_TRUNCATED);
		}
	b_raw(&b, "\0\0\0\0", 4);
	assert_int_equal(emsmdb_rpn_resp_decode(b.b, b.n, 1, 1, &s), STUB_OK);
	assert_int_equal(s.trailing, 4);

	struct emsmdb_async_wait_resp w;
	static const uint8_t wait_le[8] = {0x01, 0, 0, 0, 0xee, 0x07, 0, 0};
	assert_int_equal(emsmdb_async_wait_resp_decode(wait_le, 8, 1, 0, &w), STUB_OK);
	assert_int_equal(w.flags_out, 1);
	assert_int_equal(w.rc, 0x7ee);
	static const uint8_t wait_be[8] = {0, 0, 0, 0x01, 0, 0, 0x03, 0xed};
	assert_int_equal(emsmdb_async_wait_resp_decode(wait_be, 8, 0, 1, &w), STUB_OK);
	assert_int_equal(w.flags_out, 1);
	assert_int_equal(w.rc, 0x3ed);
	assert_int_equal(emsmdb_async_wait_resp_decode(wait_le, 7, 1, 0, &w), STUB_TRUNCATED);
	assert_int_equal(emsmdb_async_wait_resp_decode(NULL, 0, 1, 0, &w), STUB_TRUNCATED);

	struct emsmdb_async_connect_resp c;
	uint8_t ac[24];
	memcpy(ac, CXH, 20);
	ac[20] = 0xee; ac[21] = 0x07; ac[22] = 0; ac[23] = 0;
	assert_int_equal(emsmdb_async_connect_resp_decode(ac, 24, 1, 0, &c), STUB_OK);
	assert_memory_equal(c.acxh, CXH, 20);
	assert_int_equal(c.rc, 0x7ee);
	assert_int_equal(emsmdb_async_connect_resp_decode(ac, 23, 1, 0, &c), STUB_TRUNCATED);
}

static void test_return_code(void **state)
{
	(void)state;
	uint32_t rc = 0x5a5a5a5a;
	static const uint8_t s[12] = {1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x04, 0x01, 0x11};
	assert_int_equal(rpc_stub_return_code(s, 12, 0, &rc), 1);
	assert_int_equal(rc, 0x80040111);
	assert_int_equal(rpc_stub_return_code(s, 12, 1, &rc), 1);
	assert_int_equal(rc, 0x11010480);
	assert_int_equal(rpc_stub_return_code(s, 4, 1, &rc), 1);	/* EcDummyRpc: just the result */
	assert_int_equal(rc, 0x04030201);
	rc = 0x5a5a5a5a;
	assert_int_equal(rpc_stub_return_code(s, 11, 1, &rc), 0);	/* not a multiple of 4 */
	assert_int_equal(rpc_stub_return_code(s, 3, 1, &rc), 0);
	assert_int_equal(rpc_stub_return_code(s, 0, 1, &rc), 0);
	assert_int_equal(rpc_stub_return_code(NULL, 0, 1, &rc), 0);
	assert_int_equal(rc, 0x5a5a5a5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpn_worked),
		cmocka_unit_test(test_rpn_real_capture),
		cmocka_unit_test(test_rpn_inet6),
		cmocka_unit_test(test_rpn_unknown_family),
		cmocka_unit_test(test_rpn_context_sizes),
		cmocka_unit_test(test_rpn_count_mismatch),
		cmocka_unit_test(test_rpn_truncation),
		cmocka_unit_test(test_rpn_big_endian),
		cmocka_unit_test(test_rpn_ndr64),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_return_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
