/* \summary: libFuzzer harness: connectionless DCE/RPC and UDP notifications over
 * synthetic UDP datagrams (TCP records for registrations); see fuzz_rpc.inc */
#define FUZZ_DEFAULT_UDP 1
#include "fuzz_rpc.inc"
