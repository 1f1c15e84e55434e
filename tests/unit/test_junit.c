/* \summary: unit tests for the JUnit XML writer (src/junit.c); python3 xml.etree is the oracle */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "junit.h"

static char *esc(const char *s, size_t n, int attr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	junit_escape(f, s, n, attr);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check_esc(const char *in, size_t n, int attr, const char *want)
{
	char *got = esc(in, n, attr);
	if (strcmp(got, want) != 0) {
		char g[512];
		snprintf(g, sizeof g, "%s", got);
		free(got);
		fail_msg("escape(attr=%d): got \"%s\", want \"%s\"", attr, g, want);
	}
	free(got);
}

#define ESC(lit, attr, want) check_esc((lit), sizeof(lit) - 1, (attr), (want))
#define FFFD "\xef\xbf\xbd"

static void test_escape(void **state)
{
	(void)state;
	ESC("plain text 135/tcp", 0, "plain text 135/tcp");
	ESC("<a href=\"x\">&amp;</a> 'q'", 0, "&lt;a href=\"x\"&gt;&amp;amp;&lt;/a&gt; 'q'");
	ESC("<a href=\"x\">&amp;</a> 'q'", 1, "&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt; &apos;q&apos;");
	ESC("]]>", 0, "]]&gt;");
	ESC("a\tb\nc\rd", 0, "a\tb\nc&#13;d");
	ESC("a\tb\nc\rd", 1, "a&#9;b&#10;c&#13;d");
	/* C0 controls, NUL and DEL */
	ESC("\x01\x08\x0b\x0c\x1f", 0, FFFD FFFD FFFD FFFD FFFD);
	ESC("a\0b", 1, "a" FFFD "b");
	ESC("\x7f", 0, "\x7f");	/* allowed in XML 1.0 */
	/* valid UTF-8 passes: 2, 3 and 4 bytes */
	ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
	/* invalid: lone continuation, truncated, overlong, surrogates, > U+10FFFF, 0xfe/0xff */
	ESC("\x80", 0, FFFD);
	ESC("\xc3", 0, FFFD);
	ESC("\xe2\x82", 0, FFFD FFFD);
	ESC("\xc0\xaf", 0, FFFD FFFD);
	ESC("\xe0\x80\xaf", 0, FFFD FFFD FFFD);
	ESC("\xed\xa0\x80", 0, FFFD FFFD FFFD);
	ESC("\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD);
	ESC("\xfe\xff", 0, FFFD FFFD);
	/* noncharacters XML forbids */
	ESC("\xef\xbf\xbe\xef\xbf\xbf", 0, FFFD FFFD);
	/* U+FFFD itself and the last allowed */
	ESC(FFFD "\xf4\x8f\xbf\xbf", 0, FFFD "\xf4\x8f\xbf\xbf");
}

/* Run python3 over an XML document: it must parse; `check` is a python expression over `r` (root). */
static void py_check(const char *doc, size_t len, const char *check)
{
	char path[] = "/tmp/rw-junit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, len), (ssize_t)len);
	close(fd);
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import sys, xml.etree.ElementTree as ET\n"
		 "r = ET.parse(sys.argv[1]).getroot()\n"
		 "ok = %s\n"
		 "sys.exit(0 if ok else 3)' %s",
		 check, path);
	int rc = system(cmd);
	unlink(path);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
		fail_msg("python3 rejected the document (exit %d) or check failed: %s\n%.*s",
			 WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, check, (int)(len > 3000 ? 3000 : len), doc);
}

static int have_python(void)
{
	return system("python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1") == 0;
}

/* every byte value, in every place a string goes */
static void test_hostile_document(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	char all[257];
	for (int i = 0; i < 256; i++)
		all[i] = (char)(i == 0 ? 1 : i);
	all[256] = '\0';
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct junit j;
	struct junit_counts c = { .tests = 3, .failures = 1, .errors = 1, .skipped = 0, .time_s = 1.5 };
	junit_begin(&j, f, all, &c);
	struct junit_prop props[] = { { all, all }, { "profile", "x\"y'z<&>" } };
	junit_suite_begin(&j, all, &c, 1700000000, all, props, 2);
	struct junit_case tc = { .name = all, .classname = all, .time_s = 0.25, .status = JU_FAIL,
				 .message = all, .type = all, .text = all, .system_out = all };
	junit_case(&j, &tc);
	tc.status = JU_ERROR;
	tc.text = "]]><![CDATA[ x ]]>";
	junit_case(&j, &tc);
	struct junit_case ok = { .name = "tcp/135 expect open", .classname = "rpcwatch.check.t.server" };
	junit_case(&j, &ok);
	junit_suite_end(&j);
	assert_int_equal(junit_end(&j), 0);
	fclose(f);
	/* attribute values survive with their TAB/LF/CR */
	py_check(buf, len,
		 "r.tag == \"testsuites\" and r.get(\"tests\") == \"3\" and r.get(\"failures\") == \"1\" and "
		 "len(r) == 1 and r[0].get(\"timestamp\") == \"2023-11-14T22:13:20\" and "
		 "\"\\t\\n\" in r[0].get(\"name\") and \"\\r\" in r[0].get(\"name\") and \"<=>\" in r[0].get(\"name\") and "
		 "len(r[0].findall(\"testcase\")) == 3 and "
		 "r[0].findall(\"testcase\")[0].find(\"failure\").get(\"message\") == r[0].get(\"name\") and "
		 "\"\\r\" in r[0].findall(\"testcase\")[0].find(\"failure\").text and "
		 "r[0].findall(\"testcase\")[1].find(\"error\").text == \"]]><![CDATA[ x ]]>\" and "
		 "r[0].findall(\"testcase\")[2].find(\"failure\") is None and "
		 "r[0].find(\"properties\")[1].get(\"value\") == \"x\\\"y\\x27z<&>\"");
	free(buf);
}

/* a typical document: counts per suite, skipped, and no element when passing */
static void test_structure(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct junit j;
	struct junit_counts all = { .tests = 4, .failures = 1, .errors = 0, .skipped = 1 };
	junit_begin(&j, f, "rpcwatch check", &all);
	for (int s = 0; s < 2; s++) {
		struct junit_counts c = { .tests = 2, .failures = s == 0, .skipped = s == 1 };
		junit_suite_begin(&j, s ? "b" : "a", &c, 0, NULL, NULL, 0);
		struct junit_case p = { .name = "pass", .classname = "k" };
		junit_case(&j, &p);
		struct junit_case x = { .name = "x", .classname = "k", .status = s ? JU_SKIP : JU_FAIL,
					.message = "FAIL tcp/45001: expected open, got filtered", .type = "filtered" };
		junit_case(&j, &x);
		junit_suite_end(&j);
	}
	assert_int_equal(junit_end(&j), 0);
	fclose(f);
	assert_null(strstr(buf, "timestamp="));
	assert_null(strstr(buf, "hostname="));
	py_check(buf, len,
		 "[s.get(\"name\") for s in r] == [\"a\", \"b\"] and "
		 "sum(len(s.findall(\"testcase/failure\")) for s in r) == int(r.get(\"failures\")) and "
		 "sum(len(s.findall(\"testcase/skipped\")) for s in r) == int(r.get(\"skipped\")) and "
		 "r[0].find(\"testcase/failure\").get(\"type\") == \"filtered\" and "
		 "r[0].find(\"testcase/failure\").text is None and r[1].find(\"properties\") is None");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_hostile_document),
		cmocka_unit_test(test_structure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
