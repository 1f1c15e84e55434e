/* \summary: JSON Lines writer that always emits valid JSON
 *
 * One record per line.  Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 are replaced by U+FFFD, so packet contents can never break
 * the output.  Nesting is tracked in a fixed stack (JW_MAX_DEPTH); deeper
 * nesting is a programming error and aborts.
 *
 * Ownership: struct jw borrows `out`; it never closes it.
 */
#ifndef RPCWATCH_JSON_H
#define RPCWATCH_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

#define JW_MAX_DEPTH 8

struct jw {
	FILE *out;
	int depth;
	uint8_t need_comma[JW_MAX_DEPTH];
	char closer[JW_MAX_DEPTH];	/* '}' or ']' per open level */
};

void jw_init(struct jw *w, FILE *out);
/* Begin a record: "{" ; jw_end() closes it and writes "\n". */
void jw_begin(struct jw *w);
void jw_end(struct jw *w);

/* Members of the current object (key may be NULL inside arrays). */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_double(struct jw *w, const char *key, double v, int decimals);
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
void jw_obj(struct jw *w, const char *key);	/* open nested object */
void jw_arr(struct jw *w, const char *key);	/* open nested array */
void jw_close(struct jw *w);			/* close nested object/array */

/* Escape n bytes as a JSON string body (no quotes) into f. */
void json_escape(FILE *f, const char *s, size_t n);

#endif
