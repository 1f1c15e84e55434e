/* \summary: unit tests for the check-profile parser (src/profile.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "uuid.h"

#ifndef PROFILE_SRCDIR
#define PROFILE_SRCDIR "data/profiles"
#endif

static int parse(const char *text, const struct prof_set *sets, size_t n, struct profile *p, char *err, size_t el)
{
	return profile_parse("t.profile", text, strlen(text), sets, n, p, err, el);
}

static void set_of(struct prof_set *s, const char *arg)
{
	char err[256];
	assert_int_equal(profile_parse_set(arg, s, err, sizeof err), 0);
}

/* ---- good profiles ---------------------------------------------------------------------------- */

static void test_full_profile(void **state)
{
	(void)state;
	static const char text[] =
		"# a comment\n"
		"   # indented comment\n"
		"name calcon-test\n"
		"description Calendar connector: 135 and ${port}?\n"	/* ${port} not yet declared */
		"var port = 45001\n";
	struct profile p;
	char err[512];
	assert_int_equal(parse(text, NULL, 0, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:4: unknown variable '${port}' (declare it first: var port = VALUE)");
	assert_null(p.a);

	static const char good[] =
		"# header\n"
		"name calcon-test\n"
		"var port = 45001   # trailing comment\n"
		"var range = 1024-${port}\n"
		"description Calendar connector on ${port} (costs $$0)\n"
		"\n"
		"expect tcp 135 open\n"
		"hint allow 135\n"
		"hint and read the notes\n"
		"expect tcp ${port},139,445 open|filtered\n"
		"expect udp 135 open|filtered\r\n"
		"expect tcp 23 blocked\n"
		"epm learn\n"
		"epm expect EmSmDb open\n"
		"epm expect a4f1db00-ca47-1067-b31f-00dd010662da v0.82 closed|open\n"
		"role client\n"
		"expect udp-to-client ${range} open\n"
		"role domino\n"
		"expect tcp 8080 unreachable\n";
	assert_int_equal(parse(good, NULL, 0, &p, err, sizeof err), 0);
	assert_string_equal(p.name, "calcon-test");
	assert_string_equal(p.file, "t.profile");
	assert_string_equal(p.description, "Calendar connector on 45001 (costs $0)");
	assert_int_equal(p.n_vars, 2);
	assert_string_equal(p.vars[1].name, "range");
	assert_string_equal(p.vars[1].value, "1024-45001");
	assert_int_equal(p.n, 9);

	assert_int_equal(p.a[0].kind, PK_EXPECT);
	assert_int_equal(p.a[0].proto, 6);
	assert_int_equal(p.a[0].line, 7);
	assert_string_equal(p.a[0].role, "server");
	assert_int_equal(p.a[0].expect, PST_OPEN);
	assert_string_equal(p.a[0].hint, "allow 135\nand read the notes");
	assert_string_equal(p.a[0].text, "expect tcp 135 open");

	assert_int_equal(p.a[1].n_ranges, 3);
	assert_int_equal(p.a[1].ranges[0].lo, 45001);
	assert_int_equal(p.a[1].ranges[2].hi, 445);
	assert_int_equal(p.a[1].expect, PST_OPEN | PST_FILTERED);
	assert_string_equal(p.a[1].expect_text, "open|filtered");
	assert_string_equal(p.a[1].text, "expect tcp 45001,139,445 open|filtered");
	assert_int_equal(profile_assert_ports(&p.a[1]), 3);
	assert_null(p.a[1].hint);

	assert_int_equal(p.a[2].proto, 17);	/* CRLF line */
	assert_string_equal(p.a[2].text, "expect udp 135 open|filtered");
	assert_int_equal(p.a[3].expect, PST_BLOCKED);
	assert_string_equal(p.a[3].expect_text, "blocked");

	assert_int_equal(p.a[4].kind, PK_EPM_LEARN);
	assert_int_equal(p.a[4].expect, PST_OPEN);
	assert_int_equal(p.a[5].kind, PK_EPM_EXPECT);
	char u[UUID_STRLEN];
	assert_string_equal(uuid_str(&p.a[5].iface, u, sizeof u), "a4f1db00-ca47-1067-b31f-00dd010662da");
	assert_string_equal(p.a[5].iface_name, "EMSMDB");
	assert_int_equal(p.a[5].vmaj, 0);
	assert_int_equal(p.a[5].vmin, 81);
	assert_int_equal(p.a[6].kind, PK_EPM_EXPECT);
	assert_string_equal(p.a[6].iface_name, "EMSMDB");
	assert_int_equal(p.a[6].vmin, 82);
	assert_int_equal(p.a[6].expect, PST_OPEN | PST_CLOSED);
	assert_string_equal(p.a[6].expect_text, "open|closed");

	assert_string_equal(p.a[7].role, "client");
	assert_int_equal(p.a[7].to_client, 1);
	assert_int_equal(p.a[7].proto, 17);
	assert_int_equal(p.a[7].ranges[0].lo, 1024);
	assert_int_equal(p.a[7].ranges[0].hi, 45001);
	assert_int_equal(profile_assert_ports(&p.a[7]), 45001 - 1024 + 1);
	assert_string_equal(p.a[8].role, "domino");
	assert_int_equal(p.a[8].expect, PST_UNREACHABLE);
	assert_true(profile_has_role(&p, "client"));
	assert_true(profile_has_role(&p, "server"));
	assert_false(profile_has_role(&p, "wsus"));
	profile_free(&p);
	profile_free(&p);	/* safe twice */
}

static void test_name_from_file(void **state)
{
	(void)state;
	struct profile p;
	char err[256];
	static const char t[] = "expect tcp 80 open";	/* no final newline */
	assert_int_equal(profile_parse("/x/y/sccm-test.profile", t, strlen(t), NULL, 0, &p, err, sizeof err), 0);
	assert_string_equal(p.name, "sccm-test");
	assert_null(p.description);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.a[0].line, 1);
	profile_free(&p);
}

/* udp-to-client forces role client, whatever role is current */
static void test_udp_to_client_role(void **state)
{
	(void)state;
	struct profile p;
	char err[256];
	assert_int_equal(parse("role wsus\nexpect udp-to-client 50123 open\nexpect tcp 1 open\n", NULL, 0, &p, err,
			       sizeof err), 0);
	assert_string_equal(p.a[0].role, "client");
	assert_string_equal(p.a[1].role, "wsus");
	profile_free(&p);
}

/* ---- --set ------------------------------------------------------------------------------------------ */

static void test_set_override(void **state)
{
	(void)state;
	static const char text[] = "var calcon_port = 45001\nvar other = x${calcon_port}\n"
				   "expect tcp 135,${calcon_port} open\n";
	struct prof_set s[2];
	set_of(&s[0], "calcon_port=45002");
	struct profile p;
	char err[512];
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), 0);
	assert_string_equal(p.vars[0].value, "45002");
	assert_int_equal(p.vars[0].from_set, 1);
	assert_string_equal(p.vars[1].value, "x45002");	/* later defaults see the override */
	assert_int_equal(p.vars[1].from_set, 0);
	assert_int_equal(p.a[0].ranges[1].lo, 45002);
	assert_string_equal(p.a[0].text, "expect tcp 135,45002 open");
	profile_free(&p);

	/* a --set value is literal: no ${} expansion, '$' kept */
	set_of(&s[0], "other=${calcon_port}");
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), 0);
	assert_string_equal(p.vars[1].value, "${calcon_port}");
	profile_free(&p);

	/* a bad value from --set: the message names the line and the --set */
	set_of(&s[0], "calcon_port=abc");
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:3: bad port 'abc' (ports are 1-65535) (${calcon_port} is 'abc' from --set)");
	set_of(&s[0], "calcon_port=70000");
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:3: bad port '70000' (ports are 1-65535) (${calcon_port} is '70000' from --set)");

	/* unknown variable */
	set_of(&s[0], "calcon=1");
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile: --set calcon: the profile has no variable 'calcon' (it has: calcon_port, other)");
	assert_int_equal(parse("expect tcp 1 open\n", s, 1, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile: --set calcon: the profile has no variable 'calcon' (it has none)");

	/* twice */
	set_of(&s[0], "calcon_port=1");
	set_of(&s[1], "calcon_port=2");
	assert_int_equal(parse(text, s, 2, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile: --set calcon_port given twice");

	/* empty value is allowed by --set, and then fails where it is used */
	set_of(&s[0], "calcon_port=");
	assert_int_equal(parse(text, s, 1, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:3: empty item in port list (ports are 1-65535, e.g. 135,445,49152-65535) "
				 "(${calcon_port} is '' from --set)");
}

static void test_parse_set(void **state)
{
	(void)state;
	struct prof_set s;
	char err[256];
	assert_int_equal(profile_parse_set("a_1=x=y", &s, err, sizeof err), 0);
	assert_int_equal(s.name_len, 3);
	assert_string_equal(s.value, "x=y");
	assert_int_equal(profile_parse_set("novalue", &s, err, sizeof err), -1);
	assert_string_equal(err, "--set 'novalue': expected NAME=VALUE (e.g. --set calcon_port=45001)");
	assert_int_equal(profile_parse_set("=1", &s, err, sizeof err), -1);
	assert_string_equal(err, "--set '=1': bad variable name (letters, digits and '_', not starting with a digit)");
	assert_int_equal(profile_parse_set("1a=1", &s, err, sizeof err), -1);
	assert_int_equal(profile_parse_set("a-b=1", &s, err, sizeof err), -1);
}

/* ---- every error ----------------------------------------------------------------------------------- */

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "", "t.profile: no assertions (a profile needs at least one expect or epm line)" },
	{ "# only\nname x\n", "t.profile: no assertions (a profile needs at least one expect or epm line)" },
	{ "expect tcp 135 open\nfrobnicate 1\n",
	  "t.profile:2: unknown keyword 'frobnicate' (name, description, var, role, expect, epm or hint)" },
	{ "Expect tcp 135 open\n", "t.profile:1: unknown keyword 'Expect' (name, description, var, role, expect, epm or hint)" },
	{ "expect tcp 135\n", "t.profile:1: expect needs three words: expect tcp|udp|udp-to-client PORTS STATES (e.g. expect tcp 135 open)" },
	{ "expect tcp 135 open now\n", "t.profile:1: expect needs three words: expect tcp|udp|udp-to-client PORTS STATES (e.g. expect tcp 135 open)" },
	{ "expect\n", "t.profile:1: expect needs three words: expect tcp|udp|udp-to-client PORTS STATES (e.g. expect tcp 135 open)" },
	{ "expect sctp 135 open\n", "t.profile:1: unknown protocol 'sctp' (tcp, udp or udp-to-client)" },
	{ "expect TCP 135 open\n", "t.profile:1: unknown protocol 'TCP' (tcp, udp or udp-to-client)" },
	{ "expect tcp 0 open\n", "t.profile:1: bad port '0' (ports are 1-65535)" },
	{ "expect tcp 65536 open\n", "t.profile:1: bad port '65536' (ports are 1-65535)" },
	{ "expect tcp +135 open\n", "t.profile:1: bad port '+135' (ports are 1-65535)" },
	{ "expect tcp 135x open\n", "t.profile:1: bad port '135x' (ports are 1-65535)" },
	{ "expect tcp 135,,139 open\n", "t.profile:1: empty item in port list (ports are 1-65535, e.g. 135,445,49152-65535)" },
	{ "expect tcp 135, open\n", "t.profile:1: empty item in port list (ports are 1-65535, e.g. 135,445,49152-65535)" },
	{ "expect tcp 200-100 open\n", "t.profile:1: bad port range '200-100' (the first port is larger than the last)" },
	{ "expect tcp 1-2-3 open\n", "t.profile:1: bad port '2-3' (ports are 1-65535)" },
	{ "expect tcp -5 open\n", "t.profile:1: bad port range '-5' (write FIRST-LAST, e.g. 49152-65535)" },
	{ "expect tcp 5- open\n", "t.profile:1: bad port range '5-' (write FIRST-LAST, e.g. 49152-65535)" },
	{ "expect tcp 135 opened\n", "t.profile:1: unknown state 'opened' (open, closed, filtered, unreachable or blocked; combine with '|', e.g. open|filtered)" },
	{ "expect tcp 135 open||closed\n", "t.profile:1: unknown state '' (open, closed, filtered, unreachable or blocked; combine with '|', e.g. open|filtered)" },
	{ "expect tcp 135 open|\n", "t.profile:1: unknown state '' (open, closed, filtered, unreachable or blocked; combine with '|', e.g. open|filtered)" },
	{ "expect tcp 135 OPEN\n", "t.profile:1: unknown state 'OPEN' (open, closed, filtered, unreachable or blocked; combine with '|', e.g. open|filtered)" },
	{ "epm\n", "t.profile:1: epm needs 'learn' or 'expect': epm learn [STATES] | epm expect IFACE [vMAJ.MIN] STATES" },
	{ "epm map emsmdb\n", "t.profile:1: epm needs 'learn' or 'expect': epm learn [STATES] | epm expect IFACE [vMAJ.MIN] STATES" },
	{ "epm learn open closed\n", "t.profile:1: epm learn takes at most one word: epm learn [STATES]" },
	{ "epm learn shut\n", "t.profile:1: unknown state 'shut' (open, closed, filtered, unreachable or blocked; combine with '|', e.g. open|filtered)" },
	{ "epm expect emsmdb\n", "t.profile:1: epm expect needs an interface and states: epm expect IFACE [vMAJ.MIN] STATES (e.g. epm expect emsmdb open)" },
	{ "epm expect emsmdb v1.0 open x\n", "t.profile:1: epm expect needs an interface and states: epm expect IFACE [vMAJ.MIN] STATES (e.g. epm expect emsmdb open)" },
	{ "epm expect nosuchiface open\n", "t.profile:1: unknown interface 'nosuchiface' (a name from data/interfaces.tsv such as EMSMDB, or a UUID)" },
	{ "epm expect a4f1db00-ca47-1067-b31f-00dd010662dz open\n", "t.profile:1: unknown interface 'a4f1db00-ca47-1067-b31f-00dd010662dz' (a name from data/interfaces.tsv such as EMSMDB, or a UUID)" },
	{ "epm expect emsmdb 0.81 open\n", "t.profile:1: bad interface version '0.81' (write vMAJOR.MINOR, e.g. v0.81)" },
	{ "epm expect emsmdb v0 open\n", "t.profile:1: bad interface version 'v0' (write vMAJOR.MINOR, e.g. v0.81)" },
	{ "epm expect emsmdb v0.70000 open\n", "t.profile:1: bad interface version 'v0.70000' (write vMAJOR.MINOR, e.g. v0.81)" },
	{ "epm expect emsmdb v.1 open\n", "t.profile:1: bad interface version 'v.1' (write vMAJOR.MINOR, e.g. v0.81)" },
	{ "var x\n", "t.profile:1: var needs a name and a value: var NAME = VALUE" },
	{ "var = 1\n", "t.profile:1: var needs a name and a value: var NAME = VALUE" },
	{ "var x =\n", "t.profile:1: var x: value missing (var NAME = VALUE)" },
	{ "var x = # comment only\n", "t.profile:1: var x: value missing (var NAME = VALUE)" },
	{ "var 1x = 2\n", "t.profile:1: bad variable name '1x' (letters, digits and '_', not starting with a digit)" },
	{ "var x-y = 2\n", "t.profile:1: var needs a name and a value: var NAME = VALUE" },
	{ "var x = 1\nvar x = 2\n", "t.profile:2: variable 'x' declared twice" },
	{ "var x = ${y}\n", "t.profile:1: unknown variable '${y}' (declare it first: var y = VALUE)" },
	{ "expect tcp ${p open\n", "t.profile:1: '${' without a closing '}'" },
	{ "expect tcp ${} open\n", "t.profile:1: empty variable name '${}'" },
	{ "expect tcp ${a b} open\n", "t.profile:1: bad variable name '${a b}'" },
	{ "expect tcp $p open\n", "t.profile:1: '$' must start ${NAME} (write '$$' for a dollar sign)" },
	{ "expect tcp 135 open\nhint costs $5\n", "t.profile:2: '$' must start ${NAME} (write '$$' for a dollar sign)" },
	{ "expect tcp 135 open\nexpect tcp ${later} open\nvar later = 1\n", "t.profile:2: unknown variable '${later}' (declare it first: var later = VALUE)" },
	{ "hint first\nexpect tcp 1 open\n", "t.profile:1: hint without an assertion before it (a hint belongs to the expect or epm line above it)" },
	{ "expect tcp 1 open\nhint\n", "t.profile:2: hint: text missing" },
	{ "expect tcp 1 open\nhint   # only a comment\n", "t.profile:2: hint: text missing" },
	{ "role\nexpect tcp 1 open\n", "t.profile:1: role needs exactly one word" },
	{ "role a b\nexpect tcp 1 open\n", "t.profile:1: role needs exactly one word" },
	{ "role a/b\nexpect tcp 1 open\n", "t.profile:1: role 'a/b': use letters, digits, '.', '_' and '-' (at most 63)" },
	{ "name a b\n", "t.profile:1: name needs exactly one word" },
	{ "name x\nname y\n", "t.profile:2: name given twice (first on line 1)" },
	{ "description\n", "t.profile:1: description: text missing" },
	{ "description a\ndescription b\n", "t.profile:2: description given twice (first on line 1)" },
	{ "expect tcp 1 open\n\texpect tcp\x01 1 open\n", "t.profile:2: control character 0x01 in the line" },
	{ "expect tcp 1 open\n# fine\nexpect tcp 1 o\x00pen\n", "t.profile:3: NUL byte in the line (not a text file?)" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct profile p;
		char err[512];
		size_t len = strlen(bad[i].text);
		if (strstr(bad[i].err, "NUL byte"))	/* the NUL cuts strlen: use the literal's length */
			len = strlen(bad[i].text) + 1 + strlen(bad[i].text + strlen(bad[i].text) + 1);
		int rc = profile_parse("t.profile", bad[i].text, len, NULL, 0, &p, err, sizeof err);
		if (rc != -1 || strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu (%s): rc %d, got \"%s\", want \"%s\"", i, bad[i].text, rc, rc ? err : "",
				 bad[i].err);
		assert_null(p.a);
		assert_null(p.file);
	}
}

static void test_long_lines(void **state)
{
	(void)state;
	struct profile p;
	char err[512];
	/* a raw line just too long */
	size_t n = PROF_MAX_LINE + 1;
	char *t = malloc(n + 32);
	memset(t, ' ', n);
	memcpy(t, "expect tcp 1 open", 17);
	t[n] = '\n';
	assert_int_equal(profile_parse("t.profile", t, n + 1, NULL, 0, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:1: line longer than 4096 bytes");
	/* one that fits, trailing blanks ignored */
	assert_int_equal(profile_parse("t.profile", t, n - 1, NULL, 0, &p, err, sizeof err), 0);
	profile_free(&p);
	free(t);
	/* expansion that overflows */
	char *big = malloc(3000 + 64);
	memset(big, 0, 3000 + 64);
	strcpy(big, "var v = ");
	memset(big + 8, 'a', 2500);
	strcat(big, "\nhint ${v}${v}\n");
	char *full = malloc(strlen(big) + 64);
	sprintf(full, "expect tcp 1 open\n%s", big);
	assert_int_equal(parse(full, NULL, 0, &p, err, sizeof err), -1);
	assert_string_equal(err, "t.profile:3: line longer than 4095 bytes after ${} expansion");
	free(full);
	free(big);
}

/* many ports: capacity growth, and a whole range */
static void test_many(void **state)
{
	(void)state;
	size_t n = 3000;
	char *t = malloc(n * 24);
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(t + o, "expect tcp %zu open\n", i + 1);
	struct profile p;
	char err[256];
	assert_int_equal(profile_parse("t", t, o, NULL, 0, &p, err, sizeof err), 0);
	assert_int_equal(p.n, n);
	assert_int_equal(p.a[n - 1].ranges[0].lo, n);
	assert_int_equal(p.a[n - 1].line, n);
	profile_free(&p);
	free(t);
	assert_int_equal(parse("expect tcp 1-65535 open\n", NULL, 0, &p, err, sizeof err), 0);
	assert_int_equal(profile_assert_ports(&p.a[0]), 65535);
	profile_free(&p);
}

static void test_expect_str(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(profile_expect_str(PST_OPEN, b, sizeof b), "open");
	assert_string_equal(profile_expect_str(PST_OPEN | PST_FILTERED, b, sizeof b), "open|filtered");
	assert_string_equal(profile_expect_str(PST_BLOCKED, b, sizeof b), "blocked");
	assert_string_equal(profile_expect_str(PST_BLOCKED | PST_OPEN, b, sizeof b), "open|blocked");
	assert_string_equal(profile_expect_str(PST_CLOSED | PST_UNREACHABLE, b, sizeof b), "closed|unreachable");
}

/* the verdict table: probe outcome (as the set of states it leaves possible) x expectation */
static void test_judge(void **state)
{
	(void)state;
	const uint32_t OF = PST_OPEN | PST_FILTERED;	/* UDP without an answer */
	assert_int_equal(profile_judge(PST_OPEN, PST_OPEN), PV_PASS);
	assert_int_equal(profile_judge(PST_OPEN, PST_CLOSED), PV_FAIL);
	assert_int_equal(profile_judge(PST_OPEN, PST_FILTERED), PV_FAIL);
	assert_int_equal(profile_judge(PST_OPEN, PST_UNREACHABLE), PV_FAIL);
	assert_int_equal(profile_judge(PST_OPEN, OF), PV_INCONCLUSIVE);
	assert_int_equal(profile_judge(OF, OF), PV_PASS);
	assert_int_equal(profile_judge(OF, PST_OPEN), PV_PASS);
	assert_int_equal(profile_judge(OF, PST_FILTERED), PV_PASS);
	assert_int_equal(profile_judge(OF, PST_CLOSED), PV_FAIL);
	assert_int_equal(profile_judge(PST_CLOSED, OF), PV_FAIL);
	assert_int_equal(profile_judge(PST_BLOCKED, PST_CLOSED), PV_PASS);
	assert_int_equal(profile_judge(PST_BLOCKED, PST_FILTERED), PV_PASS);
	assert_int_equal(profile_judge(PST_BLOCKED, PST_UNREACHABLE), PV_PASS);
	assert_int_equal(profile_judge(PST_BLOCKED, PST_OPEN), PV_FAIL);
	assert_int_equal(profile_judge(PST_BLOCKED, OF), PV_INCONCLUSIVE);
	assert_int_equal(profile_judge(PST_FILTERED, OF), PV_INCONCLUSIVE);
	assert_int_equal(profile_judge(PST_OPEN | PST_CLOSED, PST_CLOSED), PV_PASS);
	assert_int_equal(profile_judge(PST_OPEN, 0), PV_FAIL);
	assert_int_equal(profile_judge(PST_BLOCKED | PST_OPEN, OF), PV_PASS);
}

/* ---- files: the shipped profiles, lookup ---------------------------------------------------------- */

static void test_shipped_profiles(void **state)
{
	(void)state;
	static const char *const names[] = { "exchange-calcon", "exchange-newmail", "sccm-software-updates-mixed",
					     "sccm-software-updates-mixed-ssl", "sccm-software-updates-native-ssl",
					     "msmail-dirsync" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[1024], err[512];
		snprintf(path, sizeof path, "%s/%s.profile", PROFILE_SRCDIR, names[i]);
		struct profile p;
		if (profile_load(path, NULL, 0, &p, err, sizeof err))
			fail_msg("%s", err);
		assert_string_equal(p.name, names[i]);
		assert_non_null(p.description);
		assert_true(p.n >= 2);
		for (size_t k = 0; k < p.n; k++) {
			if (!p.a[k].hint)
				fail_msg("%s:%u: assertion without a hint", path, p.a[k].line);
			assert_null(strstr(p.a[k].hint, "${"));
		}
		profile_free(&p);
	}
	/* the documented overrides */
	struct prof_set s;
	char err[512];
	struct profile p;
	set_of(&s, "calcon_port=45002");
	assert_int_equal(profile_load(PROFILE_SRCDIR "/exchange-calcon.profile", &s, 1, &p, err, sizeof err), 0);
	int found = 0;
	for (size_t k = 0; k < p.n; k++)
		found |= p.a[k].n_ranges == 1 && p.a[k].ranges[0].lo == 45002 && !strcmp(p.a[k].role, "server");
	assert_true(found);
	assert_non_null(strstr(p.a[1].hint, "45002"));
	profile_free(&p);
	set_of(&s, "client_ports=50123");
	assert_int_equal(profile_load(PROFILE_SRCDIR "/exchange-newmail.profile", &s, 1, &p, err, sizeof err), 0);
	assert_int_equal(p.a[p.n - 1].to_client, 1);
	assert_int_equal(p.a[p.n - 1].ranges[0].lo, 50123);
	assert_int_equal(p.a[1].kind, PK_EPM_EXPECT);
	assert_string_equal(p.a[1].iface_name, "EMSMDB");
	profile_free(&p);
}

static void test_find(void **state)
{
	(void)state;
	char err[1024];
	setenv("RPCWATCH_PROFILE_DIR", "/nonexistent-rw:" PROFILE_SRCDIR, 1);
	char *path = profile_find("exchange-calcon", err, sizeof err);
	assert_non_null(path);
	assert_string_equal(path, PROFILE_SRCDIR "/exchange-calcon.profile");
	free(path);
	/* a path is taken as is */
	path = profile_find(PROFILE_SRCDIR "/msmail-dirsync.profile", err, sizeof err);
	assert_non_null(path);
	free(path);
	assert_null(profile_find("nope", err, sizeof err));
	assert_non_null(strstr(err, "no profile named 'nope' (looked for nope.profile in /nonexistent-rw:" PROFILE_SRCDIR ":"));
	assert_null(profile_find("./nope.profile", err, sizeof err));
	assert_string_equal(err, "./nope.profile: no such profile file");
	assert_null(profile_find("a b", err, sizeof err));
	assert_string_equal(err, "--profile 'a b': not a profile name (use a path for a file)");
	assert_null(profile_find("", err, sizeof err));
	/* a directory is not a profile */
	assert_null(profile_find(PROFILE_SRCDIR "/", err, sizeof err));
	assert_string_equal(err, PROFILE_SRCDIR "/: not a file");
	unsetenv("RPCWATCH_PROFILE_DIR");
	char *sp = profile_search_path();
	assert_non_null(strstr(sp, "/profiles"));
	assert_null(strchr(sp, ':'));
	free(sp);

	struct profile p;
	assert_int_equal(profile_load("/nonexistent-rw/x.profile", NULL, 0, &p, err, sizeof err), -1);
	assert_string_equal(err, "/nonexistent-rw/x.profile: No such file or directory");
	assert_int_equal(profile_load(PROFILE_SRCDIR, NULL, 0, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, PROFILE_SRCDIR ": read error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_profile),
		cmocka_unit_test(test_name_from_file),
		cmocka_unit_test(test_udp_to_client_role),
		cmocka_unit_test(test_set_override),
		cmocka_unit_test(test_parse_set),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_expect_str),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_shipped_profiles),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
