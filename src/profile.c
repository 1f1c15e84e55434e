/* \summary: check profiles: strict line-based parser (format: doc/rpcwatch-profile.5) */
#include "config.h"
#include "profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "names.h"
#include "util.h"

#ifndef RPCWATCH_DATADIR
#define RPCWATCH_DATADIR "/usr/local/share/rpcwatch"
#endif

/* ---- parser state ----------------------------------------------------------------------------- */

struct pstate {
	struct profile *p;
	const struct prof_set *sets;
	size_t n_sets;
	unsigned line;
	char role[PROF_NAME_MAX];
	unsigned name_line, desc_line;
	const char *set_var;	/* a --set variable expanded into the current line, for messages */
	char *err;
	size_t errlen;
};

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xcalloc(1, n);
	memcpy(d, s, n);
	return d;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xcalloc(1, n + 1);
	memcpy(d, s, n);
	return d;
}

/* "FILE:LINE: message", plus where a --set value came into the line. */
__attribute__((format(printf, 2, 3))) static int perr(struct pstate *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *val = NULL;
	if (st->set_var)
		for (size_t i = 0; i < st->p->n_vars; i++)
			if (!strcmp(st->p->vars[i].name, st->set_var))
				val = st->p->vars[i].value;
	if (st->line && st->set_var)
		snprintf(st->err, st->errlen, "%s:%u: %s (${%s} is '%s' from --set)", st->p->file, st->line,
			 msg, st->set_var, val ? val : "");
	else if (st->line)
		snprintf(st->err, st->errlen, "%s:%u: %s", st->p->file, st->line, msg);
	else
		snprintf(st->err, st->errlen, "%s: %s", st->p->file, msg);
	return -1;
}

static int is_ident_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int valid_ident(const char *s, size_t n)
{
	if (n == 0 || n >= PROF_NAME_MAX || !is_ident_start((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_ident_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* names for profiles and roles: letters, digits, '.', '_', '-' */
static int valid_word(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= PROF_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_ident_char(c) && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

static struct prof_var *find_var(struct profile *p, const char *name, size_t n)
{
	for (size_t i = 0; i < p->n_vars; i++)
		if (strlen(p->vars[i].name) == n && !memcmp(p->vars[i].name, name, n))
			return &p->vars[i];
	return NULL;
}

/* Expand ${NAME} and $$ of in into out (PROF_MAX_LINE bytes). */
static int expand(struct pstate *st, const char *in, char *out)
{
	size_t o = 0;
	for (const char *s = in; *s;) {
		const char *piece;
		size_t n;
		if (s[0] == '$' && s[1] == '$') {
			piece = "$";
			n = 1;
			s += 2;
		} else if (s[0] == '$') {
			if (s[1] != '{')
				return perr(st, "'$' must start ${NAME} (write '$$' for a dollar sign)");
			const char *end = strchr(s + 2, '}');
			if (!end)
				return perr(st, "'${' without a closing '}'");
			size_t vn = (size_t)(end - (s + 2));
			if (vn == 0)
				return perr(st, "empty variable name '${}'");
			if (!valid_ident(s + 2, vn))
				return perr(st, "bad variable name '${%.*s}'", (int)(vn > 64 ? 64 : vn), s + 2);
			struct prof_var *v = find_var(st->p, s + 2, vn);
			if (!v)
				return perr(st, "unknown variable '${%.*s}' (declare it first: var %.*s = VALUE)",
					    (int)vn, s + 2, (int)vn, s + 2);
			if (v->from_set && !st->set_var)
				st->set_var = v->name;
			piece = v->value;
			n = strlen(v->value);
			s = end + 1;
		} else {
			piece = s;
			n = strcspn(s, "$");
			s += n;
		}
		if (o + n >= PROF_MAX_LINE)
			return perr(st, "line longer than %u bytes after ${} expansion", PROF_MAX_LINE - 1);
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* Split s in place into at most max whitespace-separated words; returns the count,
 * or max + 1 when there are more. */
static size_t split_words(char *s, char **w, size_t max)
{
	size_t n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* ---- values -------------------------------------------------------------------------------------- */

static int parse_port(struct pstate *st, const char *s, size_t n, uint16_t *out)
{
	char buf[16];
	uint64_t v;
	if (n == 0)
		return perr(st, "empty item in port list (ports are 1-65535, e.g. 135,445,49152-65535)");
	if (n >= sizeof buf || (memcpy(buf, s, n), buf[n] = '\0', !parse_u64(buf, 1, 65535, &v)))
		return perr(st, "bad port '%.*s' (ports are 1-65535)", (int)(n > 32 ? 32 : n), s);
	*out = (uint16_t)v;
	return 0;
}

static int parse_ports(struct pstate *st, const char *spec, struct prof_assert *a)
{
	size_t cap = 0;
	for (const char *s = spec;;) {
		size_t n = strcspn(s, ",");
		const char *dash = memchr(s, '-', n);
		struct prof_range r;
		if (dash && (dash == s || dash == s + n - 1)) {
			return perr(st, "bad port range '%.*s' (write FIRST-LAST, e.g. 49152-65535)", (int)(n > 32 ? 32 : n), s);
		} else if (dash) {
			if (parse_port(st, s, (size_t)(dash - s), &r.lo) ||
			    parse_port(st, dash + 1, n - (size_t)(dash - s) - 1, &r.hi))
				return -1;
			if (r.lo > r.hi)
				return perr(st, "bad port range '%.*s' (the first port is larger than the last)",
					    (int)n, s);
		} else {
			if (parse_port(st, s, n, &r.lo))
				return -1;
			r.hi = r.lo;
		}
		if (a->n_ranges == cap) {
			cap = cap ? cap * 2 : 4;
			struct prof_range *nr = realloc(a->ranges, cap * sizeof *nr);
			if (!nr) {
				fprintf(stderr, "rpcwatch: out of memory\n");
				abort();
			}
			a->ranges = nr;
		}
		a->ranges[a->n_ranges++] = r;
		if (!s[n])
			break;
		s += n + 1;
	}
	return 0;
}

static const struct {
	const char *word;
	uint32_t mask;
} state_words[] = {
	{ "open", PST_OPEN },
	{ "closed", PST_CLOSED },
	{ "filtered", PST_FILTERED },
	{ "unreachable", PST_UNREACHABLE },
	{ "blocked", PST_BLOCKED },
};

static int parse_states(struct pstate *st, const char *s, uint32_t *mask)
{
	*mask = 0;
	for (;;) {
		size_t n = strcspn(s, "|");
		size_t i;
		for (i = 0; i < sizeof state_words / sizeof state_words[0]; i++)
			if (strlen(state_words[i].word) == n && !strncmp(state_words[i].word, s, n))
				break;
		if (i == sizeof state_words / sizeof state_words[0])
			return perr(st, "unknown state '%.*s' (open, closed, filtered, unreachable or blocked; "
				    "combine with '|', e.g. open|filtered)", (int)(n > 32 ? 32 : n), s);
		*mask |= state_words[i].mask;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

char *profile_expect_str(uint32_t mask, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	if ((mask & PST_BLOCKED) == PST_BLOCKED) {
		o += (size_t)snprintf(buf + o, n - o, "%s", (mask & PST_OPEN) ? "open|blocked" : "blocked");
		return buf;
	}
	for (size_t i = 0; i < 4 && o < n; i++)
		if (mask & state_words[i].mask)
			o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? "|" : "", state_words[i].word);
	return buf;
}

/* An interface by name (any case) or by UUID text. */
static int resolve_iface(struct pstate *st, const char *s, struct prof_assert *a)
{
	if (uuid_parse(&a->iface, s)) {
		const struct names_iface *ni = names_iface(&a->iface);
		if (ni) {
			a->vmaj = ni->ver_major;
			a->vmin = ni->ver_minor;
			snprintf(a->iface_name, sizeof a->iface_name, "%s", ni->name);
		} else {
			uuid_str(&a->iface, a->iface_name, sizeof a->iface_name);
		}
		return 0;
	}
	struct rpc_uuid u;
	const struct names_iface *ni;
	for (size_t i = 0; (ni = names_iface_at(i, &u)) != NULL; i++) {
		if (!strcasecmp(ni->name, s)) {
			a->iface = u;
			a->vmaj = ni->ver_major;
			a->vmin = ni->ver_minor;
			snprintf(a->iface_name, sizeof a->iface_name, "%s", ni->name);
			return 0;
		}
	}
	return perr(st, "unknown interface '%.64s' (a name from data/interfaces.tsv such as EMSMDB, or a UUID)", s);
}

static int parse_version(struct pstate *st, const char *s, struct prof_assert *a)
{
	char buf[32];
	uint64_t mj, mn;
	const char *dot = strchr(s, '.');
	if ((s[0] != 'v' && s[0] != 'V') || !dot || (size_t)(dot - s) > 8 || strlen(dot + 1) > 8)
		return perr(st, "bad interface version '%.32s' (write vMAJOR.MINOR, e.g. v0.81)", s);
	memcpy(buf, s + 1, (size_t)(dot - s - 1));
	buf[dot - s - 1] = '\0';
	if (!parse_u64(buf, 0, 65535, &mj) || !parse_u64(dot + 1, 0, 65535, &mn))
		return perr(st, "bad interface version '%.32s' (write vMAJOR.MINOR, e.g. v0.81)", s);
	a->vmaj = (uint16_t)mj;
	a->vmin = (uint16_t)mn;
	return 0;
}

/* ---- keywords ------------------------------------------------------------------------------------ */

static struct prof_assert *new_assert(struct pstate *st, enum prof_kind k, const char *text)
{
	struct profile *p = st->p;
	if ((p->n & (p->n - 1)) == 0) {	/* capacity doubles at powers of two */
		struct prof_assert *na = realloc(p->a, (p->n ? p->n * 2 : 1) * sizeof *na);
		if (!na) {
			fprintf(stderr, "rpcwatch: out of memory\n");
			abort();
		}
		p->a = na;
	}
	struct prof_assert *a = &p->a[p->n++];
	memset(a, 0, sizeof *a);
	a->kind = k;
	a->line = st->line;
	a->proto = 6;
	snprintf(a->role, sizeof a->role, "%s", st->role);
	a->text = xstrdup(text);
	return a;
}

static int kw_expect(struct pstate *st, char *args, const char *text)
{
	char *w[4];
	size_t n = split_words(args, w, 3);
	if (n != 3)
		return perr(st, "expect needs three words: expect tcp|udp|udp-to-client PORTS STATES "
			    "(e.g. expect tcp 135 open)");
	uint8_t proto;
	int to_client = 0;
	if (!strcmp(w[0], "tcp"))
		proto = 6;
	else if (!strcmp(w[0], "udp"))
		proto = 17;
	else if (!strcmp(w[0], "udp-to-client"))
		proto = 17, to_client = 1;
	else
		return perr(st, "unknown protocol '%.32s' (tcp, udp or udp-to-client)", w[0]);
	uint32_t mask;
	struct prof_assert tmp = { 0 };
	if (parse_ports(st, w[1], &tmp) || parse_states(st, w[2], &mask)) {
		free(tmp.ranges);
		return -1;
	}
	struct prof_assert *a = new_assert(st, PK_EXPECT, text);
	a->proto = proto;
	a->to_client = to_client;
	if (to_client)
		snprintf(a->role, sizeof a->role, "client");
	a->ranges = tmp.ranges;
	a->n_ranges = tmp.n_ranges;
	a->expect = mask;
	profile_expect_str(mask, a->expect_text, sizeof a->expect_text);
	return 0;
}

static int kw_epm(struct pstate *st, char *args, const char *text)
{
	char *w[5];
	size_t n = split_words(args, w, 4);
	uint32_t mask = PST_OPEN;
	if (n >= 1 && !strcmp(w[0], "learn")) {
		if (n > 2)
			return perr(st, "epm learn takes at most one word: epm learn [STATES]");
		if (n == 2 && parse_states(st, w[1], &mask))
			return -1;
		struct prof_assert *a = new_assert(st, PK_EPM_LEARN, text);
		a->expect = mask;
		profile_expect_str(mask, a->expect_text, sizeof a->expect_text);
		return 0;
	}
	if (n >= 1 && !strcmp(w[0], "expect")) {
		if (n < 3 || n > 4)
			return perr(st, "epm expect needs an interface and states: epm expect IFACE [vMAJ.MIN] STATES "
				    "(e.g. epm expect emsmdb open)");
		struct prof_assert tmp = { 0 };
		if (resolve_iface(st, w[1], &tmp))
			return -1;
		if (n == 4 && parse_version(st, w[2], &tmp))
			return -1;
		if (parse_states(st, w[n - 1], &mask))
			return -1;
		struct prof_assert *a = new_assert(st, PK_EPM_EXPECT, text);
		a->iface = tmp.iface;
		a->vmaj = tmp.vmaj;
		a->vmin = tmp.vmin;
		memcpy(a->iface_name, tmp.iface_name, sizeof a->iface_name);
		a->expect = mask;
		profile_expect_str(mask, a->expect_text, sizeof a->expect_text);
		return 0;
	}
	return perr(st, "epm needs 'learn' or 'expect': epm learn [STATES] | epm expect IFACE [vMAJ.MIN] STATES");
}

static int kw_var(struct pstate *st, const char *args)
{
	/* var NAME = VALUE */
	const char *s = args;
	size_t nn = 0;
	while (is_ident_char((unsigned char)s[nn]))
		nn++;
	const char *eq = s + nn;
	while (*eq == ' ' || *eq == '\t')
		eq++;
	if (nn == 0 || *eq != '=')
		return perr(st, "var needs a name and a value: var NAME = VALUE");
	if (!valid_ident(s, nn))
		return perr(st, "bad variable name '%.*s' (letters, digits and '_', not starting with a digit)",
			    (int)(nn > 64 ? 64 : nn), s);
	struct profile *p = st->p;
	if (find_var(p, s, nn))
		return perr(st, "variable '%.*s' declared twice", (int)nn, s);
	const char *val = eq + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	if (!*val)
		return perr(st, "var %.*s: value missing (var NAME = VALUE)", (int)nn, s);
	const struct prof_set *set = NULL;
	for (size_t i = 0; i < st->n_sets; i++)
		if (st->sets[i].name_len == nn && !memcmp(st->sets[i].name, s, nn))
			set = &st->sets[i];
	char *value;
	if (set) {
		value = xstrdup(set->value);
	} else {
		char *buf = xcalloc(1, PROF_MAX_LINE);
		if (expand(st, val, buf)) {
			free(buf);
			return -1;
		}
		value = xstrdup(buf);
		free(buf);
	}
	struct prof_var *nv = realloc(p->vars, (p->n_vars + 1) * sizeof *nv);
	if (!nv) {
		fprintf(stderr, "rpcwatch: out of memory\n");
		abort();
	}
	p->vars = nv;
	p->vars[p->n_vars].name = xstrndup(s, nn);
	p->vars[p->n_vars].value = value;
	p->vars[p->n_vars].from_set = set != NULL;
	p->n_vars++;
	return 0;
}

static int one_word(struct pstate *st, char *args, const char *kw, char **out)
{
	char *w[2];
	if (split_words(args, w, 1) != 1)
		return perr(st, "%s needs exactly one word", kw);
	if (!valid_word(w[0]))
		return perr(st, "%s '%.64s': use letters, digits, '.', '_' and '-' (at most %d)", kw, w[0],
			    PROF_NAME_MAX - 1);
	*out = w[0];
	return 0;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int parse_line(struct pstate *st, char *line)
{
	/* comments: '#' at the start or after a blank */
	for (char *c = line; *c; c++)
		if (*c == '#' && (c == line || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	rtrim(line);
	char *s = line;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return perr(st, "control character 0x%02x in the line", (unsigned)(unsigned char)*c);
	char *kw = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	if (!strcmp(kw, "var"))
		return kw_var(st, s);

	static const char *const kws[] = { "expect", "epm", "role", "name", "description", "hint" };
	size_t k;
	for (k = 0; k < sizeof kws / sizeof kws[0]; k++)
		if (!strcmp(kw, kws[k]))
			break;
	if (k == sizeof kws / sizeof kws[0])
		return perr(st, "unknown keyword '%.32s' (name, description, var, role, expect, epm or hint)", kw);

	char *buf = xcalloc(1, PROF_MAX_LINE);
	char *text = xcalloc(1, PROF_MAX_LINE + 64);
	int rc = expand(st, s, buf);
	if (rc == 0) {
		snprintf(text, PROF_MAX_LINE + 64, "%s %s", kw, buf);
		rtrim(text);
	}
	struct profile *p = st->p;
	char *word;
	if (rc) {
	} else if (!strcmp(kw, "expect")) {
		rc = kw_expect(st, buf, text);
	} else if (!strcmp(kw, "epm")) {
		rc = kw_epm(st, buf, text);
	} else if (!strcmp(kw, "role")) {
		if ((rc = one_word(st, buf, "role", &word)) == 0)
			snprintf(st->role, sizeof st->role, "%s", word);
	} else if (!strcmp(kw, "name")) {
		if (st->name_line)
			rc = perr(st, "name given twice (first on line %u)", st->name_line);
		else if ((rc = one_word(st, buf, "name", &word)) == 0) {
			free(p->name);
			p->name = xstrdup(word);
			st->name_line = st->line;
		}
	} else if (!strcmp(kw, "description")) {
		if (st->desc_line)
			rc = perr(st, "description given twice (first on line %u)", st->desc_line);
		else if (!*buf)
			rc = perr(st, "description: text missing");
		else {
			p->description = xstrdup(buf);
			st->desc_line = st->line;
		}
	} else if (!strcmp(kw, "hint")) {
		if (!p->n)
			rc = perr(st, "hint without an assertion before it (a hint belongs to the expect or epm line above it)");
		else if (!*buf)
			rc = perr(st, "hint: text missing");
		else {
			struct prof_assert *a = &p->a[p->n - 1];
			size_t old = a->hint ? strlen(a->hint) : 0;
			char *h = xcalloc(1, old + strlen(buf) + 2);
			if (a->hint)
				memcpy(h, a->hint, old), h[old++] = '\n';
			memcpy(h + old, buf, strlen(buf) + 1);
			free(a->hint);
			a->hint = h;
		}
	}
	free(buf);
	free(text);
	return rc;
}

/* ---- API ----------------------------------------------------------------------------------------- */

int profile_parse_set(const char *arg, struct prof_set *out, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	if (!eq) {
		snprintf(err, errlen, "--set '%.64s': expected NAME=VALUE (e.g. --set calcon_port=45001)", arg);
		return -1;
	}
	if (!valid_ident(arg, (size_t)(eq - arg))) {
		snprintf(err, errlen, "--set '%.64s': bad variable name (letters, digits and '_', not starting with a digit)",
			 arg);
		return -1;
	}
	out->name = arg;
	out->name_len = (size_t)(eq - arg);
	out->value = eq + 1;
	return 0;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->a[i].ranges);
		free(p->a[i].text);
		free(p->a[i].hint);
	}
	free(p->a);
	for (size_t i = 0; i < p->n_vars; i++) {
		free(p->vars[i].name);
		free(p->vars[i].value);
	}
	free(p->vars);
	free(p->file);
	free(p->name);
	free(p->description);
	memset(p, 0, sizeof *p);
}

static char *base_name(const char *file)
{
	const char *b = strrchr(file, '/');
	b = b ? b + 1 : file;
	size_t n = strlen(b);
	if (n > 8 && !strcmp(b + n - 8, ".profile"))
		n -= 8;
	return xstrndup(b, n);
}

int profile_parse(const char *file, const char *text, size_t len, const struct prof_set *sets,
		  size_t n_sets, struct profile *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->file = xstrdup(file);
	struct pstate st = { .p = p, .sets = sets, .n_sets = n_sets, .err = err, .errlen = errlen };
	snprintf(st.role, sizeof st.role, "server");
	if (err && errlen)
		err[0] = '\0';

	for (size_t i = 0; i < n_sets; i++)
		for (size_t j = 0; j < i; j++)
			if (sets[i].name_len == sets[j].name_len && !memcmp(sets[i].name, sets[j].name, sets[i].name_len)) {
				perr(&st, "--set %.*s given twice", (int)sets[i].name_len, sets[i].name);
				goto fail;
			}

	char *line = xcalloc(1, PROF_MAX_LINE + 1);
	size_t pos = 0;
	while (pos < len) {
		st.line++;
		st.set_var = NULL;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (memchr(text + pos, '\0', n)) {
			perr(&st, "NUL byte in the line (not a text file?)");
			free(line);
			goto fail;
		}
		if (n > PROF_MAX_LINE) {
			perr(&st, "line longer than %u bytes", PROF_MAX_LINE);
			free(line);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (parse_line(&st, line)) {
			free(line);
			goto fail;
		}
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
	free(line);
	st.line = 0;
	st.set_var = NULL;

	for (size_t i = 0; i < n_sets; i++) {
		if (!find_var(p, sets[i].name, sets[i].name_len)) {
			char have[256] = "";
			size_t o = 0;
			for (size_t k = 0; k < p->n_vars && o < sizeof have; k++)
				o += (size_t)snprintf(have + o, sizeof have - o, "%s%s", k ? ", " : "", p->vars[k].name);
			perr(&st, "--set %.*s: the profile has no variable '%.*s' (%s%s)", (int)sets[i].name_len,
			     sets[i].name, (int)sets[i].name_len, sets[i].name, p->n_vars ? "it has: " : "it has none",
			     have);
			goto fail;
		}
	}
	if (p->n == 0) {
		perr(&st, "no assertions (a profile needs at least one expect or epm line)");
		goto fail;
	}
	if (!p->name)
		p->name = base_name(file);
	return 0;
fail:
	profile_free(p);
	return -1;
}

int profile_load(const char *path, const struct prof_set *sets, size_t n_sets, struct profile *p,
		 char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = xcalloc(1, PROF_MAX_FILE + 1);
	size_t n = fread(buf, 1, PROF_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: read error (a directory?)", path);
		free(buf);
		return -1;
	}
	if (n > PROF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes: not a profile", path, PROF_MAX_FILE);
		free(buf);
		return -1;
	}
	int rc = profile_parse(path, buf, n, sets, n_sets, p, err, errlen);
	free(buf);
	return rc;
}

char *profile_search_path(void)
{
	const char *env = getenv("RPCWATCH_PROFILE_DIR");
	const char *inst = RPCWATCH_DATADIR "/profiles";
	size_t n = (env && *env ? strlen(env) + 1 : 0) + strlen(inst) + 1;
	char *s = xcalloc(1, n);
	snprintf(s, n, "%s%s%s", env && *env ? env : "", env && *env ? ":" : "", inst);
	return s;
}

static int is_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

char *profile_find(const char *arg, char *err, size_t errlen)
{
	size_t n = strlen(arg);
	if (n == 0) {
		snprintf(err, errlen, "--profile: empty name");
		return NULL;
	}
	if (strchr(arg, '/') || (n > 8 && !strcmp(arg + n - 8, ".profile"))) {
		struct stat sb;
		if (stat(arg, &sb) != 0) {
			snprintf(err, errlen, "%s: %s", arg, errno == ENOENT ? "no such profile file" : strerror(errno));
			return NULL;
		}
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a file", arg);
			return NULL;
		}
		return xstrdup(arg);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)arg[i];
		if (!is_ident_char(c) && c != '.' && c != '-') {
			snprintf(err, errlen, "--profile '%.64s': not a profile name (use a path for a file)", arg);
			return NULL;
		}
	}
	char *path = profile_search_path();
	for (char *dir = path, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		if (!*dir)
			continue;
		size_t m = strlen(dir) + n + 16;
		char *cand = xcalloc(1, m);
		snprintf(cand, m, "%s/%s.profile", dir, arg);
		if (is_file(cand)) {
			free(path);
			return cand;
		}
		free(cand);
	}
	free(path);
	path = profile_search_path();
	snprintf(err, errlen, "no profile named '%.64s' (looked for %.64s.profile in %s)", arg, arg, path);
	free(path);
	return NULL;
}

enum prof_verdict profile_judge(uint32_t expect, uint32_t got)
{
	if (got == 0 || (got & expect) == 0)
		return PV_FAIL;
	return (got & ~expect) == 0 ? PV_PASS : PV_INCONCLUSIVE;
}

size_t profile_assert_ports(const struct prof_assert *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_ranges; i++)
		n += (size_t)a->ranges[i].hi - a->ranges[i].lo + 1;
	return n;
}

int profile_has_role(const struct profile *p, const char *role)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->a[i].role, role))
			return 1;
	return 0;
}
