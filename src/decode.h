/* \summary: packet decode result and the per-protocol decoder entry points
 *
 * decode_packet() turns one captured frame into a struct pkt: link layer,
 * IP (v4/v6 with extension headers), and the TCP/UDP/ICMP/ICMPv6 header,
 * including the quoted IP+L4 header inside ICMP errors.  All reads go
 * through struct cur (cursor.h); nothing reads past the captured length.
 *
 * Ownership: struct pkt borrows the frame bytes (payload points into the
 * caller's buffer); it is valid only until the next frame is read.
 */
#ifndef RPCWATCH_DECODE_H
#define RPCWATCH_DECODE_H

#include <stdint.h>
#include <stddef.h>
#include "cursor.h"
#include "addr.h"

/* Outcome of decoding one frame, most to least useful. */
enum dec_status {
	DEC_OK = 0,		/* decoded through L4 (or L3 for other protocols) */
	DEC_TRUNCATED,		/* captured bytes end inside a header we needed */
	DEC_INVALID,		/* header violates its specification */
	DEC_NOT_IP,		/* link layer fine, payload is not IPv4/IPv6 (ARP...) */
	DEC_UNSUPPORTED_LINK,	/* link type rpcwatch does not decode */
};

/* Which layer a truncated/invalid frame failed in (stable names, see decode_layer_name). */
enum dec_layer {
	LAYER_NONE = 0, LAYER_LINK, LAYER_VLAN, LAYER_IPV4, LAYER_IPV6, LAYER_IPV6_EXT,
	LAYER_TCP, LAYER_UDP, LAYER_ICMP, LAYER_ICMP6, LAYER_ICMP_QUOTE,
	LAYER__COUNT
};

/* TCP flag bits as on the wire (byte 13). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP6 58

/* The IP+L4 header quoted inside an ICMP/ICMPv6 error (RFC 792, RFC 4443). */
struct quoted {
	uint8_t valid;		/* the quoted IP header decoded */
	uint8_t has_ports;	/* ... and its first 4 L4 bytes were present */
	uint8_t proto;
	struct addr src, dst;	/* of the original (offending) packet */
	uint16_t sport, dport;
	uint32_t tcp_seq;	/* when proto == TCP and 8 bytes were quoted */
	uint8_t has_seq;
};

struct pkt {
	/* capture metadata, filled by the caller */
	uint64_t frame;		/* 1-based frame number */
	uint64_t ts_us;		/* capture timestamp, microseconds since epoch UTC */
	uint32_t caplen, wirelen;

	enum dec_status status;
	enum dec_layer fail_layer;	/* where status != DEC_OK happened */

	/* link */
	uint16_t ethertype;
	uint8_t nvlan;
	uint16_t vlan[2];	/* outer first; deeper tags are counted, not kept */

	/* IP */
	uint8_t ipver;		/* 0 (none), 4 or 6 */
	struct addr src, dst;
	uint8_t ttl;		/* IPv4 TTL / IPv6 hop limit */
	uint16_t ip_id;		/* IPv4 identification (0 for IPv6) */
	uint8_t proto;		/* final upper-layer protocol number */
	uint32_t ip_len;	/* declared IP datagram length (header + payload) */
	uint8_t is_fragment;	/* IPv4 MF/offset or IPv6 fragment header */
	uint8_t frag_later;	/* a non-first fragment: no L4 header here */
	uint8_t ip_clamped;	/* captured IP bytes < declared (snaplen) */
	uint32_t l4_len;	/* declared bytes from the L4 header on (IP payload minus extension headers) */

	/* L4 */
	uint8_t has_l4;		/* L4 header decoded into the fields below */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t icmp_type, icmp_code;
	uint8_t icmp_is_error;	/* an ICMP error quoting another packet */
	struct quoted q;

	uint8_t l4_clamped;	/* L4 options or payload cut by the snaplen (header fields still valid) */
	/* L4 payload: captured bytes (borrowed) and declared length */
	const uint8_t *payload;
	uint32_t payload_caplen;
	uint32_t payload_len;
	/* set after decoding by whoever reads ahead (flow_table_pkt_hash) */
	uint8_t flow_hashed;	/* flow_hash holds the flow table's hash of the 5-tuple */
	uint32_t flow_hash;
};

/* Link types rpcwatch decodes, by DLT value from pcap_datalink(). */
int decode_link_supported(int dlt);

/* Decode one frame.  The caller fills frame/ts_us/caplen/wirelen first.
 * Returns p->status. */
enum dec_status decode_packet(int dlt, const uint8_t *data, struct pkt *p);

const char *decode_layer_name(enum dec_layer l);

/* ---- per-protocol decoders (one file each).  Each consumes its header from
 * `c`, fills `p`, and returns DEC_OK or the failure; on failure it sets
 * p->fail_layer.  Link decoders leave `c` at the network-layer header and
 * return the ethertype (or 0x0800/0x86dd) through *etype. */
enum dec_status ether_decode(struct pkt *p, struct cur *c, uint16_t *etype);
enum dec_status sll_decode(struct pkt *p, struct cur *c, uint16_t *etype);
enum dec_status sll2_decode(struct pkt *p, struct cur *c, uint16_t *etype);
enum dec_status null_decode(struct pkt *p, struct cur *c, uint16_t *etype, int loop);

/* IP layer: parse the header from `c`, leave `c` on the L4 header clamped to the declared length. */
enum dec_status ipv4_decode(struct pkt *p, struct cur *c);
enum dec_status ipv6_decode(struct pkt *p, struct cur *c);
/* Dispatch on ethertype / IP version nibble, then to the L4 decoders. */
enum dec_status ip_decode(struct pkt *p, struct cur *c, uint16_t etype);

enum dec_status tcp_decode(struct pkt *p, struct cur *c);
enum dec_status udp_decode(struct pkt *p, struct cur *c);
enum dec_status icmp_decode(struct pkt *p, struct cur *c);
enum dec_status icmp6_decode(struct pkt *p, struct cur *c);

/* Parse the quoted IPv4/IPv6 header + first 8 L4 bytes of an ICMP error
 * body into *q.  Never fails the outer packet: q->valid says if it worked. */
void icmp_quote_decode(struct quoted *q, struct cur *c);

/* Short stable name for an ICMP/ICMPv6 type+code ("port-unreachable",
 * "admin-prohibited", "ttl-exceeded", ...), or NULL if unnamed. family 4 or 6. */
const char *icmp_code_name(int family, uint8_t type, uint8_t code);

#endif
