/* \summary: opening live capture devices, listing interfaces, dropping privileges */
#ifndef RPCWATCH_LIVE_H
#define RPCWATCH_LIVE_H

/*
 * Shared by `rpcwatch capture` (headless, to file) and the curses `watch`
 * command.  Nothing here prints: every function that can fail fills a
 * caller-supplied text buffer with ONE human-readable line (no "rpcwatch CMD:"
 * prefix, no trailing newline) that the caller shows however suits it
 * (stderr before curses starts, a status line inside curses).
 *
 * Privileges.  Opening a device needs CAP_NET_RAW (and CAP_NET_ADMIN for
 * promiscuous mode) - i.e. root, or a binary given those file capabilities.
 * The intended order is:
 *     rw_live_open()  ->  rw_live_set_filter()  ->  rw_drop_privileges()
 *     -> create output files / start the UI.
 * A handle keeps working after the privilege drop (the socket is already open),
 * including pcap_stats(), so every file the program creates afterwards is owned
 * by the unprivileged user.
 *
 * Ownership.  struct rw_live is caller-owned storage (stack is fine);
 * rw_live_open() fills it and the pcap_t inside belongs to it until
 * rw_live_close(), which is safe to call on a zeroed or already-closed struct.
 * Not thread-safe; one handle per struct.
 */

#include <stddef.h>
#include <stdio.h>
#include <pcap/pcap.h>

#define RW_SNAPLEN_MAX 262144		/* like tcpdump's MAXIMUM_SNAPLEN */
#define RW_SNAPLEN_DEFAULT RW_SNAPLEN_MAX
#define RW_BUFFER_KIB_DEFAULT 16384	/* 16 MiB kernel buffer */
#define RW_BUFFER_KIB_MAX 2097151	/* pcap_set_buffer_size() takes an int of bytes */
#define RW_LIVE_ERRLEN 512		/* size of every message buffer below */
#define RW_IFNAME_LEN 256

struct rw_live_opts {
	/* Interface name ("eth0", "any").  A string of digits that is not an
	 * existing interface name selects the N-th entry (1-based) of
	 * rw_live_list(), like tcpdump -i 2. */
	const char *iface;
	int snaplen;		/* 1..RW_SNAPLEN_MAX */
	int promisc;		/* nonzero: request promiscuous mode */
	int buffer_kib;		/* kernel buffer in KiB; 0 = libpcap default */
	int timeout_ms;		/* pcap_set_timeout(); irrelevant in immediate mode */
	int immediate;		/* nonzero: deliver packets as they arrive */
};

struct rw_live {
	pcap_t *p;			/* NULL until opened / after close */
	char name[RW_IFNAME_LEN];	/* resolved interface name */
	int linktype;			/* pcap_datalink() */
	int snaplen;			/* pcap_snapshot() */
	/* Non-empty after a successful open when pcap_activate() returned a
	 * warning (e.g. promiscuous mode unsupported); the caller shows it. */
	char warning[RW_LIVE_ERRLEN];
};

/* pcap_create + set snaplen/promisc/immediate/buffer/timeout + pcap_activate.
 * Returns 0, or -1 with an actionable one-line message in err (no permission,
 * no such interface, interface down, ...); lv->p is NULL then. */
int rw_live_open(const struct rw_live_opts *o, struct rw_live *lv, char *err, size_t errlen);

/* Compile expr (NULL or "" = no filter: returns 0) against the interface's
 * IPv4 netmask and install it.  Returns 0, or -1 with a message naming the
 * expression in err. */
int rw_live_set_filter(struct rw_live *lv, const char *expr, char *err, size_t errlen);

/* Put the handle in non-blocking mode and return a descriptor to poll() for
 * readability, or -1 with a message in err. */
int rw_live_pollable_fd(struct rw_live *lv, char *err, size_t errlen);

/* "link-type EN10MB (Ethernet)" into buf. */
const char *rw_live_linktype_text(const struct rw_live *lv, char *buf, size_t n);

void rw_live_close(struct rw_live *lv);

/* Look up user in the password database.  Returns 0, or -1 with "unknown
 * user 'x'" (or the lookup error) in err.  Lets a command reject -Z early,
 * before touching any device. */
int rw_user_exists(const char *user, char *err, size_t errlen);

/* Permanently become user: initgroups (supplementary groups of the user),
 * setgid, setuid; then verify real and effective uid/gid and that uid 0
 * cannot be regained.  Returns 0, or -1 with a message in err.  When the
 * process is not root it succeeds only if it already runs as that user. */
int rw_drop_privileges(const char *user, char *err, size_t errlen);

/* Print the capture interfaces, one per entry:
 *     1. eth0 (description) [Up, Running, Connected]
 *         198.18.0.1/24
 *         fe80::1/64
 * Returns the number listed (0 is possible), or -1 with a message in err. */
int rw_live_list(FILE *out, char *err, size_t errlen);

#endif
