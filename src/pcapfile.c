/* \summary: opening capture files for reading (see pcapfile.h) */
#include "config.h"
#include "pcapfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_IOBUF (256u * 1024)

static void open_error(const char *path, const char *msg, char *err, size_t errlen)
{
	/* libpcap's message usually starts with the path already */
	if (strncmp(msg, path, strlen(path)) == 0)
		snprintf(err, errlen, "%s", msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
}

int rw_pcapfile_open(struct rw_pcapfile *f, const char *path, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	f->p = NULL;
	f->iobuf = NULL;
	f->iobuf_size = 0;
	f->regular = 0;
	if (!strcmp(path, "-")) {
		f->p = pcap_open_offline(path, eb);
		if (!f->p) {
			open_error(path, eb, err, errlen);
			return -1;
		}
		return 0;
	}
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* no bigger than the file: a small capture (or a fuzz input, read
	 * thousands of times) does not fault in 256 KiB it never fills */
	size_t sz = READ_IOBUF;
	struct stat st;
	int regular = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
	if (regular && st.st_size >= 0 && (uint64_t)st.st_size < READ_IOBUF)
		sz = st.st_size < 4096 ? 4096 : (size_t)st.st_size;
	char *buf = malloc(sz);
	if (buf && setvbuf(fp, buf, _IOFBF, sz) != 0) {
		free(buf);
		buf = NULL;
	}
	f->p = pcap_fopen_offline(fp, eb);
	if (!f->p) {
		fclose(fp);	/* libpcap leaves it open when it fails */
		free(buf);
		open_error(path, eb, err, errlen);
		return -1;
	}
	f->iobuf = buf;
	f->iobuf_size = buf ? sz : 0;
	f->regular = regular;
	return 0;
}

int rw_pcapfile_set_filter(struct rw_pcapfile *f, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (!expr || !*expr)
		return 0;
	if (pcap_compile(f->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr, pcap_geterr(f->p));
		return -1;
	}
	int rc = pcap_setfilter(f->p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr, pcap_geterr(f->p));
		return -1;
	}
	return 0;
}

void rw_pcapfile_close(struct rw_pcapfile *f)
{
	if (f->p)
		pcap_close(f->p);
	rw_pcapfile_release(f);
}

void rw_pcapfile_release(struct rw_pcapfile *f)
{
	f->p = NULL;
	free(f->iobuf);
	f->iobuf = NULL;
	f->iobuf_size = 0;
	f->regular = 0;
}
