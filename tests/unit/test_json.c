/* \summary: unit tests for the JSON Lines writer (src/json.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"

/* ---- capture output in memory --------------------------------------------------------------- */

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

/* Close the stream; the text stays in m->buf (caller frees). */
static const char *mem_close(struct mem *m)
{
	assert_int_equal(fclose(m->f), 0);
	m->f = NULL;
	return m->buf;
}

/* json_escape(s, n) as a string (caller frees). */
static char *esc(const char *s, size_t n)
{
	struct mem m;
	mem_open(&m);
	json_escape(m.f, s, n);
	mem_close(&m);
	return m.buf;
}

static void check_esc(const char *in, size_t n, const char *want)
{
	char *got = esc(in, n);
	if (strcmp(got, want) != 0) {
		char g[512];
		snprintf(g, sizeof g, "%s", got);
		free(got);
		fail_msg("escape: got \"%s\", want \"%s\"", g, want);
	}
	free(got);
}

#define CHECK_ESC(lit, want) check_esc((lit), sizeof(lit) - 1, (want))

/* Run python3 over the JSON Lines in `text`: each line must parse as an
 * object; `pycheck` (may be NULL) is an extra expression over `objs`. */
static void python_validate(const char *text, const char *pycheck)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import json,sys\n"
		 "data = sys.stdin.buffer.read()\n"
		 "lines = data.split(b\"\\n\")\n"
		 "assert lines[-1] == b\"\", \"missing final newline\"\n"
		 "objs = [json.loads(l.decode(\"utf-8\")) for l in lines[:-1]]\n"
		 "assert all(isinstance(o, dict) for o in objs)\n"
		 "assert %s, \"check failed\"\n'",
		 pycheck ? pycheck : "True");
	FILE *p = popen(cmd, "w");
	if (!p) {
		skip();
		return;
	}
	fputs(text, p);
	int rc = pclose(p);
	if (rc == -1 || !WIFEXITED(rc))
		fail_msg("python3 did not run");
	if (WEXITSTATUS(rc) == 127)
		skip();	/* no python3 */
	if (WEXITSTATUS(rc) != 0)
		fail_msg("python3 rejected the output (exit %d): %s", WEXITSTATUS(rc), text);
}

/* ---- json_escape ------------------------------------------------------------------------------ */

static void test_escape_plain(void **state)
{
	(void)state;
	CHECK_ESC("", "");
	CHECK_ESC("abc 123 /:{}[],", "abc 123 /:{}[],");
	CHECK_ESC("~", "~");
}

static void test_escape_quote_backslash(void **state)
{
	(void)state;
	CHECK_ESC("\"", "\\\"");
	CHECK_ESC("\\", "\\\\");
	CHECK_ESC("a\"b\\c", "a\\\"b\\\\c");
	CHECK_ESC("\\\"\\\"", "\\\\\\\"\\\\\\\"");
	CHECK_ESC("C:\\Windows\\System32", "C:\\\\Windows\\\\System32");
}

static void test_escape_control(void **state)
{
	(void)state;
	CHECK_ESC("\n", "\\n");
	CHECK_ESC("\r", "\\r");
	CHECK_ESC("\t", "\\t");
	CHECK_ESC("\b", "\\u0008");
	CHECK_ESC("\f", "\\u000c");
	CHECK_ESC("\x01", "\\u0001");
	CHECK_ESC("\x1b[0m", "\\u001b[0m");
	CHECK_ESC("\x1f", "\\u001f");
	CHECK_ESC("\x7f", "\\u007f");	/* DEL */
	CHECK_ESC("a\x7f" "b", "a\\u007fb");
	CHECK_ESC(" ", " ");	/* 0x20 is printable */
	/* an embedded NUL counts when a length is given */
	check_esc("a\0b", 3, "a\\u0000b");
	check_esc("\0", 1, "\\u0000");
	/* n limits the input */
	check_esc("abcdef", 3, "abc");
}

static void test_escape_utf8_valid(void **state)
{
	(void)state;
	CHECK_ESC("\xc2\x80", "\xc2\x80");			/* U+0080, smallest 2-byte */
	CHECK_ESC("caf\xc3\xa9", "caf\xc3\xa9");		/* é */
	CHECK_ESC("\xdf\xbf", "\xdf\xbf");			/* U+07FF */
	CHECK_ESC("\xe0\xa0\x80", "\xe0\xa0\x80");		/* U+0800, smallest 3-byte */
	CHECK_ESC("\xe2\x82\xac", "\xe2\x82\xac");		/* € */
	CHECK_ESC("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF, just below the surrogates */
	CHECK_ESC("\xee\x80\x80", "\xee\x80\x80");		/* U+E000, just above */
	CHECK_ESC("\xef\xbf\xbf", "\xef\xbf\xbf");		/* U+FFFF */
	CHECK_ESC("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");	/* U+10000, smallest 4-byte */
	CHECK_ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* 😀 */
	CHECK_ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF, the last code point */
	CHECK_ESC("\xe6\x97\xa5\xe6\x9c\xac\"\xd0\x96", "\xe6\x97\xa5\xe6\x9c\xac\\\"\xd0\x96");
}

static void test_escape_utf8_invalid(void **state)
{
	(void)state;
#define FFFD "\\ufffd"
	CHECK_ESC("\x80", FFFD);				/* lone continuation */
	CHECK_ESC("\xbf", FFFD);
	CHECK_ESC("a\x80" "b", "a" FFFD "b");
	CHECK_ESC("\x80\x80\x80", FFFD FFFD FFFD);
	CHECK_ESC("\xc0\xaf", FFFD FFFD);			/* overlong '/' */
	CHECK_ESC("\xc1\xbf", FFFD FFFD);			/* overlong */
	CHECK_ESC("\xe0\x80\xaf", FFFD FFFD FFFD);		/* overlong 3-byte */
	CHECK_ESC("\xe0\x9f\xbf", FFFD FFFD FFFD);		/* overlong U+07FF */
	CHECK_ESC("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);	/* overlong 4-byte */
	CHECK_ESC("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);	/* overlong U+FFFF */
	CHECK_ESC("\xed\xa0\x80", FFFD FFFD FFFD);		/* U+D800 surrogate */
	CHECK_ESC("\xed\xbf\xbf", FFFD FFFD FFFD);		/* U+DFFF surrogate */
	CHECK_ESC("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);	/* CESU-8 pair */
	CHECK_ESC("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);	/* U+110000 */
	CHECK_ESC("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_ESC("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	CHECK_ESC("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);	/* 5-byte form */
	CHECK_ESC("\xfe\xff", FFFD FFFD);
	CHECK_ESC("\xc3", FFFD);				/* truncated at the end */
	CHECK_ESC("\xe2\x82", FFFD FFFD);
	CHECK_ESC("\xf0\x9f\x98", FFFD FFFD FFFD);
	CHECK_ESC("\xe2\x82" "A", FFFD FFFD "A");		/* truncated by an ASCII byte */
	CHECK_ESC("\xc3\"", FFFD "\\\"");			/* ... by a quote, which is still escaped */
	CHECK_ESC("\xc3\n", FFFD "\\n");
	CHECK_ESC("\xe2\xc3\xa9", FFFD "\xc3\xa9");		/* a valid sequence right after */
	/* the length limit cuts a valid sequence: invalid */
	check_esc("\xe2\x82\xac", 2, FFFD FFFD);
	check_esc("\xc3\xa9", 1, FFFD);
#undef FFFD
}

/* Every single byte value, and every byte pair, yields valid JSON. */
static void test_escape_all_bytes_valid_json(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	for (int c = 0; c < 256; c++) {
		char s[1] = {(char)c};
		jw_begin(&w);
		jw_u64(&w, "c", (uint64_t)c);
		jw_strn(&w, "s", s, 1);
		jw_end(&w);
	}
	/* pseudo-random binary strings */
	uint32_t x = 0x12345678u;
	for (int i = 0; i < 300; i++) {
		char s[40];
		size_t n = (size_t)(i % 40);
		for (size_t k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			s[k] = (char)(x >> 16);
		}
		jw_begin(&w);
		jw_strn(&w, "bin", s, n);
		char key[6];
		for (size_t k = 0; k < 5; k++) {
			x = x * 1103515245u + 12345u;
			key[k] = (char)((x >> 16) | 1);	/* never NUL */
		}
		key[5] = '\0';
		jw_strn(&w, key, s, n < 5 ? n : 5);	/* random bytes in a key too */
		jw_end(&w);
	}
	const char *out = mem_close(&m);
	python_validate(out, "len(objs) == 556 and objs[34][\"s\"] == chr(34) and objs[92][\"s\"] == chr(92)"
			     " and objs[0][\"s\"] == chr(0) and objs[127][\"s\"] == chr(127)"
			     " and all(objs[c][\"s\"] == chr(0xfffd) for c in range(128, 256))");
	free(m.buf);
}

/* ---- the writer ----------------------------------------------------------------------------------- */

static void test_jw_scalars(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	jw_begin(&w);
	jw_str(&w, "s", "x");
	jw_u64(&w, "u", 18446744073709551615ull);
	jw_i64(&w, "i", -42);
	jw_i64(&w, "min", INT64_MIN);
	jw_u64(&w, "zero", 0);
	jw_double(&w, "d", 1.5, 3);
	jw_double(&w, "d0", 2.5, 0);
	jw_double(&w, "neg", -0.25, 2);
	jw_double(&w, "nan", NAN, 3);
	jw_double(&w, "inf", INFINITY, 3);
	jw_double(&w, "ninf", -INFINITY, 1);
	jw_bool(&w, "t", 1);
	jw_bool(&w, "f", 0);
	jw_bool(&w, "t2", 42);
	jw_null(&w, "n");
	jw_str(&w, "nullstr", NULL);
	jw_strn(&w, "part", "abcdef", 2);
	jw_end(&w);
	const char *out = mem_close(&m);
	assert_string_equal(out, "{\"s\":\"x\",\"u\":18446744073709551615,\"i\":-42,\"min\":-9223372036854775808,"
				 "\"zero\":0,\"d\":1.500,\"d0\":2,\"neg\":-0.25,\"nan\":null,\"inf\":null,"
				 "\"ninf\":null,\"t\":true,\"f\":false,\"t2\":true,\"n\":null,\"nullstr\":null,"
				 "\"part\":\"ab\"}\n");
	python_validate(out, "objs[0][\"u\"] == 2**64-1 and objs[0][\"min\"] == -2**63 and objs[0][\"nan\"] is None");
	free(m.buf);
}

static void test_jw_empty_record_and_lines(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	jw_begin(&w);
	jw_end(&w);
	jw_begin(&w);
	jw_u64(&w, "a", 1);
	jw_end(&w);
	jw_begin(&w);
	jw_u64(&w, "a", 2);
	jw_u64(&w, "b", 3);
	jw_end(&w);
	const char *out = mem_close(&m);
	assert_string_equal(out, "{}\n{\"a\":1}\n{\"a\":2,\"b\":3}\n");
	python_validate(out, "objs == [{}, {\"a\": 1}, {\"a\": 2, \"b\": 3}]");
	free(m.buf);
}

static void test_jw_nesting_commas(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	jw_begin(&w);
	jw_u64(&w, "a", 1);
	jw_obj(&w, "o");
	jw_u64(&w, "x", 1);
	jw_arr(&w, "y");
	jw_u64(&w, NULL, 1);
	jw_str(&w, NULL, "two");
	jw_obj(&w, NULL);
	jw_null(&w, "z");
	jw_close(&w);
	jw_arr(&w, NULL);
	jw_close(&w);
	jw_obj(&w, NULL);
	jw_close(&w);
	jw_close(&w);	/* y */
	jw_bool(&w, "after", 0);
	jw_close(&w);	/* o */
	jw_obj(&w, "e");
	jw_close(&w);
	jw_arr(&w, "f");
	jw_close(&w);
	jw_bool(&w, "b", 1);
	jw_end(&w);
	const char *out = mem_close(&m);
	assert_string_equal(out, "{\"a\":1,\"o\":{\"x\":1,\"y\":[1,\"two\",{\"z\":null},[],{}],\"after\":false},"
				 "\"e\":{},\"f\":[],\"b\":true}\n");
	python_validate(out, "objs[0][\"o\"][\"y\"][2] == {\"z\": None}");
	free(m.buf);
}

static void test_jw_end_closes_open_levels(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	jw_begin(&w);
	jw_obj(&w, "o");
	jw_arr(&w, "a");
	jw_str(&w, NULL, "s");
	jw_obj(&w, NULL);
	jw_end(&w);	/* closes }, ], } and the record */
	/* the writer is reusable afterwards */
	jw_begin(&w);
	jw_arr(&w, "x");
	jw_end(&w);
	/* jw_close at the top level does not close the record */
	jw_begin(&w);
	jw_close(&w);
	jw_close(&w);
	jw_u64(&w, "k", 5);
	jw_end(&w);
	/* jw_end twice writes nothing the second time */
	jw_end(&w);
	const char *out = mem_close(&m);
	assert_string_equal(out, "{\"o\":{\"a\":[\"s\",{}]}}\n{\"x\":[]}\n{\"k\":5}\n");
	python_validate(out, NULL);
	free(m.buf);
}

static void test_jw_depth(void **state)
{
	(void)state;
	struct mem m;
	struct jw w;
	mem_open(&m);
	jw_init(&w, m.f);
	jw_begin(&w);
	/* the record is level 1; open levels 2..JW_MAX_DEPTH alternating array / object */
	for (int i = 1; i < JW_MAX_DEPTH; i++) {
		char key[3] = {'k', (char)('0' + i), '\0'};
		if (i % 2)
			jw_arr(&w, key);	/* inside an object: keyed */
		else
			jw_obj(&w, NULL);	/* inside an array */
	}
	jw_u64(&w, NULL, 0);
	jw_end(&w);
	const char *out = mem_close(&m);
	assert_string_equal(out, "{\"k1\":[{\"k3\":[{\"k5\":[{\"k7\":[0]}]}]}]}\n");
	python_validate(out, "objs[0][\"k1\"][0][\"k3\"][0][\"k5\"][0][\"k7\"] == [0]");
	free(m.buf);
}

/* Nesting deeper than JW_MAX_DEPTH is a programming error: abort(). */
static void test_jw_too_deep_aborts(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *f = fopen("/dev/null", "w");
		if (!f)
			_exit(3);
		struct jw w;
		jw_init(&w, f);
		jw_begin(&w);
		for (int i = 1; i < JW_MAX_DEPTH; i++)
			jw_arr(&w, NULL);
		jw_arr(&w, NULL);	/* one too many */
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_quote_backslash),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_utf8_valid),
		cmocka_unit_test(test_escape_utf8_invalid),
		cmocka_unit_test(test_escape_all_bytes_valid_json),
		cmocka_unit_test(test_jw_scalars),
		cmocka_unit_test(test_jw_empty_record_and_lines),
		cmocka_unit_test(test_jw_nesting_commas),
		cmocka_unit_test(test_jw_end_closes_open_levels),
		cmocka_unit_test(test_jw_depth),
		cmocka_unit_test(test_jw_too_deep_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
