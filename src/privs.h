/* \summary: giving up root after the capture devices are open (capture, watch)
 *
 * Order, as tcpdump does it: open the devices (pcap, libnet) and install the
 * filters with full privileges, then call rw_privs_drop() before creating any
 * output file or reading any untrusted input.
 *
 * Policy (rw_privs_drop):
 *   - explicit user (-Z USER): become USER with rw_drop_privileges()
 *     (live.h: initgroups, setgid, setuid, verified, irreversible); any
 *     failure is an error.  "-Z root" keeps uid 0 but still drops every
 *     capability (below).
 *   - no -Z, running as root: become RW_DEFAULT_USER (configure
 *     --with-user=USER; default "rpcwatch" when that account existed at
 *     configure time, else "nobody") if it exists and can create files in
 *     every directory given (checked exactly: a child process switches to
 *     the user and calls access(W_OK|X_OK), so modes, ACLs and the path
 *     above all count).  Otherwise stay uid 0 without capabilities: root
 *     then creates files only where uid 0 itself may (owner permissions,
 *     no CAP_DAC_OVERRIDE), can no longer open devices, change users,
 *     load filters into other sockets, etc.
 *   - no -Z, not root (e.g. a binary with file capabilities
 *     cap_net_raw,cap_net_admin=eip): drop every capability.
 * "Drop every capability": the bounding set is emptied while CAP_SETPCAP
 * allows it (as root: before switching users), then the permitted,
 * effective and inheritable sets are cleared with capset(2) and
 * PR_SET_NO_NEW_PRIVS is set, so no exec can regain them; the result is
 * verified with capget(2).  A binary with file capabilities has no
 * CAP_SETPCAP: its bounding set stays, harmless under no_new_privs.
 *
 * Ownership: nothing is allocated; messages go into caller buffers (one
 * line, no prefix), like live.h.
 */
#ifndef RPCWATCH_PRIVS_H
#define RPCWATCH_PRIVS_H

#include <stddef.h>

/* What rw_privs_drop() did. */
enum rw_privs_result {
	RW_PRIVS_SWITCHED = 0,	/* now running as the user named in `what` */
	RW_PRIVS_ROOT_NOCAPS,	/* still uid 0, every capability dropped */
	RW_PRIVS_NOCAPS,	/* not root: every capability dropped */
	RW_PRIVS_ERROR = -1,	/* err says why; the caller must exit */
};

/* user: the -Z argument or NULL.  dirs/ndirs: directories the caller will
 * create files in after the drop (may be 0).  what: filled with a one-line
 * description of the outcome ("running as user nobody (uid 65534)", ...) or
 * the error.  Returns the outcome. */
enum rw_privs_result rw_privs_drop(const char *user, const char *const *dirs, size_t ndirs, char *what,
				   size_t whatlen);

/* Drop every capability of the process (see above).  0, or -1 with err. */
int rw_caps_drop_all(char *err, size_t errlen);

/* 1 when USER (an existing account) could create files in dir, else 0. */
int rw_user_can_write(const char *user, const char *dir);

/* The directory part of a file name ("." when it has none) into buf. */
const char *rw_dir_of(const char *path, char *buf, size_t n);

#endif
