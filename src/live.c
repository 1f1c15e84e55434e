/* \summary: opening live capture devices, listing interfaces, dropping privileges */
#include "config.h"
#include "live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef HAVE_GRP_H
#include <grp.h>
#endif

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Path of the running binary for the setcap hint. */
static const char *self_path(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len <= 0)
		return "/path/to/rpcwatch";
	buf[len] = '\0';
	return buf;
}

/* "-i 2" -> name of the 2nd interface of pcap_findalldevs(), like tcpdump. */
static int resolve_iface(const char *iface, char *name, size_t n, char *err, size_t errlen)
{
	if (!all_digits(iface) || if_nametoindex(iface) != 0) {
		if (strlen(iface) >= n) {
			snprintf(err, errlen, "no such interface '%.64s...' (name too long)", iface);
			return -1;
		}
		snprintf(name, n, "%s", iface);
		return 0;
	}
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, ebuf) != 0) {
		snprintf(err, errlen, "cannot list interfaces to resolve interface number %s: %s",
			 iface, ebuf);
		return -1;
	}
	unsigned long want = strtoul(iface, NULL, 10);
	unsigned long i = 1;
	const pcap_if_t *d;
	for (d = all; d && i < want; d = d->next)
		i++;
	if (want == 0 || !d) {
		snprintf(err, errlen,
			 "no interface number %s (rpcwatch capture -D lists them)", iface);
		pcap_freealldevs(all);
		return -1;
	}
	snprintf(name, n, "%s", d->name);
	pcap_freealldevs(all);
	return 0;
}

static void activate_error(struct rw_live *lv, int rc, char *err, size_t errlen)
{
	const char *msg = pcap_geterr(lv->p);
	char exe[PATH_MAX];

	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "no such interface '%s' (rpcwatch capture -D lists them)",
			 lv->name);
		return;
	case PCAP_ERROR_PERM_DENIED:
	perm:
		snprintf(err, errlen,
			 "no permission to capture on %s: run as root, or grant the binary "
			 "capabilities: setcap cap_net_raw,cap_net_admin+eip %s",
			 lv->name, self_path(exe, sizeof exe));
		return;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, errlen,
			 "no permission to put %s into promiscuous mode: run as root, or "
			 "capture without it (-p)", lv->name);
		return;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "interface %s is down: bring it up first "
			 "(ip link set %s up)", lv->name, lv->name);
		return;
	case PCAP_ERROR_RFMON_NOTSUP:
		snprintf(err, errlen, "interface %s does not support monitor mode", lv->name);
		return;
#ifdef PCAP_ERROR_CAPTURE_NOTSUP
	case PCAP_ERROR_CAPTURE_NOTSUP:
		snprintf(err, errlen, "capturing on %s is not supported%s%s", lv->name,
			 msg && *msg ? ": " : "", msg ? msg : "");
		return;
#endif
	default:
		/* Some platforms report EPERM as a generic error. */
		if (msg && (strstr(msg, "Operation not permitted") ||
			    strstr(msg, "Permission denied")))
			goto perm;
		if (msg && strstr(msg, "No such device")) {
			activate_error(lv, PCAP_ERROR_NO_SUCH_DEVICE, err, errlen);
			return;
		}
		snprintf(err, errlen, "cannot capture on %s: %s", lv->name,
			 msg && *msg ? msg : pcap_statustostr(rc));
		return;
	}
}

int rw_live_open(const struct rw_live_opts *o, struct rw_live *lv, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";

	memset(lv, 0, sizeof *lv);
	if (!o->iface || !*o->iface) {
		snprintf(err, errlen, "no interface given (rpcwatch capture -D lists them)");
		return -1;
	}
	if (resolve_iface(o->iface, lv->name, sizeof lv->name, err, errlen) != 0)
		return -1;

	lv->p = pcap_create(lv->name, ebuf);
	if (!lv->p) {
		snprintf(err, errlen, "cannot capture on %s: %s", lv->name,
			 *ebuf ? ebuf : "pcap_create failed");
		return -1;
	}
	/* These only fail with PCAP_ERROR_ACTIVATED, impossible on a fresh handle. */
	(void)pcap_set_snaplen(lv->p, o->snaplen);
	(void)pcap_set_promisc(lv->p, o->promisc ? 1 : 0);
	(void)pcap_set_immediate_mode(lv->p, o->immediate ? 1 : 0);
	if (o->buffer_kib > 0)
		(void)pcap_set_buffer_size(lv->p, o->buffer_kib * 1024);
	(void)pcap_set_timeout(lv->p, o->timeout_ms);

	int rc = pcap_activate(lv->p);
	if (rc < 0) {
		activate_error(lv, rc, err, errlen);
		pcap_close(lv->p);
		lv->p = NULL;
		return -1;
	}
	if (rc > 0) {
		const char *msg = pcap_geterr(lv->p);
		switch (rc) {
		case PCAP_WARNING_PROMISC_NOTSUP:
			snprintf(lv->warning, sizeof lv->warning,
				 "warning: %s does not support promiscuous mode%s%s", lv->name,
				 msg && *msg ? ": " : "", msg ? msg : "");
			break;
		case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
			snprintf(lv->warning, sizeof lv->warning,
				 "warning: %s does not support the requested time stamp type",
				 lv->name);
			break;
		default:
			snprintf(lv->warning, sizeof lv->warning, "warning: %s: %s", lv->name,
				 msg && *msg ? msg : pcap_statustostr(rc));
			break;
		}
	}
	lv->linktype = pcap_datalink(lv->p);
	lv->snaplen = pcap_snapshot(lv->p);
	return 0;
}

int rw_live_set_filter(struct rw_live *lv, const char *expr, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	bpf_u_int32 net = 0, mask = 0;
	struct bpf_program prog;

	if (!expr || !*expr)
		return 0;
	if (pcap_lookupnet(lv->name, &net, &mask, ebuf) != 0)
		mask = PCAP_NETMASK_UNKNOWN;	/* no IPv4 address: only "ip broadcast" cares */
	if (pcap_compile(lv->p, &prog, expr, 1, mask) != 0) {
		snprintf(err, errlen, "bad filter expression '%s': %s", expr, pcap_geterr(lv->p));
		return -1;
	}
	int rc = pcap_setfilter(lv->p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install filter '%s' on %s: %s", expr, lv->name,
			 pcap_geterr(lv->p));
		return -1;
	}
	return 0;
}

int rw_live_pollable_fd(struct rw_live *lv, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	if (pcap_setnonblock(lv->p, 1, ebuf) != 0) {
		snprintf(err, errlen, "cannot make capture on %s non-blocking: %s", lv->name, ebuf);
		return -1;
	}
	int fd = pcap_get_selectable_fd(lv->p);
	if (fd < 0) {
		snprintf(err, errlen, "capture on %s has no pollable descriptor", lv->name);
		return -1;
	}
	return fd;
}

const char *rw_live_linktype_text(const struct rw_live *lv, char *buf, size_t n)
{
	const char *name = pcap_datalink_val_to_name(lv->linktype);
	const char *desc = pcap_datalink_val_to_description(lv->linktype);
	if (name)
		snprintf(buf, n, "link-type %s (%s)", name, desc ? desc : "unknown");
	else
		snprintf(buf, n, "link-type %d", lv->linktype);
	return buf;
}

void rw_live_close(struct rw_live *lv)
{
	if (lv->p)
		pcap_close(lv->p);
	lv->p = NULL;
}

/* ---- privileges --------------------------------------------------------- */

struct user_ids {
	char name[256];
	uid_t uid;
	gid_t gid;
};

static int lookup_user(const char *user, struct user_ids *u, char *err, size_t errlen)
{
	if (!user || !*user) {
		snprintf(err, errlen, "empty user name");
		return -1;
	}
	errno = 0;
	const struct passwd *pw = getpwnam(user);
	if (!pw) {
		if (errno && errno != ENOENT && errno != ESRCH && errno != EBADF && errno != EPERM)
			snprintf(err, errlen, "cannot look up user '%s': %s", user, strerror(errno));
		else
			snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	if (strlen(pw->pw_name) >= sizeof u->name) {
		snprintf(err, errlen, "user name '%.64s...' too long", user);
		return -1;
	}
	snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

int rw_user_exists(const char *user, char *err, size_t errlen)
{
	struct user_ids u;
	return lookup_user(user, &u, err, errlen);
}

int rw_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct user_ids u;
	if (lookup_user(user, &u, err, errlen) != 0)
		return -1;

	if (geteuid() != 0) {
		/* Without root only a no-op "switch" to ourselves can succeed. */
		if (getuid() == u.uid && geteuid() == u.uid)
			return 0;
		snprintf(err, errlen, "cannot switch to user '%s': only root can change user",
			 user);
		return -1;
	}
#if defined(HAVE_INITGROUPS)
	if (initgroups(u.name, u.gid) != 0) {
		snprintf(err, errlen, "cannot switch to user '%s': initgroups: %s", user,
			 strerror(errno));
		return -1;
	}
#elif defined(HAVE_SETGROUPS)
	if (setgroups(1, &u.gid) != 0) {
		snprintf(err, errlen, "cannot switch to user '%s': setgroups: %s", user,
			 strerror(errno));
		return -1;
	}
#endif
	if (setgid(u.gid) != 0) {
		snprintf(err, errlen, "cannot switch to user '%s': setgid(%lu): %s", user,
			 (unsigned long)u.gid, strerror(errno));
		return -1;
	}
	if (setuid(u.uid) != 0) {
		snprintf(err, errlen, "cannot switch to user '%s': setuid(%lu): %s", user,
			 (unsigned long)u.uid, strerror(errno));
		return -1;
	}
	if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid ||
	    getegid() != u.gid) {
		snprintf(err, errlen, "switching to user '%s' did not take effect", user);
		return -1;
	}
	if (u.uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "switching to user '%s' is reversible (root regained); "
			 "refusing to continue", user);
		return -1;
	}
	return 0;
}

/* ---- interface list ----------------------------------------------------- */

static int prefix_len(const struct sockaddr *mask)
{
	const unsigned char *b;
	size_t n;
	if (!mask)
		return -1;
	if (mask->sa_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
		n = 4;
	} else if (mask->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr.s6_addr;
		n = 16;
	} else {
		return -1;
	}
	int bits = 0;
	for (size_t i = 0; i < n; i++)
		for (int j = 7; j >= 0; j--)
			if (b[i] & (1u << j))
				bits++;
	return bits;
}

static void print_addr(FILE *out, const struct pcap_addr *a)
{
	char text[INET6_ADDRSTRLEN] = "";
	const struct sockaddr *sa = a->addr;
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		if (!inet_ntop(AF_INET, &in->sin_addr, text, sizeof text))
			return;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text))
			return;
	} else {
		return;	/* link-layer (AF_PACKET) entries carry no useful text */
	}
	int plen = (a->netmask && a->netmask->sa_family == sa->sa_family)
			   ? prefix_len(a->netmask) : -1;
	if (plen >= 0)
		fprintf(out, "    %s/%d\n", text, plen);
	else
		fprintf(out, "    %s\n", text);
}

int rw_live_list(FILE *out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, ebuf) != 0) {
		snprintf(err, errlen, "cannot list interfaces: %s", ebuf);
		return -1;
	}
	int n = 0;
	for (const pcap_if_t *d = all; d; d = d->next) {
		n++;
		fprintf(out, "%d. %s", n, d->name);
		if (d->description && *d->description)
			fprintf(out, " (%s)", d->description);
		const char *flags[6];
		int nf = 0;
		if (d->flags & PCAP_IF_UP)
			flags[nf++] = "Up";
		if (d->flags & PCAP_IF_RUNNING)
			flags[nf++] = "Running";
		if (d->flags & PCAP_IF_LOOPBACK)
			flags[nf++] = "Loopback";
		if (d->flags & PCAP_IF_WIRELESS)
			flags[nf++] = "Wireless";
		switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
		case PCAP_IF_CONNECTION_STATUS_CONNECTED:
			flags[nf++] = "Connected";
			break;
		case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
			flags[nf++] = "Disconnected";
			break;
		default:
			break;
		}
		if (nf) {
			fputs(" [", out);
			for (int i = 0; i < nf; i++)
				fprintf(out, "%s%s", i ? ", " : "", flags[i]);
			fputc(']', out);
		}
		fputc('\n', out);
		for (const struct pcap_addr *a = d->addresses; a; a = a->next)
			print_addr(out, a);
	}
	pcap_freealldevs(all);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "cannot write the interface list: %s", strerror(errno));
		return -1;
	}
	return n;
}
