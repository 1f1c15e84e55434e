/* \summary: libFuzzer harness: the JUnit XML writer (src/junit.h) always emits well-formed XML
 *
 * Input: strings (u8 length, bytes) for the suite names, host name,
 * properties and test cases (name, class, status, message, type, text,
 * system-out); the document goes to memory and is checked by a small
 * XML 1.0 well-formedness checker: valid UTF-8 without characters XML
 * forbids, balanced tags, attributes quoted with no '<' and only
 * predefined or numeric entity references, none unterminated, no "]]>".
 */
#include <string.h>

#include "fuzz.h"
#include "junit.h"

/* one UTF-8 character at p (n bytes left): its length, 0 when invalid or forbidden in XML 1.0 */
static size_t xml_char(const uint8_t *p, size_t n)
{
	uint8_t b = p[0];
	uint32_t cp;
	size_t k;
	if (b < 0x80) {
		return (b >= 0x20 || b == 0x09 || b == 0x0a || b == 0x0d) ? 1 : 0;
	} else if (b >= 0xc2 && b <= 0xdf) { k = 2; cp = b & 0x1f; }
	else if (b >= 0xe0 && b <= 0xef) { k = 3; cp = b & 0x0f; }
	else if (b >= 0xf0 && b <= 0xf4) { k = 4; cp = b & 0x07; }
	else return 0;
	if (n < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[j] & 0x3f);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return k;
}

/* "&...;" at p: length of a predefined or numeric reference to an allowed character, else 0 */
static size_t xml_ref(const uint8_t *p, size_t n)
{
	static const char *const pre[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
	for (size_t i = 0; i < 5; i++) {
		size_t k = strlen(pre[i]);
		if (n >= k && !memcmp(p, pre[i], k))
			return k;
	}
	if (n < 4 || p[1] != '#')
		return 0;
	size_t i = 2;
	int hex = p[2] == 'x';
	i += hex;
	uint32_t v = 0;
	size_t d = 0;
	for (; i < n && p[i] != ';' && d < 8; i++, d++) {
		uint8_t c = p[i];
		int x = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
			: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (x < 0)
			return 0;
		v = v * (hex ? 16 : 10) + (uint32_t)x;
	}
	if (!d || i >= n || p[i] != ';')
		return 0;
	if (!(v == 9 || v == 10 || v == 13 || (v >= 0x20 && v <= 0xd7ff) || (v >= 0xe000 && v <= 0xfffd) ||
	      (v >= 0x10000 && v <= 0x10ffff)))
		return 0;
	return i + 1;
}

/* character data or an attribute value up to `stop` (a byte that ends it); returns its end or NULL */
static const uint8_t *xml_text(const uint8_t *p, const uint8_t *e, uint8_t stop)
{
	while (p < e && *p != stop) {
		size_t k;
		if (*p == '<' || (*p == ']' && e - p >= 3 && p[1] == ']' && p[2] == '>'))
			return NULL;
		if (*p == '&') {
			k = xml_ref(p, (size_t)(e - p));
		} else {
			k = xml_char(p, (size_t)(e - p));
		}
		if (!k)
			return NULL;
		p += k;
	}
	return p;
}

static int is_name(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == ':' || (c >= '0' && c <= '9'); }

static int xml_well_formed(const uint8_t *p, size_t n)
{
	const uint8_t *e = p + n;
	const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	if (n < strlen(decl) || memcmp(p, decl, strlen(decl)) != 0)
		return 0;
	p += strlen(decl);
	const uint8_t *stack[32];
	size_t len[32];
	int depth = 0, seen_root = 0;
	while (p < e) {
		if (*p != '<') {
			const uint8_t *q = xml_text(p, e, '<');
			if (!q)
				return 0;
			if (!depth)	/* outside the root: whitespace only */
				for (const uint8_t *r = p; r < q; r++)
					if (*r != ' ' && *r != '\n' && *r != '\t' && *r != '\r')
						return 0;
			p = q;
			continue;
		}
		p++;
		int closing = p < e && *p == '/';
		p += closing;
		const uint8_t *nm = p;
		while (p < e && is_name(*p))
			p++;
		size_t nl = (size_t)(p - nm);
		if (!nl)
			return 0;
		if (closing) {
			if (!depth || len[depth - 1] != nl || memcmp(stack[depth - 1], nm, nl) || p >= e || *p != '>')
				return 0;
			depth--;
			p++;
			continue;
		}
		if (!depth && seen_root)
			return 0;
		for (;;) {	/* attributes */
			while (p < e && *p == ' ')
				p++;
			if (p >= e)
				return 0;
			if (*p == '>' || (*p == '/' && p + 1 < e && p[1] == '>'))
				break;
			const uint8_t *an = p;
			while (p < e && is_name(*p))
				p++;
			if (p == an || p + 1 >= e || p[0] != '=' || p[1] != '"')
				return 0;
			p = xml_text(p + 2, e, '"');
			if (!p || p >= e)
				return 0;
			p++;
		}
		if (*p == '/') {
			p += 2;
			seen_root |= !depth;
			continue;
		}
		p++;
		if (depth == 32)
			return 0;
		stack[depth] = nm;
		len[depth++] = nl;
		seen_root = 1;
	}
	return depth == 0 && seen_root;
}

static char *fz_str(struct fz *z, char *buf, size_t cap)
{
	size_t got;
	const uint8_t *s = fz_take(z, fz_u8(z), &got);
	if (got >= cap)
		got = cap - 1;
	memcpy(buf, s, got);
	buf[got] = 0;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	if (!out)
		return 0;
	char s[12][256];
	struct junit j;
	struct junit_counts c = {3, 1, 1, 1, 1.5};
	junit_begin(&j, out, fz_str(&z, s[0], 256), &c);
	struct junit_prop props[2] = {{fz_str(&z, s[1], 256), fz_str(&z, s[2], 256)}, {"k", fz_str(&z, s[3], 256)}};
	junit_suite_begin(&j, fz_str(&z, s[4], 256), &c, (long long)fz_u32(&z), fz_u8(&z) & 1 ? s[5] : NULL, props,
			  fz_u8(&z) % 3);
	int steps = 0;
	while (fz_left(&z) > 0 && steps++ < 16) {
		struct junit_case tc;
		memset(&tc, 0, sizeof tc);
		uint8_t fl = fz_u8(&z);
		tc.status = (enum junit_status)(fl % 4);
		tc.name = fz_str(&z, s[6], 256);
		tc.classname = fz_str(&z, s[7], 256);
		tc.time_s = (double)fz_u16(&z) / 7.0;
		tc.message = fl & 4 ? fz_str(&z, s[8], 256) : NULL;
		tc.type = fl & 8 ? fz_str(&z, s[9], 256) : NULL;
		tc.text = fl & 16 ? fz_str(&z, s[10], 256) : NULL;
		tc.system_out = fl & 32 ? fz_str(&z, s[11], 256) : NULL;
		junit_case(&j, &tc);
	}
	junit_suite_end(&j);
	FZ_ASSERT(junit_end(&j) == 0);
	fclose(out);
	if (!xml_well_formed((const uint8_t *)obuf, olen)) {
		fprintf(stderr, "not well-formed XML:\n%.*s\n", (int)(olen < 4000 ? olen : 4000), obuf);
		abort();
	}
	free(obuf);
	return 0;
}
