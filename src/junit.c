/* \summary: JUnit XML writer (well-formed whatever the bytes) */
#include "config.h"
#include "junit.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point, or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

void junit_escape(FILE *f, const char *str, size_t n, int attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);
		if (len == 0) {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			i++;
			continue;
		}
		switch (cp) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\'': fputs(attr ? "&apos;" : "'", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\r': fputs("&#13;", f); break;	/* a raw CR would be normalised away */
		default:
			if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
				fputs("\xef\xbf\xbd", f);
			else
				fwrite(s + i, 1, len, f);
		}
		i += len;
	}
}

static void attr(FILE *f, const char *name, const char *val)
{
	if (!val)
		return;
	fprintf(f, " %s=\"", name);
	junit_escape(f, val, strlen(val), 1);
	fputc('"', f);
}

static void counts(FILE *f, const struct junit_counts *c)
{
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"", c->tests,
		c->failures, c->errors, c->skipped, c->time_s >= 0 ? c->time_s : 0.0);
}

void junit_begin(struct junit *j, FILE *out, const char *name, const struct junit_counts *c)
{
	j->out = out;
	j->level = 1;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
	attr(out, "name", name);
	counts(out, c);
	fputs(">\n", out);
}

void junit_suite_begin(struct junit *j, const char *name, const struct junit_counts *c, long long timestamp,
		       const char *hostname, const struct junit_prop *props, size_t n_props)
{
	assert(j->level == 1);
	j->level = 2;
	FILE *f = j->out;
	fputs("  <testsuite", f);
	attr(f, "name", name ? name : "");
	counts(f, c);
	if (timestamp > 0) {
		time_t t = (time_t)timestamp;
		struct tm tm;
		char ts[32];
		if (gmtime_r(&t, &tm) && strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm))
			attr(f, "timestamp", ts);
	}
	attr(f, "hostname", hostname);
	fputs(">\n", f);
	if (n_props) {
		fputs("    <properties>\n", f);
		for (size_t i = 0; i < n_props; i++) {
			fputs("      <property", f);
			attr(f, "name", props[i].name ? props[i].name : "");
			attr(f, "value", props[i].value ? props[i].value : "");
			fputs("/>\n", f);
		}
		fputs("    </properties>\n", f);
	}
}

void junit_case(struct junit *j, const struct junit_case *tc)
{
	assert(j->level == 2);
	FILE *f = j->out;
	fputs("    <testcase", f);
	attr(f, "name", tc->name ? tc->name : "");
	attr(f, "classname", tc->classname ? tc->classname : "");
	fprintf(f, " time=\"%.6f\"", tc->time_s >= 0 ? tc->time_s : 0.0);
	if (tc->status == JU_PASS && !tc->system_out) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	if (tc->status == JU_FAIL || tc->status == JU_ERROR) {
		const char *el = tc->status == JU_FAIL ? "failure" : "error";
		fprintf(f, "      <%s", el);
		attr(f, "message", tc->message);
		attr(f, "type", tc->type);
		if (tc->text && *tc->text) {
			fputc('>', f);
			junit_escape(f, tc->text, strlen(tc->text), 0);
			fprintf(f, "</%s>\n", el);
		} else {
			fputs("/>\n", f);
		}
	} else if (tc->status == JU_SKIP) {
		fputs("      <skipped", f);
		attr(f, "message", tc->message);
		fputs("/>\n", f);
	}
	if (tc->system_out) {
		fputs("      <system-out>", f);
		junit_escape(f, tc->system_out, strlen(tc->system_out), 0);
		fputs("</system-out>\n", f);
	}
	fputs("    </testcase>\n", f);
}

void junit_suite_end(struct junit *j)
{
	assert(j->level == 2);
	j->level = 1;
	fputs("  </testsuite>\n", j->out);
}

int junit_end(struct junit *j)
{
	assert(j->level == 1);
	j->level = 0;
	fputs("</testsuites>\n", j->out);
	return (fflush(j->out) != 0 || ferror(j->out)) ? -1 : 0;
}
