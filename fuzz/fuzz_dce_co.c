/* \summary: libFuzzer harness: connection-oriented DCE/RPC over a synthetic TCP flow
 * (flow table + TCP reassembly + CO framer + EPM/EMSMDB stub decoders + rpcout); see fuzz_rpc.inc */
#define FUZZ_DEFAULT_UDP 0
#include "fuzz_rpc.inc"
