/* \summary: shared helpers for the libFuzzer harnesses in fuzz/ (test code only)
 *
 * struct fz reads the fuzz input front to back; reads past the end yield
 * zeros and set `end`, so a harness never looks outside the input.
 * fz_take() returns a pointer into the input and a length clamped to what
 * is left: libFuzzer hands us an exact-size heap buffer, so AddressSanitizer
 * catches any decoder read beyond the bytes we pass.
 *
 * fz_devnull() is the one FILE the writers print into (opened once, kept
 * for the life of the process: the harness is the whole program).
 */
#ifndef RPCWATCH_FUZZ_H
#define RPCWATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct fz {
	const uint8_t *p;
	size_t n, off;
	int end;
};

static inline void fz_init(struct fz *z, const uint8_t *p, size_t n)
{
	z->p = p;
	z->n = n;
	z->off = 0;
	z->end = 0;
}

static inline size_t fz_left(const struct fz *z) { return z->n - z->off; }

static inline uint8_t fz_u8(struct fz *z)
{
	if (z->off >= z->n) {
		z->end = 1;
		return 0;
	}
	return z->p[z->off++];
}

static inline uint16_t fz_u16(struct fz *z)
{
	uint16_t a = fz_u8(z);
	return (uint16_t)(a | (uint16_t)fz_u8(z) << 8);
}

static inline uint32_t fz_u32(struct fz *z)
{
	uint32_t a = fz_u16(z);
	return a | (uint32_t)fz_u16(z) << 16;
}

/* Up to want bytes from the input; *got says how many. */
static inline const uint8_t *fz_take(struct fz *z, size_t want, size_t *got)
{
	size_t k = fz_left(z) < want ? fz_left(z) : want;
	const uint8_t *r = z->p + z->off;
	z->off += k;
	*got = k;
	if (k < want)
		z->end = 1;
	return r;
}

static inline FILE *fz_devnull(void)
{
	static FILE *f;
	if (!f) {
		f = fopen("/dev/null", "w");
		if (!f)
			abort();
	}
	return f;
}

/* Fail loudly (libFuzzer records the input) when an invariant breaks. */
#define FZ_ASSERT(x)                                                                          \
	do {                                                                                  \
		if (!(x)) {                                                                   \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #x); \
			abort();                                                              \
		}                                                                             \
	} while (0)

#endif
