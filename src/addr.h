/* \summary: IPv4/IPv6 address value type and formatting */
#ifndef RPCWATCH_ADDR_H
#define RPCWATCH_ADDR_H

#include <stdint.h>
#include <stddef.h>

/* An IP address by value; family is 4 or 6 (0 = none). IPv4 uses a[0..3]. */
struct addr {
	uint8_t family;
	uint8_t a[16];
};

#define ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

void addr_set4(struct addr *x, const uint8_t v4[4]);
void addr_set6(struct addr *x, const uint8_t v6[16]);
int addr_cmp(const struct addr *x, const struct addr *y);
int addr_eq(const struct addr *x, const struct addr *y);
/* Numeric text form into buf (>= ADDR_STRLEN bytes); returns buf. */
char *addr_str(const struct addr *x, char *buf, size_t n);
/* "ip:port", IPv6 as "[ip]:port"; buf >= ADDR_STRLEN + 8. */
char *addr_port_str(const struct addr *x, uint16_t port, char *buf, size_t n);
/* Parse numeric IPv4/IPv6 text; 1 on success. */
int addr_parse(struct addr *x, const char *s);

#endif
