/* \summary: active port probes: TCP SYN / UDP probes (libnet + libpcap, or connect() fallback)
 *
 * Ownership: probe_run() owns everything it opens (raw sockets, pcap handle, the
 * -w capture file) and closes it before returning; the caller owns targets[] and
 * results[] (n entries each).  probe_ports_parse() returns a malloc'd array the
 * caller frees with free().
 */
#ifndef RPCWATCH_PROBE_H
#define RPCWATCH_PROBE_H

#include <stdint.h>
#include <stddef.h>
#include "addr.h"

enum probe_state { PS_OPEN, PS_CLOSED, PS_FILTERED, PS_OPEN_FILTERED, PS_UNREACHABLE, PS_ERROR };

struct probe_target { struct addr dst; uint8_t proto /* 6 or 17 */; uint16_t port; };

struct probe_result {
	struct probe_target t;
	enum probe_state state;
	char reason[40];     /* nmap words: syn-ack, reset, no-response, admin-prohibited, host-prohibited,
	                        net-prohibited, port-unreach, host-unreach, net-unreach, udp-response,
	                        responder-echo, conn-refused, connected, ... */
	uint8_t has_by; struct addr by;  /* who answered (ICMP sender or the target) */
	uint8_t ttl;                     /* TTL/hop limit of the answer, 0 if none */
	uint32_t tries;                  /* probes sent */
	uint64_t rtt_us;                 /* 0 if no answer */
	uint64_t frame;                  /* frame number of the answer in the -w capture, 0 if none */
};

struct probe_opts {
	const char *iface;      /* NULL: chosen from the route to the target */
	uint32_t rate_pps;      /* default 10000 for raw probes (0 = default) */
	uint32_t retries;       /* extra tries for unanswered probes, default 1 */
	uint32_t wait_ms;       /* wait for stragglers after the last probe, default 1000 (0 = default) */
	int force_connect;      /* use connect()/UDP sockets instead of libnet+libpcap */
	const char *write_path; /* keep the probe traffic as a pcap here, NULL: no */
	uint16_t responder_port_hint; /* 0: UDP probes to ports without a protocol payload (all but 135)
	                               * carry the responder datagram; N: only ports >= N do, lower
	                               * ports get an empty datagram */
	int quiet;              /* do not print the one-line "falling back to connect() probes" note */
	/* added by "probe": */
	int udp_expect_responder; /* a responder is known to serve the UDP ports: silence is
	                           * "filtered" (no-response) instead of "open|filtered" */
};

/* Defaults for a zeroed probe_opts (documented values above). */
#define PROBE_DEFAULT_RATE 10000u
#define PROBE_DEFAULT_RETRIES 1u
#define PROBE_DEFAULT_WAIT_MS 1000u

/* Fill o with the defaults (rate 10000, retries 1, wait 1000 ms, everything else 0/NULL). */
void probe_opts_init(struct probe_opts *o);

struct probe_ctx;  /* opaque */

/* Probe n targets; results[i] answers targets[i]. Returns 0, or -1 with err filled (runtime error).
 * The connect() fallback note goes to stderr once per call unless o->quiet; a caller
 * making several calls sets quiet after the first so the note appears once per run.
 * Targets may mix IPv4/IPv6 and destinations (probed in one pass per address family
 * and outgoing interface).  Raw probes need CAP_NET_RAW; without it (or with
 * force_connect) connect()/UDP-socket probes are used and a note is printed once. */
int probe_run(const struct probe_opts *o, const struct probe_target *targets, size_t n,
	      struct probe_result *results, char *err, size_t errlen);

/* "open","closed","filtered","open|filtered","unreachable","error" */
const char *probe_state_name(enum probe_state s);

/* One entry of a parsed port list. */
struct probe_port { uint8_t proto; /* 6 or 17 */ uint16_t port; };

/* Parse a port list: comma-separated items, each a port "135" or a range "1024-1030"
 * (1..65535, lo <= hi; "-" alone or "1-" / "-1024" are not accepted; "0" is accepted only
 * inside an explicit range such as "0-65535").  A prefix "T:" or "U:" (also lower case,
 * also "tcp:"/"udp:") switches the protocol for this and the following items
 * ("T:135,45001,U:135,1024-1030" = TCP 135, 45001 and UDP 135, 1024..1030).  Items without
 * a prefix before any prefix use TCP.  Duplicates are dropped, order is kept.
 * On success returns 0 with *out a malloc'd array of *n entries (free() it; *out may
 * be NULL when *n is 0 - never for a successful parse, an empty list is an error).
 * On error returns -1 and writes a message naming the offending item into err. */
int probe_ports_parse(const char *spec, struct probe_port **out, size_t *n, char *err, size_t errlen);

/* ---- rpcwatch responder datagram format (documented in rpcwatch(1)) ----
 * Probe (request), 16 bytes, all big-endian:
 *   0  magic   "RWPR" (0x52 0x57 0x50 0x52)
 *   4  version 1
 *   5  type    1 = probe, 2 = answer
 *   6  port    destination port the prober aimed at (u16)
 *   8  nonce   64-bit random value chosen by the prober
 * Answer: same 16 bytes with type 2, port = the port the responder received on,
 *   and the nonce echoed unchanged; never longer than the probe (no amplification).
 * A prober accepts an answer only if magic, version, type 2, port and nonce match. */
#define PROBE_RESP_MAGIC 0x52575052u
#define PROBE_RESP_VERSION 1
#define PROBE_RESP_LEN 16
#define PROBE_RESP_T_PROBE 1
#define PROBE_RESP_T_ANSWER 2

/* Build a responder probe/answer datagram into buf (>= PROBE_RESP_LEN). Returns length. */
size_t probe_resp_build(uint8_t *buf, uint8_t type, uint16_t port, uint64_t nonce);
/* Parse a datagram; 1 if it is a well-formed responder message (fills type/port/nonce). */
int probe_resp_parse(const uint8_t *buf, size_t len, uint8_t *type, uint16_t *port, uint64_t *nonce);

#endif
