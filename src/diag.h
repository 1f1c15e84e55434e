/* \summary: diagnosis: endpoint verdicts and findings from flows and RPC events
 *
 * diag collects what analyze sees — flows as they end, and the RPC engine's
 * events — and at the end of input turns them into
 *   - a verdict per endpoint (server address, protocol, port) in nmap's
 *     words with the reason: open (syn-ack), closed (reset /
 *     port-unreachable), filtered (no-response after retransmitted SYNs, or
 *     ICMP admin-prohibited with the responder's address and TTL),
 *     unreachable (host/net unreachable); each with its role where known
 *     (endpoint mapper, dynamic port learned from it with the interface,
 *     pinned port, UDP notification port);
 *   - findings of a stable kind vocabulary (doc: rpcwatch(1) FINDINGS) with
 *     severity, summary, explanation, remedy and the evidence frames.
 *
 * Ownership: struct diag owns everything it keeps; event structs passed in
 * are copied as needed.  Memory follows what there is to say: an endpoint
 * (every client's notification callback port is one) is 48 bytes until
 * there is evidence against it, interface names are kept once, a
 * registration is forgotten once its notification arrived (one capture),
 * and callback endpoints beyond DIAG_NOTIFY_LISTED with nothing against
 * them are counted, not kept.  Findings handed to the callback are borrowed for
 * the duration of the call.
 */
#ifndef RPCWATCH_DIAG_H
#define RPCWATCH_DIAG_H

#include <stdint.h>
#include <stddef.h>
#include "flow.h"
#include "rpc.h"
#include "decode.h"

enum diag_sev { SEV_INFO = 0, SEV_WARNING, SEV_ERROR };

#define DIAG_MAX_EVIDENCE 8

/* Callback (notification, role notify) endpoints listed one by one: the
 * first DIAG_NOTIFY_LISTED made, and after them every one with something
 * against it (ICMP errors for its notifications, callback_mismatch) or
 * without a notification.  The others - healthy callback ports, one per
 * client session on a long capture - are counted in one summary view
 * (diag_endpoint_view.unlisted) and their memory reused.  4096 is what the
 * curses screen shows of a snapshot (MODEL_VIEW_MAX), and 200 KB of
 * endpoints.  A capture with fewer callback endpoints lists them all.  One
 * capture only: merged captures (nfiles >= 2) list every endpoint. */
#ifndef DIAG_NOTIFY_LISTED
#define DIAG_NOTIFY_LISTED 4096
#endif

struct diag_evidence {
	uint64_t frame;
	uint64_t ts_us;
};

struct diag_finding {
	const char *kind;		/* stable: port_filtered, register_failed, ... */
	enum diag_sev severity;
	char summary[256];
	char explanation[768];
	char remedy[512];
	/* subject, where it applies (has_server 0 otherwise) */
	uint8_t has_server;
	struct addr server;
	uint8_t proto;
	uint16_t port;
	const char *role;		/* "epm", "dynamic", "pinned", "notify", NULL */
	char iface[48];			/* interface name or UUID, "" if unknown */
	const char *verdict;		/* for port_* findings */
	const char *reason;
	uint8_t has_by;
	struct addr by;			/* responder of an ICMP error */
	uint8_t ttl;
	uint8_t has_rc;
	uint32_t rc;
	const char *rc_name;
	uint32_t count;			/* occurrences folded into this finding */
	uint32_t nev;
	struct diag_evidence ev[DIAG_MAX_EVIDENCE];
};

/* An endpoint and its verdict (also reported, JSON "endpoint" records). */
struct diag_endpoint_view {
	struct addr server;
	uint8_t proto;
	uint16_t port;
	const char *role;
	const char *iface;		/* "" if unknown */
	const char *verdict;		/* open, closed, filtered, unreachable, open|filtered, unknown */
	const char *reason;		/* syn-ack, reset, no-response, admin-prohibited, port-unreach, ... */
	uint8_t has_by;
	struct addr by;
	uint8_t ttl;
	uint32_t attempts;		/* flows to it */
	uint64_t first_frame;
	uint64_t first_ts_us;
	/* Not 0: this view is no endpoint but the one summary after them: this
	 * many more callback endpoints (udp, role notify, EMSMDB) received
	 * notifications and had nothing against them, so they are counted, not
	 * listed (DIAG_NOTIFY_LISTED).  first_frame/first_ts_us are the earliest
	 * of them; server, port, verdict, reason are unset (NULL). */
	uint64_t unlisted;
	uint32_t listed;		/* with unlisted: the callback endpoints that were listed */
};

struct diag_opts {
	uint32_t notify_window_s;	/* default 60 */
	uint16_t range_lo, range_hi;	/* expected dynamic range, default 49152-65535 */
	uint32_t nfiles;		/* captures merged (vantage points); >= 2 enables the calls below */
};

struct diag;

struct diag *diag_new(const struct diag_opts *o);
void diag_free(struct diag *d);

/* Feed: flows as they end, RPC events as they complete, capture time as it passes. */
void diag_flow(struct diag *d, const struct flow *f);
void diag_time(struct diag *d, uint64_t ts_us);
void diag_bind(struct diag *d, const struct rpc_bind_ev *e);
void diag_call(struct diag *d, const struct rpc_call_ev *e);
void diag_epm(struct diag *d, const struct rpc_epm_ev *e);
void diag_notify_reg(struct diag *d, const struct rpc_notify_reg_ev *e);
void diag_notify_udp(struct diag *d, const struct rpc_notify_udp_ev *e);

/* Several captures merged by time (analyze FILE FILE...), see merge.h.
 * diag_source: the file the packet about to be processed came from.
 * diag_rst: that packet (a first copy) is a TCP reset.
 * diag_copy: packet p of file `file` is a copy of `first`, already processed;
 *   the copy with the higher TTL was taken nearer p's sender.
 * diag_file_span: what time each file covers (call before diag_finish).
 * Together they give notify_lost (datagrams the server-side capture has and
 * the client-side one lacks) and resets forged on the path. */
struct merge_seen;
void diag_source(struct diag *d, unsigned file);
void diag_rst(struct diag *d, uint64_t frame, uint64_t ts_us);
void diag_copy(struct diag *d, const struct merge_seen *first, unsigned file, const struct pkt *p);
void diag_file_span(struct diag *d, unsigned file, const char *path, uint64_t first_ts_us, uint64_t last_ts_us,
		    uint64_t packets);

/* End of input: compute verdicts and findings; report them in order
 * (endpoints first, then findings by first evidence). */
typedef void (*diag_endpoint_fn)(void *ctx, const struct diag_endpoint_view *v);
typedef void (*diag_finding_fn)(void *ctx, const struct diag_finding *f);
void diag_finish(struct diag *d, diag_endpoint_fn ep_cb, diag_finding_fn f_cb, void *ctx);

/* Report the findings again (after diag_finish), most severe first. */
void diag_emit_findings(const struct diag *d, diag_finding_fn f_cb, void *ctx);

/* Counts by severity after diag_finish. */
void diag_counts(const struct diag *d, unsigned *errors, unsigned *warnings, unsigned *infos);

const char *diag_sev_name(enum diag_sev s);

/* Non-destructive look at the diagnosis so far (the curses screen polls it):
 * reports, through the same callbacks and in the same order as diag_finish,
 * the verdicts and findings that diag_finish would report if input ended
 * now, leaving d unchanged.  `live` (may be NULL) are flows still in the
 * flow table, counted as if they had ended; now_us (0 = none) advances the
 * clock, e.g. to the wall clock of a live capture, so time-based rules
 * (no-response after 3 s, notify_missing after the notify window) apply
 * although no packet arrived.  It works on a deep copy of the arrays
 * struct diag owns (eps, hidx, more, ifn, ifh, fs, regs, tr, near): a new owned array in
 * struct diag must be copied in diag_snapshot too.  Returns 0, or -1 when out of memory
 * (nothing reported). */
int diag_snapshot(const struct diag *d, const struct flow *const *live, size_t nlive, uint64_t now_us,
		  diag_endpoint_fn ep_cb, diag_finding_fn f_cb, void *ctx);

#endif
