/* \summary: unit tests for the threaded capture queue (src/liveq.c), fed by
 * libpcap itself from capture files: order and bytes kept, the memory bound
 * held under back-pressure, read errors reported after the packets before
 * them, a stop while the reader waits, poll() wake-ups */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveq.h"
#include "pcapw.h"

/* Packet i: caplen (i * 7919) % 1501, wire length caplen + i % 3, bytes
 * (i + k) & 0xff, time 1000 s + i * 10 us. */
static uint32_t cap_of(uint32_t i) { return (i * 7919u) % 1501u; }

static char *write_pcap(uint32_t n, int truncate_last)
{
	char *path;
	FILE *f = pcapw_temp("test_liveq", &path, 65535, PCAPW_DLT_EN10MB);
	assert_non_null(f);
	uint8_t buf[1501];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cl = cap_of(i);
		for (uint32_t k = 0; k < cl; k++)
			buf[k] = (uint8_t)(i + k);
		pcapw_record(f, 1000000000ull + 10ull * i, buf, cl, cl + i % 3,
			     (truncate_last && i == n - 1) ? cl / 2 : cl);
	}
	fclose(f);
	return path;
}

static pcap_t *open_file(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	assert_non_null(p);
	return p;
}

/* Take everything (waiting in poll() when nothing is queued); returns the
 * number of packets, each checked against the pattern. */
static uint32_t drain(struct liveq *q, uint32_t limit)
{
	uint32_t i = 0;
	struct liveq_pkt k;
	for (;;) {
		int r = liveq_next(q, &k);
		if (r < 0)
			break;
		if (r == 0) {
			struct pollfd pf = {.fd = liveq_fd(q), .events = POLLIN};
			assert_int_equal(poll(&pf, 1, 10000), 1);	/* no lost wake-up */
			continue;
		}
		uint32_t cl = cap_of(i);
		assert_int_equal(k.caplen, cl);
		assert_int_equal(k.len, cl + i % 3);
		assert_int_equal(k.ts_us, 1000000000ull + 10ull * i);
		for (uint32_t b = 0; b < cl; b++)
			if (k.data[b] != (uint8_t)(i + b))
				fail_msg("packet %u byte %u: %u", i, b, k.data[b]);
		if (++i == limit)
			break;
	}
	return i;
}

static void test_order_bytes_bound(void **state)
{
	(void)state;
	/* ~37 MB of packets through a queue of 2 chunks: the reader waits for
	 * the caller over and over */
	uint32_t n = 50000;
	char *path = write_pcap(n, 0);
	pcap_t *p = open_file(path);
	char err[256];
	struct liveq *q = liveq_start(p, 2 * LIVEQ_CHUNK, err, sizeof err);
	assert_non_null(q);
	assert_int_equal(drain(q, 0), n);
	assert_string_equal(liveq_error(q), "");
	assert_true(liveq_peak_bytes(q) <= 2 * LIVEQ_CHUNK);
	assert_true(liveq_peak_bytes(q) >= LIVEQ_CHUNK);
	struct liveq_pkt k;
	assert_int_equal(liveq_next(q, &k), -1);	/* stays ended */
	struct pcap_stat st;
	assert_int_equal(liveq_stats(q, &st), -1);	/* a file has no kernel statistics */
	liveq_stop(q);
	pcap_close(p);
	unlink(path);
	free(path);
}

static void test_read_error_after_packets(void **state)
{
	(void)state;
	uint32_t n = 3000;
	char *path = write_pcap(n, 1);
	pcap_t *p = open_file(path);
	char err[256];
	struct liveq *q = liveq_start(p, 64u << 20, err, sizeof err);
	assert_non_null(q);
	assert_int_equal(drain(q, 0), n - 1);	/* all but the cut one, in order */
	assert_non_null(strstr(liveq_error(q), "truncated"));
	liveq_stop(q);
	pcap_close(p);
	unlink(path);
	free(path);
}

static void test_stop_while_reader_waits(void **state)
{
	(void)state;
	uint32_t n = 20000;
	char *path = write_pcap(n, 0);
	for (int round = 0; round < 20; round++) {
		pcap_t *p = open_file(path);
		char err[256];
		struct liveq *q = liveq_start(p, 2 * LIVEQ_CHUNK, err, sizeof err);
		assert_non_null(q);
		/* take a few (the reader fills the queue and waits), then stop */
		assert_int_equal(drain(q, (uint32_t)round * 97 + 1), (uint32_t)round * 97 + 1);
		usleep(round % 4 == 0 ? 2000 : 0);
		liveq_stop(q);	/* must return: the waiting reader is woken */
		pcap_close(p);
	}
	unlink(path);
	free(path);
}

static void test_empty_file(void **state)
{
	(void)state;
	char *path = write_pcap(0, 0);
	pcap_t *p = open_file(path);
	char err[256];
	struct liveq *q = liveq_start(p, 0, err, sizeof err);	/* 0: raised to two chunks */
	assert_non_null(q);
	assert_int_equal(drain(q, 0), 0);
	assert_string_equal(liveq_error(q), "");
	liveq_stop(q);
	liveq_stop(NULL);
	pcap_close(p);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_bytes_bound),
		cmocka_unit_test(test_read_error_after_packets),
		cmocka_unit_test(test_stop_while_reader_waits),
		cmocka_unit_test(test_empty_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
