/* \summary: libFuzzer harness: EMSMDB / AsyncEMSMDB stubs (src/emsmdb.h)
 *
 * Input: byte 0 = selector (low 3 bits: EcRRegisterPushNotification
 * request, its response, EcDoAsyncWaitEx response, EcDoAsyncConnectEx
 * response, rpc_stub_return_code), 0x08 little-endian, 0x10 NDR64; the
 * rest is the stub (exact-size copy).  Checks the kept rgbContext never
 * exceeds its array and the address family matches what was decoded.
 */
#include <string.h>

#include "emsmdb.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	int le = (sel & 0x08) != 0, ndr64 = (sel & 0x10) != 0;
	size--;
	uint8_t *stub = malloc(size ? size : 1);
	if (!stub)
		return 0;
	memcpy(stub, data + 1, size);
	enum stub_status st = STUB_OK;
	switch (sel & 7) {
	case 0: {
		struct emsmdb_rpn_req r;
		st = emsmdb_rpn_req_decode(stub, size, le, ndr64, &r);
		FZ_ASSERT(r.context_len <= EMSMDB_CONTEXT_KEEP);
		FZ_ASSERT(r.context_len <= size);
		if (r.has_addr)
			FZ_ASSERT(r.af == 4 || r.af == 6);
		break;
	}
	case 1: {
		struct emsmdb_rpn_resp r;
		st = emsmdb_rpn_resp_decode(stub, size, le, ndr64, &r);
		break;
	}
	case 2: {
		struct emsmdb_async_wait_resp r;
		st = emsmdb_async_wait_resp_decode(stub, size, le, ndr64, &r);
		break;
	}
	case 3: {
		struct emsmdb_async_connect_resp r;
		st = emsmdb_async_connect_resp_decode(stub, size, le, ndr64, &r);
		break;
	}
	default: {
		uint32_t rc = 0;
		int ok = rpc_stub_return_code(stub, size, le, &rc);
		FZ_ASSERT(ok == 0 || (size >= 4 && size % 4 == 0));
		break;
	}
	}
	FZ_ASSERT(st <= STUB_INVALID);
	free(stub);
	return 0;
}
