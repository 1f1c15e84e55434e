/* \summary: DCE/RPC endpoint mapper (EPM): protocol towers, ept_map and ept_lookup stubs
 *
 * Interface e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0.  The decoders take
 * the reassembled stub bytes of one call (DCE/RPC headers, auth padding and
 * sec_trailer already stripped), the NDR integer byte order and whether the
 * presentation context negotiated NDR64, and fill a caller-owned result.
 *
 * Ownership: every result struct is caller-owned and fixed-size; strings are
 * copied into it (never pointers into the stub), so a result outlives the
 * packet buffer.  Nothing is allocated; repeated items are capped
 * (EPM_MAX_TOWERS, EPM_MAX_ENTRIES) and what did not fit is counted.
 *
 * Captured versus declared: the stub may be shorter than its NDR says (a
 * snaplen or a lost segment).  Decoders then return STUB_TRUNCATED with the
 * fields read so far; counts reported are the declared ones (num_towers,
 * num_ents) next to how many were actually decoded.
 */
#ifndef RPCWATCH_EPM_H
#define RPCWATCH_EPM_H

#include <stddef.h>
#include <stdint.h>
#include "ndr.h"
#include "uuid.h"

#define EPM_MAX_TOWERS 16	/* towers kept from one ept_map response */
#define EPM_MAX_ENTRIES 64	/* entries kept from one ept_lookup response */
#define EPM_STR_MAX 80		/* pipe / host strings, including the NUL */
#define EPM_ANNOTATION_MAX 64	/* C706 ept_max_annotation_size */

#define EPM_OPNUM_LOOKUP 2
#define EPM_OPNUM_MAP 3

/* ept_s_not_registered: "no more entries" / endpoint not registered */
#define EPM_S_NOT_REGISTERED 0x16c9a0d6u

/* Tower floor protocol identifiers (C706 Appendix I and L; MS-RPCE 2.2.4.x) */
#define EPM_PROTO_TCP 0x07
#define EPM_PROTO_UDP 0x08
#define EPM_PROTO_IP 0x09
#define EPM_PROTO_RPC_CL 0x0a
#define EPM_PROTO_RPC_CO 0x0b
#define EPM_PROTO_LRPC 0x0c	/* samba: ncalrpc; wireshark: "SPX?" */
#define EPM_PROTO_UUID 0x0d
#define EPM_PROTO_NAMED_PIPE 0x0f	/* SMB named pipe, "\PIPE\lsass" */
#define EPM_PROTO_PIPE_NAME 0x10	/* local (LRPC) endpoint name */
#define EPM_PROTO_NETBIOS 0x11	/* NetBIOS host name */
#define EPM_PROTO_HTTP 0x1f	/* ncacn_http port */

enum epm_protseq {
	EPM_PROTSEQ_UNKNOWN = 0,
	EPM_NCACN_IP_TCP,	/* RPC CO + TCP (+ IP) */
	EPM_NCADG_IP_UDP,	/* RPC CL + UDP (+ IP) */
	EPM_NCACN_NP,		/* RPC CO + named pipe (+ NetBIOS host) */
	EPM_NCACN_HTTP,		/* RPC CO + HTTP (+ IP) */
	EPM_NCALRPC,		/* LRPC + endpoint name */
};

/* Why a tower is malformed (the first problem found). */
enum epm_twr_err {
	EPM_TWR_OK = 0,
	EPM_TWR_SHORT,		/* a floor runs past the declared end of the tower */
	EPM_TWR_NO_FLOORS,	/* floor count 0 */
	EPM_TWR_FEW_FLOORS,	/* fewer than the 3 floors every tower has */
	EPM_TWR_EMPTY_LHS,	/* a floor with lhs_len 0 (no protocol id) */
	EPM_TWR_BAD_UUID_FLOOR,	/* floor 1 or 2 is not a 0x0d floor of lhs 19 / rhs 2 bytes */
	EPM_TWR_BAD_ADDR,	/* port / IPv4 floor whose rhs is not 2 / 4 bytes */
};

struct epm_tower {
	/* tower octet string: declared tower_length and the bytes available.
	 * cut: the capture ended inside the tower; fields are decoded as far
	 * as it goes and that alone does not make the tower malformed. */
	uint32_t declared_len;
	uint32_t captured_len;
	uint8_t cut;

	uint16_t floor_count;		/* as declared */
	uint16_t floors_decoded;	/* floors read completely */
	uint8_t more_than_6_floors;	/* MS-RPCE 3.1.3.5.3: SHOULD be rejected */

	uint8_t has_iface, has_xfer;
	struct rpc_uuid iface;		/* floor 1 */
	uint16_t ver_major, ver_minor;
	struct rpc_uuid xfer;		/* floor 2 (NDR 8a885d04-... v2, NDR64 71710533-... v1) */
	uint16_t xfer_major, xfer_minor;

	uint8_t rpc_proto;		/* floor 3 protocol id (0x0b, 0x0a, 0x0c), 0 if absent */
	enum epm_protseq protseq;

	uint8_t has_port;
	uint8_t port_proto;		/* EPM_PROTO_TCP, _UDP or _HTTP */
	uint16_t port;			/* host order (wire is big-endian) */
	uint8_t has_ip;
	uint8_t ipv4[4];		/* network order */
	uint8_t has_pipe;
	char pipe[EPM_STR_MAX];		/* 0x0f named pipe or 0x10 LRPC endpoint */
	uint8_t has_host;
	char host[EPM_STR_MAX];		/* 0x11 NetBIOS host name */
	uint8_t str_clipped;		/* a string was longer than EPM_STR_MAX-1 or lacked its NUL */

	uint8_t has_unknown;
	uint8_t unknown_proto;		/* first protocol id rpcwatch does not know */

	uint8_t malformed;
	enum epm_twr_err why;
};

/* Decode a tower octet string (C706 Appendix L) of len bytes, all present.
 * Returns 0 when well-formed, -1 when malformed (t->malformed, t->why);
 * either way every field that could be read is filled.
 * Strings are copied with bytes outside 0x20..0x7e replaced by '?'. */
int epm_tower_decode(const uint8_t *p, size_t len, struct epm_tower *t);

/* "ncacn_ip_tcp", "ncadg_ip_udp", "ncacn_np", "ncacn_http", "ncalrpc", "unknown" */
const char *epm_protseq_name(enum epm_protseq ps);
const char *epm_twr_err_name(enum epm_twr_err e);

/* impacket-style string binding: "ncacn_ip_tcp:192.168.1.10[1025]",
 * "ncacn_np:HOST[\pipe\lsass]", "ncacn_http:1.2.3.4[593]", "ncalrpc:[EP]".
 * The host part is the IPv4 address, else the NetBIOS name, else empty;
 * the endpoint is the port for TCP/UDP/HTTP towers, else the pipe name.
 * Like snprintf: returns the full length, buf is always NUL-terminated
 * when n > 0. */
int epm_tower_string(const struct epm_tower *t, char *buf, size_t n);

/* ---- ept_map (opnum 3) ------------------------------------------------ */

struct epm_map_req {
	uint8_t has_object;		/* [in, ptr] uuid_p_t object != NULL and its UUID captured */
	struct rpc_uuid object;
	uint8_t has_tower;		/* [in, ptr] twr_p_t map_tower != NULL (tower holds what was captured) */
	uint64_t tower_max_count;	/* twr_t conformance */
	uint32_t tower_length;
	struct epm_tower tower;
	uint8_t entry_handle[20];	/* raw wire bytes */
	uint32_t max_towers;
	const char *invalid;		/* first NDR violation (static string), or NULL */
};

/* NDR64 note: the status is read aligned 4 after the last tower; when exactly
 * 8 bytes remain at 4 mod 8 the first 4 are taken as the trailing gap of the
 * last twr_t (MS-RPCE NDR64 structure padding), so both layouts decode. */
struct epm_map_resp {
	uint8_t entry_handle[20];
	uint32_t num_towers;		/* *num_towers as declared */
	uint64_t max_count, offset, actual_count;	/* towers[] header */
	uint32_t n_towers;		/* decoded into towers[] */
	uint32_t n_null;		/* NULL twr_p_t entries */
	uint32_t n_dropped;		/* non-NULL towers walked but not kept (cap) */
	struct epm_tower towers[EPM_MAX_TOWERS];
	uint8_t has_status;
	uint32_t status;		/* error_status_t; 0 ok, EPM_S_NOT_REGISTERED ... */
	const char *invalid;
};

enum stub_status epm_map_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				    struct epm_map_req *r);
enum stub_status epm_map_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				     struct epm_map_resp *r);

/* ---- ept_lookup (opnum 2) --------------------------------------------- */

struct epm_lookup_req {
	uint32_t inquiry_type;		/* rpc_c_ep_all_elts 0, match_by_if 1, _obj 2, _both 3 */
	uint8_t has_object;		/* non-NULL and captured */
	struct rpc_uuid object;
	uint8_t has_ifid;		/* [in, ptr] rpc_if_id_p_t Ifid != NULL and captured */
	struct rpc_uuid if_uuid;
	uint16_t if_vers_major, if_vers_minor;
	uint32_t vers_option;		/* 1 all, 2 compatible, 3 exact, 4 major only, 5 upto */
	uint8_t entry_handle[20];
	uint32_t max_ents;
	const char *invalid;
};

struct epm_entry {
	struct rpc_uuid object;
	uint8_t has_tower;		/* twr_p_t tower != NULL */
	uint8_t tower_decoded;		/* ... and its twr_t was captured into tower */
	struct epm_tower tower;
	uint32_t annotation_len;	/* actual_count as declared (includes the NUL) */
	char annotation[EPM_ANNOTATION_MAX + 1];	/* '?' for non-printables */
};

struct epm_lookup_resp {
	uint8_t entry_handle[20];
	uint32_t num_ents;		/* declared */
	uint64_t max_count, offset, actual_count;	/* entries[] header */
	uint32_t n_entries;		/* decoded into entries[] */
	uint32_t n_dropped;		/* entries walked but not kept (cap) */
	struct epm_entry entries[EPM_MAX_ENTRIES];
	uint8_t has_status;
	uint32_t status;
	const char *invalid;
};

enum stub_status epm_lookup_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				       struct epm_lookup_req *r);
enum stub_status epm_lookup_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					struct epm_lookup_resp *r);

#endif
