/* \summary: signals as bytes on a self-pipe, for poll() loops (capture, watch) */
#ifndef RPCWATCH_SIGWAKE_H
#define RPCWATCH_SIGWAKE_H

/*
 * rw_sigwake_install() creates a non-blocking, close-on-exec pipe and
 * installs one handler for the given signals (without SA_RESTART, so a
 * blocked poll() also returns EINTR).  The handler writes the signal number
 * as one byte to the pipe; the loop polls rd for POLLIN and calls
 * rw_sigwake_drain(), which reads the bytes and records which signals came.
 * A signal that arrives between the last drain and poll() leaves its byte in
 * the pipe, so poll() returns at once: no race, no flag checked outside the
 * loop.  SIGHUP stays ignored when it was ignored at start (nohup), as
 * tcpdump does; SIGPIPE is ignored while installed (write errors show as
 * EPIPE).  rw_sigwake_restore() puts every old action back and closes the
 * pipe; it is safe on a zeroed or already restored struct.
 *
 * Ownership.  struct rw_sigwake is caller-owned storage (stack is fine) and
 * owns the pipe's read end and the saved actions.  The only global is the
 * pipe's write end (a volatile sig_atomic_t inside sigwake.c) that the
 * handler needs, so one struct can be installed at a time per process;
 * install refuses a second one.  Signals above 63 are not supported.  When
 * more than a pipe's worth (64 KiB) of signals arrive undrained, the later
 * ones are lost, which the loops never let happen (they drain every turn).
 */

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define RW_SIGWAKE_MAX 8

struct rw_sigwake {
	int rd;				/* read end: poll() it for POLLIN; -1 when not installed */
	uint64_t seen;			/* bit N: signal N came (since install or rw_sigwake_take) */
	int last;			/* the signal that came last, 0 none */
	size_t n;
	int sigs[RW_SIGWAKE_MAX];
	int set[RW_SIGWAKE_MAX];	/* nonzero: our handler was installed for sigs[i] */
	struct sigaction old[RW_SIGWAKE_MAX];
	struct sigaction old_pipe;
	int installed;
};

/* Install for sigs[0..n-1] (n <= RW_SIGWAKE_MAX, each 1..63).  Returns 0, or
 * -1 with a one-line message in err (nothing installed then). */
int rw_sigwake_install(struct rw_sigwake *sw, const int *sigs, size_t n, char *err, size_t errlen);

/* Read everything the handler wrote; updates seen and last.  Returns the
 * number of signals read. */
size_t rw_sigwake_drain(struct rw_sigwake *sw);

/* Nonzero when sig came (after the last drain); clears it. */
int rw_sigwake_take(struct rw_sigwake *sw, int sig);

/* Nonzero when any of sigs came; does not clear. */
int rw_sigwake_any(const struct rw_sigwake *sw, const int *sigs, size_t n);

void rw_sigwake_restore(struct rw_sigwake *sw);

/* pthread_create() for a helper thread (liveq.c, reader.c): the new thread
 * starts with every asynchronous signal blocked, so the handlers (this
 * self-pipe, watch's terminal restore) run in the caller's threads, never in
 * the helper; SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT stay deliverable.
 * The caller's own mask is unchanged.  Returns pthread_create()'s result. */
int rw_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

#endif
