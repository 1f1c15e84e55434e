/* \summary: `rpcwatch check`: firewall assertions (ports, profiles, endpoint mapper) with verdicts */
#ifndef RPCWATCH_CMD_CHECK_H
#define RPCWATCH_CMD_CHECK_H

/* argv[0] is "check".  Returns the exit status (rpcwatch(1), CHECK):
 * 0 all passed, 1 a failure, 2 usage or runtime error, 3 only inconclusive. */
int cmd_check(int argc, char **argv);

#endif
