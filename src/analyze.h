/* \summary: `rpcwatch analyze`: decode capture files and print what was seen */
#ifndef RPCWATCH_ANALYZE_H
#define RPCWATCH_ANALYZE_H
/* argv[0] is "analyze". Returns the process exit status. */
int cmd_analyze(int argc, char **argv);
#endif
