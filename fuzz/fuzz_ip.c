/* \summary: libFuzzer harness: IPv4/IPv6 + TCP/UDP/ICMP/ICMPv6 through decode_packet(DLT_RAW)
 *
 * Same checks as fuzz_link.c with the link layer fixed to raw IP, so every
 * input byte reaches the IP and L4 decoders.
 */
#define FUZZ_FIXED_DLT DLT_RAW
#include "fuzz_link.c"
