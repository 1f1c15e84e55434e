/* \summary: unit tests for the threaded capture queue (src/liveq.c), fed by
 * libpcap itself from capture files: order and bytes kept, the memory bound
 * held under back-pressure, read errors reported after the packets before
 * them, a stop while the reader waits, poll() wake-ups, packets decoded in
 * the reading thread as on the caller's */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
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
	struct liveq *q = liveq_start(p, 2 * LIVEQ_CHUNK, NULL, err, sizeof err);
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
	struct liveq *q = liveq_start(p, 64u << 20, NULL, err, sizeof err);
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
		struct liveq *q = liveq_start(p, 2 * LIVEQ_CHUNK, NULL, err, sizeof err);
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
	struct liveq *q = liveq_start(p, 0, NULL, err, sizeof err);	/* 0: raised to two chunks */
	assert_non_null(q);
	assert_int_equal(drain(q, 0), 0);
	assert_string_equal(liveq_error(q), "");
	liveq_stop(q);
	liveq_stop(NULL);
	pcap_close(p);
	unlink(path);
	free(path);
}

/* ---- decoding in the reading thread ---------------------------------------------------- */

/* UDP 198.18.0.1:5000 -> 198.18.0.2:5001, payload i % 1200 bytes starting
 * with i (4 bytes) */
static char *write_udp_pcap(uint32_t n)
{
	char *path;
	FILE *f = pcapw_temp("test_liveq_udp", &path, 65535, PCAPW_DLT_EN10MB);
	assert_non_null(f);
	static uint8_t pk[PCAPW_UDP4_HDR + 1200], pl[1200];
	for (uint32_t i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(4 + i % 1200 / 4 * 4);
		if (len > 1200)
			len = 1200;
		memset(pl, 0, len);
		memcpy(pl, &i, 4);
		uint32_t cl = pcapw_udp4(pk, pl, len);
		pcapw_record(f, 2000000000ull + i, pk, cl, cl, cl);
	}
	fclose(f);
	return path;
}

struct hook_seen {
	uint32_t calls;
	pthread_t caller;
	int other_thread;	/* every call came from a thread other than the caller's */
};

static void count_hook(void *ctx, struct pkt *p)
{
	struct hook_seen *h = ctx;
	h->calls++;
	if (pthread_equal(pthread_self(), h->caller))
		h->other_thread = 0;
	p->flow_hash = 0x5eed0000u + h->calls;	/* what the caller must see */
}

static void test_decoded_in_thread(void **state)
{
	(void)state;
	uint32_t n = 20000;
	char *path = write_udp_pcap(n);
	pcap_t *p = open_file(path);
	struct hook_seen seen = {0, pthread_self(), 1};
	struct liveq_decode dec = {.linktype = DLT_EN10MB, .prepare = count_hook, .ctx = &seen};
	char err[256];
	/* two chunks: the records with their struct pkt cross chunk ends */
	struct liveq *q = liveq_start(p, 2 * LIVEQ_CHUNK, &dec, err, sizeof err);
	assert_non_null(q);
	uint32_t i = 0;
	struct liveq_pkt k;
	int r;
	while ((r = liveq_next(q, &k)) >= 0) {
		if (r == 0) {
			struct pollfd pf = {.fd = liveq_fd(q), .events = POLLIN};
			assert_int_equal(poll(&pf, 1, 10000), 1);
			continue;
		}
		assert_non_null(k.p);
		assert_int_equal(k.p->ts_us, 2000000000ull + i);
		assert_int_equal(k.p->caplen, k.caplen);
		assert_int_equal(k.p->wirelen, k.len);
		assert_int_equal(k.p->status, DEC_OK);
		assert_int_equal(k.p->proto, 17);
		assert_int_equal(k.p->sport, 5000);
		assert_int_equal(k.p->dport, 5001);
		assert_ptr_equal(k.p->payload, k.data + 42);
		assert_int_equal(k.p->payload_len, k.caplen - 42);
		uint32_t idx;
		memcpy(&idx, k.p->payload, 4);
		assert_int_equal(idx, i);
		assert_int_equal(k.p->flow_hash, 0x5eed0000u + i + 1);
		/* the same as decoding the bytes here */
		struct pkt fresh;
		memset(&fresh, 0, sizeof fresh);
		fresh.ts_us = k.ts_us;
		fresh.caplen = k.caplen;
		fresh.wirelen = k.len;
		decode_packet(DLT_EN10MB, k.data, &fresh);
		fresh.flow_hash = k.p->flow_hash;
		assert_memory_equal(&fresh, k.p, sizeof fresh);
		i++;
	}
	assert_int_equal(i, n);
	liveq_stop(q);	/* joins the thread: its writes to seen are visible */
	assert_int_equal(seen.calls, n);
	assert_true(seen.other_thread);
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
		cmocka_unit_test(test_decoded_in_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
