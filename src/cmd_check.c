/* \summary: `rpcwatch check`: probe what a service needs through the firewall, give verdicts
 *
 * rpcwatch check [-p PORTS] [--profile NAME|FILE] [--set NAME=VALUE]... [--epm]
 *                [--json] [--junit FILE] [--strict] [-w FILE] [--rate PPS]
 *                [--retries N] [--wait MS] [--connect] [-i IFACE] [-q] TARGET...
 *
 * Assertions come from -p (every port must be open), --epm (ask the endpoint
 * mapper, then every TCP port it hands out must be open) and a profile
 * (profile.h, rpcwatch-profile(5)).  A TARGET is ADDR or ROLE=ADDR (ADDR a
 * numeric address or a host name); plain ADDR has the role "server".  Profile
 * assertions probe the targets of their role; -p and --epm probe every target.
 *
 * Order of work: first every endpoint-mapper query (epm learn / epm expect /
 * --epm), then one probe_run() over all ports of all targets - learned ports
 * included, so they are probed right away along the same path - whose traffic
 * -w keeps as one capture.  Then a verdict per (assertion, port, target):
 *
 *   the probe's state is a set of possible states: open|filtered = {open, filtered};
 *   PASS         every possible state is an expected one;
 *   INCONCLUSIVE some are (UDP open|filtered where open was expected);
 *   FAIL         none is;
 *   ERROR        the probe itself failed (state "error").
 *   For udp-to-client assertions the far end runs `rpcwatch responder`, so
 *   UDP silence means filtered.  --strict turns INCONCLUSIVE into FAIL.
 *
 * Exit: 1 if any FAIL, else 2 if any ERROR (or a runtime error), else 3 if
 * any INCONCLUSIVE, else 0.  Usage errors and bad profiles: 2 before probing.
 */
#include "config.h"
#include "cmd_check.h"

#include <dirent.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "addr.h"
#include "epmq.h"
#include "json.h"
#include "junit.h"
#include "probe.h"
#include "profile.h"
#include "util.h"

#define CMD "check"
#define RW_JSON_SCHEMA 1
#define ROLE_ANY "*"

enum verdict { V_PASS, V_FAIL, V_INCONCLUSIVE, V_ERROR };
static const char *const verdict_word[] = { "PASS", "FAIL", "INCONCLUSIVE", "ERROR" };
static const char *const verdict_json[] = { "pass", "fail", "inconclusive", "error" };

struct target {
	const char *arg;		/* as given */
	char role[PROF_NAME_MAX];
	struct addr addr;
	char addr_str[ADDR_STRLEN];
	uint8_t home_ttl;		/* TTL of the target's own syn-acks (0: none seen) */
};

/* an assertion with the profile it came from */
struct src_assert {
	const struct prof_assert *a;
	const struct profile *p;
	const char *role;		/* a->role, or ROLE_ANY for -p / --epm */
};

/* one endpoint-mapper query: per target and (lookup | map of one interface) */
struct epm_query {
	size_t target;
	int is_map;
	struct rpc_uuid iface;
	uint16_t vmaj, vmin;
	char iface_name[PROF_NAME_MAX];
	enum epmq_status status;
	struct epmq_result res;
	struct epmq_entry *e;
	size_t n, cap;
	double secs;
};

/* one verdict: an assertion's port at one target */
struct item {
	size_t target;
	size_t src;			/* index into ctx.srcs */
	uint8_t proto;
	uint16_t port;
	char label[160];		/* learned-from text for epm items, "" otherwise */
	char epm_addr[ADDR_STRLEN];	/* the tower's host when it is not the target nor 0.0.0.0, else "" */
	size_t probe;			/* index into ctx.ptargets, or SIZE_MAX when nothing was probed */
	size_t query;			/* epm query behind it, or SIZE_MAX */
	enum verdict v;
	const char *state;		/* probe_state_name() or an epm status text */
	char reason[320];
	int strict_fail;		/* was INCONCLUSIVE, --strict made it FAIL */
};

struct ctx {
	struct target *targets;
	size_t n_targets;
	struct profile *profiles;	/* [0] -p, [1] --epm, [2] --profile */
	struct src_assert *srcs;
	size_t n_srcs;
	struct epm_query *queries;
	size_t n_queries;
	struct item *items;
	size_t n_items, cap_items;
	struct probe_target *ptargets;
	struct probe_result *presults;
	size_t n_probes;
	struct probe_opts po;
	uint32_t epm_timeout_ms;
	int json, quiet, strict;
	const char *junit_path, *write_path, *profile_label;
	double probe_secs;
	long long started;
};

static void usage(FILE *out)
{
	char *path = profile_search_path();
	fprintf(out,
		"Usage: rpcwatch check [OPTIONS] TARGET...\n"
		"\n"
		"Probe the ports a service needs and give a verdict per assertion: PASS, FAIL\n"
		"or INCONCLUSIVE, with the reason and who answered.  TARGET is ADDR or\n"
		"ROLE=ADDR (plain ADDR: role \"server\").\n"
		"\n"
		"What to check (at least one):\n"
		"  -p, --ports LIST        ports that must be open: T:135,45001,U:135,1024-1030\n"
		"      --profile NAME|FILE assertions from a profile (rpcwatch-profile(5))\n"
		"      --set NAME=VALUE    override a profile variable (repeatable)\n"
		"      --epm               ask the endpoint mapper (TCP 135), then probe every\n"
		"                          TCP port it hands out\n"
		"      --list-profiles     list the profiles found and exit\n"
		"Output:\n"
		"      --json              JSON Lines: one record per assertion\n"
		"      --junit FILE        JUnit XML: a testsuite per target, a testcase per assertion\n"
		"      --strict            inconclusive results count as failures\n"
		"  -w, --write FILE        keep the probe traffic as a pcap capture (evidence)\n"
		"  -q, --quiet             print only what did not pass, and the summary\n"
		"Probing:\n"
		"      --rate PPS          probes per second (default %u)\n"
		"      --retries N         extra tries for unanswered probes (default %u)\n"
		"      --wait MS           wait for late answers after the last probe (default %u)\n"
		"      --epm-timeout MS    endpoint-mapper connect and call timeout (default %u)\n"
		"      --connect           connect()/socket probes instead of raw packets\n"
		"  -i, --interface IFACE   send and listen on IFACE (default: the route's)\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 all passed, 1 a failure, 2 usage or runtime error,\n"
		"3 only inconclusive results.  Profiles are searched in %s.\n",
		PROBE_DEFAULT_RATE, PROBE_DEFAULT_RETRIES, PROBE_DEFAULT_WAIT_MS, EPMQ_DEFAULT_TIMEOUT_MS, path);
	free(path);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- targets -------------------------------------------------------------------------------------- */

static int resolve(const char *host, struct addr *out)
{
	if (addr_parse(out, host))
		return 0;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		rw_err(CMD, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	int ok = -1;
	for (struct addrinfo *ai = res; ai && ok; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			addr_set4(out, (const uint8_t *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr);
			ok = 0;
		} else if (ai->ai_family == AF_INET6) {
			addr_set6(out, (const uint8_t *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
			ok = 0;
		}
	}
	freeaddrinfo(res);
	if (ok)
		rw_err(CMD, "%s: no IPv4 or IPv6 address", host);
	return ok;
}

/* ADDR, ROLE=ADDR or ROLE,ROLE...=ADDR (one target per role); appends to c->targets */
static void parse_target(struct ctx *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *host = eq ? eq + 1 : arg;
	if (!*host)
		rw_usage_error(CMD, "target '%s': address missing", arg);
	struct addr a;
	if (resolve(host, &a))
		exit(RW_EXIT_USAGE);
	const char *r = eq ? arg : "server";
	size_t rlen = eq ? (size_t)(eq - arg) : strlen(r);
	for (;;) {
		size_t n = strcspn(r, ",=");
		if (n > rlen)
			n = rlen;
		int ok = n > 0 && n < PROF_NAME_MAX;
		for (size_t i = 0; ok && i < n; i++) {
			char ch = r[i];
			ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			     ch == '_' || ch == '-' || ch == '.';
		}
		if (!ok)
			rw_usage_error(CMD, "target '%s': expected ADDR, ROLE=ADDR or ROLE,ROLE=ADDR", arg);
		struct target *nt = realloc(c->targets, (c->n_targets + 1) * sizeof *nt);
		if (!nt) {
			fprintf(stderr, "rpcwatch: out of memory\n");
			abort();
		}
		c->targets = nt;
		struct target *t = &c->targets[c->n_targets++];
		memset(t, 0, sizeof *t);
		t->arg = arg;
		memcpy(t->role, r, n);
		t->addr = a;
		addr_str(&a, t->addr_str, sizeof t->addr_str);
		if (n == rlen)
			break;
		r += n + 1;
		rlen -= n + 1;
	}
}

/* ---- assertions from -p and --epm ------------------------------------------------------------------- */

/* Turn a probe_ports_parse() list into profile text: one expect line per protocol, ranges coalesced. */
static char *ports_to_text(const struct probe_port *pp, size_t n)
{
	size_t cap = 64 + n * 14, o = 0;
	char *s = xcalloc(1, cap);
	for (int pass = 0; pass < 2; pass++) {
		uint8_t proto = pass ? 17 : 6;
		int any = 0;
		for (size_t i = 0; i < n; i++) {
			if (pp[i].proto != proto)
				continue;
			size_t j = i;
			while (j + 1 < n && pp[j + 1].proto == proto && pp[j + 1].port == pp[j].port + 1)
				j++;
			if (!any)
				o += (size_t)snprintf(s + o, cap - o, "expect %s ", pass ? "udp" : "tcp");
			if (j > i)
				o += (size_t)snprintf(s + o, cap - o, "%s%u-%u", any ? "," : "", pp[i].port, pp[j].port);
			else
				o += (size_t)snprintf(s + o, cap - o, "%s%u", any ? "," : "", pp[i].port);
			any = 1;
			i = j;
		}
		if (any)
			o += (size_t)snprintf(s + o, cap - o, " open\n");
	}
	return s;
}

/* ---- endpoint-mapper queries ------------------------------------------------------------------------ */

static void epm_collect(void *vctx, const struct epmq_entry *e)
{
	struct epm_query *q = vctx;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		struct epmq_entry *ne = realloc(q->e, q->cap * sizeof *ne);
		if (!ne) {
			fprintf(stderr, "rpcwatch: out of memory\n");
			abort();
		}
		q->e = ne;
	}
	q->e[q->n] = *e;
	q->e[q->n].iface_name = e->iface_name;	/* static, from names.h */
	q->n++;
}

static size_t epm_query_get(struct ctx *c, size_t t, const struct prof_assert *a)
{
	int is_map = a->kind == PK_EPM_EXPECT;
	for (size_t i = 0; i < c->n_queries; i++) {
		struct epm_query *q = &c->queries[i];
		if (q->target == t && q->is_map == is_map && (!is_map || uuid_eq(&q->iface, &a->iface)))
			return i;
	}
	struct epm_query *nq = realloc(c->queries, (c->n_queries + 1) * sizeof *nq);
	if (!nq) {
		fprintf(stderr, "rpcwatch: out of memory\n");
		abort();
	}
	c->queries = nq;
	struct epm_query *q = &c->queries[c->n_queries];
	memset(q, 0, sizeof *q);
	q->target = t;
	q->is_map = is_map;
	if (is_map) {
		q->iface = a->iface;
		q->vmaj = a->vmaj;
		q->vmin = a->vmin;
		snprintf(q->iface_name, sizeof q->iface_name, "%s", a->iface_name);
	}
	struct epmq_opts eo = { .target = c->targets[t].addr, .port = EPMQ_DEFAULT_PORT,
				.timeout_ms = c->epm_timeout_ms, .max_entries = EPMQ_DEFAULT_MAX_ENTRIES };
	double t0 = now_s();
	if (is_map)
		q->status = epmq_map(&eo, &q->iface, q->vmaj, q->vmin, "ncacn_ip_tcp", epm_collect, q, &q->res);
	else
		q->status = epmq_lookup(&eo, epm_collect, q, &q->res);
	q->secs = now_s() - t0;
	return c->n_queries++;
}

/* ---- items ------------------------------------------------------------------------------------------- */

static struct item *new_item(struct ctx *c, size_t t, size_t src, uint8_t proto, uint16_t port)
{
	if (c->n_items == c->cap_items) {
		c->cap_items = c->cap_items ? c->cap_items * 2 : 64;
		struct item *ni = realloc(c->items, c->cap_items * sizeof *ni);
		if (!ni) {
			fprintf(stderr, "rpcwatch: out of memory\n");
			abort();
		}
		c->items = ni;
	}
	struct item *it = &c->items[c->n_items++];
	memset(it, 0, sizeof *it);
	it->target = t;
	it->src = src;
	it->proto = proto;
	it->port = port;
	it->probe = SIZE_MAX;
	it->query = SIZE_MAX;
	return it;
}

static int role_match(const struct src_assert *s, const struct target *t)
{
	return !strcmp(s->role, ROLE_ANY) || !strcmp(s->role, t->role);
}

/* Items of one epm assertion at one target. */
static void epm_items(struct ctx *c, size_t t, size_t si)
{
	const struct prof_assert *a = c->srcs[si].a;
	size_t qi = epm_query_get(c, t, a);
	struct epm_query *q = &c->queries[qi];
	/* not-registered: an empty map (epm expect: the interface is missing; epm learn: nothing listed) */
	if (q->status != EPMQ_OK && q->status != EPMQ_NOT_REGISTERED) {
		struct item *it = new_item(c, t, si, 6, EPMQ_DEFAULT_PORT);
		it->query = qi;
		it->state = epmq_status_name(q->status);
		it->v = q->status == EPMQ_ERROR ? V_ERROR : V_FAIL;
		snprintf(it->label, sizeof it->label, "%s", a->kind == PK_EPM_EXPECT ? a->iface_name : "ept_lookup");
		snprintf(it->reason, sizeof it->reason, "endpoint mapper query failed: %s%s%s",
			 epmq_status_name(q->status), q->res.detail[0] ? ": " : "", q->res.detail);
		return;
	}
	/* distinct TCP ports, with the interfaces behind each */
	size_t before = c->n_items;
	for (size_t i = 0; i < q->n; i++) {
		const struct epmq_entry *e = &q->e[i];
		if (strcmp(e->protseq, "ncacn_ip_tcp") || e->port == 0)
			continue;
		if (a->kind == PK_EPM_EXPECT && !uuid_eq(&e->iface, &a->iface))
			continue;
		char nm[UUID_STRLEN];
		const char *name = e->iface_name ? e->iface_name : uuid_str(&e->iface, nm, sizeof nm);
		struct item *it = NULL;
		for (size_t k = before; k < c->n_items; k++)
			if (c->items[k].port == e->port)
				it = &c->items[k];
		if (!it) {
			it = new_item(c, t, si, 6, e->port);
			it->query = qi;
			snprintf(it->label, sizeof it->label, "%s", name);
			/* a tower naming another host (NAT, a multi-homed server): the port is still
			 * probed on the target, the path the client takes; say what was named */
			static const uint8_t any4[4];
			if (e->has_addr && !addr_eq(&e->addr, &c->targets[t].addr) &&
			    !(e->addr.family == 4 && !memcmp(e->addr.a, any4, 4)))
				addr_str(&e->addr, it->epm_addr, sizeof it->epm_addr);
		} else if (!strstr(it->label, name)) {
			size_t l = strlen(it->label);
			if (l + strlen(name) + 8 < sizeof it->label)
				snprintf(it->label + l, sizeof it->label - l, ", %s", name);
			else if (!strstr(it->label, ", ..."))
				snprintf(it->label + l, sizeof it->label - l, ", ...");
		}
	}
	if (c->n_items == before) {
		struct item *it = new_item(c, t, si, 6, EPMQ_DEFAULT_PORT);
		it->query = qi;
		if (a->kind == PK_EPM_EXPECT) {
			it->state = "not-registered";
			it->v = V_FAIL;
			snprintf(it->label, sizeof it->label, "%s", a->iface_name);
			snprintf(it->reason, sizeof it->reason,
				 "the endpoint mapper has no ncacn_ip_tcp endpoint for %s v%u.%u%s%s", a->iface_name,
				 a->vmaj, a->vmin, q->res.detail[0] ? ": " : "", q->res.detail);
		} else {
			it->state = "empty";
			it->v = V_INCONCLUSIVE;
			snprintf(it->label, sizeof it->label, "ept_lookup");
			snprintf(it->reason, sizeof it->reason,
				 "the endpoint mapper listed %zu entries, none of them ncacn_ip_tcp with a port", q->n);
		}
	}
}

/* ---- probing and verdicts ---------------------------------------------------------------------------- */

struct pkey {
	struct probe_target t;
	size_t item;
};

static int pkey_cmp(const void *x, const void *y)
{
	const struct pkey *a = x, *b = y;
	int r = addr_cmp(&a->t.dst, &b->t.dst);
	if (r)
		return r;
	if (a->t.proto != b->t.proto)
		return a->t.proto < b->t.proto ? -1 : 1;
	if (a->t.port != b->t.port)
		return a->t.port < b->t.port ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

static int run_probes(struct ctx *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_items; i++)
		if (!c->items[i].state)
			n++;
	if (n == 0)
		return 0;
	struct pkey *k = xcalloc(n, sizeof *k);
	size_t m = 0;
	for (size_t i = 0; i < c->n_items; i++) {
		if (c->items[i].state)
			continue;
		k[m].t.dst = c->targets[c->items[i].target].addr;
		k[m].t.proto = c->items[i].proto;
		k[m].t.port = c->items[i].port;
		k[m].item = i;
		m++;
	}
	qsort(k, n, sizeof *k, pkey_cmp);
	c->ptargets = xcalloc(n, sizeof *c->ptargets);
	c->presults = xcalloc(n, sizeof *c->presults);
	for (size_t i = 0; i < n; i++) {
		if (c->n_probes == 0 || memcmp(&c->ptargets[c->n_probes - 1], &k[i].t, sizeof k[i].t) != 0)
			c->ptargets[c->n_probes++] = k[i].t;
		c->items[k[i].item].probe = c->n_probes - 1;
	}
	free(k);
	char err[256] = "";
	double t0 = now_s();
	int rc = probe_run(&c->po, c->ptargets, c->n_probes, c->presults, err, sizeof err);
	c->probe_secs = now_s() - t0;
	if (rc != 0) {
		/* every probed check becomes an error (exit 2), still reported in every format */
		rw_err(CMD, "probing failed: %s", err[0] ? err : "unknown error");
		for (size_t i = 0; i < c->n_items; i++) {
			struct item *it = &c->items[i];
			if (it->state)
				continue;
			it->probe = SIZE_MAX;
			it->state = "error";
			it->v = V_ERROR;
			snprintf(it->reason, sizeof it->reason, "probing failed: %s", err[0] ? err : "unknown error");
		}
		c->n_probes = 0;
		return -1;
	}
	return 0;
}

/* The TTL the target's own syn-acks arrive with (the most frequent), so that a
 * reset or port-unreachable "from the target" with another TTL can be called out
 * as sent by a device on the path in its name. */
static void home_ttls(struct ctx *c)
{
	for (size_t t = 0; t < c->n_targets; t++) {
		unsigned cnt[256] = { 0 }, best = 0;
		for (size_t i = 0; i < c->n_probes; i++) {
			const struct probe_result *r = &c->presults[i];
			if (r->state == PS_OPEN && r->t.proto == 6 && r->has_by && r->ttl &&
			    addr_eq(&r->by, &c->targets[t].addr) && addr_eq(&r->t.dst, &c->targets[t].addr))
				cnt[r->ttl]++;
		}
		for (unsigned v = 1; v < 256; v++)
			if (cnt[v] > best)
				best = cnt[v], c->targets[t].home_ttl = (uint8_t)v;
	}
}

static uint32_t state_mask(enum probe_state s)
{
	switch (s) {
	case PS_OPEN: return PST_OPEN;
	case PS_CLOSED: return PST_CLOSED;
	case PS_FILTERED: return PST_FILTERED;
	case PS_OPEN_FILTERED: return PST_OPEN | PST_FILTERED;
	case PS_UNREACHABLE: return PST_UNREACHABLE;
	default: return 0;
	}
}

static void judge(struct ctx *c, struct item *it)
{
	const struct prof_assert *a = c->srcs[it->src].a;
	if (it->probe == SIZE_MAX)
		goto strict;
	const struct probe_result *r = &c->presults[it->probe];
	enum probe_state s = r->state;
	it->state = probe_state_name(s);
	snprintf(it->reason, sizeof it->reason, "%s", r->reason[0] ? r->reason : "-");
	if (a->to_client && s == PS_OPEN_FILTERED) {
		/* the client runs `rpcwatch responder`: no echo means the datagrams do not arrive */
		s = PS_FILTERED;
		it->state = probe_state_name(s);
		snprintf(it->reason, sizeof it->reason, "%s, no responder echo",
			 r->reason[0] ? r->reason : "no-response");
	}
	uint32_t got = state_mask(s);
	if (s == PS_ERROR || got == 0) {
		it->v = V_ERROR;
	} else {
		enum prof_verdict pv = profile_judge(a->expect, got);
		it->v = pv == PV_PASS ? V_PASS : pv == PV_INCONCLUSIVE ? V_INCONCLUSIVE : V_FAIL;
	}
strict:
	if (it->v == V_INCONCLUSIVE && c->strict) {
		it->v = V_FAIL;
		it->strict_fail = 1;
	}
}

/* ---- output ------------------------------------------------------------------------------------------- */

static const char *proto_name(uint8_t p)
{
	return p == 17 ? "udp" : "tcp";
}

/* "tcp/45001" or "tcp/49157 (EMSMDB via epm)" */
static void item_what(const struct ctx *c, const struct item *it, char *buf, size_t n)
{
	const struct prof_assert *a = c->srcs[it->src].a;
	if (it->probe == SIZE_MAX && a->kind != PK_EXPECT)
		snprintf(buf, n, "epm %s", it->label);
	else if (it->label[0])
		snprintf(buf, n, "%s/%u (%s via epm)", proto_name(it->proto), it->port, it->label);
	else
		snprintf(buf, n, "%s/%u%s", proto_name(it->proto), it->port, a->to_client ? " to client" : "");
}

/* "syn-ack, ttl 63, 0.4 ms" / "admin-prohibited) blocked by 198.18.1.1 (ttl 64" pieces */
static void item_detail(const struct ctx *c, const struct item *it, char *buf, size_t n)
{
	const struct target *t = &c->targets[it->target];
	if (it->probe == SIZE_MAX) {
		snprintf(buf, n, "%s", it->reason);
		return;
	}
	const struct probe_result *r = &c->presults[it->probe];
	size_t o = (size_t)snprintf(buf, n, "%s", it->reason);
	int router = r->has_by && !addr_eq(&r->by, &t->addr);
	if (!router && r->ttl && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", ttl %u", r->ttl);
	if (r->rtt_us && r->rtt_us < 1000 && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", %u us", (unsigned)r->rtt_us);
	else if (r->rtt_us && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", %.1f ms", r->rtt_us / 1000.0);
	if (!r->rtt_us && r->tries > 1 && o < n)
		o += (size_t)snprintf(buf + o, n - o, " after %u tries", r->tries);
	if (!router && r->has_by && r->ttl && t->home_ttl && r->ttl != t->home_ttl && r->state != PS_OPEN && o < n)
		o += (size_t)snprintf(buf + o, n - o, "; the target's own answers arrive with ttl %u: sent by a device "
				      "on the path in its name", t->home_ttl);
	if (router && o < n) {
		char b[ADDR_STRLEN];
		addr_str(&r->by, b, sizeof b);
		o += (size_t)snprintf(buf + o, n - o, "; %s by %s (ttl %u)", it->v == V_PASS ? "answered" : "blocked",
				      b, r->ttl);
	}
	if (it->epm_addr[0] && o < n)
		o += (size_t)snprintf(buf + o, n - o, "; the endpoint mapper named %s", it->epm_addr);
	if (it->strict_fail && o < n)
		snprintf(buf + o, n - o, "; inconclusive, a failure with --strict");
}

static const char *expected_text(const struct ctx *c, const struct item *it)
{
	return c->srcs[it->src].a->expect_text;
}

static void print_text(struct ctx *c)
{
	for (size_t t = 0; t < c->n_targets; t++) {
		const struct target *tg = &c->targets[t];
		size_t cnt[4] = { 0 };
		if (!c->quiet)
			printf("%s (%s):\n", tg->addr_str, tg->role);
		for (size_t i = 0; i < c->n_items; i++) {
			const struct item *it = &c->items[i];
			if (it->target != t)
				continue;
			cnt[it->v]++;
			if (c->quiet && it->v == V_PASS)
				continue;
			char what[200], det[400];
			item_what(c, it, what, sizeof what);
			item_detail(c, it, det, sizeof det);
			printf("  %-12s %-24s expected %s, got %s (%s)\n", verdict_word[it->v], what, expected_text(c, it),
			       it->state, det);
			const struct prof_assert *a = c->srcs[it->src].a;
			if (it->v != V_PASS) {
				const struct profile *p = c->srcs[it->src].p;
				if (a->line)
					printf("               from %s:%u: %s\n", p->file, a->line, a->text);
				if (a->hint) {
					const char *h = a->hint;
					while (*h) {
						size_t l = strcspn(h, "\n");
						printf("               hint: %.*s\n", (int)l, h);
						h += l + (h[l] == '\n');
					}
				}
				if (it->v == V_INCONCLUSIVE && it->proto == 17 && !a->to_client)
					printf("               (UDP silence is open|filtered; run 'rpcwatch responder' on "
					       "the target and use udp-to-client for a definite answer)\n");
			}
		}
		printf("summary: %s: %zu checks, %zu passed, %zu failed, %zu inconclusive%s\n", tg->addr_str,
		       cnt[0] + cnt[1] + cnt[2] + cnt[3], cnt[V_PASS], cnt[V_FAIL], cnt[V_INCONCLUSIVE],
		       cnt[V_ERROR] ? ", some with errors" : "");
	}
	if (c->write_path && c->n_probes)
		printf("probe traffic: %s\n", c->write_path);
}

static void json_item(struct ctx *c, struct jw *w, const struct item *it, const char *ts)
{
	const struct target *t = &c->targets[it->target];
	const struct src_assert *s = &c->srcs[it->src];
	const struct prof_assert *a = s->a;
	char b[ADDR_STRLEN];
	jw_begin(w);
	jw_str(w, "type", "check");
	jw_str(w, "ts", ts);
	jw_str(w, "target", t->addr_str);
	jw_str(w, "target_arg", t->arg);
	jw_str(w, "role", t->role);
	jw_str(w, "profile", s->p->name);
	if (a->line) {
		jw_str(w, "file", s->p->file);
		jw_u64(w, "line", a->line);
	}
	jw_str(w, "assertion", a->text);
	jw_str(w, "kind", a->kind == PK_EXPECT ? (a->to_client ? "udp-to-client" : "expect")
					       : a->kind == PK_EPM_LEARN ? "epm-learn" : "epm-expect");
	jw_str(w, "proto", proto_name(it->proto));
	jw_u64(w, "port", it->port);
	if (it->label[0])
		jw_str(w, "learned_from", it->label);
	if (it->epm_addr[0])
		jw_str(w, "epm_addr", it->epm_addr);
	jw_str(w, "expected", a->expect_text);
	jw_str(w, "state", it->state);
	jw_str(w, "verdict", verdict_json[it->v]);
	if (it->strict_fail)
		jw_bool(w, "strict", 1);
	jw_str(w, "reason", it->reason);
	if (it->probe != SIZE_MAX) {
		const struct probe_result *r = &c->presults[it->probe];
		if (r->has_by)
			jw_str(w, "by", addr_str(&r->by, b, sizeof b));
		else
			jw_null(w, "by");
		jw_bool(w, "by_target", r->has_by && addr_eq(&r->by, &t->addr));
		jw_u64(w, "ttl", r->ttl);
		/* an answer "from the target" with another TTL than its own syn-acks */
		if (r->has_by && addr_eq(&r->by, &t->addr) && t->home_ttl && r->ttl && r->ttl != t->home_ttl &&
		    r->state != PS_OPEN)
			jw_u64(w, "target_ttl", t->home_ttl);
		jw_u64(w, "tries", r->tries);
		if (r->rtt_us)
			jw_double(w, "rtt", r->rtt_us / 1e6, 6);
		else
			jw_null(w, "rtt");
		if (c->write_path && r->frame) {
			jw_str(w, "capture", c->write_path);
			jw_u64(w, "frame", r->frame);
		} else {
			jw_null(w, "frame");
		}
	}
	if (it->query != SIZE_MAX) {
		const struct epm_query *q = &c->queries[it->query];
		jw_obj(w, "epm");
		jw_str(w, "op", q->is_map ? "ept_map" : "ept_lookup");
		if (q->is_map)
			jw_str(w, "interface", q->iface_name);
		jw_str(w, "status", epmq_status_name(q->status));
		jw_str(w, "detail", q->res.detail);
		jw_u64(w, "entries", q->n);
		jw_close(w);
	}
	if (a->hint)
		jw_str(w, "hint", a->hint);
	jw_end(w);
}

static void print_json(struct ctx *c, const size_t tot[4], int rc)
{
	struct jw w;
	char ts[RFC3339_LEN];
	struct timeval tv;
	gettimeofday(&tv, NULL);
	fmt_rfc3339((uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec, ts, sizeof ts);
	jw_init(&w, stdout);
	jw_begin(&w);
	jw_str(&w, "type", "rpcwatch");
	jw_str(&w, "ts", ts);
	jw_u64(&w, "schema", RW_JSON_SCHEMA);
	jw_str(&w, "version", PACKAGE_VERSION);
	jw_str(&w, "command", "check");
	jw_end(&w);
	for (size_t i = 0; i < c->n_items; i++)
		json_item(c, &w, &c->items[i], ts);
	jw_begin(&w);
	jw_str(&w, "type", "check_summary");
	jw_str(&w, "ts", ts);
	jw_u64(&w, "targets", c->n_targets);
	jw_u64(&w, "checks", c->n_items);
	jw_u64(&w, "passed", tot[V_PASS]);
	jw_u64(&w, "failed", tot[V_FAIL]);
	jw_u64(&w, "inconclusive", tot[V_INCONCLUSIVE]);
	jw_u64(&w, "errors", tot[V_ERROR]);
	jw_u64(&w, "probes", c->n_probes);
	jw_double(&w, "probe_time", c->probe_secs, 3);
	if (c->write_path && c->n_probes)
		jw_str(&w, "capture", c->write_path);
	jw_u64(&w, "exit", (uint64_t)rc);
	jw_end(&w);
	fflush(stdout);
}

static int write_junit(struct ctx *c, const size_t tot[4])
{
	FILE *f = fopen(c->junit_path, "w");
	if (!f) {
		rw_err(CMD, "--junit %s: cannot create: %m", c->junit_path);
		return -1;
	}
	struct junit j;
	struct junit_counts all = { .tests = c->n_items, .failures = tot[V_FAIL], .errors = tot[V_ERROR],
				    .skipped = tot[V_INCONCLUSIVE], .time_s = c->probe_secs };
	junit_begin(&j, f, "rpcwatch check", &all);
	for (size_t t = 0; t < c->n_targets; t++) {
		const struct target *tg = &c->targets[t];
		struct junit_counts sc = { 0 };
		for (size_t i = 0; i < c->n_items; i++) {
			if (c->items[i].target != t)
				continue;
			sc.tests++;
			sc.failures += c->items[i].v == V_FAIL;
			sc.errors += c->items[i].v == V_ERROR;
			sc.skipped += c->items[i].v == V_INCONCLUSIVE;
		}
		sc.time_s = c->probe_secs;
		char sname[512];
		snprintf(sname, sizeof sname, "%s %s (%s)", c->profile_label, tg->addr_str, tg->role);
		struct junit_prop props[] = { { "target", tg->arg }, { "address", tg->addr_str }, { "role", tg->role },
					      { "profile", c->profile_label },
					      { "capture", c->write_path ? c->write_path : "" } };
		junit_suite_begin(&j, sname, &sc, c->started, tg->addr_str, props,
				  sizeof props / sizeof props[0] - (c->write_path ? 0 : 1));
		for (size_t i = 0; i < c->n_items; i++) {
			const struct item *it = &c->items[i];
			if (it->target != t)
				continue;
			const struct src_assert *s = &c->srcs[it->src];
			char what[200], det[400], name[300], cls[200], msg[900];
			char *body = NULL;
			item_what(c, it, what, sizeof what);
			item_detail(c, it, det, sizeof det);
			snprintf(name, sizeof name, "%s expect %s", what, s->a->expect_text);
			snprintf(cls, sizeof cls, "rpcwatch.check.%s.%s", s->p->name, tg->role);
			snprintf(msg, sizeof msg, "%s %s: expected %s, got %s (%s)", verdict_word[it->v], what,
				 s->a->expect_text, it->state, det);
			struct junit_case tc = { .name = name, .classname = cls, .status = JU_PASS };
			if (it->probe != SIZE_MAX)
				tc.time_s = c->presults[it->probe].rtt_us / 1e6;
			if (it->v != V_PASS) {
				size_t bl = strlen(msg) + strlen(s->a->text) + (s->a->hint ? strlen(s->a->hint) : 0) +
					    strlen(s->p->file) + 128;
				body = xcalloc(1, bl);
				size_t o = (size_t)snprintf(body, bl, "%s\n", msg);
				if (s->a->line)
					o += (size_t)snprintf(body + o, bl - o, "from %s:%u: %s\n", s->p->file, s->a->line,
							      s->a->text);
				if (s->a->hint)
					snprintf(body + o, bl - o, "hint: %s\n", s->a->hint);
				tc.status = it->v == V_FAIL ? JU_FAIL : it->v == V_ERROR ? JU_ERROR : JU_SKIP;
				tc.message = msg;
				tc.type = it->state;
				tc.text = body;
			}
			junit_case(&j, &tc);
			free(body);
		}
		junit_suite_end(&j);
	}
	int rc = junit_end(&j);
	if (fclose(f) != 0 || rc != 0) {
		rw_err(CMD, "--junit %s: write error", c->junit_path);
		return -1;
	}
	return 0;
}

/* ---- profiles listing ---------------------------------------------------------------------------------- */

static int list_profiles(void)
{
	char *path = profile_search_path();
	for (char *dir = path, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		DIR *d = *dir ? opendir(dir) : NULL;
		if (!d)
			continue;
		struct dirent *de;
		char **names = NULL;
		size_t n = 0;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l <= 8 || strcmp(de->d_name + l - 8, ".profile"))
				continue;
			char **nn = realloc(names, (n + 1) * sizeof *nn);
			if (!nn)
				break;
			names = nn;
			names[n] = xcalloc(1, strlen(dir) + l + 2);
			sprintf(names[n], "%s/%s", dir, de->d_name);
			n++;
		}
		closedir(d);
		qsort(names, n, sizeof *names, (int (*)(const void *, const void *))strcmp);
		for (size_t i = 0; i < n; i++) {
			struct profile p;
			char err[512];
			if (profile_load(names[i], NULL, 0, &p, err, sizeof err) == 0) {
				printf("%-36s %s\n", p.name, p.description ? p.description : "");
				profile_free(&p);
			} else {
				printf("%-36s (bad profile: %s)\n", names[i], err);
			}
			free(names[i]);
		}
		free(names);
	}
	free(path);
	return 0;
}

/* ---- main ------------------------------------------------------------------------------------------------ */

static uint32_t opt_u32(const char *opt, const char *v, uint64_t min, uint64_t max)
{
	uint64_t x;
	if (!parse_u64(v, min, max, &x))
		rw_usage_error(CMD, "%s '%s': expected a number %llu..%llu", opt, v, (unsigned long long)min,
			       (unsigned long long)max);
	return (uint32_t)x;
}

enum { O_PROFILE = 256, O_SET, O_EPM, O_JSON, O_JUNIT, O_STRICT, O_RATE, O_RETRIES, O_WAIT, O_CONNECT,
       O_LIST, O_EPM_TIMEOUT };

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "set", required_argument, NULL, O_SET },
		{ "epm", no_argument, NULL, O_EPM },
		{ "json", no_argument, NULL, O_JSON },
		{ "junit", required_argument, NULL, O_JUNIT },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "write", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, O_RATE },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "epm-timeout", required_argument, NULL, O_EPM_TIMEOUT },
		{ "connect", no_argument, NULL, O_CONNECT },
		{ "interface", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list-profiles", no_argument, NULL, O_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { 0 };
	int rc = RW_EXIT_OK;
	probe_opts_init(&c.po);
	c.epm_timeout_ms = EPMQ_DEFAULT_TIMEOUT_MS;
	const char *ports = NULL, *profile_arg = NULL;
	int epm = 0;
	struct prof_set *sets = xcalloc((size_t)argc + 1, sizeof *sets);
	size_t n_sets = 0;
	char err[1024];
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:w:i:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (ports)
				rw_usage_error(CMD, "-p given twice; list every port in one -p (T:135,U:135)");
			ports = optarg;
			break;
		case O_PROFILE:
			if (profile_arg)
				rw_usage_error(CMD, "--profile given twice (one profile per run)");
			profile_arg = optarg;
			break;
		case O_SET:
			if (profile_parse_set(optarg, &sets[n_sets], err, sizeof err))
				rw_usage_error(CMD, "%s", err);
			n_sets++;
			break;
		case O_EPM: epm = 1; break;
		case O_JSON: c.json = 1; break;
		case O_JUNIT: c.junit_path = optarg; break;
		case O_STRICT: c.strict = 1; break;
		case 'w': c.write_path = optarg; c.po.write_path = optarg; break;
		case O_RATE: c.po.rate_pps = opt_u32("--rate", optarg, 1, 10000000); break;
		case O_RETRIES: c.po.retries = opt_u32("--retries", optarg, 0, 20); break;
		case O_WAIT: c.po.wait_ms = opt_u32("--wait", optarg, 1, 600000); break;
		case O_EPM_TIMEOUT: c.epm_timeout_ms = opt_u32("--epm-timeout", optarg, 1, 600000); break;
		case O_CONNECT: c.po.force_connect = 1; break;
		case 'i': c.po.iface = optarg; break;
		case 'q': c.quiet = 1; break;
		case O_LIST: free(sets); return list_profiles();
		case 'h': usage(stdout); free(sets); return RW_EXIT_OK;
		default: rw_bad_option(CMD, argv, opt);
		}
	}
	c.po.quiet = c.quiet || c.json;
	if (!ports && !profile_arg && !epm)
		rw_usage_error(CMD, "nothing to check: give -p PORTS, --profile NAME or --epm");
	if (n_sets && !profile_arg)
		rw_usage_error(CMD, "--set needs --profile");
	if (optind >= argc)
		rw_usage_error(CMD, "no target given");

	/* assertion sources: [0] -p, [1] --epm, [2] the profile */
	c.profiles = xcalloc(3, sizeof *c.profiles);
	if (ports) {
		struct probe_port *pp = NULL;
		size_t np = 0;
		if (probe_ports_parse(ports, &pp, &np, err, sizeof err))
			rw_usage_error(CMD, "-p %s: %s", ports, err);
		for (size_t i = 0; i < np; i++)
			if (pp[i].port == 0)
				rw_usage_error(CMD, "-p %s: port 0 cannot be checked (ports are 1-65535)", ports);
		char *text = ports_to_text(pp, np);
		free(pp);
		if (profile_parse("-p", text, strlen(text), NULL, 0, &c.profiles[0], err, sizeof err))
			rw_usage_error(CMD, "-p %s: %s", ports, err);
		for (size_t i = 0; i < c.profiles[0].n; i++)
			c.profiles[0].a[i].line = 0;	/* not from a file: no "from FILE:LINE" */
		free(c.profiles[0].name);
		c.profiles[0].name = strdup("ports");
		free(text);
	}
	if (epm) {
		static const char t[] = "epm learn\n";
		if (profile_parse("--epm", t, sizeof t - 1, NULL, 0, &c.profiles[1], err, sizeof err))
			rw_usage_error(CMD, "%s", err);
		c.profiles[1].a[0].line = 0;
		free(c.profiles[1].name);
		c.profiles[1].name = strdup("epm");
	}
	if (profile_arg) {
		char *path = profile_find(profile_arg, err, sizeof err);
		int bad = !path || profile_load(path, sets, n_sets, &c.profiles[2], err, sizeof err) != 0;
		free(path);
		if (bad) {
			rw_err(CMD, "%s", err);
			free(sets);
			rc = RW_EXIT_USAGE;
			goto out;
		}
	}
	free(sets);
	c.profile_label = profile_arg ? c.profiles[2].name : ports ? "ports" : "epm";
	for (int k = 0; k < 3; k++)
		c.n_srcs += c.profiles[k].n;
	c.srcs = xcalloc(c.n_srcs, sizeof *c.srcs);
	size_t si = 0;
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < c.profiles[k].n; i++) {
			c.srcs[si].a = &c.profiles[k].a[i];
			c.srcs[si].p = &c.profiles[k];
			c.srcs[si].role = k < 2 ? ROLE_ANY : c.profiles[k].a[i].role;
			si++;
		}

	for (int i = optind; i < argc; i++)
		parse_target(&c, argv[i]);
	for (size_t t = 0; t < c.n_targets; t++) {
		int any = 0;
		for (size_t s = 0; s < c.n_srcs && !any; s++)
			any = role_match(&c.srcs[s], &c.targets[t]);
		if (!any)
			rw_usage_error(CMD, "target '%s': profile %s has no assertion for role '%s'", c.targets[t].arg,
				       c.profile_label, c.targets[t].role);
	}
	/* roles of the profile no target stands for: say so (those assertions are not run) */
	if (profile_arg && !c.json) {
		const struct profile *p = &c.profiles[2];
		for (size_t i = 0; i < p->n; i++) {
			int seen = 0, covered = 0;
			for (size_t k = 0; k < i; k++)
				seen |= !strcmp(p->a[k].role, p->a[i].role);
			for (size_t t = 0; t < c.n_targets; t++)
				covered |= !strcmp(c.targets[t].role, p->a[i].role);
			if (!seen && !covered && !c.quiet)
				fprintf(stderr, "rpcwatch check: note: the %s assertions of %s are not run: no %s=ADDR target\n",
					p->a[i].role, p->name, p->a[i].role);
		}
	}
	c.started = (long long)time(NULL);

	/* 1: endpoint mapper, 2: items, 3: one probe run */
	for (size_t t = 0; t < c.n_targets; t++)
		for (size_t s = 0; s < c.n_srcs; s++) {
			const struct src_assert *sa = &c.srcs[s];
			if (!role_match(sa, &c.targets[t]))
				continue;
			if (sa->a->kind != PK_EXPECT) {
				epm_items(&c, t, s);
				continue;
			}
			for (size_t r = 0; r < sa->a->n_ranges; r++)
				for (uint32_t port = sa->a->ranges[r].lo; port <= sa->a->ranges[r].hi; port++)
					new_item(&c, t, s, sa->a->proto, (uint16_t)port);
		}
	run_probes(&c);
	home_ttls(&c);
	size_t tot[4] = { 0 };
	for (size_t i = 0; i < c.n_items; i++) {
		judge(&c, &c.items[i]);
		tot[c.items[i].v]++;
	}
	rc = tot[V_FAIL] ? RW_EXIT_FAIL : tot[V_ERROR] ? RW_EXIT_USAGE : tot[V_INCONCLUSIVE] ? RW_EXIT_INCONCLUSIVE
											: RW_EXIT_OK;
	if (c.junit_path && write_junit(&c, tot))
		rc = RW_EXIT_USAGE;
	if (c.json) {
		print_json(&c, tot, rc);
	} else {
		print_text(&c);
		printf("rpcwatch check: %s: %zu passed, %zu failed, %zu inconclusive, %zu errors\n",
		       rc == RW_EXIT_OK ? "PASS" : rc == RW_EXIT_FAIL ? "FAIL" : rc == RW_EXIT_INCONCLUSIVE ? "INCONCLUSIVE"
													: "ERROR",
		       tot[V_PASS], tot[V_FAIL], tot[V_INCONCLUSIVE], tot[V_ERROR]);
	}
out:
	for (size_t i = 0; i < c.n_queries; i++)
		free(c.queries[i].e);
	free(c.queries);
	free(c.items);
	free(c.ptargets);
	free(c.presults);
	free(c.srcs);
	free(c.targets);
	for (int k = 0; k < 3; k++)
		profile_free(&c.profiles[k]);
	free(c.profiles);
	return rc;
}
