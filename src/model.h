/* \summary: the live model behind `rpcwatch watch`: analyze's pipeline, kept queryable
 *
 * The same pieces as analyze, wired the same way — decode_packet() ->
 * flow_table_packet() -> rpc_packet() with an rpc_sink that tees every event
 * into diag — plus what a screen needs between two packets:
 *   - endpoints with verdicts and roles, and findings, from diag_snapshot()
 *     (non-destructive; flows still in the table count as if they ended);
 *   - the most recent RPC calls (a ring: interface, operation, result);
 *   - push-notification registrations (client, callback, result,
 *     notifications seen, last seen; a ring, newest first);
 *   - the raw packets of the last minutes (a byte-bounded ring) so the screen
 *     can write them to a pcap file as evidence.
 * There is no second decoder: every verdict and finding text is diag's.
 *
 * Ownership: struct model owns everything.  Pointers returned by the
 * accessors (model_endpoint(), model_call(), ...) stay valid until the next
 * model_packet(), model_packet_decoded(), model_finish() or model_refresh()
 * call.  Strings in the view structs are copies or static constants; nothing
 * needs freeing.  Not thread-safe, except model_prepare().
 */
#ifndef RPCWATCH_MODEL_H
#define RPCWATCH_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "diag.h"
#include "rpc.h"

#define MODEL_CALLS_DEFAULT 1024	/* recent calls kept */
#define MODEL_REGS_DEFAULT 256		/* registrations kept */
#define MODEL_RING_BYTES_DEFAULT (64u << 20)	/* raw packet ring: 64 MiB of packet data */
#define MODEL_VIEW_MAX 4096		/* endpoints / findings kept per snapshot */

/* ---- a generic ring of fixed-size items, newest first on read ------------ */

struct mring {
	unsigned char *items;
	size_t size;		/* bytes per item */
	size_t cap;		/* > 0 */
	size_t head;		/* slot of the next push */
	size_t n;		/* items held (<= cap) */
	uint64_t pushed;	/* items ever pushed */
};

int mring_init(struct mring *r, size_t item_size, size_t cap);	/* 0, or -1 out of memory */
void mring_free(struct mring *r);
/* A zeroed slot for a new item; the oldest is overwritten when full. */
void *mring_push(struct mring *r);
/* Item i, 0 = newest; NULL when i >= n. */
void *mring_at(const struct mring *r, size_t i);

/* ---- a byte-bounded ring of raw packets ---------------------------------- */

struct mpkt {
	uint64_t ts_us;
	uint32_t caplen, len;
	size_t off;		/* in data */
};

struct pktring {
	unsigned char *data;
	size_t cap;		/* bytes of packet data */
	struct mpkt *rec;	/* circular: rec[(first + i) % rcap], i = 0 oldest */
	size_t rcap, first, n;
	uint64_t dropped;	/* packets pushed out to make room */
};

/* cap bytes of packet data and at most max_pkts packets (0: cap / 64). */
int pktring_init(struct pktring *r, size_t cap, size_t max_pkts);
void pktring_free(struct pktring *r);
/* Fault every page of both arrays in now (before the first push), so that
 * filling the ring later costs no page faults: on a live capture the
 * kernel zeroed 88 MB of fresh pages on the packet path while the first
 * 64 MiB of packets arrived (a fifth of watch's time to fill the ring on a
 * VM), and the capture queue overflowed meanwhile. */
void pktring_prefault(struct pktring *r);
/* Keep a copy (caplen is cut to the ring's size if larger); drops the oldest as needed. */
void pktring_push(struct pktring *r, uint64_t ts_us, const unsigned char *p, uint32_t caplen, uint32_t len);
/* Packet i, 0 = oldest; NULL when i >= n.  *data gets its bytes. */
const struct mpkt *pktring_at(const struct pktring *r, size_t i, const unsigned char **data);

/* ---- the model ------------------------------------------------------------ */

enum model_tone { TONE_NONE = 0, TONE_FINE, TONE_SUSPICIOUS, TONE_BLOCKED };

struct model_endpoint {
	struct addr server;
	uint8_t proto;			/* PROTO_TCP / PROTO_UDP */
	uint16_t port;
	char role[12];			/* epm, dynamic, pinned, notify, "" */
	char iface[48];			/* interface name, "" if unknown */
	char verdict[16];		/* diag's: open, closed, filtered, unreachable, open|filtered, unknown */
	char reason[40];		/* syn-ack, reset, no-response, admin-prohibited, ... */
	const char *label;		/* PortQry's words: LISTENING, NOT LISTENING, FILTERED, ...;
					 * without a verdict "not tried" (learned from the endpoint
					 * mapper only) or "no answer yet" */
	enum model_tone tone;
	uint8_t has_by;
	struct addr by;			/* responder of an ICMP error */
	uint8_t ttl;
	uint32_t attempts;
	uint64_t first_frame, first_ts_us;
};

struct model_call {
	uint64_t seq;			/* 1-based arrival order */
	uint64_t ts_us;
	uint64_t req_frame, resp_frame;
	struct rpc_ep ep;
	uint8_t connectionless;
	char iface[40];			/* name, UUID, or "?" */
	char op[48];			/* operation name, "opN", or "(request not captured)" */
	char result[200];		/* ok, ecNone, fault 0x... name, no response, -> binding */
	uint8_t failed;			/* fault, no response, or a non-zero return code */
	uint8_t sealed;
};

struct model_reg {
	uint32_t reg_id;
	struct rpc_ep ep;		/* client -> EMSMDB server */
	uint8_t af;			/* 0: callback unknown */
	struct addr cb_ip;
	uint16_t cb_port;
	uint8_t answered, has_rc, sealed;
	uint32_t rc;
	char result[48];		/* ecNone, ecNotSupported, 0x..., no answer, sealed */
	uint8_t failed;
	uint32_t notifications;
	uint64_t req_frame, resp_frame, last_notify_frame;
	uint64_t ts_us, last_seen_us;
};

struct model_stats {
	uint64_t packets, bytes;
	uint64_t decoded, undecoded;	/* truncated, invalid or not IP */
	uint64_t first_ts_us, last_ts_us;
	uint64_t calls, failed_calls, registrations, notifications;
	uint64_t snapshots;
};

struct model_opts {
	struct diag_opts dopts;		/* notify window, dynamic range */
	size_t max_flows;		/* 0: 65536 */
	uint32_t flow_timeout_s;	/* 0: never expire on idleness */
	size_t calls, regs;		/* ring sizes (0: defaults) */
	size_t ring_bytes;		/* raw packet ring (0: default; see pktring) */
};

struct model;

/* NULL when out of memory. linktype and snaplen are those of the source. */
struct model *model_new(const struct model_opts *o, int linktype, int snaplen);
void model_free(struct model *m);
/* pktring_prefault() the packet ring (live: call it once packets are being
 * queued by another thread, so that the time it takes, 8 ms to 0.5 s for
 * the default 88 MB on this project's VM, is not spent on the packet path
 * and does not hold up the reading). */
void model_prefault(struct model *m);

/* One captured packet, exactly as analyze reads one. */
void model_packet(struct model *m, uint64_t ts_us, const unsigned char *data, uint32_t caplen, uint32_t len);
/* The same for a packet someone already decoded (decode_packet() on data
 * with the model's link type, e.g. in reader.c's thread): p's ts_us,
 * caplen, wirelen and decode are used; p->frame is set to the model's frame
 * number.  data (p->caplen bytes, which p's payload points into) is copied
 * into the packet ring; neither is kept. */
void model_packet_decoded(struct model *m, struct pkt *p, const unsigned char *data);
/* A prepare hook for reader_set_prepare() / struct liveq_decode, with the
 * model as ctx: computes p's flow hash ahead (flow_table_pkt_hash).  Reads
 * only what never changes after model_new(), so another thread may call it
 * while the model is in use. */
void model_prepare(void *model, struct pkt *p);
/* End of a replayed file: flush flows and the RPC engine, as analyze does. */
void model_finish(struct model *m);
int model_finished(const struct model *m);

/* Recompute endpoints and findings (diag_snapshot).  now_us (0: capture
 * time) lets time-based rules fire in a quiet live capture.  Cheap when
 * nothing changed since the last refresh and now_us is 0.  0 or -1 (out of memory). */
int model_refresh(struct model *m, uint64_t now_us);
/* Something changed since the last model_refresh(). */
int model_dirty(const struct model *m);

size_t model_nendpoints(const struct model *m);
/* Healthy callback endpoints diag counted instead of listing (diag.h,
 * DIAG_NOTIFY_LISTED): not among model_endpoint(). */
uint64_t model_unlisted_callbacks(const struct model *m);
const struct model_endpoint *model_endpoint(const struct model *m, size_t i);	/* diag's order */
size_t model_nfindings(const struct model *m);
const struct diag_finding *model_finding(const struct model *m, size_t i);	/* newest first */
size_t model_ncalls(const struct model *m);
const struct model_call *model_call(const struct model *m, size_t i);		/* newest first */
size_t model_nregs(const struct model *m);
const struct model_reg *model_reg(const struct model *m, size_t i);		/* newest first */
/* Findings by severity, indexed by enum diag_sev. */
void model_counts(const struct model *m, unsigned counts[3]);
const struct model_stats *model_stats(const struct model *m);
const struct pktring *model_packets(const struct model *m);
/* Newest evidence frame of a finding (its age for "newest first"). */
uint64_t model_finding_frame(const struct diag_finding *f);

/* Write the packets of the last `seconds` of capture time (0: all kept) to a
 * new pcap file.  Returns the number written, or -1 with a message in err. */
long model_write_pcap(const struct model *m, const char *path, uint32_t seconds, char *err, size_t errlen);

/* ---- filtering and sorting for the screen ---------------------------------- */

/* A filter is words separated by blanks; an item matches when every word is a
 * case-insensitive substring of its address:port, port, protocol, interface,
 * role or verdict text (calls and registrations: client and server both).  An
 * empty or NULL filter matches everything. */
int model_endpoint_match(const struct model_endpoint *e, const char *filter);
int model_call_match(const struct model_call *c, const char *filter);
int model_reg_match(const struct model_reg *r, const char *filter);
int model_finding_match(const struct diag_finding *f, const char *filter);

/* Sort keys per pane; model_sort_*() sort arrays of pointers in place (stable
 * ties by address).  Key names for the screen: model_sort_name(). */
enum model_pane { PANE_ENDPOINTS = 0, PANE_CALLS, PANE_REGS, PANE_FINDINGS, PANE__COUNT };
#define MODEL_SORT_KEYS 3
const char *model_sort_name(enum model_pane pane, int key);
/* Endpoints: 0 trouble first (blocked, suspicious, fine), 1 address, 2 port. */
void model_sort_endpoints(const struct model_endpoint **v, size_t n, int key);
/* Calls: 0 newest first, 1 failed first, 2 interface. */
void model_sort_calls(const struct model_call **v, size_t n, int key);
/* Registrations: 0 newest first, 1 failed first, 2 client address. */
void model_sort_regs(const struct model_reg **v, size_t n, int key);
/* Findings: 0 newest first, 1 most severe first, 2 kind. */
void model_sort_findings(const struct diag_finding **v, size_t n, int key);

/* PortQry's word and the screen's colour for a diag verdict. */
const char *model_verdict_label(const char *verdict);
enum model_tone model_verdict_tone(const char *verdict, const char *role);

#endif
