/* \summary: EMSMDB / AsyncEMSMDB stubs: EcRRegisterPushNotification, async responses, return codes
 * specification: MS-OXCRPC 3.1.4.5 (EcRRegisterPushNotification), 3.1.4.4
 *                (EcDoAsyncConnectEx), 3.3.4.1 (EcDoAsyncWaitEx); C706 chapter 14
 *                and MS-RPCE 2.2.5 (NDR20 / NDR64)
 *
 * EcRRegisterPushNotification request (offsets for NDR20 with cbContext = N,
 * cbCallbackAddress = M):
 *
 *   0        CXH: u32 attributes + UUID (20)     [in, out, ref]: no referent id
 *   20       iRpc u32
 *   24       rgbContext max_count (conf)          size_is(cbContext)
 *   28       rgbContext N bytes
 *   a        cbContext u16             a = align2(28 + N)
 *   b        grbitAdviseBits u32       b = align4(a + 2)
 *   b+4      rgbCallbackAddress max_count (conf)
 *   b+8      rgbCallbackAddress M bytes: a Windows SOCKADDR, copied raw
 *   c        cbCallbackAddress u16     c = align2(b + 8 + M)
 *
 *   NDR64: the two max_counts are u64 aligned 8; everything else is the same.
 *
 *   SOCKADDR (not NDR; the same whatever the drep):
 *     AF_INET  (2):      | family u16 LE | port u16 BE | IPv4 (4) | zero (8) |      16 bytes
 *     AF_INET6 (23/10):  | family u16 LE | port u16 BE | flowinfo u32 | addr (16) | scope_id u32 |  28
 *
 * Responses (no pointers or conformance: NDR20 and NDR64 are identical):
 *   EcRRegisterPushNotification  | CXH (20) | hNotification u32 | rc u32 |
 *   EcDoAsyncConnectEx           | ACXH (20) | rc u32 |
 *   EcDoAsyncWaitEx              | pulFlagsOut u32 | rc u32 |
 */
#include "config.h"
#include "emsmdb.h"

#include <string.h>

static enum stub_status stub_invalid(const char **slot, const char *why)
{
	if (!*slot)
		*slot = why;
	return STUB_INVALID;
}

/* Decode the SOCKADDR bytes of rgbCallbackAddress (the n array bytes, all captured). */
static void sockaddr_decode(struct emsmdb_rpn_req *r, const uint8_t *p, size_t n)
{
	struct cur c;
	cur_init(&c, p, n);
	r->family = cur_le16(&c);	/* sa_family: host order of a little-endian Windows client */
	if (!cur_ok(&c))
		return;
	r->has_family = 1;
	if (r->family == EMSMDB_FAMILY_INET)
		r->af = 4;
	else if (r->family == EMSMDB_FAMILY_INET6_WIN || r->family == EMSMDB_FAMILY_INET6_LINUX)
		r->af = 6;
	else
		return;

	uint16_t port = cur_be16(&c);	/* sin_port / sin6_port: network order */
	if (r->af == 4) {
		cur_copy(&c, r->ip, 4);
	} else {
		r->flowinfo = cur_le32(&c);
		cur_copy(&c, r->ip, 16);
		r->scope_id = cur_le32(&c);
	}
	if (cur_ok(&c)) {
		r->port = port;
		r->has_addr = 1;
	} else {
		r->flowinfo = r->scope_id = 0;
		memset(r->ip, 0, sizeof r->ip);
	}
}

enum stub_status emsmdb_rpn_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				       struct emsmdb_rpn_req *r)
{
	struct ndr n;
	enum stub_status st = STUB_OK;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);

	ndr_ctx_handle(&n, r->cxh);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	r->has_cxh = 1;
	r->irpc = ndr_u32(&n);

	/* rgbContext: max_count, then the bytes, then cbContext */
	r->context_max_count = ndr_conf(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	if (r->context_max_count > NDR_MAX_COUNT)
		return stub_invalid(&r->invalid, "rgbContext max_count > 2^31-1");
	const uint8_t *ctx = ndr_bytes(&n, r->context_max_count);
	if (!ctx) {
		/* keep what was captured of the blob: it is the UDP payload */
		size_t have = ndr_left(&n);
		r->context_len = (uint32_t)(have < EMSMDB_CONTEXT_KEEP ? have : EMSMDB_CONTEXT_KEEP);
		struct cur cc;
		cur_init(&cc, ndr_pos(&n), have);
		cur_copy(&cc, r->context, r->context_len);
		return STUB_TRUNCATED;
	}
	r->context_len = (uint32_t)(r->context_max_count < EMSMDB_CONTEXT_KEEP ? r->context_max_count
										 : EMSMDB_CONTEXT_KEEP);
	r->context_clipped = r->context_max_count > EMSMDB_CONTEXT_KEEP;
	memcpy(r->context, ctx, r->context_len);	/* bytes already claimed from the cursor */
	r->cb_context = ndr_u16(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	r->has_context = 1;
	r->too_big = r->cb_context > EMSMDB_CONTEXT_MAX;
	if (r->context_max_count != r->cb_context) {
		r->context_count_mismatch = 1;
		st = stub_invalid(&r->invalid, "rgbContext max_count != cbContext");
	}

	r->advise_bits = ndr_u32(&n);

	/* rgbCallbackAddress: max_count, the SOCKADDR bytes, cbCallbackAddress */
	r->callback_max_count = ndr_conf(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	if (r->callback_max_count > NDR_MAX_COUNT)
		return stub_invalid(&r->invalid, "rgbCallbackAddress max_count > 2^31-1");
	const uint8_t *addr = ndr_bytes(&n, r->callback_max_count);
	if (!addr)
		return STUB_TRUNCATED;
	sockaddr_decode(r, addr, (size_t)r->callback_max_count);	/* even if cbCallbackAddress is cut */
	r->cb_callback = ndr_u16(&n);
	if (!ndr_ok(&n)) {
		r->cb_callback = 0;
		return STUB_TRUNCATED;
	}
	r->has_callback = 1;
	if (r->callback_max_count != r->cb_callback) {
		r->callback_count_mismatch = 1;
		st = stub_invalid(&r->invalid, "rgbCallbackAddress max_count != cbCallbackAddress");
	}
	if ((r->af == 4 && r->cb_callback != EMSMDB_SOCKADDR_IN_LEN) ||
	    (r->af == 6 && r->cb_callback != EMSMDB_SOCKADDR_IN6_LEN))
		r->callback_size_mismatch = 1;
	return st;
}

static uint32_t trailing(const struct ndr *n)
{
	size_t t = ndr_left(n);
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

enum stub_status emsmdb_rpn_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					struct emsmdb_rpn_resp *r)
{
	struct ndr n;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);
	ndr_ctx_handle(&n, r->cxh);
	r->hnotification = ndr_u32(&n);
	r->rc = ndr_u32(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	r->trailing = trailing(&n);
	return STUB_OK;
}

enum stub_status emsmdb_async_wait_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					       struct emsmdb_async_wait_resp *r)
{
	struct ndr n;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);
	r->flags_out = ndr_u32(&n);	/* [out] unsigned long *pulFlagsOut: ref, no referent id */
	r->rc = ndr_u32(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	r->trailing = trailing(&n);
	return STUB_OK;
}

enum stub_status emsmdb_async_connect_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
						  struct emsmdb_async_connect_resp *r)
{
	struct ndr n;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);
	ndr_ctx_handle(&n, r->acxh);
	r->rc = ndr_u32(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	r->trailing = trailing(&n);
	return STUB_OK;
}

/* Why the last 4 bytes: a response stub carries the [out] parameters in IDL
 * order and then the operation's return value, which NDR treats like one
 * more [out] parameter after the last (MIDL, samba pidl, impacket NDRCALL
 * and wireshark all marshal/dissect it last; mapi.pcap's EcDoRpc and
 * EcRRegisterPushNotification responses end with it).  A 4-byte result is
 * aligned 4 from the stub start and nothing follows it, so a complete stub
 * ends with it and its length is a multiple of 4.  Deferred pointees of the
 * [out] parameters come before it, which is why it is easier to find from
 * the end than by decoding EcDoConnectEx's or EcDoRpcExt2's outputs. */
int rpc_stub_return_code(const uint8_t *stub, size_t len, int le, uint32_t *rc)
{
	struct cur c;
	if (len < 4 || len % 4 != 0)
		return 0;
	cur_init(&c, stub, len);
	if (!cur_skip(&c, len - 4))
		return 0;
	*rc = cur_u32x(&c, le);
	return cur_ok(&c);
}
