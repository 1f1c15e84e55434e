/* \summary: JSON Lines writer (see json.h) */
#include "config.h"
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w, FILE *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_escape(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			/* a run of printable ASCII goes out in one write */
			size_t j = i + 1;
			while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
				j++;
			fwrite(s + i, 1, j - i, f);
			i = j;
		} else if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			i++;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l == 0) {
				fputs("\\ufffd", f);
				i++;
			} else {
				fwrite(s + i, 1, l, f);
				i += l;
			}
		}
	}
}

static void sep(struct jw *w, const char *key)
{
	char b[64];
	size_t n = 0, kl = key ? strlen(key) : 0;
	if (w->depth > 0) {
		if (w->need_comma[w->depth - 1])
			b[n++] = ',';
		w->need_comma[w->depth - 1] = 1;
	}
	if (!key) {
		if (n)
			fputc(',', w->out);
		return;
	}
	/* the usual short plain key goes out with its comma in one write */
	int plain = kl + 4 <= sizeof b;
	for (size_t i = 0; plain && i < kl; i++)
		plain = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\';
	if (plain) {
		b[n++] = '"';
		memcpy(b + n, key, kl);
		n += kl;
		b[n++] = '"';
		b[n++] = ':';
		fwrite(b, 1, n, w->out);
		return;
	}
	if (n)
		fputc(',', w->out);
	fputc('"', w->out);
	json_escape(w->out, key, kl);
	fputs("\":", w->out);
}

static void push(struct jw *w, char open)
{
	if (w->depth >= JW_MAX_DEPTH)
		abort();
	fputc(open, w->out);
	w->need_comma[w->depth] = 0;
	w->closer[w->depth] = open == '[' ? ']' : '}';
	w->depth++;
}

void jw_begin(struct jw *w)
{
	w->depth = 0;
	push(w, '{');
}

void jw_end(struct jw *w)
{
	while (w->depth > 1)
		jw_close(w);
	if (w->depth == 1) {
		fputs("}\n", w->out);
		w->depth = 0;
	}
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	sep(w, key);
	fputc('"', w->out);
	json_escape(w->out, val, n);
	fputc('"', w->out);
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	if (!val) {
		jw_null(w, key);
		return;
	}
	jw_strn(w, key, val, strlen(val));
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	char t[20];
	size_t k = sizeof t;
	sep(w, key);
	do {	/* "%llu" without fprintf: every record has several numbers */
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite(t + k, 1, sizeof t - k, w->out);
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	sep(w, key);
	fprintf(w->out, "%lld", (long long)v);
}

void jw_double(struct jw *w, const char *key, double v, int decimals)
{
	sep(w, key);
	if (!isfinite(v))
		fputs("null", w->out);
	else
		fprintf(w->out, "%.*f", decimals, v);
}

void jw_bool(struct jw *w, const char *key, int v)
{
	sep(w, key);
	fputs(v ? "true" : "false", w->out);
}

void jw_null(struct jw *w, const char *key)
{
	sep(w, key);
	fputs("null", w->out);
}

void jw_obj(struct jw *w, const char *key)
{
	sep(w, key);
	push(w, '{');
}

void jw_arr(struct jw *w, const char *key)
{
	sep(w, key);
	push(w, '[');
}

void jw_close(struct jw *w)
{
	if (w->depth <= 1)
		return;
	w->depth--;
	fputc(w->closer[w->depth], w->out);
}
