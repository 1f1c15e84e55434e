/* \summary: small shared helpers */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rw_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rpcwatch%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void rw_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rpcwatch%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'rpcwatch%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
	exit(RW_EXIT_USAGE);
}

void rw_bad_option(const char *cmd, char **argv, int opt)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	if (opt == ':')
		rw_usage_error(cmd, "option '%s' needs a value", arg);
	if (optopt && (arg[0] != '-' || arg[1] != '-'))
		rw_usage_error(cmd, "unknown option '-%c'", optopt);
	rw_usage_error(cmd, "unknown option '%s'", arg);
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Without gmtime_r and snprintf: analyze stamps every event and flow line.
 * Civil date from days since 1970 (H. Hinnant's civil_from_days); years
 * 0..9999 as %04d would print them, later ones fall back to snprintf. */
char *fmt_rfc3339(uint64_t ts_us, char *buf, size_t n)
{
	uint64_t secs = ts_us / 1000000u;
	unsigned us = (unsigned)(ts_us % 1000000u);
	if (n == 0)
		return buf;
	int64_t z = (int64_t)(secs / 86400u) + 719468;
	unsigned sod = (unsigned)(secs % 86400u);
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y > 9999) {
		time_t t = (time_t)secs;
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			snprintf(buf, n, "1970-01-01T00:00:00.000000Z");
		else
			snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
		return buf;
	}
	char t[RFC3339_LEN], *p = t;
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = put_digits(p, us, 6);
	*p++ = 'Z';
	size_t len = (size_t)(p - t);
	if (len >= n)
		len = n - 1;
	memcpy(buf, t, len);
	buf[len] = 0;
	return buf;
}

char *join_args(int argc, char **argv)
{
	if (argc <= 0)
		return NULL;
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = xcalloc(1, len);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) {
		fprintf(stderr, "rpcwatch: out of memory (%zu x %zu bytes)\n", n, sz);
		abort();
	}
	return p;
}
