/* \summary: raw probe engine: SYN and UDP probes built with libnet, answers read with libpcap
 *
 * Targets are grouped by (source address, outgoing interface) from the route
 * lookup; each group is one pass:
 *   1. open libpcap on the interface (immediate mode, BPF for our source
 *      ports and ICMP/ICMPv6 errors), and -w's dumper once per run;
 *   2. send every probe through a token bucket (--rate), stateless: the probe
 *      index rides in the TCP sequence number / UDP source port (probe_int.h),
 *      reading answers between sends;
 *   3. after each pass over the unanswered probes wait a short gap
 *      (min(wait_ms, 250 ms)) and send them again, `retries` times;
 *   4. wait ONCE wait_ms for stragglers (or until every probe is answered).
 * Answers are decoded by decode_packet() and mapped by probe_match_pkt().
 * An open port's SYN-ACK is answered by our kernel's RST (no socket owns the
 * source port), as with nmap -sS.
 */
#include "config.h"

#include <errno.h>
#include <libnet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "decode.h"
#include "probe.h"
#include "probe_int.h"

#define GAP_MS 250u

int probe_build(void *ctx, int tags[3], const struct addr *src, const struct addr *dst,
		uint8_t proto, uint16_t sport, uint16_t dport, uint32_t seq,
		const uint8_t *payload, size_t plen)
{
	libnet_t *l = ctx;
	uint32_t l4len;
	if (proto == PROTO_TCP) {
		static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};	/* MSS 1460, like nmap */
		libnet_ptag_t t = libnet_build_tcp_options(mss, sizeof mss, l, tags[0]);
		if (t == -1)
			return -1;
		tags[0] = t;
		l4len = LIBNET_TCP_H + (uint32_t)sizeof mss;
		t = libnet_build_tcp(sport, dport, seq, 0, TH_SYN, 1024, 0, 0, l4len, NULL, 0, l, tags[1]);
		if (t == -1)
			return -1;
		tags[1] = t;
	} else {
		l4len = LIBNET_UDP_H + (uint32_t)plen;
		libnet_ptag_t t = libnet_build_udp(sport, dport, (uint16_t)l4len, 0, plen ? payload : NULL,
						   (uint32_t)plen, l, tags[1]);
		if (t == -1)
			return -1;
		tags[1] = t;
	}
	libnet_ptag_t t;
	if (dst->family == 4) {
		uint32_t s4, d4;
		memcpy(&s4, src->a, 4);
		memcpy(&d4, dst->a, 4);
		t = libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + l4len), 0, (uint16_t)(seq ^ (seq >> 16)), 0, 64,
				      proto, 0, s4, d4, NULL, 0, l, tags[2]);
	} else {
		struct libnet_in6_addr s6, d6;
		memcpy(&s6, src->a, 16);
		memcpy(&d6, dst->a, 16);
		t = libnet_build_ipv6(0, 0, (uint16_t)l4len, proto, 64, s6, d6, NULL, 0, l, tags[2]);
	}
	if (t == -1)
		return -1;
	tags[2] = t;
	return 0;
}

struct rawrun {
	const struct probe_opts *o;
	struct probe_result *res;	/* all results */
	pcap_dumper_t *dump;		/* -w, shared by every pass */
	pcap_t *dump_owner;		/* the handle the dumper was opened with */
	int dump_dlt;
	uint64_t frames;		/* frames written to -w */
	uint64_t spoofed;
};

struct pass {
	struct rawrun *run;
	pcap_t *pc;
	int dlt, fd;
	struct probe_match m;
	struct probe_target *tg;	/* this pass's targets (copies) */
	size_t *gidx;			/* pass index -> results index */
	uint64_t *first_us, *last_us;	/* wall-clock send times */
	uint8_t *done;
	size_t n, remaining;
	libnet_t *ln_tcp, *ln_udp;
	int tag_tcp[3], tag_udp[3];
	char *err;
	size_t errlen;
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct pass *ps = (struct pass *)user;
	struct rawrun *run = ps->run;
	uint64_t frame = 0;
	if (run->dump) {
		pcap_dump((u_char *)run->dump, h, data);
		frame = ++run->frames;
	}
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = frame;
	p.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	p.caplen = h->caplen;
	p.wirelen = h->len;
	if (decode_packet(ps->dlt, data, &p) != DEC_OK)
		return;
	struct probe_answer a;
	if (!probe_match_pkt(&ps->m, &p, &a))
		return;
	if (a.spoofed) {
		run->spoofed++;
		return;
	}
	if (ps->done[a.index])
		return;
	ps->done[a.index] = 1;
	ps->remaining--;
	struct probe_result *r = &run->res[ps->gidx[a.index]];
	probe_set(r, a.state, a.reason);
	r->has_by = 1;
	r->by = a.by;
	r->ttl = a.ttl;
	r->frame = frame;
	/* The capture timestamp, if plausible: a packet that crossed a veth can
	 * carry the sender's monotonic EDT stamp (TCP) instead of the wall clock;
	 * then our own clock at reading time stands in. */
	uint64_t sent = ps->last_us[a.index], ts = p.ts_us;
	if (ts < sent && ts >= ps->first_us[a.index])
		sent = ps->first_us[a.index];
	if (ts < sent || ts - sent > 60000000u)
		ts = probe_wall_us();
	r->rtt_us = ts >= sent ? ts - sent : 0;
}

static int drain(struct pass *ps)
{
	for (int k = 0; k < 1000; k++) {
		int r = pcap_dispatch(ps->pc, -1, on_frame, (u_char *)ps);
		if (r < 0) {
			snprintf(ps->err, ps->errlen, "reading answers: %s", pcap_geterr(ps->pc));
			return -1;
		}
		if (r == 0)
			break;
	}
	return 0;
}

/* Read answers until deadline (monotonic us) or, if stop_when_done, every probe is answered. */
static int wait_until(struct pass *ps, uint64_t deadline, int stop_when_done)
{
	for (;;) {
		if (drain(ps) < 0)
			return -1;
		if (stop_when_done && ps->remaining == 0)
			return 0;
		uint64_t now = probe_now_us();
		if (now >= deadline)
			return 0;
		uint64_t left = deadline - now;
		if (left < 1000) {
			struct timespec ts = {0, (long)left * 1000};
			nanosleep(&ts, NULL);
			continue;
		}
		struct pollfd pfd = {ps->fd, POLLIN, 0};
		int ms = (int)(left / 1000);
		if (ms > 100)
			ms = 100;
		if (ps->fd < 0) {
			struct timespec ts = {0, (long)ms * 1000000};
			nanosleep(&ts, NULL);
		} else {
			poll(&pfd, 1, ms);
		}
	}
}

static int send_one(struct pass *ps, size_t i, uint32_t try_no)
{
	const struct probe_target *t = &ps->tg[i];
	libnet_t *l;
	int *tags;
	uint8_t payload[160];
	size_t plen = 0;
	uint16_t sport;
	uint32_t seq = 0;
	if (t->proto == PROTO_TCP) {
		l = ps->ln_tcp;
		tags = ps->tag_tcp;
		sport = ps->m.tcp_sport;
		seq = probe_tcp_seq(&ps->m, &t->dst, t->port, (uint32_t)i, try_no);
	} else {
		l = ps->ln_udp;
		tags = ps->tag_udp;
		sport = probe_udp_sport(&ps->m, (uint32_t)i);
		uint64_t nonce = probe_nonce(&ps->m.key, &t->dst, t->port, (uint32_t)i);
		plen = probe_udp_payload(ps->run->o, t->port, nonce, (uint32_t)i, payload, sizeof payload);
	}
	if (probe_build(l, tags, &ps->m.src, &t->dst, t->proto, sport, t->port, seq, payload, plen) < 0) {
		snprintf(ps->err, ps->errlen, "building a probe: %s", libnet_geterror(l));
		return -1;
	}
	/* the time before the write: on a fast path the answer can be captured
	 * before libnet_write() returns */
	uint64_t now = probe_wall_us();
	for (int attempt = 0;; attempt++) {
		if (libnet_write(l) >= 0)
			break;
		/* the raw socket's queue is full: let it drain, then retry */
		if ((errno == ENOBUFS || errno == EAGAIN) && attempt < 200) {
			struct timespec ts = {0, 500000};
			nanosleep(&ts, NULL);
			if (drain(ps) < 0)
				return -1;
			continue;
		}
		char ab[ADDR_STRLEN];
		snprintf(ps->err, ps->errlen, "sending a probe to %s: %s", addr_str(&t->dst, ab, sizeof ab),
			 libnet_geterror(l));
		return -1;
	}
	if (!ps->first_us[i])
		ps->first_us[i] = now;
	ps->last_us[i] = now;
	ps->run->res[ps->gidx[i]].tries++;
	return 0;
}

static int open_pcap(struct pass *ps, const char *ifname)
{
	char eb[PCAP_ERRBUF_SIZE];
	const struct probe_opts *o = ps->run->o;
	ps->pc = pcap_create(ifname, eb);
	if (!ps->pc) {
		snprintf(ps->err, ps->errlen, "%s: %s", ifname, eb);
		return -1;
	}
	pcap_set_snaplen(ps->pc, o->write_path ? 65535 : 512);
	pcap_set_promisc(ps->pc, 0);
	pcap_set_immediate_mode(ps->pc, 1);
	/* room for every answer of a burst: 2 MiB plus ~256 bytes a probe, at most 32 MiB */
	size_t bufsz = ((size_t)2 << 20) + ps->n * 256;
	if (bufsz > ((size_t)32 << 20))
		bufsz = (size_t)32 << 20;
	pcap_set_buffer_size(ps->pc, (int)bufsz);
	pcap_set_timeout(ps->pc, 10);
	int rc = pcap_activate(ps->pc);
	if (rc < 0) {
		snprintf(ps->err, ps->errlen, "%s: %s", ifname, pcap_geterr(ps->pc));
		return -1;
	}
	ps->dlt = pcap_datalink(ps->pc);
	if (!decode_link_supported(ps->dlt)) {
		snprintf(ps->err, ps->errlen, "%s: link type %s is not supported", ifname,
			 pcap_datalink_val_to_name(ps->dlt) ? pcap_datalink_val_to_name(ps->dlt) : "?");
		return -1;
	}
	/* without -w only answers matter; with -w keep both directions as evidence */
	if (!o->write_path)
		pcap_setdirection(ps->pc, PCAP_D_IN);
	char filt[512];
	unsigned ub = ps->m.udp_base, ue = ps->m.udp_base + (ps->m.udp_span ? ps->m.udp_span - 1u : 0u);
	if (ps->m.src.family == 4)
		snprintf(filt, sizeof filt,
			 "(tcp and port %u) or (udp and portrange %u-%u) or "
			 "(icmp and (icmp[0] == 3 or icmp[0] == 11))",
			 ps->m.tcp_sport, ub, ue);
	else
		snprintf(filt, sizeof filt,
			 "(tcp and port %u) or (udp and portrange %u-%u) or "
			 "(icmp6 and (ip6[40] == 1 or ip6[40] == 3))",
			 ps->m.tcp_sport, ub, ue);
	struct bpf_program bp;
	if (pcap_compile(ps->pc, &bp, filt, 1, PCAP_NETMASK_UNKNOWN) < 0 || pcap_setfilter(ps->pc, &bp) < 0) {
		snprintf(ps->err, ps->errlen, "%s: filter '%s': %s", ifname, filt, pcap_geterr(ps->pc));
		return -1;
	}
	pcap_freecode(&bp);
	if (pcap_setnonblock(ps->pc, 1, eb) < 0) {
		snprintf(ps->err, ps->errlen, "%s: %s", ifname, eb);
		return -1;
	}
	ps->fd = pcap_get_selectable_fd(ps->pc);
	/* the capture was open before the filter: drop what slipped in */
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(ps->pc, &h, &d) == 1)
		;
	if (o->write_path) {
		if (!ps->run->dump) {
			ps->run->dump = pcap_dump_open(ps->pc, o->write_path);
			if (!ps->run->dump) {
				snprintf(ps->err, ps->errlen, "%s: %s", o->write_path, pcap_geterr(ps->pc));
				return -1;
			}
			ps->run->dump_dlt = ps->dlt;
		} else if (ps->run->dump_dlt != ps->dlt) {
			snprintf(ps->err, ps->errlen,
				 "-w: targets behind interfaces of different link types cannot share one capture file");
			return -1;
		}
	}
	return 0;
}

static int run_pass(struct pass *ps, const char *ifname)
{
	const struct probe_opts *o = ps->run->o;
	char eb[LIBNET_ERRBUF_SIZE];
	int inj = ps->m.src.family == 4 ? LIBNET_RAW4 : LIBNET_RAW6;
	int need_tcp = 0, need_udp = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->tg[i].proto == PROTO_TCP)
			need_tcp = 1;
		else
			need_udp = 1;
	}
	if (need_tcp && !(ps->ln_tcp = libnet_init(inj, NULL, eb))) {
		snprintf(ps->err, ps->errlen, "libnet: %s", eb);
		return -1;
	}
	if (need_udp && !(ps->ln_udp = libnet_init(inj, NULL, eb))) {
		snprintf(ps->err, ps->errlen, "libnet: %s", eb);
		return -1;
	}
	if (open_pcap(ps, ifname) < 0)
		return -1;

	uint64_t rate = o->rate_pps ? o->rate_pps : PROBE_DEFAULT_RATE;
	double burst = (double)rate / 100.0;	/* at most 10 ms worth of probes at once */
	if (burst < 1.0)
		burst = 1.0;
	double tokens = 1.0;
	uint64_t last = probe_now_us();
	uint32_t wait_ms = o->wait_ms ? o->wait_ms : PROBE_DEFAULT_WAIT_MS;
	uint32_t gap_ms = wait_ms < GAP_MS ? wait_ms : GAP_MS;
	unsigned long sent = 0;
	for (uint32_t pass = 0; pass <= o->retries && ps->remaining; pass++) {
		for (size_t i = 0; i < ps->n; i++) {
			if (ps->done[i])
				continue;
			for (;;) {
				uint64_t now = probe_now_us();
				tokens += (double)(now - last) * (double)rate / 1e6;
				last = now;
				if (tokens > burst)
					tokens = burst;
				if (tokens >= 1.0)
					break;
				uint64_t need = (uint64_t)((1.0 - tokens) * 1e6 / (double)rate) + 1;
				if (wait_until(ps, now + need, 0) < 0)
					return -1;
			}
			tokens -= 1.0;
			if (send_one(ps, i, pass) < 0)
				return -1;
			if ((++sent & 63) == 0 && drain(ps) < 0)
				return -1;
		}
		if (pass < o->retries && wait_until(ps, probe_now_us() + gap_ms * 1000ull, 1) < 0)
			return -1;
	}
	return wait_until(ps, probe_now_us() + wait_ms * 1000ull, 1);
}

static void pass_free(struct pass *ps)
{
	if (ps->ln_tcp)
		libnet_destroy(ps->ln_tcp);
	if (ps->ln_udp)
		libnet_destroy(ps->ln_udp);
	if (ps->pc && ps->pc != ps->run->dump_owner)
		pcap_close(ps->pc);
	free(ps->tg);
	free(ps->gidx);
	free(ps->first_us);
	free(ps->last_us);
	free(ps->done);
}

int probe_raw_run(const struct probe_opts *o, const struct probe_target *tg, size_t n,
		  struct probe_result *res, char *err, size_t errlen)
{
	/* route every distinct destination once */
	struct route { struct addr dst, src; char ifname[64]; int noroute; } *rt = calloc(n, sizeof *rt);
	size_t *rix = calloc(n, sizeof *rix);
	uint8_t *assigned = calloc(n, 1);
	if (!rt || !rix || !assigned) {
		free(rt);
		free(rix);
		free(assigned);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t nrt = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t k;
		for (k = 0; k < nrt; k++)
			if (addr_eq(&rt[k].dst, &tg[i].dst))
				break;
		if (k == nrt) {
			rt[k].dst = tg[i].dst;
			int r = probe_route(&tg[i].dst, &rt[k].src, rt[k].ifname, sizeof rt[k].ifname, err, errlen);
			if (r == -2) {
				rt[k].noroute = 1;	/* a verdict for these targets, not an error of the run */
				err[0] = 0;
			} else if (r < 0) {
				rc = -1;
			}
			if (o->iface)
				snprintf(rt[k].ifname, sizeof rt[k].ifname, "%s", o->iface);
			nrt++;
		}
		rix[i] = k;
		if (rt[k].noroute) {
			probe_set(&res[i], PS_UNREACHABLE, "no-route");
			assigned[i] = 1;
		}
	}
	struct rawrun run;
	memset(&run, 0, sizeof run);
	run.o = o;
	run.res = res;
	pcap_t *dump_pc = NULL;
	/* one pass per (source address, interface) */
	for (size_t first = 0; first < n && rc == 0; first++) {
		if (assigned[first])
			continue;
		const struct route *r0 = &rt[rix[first]];
		struct pass ps;
		memset(&ps, 0, sizeof ps);
		ps.run = &run;
		ps.err = err;
		ps.errlen = errlen;
		ps.fd = -1;
		ps.tg = calloc(n - first, sizeof *ps.tg);
		ps.gidx = calloc(n - first, sizeof *ps.gidx);
		ps.first_us = calloc(n - first, sizeof *ps.first_us);
		ps.last_us = calloc(n - first, sizeof *ps.last_us);
		ps.done = calloc(n - first, 1);
		if (!ps.tg || !ps.gidx || !ps.first_us || !ps.last_us || !ps.done) {
			snprintf(err, errlen, "out of memory");
			pass_free(&ps);
			rc = -1;
			break;
		}
		size_t nudp = 0;
		for (size_t i = first; i < n; i++) {
			const struct route *r = &rt[rix[i]];
			if (assigned[i] || !addr_eq(&r->src, &r0->src) || strcmp(r->ifname, r0->ifname))
				continue;
			assigned[i] = 1;
			ps.tg[ps.n] = tg[i];
			ps.gidx[ps.n] = i;
			if (tg[i].proto == PROTO_UDP)
				nudp++;
			ps.n++;
		}
		ps.remaining = ps.n;
		ps.m.src = r0->src;
		ps.m.tg = ps.tg;
		ps.m.n = ps.n;
		uint8_t rnd[20];
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			pass_free(&ps);
			rc = -1;
			break;
		}
		memcpy(&ps.m.key.k0, rnd, 8);
		memcpy(&ps.m.key.k1, rnd + 8, 8);
		/* source ports from the ephemeral range the kernel itself does not hand
		 * out by default (61000+ is past Linux's 32768-60999), so no local
		 * socket owns them and answers are not delivered to anyone */
		ps.m.udp_span = (uint16_t)(nudp > 2048 ? 2048 : (nudp ? nudp : 1));
		ps.m.tcp_sport = (uint16_t)(61000 + ((unsigned)rnd[16] << 8 | rnd[17]) % 2000);
		ps.m.udp_base = (uint16_t)(63048 + ((unsigned)rnd[18] << 8 | rnd[19]) % (65536u - 63048u - ps.m.udp_span + 1));
		if (run_pass(&ps, r0->ifname) < 0)
			rc = -1;
		if (run.dump && !dump_pc) {
			dump_pc = ps.pc;	/* the dumper was opened on it: close it last */
			run.dump_owner = ps.pc;
		}
		pass_free(&ps);
	}
	if (run.dump) {
		pcap_dump_close(run.dump);
	}
	if (dump_pc)
		pcap_close(dump_pc);
	if (run.spoofed && !o->quiet)
		fprintf(stderr, "warning: %llu responder answers with a wrong nonce were ignored (spoofed?)\n",
			(unsigned long long)run.spoofed);
	free(rt);
	free(rix);
	free(assigned);
	return rc;
}
