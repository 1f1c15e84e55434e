/* \summary: libFuzzer harness: the whole analyze pipeline, bytes -> pcap -> cmd_analyze()
 *
 * Input: byte 0 options (1 --json, 2 --pdus, 4 --findings-only,
 * 8 --max-flows 2, 0x10 --flow-timeout 1, 0x20 the file given twice);
 * the rest is a capture file (pcap or pcapng; seeds come from real ones,
 * see fuzz/seed.sh).  The file lives in a memfd and is passed as
 * /proc/self/fd/N, so libpcap reads it like any file.  Standard output goes
 * to a temporary file; with --json every line is checked by jsoncheck.h.
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* stdout becomes a memfd we rewind and check after each run */
	fflush(stdout);
	out_fd = memfd_create("rpcwatch-fuzz-out", 0);
	if (out_fd < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
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
	if (opt & 8) {
		argv[argc++] = "--max-flows";
		argv[argc++] = "2";
	}
	if (opt & 0x10) {
		argv[argc++] = "--flow-timeout";
		argv[argc++] = "1";
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
