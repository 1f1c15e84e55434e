/* \summary: text and JSON Lines writers for RPC events
 *
 * Text: one line per event, for an admin:
 *   TS CLIENT:PORT -> SERVER:PORT IFACE OPNAME [details] -> RESULT
 * JSON: records rpc_bind, rpc_call, epm_map, notify_reg, notify_udp and,
 * with --pdus, rpc_pdu.  Codes are hex strings ("0x80040102") with their
 * names beside them.
 */
#include "config.h"
#include "rpcout.h"

#include <string.h>

#include "names.h"
#include "util.h"

static void hexstr(char *buf, size_t n, const uint8_t *p, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	size_t j = 0;
	for (size_t i = 0; i < len && j + 2 < n; i++) {
		buf[j++] = hx[p[i] >> 4];
		buf[j++] = hx[p[i] & 15];
	}
	buf[j] = 0;
}

static void j_code(struct jw *w, const char *key, uint32_t v)
{
	char b[12];
	snprintf(b, sizeof b, "0x%08x", v);
	jw_str(w, key, b);
}

static void j_ep(struct jw *w, const struct rpc_ep *ep)
{
	char b[ADDR_STRLEN];
	jw_str(w, "transport", ep->proto == PROTO_UDP ? "udp" : "tcp");
	jw_str(w, "client", addr_str(&ep->cli, b, sizeof b));
	jw_u64(w, "client_port", ep->cport);
	jw_str(w, "server", addr_str(&ep->srv, b, sizeof b));
	jw_u64(w, "server_port", ep->sport);
}

static void t_head(FILE *f, uint64_t ts, const struct rpc_ep *ep)
{
	char tb[RFC3339_LEN], c[ADDR_STRLEN + 8], s[ADDR_STRLEN + 8];
	fprintf(f, "%s %s -> %s", fmt_rfc3339(ts, tb, sizeof tb), addr_port_str(&ep->cli, ep->cport, c, sizeof c),
		addr_port_str(&ep->srv, ep->sport, s, sizeof s));
}

static const char *rc_name(const struct rpc_call_ev *e)
{
	if (e->rc_table == 1)
		return names_mapi(e->rc);
	if (e->rc_table == 2)
		return names_epm_status(e->rc);
	return NULL;
}

/* ---- bind ----------------------------------------------------------------- */

static void on_bind(void *ctx, const struct rpc_bind_ev *e)
{
	struct rpcout *o = ctx;
	char ub[UUID_STRLEN], xb[UUID_STRLEN];
	const char *kind = e->ptype == 14 ? "alter_context" : "bind";
	if (o->json) {
		struct jw *w = o->jw;
		o->record(o->record_ctx, "rpc_bind", e->ts_us);
		j_ep(w, &e->ep);
		jw_str(w, "kind", kind);
		jw_u64(w, "call_id", e->call_id);
		jw_u64(w, "frame", e->frame);
		if (e->reply_frame) {
			jw_u64(w, "reply_frame", e->reply_frame);
			jw_str(w, "reply", names_ptype(e->reply_ptype));
		} else {
			jw_null(w, "reply_frame");
			jw_null(w, "reply");
		}
		if (e->reply_ptype == 13) {
			jw_u64(w, "nak_reason", e->nak_reason);
			jw_str(w, "nak_reason_name", names_bind_nak_reason(e->nak_reason));
		}
		if (e->sec_addr[0])
			jw_str(w, "sec_addr", e->sec_addr);
		if (e->auth_type || e->auth_level) {
			jw_str(w, "auth_type", names_auth_type(e->auth_type));
			jw_str(w, "auth_level", names_auth_level(e->auth_level));
		}
		jw_u64(w, "n_contexts", e->n_ctx_declared);
		jw_arr(w, "contexts");
		for (unsigned i = 0; i < e->n_ctx; i++) {
			const struct rpc_ctx_item *it = &e->ctx[i];
			char ver[16];
			snprintf(ver, sizeof ver, "%u.%u", it->ver_major, it->ver_minor);
			jw_obj(w, NULL);
			jw_u64(w, "ctx_id", it->ctx_id);
			jw_str(w, "interface", uuid_str(&it->iface, ub, sizeof ub));
			jw_str(w, "interface_name", names_iface_name(&it->iface));
			jw_str(w, "version", ver);
			jw_str(w, "transfer", uuid_str(&it->xfer, xb, sizeof xb));
			jw_str(w, "transfer_name", names_xfer(&it->xfer));
			if (it->answered) {
				jw_u64(w, "result", it->result);
				jw_str(w, "result_name", names_ctx_result(it->result));
				if (it->result == 2 || it->result == 1) {
					jw_u64(w, "reason", it->reason);
					jw_str(w, "reason_name", names_provider_reason(it->reason));
				}
			} else {
				jw_null(w, "result");
			}
			jw_close(w);
		}
		jw_close(w);
		jw_end(w);
		return;
	}
	FILE *f = o->out;
	t_head(f, e->ts_us, &e->ep);
	fprintf(f, " %s", kind);
	for (unsigned i = 0; i < e->n_ctx; i++) {
		const struct rpc_ctx_item *it = &e->ctx[i];
		const char *xn = names_xfer(&it->xfer);
		fprintf(f, "%s %s v%u.%u/%s", i ? "," : "", names_iface_label(&it->iface, ub, sizeof ub), it->ver_major,
			it->ver_minor, xn ? xn : uuid_str(&it->xfer, xb, sizeof xb));
		if (!it->answered)
			continue;
		if (it->result == 0)
			fputs(" accepted", f);
		else if (it->result == 3)
			fputs(" negotiated", f);
		else {
			const char *rn = names_ctx_result(it->result), *why = names_provider_reason(it->reason);
			fprintf(f, " %s", rn ? rn : "rejected");
			if (why)
				fprintf(f, "(%s)", why);
		}
	}
	if (e->auth_level)
		fprintf(f, " auth=%s/%s", names_auth_type(e->auth_type) ? names_auth_type(e->auth_type) : "?",
			names_auth_level(e->auth_level) ? names_auth_level(e->auth_level) : "?");
	if (e->reply_ptype == 13) {
		const char *rn = names_bind_nak_reason(e->nak_reason);
		fprintf(f, " -> bind_nak %s", rn ? rn : "");
	} else if (!e->reply_frame) {
		fputs(" -> no answer", f);
	} else {
		fprintf(f, " -> %s", names_ptype(e->reply_ptype));
		if (e->sec_addr[0])
			fprintf(f, " sec_addr %s", e->sec_addr);
	}
	if (e->reply_frame)
		fprintf(f, " frames=%llu,%llu\n", (unsigned long long)e->frame, (unsigned long long)e->reply_frame);
	else
		fprintf(f, " frame=%llu\n", (unsigned long long)e->frame);
}

/* ---- call ------------------------------------------------------------------ */

static const char *call_outcome(const struct rpc_call_ev *e)
{
	if (e->fault)
		return "fault";
	if (!e->resp_frame)
		return "no_response";
	return "ok";
}

static void on_call(void *ctx, const struct rpc_call_ev *e)
{
	struct rpcout *o = ctx;
	/* opnum 4 with a decoded registration is printed as notify_reg in text */
	int known_op = e->req_frame != 0;
	const char *opname = e->has_iface && known_op ? names_opnum(&e->iface, e->opnum) : NULL;
	char ub[UUID_STRLEN];
	uint64_t ts = e->req_frame ? e->req_ts_us : e->resp_ts_us;
	if (o->json) {
		struct jw *w = o->jw;
		o->record(o->record_ctx, "rpc_call", ts);
		j_ep(w, &e->ep);
		jw_u64(w, "call_id", e->call_id);
		if (!e->connectionless)
			jw_u64(w, "ctx_id", e->ctx_id);
		if (e->has_iface) {
			char ver[16];
			snprintf(ver, sizeof ver, "%u.%u", e->ver_major, e->ver_minor);
			jw_str(w, "interface", uuid_str(&e->iface, ub, sizeof ub));
			jw_str(w, "interface_name", names_iface_name(&e->iface));
			jw_str(w, "version", ver);
			jw_str(w, "interface_from", e->connectionless ? "header"
						    : e->iface_from_epm ? "epm"
						    : e->iface_unconfirmed ? "bind_proposal" : "bind");
		} else {
			jw_null(w, "interface");
		}
		if (known_op) {
			jw_u64(w, "opnum", e->opnum);
			jw_str(w, "name", opname);
		} else {
			jw_null(w, "opnum");
		}
		jw_str(w, "outcome", call_outcome(e));
		if (e->req_frame)
			jw_u64(w, "req_frame", e->req_frame);
		else
			jw_null(w, "req_frame");
		if (e->resp_frame)
			jw_u64(w, "resp_frame", e->resp_frame);
		else
			jw_null(w, "resp_frame");
		if (e->resp_frame && e->req_frame)
			jw_double(w, "rtt", (double)(e->resp_ts_us - e->req_ts_us) / 1e6, 6);
		if (e->fault) {
			j_code(w, "fault_status", e->status);
			jw_str(w, "fault_name", names_fault(e->status));
		}
		if (e->has_rc) {
			j_code(w, "rc", e->rc);
			jw_str(w, "rc_name", rc_name(e));
		}
		jw_u64(w, "req_stub_len", e->req_stub_len);
		jw_u64(w, "resp_stub_len", e->resp_stub_len);
		if (e->req_frags > 1 || e->resp_frags > 1) {
			jw_u64(w, "req_frags", e->req_frags);
			jw_u64(w, "resp_frags", e->resp_frags);
		}
		if (e->auth_level)
			jw_str(w, "auth_level", names_auth_level(e->auth_level));
		jw_bool(w, "sealed", e->sealed);
		jw_bool(w, "ndr64", e->ndr64);
		jw_bool(w, "incomplete", e->incomplete);
		jw_end(w);
		return;
	}
	if (e->detailed)
		return;	/* the epm_map / notify_reg lines say it all */
	FILE *f = o->out;
	t_head(f, ts, &e->ep);
	fprintf(f, " %s", e->has_iface ? names_iface_label(&e->iface, ub, sizeof ub) : "?");
	if (known_op) {
		if (opname)
			fprintf(f, " %s", opname);
		else
			fprintf(f, " op%u", e->opnum);
	} else {
		fputs(" (request not captured)", f);
	}
	if (e->iface_unconfirmed)
		fputs(" [context not confirmed by the server]", f);
	if (e->sealed)
		fputs(" [sealed: arguments encrypted]", f);
	if (e->fault) {
		const char *fn = names_fault(e->status);
		fprintf(f, " -> fault 0x%08x%s%s", e->status, fn ? " " : "", fn ? fn : "");
	} else if (!e->resp_frame) {
		fputs(" -> no response", f);
	} else if (e->has_rc) {
		const char *rn = rc_name(e);
		if (rn)
			fprintf(f, " -> %s", rn);
		else
			fprintf(f, " -> 0x%08x", e->rc);
	} else {
		fputs(" -> ok", f);
	}
	if (e->req_frame && e->resp_frame)
		fprintf(f, " frames=%llu,%llu", (unsigned long long)e->req_frame, (unsigned long long)e->resp_frame);
	else
		fprintf(f, " frame=%llu", (unsigned long long)(e->req_frame ? e->req_frame : e->resp_frame));
	if (e->incomplete)
		fputs(" incomplete", f);
	fputc('\n', f);
}

/* ---- endpoint mapper ----------------------------------------------------------- */

static void on_epm(void *ctx, const struct rpc_epm_ev *e)
{
	struct rpcout *o = ctx;
	char ub[UUID_STRLEN], ab[ADDR_STRLEN];
	const char *op = e->opnum == 2 ? "ept_lookup" : "ept_map";
	const char *sn = names_epm_status(e->status);
	if (o->json) {
		struct jw *w = o->jw;
		o->record(o->record_ctx, "epm_map", e->ts_us);
		j_ep(w, &e->ep);
		jw_str(w, "op", op);
		jw_u64(w, "req_frame", e->req_frame);
		jw_u64(w, "frame", e->frame);
		j_code(w, "status", e->status);
		jw_str(w, "status_name", sn);
		if (e->has_iface) {
			char ver[16];
			snprintf(ver, sizeof ver, "%u.%u", e->ver_major, e->ver_minor);
			jw_str(w, "interface", uuid_str(&e->iface, ub, sizeof ub));
			jw_str(w, "interface_name", names_iface_name(&e->iface));
			jw_str(w, "version", ver);
		} else {
			jw_null(w, "interface");
		}
		jw_u64(w, "index", e->index);
		jw_u64(w, "count", e->count);
		if (e->has_tower) {
			jw_str(w, "protocol", e->protseq);
			if (e->has_ip)
				jw_str(w, "ip", addr_str(&e->ip, ab, sizeof ab));
			if (e->has_port)
				jw_u64(w, "port", e->port);
			if (e->pipe[0])
				jw_str(w, "pipe", e->pipe);
			if (e->host[0])
				jw_str(w, "host", e->host);
			jw_str(w, "binding", e->binding);
		}
		if (e->annotation[0])
			jw_str(w, "annotation", e->annotation);
		jw_end(w);
		return;
	}
	FILE *f = o->out;
	t_head(f, e->ts_us, &e->ep);
	fprintf(f, " EPM %s %s", op, e->has_iface ? names_iface_label(&e->iface, ub, sizeof ub) : "?");
	if (e->has_iface)
		fprintf(f, " v%u.%u", e->ver_major, e->ver_minor);
	if (e->has_tower)
		fprintf(f, " -> %s", e->binding);
	else
		fprintf(f, " -> %s", sn ? sn : "no tower");
	if (e->has_tower && e->status)
		fprintf(f, " (%s)", sn ? sn : "error");
	if (e->count > 1)
		fprintf(f, " [%u/%u]", e->index + 1, e->count);
	if (e->annotation[0])
		fprintf(f, " \"%s\"", e->annotation);
	fprintf(f, " frames=%llu,%llu\n", (unsigned long long)e->req_frame, (unsigned long long)e->frame);
}

/* ---- notifications ------------------------------------------------------------- */

static void on_notify_reg(void *ctx, const struct rpc_notify_reg_ev *e)
{
	struct rpcout *o = ctx;
	char ab[ADDR_STRLEN], hx[2 * RPC_CONTEXT_MAX + 1];
	hexstr(hx, sizeof hx, e->context, e->context_len);
	const char *rn = e->has_rc ? names_mapi(e->rc) : NULL;
	if (o->json) {
		struct jw *w = o->jw;
		o->record(o->record_ctx, "notify_reg", e->ts_us);
		j_ep(w, &e->ep);
		jw_u64(w, "reg_id", e->reg_id);
		jw_u64(w, "req_frame", e->req_frame);
		if (e->resp_frame)
			jw_u64(w, "resp_frame", e->resp_frame);
		else
			jw_null(w, "resp_frame");
		jw_bool(w, "sealed", e->args_sealed);
		if (!e->args_sealed) {
			jw_u64(w, "callback_family", e->family_raw);
			jw_str(w, "callback_af", e->af == 4 ? "inet" : e->af == 6 ? "inet6" : NULL);
			if (e->af) {
				jw_str(w, "callback_ip", addr_str(&e->cb_ip, ab, sizeof ab));
				jw_u64(w, "callback_port", e->cb_port);
			}
			jw_str(w, "context", hx);
			jw_u64(w, "cb_context", e->cb_context);
			j_code(w, "advise_bits", e->advise_bits);
			jw_bool(w, "inconsistent", e->inconsistent);
		}
		if (e->has_rc) {
			jw_u64(w, "hnotification", e->hnotification);
			j_code(w, "rc", e->rc);
			jw_str(w, "rc_name", rn);
		} else {
			jw_null(w, "rc");
		}
		jw_end(w);
		return;
	}
	FILE *f = o->out;
	t_head(f, e->ts_us, &e->ep);
	fputs(" EMSMDB EcRRegisterPushNotification", f);
	if (e->args_sealed)
		fputs(" [sealed: callback not readable]", f);
	else if (e->af)
		fprintf(f, " callback udp %s context %s", addr_port_str(&e->cb_ip, e->cb_port, ab, sizeof ab), hx);
	else
		fprintf(f, " callback family %u (unknown) context %s", e->family_raw, hx);
	if (!e->has_rc)
		fputs(" -> no response", f);
	else if (rn)
		fprintf(f, " -> %s", rn);
	else
		fprintf(f, " -> 0x%08x", e->rc);
	if (e->resp_frame)
		fprintf(f, " frames=%llu,%llu reg#%u\n", (unsigned long long)e->req_frame,
			(unsigned long long)e->resp_frame, e->reg_id);
	else
		fprintf(f, " frame=%llu reg#%u\n", (unsigned long long)e->req_frame, e->reg_id);
}

static void on_notify_udp(void *ctx, const struct rpc_notify_udp_ev *e)
{
	struct rpcout *o = ctx;
	char hx[2 * RPC_CONTEXT_MAX + 1];
	hexstr(hx, sizeof hx, e->payload, e->payload_len);
	if (o->json) {
		struct jw *w = o->jw;
		char b[ADDR_STRLEN];
		o->record(o->record_ctx, "notify_udp", e->ts_us);
		jw_str(w, "src", addr_str(&e->src, b, sizeof b));
		jw_u64(w, "src_port", e->sport);
		jw_str(w, "dst", addr_str(&e->dst, b, sizeof b));
		jw_u64(w, "dst_port", e->dport);
		jw_u64(w, "frame", e->frame);
		jw_u64(w, "length", e->len);
		jw_str(w, "payload", hx);
		if (e->reg_id)
			jw_u64(w, "registration", e->reg_id);
		else
			jw_null(w, "registration");
		jw_bool(w, "match_address", e->match_addr);
		jw_bool(w, "match_context", e->match_context);
		jw_bool(w, "candidate", e->candidate);
		jw_end(w);
		return;
	}
	FILE *f = o->out;
	char tb[RFC3339_LEN], s[ADDR_STRLEN + 8], d[ADDR_STRLEN + 8];
	fprintf(f, "%s %s -> %s notification udp %u bytes %s", fmt_rfc3339(e->ts_us, tb, sizeof tb),
		addr_port_str(&e->src, e->sport, s, sizeof s), addr_port_str(&e->dst, e->dport, d, sizeof d), e->len,
		hx);
	if (e->reg_id)
		fprintf(f, " -> reg#%u (%s%s%s)", e->reg_id, e->match_context ? "context" : "",
			e->match_context && e->match_addr ? "+" : "", e->match_addr ? "address" : "");
	else
		fputs(" -> no registration seen (from an EMSMDB server)", f);
	fprintf(f, " frame=%llu\n", (unsigned long long)e->frame);
}

/* ---- PDUs (--pdus) ---------------------------------------------------------------- */

static void on_pdu(void *ctx, const struct rpc_pdu_ev *e)
{
	struct rpcout *o = ctx;
	char ub[UUID_STRLEN];
	if (o->json) {
		struct jw *w = o->jw;
		o->record(o->record_ctx, "rpc_pdu", e->ts_us);
		j_ep(w, &e->ep);
		jw_u64(w, "frame", e->frame);
		jw_bool(w, "connectionless", e->connectionless);
		jw_bool(w, "to_server", e->to_server);
		jw_u64(w, "ptype", e->ptype);
		jw_str(w, "ptype_name", names_ptype(e->ptype));
		jw_u64(w, "flags", e->flags);
		jw_str(w, "drep", e->le ? "le" : "be");
		jw_u64(w, "frag_len", e->frag_len);
		jw_u64(w, "auth_len", e->auth_len);
		jw_u64(w, "call_id", e->call_id);
		if (e->has_opnum)
			jw_u64(w, "opnum", e->opnum);
		if (!e->connectionless && (e->ptype == 0 || e->ptype == 2 || e->ptype == 3))
			jw_u64(w, "ctx_id", e->ctx_id);
		if (e->has_iface) {
			jw_str(w, "interface", uuid_str(&e->iface, ub, sizeof ub));
			jw_str(w, "interface_name", names_iface_name(&e->iface));
		}
		jw_end(w);
		return;
	}
	FILE *f = o->out;
	t_head(f, e->ts_us, &e->ep);
	fprintf(f, " pdu %s%s call_id=%u", e->connectionless ? "cl " : "", names_ptype(e->ptype), e->call_id);
	if (e->has_iface)
		fprintf(f, " %s", names_iface_label(&e->iface, ub, sizeof ub));
	if (e->has_opnum)
		fprintf(f, " opnum=%u", e->opnum);
	fprintf(f, " frame=%llu\n", (unsigned long long)e->frame);
}

void rpcout_sink(struct rpcout *o, struct rpc_sink *s, int with_pdus)
{
	memset(s, 0, sizeof *s);
	s->ctx = o;
	s->bind = on_bind;
	s->call = on_call;
	s->epm = on_epm;
	s->notify_reg = on_notify_reg;
	s->notify_udp = on_notify_udp;
	s->pdu = with_pdus ? on_pdu : NULL;
}
