/* \summary: DCE/RPC engine: turns flows into RPC events (binds, calls, EPM
 * answers, EMSMDB push registrations, UDP notifications)
 *
 * analyze (and later the curses screen) feed decoded packets with their
 * flow to rpc_packet(); the engine keeps per-connection DCE/RPC state in the
 * flow's app slot and reports completed events through struct rpc_sink.
 * It also keeps, for the whole capture, the endpoints learned from the
 * endpoint mapper and the push-notification registrations.
 *
 * Ownership: the engine owns all its state; event structs passed to the
 * sink are borrowed for the duration of the callback only.  Per-flow state
 * is freed by rpc_flow_free() (use it as the flow table's app_free after
 * calling rpc_flow_end()).
 */
#ifndef RPCWATCH_RPC_H
#define RPCWATCH_RPC_H

#include <stdint.h>
#include <stddef.h>
#include "addr.h"
#include "decode.h"
#include "flow.h"
#include "uuid.h"

#define RPC_MAX_CTX_PER_BIND 8
#define RPC_CONTEXT_MAX 64		/* bytes of rgbContext kept */

/* Transport-level endpoints of an event: client (initiator) and server. */
struct rpc_ep {
	uint8_t proto;		/* PROTO_TCP / PROTO_UDP */
	struct addr cli, srv;
	uint16_t cport, sport;
};

struct rpc_ctx_item {
	uint16_t ctx_id;
	struct rpc_uuid iface;
	uint16_t ver_major, ver_minor;
	struct rpc_uuid xfer;		/* first proposed, or the accepted one */
	uint16_t xfer_ver;
	uint8_t n_xfer;
	uint8_t answered;
	uint16_t result, reason;	/* from bind_ack / alter_context_resp */
};

struct rpc_bind_ev {
	struct rpc_ep ep;
	uint8_t ptype;			/* 11 bind / 14 alter_context */
	uint32_t call_id;
	uint64_t frame, reply_frame;	/* reply_frame 0: no answer seen */
	uint64_t ts_us, reply_ts_us;
	uint8_t reply_ptype;		/* 12, 13 or 15 */
	uint16_t nak_reason;
	char sec_addr[64];		/* bind_ack secondary address (server's port/pipe) */
	uint8_t auth_type, auth_level;	/* 0 when unauthenticated */
	uint8_t n_ctx;			/* items kept (<= RPC_MAX_CTX_PER_BIND) */
	uint8_t n_ctx_declared;
	struct rpc_ctx_item ctx[RPC_MAX_CTX_PER_BIND];
};

struct rpc_call_ev {
	struct rpc_ep ep;
	uint8_t connectionless;
	uint32_t call_id;		/* CO call_id, or CL sequence number */
	uint16_t ctx_id;
	uint16_t opnum;
	uint8_t has_iface;
	uint8_t iface_from_epm;		/* interface inferred from the endpoint map, no bind seen */
	uint8_t iface_unconfirmed;	/* from a bind whose answer was not captured */
	struct rpc_uuid iface;
	uint16_t ver_major, ver_minor;
	uint8_t ndr64;
	uint64_t req_frame, resp_frame;	/* 0: not seen */
	uint64_t req_ts_us, resp_ts_us;
	uint32_t req_stub_len, resp_stub_len;
	uint8_t req_frags, resp_frags;
	uint8_t fault;			/* answered by a fault (CO) or reject/fault (CL) */
	uint32_t status;		/* fault status */
	uint8_t has_rc;
	uint32_t rc;			/* method return value (last 4 stub bytes), where meaningful */
	uint8_t rc_table;		/* which names table rc belongs to: 0 none, 1 mapi, 2 epm */
	uint8_t auth_level;		/* of the request, 0 = none */
	uint8_t sealed;			/* stub encrypted (auth level 6): arguments not readable */
	uint8_t incomplete;		/* a gap cut the stub, or the request was not seen */
	uint8_t orphaned;		/* co_cancel / orphaned seen for this call */
	uint8_t detailed;		/* its results were reported as epm / notify_reg events */
};

enum rpc_epm_proto { RPC_EPM_TCP = 1, RPC_EPM_UDP, RPC_EPM_NP, RPC_EPM_HTTP, RPC_EPM_LRPC, RPC_EPM_OTHER };

struct rpc_epm_ev {
	struct rpc_ep ep;		/* the EPM conversation */
	uint16_t opnum;			/* 2 ept_lookup / 3 ept_map */
	uint64_t req_frame, frame;
	uint64_t ts_us;
	uint32_t status;
	uint8_t has_tower;		/* 0: the answer carried no tower (e.g. not registered) */
	uint32_t index, count;		/* this tower is index of count in the answer */
	struct rpc_uuid iface;		/* from the tower, or the requested interface */
	uint16_t ver_major, ver_minor;
	uint8_t has_iface;
	enum rpc_epm_proto proto;
	const char *protseq;		/* "ncacn_ip_tcp", ... */
	uint8_t has_ip;
	struct addr ip;
	uint8_t has_port;
	uint16_t port;
	char pipe[80];			/* ncacn_np pipe or ncalrpc endpoint */
	char host[80];			/* ncacn_np NetBIOS host */
	char annotation[65];		/* ept_lookup */
	char binding[160];		/* string binding, e.g. ncacn_ip_tcp:198.18.2.20[49163] */
};

struct rpc_notify_reg_ev {
	struct rpc_ep ep;		/* the EMSMDB connection */
	uint64_t req_frame, resp_frame;
	uint64_t ts_us;
	uint32_t reg_id;		/* 1-based, referenced by notify_udp */
	uint8_t af;			/* 4, 6 or 0 (unknown family) */
	uint16_t family_raw;
	struct addr cb_ip;
	uint16_t cb_port;
	uint8_t context[RPC_CONTEXT_MAX];
	uint16_t context_len;		/* bytes kept */
	uint16_t cb_context;		/* declared cbContext */
	uint32_t advise_bits;
	uint8_t answered, has_rc;
	uint32_t rc;
	uint32_t hnotification;
	uint8_t args_sealed;		/* request stub encrypted: callback unknown */
	uint8_t inconsistent;		/* max_count / cb / family size disagree */
};

struct rpc_notify_udp_ev {
	struct rpc_ep ep;		/* cli = server that sent it, as a UDP flow: src/dst */
	struct addr src, dst;
	uint16_t sport, dport;
	uint64_t frame;
	uint64_t ts_us;
	uint32_t len;
	uint32_t reg_id;		/* 0: no registration matched */
	uint8_t match_addr;		/* destination equals the registered callback */
	uint8_t match_context;		/* payload equals the registered rgbContext */
	uint8_t candidate;		/* unmatched, but shaped like a notification from an EMSMDB server */
	uint8_t payload[RPC_CONTEXT_MAX];
	uint16_t payload_len;		/* bytes kept */
};

/* One decoded PDU (for --pdus and the tshark cross-check). */
struct rpc_pdu_ev {
	struct rpc_ep ep;
	uint8_t connectionless;
	uint8_t to_server;
	uint64_t frame;
	uint64_t ts_us;
	uint8_t ptype, flags;
	uint8_t le;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
	uint8_t has_opnum;
	uint16_t opnum;
	uint16_t ctx_id;
	uint8_t has_iface;
	struct rpc_uuid iface;
};

struct rpc_sink {
	void *ctx;
	void (*bind)(void *ctx, const struct rpc_bind_ev *e);
	void (*call)(void *ctx, const struct rpc_call_ev *e);
	void (*epm)(void *ctx, const struct rpc_epm_ev *e);
	void (*notify_reg)(void *ctx, const struct rpc_notify_reg_ev *e);
	void (*notify_udp)(void *ctx, const struct rpc_notify_udp_ev *e);
	void (*pdu)(void *ctx, const struct rpc_pdu_ev *e);	/* may be NULL */
};

struct rpc_stats {
	uint64_t co_pdus, cl_pdus, bad_pdus, resyncs, gaps;
	uint64_t binds, calls, faults, unanswered, sealed_calls;
	uint64_t ptype[21];
	uint64_t epm_answers, endpoints_learned;
	uint64_t registrations, notify_udp, notify_matched;
	uint64_t capped;		/* stubs or tables that hit a cap */
};

/* A learned endpoint: the endpoint mapper said iface lives at srv:port/proto. */
struct rpc_endpoint {
	struct addr srv;
	uint16_t port;
	uint8_t proto;			/* PROTO_TCP / PROTO_UDP */
	struct rpc_uuid iface;
	uint16_t ver_major;
	uint64_t frame;			/* first seen */
	uint64_t ts_us;
};

struct rpc_engine;

struct rpc_engine *rpc_engine_new(const struct rpc_sink *sink);
void rpc_engine_free(struct rpc_engine *e);
/* Back to the state rpc_engine_new(sink) returns, keeping only the engine's
 * own two blocks (no state of any kind survives: endpoints, registrations,
 * CL calls, statistics are gone).  Frees what the engine allocated since;
 * flows still holding rpc state must be freed (rpc_flow_free) first, as
 * before rpc_engine_free.  For callers that run many independent inputs
 * (the fuzz harnesses). */
void rpc_engine_reset(struct rpc_engine *e, const struct rpc_sink *sink);
/* How long (capture seconds) a push registration is kept for late
 * notifications after its EMSMDB connection ended, once the registration
 * ring is full (0: 60 s, the default; analyze passes --notify-window).  See
 * rpc.c, struct reg_slot: memory follows the sessions of the last hold time. */
void rpc_engine_set_reg_hold(struct rpc_engine *e, uint32_t secs);

/* Feed one packet that flow_table_packet() attributed to flow f (dir 0:
 * orig->resp).  Packets without a flow (f == NULL) are ignored. */
void rpc_packet(struct rpc_engine *e, struct flow *f, int dir, const struct pkt *p);
/* The flow is leaving the table: flush its streams and report calls still
 * waiting for an answer.  Then free f->app with rpc_flow_free(). */
void rpc_flow_end(struct rpc_engine *e, struct flow *f);
void rpc_flow_free(void *app);
/* End of input: report connectionless calls still waiting for an answer. */
void rpc_engine_flush(struct rpc_engine *e);

const struct rpc_stats *rpc_engine_stats(const struct rpc_engine *e);
/* The learned endpoint table (read-only view). */
size_t rpc_endpoints(const struct rpc_engine *e, const struct rpc_endpoint **v);

#endif
