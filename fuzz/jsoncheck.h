/* \summary: strict RFC 8259 + UTF-8 validator for the fuzz harnesses (test code only)
 *
 * json_lines_valid() checks a buffer of JSON Lines: every line is exactly
 * one JSON value (the writers emit objects), strings hold well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) and no
 * raw control characters, escapes are the RFC 8259 ones.  Returns 1 when
 * valid; 0 and a byte offset in *bad otherwise.
 *
 * The checker is the harnesses' oracle, not code under test: it is built
 * without coverage instrumentation (JC_NOCOV), so it costs the fuzzer no
 * time in comparison tracing and adds no features of its own to the corpus
 * (json_lines_valid is noinline: inlined, it would be instrumented as part of
 * its caller).
 */
#ifndef RPCWATCH_FUZZ_JSONCHECK_H
#define RPCWATCH_FUZZ_JSONCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__) && __clang_major__ >= 13
#define JC_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define JC_NOCOV
#endif

struct jc {
	const uint8_t *p;
	size_t n, i;
	int depth;
};

JC_NOCOV static int jc_value(struct jc *c);

JC_NOCOV static void jc_ws(struct jc *c)
{
	while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t' || c->p[c->i] == '\r'))
		c->i++;
}

JC_NOCOV static int jc_hex(uint8_t x)
{
	return (x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') || (x >= 'A' && x <= 'F');
}

/* one UTF-8 sequence starting at c->i (>= 0x80) */
JC_NOCOV static int jc_utf8(struct jc *c)
{
	const uint8_t *p = c->p + c->i;
	size_t left = c->n - c->i;
	uint8_t b = p[0];
	size_t k;
	uint32_t cp, min;
	if (b >= 0xc2 && b <= 0xdf) { k = 2; cp = b & 0x1f; min = 0x80; }
	else if (b >= 0xe0 && b <= 0xef) { k = 3; cp = b & 0x0f; min = 0x800; }
	else if (b >= 0xf0 && b <= 0xf4) { k = 4; cp = b & 0x07; min = 0x10000; }
	else return 0;
	if (left < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[j] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	c->i += k;
	return 1;
}

JC_NOCOV static int jc_string(struct jc *c)
{
	if (c->i >= c->n || c->p[c->i] != '"')
		return 0;
	c->i++;
	while (c->i < c->n) {
		uint8_t b = c->p[c->i];
		if (b == '"') {
			c->i++;
			return 1;
		}
		if (b < 0x20)
			return 0;
		if (b == '\\') {
			if (c->i + 1 >= c->n)
				return 0;
			uint8_t e = c->p[c->i + 1];
			if (strchr("\"\\/bfnrt", e) && e) {
				c->i += 2;
			} else if (e == 'u') {
				if (c->i + 6 > c->n)
					return 0;
				for (int j = 2; j < 6; j++)
					if (!jc_hex(c->p[c->i + j]))
						return 0;
				c->i += 6;
			} else {
				return 0;
			}
		} else if (b >= 0x80) {
			if (!jc_utf8(c))
				return 0;
		} else {
			c->i++;
		}
	}
	return 0;
}

JC_NOCOV static int jc_number(struct jc *c)
{
	size_t s = c->i;
	if (c->i < c->n && c->p[c->i] == '-')
		c->i++;
	if (c->i >= c->n)
		return 0;
	if (c->p[c->i] == '0') {
		c->i++;
	} else if (c->p[c->i] >= '1' && c->p[c->i] <= '9') {
		while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9')
			c->i++;
	} else {
		return 0;
	}
	if (c->i < c->n && c->p[c->i] == '.') {
		c->i++;
		size_t d = c->i;
		while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9')
			c->i++;
		if (c->i == d)
			return 0;
	}
	if (c->i < c->n && (c->p[c->i] == 'e' || c->p[c->i] == 'E')) {
		c->i++;
		if (c->i < c->n && (c->p[c->i] == '+' || c->p[c->i] == '-'))
			c->i++;
		size_t d = c->i;
		while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9')
			c->i++;
		if (c->i == d)
			return 0;
	}
	return c->i > s;
}

JC_NOCOV static int jc_lit(struct jc *c, const char *w)
{
	size_t k = strlen(w);
	if (c->n - c->i < k || memcmp(c->p + c->i, w, k) != 0)
		return 0;
	c->i += k;
	return 1;
}

JC_NOCOV static int jc_seq(struct jc *c, uint8_t close, int obj)
{
	c->i++;
	jc_ws(c);
	if (c->i < c->n && c->p[c->i] == close) {
		c->i++;
		return 1;
	}
	for (;;) {
		jc_ws(c);
		if (obj) {
			if (!jc_string(c))
				return 0;
			jc_ws(c);
			if (c->i >= c->n || c->p[c->i] != ':')
				return 0;
			c->i++;
			jc_ws(c);
		}
		if (!jc_value(c))
			return 0;
		jc_ws(c);
		if (c->i >= c->n)
			return 0;
		if (c->p[c->i] == ',') {
			c->i++;
			continue;
		}
		if (c->p[c->i] == close) {
			c->i++;
			return 1;
		}
		return 0;
	}
}

JC_NOCOV static int jc_value(struct jc *c)
{
	if (c->i >= c->n || ++c->depth > 64)
		return 0;
	int ok;
	switch (c->p[c->i]) {
	case '{': ok = jc_seq(c, '}', 1); break;
	case '[': ok = jc_seq(c, ']', 0); break;
	case '"': ok = jc_string(c); break;
	case 't': ok = jc_lit(c, "true"); break;
	case 'f': ok = jc_lit(c, "false"); break;
	case 'n': ok = jc_lit(c, "null"); break;
	default: ok = jc_number(c); break;
	}
	c->depth--;
	return ok;
}

JC_NOCOV __attribute__((noinline)) static int json_lines_valid(const uint8_t *p, size_t n, size_t *bad)
{
	size_t i = 0;
	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		if (!nl) {	/* every record ends with a newline */
			*bad = i;
			return 0;
		}
		size_t e = (size_t)(nl - p);
		struct jc c = {p + i, e - i, 0, 0};
		jc_ws(&c);
		if (!jc_value(&c)) {
			*bad = i + c.i;
			return 0;
		}
		jc_ws(&c);
		if (c.i != c.n) {
			*bad = i + c.i;
			return 0;
		}
		i = e + 1;
	}
	return 1;
}

#endif
