/* \summary: `rpcwatch watch`: the live troubleshooting screen (see watch.h)
 *
 *   rpcwatch watch -i IFACE [-Z USER] [-p] [-B KiB] [-s SNAPLEN] [OPTIONS] [BPF...]
 *   rpcwatch watch -r FILE [--speed X] [OPTIONS] [BPF...]
 *
 * Everything the screen shows comes from struct model (model.h), which runs
 * analyze's pipeline; this file only reads packets, draws and handles keys.
 *
 * Screen (80x24 and larger): two header lines (source, packets, drops, rate,
 * elapsed, findings by severity), four panes stacked — Endpoints, RPC calls,
 * Registrations, Findings — each with a title bar, and a status line.  Enter
 * opens a detail view over the panes; ? the help.  Drawing goes to stdscr
 * only: erase(), draw, wnoutrefresh(), doupdate() — never clear(), so a
 * redraw (also after a resize) does not flicker.
 *
 * Reading.  Live: the device is opened and filtered like capture does, then
 * -Z drops privileges, then curses starts and a thread of its own reads the
 * device into a bounded queue (liveq.h: snapshots and drawing no longer stop
 * the reading, so the kernel's buffer only has to cover what the queue
 * cannot); poll() waits on the queue, the terminal and the signal self-pipe.  Replay: as fast as
 * possible (--speed 0, the default) in slices that keep the keys responsive,
 * or paced at X times the capture's own speed.  At the end of the file the
 * model is flushed exactly as analyze flushes (so the screen then agrees with
 * `rpcwatch analyze FILE`) and the screen holds until q.  `p` stops reading
 * (live: the kernel buffers meanwhile; losses show as drops).
 *
 * Terminal safety: SIGINT/SIGTERM/SIGHUP write a byte to a self-pipe that wakes
 * poll() (sigwake.h), and the loop ends normally (endwin); SIGSEGV/SIGBUS/SIGFPE/
 * SIGILL/SIGABRT call endwin() and re-raise with the default action.
 */
#include "config.h"
#include "watch.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "live.h"
#include "liveq.h"
#include "model.h"
#include "pcapfile.h"
#include "privs.h"
#include "reader.h"
#include "sigwake.h"
#include "util.h"

#define CMD "watch"
#define KEEP_S_DEFAULT 300
#define RING_MB_DEFAULT 64
#define REPLAY_SLICE_US 20000		/* read at most this long between looks at the keyboard */
#define REFRESH_US 200000		/* model snapshots at most this often while packets flow */
#define TICK_MS 250
#define LIVE_TIMEOUT_MS 100		/* live: the kernel hands over a partly filled block after this */
#define LIVEQ_MAX_BYTES (32u << 20)	/* live: packets read but not yet analysed, at most */

/* The only global: what the crash handler needs (the stop signals' self-pipe
 * is sigwake.c's). */
static volatile sig_atomic_t wt_curses_on;

enum mode { M_MAIN = 0, M_HELP, M_DETAIL, M_FILTER, M_WRITE };
enum { C_RED = 1, C_YELLOW, C_GREEN, C_CYAN, C_TITLE, C_FOCUS };

struct pane {
	int sort;
	size_t sel, top;
	uint64_t sel_id;
	int has_sel_id;
	const void **v;
	size_t n, cap;
	int y, h;			/* rows on screen, title bar included */
};

struct dline {
	int attr;			/* C_* colour pair, 0 none */
	int bold;
	char *text;
};

struct watch {
	/* options */
	const char *iface, *file, *user;
	char *filter;
	int promisc, buffer_kib, snaplen;
	double speed;
	uint32_t keep_s;
	size_t ring_mb;
	struct diag_opts dopts;
	int no_color;

	/* source */
	struct rw_live lv;
	struct rw_pcapfile off;		/* replay: the file (off.p NULL when live) */
	struct liveq *lq;		/* live: the reading thread's queue (after curses starts) */
	size_t lq_peak;			/* its peak bytes, kept when it stops */
	struct rw_sigwake *sw;		/* stop signals (sigwake.h); cmd_watch's storage */
	int eof;
	char src_err[RW_LIVE_ERRLEN];
	char privs[RW_LIVE_ERRLEN];	/* what the privilege drop did */
	struct reader *rd;		/* replay: reads and decodes (a regular file in a second thread,
					 * which uses m until reader_free); owns off.p */
	const struct rd_item *pend;	/* replay: the next packet, not yet due (the reader's) */
	uint64_t ts0_us;		/* replay pacing origin (capture time) */
	double wall0;			/* ... and wall clock (monotonic seconds) */
	double paused_at;
	struct model *m;

	/* screen */
	SCREEN *scr;
	int color;
	enum mode mode, prev_mode;
	int focus;
	int paused;
	int quit;
	struct pane panes[PANE__COUNT];
	char filt[128];
	char filt_saved[128];
	char input[256];
	size_t inlen;
	char status[640];
	double status_until;
	struct dline *dl;
	size_t ndl, capdl, dtop;
	char dtitle[128];
	double t_start;
	double rate_t;
	uint64_t rate_pkts;
	double rate;
	double last_refresh, last_draw;
	double refresh_cost;		/* seconds the last model snapshot took */
	int need_draw;
};

/* ---- time ------------------------------------------------------------------------ */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *hms(uint64_t ts_us, char *buf, size_t n)
{
	time_t t = (time_t)(ts_us / 1000000u);
	struct tm tm;
	if (!ts_us || !gmtime_r(&t, &tm)) {
		snprintf(buf, n, "-");
		return buf;
	}
	snprintf(buf, n, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

static const char *duration(double s, char *buf, size_t n)
{
	if (s < 0)
		s = 0;
	unsigned long t = (unsigned long)s;
	snprintf(buf, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

/* ---- signals ------------------------------------------------------------------------ */

/* Stop signals go through the self-pipe (sigwake.h); crash signals restore
 * the terminal and re-raise with the default action. */
static void on_crash(int sig)
{
	if (wt_curses_on) {
		wt_curses_on = 0;
		endwin();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_STOP (sizeof stop_signals / sizeof stop_signals[0])
#define N_CRASH (sizeof crash_signals / sizeof crash_signals[0])

struct sigsave {
	struct rw_sigwake sw;
	struct sigaction crash[N_CRASH];
	int installed;
};

static int install_signals(struct watch *w, struct sigsave *ss)
{
	char err[RW_LIVE_ERRLEN];
	if (rw_sigwake_install(&ss->sw, stop_signals, N_STOP, err, sizeof err) != 0) {
		rw_err(CMD, "%s", err);
		return -1;
	}
	w->sw = &ss->sw;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < N_CRASH; i++)
		sigaction(crash_signals[i], &sa, &ss->crash[i]);
	ss->installed = 1;
	return 0;
}

static void restore_signals(struct watch *w, struct sigsave *ss)
{
	if (!ss->installed)
		return;
	for (size_t i = 0; i < N_CRASH; i++)
		sigaction(crash_signals[i], &ss->crash[i], NULL);
	rw_sigwake_restore(&ss->sw);
	w->sw = NULL;
	ss->installed = 0;
}

/* ---- options --------------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch watch -i IFACE [OPTIONS] [FILTER...]\n"
		"       rpcwatch watch -r FILE [--speed X] [OPTIONS] [FILTER...]\n"
		"\n"
		"The live troubleshooting screen: endpoints with verdicts, RPC calls, push\n"
		"registrations and findings, from the same decoder and diagnosis as analyze.\n"
		"Needs a terminal; without one use 'rpcwatch capture' and 'rpcwatch analyze'.\n"
		"\n"
		"  -i, --interface=IFACE  capture live on IFACE (or its number from capture -D)\n"
		"  -r, --read=FILE        replay a pcap/pcapng file, then hold the result\n"
		"  --speed X              replay at X times the capture's speed (default 0:\n"
		"                         as fast as possible)\n"
		"  -Z, --relinquish-privileges=USER\n"
		"                         switch to USER after opening the interface or file;\n"
		"                         files written with 'w' belong to USER (as root\n"
		"                         without -Z: the unprivileged user rpcwatch was built\n"
		"                         for if it can write here, else root without\n"
		"                         capabilities, as capture does)\n"
		"  -p, --no-promiscuous-mode\n"
		"  -B, --buffer-size=KiB  kernel capture buffer (default 16384)\n"
		"  -s, --snapshot-length=BYTES  bytes kept per packet (default 262144)\n"
		"  --keep SECS            'w' writes the packets of the last SECS seconds\n"
		"                         (default %d)\n"
		"  --ring-mb MB           memory for those packets (default %d MB; the oldest\n"
		"                         go first when full)\n"
		"  --notify-window SECS   as analyze (default 60)\n"
		"  --rpc-range LO-HI      as analyze (default 49152-65535)\n"
		"  --no-color             no colours (also when NO_COLOR is set)\n"
		"  -h, --help             this help\n"
		"\n"
		"Keys: Tab/Shift-Tab pane, Up/Down or j/k move, Enter details, / filter,\n"
		"s sort, p pause, w write evidence pcap, ? help, q quit.\n"
		"FILTER is a pcap-filter(7) expression.\n"
		"Exit status: 0 quit normally, 2 usage or runtime error (no terminal, the\n"
		"interface or file cannot be opened).\n",
		KEEP_S_DEFAULT, RING_MB_DEFAULT);
}

enum { OPT_SPEED = 256, OPT_KEEP, OPT_RING_MB, OPT_NOTIFY_WINDOW, OPT_RPC_RANGE, OPT_NO_COLOR };

static void parse_range(const char *arg, struct diag_opts *d)
{
	char lo[8], hi[8];
	uint64_t l, h;
	const char *dash = strchr(arg, '-');
	if (!dash || dash - arg >= (long)sizeof lo || strlen(dash + 1) >= sizeof hi)
		rw_usage_error(CMD, "--rpc-range wants LO-HI, e.g. 49152-65535, not '%s'", arg);
	memcpy(lo, arg, (size_t)(dash - arg));
	lo[dash - arg] = 0;
	snprintf(hi, sizeof hi, "%s", dash + 1);
	if (!parse_u64(lo, 1, 65535, &l) || !parse_u64(hi, 1, 65535, &h) || l > h)
		rw_usage_error(CMD, "--rpc-range wants LO-HI with 1 <= LO <= HI <= 65535, not '%s'", arg);
	d->range_lo = (uint16_t)l;
	d->range_hi = (uint16_t)h;
}

static int parse_speed(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e6)
		return 0;
	*out = v;
	return 1;
}

static void parse_args(struct watch *w, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"read", required_argument, NULL, 'r'},
		{"relinquish-privileges", required_argument, NULL, 'Z'},
		{"no-promiscuous-mode", no_argument, NULL, 'p'},
		{"buffer-size", required_argument, NULL, 'B'},
		{"snapshot-length", required_argument, NULL, 's'},
		{"speed", required_argument, NULL, OPT_SPEED},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"ring-mb", required_argument, NULL, OPT_RING_MB},
		{"notify-window", required_argument, NULL, OPT_NOTIFY_WINDOW},
		{"rpc-range", required_argument, NULL, OPT_RPC_RANGE},
		{"no-color", no_argument, NULL, OPT_NO_COLOR},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:i:r:Z:pB:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			w->iface = optarg;
			break;
		case 'r':
			w->file = optarg;
			break;
		case 'Z':
			w->user = optarg;
			break;
		case 'p':
			w->promisc = 0;
			break;
		case 'B':
			if (!parse_u64(optarg, 1, RW_BUFFER_KIB_MAX, &v))
				rw_usage_error(CMD, "invalid -B value '%s': expected KiB from 1 to %d", optarg,
					       RW_BUFFER_KIB_MAX);
			w->buffer_kib = (int)v;
			break;
		case 's':
			if (!parse_u64(optarg, 0, RW_SNAPLEN_MAX, &v))
				rw_usage_error(CMD, "invalid -s value '%s': expected 1 to %d bytes", optarg,
					       RW_SNAPLEN_MAX);
			w->snaplen = v ? (int)v : RW_SNAPLEN_MAX;
			break;
		case OPT_SPEED:
			if (!parse_speed(optarg, &w->speed))
				rw_usage_error(CMD, "--speed wants a factor >= 0 (0 = as fast as possible), not '%s'",
					       optarg);
			break;
		case OPT_KEEP:
			if (!parse_u64(optarg, 1, 86400 * 7, &v))
				rw_usage_error(CMD, "--keep wants seconds from 1 to 604800, not '%s'", optarg);
			w->keep_s = (uint32_t)v;
			break;
		case OPT_RING_MB:
			if (!parse_u64(optarg, 1, 65536, &v))
				rw_usage_error(CMD, "--ring-mb wants megabytes from 1 to 65536, not '%s'", optarg);
			w->ring_mb = (size_t)v;
			break;
		case OPT_NOTIFY_WINDOW:
			if (!parse_u64(optarg, 1, 86400, &v))
				rw_usage_error(CMD, "--notify-window wants seconds from 1 to 86400, not '%s'", optarg);
			w->dopts.notify_window_s = (uint32_t)v;
			break;
		case OPT_RPC_RANGE:
			parse_range(optarg, &w->dopts);
			break;
		case OPT_NO_COLOR:
			w->no_color = 1;
			break;
		case 'h':
			usage(stdout);
			exit(RW_EXIT_OK);
		default:
			rw_bad_option(CMD, argv, c);
		}
	}
	w->filter = join_args(argc - optind, argv + optind);
	if (!w->iface && !w->file)
		rw_usage_error(CMD, "give -i IFACE to watch live or -r FILE to replay a capture");
	if (w->iface && w->file)
		rw_usage_error(CMD, "-i and -r exclude each other: watch live or replay a file");
	if (w->iface && !*w->iface)
		rw_usage_error(CMD, "empty interface name");
	if (w->file && !*w->file)
		rw_usage_error(CMD, "empty file name");
	char err[RW_LIVE_ERRLEN];
	if (w->user && rw_user_exists(w->user, err, sizeof err) != 0)
		rw_usage_error(CMD, "invalid -Z value: %s", err);
}

/* ---- the source ----------------------------------------------------------------------- */

/* Live: the reading thread also decodes and flow-hashes (as reader.c does
 * for a replay); the screen's thread analyses, snapshots and draws. */
static struct liveq *start_queue(struct watch *w, char *err, size_t errlen)
{
	struct liveq_decode dec = {.linktype = w->lv.linktype, .prepare = model_prepare, .ctx = w->m};
	return liveq_start(w->lv.p, LIVEQ_MAX_BYTES, &dec, err, errlen);
}

/* The replay's read error, kept for the status line and the exit. */
static void read_stopped(struct watch *w)
{
	snprintf(w->src_err, sizeof w->src_err, "%s: stopped after %llu packets: %s", w->file,
		 (unsigned long long)model_stats(w->m)->packets, reader_errmsg(w->rd, 0));
}

static int open_source(struct watch *w)
{
	char err[RW_LIVE_ERRLEN];
	int dlt, snap;
	if (w->iface) {
		struct rw_live_opts o = {
			.iface = w->iface,
			.snaplen = w->snaplen,
			.promisc = w->promisc,
			.buffer_kib = w->buffer_kib,
			/* Not immediate mode, as capture: the kernel hands over a
			 * block at a time (at the latest after LIVE_TIMEOUT_MS), one
			 * wakeup per block instead of one per packet; immediate mode
			 * dropped 2.2% of 66 kpps that tcpdump -w kept (bench/README). */
			.timeout_ms = LIVE_TIMEOUT_MS,
			.immediate = 0,
		};
		if (rw_live_open(&o, &w->lv, err, sizeof err) != 0 ||
		    rw_live_set_filter(&w->lv, w->filter, err, sizeof err) != 0 ||
		    /* the reading thread (liveq.c) polls the device: it must have a descriptor */
		    rw_live_pollable_fd(&w->lv, err, sizeof err) < 0) {
			rw_err(CMD, "%s", err);
			return -1;
		}
		dlt = w->lv.linktype;
		snap = w->lv.snaplen;
	} else {
		char eb[RW_PCAPFILE_ERRLEN];
		if (rw_pcapfile_open(&w->off, w->file, eb, sizeof eb) != 0 ||
		    rw_pcapfile_set_filter(&w->off, w->filter, eb, sizeof eb) != 0) {
			rw_err(CMD, "%s", eb);
			return -1;
		}
		dlt = pcap_datalink(w->off.p);
		snap = pcap_snapshot(w->off.p);
	}
	/* As capture does (privs.h): -Z USER, or as root the build's unprivileged
	 * user when it can write here (where 'w' puts evidence by default), else
	 * root without capabilities.  Before any packet is read. */
	const char *dirs[1] = {"."};
	if (rw_privs_drop(w->user, dirs, 1, w->privs, sizeof w->privs) == RW_PRIVS_ERROR) {
		rw_err(CMD, "%s", w->privs);
		return -1;
	}
	struct model_opts mo;
	memset(&mo, 0, sizeof mo);
	mo.dopts = w->dopts;
	mo.flow_timeout_s = 300;	/* analyze's default, so a replay ends where analyze does */
	mo.ring_bytes = w->ring_mb << 20;
	w->m = model_new(&mo, dlt, snap);
	if (!w->m) {
		rw_err(CMD, "out of memory for the model (--ring-mb %zu)", w->ring_mb);
		return -1;
	}
	if (!w->iface) {
		/* As analyze reads: libpcap, the copy and decode_packet() in the
		 * reader's thread, the flow hash too (model_prepare); the screen's
		 * thread analyses, snapshots and draws.  The first packet is read
		 * now, after the privilege drop. */
		if (!(w->rd = reader_new(1))) {
			rw_err(CMD, "out of memory for the reader");
			return -1;
		}
		if (reader_add(w->rd, w->off.p, dlt) < 0)
			read_stopped(w);
		reader_set_prepare(w->rd, model_prepare, w->m);
		/* A pipe (watch -r <(ssh host tcpdump -w -)) is read packet by
		 * packet in this thread, as before: the thread hands over batches
		 * of 512 packets, which a slow pipe would hold back, and its read
		 * could not be interrupted on q. */
		reader_start(w->rd, w->off.regular);
	}
	return 0;
}

static void set_status(struct watch *w, double secs, const char *text);

/* Live: analyse what the reading thread has queued until the queue is empty
 * or the slice is used up (run_loop() then polls with no timeout, so the
 * rest follows right after the keys and the screen had their turn). */
static void live_some(struct watch *w)
{
	double start = mono();
	struct liveq_pkt k;
	unsigned n = 0;
	int r;
	while ((r = liveq_next(w->lq, &k)) == 1) {
		model_packet_decoded(w->m, k.p, k.data);	/* decoded in the queue's thread */
		if (++n % 256 == 0 && mono() - start > REPLAY_SLICE_US / 1e6)
			return;
	}
	if (r < 0) {	/* the reading ended: only a capture error ends it before q */
		char msg[400];
		const char *e = liveq_error(w->lq);
		snprintf(msg, sizeof msg, "capture error: %s", *e ? e : "the capture ended");
		set_status(w, 3600, msg);
		w->paused = 1;
	}
}

static void set_status(struct watch *w, double secs, const char *text)
{
	snprintf(w->status, sizeof w->status, "%s", text);
	w->status_until = mono() + secs;
	w->need_draw = 1;
}

static void reach_eof(struct watch *w)
{
	w->eof = 1;
	model_finish(w->m);
	w->need_draw = 1;
}

/* Replay: read until the next packet is not due yet, the slice is used up or
 * the file ends.  Returns milliseconds until the next packet is due (0: now,
 * -1: nothing pending). */
static int replay_some(struct watch *w)
{
	double start = mono();
	while (!w->eof) {
		if (!w->pend) {
			const struct rd_item *it = w->src_err[0] ? NULL : reader_next(w->rd);
			if (it && it->kind == RD_ERROR)
				read_stopped(w);
			if (w->src_err[0])
				set_status(w, 3600, w->src_err);
			if (!it || it->kind != RD_PACKET) {
				reach_eof(w);
				return -1;
			}
			w->pend = it;
		}
		uint64_t ts = w->pend->p.ts_us;
		double now = mono();
		if (w->speed > 0) {
			if (!w->ts0_us) {
				w->ts0_us = ts;
				w->wall0 = now;
			}
			double due = w->wall0 + (ts > w->ts0_us ? (double)(ts - w->ts0_us) / 1e6 / w->speed : 0);
			if (due > now) {
				double ms = (due - now) * 1000.0 + 1;
				return ms > TICK_MS ? TICK_MS : (int)ms;
			}
		}
		struct pkt p = w->pend->p;	/* the model numbers it */
		model_packet_decoded(w->m, &p, w->pend->data);
		w->pend = NULL;
		if (now - start > REPLAY_SLICE_US / 1e6)
			return 0;
	}
	return -1;
}

/* ---- views ------------------------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t item_id(int pane, const void *it)
{
	uint64_t h = 14695981039346656037ull;
	switch (pane) {
	case PANE_ENDPOINTS: {
		const struct model_endpoint *e = it;
		h = fnv(h, &e->server, sizeof e->server);
		h = fnv(h, &e->proto, 1);
		return fnv(h, &e->port, 2);
	}
	case PANE_CALLS: return ((const struct model_call *)it)->seq;
	case PANE_REGS: return ((const struct model_reg *)it)->reg_id;
	default: {
		const struct diag_finding *f = it;
		h = fnv(h, f->kind, strlen(f->kind));
		h = fnv(h, &f->server, sizeof f->server);
		h = fnv(h, &f->port, 2);
		h = fnv(h, f->iface, strlen(f->iface));
		return fnv(h, &f->rc, 4);
	}
	}
}

static void pane_add(struct pane *p, const void *it)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 64;
		const void **v = realloc(p->v, nc * sizeof *v);
		if (!v)
			return;
		p->v = v;
		p->cap = nc;
	}
	p->v[p->n++] = it;
}

static void build_views(struct watch *w)
{
	const struct model *m = w->m;
	const char *f = w->filt[0] ? w->filt : NULL;
	for (int i = 0; i < PANE__COUNT; i++)
		w->panes[i].n = 0;
	struct pane *p = &w->panes[PANE_ENDPOINTS];
	for (size_t i = 0; i < model_nendpoints(m); i++)
		if (model_endpoint_match(model_endpoint(m, i), f))
			pane_add(p, model_endpoint(m, i));
	model_sort_endpoints((const struct model_endpoint **)p->v, p->n, p->sort);
	p = &w->panes[PANE_CALLS];
	for (size_t i = 0; i < model_ncalls(m); i++)
		if (model_call_match(model_call(m, i), f))
			pane_add(p, model_call(m, i));
	model_sort_calls((const struct model_call **)p->v, p->n, p->sort);
	p = &w->panes[PANE_REGS];
	for (size_t i = 0; i < model_nregs(m); i++)
		if (model_reg_match(model_reg(m, i), f))
			pane_add(p, model_reg(m, i));
	model_sort_regs((const struct model_reg **)p->v, p->n, p->sort);
	p = &w->panes[PANE_FINDINGS];
	for (size_t i = 0; i < model_nfindings(m); i++)
		if (model_finding_match(model_finding(m, i), f))
			pane_add(p, model_finding(m, i));
	model_sort_findings((const struct diag_finding **)p->v, p->n, p->sort);
	/* Once the user has moved the selection it stays on that item when
	 * the lists move.  Until then it stays on the first row, which sorting
	 * puts the most important item in: a port that turns out blocked
	 * after the first screen was drawn comes to the top and is selected. */
	for (int i = 0; i < PANE__COUNT; i++) {
		p = &w->panes[i];
		if (p->has_sel_id)
			for (size_t j = 0; j < p->n; j++)
				if (item_id(i, p->v[j]) == p->sel_id) {
					p->sel = j;
					break;
				}
		if (p->sel >= p->n)
			p->sel = p->n ? p->n - 1 : 0;
		if (p->n && p->has_sel_id)
			p->sel_id = item_id(i, p->v[p->sel]);
	}
}

/* ---- drawing ------------------------------------------------------------------------------ */

static attr_t tone_attr(const struct watch *w, int pair)
{
	if (!pair)
		return A_NORMAL;
	if (w->color)
		return COLOR_PAIR(pair) | (pair == C_RED ? A_BOLD : A_NORMAL);
	return pair == C_RED ? A_BOLD : pair == C_YELLOW ? A_UNDERLINE : A_NORMAL;
}

/* Text at (y, x), at most n columns (clipped to the screen). Returns x after it. */
static int put(int y, int x, int n, attr_t a, const char *s)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return x;
	if (n < 0 || x + n > COLS)
		n = COLS - x;
	if (n <= 0)
		return x;
	attron(a);
	mvaddnstr(y, x, s, n);
	attroff(a);
	int l = (int)strlen(s);
	return x + (l < n ? l : n);
}

/* A fixed-width column: text cut or padded to n, then one blank. */
static int col(int y, int x, int n, attr_t a, const char *s)
{
	char buf[512];
	if (n > (int)sizeof buf - 1)
		n = (int)sizeof buf - 1;
	snprintf(buf, sizeof buf, "%-*.*s", n, n, s);
	put(y, x, n, a, buf);
	return x + n + 1;
}

static int tone_pair(enum model_tone t)
{
	return t == TONE_BLOCKED ? C_RED : t == TONE_SUSPICIOUS ? C_YELLOW : t == TONE_FINE ? C_GREEN : 0;
}

static int sev_pair(enum diag_sev s) { return s == SEV_ERROR ? C_RED : s == SEV_WARNING ? C_YELLOW : C_CYAN; }

static void draw_header(struct watch *w)
{
	const struct model_stats *st = model_stats(w->m);
	char line[512], a[64], b[64];
	attr_t title = w->color ? COLOR_PAIR(C_TITLE) | A_BOLD : A_REVERSE | A_BOLD;
	attron(title);
	mvhline(0, 0, ' ', COLS);
	attroff(title);
	const char *state = w->paused ? "PAUSED" : w->iface ? "live" : w->eof ? "end of file" : "replaying";
	const char *base = w->file ? strrchr(w->file, '/') : NULL;
	base = base ? base + 1 : w->file;
	if (w->iface)
		snprintf(line, sizeof line, " rpcwatch watch [%s]  interface %s", state, w->lv.name);
	else
		snprintf(line, sizeof line, " rpcwatch watch [%s]  file %s", state, base);
	put(0, 0, COLS - 16, title, line);
	put(0, COLS - 16, 16, title, "  ? help  q quit");

	char drops[48] = "-";
	if (w->iface && w->lq) {	/* libpcap belongs to the reading thread: its last pcap_stats() */
		struct pcap_stat ps;
		memset(&ps, 0, sizeof ps);
		if (liveq_stats(w->lq, &ps) == 0)
			snprintf(drops, sizeof drops, "%u", ps.ps_drop + ps.ps_ifdrop);
	}
	double el = w->iface ? mono() - w->t_start
		  : st->last_ts_us > st->first_ts_us ? (double)(st->last_ts_us - st->first_ts_us) / 1e6 : 0;
	snprintf(line, sizeof line, " pkts %llu  drops %s  %.0f/s  %s %s", (unsigned long long)st->packets, drops,
		 w->rate, w->iface ? "elapsed" : "span", duration(el, a, sizeof a));
	mvhline(1, 0, ' ', COLS);
	int x = put(1, 0, COLS, A_NORMAL, line);
	unsigned c[3];
	model_counts(w->m, c);
	x = put(1, x, -1, A_NORMAL, "  findings ");
	snprintf(b, sizeof b, "%u error%s", c[SEV_ERROR], c[SEV_ERROR] == 1 ? "" : "s");
	x = put(1, x, -1, c[SEV_ERROR] ? tone_attr(w, C_RED) : A_NORMAL, b);
	snprintf(b, sizeof b, ", %u warning%s", c[SEV_WARNING], c[SEV_WARNING] == 1 ? "" : "s");
	x = put(1, x, -1, c[SEV_WARNING] ? tone_attr(w, C_YELLOW) : A_NORMAL, b);
	snprintf(b, sizeof b, ", %u info", c[SEV_INFO]);
	x = put(1, x, -1, A_NORMAL, b);
}

static const char *const pane_names[PANE__COUNT] = {"Endpoints", "RPC calls", "Registrations", "Findings"};

static void draw_title(struct watch *w, int pi)
{
	struct pane *p = &w->panes[pi];
	char t[256];
	int focused = pi == w->focus && w->mode != M_HELP && w->mode != M_DETAIL;
	attr_t a = focused ? (w->color ? COLOR_PAIR(C_FOCUS) | A_BOLD : A_REVERSE | A_BOLD) : A_BOLD | A_UNDERLINE;
	attron(a);
	mvhline(p->y, 0, ' ', COLS);
	attroff(a);
	char more[80] = "";	/* diag's summary of the healthy callback endpoints it did not list */
	uint64_t unl = pi == PANE_ENDPOINTS ? model_unlisted_callbacks(w->m) : 0;
	if (unl)
		snprintf(more, sizeof more, " +%llu notified callback ports not listed", (unsigned long long)unl);
	snprintf(t, sizeof t, "%s %s (%zu)%s  sort: %s%s%s", focused ? ">" : " ", pane_names[pi], p->n, more,
		 model_sort_name((enum model_pane)pi, p->sort), w->filt[0] ? "  filter: " : "", w->filt);
	put(p->y, 0, COLS, a, t);
	if (p->n == 0 && p->h > 1) {
		const char *empty = pi == PANE_ENDPOINTS ? "  (no endpoint tried yet)"
				  : pi == PANE_CALLS ? "  (no DCE/RPC call seen yet)"
				  : pi == PANE_REGS ? "  (no push-notification registration seen)"
						    : "  (no findings)";
		put(p->y + 1, 0, COLS, A_DIM, w->filt[0] ? "  (nothing matches the filter)" : empty);
	}
}

static void draw_endpoint(struct watch *w, int y, const struct model_endpoint *e, attr_t sel)
{
	char ap[ADDR_STRLEN + 8], by[ADDR_STRLEN], v[200];
	int wide = COLS >= 110;
	int x = col(y, 0, wide ? 30 : 22, sel, addr_port_str(&e->server, e->port, ap, sizeof ap));
	x = col(y, x, 3, sel, e->proto == PROTO_UDP ? "udp" : "tcp");
	x = col(y, x, 7, sel, e->role[0] ? e->role : "-");
	x = col(y, x, wide ? 14 : 8, sel, e->iface[0] ? e->iface : "-");
	attr_t a = tone_attr(w, tone_pair(e->tone)) | sel;
	if (wide)	/* nmap's word too */
		x = col(y, x, 13, a, e->verdict);
	/* PortQry's word, then the reason */
	int n = snprintf(v, sizeof v, "%s", e->label);
	if (e->reason[0] && n < (int)sizeof v) {
		n += snprintf(v + n, sizeof v - (size_t)n, " (%s", e->reason);
		if (e->has_by && n < (int)sizeof v)
			n += snprintf(v + n, sizeof v - (size_t)n, " from %s ttl %u", addr_str(&e->by, by, sizeof by),
				      e->ttl);
		if (n < (int)sizeof v)
			snprintf(v + n, sizeof v - (size_t)n, ")");
	}
	col(y, x, COLS - x > 0 ? COLS - x : 0, a, v);
}

static void draw_call(struct watch *w, int y, const struct model_call *c, attr_t sel)
{
	char tb[16], cl[ADDR_STRLEN], sv[ADDR_STRLEN + 8];
	int wide = COLS >= 110;
	int x = col(y, 0, 8, sel, hms(c->ts_us, tb, sizeof tb));
	if (wide)
		x = col(y, x, 16, sel, addr_str(&c->ep.cli, cl, sizeof cl));
	x = col(y, x, 21, sel, addr_port_str(&c->ep.srv, c->ep.sport, sv, sizeof sv));
	x = col(y, x, 8, sel, c->iface);
	x = col(y, x, wide ? 28 : 17, sel, c->op);
	col(y, x, COLS - x > 0 ? COLS - x : 0, (c->failed ? tone_attr(w, C_RED) : A_NORMAL) | sel, c->result);
}

static void draw_reg(struct watch *w, int y, const struct model_reg *r, attr_t sel)
{
	char tb[16], cl[ADDR_STRLEN], sv[ADDR_STRLEN + 8], cb[ADDR_STRLEN + 16], n[24];
	int wide = COLS >= 110;
	int x = col(y, 0, 15, sel, addr_str(&r->ep.cli, cl, sizeof cl));
	if (wide)
		x = col(y, x, 21, sel, addr_port_str(&r->ep.srv, r->ep.sport, sv, sizeof sv));
	if (r->af) {
		char ap[ADDR_STRLEN + 8];
		snprintf(cb, sizeof cb, "udp %s", addr_port_str(&r->cb_ip, r->cb_port, ap, sizeof ap));
	} else {
		snprintf(cb, sizeof cb, "%s", r->sealed ? "(sealed)" : "(unknown)");
	}
	x = col(y, x, 25, sel, cb);
	int pair = r->failed ? C_RED : r->notifications ? C_GREEN : C_YELLOW;
	x = col(y, x, 15, tone_attr(w, pair) | sel, r->result);
	snprintf(n, sizeof n, "%u notif", r->notifications);
	x = col(y, x, 8, sel, n);
	col(y, x, COLS - x > 0 ? COLS - x : 0, sel, hms(r->last_seen_us, tb, sizeof tb));
}

static void draw_finding(struct watch *w, int y, const struct diag_finding *f, attr_t sel)
{
	char s[300];
	int x = col(y, 0, 7, tone_attr(w, sev_pair(f->severity)) | sel, diag_sev_name(f->severity));
	x = col(y, x, 17, sel, f->kind);
	if (f->count > 1)
		snprintf(s, sizeof s, "%s (x%u)", f->summary, f->count);
	else
		snprintf(s, sizeof s, "%s", f->summary);
	col(y, x, COLS - x > 0 ? COLS - x : 0, sel, s);
}

static void draw_pane(struct watch *w, int pi)
{
	struct pane *p = &w->panes[pi];
	draw_title(w, pi);
	int rows = p->h - 1;
	if (rows <= 0)
		return;
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + (size_t)rows)
		p->top = p->sel - (size_t)rows + 1;
	if (p->top + (size_t)rows > p->n)
		p->top = p->n > (size_t)rows ? p->n - (size_t)rows : 0;
	for (int r = 0; r < rows && p->top + (size_t)r < p->n; r++) {
		size_t i = p->top + (size_t)r;
		int y = p->y + 1 + r;
		attr_t sel = i == p->sel && pi == w->focus ? A_REVERSE : A_NORMAL;
		if (sel) {
			attron(A_REVERSE);
			mvhline(y, 0, ' ', COLS);
			attroff(A_REVERSE);
		}
		switch (pi) {
		case PANE_ENDPOINTS: draw_endpoint(w, y, p->v[i], sel); break;
		case PANE_CALLS: draw_call(w, y, p->v[i], sel); break;
		case PANE_REGS: draw_reg(w, y, p->v[i], sel); break;
		default: draw_finding(w, y, p->v[i], sel); break;
		}
	}
	if (p->n > (size_t)rows) {
		char m[48];
		snprintf(m, sizeof m, " %zu-%zu of %zu ", p->top + 1, p->top + (size_t)rows < p->n ? p->top + (size_t)rows : p->n,
			 p->n);
		int l = (int)strlen(m);
		put(p->y, COLS - l, l, A_BOLD | A_REVERSE, m);
	}
}

/* Rows for the panes: header 2, status 1; endpoints and findings get more. */
static void layout(struct watch *w)
{
	int avail = LINES - 3;
	if (avail < 8)
		avail = 8;
	static const int weight[PANE__COUNT] = {3, 3, 2, 3};
	int total = 0, used = 0;
	for (int i = 0; i < PANE__COUNT; i++)
		total += weight[i];
	for (int i = 0; i < PANE__COUNT; i++) {
		int h = avail * weight[i] / total;
		if (h < 2)
			h = 2;
		w->panes[i].h = h;
		used += h;
	}
	w->panes[PANE_FINDINGS].h += avail - used;	/* the rounding remainder */
	int y = 2;
	for (int i = 0; i < PANE__COUNT; i++) {
		w->panes[i].y = y;
		y += w->panes[i].h;
	}
}

static void draw_status(struct watch *w)
{
	int y = LINES - 1;
	char line[512];
	mvhline(y, 0, ' ', COLS);
	if (w->mode == M_FILTER || w->mode == M_WRITE) {
		if (w->mode == M_FILTER)
			snprintf(line, sizeof line, "filter (address, port, interface; Enter keeps, Esc drops): %s", w->input);
		else
			snprintf(line, sizeof line, "write the last %u s (%zu packets kept) to: %s", w->keep_s,
				 model_packets(w->m)->n, w->input);
		int x = put(y, 0, COLS, A_BOLD, line);
		if (x < COLS)
			move(y, x);
		return;
	}
	if (w->status[0] && mono() < w->status_until) {
		put(y, 0, COLS, A_BOLD, w->status);
		return;
	}
	const char *keys = w->mode == M_DETAIL ? "j/k scroll  Esc/Enter back  q back"
		       : w->mode == M_HELP ? "any key closes the help"
					   : "Tab pane  j/k move  Enter detail  / filter  s sort  p pause  w write  ? help  q quit";
	put(y, 0, COLS, A_DIM, keys);
}

/* ---- detail view and help -------------------------------------------------------------------- */

static void dl_clear(struct watch *w)
{
	for (size_t i = 0; i < w->ndl; i++)
		free(w->dl[i].text);
	w->ndl = 0;
	w->dtop = 0;
}

static void dl_add(struct watch *w, int attr, int bold, const char *s)
{
	if (w->ndl == w->capdl) {
		size_t nc = w->capdl ? w->capdl * 2 : 64;
		struct dline *v = realloc(w->dl, nc * sizeof *v);
		if (!v)
			return;
		w->dl = v;
		w->capdl = nc;
	}
	char *t = strdup(s);
	if (!t)
		return;
	w->dl[w->ndl].attr = attr;
	w->dl[w->ndl].bold = bold;
	w->dl[w->ndl].text = t;
	w->ndl++;
}

/* Word-wrap text to the screen width, continuation lines indented by `indent`. */
static void dl_wrap(struct watch *w, int attr, int bold, const char *first, int indent, const char *text)
{
	int width = COLS - 2 > 20 ? COLS - 2 : 20;
	char line[1024];
	size_t len = (size_t)snprintf(line, sizeof line, "%s", first);
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ");
		if (len + 1 + n > (size_t)width && len > (size_t)indent) {
			dl_add(w, attr, bold, line);
			bold = 0;
			len = (size_t)snprintf(line, sizeof line, "%*s", indent, "");
		}
		if (len + n + 2 >= sizeof line)
			n = sizeof line - len - 2;
		if (len > (size_t)indent && line[len - 1] != ' ')
			line[len++] = ' ';
		memcpy(line + len, p, n);
		len += n;
		line[len] = 0;
		p += n;
		if (!*p)
			break;
	}
	dl_add(w, attr, bold, line);
}

static void detail_finding(struct watch *w, const struct diag_finding *f)
{
	char b[512], tb[RFC3339_LEN];
	snprintf(b, sizeof b, "%s %s", diag_sev_name(f->severity), f->kind);
	dl_add(w, sev_pair(f->severity), 1, b);
	dl_wrap(w, 0, 1, "  ", 2, f->summary);
	if (f->count > 1) {
		snprintf(b, sizeof b, "  seen %u times", f->count);
		dl_add(w, 0, 0, b);
	}
	if (f->has_rc) {
		snprintf(b, sizeof b, "  return code 0x%08x %s", f->rc, f->rc_name ? f->rc_name : "");
		dl_add(w, 0, 0, b);
	}
	dl_wrap(w, 0, 0, "  Why:  ", 8, f->explanation);
	dl_wrap(w, C_GREEN, 0, "  Fix:  ", 8, f->remedy);
	if (f->nev) {
		dl_add(w, 0, 0, "  Evidence (frame numbers as in 'rpcwatch analyze' and Wireshark):");
		for (uint32_t i = 0; i < f->nev; i++) {
			if (f->ev[i].ts_us)
				snprintf(b, sizeof b, "    frame %llu  %s", (unsigned long long)f->ev[i].frame,
					 fmt_rfc3339(f->ev[i].ts_us, tb, sizeof tb));
			else
				snprintf(b, sizeof b, "    frame %llu", (unsigned long long)f->ev[i].frame);
			dl_add(w, 0, 0, b);
		}
	}
	dl_add(w, 0, 0, "");
}

/* Findings about server:port (port 0: any port of server). */
static int related_findings(struct watch *w, const struct addr *srv, uint16_t port)
{
	int n = 0;
	for (size_t i = 0; i < model_nfindings(w->m); i++) {
		const struct diag_finding *f = model_finding(w->m, i);
		if (f->has_server && addr_eq(&f->server, srv) && (!port || f->port == port)) {
			if (!n++)
				dl_add(w, 0, 1, "Findings:");
			detail_finding(w, f);
		}
	}
	return n;
}

static void open_detail(struct watch *w)
{
	struct pane *p = &w->panes[w->focus];
	if (!p->n)
		return;
	const void *it = p->v[p->sel];
	char b[512], x1[ADDR_STRLEN + 8], x2[ADDR_STRLEN + 8], tb[RFC3339_LEN];
	dl_clear(w);
	switch (w->focus) {
	case PANE_ENDPOINTS: {
		const struct model_endpoint *e = it;
		snprintf(w->dtitle, sizeof w->dtitle, "Endpoint %s/%s", addr_port_str(&e->server, e->port, x1, sizeof x1),
			 e->proto == PROTO_UDP ? "udp" : "tcp");
		snprintf(b, sizeof b, "  role: %s%s%s%s", e->role[0] ? e->role : "-", e->iface[0] ? " (" : "", e->iface,
			 e->iface[0] ? ")" : "");
		dl_add(w, 0, 0, b);
		snprintf(b, sizeof b, "  PortQry: %s    verdict: %s%s%s%s", e->label, e->verdict, e->reason[0] ? " (" : "",
			 e->reason, e->reason[0] ? ")" : "");
		dl_add(w, tone_pair(e->tone), 1, b);
		if (e->has_by) {
			snprintf(b, sizeof b, "  answered by %s, ttl %u", addr_str(&e->by, x2, sizeof x2), e->ttl);
			dl_add(w, 0, 0, b);
		}
		snprintf(b, sizeof b, "  %u connection attempt%s, first frame %llu at %s", e->attempts,
			 e->attempts == 1 ? "" : "s", (unsigned long long)e->first_frame,
			 fmt_rfc3339(e->first_ts_us, tb, sizeof tb));
		dl_add(w, 0, 0, b);
		dl_add(w, 0, 0, "");
		if (!related_findings(w, &e->server, e->port))
			dl_add(w, 0, 0, e->tone == TONE_FINE ? "No findings: the port answers." : "No findings about this endpoint (yet).");
		break;
	}
	case PANE_CALLS: {
		const struct model_call *c = it;
		snprintf(w->dtitle, sizeof w->dtitle, "RPC call %s %s", c->iface, c->op);
		snprintf(b, sizeof b, "  %s %s -> %s (%s)", c->ep.proto == PROTO_UDP ? "udp" : "tcp",
			 addr_port_str(&c->ep.cli, c->ep.cport, x1, sizeof x1),
			 addr_port_str(&c->ep.srv, c->ep.sport, x2, sizeof x2),
			 c->connectionless ? "connectionless" : "connection-oriented");
		dl_add(w, 0, 0, b);
		snprintf(b, sizeof b, "  at %s", fmt_rfc3339(c->ts_us, tb, sizeof tb));
		dl_add(w, 0, 0, b);
		dl_wrap(w, c->failed ? C_RED : 0, 1, "  result: ", 10, c->result);
		snprintf(b, sizeof b, "  request frame %llu, response frame %llu%s", (unsigned long long)c->req_frame,
			 (unsigned long long)c->resp_frame, c->sealed ? "; sealed: arguments encrypted" : "");
		dl_add(w, 0, 0, b);
		dl_add(w, 0, 0, "");
		related_findings(w, &c->ep.srv, c->ep.sport);
		break;
	}
	case PANE_REGS: {
		const struct model_reg *r = it;
		snprintf(w->dtitle, sizeof w->dtitle, "Push-notification registration #%u", r->reg_id);
		snprintf(b, sizeof b, "  client %s -> EMSMDB server %s", addr_port_str(&r->ep.cli, r->ep.cport, x1, sizeof x1),
			 addr_port_str(&r->ep.srv, r->ep.sport, x2, sizeof x2));
		dl_add(w, 0, 0, b);
		if (r->af)
			snprintf(b, sizeof b, "  callback udp %s (IPv%u)", addr_port_str(&r->cb_ip, r->cb_port, x1, sizeof x1),
				 r->af);
		else
			snprintf(b, sizeof b, "  callback unknown%s", r->sealed ? ": the request is sealed" : "");
		dl_add(w, 0, 0, b);
		snprintf(b, sizeof b, "  result: %s", r->result);
		dl_add(w, r->failed ? C_RED : 0, 1, b);
		snprintf(b, sizeof b, "  %u notification%s seen, last seen %s", r->notifications,
			 r->notifications == 1 ? "" : "s", fmt_rfc3339(r->last_seen_us, tb, sizeof tb));
		dl_add(w, r->notifications ? C_GREEN : 0, 0, b);
		snprintf(b, sizeof b, "  request frame %llu, response frame %llu", (unsigned long long)r->req_frame,
			 (unsigned long long)r->resp_frame);
		dl_add(w, 0, 0, b);
		dl_add(w, 0, 0, "");
		int n = related_findings(w, &r->ep.srv, r->ep.sport);
		if (r->af)
			n += related_findings(w, &r->cb_ip, r->cb_port);
		if (!n)
			dl_add(w, 0, 0, "No findings about this registration (yet).");
		break;
	}
	default:
		snprintf(w->dtitle, sizeof w->dtitle, "Finding");
		detail_finding(w, it);
		break;
	}
	w->mode = M_DETAIL;
}

static const char *const help_text[] = {
	"rpcwatch watch - keys",
	"",
	"  Tab, Shift-Tab     next / previous pane",
	"  Up/Down, j/k       move the selection; PgUp/PgDn, g/G: page, first, last",
	"  Enter              details: explanation, remedy, evidence frames",
	"  /                  filter every pane by address, port, interface, verdict",
	"                     (words must all match; empty clears)",
	"  s                  next sort order of this pane",
	"  p                  pause / resume reading packets",
	"  w                  write the kept packets of the last --keep seconds to a",
	"                     pcap file: the evidence for a ticket",
	"  ?                  this help          q  quit (Esc/q close a view)",
	"",
	"Verdicts, in PortQry's words: LISTENING (open, SYN-ACK), NOT LISTENING",
	"(closed, reset or port unreachable), FILTERED (no answer or ICMP",
	"admin-prohibited). Red: blocked, yellow: not proven, green: fine.",
	"Frame numbers match 'rpcwatch analyze' and Wireshark for the same file.",
};

static void draw_overlay(struct watch *w)
{
	int top = 2, h = LINES - 3;
	for (int y = top; y < top + h; y++)
		mvhline(y, 0, ' ', COLS);
	attr_t title = w->color ? COLOR_PAIR(C_FOCUS) | A_BOLD : A_REVERSE | A_BOLD;
	attron(title);
	mvhline(top, 0, ' ', COLS);
	attroff(title);
	if (w->mode == M_HELP) {
		put(top, 0, COLS, title, " Help");
		size_t n = sizeof help_text / sizeof help_text[0];
		for (int r = 0; r < h - 1 && (size_t)r < n; r++)
			put(top + 1 + r, 1, COLS - 1, r == 0 ? A_BOLD : A_NORMAL, help_text[r]);
		return;
	}
	char t[200];
	snprintf(t, sizeof t, " %s", w->dtitle);
	put(top, 0, COLS, title, t);
	int rows = h - 1;
	if (w->ndl > (size_t)rows && w->dtop > w->ndl - (size_t)rows)
		w->dtop = w->ndl - (size_t)rows;
	if (w->ndl <= (size_t)rows)
		w->dtop = 0;
	for (int r = 0; r < rows && w->dtop + (size_t)r < w->ndl; r++) {
		const struct dline *d = &w->dl[w->dtop + (size_t)r];
		put(top + 1 + r, 1, COLS - 1, tone_attr(w, d->attr) | (d->bold ? A_BOLD : A_NORMAL), d->text);
	}
	if (w->ndl > (size_t)rows) {
		char m[48];
		snprintf(m, sizeof m, " lines %zu-%zu of %zu ", w->dtop + 1, w->dtop + (size_t)rows, w->ndl);
		int l = (int)strlen(m);
		put(top, COLS - l, l, title, m);
	}
}

static void draw(struct watch *w)
{
	erase();
	if (LINES < 12 || COLS < 40) {
		put(0, 0, COLS, A_BOLD, "terminal too small");
		put(1, 0, COLS, A_NORMAL, "80x24 or more");
		put(2, 0, COLS, A_NORMAL, "q quits");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	build_views(w);
	layout(w);
	draw_header(w);
	if (w->mode == M_HELP || w->mode == M_DETAIL)
		draw_overlay(w);
	else
		for (int i = 0; i < PANE__COUNT; i++)
			draw_pane(w, i);
	draw_status(w);
	curs_set(w->mode == M_FILTER || w->mode == M_WRITE ? 1 : 0);
	wnoutrefresh(stdscr);
	doupdate();
	w->last_draw = mono();
	w->need_draw = 0;
}

/* ---- keys ---------------------------------------------------------------------------------- */

static void move_sel(struct watch *w, long delta)
{
	struct pane *p = &w->panes[w->focus];
	if (!p->n)
		return;
	long s = (long)p->sel + delta;
	if (s < 0)
		s = 0;
	if (s >= (long)p->n)
		s = (long)p->n - 1;
	p->sel = (size_t)s;
	p->sel_id = item_id(w->focus, p->v[p->sel]);
	p->has_sel_id = 1;
}

static void default_evidence_name(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		snprintf(buf, n, "rpcwatch-evidence-%04d%02d%02d-%02d%02d%02d.pcap", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, n, "rpcwatch-evidence.pcap");
}

static void write_evidence(struct watch *w)
{
	char err[300], msg[600];
	if (!w->input[0]) {
		set_status(w, 5, "nothing written: no file name");
		return;
	}
	if (access(w->input, F_OK) == 0) {
		snprintf(msg, sizeof msg, "not written: %.400s exists (pick another name)", w->input);
		set_status(w, 8, msg);
		return;
	}
	long n = model_write_pcap(w->m, w->input, w->keep_s, err, sizeof err);
	if (n < 0)
		snprintf(msg, sizeof msg, "write failed: %s", err);
	else
		snprintf(msg, sizeof msg, "wrote %ld packet%s (last %u s) to %.400s", n, n == 1 ? "" : "s", w->keep_s,
			 w->input);
	set_status(w, 15, msg);
}

static void toggle_pause(struct watch *w)
{
	w->paused = !w->paused;
	if (w->paused) {
		w->paused_at = mono();
	} else if (w->ts0_us) {
		w->wall0 += mono() - w->paused_at;	/* pacing resumes where it stopped */
	}
}

static void edit_key(struct watch *w, int ch)
{
	if (ch == 27) {		/* Esc */
		if (w->mode == M_FILTER)
			snprintf(w->filt, sizeof w->filt, "%s", w->filt_saved);
		w->mode = M_MAIN;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (w->mode == M_WRITE)
			write_evidence(w);
		w->mode = M_MAIN;
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (w->inlen)
			w->input[--w->inlen] = 0;
	} else if (ch == 21) {	/* Ctrl-U */
		w->inlen = 0;
		w->input[0] = 0;
	} else if (ch >= 32 && ch < 127 && w->inlen + 1 < sizeof w->input) {
		w->input[w->inlen++] = (char)ch;
		w->input[w->inlen] = 0;
	}
	if (w->mode == M_FILTER)	/* the panes follow as you type */
		snprintf(w->filt, sizeof w->filt, "%s", w->input);
}

static void key(struct watch *w, int ch)
{
	w->need_draw = 1;
	if (ch == KEY_RESIZE) {
		if (w->mode == M_DETAIL) {	/* wrap the text again for the new width */
			size_t top = w->dtop;
			open_detail(w);
			w->dtop = top;
		}
		return;
	}
	if (w->mode == M_FILTER || w->mode == M_WRITE) {
		edit_key(w, ch);
		return;
	}
	if (w->mode == M_HELP) {
		w->mode = w->prev_mode;
		return;
	}
	if (w->mode == M_DETAIL) {
		switch (ch) {
		case 27: case 'q': case '\n': case '\r': case KEY_ENTER: case KEY_BACKSPACE: case KEY_LEFT:
			w->mode = M_MAIN;
			break;
		case 'j': case KEY_DOWN: w->dtop++; break;
		case 'k': case KEY_UP: if (w->dtop) w->dtop--; break;
		case ' ': case KEY_NPAGE: w->dtop += (size_t)(LINES > 8 ? LINES - 6 : 2); break;
		case KEY_PPAGE: w->dtop = w->dtop > (size_t)(LINES - 6) ? w->dtop - (size_t)(LINES - 6) : 0; break;
		case 'g': case KEY_HOME: w->dtop = 0; break;
		case 'G': case KEY_END: w->dtop = w->ndl; break;	/* draw_overlay clamps */
		case '?': w->prev_mode = M_DETAIL; w->mode = M_HELP; break;
		case 'p': toggle_pause(w); break;
		}
		return;
	}
	struct pane *p = &w->panes[w->focus];
	int page = p->h > 2 ? p->h - 2 : 1;
	switch (ch) {
	case 'q': case 'Q': w->quit = 1; break;
	case 27: w->status[0] = 0; break;	/* Esc: dismiss the message */
	case '\t': w->focus = (w->focus + 1) % PANE__COUNT; break;
	case KEY_BTAB: w->focus = (w->focus + PANE__COUNT - 1) % PANE__COUNT; break;
	case 'j': case KEY_DOWN: move_sel(w, 1); break;
	case 'k': case KEY_UP: move_sel(w, -1); break;
	case KEY_NPAGE: case ' ': move_sel(w, page); break;
	case KEY_PPAGE: move_sel(w, -page); break;
	case 'g': case KEY_HOME: move_sel(w, -(long)p->n); break;
	case 'G': case KEY_END: move_sel(w, (long)p->n); break;
	case '\n': case '\r': case KEY_ENTER: open_detail(w); break;
	case '/':
		w->mode = M_FILTER;
		snprintf(w->filt_saved, sizeof w->filt_saved, "%s", w->filt);
		snprintf(w->input, sizeof w->input, "%s", w->filt);
		w->inlen = strlen(w->input);
		break;
	case 's':
		p->sort = (p->sort + 1) % MODEL_SORT_KEYS;
		break;
	case 'p': toggle_pause(w); break;
	case 'w':
		w->mode = M_WRITE;
		default_evidence_name(w->input, sizeof w->input);
		w->inlen = strlen(w->input);
		break;
	case '?': w->prev_mode = M_MAIN; w->mode = M_HELP; break;
	case 12: /* Ctrl-L */ clearok(curscr, TRUE); break;
	}
}

/* ---- the loop ---------------------------------------------------------------------------------- */

static int start_curses(struct watch *w)
{
	w->scr = newterm(NULL, stdout, stdin);
	if (!w->scr) {
		const char *t = getenv("TERM");
		rw_err(CMD, "cannot use the terminal (TERM=%s); use 'rpcwatch capture' and 'rpcwatch analyze' instead",
		       t ? t : "unset");
		return -1;
	}
	wt_curses_on = 1;
	set_term(w->scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	const char *nc = getenv("NO_COLOR");
	if (!w->no_color && !(nc && *nc) && has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(C_RED, COLOR_RED, -1);
		init_pair(C_YELLOW, COLOR_YELLOW, -1);
		init_pair(C_GREEN, COLOR_GREEN, -1);
		init_pair(C_CYAN, COLOR_CYAN, -1);
		init_pair(C_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(C_FOCUS, COLOR_BLACK, COLOR_CYAN);
		w->color = 1;
	}
	return 0;
}

static void stop_curses(struct watch *w)
{
	if (!wt_curses_on)
		return;
	curs_set(1);
	endwin();
	wt_curses_on = 0;
	delscreen(w->scr);
	w->scr = NULL;
}

static void run_loop(struct watch *w)
{
	w->t_start = w->rate_t = mono();
	w->need_draw = 1;
	if (w->privs[0])
		set_status(w, 10, w->privs);
	while (!rw_sigwake_any(w->sw, stop_signals, N_STOP) && !w->quit) {
		double now = mono();
		int timeout = TICK_MS;
		if (w->file && !w->eof && !w->paused) {
			int due = replay_some(w);
			timeout = due < 0 ? TICK_MS : due;
		}
		now = mono();
		if (now - w->rate_t >= 1.0) {
			uint64_t p = model_stats(w->m)->packets;
			w->rate = (double)(p - w->rate_pkts) / (now - w->rate_t);
			w->rate_pkts = p;
			w->rate_t = now;
			w->need_draw = 1;
		}
		/* model snapshots: when something changed, at most every REFRESH_US; live also
		 * once a second so time-based verdicts appear in a quiet capture */
		/* ... and never more than a tenth of the time (a snapshot of thousands of
		 * endpoints takes tens of milliseconds) */
		double every = REFRESH_US / 1e6 > 10 * w->refresh_cost ? REFRESH_US / 1e6 : 10 * w->refresh_cost;
		int want = model_dirty(w->m) && (w->eof || now - w->last_refresh >= every);
		if (w->iface && now - w->last_refresh >= (every > 1.0 ? every : 1.0))
			want = 1;
		if (want) {
			if (model_refresh(w->m, w->iface ? wall_us() : 0) < 0)
				set_status(w, 5, "out of memory: the screen shows the previous state");
			w->last_refresh = mono();
			w->refresh_cost = w->last_refresh - now;
			w->need_draw = 1;
		}
		if (w->status[0] && now >= w->status_until) {
			w->status[0] = 0;
			w->need_draw = 1;
		}
		if (w->need_draw || now - w->last_draw >= 1.0)
			draw(w);
		struct pollfd pf[3];
		int n = 0;
		pf[n].fd = STDIN_FILENO;
		pf[n++].events = POLLIN;
		pf[n].fd = w->sw->rd;
		pf[n++].events = POLLIN;
		if (w->lq && !w->paused) {
			pf[n].fd = liveq_fd(w->lq);
			pf[n++].events = POLLIN;
			if (liveq_pending(w->lq))	/* a slice ended with packets left */
				timeout = 0;
		}
		for (int i = 0; i < n; i++)
			pf[i].revents = 0;
		if (w->file && !w->eof && !w->paused && w->speed == 0)
			timeout = 0;
		int r = poll(pf, (nfds_t)n, timeout);
		if (r < 0) {
			if (errno == EINTR) {
				w->need_draw = 1;	/* SIGWINCH: ncurses queues KEY_RESIZE */
			} else {
				break;
			}
		}
		if (r > 0 && pf[1].revents)
			rw_sigwake_drain(w->sw);
		if (n > 2 && (pf[2].revents || liveq_pending(w->lq)))
			live_some(w);
		int ch, first = 1;
		while ((ch = getch()) != ERR) {
			if (first)	/* packets may have arrived since the last draw */
				build_views(w);
			first = 0;
			key(w, ch);
		}
	}
}

/* Live, after the screen is gone: one line on stderr like capture's. */
static void print_live_stats(struct watch *w)
{
	unsigned long long n = (unsigned long long)model_stats(w->m)->packets;
	struct pcap_stat st;
	memset(&st, 0, sizeof st);
	if (!w->lv.p || pcap_stats(w->lv.p, &st) != 0) {
		rw_err(CMD, "%llu packet%s read (kernel statistics unavailable%s%s)", n, n == 1 ? "" : "s",
		       w->lv.p ? ": " : "", w->lv.p ? pcap_geterr(w->lv.p) : "");
		return;
	}
	rw_err(CMD, "%llu packet%s read, %u received by filter, %u dropped by kernel, %u dropped by interface; "
		    "queue peak %.1f of %u MiB", n, n == 1 ? "" : "s", st.ps_recv, st.ps_drop, st.ps_ifdrop,
	       (double)w->lq_peak / (1 << 20), (unsigned)(LIVEQ_MAX_BYTES >> 20));
}

int cmd_watch(int argc, char **argv)
{
	struct watch w;
	struct sigsave ss;
	memset(&w, 0, sizeof w);
	memset(&ss, 0, sizeof ss);
	w.promisc = 1;
	w.buffer_kib = RW_BUFFER_KIB_DEFAULT;
	w.snaplen = RW_SNAPLEN_DEFAULT;
	w.keep_s = KEEP_S_DEFAULT;
	w.ring_mb = RING_MB_DEFAULT;
	w.dopts.notify_window_s = 60;
	w.dopts.range_lo = 49152;
	w.dopts.range_hi = 65535;
	parse_args(&w, argc, argv);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		rw_err(CMD, "needs a terminal; without one record with 'rpcwatch capture -i IFACE -w FILE' and "
			    "read it with 'rpcwatch analyze FILE'");
		free(w.filter);
		return RW_EXIT_USAGE;
	}
	setlocale(LC_ALL, "");
	int rc = RW_EXIT_USAGE;
	char qerr[256] = "";
	if (open_source(&w) == 0 && install_signals(&w, &ss) == 0 && start_curses(&w) == 0 &&
	    (!w.iface || (w.lq = start_queue(&w, qerr, sizeof qerr)))) {
		if (w.lq)	/* live: the ring's page faults now, while the thread queues */
			model_prefault(w.m);
		run_loop(&w);
		stop_curses(&w);
		w.lq_peak = w.lq ? liveq_peak_bytes(w.lq) : 0;
		liveq_stop(w.lq);	/* libpcap is the caller's again */
		w.lq = NULL;
		if (w.iface)
			print_live_stats(&w);
		rc = RW_EXIT_OK;
		if (w.src_err[0]) {
			rw_err(CMD, "%s", w.src_err);
			rc = RW_EXIT_USAGE;
		}
	}
	stop_curses(&w);
	if (qerr[0])
		rw_err(CMD, "%s", qerr);
	restore_signals(&w, &ss);
	dl_clear(&w);
	free(w.dl);
	for (int i = 0; i < PANE__COUNT; i++)
		free(w.panes[i].v);
	/* the reader first: its thread calls model_prepare() until joined */
	if (w.rd) {
		reader_free(w.rd);	/* closes the file's pcap_t: then its buffer can go */
		rw_pcapfile_release(&w.off);
	} else {
		rw_pcapfile_close(&w.off);
	}
	model_free(w.m);
	rw_live_close(&w.lv);
	free(w.filter);
	return rc;
}
