/* \summary: internals shared by rpc.c (engine), dcerpc.c (CO) and dcerpc_cl.c (CL) */
#ifndef RPCWATCH_RPC_INT_H
#define RPCWATCH_RPC_INT_H

#include "rpc.h"
#include "stream.h"

#define DCE_MAX_CTX 32		/* presentation contexts per connection */
#define DCE_MAX_CALLS 32	/* outstanding calls per connection */
#define DCE_MAX_BINDS 4		/* binds/alters awaiting their answer */
#define DCE_MAX_PDU 65535	/* frag_length is 16 bits */
#define DCE_STUB_CAP (256 * 1024)	/* reassembled stub kept for decoding */
#define DCE_CONN_STUB_MAX (1024 * 1024)	/* stub bytes kept by all calls of one connection together */
#define DCE_PROBE_SEGMENTS 8	/* data segments inspected before giving up on a flow */
#define DCE_RESYNC_MAX (64 * 1024)	/* bytes scanned for a header after a gap */
#define CL_RECENT 256		/* answered CL calls remembered to spot retransmissions */
#define DCE_CONN_REGS 4		/* push registrations remembered per connection */

struct dce_ctx {
	uint8_t valid;		/* proposed by a bind/alter_context, not rejected */
	uint8_t confirmed;	/* accepted by the server's bind_ack / alter_context_resp */
	uint8_t ndr64;
	uint16_t id;
	struct rpc_uuid iface;
	uint16_t ver_major, ver_minor;
};

struct dce_buf {
	uint8_t *p;
	uint32_t len, cap;
};

struct dce_call {
	uint8_t in_use;
	uint8_t req_done, resp_done;
	uint8_t keep_req, keep_resp;	/* stubs needed by an interface decoder */
	uint8_t le;			/* NDR byte order of the call's PDUs */
	struct rpc_call_ev ev;
	struct dce_buf req, resp;	/* reassembled stubs, when kept */
	uint8_t tail[8];		/* last bytes of the response stub */
	uint32_t tail_len;
	/* request-side results an interface decoder needs at response time */
	struct rpc_notify_reg_ev *reg;	/* EcRRegisterPushNotification only (malloc'd) */
	uint8_t have_epm_req;
	struct rpc_uuid epm_req_iface;
	uint16_t epm_req_vmaj, epm_req_vmin;
};

struct dce_framer {
	struct dce_buf b;
	uint8_t resync;		/* lost sync: scanning for a PDU header */
	uint32_t scanned;
};

/* Per-flow state (flow->app) */
struct dce_conn {
	uint8_t kind;		/* 1 = connection-oriented DCE/RPC */
	uint8_t client_dir;	/* flow direction whose sender is the RPC client */
	uint8_t dir_known;
	struct stream st[2];
	struct dce_framer fr[2];
	struct dce_ctx ctx[DCE_MAX_CTX];
	/* Binds and calls take memory only when used (a connection that carries
	 * one call at a time costs about 1.5 KB instead of 10 KB): binds is
	 * DCE_MAX_BINDS entries allocated at the first bind, each calls[i] is
	 * allocated the first time slot i is needed and kept (zeroed) for reuse
	 * until the connection is freed. */
	struct rpc_bind_ev *binds;
	uint8_t bind_used[DCE_MAX_BINDS];
	struct dce_call *calls[DCE_MAX_CALLS];
	struct flow *flow;
	/* push registrations made on this connection (rpc.c marks them ended
	 * with it; a fifth and later one is never marked: kept until the ring wraps) */
	uint32_t reg_ids[DCE_CONN_REGS];
	uint8_t nreg_ids;
};

struct rpc_engine {
	struct rpc_sink sink;
	struct rpc_stats st;
	/* the packet being processed (frames and times of events) */
	const struct pkt *cur;
	struct flow *cur_flow;
	int cur_dir;
	/* learned endpoints */
	struct rpc_endpoint *eps;
	size_t neps, caps_eps;
	/* EMSMDB servers seen (for unmatched notification candidates) */
	struct addr emsmdb_srv[64];
	size_t n_emsmdb_srv;
	/* push registrations: ring + two hash indexes (rpc.c: it grows up to
	 * REG_TABLE_MAX slots, then wraps) */
	struct reg_slot *regs;
	uint32_t nregs, reg_next, reg_cap;
	uint8_t reg_wrapped;		/* the ring has overwritten a slot: slot order is rotated (reg_next oldest) */
	uint32_t reg_hold_s;		/* keep a registration this long after its connection ended (0: default) */
	uint32_t reg_since_reclaim;	/* registrations added since reg_reclaim() last ran */
	uint8_t **reg_ext;		/* per slot: a context longer than the slot holds (NULL until one is seen) */
	uint32_t *h_addr, *h_ctx;	/* bucket heads: index + 1, 0 = empty */
	uint32_t hbuckets;		/* a power of two, as many as slots */
	uint32_t ctx_len_regs[RPC_CONTEXT_MAX + 1];	/* registrations held, by context length */
	uint32_t next_reg_id;
	struct rpc_scratch *scratch;	/* decoder results (rpc.c) */
	/* CL calls awaiting an answer */
	struct cl_call *cl;
	uint32_t ncl;
	/* CL calls recently answered (retransmissions are not new calls) */
	struct cl_done {
		uint8_t used;
		struct rpc_uuid act;
		uint32_t seq;
	} cl_recent[CL_RECENT];
	uint32_t cl_recent_next;
};

/* dcerpc.c */
struct dce_conn *dce_conn_new(struct flow *f);
void dce_conn_free(struct dce_conn *c);
void dce_conn_data(struct rpc_engine *e, struct dce_conn *c, int dir, const uint8_t *d, size_t n, int gap);
void dce_conn_end(struct rpc_engine *e, struct dce_conn *c);
void dce_conn_segment(struct rpc_engine *e, struct dce_conn *c, int dir, const struct pkt *p);
int dce_co_header_plausible(const uint8_t *d, size_t n);

/* dcerpc_cl.c */
int dce_cl_header_plausible(const uint8_t *d, size_t n);
void dce_cl_packet(struct rpc_engine *e, struct flow *f, int dir, const struct pkt *p);
void dce_cl_free(struct rpc_engine *e);
void dce_cl_flush(struct rpc_engine *e);	/* report unanswered calls, oldest first */

/* rpc.c: services for the decoders */
void rpc_ep_from_flow(const struct flow *f, int client_dir, struct rpc_ep *ep);
void rpc_call_complete(struct rpc_engine *e, struct dce_call *call);	/* stub decoders + emit */
void rpc_call_request_done(struct rpc_engine *e, struct dce_call *call);
int rpc_call_wants_stub(const struct rpc_uuid *iface, uint16_t opnum, int response);
int rpc_lookup_endpoint(const struct rpc_engine *e, const struct addr *srv, uint16_t port, uint8_t proto,
			struct rpc_uuid *iface, uint16_t *vmaj);
void rpc_note_emsmdb_server(struct rpc_engine *e, const struct addr *srv);

#endif
