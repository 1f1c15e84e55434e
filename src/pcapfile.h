/* \summary: opening capture files for reading (analyze, watch -r)
 *
 * libpcap's pcap_open_offline() reads through a FILE with stdio's default
 * buffer, which glibc sizes by st_blksize (4 KiB): libpcap's small freads (a
 * 16-byte record header, then the packet) then cost one read() every few
 * packets, a fifth of analyze's reading thread (bench/README, session 4).
 * rw_pcapfile_open() opens the file itself with a buffer of up to 256 KiB
 * (no larger than the file) and hands it to pcap_fopen_offline().
 *
 * Messages: every function that can fail writes ONE line into a caller's
 * buffer (no "rpcwatch CMD:" prefix, no newline).  An open error always
 * starts with the path: libpcap's own message when it already does ("PATH:
 * No such file or directory"), else "PATH: " and libpcap's message.
 *
 * Ownership.  struct rw_pcapfile is caller-owned storage; after a successful
 * open, f->p and the buffer behind it belong to it until rw_pcapfile_close()
 * (safe on a zeroed or closed struct).  A caller may hand f->p to something
 * that closes it (analyze's reader does): it then calls
 * rw_pcapfile_release() once that pcap_close() has happened, never before,
 * since libpcap's FILE reads into the buffer until it is closed.
 * "-" is standard input, with stdio's buffer, as for libpcap.
 */
#ifndef RPCWATCH_PCAPFILE_H
#define RPCWATCH_PCAPFILE_H

#include <stddef.h>
#include <pcap/pcap.h>

/* room for libpcap's message and a path of PATH_MAX (4096) */
#define RW_PCAPFILE_ERRLEN (PCAP_ERRBUF_SIZE + 4096 + 64)

struct rw_pcapfile {
	pcap_t *p;
	char *iobuf;		/* the FILE's buffer (NULL for "-" or if it could not be set) */
	size_t iobuf_size;	/* its size: 256 KiB, or the file's size if smaller (at least 4 KiB) */
	int regular;		/* a regular file (not "-", a pipe or a device) */
};

/* 0, or -1 with err filled and *f zeroed. */
int rw_pcapfile_open(struct rw_pcapfile *f, const char *path, char *err, size_t errlen);
/* Compile and install a BPF filter (nothing for NULL or ""): 0, or -1 with
 * "bad filter 'EXPR': libpcap's message" in err. */
int rw_pcapfile_set_filter(struct rw_pcapfile *f, const char *expr, char *err, size_t errlen);
/* pcap_close() and free the buffer. */
void rw_pcapfile_close(struct rw_pcapfile *f);
/* Free the buffer after someone else closed f->p (f->p is forgotten). */
void rw_pcapfile_release(struct rw_pcapfile *f);

#endif
