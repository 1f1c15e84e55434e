/* \summary: probes without raw-socket privilege: non-blocking connect() and UDP sockets
 *
 * TCP: connect() succeeds -> open (connected); ECONNREFUSED -> closed
 * (conn-refused); no answer within wait_ms -> try again `retries` times, then
 * filtered (no-response).  ICMP errors are read from the socket's error queue
 * (IP_RECVERR / IPV6_RECVERR: type, code and the sender), so admin-prohibited
 * and host-unreach keep the raw engine's words and the router's address.
 * UDP: a connected socket sends the same payload as the raw engine; a
 * datagram back -> open (udp-response, or responder-echo when the responder's
 * nonce matches); ICMP port-unreachable -> closed; silence -> open|filtered.
 * At most `slots` sockets are open at a time (RLIMIT_NOFILE bounded), started
 * at --rate.  -w: with capture privilege the traffic to and from the targets is
 * recorded; frame numbers are not attributed in this mode.
 */
#define _GNU_SOURCE 1	/* SOCK_NONBLOCK in all libcs, getrandom */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "probe_int.h"

struct slot {
	int fd;
	size_t idx;
	uint32_t try_no;
	uint64_t deadline, sent_us;
};

struct cctx {
	const struct probe_opts *o;
	const struct probe_target *tg;
	struct probe_result *res;
	struct probe_key key;
	pcap_t *pc;
	pcap_dumper_t *dump;
};

static socklen_t mk_sa(const struct addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->a, 4);
		return sizeof *s;
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	memcpy(&s->sin6_addr, a->a, 16);
	return sizeof *s;
}

/* Read one ICMP error from the socket's error queue; 1 if one was there. */
static int read_errqueue(int fd, int family, uint8_t *type, uint8_t *code, struct addr *by)
{
	char ctl[512];
	uint8_t data[64];
	struct iovec iov = {data, sizeof data};
	struct sockaddr_storage from;
	struct msghdr mh;
	memset(&mh, 0, sizeof mh);
	mh.msg_name = &from;
	mh.msg_namelen = sizeof from;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof ctl;
	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		struct sock_extended_err ee;
		memcpy(&ee, CMSG_DATA(c), sizeof ee);
		if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
			continue;
		*type = ee.ee_type;
		*code = ee.ee_code;
		memset(by, 0, sizeof *by);
		const struct sockaddr *off = SO_EE_OFFENDER((struct sock_extended_err *)CMSG_DATA(c));
		if (off->sa_family == AF_INET)
			addr_set4(by, (const uint8_t *)&((const struct sockaddr_in *)off)->sin_addr);
		else if (off->sa_family == AF_INET6)
			addr_set6(by, (const uint8_t *)&((const struct sockaddr_in6 *)off)->sin6_addr);
		(void)family;
		return 1;
	}
	return 0;
}

static void finish(struct cctx *c, struct slot *s, enum probe_state st, const char *reason,
		   const struct addr *by, uint8_t ttl)
{
	struct probe_result *r = &c->res[s->idx];
	probe_set(r, st, reason);
	if (by && by->family) {
		r->has_by = 1;
		r->by = *by;
	}
	r->ttl = ttl;
	uint64_t now = probe_now_us();
	r->rtt_us = now > s->sent_us ? now - s->sent_us : 0;
	if (st == PS_OPEN && c->tg[s->idx].proto == PROTO_TCP) {
		/* close with a reset: no FIN exchange, no TIME_WAIT on either side */
		struct linger lg = {1, 0};
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(s->fd);
	s->fd = -1;
}

static int errno_verdict(int e, enum probe_state *st, const char **reason)
{
	switch (e) {
	case ECONNREFUSED: *st = PS_CLOSED; *reason = "conn-refused"; return 1;
	case EHOSTUNREACH: *st = PS_UNREACHABLE; *reason = "host-unreach"; return 1;
	case ENETUNREACH: *st = PS_UNREACHABLE; *reason = "net-unreach"; return 1;
	case EACCES:
	case EPERM: *st = PS_FILTERED; *reason = "local-prohibited"; return 1;
	default: return 0;
	}
}

/* An error on the socket: name it from the ICMP error if there is one. */
static void on_error(struct cctx *c, struct slot *s, int e)
{
	const struct probe_target *t = &c->tg[s->idx];
	uint8_t type, code;
	struct addr by;
	enum probe_state st;
	const char *reason;
	if (read_errqueue(s->fd, t->dst.family, &type, &code, &by) &&
	    probe_icmp_verdict(t->dst.family, type, code, t->proto, &st, &reason)) {
		finish(c, s, st, reason, &by, 0);
		return;
	}
	if (errno_verdict(e, &st, &reason)) {
		if (t->proto == PROTO_UDP && st == PS_CLOSED)
			reason = "port-unreach";
		if (e == ENETUNREACH)
			reason = "no-route";	/* no ICMP error queued: our own routing table */
		finish(c, s, st, reason, e == ECONNREFUSED ? &t->dst : NULL, 0);
		return;
	}
	struct probe_result *r = &c->res[s->idx];
	probe_set(r, PS_ERROR, strerror(e));
	close(s->fd);
	s->fd = -1;
}

static int start(struct cctx *c, struct slot *s, char *err, size_t errlen)
{
	const struct probe_target *t = &c->tg[s->idx];
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(&t->dst, t->port, &ss);
	int fd = socket(ss.ss_family, (t->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	if (t->dst.family == 4)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
	if (t->proto == PROTO_TCP) {
		/* one SYN per try: our own retries count, not the kernel's */
		int syn = 1;
		setsockopt(fd, IPPROTO_TCP, 7 /* TCP_SYNCNT */, &syn, sizeof syn);
	}
	s->fd = fd;
	s->sent_us = probe_now_us();
	uint32_t wait_ms = c->o->wait_ms ? c->o->wait_ms : PROBE_DEFAULT_WAIT_MS;
	s->deadline = s->sent_us + wait_ms * 1000ull;
	c->res[s->idx].tries++;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		on_error(c, s, errno);
		return 0;
	}
	if (t->proto == PROTO_UDP) {
		uint8_t payload[160];
		uint64_t nonce = probe_nonce(&c->key, &t->dst, t->port, (uint32_t)s->idx);
		size_t plen = probe_udp_payload(c->o, t->port, nonce, (uint32_t)s->idx, payload, sizeof payload);
		if (send(fd, payload, plen, 0) < 0 && errno != EAGAIN)
			on_error(c, s, errno);
	}
	return 0;
}

/* Record the probe traffic for -w (privilege permitting). */
static int open_capture(struct cctx *c, size_t n, char *err, size_t errlen)
{
	struct addr src;
	char ifname[64], eb[PCAP_ERRBUF_SIZE];
	if (probe_route(&c->tg[0].dst, &src, ifname, sizeof ifname, err, errlen) < 0)
		return -1;
	const char *dev = c->o->iface ? c->o->iface : ifname;
	c->pc = pcap_create(dev, eb);
	if (!c->pc) {
		snprintf(err, errlen, "-w %s: cannot capture on %s: %s", c->o->write_path, dev, eb);
		return -1;
	}
	pcap_set_snaplen(c->pc, 65535);
	pcap_set_immediate_mode(c->pc, 1);
	pcap_set_buffer_size(c->pc, 8 << 20);
	if (pcap_activate(c->pc) < 0) {
		snprintf(err, errlen, "-w %s: cannot capture on %s: %s", c->o->write_path, dev, pcap_geterr(c->pc));
		return -1;
	}
	/* host filter for up to 16 distinct targets, else everything on the interface */
	char filt[1024] = "";
	size_t used = 0, hosts = 0;
	for (size_t i = 0; i < n && hosts <= 16; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = addr_eq(&c->tg[j].dst, &c->tg[i].dst);
		if (dup)
			continue;
		char ab[ADDR_STRLEN];
		used += (size_t)snprintf(filt + used, sizeof filt - used, "%shost %s", hosts ? " or " : "",
					 addr_str(&c->tg[i].dst, ab, sizeof ab));
		hosts++;
	}
	if (hosts <= 16) {
		struct bpf_program bp;
		char full[1200];
		snprintf(full, sizeof full, "(%s) or icmp or (icmp6 and ip6[40] < 128)", filt);
		if (pcap_compile(c->pc, &bp, full, 1, PCAP_NETMASK_UNKNOWN) == 0) {
			pcap_setfilter(c->pc, &bp);
			pcap_freecode(&bp);
		}
	}
	pcap_setnonblock(c->pc, 1, eb);
	c->dump = pcap_dump_open(c->pc, c->o->write_path);
	if (!c->dump) {
		snprintf(err, errlen, "%s: %s", c->o->write_path, pcap_geterr(c->pc));
		return -1;
	}
	return 0;
}

static void capture_drain(struct cctx *c)
{
	if (c->pc)
		pcap_dispatch(c->pc, -1, pcap_dump, (u_char *)c->dump);
}

int probe_connect_run(const struct probe_opts *o, const struct probe_target *tg, size_t n,
		      struct probe_result *res, char *err, size_t errlen)
{
	struct cctx c;
	memset(&c, 0, sizeof c);
	c.o = o;
	c.tg = tg;
	c.res = res;
	if (getrandom(&c.key, sizeof c.key, 0) != (ssize_t)sizeof c.key) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	if (o->write_path && open_capture(&c, n, err, errlen) < 0) {
		if (c.pc)
			pcap_close(c.pc);
		return -1;
	}
	/* bounded: at most 512 sockets, and well inside RLIMIT_NOFILE */
	struct rlimit rl;
	size_t nslots = 512;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 512 + 64)
		nslots = rl.rlim_cur > 80 ? (size_t)rl.rlim_cur - 64 : 16;
	if (nslots > n)
		nslots = n;
	struct slot *sl = calloc(nslots, sizeof *sl);
	struct pollfd *pf = calloc(nslots, sizeof *pf);
	size_t *queue = calloc(n, sizeof *queue);
	uint32_t *qtry = calloc(n, sizeof *qtry);
	int rc = 0;
	if (!sl || !pf || !queue || !qtry) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < nslots; i++)
		sl[i].fd = -1;
	/* a ring of (target, try) to start; retries go to the back */
	size_t qh = 0, qn = n;
	for (size_t i = 0; i < n; i++) {
		queue[i] = i;
		qtry[i] = 0;
	}
	uint64_t rate = o->rate_pps ? o->rate_pps : PROBE_DEFAULT_RATE;
	double tokens = 1.0, burst = (double)rate / 100.0 < 1.0 ? 1.0 : (double)rate / 100.0;
	uint64_t last = probe_now_us();
	size_t active = 0;
	while (qn || active) {
		uint64_t now = probe_now_us();
		tokens += (double)(now - last) * (double)rate / 1e6;
		last = now;
		if (tokens > burst)
			tokens = burst;
		for (size_t i = 0; i < nslots && qn && tokens >= 1.0; i++) {
			if (sl[i].fd >= 0)
				continue;
			sl[i].idx = queue[qh];
			sl[i].try_no = qtry[qh];
			qh = (qh + 1) % n;
			qn--;
			tokens -= 1.0;
			if (start(&c, &sl[i], err, errlen) < 0) {
				rc = -1;
				goto out;
			}
		}
		size_t np = 0;
		active = 0;
		uint64_t next = now + 100000;
		for (size_t i = 0; i < nslots; i++) {
			pf[i].fd = sl[i].fd;
			pf[i].events = c.tg[sl[i].idx].proto == PROTO_TCP ? POLLOUT : POLLIN;
			pf[i].revents = 0;
			if (sl[i].fd >= 0) {
				active++;
				np = i + 1;
				if (sl[i].deadline < next)
					next = sl[i].deadline;
			}
		}
		if (qn && tokens < 1.0) {
			uint64_t t = now + (uint64_t)((1.0 - tokens) * 1e6 / (double)rate) + 1;
			if (t < next)
				next = t;
		}
		if (!active && !qn)
			break;
		int ms = next > now ? (int)((next - now + 999) / 1000) : 0;
		if (ms > 100)
			ms = 100;
		poll(pf, np, ms);
		capture_drain(&c);
		now = probe_now_us();
		for (size_t i = 0; i < np; i++) {
			struct slot *s = &sl[i];
			if (s->fd < 0)
				continue;
			const struct probe_target *t = &c.tg[s->idx];
			if (pf[i].revents) {
				if (t->proto == PROTO_TCP) {
					int e = 0;
					socklen_t el = sizeof e;
					getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el);
					if (e == 0) {
						finish(&c, s, PS_OPEN, "connected", &t->dst, 0);
						continue;
					}
					on_error(&c, s, e);
					continue;
				}
				uint8_t buf[512];
				ssize_t k = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
				if (k >= 0) {
					const char *why = "udp-response";
					uint8_t ty;
					uint16_t pt;
					uint64_t nonce;
					if (probe_resp_parse(buf, (size_t)k, &ty, &pt, &nonce)) {
						if (ty != PROBE_RESP_T_ANSWER || pt != t->port ||
						    nonce != probe_nonce(&c.key, &t->dst, t->port, (uint32_t)s->idx))
							continue;	/* not our answer: keep waiting */
						why = "responder-echo";
					}
					finish(&c, s, PS_OPEN, why, &t->dst, 0);
					continue;
				}
				if (errno != EAGAIN && errno != EWOULDBLOCK) {
					on_error(&c, s, errno);
					continue;
				}
			}
			if (now >= s->deadline) {
				/* no answer in time: again, or give up with the default verdict */
				close(s->fd);
				s->fd = -1;
				if (s->try_no < o->retries) {
					size_t tail = (qh + qn) % n;
					queue[tail] = s->idx;
					qtry[tail] = s->try_no + 1;
					qn++;
				}
			}
		}
	}
out:
	for (size_t i = 0; sl && i < nslots; i++)
		if (sl[i].fd >= 0)
			close(sl[i].fd);
	if (c.pc) {
		/* the last answers (and our kernel's resets) are still on their way to the capture */
		for (int k = 0; k < 10; k++) {
			struct timespec ts = {0, 10 * 1000000L};
			nanosleep(&ts, NULL);
			capture_drain(&c);
		}
		if (c.dump)
			pcap_dump_close(c.dump);
		pcap_close(c.pc);
	}
	free(sl);
	free(pf);
	free(queue);
	free(qtry);
	return rc;
}
