/* \summary: DCE UUIDs in canonical byte order (see uuid.h) */
#include "config.h"
#include "uuid.h"

#include <stdio.h>
#include <string.h>

void uuid_from_wire(const uint8_t *p, int le, struct rpc_uuid *u)
{
	if (le) {
		u->b[0] = p[3]; u->b[1] = p[2]; u->b[2] = p[1]; u->b[3] = p[0];
		u->b[4] = p[5]; u->b[5] = p[4];
		u->b[6] = p[7]; u->b[7] = p[6];
	} else {
		memcpy(u->b, p, 8);
	}
	memcpy(u->b + 8, p + 8, 8);
}

void uuid_read(struct cur *c, int le, struct rpc_uuid *u)
{
	const uint8_t *p = cur_take(c, 16);
	if (!p) {
		memset(u, 0, sizeof *u);
		return;
	}
	uuid_from_wire(p, le, u);
}

char *uuid_str(const struct rpc_uuid *u, char *buf, size_t n)
{
	const uint8_t *b = u->b;
	snprintf(buf, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return buf;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int uuid_parse(struct rpc_uuid *u, const char *s)
{
	if (strlen(s) != 36)
		return 0;
	int j = 0;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
			i++;
			continue;
		}
		int h = hexval(s[i]), l = hexval(s[i + 1]);
		if (h < 0 || l < 0)
			return 0;
		u->b[j++] = (uint8_t)(h << 4 | l);
		i += 2;
	}
	return j == 16;
}

int uuid_eq(const struct rpc_uuid *a, const struct rpc_uuid *b) { return memcmp(a->b, b->b, 16) == 0; }

int uuid_is_nil(const struct rpc_uuid *u)
{
	static const struct rpc_uuid nil;
	return uuid_eq(u, &nil);
}
