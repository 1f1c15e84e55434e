/* \summary: `rpcwatch watch`: the live troubleshooting screen (ncursesw)
 *
 * Reads a live interface (-i, opened like capture, -Z drops privileges) or
 * replays a file (-r, as fast as possible or paced with --speed) into the
 * model of model.h — analyze's decoder, flow table, RPC engine and diagnosis —
 * and shows endpoints, RPC calls, registrations and findings.  Refuses to
 * run without a terminal (exit 2), pointing at capture and analyze.
 */
#ifndef RPCWATCH_WATCH_H
#define RPCWATCH_WATCH_H

/* argv[0] is "watch". Returns the process exit status. */
int cmd_watch(int argc, char **argv);

#endif
