/* \summary: probe engine internals shared by probe*.c and the unit tests
 *
 * Stateless answer mapping (masscan-style): every probe carries its index.
 *   TCP: source port = the run's tcp_sport; sequence number =
 *        cookie(key, src, dst, sport, dport) XOR (index << 2 | try & 3).
 *        A SYN-ACK or RST acknowledges seq + 1, an ICMP error quotes seq,
 *        so (ack - 1) or the quoted seq gives index and try back.
 *   UDP: source port = udp_base + index % udp_span; the answer (or the quote
 *        in an ICMP error) names source and destination port, which gives
 *        the index back (index = (sport - udp_base) + k * udp_span for the
 *        k whose target has that destination port).  The responder payload
 *        carries nonce(key, index), which the responder echoes.
 * An answer is accepted only if the decoded index is in range and the
 * target at that index has the answer's address, protocol and port.
 *
 * Ownership: struct probe_match borrows `tg` (the targets of one pass).
 */
#ifndef RPCWATCH_PROBE_INT_H
#define RPCWATCH_PROBE_INT_H

#include <stdint.h>
#include <stddef.h>
#include "probe.h"
#include "decode.h"

struct probe_key { uint64_t k0, k1; };

/* 32-bit keyed hash of a probe's addresses and ports. */
uint32_t probe_cookie(const struct probe_key *k, const struct addr *src, const struct addr *dst,
		      uint16_t sport, uint16_t dport);
/* 64-bit nonce for the responder payload of probe `index`. */
uint64_t probe_nonce(const struct probe_key *k, const struct addr *dst, uint16_t dport, uint32_t index);

/* Everything needed to map an answer back to a probe of one pass. */
struct probe_match {
	struct probe_key key;
	struct addr src;		/* our source address */
	const struct probe_target *tg;	/* targets of this pass */
	size_t n;
	uint16_t tcp_sport;
	uint16_t udp_base, udp_span;	/* UDP source ports udp_base .. udp_base+udp_span-1 */
};

/* Sequence number of probe `index`, try `try_no`. */
uint32_t probe_tcp_seq(const struct probe_match *m, const struct addr *dst, uint16_t dport,
		       uint32_t index, uint32_t try_no);
/* UDP source port of probe `index`. */
static inline uint16_t probe_udp_sport(const struct probe_match *m, uint32_t index)
{
	return (uint16_t)(m->udp_base + index % m->udp_span);
}

/* What one decoded answer says. */
struct probe_answer {
	uint32_t index;		/* into m->tg */
	uint32_t try_no;	/* TCP only, else 0 */
	enum probe_state state;
	const char *reason;	/* static string */
	struct addr by;
	uint8_t ttl;
	int spoofed;		/* a responder answer with the wrong nonce (not a verdict) */
};

/* Map a decoded packet to a probe.  Returns 1 with *a filled when p answers
 * one of m's probes, 0 otherwise (our own probes, unrelated traffic). */
int probe_match_pkt(const struct probe_match *m, const struct pkt *p, struct probe_answer *a);

/* Verdict for an ICMP/ICMPv6 error (type, code) answering a probe of proto;
 * returns 0 for types that are no verdict. */
int probe_icmp_verdict(int family, uint8_t type, uint8_t code, uint8_t proto,
		       enum probe_state *st, const char **reason);

/* UDP payload for a probe to `port`: the DCE/RPC CL ept_lookup request for 135,
 * the responder datagram otherwise (unless hint rules say empty).  Returns length
 * written to buf (cap >= 128). */
size_t probe_udp_payload(const struct probe_opts *o, uint16_t port, uint64_t nonce,
			 uint32_t seq, uint8_t *buf, size_t cap);
/* The connectionless DCE/RPC ept_lookup request (80-byte header + 40-byte stub). */
size_t probe_dcerpc_cl_lookup(uint8_t *buf, size_t cap, const uint8_t activity[16], uint32_t seq);

/* Build one probe packet (IP header onwards) with libnet into a context created
 * with LIBNET_NONE/RAW4/RAW6 (void * to keep libnet.h out of this header);
 * the caller passes the same *tags array (3 entries, start at 0) each time.
 * Returns 0, -1 on a libnet error (message in the context). */
int probe_build(void *libnet_ctx, int tags[3], const struct addr *src, const struct addr *dst,
		uint8_t proto, uint16_t sport, uint16_t dport, uint32_t seq,
		const uint8_t *payload, size_t plen);

/* Route lookup: the source address the kernel would use towards dst and the
 * interface that address is on.  Returns 0; -2 with err when there is no route
 * to dst (a verdict: unreachable, no-route); -1 with err on other failures. */
int probe_route(const struct addr *dst, struct addr *src, char *ifname, size_t ifcap, char *err, size_t errlen);

/* Monotonic and wall clocks, microseconds. */
uint64_t probe_now_us(void);
uint64_t probe_wall_us(void);

/* Engines: fill results for targets (already initialised to no-response). */
int probe_raw_run(const struct probe_opts *o, const struct probe_target *tg, size_t n,
		  struct probe_result *res, char *err, size_t errlen);
int probe_connect_run(const struct probe_opts *o, const struct probe_target *tg, size_t n,
		      struct probe_result *res, char *err, size_t errlen);
/* 1 if this process may open raw sockets (CAP_NET_RAW). */
int probe_have_raw(void);

/* Fill a result's reason field. */
void probe_set(struct probe_result *r, enum probe_state st, const char *reason);

#endif
