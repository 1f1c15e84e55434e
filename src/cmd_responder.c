/* \summary: `rpcwatch responder`: answer rpcwatch probe datagrams on a port range
 *
 * Run on the far host (e.g. the Outlook client when checking server -> client
 * UDP new-mail notifications).  One UDP socket per port (dual-stack IPv6 with
 * IPV6_V6ONLY off unless --bind names an address), all in one epoll set; each
 * valid probe datagram (probe.h: "RWPR", version 1, type 1, port, nonce) is
 * answered from the address it was sent to with type 2, the port it arrived on
 * and the nonce unchanged, so the prober can tell a real answer from a spoofed
 * one.  The answer is exactly as long as the probe (no amplification);
 * anything else is counted and dropped.  T: ports get a listening TCP socket
 * that accepts and closes connections, so SYN probes see them open.
 *
 * Limits: one descriptor per port (a full 1024-65535 range is 64,512
 * descriptors); RLIMIT_NOFILE is raised to its hard limit and, if still too
 * small, responder refuses to start and says how many it needs.  Ports that are
 * already in use are skipped with one warning naming how many and the first.
 * At most 64 datagrams are read per socket per wakeup.  SIGINT/SIGTERM stop it;
 * a counter line goes to stderr on exit.
 */
#define _GNU_SOURCE 1	/* in6_pktinfo, accept4 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd_probe.h"
#include "probe.h"
#include "util.h"

#define CMD "responder"

/* The only global: what the signal handler needs. */
static volatile sig_atomic_t resp_stop;
static void on_signal(int sig) { resp_stop = sig; }

struct rsock {
	int fd;
	uint8_t proto;
	uint16_t port;
};

struct responder {
	struct rsock *s;
	size_t ns;
	int ep;
	int verbose;
	uint64_t answered, ignored, accepted;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch responder [-p PORTS] [--bind ADDR] [-v]\n"
		"\n"
		"Answer rpcwatch probe datagrams so that a probe from the other side gets a\n"
		"definite verdict for UDP ports: an answer is 'open', silence 'filtered'.\n"
		"\n"
		"  -p, --ports LIST   ports to serve; items without prefix are UDP, T: items\n"
		"                     get a TCP listener (default 1024-65535)\n"
		"  -b, --bind ADDR    listen on this address only (default: all, IPv4 and IPv6)\n"
		"  -v, --verbose      one line per answered probe on stderr\n"
		"  -h, --help\n"
		"\n"
		"Pair: 'rpcwatch responder -p 1024-65535' on the client, then\n"
		"'rpcwatch check --profile exchange-newmail' on the server side.\n");
}

static int open_one(struct responder *r, const struct addr *bind_to, uint8_t proto, uint16_t port, int *eaddr)
{
	int family = bind_to && bind_to->family == 4 ? AF_INET : AF_INET6;
	int fd = socket(family, (proto == 6 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, zero = 0;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, bind_to->a, 4);
		sl = sizeof *s4;
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (bind_to)
			memcpy(&s6->sin6_addr, bind_to->a, 16);
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		sl = sizeof *s6;
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
	}
	if (proto == 6)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (proto == 6 && listen(fd, 64) < 0)) {
		*eaddr = errno;
		close(fd);
		return -1;
	}
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u64 = r->ns;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		*eaddr = errno;
		close(fd);
		return -1;
	}
	r->s[r->ns].fd = fd;
	r->s[r->ns].proto = proto;
	r->s[r->ns].port = port;
	r->ns++;
	return 0;
}

/* Answer what is queued on one UDP socket (at most 64 datagrams). */
static void serve_udp(struct responder *r, struct rsock *s)
{
	for (int k = 0; k < 64; k++) {
		uint8_t buf[512];
		char ctl[256];
		struct sockaddr_storage from;
		struct iovec iov = {buf, sizeof buf};
		struct msghdr mh;
		memset(&mh, 0, sizeof mh);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof from;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof ctl;
		ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		uint8_t type;
		uint16_t port;
		uint64_t nonce;
		if (!probe_resp_parse(buf, (size_t)n, &type, &port, &nonce) || type != PROBE_RESP_T_PROBE) {
			r->ignored++;
			continue;
		}
		/* answer from the address the probe was sent to */
		char octl[256];
		size_t olen = 0;
		memset(octl, 0, sizeof octl);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct cmsghdr *oc = (struct cmsghdr *)(octl + olen);
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof pi);
				pi.ipi_spec_dst = pi.ipi_addr;
				pi.ipi_ifindex = 0;
				oc->cmsg_level = IPPROTO_IP;
				oc->cmsg_type = IP_PKTINFO;
				oc->cmsg_len = CMSG_LEN(sizeof pi);
				memcpy(CMSG_DATA(oc), &pi, sizeof pi);
				olen += CMSG_SPACE(sizeof pi);
				break;
			}
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof pi);
				pi.ipi6_ifindex = 0;
				oc->cmsg_level = IPPROTO_IPV6;
				oc->cmsg_type = IPV6_PKTINFO;
				oc->cmsg_len = CMSG_LEN(sizeof pi);
				memcpy(CMSG_DATA(oc), &pi, sizeof pi);
				olen += CMSG_SPACE(sizeof pi);
				break;
			}
		}
		uint8_t ans[PROBE_RESP_LEN];
		size_t alen = probe_resp_build(ans, PROBE_RESP_T_ANSWER, s->port, nonce);
		struct iovec oiov = {ans, alen};
		struct msghdr om;
		memset(&om, 0, sizeof om);
		om.msg_name = &from;
		om.msg_namelen = mh.msg_namelen;
		om.msg_iov = &oiov;
		om.msg_iovlen = 1;
		om.msg_control = olen ? octl : NULL;
		om.msg_controllen = olen;
		if (sendmsg(s->fd, &om, MSG_DONTWAIT) < 0 && olen) {
			om.msg_control = NULL;	/* the kernel refused the source address: let it choose */
			om.msg_controllen = 0;
			sendmsg(s->fd, &om, MSG_DONTWAIT);
		}
		r->answered++;
		if (r->verbose) {
			char ab[64] = "?";
			if (from.ss_family == AF_INET6) {
				struct addr a;
				addr_set6(&a, (const uint8_t *)&((struct sockaddr_in6 *)&from)->sin6_addr);
				addr_port_str(&a, ntohs(((struct sockaddr_in6 *)&from)->sin6_port), ab, sizeof ab);
			} else if (from.ss_family == AF_INET) {
				struct addr a;
				addr_set4(&a, (const uint8_t *)&((struct sockaddr_in *)&from)->sin_addr);
				addr_port_str(&a, ntohs(((struct sockaddr_in *)&from)->sin_port), ab, sizeof ab);
			}
			fprintf(stderr, "responder: answered probe from %s on udp/%u\n", ab, s->port);
		}
	}
}

int cmd_responder(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ports = "1024-65535", *bind_s = NULL;
	struct responder r;
	memset(&r, 0, sizeof r);
	int opt;
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":p:b:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p': ports = optarg; break;
		case 'b': bind_s = optarg; break;
		case 'v': r.verbose = 1; break;
		case 'h': usage(stdout); return RW_EXIT_OK;
		default: rw_bad_option(CMD, argv, opt);
		}
	}
	if (optind < argc)
		rw_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	struct addr bind_a, *bind_to = NULL;
	if (bind_s) {
		if (!addr_parse(&bind_a, bind_s))
			rw_usage_error(CMD, "--bind '%s' is not a numeric IPv4 or IPv6 address", bind_s);
		bind_to = &bind_a;
	}
	/* items without a prefix are UDP here */
	const char *first_colon = strchr(ports, ':'), *first_comma = strchr(ports, ',');
	int prefixed = first_colon && (!first_comma || first_colon < first_comma);
	size_t sl = strlen(ports) + 3;
	char *spec = xcalloc(sl, 1);
	snprintf(spec, sl, "%s%s", prefixed ? "" : "U:", ports);
	struct probe_port *pl;
	size_t np;
	char err[256];
	if (probe_ports_parse(spec, &pl, &np, err, sizeof err) < 0) {
		free(spec);
		rw_usage_error(CMD, "%s", err);
	}
	free(spec);
	/* one descriptor per port, plus a few */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < np + 32) {
		rw_err(CMD, "%zu ports need %zu file descriptors, but the limit is %llu; serve fewer ports "
			    "or raise 'ulimit -n'", np, np + 32, (unsigned long long)rl.rlim_cur);
		free(pl);
		return RW_EXIT_USAGE;
	}
	r.s = xcalloc(np, sizeof *r.s);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (r.ep < 0) {
		rw_err(CMD, "epoll_create1: %s", strerror(errno));
		free(pl);
		free(r.s);
		return RW_EXIT_USAGE;
	}
	size_t nfail = 0, nudp = 0, ntcp = 0;
	int first_fail_port = -1, first_errno = 0;
	for (size_t i = 0; i < np; i++) {
		int e = 0;
		if (open_one(&r, bind_to, pl[i].proto, pl[i].port, &e) < 0) {
			if (!e)
				e = errno;
			if (e != EADDRINUSE && e != EACCES) {
				rw_err(CMD, "%s/%u: %s", pl[i].proto == 6 ? "tcp" : "udp", pl[i].port, strerror(e));
				goto fail;
			}
			if (first_fail_port < 0) {
				first_fail_port = pl[i].port;
				first_errno = e;
			}
			nfail++;
			continue;
		}
		if (pl[i].proto == 6)
			ntcp++;
		else
			nudp++;
	}
	if (nfail)
		fprintf(stderr, "responder: warning: %zu ports skipped (first: %d: %s)\n", nfail, first_fail_port,
			strerror(first_errno));
	if (!r.ns) {
		rw_err(CMD, "no port could be opened");
		goto fail;
	}
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	resp_stop = 0;
	fprintf(stderr, "responder: listening on %zu UDP and %zu TCP ports\n", nudp, ntcp);
	while (!resp_stop) {
		struct epoll_event ev[256];
		int k = epoll_wait(r.ep, ev, 256, 1000);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rw_err(CMD, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int j = 0; j < k; j++) {
			struct rsock *s = &r.s[ev[j].data.u64];
			if (s->proto == 17) {
				serve_udp(&r, s);
				continue;
			}
			int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				close(c);
				r.accepted++;
			}
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	fprintf(stderr, "responder: stopped: %llu probes answered, %llu other datagrams ignored, "
			"%llu TCP connections accepted\n",
		(unsigned long long)r.answered, (unsigned long long)r.ignored, (unsigned long long)r.accepted);
	for (size_t i = 0; i < r.ns; i++)
		close(r.s[i].fd);
	close(r.ep);
	free(r.s);
	free(pl);
	return RW_EXIT_OK;
fail:
	for (size_t i = 0; i < r.ns; i++)
		close(r.s[i].fd);
	close(r.ep);
	free(r.s);
	free(pl);
	return RW_EXIT_USAGE;
}
