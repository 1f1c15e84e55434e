/* \summary: IPv4/IPv6 address value type and formatting */
#include "config.h"
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void addr_set4(struct addr *x, const uint8_t v4[4])
{
	memset(x, 0, sizeof *x);
	x->family = 4;
	memcpy(x->a, v4, 4);
}

void addr_set6(struct addr *x, const uint8_t v6[16])
{
	memset(x, 0, sizeof *x);
	x->family = 6;
	memcpy(x->a, v6, 16);
}

int addr_cmp(const struct addr *x, const struct addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, x->family == 4 ? 4 : 16);
}

int addr_eq(const struct addr *x, const struct addr *y) { return addr_cmp(x, y) == 0; }

/* Decimal digits of v at p; returns the end.  (snprintf costs more than the
 * rest of a packet's decoding; analyze prints addresses for every event.) */
static char *put_dec(char *p, unsigned v)
{
	if (v < 1000) {	/* octets and most ports */
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		return p;
	}
	char t[10];
	int k = 0;
	do {
		t[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		*p++ = t[--k];
	return p;
}

/* Copy the NUL-terminated s into buf of size n, truncating like snprintf. */
static void put_trunc(char *buf, size_t n, const char *s, size_t len)
{
	if (len >= n)
		len = n - 1;
	memmove(buf, s, len);
	buf[len] = 0;
}

char *addr_str(const struct addr *x, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	if (x->family == 4) {
		char t[16], *e = t;
		for (int i = 0; i < 4; i++) {
			if (i)
				*e++ = '.';
			e = put_dec(e, x->a[i]);
		}
		put_trunc(buf, n, t, (size_t)(e - t));
	} else if (x->family == 6) {
		if (!inet_ntop(AF_INET6, x->a, buf, (socklen_t)n))
			snprintf(buf, n, "?");
	} else {
		snprintf(buf, n, "-");
	}
	return buf;
}

char *addr_port_str(const struct addr *x, uint16_t port, char *buf, size_t n)
{
	char t[ADDR_STRLEN + 8], *e = t;
	if (n == 0)
		return buf;
	if (x->family == 6)
		*e++ = '[';
	addr_str(x, e, ADDR_STRLEN);
	e += strlen(e);
	if (x->family == 6)
		*e++ = ']';
	*e++ = ':';
	e = put_dec(e, port);
	put_trunc(buf, n, t, (size_t)(e - t));
	return buf;
}

int addr_parse(struct addr *x, const char *s)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1) {
		addr_set4(x, b);
		return 1;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		addr_set6(x, b);
		return 1;
	}
	return 0;
}
