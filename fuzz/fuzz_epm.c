/* \summary: libFuzzer harness: EPM towers and ept_map / ept_lookup stubs (src/epm.h)
 *
 * Input: byte 0 = selector (low 3 bits: tower, map request, map response,
 * lookup request, lookup response), 0x08 little-endian, 0x10 NDR64; the
 * rest is the stub (exact-size copy).  Checks every string the decoders
 * copy is NUL-terminated within its array, counts respect the caps, and
 * epm_tower_string() behaves like snprintf for every buffer size tried.
 */
#include <string.h>

#include "epm.h"
#include "fuzz.h"

static void check_tower(const struct epm_tower *t)
{
	FZ_ASSERT(memchr(t->pipe, 0, sizeof t->pipe) != NULL);
	FZ_ASSERT(memchr(t->host, 0, sizeof t->host) != NULL);
	FZ_ASSERT(t->floors_decoded <= t->floor_count);
	FZ_ASSERT(epm_protseq_name(t->protseq) != NULL);
	FZ_ASSERT(epm_twr_err_name(t->why) != NULL);
	char big[512], small[7];
	int n = epm_tower_string(t, big, sizeof big);
	FZ_ASSERT(n >= 0 && (size_t)n < sizeof big && strlen(big) == (size_t)n);
	int m = epm_tower_string(t, small, sizeof small);
	FZ_ASSERT(m == n && strlen(small) == (n < (int)sizeof small ? (size_t)n : sizeof small - 1));
	FZ_ASSERT(memcmp(small, big, strlen(small)) == 0);
	FZ_ASSERT(epm_tower_string(t, NULL, 0) == n);
}

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
	/* results are large (a lookup response holds 64 towers): heap, not stack */
	switch (sel & 7) {
	case 0: {
		struct epm_tower *t = malloc(sizeof *t);
		int r = epm_tower_decode(stub, size, t);
		FZ_ASSERT(r == 0 || r == -1);
		FZ_ASSERT((r == -1) == (t->malformed != 0));
		check_tower(t);
		free(t);
		break;
	}
	case 1: {
		struct epm_map_req *r = malloc(sizeof *r);
		enum stub_status st = epm_map_req_decode(stub, size, le, ndr64, r);
		FZ_ASSERT(st <= STUB_INVALID);
		FZ_ASSERT(strlen(stub_status_name(st)) > 0);
		if (r->has_tower)
			check_tower(&r->tower);
		free(r);
		break;
	}
	case 2: {
		struct epm_map_resp *r = malloc(sizeof *r);
		enum stub_status st = epm_map_resp_decode(stub, size, le, ndr64, r);
		FZ_ASSERT(st <= STUB_INVALID);
		FZ_ASSERT(r->n_towers <= EPM_MAX_TOWERS);
		for (uint32_t i = 0; i < r->n_towers; i++)
			check_tower(&r->towers[i]);
		free(r);
		break;
	}
	case 3: {
		struct epm_lookup_req *r = malloc(sizeof *r);
		enum stub_status st = epm_lookup_req_decode(stub, size, le, ndr64, r);
		FZ_ASSERT(st <= STUB_INVALID);
		free(r);
		break;
	}
	default: {
		struct epm_lookup_resp *r = malloc(sizeof *r);
		enum stub_status st = epm_lookup_resp_decode(stub, size, le, ndr64, r);
		FZ_ASSERT(st <= STUB_INVALID);
		FZ_ASSERT(r->n_entries <= EPM_MAX_ENTRIES);
		for (uint32_t i = 0; i < r->n_entries; i++) {
			const struct epm_entry *e = &r->entries[i];
			FZ_ASSERT(memchr(e->annotation, 0, sizeof e->annotation) != NULL);
			if (e->tower_decoded)
				check_tower(&e->tower);
		}
		free(r);
		break;
	}
	}
	free(stub);
	return 0;
}
