/* \summary: libFuzzer harness: the whole analyze pipeline, bytes -> pcap -> cmd_analyze()
 *
 * Input: byte 0 options (1 --json, 2 --pdus, 4 --findings-only,
 * 8 --max-flows 2, 0x10 --flow-timeout 1, 0x20 the file given twice,
 * 0x40 and 0x80 both set: --threads 2, else --threads 1);
 * the rest is a capture file (pcap or pcapng; seeds come from real ones,
 * see fuzz/seed.sh).  The file lives in a memfd and is passed as
 * /proc/self/fd/N, so libpcap reads it like any file.  Standard output goes
 * to a memfd as well; with --json every line is checked by jsoncheck.h.
 *
 * Speed: analyze's default on a machine with two CPUs is a reader thread
 * per run (--threads 2): a thread and a megabyte of batch buffers per input
 * cost far more than a small capture's analysis (mmap/munmap and TLB
 * shootdowns under ASan).  So one input in four runs threaded and the rest
 * with --threads 1, which decodes the same packets in the same order.
 * Whether this analyze knows --threads is probed once at start-up (an
 * empty capture with and without it), so the harness also builds against
 * a tree without the option.  Likewise the default --max-flows (65536)
 * means a 512 KB hash table per run, mmap'd and unmapped by ASan each
 * time; without option 8 the harness passes --max-flows 4096 instead, which
 * is the same analysis: an input of at most 64 KB (run-long.sh's -max_len)
 * holds fewer than 1,500 packets with a transport header, so even given
 * twice it cannot fill 4096 flows, and nothing is evicted either way.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze.h"
#include "fuzz.h"
#include "jsoncheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int out_fd = -1;
static int have_threads;	/* analyze accepts --threads */

/* cmd_analyze on an empty pcap (header only), with --threads 1 or not */
static int probe(int threads)
{
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
					0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
	int in = memfd_create("rpcwatch-fuzz-probe", 0);
	if (in < 0 || write(in, hdr, sizeof hdr) != (ssize_t)sizeof hdr)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", in);
	char *argv[] = {"analyze", "-q", "--threads", "1", path, NULL};
	int rc = threads ? cmd_analyze(5, argv) : cmd_analyze(3, (char *[]){"analyze", "-q", path, NULL});
	close(in);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* stdout becomes a memfd we rewind and check after each run */
	fflush(stdout);
	out_fd = memfd_create("rpcwatch-fuzz-out", 0);
	if (out_fd < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		abort();
	int base = probe(0);
	have_threads = probe(1) == base;
	fprintf(stderr, "fuzz_pipeline: empty capture exits %d; --threads %s\n", base,
		have_threads ? "known: 1, or 2 when byte 0 has 0xc0" : "unknown: analyze's default");
	fflush(stdout);
	if (ftruncate(STDOUT_FILENO, 0) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t opt = data[0];
	int in = memfd_create("rpcwatch-fuzz-in", 0);
	if (in < 0)
		abort();
	if (size > 1 && write(in, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", in);

	char *argv[16];
	int argc = 0;
	argv[argc++] = "analyze";
	argv[argc++] = "-q";
	if (opt & 1)
		argv[argc++] = "--json";
	if (opt & 2)
		argv[argc++] = "--pdus";
	if (opt & 4)
		argv[argc++] = "--findings-only";
	argv[argc++] = "--max-flows";
	argv[argc++] = (opt & 8) ? "2" : "4096";
	if (opt & 0x10) {
		argv[argc++] = "--flow-timeout";
		argv[argc++] = "1";
	}
	if (have_threads) {
		argv[argc++] = "--threads";
		argv[argc++] = (opt & 0xc0) == 0xc0 ? "2" : "1";
	}
	argv[argc++] = path;
	if (opt & 0x20)
		argv[argc++] = path;
	argv[argc] = NULL;

	fflush(stdout);
	if (ftruncate(STDOUT_FILENO, 0) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
		abort();
	int rc = cmd_analyze(argc, argv);
	fflush(stdout);
	FZ_ASSERT(rc == 0 || rc == 1 || rc == 2);
	close(in);

	if (opt & 1) {
		off_t n = lseek(STDOUT_FILENO, 0, SEEK_CUR);
		if (n > 0) {
			uint8_t *o = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE, STDOUT_FILENO, 0);
			if (o == MAP_FAILED)
				abort();
			size_t bad = 0;
			if (!json_lines_valid(o, (size_t)n, &bad)) {
				fprintf(stderr, "invalid JSON at byte %zu:\n%.*s\n", bad,
					(int)((size_t)n - bad < 200 ? (size_t)n - bad : 200), (const char *)o + bad);
				abort();
			}
			munmap(o, (size_t)n);
		}
	}
	return 0;
}
