/* \summary: unit tests for the signal self-pipe (src/sigwake.c): signals
 * arrive as bytes, take() clears, old actions come back, SIGHUP ignored at
 * start stays ignored, one installation at a time; helper threads started
 * with every asynchronous signal blocked */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sigwake.h"

static int readable(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	return poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);
}

static volatile sig_atomic_t old_handler_ran;
static void old_handler(int sig) { (void)sig; old_handler_ran = 1; }

static void test_signals_as_bytes(void **state)
{
	(void)state;
	struct sigaction sa, cur;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = old_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);

	const int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM};
	struct rw_sigwake sw;
	char err[256];
	assert_int_equal(rw_sigwake_install(&sw, sigs, 3, err, sizeof err), 0);
	assert_true(sw.rd >= 0);
	assert_false(readable(sw.rd));
	assert_int_equal(rw_sigwake_drain(&sw), 0);

	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGTERM);
	assert_int_equal(old_handler_ran, 0);	/* ours, not the old one */
	assert_true(readable(sw.rd));
	assert_int_equal(rw_sigwake_drain(&sw), 3);
	assert_false(readable(sw.rd));
	assert_int_equal(sw.last, SIGTERM);
	const int stop[] = {SIGINT, SIGTERM};
	assert_true(rw_sigwake_any(&sw, stop, 2));
	assert_false(rw_sigwake_any(&sw, stop, 1));
	assert_true(rw_sigwake_take(&sw, SIGUSR1));
	assert_false(rw_sigwake_take(&sw, SIGUSR1));	/* cleared */
	assert_false(rw_sigwake_take(&sw, SIGUSR2));
	assert_true(rw_sigwake_take(&sw, SIGTERM));

	/* SIGPIPE ignored while installed */
	assert_int_equal(sigaction(SIGPIPE, NULL, &cur), 0);
	assert_true(cur.sa_handler == SIG_IGN);

	/* a second installation is refused with a message */
	struct rw_sigwake sw2;
	err[0] = 0;
	assert_int_equal(rw_sigwake_install(&sw2, sigs, 1, err, sizeof err), -1);
	assert_true(err[0] != 0);
	rw_sigwake_restore(&sw2);	/* not installed: harmless */

	rw_sigwake_restore(&sw);
	assert_int_equal(sw.rd, -1);
	assert_int_equal(sigaction(SIGUSR1, NULL, &cur), 0);
	assert_true(cur.sa_handler == old_handler);
	raise(SIGUSR1);
	assert_int_equal(old_handler_ran, 1);
	rw_sigwake_restore(&sw);	/* twice: harmless */
	assert_int_equal(rw_sigwake_drain(&sw), 0);

	/* installable again after restore */
	assert_int_equal(rw_sigwake_install(&sw, sigs, 1, err, sizeof err), 0);
	rw_sigwake_restore(&sw);
	signal(SIGUSR1, SIG_DFL);
}

static void test_nohup(void **state)
{
	(void)state;
	signal(SIGHUP, SIG_IGN);
	const int sigs[] = {SIGHUP, SIGINT};
	struct rw_sigwake sw;
	char err[256];
	assert_int_equal(rw_sigwake_install(&sw, sigs, 2, err, sizeof err), 0);
	struct sigaction cur;
	assert_int_equal(sigaction(SIGHUP, NULL, &cur), 0);
	assert_true(cur.sa_handler == SIG_IGN);	/* kept ignored, as tcpdump does */
	raise(SIGHUP);
	assert_int_equal(rw_sigwake_drain(&sw), 0);
	rw_sigwake_restore(&sw);
	assert_int_equal(sigaction(SIGHUP, NULL, &cur), 0);
	assert_true(cur.sa_handler == SIG_IGN);
	signal(SIGHUP, SIG_DFL);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct rw_sigwake sw;
	char err[256] = "";
	const int zero[] = {0};
	assert_int_equal(rw_sigwake_install(&sw, zero, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "signal 0"));
	int many[RW_SIGWAKE_MAX + 1];
	for (size_t i = 0; i < RW_SIGWAKE_MAX + 1; i++)
		many[i] = SIGUSR1;
	assert_int_equal(rw_sigwake_install(&sw, many, RW_SIGWAKE_MAX + 1, err, sizeof err), -1);
	rw_sigwake_restore(&sw);
	assert_int_equal(rw_sigwake_take(&sw, 0), 0);
	assert_int_equal(rw_sigwake_take(&sw, 64), 0);
}

static void *mask_of_thread(void *arg)
{
	pthread_sigmask(SIG_BLOCK, NULL, arg);
	return NULL;
}

/* A helper thread takes no asynchronous signal; faults still reach it; the
 * caller's mask is what it was. */
static void test_thread_start_masks(void **state)
{
	(void)state;
	sigset_t before, after, in;
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	assert_int_equal(sigismember(&before, SIGINT), 0);
	sigemptyset(&in);
	pthread_t th;
	assert_int_equal(rw_thread_start(&th, mask_of_thread, &in), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	const int blocked[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGALRM};
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
		assert_int_equal(sigismember(&in, blocked[i]), 1);
	const int open[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
		assert_int_equal(sigismember(&in, open[i]), 0);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	for (int sig = 1; sig < 32; sig++)
		assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_as_bytes),
		cmocka_unit_test(test_nohup),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_thread_start_masks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
