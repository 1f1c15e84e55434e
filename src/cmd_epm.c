/* \summary: `rpcwatch epm TARGET`: list (ept_lookup) or map (ept_map) endpoints at an endpoint mapper
 *
 * Text output is a table like PortQry -e 135 / impacket's rpcdump: one row per
 * endpoint (interface UUID, version, name, protocol, address, port or pipe,
 * annotation) in the server's order, then "N endpoints, M interfaces" (M
 * counts distinct UUID + version pairs).  --json prints one epm_endpoint
 * record per endpoint and a final epm_status record.  A failure is one line
 * on stderr naming the verdict (filtered, closed, unreachable, bind rejected,
 * not registered, fault, timeout, protocol error).
 *
 * Ownership: the entries are copied into a growing array owned by struct
 * epm_cmd and freed before returning.
 */
#include "config.h"
#include "cmd_epm.h"

#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "epmq.h"
#include "json.h"
#include "names.h"
#include "util.h"
#include "uuid.h"

#define CMD "epm"

struct epm_cmd {
	struct epmq_entry *e;
	size_t n, cap;
	int oom;
};

static void collect(void *ctx, const struct epmq_entry *e)
{
	struct epm_cmd *c = ctx;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct epmq_entry *q = realloc(c->e, nc * sizeof *q);
		if (!q) {
			c->oom = 1;
			return;
		}
		c->e = q;
		c->cap = nc;
	}
	c->e[c->n++] = *e;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch epm [OPTIONS] TARGET\n"
		"\n"
		"Ask the DCE/RPC endpoint mapper on TARGET (TCP 135) which endpoints are\n"
		"registered (ept_lookup, every entry), or with --uuid where one interface\n"
		"listens (ept_map).  TARGET is an IPv4 or IPv6 address or a host name.\n"
		"\n"
		"Options:\n"
		"  --uuid UUID[:MAJ.MIN]  ept_map for this interface (version from the\n"
		"                         interface table, else 1.0, when not given)\n"
		"  --udp                  with --uuid: map ncadg_ip_udp instead of ncacn_ip_tcp\n"
		"  -p, --port PORT        endpoint mapper port (default 135)\n"
		"  --timeout MS           connect and per-answer timeout (default 3000)\n"
		"  --max-entries N        stop listing after N entries (default 4096)\n"
		"  --page-size N          entries asked for per ept_lookup call (1-64,\n"
		"                         default 64); the listing pages through entry_handle\n"
		"  --json                 JSON Lines: one epm_endpoint record per endpoint,\n"
		"                         then one epm_status record\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 answered, 1 the endpoint mapper is filtered, closed,\n"
		"unreachable, rejected the bind or the call, or the interface is not\n"
		"registered, 2 bad usage or a runtime error.\n");
}

/* "UUID", "UUID:MAJ" or "UUID:MAJ.MIN" */
static int parse_iface(const char *s, struct rpc_uuid *u, uint16_t *vmaj, uint16_t *vmin, int *has_ver)
{
	char ub[UUID_STRLEN];
	const char *colon = strchr(s, ':');
	size_t ul = colon ? (size_t)(colon - s) : strlen(s);
	if (ul != 36)
		return 0;
	memcpy(ub, s, 36);
	ub[36] = 0;
	if (!uuid_parse(u, ub))
		return 0;
	*has_ver = 0;
	if (!colon)
		return 1;
	char maj[8], min[8] = "0";
	const char *v = colon + 1, *dot = strchr(v, '.');
	size_t ml = dot ? (size_t)(dot - v) : strlen(v);
	if (ml == 0 || ml >= sizeof maj || (dot && (strlen(dot + 1) == 0 || strlen(dot + 1) >= sizeof min)))
		return 0;
	memcpy(maj, v, ml);
	maj[ml] = 0;
	if (dot)
		strcpy(min, dot + 1);
	uint64_t a, b;
	if (!parse_u64(maj, 0, 65535, &a) || !parse_u64(min, 0, 65535, &b))
		return 0;
	*vmaj = (uint16_t)a;
	*vmin = (uint16_t)b;
	*has_ver = 1;
	return 1;
}

/* numeric address, else the first address getaddrinfo gives */
static int resolve(const char *s, struct addr *a, char *err, size_t errlen)
{
	if (addr_parse(a, s))
		return 1;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", s, gai_strerror(rc));
		return 0;
	}
	int ok = 0;
	for (struct addrinfo *p = res; p && !ok; p = p->ai_next) {
		if (p->ai_family == AF_INET) {
			addr_set4(a, (const uint8_t *)&((struct sockaddr_in *)p->ai_addr)->sin_addr);
			ok = 1;
		} else if (p->ai_family == AF_INET6) {
			addr_set6(a, (const uint8_t *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr);
			ok = 1;
		}
	}
	freeaddrinfo(res);
	if (!ok)
		snprintf(err, errlen, "'%s' has no IPv4 or IPv6 address", s);
	return ok;
}

static int port_proto(const struct epmq_entry *e)
{
	return !strcmp(e->protseq, "ncacn_ip_tcp") || !strcmp(e->protseq, "ncadg_ip_udp") ||
	       !strcmp(e->protseq, "ncacn_http");
}

static void cell_addr(const struct epmq_entry *e, char *buf, size_t n)
{
	if (e->has_addr)
		addr_str(&e->addr, buf, n);
	else if (e->host[0])
		snprintf(buf, n, "%s", e->host);
	else
		snprintf(buf, n, "-");
}

static void cell_ep(const struct epmq_entry *e, char *buf, size_t n)
{
	if (port_proto(e) || (!e->endpoint[0] && e->port))
		snprintf(buf, n, "%u", e->port);
	else if (e->endpoint[0])
		snprintf(buf, n, "%s", e->endpoint);
	else
		snprintf(buf, n, "-");
}

static size_t count_ifaces(const struct epm_cmd *c)
{
	size_t m = 0;
	for (size_t i = 0; i < c->n; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (uuid_eq(&c->e[i].iface, &c->e[j].iface) && c->e[i].vmaj == c->e[j].vmaj &&
			    c->e[i].vmin == c->e[j].vmin)
				break;
		m += j == i;
	}
	return m;
}

static void print_table(const struct epm_cmd *c)
{
	int wv = 7, wn = 4, wp = 8, wa = 7, we = 9;
	char b[128];
	for (size_t i = 0; i < c->n; i++) {
		const struct epmq_entry *e = &c->e[i];
		int l = snprintf(b, sizeof b, "%u.%u", e->vmaj, e->vmin);
		wv = l > wv ? l : wv;
		l = (int)strlen(e->iface_name ? e->iface_name : "-");
		wn = l > wn ? l : wn;
		l = (int)strlen(e->protseq);
		wp = l > wp ? l : wp;
		cell_addr(e, b, sizeof b);
		l = (int)strlen(b);
		wa = l > wa ? l : wa;
		cell_ep(e, b, sizeof b);
		l = (int)strlen(b);
		we = l > we ? l : we;
	}
	printf("%-36s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", "UUID", wv, "VERSION", wn, "NAME", wp, "PROTOCOL", wa,
	       "ADDRESS", we, "PORT/PIPE", "ANNOTATION");
	for (size_t i = 0; i < c->n; i++) {
		const struct epmq_entry *e = &c->e[i];
		char u[UUID_STRLEN], v[16], a[128], ep[128];
		uuid_str(&e->iface, u, sizeof u);
		snprintf(v, sizeof v, "%u.%u", e->vmaj, e->vmin);
		cell_addr(e, a, sizeof a);
		cell_ep(e, ep, sizeof ep);
		/* trailing blanks only when an annotation follows */
		if (e->annotation[0])
			printf("%-36s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", u, wv, v, wn,
			       e->iface_name ? e->iface_name : "-", wp, e->protseq, wa, a, we, ep, e->annotation);
		else
			printf("%-36s  %-*s  %-*s  %-*s  %-*s  %s\n", u, wv, v, wn, e->iface_name ? e->iface_name : "-",
			       wp, e->protseq, wa, a, ep);
	}
}

static void json_entry(struct jw *w, const struct epmq_entry *e)
{
	char u[UUID_STRLEN], v[16], a[ADDR_STRLEN];
	jw_begin(w);
	jw_str(w, "type", "epm_endpoint");
	uuid_str(&e->iface, u, sizeof u);
	jw_str(w, "uuid", u);
	snprintf(v, sizeof v, "%u.%u", e->vmaj, e->vmin);
	jw_str(w, "version", v);
	if (e->iface_name)
		jw_str(w, "name", e->iface_name);
	else
		jw_null(w, "name");
	jw_str(w, "protocol", e->protseq);
	if (e->has_addr)
		jw_str(w, "address", addr_str(&e->addr, a, sizeof a));
	else
		jw_null(w, "address");
	if (e->host[0])
		jw_str(w, "host", e->host);
	else
		jw_null(w, "host");
	if (port_proto(e) || e->port)
		jw_u64(w, "port", e->port);
	else
		jw_null(w, "port");
	if (e->endpoint[0])
		jw_str(w, "endpoint", e->endpoint);
	else
		jw_null(w, "endpoint");
	jw_str(w, "annotation", e->annotation);
	if (uuid_is_nil(&e->object))
		jw_null(w, "object");
	else
		jw_str(w, "object", uuid_str(&e->object, u, sizeof u));
	jw_end(w);
}

enum { OPT_UUID = 256, OPT_UDP, OPT_TIMEOUT, OPT_JSON, OPT_MAX_ENTRIES, OPT_PAGE_SIZE };

int cmd_epm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"uuid", required_argument, NULL, OPT_UUID},
		{"udp", no_argument, NULL, OPT_UDP},
		{"port", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},
		{"page-size", required_argument, NULL, OPT_PAGE_SIZE},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct epmq_opts o;
	memset(&o, 0, sizeof o);
	o.port = EPMQ_DEFAULT_PORT;
	o.timeout_ms = EPMQ_DEFAULT_TIMEOUT_MS;
	o.max_entries = EPMQ_DEFAULT_MAX_ENTRIES;
	int json = 0, udp = 0, map = 0, has_ver = 0;
	struct rpc_uuid iface;
	uint16_t vmaj = 1, vmin = 0;
	uint64_t v;

	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_UUID:
			if (!parse_iface(optarg, &iface, &vmaj, &vmin, &has_ver))
				rw_usage_error(CMD, "--uuid wants UUID[:MAJOR.MINOR], e.g. "
						    "4b324fc8-1670-01d3-1278-5a47bf6ee188:3.0, not '%s'", optarg);
			map = 1;
			break;
		case OPT_UDP:
			udp = 1;
			break;
		case 'p':
			if (!parse_u64(optarg, 1, 65535, &v))
				rw_usage_error(CMD, "-p wants a port from 1 to 65535, not '%s'", optarg);
			o.port = (uint16_t)v;
			break;
		case OPT_TIMEOUT:
			if (!parse_u64(optarg, 1, 600000, &v))
				rw_usage_error(CMD, "--timeout wants milliseconds from 1 to 600000, not '%s'", optarg);
			o.timeout_ms = (uint32_t)v;
			break;
		case OPT_MAX_ENTRIES:
			if (!parse_u64(optarg, 1, 1000000, &v))
				rw_usage_error(CMD, "--max-entries wants a number from 1 to 1000000, not '%s'", optarg);
			o.max_entries = (uint32_t)v;
			break;
		case OPT_PAGE_SIZE:
			if (!parse_u64(optarg, 1, 64, &v))
				rw_usage_error(CMD, "--page-size wants a number from 1 to 64, not '%s'", optarg);
			o.page_size = (uint32_t)v;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return RW_EXIT_OK;
		default:
			rw_bad_option(CMD, argv, ch);
		}
	}
	if (optind >= argc)
		rw_usage_error(CMD, "no target given");
	if (argc - optind > 1)
		rw_usage_error(CMD, "one target only ('%s' is extra)", argv[optind + 1]);
	if (udp && !map)
		rw_usage_error(CMD, "--udp needs --uuid (ept_lookup lists every protocol)");
	const char *target = argv[optind];
	char err[256];
	if (!resolve(target, &o.target, err, sizeof err)) {
		rw_err(CMD, "%s", err);
		return RW_EXIT_USAGE;
	}
	if (map && !has_ver) {
		const struct names_iface *ni = names_iface(&iface);
		if (ni) {
			vmaj = ni->ver_major;
			vmin = ni->ver_minor;
		}
	}

	struct epm_cmd c;
	memset(&c, 0, sizeof c);
	struct epmq_result res;
	memset(&res, 0, sizeof res);
	const char *protseq = udp ? "ncadg_ip_udp" : "ncacn_ip_tcp";
	enum epmq_status s = map ? epmq_map(&o, &iface, vmaj, vmin, protseq, collect, &c, &res)
				 : epmq_lookup(&o, collect, &c, &res);
	if (c.oom && s == EPMQ_OK) {
		s = EPMQ_ERROR;
		snprintf(res.detail, sizeof res.detail, "out of memory");
	}

	char at[ADDR_STRLEN], where[ADDR_STRLEN + 300];
	addr_str(&o.target, at, sizeof at);
	if (strcmp(at, target))
		snprintf(where, sizeof where, "%s (%s)", target, at);
	else
		snprintf(where, sizeof where, "%s", at);
	size_t nif = count_ifaces(&c);

	struct jw w;
	jw_init(&w, stdout);
	if (json) {
		for (size_t i = 0; i < c.n; i++)
			json_entry(&w, &c.e[i]);
	} else if (s == EPMQ_OK) {
		print_table(&c);
	}

	/* the verdict: one line */
	char msg[700], us[UUID_STRLEN];
	const char *iname = map ? names_iface_name(&iface) : NULL;
	if (map)
		uuid_str(&iface, us, sizeof us);
	switch (s) {
	case EPMQ_OK:
		snprintf(msg, sizeof msg, "%zu endpoint%s, %zu interface%s", c.n, c.n == 1 ? "" : "s", nif,
			 nif == 1 ? "" : "s");
		break;
	case EPMQ_FILTERED:
		snprintf(msg, sizeof msg, "%u/tcp on %s is filtered (no answer in %u ms)", o.port, where, o.timeout_ms);
		break;
	case EPMQ_CLOSED:
		snprintf(msg, sizeof msg, "%u/tcp on %s is closed (connection refused: TCP reset)", o.port, where);
		break;
	case EPMQ_UNREACHABLE:
		snprintf(msg, sizeof msg, "%u/tcp on %s is unreachable: %s", o.port, where, res.detail);
		break;
	case EPMQ_BIND_REJECTED:
		snprintf(msg, sizeof msg, "the endpoint mapper on %s port %u rejected the bind: %s", where, o.port,
			 res.detail);
		break;
	case EPMQ_NOT_REGISTERED:
		if (map)
			snprintf(msg, sizeof msg,
				 "%s v%u.%u%s%s over %s is not registered with the endpoint mapper on %s port %u "
				 "(ept_s_not_registered)",
				 us, vmaj, vmin, iname ? " " : "", iname ? iname : "", protseq, where, o.port);
		else
			snprintf(msg, sizeof msg, "the endpoint mapper on %s port %u has no entries (%s)", where, o.port,
				 res.detail);
		break;
	case EPMQ_FAULT:
		snprintf(msg, sizeof msg, "the endpoint mapper on %s port %u refused the call: %s", where, o.port,
			 res.detail);
		break;
	case EPMQ_TIMEOUT:
		snprintf(msg, sizeof msg, "%u/tcp on %s: %s", o.port, where, res.detail);
		break;
	case EPMQ_PROTOCOL:
		snprintf(msg, sizeof msg, "%s port %u does not answer like an endpoint mapper: %s", where, o.port,
			 res.detail);
		break;
	case EPMQ_ERROR:
		snprintf(msg, sizeof msg, "%s", res.detail);
		break;
	}
	if (json) {
		jw_begin(&w);
		jw_str(&w, "type", "epm_status");
		jw_str(&w, "target", target);
		jw_str(&w, "address", at);
		jw_u64(&w, "port", o.port);
		jw_str(&w, "query", map ? "ept_map" : "ept_lookup");
		if (map) {
			jw_str(&w, "uuid", us);
			char vb[16];
			snprintf(vb, sizeof vb, "%u.%u", vmaj, vmin);
			jw_str(&w, "version", vb);
			jw_str(&w, "protocol", protseq);
		}
		jw_str(&w, "status", epmq_status_name(s));
		jw_u64(&w, "code", res.code);
		jw_str(&w, "detail", res.detail);
		jw_str(&w, "message", msg);
		jw_u64(&w, "endpoints", c.n);
		jw_u64(&w, "interfaces", nif);
		jw_end(&w);
	} else if (s == EPMQ_OK) {
		printf("%s\n", msg);
	}
	if (s != EPMQ_OK)
		rw_err(CMD, "%s", msg);
	free(c.e);
	fflush(stdout);
	if (s == EPMQ_OK)
		return RW_EXIT_OK;
	return s == EPMQ_ERROR ? RW_EXIT_USAGE : RW_EXIT_FAIL;
}
