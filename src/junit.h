/* \summary: JUnit XML writer that always emits well-formed XML 1.0
 *
 * Layout (the shape Jenkins, GitLab and GitHub test reporters read):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <testsuites name=".." tests="N" failures="N" errors="N" skipped="N" time="S">
 *     <testsuite name=".." tests=".." failures=".." errors=".." skipped=".." time=".."
 *                timestamp="YYYY-MM-DDTHH:MM:SS" hostname="..">
 *       <properties><property name=".." value=".."/></properties>
 *       <testcase name=".." classname=".." time="S">
 *         <failure message=".." type="..">text</failure>   (or <error>, or <skipped message=".."/>)
 *         <system-out>text</system-out>
 *       </testcase>
 *     </testsuite>
 *   </testsuites>
 *
 * Every string goes through junit_escape(): '<' '>' '&' '"' '\'' become
 * entities; in attributes TAB, LF and CR become character references so they
 * survive attribute-value normalisation; bytes that are not valid UTF-8 and
 * characters XML 1.0 forbids (C0 controls other than TAB/LF/CR, U+FFFE,
 * U+FFFF; encoded surrogates and overlong forms are invalid UTF-8) become
 * U+FFFD.  So whatever bytes a probe, a profile or a hostname contains, the
 * document parses.
 *
 * Counts are passed in up front (the caller has all results before writing).
 * Ownership: struct junit borrows `out`; it never closes it.  The writer keeps
 * no other state than the nesting level, checked by assertions in the calls.
 */
#ifndef RPCWATCH_JUNIT_H
#define RPCWATCH_JUNIT_H

#include <stddef.h>
#include <stdio.h>

struct junit {
	FILE *out;
	int level;	/* 0 none, 1 in testsuites, 2 in testsuite */
};

struct junit_counts {
	size_t tests, failures, errors, skipped;
	double time_s;
};

enum junit_status { JU_PASS, JU_FAIL, JU_ERROR, JU_SKIP };

struct junit_case {
	const char *name;
	const char *classname;
	double time_s;
	enum junit_status status;
	const char *message;	/* failure/error/skipped message attribute (NULL: none) */
	const char *type;	/* failure/error type attribute (NULL: none) */
	const char *text;	/* body of <failure>/<error> (NULL: empty) */
	const char *system_out;	/* <system-out> body, NULL: none */
};

struct junit_prop {
	const char *name, *value;
};

/* Escape n bytes of s into f as XML character data (attr = 0) or an attribute value (attr = 1). */
void junit_escape(FILE *f, const char *s, size_t n, int attr);

void junit_begin(struct junit *j, FILE *out, const char *name, const struct junit_counts *c);
/* timestamp: seconds since the epoch (UTC); 0 leaves it out.  hostname may be NULL. */
void junit_suite_begin(struct junit *j, const char *name, const struct junit_counts *c, long long timestamp,
		       const char *hostname, const struct junit_prop *props, size_t n_props);
void junit_case(struct junit *j, const struct junit_case *tc);
void junit_suite_end(struct junit *j);
/* Closes the document; returns 0, or -1 if the stream had a write error. */
int junit_end(struct junit *j);

#endif
