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
 *
 * fz_pkt_*(): exact-size packet buffers without a malloc per packet.  A
 * harness that fed each segment through malloc/free spent most of its time
 * in ASan's allocator (a 64 KB chunk per packet cycles through the
 * quarantine: page faults, madvise, TLB shootdowns).  Instead, FZ_PKT_SLOTS
 * slots of 64 KB are allocated once; the n-th packet of an input gets slot
 * n, with exactly its bytes addressable (ASan manual poisoning: a read one
 * byte past the end, or before the start, is reported as it would be for a
 * malloc'd buffer).  "Freeing" a packet poisons its slot again, and no slot
 * is reused within one input, so a pointer kept into an old packet is still
 * caught as use-after-poison, like use-after-free with an unlimited
 * quarantine.  fz_pkt_reset() at the start of each input.
 */
#ifndef RPCWATCH_FUZZ_H
#define RPCWATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n) __asan_poison_memory_region((p), (n))
#define FZ_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FZ_POISON(p, n) ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

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

#define FZ_PKT_SLOTS 260			/* more than any harness's steps per input (256) */
#define FZ_PKT_MAX 65536u		/* a u16 length, plus one */
#define FZ_PKT_SLOT (FZ_PKT_MAX + 64)	/* 64 poisoned bytes after the largest packet */

struct fz_pkts {
	uint8_t *mem;			/* FZ_PKT_SLOTS * FZ_PKT_SLOT, poisoned but for live packets */
	size_t next;			/* slot of the next packet */
	size_t used[FZ_PKT_SLOTS];	/* bytes unpoisoned in each slot this input */
};

static inline struct fz_pkts *fz_pkts(void)
{
	static struct fz_pkts k;
	if (!k.mem) {
		k.mem = malloc((size_t)FZ_PKT_SLOTS * FZ_PKT_SLOT);
		if (!k.mem)
			abort();
		FZ_POISON(k.mem, (size_t)FZ_PKT_SLOTS * FZ_PKT_SLOT);
	}
	return &k;
}

/* A new input: every packet of the last one is gone. */
static inline void fz_pkt_reset(void)
{
	struct fz_pkts *k = fz_pkts();
	for (size_t i = 0; i < k->next; i++)
		if (k->used[i]) {
			FZ_POISON(k->mem + i * FZ_PKT_SLOT, k->used[i]);
			k->used[i] = 0;
		}
	k->next = 0;
}

/* n bytes (n <= FZ_PKT_MAX) copied from src, exactly n of them addressable
 * (n = 0: a pointer to nothing addressable).  NULL when the input has used
 * every slot. */
static inline uint8_t *fz_pkt_new(const void *src, size_t n)
{
	struct fz_pkts *k = fz_pkts();
	if (k->next >= FZ_PKT_SLOTS || n > FZ_PKT_MAX)
		return NULL;
	uint8_t *b = k->mem + k->next * FZ_PKT_SLOT;
	k->used[k->next++] = n;
	if (n) {
		FZ_UNPOISON(b, n);
		memcpy(b, src, n);
	}
	return b;
}

/* The packet is gone: any later access is reported. */
static inline void fz_pkt_free(uint8_t *b)
{
	struct fz_pkts *k = fz_pkts();
	if (!b)
		return;
	size_t i = (size_t)(b - k->mem) / FZ_PKT_SLOT;
	if (k->used[i])
		FZ_POISON(b, k->used[i]);
	k->used[i] = 0;
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
