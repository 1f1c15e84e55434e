/* \summary: endpoint-mapper client: a real DCE/RPC connection-oriented client over TCP
 * specification: C706 chapters 12 (CO PDUs), 14 (NDR) and Appendix L (towers, ept_*)
 *
 * epmq_lookup() and epmq_map() open one TCP connection to o->target:o->port
 * (non-blocking connect bounded by o->timeout_ms), bind to the endpoint mapper
 * e1af8308-5d1f-11c9-91a4-08002b14effa v3.0 with the NDR 2.0 transfer syntax,
 * and call ept_lookup (opnum 2, every entry, paging through the entry_handle
 * context handle) or ept_map (opnum 3, one tower).  Each endpoint found is
 * handed to the callback as a struct epmq_entry; the verdict comes back as the
 * return value and in *res (status, a one-line human detail, and the numeric
 * code: bind_nak reason, fault status or ept status; errno for socket errors).
 *
 * Responses are decoded with the capture decoders of epm.h; the client only
 * builds requests, reassembles fragments (bounded by EPMQ_MAX_STUB) and reads
 * the CO headers through the bounded cursor.
 *
 * Ownership: every struct is caller-owned.  The entry passed to the callback
 * (and its iface_name, a static string from names.h) is valid only during the
 * call; copy what you keep.  The functions are reentrant (no globals) and
 * block for at most a few multiples of o->timeout_ms.
 */
#ifndef RPCWATCH_EPMQ_H
#define RPCWATCH_EPMQ_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "uuid.h"

struct epmq_opts {
	struct addr target;      /* server */
	uint16_t port;           /* 135 */
	uint32_t timeout_ms;     /* connect and per-call timeout, default 3000 */
	uint32_t max_entries;    /* stop paging after this many, default 4096 */
	uint32_t page_size;      /* (added) max_ents per ept_lookup call; 0 or > EPM_MAX_ENTRIES (64): 64 */
};

struct epmq_entry {
	struct rpc_uuid iface; uint16_t vmaj, vmin;
	const char *iface_name;          /* from names.h, NULL if unknown */
	char protseq[24];                /* "ncacn_ip_tcp", "ncadg_ip_udp", "ncacn_np", "ncacn_http", "ncalrpc", ... */
	uint8_t has_addr; struct addr addr;   /* host from the tower (0.0.0.0 is kept as given) */
	uint16_t port;                   /* tcp/udp/http port, 0 if none */
	char endpoint[80];               /* pipe or LRPC name, "" if none */
	char annotation[65];
	struct rpc_uuid object;
	char host[80];                   /* (added) NetBIOS host name of an ncacn_np tower, "" if none */
};

enum epmq_status { EPMQ_OK = 0, EPMQ_FILTERED /* no answer to SYN within timeout */, EPMQ_CLOSED /* RST/ECONNREFUSED */,
	EPMQ_UNREACHABLE, EPMQ_BIND_REJECTED, EPMQ_NOT_REGISTERED /* ept_map/lookup said 0x16c9a0d6 */,
	EPMQ_FAULT, EPMQ_PROTOCOL /* malformed answer */, EPMQ_TIMEOUT /* connected but no answer */, EPMQ_ERROR };

struct epmq_result { enum epmq_status status; char detail[160]; /* human text: "bind_nak: reason ...", "fault nca_s_op_rng_error" */ uint32_t code; };

typedef void (*epmq_entry_fn)(void *ctx, const struct epmq_entry *e);

/* ept_lookup over all entries (paging by entry_handle). Returns status; entries via cb. */
enum epmq_status epmq_lookup(const struct epmq_opts *o, epmq_entry_fn cb, void *ctx, struct epmq_result *res);

/* ept_map for one interface (iface version vmaj.vmin, protocol "ncacn_ip_tcp" or "ncadg_ip_udp"). */
enum epmq_status epmq_map(const struct epmq_opts *o, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			  const char *protseq, epmq_entry_fn cb, void *ctx, struct epmq_result *res);

const char *epmq_status_name(enum epmq_status s);  /* "ok","filtered","closed","unreachable","bind-rejected","not-registered","fault","protocol-error","timeout","error" */

/* ---- additions (helper "epm"): request builders and response parsing, exposed
 * for the unit tests and for callers that bring their own transport ---------- */

#define EPMQ_MAX_STUB (4u << 20)	/* reassembled response stub bound (4 MiB) */
#define EPMQ_MAX_FRAG 5840		/* max_xmit_frag / max_recv_frag proposed in the bind */

/* Defaults applied when a field of struct epmq_opts is 0. */
#define EPMQ_DEFAULT_PORT 135
#define EPMQ_DEFAULT_TIMEOUT_MS 3000
#define EPMQ_DEFAULT_MAX_ENTRIES 4096

/* Build a bind PDU (call_id, one presentation context id 0: EPM v3.0 / NDR 2.0)
 * into buf.  Returns its length (72), or 0 if n is too small. */
size_t epmq_build_bind(uint8_t *buf, size_t n, uint32_t call_id);

/* Build the ept_lookup stub: inquiry RPC_C_EP_ALL_ELTS, object and Ifid NULL,
 * vers_option RPC_C_VERS_ALL, entry_handle (20 bytes), max_ents.
 * Returns its length (40), or 0 if n is too small. */
size_t epmq_build_lookup_stub(uint8_t *buf, size_t n, const uint8_t entry_handle[20], uint32_t max_ents);

/* Build a 5-floor tower for iface vmaj.vmin + NDR 2.0 + RPC CO/TCP (udp == 0)
 * or RPC CL/UDP (udp != 0), port 0 and address 0.0.0.0 (the twr_t octets only).
 * Returns its length (75), or 0 if n is too small. */
size_t epmq_build_tower(uint8_t *buf, size_t n, const struct rpc_uuid *iface, uint16_t vmaj,
			uint16_t vmin, int udp);

/* Build the ept_map stub: object NULL, the tower above, a nil entry_handle,
 * max_towers.  Returns its length, or 0 if n is too small. */
size_t epmq_build_map_stub(uint8_t *buf, size_t n, const struct rpc_uuid *iface, uint16_t vmaj,
			   uint16_t vmin, int udp, const uint8_t entry_handle[20], uint32_t max_towers);

/* Wrap a stub in a single-fragment request PDU (context 0, opnum, little-endian
 * NDR).  Returns the PDU length, or 0 if n is too small. */
size_t epmq_build_request(uint8_t *buf, size_t n, uint32_t call_id, uint16_t opnum,
			  const uint8_t *stub, size_t stub_len);

/* Check a bind answer (one complete PDU of len bytes).  EPMQ_OK for a bind_ack
 * accepting context 0; EPMQ_BIND_REJECTED for bind_nak or a rejected context
 * (res->code = reject reason); EPMQ_PROTOCOL otherwise. */
enum epmq_status epmq_check_bind_answer(const uint8_t *pdu, size_t len, uint32_t call_id,
					struct epmq_result *res);

/* Response reassembly: feed complete PDUs of one call in order. */
struct epmq_reasm {
	uint8_t *stub;		/* malloc'd, grows up to EPMQ_MAX_STUB; free with epmq_reasm_free */
	size_t len, cap;
	uint32_t call_id;
	int le;			/* drep of the first fragment */
	int started, done;
};
void epmq_reasm_init(struct epmq_reasm *r, uint32_t call_id);
void epmq_reasm_free(struct epmq_reasm *r);
/* Add one PDU.  Returns EPMQ_OK with r->done set after PFC_LAST_FRAG, EPMQ_OK
 * with r->done clear when more fragments are needed, EPMQ_FAULT for a fault
 * PDU (res->code = status), EPMQ_PROTOCOL for anything malformed or unexpected
 * (wrong call_id, ptype, first/last flags out of order, stub over the bound). */
enum epmq_status epmq_reasm_add(struct epmq_reasm *r, const uint8_t *pdu, size_t len,
				struct epmq_result *res);

/* Length of the PDU that starts at p (its frag_length), 0 when fewer than 16
 * bytes are present or the header is not a plausible DCE/RPC v5 CO header. */
size_t epmq_pdu_length(const uint8_t *p, size_t n);

/* Fill e from a decoded tower (epm.h) plus object and annotation. */
struct epm_tower;
void epmq_entry_from_tower(struct epmq_entry *e, const struct epm_tower *t,
			   const struct rpc_uuid *object, const char *annotation);

/* The calls over a caller-supplied transport (the unit tests script a server
 * with it).  send: write all n bytes; recv_pdu: read one complete PDU (frag_length
 * bytes) into buf, at most cap, and set *len.  Both return EPMQ_OK, or a status
 * with res->detail filled; for EPMQ_TIMEOUT the detail is a suffix such as
 * " within 3000 ms" that the caller prefixes with what it waited for. */
struct epmq_io {
	void *ctx;
	enum epmq_status (*send)(void *ctx, const uint8_t *p, size_t n, struct epmq_result *res);
	enum epmq_status (*recv_pdu)(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct epmq_result *res);
};
enum epmq_status epmq_lookup_io(const struct epmq_io *io, uint32_t max_entries, uint32_t page_size,
				epmq_entry_fn cb, void *ctx, struct epmq_result *res);
enum epmq_status epmq_map_io(const struct epmq_io *io, const struct rpc_uuid *iface, uint16_t vmaj, uint16_t vmin,
			     const char *protseq, epmq_entry_fn cb, void *ctx, struct epmq_result *res);

#endif
