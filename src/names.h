/* \summary: names for DCE/RPC interfaces, operations and status codes
 *
 * The tables live in data/interfaces.tsv, data/opnums.tsv and data/status.tsv;
 * data/gen-names.awk turns them into src/names_gen.c (sorted const arrays and
 * binary search) at build time.  Nothing here allocates, and every returned
 * string is a static constant: never free it, it stays valid for the whole run.
 *
 * A lookup that finds nothing returns NULL (or 0 for counts), so callers print
 * the number themselves; NULL arguments are allowed and also give NULL.
 *
 * Interfaces are keyed by UUID only.  The version in the table is the one
 * usually bound, for display; servers accept other minor versions (EMSMDB 0.81
 * vs 0.82), so do not compare it when naming.  Several UUIDs may share one
 * short name and one opnum table (EFSRPC under \pipe\lsarpc and \pipe\efsrpc).
 */
#ifndef RPCWATCH_NAMES_H
#define RPCWATCH_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "uuid.h"

struct names_iface {
	const char *name;	/* short name, e.g. "EMSMDB", "SAMR", "ISystemActivator" */
	const char *desc;	/* one line for administrators */
	uint16_t ver_major, ver_minor;
};

/* ---- interfaces and operations ------------------------------------------------ */

/* The interface with this UUID, or NULL if unknown (also for transfer syntaxes). */
const struct names_iface *names_iface(const struct rpc_uuid *u);
/* Its short name, or NULL. */
const char *names_iface_name(const struct rpc_uuid *u);
/* Its short name, or else its UUID written into buf (at least UUID_STRLEN bytes). */
static inline const char *names_iface_label(const struct rpc_uuid *u, char *buf, size_t n)
{
	const char *nm = names_iface_name(u);
	return nm ? nm : uuid_str(u, buf, n);
}
/* The name of operation opnum of interface iface, or NULL if the interface or
 * the opnum is unknown.  DCOM interfaces count IUnknown's three methods, so
 * their own methods start at opnum 3 (RemoteCreateInstance is 4). */
const char *names_opnum(const struct rpc_uuid *iface, uint16_t opnum);

/* ---- status codes --------------------------------------------------------------- */

/* Name and description of code in one of the status tables, NULL when unknown.
 * Tables: "fault" (fault PDU status: nca_s_*, Win32 rpc_s_*, DCOM HRESULTs),
 * "epm" (ept_map/ept_lookup status), "mapi" (EMSMDB/NSPI ec* return values),
 * "bind_nak" (provider_reject_reason), "ctx_result" and "provider_reason"
 * (bind_ack results), "ptype", "auth_type", "auth_level". */
const char *names_status(const char *table, uint32_t code);
const char *names_status_desc(const char *table, uint32_t code);

/* Shorthands for the tables above, same NULL rule. */
const char *names_ptype(uint8_t ptype);
const char *names_fault(uint32_t status);
const char *names_mapi(uint32_t rc);
const char *names_epm_status(uint32_t st);
const char *names_bind_nak_reason(uint16_t r);
const char *names_ctx_result(uint16_t r);
const char *names_provider_reason(uint16_t r);
const char *names_auth_type(uint8_t t);
const char *names_auth_level(uint8_t l);

/* A transfer syntax UUID: "NDR", "NDR64", "bind-time-features" for any UUID
 * starting 6cb71c2c-9812-4540 (MS-RPCE 3.3.1.5.3; the last 8 bytes are the
 * feature bitmask), or NULL. */
const char *names_xfer(const struct rpc_uuid *u);

/* ---- iteration (tests, listings) ------------------------------------------------- */

/* Number of interface rows (transfer syntaxes excluded). */
size_t names_iface_count(void);
/* Row i in ascending UUID byte order, or NULL when i >= names_iface_count();
 * if uuid is not NULL it receives the row's UUID. */
const struct names_iface *names_iface_at(size_t i, struct rpc_uuid *uuid);
/* Number of named operations of an interface (0 if unknown). */
size_t names_opnum_count(const struct rpc_uuid *iface);
/* Operation i of iface in ascending opnum order: 1 and *opnum, *name set (either
 * may be NULL), or 0 when out of range. */
int names_opnum_at(const struct rpc_uuid *iface, size_t i, uint16_t *opnum, const char **name);
/* NULL-terminated list of the status table names, in ascending order. */
const char *const *names_status_tables(void);
/* Number of rows in a status table (0 if the table does not exist). */
size_t names_status_count(const char *table);
/* Row i of a table in ascending code order: 1 and *code, *name set (either may
 * be NULL), or 0 when out of range or the table does not exist. */
int names_status_at(const char *table, size_t i, uint32_t *code, const char **name);

#endif
