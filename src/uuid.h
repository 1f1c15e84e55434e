/* \summary: DCE UUIDs in canonical byte order
 *
 * struct rpc_uuid holds the 16 bytes in the order of the text form
 * ("a4f1db00-ca47-1067-b31f-00dd010662da" -> a4 f1 db 00 ca 47 ...), whatever
 * byte order the wire used.  On the wire (C706 / MS-RPCE 2.2.4.x) time_low,
 * time_mid and time_hi_and_version follow the data representation (NDR
 * drep, or always little-endian inside EPM tower floors) and the last 8
 * bytes are raw.
 */
#ifndef RPCWATCH_UUID_H
#define RPCWATCH_UUID_H

#include <stddef.h>
#include <stdint.h>
#include "cursor.h"

struct rpc_uuid {
	uint8_t b[16];
};

#define UUID_STRLEN 37	/* 36 characters + NUL */

/* Read a wire UUID (16 bytes) from the cursor; le = little-endian first three fields.
 * On truncation the cursor's flag is set and *u is zeroed. */
void uuid_read(struct cur *c, int le, struct rpc_uuid *u);
/* Convert 16 wire bytes. */
void uuid_from_wire(const uint8_t *p, int le, struct rpc_uuid *u);
/* Lower-case text form into buf (>= UUID_STRLEN); returns buf. */
char *uuid_str(const struct rpc_uuid *u, char *buf, size_t n);
/* Parse the 36-character text form (either case); 1 on success. */
int uuid_parse(struct rpc_uuid *u, const char *s);
int uuid_eq(const struct rpc_uuid *a, const struct rpc_uuid *b);
int uuid_is_nil(const struct rpc_uuid *u);

#endif
