/* \summary: EMSMDB / AsyncEMSMDB stubs (MS-OXCRPC): push-notification registration and return codes
 *
 * EMSMDB a4f1db00-ca47-1067-b31f-00dd010662da v0.81, AsyncEMSMDB
 * 5261574a-4572-206e-b268-6b199213b4e4 v0.1.  The decoders take the
 * reassembled stub bytes of one call (headers, auth padding and
 * sec_trailer already stripped), the NDR integer byte order and whether
 * the context negotiated NDR64, and fill a caller-owned result.
 *
 * Ownership: results are caller-owned and fixed-size; bytes are copied in
 * (rgbContext up to EMSMDB_CONTEXT_KEEP), nothing points into the stub and
 * nothing is allocated.
 */
#ifndef RPCWATCH_EMSMDB_H
#define RPCWATCH_EMSMDB_H

#include <stddef.h>
#include <stdint.h>
#include "ndr.h"

#define EMSMDB_OPNUM_DISCONNECT 1
#define EMSMDB_OPNUM_REGISTER_PUSH 4		/* EcRRegisterPushNotification */
#define EMSMDB_OPNUM_DUMMY 6
#define EMSMDB_OPNUM_CONNECT_EX 10
#define EMSMDB_OPNUM_RPC_EXT2 11
#define EMSMDB_OPNUM_ASYNC_CONNECT_EX 14
#define ASYNCEMSMDB_OPNUM_WAIT_EX 0		/* EcDoAsyncWaitEx */

#define EMSMDB_CONTEXT_KEEP 64	/* rgbContext bytes kept */
#define EMSMDB_CONTEXT_MAX 16	/* cbContext above this: server answers ecTooBig */

/* SOCKADDR families seen in rgbCallbackAddress */
#define EMSMDB_FAMILY_INET 2
#define EMSMDB_FAMILY_INET6_WIN 23
#define EMSMDB_FAMILY_INET6_LINUX 10
#define EMSMDB_SOCKADDR_IN_LEN 16
#define EMSMDB_SOCKADDR_IN6_LEN 28

/* EcRRegisterPushNotification (opnum 4) request. */
struct emsmdb_rpn_req {
	uint8_t has_cxh;
	uint8_t cxh[20];		/* session context handle, raw wire bytes */
	uint32_t irpc;			/* MUST be 0; ignored by the server */

	uint8_t has_context;		/* rgbContext and cbContext were read */
	uint64_t context_max_count;	/* rgbContext conformance (bytes on the wire) */
	uint16_t cb_context;		/* cbContext as declared */
	uint32_t context_len;		/* bytes kept in context[] */
	uint8_t context[EMSMDB_CONTEXT_KEEP];	/* the UDP notification payload */
	uint8_t context_clipped;	/* max_count > EMSMDB_CONTEXT_KEEP */
	uint8_t too_big;		/* cbContext > 16 (ecTooBig) */

	uint32_t advise_bits;		/* grbitAdviseBits, MUST be 0xffffffff */

	uint8_t has_callback;		/* rgbCallbackAddress and cbCallbackAddress were read */
	uint64_t callback_max_count;
	uint16_t cb_callback;		/* cbCallbackAddress as declared */

	/* the SOCKADDR, decoded from the rgbCallbackAddress bytes: family
	 * little-endian, port big-endian, address in network order, whatever
	 * the NDR byte order.  Filled as soon as those bytes are captured, even
	 * when the stub is cut before cbCallbackAddress (has_callback 0). */
	uint8_t has_family;
	uint16_t family;		/* raw sa_family (2, 23, 10, ...) */
	uint8_t af;			/* 4 for family 2, 6 for 23 or 10, 0 otherwise */
	uint8_t has_addr;		/* port and ip are valid */
	uint16_t port;			/* host order */
	uint8_t ip[16];			/* 4 or 16 bytes used, network order */
	uint32_t flowinfo, scope_id;	/* AF_INET6 only, little-endian as Windows stores them */

	/* consistency */
	uint8_t context_count_mismatch;	/* rgbContext max_count != cbContext */
	uint8_t callback_count_mismatch;	/* rgbCallbackAddress max_count != cbCallbackAddress */
	uint8_t callback_size_mismatch;	/* cbCallbackAddress != 16 (AF_INET) / 28 (AF_INET6) */
	const char *invalid;		/* first NDR violation (static string), or NULL */
};

/* EcRRegisterPushNotification (opnum 4) response. */
struct emsmdb_rpn_resp {
	uint8_t cxh[20];	/* all zero when the server destroyed the session */
	uint32_t hnotification;
	uint32_t rc;		/* 0 ecNone, 0x80040102 ecNotSupported, 0x80040305 ecTooBig ... */
	uint32_t trailing;	/* bytes after the return value (expected 0) */
};

/* AsyncEMSMDB EcDoAsyncWaitEx (opnum 0) response. */
struct emsmdb_async_wait_resp {
	uint32_t flags_out;	/* 0x1 NotificationPending */
	uint32_t rc;		/* 0x7ee ecRejected, 0x3ed ecExiting ... */
	uint32_t trailing;
};

/* EcDoAsyncConnectEx (opnum 14) response. */
struct emsmdb_async_connect_resp {
	uint8_t acxh[20];
	uint32_t rc;		/* 0x7ee ecRejected: async notifications disabled */
	uint32_t trailing;
};

enum stub_status emsmdb_rpn_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				       struct emsmdb_rpn_req *r);
enum stub_status emsmdb_rpn_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					struct emsmdb_rpn_resp *r);
enum stub_status emsmdb_async_wait_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					       struct emsmdb_async_wait_resp *r);
enum stub_status emsmdb_async_connect_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
						  struct emsmdb_async_connect_resp *r);

/* The return value of any RPC method whose IDL returns a 4-byte value
 * (long, error_status_t, HRESULT): it is marshalled after every [out]
 * parameter, aligned 4, and nothing follows it, so it is the last 4 bytes
 * of a complete response stub (NDR20 and NDR64 alike).  Used for
 * EcDoConnectEx (10), EcDoRpcExt2 (11), EcDoDisconnect (1), EcDummyRpc (6)
 * without decoding their other outputs.
 * The stub must be complete (captured == declared).  Returns 1 and sets
 * *rc; 0 when len < 4 or len is not a multiple of 4 (then the stub cannot
 * end with an aligned u32: it is cut or carries padding). */
int rpc_stub_return_code(const uint8_t *stub, size_t len, int le, uint32_t *rc);

#endif
