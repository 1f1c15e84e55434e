/* \summary: bench/gen: write a large synthetic pcap of Exchange push-notification
 * sessions mixed with unrelated TCP and UDP traffic, for bench/run.sh
 *
 * Every session comes from its own client address (198.18.16.0 upwards; past
 * about 110,000 sessions addresses are reused, hours of capture time later):
 *
 *   1. TCP to the endpoint mapper (135): handshake, bind EPM v3.0, ept_map
 *      for EMSMDB (request tower with port 0 / 0.0.0.0, answer tower naming
 *      the server's dynamic port), FIN both ways;
 *   2. TCP to that dynamic port: bind EMSMDB a4f1db00-ca47-1067-b31f-00dd010662da
 *      v0.81, EcDoConnectEx (opnum 10, an approximate stub), then
 *      EcRRegisterPushNotification (opnum 4) with a per-session rgbContext of
 *      8..16 bytes and an AF_INET callback on a client UDP port, answered ecNone;
 *   3. UDP datagrams from the server to that callback carrying the rgbContext,
 *      each followed by an EcDoRpcExt2 (opnum 11) on the EMSMDB connection;
 *      EcDoDisconnect (opnum 1) and FIN at the end (about a minute later).
 *
 * Around each session its client also makes HTTPS-like TCP flows and DNS-like
 * UDP lookups (the noise).  PDU layouts follow /work/shared/reference/rpc-facts.md
 * (sections 1.5, 1.6, 1.8, 3.2-3.4, 4.3, 4.4, 5).  Sessions start at a fixed
 * rate (-r per second of capture time), so a capture 10x larger covers 10x the
 * time with the same number of concurrent flows.  Output: classic pcap,
 * Ethernet, microsecond timestamps.  Deterministic for a given seed.
 *
 * Addresses: 198.18.0.0/15 only (RFC 2544).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- options and random ------------------------------------------------------ */

struct opts {
	unsigned long sessions;
	unsigned https, dns;		/* noise flows per session */
	double rate;			/* sessions started per second */
	unsigned notifies;		/* UDP notifications per session */
	uint64_t seed;
	const char *out;
};

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}
static uint32_t rnd_range(uint32_t lo, uint32_t hi) { return lo + rnd() % (hi - lo + 1); }

/* ---- actors: one per flow group, packets generated ahead, merged by time ---- */

struct pktref {
	uint64_t ts;
	uint32_t off, len;
};

struct actor {
	struct pktref *p;
	size_t np, capp, next;
	uint8_t *d;
	size_t nd, capd;
	uint64_t order;			/* tie-break: creation order */
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fprintf(stderr, "gen: out of memory\n");
		exit(2);
	}
	return q;
}

static uint8_t *actor_pkt(struct actor *a, uint64_t ts, size_t len)
{
	if (a->np == a->capp) {
		a->capp = a->capp ? a->capp * 2 : 32;
		a->p = xrealloc(a->p, a->capp * sizeof *a->p);
	}
	if (a->nd + len > a->capd) {
		while (a->nd + len > a->capd)
			a->capd = a->capd ? a->capd * 2 : 8192;
		a->d = xrealloc(a->d, a->capd);
	}
	struct pktref *r = &a->p[a->np++];
	r->ts = ts;
	r->off = (uint32_t)a->nd;
	r->len = (uint32_t)len;
	a->nd += len;
	return a->d + r->off;
}

/* Packets must be appended in time order per actor; keep it so. */
static void actor_sort(struct actor *a)
{
	for (size_t i = 1; i < a->np; i++) {
		struct pktref x = a->p[i];
		size_t j = i;
		while (j > 0 && a->p[j - 1].ts > x.ts) {
			a->p[j] = a->p[j - 1];
			j--;
		}
		a->p[j] = x;
	}
}

/* min-heap of actors by their next packet's time */
static struct actor **heap;
static size_t nheap, capheap;

static int heap_less(const struct actor *x, const struct actor *y)
{
	uint64_t a = x->p[x->next].ts, b = y->p[y->next].ts;
	return a < b || (a == b && x->order < y->order);
}

static void heap_push(struct actor *a)
{
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 1024;
		heap = xrealloc(heap, capheap * sizeof *heap);
	}
	size_t i = nheap++;
	heap[i] = a;
	while (i > 0) {
		size_t pi = (i - 1) / 2;
		if (!heap_less(heap[i], heap[pi]))
			break;
		struct actor *t = heap[i];
		heap[i] = heap[pi];
		heap[pi] = t;
		i = pi;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < nheap && heap_less(heap[l], heap[m]))
			m = l;
		if (r < nheap && heap_less(heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		struct actor *t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

/* ---- packet building --------------------------------------------------------- */

static void put16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}
static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static uint16_t ip_id;

/* Ethernet + IPv4 + TCP/UDP; returns nothing, appends to the actor. */
static void l4_pkt(struct actor *a, uint64_t ts, int tcp, uint32_t src, uint32_t dst, uint16_t sport,
		   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
	size_t l4h = tcp ? 20 : 8;
	size_t len = 14 + 20 + l4h + n;
	uint8_t *p = actor_pkt(a, ts, len);
	/* MACs: 02:00 + IPv4 address (locally administered) */
	p[0] = 0x02; p[1] = 0x00; put32be(p + 2, dst);
	p[6] = 0x02; p[7] = 0x00; put32be(p + 8, src);
	p[12] = 0x08; p[13] = 0x00;
	uint8_t *ip = p + 14;
	ip[0] = 0x45; ip[1] = 0;
	put16be(ip + 2, (uint16_t)(20 + l4h + n));
	put16be(ip + 4, ip_id++);
	put16be(ip + 6, 0x4000);	/* DF */
	ip[8] = 128;
	ip[9] = tcp ? 6 : 17;
	ip[10] = ip[11] = 0;
	put32be(ip + 12, src);
	put32be(ip + 16, dst);
	put16be(ip + 10, csum_fold(csum_add(0, ip, 20)));
	uint8_t *l4 = ip + 20;
	put16be(l4, sport);
	put16be(l4 + 2, dport);
	if (tcp) {
		put32be(l4 + 4, seq);
		put32be(l4 + 8, (flags & TH_ACK) ? ack : 0);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16be(l4 + 14, 64240);
		l4[16] = l4[17] = l4[18] = l4[19] = 0;
	} else {
		put16be(l4 + 4, (uint16_t)(8 + n));
		l4[6] = l4[7] = 0;
	}
	if (n)
		memcpy(l4 + l4h, pl, n);
	uint32_t s = csum_add(0, ip + 12, 8);
	s += ip[9];
	s += (uint32_t)(l4h + n);
	s = csum_add(s, l4, l4h + n);
	uint16_t c = csum_fold(s);
	if (!tcp && c == 0)
		c = 0xffff;
	put16be(l4 + (tcp ? 16 : 6), c);
}

/* One TCP connection: sequence numbers both ways. */
struct tcpc {
	struct actor *a;
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint32_t cseq, sseq;		/* next sequence number to send */
};

static void tcp_open(struct tcpc *t, struct actor *a, uint64_t *ts, uint32_t cip, uint16_t cport, uint32_t sip,
		     uint16_t sport)
{
	t->a = a;
	t->cip = cip;
	t->sip = sip;
	t->cport = cport;
	t->sport = sport;
	t->cseq = rnd();
	t->sseq = rnd();
	l4_pkt(a, *ts, 1, cip, sip, cport, sport, t->cseq++, 0, TH_SYN, NULL, 0);
	*ts += rnd_range(150, 400);
	l4_pkt(a, *ts, 1, sip, cip, sport, cport, t->sseq++, t->cseq, TH_SYN | TH_ACK, NULL, 0);
	*ts += rnd_range(50, 200);
	l4_pkt(a, *ts, 1, cip, sip, cport, sport, t->cseq, t->sseq, TH_ACK, NULL, 0);
}

static void tcp_c2s(struct tcpc *t, uint64_t ts, const uint8_t *d, size_t n)
{
	l4_pkt(t->a, ts, 1, t->cip, t->sip, t->cport, t->sport, t->cseq, t->sseq, TH_ACK | TH_PSH, d, n);
	t->cseq += (uint32_t)n;
}
static void tcp_s2c(struct tcpc *t, uint64_t ts, const uint8_t *d, size_t n)
{
	l4_pkt(t->a, ts, 1, t->sip, t->cip, t->sport, t->cport, t->sseq, t->cseq, TH_ACK | TH_PSH, d, n);
	t->sseq += (uint32_t)n;
}
static void tcp_cack(struct tcpc *t, uint64_t ts)
{
	l4_pkt(t->a, ts, 1, t->cip, t->sip, t->cport, t->sport, t->cseq, t->sseq, TH_ACK, NULL, 0);
}
static void tcp_close(struct tcpc *t, uint64_t *ts)
{
	l4_pkt(t->a, *ts, 1, t->cip, t->sip, t->cport, t->sport, t->cseq++, t->sseq, TH_FIN | TH_ACK, NULL, 0);
	*ts += rnd_range(150, 400);
	l4_pkt(t->a, *ts, 1, t->sip, t->cip, t->sport, t->cport, t->sseq++, t->cseq, TH_FIN | TH_ACK, NULL, 0);
	*ts += rnd_range(50, 200);
	l4_pkt(t->a, *ts, 1, t->cip, t->sip, t->cport, t->sport, t->cseq, t->sseq, TH_ACK, NULL, 0);
}

/* ---- DCE/RPC PDUs (little-endian drep) ---------------------------------------- */

static const uint8_t UUID_EPM[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
				     0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa};
static const uint8_t UUID_EMSMDB[16] = {0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10,
					0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};
static const uint8_t UUID_NDR[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
				     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

struct buf {
	uint8_t b[8192];
	size_t n;
};
static void b_u8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void b_le16(struct buf *b, uint16_t v) { b_u8(b, (uint8_t)v); b_u8(b, (uint8_t)(v >> 8)); }
static void b_le32(struct buf *b, uint32_t v) { b_le16(b, (uint16_t)v); b_le16(b, (uint16_t)(v >> 16)); }
static void b_be16(struct buf *b, uint16_t v) { b_u8(b, (uint8_t)(v >> 8)); b_u8(b, (uint8_t)v); }
static void b_be32(struct buf *b, uint32_t v) { b_be16(b, (uint16_t)(v >> 16)); b_be16(b, (uint16_t)v); }
static void b_mem(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void b_zero(struct buf *b, size_t n) { memset(b->b + b->n, 0, n); b->n += n; }
static void b_align(struct buf *b, size_t a) { while (b->n % a) b_u8(b, 0); }
static void b_rand(struct buf *b, size_t n) { for (size_t i = 0; i < n; i++) b_u8(b, (uint8_t)rnd()); }

/* common header; frag_length patched by co_finish */
static void co_hdr(struct buf *b, uint8_t ptype, uint32_t call_id)
{
	b->n = 0;
	b_u8(b, 5); b_u8(b, 0); b_u8(b, ptype); b_u8(b, 0x03);
	b_u8(b, 0x10); b_u8(b, 0); b_u8(b, 0); b_u8(b, 0);
	b_le16(b, 0); b_le16(b, 0);
	b_le32(b, call_id);
}
static void co_finish(struct buf *b) { b->b[8] = (uint8_t)b->n; b->b[9] = (uint8_t)(b->n >> 8); }

static void pdu_bind(struct buf *b, uint32_t call_id, const uint8_t *iface, uint16_t vmaj, uint16_t vmin)
{
	co_hdr(b, 11, call_id);
	b_le16(b, 4280); b_le16(b, 4280); b_le32(b, 0);
	b_u8(b, 1); b_zero(b, 3);
	b_le16(b, 0); b_u8(b, 1); b_u8(b, 0);
	b_mem(b, iface, 16); b_le16(b, vmaj); b_le16(b, vmin);
	b_mem(b, UUID_NDR, 16); b_le32(b, 2);
	co_finish(b);
}

static void pdu_bind_ack(struct buf *b, uint32_t call_id, uint32_t assoc, const char *sec_addr)
{
	co_hdr(b, 12, call_id);
	b_le16(b, 4280); b_le16(b, 4280); b_le32(b, assoc);
	size_t l = strlen(sec_addr) + 1;
	b_le16(b, (uint16_t)l);
	b_mem(b, sec_addr, l);
	b_align(b, 4);
	b_u8(b, 1); b_zero(b, 3);
	b_le16(b, 0); b_le16(b, 0);
	b_mem(b, UUID_NDR, 16); b_le32(b, 2);
	co_finish(b);
}

static void pdu_request(struct buf *b, uint32_t call_id, uint16_t opnum, const struct buf *stub)
{
	co_hdr(b, 0, call_id);
	b_le32(b, (uint32_t)stub->n); b_le16(b, 0); b_le16(b, opnum);
	b_mem(b, stub->b, stub->n);
	co_finish(b);
}

static void pdu_response(struct buf *b, uint32_t call_id, const struct buf *stub)
{
	co_hdr(b, 2, call_id);
	b_le32(b, (uint32_t)stub->n); b_le16(b, 0); b_u8(b, 0); b_u8(b, 0);
	b_mem(b, stub->b, stub->n);
	co_finish(b);
}

/* 75-byte ncacn_ip_tcp tower for EMSMDB v0.81 at ip:port (3.3/3.4) */
static void tower(struct buf *b, uint32_t ip, uint16_t port)
{
	b_le16(b, 5);
	b_le16(b, 19); b_u8(b, 0x0d); b_mem(b, UUID_EMSMDB, 16); b_le16(b, 0); b_le16(b, 2); b_le16(b, 81);
	b_le16(b, 19); b_u8(b, 0x0d); b_mem(b, UUID_NDR, 16); b_le16(b, 2); b_le16(b, 2); b_le16(b, 0);
	b_le16(b, 1); b_u8(b, 0x0b); b_le16(b, 2); b_le16(b, 0);
	b_le16(b, 1); b_u8(b, 0x07); b_le16(b, 2); b_be16(b, port);
	b_le16(b, 1); b_u8(b, 0x09); b_le16(b, 4); b_be32(b, ip);
}

/* ---- a session and its noise ------------------------------------------------- */

#define N_EXCH 4
static const uint32_t EXCH_IP[N_EXCH] = {0xc612000a, 0xc612000b, 0xc612000c, 0xc612000d};	/* 198.18.0.10-13 */
static const uint16_t EXCH_PORT[N_EXCH] = {49159, 49171, 6004 + 50000, 59530};
#define DNS_IP 0xc6120235u	/* 198.18.2.53 */
#define N_WEB 64
#define WEB_BASE 0xc6120100u	/* 198.18.1.0 */
#define CLIENT_BASE 0xc6121000u	/* 198.18.16.0 */
#define CLIENT_POOL 110000u	/* up to 198.19.195.x */

static uint64_t n_sessions_done;

static void cxh(struct buf *b, const uint8_t h[20]) { b_mem(b, h, 20); }

static void gen_session(struct actor *a, unsigned long i, uint64_t t0, const struct opts *o)
{
	uint32_t cip = CLIENT_BASE + (uint32_t)(i % CLIENT_POOL);
	int ex = (int)(i % N_EXCH);
	uint32_t sip = EXCH_IP[ex];
	uint16_t dyn = EXCH_PORT[ex];
	uint16_t pbase = (uint16_t)rnd_range(50000, 60000);
	uint16_t cb_port = (uint16_t)(pbase + 9);
	uint64_t ts = t0;
	struct buf pdu, stub;
	struct tcpc t;

	/* 1. endpoint mapper */
	tcp_open(&t, a, &ts, cip, pbase, sip, 135);
	ts += rnd_range(200, 800);
	pdu_bind(&pdu, 1, UUID_EPM, 3, 0);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(200, 600);
	uint32_t assoc = 0x10000 + (uint32_t)(i & 0xffff);
	pdu_bind_ack(&pdu, 1, assoc, "135");
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 400);
	stub.n = 0;
	b_le32(&stub, 1); b_zero(&stub, 16);			/* object: non-NULL, nil UUID */
	b_le32(&stub, 2); b_le32(&stub, 75); b_le32(&stub, 75);	/* map_tower */
	tower(&stub, 0, 0);
	b_align(&stub, 4);
	b_zero(&stub, 20);					/* entry_handle */
	b_le32(&stub, 4);					/* max_towers */
	pdu_request(&pdu, 2, 3, &stub);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(200, 900);
	stub.n = 0;
	b_zero(&stub, 20);
	b_le32(&stub, 1); b_le32(&stub, 4); b_le32(&stub, 0); b_le32(&stub, 1);
	b_le32(&stub, 3); b_le32(&stub, 75); b_le32(&stub, 75);
	tower(&stub, sip, dyn);
	b_align(&stub, 4);
	b_le32(&stub, 0);					/* status */
	pdu_response(&pdu, 2, &stub);
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 300);
	tcp_close(&t, &ts);

	/* 2. EMSMDB on the dynamic port */
	ts += rnd_range(1000, 5000);
	tcp_open(&t, a, &ts, cip, (uint16_t)(pbase + 1), sip, dyn);
	ts += rnd_range(200, 800);
	pdu_bind(&pdu, 1, UUID_EMSMDB, 0, 81);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(200, 600);
	char port_s[8];
	snprintf(port_s, sizeof port_s, "%u", dyn);
	pdu_bind_ack(&pdu, 1, assoc + 0x100000, port_s);
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 400);

	/* EcDoConnectEx (opnum 10): approximate in/out parameters */
	char dn[96];
	int dnl = snprintf(dn, sizeof dn, "/o=Bench/ou=Exchange Administrative Group/cn=Recipients/cn=user%06lu", i) + 1;
	stub.n = 0;
	b_le32(&stub, (uint32_t)dnl); b_le32(&stub, 0); b_le32(&stub, (uint32_t)dnl);
	b_mem(&stub, dn, (size_t)dnl);
	b_align(&stub, 4);
	b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 1252);
	b_le32(&stub, 1033); b_le32(&stub, 1033); b_le32(&stub, 0xffffffff);
	b_le16(&stub, 1); b_le16(&stub, 12); b_le16(&stub, 0x1e33); b_le16(&stub, 0x8000);
	b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0x1008);
	pdu_request(&pdu, 2, 10, &stub);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(2000, 8000);
	uint8_t h[20];
	memset(h, 0, 4);
	for (int k = 4; k < 20; k++)
		h[k] = (uint8_t)rnd();
	stub.n = 0;
	cxh(&stub, h);
	b_le32(&stub, 60000); b_le32(&stub, 6); b_le32(&stub, 10000);
	b_le16(&stub, 1); b_align(&stub, 4);
	b_le32(&stub, 0x20000); b_le32(&stub, 10); b_le32(&stub, 0); b_le32(&stub, 10); b_mem(&stub, "/o=Bench/", 10);
	b_align(&stub, 4);
	b_le32(&stub, 0x20004); b_le32(&stub, 9); b_le32(&stub, 0); b_le32(&stub, 9); b_mem(&stub, "User One", 9);
	b_align(&stub, 2);
	b_le16(&stub, 8); b_le16(&stub, 0); b_le16(&stub, 8206);
	b_le16(&stub, 8); b_le16(&stub, 0); b_le16(&stub, 8206);
	b_align(&stub, 4);
	b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0);	/* timestamp, aux out (empty), cb */
	b_le32(&stub, 0);					/* ecNone */
	pdu_response(&pdu, 2, &stub);
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 400);
	tcp_cack(&t, ts);

	/* EcRRegisterPushNotification (opnum 4), 4.3 */
	uint8_t ctx[16];
	size_t nctx = 8 + (i % 9);
	for (size_t k = 0; k < nctx; k++)
		ctx[k] = (uint8_t)rnd();
	ctx[0] = (uint8_t)(i >> 16);
	ctx[1] = (uint8_t)(i >> 8);
	ctx[2] = (uint8_t)i;
	ts += rnd_range(200, 900);
	stub.n = 0;
	cxh(&stub, h);
	b_le32(&stub, 0);
	b_le32(&stub, (uint32_t)nctx);
	b_mem(&stub, ctx, nctx);
	b_align(&stub, 2);
	b_le16(&stub, (uint16_t)nctx);
	b_align(&stub, 4);
	b_le32(&stub, 0xffffffff);
	b_le32(&stub, 16);
	b_le16(&stub, 2); b_be16(&stub, cb_port); b_be32(&stub, cip); b_zero(&stub, 8);
	b_le16(&stub, 16);
	pdu_request(&pdu, 3, 4, &stub);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(300, 1500);
	stub.n = 0;
	cxh(&stub, h);
	b_le32(&stub, 0x100 + (uint32_t)(i & 0xffff));		/* hNotification */
	b_le32(&stub, 0);					/* ecNone */
	pdu_response(&pdu, 3, &stub);
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 400);
	tcp_cack(&t, ts);

	/* 3. notifications, each answered by an EcDoRpcExt2 */
	uint32_t call_id = 4;
	uint16_t nport = (uint16_t)rnd_range(49152, 65000);
	for (unsigned k = 0; k < o->notifies; k++) {
		ts += rnd_range(5, 18) * 1000000ull;
		l4_pkt(a, ts, 0, sip, cip, nport, cb_port, 0, 0, 0, ctx, nctx);
		ts += rnd_range(2000, 20000);
		size_t nin = rnd_range(40, 300), nout = rnd_range(100, 1200);
		stub.n = 0;
		cxh(&stub, h);
		b_le32(&stub, 0);
		b_le32(&stub, (uint32_t)nin); b_rand(&stub, nin); b_align(&stub, 4);
		b_le32(&stub, (uint32_t)nin); b_le32(&stub, 0x8008);
		b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0x1008);
		pdu_request(&pdu, call_id, 11, &stub);
		tcp_c2s(&t, ts, pdu.b, pdu.n);
		ts += rnd_range(1000, 15000);
		stub.n = 0;
		cxh(&stub, h);
		b_le32(&stub, 0);
		b_le32(&stub, 0x8008); b_le32(&stub, 0); b_le32(&stub, (uint32_t)nout);
		b_rand(&stub, nout); b_align(&stub, 4);
		b_le32(&stub, (uint32_t)nout);
		b_le32(&stub, 0x1008); b_le32(&stub, 0); b_le32(&stub, 0); b_le32(&stub, 0);
		b_le32(&stub, 0); b_le32(&stub, 0);			/* trans time, ecNone */
		pdu_response(&pdu, call_id, &stub);
		tcp_s2c(&t, ts, pdu.b, pdu.n);
		call_id++;
		ts += rnd_range(100, 400);
		tcp_cack(&t, ts);
	}

	/* EcDoDisconnect (opnum 1), then close */
	ts += rnd_range(1, 10) * 1000000ull;
	stub.n = 0;
	cxh(&stub, h);
	pdu_request(&pdu, call_id, 1, &stub);
	tcp_c2s(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(300, 1500);
	stub.n = 0;
	b_zero(&stub, 20);
	b_le32(&stub, 0);
	pdu_response(&pdu, call_id, &stub);
	tcp_s2c(&t, ts, pdu.b, pdu.n);
	ts += rnd_range(100, 400);
	tcp_close(&t, &ts);
	n_sessions_done++;
}

/* HTTPS-like: handshake, a few request/response rounds of opaque bytes, FIN */
static void gen_https(struct actor *a, uint32_t cip, uint16_t cport, uint64_t t0)
{
	uint32_t sip = WEB_BASE + rnd() % N_WEB;
	uint64_t ts = t0;
	struct tcpc t;
	uint8_t d[1400];
	tcp_open(&t, a, &ts, cip, cport, sip, 443);
	unsigned rounds = rnd_range(1, 3);
	for (unsigned r = 0; r < rounds; r++) {
		size_t n = rnd_range(80, 600);
		for (size_t k = 0; k < n; k++)
			d[k] = (uint8_t)rnd();
		d[0] = 0x17; d[1] = 3; d[2] = 3;
		ts += rnd_range(500, 30000);
		tcp_c2s(&t, ts, d, n);
		unsigned segs = rnd_range(1, 4);
		for (unsigned s = 0; s < segs; s++) {
			n = rnd_range(200, 1400);
			ts += rnd_range(100, 5000);
			tcp_s2c(&t, ts, d, n);
		}
		ts += rnd_range(50, 300);
		tcp_cack(&t, ts);
	}
	ts += rnd_range(1000, 100000);
	tcp_close(&t, &ts);
}

/* DNS-like: one query, one answer */
static void gen_dns(struct actor *a, uint32_t cip, uint16_t cport, uint64_t t0, unsigned long i)
{
	struct buf q;
	q.n = 0;
	uint16_t id = (uint16_t)rnd();
	b_be16(&q, id); b_be16(&q, 0x0100); b_be16(&q, 1); b_be16(&q, 0); b_be16(&q, 0); b_be16(&q, 0);
	char name[40];
	int nl = snprintf(name, sizeof name, "host%lu", i % 5000);
	b_u8(&q, (uint8_t)nl); b_mem(&q, name, (size_t)nl);
	b_u8(&q, 5); b_mem(&q, "bench", 5); b_u8(&q, 7); b_mem(&q, "example", 7); b_u8(&q, 0);
	b_be16(&q, 1); b_be16(&q, 1);
	l4_pkt(a, t0, 0, cip, DNS_IP, cport, 53, 0, 0, 0, q.b, q.n);
	q.b[2] = 0x81; q.b[3] = 0x80; q.b[7] = 1;
	b_be16(&q, 0xc00c); b_be16(&q, 1); b_be16(&q, 1); b_be32(&q, 300); b_be16(&q, 4);
	b_be32(&q, WEB_BASE + rnd() % N_WEB);
	l4_pkt(a, t0 + rnd_range(300, 3000), 0, DNS_IP, cip, 53, cport, 0, 0, 0, q.b, q.n);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: gen [-n SESSIONS] [-r SESSIONS_PER_S] [-w HTTPS_FLOWS] [-d DNS_LOOKUPS]\n"
		   "           [-k NOTIFICATIONS] [-s SEED] -o FILE.pcap\n"
		   "defaults: -n 20000 -r 10 -w 2 -d 4 -k 3 (about 78 packets per session)\n");
}

int main(int argc, char **argv)
{
	struct opts o = {20000, 2, 4, 10.0, 3, 1, NULL};
	int c;
	while ((c = getopt(argc, argv, "n:r:w:d:k:s:o:h")) != -1) {
		switch (c) {
		case 'n': o.sessions = strtoul(optarg, NULL, 10); break;
		case 'r': o.rate = strtod(optarg, NULL); break;
		case 'w': o.https = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': o.dns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': o.notifies = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'o': o.out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.out || o.sessions == 0 || o.rate <= 0 || o.notifies > 50 || o.https > 50 || o.dns > 50) {
		usage(stderr);
		return 2;
	}
	rng_state ^= o.seed * 0x9e3779b97f4a7c15ull;
	if (!rng_state)
		rng_state = 1;
	FILE *f = fopen(o.out, "wb");
	if (!f) {
		perror(o.out);
		return 2;
	}
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			  0xff, 0xff, 0, 0, 1, 0, 0, 0};
	fwrite(gh, 1, sizeof gh, f);

	const uint64_t base = 1767225600ull * 1000000u;	/* 2026-01-01T00:00:00Z */
	const uint64_t gap = (uint64_t)(1e6 / o.rate);
	unsigned long spawned = 0;
	uint64_t order = 0, packets = 0, bytes = 0;
	for (;;) {
		uint64_t next_spawn = base + spawned * gap;
		if (spawned < o.sessions && (!nheap || heap[0]->p[heap[0]->next].ts >= next_spawn)) {
			/* a session and its client's noise, all starting near next_spawn */
			unsigned long i = spawned++;
			uint32_t cip = CLIENT_BASE + (uint32_t)(i % CLIENT_POOL);
			struct actor *s = calloc(1, sizeof *s);
			s->order = order++;
			gen_session(s, i, next_spawn + rnd() % gap, &o);
			actor_sort(s);
			heap_push(s);
			uint16_t np = (uint16_t)rnd_range(30000, 40000);
			for (unsigned k = 0; k < o.https + o.dns; k++) {
				struct actor *n = calloc(1, sizeof *n);
				n->order = order++;
				uint64_t at = next_spawn + rnd_range(0, 60) * 1000000ull + rnd() % 1000000u;
				if (k < o.https)
					gen_https(n, cip, (uint16_t)(np + k), at);
				else
					gen_dns(n, cip, (uint16_t)(np + k), at, i * 7 + k);
				actor_sort(n);
				heap_push(n);
			}
			continue;
		}
		if (!nheap)
			break;
		struct actor *a = heap[0];
		struct pktref *r = &a->p[a->next++];
		uint32_t rh[4] = {(uint32_t)(r->ts / 1000000u), (uint32_t)(r->ts % 1000000u), r->len, r->len};
		fwrite(rh, 1, sizeof rh, f);
		fwrite(a->d + r->off, 1, r->len, f);
		packets++;
		bytes += r->len;
		if (a->next == a->np) {
			heap[0] = heap[--nheap];
			free(a->p);
			free(a->d);
			free(a);
		}
		if (nheap)
			heap_down(0);
	}
	if (fclose(f) != 0) {
		perror(o.out);
		return 2;
	}
	fprintf(stderr, "gen: %s: %llu packets, %llu bytes, %llu sessions\n", o.out, (unsigned long long)packets,
		(unsigned long long)bytes, (unsigned long long)n_sessions_done);
	free(heap);
	return 0;
}
