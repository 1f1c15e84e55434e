/* \summary: recognising one packet captured at several vantage points
 *
 * `rpcwatch analyze` given several files reads them merged by time (the
 * same order as mergecap).  When the files were captured at different
 * points of the path (client side and server side), most packets appear in
 * two of them.  merge keeps a short-lived index of packet fingerprints so
 * the second copy is recognised: it is not fed to the flow table and RPC
 * engine again, and its TTL tells which capture is nearer the sender.
 *
 * A fingerprint covers what a router does not change: addresses, protocol,
 * IP length and identification, ports, TCP flags/sequence/ack/window, ICMP
 * type/code and the first payload bytes; never the TTL or checksums.  NAT
 * between the capture points makes copies unrecognisable (they are then
 * treated as different packets; nothing is claimed about them).
 *
 * A copy matches only an entry from another file that no packet of its own
 * file has claimed yet, so identical retransmissions pair up one to one.
 * Entries live between one and two windows (two generations of an open
 * addressing table); each generation grows to at most max_entries, beyond
 * which new packets are not indexed (counted in stats.not_indexed).
 *
 * Ownership: struct merge owns its tables; nothing is borrowed.
 */
#ifndef RPCWATCH_MERGE_H
#define RPCWATCH_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define MERGE_MAX_FILES 32	/* files beyond this are never matched */

struct merge_seen {
	uint64_t frame;		/* the first copy's (merged) frame number */
	uint64_t ts_us;
	uint8_t file;		/* index of the file it came from */
	uint8_t ttl;
};

struct merge_stats {
	uint64_t indexed, copies, not_indexed;
};

struct merge;

/* window_us: how far apart in capture time two copies may be. */
struct merge *merge_new(uint64_t window_us, size_t max_entries);
void merge_free(struct merge *m);

/* 0 when the packet cannot be matched (not a decoded IP packet). */
uint64_t merge_fingerprint(const struct pkt *p);

/* Is p (read from file) a copy of a packet an other file already gave?
 * Returns 1 and fills *first if so; otherwise indexes p and returns 0. */
int merge_check(struct merge *m, const struct pkt *p, uint64_t fp, unsigned file, struct merge_seen *first);

const struct merge_stats *merge_stats(const struct merge *m);

#endif
