/* \summary: unit tests for the watch screen's model (src/model.c): rings, filtering, sorting,
 * non-destructive snapshots (diag_snapshot) and the evidence pcap, on byte arrays and the lab samples */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addr.h"
#include "decode.h"
#include "diag.h"
#include "model.h"
#include "reader.h"

#ifndef MODEL_TOP_SRCDIR
#define MODEL_TOP_SRCDIR "."
#endif

static const char *sample(const char *name, char *buf, size_t n)
{
	const char *top = getenv("TOP_SRCDIR");
	snprintf(buf, n, "%s/data/samples/%s", top && *top ? top : MODEL_TOP_SRCDIR, name);
	return buf;
}

/* Open a sample and make a model for it (1 MiB ring, analyze's flow timeout). */
static struct model *open_sample(const char *name, pcap_t **pc)
{
	char path[1024], eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(sample(name, path, sizeof path), eb);
	assert_non_null(p);
	struct model_opts o;
	memset(&o, 0, sizeof o);
	o.flow_timeout_s = 300;
	o.ring_bytes = 1 << 20;
	struct model *m = model_new(&o, pcap_datalink(p), pcap_snapshot(p));
	assert_non_null(m);
	*pc = p;
	return m;
}

/* Feed a whole sample into a new model (not finished). */
static struct model *load(const char *name, int *linktype)
{
	pcap_t *p;
	struct model *m = open_sample(name, &p);
	if (linktype)
		*linktype = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1)
		model_packet(m, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec, d, h->caplen, h->len);
	pcap_close(p);
	return m;
}

static const struct model_endpoint *find_ep(const struct model *m, uint16_t port)
{
	for (size_t i = 0; i < model_nendpoints(m); i++)
		if (model_endpoint(m, i)->port == port)
			return model_endpoint(m, i);
	return NULL;
}

static size_t count_kind(const struct model *m, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < model_nfindings(m); i++)
		if (!strcmp(model_finding(m, i)->kind, kind))
			n++;
	return n;
}

/* ---- mring -------------------------------------------------------------------------- */

static void test_mring_wraps_newest_first(void **state)
{
	(void)state;
	struct mring r;
	assert_int_equal(mring_init(&r, sizeof(int), 3), 0);
	assert_null(mring_at(&r, 0));
	for (int i = 1; i <= 5; i++)
		*(int *)mring_push(&r) = i;
	assert_int_equal(r.n, 3);
	assert_int_equal(r.pushed, 5);
	assert_int_equal(*(int *)mring_at(&r, 0), 5);
	assert_int_equal(*(int *)mring_at(&r, 1), 4);
	assert_int_equal(*(int *)mring_at(&r, 2), 3);
	assert_null(mring_at(&r, 3));
	mring_free(&r);
	assert_int_equal(mring_init(&r, sizeof(int), 0), -1);
}

static void test_mring_slot_is_zeroed(void **state)
{
	(void)state;
	struct mring r;
	assert_int_equal(mring_init(&r, 16, 1), 0);
	memset(mring_push(&r), 0xab, 16);
	unsigned char *s = mring_push(&r);
	for (int i = 0; i < 16; i++)
		assert_int_equal(s[i], 0);
	assert_int_equal(r.n, 1);
	mring_free(&r);
}

/* ---- pktring -------------------------------------------------------------------------- */

static void fill(unsigned char *b, size_t n, unsigned char v) { memset(b, v, n); }

static void check_pkt(const struct pktring *r, size_t i, uint64_t ts, uint32_t caplen, unsigned char v)
{
	const unsigned char *d;
	const struct mpkt *p = pktring_at(r, i, &d);
	assert_non_null(p);
	assert_int_equal(p->ts_us, ts);
	assert_int_equal(p->caplen, caplen);
	for (uint32_t k = 0; k < caplen; k++)
		assert_int_equal(d[k], v);
	assert_true(p->off + p->caplen <= r->cap);
}

static void test_pktring_byte_bound(void **state)
{
	(void)state;
	struct pktring r;
	unsigned char b[400];
	assert_int_equal(pktring_init(&r, 1000, 100), 0);
	for (unsigned i = 0; i < 3; i++) {
		fill(b, 300, (unsigned char)(i + 1));
		pktring_push(&r, 10 + i, b, 300, 1500);
	}
	assert_int_equal(r.n, 3);
	assert_int_equal(r.dropped, 0);
	/* the 4th does not fit after the 3rd: it wraps to 0 and pushes out the oldest */
	fill(b, 300, 4);
	pktring_push(&r, 13, b, 300, 1500);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.dropped, 1);
	check_pkt(&r, 0, 11, 300, 2);
	check_pkt(&r, 1, 12, 300, 3);
	check_pkt(&r, 2, 13, 300, 4);
	/* a big one drops as many as it needs, and the contents survive */
	fill(b, 400, 5);
	pktring_push(&r, 14, b, 400, 400);
	check_pkt(&r, r.n - 1, 14, 400, 5);
	check_pkt(&r, r.n - 2, 13, 300, 4);
	assert_null(pktring_at(&r, r.n, NULL));
	size_t total = 0;
	for (size_t i = 0; i < r.n; i++)
		total += pktring_at(&r, i, NULL)->caplen;
	assert_true(total <= r.cap);
	pktring_free(&r);
}

static void test_pktring_count_bound_and_oversize(void **state)
{
	(void)state;
	struct pktring r;
	unsigned char b[64];
	assert_int_equal(pktring_init(&r, 32, 2), 0);
	for (unsigned i = 0; i < 5; i++) {
		fill(b, 4, (unsigned char)i);
		pktring_push(&r, i, b, 4, 4);
	}
	assert_int_equal(r.n, 2);
	check_pkt(&r, 0, 3, 4, 3);
	check_pkt(&r, 1, 4, 4, 4);
	fill(b, 64, 9);
	pktring_push(&r, 5, b, 64, 64);	/* larger than the ring: cut to it */
	check_pkt(&r, r.n - 1, 5, 32, 9);
	assert_int_equal(pktring_at(&r, r.n - 1, NULL)->len, 64);
	pktring_free(&r);
}

static void test_pktring_many_random_sizes(void **state)
{
	(void)state;
	struct pktring r;
	unsigned char b[300];
	assert_int_equal(pktring_init(&r, 4096, 0), 0);
	uint32_t seed = 12345;
	for (unsigned i = 0; i < 5000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t len = (seed >> 16) % 300;
		fill(b, len, (unsigned char)i);
		pktring_push(&r, i, b, len, len);
		/* newest always present and intact; records in order and inside the buffer */
		check_pkt(&r, r.n - 1, i, len, (unsigned char)i);
		for (size_t k = 1; k < r.n; k++)
			assert_true(pktring_at(&r, k - 1, NULL)->ts_us < pktring_at(&r, k, NULL)->ts_us);
	}
	for (size_t k = 0; k < r.n; k++) {
		const struct mpkt *p = pktring_at(&r, k, NULL);
		check_pkt(&r, k, p->ts_us, p->caplen, (unsigned char)p->ts_us);
	}
	pktring_free(&r);
}

/* ---- filtering and sorting ------------------------------------------------------------- */

static size_t resident_pages(const void *p, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1), e = (uintptr_t)p + n;
	size_t np = (e - a + (size_t)pg - 1) / (size_t)pg;
	unsigned char *v = malloc(np);
	assert_non_null(v);
	assert_int_equal(mincore((void *)a, e - a, v), 0);
	size_t r = 0;
	for (size_t i = 0; i < np; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* A prefaulted ring has every page of both arrays resident before any
 * packet; a plain one does not; either works the same afterwards. */
static void test_pktring_prefault(void **state)
{
	(void)state;
	long pg = sysconf(_SC_PAGESIZE);
	size_t cap = 8u << 20, pages = cap / (size_t)pg;
	struct pktring a, b;
	assert_int_equal(pktring_init(&a, cap, 0), 0);
	assert_int_equal(pktring_init(&b, cap, 0), 0);
	assert_true(resident_pages(a.data, cap) < pages / 2);
	pktring_prefault(&b);
	assert_true(resident_pages(b.data, cap) >= pages);
	assert_true(resident_pages(b.rec, b.rcap * sizeof *b.rec) >= b.rcap * sizeof *b.rec / (size_t)pg);
	unsigned char buf[1500];
	for (unsigned i = 0; i < 20000; i++) {
		fill(buf, sizeof buf, (unsigned char)i);
		pktring_push(&a, i, buf, 60 + i % 1400, 60 + i % 1400);
		pktring_push(&b, i, buf, 60 + i % 1400, 60 + i % 1400);
	}
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const unsigned char *da, *db;
		const struct mpkt *x = pktring_at(&a, i, &da), *y = pktring_at(&b, i, &db);
		assert_int_equal(x->ts_us, y->ts_us);
		assert_int_equal(x->caplen, y->caplen);
		assert_memory_equal(da, db, x->caplen);
	}
	pktring_free(&a);
	pktring_free(&b);
}

static struct model_endpoint mk_ep(const char *ip, uint16_t port, uint8_t proto, const char *role, const char *iface,
				   const char *verdict)
{
	struct model_endpoint e;
	memset(&e, 0, sizeof e);
	assert_int_equal(addr_parse(&e.server, ip), 1);
	e.port = port;
	e.proto = proto;
	snprintf(e.role, sizeof e.role, "%s", role);
	snprintf(e.iface, sizeof e.iface, "%s", iface);
	snprintf(e.verdict, sizeof e.verdict, "%s", verdict);
	e.label = model_verdict_label(verdict);
	e.tone = model_verdict_tone(verdict, role);
	return e;
}

static void test_labels_and_tones(void **state)
{
	(void)state;
	assert_string_equal(model_verdict_label("open"), "LISTENING");
	assert_string_equal(model_verdict_label("closed"), "NOT LISTENING");
	assert_string_equal(model_verdict_label("filtered"), "FILTERED");
	assert_string_equal(model_verdict_label("open|filtered"), "LISTENING or FILTERED");
	assert_string_equal(model_verdict_label("unknown"), "-");
	assert_int_equal(model_verdict_tone("open", "epm"), TONE_FINE);
	assert_int_equal(model_verdict_tone("filtered", "dynamic"), TONE_BLOCKED);
	assert_int_equal(model_verdict_tone("closed", "epm"), TONE_BLOCKED);
	assert_int_equal(model_verdict_tone("closed", ""), TONE_SUSPICIOUS);
	assert_int_equal(model_verdict_tone("open|filtered", "notify"), TONE_SUSPICIOUS);
}

static void test_endpoint_filter(void **state)
{
	(void)state;
	struct model_endpoint a = mk_ep("198.18.2.20", 49157, PROTO_TCP, "dynamic", "EMSMDB", "filtered");
	struct model_endpoint b = mk_ep("198.18.2.20", 135, PROTO_TCP, "epm", "EPM", "open");
	struct model_endpoint c = mk_ep("2001:2:0:2::20", 49157, PROTO_TCP, "dynamic", "EMSMDB", "open");
	assert_true(model_endpoint_match(&a, NULL));
	assert_true(model_endpoint_match(&a, ""));
	assert_true(model_endpoint_match(&a, "   "));
	assert_true(model_endpoint_match(&a, "198.18.2.20"));
	assert_true(model_endpoint_match(&a, "49157"));
	assert_true(model_endpoint_match(&a, "emsmdb"));
	assert_true(model_endpoint_match(&a, "EMSMDB 49157"));
	assert_true(model_endpoint_match(&a, "FILTERED"));
	assert_false(model_endpoint_match(&a, "EMSMDB 135"));
	assert_false(model_endpoint_match(&b, "49157"));
	assert_true(model_endpoint_match(&b, ":135"));
	assert_true(model_endpoint_match(&b, "listening"));
	assert_false(model_endpoint_match(&b, "198.18.1.10"));
	assert_true(model_endpoint_match(&c, "2001:2:0:2::20"));
	assert_true(model_endpoint_match(&c, "[2001:2:0:2::20]:49157"));
	assert_false(model_endpoint_match(&c, "198.18"));
}

static void test_endpoint_sort(void **state)
{
	(void)state;
	struct model_endpoint e[4] = {
		mk_ep("198.18.2.20", 135, PROTO_TCP, "epm", "EPM", "open"),
		mk_ep("198.18.2.20", 49157, PROTO_TCP, "dynamic", "EMSMDB", "filtered"),
		mk_ep("198.18.1.10", 50123, PROTO_UDP, "notify", "EMSMDB", "open|filtered"),
		mk_ep("198.18.2.9", 445, PROTO_TCP, "", "", "open"),
	};
	const struct model_endpoint *v[4] = {&e[0], &e[1], &e[2], &e[3]};
	model_sort_endpoints(v, 4, 0);	/* trouble first, then address */
	assert_ptr_equal(v[0], &e[1]);
	assert_ptr_equal(v[1], &e[2]);
	assert_ptr_equal(v[2], &e[3]);	/* 198.18.2.9 < 198.18.2.20 numerically */
	assert_ptr_equal(v[3], &e[0]);
	model_sort_endpoints(v, 4, 1);	/* address */
	assert_ptr_equal(v[0], &e[2]);
	assert_ptr_equal(v[1], &e[3]);
	assert_ptr_equal(v[2], &e[0]);
	assert_ptr_equal(v[3], &e[1]);
	model_sort_endpoints(v, 4, 2);	/* port */
	assert_ptr_equal(v[0], &e[0]);
	assert_ptr_equal(v[1], &e[3]);
	assert_ptr_equal(v[2], &e[1]);
	assert_ptr_equal(v[3], &e[2]);
	assert_string_equal(model_sort_name(PANE_ENDPOINTS, 0), "trouble first");
	assert_string_equal(model_sort_name(PANE_FINDINGS, 1), "most severe first");
	assert_string_equal(model_sort_name(PANE__COUNT, 0), "?");
}

static void test_call_and_finding_sort(void **state)
{
	(void)state;
	struct model_call c[3];
	memset(c, 0, sizeof c);
	for (int i = 0; i < 3; i++)
		c[i].seq = (uint64_t)i + 1;
	snprintf(c[0].iface, sizeof c[0].iface, "EPM");
	snprintf(c[1].iface, sizeof c[1].iface, "EMSMDB");
	snprintf(c[2].iface, sizeof c[2].iface, "EMSMDB");
	c[0].failed = 1;
	const struct model_call *v[3] = {&c[0], &c[1], &c[2]};
	model_sort_calls(v, 3, 0);
	assert_ptr_equal(v[0], &c[2]);
	assert_ptr_equal(v[2], &c[0]);
	model_sort_calls(v, 3, 1);
	assert_ptr_equal(v[0], &c[0]);
	assert_ptr_equal(v[1], &c[2]);
	model_sort_calls(v, 3, 2);
	assert_ptr_equal(v[0], &c[2]);	/* EMSMDB, newest first */
	assert_ptr_equal(v[1], &c[1]);
	assert_ptr_equal(v[2], &c[0]);

	struct diag_finding f[3];
	memset(f, 0, sizeof f);
	f[0].kind = "port_filtered";
	f[0].severity = SEV_ERROR;
	f[0].nev = 2;
	f[0].ev[0].frame = 11;
	f[0].ev[1].frame = 16;
	f[1].kind = "port_out_of_range";
	f[1].severity = SEV_INFO;
	f[1].nev = 1;
	f[1].ev[0].frame = 20;
	f[2].kind = "bind_rejected";
	f[2].severity = SEV_WARNING;
	f[2].nev = 1;
	f[2].ev[0].frame = 3;
	assert_int_equal(model_finding_frame(&f[0]), 16);
	const struct diag_finding *fv[3] = {&f[0], &f[1], &f[2]};
	model_sort_findings(fv, 3, 0);	/* newest evidence first */
	assert_ptr_equal(fv[0], &f[1]);
	assert_ptr_equal(fv[1], &f[0]);
	assert_ptr_equal(fv[2], &f[2]);
	model_sort_findings(fv, 3, 1);	/* most severe first */
	assert_ptr_equal(fv[0], &f[0]);
	assert_ptr_equal(fv[1], &f[2]);
	assert_ptr_equal(fv[2], &f[1]);
	model_sort_findings(fv, 3, 2);	/* kind */
	assert_ptr_equal(fv[0], &f[2]);
	snprintf(f[0].summary, sizeof f[0].summary, "198.18.2.20:49157/tcp (EMSMDB) is filtered");
	f[0].has_server = 1;
	assert_int_equal(addr_parse(&f[0].server, "198.18.2.20"), 1);
	f[0].port = 49157;
	assert_true(model_finding_match(&f[0], "49157"));
	assert_true(model_finding_match(&f[0], "port_filtered"));
	assert_false(model_finding_match(&f[0], "198.18.1.10"));
}

/* ---- the model on the lab's samples ------------------------------------------------------ */

static void test_live_snapshot_is_nondestructive(void **state)
{
	(void)state;
	struct model *m = load("dynamic-dropped-client.pcap", NULL);
	/* before the end: the SYN flow to 49157 is still in the flow table */
	assert_true(model_dirty(m));
	assert_int_equal(model_refresh(m, 0), 0);
	assert_false(model_dirty(m));
	const struct model_endpoint *e = find_ep(m, 49157);
	assert_non_null(e);
	assert_string_equal(e->verdict, "filtered");
	assert_string_equal(e->reason, "no-response");
	assert_string_equal(e->label, "FILTERED");
	assert_string_equal(e->role, "dynamic");
	assert_string_equal(e->iface, "EMSMDB");
	assert_int_equal(e->tone, TONE_BLOCKED);
	assert_int_equal(count_kind(m, "port_filtered"), 1);
	unsigned c[3];
	model_counts(m, c);
	assert_int_equal(c[SEV_ERROR], 1);
	/* again, and again with the clock moved: nothing piles up */
	assert_int_equal(model_refresh(m, 0), 0);
	assert_int_equal(model_refresh(m, model_stats(m)->last_ts_us + 10000000u), 0);
	assert_int_equal(count_kind(m, "port_filtered"), 1);
	assert_int_equal(model_nendpoints(m), 2);
	/* the end of input gives what analyze reports */
	model_finish(m);
	assert_true(model_finished(m));
	assert_int_equal(model_refresh(m, 0), 0);
	assert_int_equal(model_nfindings(m), 1);
	assert_int_equal(count_kind(m, "port_filtered"), 1);
	e = find_ep(m, 49157);
	assert_non_null(e);
	assert_string_equal(e->verdict, "filtered");
	const struct diag_finding *f = model_finding(m, 0);
	assert_int_equal(f->nev, 4);
	assert_int_equal(f->ev[0].frame, 11);
	assert_int_equal(f->ev[3].frame, 16);
	/* the EPM call that handed out the port names it */
	assert_int_equal(model_ncalls(m), 1);
	assert_string_equal(model_call(m, 0)->iface, "EPM");
	assert_string_equal(model_call(m, 0)->op, "ept_map");
	assert_non_null(strstr(model_call(m, 0)->result, "198.18.2.20[49157]"));
	assert_int_equal(model_stats(m)->packets, 16);
	model_free(m);
}

static void test_register_refused(void **state)
{
	(void)state;
	struct model *m = load("register-refused-client.pcap", NULL);
	model_finish(m);
	assert_int_equal(model_refresh(m, 0), 0);
	assert_int_equal(model_nregs(m), 1);
	const struct model_reg *r = model_reg(m, 0);
	assert_string_equal(r->result, "ecNotSupported");
	assert_true(r->failed);
	assert_int_equal(r->rc, 0x80040102u);
	assert_int_equal(r->af, 4);
	assert_int_equal(r->cb_port, 50123);
	assert_int_equal(r->notifications, 0);
	assert_int_equal(count_kind(m, "register_failed"), 1);
	int seen = 0;
	for (size_t i = 0; i < model_ncalls(m); i++) {
		const struct model_call *c = model_call(m, i);
		if (!strcmp(c->op, "EcRRegisterPushNotification")) {
			seen = 1;
			assert_string_equal(c->result, "ecNotSupported");
			assert_true(c->failed);
		}
	}
	assert_true(seen);
	/* newest call first */
	assert_string_equal(model_call(m, 0)->op, "EcDoDisconnect");
	model_free(m);
}

static void test_notify_counts_and_window(void **state)
{
	(void)state;
	struct model *m = load("notify-rejected-client.pcap", NULL);
	model_finish(m);
	assert_int_equal(model_refresh(m, 0), 0);
	assert_int_equal(model_nregs(m), 1);
	assert_int_equal(model_reg(m, 0)->notifications, 2);
	assert_true(model_reg(m, 0)->last_seen_us > model_reg(m, 0)->ts_us);
	assert_int_equal(count_kind(m, "notify_rejected"), 1);
	model_free(m);

	/* registered, nothing arrives: notify_missing only once the window has passed */
	m = load("notify-dropped-client.pcap", NULL);
	model_finish(m);
	assert_int_equal(model_refresh(m, 0), 0);
	assert_int_equal(count_kind(m, "notify_missing"), 0);
	uint64_t later = model_stats(m)->last_ts_us + 61000000u;
	assert_int_equal(model_refresh(m, later), 0);
	assert_int_equal(count_kind(m, "notify_missing"), 1);
	assert_int_equal(model_refresh(m, later), 0);
	assert_int_equal(count_kind(m, "notify_missing"), 1);
	model_free(m);
}

static void test_write_pcap(void **state)
{
	(void)state;
	int dlt;
	struct model *m = load("register-refused-client.pcap", &dlt);
	char path[] = "/tmp/rw-test-model-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	assert_int_equal(model_write_pcap(m, path, 0, err, sizeof err), 28);
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), dlt);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;
	uint64_t first = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (!n)
			first = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		n++;
	}
	pcap_close(p);
	assert_int_equal(n, 28);
	assert_int_equal(first, model_stats(m)->first_ts_us);
	/* a window shorter than the capture keeps only its tail (the capture spans < 1 s, so
	 * fake the span: add a packet 5 s later) */
	const unsigned char *d0;
	const struct mpkt *p0 = pktring_at(model_packets(m), 0, &d0);
	model_packet(m, model_stats(m)->last_ts_us + 5000000u, d0, p0->caplen, p0->len);
	assert_int_equal(model_write_pcap(m, path, 2, err, sizeof err), 1);
	assert_int_equal(model_write_pcap(m, "/nonexistent-dir/x.pcap", 0, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	unlink(path);
	model_free(m);
}

/* ---- diag_snapshot itself, also with merged-capture state ------------------------------------ */

struct collect {
	char text[8192];
	size_t len;
	unsigned n_ep, n_f;
};

static void col_ep(void *ctx, const struct diag_endpoint_view *v)
{
	struct collect *c = ctx;
	char ab[ADDR_STRLEN];
	c->n_ep++;
	c->len += (size_t)snprintf(c->text + c->len, sizeof c->text - c->len, "E %s %u %s %s|", addr_str(&v->server, ab, sizeof ab),
				   v->port, v->verdict, v->reason ? v->reason : "");
	assert_true(c->len < sizeof c->text);
}

static void col_f(void *ctx, const struct diag_finding *f)
{
	struct collect *c = ctx;
	c->n_f++;
	c->len += (size_t)snprintf(c->text + c->len, sizeof c->text - c->len, "F %s %s x%u|", f->kind, f->summary, f->count);
	assert_true(c->len < sizeof c->text);
}

static void test_diag_snapshot_merged_state(void **state)
{
	(void)state;
	struct diag_opts o = {.notify_window_s = 60, .range_lo = 49152, .range_hi = 65535, .nfiles = 2};
	struct diag *d = diag_new(&o);
	assert_non_null(d);
	uint64_t t0 = 1700000000000000ull;
	struct rpc_notify_reg_ev r;
	memset(&r, 0, sizeof r);
	r.ep.proto = PROTO_TCP;
	assert_int_equal(addr_parse(&r.ep.cli, "198.18.1.10"), 1);
	assert_int_equal(addr_parse(&r.ep.srv, "198.18.2.20"), 1);
	r.ep.cport = 50000;
	r.ep.sport = 49157;
	r.req_frame = 10;
	r.resp_frame = 11;
	r.ts_us = t0;
	r.reg_id = 1;
	r.af = 4;
	r.cb_ip = r.ep.cli;
	r.cb_port = 50123;
	r.answered = r.has_rc = 1;
	diag_source(d, 0);
	diag_notify_reg(d, &r);
	struct rpc_notify_udp_ev u;
	memset(&u, 0, sizeof u);
	u.ep.proto = PROTO_UDP;
	u.src = r.ep.srv;
	u.dst = r.cb_ip;
	u.dport = 50123;
	u.sport = 60000;
	u.reg_id = 1;
	for (int i = 0; i < 3; i++) {	/* tracked notifications (the merge's bookkeeping grows) */
		diag_source(d, 1);
		u.frame = 20 + (uint64_t)i;
		u.ts_us = t0 + 1000000u * (uint64_t)(i + 1);
		diag_notify_udp(d, &u);
		diag_rst(d, 30 + (uint64_t)i, u.ts_us);
	}
	/* a second registration, never notified: notify_missing once 60 s have passed */
	r.reg_id = 2;
	r.req_frame = 40;
	r.resp_frame = 41;
	r.cb_port = 50124;
	r.ts_us = t0 + 100000000u;
	diag_source(d, 0);
	diag_notify_reg(d, &r);
	/* a refused connection: its port_closed finding is made by diag_finish */
	struct flow f;
	memset(&f, 0, sizeof f);
	f.proto = PROTO_TCP;
	f.orig = r.ep.cli;
	f.resp = r.ep.srv;
	f.oport = 50001;
	f.rport = 49160;
	f.syn = 1;
	f.syn_frames[0] = f.first_frame = 50;
	f.rst[1] = 1;
	f.rst_frame[1] = f.last_frame = 51;
	f.pkts[0] = f.pkts[1] = 1;
	f.first_ts_us = f.first_syn_ts_us = f.last_ts_us = t0 + 110000000u;
	diag_flow(d, &f);
	diag_file_span(d, 0, "client.pcap", t0, t0 + 120000000u, 10);
	diag_file_span(d, 1, "server.pcap", t0, t0 + 120000000u, 10);
	diag_time(d, t0 + 120000000u);

	struct collect a, b, c, e;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	assert_int_equal(diag_snapshot(d, NULL, 0, 0, col_ep, col_f, &a), 0);
	assert_int_equal(diag_snapshot(d, NULL, 0, 0, col_ep, col_f, &b), 0);
	assert_string_equal(a.text, b.text);
	/* moving the clock in a snapshot does not move d's */
	assert_int_equal(diag_snapshot(d, NULL, 0, t0 + 3600000000ull, col_ep, col_f, &e), 0);
	assert_null(strstr(a.text, "notify_missing"));
	assert_non_null(strstr(e.text, "F notify_missing no new-mail notification reached 198.18.1.10:50124"));
	assert_null(strstr(e.text, "50123 within"));
	diag_finish(d, col_ep, col_f, &c);
	assert_string_equal(a.text, c.text);
	assert_non_null(strstr(a.text, "F port_closed 198.18.2.20:49160/tcp is closed (reset) x1|"));
	/* once, although three reports were made from the same state */
	assert_null(strstr(strstr(c.text, "F port_closed") + 1, "F port_closed"));
	assert_true(a.n_ep >= 1);
	unsigned er, wa, in;
	diag_counts(d, &er, &wa, &in);
	assert_int_equal(er + wa + in, a.n_f);
	diag_free(d);
}

/* ---- callback endpoints beyond DIAG_NOTIFY_LISTED ------------------------------------------ */

struct unl {
	unsigned n_notify, n_other;
	unsigned summaries, after_summary;
	struct diag_endpoint_view sum;
	int bad_seen, back_seen, first_seen, last_listed;
	uint64_t back_frame;
	unsigned rejected;
	char rejected_text[2][256];
};

static void cb_addr(uint32_t i, struct addr *a)
{
	char b[32];
	snprintf(b, sizeof b, "198.18.%u.%u", 64 + i / 256, i % 256);
	assert_int_equal(addr_parse(a, b), 1);
}

static void unl_ep(void *ctx, const struct diag_endpoint_view *v)
{
	struct unl *u = ctx;
	if (v->unlisted) {
		u->summaries++;
		u->sum = *v;
		return;
	}
	if (u->summaries)
		u->after_summary++;
	assert_non_null(v->verdict);
	if (!v->role || strcmp(v->role, "notify")) {
		u->n_other++;
		return;
	}
	u->n_notify++;
	struct addr a;
	cb_addr(0, &a);
	if (addr_eq(&v->server, &a))
		u->first_seen = 1;
	cb_addr(DIAG_NOTIFY_LISTED - 1, &a);
	if (addr_eq(&v->server, &a))
		u->last_listed = 1;
	cb_addr(DIAG_NOTIFY_LISTED + 50, &a);	/* ICMP for its notifications */
	if (addr_eq(&v->server, &a)) {
		u->bad_seen = 1;
		assert_string_equal(v->verdict, "closed");
		assert_string_equal(v->reason, "port-unreachable");
		assert_true(v->has_by);
		assert_int_equal(v->attempts, 1);
	}
	cb_addr(DIAG_NOTIFY_LISTED + 10, &a);	/* healthy, forgotten, then an ICMP on a later flow */
	if (addr_eq(&v->server, &a)) {
		u->back_seen = 1;
		assert_string_equal(v->verdict, "closed");
		u->back_frame = v->first_frame;
	}
}

static void unl_f(void *ctx, const struct diag_finding *f)
{
	struct unl *u = ctx;
	if (!strcmp(f->kind, "notify_rejected") && u->rejected < 2)
		snprintf(u->rejected_text[u->rejected++], sizeof u->rejected_text[0], "%s", f->summary);
}

/* One notification flow from the server to callback i: healthy, or answered
 * by ICMP port unreachable from the client. */
static void notify_flow(struct diag *d, const struct addr *srv, uint32_t i, uint64_t frame, uint64_t ts, int icmp,
			int marked)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	f.proto = PROTO_UDP;
	f.orig = *srv;
	cb_addr(i, &f.resp);
	f.oport = 40000;
	f.rport = 50000;
	f.pkts[0] = 1;
	f.first_frame = f.last_frame = frame;
	f.first_ts_us = f.last_ts_us = ts;
	f.notify = (uint8_t)marked;
	if (icmp) {
		f.icmp_count = 1;
		f.icmp.family = 4;
		f.icmp.type = 3;
		f.icmp.code = 3;
		f.icmp.ttl = 128;
		f.icmp.from = f.resp;
		f.icmp.frame = frame + 1;
		f.icmp.ts_us = ts + 100;
	}
	diag_flow(d, &f);
}

/* 3 x DIAG_NOTIFY_LISTED sessions, each registering its own callback and
 * getting a notification.  The first DIAG_NOTIFY_LISTED callback endpoints
 * are listed; after them only the one whose notification drew an ICMP
 * error, and one that was healthy (and forgotten while the endpoint array
 * grew) until a later flow drew an ICMP error; the rest are one summary
 * view, counted exactly, after the endpoints.  Findings are about the two
 * bad ones.  A snapshot says the same. */
static void test_diag_unlisted_callbacks(void **state)
{
	(void)state;
	struct diag_opts o = {.notify_window_s = 60, .range_lo = 49152, .range_hi = 65535, .nfiles = 1};
	struct diag *d = diag_new(&o);
	assert_non_null(d);
	struct addr srv;
	assert_int_equal(addr_parse(&srv, "198.18.2.20"), 1);
	const uint32_t n = 3 * DIAG_NOTIFY_LISTED, bad = DIAG_NOTIFY_LISTED + 50, back = DIAG_NOTIFY_LISTED + 10;
	uint64_t t0 = 1700000000000000ull, frame = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ts = t0 + (uint64_t)i * 100000u;
		struct rpc_notify_reg_ev r;
		memset(&r, 0, sizeof r);
		r.ep.proto = PROTO_TCP;
		cb_addr(i, &r.ep.cli);
		r.ep.srv = srv;
		r.ep.cport = 50001;
		r.ep.sport = 49157;
		r.req_frame = frame++;
		r.resp_frame = frame++;
		r.ts_us = ts;
		r.reg_id = i + 1;
		r.af = 4;
		r.cb_ip = r.ep.cli;
		r.cb_port = 50000;
		r.answered = r.has_rc = 1;
		diag_notify_reg(d, &r);
		struct rpc_notify_udp_ev e;
		memset(&e, 0, sizeof e);
		e.ep.proto = PROTO_UDP;
		e.src = srv;
		e.dst = r.cb_ip;
		e.sport = 40000;
		e.dport = 50000;
		e.frame = frame;
		e.ts_us = ts + 1000;
		e.reg_id = r.reg_id;
		e.match_addr = e.match_context = 1;
		diag_notify_udp(d, &e);
		notify_flow(d, &srv, i, frame, ts + 1000, i == bad, 1);
		frame += 2;
	}
	/* a later notification flow to `back`, refused this time */
	uint64_t back_frame = frame;
	notify_flow(d, &srv, back, frame, t0 + (uint64_t)n * 100000u, 1, 1);
	diag_time(d, t0 + (uint64_t)(n + 1) * 100000u);

	struct unl s, u;
	memset(&s, 0, sizeof s);
	memset(&u, 0, sizeof u);
	assert_int_equal(diag_snapshot(d, NULL, 0, 0, unl_ep, unl_f, &s), 0);
	diag_finish(d, unl_ep, unl_f, &u);
	assert_int_equal(u.summaries, 1);
	assert_int_equal(u.after_summary, 0);
	assert_int_equal(u.n_notify, DIAG_NOTIFY_LISTED + 2);
	assert_true(u.first_seen && u.last_listed && u.bad_seen && u.back_seen);
	assert_int_equal(u.back_frame, back_frame);	/* listed again from the bad flow on */
	assert_int_equal(u.sum.unlisted, n - DIAG_NOTIFY_LISTED - 2);
	assert_int_equal(u.sum.listed, DIAG_NOTIFY_LISTED + 2);
	assert_int_equal(u.sum.proto, PROTO_UDP);
	assert_string_equal(u.sum.role, "notify");
	assert_string_equal(u.sum.iface, "EMSMDB");
	assert_null(u.sum.verdict);
	assert_int_equal(u.sum.first_frame, 4 * DIAG_NOTIFY_LISTED + 3);	/* session DIAG_NOTIFY_LISTED's notification */
	assert_int_equal(u.rejected, 2);
	assert_non_null(strstr(u.rejected_text[0], "198.18."));
	unsigned er, wa, in;
	diag_counts(d, &er, &wa, &in);
	assert_int_equal(er, 2);
	assert_int_equal(wa + in, 0);
	/* the snapshot before said the same */
	assert_int_equal(s.summaries, 1);
	assert_int_equal(s.sum.unlisted, u.sum.unlisted);
	assert_int_equal(s.n_notify, u.n_notify);
	assert_int_equal(s.rejected, 2);
	diag_free(d);
}

/* ---- a decoded packet (reader.c's thread) is the same as a raw one -------------------- */

/* The same sample through model_packet() and through a threaded reader with
 * model_prepare() as its hook and model_packet_decoded(), as watch -r reads:
 * the two models must agree on everything the screen shows. */
static struct model *load_via_reader(const char *name)
{
	pcap_t *p;
	struct model *m = open_sample(name, &p);
	int dlt = pcap_datalink(p);
	struct reader *r = reader_new(1);
	assert_non_null(r);
	assert_true(reader_add(r, p, dlt) >= 0);
	reader_set_prepare(r, model_prepare, m);
	reader_start(r, 1);
	const struct rd_item *it;
	while ((it = reader_next(r)) && it->kind == RD_PACKET) {
		struct pkt k = it->p;
		k.frame = 0;	/* the model numbers it */
		model_packet_decoded(m, &k, it->data);
		assert_int_equal(k.frame, it->p.frame);
	}
	assert_true(!it || it->kind == RD_END);
	reader_free(r);
	return m;
}

static void same_models(struct model *a, struct model *b)
{
	model_finish(a);
	model_finish(b);
	assert_int_equal(model_refresh(a, 0), 0);
	assert_int_equal(model_refresh(b, 0), 0);
	const struct model_stats *sa = model_stats(a), *sb = model_stats(b);
	assert_int_equal(sa->packets, sb->packets);
	assert_int_equal(sa->bytes, sb->bytes);
	assert_int_equal(sa->decoded, sb->decoded);
	assert_int_equal(sa->undecoded, sb->undecoded);
	assert_int_equal(sa->first_ts_us, sb->first_ts_us);
	assert_int_equal(sa->last_ts_us, sb->last_ts_us);
	assert_int_equal(sa->calls, sb->calls);
	assert_int_equal(sa->failed_calls, sb->failed_calls);
	assert_int_equal(sa->registrations, sb->registrations);
	assert_int_equal(sa->notifications, sb->notifications);
	assert_int_equal(model_nendpoints(a), model_nendpoints(b));
	for (size_t i = 0; i < model_nendpoints(a); i++) {
		const struct model_endpoint *x = model_endpoint(a, i), *y = model_endpoint(b, i);
		assert_int_equal(x->port, y->port);
		assert_int_equal(x->proto, y->proto);
		assert_string_equal(x->verdict, y->verdict);
		assert_string_equal(x->reason, y->reason);
		assert_string_equal(x->role, y->role);
		assert_int_equal(x->first_frame, y->first_frame);
		assert_int_equal(x->attempts, y->attempts);
	}
	assert_int_equal(model_nfindings(a), model_nfindings(b));
	for (size_t i = 0; i < model_nfindings(a); i++) {
		assert_string_equal(model_finding(a, i)->kind, model_finding(b, i)->kind);
		assert_string_equal(model_finding(a, i)->summary, model_finding(b, i)->summary);
	}
	assert_int_equal(model_ncalls(a), model_ncalls(b));
	for (size_t i = 0; i < model_ncalls(a); i++) {
		const struct model_call *x = model_call(a, i), *y = model_call(b, i);
		assert_int_equal(x->req_frame, y->req_frame);
		assert_int_equal(x->resp_frame, y->resp_frame);
		assert_string_equal(x->op, y->op);
		assert_string_equal(x->result, y->result);
	}
	assert_int_equal(model_nregs(a), model_nregs(b));
	const struct pktring *ra = model_packets(a), *rb = model_packets(b);
	assert_int_equal(ra->n, rb->n);
	for (size_t i = 0; i < ra->n; i++) {
		const unsigned char *da, *db;
		const struct mpkt *x = pktring_at(ra, i, &da), *y = pktring_at(rb, i, &db);
		assert_int_equal(x->ts_us, y->ts_us);
		assert_int_equal(x->caplen, y->caplen);
		assert_int_equal(x->len, y->len);
		assert_memory_equal(da, db, x->caplen);
	}
}

static void test_decoded_path_same_as_raw(void **state)
{
	(void)state;
	static const char *const names[] = {
		"healthy-client.pcap", "healthy-ipv6-server.pcap", "dynamic-dropped-client.pcap",
		"dynamic-reset-client.pcap", "notify-dropped-server.pcap", "register-refused-client.pcap",
		"firewall-basics.pcap", "samba-healthy-client.pcap",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct model *a = load(names[i], NULL), *b = load_via_reader(names[i]);
		assert_true(model_stats(a)->packets > 0);
		same_models(a, b);
		model_free(a);
		model_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mring_wraps_newest_first),
		cmocka_unit_test(test_mring_slot_is_zeroed),
		cmocka_unit_test(test_pktring_byte_bound),
		cmocka_unit_test(test_pktring_count_bound_and_oversize),
		cmocka_unit_test(test_pktring_many_random_sizes),
		cmocka_unit_test(test_pktring_prefault),
		cmocka_unit_test(test_labels_and_tones),
		cmocka_unit_test(test_endpoint_filter),
		cmocka_unit_test(test_endpoint_sort),
		cmocka_unit_test(test_call_and_finding_sort),
		cmocka_unit_test(test_live_snapshot_is_nondestructive),
		cmocka_unit_test(test_register_refused),
		cmocka_unit_test(test_notify_counts_and_window),
		cmocka_unit_test(test_write_pcap),
		cmocka_unit_test(test_diag_snapshot_merged_state),
		cmocka_unit_test(test_diag_unlisted_callbacks),
		cmocka_unit_test(test_decoded_path_same_as_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
