/* \summary: `rpcwatch capture`: headless capture to file with rotation */
/*
 * rpcwatch capture -i IFACE -w FILE [-s SNAPLEN] [-c COUNT] [-C MB] [-G SECS]
 *                  [-W N] [-Z USER] [-p] [-B KiB] [-q] [FILTER...]
 * rpcwatch capture -D
 *
 * Semantics (the reference for rpcwatch(1)):
 *
 * Long options: --interface (-i), --write (-w), --list-interfaces (-D),
 *   --snapshot-length (-s), --count (-c), --file-size (-C), --rotate-seconds
 *   (-G), --ring-size (-W), --relinquish-privileges (-Z), --no-promiscuous-mode
 *   (-p), --buffer-size (-B), --quiet (-q), --help (-h: usage on stdout, exit 0).
 *   Options and FILTER words may be mixed; "--" ends the options.
 *
 * Output.  Classic pcap (microsecond time stamps) with the interface's link
 *   type and snapshot length.  "-w -" writes to standard output (no rotation,
 *   refused when stdout is a terminal).  Existing files are overwritten.  The
 *   dumper is flushed after every batch of packets, so readers see whole
 *   records; the kernel hands packets over in blocks, a partly filled one
 *   after CAP_TIMEOUT_MS (0.1 s), so a busy link costs one write per block.  Every output file - the first one and every rotated one - is
 *   created after the privilege drop (-Z or the default), so it is owned by
 *   the user rpcwatch runs as by then.
 *
 * File names.
 *   - Without -C and -G the output is exactly FILE ('%' has no meaning).
 *   - With -C or -G, FILE is first passed through strftime(3) if it contains
 *     '%', using the local time (TZ) of the start of the -G period, or with -C
 *     alone the time the file is created.  Then a sequence number of at least
 *     5 digits is inserted before the extension (the last '.' of the last path
 *     component, unless that component starts with it):
 *         trace.pcap -> trace-00000.pcap, trace-00001.pcap, ...
 *         trace      -> trace-00000, trace-00001, ...
 *     The number starts at 0, grows by one with every file created (by size
 *     or by time) and is never reused or reset.
 *   - Exception: -G without -C and a FILE containing '%' gets no sequence
 *     number: the time in the name tells the files apart.  Should the pattern
 *     expand to the same name as for the previous file (pattern coarser than
 *     -G, e.g. %H with -G 60), that file and the following ones with the same
 *     expansion get the sequence number after all instead of overwriting
 *     (trace-13.pcap, trace-13-00001.pcap, trace-13-00002.pcap, ..., then
 *     trace-14.pcap), and a warning is printed once.  Names that come back
 *     later (e.g. %a for a week-long ring) overwrite the old file, as tcpdump.
 *   The name of every new file is printed to stderr ("writing NAME") unless -q.
 *
 * -C MB  Size rotation.  MB is decimal megabytes, 1 MB = 1,000,000 bytes (as
 *   tcpdump), decimals allowed down to 0.001 (1000 bytes), up to 10000000.
 *   A new file is started before writing a packet that would make the current
 *   file exceed MB (24-byte file header + 16 bytes + captured length per
 *   packet).  A file always takes at least one packet, so a single packet
 *   larger than the limit makes one file exceed it.
 *
 * -G SECS  Time rotation, 1..31622400 seconds, aligned to the wall clock
 *   (CLOCK_REALTIME): periods start at multiples of SECS since the Unix epoch
 *   (UTC), so -G 3600 rotates on the hour and -G 86400 at 00:00 UTC.  A new file
 *   is started at every boundary even if no packets arrive (idle periods give
 *   files with only the pcap header).  Each packet goes into the file of the
 *   period its time stamp falls in.  If the clock is stepped, the next file
 *   follows the new time.
 *
 * -W N  Ring (needs -C or -G; 1..100000): at most N output files exist at any
 *   time; before a new file is created the oldest one this run created is
 *   deleted.  With -G that is a ring of the last N periods.  Files of earlier
 *   runs are never touched.
 *
 * -c COUNT  Stop after COUNT packets have been written (all files together).
 * -s SNAPLEN  1..262144 bytes per packet (default 262144; 0 means 262144).
 * -B KiB  Kernel capture buffer, default 16384 (16 MiB).
 * -p  Do not put the interface into promiscuous mode.
 * -Z USER  After opening the interface and installing the filter: initgroups,
 *   setgid, setuid to USER, verified (real and effective ids, and uid 0 cannot
 *   be regained).  Unknown user: exit 2 before any device is opened.  Needs
 *   root, unless USER is the user already running rpcwatch (then a no-op).
 *   -Z root keeps uid 0 but drops every capability.  Without -Z (privs.h):
 *   root becomes the configure-time user (--with-user, default rpcwatch or
 *   nobody) when it can write the output directory, else stays uid 0 without
 *   capabilities; a non-root user (file capabilities) drops its capabilities.
 *   Without -q the outcome is announced after "listening on".
 * -q  Quiet: no "listening on" and "writing NAME" lines; warnings, errors and
 *   statistics are still printed.  Without -q the start is announced as
 *     rpcwatch capture: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
 *     rpcwatch capture: writing trace.pcap
 * -D  List interfaces and exit 0, one per entry, addresses indented:
 *     1. eth0 (description) [Up, Running, Connected]
 *         198.18.0.1/24
 *   Flags shown: Up, Running, Loopback, Wireless, Connected/Disconnected.
 *   "-i N", N a number that is not the name of an interface, selects entry N.
 * Privileges.  Capturing needs root or the file capabilities
 *   cap_net_raw,cap_net_admin (setcap cap_net_raw,cap_net_admin+eip rpcwatch).
 * FILTER  Trailing arguments joined with spaces: a pcap-filter(7) expression,
 *   compiled against the interface's IPv4 netmask.
 *
 * Signals.  SIGINT, SIGTERM and SIGHUP (unless ignored at start) stop the
 *   capture: packets already in the capture buffer are written, the file is
 *   flushed and closed (complete), exit status 0.  SIGUSR1 prints the
 *   statistics line and the capture continues.
 *
 * Statistics, on stderr, after SIGUSR1 and always at exit once capturing has
 *   started:
 *     rpcwatch capture: N packets captured, N received by filter, N dropped by kernel, N dropped by interface
 *     rpcwatch capture: N files written            (final only)
 *   "captured" = written to files by rpcwatch; the other three come from
 *   pcap_stats().  "packets"/"files" become singular for 1.
 *
 * Exit status.  0: stopped by signal or -c reached.  2: usage error (unknown
 *   flag, bad value, missing -i/-w, -W without -C/-G, unknown -Z user), or
 *   runtime error (no permission, no such interface, interface down, bad
 *   filter, -Z failure, first output file cannot be created): exactly one line
 *   on stderr.  A failure once capturing has started (a rotated file cannot be
 *   created, a write fails e.g. disk full, the interface disappears) is one
 *   error line followed by the statistics lines, also exit 2.
 */
#include "config.h"
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "privs.h"
#include "sigwake.h"
#include "util.h"

#define CMD "capture"
#define PCAP_FILE_HDR 24u		/* classic pcap global header */
#define PCAP_REC_HDR 16u		/* classic pcap per-record header */
#define RING_MAX 100000u
#define ROTATE_SECS_MAX 31622400u	/* 366 days */
#define SIZE_MB_MAX 10000000u		/* 10 TB in -C megabytes */
#define COUNT_MAX ((uint64_t)INT64_MAX)
#define DRAIN_MAX 100000		/* packets taken from the buffer after a stop */
#define CAP_TIMEOUT_MS 100		/* the kernel hands over a partly filled block after this */
#define POLL_MAX_MS 60000


struct cap {
	/* options */
	const char *iface;
	const char *file;
	const char *user;
	char *filter;
	int snaplen;
	int promisc;
	int buffer_kib;
	int quiet;
	uint64_t count;		/* -c, 0 = unlimited */
	uint64_t size_limit;	/* -C in bytes, 0 = none */
	time_t rotate_secs;	/* -G, 0 = none */
	size_t ring;		/* -W, 0 = unlimited */
	int rotating;		/* -C or -G */
	int has_pattern;	/* FILE contains '%' (and rotating) */
	int to_stdout;		/* -w - */

	/* state */
	struct rw_live lv;
	int pcap_fd;
	struct rw_sigwake sw;	/* signal self-pipe (sigwake.h) */
	pcap_dumper_t *d;
	char *cur_name;
	uint64_t file_bytes;
	uint64_t file_pkts;
	int64_t period;		/* -G period index of the current file */
	uint64_t seq;		/* sequence number of the next file */
	uint64_t files;		/* files created */
	uint64_t written;	/* packets written */
	char **ring_names;	/* circular, ring entries */
	size_t ring_head, ring_len;
	char *prev_expansion;	/* -G with pattern only: strftime result of the last file */
	int warned_repeat;
	int write_errno;	/* errno of a failed pcap_dump() */
	int write_reported;	/* the write error has been printed */
	int fatal;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch capture -i IFACE -w FILE [OPTIONS] [FILTER...]\n"
		"       rpcwatch capture -D\n"
		"\n"
		"Capture packets headlessly into classic pcap files, with optional rotation.\n"
		"\n"
		"  -i, --interface=IFACE        interface to capture on, or its number from -D\n"
		"  -w, --write=FILE             output file ('-' = standard output, no rotation)\n"
		"  -D, --list-interfaces        list capture interfaces and exit\n"
		"  -s, --snapshot-length=BYTES  bytes kept per packet, 1..262144 (default 262144)\n"
		"  -c, --count=N                stop after N packets have been written\n"
		"  -C, --file-size=MB           start a new file before one would exceed MB\n"
		"                               megabytes (1 MB = 1000000 bytes; >= 0.001)\n"
		"  -G, --rotate-seconds=SECS    start a new file at every multiple of SECS\n"
		"                               seconds of the wall clock, even when idle\n"
		"  -W, --ring-size=N            with -C or -G: keep only the newest N files\n"
		"  -Z, --relinquish-privileges=USER\n"
		"                               switch to USER after opening the interface;\n"
		"                               every output file is created as USER\n"
		"  -p, --no-promiscuous-mode    do not put the interface in promiscuous mode\n"
		"  -B, --buffer-size=KiB        kernel capture buffer (default 16384 = 16 MiB)\n"
		"  -q, --quiet                  print only warnings, errors and statistics\n"
		"  -h, --help                   show this help\n"
		"\n"
		"File names with -C or -G: FILE is expanded with strftime(3) if it contains\n"
		"'%%', then a sequence number goes before the extension:\n"
		"  trace.pcap -> trace-00000.pcap, trace-00001.pcap, ...\n"
		"(-G without -C and a '%%' pattern: no sequence number).\n"
		"\n"
		"FILTER is a pcap-filter(7) expression, e.g.  tcp port 135 or tcp portrange 49152-65535\n"
		"\n"
		"SIGINT/SIGTERM stop cleanly (exit 0); SIGUSR1 prints statistics.\n"
		"Exit status: 0 stopped normally, 2 usage or runtime error.\n");
}

/* ---- signals ------------------------------------------------------------ */

/* SIGINT, SIGTERM, SIGHUP stop; SIGUSR1 asks for statistics (sigwake.h). */
static const int cap_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
static const int cap_stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_SIGNALS (sizeof cap_signals / sizeof cap_signals[0])
#define N_STOP_SIGNALS (sizeof cap_stop_signals / sizeof cap_stop_signals[0])

static int cap_stopped(const struct cap *c)
{
	return rw_sigwake_any(&c->sw, cap_stop_signals, N_STOP_SIGNALS);
}

/* ---- option values ------------------------------------------------------ */

/* Decimal megabytes "100", "0.5", "0.001" -> bytes (1 MB = 1e6 bytes). */
static int parse_mb(const char *s, uint64_t *bytes)
{
	uint64_t ip = 0, frac = 0;
	int ndig = 0, nfrac = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, ndig++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > SIZE_MB_MAX)
			return 0;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, ndig++) {
			if (nfrac < 6) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				nfrac++;
			} else if (*p != '0') {
				return 0;	/* finer than one byte */
			}
		}
	}
	if (*p || ndig == 0)
		return 0;
	while (nfrac < 6) {
		frac *= 10;
		nfrac++;
	}
	uint64_t b = ip * 1000000u + frac;
	if (b < 1000u || b > (uint64_t)SIZE_MB_MAX * 1000000u)
		return 0;
	*bytes = b;
	return 1;
}

/* ---- output files ------------------------------------------------------- */

static int64_t period_of(const struct cap *c, time_t t)
{
	int64_t g = (int64_t)c->rotate_secs;
	int64_t q = (int64_t)t / g;
	if ((int64_t)t % g < 0)
		q--;
	return q;
}

static time_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* The name of the next file; malloc'd, or NULL after printing an error. */
static char *make_name(struct cap *c, time_t t, int with_seq)
{
	char expanded[PATH_MAX + 1];
	const char *base = c->file;

	if (c->has_pattern) {
		struct tm tm;
		if (!localtime_r(&t, &tm)) {
			rw_err(CMD, "cannot convert the time for file name '%s'", c->file);
			return NULL;
		}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		size_t n = strftime(expanded, sizeof expanded, c->file, &tm);
#pragma GCC diagnostic pop
		if (n == 0) {
			rw_err(CMD, "file name pattern '%s' expands to nothing or to more than "
				    "%d bytes", c->file, PATH_MAX);
			return NULL;
		}
		base = expanded;
	}
	if (!with_seq) {
		char *s = strdup(base);
		if (!s)
			rw_err(CMD, "out of memory");
		return s;
	}
	const char *slash = strrchr(base, '/');
	const char *comp = slash ? slash + 1 : base;
	const char *dot = strrchr(comp, '.');
	if (dot == comp)
		dot = NULL;	/* ".pcap" is a name, not an extension */
	size_t stem = dot ? (size_t)(dot - base) : strlen(base);
	const char *ext = dot ? dot : "";
	size_t len = stem + 1 + 20 + strlen(ext) + 1;
	char *s = malloc(len);
	if (!s) {
		rw_err(CMD, "out of memory");
		return NULL;
	}
	snprintf(s, len, "%.*s-%05" PRIu64 "%s", (int)stem, base, c->seq, ext);
	return s;
}

static int flush_output(struct cap *c)
{
	FILE *fp = pcap_dump_file(c->d);
	errno = 0;
	if (pcap_dump_flush(c->d) != 0 || ferror(fp)) {
		int e = errno ? errno : c->write_errno;
		if (!c->write_reported)
			rw_err(CMD, "cannot write to %s%s%s%s%s",
			       c->to_stdout ? "standard output" : "'",
			       c->to_stdout ? "" : c->cur_name, c->to_stdout ? "" : "'",
			       e ? ": " : "", e ? strerror(e) : "");
		c->write_reported = 1;
		return -1;
	}
	return 0;
}

static int close_output(struct cap *c)
{
	if (!c->d)
		return 0;
	int rc = flush_output(c);
	pcap_dump_close(c->d);
	c->d = NULL;
	return rc;
}

static void ring_forget(struct cap *c, const char *name)
{
	/* Drop an entry whose file is about to be overwritten (repeating pattern). */
	for (size_t i = 0; i < c->ring_len; i++) {
		size_t k = (c->ring_head + i) % c->ring;
		if (strcmp(c->ring_names[k], name) != 0)
			continue;
		free(c->ring_names[k]);
		for (size_t j = i; j + 1 < c->ring_len; j++)
			c->ring_names[(c->ring_head + j) % c->ring] =
				c->ring_names[(c->ring_head + j + 1) % c->ring];
		c->ring_len--;
		c->ring_names[(c->ring_head + c->ring_len) % c->ring] = NULL;
		return;
	}
}

static void ring_make_room(struct cap *c)
{
	while (c->ring_len >= c->ring) {
		char *old = c->ring_names[c->ring_head];
		if (unlink(old) != 0 && errno != ENOENT)
			rw_err(CMD, "warning: cannot remove old file '%s' (ring of %zu files): %s",
			       old, c->ring, strerror(errno));
		free(old);
		c->ring_names[c->ring_head] = NULL;
		c->ring_head = (c->ring_head + 1) % c->ring;
		c->ring_len--;
	}
}

static void ring_push(struct cap *c, const char *name)
{
	char *s = strdup(name);
	if (!s)
		return;	/* not fatal: this file just will not be rotated away */
	c->ring_names[(c->ring_head + c->ring_len) % c->ring] = s;
	c->ring_len++;
}

static void announce(const struct cap *c)
{
	if (c->quiet)
		return;
	if (c->to_stdout)
		rw_err(CMD, "writing to standard output");
	else
		rw_err(CMD, "writing %s", c->cur_name);
}

/* Finish the current file (if any) and start the next one, named for time t. */
static int open_output(struct cap *c, time_t t, int announce_it)
{
	char *name;

	if (c->to_stdout) {
		name = strdup("-");
		if (!name) {
			rw_err(CMD, "out of memory");
			return -1;
		}
	} else {
		int seq = c->rotating && (c->size_limit || !c->has_pattern);
		name = make_name(c, t, seq);
		if (!name)
			return -1;
		if (!seq && c->has_pattern) {
			/* -G alone with a pattern: the plain expansion, unless it is the
			 * same as the previous file's (pattern coarser than -G). */
			char *expansion = name;
			if (c->prev_expansion && strcmp(expansion, c->prev_expansion) == 0) {
				if (!c->warned_repeat) {
					rw_err(CMD, "warning: '%s' gives the same name for "
						    "consecutive -G %lld periods; adding sequence "
						    "numbers", c->file, (long long)c->rotate_secs);
					c->warned_repeat = 1;
				}
				name = make_name(c, t, 1);
				if (!name) {
					free(expansion);
					return -1;
				}
			} else {
				name = strdup(expansion);
				if (!name) {
					rw_err(CMD, "out of memory");
					free(expansion);
					return -1;
				}
			}
			free(c->prev_expansion);
			c->prev_expansion = expansion;
		}
	}

	if (close_output(c) != 0) {
		free(name);
		return -1;
	}
	if (c->ring) {
		ring_forget(c, name);
		ring_make_room(c);
	}

	FILE *fp;
	if (c->to_stdout) {
		fp = stdout;
	} else {
		int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			rw_err(CMD, "cannot create output file '%s': %s", name, strerror(errno));
			free(name);
			return -1;
		}
		fp = fdopen(fd, "wb");
		if (!fp) {
			rw_err(CMD, "cannot create output file '%s': %s", name, strerror(errno));
			close(fd);
			free(name);
			return -1;
		}
	}
	c->d = pcap_dump_fopen(c->lv.p, fp);
	if (!c->d) {
		rw_err(CMD, "cannot write output file '%s': %s", name, pcap_geterr(c->lv.p));
		if (fp != stdout)
			fclose(fp);
		free(name);
		return -1;
	}
	free(c->cur_name);
	c->cur_name = name;
	if (c->ring)
		ring_push(c, name);
	c->file_bytes = PCAP_FILE_HDR;
	c->file_pkts = 0;
	c->files++;
	c->seq++;
	if (announce_it)
		announce(c);
	return 0;
}

/* Start the file of -G period per. */
static int rotate_to_period(struct cap *c, int64_t per)
{
	c->period = per;
	return open_output(c, (time_t)(per * (int64_t)c->rotate_secs), 1);
}

/* ---- capture loop ------------------------------------------------------- */

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap *c = (struct cap *)(void *)user;

	if (c->fatal || (c->count && c->written >= c->count)) {
		pcap_breakloop(c->lv.p);
		return;
	}
	if (c->rotate_secs) {
		int64_t per = period_of(c, h->ts.tv_sec);
		if (per > c->period && rotate_to_period(c, per) != 0)
			goto fail;
	}
	uint64_t rec = PCAP_REC_HDR + (uint64_t)h->caplen;
	if (c->size_limit && c->file_pkts > 0 && c->file_bytes + rec > c->size_limit) {
		time_t t = c->rotate_secs ? (time_t)(c->period * (int64_t)c->rotate_secs)
					  : now_sec();
		if (open_output(c, t, 1) != 0)
			goto fail;
	}
	pcap_dump((u_char *)c->d, h, bytes);
	if (ferror(pcap_dump_file(c->d))) {
		c->write_errno = errno;	/* e.g. ENOSPC; reported by flush_output() */
		goto fail;
	}
	c->file_bytes += rec;
	c->file_pkts++;
	c->written++;
	if (c->count && c->written >= c->count)
		pcap_breakloop(c->lv.p);
	return;
fail:
	c->fatal = 1;
	pcap_breakloop(c->lv.p);
}

/* One pcap_dispatch() of at most max packets (-1: all available), then flush. */
static void dispatch(struct cap *c, int max)
{
	int cnt = max;
	if (c->count) {
		uint64_t left = c->count - c->written;
		if (left == 0)
			return;
		if (left <= INT_MAX && (cnt <= 0 || left < (uint64_t)cnt))
			cnt = (int)left;
	}
	int n = pcap_dispatch(c->lv.p, cnt, on_packet, (u_char *)c);
	if (n == PCAP_ERROR) {
		rw_err(CMD, "capture on %s failed: %s", c->lv.name, pcap_geterr(c->lv.p));
		c->fatal = 1;
	}
	if (c->d && flush_output(c) != 0)
		c->fatal = 1;
}

static void print_stats(const struct cap *c)
{
	struct pcap_stat st;
	memset(&st, 0, sizeof st);
	if (pcap_stats(c->lv.p, &st) != 0) {
		rw_err(CMD, "%" PRIu64 " packet%s captured (kernel statistics unavailable: %s)",
		       c->written, c->written == 1 ? "" : "s", pcap_geterr(c->lv.p));
		return;
	}
	rw_err(CMD, "%" PRIu64 " packet%s captured, %u received by filter, "
		    "%u dropped by kernel, %u dropped by interface",
	       c->written, c->written == 1 ? "" : "s", st.ps_recv, st.ps_drop, st.ps_ifdrop);
}

/* Milliseconds until the next -G boundary (at least 1), or -1 without -G. */
static int poll_timeout(const struct cap *c)
{
	if (!c->rotate_secs)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t next = (period_of(c, ts.tv_sec) + 1) * (int64_t)c->rotate_secs;
	int64_t ms = (next - (int64_t)ts.tv_sec) * 1000 - ts.tv_nsec / 1000000;
	if (ms < 1)
		ms = 1;
	if (ms > POLL_MAX_MS)
		ms = POLL_MAX_MS;
	return (int)ms;
}

static void capture_loop(struct cap *c)
{
	struct pollfd pf[2];

	while (!c->fatal && !cap_stopped(c) && !(c->count && c->written >= c->count)) {
		if (rw_sigwake_take(&c->sw, SIGUSR1))
			print_stats(c);
		if (c->rotate_secs) {
			int64_t per = period_of(c, now_sec());
			if (per != c->period) {
				/* Packets of the ending period still go to its file. */
				dispatch(c, -1);
				if (c->fatal || (c->count && c->written >= c->count))
					break;
				if (per != c->period && rotate_to_period(c, per) != 0) {
					c->fatal = 1;
					break;
				}
			}
		}
		pf[0].fd = c->pcap_fd;
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		pf[1].fd = c->sw.rd;
		pf[1].events = POLLIN;
		pf[1].revents = 0;
		int n = poll(pf, 2, poll_timeout(c));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rw_err(CMD, "poll: %s", strerror(errno));
			c->fatal = 1;
			break;
		}
		if (pf[1].revents)
			rw_sigwake_drain(&c->sw);
		if (pf[0].revents)
			dispatch(c, -1);
	}
	rw_sigwake_drain(&c->sw);
	if (rw_sigwake_take(&c->sw, SIGUSR1))
		print_stats(c);
	/* Stopped by a signal: keep what is already in the capture buffer,
	 * including the block the kernel has not handed over yet, which it does
	 * when CAP_TIMEOUT_MS run out: wait for that (twice, to be sure). */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t drained = c->written;
	while (!c->fatal && !(c->count && c->written >= c->count) && c->written - drained < DRAIN_MAX) {
		dispatch(c, DRAIN_MAX);
		clock_gettime(CLOCK_MONOTONIC, &t);
		int64_t ms = (int64_t)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= 2 * CAP_TIMEOUT_MS)
			break;
		struct pollfd pd = {.fd = c->pcap_fd, .events = POLLIN};
		(void)poll(&pd, 1, (int)(2 * CAP_TIMEOUT_MS - ms));
	}
}

/* ---- command ------------------------------------------------------------ */

static void parse_args(struct cap *c, int argc, char **argv, int *list)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "list-interfaces", no_argument, NULL, 'D' },
		{ "snapshot-length", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "file-size", required_argument, NULL, 'C' },
		{ "rotate-seconds", required_argument, NULL, 'G' },
		{ "ring-size", required_argument, NULL, 'W' },
		{ "relinquish-privileges", required_argument, NULL, 'Z' },
		{ "no-promiscuous-mode", no_argument, NULL, 'p' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	opterr = 0;
	optind = 0;	/* full reset of GNU getopt */
	while ((opt = getopt_long(argc, argv, ":i:w:Ds:c:C:G:W:Z:pB:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			c->iface = optarg;
			break;
		case 'w':
			c->file = optarg;
			break;
		case 'D':
			*list = 1;
			break;
		case 's':
			if (!parse_u64(optarg, 0, RW_SNAPLEN_MAX, &v))
				rw_usage_error(CMD, "invalid -s value '%s': expected a snapshot length "
						    "from 1 to %d bytes", optarg, RW_SNAPLEN_MAX);
			c->snaplen = v ? (int)v : RW_SNAPLEN_MAX;
			break;
		case 'c':
			if (!parse_u64(optarg, 1, COUNT_MAX, &v))
				rw_usage_error(CMD, "invalid -c value '%s': expected a packet count "
						    "of at least 1", optarg);
			c->count = v;
			break;
		case 'C':
			if (!parse_mb(optarg, &c->size_limit))
				rw_usage_error(CMD, "invalid -C value '%s': expected a file size in "
						    "megabytes (1 MB = 1000000 bytes) from 0.001 to %u",
					       optarg, SIZE_MB_MAX);
			break;
		case 'G':
			if (!parse_u64(optarg, 1, ROTATE_SECS_MAX, &v))
				rw_usage_error(CMD, "invalid -G value '%s': expected seconds from 1 "
						    "to %u", optarg, ROTATE_SECS_MAX);
			c->rotate_secs = (time_t)v;
			break;
		case 'W':
			if (!parse_u64(optarg, 1, RING_MAX, &v))
				rw_usage_error(CMD, "invalid -W value '%s': expected a number of "
						    "files from 1 to %u", optarg, RING_MAX);
			c->ring = (size_t)v;
			break;
		case 'Z':
			c->user = optarg;
			break;
		case 'p':
			c->promisc = 0;
			break;
		case 'B':
			if (!parse_u64(optarg, 1, RW_BUFFER_KIB_MAX, &v))
				rw_usage_error(CMD, "invalid -B value '%s': expected a buffer size "
						    "in KiB from 1 to %d", optarg, RW_BUFFER_KIB_MAX);
			c->buffer_kib = (int)v;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(RW_EXIT_OK);
		default:
			rw_bad_option(CMD, argv, opt);
		}
	}
	c->filter = join_args(argc - optind, argv + optind);
}

static void validate(struct cap *c)
{
	char err[RW_LIVE_ERRLEN];

	if (!c->iface)
		rw_usage_error(CMD, "missing -i IFACE: the interface to capture on; -D lists them");
	if (!*c->iface)
		rw_usage_error(CMD, "empty interface name");
	if (!c->file)
		rw_usage_error(CMD, "missing -w FILE: the file to write packets to");
	if (!*c->file)
		rw_usage_error(CMD, "empty output file name");
	c->rotating = c->size_limit || c->rotate_secs;
	c->to_stdout = strcmp(c->file, "-") == 0;
	if (c->ring && !c->rotating)
		rw_usage_error(CMD, "-W needs -C or -G: it limits the number of rotated files");
	if (c->to_stdout && c->rotating)
		rw_usage_error(CMD, "-C and -G need a file name, not '-w -'");
	if (c->to_stdout && isatty(STDOUT_FILENO))
		rw_usage_error(CMD, "refusing to write binary pcap data to a terminal; "
				    "redirect standard output or give a file name");
	c->has_pattern = c->rotating && strchr(c->file, '%') != NULL;
	if (c->user && rw_user_exists(c->user, err, sizeof err) != 0)
		rw_usage_error(CMD, "invalid -Z value: %s", err);
}

static int run(struct cap *c)
{
	char err[RW_LIVE_ERRLEN];
	char lt[128];
	struct rw_live_opts o = {
		.iface = c->iface,
		.snaplen = c->snaplen,
		.promisc = c->promisc,
		.buffer_kib = c->buffer_kib,
		/* Not immediate mode: the kernel hands over packets in blocks (at
		 * the latest after timeout_ms), so a busy link costs one wakeup and
		 * one write per block instead of one per packet; bench/live.sh saw
		 * immediate mode drop a third of 45 kpps that tcpdump -w kept. */
		.timeout_ms = CAP_TIMEOUT_MS,
		.immediate = 0,
	};

	if (rw_live_open(&o, &c->lv, err, sizeof err) != 0) {
		rw_err(CMD, "%s", err);
		return RW_EXIT_USAGE;
	}
	if (rw_live_set_filter(&c->lv, c->filter, err, sizeof err) != 0) {
		rw_err(CMD, "%s", err);
		return RW_EXIT_USAGE;
	}
	c->pcap_fd = rw_live_pollable_fd(&c->lv, err, sizeof err);
	if (c->pcap_fd < 0) {
		rw_err(CMD, "%s", err);
		return RW_EXIT_USAGE;
	}
	/* -Z USER, or by default (privs.h): an unprivileged user that can write
	 * the output directory, else root without capabilities */
	char dir[4096];
	const char *dirs[1] = {rw_dir_of(c->file, dir, sizeof dir)};
	int ndirs = !c->to_stdout && !strchr(dir, '%');
	char privs[RW_LIVE_ERRLEN];
	if (rw_privs_drop(c->user, dirs, (size_t)ndirs, privs, sizeof privs) == RW_PRIVS_ERROR) {
		rw_err(CMD, "%s", privs);
		return RW_EXIT_USAGE;
	}
	if (c->ring)
		c->ring_names = xcalloc(c->ring, sizeof *c->ring_names);

	/* First file: created only now, after the privilege drop. */
	time_t t0 = now_sec();
	if (c->rotate_secs) {
		c->period = period_of(c, t0);
		t0 = (time_t)(c->period * (int64_t)c->rotate_secs);
	}
	if (open_output(c, t0, 0) != 0)
		return RW_EXIT_USAGE;
	if (c->lv.warning[0])
		rw_err(CMD, "%s", c->lv.warning);
	if (!c->quiet) {
		rw_err(CMD, "listening on %s, %s, snapshot length %d bytes", c->lv.name,
		       rw_live_linktype_text(&c->lv, lt, sizeof lt), c->lv.snaplen);
		rw_err(CMD, "%s", privs);
		announce(c);
	}

	capture_loop(c);

	if (close_output(c) != 0)
		c->fatal = 1;
	print_stats(c);
	rw_err(CMD, "%" PRIu64 " file%s written", c->files, c->files == 1 ? "" : "s");
	return c->fatal ? RW_EXIT_USAGE : RW_EXIT_OK;
}

int cmd_capture(int argc, char **argv)
{
	struct cap c;
	char err[RW_LIVE_ERRLEN];
	int list = 0;

	memset(&c, 0, sizeof c);
	c.snaplen = RW_SNAPLEN_DEFAULT;
	c.promisc = 1;
	c.buffer_kib = RW_BUFFER_KIB_DEFAULT;
	c.pcap_fd = -1;
	c.sw.rd = -1;

	parse_args(&c, argc, argv, &list);
	if (list) {
		free(c.filter);
		int n = rw_live_list(stdout, err, sizeof err);
		if (n < 0) {
			rw_err(CMD, "%s", err);
			return RW_EXIT_USAGE;
		}
		if (n == 0) {
			rw_err(CMD, "no capture interfaces found (capturing needs root or "
				    "cap_net_raw,cap_net_admin)");
			return RW_EXIT_USAGE;
		}
		return RW_EXIT_OK;
	}
	validate(&c);

	int rc = RW_EXIT_USAGE;
	if (rw_sigwake_install(&c.sw, cap_signals, N_SIGNALS, err, sizeof err) != 0)
		rw_err(CMD, "%s", err);
	else
		rc = run(&c);

	if (c.d)
		pcap_dump_close(c.d);	/* error paths only; run() closes normally */
	rw_live_close(&c.lv);
	rw_sigwake_restore(&c.sw);
	if (c.ring_names) {
		for (size_t i = 0; i < c.ring; i++)
			free(c.ring_names[i]);
		free(c.ring_names);
	}
	free(c.cur_name);
	free(c.prev_expansion);
	free(c.filter);
	return rc;
}
