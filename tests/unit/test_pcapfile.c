/* \summary: unit tests for opening capture files (src/pcapfile.c): every
 * packet read back byte for byte through the larger stdio buffer (small
 * file, file larger than the buffer, standard input), the buffer no larger
 * than the file, error messages that start with the path, filters, and the
 * two ways of letting go (close; release after someone else closed) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pcapw.h"

/* Packet i: an Ethernet/IPv4/UDP frame 198.18.0.1 -> 198.18.0.2, source
 * port 5000 + i % 2, padded with bytes (i + k) to len_of(i). */
static uint32_t len_of(uint32_t i) { return 42 + (i * 131u) % 1459u; }

static void fill(uint8_t *b, uint32_t i)
{
	uint32_t len = len_of(i);
	for (uint32_t k = 0; k < len; k++)
		b[k] = (uint8_t)(i + k);
	memset(b, 0, 42);
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8), ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
	uint8_t *udp = ip + 20;
	uint16_t sp = (uint16_t)(5000 + i % 2);
	udp[0] = (uint8_t)(sp >> 8), udp[1] = (uint8_t)sp;
	udp[2] = 0x13, udp[3] = 0x89;
	udp[4] = (uint8_t)((len - 34) >> 8), udp[5] = (uint8_t)(len - 34);
}

static char *write_file(uint32_t n, int truncate_last)
{
	char *path;
	FILE *f = pcapw_temp("test_pcapfile", &path, 65535, PCAPW_DLT_EN10MB);
	assert_non_null(f);
	uint8_t b[1500];
	for (uint32_t i = 0; i < n; i++) {
		fill(b, i);
		pcapw_record(f, 1000000000ull + i, b, len_of(i), len_of(i),
			     (truncate_last && i == n - 1) ? len_of(i) / 2 : len_of(i));
	}
	assert_int_equal(fclose(f), 0);
	return path;
}

static off_t size_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Read everything; packets must be 0, step, 2*step ... in order.  Returns
 * the number read; *last is pcap_next_ex's final result. */
static uint32_t read_all(pcap_t *p, uint32_t step, int *last)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	uint8_t want[1500];
	uint32_t n = 0, i = 0;
	int r;
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		fill(want, i);
		assert_int_equal(h->caplen, len_of(i));
		assert_int_equal(h->ts.tv_sec, 1000);
		assert_int_equal(h->ts.tv_usec, i);
		assert_memory_equal(d, want, len_of(i));
		n++;
		i += step;
	}
	*last = r;
	return n;
}

static void test_small_file(void **state)
{
	(void)state;
	char *path = write_file(3, 0);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), 0);
	assert_non_null(f.p);
	assert_non_null(f.iobuf);
	assert_int_equal(f.iobuf_size, 4096);	/* the file is smaller: no 256 KiB for it */
	assert_int_equal(f.regular, 1);
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 3);
	assert_int_equal(last, PCAP_ERROR_BREAK);
	rw_pcapfile_close(&f);
	assert_null(f.p);
	assert_null(f.iobuf);
	rw_pcapfile_close(&f);	/* twice: harmless */
	unlink(path);
	free(path);
}

/* Larger than the 256 KiB buffer: records straddle its refills. */
static void test_large_file(void **state)
{
	(void)state;
	char *path = write_file(2000, 0);
	assert_true(size_of(path) > 3 * 256 * 1024);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), 0);
	assert_int_equal(f.iobuf_size, 256 * 1024);
	assert_int_equal(f.regular, 1);
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 2000);
	assert_int_equal(last, PCAP_ERROR_BREAK);
	rw_pcapfile_close(&f);
	unlink(path);
	free(path);
}

/* The last record cut short: every packet before it, then libpcap's error. */
static void test_truncated(void **state)
{
	(void)state;
	char *path = write_file(50, 1);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), 0);
	assert_int_equal(f.iobuf_size, size_of(path));	/* between 4 and 256 KiB: the file's size */
	assert_int_equal(f.regular, 1);
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 49);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(pcap_geterr(f.p), "truncated"));
	rw_pcapfile_close(&f);
	unlink(path);
	free(path);
}

/* "-": standard input, as libpcap reads it */
static void test_stdin(void **state)
{
	(void)state;
	char *path = write_file(40, 0);
	int saved = dup(0), fd = open(path, O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, "-", err, sizeof err), 0);
	assert_null(f.iobuf);
	assert_int_equal(f.iobuf_size, 0);
	assert_int_equal(f.regular, 0);
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 40);
	rw_pcapfile_close(&f);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	unlink(path);
	free(path);
}

/* A FIFO opens like a file but is not a regular one (watch reads it in
 * the screen's thread); its packets read back whole. */
static void test_fifo(void **state)
{
	(void)state;
	char *src = write_file(300, 0);
	char fifo[] = "/tmp/test_pcapfile_fifo_XXXXXX";
	int tfd = mkstemp(fifo);
	assert_true(tfd >= 0);
	close(tfd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {	/* the writer */
		int in = open(src, O_RDONLY), out = open(fifo, O_WRONLY);
		char b[4096];
		ssize_t n;
		while (in >= 0 && out >= 0 && (n = read(in, b, sizeof b)) > 0)
			if (write(out, b, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, fifo, err, sizeof err), 0);
	assert_int_equal(f.regular, 0);
	assert_int_equal(f.iobuf_size, 256 * 1024);	/* no size to fit: the full buffer */
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 300);
	rw_pcapfile_close(&f);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(fifo);
	unlink(src);
	free(src);
}

static void expect_open_error(const char *path, const char *want_after_path)
{
	struct rw_pcapfile f;
	memset(&f, 0xa5, sizeof f);
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), -1);
	assert_null(f.p);
	assert_null(f.iobuf);
	size_t n = strlen(path);
	assert_true(strncmp(err, path, n) == 0);	/* the path first, once */
	assert_true(err[n] == ':' && err[n + 1] == ' ');
	assert_null(strstr(err + n, path));
	if (want_after_path)
		assert_non_null(strstr(err + n, want_after_path));
	rw_pcapfile_close(&f);
}

static void test_errors(void **state)
{
	(void)state;
	expect_open_error("/nonexistent/dir/x.pcap", "No such file or directory");
	char junk[] = "/tmp/test_pcapfile_junk_XXXXXX";
	int fd = mkstemp(junk);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a capture file at all, just text\n", 38), 38);
	close(fd);
	expect_open_error(junk, NULL);	/* libpcap: unknown file format */
	unlink(junk);
	char empty[] = "/tmp/test_pcapfile_empty_XXXXXX";
	fd = mkstemp(empty);
	assert_true(fd >= 0);
	close(fd);
	expect_open_error(empty, NULL);	/* libpcap: truncated dump file */
	unlink(empty);
	expect_open_error("/tmp", NULL);	/* a directory: fopen succeeds, reading fails */
}

static void test_filter(void **state)
{
	(void)state;
	char *path = write_file(100, 0);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), 0);
	assert_int_equal(rw_pcapfile_set_filter(&f, NULL, err, sizeof err), 0);
	assert_int_equal(rw_pcapfile_set_filter(&f, "", err, sizeof err), 0);
	assert_int_equal(rw_pcapfile_set_filter(&f, "tcp port", err, sizeof err), -1);
	assert_true(strncmp(err, "bad filter 'tcp port': ", 23) == 0);
	assert_int_equal(rw_pcapfile_set_filter(&f, "udp src port 5000", err, sizeof err), 0);
	int last;
	assert_int_equal(read_all(f.p, 2, &last), 50);	/* the even packets */
	assert_int_equal(last, PCAP_ERROR_BREAK);
	rw_pcapfile_close(&f);
	unlink(path);
	free(path);
}

/* Someone else (analyze's reader) closes the pcap_t; the buffer is released
 * after.  Under ASan a leak or a double free shows. */
static void test_release(void **state)
{
	(void)state;
	char *path = write_file(10, 0);
	struct rw_pcapfile f;
	char err[512] = "";
	assert_int_equal(rw_pcapfile_open(&f, path, err, sizeof err), 0);
	int last;
	assert_int_equal(read_all(f.p, 1, &last), 10);
	pcap_close(f.p);
	rw_pcapfile_release(&f);
	assert_null(f.p);
	assert_null(f.iobuf);
	rw_pcapfile_close(&f);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_file), cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_truncated),  cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_filter),
		cmocka_unit_test(test_release),	   cmocka_unit_test(test_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
