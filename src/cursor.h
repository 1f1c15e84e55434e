/* \summary: bounded byte cursor — the only way rpcwatch reads packet bytes
 *
 * Every decoder reads through a struct cur.  A cursor is a window of
 * *captured* bytes [base, base+len) and a read offset.  A read that would
 * pass the end of the window returns 0 (or NULL) and sets the sticky
 * `trunc` flag; the offset never moves past `len`.  Decoders read a group
 * of fields and then test cur_ok() once, the way tcpdump's GET_ macros
 * bail out, but without longjmp.
 *
 * Captured versus declared length: the cursor only knows captured bytes.
 * A protocol's declared length (IPv4 total length, DCE/RPC frag_length) is
 * kept by the decoder; cur_sub() gives a child window clamped to
 * MIN(declared, captured-left) so a child can never read its parent's
 * trailing bytes or past the capture.
 *
 * Ownership: a cursor borrows the bytes; it never allocates or frees.
 */
#ifndef RPCWATCH_CURSOR_H
#define RPCWATCH_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *base;	/* first byte of the window (borrowed) */
	size_t len;		/* captured bytes in the window */
	size_t off;		/* next byte to read, always <= len */
	int trunc;		/* sticky: a read wanted bytes past len */
};

static inline void cur_init(struct cur *c, const uint8_t *p, size_t len)
{
	static const uint8_t no_bytes[1];	/* base is never NULL: NULL + 0 is UB */
	c->base = p ? p : no_bytes;
	c->len = p ? len : 0;
	c->off = 0;
	c->trunc = 0;
}

static inline size_t cur_left(const struct cur *c) { return c->len - c->off; }
static inline size_t cur_off(const struct cur *c) { return c->off; }
static inline int cur_ok(const struct cur *c) { return !c->trunc; }

/* True when n more bytes are captured; never sets the flag. */
static inline int cur_has(const struct cur *c, size_t n) { return n <= c->len - c->off; }

/* Claim n bytes: pointer to them and advance, or NULL + trunc (offset kept). */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	if (!cur_has(c, n)) {
		c->trunc = 1;
		return NULL;
	}
	const uint8_t *p = c->base + c->off;
	c->off += n;
	return p;
}

/* Pointer to the current position without consuming (may be one past end). */
static inline const uint8_t *cur_pos(const struct cur *c) { return c->base + c->off; }

static inline int cur_skip(struct cur *c, size_t n) { return cur_take(c, n) != NULL; }

static inline int cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p = cur_take(c, n);
	if (!p) {
		memset(dst, 0, n);
		return 0;
	}
	memcpy(dst, p, n);
	return 1;
}

static inline uint8_t cur_u8(struct cur *c)
{
	const uint8_t *p = cur_take(c, 1);
	return p ? p[0] : 0;
}

static inline uint16_t cur_be16(struct cur *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint16_t cur_le16(struct cur *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? (uint16_t)((p[1] << 8) | p[0]) : 0;
}

static inline uint32_t cur_be32(struct cur *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3] : 0;
}

static inline uint32_t cur_le32(struct cur *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0] : 0;
}

static inline uint64_t cur_le64(struct cur *c)
{
	const uint8_t *p = cur_take(c, 8);
	uint64_t v = 0;
	if (p)
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | p[i];
	return v;
}

/* NDR-style reads: little-endian when le != 0, else big-endian. */
static inline uint16_t cur_u16x(struct cur *c, int le) { return le ? cur_le16(c) : cur_be16(c); }
static inline uint32_t cur_u32x(struct cur *c, int le) { return le ? cur_le32(c) : cur_be32(c); }

/* Peek at absolute offset `at` inside the window without moving; 0 + returns 0 if absent. */
static inline int cur_peek_u8(const struct cur *c, size_t at, uint8_t *v)
{
	if (at >= c->len)
		return 0;
	*v = c->base[at];
	return 1;
}

/* Child window over the next `declared` bytes, clamped to what is captured.
 * The parent advances by the clamped amount.  *clamped (may be NULL) tells
 * the caller the child is shorter than declared (snaplen cut it). */
static inline struct cur cur_sub(struct cur *c, size_t declared, int *clamped)
{
	struct cur s;
	size_t n = declared;
	int cut = 0;
	if (n > cur_left(c)) {
		n = cur_left(c);
		cut = 1;
	}
	cur_init(&s, c->base + c->off, n);
	c->off += n;
	if (clamped)
		*clamped = cut;
	return s;
}

/* Shrink the window so it ends `n` bytes from the current offset (never grows it). */
static inline void cur_limit(struct cur *c, size_t n)
{
	if (n < cur_left(c))
		c->len = c->off + n;
}

#endif
