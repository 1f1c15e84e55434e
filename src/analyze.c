/* \summary: `rpcwatch analyze`: read pcap/pcapng files, decode, summarise flows
 *
 * Several files are merged by time into one capture (as mergecap does:
 * rotated files from `rpcwatch capture` join up in order; files taken at
 * the same time at two points of the path interleave): one flow table, one
 * frame numbering.  For a single file, frame numbers equal tshark's
 * frame.number; with several, those of `mergecap -w merged.pcapng FILE...`.
 * A packet present in two files (captured at both vantage points) is
 * processed once (merge.h); the copy tells diag which capture is nearer
 * which host, so it can say what was lost between them.
 *
 * Output: text (one line per flow, then a summary) or, with --json, JSON
 * Lines (rpcwatch(1), JSON OUTPUT): the first record is {"type":"rpcwatch",
 * "schema":N,...}; every record has "type" and "ts" (RFC 3339 UTC).
 */
#include "config.h"
#include "analyze.h"

#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "diag.h"
#include "flow.h"
#include "json.h"
#include "linebuf.h"
#include "merge.h"
#include "pcapfile.h"
#include "reader.h"
#include "rpc.h"
#include "rpcout.h"
#include "util.h"

#define RW_JSON_SCHEMA 1
#define DEFAULT_MAX_FLOWS 65536
#define DEFAULT_FLOW_TIMEOUT 300
#define MERGE_WINDOW_US 2000000u	/* how far apart two copies of a packet may be */
#define MERGE_MAX_ENTRIES (1u << 20)	/* per window generation */

struct file_info {
	const char *path;
	uint64_t first_frame;	/* global frame number of its first packet */
	uint64_t packets;
	uint64_t copies;	/* packets that were copies of another file's */
	uint64_t first_ts, last_ts;
	int linktype;
	int opened;
	int error;
	int announced;
	struct rw_pcapfile pf;	/* the handle goes to the reader, which closes it; the buffer is released after */
};

struct an_stats {
	uint64_t packets, bytes;
	uint64_t status[DEC_UNSUPPORTED_LINK + 1];
	uint64_t trunc_layer[LAYER__COUNT];
	uint64_t ipv4, ipv6, tcp, udp, icmp, icmp6, other_ip;
	uint64_t fragments, later_fragments, icmp_errors, l4_clamped;
};

struct analyze {
	/* options */
	int json;
	int quiet;
	int pdus;
	int findings_only;
	struct diag_opts dopts;
	const char *filter;
	size_t max_flows;
	uint32_t flow_timeout;
	int threads;			/* 2: read and decode in a second thread (reader.h) */

	/* state */
	struct jw jw;
	FILE *out;
	FILE *out_file;
	int printed_endpoints;
	int header_done;
	uint64_t frame;
	uint64_t last_ts;
	struct file_info *files;
	int nfiles;
	struct flow_table *ft;
	struct rpc_engine *rpc;
	struct rpcout ro;
	struct rpc_sink out_sink;	/* rpcout's sink; the engine's sink tees into diag first */
	struct diag *diag;
	struct merge *merge;		/* several files only */
	struct an_stats st;
};

/* ---- output -------------------------------------------------------------- */

static void json_record(struct analyze *a, const char *type, uint64_t ts)
{
	char tbuf[RFC3339_LEN];
	if (!a->header_done) {
		a->header_done = 1;
		jw_begin(&a->jw);
		jw_str(&a->jw, "type", "rpcwatch");
		jw_str(&a->jw, "ts", fmt_rfc3339(ts, tbuf, sizeof tbuf));
		jw_u64(&a->jw, "schema", RW_JSON_SCHEMA);
		jw_str(&a->jw, "version", PACKAGE_VERSION);
		jw_str(&a->jw, "command", "analyze");
		jw_end(&a->jw);
	}
	jw_begin(&a->jw);
	jw_str(&a->jw, "type", type);
	jw_str(&a->jw, "ts", fmt_rfc3339(ts, tbuf, sizeof tbuf));
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case PROTO_TCP: return "tcp";
	case PROTO_UDP: return "udp";
	default: return "ip";
	}
}

static const char *end_name(enum flow_end why)
{
	switch (why) {
	case FLOW_END_IDLE: return "idle";
	case FLOW_END_EVICTED: return "evicted";
	case FLOW_END_REUSED: return "reused";
	default: return "end";
	}
}

static const char *dirs_name(uint32_t orig, uint32_t resp)
{
	return orig && resp ? "both" : orig ? "orig" : resp ? "resp" : NULL;
}

static void emit_flow_json(struct analyze *a, const struct flow *f, enum flow_end why)
{
	char buf[ADDR_STRLEN];
	struct jw *w = &a->jw;
	json_record(a, "flow", f->first_ts_us);
	jw_u64(w, "id", f->id);
	jw_str(w, "proto", proto_name(f->proto));
	jw_str(w, "orig", addr_str(&f->orig, buf, sizeof buf));
	jw_u64(w, "orig_port", f->oport);
	jw_str(w, "resp", addr_str(&f->resp, buf, sizeof buf));
	jw_u64(w, "resp_port", f->rport);
	jw_str(w, "state", flow_state(f));
	jw_double(w, "duration", (double)(f->last_ts_us - f->first_ts_us) / 1e6, 6);
	jw_u64(w, "pkts_orig", f->pkts[0]);
	jw_u64(w, "pkts_resp", f->pkts[1]);
	jw_u64(w, "bytes_orig", f->bytes[0]);
	jw_u64(w, "bytes_resp", f->bytes[1]);
	jw_u64(w, "first_frame", f->first_frame);
	jw_u64(w, "last_frame", f->last_frame);
	if (f->orig_ttl || f->pkts[0])
		jw_u64(w, "orig_ttl", f->orig_ttl);
	if (f->pkts[1])
		jw_u64(w, "resp_ttl", f->resp_ttl);
	if (f->proto == PROTO_TCP) {
		jw_u64(w, "syn", f->syn);
		jw_u64(w, "syn_retrans", f->syn_retrans);
		jw_arr(w, "syn_frames");
		for (uint32_t i = 0; i < f->syn && i < FLOW_MAX_SYN_FRAMES; i++)
			jw_u64(w, NULL, f->syn_frames[i]);
		jw_close(w);
		jw_u64(w, "synack", f->synack);
		if (f->synack) {
			jw_u64(w, "synack_frame", f->synack_frame);
			if (f->syn)
				jw_double(w, "handshake_rtt", (double)(f->synack_ts_us - f->first_syn_ts_us) / 1e6, 6);
		}
		jw_u64(w, "rst_orig", f->rst[0]);
		jw_u64(w, "rst_resp", f->rst[1]);
		if (f->rst[0])
			jw_u64(w, "rst_orig_frame", f->rst_frame[0]);
		if (f->rst[1])
			jw_u64(w, "rst_resp_frame", f->rst_frame[1]);
		jw_u64(w, "fin_orig", f->fin[0]);
		jw_u64(w, "fin_resp", f->fin[1]);
		jw_bool(w, "midstream", f->midstream);
	}
	if (f->icmp_count) {
		jw_u64(w, "icmp_count", f->icmp_count);
		jw_obj(w, "icmp");
		jw_str(w, "family", f->icmp.family == 6 ? "icmp6" : "icmp");
		jw_u64(w, "type", f->icmp.type);
		jw_u64(w, "code", f->icmp.code);
		jw_str(w, "name", icmp_code_name(f->icmp.family, f->icmp.type, f->icmp.code));
		jw_str(w, "from", addr_str(&f->icmp.from, buf, sizeof buf));
		jw_u64(w, "ttl", f->icmp.ttl);
		jw_str(w, "about", f->icmp.toward_orig ? "resp" : "orig");
		jw_u64(w, "frame", f->icmp.frame);
		jw_close(w);
	}
	jw_bool(w, "fragments", f->fragments);
	jw_str(w, "end", end_name(why));
	jw_end(w);
}

static void emit_flow_text(struct analyze *a, const struct flow *f, enum flow_end why)
{
	char tbuf[RFC3339_LEN], ap[ADDR_STRLEN + 8];
	struct linebuf l;
	lb_init(&l, a->out);
	lb_str(&l, fmt_rfc3339(f->first_ts_us, tbuf, sizeof tbuf));
	lb_str(&l, f->proto == PROTO_TCP ? " TCP " : " UDP ");
	lb_str(&l, addr_port_str(&f->orig, f->oport, ap, sizeof ap));
	lb_mem(&l, " -> ", 4);
	lb_str(&l, addr_port_str(&f->resp, f->rport, ap, sizeof ap));
	lb_chr(&l, ' ');
	lb_str(&l, flow_state(f));
	if (f->proto == PROTO_TCP) {
		if (f->syn > 1) {
			lb_str(&l, " syn=");
			lb_u64(&l, f->syn);
			lb_chr(&l, '(');
			lb_u64(&l, f->syn_retrans);
			lb_str(&l, " retransmitted)");
		}
		const char *d = dirs_name(f->rst[0], f->rst[1]);
		if (d) {
			lb_str(&l, " rst=");
			lb_str(&l, d);
		}
		d = dirs_name(f->fin[0], f->fin[1]);
		if (d) {
			lb_str(&l, " fin=");
			lb_str(&l, d);
		}
	}
	if (f->icmp_count) {
		const char *n = icmp_code_name(f->icmp.family, f->icmp.type, f->icmp.code);
		lb_str(&l, f->icmp.family == 6 ? " icmp6=" : " icmp=");
		lb_u64(&l, f->icmp.type);
		lb_chr(&l, '/');
		lb_u64(&l, f->icmp.code);
		if (n) {
			lb_chr(&l, '(');
			lb_str(&l, n);
			lb_chr(&l, ')');
		}
		lb_chr(&l, '@');
		lb_u64(&l, f->icmp.frame);
		lb_str(&l, " from ");
		lb_str(&l, addr_str(&f->icmp.from, ap, sizeof ap));
		lb_str(&l, " ttl ");
		lb_u64(&l, f->icmp.ttl);
		if (f->icmp.toward_orig)
			lb_str(&l, " answering resp");
		if (f->icmp_count > 1) {
			lb_str(&l, " x");
			lb_u64(&l, f->icmp_count);
		}
	}
	lb_str(&l, " pkts=");
	lb_u64(&l, f->pkts[0]);
	lb_chr(&l, '/');
	lb_u64(&l, f->pkts[1]);
	lb_str(&l, " bytes=");
	lb_u64(&l, f->bytes[0]);
	lb_chr(&l, '/');
	lb_u64(&l, f->bytes[1]);
	if (f->proto == PROTO_TCP && f->syn > 1) {
		lb_str(&l, " frames=");
		for (uint32_t i = 0; i < f->syn && i < FLOW_MAX_SYN_FRAMES; i++) {
			if (i)
				lb_chr(&l, ',');
			lb_u64(&l, f->syn_frames[i]);
		}
		if (f->last_frame != f->syn_frames[f->syn < FLOW_MAX_SYN_FRAMES ? f->syn - 1 : FLOW_MAX_SYN_FRAMES - 1]) {
			lb_str(&l, "..");
			lb_u64(&l, f->last_frame);
		}
	} else if (f->first_frame == f->last_frame) {
		lb_str(&l, " frame=");
		lb_u64(&l, f->first_frame);
	} else {
		lb_str(&l, " frames=");
		lb_u64(&l, f->first_frame);
		lb_str(&l, "..");
		lb_u64(&l, f->last_frame);
	}
	if (f->midstream && f->synack)
		lb_str(&l, " midstream");
	if (f->fragments)
		lb_str(&l, " fragments");
	if (why == FLOW_END_EVICTED)
		lb_str(&l, " evicted");
	lb_chr(&l, '\n');
	lb_end(&l);
}

static void on_flow_end(void *ctx, const struct flow *f, enum flow_end why)
{
	struct analyze *a = ctx;
	/* calls still open on this connection are reported before the flow itself */
	rpc_flow_end(a->rpc, (struct flow *)f);
	diag_flow(a->diag, f);
	if (a->findings_only)
		return;
	if (a->json)
		emit_flow_json(a, f, why);
	else
		emit_flow_text(a, f, why);
}

static void record_cb(void *ctx, const char *type, uint64_t ts) { json_record(ctx, type, ts); }

/* The engine's sink: diagnosis sees every event, output prints it unless --findings-only. */
static void tee_bind(void *ctx, const struct rpc_bind_ev *e)
{
	struct analyze *a = ctx;
	diag_bind(a->diag, e);
	if (!a->findings_only)
		a->out_sink.bind(a->out_sink.ctx, e);
}

static void tee_call(void *ctx, const struct rpc_call_ev *e)
{
	struct analyze *a = ctx;
	diag_call(a->diag, e);
	if (!a->findings_only)
		a->out_sink.call(a->out_sink.ctx, e);
}

static void tee_epm(void *ctx, const struct rpc_epm_ev *e)
{
	struct analyze *a = ctx;
	diag_epm(a->diag, e);
	if (!a->findings_only)
		a->out_sink.epm(a->out_sink.ctx, e);
}

static void tee_notify_reg(void *ctx, const struct rpc_notify_reg_ev *e)
{
	struct analyze *a = ctx;
	diag_notify_reg(a->diag, e);
	if (!a->findings_only)
		a->out_sink.notify_reg(a->out_sink.ctx, e);
}

static void tee_notify_udp(void *ctx, const struct rpc_notify_udp_ev *e)
{
	struct analyze *a = ctx;
	diag_notify_udp(a->diag, e);
	if (!a->findings_only)
		a->out_sink.notify_udp(a->out_sink.ctx, e);
}

static void tee_pdu(void *ctx, const struct rpc_pdu_ev *e)
{
	struct analyze *a = ctx;
	if (!a->findings_only && a->out_sink.pdu)
		a->out_sink.pdu(a->out_sink.ctx, e);
}

static void print_endpoint(void *ctx, const struct diag_endpoint_view *v)
{
	struct analyze *a = ctx;
	char ab[ADDR_STRLEN], by[ADDR_STRLEN];
	if (v->unlisted) {	/* the summary of the callback endpoints not listed */
		if (a->findings_only)
			return;
		if (a->json) {
			struct jw *w = &a->jw;
			json_record(a, "endpoint_summary", v->first_ts_us);
			jw_str(w, "proto", "udp");
			jw_str(w, "role", v->role);
			jw_str(w, "interface", v->iface);
			jw_u64(w, "listed", v->listed);
			jw_u64(w, "unlisted", v->unlisted);
			jw_str(w, "why", "received notifications, nothing against them");
			jw_u64(w, "first_frame", v->first_frame);
			jw_end(w);
			return;
		}
		if (!a->printed_endpoints++)
			fputs("\nEndpoints:\n", a->out_file);
		char n[40];
		snprintf(n, sizeof n, "(%llu more)", (unsigned long long)v->unlisted);
		struct linebuf l;
		lb_init(&l, a->out_file);
		lb_mem(&l, "  ", 2);
		lb_pad(&l, n, 28);
		lb_str(&l, " udp ");
		lb_pad(&l, v->role, 8);
		lb_chr(&l, ' ');
		lb_pad(&l, v->iface, 10);
		lb_str(&l, " received notifications, nothing against them: not listed (");
		lb_u64(&l, v->listed);
		lb_str(&l, " listed)\n");
		lb_end(&l);
		return;
	}
	if (a->json) {
		if (a->findings_only)
			return;
		struct jw *w = &a->jw;
		json_record(a, "endpoint", v->first_ts_us);
		jw_str(w, "server", addr_str(&v->server, ab, sizeof ab));
		jw_str(w, "proto", v->proto == PROTO_UDP ? "udp" : "tcp");
		jw_u64(w, "port", v->port);
		jw_str(w, "role", v->role);
		jw_str(w, "interface", v->iface[0] ? v->iface : NULL);
		jw_str(w, "verdict", v->verdict);
		jw_str(w, "reason", v->reason);
		if (v->has_by) {
			jw_str(w, "by", addr_str(&v->by, by, sizeof by));
			jw_u64(w, "ttl", v->ttl);
		}
		jw_u64(w, "attempts", v->attempts);
		jw_u64(w, "first_frame", v->first_frame);
		jw_end(w);
		return;
	}
	if (a->findings_only)
		return;
	if (!a->printed_endpoints++)
		fputs("\nEndpoints:\n", a->out_file);
	char ap[ADDR_STRLEN + 8];
	struct linebuf l;
	lb_init(&l, a->out_file);
	lb_mem(&l, "  ", 2);
	lb_pad(&l, addr_port_str(&v->server, v->port, ap, sizeof ap), 28);
	lb_str(&l, v->proto == PROTO_UDP ? " udp " : " tcp ");
	lb_pad(&l, v->role ? v->role : "-", 8);
	lb_chr(&l, ' ');
	lb_pad(&l, v->iface[0] ? v->iface : "-", 10);
	lb_chr(&l, ' ');
	lb_str(&l, v->verdict);
	if (v->reason) {
		lb_str(&l, " (");
		lb_str(&l, v->reason);
	}
	if (v->has_by) {
		lb_str(&l, " from ");
		lb_str(&l, addr_str(&v->by, by, sizeof by));
		lb_str(&l, " ttl ");
		lb_u64(&l, v->ttl);
	}
	if (v->reason)
		lb_chr(&l, ')');
	lb_chr(&l, '\n');
	lb_end(&l);
}

static void print_finding(void *ctx, const struct diag_finding *f)
{
	struct analyze *a = ctx;
	char ab[ADDR_STRLEN], tb[RFC3339_LEN];
	uint64_t ts = f->nev ? f->ev[0].ts_us : a->last_ts;
	for (uint32_t i = 0; i < f->nev && !ts; i++)
		ts = f->ev[i].ts_us;
	if (a->json) {
		struct jw *w = &a->jw;
		json_record(a, "finding", ts ? ts : a->last_ts);
		jw_str(w, "kind", f->kind);
		jw_str(w, "severity", diag_sev_name(f->severity));
		jw_str(w, "summary", f->summary);
		jw_str(w, "explanation", f->explanation);
		jw_str(w, "remedy", f->remedy);
		if (f->has_server) {
			jw_str(w, "server", addr_str(&f->server, ab, sizeof ab));
			jw_str(w, "proto", f->proto == PROTO_UDP ? "udp" : "tcp");
			jw_u64(w, "port", f->port);
		}
		jw_str(w, "role", f->role);
		jw_str(w, "interface", f->iface[0] ? f->iface : NULL);
		if (f->verdict) {
			jw_str(w, "verdict", f->verdict);
			jw_str(w, "reason", f->reason);
		}
		if (f->has_by) {
			jw_str(w, "by", addr_str(&f->by, ab, sizeof ab));
			jw_u64(w, "ttl", f->ttl);
		}
		if (f->has_rc) {
			char c[12];
			snprintf(c, sizeof c, "0x%08x", f->rc);
			jw_str(w, "rc", c);
			jw_str(w, "rc_name", f->rc_name);
		}
		jw_u64(w, "count", f->count);
		jw_arr(w, "evidence");
		for (uint32_t i = 0; i < f->nev; i++) {
			jw_obj(w, NULL);
			jw_u64(w, "frame", f->ev[i].frame);
			if (f->ev[i].ts_us)
				jw_str(w, "ts", fmt_rfc3339(f->ev[i].ts_us, tb, sizeof tb));
			jw_close(w);
		}
		jw_close(w);
		jw_end(w);
		return;
	}
	FILE *o = a->out_file;
	fprintf(o, "%-7s %s: %s", diag_sev_name(f->severity), f->kind, f->summary);
	if (f->count > 1)
		fprintf(o, " (x%u)", f->count);
	fputc('\n', o);
	fprintf(o, "        why: %s\n        fix: %s\n", f->explanation, f->remedy);
	if (f->nev) {
		fputs("        evidence: frames", o);
		for (uint32_t i = 0; i < f->nev; i++)
			fprintf(o, "%s%llu", i ? "," : " ", (unsigned long long)f->ev[i].frame);
		fputc('\n', o);
	}
}

static void emit_file_json(struct analyze *a, const struct file_info *fi, uint64_t ts)
{
	json_record(a, "file", ts);
	jw_str(&a->jw, "path", fi->path);
	const char *ln = pcap_datalink_val_to_name(fi->linktype);
	jw_str(&a->jw, "linktype", ln ? ln : "unknown");
	jw_u64(&a->jw, "first_frame", fi->first_frame);
	jw_end(&a->jw);
}

static void emit_summary(struct analyze *a)
{
	const struct an_stats *s = &a->st;
	const struct flow_stats *fs = flow_table_stats(a->ft);
	if (a->json) {
		struct jw *w = &a->jw;
		json_record(a, "stats", a->last_ts);
		jw_u64(w, "packets", s->packets);
		jw_u64(w, "bytes", s->bytes);
		jw_u64(w, "decoded", s->status[DEC_OK]);
		jw_u64(w, "truncated", s->status[DEC_TRUNCATED]);
		jw_u64(w, "invalid", s->status[DEC_INVALID]);
		jw_u64(w, "not_ip", s->status[DEC_NOT_IP]);
		jw_obj(w, "failed_layers");
		for (int l = 1; l < LAYER__COUNT; l++)
			if (s->trunc_layer[l])
				jw_u64(w, decode_layer_name((enum dec_layer)l), s->trunc_layer[l]);
		jw_close(w);
		jw_u64(w, "ipv4", s->ipv4);
		jw_u64(w, "ipv6", s->ipv6);
		jw_u64(w, "tcp", s->tcp);
		jw_u64(w, "udp", s->udp);
		jw_u64(w, "icmp", s->icmp);
		jw_u64(w, "icmp6", s->icmp6);
		jw_u64(w, "other_ip", s->other_ip);
		jw_u64(w, "fragments", s->fragments);
		jw_u64(w, "icmp_errors", s->icmp_errors);
		jw_u64(w, "snaplen_cut", s->l4_clamped);
		jw_u64(w, "flows", fs->created);
		jw_u64(w, "flows_peak", fs->peak);
		jw_u64(w, "flows_expired", fs->expired);
		jw_u64(w, "flows_evicted", fs->evicted);
		jw_u64(w, "max_flows", a->max_flows);
		const struct rpc_stats *r = rpc_engine_stats(a->rpc);
		jw_obj(w, "rpc");
		jw_u64(w, "co_pdus", r->co_pdus);
		jw_u64(w, "cl_pdus", r->cl_pdus);
		jw_u64(w, "bad_pdus", r->bad_pdus);
		jw_u64(w, "resyncs", r->resyncs);
		jw_u64(w, "gaps", r->gaps);
		jw_u64(w, "binds", r->binds);
		jw_u64(w, "calls", r->calls);
		jw_u64(w, "faults", r->faults);
		jw_u64(w, "unanswered", r->unanswered);
		jw_u64(w, "sealed_calls", r->sealed_calls);
		jw_u64(w, "epm_answers", r->epm_answers);
		jw_u64(w, "endpoints_learned", r->endpoints_learned);
		jw_u64(w, "registrations", r->registrations);
		jw_u64(w, "notify_udp", r->notify_udp);
		jw_u64(w, "notify_matched", r->notify_matched);
		jw_u64(w, "capped", r->capped);
		jw_close(w);
		jw_arr(w, "files");
		for (int i = 0; i < a->nfiles; i++) {
			jw_obj(w, NULL);
			jw_str(w, "path", a->files[i].path);
			jw_u64(w, "packets", a->files[i].packets);
			if (a->merge)
				jw_u64(w, "copies", a->files[i].copies);
			jw_bool(w, "error", a->files[i].error);
			jw_close(w);
		}
		jw_close(w);
		jw_end(w);
		return;
	}
	FILE *o = a->out;
	fprintf(o, "\n%llu packets: %llu decoded, %llu truncated, %llu invalid, %llu not IP\n",
		(unsigned long long)s->packets, (unsigned long long)s->status[DEC_OK],
		(unsigned long long)s->status[DEC_TRUNCATED], (unsigned long long)s->status[DEC_INVALID],
		(unsigned long long)s->status[DEC_NOT_IP]);
	if (s->status[DEC_TRUNCATED] || s->status[DEC_INVALID]) {
		fputs("  truncated or invalid in:", o);
		for (int l = 1; l < LAYER__COUNT; l++)
			if (s->trunc_layer[l])
				fprintf(o, " %s %llu", decode_layer_name((enum dec_layer)l),
					(unsigned long long)s->trunc_layer[l]);
		fputc('\n', o);
	}
	if (a->merge) {
		uint64_t copies = 0;
		int overlap = 0;
		for (int i = 0; i < a->nfiles; i++) {
			const struct file_info *x = &a->files[i];
			fprintf(o, "  %s: %llu packets, %llu of them copies of packets another file gave first\n", x->path,
				(unsigned long long)x->packets, (unsigned long long)x->copies);
			copies += x->copies;
			for (int j = 0; j < i; j++) {
				const struct file_info *y = &a->files[j];
				overlap |= x->packets && y->packets && x->first_ts <= y->last_ts && y->first_ts <= x->last_ts;
			}
		}
		if (overlap && !copies)
			fputs("  note: the files overlap in time but share no packet: captured on unrelated links, NAT\n"
			      "  between the capture points, or clocks more than 2 s apart (shift one with editcap -t)\n",
			      o);
	}
	fprintf(o, "  IPv4 %llu, IPv6 %llu; TCP %llu, UDP %llu, ICMP %llu, ICMPv6 %llu, other %llu; "
		   "fragments %llu, ICMP errors %llu\n",
		(unsigned long long)s->ipv4, (unsigned long long)s->ipv6, (unsigned long long)s->tcp,
		(unsigned long long)s->udp, (unsigned long long)s->icmp, (unsigned long long)s->icmp6,
		(unsigned long long)s->other_ip, (unsigned long long)s->fragments,
		(unsigned long long)s->icmp_errors);
	fprintf(o, "%llu flows (peak %llu of max %zu), %llu expired idle, %llu evicted\n",
		(unsigned long long)fs->created, (unsigned long long)fs->peak, a->max_flows,
		(unsigned long long)fs->expired, (unsigned long long)fs->evicted);
	const struct rpc_stats *r = rpc_engine_stats(a->rpc);
	if (r->co_pdus || r->cl_pdus)
		fprintf(o, "DCE/RPC: %llu PDUs (%llu connectionless, %llu malformed), %llu binds, %llu calls "
			   "(%llu faults, %llu unanswered, %llu sealed), %llu endpoints learned, %llu push "
			   "registrations, %llu notifications (%llu matched)\n",
			(unsigned long long)(r->co_pdus + r->cl_pdus), (unsigned long long)r->cl_pdus,
			(unsigned long long)r->bad_pdus, (unsigned long long)r->binds, (unsigned long long)r->calls,
			(unsigned long long)r->faults, (unsigned long long)r->unanswered,
			(unsigned long long)r->sealed_calls, (unsigned long long)r->endpoints_learned,
			(unsigned long long)r->registrations, (unsigned long long)r->notify_udp,
			(unsigned long long)r->notify_matched);
	if (r->gaps || r->resyncs)
		fprintf(o, "  %llu stream gaps, %llu resynchronisations\n", (unsigned long long)r->gaps,
			(unsigned long long)r->resyncs);
	if (fs->evicted)
		fprintf(o, "warning: %llu flows were evicted because the table was full; raise --max-flows\n",
			(unsigned long long)fs->evicted);
}

/* ---- reading ------------------------------------------------------------- */

static void count(struct analyze *a, const struct pkt *p)
{
	struct an_stats *s = &a->st;
	s->packets++;
	s->bytes += p->wirelen;
	s->status[p->status]++;
	if (p->status == DEC_TRUNCATED || p->status == DEC_INVALID)
		s->trunc_layer[p->fail_layer]++;
	if (p->ipver == 4)
		s->ipv4++;
	else if (p->ipver == 6)
		s->ipv6++;
	if (p->status != DEC_OK || !p->ipver)
		return;
	if (p->is_fragment)
		s->fragments++;
	if (p->frag_later)
		s->later_fragments++;
	if (p->l4_clamped)
		s->l4_clamped++;
	switch (p->proto) {
	case PROTO_TCP: s->tcp++; break;
	case PROTO_UDP: s->udp++; break;
	case PROTO_ICMP: s->icmp++; break;
	case PROTO_ICMP6: s->icmp6++; break;
	default: s->other_ip++; break;
	}
	if (p->icmp_is_error)
		s->icmp_errors++;
}

#define OUT_IOBUF (256u * 1024)

/* Open a file for reading: its handle, or NULL with the error reported. */
static pcap_t *open_file(struct analyze *a, struct file_info *fi)
{
	char err[RW_PCAPFILE_ERRLEN];
	if (rw_pcapfile_open(&fi->pf, fi->path, err, sizeof err) != 0) {
		rw_err("analyze", "%s", err);
		return NULL;
	}
	pcap_t *pc = fi->pf.p;
	int dlt = pcap_datalink(pc);
	fi->linktype = dlt;
	const char *dname = pcap_datalink_val_to_name(dlt);
	if (!a->quiet)
		fprintf(stderr, "reading from file %s, link-type %s (%s), snapshot length %d\n", fi->path,
			dname ? dname : "?", pcap_datalink_val_to_description_or_dlt(dlt), pcap_snapshot(pc));
	if (!decode_link_supported(dlt)) {
		rw_err("analyze", "%s: link-type %s (%d) is not supported (EN10MB, LINUX_SLL, LINUX_SLL2, "
				  "RAW, IPV4, IPV6, NULL, LOOP are)", fi->path, dname ? dname : "?", dlt);
		rw_pcapfile_close(&fi->pf);
		return NULL;
	}
	if (rw_pcapfile_set_filter(&fi->pf, a->filter, err, sizeof err) != 0) {
		rw_err("analyze", "%s", err);
		rw_pcapfile_close(&fi->pf);
		exit(RW_EXIT_USAGE);
	}
	fi->opened = 1;
	return pc;
}

/* One decoded packet of file idx (frame numbers are the reader's, which
 * counts exactly as this does). */
static void process(struct analyze *a, unsigned idx, struct file_info *fi, const struct pkt *p)
{
	a->frame++;
	fi->packets++;
	if (!fi->announced) {
		fi->announced = 1;
		fi->first_frame = a->frame;
		fi->first_ts = p->ts_us;
		if (a->json)
			emit_file_json(a, fi, p->ts_us);
	}
	fi->last_ts = p->ts_us;
	a->last_ts = p->ts_us;
	if (a->merge) {
		struct merge_seen first;
		uint64_t fp = merge_fingerprint(p);
		if (merge_check(a->merge, p, fp, idx, &first)) {
			/* the same packet, captured at another point: counted, not processed again */
			fi->copies++;
			diag_copy(a->diag, &first, idx, p);
			return;
		}
		diag_source(a->diag, idx);
		if (p->status == DEC_OK && p->proto == PROTO_TCP && p->has_l4 && (p->tcp_flags & 0x04))
			diag_rst(a->diag, p->frame, p->ts_us);
	}
	count(a, p);
	int dir = 0;
	diag_time(a->diag, p->ts_us);
	struct flow *f = flow_table_packet(a->ft, p, &dir);
	rpc_packet(a->rpc, f, dir, p);
}

/* the reader's prepare hook: the flow hash, computed in the reading thread */
static void prehash(void *ctx, struct pkt *p)
{
	flow_table_pkt_hash(ctx, p);
}

static void read_stopped(struct file_info *fi, const char *msg)
{
	rw_err("analyze", "%s: stopped after %llu packets: %s", fi->path, (unsigned long long)fi->packets, msg);
	fi->error = 1;
}

/* Read every file: one alone straight through, several merged by time (the
 * earliest next packet first; on a tie the file named first, as mergecap).
 * The reader (reader.h) reads and decodes, in a second thread with
 * --threads 2; the order of packets and messages is the same either way. */
static void read_files(struct analyze *a)
{
	int n = a->nfiles;
	struct reader *rd = reader_new((unsigned)n);
	if (!rd) {
		rw_err("analyze", "out of memory");
		for (int i = 0; i < n; i++)
			a->files[i].error = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct file_info *fi = &a->files[i];
		pcap_t *pc = open_file(a, fi);
		if (!pc)
			fi->error = 1;
		if (reader_add(rd, pc, fi->linktype) < 0)
			read_stopped(fi, reader_errmsg(rd, (unsigned)i));
	}
	reader_set_prepare(rd, prehash, a->ft);
	reader_start(rd, a->threads > 1);
	const struct rd_item *it, *ahead;
	while ((it = reader_next(rd))) {
		struct file_info *fi = &a->files[it->file];
		/* the flow table is the main cache-miss: fetch a packet's hash
		 * bucket 8 packets ahead and its first flow 4 ahead */
		if ((ahead = reader_peek(rd, 8)) && ahead->kind == RD_PACKET && ahead->p.flow_hashed)
			flow_table_prefetch(a->ft, ahead->p.flow_hash, 0);
		if ((ahead = reader_peek(rd, 4)) && ahead->kind == RD_PACKET && ahead->p.flow_hashed)
			flow_table_prefetch(a->ft, ahead->p.flow_hash, 1);
		if (it->kind == RD_PACKET)
			process(a, it->file, fi, &it->p);
		else if (it->kind == RD_ERROR)
			read_stopped(fi, reader_errmsg(rd, it->file));
	}
	reader_free(rd);	/* closes every file: their stdio buffers can go */
	for (int i = 0; i < n; i++) {
		struct file_info *fi = &a->files[i];
		rw_pcapfile_release(&fi->pf);
		if (fi->opened && !fi->announced && a->json) {
			fi->first_frame = a->frame + 1;
			emit_file_json(a, fi, a->last_ts);
		}
		diag_file_span(a->diag, (unsigned)i, fi->path, fi->first_ts, fi->last_ts, fi->packets);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch analyze [OPTIONS] [-r] FILE...\n"
		"\n"
		"Decode pcap/pcapng files and print one line per flow, then a summary.\n"
		"Several files are merged by time into one capture: rotated files join up;\n"
		"files taken at the same time at two points of the path (client side,\n"
		"server side) interleave, a packet seen in both counts once, and what one\n"
		"side saw and the other did not is reported (notify_lost, forged resets).\n"
		"\n"
		"  -r FILE              read FILE (may repeat; plain arguments are files too)\n"
		"  --json               JSON Lines output, one record per line (see rpcwatch(1))\n"
		"  --pdus               also print every DCE/RPC PDU (rpc_pdu records)\n"
		"  --findings-only      print only the findings (JSON: the header and file\n"
		"                       records, then the finding records)\n"
		"  --notify-window SECS how long a registered client may wait for a new-mail\n"
		"                       notification before notify_missing (default 60)\n"
		"  --rpc-range LO-HI    the expected dynamic RPC port range (default 49152-65535;\n"
		"                       1025-5000 for Windows 2000/2003)\n"
		"  --filter EXPR        only packets matching the BPF expression EXPR\n"
		"  --max-flows N        keep at most N flows in memory (default %d); the least\n"
		"                       recently active flow is evicted and reported when full\n"
		"  --flow-timeout SECS  report and forget flows idle for SECS of capture time\n"
		"                       (default %d, 0 = keep until the end)\n"
		"  --threads N          1: read, decode and analyse in one thread; 2: read and\n"
		"                       decode in a second thread (default 2 with 2 or more\n"
		"                       CPUs); the output is the same\n"
		"  -n                   accepted for tcpdump habits; names are never resolved\n"
		"  -q                   no 'reading from file' lines on stderr\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 no error findings, 1 error findings, 2 bad usage or a file\n"
		"could not be read.\n",
		DEFAULT_MAX_FLOWS, DEFAULT_FLOW_TIMEOUT);
}

enum { OPT_JSON = 256, OPT_FILTER, OPT_MAX_FLOWS, OPT_FLOW_TIMEOUT, OPT_PDUS, OPT_FINDINGS_ONLY, OPT_NOTIFY_WINDOW,
       OPT_RPC_RANGE, OPT_THREADS };

int cmd_analyze(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"pdus", no_argument, NULL, OPT_PDUS},
		{"findings-only", no_argument, NULL, OPT_FINDINGS_ONLY},
		{"notify-window", required_argument, NULL, OPT_NOTIFY_WINDOW},
		{"rpc-range", required_argument, NULL, OPT_RPC_RANGE},
		{"filter", required_argument, NULL, OPT_FILTER},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct analyze a;
	memset(&a, 0, sizeof a);
	a.max_flows = DEFAULT_MAX_FLOWS;
	a.dopts.notify_window_s = 60;
	a.dopts.range_lo = 49152;
	a.dopts.range_hi = 65535;
	a.out_file = stdout;
	a.flow_timeout = DEFAULT_FLOW_TIMEOUT;
	a.out = stdout;
	a.threads = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
	const char **paths = xcalloc((size_t)argc + 1, sizeof *paths);
	int npaths = 0;
	uint64_t v;

	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":r:nqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			paths[npaths++] = optarg;
			break;
		case 'n':
			break;
		case 'q':
			a.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			free(paths);
			return 0;
		case OPT_JSON:
			a.json = 1;
			break;
		case OPT_PDUS:
			a.pdus = 1;
			break;
		case OPT_FINDINGS_ONLY:
			a.findings_only = 1;
			break;
		case OPT_NOTIFY_WINDOW:
			if (!parse_u64(optarg, 1, 86400, &v))
				rw_usage_error("analyze", "--notify-window wants seconds from 1 to 86400, not '%s'", optarg);
			a.dopts.notify_window_s = (uint32_t)v;
			break;
		case OPT_RPC_RANGE: {
			char lo[8], hi[8];
			uint64_t l, h;
			const char *dash = strchr(optarg, '-');
			if (!dash || dash - optarg >= (long)sizeof lo || strlen(dash + 1) >= sizeof hi)
				rw_usage_error("analyze", "--rpc-range wants LO-HI, e.g. 49152-65535, not '%s'", optarg);
			memcpy(lo, optarg, (size_t)(dash - optarg));
			lo[dash - optarg] = 0;
			strcpy(hi, dash + 1);
			if (!parse_u64(lo, 1, 65535, &l) || !parse_u64(hi, 1, 65535, &h) || l > h)
				rw_usage_error("analyze", "--rpc-range wants LO-HI with 1 <= LO <= HI <= 65535, not '%s'",
					       optarg);
			a.dopts.range_lo = (uint16_t)l;
			a.dopts.range_hi = (uint16_t)h;
			break;
		}
		case OPT_FILTER:
			a.filter = optarg;
			break;
		case OPT_MAX_FLOWS:
			if (!parse_u64(optarg, 1, 100000000, &v))
				rw_usage_error("analyze", "--max-flows wants a number from 1 to 100000000, not '%s'",
					       optarg);
			a.max_flows = (size_t)v;
			break;
		case OPT_FLOW_TIMEOUT:
			if (!parse_u64(optarg, 0, 86400 * 365, &v))
				rw_usage_error("analyze", "--flow-timeout wants seconds (0 or more), not '%s'", optarg);
			a.flow_timeout = (uint32_t)v;
			break;
		case OPT_THREADS:
			if (!parse_u64(optarg, 1, 2, &v))
				rw_usage_error("analyze", "--threads wants 1 or 2, not '%s'", optarg);
			a.threads = (int)v;
			break;
		default:
			rw_bad_option("analyze", argv, c);
		}
	}
	for (int i = optind; i < argc; i++)
		paths[npaths++] = argv[i];
	if (npaths == 0)
		rw_usage_error("analyze", "no capture file given");

	/* Records go out in 256 KiB writes rather than glibc's st_blksize (4 KiB
	 * to a file or /dev/null, one page to a pipe); a terminal stays line
	 * buffered.  The buffer stays with stdout until exit, one per process:
	 * cmd_analyze may run again in the same process (fuzz/fuzz_pipeline.c
	 * runs it per input), and a buffer set each time leaked the last one. */
	static char *obuf;
	if (!obuf && !isatty(STDOUT_FILENO)) {
		obuf = malloc(OUT_IOBUF);
		if (obuf && setvbuf(stdout, obuf, _IOFBF, OUT_IOBUF) != 0) {
			free(obuf);
			obuf = NULL;
		}
	}
	jw_init(&a.jw, stdout);
	a.ro.out = stdout;
	a.ro.json = a.json;
	a.ro.jw = &a.jw;
	a.ro.record = record_cb;
	a.ro.record_ctx = &a;
	rpcout_sink(&a.ro, &a.out_sink, a.pdus);
	struct rpc_sink sink = {
		.ctx = &a,
		.bind = tee_bind,
		.call = tee_call,
		.epm = tee_epm,
		.notify_reg = tee_notify_reg,
		.notify_udp = tee_notify_udp,
		.pdu = a.pdus ? tee_pdu : NULL,
	};
	a.dopts.nfiles = (uint32_t)npaths;
	a.diag = diag_new(&a.dopts);
	a.rpc = a.diag ? rpc_engine_new(&sink) : NULL;
	if (a.rpc)	/* registrations outlive their connection by the notify window */
		rpc_engine_set_reg_hold(a.rpc, a.dopts.notify_window_s);
	struct flow_table_opts fo = {
		.max_flows = a.max_flows,
		.idle_timeout_s = a.flow_timeout,
		.emit = on_flow_end,
		.emit_ctx = &a,
		.app_free = rpc_flow_free,
	};
	a.ft = a.rpc ? flow_table_new(&fo) : NULL;
	if (!a.ft) {
		rw_err("analyze", "cannot allocate a flow table of %zu flows", a.max_flows);
		free(paths);
		return RW_EXIT_USAGE;
	}
	a.files = xcalloc((size_t)npaths, sizeof *a.files);
	a.nfiles = npaths;
	int failed = 0, opened = 0;
	for (int i = 0; i < npaths; i++)
		a.files[i].path = paths[i];
	if (npaths >= 2) {
		a.merge = merge_new(MERGE_WINDOW_US, MERGE_MAX_ENTRIES);
		if (!a.merge) {
			rw_err("analyze", "out of memory");
			return RW_EXIT_USAGE;
		}
	}
	read_files(&a);
	for (int i = 0; i < npaths; i++) {
		failed |= a.files[i].error;
		opened |= a.files[i].opened;
	}
	flow_table_flush(a.ft);
	rpc_engine_flush(a.rpc);
	unsigned nerr = 0, nwarn = 0, ninfo = 0;
	if (opened) {
		if (!a.findings_only)
			emit_summary(&a);
		diag_finish(a.diag, print_endpoint, NULL, &a);
		if (!a.json && !a.findings_only && a.printed_endpoints)
			fputc('\n', stdout);
		diag_counts(a.diag, &nerr, &nwarn, &ninfo);
		if (!a.json)
			fprintf(stdout, "Findings: %u error%s, %u warning%s, %u info\n", nerr, nerr == 1 ? "" : "s",
				nwarn, nwarn == 1 ? "" : "s", ninfo);
		diag_emit_findings(a.diag, print_finding, &a);
	}
	fflush(stdout);
	int werr = ferror(stdout);
	flow_table_free(a.ft);
	rpc_engine_free(a.rpc);
	diag_free(a.diag);
	merge_free(a.merge);
	free(a.files);
	free(paths);
	if (werr) {
		rw_err("analyze", "error writing output");
		return RW_EXIT_USAGE;
	}
	if (failed)
		return RW_EXIT_USAGE;
	return nerr ? RW_EXIT_FAIL : RW_EXIT_OK;
}
