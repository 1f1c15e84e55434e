/* \summary: bench/blast: replay a capture onto an interface as fast as the kernel takes it
 *
 *   blast -i IFACE -f FILE [-l LOOPS] [-p PPS] [-t SECONDS] [-m ring|mmsg] [-b BATCH] [-n PACKETS]
 *
 * A faster tcpreplay for bench/live.sh: the capture is read into memory once
 * (libpcap), then sent without pacing by capture time on an AF_PACKET socket
 * bound to IFACE with PACKET_QDISC_BYPASS, through a TPACKET_V2 transmit ring
 * (-m ring, the default: frames are filled in user space and one send() hands
 * a whole batch to the kernel) or sendmmsg() batches (-m mmsg).
 *
 *   -l LOOPS    send the capture LOOPS times (default 1; 0 = until -t or SIGINT)
 *   -p PPS      at most PPS packets per second (default: as fast as possible)
 *   -t SECONDS  stop after SECONDS (default: no limit)
 *   -n PACKETS  use only the first PACKETS packets of the file
 *   -b BATCH    packets per send()/sendmmsg() (default 256)
 *
 * Safety: meant for a veth inside a network namespace.  Every frame must be
 * Ethernet carrying IPv4 with both addresses in 198.18.0.0/15 or IPv6 with
 * both in 2001:2::/48 (the benchmark ranges, RFC 2544 / RFC 5180); a capture
 * with anything else is refused before a single frame is sent.
 *
 * Output (stdout, one line): "blast: N packets, B bytes in S s: R pps, M Mbit/s, E send errors".
 * Exit status 0, 2 on a usage, file or socket error.
 *
 * Build: make bench/blast (not built by default), or
 *   cc -std=c11 -O2 -o blast bench/blast.c -lpcap
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sendmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

struct cap {
	unsigned char *arena;
	size_t arena_len, arena_cap;
	size_t *off;
	uint32_t *len;
	size_t n, cap;
	uint32_t maxlen;
};

static volatile sig_atomic_t stop;

static void on_int(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "blast: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		die("out of memory");
	return q;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Both addresses in the benchmark ranges (see the safety note above). */
static int frame_ok(const unsigned char *d, uint32_t n)
{
	if (n < 14)
		return 0;
	unsigned type = (unsigned)d[12] << 8 | d[13];
	const unsigned char *ip = d + 14;
	n -= 14;
	if (type == 0x0800) {
		if (n < 20)
			return 0;
		const unsigned char *s = ip + 12, *t = ip + 16;
		return s[0] == 198 && (s[1] & 0xfe) == 18 && t[0] == 198 && (t[1] & 0xfe) == 18;
	}
	if (type == 0x86dd) {
		if (n < 40)
			return 0;
		static const unsigned char pfx[6] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00};
		return memcmp(ip + 8, pfx, 6) == 0 && memcmp(ip + 24, pfx, 6) == 0;
	}
	return 0;
}

static void load(struct cap *c, const char *file, size_t limit)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(file, eb);
	if (!p)
		die("%s: %s", file, eb);
	if (pcap_datalink(p) != DLT_EN10MB)
		die("%s: not an Ethernet capture", file);
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;
	while ((!limit || c->n < limit) && (r = pcap_next_ex(p, &h, &d)) == 1) {
		if (h->caplen != h->len)
			continue;	/* truncated frames are not replayable */
		if (!frame_ok(d, h->caplen))
			die("%s: frame %zu is not IPv4 in 198.18.0.0/15 or IPv6 in 2001:2::/48; refusing to send it",
			    file, c->n + 1);
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 65536;
			c->off = xrealloc(c->off, c->cap * sizeof *c->off);
			c->len = xrealloc(c->len, c->cap * sizeof *c->len);
		}
		if (c->arena_len + h->caplen > c->arena_cap) {
			c->arena_cap = c->arena_cap ? 2 * c->arena_cap : (size_t)64 << 20;
			c->arena = xrealloc(c->arena, c->arena_cap);
		}
		memcpy(c->arena + c->arena_len, d, h->caplen);
		c->off[c->n] = c->arena_len;
		c->len[c->n] = h->caplen;
		c->arena_len += h->caplen;
		if (h->caplen > c->maxlen)
			c->maxlen = h->caplen;
		c->n++;
	}
	pcap_close(p);
	if (!c->n)
		die("%s: no complete frames", file);
}

struct run {
	int fd;
	uint64_t sent, bytes, errors;
	double pps, t0, deadline;
	int batch;
};

/* Sleep until `sent` packets are due at the target rate. */
static void pace(struct run *r)
{
	if (r->pps <= 0)
		return;
	double due = r->t0 + (double)r->sent / r->pps;
	double t = now();
	if (due > t) {
		struct timespec ts = {.tv_sec = (time_t)(due - t), .tv_nsec = (long)((due - t - (time_t)(due - t)) * 1e9)};
		nanosleep(&ts, NULL);
	}
}

static int done(const struct run *r)
{
	return stop || (r->deadline > 0 && now() >= r->deadline);
}

static void send_mmsg(struct run *r, const struct cap *c, uint64_t loops)
{
	struct mmsghdr *mm = calloc((size_t)r->batch, sizeof *mm);
	struct iovec *iov = calloc((size_t)r->batch, sizeof *iov);
	if (!mm || !iov)
		die("out of memory");
	for (uint64_t l = 0; (!loops || l < loops) && !done(r); l++) {
		for (size_t i = 0; i < c->n && !done(r);) {
			int k = 0;
			for (; k < r->batch && i + (size_t)k < c->n; k++) {
				iov[k].iov_base = c->arena + c->off[i + (size_t)k];
				iov[k].iov_len = c->len[i + (size_t)k];
				memset(&mm[k].msg_hdr, 0, sizeof mm[k].msg_hdr);
				mm[k].msg_hdr.msg_iov = &iov[k];
				mm[k].msg_hdr.msg_iovlen = 1;
			}
			pace(r);
			int s = sendmmsg(r->fd, mm, (unsigned)k, 0);
			if (s < 0) {
				if (errno == EINTR)
					continue;
				r->errors++;
				if (errno == ENOBUFS || errno == EAGAIN) {
					struct pollfd pf = {.fd = r->fd, .events = POLLOUT};
					poll(&pf, 1, 1);
					continue;
				}
				perror("blast: sendmmsg");
				exit(2);
			}
			for (int j = 0; j < s; j++)
				r->bytes += c->len[i + (size_t)j];
			r->sent += (uint64_t)s;
			i += (size_t)s;
		}
	}
	free(mm);
	free(iov);
}

static void send_ring(struct run *r, const struct cap *c, uint64_t loops)
{
	int v = TPACKET_V2;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0)
		die("PACKET_VERSION TPACKET_V2: %s", strerror(errno));
	size_t hdr = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
	unsigned fsz = 256;
	while (fsz < hdr + c->maxlen)
		fsz <<= 1;
	struct tpacket_req req;
	memset(&req, 0, sizeof req);
	req.tp_block_size = fsz > (1u << 16) ? fsz : (1u << 16);
	req.tp_frame_size = fsz;
	req.tp_block_nr = (unsigned)(((size_t)32 << 20) / req.tp_block_size);	/* 32 MiB ring */
	req.tp_frame_nr = req.tp_block_nr * (req.tp_block_size / fsz);
	if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0)
		die("PACKET_TX_RING: %s", strerror(errno));
	size_t ring_len = (size_t)req.tp_block_nr * req.tp_block_size;
	unsigned char *ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (ring == MAP_FAILED)
		die("mmap of the transmit ring: %s", strerror(errno));
	unsigned nf = req.tp_frame_nr, cur = 0;
	uint64_t queued = 0;
	for (uint64_t l = 0; (!loops || l < loops) && !done(r); l++) {
		for (size_t i = 0; i < c->n && !done(r); i++) {
			struct tpacket2_hdr *t = (struct tpacket2_hdr *)(ring + (size_t)cur * fsz);
			while (t->tp_status != TP_STATUS_AVAILABLE) {
				if (t->tp_status == TP_STATUS_WRONG_FORMAT)
					die("the kernel rejected a frame (TP_STATUS_WRONG_FORMAT)");
				/* ring full: let the kernel send what is queued, wait for it */
				if (send(r->fd, NULL, 0, 0) < 0 && errno != EINTR && errno != ENOBUFS && errno != EAGAIN) {
					perror("blast: send");
					exit(2);
				}
				if (t->tp_status != TP_STATUS_AVAILABLE) {
					struct pollfd pf = {.fd = r->fd, .events = POLLOUT};
					poll(&pf, 1, 1);
				}
				if (stop)
					goto out;
			}
			memcpy((unsigned char *)t + hdr, c->arena + c->off[i], c->len[i]);
			t->tp_len = c->len[i];
			t->tp_status = TP_STATUS_SEND_REQUEST;
			r->bytes += c->len[i];
			cur = cur + 1 == nf ? 0 : cur + 1;
			if (++queued == (uint64_t)r->batch) {
				pace(r);
				if (send(r->fd, NULL, 0, 0) < 0 && errno != EINTR) {
					if (errno != ENOBUFS && errno != EAGAIN) {
						perror("blast: send");
						exit(2);
					}
					r->errors++;
				}
				r->sent += queued;
				queued = 0;
			}
		}
	}
out:
	if (queued) {
		while (send(r->fd, NULL, 0, 0) < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) && !stop)
			r->errors++;
		r->sent += queued;
	}
	/* wait until the kernel has taken every frame (at most a second) */
	double until = now() + 1.0;
	for (unsigned k = 0; k < nf && now() < until;) {
		struct tpacket2_hdr *t = (struct tpacket2_hdr *)(ring + (size_t)k * fsz);
		if (t->tp_status == TP_STATUS_SEND_REQUEST || t->tp_status == TP_STATUS_SENDING) {
			send(r->fd, NULL, 0, 0);
			continue;
		}
		k++;
	}
	munmap(ring, ring_len);
}

static void usage(void)
{
	fprintf(stderr, "usage: blast -i IFACE -f FILE [-l LOOPS] [-p PPS] [-t SECONDS] [-m ring|mmsg] "
			"[-b BATCH] [-n PACKETS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *iface = NULL, *file = NULL, *mode = "ring";
	uint64_t loops = 1;
	double secs = 0;
	size_t limit = 0;
	struct run r;
	memset(&r, 0, sizeof r);
	r.batch = 256;
	int o;
	while ((o = getopt(argc, argv, "i:f:l:p:t:m:b:n:h")) != -1) {
		switch (o) {
		case 'i': iface = optarg; break;
		case 'f': file = optarg; break;
		case 'l': loops = strtoull(optarg, NULL, 10); break;
		case 'p': r.pps = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'm': mode = optarg; break;
		case 'b': r.batch = atoi(optarg); break;
		case 'n': limit = (size_t)strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!iface || !file || r.batch < 1 || r.batch > 65536 || (strcmp(mode, "ring") && strcmp(mode, "mmsg")))
		usage();
	if (!loops && secs <= 0)
		fprintf(stderr, "blast: -l 0 without -t: until SIGINT\n");

	struct cap c;
	memset(&c, 0, sizeof c);
	load(&c, file, limit);

	unsigned ifx = if_nametoindex(iface);
	if (!ifx)
		die("%s: no such interface", iface);
	r.fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: send only, receive nothing */
	if (r.fd < 0)
		die("AF_PACKET socket: %s (needs root or CAP_NET_RAW)", strerror(errno));
	int one = 1;
	if (setsockopt(r.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)
		fprintf(stderr, "blast: PACKET_QDISC_BYPASS: %s (sending through the qdisc)\n", strerror(errno));
	int sb = 16 << 20;
	setsockopt(r.fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifx;
	sll.sll_protocol = 0;
	if (bind(r.fd, (struct sockaddr *)&sll, sizeof sll) != 0)
		die("bind to %s: %s", iface, strerror(errno));

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fprintf(stderr, "blast: %zu frames (%zu bytes, largest %u) from %s onto %s, %s mode, batch %d\n", c.n,
		c.arena_len, c.maxlen, file, iface, mode, r.batch);
	r.t0 = now();
	if (secs > 0)
		r.deadline = r.t0 + secs;
	if (!strcmp(mode, "ring"))
		send_ring(&r, &c, loops);
	else
		send_mmsg(&r, &c, loops);
	double el = now() - r.t0;
	printf("blast: %llu packets, %llu bytes in %.3f s: %.0f pps, %.1f Mbit/s, %llu send errors\n",
	       (unsigned long long)r.sent, (unsigned long long)r.bytes, el, el > 0 ? (double)r.sent / el : 0.0,
	       el > 0 ? (double)r.bytes * 8 / el / 1e6 : 0.0, (unsigned long long)r.errors);
	close(r.fd);
	free(c.arena);
	free(c.off);
	free(c.len);
	return 0;
}
