/* \summary: `rpcwatch capture`: headless capture to file with rotation */
#ifndef RPCWATCH_CAPTURE_H
#define RPCWATCH_CAPTURE_H
/* argv[0] is "capture". Returns the process exit status. */
int cmd_capture(int argc, char **argv);
#endif
