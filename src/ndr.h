/* \summary: NDR20 / NDR64 primitive reader over a bounded cursor
 * specification: C706 chapter 14 (NDR); MS-RPCE 2.2.5 (NDR64)
 *
 * A struct ndr is a struct cur over the reassembled stub bytes of one call
 * plus the two things that change how NDR is read: the integer byte order
 * (drep byte 0 high nibble; le != 0 for little-endian) and the transfer
 * syntax (ndr64 != 0 for 71710533-beba-4937-8319-b5dbef9ccc36).
 *
 * Alignment is relative to the first stub byte (cursor offset 0), which
 * is how C706 14.2.2 and MS-RPCE define it:
 *
 *   stub:  | u32 |pad| u64 ......... | u16 |pad| u32 | ...
 *          0     4   8               16    18  20
 *
 *                      NDR20          NDR64
 *   u8/u16/u32/u64     natural        natural
 *   conformance,       u32, align 4   u64, align 8   (max_count, offset,
 *   variance                                          actual_count)
 *   pointer referent   u32, align 4   u64, align 8   (0 = NULL)
 *   enum               u16            u32            (not used here)
 *   UUID               align 4: u32 u16 u16 in drep order, 8 raw bytes
 *   context handle     align 4: u32 attributes + UUID, 20 bytes, opaque
 *
 * Pad bytes are skipped, never checked: MIDL leaves garbage in them (real
 * Windows stubs carry a5 a5 pads).  Every read goes through the cursor, so
 * a short stub sets the sticky truncation flag and yields zeros; decoders
 * read a group of fields and test ndr_ok() once.
 *
 * Ownership: struct ndr borrows the stub bytes; nothing is allocated.
 */
#ifndef RPCWATCH_NDR_H
#define RPCWATCH_NDR_H

#include <stddef.h>
#include <stdint.h>
#include "cursor.h"
#include "uuid.h"

/* Outcome of decoding one stub, shared by every stub decoder. */
enum stub_status {
	STUB_OK = 0,		/* every field decoded */
	STUB_TRUNCATED,		/* captured bytes end before the NDR says it does; partial result */
	STUB_INVALID,		/* NDR or IDL constraint violated (count mismatch ...); partial result */
};

static inline const char *stub_status_name(enum stub_status s)
{
	switch (s) {
	case STUB_OK: return "ok";
	case STUB_TRUNCATED: return "truncated";
	case STUB_INVALID: return "invalid";
	}
	return "?";
}

/* MS-RPCE 3.1.1.5.3.2.2.1: a conformant array SHOULD have at most 2^31-1 elements. */
#define NDR_MAX_COUNT 0x7fffffffu

struct ndr {
	struct cur c;	/* offset 0 = first stub byte */
	int le;		/* integers little-endian (drep 0x10) */
	int ndr64;	/* NDR64 transfer syntax */
};

static inline void ndr_init(struct ndr *n, const uint8_t *p, size_t len, int le, int ndr64)
{
	cur_init(&n->c, p, len);
	n->le = le != 0;
	n->ndr64 = ndr64 != 0;
}

static inline int ndr_ok(const struct ndr *n) { return cur_ok(&n->c); }
static inline size_t ndr_off(const struct ndr *n) { return cur_off(&n->c); }
static inline size_t ndr_left(const struct ndr *n) { return cur_left(&n->c); }
/* The next unread byte (may be one past the end: pair it with ndr_left). */
static inline const uint8_t *ndr_pos(const struct ndr *n) { return cur_pos(&n->c); }

/* Skip the pad to the next multiple of k (1, 2, 4 or 8) from the stub start.
 * Missing pad bytes set the truncation flag. */
static inline int ndr_align(struct ndr *n, size_t k)
{
	size_t r = cur_off(&n->c) % k;
	return r ? cur_skip(&n->c, k - r) : 1;
}

static inline uint8_t ndr_u8(struct ndr *n) { return cur_u8(&n->c); }

static inline uint16_t ndr_u16(struct ndr *n)
{
	ndr_align(n, 2);
	return cur_u16x(&n->c, n->le);
}

static inline uint32_t ndr_u32(struct ndr *n)
{
	ndr_align(n, 4);
	return cur_u32x(&n->c, n->le);
}

static inline uint64_t ndr_u64(struct ndr *n)
{
	ndr_align(n, 8);
	const uint8_t *p = cur_take(&n->c, 8);
	uint64_t v = 0;
	if (p)
		for (int i = 0; i < 8; i++)
			v = (v << 8) | p[n->le ? 7 - i : i];
	return v;
}

/* Conformance / variance count (max_count, offset, actual_count). */
static inline uint64_t ndr_conf(struct ndr *n) { return n->ndr64 ? ndr_u64(n) : ndr_u32(n); }

/* Pointer referent id; 0 is NULL. */
static inline uint64_t ndr_ptr(struct ndr *n) { return n->ndr64 ? ndr_u64(n) : ndr_u32(n); }

/* Size of a conformance count / referent on the wire (4 or 8). */
static inline size_t ndr_conf_size(const struct ndr *n) { return n->ndr64 ? 8 : 4; }

static inline void ndr_uuid(struct ndr *n, struct rpc_uuid *u)
{
	ndr_align(n, 4);
	uuid_read(&n->c, n->le, u);
}

/* Context handle: the 20 wire bytes, copied raw (opaque to the client;
 * compared bytewise).  Zeroed when truncated. */
static inline void ndr_ctx_handle(struct ndr *n, uint8_t out[20])
{
	ndr_align(n, 4);
	cur_copy(&n->c, out, 20);
}

/* k raw bytes (uninterpreted), or NULL + truncation flag. */
static inline const uint8_t *ndr_bytes(struct ndr *n, uint64_t k)
{
	if (k > cur_left(&n->c)) {
		n->c.trunc = 1;
		return NULL;
	}
	return cur_take(&n->c, (size_t)k);
}

#endif
