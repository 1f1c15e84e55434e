/* \summary: unit tests for recognising copies of a packet across captures (src/merge.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "decode.h"
#include "merge.h"

#define T0 1700000000000000ull
#define MS(x) (T0 + (uint64_t)(x) * 1000ull)
#define WINDOW 2000000ull

static const uint8_t payload[] = {0x72, 0x77, 0x6c, 0x61, 0x62, 0x2d, 0x6e, 0x31, 0xff};

/* A decoded TCP segment client -> server as decode_packet leaves it. */
static struct pkt seg(uint64_t frame, uint64_t ts, uint8_t ttl, uint32_t seq)
{
	static const uint8_t c[4] = {198, 18, 1, 10}, s[4] = {198, 18, 2, 20};
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = frame;
	p.ts_us = ts;
	p.status = DEC_OK;
	p.ipver = 4;
	addr_set4(&p.src, c);
	addr_set4(&p.dst, s);
	p.ttl = ttl;
	p.ip_id = 28534;
	p.proto = 6;
	p.ip_len = 60;
	p.has_l4 = 1;
	p.sport = 53954;
	p.dport = 135;
	p.tcp_flags = 0x18;
	p.seq = seq;
	p.ack = 1;
	p.win = 63;
	p.payload = payload;
	p.payload_caplen = sizeof payload;
	p.payload_len = sizeof payload;
	return p;
}

static void test_fingerprint_ignores_ttl_not_content(void **state)
{
	(void)state;
	struct pkt a = seg(1, MS(0), 64, 100), b = seg(2, MS(1), 63, 100);
	assert_int_equal(merge_fingerprint(&a), merge_fingerprint(&b));
	struct pkt c = seg(3, MS(0), 64, 101);
	assert_int_not_equal(merge_fingerprint(&a), merge_fingerprint(&c));
	struct pkt d = seg(4, MS(0), 64, 100);
	d.ip_id = 28535;
	assert_int_not_equal(merge_fingerprint(&a), merge_fingerprint(&d));
	struct pkt e = seg(5, MS(0), 64, 100);
	e.payload_caplen = 8;	/* a shorter snaplen at the other point: the first 8 bytes still match */
	assert_int_equal(merge_fingerprint(&a), merge_fingerprint(&e));
	struct pkt f = seg(6, MS(0), 64, 100);
	f.status = DEC_TRUNCATED;
	assert_int_equal(merge_fingerprint(&f), 0);
}

static void test_copy_across_files(void **state)
{
	(void)state;
	struct merge *m = merge_new(WINDOW, 1 << 16);
	assert_non_null(m);
	struct merge_seen first;
	struct pkt a = seg(1, MS(0), 64, 100), b = seg(2, MS(3), 63, 100);
	assert_int_equal(merge_check(m, &a, merge_fingerprint(&a), 0, &first), 0);
	assert_int_equal(merge_check(m, &b, merge_fingerprint(&b), 1, &first), 1);
	assert_int_equal(first.frame, 1);
	assert_int_equal(first.file, 0);
	assert_int_equal(first.ttl, 64);
	assert_int_equal(first.ts_us, MS(0));
	/* a third copy from file 1 is not a copy again: file 1 already claimed it */
	struct pkt c = seg(3, MS(4), 63, 100);
	assert_int_equal(merge_check(m, &c, merge_fingerprint(&c), 1, &first), 0);
	assert_int_equal(merge_stats(m)->copies, 1);
	assert_int_equal(merge_stats(m)->indexed, 2);
	merge_free(m);
}

static void test_same_file_is_never_a_copy(void **state)
{
	(void)state;
	struct merge *m = merge_new(WINDOW, 1 << 16);
	struct merge_seen first;
	/* identical retransmissions in file 0, then both seen in file 1: paired one to one */
	struct pkt a1 = seg(1, MS(0), 64, 100), a2 = seg(2, MS(200), 64, 100);
	struct pkt b1 = seg(3, MS(1), 63, 100), b2 = seg(4, MS(201), 63, 100), b3 = seg(5, MS(300), 63, 100);
	assert_int_equal(merge_check(m, &a1, merge_fingerprint(&a1), 0, &first), 0);
	assert_int_equal(merge_check(m, &a2, merge_fingerprint(&a2), 0, &first), 0);
	assert_int_equal(merge_check(m, &b1, merge_fingerprint(&b1), 1, &first), 1);
	assert_int_equal(merge_check(m, &b2, merge_fingerprint(&b2), 1, &first), 1);
	assert_int_not_equal(first.frame, 0);
	assert_int_equal(merge_check(m, &b3, merge_fingerprint(&b3), 1, &first), 0);
	merge_free(m);
}

static void test_window(void **state)
{
	(void)state;
	struct merge *m = merge_new(WINDOW, 1 << 16);
	struct merge_seen first;
	struct pkt a = seg(1, MS(0), 64, 100), late = seg(2, MS(2500), 63, 100);
	merge_check(m, &a, merge_fingerprint(&a), 0, &first);
	assert_int_equal(merge_check(m, &late, merge_fingerprint(&late), 1, &first), 0);
	/* after two windows of other traffic the first generation is gone */
	for (int i = 0; i < 3; i++) {
		struct pkt x = seg(10 + (uint64_t)i, MS(2100 * (i + 1)), 64, 1000 + (uint32_t)i);
		merge_check(m, &x, merge_fingerprint(&x), 0, &first);
	}
	struct pkt b = seg(20, MS(6400), 63, 100);
	assert_int_equal(merge_check(m, &b, merge_fingerprint(&b), 1, &first), 0);
	merge_free(m);
}

static void test_bounded(void **state)
{
	(void)state;
	struct merge *m = merge_new(WINDOW, 64);
	struct merge_seen first;
	for (uint32_t i = 0; i < 1000; i++) {
		struct pkt x = seg(i + 1, MS(i), 64, i);
		assert_int_equal(merge_check(m, &x, merge_fingerprint(&x), 0, &first), 0);
	}
	const struct merge_stats *st = merge_stats(m);
	assert_true(st->indexed <= 64);
	assert_int_equal(st->indexed + st->not_indexed, 1000);
	/* files beyond MERGE_MAX_FILES are never matched, never crash */
	struct pkt y = seg(2000, MS(1000), 64, 5);
	assert_int_equal(merge_check(m, &y, merge_fingerprint(&y), MERGE_MAX_FILES, &first), 0);
	merge_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_ignores_ttl_not_content),
		cmocka_unit_test(test_copy_across_files),
		cmocka_unit_test(test_same_file_is_never_a_copy),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
