/* \summary: diagnosis: endpoint verdicts and findings (see diag.h)
 *
 * Verdict rules for an endpoint, strongest evidence first:
 *   open         a SYN-ACK (or a connection seen after its handshake), or a
 *                UDP reply
 *   closed       a reset from the responder, or ICMP port-unreachable
 *   filtered     ICMP administratively prohibited (net/host/communication,
 *                ICMPv6 admin-prohibited, policy, reject-route): reason
 *                admin-prohibited, responder and TTL kept; or no response
 *                after retransmitted SYNs (or one SYN and 3 s of capture);
 *                the summary counts the unanswered SYNs ("no answer to
 *                SYN", "no answer to 4 SYNs (retransmitted)")
 *   unreachable  ICMP net/host unreachable
 * A TCP connection whose SYN-ACK is missing while the client goes on
 * talking (one-sided capture) is open, never filtered.
 */
#include "config.h"
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "names.h"

#define DIAG_MAX_ENDPOINTS 65536
#define DIAG_MAX_FINDINGS 4096
#define DIAG_MAX_REGS 65536
#define NO_RESPONSE_WAIT_US 3000000u
#define DIAG_MAX_TRACKED 262144	/* notification datagrams and resets followed across files */
#define DIAG_NEAR_CAP 8192	/* addresses whose nearest capture is known (power of two) */

enum role { R_NONE = 0, R_EPM, R_DYNAMIC, R_PINNED, R_NOTIFY };
static const char *const role_names[] = {NULL, "epm", "dynamic", "pinned", "notify"};

enum ev_kind { E_NONE = 0, E_OPEN, E_CLOSED, E_PROHIBITED, E_UNREACH, E_FILTERED };

/* An endpoint: what every endpoint needs, 48 bytes (every client's
 * notification callback port is one, so there can be as many as sessions).
 * What only an endpoint with something to say needs (negative evidence,
 * resets, forged-reset verdicts) is a struct dep_more, allocated on first use. */
struct dep {
	uint64_t first_frame, first_ts_us;
	uint32_t attempts;
	uint32_t more;			/* index + 1 into diag.more, 0 = none */
	struct addr srv;
	uint8_t proto;
	uint8_t role : 3;
	uint8_t open : 1;		/* a flow to it was answered (seen[E_OPEN]) */
	/* callback endpoints (R_NOTIFY), see ep_unlisted() */
	uint8_t keep : 1;		/* among the first DIAG_NOTIFY_LISTED, or callback_mismatch */
	uint8_t notified : 1;		/* a notification went to it (matched by address) */
	uint8_t live : 1;		/* ... since the last flow to it ended */
	uint8_t open_ttl;		/* TTL of the server's SYN-ACK */
	uint16_t port;
	uint16_t iface;			/* index into diag.ifn, 0 = "" */
};

struct dep_more {
	uint32_t seen[6];		/* flows per ev_kind (E_CLOSED and up) */
	uint32_t syns;			/* SYNs of the flows that got no response */
	uint8_t syn_retx;		/* one of them retransmitted its SYN */
	const char *reason;		/* of the strongest negative evidence */
	uint8_t has_by, ttl;
	struct addr by;
	uint8_t rst_ttl;		/* TTL of the first reset in its name */
	uint8_t forged;			/* FORGED_*: the reset did not come from the server */
	uint8_t server_ttl;		/* FORGED_TTL: the server's own TTL */
	uint8_t forged_file;		/* FORGED_VANTAGE: the server-side capture lacking it */
	uint32_t nev;
	struct diag_evidence ev[DIAG_MAX_EVIDENCE];
	uint64_t rst_frame, rst_ts_us;
};

/* Interface names of endpoints, each kept once (an endpoint holds an index). */
struct dname {
	char s[48];
};
#define DIAG_MAX_NAMES 65535		/* uint16_t index, 0 = "" */

enum { FORGED_NO = 0, FORGED_TTL, FORGED_VANTAGE };

/* A packet followed across merged captures: which files saw it. */
struct dtrack {
	uint64_t frame, ts_us;
	uint32_t mask;			/* bit per file */
	uint32_t reg_id;		/* notification: its registration */
	uint8_t kind;			/* TR_NOTIFY, TR_RST */
};
enum { TR_NOTIFY = 1, TR_RST };

/* Which capture is nearest an address (saw its packets with the highest TTL). */
struct dnear {
	struct addr a;
	uint8_t used, file;
	uint32_t votes;			/* majority vote */
};

struct dfile {
	const char *path;
	uint64_t first_ts_us, last_ts_us, packets;
};

struct dreg {
	struct rpc_notify_reg_ev r;
	uint32_t notifications;
	uint64_t first_notify_frame;
	/* merged captures: notifications the client-side capture lacks */
	uint32_t tracked, lost;
	int src_file;			/* a file that has them */
	uint32_t nlev;
	struct diag_evidence lev[DIAG_MAX_EVIDENCE];
};

struct diag {
	struct diag_opts o;
	uint64_t last_ts_us;
	struct dep *eps;
	size_t neps, capeps;
	uint32_t nnotify;		/* callback endpoints made so far */
	uint64_t unlisted;		/* callback endpoints forgotten by ep_reclaim (counted only) */
	uint64_t unlisted_frame, unlisted_ts_us;	/* the earliest first frame among them */
	size_t ep_since_reclaim;	/* endpoints made or refused since ep_reclaim() last ran */
	uint32_t *hidx;			/* open addressing: index + 1 */
	size_t hcap;
	struct dep_more *more;		/* endpoints' details, allocated on first use */
	size_t nmore, capmore;
	struct dname *ifn;		/* interface names; ifn[0] is "" */
	size_t nifn, capifn;
	uint16_t *ifh;			/* open addressing over ifn: index, 0 = empty */
	size_t ifhcap;
	struct diag_finding *fs;
	size_t nfs, capfs;
	uint64_t dropped;
	struct dreg *regs;
	size_t nregs, capregs;
	unsigned counts[3];
	uint8_t regs_unsorted;		/* reg_find falls back to a linear search */
	/* merged captures */
	unsigned cur_file;
	struct dtrack *tr;
	size_t ntr, captr;
	struct dnear *near;		/* DIAG_NEAR_CAP slots, allocated with nfiles >= 2 */
	struct dfile files[MERGE_MAX_FILES];
};

const char *diag_sev_name(enum diag_sev s)
{
	return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "info";
}

struct diag *diag_new(const struct diag_opts *o)
{
	struct diag *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->o = *o;
	if (d->o.nfiles >= 2) {
		d->near = calloc(DIAG_NEAR_CAP, sizeof *d->near);
		if (!d->near) {
			free(d);
			return NULL;
		}
	}
	return d;
}

void diag_free(struct diag *d)
{
	if (!d)
		return;
	free(d->eps);
	free(d->hidx);
	free(d->more);
	free(d->ifn);
	free(d->ifh);
	free(d->fs);
	free(d->regs);
	free(d->tr);
	free(d->near);
	free(d);
}

void diag_time(struct diag *d, uint64_t ts_us)
{
	if (ts_us > d->last_ts_us)
		d->last_ts_us = ts_us;
}

/* Room for element n of an array that doubles as it grows (first: the
 * initial capacity): the array, perhaps moved, or NULL when out of memory
 * (the old array is then untouched). */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : first;
	void *v = realloc(arr, nc * elem);
	if (v)
		*cap = nc;
	return v;
}

/* ---- endpoints -------------------------------------------------------------- */

static uint32_t ep_hash(const struct addr *a, uint8_t proto, uint16_t port)
{
	uint32_t h = 2166136261u ^ proto;
	for (int i = 0; i < (a->family == 6 ? 16 : 4); i++)
		h = (h ^ a->a[i]) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	return h;
}

static int ep_rehash(struct diag *d, size_t ncap)
{
	uint32_t *n = calloc(ncap, sizeof *n);
	if (!n)
		return 0;
	for (size_t i = 0; i < d->neps; i++) {
		size_t j = ep_hash(&d->eps[i].srv, d->eps[i].proto, d->eps[i].port) & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = (uint32_t)i + 1;
	}
	free(d->hidx);
	d->hidx = n;
	d->hcap = ncap;
	return 1;
}

/* A callback endpoint that is counted, not listed: beyond the first
 * DIAG_NOTIFY_LISTED callback endpoints, it received a notification sent to
 * it and there is nothing against it (no negative evidence, not the
 * subject of callback_mismatch).  One capture only: merged captures list
 * every endpoint (notify_lost is computed at the end). */
static int ep_unlisted(const struct diag *d, const struct dep *x)
{
	return d->o.nfiles < 2 && x->role == R_NOTIFY && !x->keep && x->notified && !x->more;
}

static void ep_count_unlisted(struct diag *d, const struct dep *x)
{
	d->unlisted++;
	if (x->first_frame && (!d->unlisted_frame || x->first_frame < d->unlisted_frame)) {
		d->unlisted_frame = x->first_frame;
		d->unlisted_ts_us = x->first_ts_us;
	}
}

/* Before the endpoint array grows: forget the unlisted callback endpoints
 * whose flows have ended (a later flow with evidence against one makes it
 * again, diag_flow), keeping the others in order.  Returns how many. */
static size_t ep_reclaim(struct diag *d)
{
	size_t k = 0;
	for (size_t i = 0; i < d->neps; i++) {
		const struct dep *x = &d->eps[i];
		if (ep_unlisted(d, x) && !x->live) {
			ep_count_unlisted(d, x);
			continue;
		}
		if (k != i)
			d->eps[k] = *x;
		k++;
	}
	size_t n = d->neps - k;
	if (n) {
		d->neps = k;
		memset(d->hidx, 0, d->hcap * sizeof *d->hidx);
		for (size_t i = 0; i < k; i++) {
			size_t j = ep_hash(&d->eps[i].srv, d->eps[i].proto, d->eps[i].port) & (d->hcap - 1);
			while (d->hidx[j])
				j = (j + 1) & (d->hcap - 1);
			d->hidx[j] = (uint32_t)i + 1;
		}
	}
	return n;
}

static struct dep *ep_get(struct diag *d, const struct addr *srv, uint8_t proto, uint16_t port, int create)
{
	if (d->hcap) {
		size_t j = ep_hash(srv, proto, port) & (d->hcap - 1);
		while (d->hidx[j]) {
			struct dep *x = &d->eps[d->hidx[j] - 1];
			if (x->port == port && x->proto == proto && addr_eq(&x->srv, srv))
				return x;
			j = (j + 1) & (d->hcap - 1);
		}
	}
	if (!create)
		return NULL;
	/* at most once per quarter of the array's endpoints made or refused since */
	int reclaimed = 0;
	if (d->neps == d->capeps && d->nnotify > DIAG_NOTIFY_LISTED && d->o.nfiles < 2 &&
	    d->ep_since_reclaim >= d->capeps / 4) {
		ep_reclaim(d);
		d->ep_since_reclaim = 0;
		reclaimed = 1;
	}
	d->ep_since_reclaim++;
	if (d->neps >= DIAG_MAX_ENDPOINTS) {
		d->dropped++;
		return NULL;
	}
	/* after a reclaim that freed less than a quarter: grow all the same, so
	 * the array is not scanned again a few endpoints later */
	size_t at = reclaimed && d->neps > d->capeps - d->capeps / 4 && d->capeps < DIAG_MAX_ENDPOINTS ? d->capeps
													: d->neps;
	void *eps = grow(d->eps, at, &d->capeps, sizeof *d->eps, 64);
	if (!eps)
		return NULL;
	d->eps = eps;
	if ((d->neps + 1) * 2 > d->hcap && !ep_rehash(d, d->hcap ? d->hcap * 2 : 128))
		return NULL;
	struct dep *x = &d->eps[d->neps];
	memset(x, 0, sizeof *x);
	x->srv = *srv;
	x->proto = proto;
	x->port = port;
	size_t j = ep_hash(srv, proto, port) & (d->hcap - 1);
	while (d->hidx[j])
		j = (j + 1) & (d->hcap - 1);
	d->hidx[j] = (uint32_t)++d->neps;
	return x;
}

static void add_ev(struct diag_evidence *ev, uint32_t *n, uint64_t frame, uint64_t ts)
{
	if (!frame)
		return;
	for (uint32_t i = 0; i < *n; i++)
		if (ev[i].frame == frame)
			return;
	if (*n < DIAG_MAX_EVIDENCE) {
		ev[*n].frame = frame;
		ev[*n].ts_us = ts;
		(*n)++;
	}
}

static const struct dep_more no_more;

/* An endpoint's details for reading: zeros when it has none. */
static const struct dep_more *more_of(const struct diag *d, const struct dep *x)
{
	return x->more ? &d->more[x->more - 1] : &no_more;
}

/* An endpoint's details for writing, created on first use; NULL when out of memory. */
static struct dep_more *more_get(struct diag *d, struct dep *x)
{
	if (x->more)
		return &d->more[x->more - 1];
	void *m = grow(d->more, d->nmore, &d->capmore, sizeof *d->more, 16);
	if (!m)
		return NULL;
	d->more = m;
	memset(&d->more[d->nmore], 0, sizeof *d->more);
	x->more = (uint32_t)++d->nmore;
	return &d->more[d->nmore - 1];
}

static const char *iface_of(const struct diag *d, const struct dep *x)
{
	return x->iface ? d->ifn[x->iface].s : "";
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The index of name s (truncated to 47 bytes, as the endpoint's copy was),
 * added if new; 0 when the table is full or out of memory. */
static uint16_t name_index(struct diag *d, const char *s)
{
	struct dname n;
	snprintf(n.s, sizeof n.s, "%s", s);
	if (d->ifhcap) {
		for (size_t j = str_hash(n.s) & (d->ifhcap - 1); d->ifh[j]; j = (j + 1) & (d->ifhcap - 1))
			if (!strcmp(d->ifn[d->ifh[j]].s, n.s))
				return d->ifh[j];
	}
	if (d->nifn >= DIAG_MAX_NAMES)
		return 0;
	size_t need = d->nifn ? d->nifn : 1;	/* slot 0 is "" */
	void *v = grow(d->ifn, need, &d->capifn, sizeof *d->ifn, 16);
	if (!v)
		return 0;
	d->ifn = v;
	if (!d->nifn) {
		d->ifn[0].s[0] = 0;
		d->nifn = 1;
	}
	if ((d->nifn + 1) * 2 > d->ifhcap) {
		size_t nc = d->ifhcap ? d->ifhcap * 2 : 32;
		uint16_t *h = calloc(nc, sizeof *h);
		if (!h)
			return 0;
		for (size_t i = 1; i < d->nifn; i++) {
			size_t j = str_hash(d->ifn[i].s) & (nc - 1);
			while (h[j])
				j = (j + 1) & (nc - 1);
			h[j] = (uint16_t)i;
		}
		free(d->ifh);
		d->ifh = h;
		d->ifhcap = nc;
	}
	size_t j = str_hash(n.s) & (d->ifhcap - 1);
	while (d->ifh[j])
		j = (j + 1) & (d->ifhcap - 1);
	d->ifn[d->nifn] = n;
	d->ifh[j] = (uint16_t)d->nifn;
	return (uint16_t)d->nifn++;
}

static void set_role(struct diag *d, struct dep *x, uint8_t role, const char *iface)
{
	if (role == R_NOTIFY && !x->role && d->nnotify++ < DIAG_NOTIFY_LISTED)
		x->keep = 1;	/* listed whatever happens: the first DIAG_NOTIFY_LISTED */
	if (role > x->role || (role == x->role && !x->iface))
		x->role = role == R_NOTIFY && x->role ? x->role : role;
	if (iface && iface[0] && !x->iface)
		x->iface = name_index(d, iface);
}

static int icmp_prohibited(const struct flow_icmp *i)
{
	if (i->family == 4)
		return i->type == 3 && (i->code == 9 || i->code == 10 || i->code == 13);
	return i->type == 1 && (i->code == 1 || i->code == 5 || i->code == 6);
}

static int icmp_port_unreach(const struct flow_icmp *i)
{
	return i->family == 4 ? (i->type == 3 && i->code == 3) : (i->type == 1 && i->code == 4);
}

static int icmp_unreach(const struct flow_icmp *i)
{
	return i->family == 4 ? (i->type == 3 && (i->code <= 1 || i->code == 6 || i->code == 7))
			      : (i->type == 1 && (i->code == 0 || i->code == 3));
}

void diag_flow(struct diag *d, const struct flow *f)
{
	diag_time(d, f->last_ts_us);
	if (f->proto != PROTO_TCP && f->proto != PROTO_UDP)
		return;
	const char *st = flow_state(f);
	enum ev_kind k = E_NONE;
	const char *reason = NULL;
	int icmp_about_orig = f->icmp_count && !f->icmp.toward_orig;
	if (f->proto == PROTO_TCP) {
		if (!strcmp(st, "established") || !strcmp(st, "synack-unseen") || !strcmp(st, "midstream")) {
			k = E_OPEN;
			reason = f->synack ? "syn-ack" : "data";
		} else if (!strcmp(st, "refused")) {
			k = E_CLOSED;
			reason = "reset";
		} else if (icmp_about_orig) {
			reason = icmp_code_name(f->icmp.family, f->icmp.type, f->icmp.code);
			k = icmp_prohibited(&f->icmp) ? E_PROHIBITED : icmp_port_unreach(&f->icmp) ? E_CLOSED
			  : icmp_unreach(&f->icmp) ? E_UNREACH : E_FILTERED;
		} else if (!strcmp(st, "no-reply")) {
			if (f->syn >= 2 || d->last_ts_us >= f->first_syn_ts_us + NO_RESPONSE_WAIT_US) {
				k = E_FILTERED;
				reason = "no-response";
			}
		}
	} else {
		if (icmp_about_orig) {
			reason = icmp_code_name(f->icmp.family, f->icmp.type, f->icmp.code);
			k = icmp_prohibited(&f->icmp) ? E_PROHIBITED : icmp_port_unreach(&f->icmp) ? E_CLOSED
			  : icmp_unreach(&f->icmp) ? E_UNREACH : E_FILTERED;
		} else if (f->pkts[0] && f->pkts[1]) {
			k = E_OPEN;
			reason = "udp-response";
		}
	}
	struct dep *x = ep_get(d, &f->resp, f->proto, f->rport, 0);
	if (!x) {
		/* keep TCP endpoints that were tried; UDP ones only with a role or a verdict */
		int want = f->proto == PROTO_TCP ? (f->syn || f->synack) : (k != E_NONE && k != E_OPEN) || f->rport == 135;
		if (!want)
			return;
		x = ep_get(d, &f->resp, f->proto, f->rport, 1);
		if (!x)
			return;
		if (f->proto == PROTO_UDP && f->notify && d->unlisted) {
			/* a callback endpoint ep_reclaim() counted and forgot: listed
			 * again from this flow on (its first frame is this flow's) */
			d->unlisted--;
			set_role(d, x, R_NOTIFY, "EMSMDB");
		}
	}
	if (f->proto == PROTO_UDP)
		x->live = 0;
	if (!x->first_frame || f->first_frame < x->first_frame) {
		x->first_frame = f->first_frame;
		x->first_ts_us = f->first_ts_us;
	}
	if (f->proto == PROTO_TCP && f->rport == 135)
		set_role(d, x, R_EPM, "EPM");
	x->attempts++;
	if (k == E_NONE || k == E_OPEN) {
		/* an answered endpoint's evidence is never reported: only the
		 * SYN-ACK's TTL is kept, to tell forged resets (detect_forged) */
		if (k == E_OPEN) {
			x->open = 1;
			if (f->synack && !x->open_ttl)
				x->open_ttl = f->resp_ttl;
		}
		return;
	}
	struct dep_more *m = more_get(d, x);
	if (!m)
		return;
	m->seen[k]++;
	if (k == E_CLOSED && f->proto == PROTO_TCP && f->rst[1] && !m->rst_frame) {
		m->rst_frame = f->rst_frame[1];
		m->rst_ts_us = f->last_ts_us;
		m->rst_ttl = f->resp_ttl;
	}
	m->reason = reason;
	if (k == E_FILTERED && f->proto == PROTO_TCP && !icmp_about_orig) {
		m->syns += f->syn;
		if (f->syn >= 2)
			m->syn_retx = 1;
	}
	for (uint32_t i = 0; i < f->syn && i < FLOW_MAX_SYN_FRAMES; i++)
		add_ev(m->ev, &m->nev, f->syn_frames[i], i ? 0 : f->first_syn_ts_us);
	if (f->proto == PROTO_UDP)
		add_ev(m->ev, &m->nev, f->first_frame, f->first_ts_us);
	if (k == E_CLOSED && f->rst[1]) {
		add_ev(m->ev, &m->nev, f->rst_frame[1], f->last_ts_us);
		m->ttl = f->resp_ttl;
	}
	if (f->icmp_count) {
		add_ev(m->ev, &m->nev, f->icmp.frame, f->icmp.ts_us);
		m->has_by = 1;
		m->by = f->icmp.from;
		m->ttl = f->icmp.ttl;
	}
}

/* ---- findings ------------------------------------------------------------------ */

static struct diag_finding *finding(struct diag *d, const char *kind, enum diag_sev sev)
{
	if (d->nfs >= DIAG_MAX_FINDINGS) {
		d->dropped++;
		return NULL;
	}
	void *fs = grow(d->fs, d->nfs, &d->capfs, sizeof *d->fs, 32);
	if (!fs)
		return NULL;
	d->fs = fs;
	struct diag_finding *f = &d->fs[d->nfs++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->severity = sev;
	f->count = 1;
	return f;
}

/* An existing finding of this kind about the same subject, to fold repeats into. */
static struct diag_finding *finding_find(struct diag *d, const char *kind, const struct addr *srv, uint16_t port,
					 const char *iface, uint32_t code)
{
	for (size_t i = 0; i < d->nfs; i++) {
		struct diag_finding *f = &d->fs[i];
		if (f->kind == kind && f->has_server && addr_eq(&f->server, srv) && f->port == port &&
		    !strcmp(f->iface, iface ? iface : "") && f->rc == code)
			return f;
	}
	return NULL;
}

static void fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t n, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, n, f, ap);
	va_end(ap);
}

static const char *iface_name(const struct rpc_uuid *u, int has, char *buf, size_t n)
{
	if (!has) {
		buf[0] = 0;
		return buf;
	}
	char ub[UUID_STRLEN];
	snprintf(buf, n, "%s", names_iface_label(u, ub, sizeof ub));
	return buf;
}

void diag_epm(struct diag *d, const struct rpc_epm_ev *e)
{
	diag_time(d, e->ts_us);
	char nm[48];
	iface_name(&e->iface, e->has_iface, nm, sizeof nm);
	struct dep *epm = ep_get(d, &e->ep.srv, PROTO_TCP, e->ep.sport, 1);
	if (epm)
		set_role(d, epm, R_EPM, "EPM");
	if (e->status == 0x16c9a0d6u && !e->has_tower) {
		struct diag_finding *f = finding_find(d, "epm_not_registered", &e->ep.srv, e->ep.sport, nm, 0);
		if (f) {
			f->count++;
			add_ev(f->ev, &f->nev, e->frame, e->ts_us);
			return;
		}
		f = finding(d, "epm_not_registered", SEV_ERROR);
		if (!f)
			return;
		f->has_server = 1;
		f->server = e->ep.srv;
		f->proto = PROTO_TCP;
		f->port = e->ep.sport;
		f->role = "epm";
		snprintf(f->iface, sizeof f->iface, "%s", nm);
		char ab[ADDR_STRLEN];
		addr_str(&e->ep.srv, ab, sizeof ab);
		fmt(f->summary, sizeof f->summary, "the endpoint mapper on %s has no endpoint for %s",
		    ab, nm[0] ? nm : "the requested interface");
		fmt(f->explanation, sizeof f->explanation,
		    "The client asked the endpoint mapper (ept_%s) where %s lives and got ept_s_not_registered "
		    "(0x16c9a0d6): no server process has registered that interface on %s.  The network let the "
		    "question through; the service behind it is missing.",
		    e->opnum == 2 ? "lookup" : "map", nm[0] ? nm : "the interface", ab);
		fmt(f->remedy, sizeof f->remedy,
		    "Start the service that provides %s on %s (for Exchange: the Information Store / RPC Client "
		    "Access service), or point the client at the server that runs it.  This is not a firewall "
		    "problem.", nm[0] ? nm : "the interface", ab);
		add_ev(f->ev, &f->nev, e->req_frame, e->ts_us);
		add_ev(f->ev, &f->nev, e->frame, e->ts_us);
		return;
	}
	if (!e->has_tower || !e->has_port || (e->proto != RPC_EPM_TCP && e->proto != RPC_EPM_HTTP))
		return;
	struct addr a = e->has_ip && !(e->ip.a[0] == 0 && e->ip.a[1] == 0 && e->ip.a[2] == 0 && e->ip.a[3] == 0)
				? e->ip : e->ep.srv;
	int in_range = e->port >= d->o.range_lo && e->port <= d->o.range_hi;
	struct dep *x = ep_get(d, &a, PROTO_TCP, e->port, 1);
	if (x)
		set_role(d, x, in_range ? R_DYNAMIC : R_PINNED, nm);
	if (in_range)
		return;
	struct diag_finding *f = finding_find(d, "port_out_of_range", &a, e->port, nm, 0);
	if (f) {
		f->count++;
		return;
	}
	f = finding(d, "port_out_of_range", SEV_INFO);
	if (!f)
		return;
	char ab[ADDR_STRLEN];
	addr_str(&a, ab, sizeof ab);
	f->has_server = 1;
	f->server = a;
	f->proto = PROTO_TCP;
	f->port = e->port;
	f->role = "pinned";
	snprintf(f->iface, sizeof f->iface, "%s", nm);
	fmt(f->summary, sizeof f->summary, "%s on %s uses port %u, outside the dynamic range %u-%u", nm[0] ? nm : "an interface",
	    ab, e->port, d->o.range_lo, d->o.range_hi);
	fmt(f->explanation, sizeof f->explanation,
	    "The endpoint mapper handed out TCP %u for %s.  That is outside the expected dynamic RPC range "
	    "(%u-%u; Windows 2000/2003 used 1025-5000), so it is either pinned in the registry (e.g. the "
	    "Exchange calendar connector's 'NotesCal.Exchange CalCon RPC Port', or MSExchangeIS 'TCP/IP "
	    "Port') or the server uses a legacy range.", e->port, nm[0] ? nm : "the interface", d->o.range_lo,
	    d->o.range_hi);
	fmt(f->remedy, sizeof f->remedy,
	    "Make sure the firewall opens TCP %u to %s explicitly: rules for the dynamic range do not cover "
	    "it.  If the range is legacy, use --rpc-range to tell rpcwatch.", e->port, ab);
	add_ev(f->ev, &f->nev, e->frame, e->ts_us);
}

void diag_bind(struct diag *d, const struct rpc_bind_ev *e)
{
	diag_time(d, e->reply_ts_us ? e->reply_ts_us : e->ts_us);
	if (!e->reply_frame)
		return;
	for (unsigned i = 0; i < e->n_ctx || (e->reply_ptype == 13 && i == 0); i++) {
		const struct rpc_ctx_item *it = i < e->n_ctx ? &e->ctx[i] : NULL;
		const char *why = NULL;
		if (e->reply_ptype == 13) {
			why = names_bind_nak_reason(e->nak_reason);
		} else {
			if (!it->answered || it->result == 0 || it->result == 3)
				continue;
			int accepted = 0;	/* another item for the same interface was accepted */
			for (unsigned j = 0; j < e->n_ctx; j++)
				if (e->ctx[j].answered && e->ctx[j].result == 0 && uuid_eq(&e->ctx[j].iface, &it->iface))
					accepted = 1;
			if (accepted)
				continue;
			why = names_provider_reason(it->reason);
		}
		char nm[48];
		iface_name(it ? &it->iface : NULL, it != NULL, nm, sizeof nm);
		struct diag_finding *f = finding_find(d, "bind_rejected", &e->ep.srv, e->ep.sport, nm, 0);
		if (f) {
			f->count++;
			add_ev(f->ev, &f->nev, e->reply_frame, e->reply_ts_us);
			continue;
		}
		f = finding(d, "bind_rejected", SEV_ERROR);
		if (!f)
			return;
		char ab[ADDR_STRLEN + 8];
		addr_port_str(&e->ep.srv, e->ep.sport, ab, sizeof ab);
		f->has_server = 1;
		f->server = e->ep.srv;
		f->proto = PROTO_TCP;
		f->port = e->ep.sport;
		snprintf(f->iface, sizeof f->iface, "%s", nm);
		f->reason = why;
		fmt(f->summary, sizeof f->summary, "%s refused the bind to %s (%s)", ab, nm[0] ? nm : "the interface",
		    why ? why : "reason not named");
		fmt(f->explanation, sizeof f->explanation,
		    "The connection reached the server, but the server would not let the client use %s: %s.  "
		    "abstract_syntax_not_supported means this port does not serve that interface (a stale port "
		    "from the endpoint mapper, or the wrong server); a bind_nak with authentication reasons means "
		    "the security settings do not match.", nm[0] ? nm : "the interface",
		    e->reply_ptype == 13 ? "the server answered bind_nak" : "the presentation context was rejected");
		fmt(f->remedy, sizeof f->remedy,
		    "Ask the endpoint mapper again for the current port, check that the service providing %s "
		    "runs on %s, and that client and server agree on authentication.", nm[0] ? nm : "it", ab);
		add_ev(f->ev, &f->nev, e->frame, e->ts_us);
		add_ev(f->ev, &f->nev, e->reply_frame, e->reply_ts_us);
		if (e->reply_ptype == 13)
			return;
	}
}

void diag_call(struct diag *d, const struct rpc_call_ev *e)
{
	diag_time(d, e->resp_ts_us ? e->resp_ts_us : e->req_ts_us);
	if (!e->fault)
		return;
	char nm[48];
	iface_name(&e->iface, e->has_iface, nm, sizeof nm);
	struct diag_finding *f = finding_find(d, "rpc_fault", &e->ep.srv, e->ep.sport, nm, e->status);
	if (f && f->port == e->ep.sport) {
		f->count++;
		add_ev(f->ev, &f->nev, e->resp_frame, e->resp_ts_us);
		return;
	}
	f = finding(d, "rpc_fault", SEV_WARNING);
	if (!f)
		return;
	const char *fn = names_fault(e->status);
	const char *desc = names_status_desc("fault", e->status);
	char opb[16] = "";
	const char *op = e->has_iface && e->req_frame ? names_opnum(&e->iface, e->opnum) : NULL;
	if (!op && e->req_frame) {
		snprintf(opb, sizeof opb, "op%u", e->opnum);
		op = opb;
	}
	char ab[ADDR_STRLEN + 8];
	addr_port_str(&e->ep.srv, e->ep.sport, ab, sizeof ab);
	f->has_server = 1;
	f->server = e->ep.srv;
	f->proto = e->ep.proto;
	f->port = e->ep.sport;
	snprintf(f->iface, sizeof f->iface, "%s", nm);
	f->has_rc = 1;
	f->rc = e->status;
	f->rc_name = fn;
	fmt(f->summary, sizeof f->summary, "%s answered %s%s%s with fault 0x%08x%s%s", ab, nm[0] ? nm : "a call",
	    op ? " " : "", op ? op : "", e->status, fn ? " " : "", fn ? fn : "");
	fmt(f->explanation, sizeof f->explanation,
	    "The call reached the server and was refused by the RPC runtime or the service: %s.  The network "
	    "path works for this connection.", desc ? desc : (fn ? fn : "an unnamed status"));
	fmt(f->remedy, sizeof f->remedy,
	    "Look at the server side of %s: nca_s_op_rng_error / unknown interface point at a client and "
	    "server of different versions; access denied at permissions or authentication.", nm[0] ? nm : "the service");
	add_ev(f->ev, &f->nev, e->req_frame, e->req_ts_us);
	add_ev(f->ev, &f->nev, e->resp_frame, e->resp_ts_us);
}

void diag_notify_reg(struct diag *d, const struct rpc_notify_reg_ev *e)
{
	diag_time(d, e->ts_us);
	char ab[ADDR_STRLEN + 8], cb[ADDR_STRLEN + 8], cl[ADDR_STRLEN];
	addr_port_str(&e->ep.srv, e->ep.sport, ab, sizeof ab);
	if (e->af) {
		struct dep *x = ep_get(d, &e->cb_ip, PROTO_UDP, e->cb_port, 1);
		if (x)
			set_role(d, x, R_NOTIFY, "EMSMDB");
		addr_port_str(&e->cb_ip, e->cb_port, cb, sizeof cb);
		if (!addr_eq(&e->cb_ip, &e->ep.cli)) {
			if (x)
				x->keep = 1;	/* the subject of a finding: always listed */
			struct diag_finding *f = finding(d, "callback_mismatch", SEV_ERROR);
			if (f) {
				f->has_server = 1;
				f->server = e->cb_ip;
				f->proto = PROTO_UDP;
				f->port = e->cb_port;
				f->role = "notify";
				snprintf(f->iface, sizeof f->iface, "EMSMDB");
				addr_str(&e->ep.cli, cl, sizeof cl);
				fmt(f->summary, sizeof f->summary,
				    "push notifications registered for %s, but the server sees the client as %s", cb, cl);
				fmt(f->explanation, sizeof f->explanation,
				    "Outlook registered its own address %s as the callback for new-mail notifications, but "
				    "its connection reaches %s from %s: NAT or a VPN sits in between.  The server will "
				    "send the UDP notifications to an address that does not lead back to the client, so "
				    "new mail shows up only when Outlook polls (about once a minute).", cb, ab, cl);
				fmt(f->remedy, sizeof f->remedy,
				    "Avoid NAT between Outlook and Exchange for MAPI/RPC clients, or use Cached Exchange "
				    "Mode / RPC over HTTP, which do not rely on UDP notifications.");
				add_ev(f->ev, &f->nev, e->req_frame, e->ts_us);
			}
		}
	}
	if (e->has_rc && e->rc != 0) {
		const char *rn = names_mapi(e->rc);
		struct diag_finding *f = finding(d, "register_failed", SEV_ERROR);
		if (!f)
			return;
		f->has_server = 1;
		f->server = e->ep.srv;
		f->proto = PROTO_TCP;
		f->port = e->ep.sport;
		snprintf(f->iface, sizeof f->iface, "EMSMDB");
		f->has_rc = 1;
		f->rc = e->rc;
		f->rc_name = rn;
		fmt(f->summary, sizeof f->summary, "%s refused the push-notification registration: 0x%08x %s", ab, e->rc,
		    rn ? rn : "");
		if (e->rc == 0x80040102u)
			fmt(f->explanation, sizeof f->explanation,
			    "EcRRegisterPushNotification returned ecNotSupported (MAPI_E_NO_SUPPORT): this server does "
			    "not offer UDP push notifications.  Exchange 2010 RTM/SP1 and Exchange 2013 and later always "
			    "answer this; on Exchange 2000/2003 it means the server could not register the client "
			    "(e.g. a stale Winsock transport under HKLM\\SYSTEM\\CurrentControlSet\\Services\\Winsock"
			    "\\Parameters\\Transports).  Without a registration Outlook polls once a minute.");
		else
			fmt(f->explanation, sizeof f->explanation,
			    "EcRRegisterPushNotification returned 0x%08x (%s), so the server will not send UDP new-mail "
			    "notifications to this client; Outlook falls back to polling once a minute.", e->rc,
			    rn ? rn : "unnamed");
		fmt(f->remedy, sizeof f->remedy,
		    "On Exchange 2010 SP1 RU3 or later create EnablePushNotifications (DWORD 1) under HKLM\\SYSTEM\\"
		    "CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem; on Exchange 2000/2003 remove "
		    "Winsock transports without a service key and restart; otherwise rely on Cached Mode or async "
		    "notifications (EcDoAsyncConnectEx).");
		add_ev(f->ev, &f->nev, e->req_frame, e->ts_us);
		add_ev(f->ev, &f->nev, e->resp_frame, e->ts_us);
		return;
	}
	if (!e->has_rc || !e->af)
		return;
	if (d->nregs == d->capregs && d->o.nfiles < 2) {
		/* A registration that has had its notification can no longer lead to a
		 * finding from one capture (notify_lost needs two): forget those
		 * before growing, so memory follows the pending ones only. */
		size_t k = 0;
		for (size_t i = 0; i < d->nregs; i++)
			if (!d->regs[i].notifications)
				d->regs[k++] = d->regs[i];
		d->nregs = k;
	}
	if (d->nregs >= DIAG_MAX_REGS)
		return;
	void *regs = grow(d->regs, d->nregs, &d->capregs, sizeof *d->regs, 16);
	if (!regs)
		return;
	d->regs = regs;
	if (d->nregs && d->regs[d->nregs - 1].r.reg_id >= e->reg_id)
		d->regs_unsorted = 1;
	struct dreg *r = &d->regs[d->nregs++];
	memset(r, 0, sizeof *r);
	r->r = *e;
}

static int cmp_reg_id(const void *k, const void *e)
{
	uint32_t id = *(const uint32_t *)k, rid = ((const struct dreg *)e)->r.reg_id;
	return id < rid ? -1 : id > rid;
}

/* The registration with this id: the engine numbers them in the order it
 * reports them, so regs is sorted (checked as it grows; linear otherwise). */
static struct dreg *reg_find(struct diag *d, uint32_t id)
{
	if (!d->nregs)
		return NULL;
	if (!d->regs_unsorted)
		return bsearch(&id, d->regs, d->nregs, sizeof *d->regs, cmp_reg_id);
	for (size_t i = 0; i < d->nregs; i++)
		if (d->regs[i].r.reg_id == id)
			return &d->regs[i];
	return NULL;
}

/* ---- merged captures ----------------------------------------------------------------- */

static void track(struct diag *d, uint8_t kind, uint64_t frame, uint64_t ts, uint32_t reg_id)
{
	if (d->o.nfiles < 2 || d->cur_file >= MERGE_MAX_FILES || d->ntr >= DIAG_MAX_TRACKED)
		return;
	if (d->ntr && d->tr[d->ntr - 1].frame >= frame)
		return;		/* frames arrive in order; a second event about one packet adds nothing */
	void *tr = grow(d->tr, d->ntr, &d->captr, sizeof *d->tr, 64);
	if (!tr)
		return;
	d->tr = tr;
	struct dtrack *t = &d->tr[d->ntr++];
	t->frame = frame;
	t->ts_us = ts;
	t->mask = 1u << d->cur_file;
	t->reg_id = reg_id;
	t->kind = kind;
}

static struct dtrack *track_find(const struct diag *d, uint64_t frame)
{
	size_t lo = 0, hi = d->ntr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->tr[mid].frame < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->ntr && d->tr[lo].frame == frame ? &d->tr[lo] : NULL;
}

static struct dnear *near_slot(const struct diag *d, const struct addr *a)
{
	if (!d->near)
		return NULL;
	uint32_t h = ep_hash(a, 0, 0);
	for (size_t n = 0, j = h & (DIAG_NEAR_CAP - 1); n < DIAG_NEAR_CAP; n++, j = (j + 1) & (DIAG_NEAR_CAP - 1))
		if (!d->near[j].used || addr_eq(&d->near[j].a, a))
			return &d->near[j];
	return NULL;	/* full */
}

/* The file nearest address a, or -1 when no copy of its packets told. */
static int near_file(const struct diag *d, const struct addr *a)
{
	const struct dnear *n = near_slot(d, a);
	return n && n->used ? n->file : -1;
}

void diag_source(struct diag *d, unsigned file)
{
	d->cur_file = file;
}

void diag_rst(struct diag *d, uint64_t frame, uint64_t ts_us)
{
	track(d, TR_RST, frame, ts_us, 0);
}

void diag_copy(struct diag *d, const struct merge_seen *first, unsigned file, const struct pkt *p)
{
	if (d->o.nfiles < 2 || file >= MERGE_MAX_FILES)
		return;
	if (first->ttl != p->ttl) {
		struct dnear *n = near_slot(d, &p->src);
		unsigned nf = first->ttl > p->ttl ? first->file : file;
		if (n && !n->used) {
			n->used = 1;
			n->a = p->src;
			n->file = (uint8_t)nf;
			n->votes = 1;
		} else if (n && n->file == nf) {
			if (n->votes < UINT32_MAX)
				n->votes++;
		} else if (n && !--n->votes) {
			n->file = (uint8_t)nf;
			n->votes = 1;
		}
	}
	if (p->proto == PROTO_UDP || (p->proto == PROTO_TCP && (p->tcp_flags & 0x04))) {
		struct dtrack *t = track_find(d, first->frame);
		if (t)
			t->mask |= 1u << file;
	}
}

void diag_file_span(struct diag *d, unsigned file, const char *path, uint64_t first_ts_us, uint64_t last_ts_us,
		    uint64_t packets)
{
	if (file >= MERGE_MAX_FILES)
		return;
	d->files[file].path = path;
	d->files[file].first_ts_us = first_ts_us;
	d->files[file].last_ts_us = last_ts_us;
	d->files[file].packets = packets;
}

/* Did file f capture at time ts? (It has packets before and after.) */
static int file_covers(const struct diag *d, int f, uint64_t ts)
{
	return f >= 0 && f < MERGE_MAX_FILES && d->files[f].packets && d->files[f].first_ts_us <= ts &&
	       d->files[f].last_ts_us >= ts;
}

static const char *file_label(const struct diag *d, int f)
{
	const char *p = f >= 0 && f < MERGE_MAX_FILES ? d->files[f].path : NULL;
	if (!p)
		return "?";
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

void diag_notify_udp(struct diag *d, const struct rpc_notify_udp_ev *e)
{
	diag_time(d, e->ts_us);
	if (!e->reg_id)
		return;
	track(d, TR_NOTIFY, e->frame, e->ts_us, e->reg_id);
	struct dreg *r = reg_find(d, e->reg_id);
	if (r && !r->notifications++)
		r->first_notify_frame = e->frame;
	if (e->match_addr && d->nnotify > DIAG_NOTIFY_LISTED) {	/* only ep_unlisted() asks */
		struct dep *x = ep_get(d, &e->dst, PROTO_UDP, e->dport, 0);
		if (x) {
			x->notified = 1;
			x->live = 1;
		}
	}
}

/* ---- finish ------------------------------------------------------------------------ */

static const char *verdict_of(const struct diag *d, const struct dep *x, enum ev_kind *k)
{
	const struct dep_more *m = more_of(d, x);
	if (x->open) {
		*k = E_OPEN;
		return "open";
	}
	if (m->seen[E_CLOSED]) {
		*k = E_CLOSED;
		return "closed";
	}
	if (m->seen[E_PROHIBITED]) {
		*k = E_PROHIBITED;
		return "filtered";
	}
	if (m->seen[E_UNREACH]) {
		*k = E_UNREACH;
		return "unreachable";
	}
	if (m->seen[E_FILTERED]) {
		*k = E_FILTERED;
		return "filtered";
	}
	*k = E_NONE;
	return x->proto == PROTO_UDP ? "open|filtered" : "unknown";
}

static void port_finding(struct diag *d, const struct dep *x, enum ev_kind k, const char *verdict)
{
	int notify = x->role == R_NOTIFY;
	const char *kind = notify ? "notify_rejected"
		       : k == E_PROHIBITED ? "port_prohibited" : k == E_CLOSED ? "port_closed" : "port_filtered";
	if (notify && k != E_CLOSED && k != E_PROHIBITED && k != E_UNREACH)
		return;
	const struct dep_more *m = more_of(d, x);
	const char *xi = iface_of(d, x);
	struct diag_finding *f = finding(d, kind, x->role ? SEV_ERROR : SEV_WARNING);
	if (!f)
		return;
	char ab[ADDR_STRLEN], by[ADDR_STRLEN];
	addr_str(&x->srv, ab, sizeof ab);
	const char *pn = x->proto == PROTO_UDP ? "udp" : "tcp";
	f->has_server = 1;
	f->server = x->srv;
	f->proto = x->proto;
	f->port = x->port;
	f->role = role_names[x->role];
	snprintf(f->iface, sizeof f->iface, "%s", xi);
	f->verdict = verdict;
	f->reason = m->reason;
	f->has_by = m->has_by;
	f->by = m->by;
	f->ttl = m->ttl;
	f->count = m->seen[k];
	memcpy(f->ev, m->ev, sizeof f->ev);
	f->nev = m->nev;
	if (m->has_by)
		addr_str(&m->by, by, sizeof by);
	char what[160];
	switch (x->role) {
	case R_EPM: fmt(what, sizeof what, "the endpoint mapper %s:135/%s", ab, pn); break;
	case R_DYNAMIC:
		fmt(what, sizeof what, "%s:%u/%s (%s, the dynamic port the endpoint mapper handed out)", ab, x->port, pn,
		    xi[0] ? xi : "RPC");
		break;
	case R_PINNED:
		fmt(what, sizeof what, "%s:%u/%s (%s, a pinned port from the endpoint mapper)", ab, x->port, pn,
		    xi[0] ? xi : "RPC");
		break;
	case R_NOTIFY: fmt(what, sizeof what, "the new-mail notification port %s:%u/udp", ab, x->port); break;
	default: fmt(what, sizeof what, "%s:%u/%s", ab, x->port, pn); break;
	}
	int by_router = m->has_by && !addr_eq(&m->by, &x->srv);
	if (notify) {
		fmt(f->summary, sizeof f->summary, "notifications to %s rejected with ICMP %s from %s", what,
		    m->reason ? m->reason : "unreachable", m->has_by ? by : "?");
		fmt(f->explanation, sizeof f->explanation,
		    "The server sent UDP new-mail notifications to the callback the client registered, and %s "
		    "answered them with ICMP %s: %s.  Outlook therefore only sees new mail when it polls, about "
		    "once a minute.", m->has_by ? by : "someone", m->reason ? m->reason : "unreachable",
		    by_router ? "a router or firewall on the path refuses them"
			      : "the client host's own firewall refuses them, or nothing listens on the port");
		fmt(f->remedy, sizeof f->remedy,
		    "Allow UDP from the Exchange server to the client's ports 1024-65535 (Outlook picks one at "
		    "logon; Outlook 2003+ can be fixed with HKCU\\Software\\Microsoft\\Office\\11.0\\Outlook\\RPC "
		    "FixedUDPPort) on the client's firewall%s.", by_router ? " and on that router" : "");
		return;
	}
	if (k == E_PROHIBITED)
		fmt(f->summary, sizeof f->summary, "%s is blocked by %s (ICMP %s, ttl %u)", what, m->has_by ? by : "?",
		    m->reason ? m->reason : "admin-prohibited", m->ttl);
	else if (k == E_CLOSED)
		fmt(f->summary, sizeof f->summary, "%s is closed (%s%s%s)", what, m->reason ? m->reason : "reset",
		    m->has_by ? " from " : "", m->has_by ? by : "");
	else if (k == E_UNREACH)
		fmt(f->summary, sizeof f->summary, "%s is unreachable (ICMP %s from %s)", what, m->reason ? m->reason : "?",
		    m->has_by ? by : "?");
	else if (m->forged == FORGED_TTL)
		fmt(f->summary, sizeof f->summary,
		    "%s is blocked: a reset forged in the server's name (ttl %u; the server's own packets arrive with ttl %u)",
		    what, m->rst_ttl, m->server_ttl);
	else if (m->forged == FORGED_VANTAGE)
		fmt(f->summary, sizeof f->summary,
		    "%s is blocked: a reset in the server's name that the server never sent (not in %s)", what,
		    file_label(d, m->forged_file));
	else if (m->reason && !strcmp(m->reason, "no-response") && m->syns >= 2)
		fmt(f->summary, sizeof f->summary, "%s is filtered: no answer to %u SYNs%s", what, m->syns,
		    m->syn_retx ? " (retransmitted)" : "");
	else
		fmt(f->summary, sizeof f->summary, "%s is filtered: %s", what,
		    m->reason && !strcmp(m->reason, "no-response") ? "no answer to SYN" : m->reason ? m->reason : "");
	const char *role_text = x->role == R_EPM ? "Clients ask the endpoint mapper on TCP 135 where an RPC interface lives; without it no RPC service on this server can be found."
		: x->role == R_DYNAMIC ? "The endpoint mapper answered, so TCP 135 works, but the port it handed out for the interface cannot be reached: the firewall opens 135 and not the dynamic range."
		: x->role == R_PINNED ? "The endpoint mapper answered with a port pinned outside the dynamic range; that port cannot be reached."
		: "A client tried this port and could not connect.";
	const char *how = k == E_PROHIBITED ? (by_router ? "A router or firewall on the path answers with ICMP administratively prohibited: the block is configured there, not on the server."
							 : "The server itself answers with ICMP administratively prohibited: its host firewall rejects the connection.")
		: k == E_CLOSED ? (m->has_by ? "The host answered ICMP port unreachable: nothing listens there." : "The answer is a TCP reset: nothing listens on the port, or a firewall resets in the server's name (compare the reset's TTL with the server's other packets).")
		: k == E_UNREACH ? "A router reports the host or network unreachable: a routing problem, not a port filter."
		: m->forged ? "The TCP reset that answered the client did not come from the server: a firewall on the path rejects the connection and answers in the server's name, so it looks like a closed port."
		: "Nothing answered the client's SYNs, not even a reset: a firewall on the path silently drops them (or the host is down).";
	fmt(f->explanation, sizeof f->explanation, "%s %s", role_text, how);
	if (x->role == R_EPM)
		fmt(f->remedy, sizeof f->remedy, "Allow TCP 135 from the clients to %s%s%s.", ab, by_router ? " on " : "",
		    by_router ? by : "");
	else if (x->role == R_DYNAMIC)
		fmt(f->remedy, sizeof f->remedy,
		    "Allow TCP %u-%u (the dynamic RPC range) to %s%s%s, or pin %s's port in the registry (e.g. "
		    "MSExchangeIS 'TCP/IP Port', or the calendar connector's 'NotesCal.Exchange CalCon RPC Port') "
		    "and open that one port.", d->o.range_lo, d->o.range_hi, ab, by_router ? " on " : "",
		    by_router ? by : "", xi[0] ? xi : "the service");
	else if (x->role == R_PINNED)
		fmt(f->remedy, sizeof f->remedy, "Open TCP %u to %s%s%s: it is the port this service is pinned to.", x->port,
		    ab, by_router ? " on " : "", by_router ? by : "");
	else
		fmt(f->remedy, sizeof f->remedy, "If the port is needed, allow TCP %u to %s%s%s, or start the service.",
		    x->port, ab, by_router ? " on " : "", by_router ? by : "");
}

static int cmp_finding(const void *a, const void *b)
{
	const struct diag_finding *x = a, *y = b;
	uint64_t fx = x->nev ? x->ev[0].frame : 0, fy = y->nev ? y->ev[0].frame : 0;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return fx < fy ? -1 : fx > fy;
}

static int cmp_ttl_addr(const void *a, const void *b)
{
	const struct dep *x = *(const struct dep *const *)a, *y = *(const struct dep *const *)b;
	return addr_cmp(&x->srv, &y->srv);
}

/* A reset "from the server" that the server did not send: the server-side
 * capture lacks it, or its TTL differs from the server's own SYN-ACKs. */
static void detect_forged(struct diag *d)
{
	size_t ncand = 0, nopen = 0;
	for (size_t i = 0; i < d->neps; i++) {
		const struct dep *x = &d->eps[i];
		const struct dep_more *m = more_of(d, x);
		ncand += m->rst_frame && m->seen[E_CLOSED] && !x->open;
		nopen += x->open_ttl != 0;
	}
	if (!ncand)
		return;
	const struct dep **open = nopen ? malloc(nopen * sizeof *open) : NULL;
	size_t no = 0;
	for (size_t i = 0; open && i < d->neps; i++)
		if (d->eps[i].open_ttl)
			open[no++] = &d->eps[i];
	if (open)
		qsort(open, no, sizeof *open, cmp_ttl_addr);
	for (size_t i = 0; i < d->neps; i++) {
		struct dep *x = &d->eps[i];
		if (!x->more)
			continue;
		struct dep_more *m = &d->more[x->more - 1];
		if (!(m->rst_frame && m->seen[E_CLOSED] && !x->open))
			continue;
		if (d->o.nfiles >= 2) {
			int ns = near_file(d, &x->srv);
			const struct dtrack *t = track_find(d, m->rst_frame);
			if (ns >= 0 && t && !(t->mask & (1u << ns)) && file_covers(d, ns, t->ts_us)) {
				m->forged = FORGED_VANTAGE;
				m->forged_file = (uint8_t)ns;
			}
		}
		if (!m->forged && open) {
			const struct dep key = {.srv = x->srv}, *kp = &key;
			const struct dep **hit = bsearch(&kp, open, no, sizeof *open, cmp_ttl_addr);
			if (hit && (*hit)->open_ttl != m->rst_ttl) {
				m->forged = FORGED_TTL;
				m->server_ttl = (*hit)->open_ttl;
			}
		}
		if (m->forged) {
			m->seen[E_FILTERED] += m->seen[E_CLOSED];
			m->seen[E_CLOSED] = 0;
			m->reason = "forged-reset";
			m->ttl = m->rst_ttl;
			m->has_by = 0;
		}
	}
	free(open);
}

/* Count, per registration, the notifications the client-side capture lacks. */
static void count_lost(struct diag *d)
{
	for (size_t i = 0; i < d->nregs; i++)
		d->regs[i].src_file = -1;
	for (size_t i = 0; i < d->ntr; i++) {
		const struct dtrack *t = &d->tr[i];
		if (t->kind != TR_NOTIFY)
			continue;
		struct dreg *r = reg_find(d, t->reg_id);
		if (!r)
			continue;
		int nc = near_file(d, &r->r.cb_ip);
		if (nc < 0)
			nc = near_file(d, &r->r.ep.cli);
		if (nc < 0 || !file_covers(d, nc, t->ts_us))
			continue;
		r->tracked++;
		if (t->mask & (1u << nc))
			continue;
		r->lost++;
		if (r->src_file < 0)
			for (int f = 0; f < MERGE_MAX_FILES; f++)
				if (t->mask & (1u << f)) {
					r->src_file = f;
					break;
				}
		add_ev(r->lev, &r->nlev, t->frame, t->ts_us);
	}
}

static void notify_lost(struct diag *d, const struct dreg *r)
{
	struct diag_finding *f = finding(d, "notify_lost", SEV_ERROR);
	if (!f)
		return;
	char sv[ADDR_STRLEN], cb[ADDR_STRLEN + 8];
	addr_str(&r->r.ep.srv, sv, sizeof sv);
	addr_port_str(&r->r.cb_ip, r->r.cb_port, cb, sizeof cb);
	int nc = near_file(d, &r->r.cb_ip);
	if (nc < 0)
		nc = near_file(d, &r->r.ep.cli);
	f->has_server = 1;
	f->server = r->r.cb_ip;
	f->proto = PROTO_UDP;
	f->port = r->r.cb_port;
	f->role = "notify";
	snprintf(f->iface, sizeof f->iface, "EMSMDB");
	fmt(f->summary, sizeof f->summary,
	    "%u of %u new-mail notifications from %s to %s left the server but never reached the client: "
	    "dropped on the path", r->lost, r->tracked, sv, cb);
	fmt(f->explanation, sizeof f->explanation,
	    "The server sent UDP new-mail notifications to the callback the client registered.  The capture "
	    "nearer the server (%s) has them; the capture nearer the client (%s), which saw the rest of the "
	    "conversation at the same time, does not.  They were dropped between the two capture points - by a "
	    "router, firewall or VPN on the path, not at either host.  Outlook sees new mail only when it "
	    "polls, about once a minute.", file_label(d, r->src_file), file_label(d, nc));
	fmt(f->remedy, sizeof f->remedy,
	    "Allow UDP from %s to the client's ports 1024-65535 (this client registered %u) on every router and "
	    "firewall between the two capture points; check VPN clients that disable Winsock notifications.  "
	    "If only a narrow rule is acceptable, pin Outlook's port (FixedUDPPort) and open that.", sv,
	    r->r.cb_port);
	add_ev(f->ev, &f->nev, r->r.req_frame, r->r.ts_us);
	for (uint32_t i = 0; i < r->nlev; i++)
		add_ev(f->ev, &f->nev, r->lev[i].frame, r->lev[i].ts_us);
}

void diag_finish(struct diag *d, diag_endpoint_fn ep_cb, diag_finding_fn f_cb, void *ctx)
{
	detect_forged(d);
	if (d->o.nfiles >= 2)
		count_lost(d);
	uint32_t listed = 0;
	for (size_t i = 0; i < d->neps; i++) {
		struct dep *x = &d->eps[i];
		if (ep_unlisted(d, x)) {	/* nothing against it: no finding either */
			ep_count_unlisted(d, x);
			continue;
		}
		listed += x->role == R_NOTIFY;
		enum ev_kind k;
		const char *v = verdict_of(d, x, &k);
		const struct dep_more *m = more_of(d, x);
		if (ep_cb && (x->role || x->proto == PROTO_TCP)) {
			struct diag_endpoint_view w;
			memset(&w, 0, sizeof w);
			w.server = x->srv;
			w.proto = x->proto;
			w.port = x->port;
			w.role = role_names[x->role];
			w.iface = iface_of(d, x);
			w.verdict = v;
			w.reason = k == E_OPEN ? (x->proto == PROTO_UDP ? "udp-response" : "syn-ack") : m->reason;
			w.has_by = m->has_by && k != E_OPEN;
			w.by = m->by;
			w.ttl = k != E_OPEN ? m->ttl : 0;
			w.attempts = x->attempts;
			w.first_frame = x->first_frame;
			w.first_ts_us = x->first_ts_us;
			ep_cb(ctx, &w);
		}
		if (k != E_OPEN && k != E_NONE && (x->proto == PROTO_TCP || x->role == R_NOTIFY))
			port_finding(d, x, k, v);
	}
	if (ep_cb && d->unlisted) {	/* one summary record after the endpoints */
		struct diag_endpoint_view w;
		memset(&w, 0, sizeof w);
		w.proto = PROTO_UDP;
		w.role = role_names[R_NOTIFY];
		w.iface = "EMSMDB";
		w.unlisted = d->unlisted;
		w.listed = listed;
		w.first_frame = d->unlisted_frame;
		w.first_ts_us = d->unlisted_ts_us;
		ep_cb(ctx, &w);
	}
	for (size_t i = 0; i < d->nregs; i++) {
		struct dreg *r = &d->regs[i];
		if (r->notifications) {
			if (r->lost)
				notify_lost(d, r);
			continue;
		}
		struct dep *x = ep_get(d, &r->r.cb_ip, PROTO_UDP, r->r.cb_port, 0);
		const struct dep_more *m = x ? more_of(d, x) : NULL;
		if (m && (m->seen[E_CLOSED] || m->seen[E_PROHIBITED] || m->seen[E_UNREACH]))
			continue;	/* notify_rejected says why */
		if (d->last_ts_us < r->r.ts_us + (uint64_t)d->o.notify_window_s * 1000000u)
			continue;	/* the capture does not cover the window */
		struct diag_finding *f = finding(d, "notify_missing", SEV_ERROR);
		if (!f)
			break;
		char ab[ADDR_STRLEN + 8], cb[ADDR_STRLEN + 8];
		addr_port_str(&r->r.ep.srv, r->r.ep.sport, ab, sizeof ab);
		addr_port_str(&r->r.cb_ip, r->r.cb_port, cb, sizeof cb);
		f->has_server = 1;
		f->server = r->r.cb_ip;
		f->proto = PROTO_UDP;
		f->port = r->r.cb_port;
		f->role = "notify";
		snprintf(f->iface, sizeof f->iface, "EMSMDB");
		fmt(f->summary, sizeof f->summary, "no new-mail notification reached %s within %u s of its registration",
		    cb, d->o.notify_window_s);
		fmt(f->explanation, sizeof f->explanation,
		    "The client registered %s for UDP push notifications with %s and the server answered ecNone "
		    "- but Exchange answers success whether or not it really registered the client, so only "
		    "datagrams prove it works, and none arrived in this capture within %u s (Exchange resends "
		    "every 60 s while mail is pending).  Either no mail arrived, the server could not register "
		    "the client, or UDP from the server is dropped on the way.", cb, ab, d->o.notify_window_s);
		fmt(f->remedy, sizeof f->remedy,
		    "Send the user a message while capturing.  Capture on the server too: if datagrams leave the "
		    "server, let UDP from it to client ports 1024-65535 through routers, firewalls and VPN clients "
		    "(old Cisco VPN clients disable Winsock notifications); if none leave it, check the server's "
		    "registration (Winsock transports, EnablePushNotifications).");
		add_ev(f->ev, &f->nev, r->r.req_frame, r->r.ts_us);
		add_ev(f->ev, &f->nev, r->r.resp_frame, r->r.ts_us);
	}
	if (d->nfs)	/* qsort(NULL, 0, ...) is undefined */
		qsort(d->fs, d->nfs, sizeof *d->fs, cmp_finding);
	for (size_t i = 0; i < d->nfs; i++)
		d->counts[d->fs[i].severity]++;
	if (f_cb)
		diag_emit_findings(d, f_cb, ctx);
}

void diag_emit_findings(const struct diag *d, diag_finding_fn f_cb, void *ctx)
{
	for (size_t i = 0; i < d->nfs; i++)
		f_cb(ctx, &d->fs[i]);
}

void diag_counts(const struct diag *d, unsigned *errors, unsigned *warnings, unsigned *infos)
{
	*errors = d->counts[SEV_ERROR];
	*warnings = d->counts[SEV_WARNING];
	*infos = d->counts[SEV_INFO];
}

/* ---- snapshot (the curses screen) ------------------------------------------------- */

static void *dup_array(const void *src, size_t n, size_t cap, size_t sz)
{
	if (!cap)
		return NULL;
	void *v = malloc(cap * sz);
	if (v && n)
		memcpy(v, src, n * sz);
	return v;
}

int diag_snapshot(const struct diag *d, const struct flow *const *live, size_t nlive, uint64_t now_us,
		  diag_endpoint_fn ep_cb, diag_finding_fn f_cb, void *ctx)
{
	struct diag c = *d;
	c.eps = dup_array(d->eps, d->neps, d->capeps, sizeof *d->eps);
	c.hidx = dup_array(d->hidx, d->hcap, d->hcap, sizeof *d->hidx);
	c.more = dup_array(d->more, d->nmore, d->capmore, sizeof *d->more);
	c.ifn = dup_array(d->ifn, d->nifn, d->capifn, sizeof *d->ifn);
	c.ifh = dup_array(d->ifh, d->ifhcap, d->ifhcap, sizeof *d->ifh);
	c.fs = dup_array(d->fs, d->nfs, d->capfs, sizeof *d->fs);
	c.regs = dup_array(d->regs, d->nregs, d->capregs, sizeof *d->regs);
	c.tr = dup_array(d->tr, d->ntr, d->captr, sizeof *d->tr);
	c.near = d->near ? dup_array(d->near, DIAG_NEAR_CAP, DIAG_NEAR_CAP, sizeof *d->near) : NULL;
	memset(c.counts, 0, sizeof c.counts);
	int rc = -1;
	if ((!d->capeps || c.eps) && (!d->hcap || c.hidx) && (!d->capmore || c.more) && (!d->capifn || c.ifn) &&
	    (!d->ifhcap || c.ifh) && (!d->capfs || c.fs) && (!d->capregs || c.regs) &&
	    (!d->captr || c.tr) && (!d->near || c.near)) {
		for (size_t i = 0; i < nlive; i++)
			diag_flow(&c, live[i]);
		if (now_us)
			diag_time(&c, now_us);
		diag_finish(&c, ep_cb, f_cb, ctx);
		rc = 0;
	}
	free(c.eps);
	free(c.hidx);
	free(c.more);
	free(c.ifn);
	free(c.ifh);
	free(c.fs);
	free(c.regs);
	free(c.tr);
	free(c.near);
	return rc;
}
