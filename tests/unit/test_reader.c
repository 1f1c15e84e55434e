/* \summary: unit tests for the capture file reader (src/reader.c): merged
 * order, file ends and read errors in place, threaded == unthreaded */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapw.h"
#include "reader.h"

/* A classic pcap (host byte order, Ethernet) whose packets carry UDP
 * datagrams 198.18.0.1 -> 198.18.0.2 with payload {file, index (4 bytes)}. */
struct spec {
	unsigned n;
	uint64_t t0_us, step_us;
	int truncate_last;	/* cut the last record's data short: a read error */
};

static char *write_pcap(const char *dir, int file, const struct spec *s)
{
	char *path = malloc(256);
	snprintf(path, 256, "%s/f%d.pcap", dir, file);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	pcapw_header(f, 65535, PCAPW_DLT_EN10MB);
	for (unsigned i = 0; i < s->n; i++) {
		uint8_t pk[PCAPW_UDP4_HDR + 5], pl[5];
		pl[0] = (uint8_t)file;
		memcpy(pl + 1, &i, 4);
		pcapw_udp4(pk, pl, sizeof pl);
		pcapw_record(f, s->t0_us + s->step_us * i, pk, sizeof pk, sizeof pk,
			     (s->truncate_last && i == s->n - 1) ? 10 : sizeof pk);
	}
	fclose(f);
	return path;
}

struct got {
	enum rd_kind kind;
	unsigned file;
	uint64_t frame, ts;
	int pfile;
	uint32_t pidx;
};

/* Read the files through a reader; returns the number of items. */
static size_t run(char **paths, int nfiles, int threaded, struct got *out, size_t max, int *add_rc)
{
	struct reader *r = reader_new((unsigned)nfiles);
	assert_non_null(r);
	for (int i = 0; i < nfiles; i++) {
		char eb[PCAP_ERRBUF_SIZE];
		pcap_t *pc = paths[i] ? pcap_open_offline(paths[i], eb) : NULL;
		add_rc[i] = reader_add(r, pc, 1);
	}
	reader_start(r, threaded);
	size_t n = 0;
	const struct rd_item *it;
	while ((it = reader_next(r))) {
		assert_true(n < max);
		struct got *g = &out[n++];
		memset(g, 0, sizeof *g);
		g->kind = it->kind;
		g->file = it->file;
		g->pfile = -1;
		if (it->kind == RD_PACKET) {
			g->frame = it->p.frame;
			g->ts = it->p.ts_us;
			assert_int_equal(it->p.status, DEC_OK);
			assert_int_equal(it->p.proto, 17);
			assert_int_equal(it->p.payload_len, 5);
			g->pfile = it->p.payload[0];
			memcpy(&g->pidx, it->p.payload + 1, 4);
			/* the frame's bytes come with it; the payload lies inside them */
			assert_non_null(it->data);
			assert_int_equal(it->p.caplen, 14 + 20 + 8 + 5);
			assert_ptr_equal(it->p.payload, it->data + 14 + 20 + 8);
			assert_int_equal(it->data[12], 0x08);
			assert_int_equal(it->data[14 + 9], 17);
		} else {
			assert_null(it->data);
		}
	}
	reader_free(r);
	return n;
}

static char dir[] = "/tmp/rw-test-reader-XXXXXX";

static void test_merge_order_and_error(void **state)
{
	(void)state;
	/* file 0: 0,10,20,... ; file 1: 5,15,... and a tie at 20 (file 0 first);
	 * file 2: cut short after 3 good packets; file 3: cannot be opened */
	struct spec s0 = {6, 1000000, 10, 0}, s1 = {4, 1000005, 5, 0}, s2 = {4, 1000001, 1, 1};
	char *paths[4] = {write_pcap(dir, 0, &s0), write_pcap(dir, 1, &s1), write_pcap(dir, 2, &s2), NULL};
	struct got a[64], b[64];
	int rca[4], rcb[4];
	size_t na = run(paths, 4, 0, a, 64, rca), nb = run(paths, 4, 1, b, 64, rcb);
	assert_int_equal(na, nb);
	assert_memory_equal(rca, rcb, sizeof rca);
	assert_int_equal(rca[0], 1);
	assert_int_equal(rca[3], 0);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].kind, b[i].kind);
		assert_int_equal(a[i].file, b[i].file);
		assert_int_equal(a[i].frame, b[i].frame);
		assert_int_equal(a[i].ts, b[i].ts);
		assert_int_equal(a[i].pfile, b[i].pfile);
		assert_int_equal(a[i].pidx, b[i].pidx);
	}
	/* 6 + 4 + 3 packets, file 2's error, file 0's and file 1's ends */
	size_t pk = 0, err = 0, end = 0;
	uint64_t last = 0;
	for (size_t i = 0; i < na; i++) {
		if (a[i].kind == RD_PACKET) {
			assert_int_equal(a[i].frame, ++pk);
			assert_true(a[i].ts >= last);
			last = a[i].ts;
			assert_int_equal(a[i].pfile, (int)a[i].file);
		} else if (a[i].kind == RD_ERROR) {
			err++;
			assert_int_equal(a[i].file, 2);
			/* right after file 2's third packet */
			assert_int_equal(a[i - 1].kind, RD_PACKET);
			assert_int_equal(a[i - 1].file, 2);
			assert_int_equal(a[i - 1].pidx, 2);
		} else {
			end++;
		}
	}
	assert_int_equal(pk, 13);
	assert_int_equal(err, 1);
	assert_int_equal(end, 2);
	/* the tie at t0+20: file 0 (packet 2) before file 1 (packet 3) */
	for (size_t i = 0; i + 1 < na; i++)
		if (a[i].kind == RD_PACKET && a[i].ts == 1000020 && a[i].file == 0) {
			size_t j = i + 1;
			while (a[j].kind != RD_PACKET)
				j++;
			assert_int_equal(a[j].file, 1);
			assert_int_equal(a[j].ts, 1000020);
		}
	for (int i = 0; i < 3; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

/* Many packets: the threaded reader crosses batch boundaries, keeps every
 * payload intact and in order. */
static void test_many_threaded(void **state)
{
	(void)state;
	struct spec s0 = {3000, 2000000, 2, 0}, s1 = {2000, 2000001, 3, 0};
	char *paths[2] = {write_pcap(dir, 0, &s0), write_pcap(dir, 1, &s1)};
	static struct got a[6000], b[6000];
	int rca[2], rcb[2];
	size_t na = run(paths, 2, 0, a, 6000, rca), nb = run(paths, 2, 1, b, 6000, rcb);
	assert_int_equal(na, 5002);
	assert_int_equal(nb, na);
	unsigned next[2] = {0, 0};
	for (size_t i = 0; i < na; i++) {
		assert_memory_equal(&a[i], &b[i], sizeof a[i]);
		if (a[i].kind == RD_PACKET)
			assert_int_equal(a[i].pidx, next[a[i].file]++);
	}
	assert_int_equal(next[0], 3000);
	assert_int_equal(next[1], 2000);
	for (int i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

/* Stopping early while the worker waits for a free batch neither hangs nor leaks. */
static void test_free_early(void **state)
{
	(void)state;
	struct spec s0 = {20000, 3000000, 1, 0};
	char *path = write_pcap(dir, 0, &s0);
	char eb[PCAP_ERRBUF_SIZE];
	struct reader *r = reader_new(1);
	assert_int_equal(reader_add(r, pcap_open_offline(path, eb), 1), 1);
	reader_start(r, 1);
	for (int i = 0; i < 10; i++)
		assert_non_null(reader_next(r));
	usleep(20000);
	reader_free(r);
	unlink(path);
	free(path);
}

/* An empty file: reader_add says 0 and nothing comes out. */
static void test_empty(void **state)
{
	(void)state;
	struct spec s0 = {0, 0, 0, 0};
	char *path = write_pcap(dir, 0, &s0);
	struct got a[4];
	int rc[1];
	assert_int_equal(run(&path, 1, 1, a, 4, rc), 0);
	assert_int_equal(rc[0], 0);
	unlink(path);
	free(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_order_and_error),
		cmocka_unit_test(test_many_threaded),
		cmocka_unit_test(test_free_early),
		cmocka_unit_test(test_empty),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
