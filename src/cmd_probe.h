/* \summary: `rpcwatch responder` and the low-level `rpcwatch probe-run` */
#ifndef RPCWATCH_CMD_PROBE_H
#define RPCWATCH_CMD_PROBE_H
/* argv[0] is "responder". Returns the process exit status. */
int cmd_responder(int argc, char **argv);
/* argv[0] is "probe-run". Returns the process exit status. */
int cmd_probe_run(int argc, char **argv);
#endif
