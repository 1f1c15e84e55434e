/* \summary: libFuzzer harness: the JSON Lines writer (src/json.h) never emits invalid JSON
 *
 * Input: records u8 kind, u8 length, bytes: strings (jw_str, or jw_strn
 * with embedded NULs) as keys and values, numbers, nested objects/arrays
 * up to the writer's depth.  The output is checked by jsoncheck.h.
 * The output stream is opened once and rewound for each input.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "jsoncheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	static char *obuf;
	static size_t olen;
	static FILE *out;
	if (!out && !(out = open_memstream(&obuf, &olen)))
		abort();
	rewind(out);
	struct jw w;
	jw_init(&w, out);
	int depth = 0, in_arr[JW_MAX_DEPTH] = {0}, open = 0;
	char key[256], val[256];
	int steps = 0;
	while (fz_left(&z) >= 2 && steps++ < 256) {
		uint8_t kind = fz_u8(&z), kl = fz_u8(&z);
		size_t got;
		const uint8_t *kb = fz_take(&z, kl, &got);
		memcpy(key, kb, got);
		key[got] = 0;
		size_t klen = got;
		if (!open) {
			jw_begin(&w);
			open = 1;
			depth = 1;
			in_arr[0] = 0;
		}
		const char *k = in_arr[depth - 1] ? NULL : key;
		switch (kind % 10) {
		case 0: jw_str(&w, k, key); break;
		case 1: memcpy(val, key, klen); jw_strn(&w, k, val, klen); break;
		case 2: jw_u64(&w, k, (uint64_t)klen * 0x9e3779b97f4a7c15ull); break;
		case 3: jw_i64(&w, k, -(int64_t)klen * 1234567); break;
		case 4: jw_double(&w, k, (double)klen / 7.0 - 3, kind % 9); break;
		case 5: jw_bool(&w, k, klen & 1); break;
		case 6: jw_null(&w, k); break;
		case 7:
			if (depth < JW_MAX_DEPTH - 1) {
				int arr = kind & 0x10;
				if (arr)
					jw_arr(&w, k);
				else
					jw_obj(&w, k);
				in_arr[depth++] = arr != 0;
			}
			break;
		case 8:
			if (depth > 1) {
				jw_close(&w);
				depth--;
			}
			break;
		default:
			while (depth > 1) {
				jw_close(&w);
				depth--;
			}
			jw_end(&w);
			open = 0;
			break;
		}
	}
	if (open) {
		while (depth > 1) {
			jw_close(&w);
			depth--;
		}
		jw_end(&w);
	}
	fflush(out);	/* olen: the current position, this input's output */
	size_t bad = 0;
	if (!json_lines_valid((const uint8_t *)obuf, olen, &bad)) {
		fprintf(stderr, "invalid JSON at byte %zu of %zu:\n%.*s\n", bad, olen,
			(int)(olen - bad < 200 ? olen - bad : 200), obuf + bad);
		abort();
	}
	return 0;
}
