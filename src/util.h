/* \summary: small shared helpers: exit codes, diagnostics, number parsing, time text */
#ifndef RPCWATCH_UTIL_H
#define RPCWATCH_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes shared by every subcommand (documented in rpcwatch(1)). */
#define RW_EXIT_OK 0
#define RW_EXIT_FAIL 1		/* a check failed (check) */
#define RW_EXIT_USAGE 2		/* bad usage, unreadable input, runtime error */
#define RW_EXIT_INCONCLUSIVE 3

/* "rpcwatch CMD: message" on stderr. */
void rw_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rw_err() then a hint line "Try 'rpcwatch CMD --help'." and exit(2). */
void rw_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Report the argument getopt_long() rejected (opt is its return value '?' or ':'),
 * then exit(2).  optind/optopt must be those getopt just set. */
void rw_bad_option(const char *cmd, char **argv, int opt) __attribute__((noreturn));

/* Strict decimal parse of the whole string into [min,max]; 1 ok, 0 bad. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* RFC 3339 UTC with microseconds: "2017-12-20T15:27:14.123456Z". buf >= 32. */
char *fmt_rfc3339(uint64_t ts_us, char *buf, size_t n);
#define RFC3339_LEN 32

/* Join argv[0..argc) with single spaces (for a trailing BPF expression).
 * Returns malloc'd string (caller frees) or NULL when argc == 0. */
char *join_args(int argc, char **argv);

void *xcalloc(size_t n, size_t sz);	/* aborts with a message on OOM */

#endif
