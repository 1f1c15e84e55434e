/* \summary: rpcwatch entry point: subcommand dispatch, --help, --version */
#include "config.h"

#include <libnet.h>
#include <curses.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "capture.h"
#include "cmd_check.h"
#include "cmd_epm.h"
#include "cmd_probe.h"
#include "util.h"
#include "watch.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rpcwatch COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"Watch Microsoft RPC traffic (endpoint mapper, dynamic ports, Exchange push\n"
		"notifications) and say what the network lets through.\n"
		"\n"
		"Commands:\n"
		"  analyze [-r] FILE...     decode capture files and summarise what was seen\n"
		"  capture -i IFACE -w FILE capture to file headlessly, with rotation\n"
		"  capture -D               list capture interfaces\n"
		"  watch -i IFACE | -r FILE live troubleshooting screen (curses)\n"
		"  epm TARGET               list the endpoints registered at an endpoint mapper\n"
		"  check [OPTIONS] TARGET...  probe ports, profiles, the endpoint mapper: PASS/FAIL\n"
		"  responder [-p PORTS]     answer rpcwatch UDP probes on the far host\n"
		"\n"
		"  rpcwatch COMMAND --help  options of one command\n"
		"  rpcwatch --version       versions of rpcwatch and its libraries\n"
		"\n"
		"Exit status: 0 success, 1 a check failed, 2 usage or runtime error,\n"
		"3 only inconclusive results.  See rpcwatch(1).\n");
}

static int version(void)
{
	printf("rpcwatch %s\n", PACKAGE_VERSION);
	printf("  %s\n", pcap_lib_version());
	printf("  libnet %s\n", libnet_version());
	printf("  %s\n", curses_version());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		rw_usage_error(NULL, "no command given: analyze, capture, watch, check or epm");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version"))
		return version();
	if (!strcmp(cmd, "analyze"))
		return cmd_analyze(argc - 1, argv + 1);
	if (!strcmp(cmd, "capture"))
		return cmd_capture(argc - 1, argv + 1);
	if (!strcmp(cmd, "epm"))
		return cmd_epm(argc - 1, argv + 1);
	if (!strcmp(cmd, "responder"))
		return cmd_responder(argc - 1, argv + 1);
	if (!strcmp(cmd, "probe-run"))	/* low-level, not in the usage text */
		return cmd_probe_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (cmd[0] == '-')
		rw_usage_error(NULL, "unknown option '%s'; options follow the command", cmd);
	rw_usage_error(NULL, "unknown command '%s'", cmd);
}
