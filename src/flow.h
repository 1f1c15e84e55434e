/* \summary: bounded flow table keyed by 5-tuple
 *
 * One struct flow per (proto, addr, port, addr, port), either direction.
 * The table never holds more than max_flows entries: when full, the least
 * recently active flow is evicted; flows idle for longer than the idle
 * timeout (capture time) are expired.  Both go through the emit callback
 * first, so analyze can print every flow exactly once while memory stays
 * bounded, and both are counted in struct flow_stats.
 *
 * Orientation: `orig` is the initiator — the sender of a bare SYN, the
 * receiver of a SYN-ACK, or, for mid-stream TCP and UDP, the side that
 * looks like a client (ephemeral port talking to a port < 1024), else the
 * sender of the first packet.  Index [0] of per-direction arrays is
 * orig->resp, [1] is resp->orig.
 *
 * Ownership: the table owns every struct flow.  A flow pointer returned by
 * flow_table_packet() is valid until the next call into the table.  The
 * `app` slot belongs to the caller; the table calls app_free (if set)
 * after emitting a flow and before reusing its memory.
 */
#ifndef RPCWATCH_FLOW_H
#define RPCWATCH_FLOW_H

#include <stdint.h>
#include <stddef.h>
#include "addr.h"
#include "decode.h"

#define FLOW_MAX_SYN_FRAMES 4

/* Why a flow left the table. */
enum flow_end {
	FLOW_END_FLUSH = 0,	/* end of input */
	FLOW_END_IDLE,		/* idle timeout */
	FLOW_END_EVICTED,	/* table full: least recently active dropped */
	FLOW_END_REUSED,	/* a new connection reused the 5-tuple */
};

/* An ICMP error attributed to a flow. */
struct flow_icmp {
	uint8_t family;		/* 4: ICMP, 6: ICMPv6 */
	uint8_t type, code;
	uint8_t ttl;		/* TTL/hop limit of the ICMP packet as received */
	uint8_t toward_orig;	/* quoted packet was resp->orig */
	struct addr from;	/* responder: router or host that sent the error */
	uint64_t frame;
	uint64_t ts_us;
};

struct flow {
	/* table links (private) */
	struct flow *hnext;
	struct flow *lru_prev, *lru_next;
	uint32_t hash;

	uint64_t id;		/* 1-based creation order */
	uint8_t proto;		/* PROTO_TCP / PROTO_UDP / other IP protocol */
	struct addr orig, resp;
	uint16_t oport, rport;

	uint64_t first_ts_us, last_ts_us;
	uint64_t first_frame, last_frame;
	uint64_t pkts[2];	/* [0] orig->resp, [1] resp->orig */
	uint64_t bytes[2];	/* L4 payload bytes as declared by the IP length */

	/* TCP handshake and teardown evidence */
	uint32_t syn;			/* bare SYNs from orig */
	uint32_t syn_retrans;		/* ... that repeated the first SYN's ISN */
	uint32_t syn_isn;
	uint64_t syn_frames[FLOW_MAX_SYN_FRAMES];
	uint64_t first_syn_ts_us;
	uint32_t orig_nonsyn;		/* orig packets that were neither bare SYN nor RST */
	uint32_t synack;		/* SYN+ACK from resp */
	uint64_t synack_frame;
	uint64_t synack_ts_us;
	uint32_t rst[2];
	uint64_t rst_frame[2];		/* first RST each way */
	uint32_t fin[2];
	uint8_t midstream;		/* TCP data seen without the opening SYN */
	uint8_t fragments;		/* some packet of the flow was an IP fragment */
	uint8_t icmp_only;		/* created from an ICMP error quote, no packet seen */
	uint8_t orig_ttl;		/* TTL/hop limit of the first orig->resp packet */
	uint8_t resp_ttl;		/* of the first resp->orig packet (0 = none) */

	uint32_t icmp_count;
	struct flow_icmp icmp;		/* first ICMP error */

	void *app;			/* caller's per-flow state (see app_free) */
	uint8_t app_probe;		/* caller's count of payloads inspected without attaching app */
	uint8_t notify;			/* rpc.c: a push notification in it went to its registration's
					 * callback address and port (diag: resp is a callback endpoint) */
};

struct flow_stats {
	uint64_t created;
	uint64_t active;
	uint64_t peak;
	uint64_t expired;
	uint64_t evicted;
	uint64_t icmp_attributed;	/* ICMP errors matched to a flow */
	uint64_t icmp_new;		/* ICMP errors that created a flow */
};

typedef void (*flow_emit_fn)(void *ctx, const struct flow *f, enum flow_end why);
typedef void (*flow_app_free_fn)(void *app);

struct flow_table;

struct flow_table_opts {
	size_t max_flows;		/* > 0 */
	uint32_t idle_timeout_s;	/* 0 = never expire on idleness */
	flow_emit_fn emit;		/* may be NULL */
	void *emit_ctx;
	flow_app_free_fn app_free;	/* may be NULL */
};

/* NULL on allocation failure or bad options. */
struct flow_table *flow_table_new(const struct flow_table_opts *o);
/* Emits nothing; frees every flow (calling app_free). */
void flow_table_free(struct flow_table *t);

/* The table's hash of a decoded TCP/UDP packet's flow, into p->flow_hash
 * (p->flow_hashed = 1), so that flow_table_packet() need not compute it;
 * other packets are left alone.  Reads only the table's hash seed, which
 * never changes: safe from another thread while the table is in use. */
void flow_table_pkt_hash(const struct flow_table *t, struct pkt *p);
/* Prefetch the hash bucket of hash h (stage 0), or the first flow chained
 * in it (stage 1, once the bucket has arrived).  Only a hint. */
void flow_table_prefetch(const struct flow_table *t, uint32_t h, int stage);

/* Account one decoded packet (p->status == DEC_OK, p->ipver != 0).
 * ICMP errors are attributed to the flow they quote (created if unseen).
 * Returns the flow touched, or NULL if the packet has no flow (non-error
 * ICMP, unknown protocol, non-first fragment).  *dir (may be NULL) gets
 * 0 for orig->resp, 1 for resp->orig. */
struct flow *flow_table_packet(struct flow_table *t, const struct pkt *p, int *dir);

/* Expire flows idle since before now_us - idle_timeout. Called by flow_table_packet too. */
void flow_table_expire(struct flow_table *t, uint64_t now_us);
/* Emit and remove every flow, oldest first (creation order). */
void flow_table_flush(struct flow_table *t);

const struct flow_stats *flow_table_stats(const struct flow_table *t);

/* Handshake outcome in words ("established", "refused", ...); see flow.c. */
const char *flow_state(const struct flow *f);

/* Call fn for every flow still in the table, most recently active first,
 * without changing anything (the curses screen's live view).  Returns the
 * number of flows visited. */
typedef void (*flow_visit_fn)(void *ctx, const struct flow *f);
size_t flow_table_foreach(const struct flow_table *t, flow_visit_fn fn, void *ctx);

#endif
