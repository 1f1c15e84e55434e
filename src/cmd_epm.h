/* \summary: `rpcwatch epm`: endpoint-mapper listing (ept_lookup) and ept_map from the command line */
#ifndef RPCWATCH_CMD_EPM_H
#define RPCWATCH_CMD_EPM_H
/* argv[0] is "epm". Returns the process exit status (0 ok, 1 verdict, 2 usage/runtime). */
int cmd_epm(int argc, char **argv);
#endif
