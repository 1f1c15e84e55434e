/* \summary: signals as bytes on a self-pipe (see sigwake.h) */
#include "config.h"
#include "sigwake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The only global: the handler's way out. */
static volatile sig_atomic_t sw_wake_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	int fd = sw_wake_fd;
	if (fd >= 0) {
		unsigned char b = (unsigned char)sig;
		ssize_t r = write(fd, &b, 1);
		(void)r;	/* pipe full: wake-ups are already pending */
	}
	errno = saved;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

int rw_sigwake_install(struct rw_sigwake *sw, const int *sigs, size_t n, char *err, size_t errlen)
{
	memset(sw, 0, sizeof *sw);
	sw->rd = -1;
	if (n > RW_SIGWAKE_MAX) {
		snprintf(err, errlen, "too many signals for the signal pipe (%zu)", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (sigs[i] < 1 || sigs[i] > 63) {
			snprintf(err, errlen, "signal %d not supported by the signal pipe", sigs[i]);
			return -1;
		}
	if (sw_wake_fd >= 0) {
		snprintf(err, errlen, "signal pipe already installed");
		return -1;
	}
	int p[2];
	if (pipe(p) != 0) {
		snprintf(err, errlen, "cannot create signal pipe: %s", strerror(errno));
		return -1;
	}
	if (set_nonblock_cloexec(p[0]) != 0 || set_nonblock_cloexec(p[1]) != 0) {
		snprintf(err, errlen, "cannot set up signal pipe: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	sw->rd = p[0];
	sw_wake_fd = p[1];

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: poll() must return EINTR */
	sw->n = n;
	for (size_t i = 0; i < n; i++) {
		sw->sigs[i] = sigs[i];
		sigaction(sigs[i], NULL, &sw->old[i]);
		/* Keep SIGHUP ignored under nohup, as tcpdump does. */
		if (sigs[i] == SIGHUP && sw->old[i].sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
		sw->set[i] = 1;
	}
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &sw->old_pipe);
	sw->installed = 1;
	return 0;
}

size_t rw_sigwake_drain(struct rw_sigwake *sw)
{
	unsigned char buf[64];
	size_t total = 0;
	ssize_t r;
	if (!sw->installed || sw->rd < 0)
		return 0;
	while ((r = read(sw->rd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] >= 1 && buf[i] <= 63) {
				sw->seen |= (uint64_t)1 << buf[i];
				sw->last = buf[i];
			}
		}
		total += (size_t)r;
	}
	return total;
}

int rw_sigwake_take(struct rw_sigwake *sw, int sig)
{
	if (sig < 1 || sig > 63)
		return 0;
	uint64_t bit = (uint64_t)1 << sig;
	int was = (sw->seen & bit) != 0;
	sw->seen &= ~bit;
	return was;
}

int rw_sigwake_any(const struct rw_sigwake *sw, const int *sigs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sigs[i] >= 1 && sigs[i] <= 63 && (sw->seen & ((uint64_t)1 << sigs[i])))
			return 1;
	return 0;
}

void rw_sigwake_restore(struct rw_sigwake *sw)
{
	if (!sw->installed)
		return;
	for (size_t i = 0; i < sw->n; i++)
		if (sw->set[i])
			sigaction(sw->sigs[i], &sw->old[i], NULL);
	sigaction(SIGPIPE, &sw->old_pipe, NULL);
	int wfd = sw_wake_fd;
	sw_wake_fd = -1;
	if (wfd >= 0)
		close(wfd);
	if (sw->rd >= 0)
		close(sw->rd);
	sw->rd = -1;
	sw->installed = 0;
}

int rw_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
