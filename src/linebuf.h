/* \summary: a line buffer for text output
 *
 * Text records are built in a fixed buffer and written with one fwrite:
 * fprintf's format parsing cost more than decoding the packets
 * (bench/README).  A record longer than the buffer is written in pieces, so
 * nothing is cut.  The caller owns the struct (usually on its stack) and the
 * FILE; lb_end() writes what is left and leaves the buffer empty.
 */
#ifndef RW_LINEBUF_H
#define RW_LINEBUF_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct linebuf {
	FILE *f;
	size_t n;
	char b[1024];
};

static inline void lb_init(struct linebuf *l, FILE *f)
{
	l->f = f;
	l->n = 0;
}

static inline void lb_mem(struct linebuf *l, const char *p, size_t k)
{
	while (k) {
		if (l->n == sizeof l->b) {
			fwrite(l->b, 1, l->n, l->f);
			l->n = 0;
		}
		size_t c = sizeof l->b - l->n < k ? sizeof l->b - l->n : k;
		memcpy(l->b + l->n, p, c);
		l->n += c;
		p += c;
		k -= c;
	}
}

static inline void lb_str(struct linebuf *l, const char *s) { lb_mem(l, s, strlen(s)); }
static inline void lb_chr(struct linebuf *l, char c) { lb_mem(l, &c, 1); }

/* "%llu" */
static inline void lb_u64(struct linebuf *l, uint64_t v)
{
	char t[20];
	size_t k = sizeof t;
	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	lb_mem(l, t + k, sizeof t - k);
}

/* "0x%08x" */
static inline void lb_x32(struct linebuf *l, uint32_t v)
{
	static const char hx[] = "0123456789abcdef";
	char t[10] = {'0', 'x'};
	for (int i = 0; i < 8; i++)
		t[2 + i] = hx[(v >> (28 - 4 * i)) & 15];
	lb_mem(l, t, sizeof t);
}

/* "%-*s": s, then spaces up to width */
static inline void lb_pad(struct linebuf *l, const char *s, size_t width)
{
	size_t k = strlen(s);
	lb_mem(l, s, k);
	while (k++ < width)
		lb_chr(l, ' ');
}

static inline void lb_end(struct linebuf *l)
{
	if (l->n)
		fwrite(l->b, 1, l->n, l->f);
	l->n = 0;
}

#endif
