/* \summary: giving up root after the capture devices are open (see privs.h) */
#include "config.h"
#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <pwd.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"

#ifndef RW_DEFAULT_USER
#define RW_DEFAULT_USER "nobody"
#endif

static int capget2(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	return (int)syscall(SYS_capget, &h, d);
}

/* Empty the bounding set (needs CAP_SETPCAP; without it there is nothing
 * to gain anyway once no_new_privs is set).  0, or -1 with err. */
static int bounding_drop(char *err, size_t errlen)
{
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (capget2(d) != 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	if (!(d[0].effective & (1u << CAP_SETPCAP)))
		return 0;
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
			snprintf(err, errlen, "dropping capability %d from the bounding set: %s", cap, strerror(errno));
			return -1;
		}
	return 0;
}

int rw_caps_drop_all(char *err, size_t errlen)
{
	struct __user_cap_data_struct d[2];
	/* the bounding set needs CAP_SETPCAP, which is about to go */
	if (bounding_drop(err, errlen) != 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0 && errno != EINVAL) {
		snprintf(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) != 0) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	memset(d, 0xff, sizeof d);
	if (capget2(d) != 0 || d[0].effective || d[1].effective || d[0].permitted || d[1].permitted ||
	    d[0].inheritable || d[1].inheritable) {
		snprintf(err, errlen, "capabilities still present after dropping them");
		return -1;
	}
	return 0;
}

const char *rw_dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(buf, n, ".");
	} else if (slash == path) {
		snprintf(buf, n, "/");
	} else {
		size_t k = (size_t)(slash - path);
		snprintf(buf, n, "%.*s", (int)(k < n ? k : n - 1), path);
	}
	return buf;
}

int rw_user_can_write(const char *user, const char *dir)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return 0;
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	char name[256];
	snprintf(name, sizeof name, "%s", pw->pw_name);
	/* the kernel decides: a child becomes the user and asks access(2) */
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (geteuid() == 0) {
#ifdef HAVE_INITGROUPS
			if (initgroups(name, gid) != 0)
				_exit(1);
#endif
			if (setgid(gid) != 0 || setuid(uid) != 0)
				_exit(1);
		} else if (geteuid() != uid) {
			_exit(1);
		}
		_exit(access(dir, W_OK | X_OK) == 0 ? 0 : 1);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

enum rw_privs_result rw_privs_drop(const char *user, const char *const *dirs, size_t ndirs, char *what,
				   size_t whatlen)
{
	char err[RW_LIVE_ERRLEN];
	if (geteuid() == 0 && bounding_drop(err, sizeof err) != 0) {
		snprintf(what, whatlen, "%s", err);
		return RW_PRIVS_ERROR;
	}
	if (user) {
		if (rw_drop_privileges(user, err, sizeof err) != 0) {
			snprintf(what, whatlen, "%s", err);
			return RW_PRIVS_ERROR;
		}
		if (rw_caps_drop_all(err, sizeof err) != 0) {
			snprintf(what, whatlen, "-Z %s: %s", user, err);
			return RW_PRIVS_ERROR;
		}
		if (geteuid() == 0 || getuid() == 0) {	/* -Z root: keep the uid, not the powers */
			snprintf(what, whatlen, "running as %s (uid 0) without capabilities", user);
			return RW_PRIVS_ROOT_NOCAPS;
		}
		snprintf(what, whatlen, "running as user %s (uid %lu)", user, (unsigned long)getuid());
		return RW_PRIVS_SWITCHED;
	}
	if (geteuid() != 0) {
		if (rw_caps_drop_all(err, sizeof err) != 0) {
			snprintf(what, whatlen, "%s", err);
			return RW_PRIVS_ERROR;
		}
		snprintf(what, whatlen, "running as uid %lu without capabilities", (unsigned long)getuid());
		return RW_PRIVS_NOCAPS;
	}
	const char *def = RW_DEFAULT_USER;
	int ok = def[0] && getpwnam(def) != NULL;
	const char *blocked = NULL;
	for (size_t i = 0; ok && i < ndirs; i++)
		if (!rw_user_can_write(def, dirs[i])) {
			ok = 0;
			blocked = dirs[i];
		}
	if (ok) {
		if (rw_drop_privileges(def, err, sizeof err) != 0 || rw_caps_drop_all(err, sizeof err) != 0) {
			snprintf(what, whatlen, "%s", err);
			return RW_PRIVS_ERROR;
		}
		snprintf(what, whatlen, "running as user %s (uid %lu)", def, (unsigned long)getuid());
		return RW_PRIVS_SWITCHED;
	}
	if (rw_caps_drop_all(err, sizeof err) != 0) {
		snprintf(what, whatlen, "%s", err);
		return RW_PRIVS_ERROR;
	}
	if (blocked)
		snprintf(what, whatlen, "running as root without capabilities (user %s cannot write %s)", def, blocked);
	else if (def[0])
		snprintf(what, whatlen, "running as root without capabilities (no user %s)", def);
	else
		snprintf(what, whatlen, "running as root without capabilities");
	return RW_PRIVS_ROOT_NOCAPS;
}
