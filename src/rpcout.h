/* \summary: text and JSON Lines writers for RPC events (analyze; see rpcwatch(1)) */
#ifndef RPCWATCH_RPCOUT_H
#define RPCWATCH_RPCOUT_H

#include <stdio.h>
#include "json.h"
#include "rpc.h"

/* Opens a JSON record of `type` at `ts` (the caller's, so the schema header comes first). */
typedef void (*rpcout_record_fn)(void *ctx, const char *type, uint64_t ts_us);

struct rpcout {
	FILE *out;
	int json;
	struct jw *jw;
	rpcout_record_fn record;
	void *record_ctx;
};

/* A sink whose callbacks print through o (o must outlive the sink). */
void rpcout_sink(struct rpcout *o, struct rpc_sink *s, int with_pdus);

#endif
