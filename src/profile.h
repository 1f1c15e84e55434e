/* \summary: check profiles: a line-based list of firewall assertions (rpcwatch-profile(5))
 *
 * A profile names what a service needs through a firewall:
 *
 *   name exchange-calcon
 *   description Exchange calendar connector (free/busy with Lotus Notes)
 *   var calcon_port = 45001
 *   expect tcp 135 open
 *   expect tcp ${calcon_port} open
 *   hint pin NotesCal.Exchange CalCon RPC Port ... (shown when the line above fails)
 *   role client
 *   expect udp-to-client ${client_ports} open
 *   epm learn
 *   epm expect emsmdb open
 *
 * The format is defined in doc/rpcwatch-profile.5.  The parser is strict: the
 * first error stops it and is reported as "FILE:LINE: message" (or "FILE:
 * message" for errors not tied to a line, such as an unused --set).
 *
 * Ownership: a struct profile owns every string and array it points to;
 * profile_free() releases them (and is safe on a zeroed or half-filled
 * profile).  struct prof_set borrows its strings from the caller (argv).
 * Nothing here touches the network; interface names are resolved through
 * names.h while parsing.
 */
#ifndef RPCWATCH_PROFILE_H
#define RPCWATCH_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "uuid.h"

/* Expected states: a set (bit mask).  "blocked" = closed|filtered|unreachable. */
#define PST_OPEN 0x1u
#define PST_CLOSED 0x2u
#define PST_FILTERED 0x4u
#define PST_UNREACHABLE 0x8u
#define PST_BLOCKED (PST_CLOSED | PST_FILTERED | PST_UNREACHABLE)

#define PROF_MAX_LINE 4096	/* longest line after ${} expansion */
#define PROF_MAX_FILE (1u << 20)	/* largest profile file */
#define PROF_NAME_MAX 64

enum prof_kind {
	PK_EXPECT,	/* expect PROTO PORTS STATES */
	PK_EPM_LEARN,	/* epm learn [STATES]: every ncacn_ip_tcp port the endpoint mapper lists */
	PK_EPM_EXPECT	/* epm expect IFACE [vMAJ.MIN] STATES: that interface's TCP port(s) */
};

struct prof_range {
	uint16_t lo, hi;	/* 1 <= lo <= hi <= 65535 */
};

struct prof_assert {
	enum prof_kind kind;
	char role[PROF_NAME_MAX];	/* target role the assertion probes: "server" unless set */
	uint8_t proto;			/* 6 or 17 (PK_EXPECT); 6 for the epm kinds */
	int to_client;			/* written as "udp-to-client": the far end runs `rpcwatch responder` */
	struct prof_range *ranges;	/* PK_EXPECT: the ports, as written (duplicates kept) */
	size_t n_ranges;
	uint32_t expect;		/* PST_* mask */
	char expect_text[64];		/* canonical text of the mask: "open", "open|filtered", ... */
	/* PK_EPM_EXPECT: the interface, resolved by name (names.h, any case) or given as a UUID */
	struct rpc_uuid iface;
	uint16_t vmaj, vmin;		/* version for ept_map (names table, or vMAJ.MIN on the line) */
	char iface_name[PROF_NAME_MAX];	/* as the names table spells it, or the UUID text */
	char *text;			/* the line after ${} expansion, without comment */
	char *hint;			/* hint lines that followed, joined by '\n'; NULL if none */
	unsigned line;			/* line number in the profile file */
};

struct prof_var {
	char *name;
	char *value;		/* after --set and ${} expansion */
	int from_set;		/* value came from --set */
};

/* One --set NAME=VALUE; the strings are borrowed. */
struct prof_set {
	const char *name;
	size_t name_len;
	const char *value;
};

struct profile {
	char *file;		/* path or label the messages name */
	char *name;		/* "name" line, else the file's base name without ".profile" */
	char *description;	/* NULL if none */
	struct prof_var *vars;
	size_t n_vars;
	struct prof_assert *a;
	size_t n;
};

/* Split "NAME=VALUE" (NAME: letters, digits, '_', not starting with a digit).
 * 0 ok; -1 with a message in err. */
int profile_parse_set(const char *arg, struct prof_set *out, char *err, size_t errlen);

/* Parse len bytes of profile text; `file` is the name used in messages.  Every
 * sets[i] must name a variable the profile declares.  Returns 0, or -1 with
 * "FILE:LINE: message" in err (*p is then freed and zeroed). */
int profile_parse(const char *file, const char *text, size_t len, const struct prof_set *sets,
		  size_t n_sets, struct profile *p, char *err, size_t errlen);

/* Read and parse a file (at most PROF_MAX_FILE bytes).  Same contract. */
int profile_load(const char *path, const struct prof_set *sets, size_t n_sets, struct profile *p,
		 char *err, size_t errlen);

/* Find a profile: ARG containing '/' or ending in ".profile" is a file path;
 * otherwise ARG is a name looked up as NAME.profile in, in order, every
 * directory of $RPCWATCH_PROFILE_DIR (':'-separated), then RPCWATCH_DATADIR
 * "/profiles" (the installed $(pkgdatadir)/profiles).  Returns a malloc'd path,
 * or NULL with a message (naming the directories searched) in err. */
char *profile_find(const char *arg, char *err, size_t errlen);

/* The directories profile_find() searches, in order, as one ':'-separated
 * malloc'd string (for --help and messages). */
char *profile_search_path(void);

/* Canonical text of a PST_* mask ("open|filtered", "blocked" for PST_BLOCKED)
 * into buf; returns buf. */
char *profile_expect_str(uint32_t mask, char *buf, size_t n);

/* Verdict of a probe outcome against an assertion.  got is the set of states the
 * outcome leaves possible (PST_OPEN | PST_FILTERED for UDP open|filtered): PASS when
 * every possible state is expected, INCONCLUSIVE when some are, FAIL when none is
 * (or got is empty). */
enum prof_verdict { PV_PASS, PV_FAIL, PV_INCONCLUSIVE };
enum prof_verdict profile_judge(uint32_t expect, uint32_t got);

/* Total number of ports of a PK_EXPECT assertion (duplicates counted). */
size_t profile_assert_ports(const struct prof_assert *a);

/* Does any assertion probe role `role`? */
int profile_has_role(const struct profile *p, const char *role);

void profile_free(struct profile *p);

#endif
