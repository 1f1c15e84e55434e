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

#include "linebuf.h"
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

/* ---- text lines: built in a line buffer (linebuf.h) ------------------ */

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

static void t_head(struct linebuf *l, uint64_t ts, const struct rpc_ep *ep)
{
	char tb[RFC3339_LEN], c[ADDR_STRLEN + 8], s[ADDR_STRLEN + 8];
	lb_str(l, fmt_rfc3339(ts, tb, sizeof tb));
	lb_chr(l, ' ');
	lb_str(l, addr_port_str(&ep->cli, ep->cport, c, sizeof c));
	lb_str(l, " -> ");
	lb_str(l, addr_port_str(&ep->srv, ep->sport, s, sizeof s));
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
	struct linebuf l;
	lb_init(&l, o->out);
	t_head(&l, e->ts_us, &e->ep);
	lb_chr(&l, ' ');
	lb_str(&l, kind);
	for (unsigned i = 0; i < e->n_ctx; i++) {
		const struct rpc_ctx_item *it = &e->ctx[i];
		const char *xn = names_xfer(&it->xfer);
		lb_str(&l, i ? ", " : " ");
		lb_str(&l, names_iface_label(&it->iface, ub, sizeof ub));
		lb_str(&l, " v");
		lb_u64(&l, it->ver_major);
		lb_chr(&l, '.');
		lb_u64(&l, it->ver_minor);
		lb_chr(&l, '/');
		lb_str(&l, xn ? xn : uuid_str(&it->xfer, xb, sizeof xb));
		if (!it->answered)
			continue;
		if (it->result == 0)
			lb_str(&l, " accepted");
		else if (it->result == 3)
			lb_str(&l, " negotiated");
		else {
			const char *rn = names_ctx_result(it->result), *why = names_provider_reason(it->reason);
			lb_chr(&l, ' ');
			lb_str(&l, rn ? rn : "rejected");
			if (why) {
				lb_chr(&l, '(');
				lb_str(&l, why);
				lb_chr(&l, ')');
			}
		}
	}
	if (e->auth_level) {
		lb_str(&l, " auth=");
		lb_str(&l, names_auth_type(e->auth_type) ? names_auth_type(e->auth_type) : "?");
		lb_chr(&l, '/');
		lb_str(&l, names_auth_level(e->auth_level) ? names_auth_level(e->auth_level) : "?");
	}
	if (e->reply_ptype == 13) {
		const char *rn = names_bind_nak_reason(e->nak_reason);
		lb_str(&l, " -> bind_nak ");
		lb_str(&l, rn ? rn : "");
	} else if (!e->reply_frame) {
		lb_str(&l, " -> no answer");
	} else {
		const char *pn = names_ptype(e->reply_ptype);
		lb_str(&l, " -> ");
		lb_str(&l, pn ? pn : "(null)");
		if (e->sec_addr[0]) {
			lb_str(&l, " sec_addr ");
			lb_str(&l, e->sec_addr);
		}
	}
	if (e->reply_frame) {
		lb_str(&l, " frames=");
		lb_u64(&l, e->frame);
		lb_chr(&l, ',');
		lb_u64(&l, e->reply_frame);
	} else {
		lb_str(&l, " frame=");
		lb_u64(&l, e->frame);
	}
	lb_chr(&l, '\n');
	lb_end(&l);
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
	struct linebuf l;
	lb_init(&l, o->out);
	t_head(&l, ts, &e->ep);
	lb_chr(&l, ' ');
	lb_str(&l, e->has_iface ? names_iface_label(&e->iface, ub, sizeof ub) : "?");
	if (known_op) {
		if (opname) {
			lb_chr(&l, ' ');
			lb_str(&l, opname);
		} else {
			lb_str(&l, " op");
			lb_u64(&l, e->opnum);
		}
	} else {
		lb_str(&l, " (request not captured)");
	}
	if (e->iface_unconfirmed)
		lb_str(&l, " [context not confirmed by the server]");
	if (e->sealed)
		lb_str(&l, " [sealed: arguments encrypted]");
	if (e->fault) {
		const char *fn = names_fault(e->status);
		lb_str(&l, " -> fault ");
		lb_x32(&l, e->status);
		if (fn) {
			lb_chr(&l, ' ');
			lb_str(&l, fn);
		}
	} else if (!e->resp_frame) {
		lb_str(&l, " -> no response");
	} else if (e->has_rc) {
		const char *rn = rc_name(e);
		lb_str(&l, " -> ");
		if (rn)
			lb_str(&l, rn);
		else
			lb_x32(&l, e->rc);
	} else {
		lb_str(&l, " -> ok");
	}
	if (e->req_frame && e->resp_frame) {
		lb_str(&l, " frames=");
		lb_u64(&l, e->req_frame);
		lb_chr(&l, ',');
		lb_u64(&l, e->resp_frame);
	} else {
		lb_str(&l, " frame=");
		lb_u64(&l, e->req_frame ? e->req_frame : e->resp_frame);
	}
	if (e->incomplete)
		lb_str(&l, " incomplete");
	lb_chr(&l, '\n');
	lb_end(&l);
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
	struct linebuf l;
	lb_init(&l, o->out);
	t_head(&l, e->ts_us, &e->ep);
	lb_str(&l, " EPM ");
	lb_str(&l, op);
	lb_chr(&l, ' ');
	lb_str(&l, e->has_iface ? names_iface_label(&e->iface, ub, sizeof ub) : "?");
	if (e->has_iface) {
		lb_str(&l, " v");
		lb_u64(&l, e->ver_major);
		lb_chr(&l, '.');
		lb_u64(&l, e->ver_minor);
	}
	lb_str(&l, " -> ");
	lb_str(&l, e->has_tower ? e->binding : sn ? sn : "no tower");
	if (e->has_tower && e->status) {
		lb_str(&l, " (");
		lb_str(&l, sn ? sn : "error");
		lb_chr(&l, ')');
	}
	if (e->count > 1) {
		lb_str(&l, " [");
		lb_u64(&l, (uint32_t)(e->index + 1));
		lb_chr(&l, '/');
		lb_u64(&l, e->count);
		lb_chr(&l, ']');
	}
	if (e->annotation[0]) {
		lb_str(&l, " \"");
		lb_str(&l, e->annotation);
		lb_chr(&l, '"');
	}
	lb_str(&l, " frames=");
	lb_u64(&l, e->req_frame);
	lb_chr(&l, ',');
	lb_u64(&l, e->frame);
	lb_chr(&l, '\n');
	lb_end(&l);
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
	struct linebuf l;
	lb_init(&l, o->out);
	t_head(&l, e->ts_us, &e->ep);
	lb_str(&l, " EMSMDB EcRRegisterPushNotification");
	if (e->args_sealed) {
		lb_str(&l, " [sealed: callback not readable]");
	} else if (e->af) {
		lb_str(&l, " callback udp ");
		lb_str(&l, addr_port_str(&e->cb_ip, e->cb_port, ab, sizeof ab));
		lb_str(&l, " context ");
		lb_str(&l, hx);
	} else {
		lb_str(&l, " callback family ");
		lb_u64(&l, e->family_raw);
		lb_str(&l, " (unknown) context ");
		lb_str(&l, hx);
	}
	if (!e->has_rc) {
		lb_str(&l, " -> no response");
	} else {
		lb_str(&l, " -> ");
		if (rn)
			lb_str(&l, rn);
		else
			lb_x32(&l, e->rc);
	}
	if (e->resp_frame) {
		lb_str(&l, " frames=");
		lb_u64(&l, e->req_frame);
		lb_chr(&l, ',');
		lb_u64(&l, e->resp_frame);
	} else {
		lb_str(&l, " frame=");
		lb_u64(&l, e->req_frame);
	}
	lb_str(&l, " reg#");
	lb_u64(&l, e->reg_id);
	lb_chr(&l, '\n');
	lb_end(&l);
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
	char tb[RFC3339_LEN], s[ADDR_STRLEN + 8], d[ADDR_STRLEN + 8];
	struct linebuf l;
	lb_init(&l, o->out);
	lb_str(&l, fmt_rfc3339(e->ts_us, tb, sizeof tb));
	lb_chr(&l, ' ');
	lb_str(&l, addr_port_str(&e->src, e->sport, s, sizeof s));
	lb_str(&l, " -> ");
	lb_str(&l, addr_port_str(&e->dst, e->dport, d, sizeof d));
	lb_str(&l, " notification udp ");
	lb_u64(&l, e->len);
	lb_str(&l, " bytes ");
	lb_str(&l, hx);
	if (e->reg_id) {
		lb_str(&l, " -> reg#");
		lb_u64(&l, e->reg_id);
		lb_str(&l, " (");
		lb_str(&l, e->match_context ? "context" : "");
		lb_str(&l, e->match_context && e->match_addr ? "+" : "");
		lb_str(&l, e->match_addr ? "address" : "");
		lb_chr(&l, ')');
	} else {
		lb_str(&l, " -> no registration seen (from an EMSMDB server)");
	}
	lb_str(&l, " frame=");
	lb_u64(&l, e->frame);
	lb_chr(&l, '\n');
	lb_end(&l);
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
	const char *pn = names_ptype(e->ptype);
	struct linebuf l;
	lb_init(&l, o->out);
	t_head(&l, e->ts_us, &e->ep);
	lb_str(&l, " pdu ");
	lb_str(&l, e->connectionless ? "cl " : "");
	lb_str(&l, pn ? pn : "(null)");
	lb_str(&l, " call_id=");
	lb_u64(&l, e->call_id);
	if (e->has_iface) {
		lb_chr(&l, ' ');
		lb_str(&l, names_iface_label(&e->iface, ub, sizeof ub));
	}
	if (e->has_opnum) {
		lb_str(&l, " opnum=");
		lb_u64(&l, e->opnum);
	}
	lb_str(&l, " frame=");
	lb_u64(&l, e->frame);
	lb_chr(&l, '\n');
	lb_end(&l);
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
