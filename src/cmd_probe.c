/* \summary: `rpcwatch probe-run`: the probe engine on the command line (low-level)
 *
 * rpcwatch probe-run TARGET... -p PORTS [--json] [--connect] [--rate N]
 *                    [--retries N] [--wait MS] [-i IFACE] [-w FILE]
 *                    [--expect-responder] [--responder-from PORT] [-q]
 * One line (or JSON record) per probe, in target then port-list order, and a
 * summary line on stderr.  Exit 0 when the probes ran, 2 on a usage or
 * runtime error; verdicts never change the exit status (that is `check`'s job).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_probe.h"
#include "json.h"
#include "probe.h"
#include "util.h"

#define CMD "probe-run"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch probe-run TARGET... -p PORTS [OPTIONS]\n"
		"\n"
		"Low-level: run the probe engine of 'rpcwatch check' against TARGETs\n"
		"(numeric IPv4/IPv6 addresses) and print one verdict per port.\n"
		"\n"
		"  -p, --ports LIST        T:135,45001,U:135,1024-1030 (default protocol TCP)\n"
		"  -j, --json              JSON Lines, one record per probe\n"
		"  -c, --connect           connect()/UDP-socket probes instead of raw SYN probes\n"
		"  -r, --rate N            probes per second (default %u)\n"
		"      --retries N         extra tries for unanswered probes (default %u)\n"
		"      --wait MS           wait for late answers after the last probe (default %u)\n"
		"  -i, --interface IFACE   capture answers here (default: from the route)\n"
		"  -w, --write FILE        keep the probe traffic as a pcap file\n"
		"      --expect-responder  'rpcwatch responder' serves the UDP ports: silence\n"
		"                          is filtered, not open|filtered\n"
		"      --responder-from N  responder payload only on UDP ports >= N\n"
		"  -q, --quiet             no notes on stderr\n"
		"  -h, --help\n",
		PROBE_DEFAULT_RATE, PROBE_DEFAULT_RETRIES, PROBE_DEFAULT_WAIT_MS);
}

int cmd_probe_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "connect", no_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "retries", required_argument, NULL, 'R' },
		{ "wait", required_argument, NULL, 'W' },
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "expect-responder", no_argument, NULL, 'E' },
		{ "responder-from", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_opts o;
	probe_opts_init(&o);
	const char *ports = NULL;
	int json = 0, opt;
	uint64_t v;
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":p:jcr:i:w:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p': ports = optarg; break;
		case 'j': json = 1; break;
		case 'c': o.force_connect = 1; break;
		case 'r':
			if (!parse_u64(optarg, 1, 10000000, &v))
				rw_usage_error(CMD, "invalid --rate '%s': expected probes per second, 1 to 10000000", optarg);
			o.rate_pps = (uint32_t)v;
			break;
		case 'R':
			if (!parse_u64(optarg, 0, 3, &v))
				rw_usage_error(CMD, "invalid --retries '%s': expected 0 to 3", optarg);
			o.retries = (uint32_t)v;
			break;
		case 'W':
			if (!parse_u64(optarg, 1, 600000, &v))
				rw_usage_error(CMD, "invalid --wait '%s': expected milliseconds, 1 to 600000", optarg);
			o.wait_ms = (uint32_t)v;
			break;
		case 'i': o.iface = optarg; break;
		case 'w': o.write_path = optarg; break;
		case 'E': o.udp_expect_responder = 1; break;
		case 'F':
			if (!parse_u64(optarg, 1, 65535, &v))
				rw_usage_error(CMD, "invalid --responder-from '%s': expected a port", optarg);
			o.responder_port_hint = (uint16_t)v;
			break;
		case 'q': o.quiet = 1; break;
		case 'h': usage(stdout); return RW_EXIT_OK;
		default: rw_bad_option(CMD, argv, opt);
		}
	}
	if (optind >= argc)
		rw_usage_error(CMD, "missing TARGET: a numeric IPv4 or IPv6 address");
	if (!ports)
		rw_usage_error(CMD, "missing -p PORTS, e.g. -p T:135,45001,U:135");
	char err[256];
	struct probe_port *pl;
	size_t np;
	if (probe_ports_parse(ports, &pl, &np, err, sizeof err) < 0)
		rw_usage_error(CMD, "%s", err);
	size_t nt = (size_t)(argc - optind);
	struct probe_target *tg = xcalloc(nt * np, sizeof *tg);
	struct probe_result *res = xcalloc(nt * np, sizeof *res);
	for (size_t t = 0; t < nt; t++) {
		struct addr a;
		if (!addr_parse(&a, argv[optind + (int)t])) {
			free(pl);
			free(tg);
			free(res);
			rw_usage_error(CMD, "'%s' is not a numeric IPv4 or IPv6 address", argv[optind + (int)t]);
		}
		for (size_t i = 0; i < np; i++) {
			tg[t * np + i].dst = a;
			tg[t * np + i].proto = pl[i].proto;
			tg[t * np + i].port = pl[i].port;
		}
	}
	free(pl);
	size_t n = nt * np;
	uint64_t t0 = 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	}
	if (probe_run(&o, tg, n, res, err, sizeof err) < 0) {
		rw_err(CMD, "%s", err);
		free(tg);
		free(res);
		return RW_EXIT_USAGE;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t el = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u - t0;
	size_t cnt[PS_ERROR + 1] = {0};
	struct jw w;
	jw_init(&w, stdout);
	for (size_t i = 0; i < n; i++) {
		const struct probe_result *r = &res[i];
		char ab[ADDR_STRLEN], bb[ADDR_STRLEN];
		addr_str(&r->t.dst, ab, sizeof ab);
		if (r->has_by)
			addr_str(&r->by, bb, sizeof bb);
		cnt[r->state]++;
		const char *proto = r->t.proto == 6 ? "tcp" : "udp";
		if (json) {
			jw_begin(&w);
			jw_str(&w, "target", ab);
			jw_str(&w, "proto", proto);
			jw_u64(&w, "port", r->t.port);
			jw_str(&w, "state", probe_state_name(r->state));
			jw_str(&w, "reason", r->reason);
			if (r->has_by)
				jw_str(&w, "by", bb);
			else
				jw_null(&w, "by");
			jw_u64(&w, "ttl", r->ttl);
			jw_u64(&w, "tries", r->tries);
			jw_u64(&w, "rtt_us", r->rtt_us);
			jw_u64(&w, "frame", r->frame);
			jw_end(&w);
			continue;
		}
		printf("%s %s/%u %s %s", ab, proto, r->t.port, probe_state_name(r->state), r->reason);
		if (r->has_by)
			printf(" by %s", bb);
		if (r->ttl)
			printf(" ttl %u", r->ttl);
		printf(" tries %u", r->tries);
		if (r->rtt_us)
			printf(" rtt %.3fms", (double)r->rtt_us / 1000.0);
		if (r->frame)
			printf(" frame %llu", (unsigned long long)r->frame);
		printf("\n");
	}
	fflush(stdout);
	if (!o.quiet)
		fprintf(stderr,
			"probe-run: %zu probes in %.3f s: %zu open, %zu closed, %zu filtered, %zu open|filtered, "
			"%zu unreachable, %zu error\n",
			n, (double)el / 1e6, cnt[PS_OPEN], cnt[PS_CLOSED], cnt[PS_FILTERED], cnt[PS_OPEN_FILTERED],
			cnt[PS_UNREACHABLE], cnt[PS_ERROR]);
	free(tg);
	free(res);
	return RW_EXIT_OK;
}
