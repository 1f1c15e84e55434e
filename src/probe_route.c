/* \summary: which source address and interface the kernel uses towards a target
 *
 * A connected UDP socket makes the kernel do the route lookup (no packet is
 * sent); getsockname() gives the source address, getifaddrs() the interface
 * that carries it.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_int.h"

int probe_route(const struct addr *dst, struct addr *src, char *ifname, size_t ifcap, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (dst->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(9);
		memcpy(&s4->sin_addr, dst->a, 4);
		sl = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(9);
		memcpy(&s6->sin6_addr, dst->a, 16);
		sl = sizeof *s6;
	}
	char ab[ADDR_STRLEN];
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(err, errlen, "no route to %s: %s", addr_str(dst, ab, sizeof ab), strerror(errno));
		close(fd);
		return -2;
	}
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (me.ss_family == AF_INET)
		addr_set4(src, (const uint8_t *)&((struct sockaddr_in *)&me)->sin_addr);
	else
		addr_set6(src, (const uint8_t *)&((struct sockaddr_in6 *)&me)->sin6_addr);

	/* a local address is routed through the loopback interface */
	if (addr_eq(src, dst)) {
		snprintf(ifname, ifcap, "lo");
		return 0;
	}
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	int found = 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_name)
			continue;
		struct addr a;
		if (i->ifa_addr->sa_family == AF_INET && src->family == 4)
			addr_set4(&a, (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6 && src->family == 6)
			addr_set6(&a, (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		else
			continue;
		if (addr_eq(&a, src)) {
			snprintf(ifname, ifcap, "%s", i->ifa_name);
			found = 1;
		}
	}
	freeifaddrs(ifa);
	if (!found) {
		char db[ADDR_STRLEN];
		snprintf(err, errlen, "no interface carries %s (the source address towards %s)",
			 addr_str(src, ab, sizeof ab), addr_str(dst, db, sizeof db));
		return -1;
	}
	return 0;
}
