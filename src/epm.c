/* \summary: DCE/RPC endpoint mapper: protocol towers, ept_map and ept_lookup stubs
 * specification: C706 Appendix L (protocol towers), Appendix O (ept IDL),
 *                chapter 14 (NDR); MS-RPCE 2.2.5 (NDR64), 3.1.3.5.3 (towers)
 *
 * Tower octet string (not NDR: no alignment; lengths little-endian):
 *
 *   | floor_count u16 | floor 1 | floor 2 | ... |
 *   floor: | lhs_len u16 | lhs: proto id + data | rhs_len u16 | rhs |
 *
 *   floor 1  0x0d | interface UUID (LE) | major u16 LE ||  minor u16 LE
 *   floor 2  0x0d | transfer syntax UUID | major       ||  minor
 *   floor 3  0x0b RPC CO / 0x0a RPC CL / 0x0c LRPC     ||  minor u16
 *   floor 4+ 0x07 TCP, 0x08 UDP, 0x1f HTTP             ||  port u16 BE
 *            0x09 IPv4                                 ||  4 bytes
 *            0x0f named pipe, 0x10 LRPC endpoint,
 *            0x11 NetBIOS host                         ||  NUL-terminated
 *
 * twr_t is a conformant structure { u32 tower_length; byte octets[tower_length] },
 * so NDR hoists the array's max_count in front of tower_length:
 *
 *   | max_count (conf) | tower_length u32 | max_count octets |
 *
 * ept_map request:  | obj ref | [UUID] | tower ref | [twr_t] | handle(20) | max_towers |
 * ept_map response: | handle(20) | num_towers | towers[]: max_count offset actual_count |
 *                   | actual_count referent ids | each non-NULL twr_t | status |
 * ept_lookup request:  | inquiry_type | obj ref [UUID] | ifid ref [UUID major minor] |
 *                      | vers_option | handle(20) | max_ents |
 * ept_lookup response: | handle(20) | num_ents | entries[]: max_count offset actual_count |
 *                      | actual_count x ept_entry_t | each non-NULL twr_t | status |
 *   ept_entry_t: | object UUID | tower ref | annotation: offset, actual_count, chars |
 *   (annotation is "[string] char annotation[64]", a varying array inside the
 *   struct; the towers are the struct's deferred pointees, after the array)
 *
 * "conf" and referent ids are u32 in NDR20 and u64 aligned 8 in NDR64.
 */
#include "config.h"
#include "epm.h"

#include <stdio.h>
#include <string.h>

/* ---- tower octet string ------------------------------------------------ */

static void twr_bad(struct epm_tower *t, enum epm_twr_err why)
{
	if (!t->malformed) {
		t->malformed = 1;
		t->why = why;
	}
}

/* n more tower bytes at c?  If not, either the tower itself is short (the
 * bytes would run past its declared end: malformed) or the capture ended
 * first (t->cut is already set; not the tower's fault). */
static int twr_need(struct epm_tower *t, const struct cur *c, size_t n)
{
	if (cur_has(c, n))
		return 1;
	if (cur_off(c) + n > t->declared_len)
		twr_bad(t, EPM_TWR_SHORT);
	return 0;
}

/* Copy a NUL-terminated string from the window into dst (cap bytes with the
 * NUL), replacing bytes outside 0x20..0x7e by '?'.  Returns 1 when the
 * string was clipped or had no NUL inside the window. */
static int str_copy(struct cur *c, char *dst, size_t cap)
{
	size_t n = 0;
	int nul = 0, clipped = 0;
	while (cur_has(c, 1)) {
		uint8_t ch = cur_u8(c);
		if (ch == 0) {
			nul = 1;
			break;
		}
		if (n + 1 < cap)
			dst[n++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
		else
			clipped = 1;
	}
	dst[n] = '\0';
	return clipped || !nul;
}

#define SEEN_TCP 0x01u
#define SEEN_UDP 0x02u
#define SEEN_HTTP 0x04u
#define SEEN_NP 0x08u
#define SEEN_PIPE 0x10u
#define SEEN_TRANSPORT (SEEN_TCP | SEEN_UDP | SEEN_HTTP | SEEN_NP | SEEN_PIPE)

static void twr_unknown(struct epm_tower *t, uint8_t proto)
{
	if (!t->has_unknown) {
		t->has_unknown = 1;
		t->unknown_proto = proto;
	}
}

static void twr_port(struct epm_tower *t, uint8_t proto, struct cur *rhs)
{
	if (cur_left(rhs) != 2)
		twr_bad(t, EPM_TWR_BAD_ADDR);
	if (cur_left(rhs) >= 2 && !t->has_port) {
		t->port = cur_be16(rhs);
		t->port_proto = proto;
		t->has_port = 1;
	}
}

/* One floor; idx counts from 0.  lhs and rhs are exactly the floor's bytes. */
static void twr_floor(struct epm_tower *t, unsigned idx, struct cur *lhs, struct cur *rhs, unsigned *seen)
{
	if (!cur_has(lhs, 1)) {	/* lhs_len 0: there is no protocol id to read */
		twr_bad(t, EPM_TWR_EMPTY_LHS);
		return;
	}
	uint8_t proto = cur_u8(lhs);

	if (idx < 2) {		/* interface, then transfer syntax */
		if (proto != EPM_PROTO_UUID || cur_left(lhs) != 18 || cur_left(rhs) != 2)
			twr_bad(t, EPM_TWR_BAD_UUID_FLOOR);
		if (proto != EPM_PROTO_UUID || cur_left(lhs) < 18)
			return;
		struct rpc_uuid u;
		uuid_read(lhs, 1, &u);	/* always little-endian in a tower */
		uint16_t major = cur_le16(lhs);
		uint16_t minor = cur_left(rhs) >= 2 ? cur_le16(rhs) : 0;
		if (idx == 0) {
			t->iface = u;
			t->ver_major = major;
			t->ver_minor = minor;
			t->has_iface = 1;
		} else {
			t->xfer = u;
			t->xfer_major = major;
			t->xfer_minor = minor;
			t->has_xfer = 1;
		}
		return;
	}
	if (idx == 2) {		/* RPC protocol */
		t->rpc_proto = proto;
		if (proto != EPM_PROTO_RPC_CO && proto != EPM_PROTO_RPC_CL && proto != EPM_PROTO_LRPC)
			twr_unknown(t, proto);
		return;
	}
	switch (proto) {
	case EPM_PROTO_TCP:
		*seen |= SEEN_TCP;
		twr_port(t, proto, rhs);
		break;
	case EPM_PROTO_UDP:
		*seen |= SEEN_UDP;
		twr_port(t, proto, rhs);
		break;
	case EPM_PROTO_HTTP:
		*seen |= SEEN_HTTP;
		twr_port(t, proto, rhs);
		break;
	case EPM_PROTO_IP:
		if (cur_left(rhs) != 4)
			twr_bad(t, EPM_TWR_BAD_ADDR);
		if (cur_left(rhs) >= 4 && !t->has_ip) {
			cur_copy(rhs, t->ipv4, 4);
			t->has_ip = 1;
		}
		break;
	case EPM_PROTO_NAMED_PIPE:
	case EPM_PROTO_PIPE_NAME:
		*seen |= proto == EPM_PROTO_NAMED_PIPE ? SEEN_NP : SEEN_PIPE;
		if (!t->has_pipe) {
			t->str_clipped |= (uint8_t)str_copy(rhs, t->pipe, sizeof t->pipe);
			t->has_pipe = 1;
		}
		break;
	case EPM_PROTO_NETBIOS:
		if (!t->has_host) {
			t->str_clipped |= (uint8_t)str_copy(rhs, t->host, sizeof t->host);
			t->has_host = 1;
		}
		break;
	default:
		twr_unknown(t, proto);
		break;
	}
}

/* The protocol sequence follows from floor 3 and the one transport floor
 * (samba's map: ncacn_ip_tcp 0b/07/09, ncacn_http 0b/1f/09, ncadg_ip_udp
 * 0a/08/09, ncacn_np 0b/0f/11, ncalrpc 0c/10).  The host floor is not
 * required: a tower without it still names the protocol sequence. */
static enum epm_protseq twr_protseq(uint8_t rpc, unsigned seen)
{
	unsigned tr = seen & SEEN_TRANSPORT;
	switch (rpc) {
	case EPM_PROTO_RPC_CO:
		if (tr == SEEN_TCP)
			return EPM_NCACN_IP_TCP;
		if (tr == SEEN_HTTP)
			return EPM_NCACN_HTTP;
		if (tr == SEEN_NP)
			return EPM_NCACN_NP;
		break;
	case EPM_PROTO_RPC_CL:
		if (tr == SEEN_UDP)
			return EPM_NCADG_IP_UDP;
		break;
	case EPM_PROTO_LRPC:
		if (tr == SEEN_PIPE)
			return EPM_NCALRPC;
		break;
	}
	return EPM_PROTSEQ_UNKNOWN;
}

/* Decode caplen captured bytes of a tower whose declared length is declared. */
static void twr_parse(const uint8_t *p, size_t caplen, size_t declared, struct epm_tower *t)
{
	memset(t, 0, sizeof *t);
	t->declared_len = (uint32_t)declared;
	t->captured_len = (uint32_t)caplen;
	t->cut = caplen < declared;

	struct cur c;
	cur_init(&c, p, caplen);
	if (!twr_need(t, &c, 2))
		return;
	t->floor_count = cur_le16(&c);
	if (t->floor_count == 0) {
		twr_bad(t, EPM_TWR_NO_FLOORS);
		return;
	}
	t->more_than_6_floors = t->floor_count > 6;

	unsigned seen = 0;
	/* every floor consumes at least its two length fields, so a huge
	 * floor_count ends at the end of the bytes */
	for (unsigned i = 0; i < t->floor_count; i++) {
		if (!twr_need(t, &c, 2))
			break;
		uint16_t lhs_len = cur_le16(&c);
		if (!twr_need(t, &c, lhs_len))
			break;
		struct cur lhs = cur_sub(&c, lhs_len, NULL);
		if (!twr_need(t, &c, 2))
			break;
		uint16_t rhs_len = cur_le16(&c);
		if (!twr_need(t, &c, rhs_len))
			break;
		struct cur rhs = cur_sub(&c, rhs_len, NULL);
		twr_floor(t, i, &lhs, &rhs, &seen);
		t->floors_decoded++;
	}
	if (t->floors_decoded == t->floor_count && t->floor_count < 3)
		twr_bad(t, EPM_TWR_FEW_FLOORS);
	t->protseq = twr_protseq(t->rpc_proto, seen);
}

int epm_tower_decode(const uint8_t *p, size_t len, struct epm_tower *t)
{
	twr_parse(p, len, len, t);
	return t->malformed ? -1 : 0;
}

const char *epm_protseq_name(enum epm_protseq ps)
{
	switch (ps) {
	case EPM_NCACN_IP_TCP: return "ncacn_ip_tcp";
	case EPM_NCADG_IP_UDP: return "ncadg_ip_udp";
	case EPM_NCACN_NP: return "ncacn_np";
	case EPM_NCACN_HTTP: return "ncacn_http";
	case EPM_NCALRPC: return "ncalrpc";
	case EPM_PROTSEQ_UNKNOWN: break;
	}
	return "unknown";
}

const char *epm_twr_err_name(enum epm_twr_err e)
{
	switch (e) {
	case EPM_TWR_OK: return "ok";
	case EPM_TWR_SHORT: return "floor-past-end";
	case EPM_TWR_NO_FLOORS: return "no-floors";
	case EPM_TWR_FEW_FLOORS: return "few-floors";
	case EPM_TWR_EMPTY_LHS: return "empty-lhs";
	case EPM_TWR_BAD_UUID_FLOOR: return "bad-uuid-floor";
	case EPM_TWR_BAD_ADDR: return "bad-address-floor";
	}
	return "?";
}

int epm_tower_string(const struct epm_tower *t, char *buf, size_t n)
{
	char host[EPM_STR_MAX], ep[EPM_STR_MAX];

	if (t->has_ip)
		snprintf(host, sizeof host, "%u.%u.%u.%u", t->ipv4[0], t->ipv4[1], t->ipv4[2], t->ipv4[3]);
	else if (t->has_host)
		snprintf(host, sizeof host, "%s", t->host);
	else
		host[0] = '\0';

	int port_seq = t->protseq == EPM_NCACN_IP_TCP || t->protseq == EPM_NCADG_IP_UDP ||
		       t->protseq == EPM_NCACN_HTTP;
	if (t->has_port && (port_seq || !t->has_pipe))
		snprintf(ep, sizeof ep, "%u", t->port);
	else if (t->has_pipe)
		snprintf(ep, sizeof ep, "%s", t->pipe);
	else
		ep[0] = '\0';

	return snprintf(buf, n, "%s:%s[%s]", epm_protseq_name(t->protseq), host, ep);
}

/* ---- NDR helpers ------------------------------------------------------- */

static enum stub_status stub_invalid(const char **slot, const char *why)
{
	if (!*slot)
		*slot = why;
	return STUB_INVALID;
}

/* A twr_t pointee.  t == NULL walks it without keeping anything.
 * *parsed tells whether t was filled (its header was captured). */
static enum stub_status twr_read(struct ndr *n, struct epm_tower *t, const char **invalid,
				 uint64_t *max_out, uint32_t *len_out, int *parsed)
{
	uint64_t max = ndr_conf(n);
	uint32_t tl = ndr_u32(n);
	*parsed = 0;
	if (!ndr_ok(n))
		return STUB_TRUNCATED;
	if (max_out)
		*max_out = max;
	if (len_out)
		*len_out = tl;
	/* the array carries max_count octets; tower_length says how many of
	 * them are the tower, and cannot exceed them */
	if (max > NDR_MAX_COUNT)
		return stub_invalid(invalid, "twr_t max_count > 2^31-1");
	if (tl > max)
		return stub_invalid(invalid, "tower_length > max_count");
	if (t) {
		size_t cap = ndr_left(n) < tl ? ndr_left(n) : tl;
		twr_parse(ndr_pos(n), cap, tl, t);
		*parsed = 1;
	}
	return ndr_bytes(n, max) ? STUB_OK : STUB_TRUNCATED;
}

/* The trailing error_status_t.  It is aligned 4; in NDR64 the struct before
 * it may also carry a trailing gap to 8 (MS-RPCE NDR64 structure padding),
 * so when exactly one such gap plus the status remain, skip the gap. */
static int read_status(struct ndr *n, uint32_t *status)
{
	ndr_align(n, 4);
	if (n->ndr64 && ndr_off(n) % 8 == 4 && ndr_left(n) == 8)
		ndr_align(n, 8);
	*status = ndr_u32(n);
	return ndr_ok(n);
}

/* Conformant-varying array header sanity: offset + actual_count <= max_count. */
static int cv_header_ok(uint64_t max, uint64_t off, uint64_t actual)
{
	return max <= NDR_MAX_COUNT && off <= max && actual <= max - off;
}

/* ---- ept_map ----------------------------------------------------------- */

enum stub_status epm_map_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				    struct epm_map_req *r)
{
	struct ndr n;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);

	if (ndr_ptr(&n)) {	/* top-level pointer: the referent follows at once */
		ndr_uuid(&n, &r->object);
		r->has_object = ndr_ok(&n);
	}
	uint64_t ref = ndr_ptr(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	if (ref) {
		int parsed;
		r->has_tower = 1;
		enum stub_status s = twr_read(&n, &r->tower, &r->invalid, &r->tower_max_count,
					      &r->tower_length, &parsed);
		if (s != STUB_OK)
			return s;
	}
	ndr_ctx_handle(&n, r->entry_handle);
	r->max_towers = ndr_u32(&n);
	return ndr_ok(&n) ? STUB_OK : STUB_TRUNCATED;
}

enum stub_status epm_map_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				     struct epm_map_resp *r)
{
	struct ndr n;
	enum stub_status st = STUB_OK;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);

	ndr_ctx_handle(&n, r->entry_handle);
	r->num_towers = ndr_u32(&n);
	r->max_count = ndr_conf(&n);
	r->offset = ndr_conf(&n);
	r->actual_count = ndr_conf(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	if (!cv_header_ok(r->max_count, r->offset, r->actual_count))
		return stub_invalid(&r->invalid, "towers[] offset + actual_count > max_count");
	if (r->actual_count != r->num_towers)	/* length_is(*num_towers) */
		st = stub_invalid(&r->invalid, "towers[] actual_count != num_towers");

	/* the referent ids, then the non-NULL towers in the same order */
	size_t ps = ndr_conf_size(&n);
	if (r->actual_count > ndr_left(&n) / ps)
		return STUB_TRUNCATED;	/* not even the referent ids are all here */
	struct ndr refs;
	refs.le = n.le;
	refs.ndr64 = n.ndr64;
	refs.c = cur_sub(&n.c, (size_t)r->actual_count * ps, NULL);

	for (uint64_t i = 0; i < r->actual_count; i++) {
		if (ndr_ptr(&refs) == 0) {
			r->n_null++;
			continue;
		}
		struct epm_tower *t = r->n_towers < EPM_MAX_TOWERS ? &r->towers[r->n_towers] : NULL;
		int parsed;
		enum stub_status s = twr_read(&n, t, &r->invalid, NULL, NULL, &parsed);
		if (parsed)
			r->n_towers++;
		else if (!t && s == STUB_OK)
			r->n_dropped++;
		if (s != STUB_OK)
			return s;	/* truncated, or framing no longer trustworthy */
	}

	r->has_status = (uint8_t)read_status(&n, &r->status);
	return r->has_status ? st : STUB_TRUNCATED;
}

/* ---- ept_lookup -------------------------------------------------------- */

enum stub_status epm_lookup_req_decode(const uint8_t *stub, size_t len, int le, int ndr64,
				       struct epm_lookup_req *r)
{
	struct ndr n;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);

	r->inquiry_type = ndr_u32(&n);
	if (ndr_ptr(&n)) {
		ndr_uuid(&n, &r->object);
		r->has_object = ndr_ok(&n);
	}
	if (ndr_ptr(&n)) {	/* rpc_if_id_t { uuid; u16 vers_major; u16 vers_minor } */
		ndr_uuid(&n, &r->if_uuid);
		r->if_vers_major = ndr_u16(&n);
		r->if_vers_minor = ndr_u16(&n);
		r->has_ifid = ndr_ok(&n);
	}
	r->vers_option = ndr_u32(&n);
	ndr_ctx_handle(&n, r->entry_handle);
	r->max_ents = ndr_u32(&n);
	return ndr_ok(&n) ? STUB_OK : STUB_TRUNCATED;
}

/* One ept_entry_t (its fixed part: the tower is deferred).  e == NULL walks. */
static enum stub_status entry_read(struct ndr *n, struct epm_entry *e, uint64_t *tower_ref,
				   const char **invalid)
{
	struct rpc_uuid obj;
	ndr_align(n, n->ndr64 ? 8 : 4);	/* struct alignment: its widest member */
	ndr_uuid(n, &obj);
	*tower_ref = ndr_ptr(n);
	uint64_t off = ndr_conf(n);
	uint64_t cnt = ndr_conf(n);
	if (!ndr_ok(n))
		return STUB_TRUNCATED;
	const uint8_t *s = ndr_bytes(n, cnt);
	if (!s)
		return STUB_TRUNCATED;
	if (e) {
		struct cur sc;
		e->object = obj;
		e->has_tower = *tower_ref != 0;
		e->annotation_len = cnt > UINT32_MAX ? UINT32_MAX : (uint32_t)cnt;
		cur_init(&sc, s, (size_t)cnt);
		str_copy(&sc, e->annotation, sizeof e->annotation);
	}
	if (off > EPM_ANNOTATION_MAX || cnt > EPM_ANNOTATION_MAX - off)
		return stub_invalid(invalid, "annotation offset + actual_count > 64");
	return STUB_OK;
}

enum stub_status epm_lookup_resp_decode(const uint8_t *stub, size_t len, int le, int ndr64,
					struct epm_lookup_resp *r)
{
	struct ndr n;
	enum stub_status st = STUB_OK;
	memset(r, 0, sizeof *r);
	ndr_init(&n, stub, len, le, ndr64);

	ndr_ctx_handle(&n, r->entry_handle);
	r->num_ents = ndr_u32(&n);
	r->max_count = ndr_conf(&n);
	r->offset = ndr_conf(&n);
	r->actual_count = ndr_conf(&n);
	if (!ndr_ok(&n))
		return STUB_TRUNCATED;
	if (!cv_header_ok(r->max_count, r->offset, r->actual_count))
		return stub_invalid(&r->invalid, "entries[] offset + actual_count > max_count");
	if (r->actual_count != r->num_ents)
		st = stub_invalid(&r->invalid, "entries[] actual_count != num_ents");

	/* pass 1: the array elements.  Each is >= 28 bytes, so the loop ends
	 * at the end of the captured bytes whatever actual_count says. */
	struct ndr arr = n;	/* snapshot: pass 2 re-walks the elements for their tower refs */
	for (uint64_t i = 0; i < r->actual_count; i++) {
		struct epm_entry *e = i < EPM_MAX_ENTRIES ? &r->entries[i] : NULL;
		uint64_t ref;
		enum stub_status s = entry_read(&n, e, &ref, &r->invalid);
		if (s == STUB_TRUNCATED)
			return STUB_TRUNCATED;
		if (s != STUB_OK)
			st = s;
		if (e)
			r->n_entries++;
		else
			r->n_dropped++;
	}

	/* pass 2: the deferred towers, one per non-NULL tower ref, in order */
	for (uint64_t i = 0; i < r->actual_count; i++) {
		uint64_t ref;
		const char *ignore = NULL;
		entry_read(&arr, NULL, &ref, &ignore);
		if (!ref)
			continue;
		struct epm_tower *t = i < EPM_MAX_ENTRIES ? &r->entries[i].tower : NULL;
		int parsed;
		enum stub_status s = twr_read(&n, t, &r->invalid, NULL, NULL, &parsed);
		if (t && parsed)
			r->entries[i].tower_decoded = 1;
		if (s != STUB_OK)
			return s;
	}

	r->has_status = (uint8_t)read_status(&n, &r->status);
	return r->has_status ? st : STUB_TRUNCATED;
}
