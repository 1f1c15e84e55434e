/* \summary: libFuzzer harness: decode_packet() for every supported link type
 *
 * Input: byte 0 picks the DLT (EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4,
 * IPV6, NULL, LOOP), byte 1 how much longer the wire length claims to be;
 * the rest is the frame.  Checks that the borrowed payload lies inside the
 * frame and that captured never exceeds declared.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "decode.h"
#include "fuzz.h"

#ifndef FUZZ_FIXED_DLT
static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL,
#ifdef DLT_LINUX_SLL2
	DLT_LINUX_SLL2,
#endif
	DLT_RAW,
#ifdef DLT_IPV4
	DLT_IPV4, DLT_IPV6,
#endif
	DLT_NULL, DLT_LOOP,
	147 /* DLT_USER0: unsupported */,
};
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
#ifdef FUZZ_FIXED_DLT
	int dlt = FUZZ_FIXED_DLT;
#else
	int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
#endif
	uint32_t extra = data[1];
	data += 2;
	size -= 2;
	/* exact-size copy: the frame ends where the allocation ends */
	uint8_t *frame = malloc(size ? size : 1);
	if (!frame)
		return 0;
	memcpy(frame, data, size);

	struct pkt p;
	memset(&p, 0xa5, sizeof p);	/* the decoder must set what it reports */
	p.frame = 1;
	p.ts_us = 1000000;
	p.caplen = (uint32_t)size;
	p.wirelen = (uint32_t)size + extra;
	enum dec_status st = decode_packet(dlt, frame, &p);
	FZ_ASSERT(st == p.status);
	FZ_ASSERT(st <= DEC_UNSUPPORTED_LINK);
	if (st == DEC_OK && p.ipver) {
		FZ_ASSERT(p.ipver == 4 || p.ipver == 6);
		if (p.has_l4 && p.payload && p.payload_caplen) {
			FZ_ASSERT(p.payload >= frame && p.payload + p.payload_caplen <= frame + size);
			FZ_ASSERT(p.payload_caplen <= p.payload_len);
		}
		char b1[ADDR_STRLEN + 8], b2[ADDR_STRLEN + 8];
		addr_port_str(&p.src, p.sport, b1, sizeof b1);
		addr_port_str(&p.dst, p.dport, b2, sizeof b2);
		FZ_ASSERT(strlen(b1) < sizeof b1 && strlen(b2) < sizeof b2);
		if (p.proto == PROTO_ICMP || p.proto == PROTO_ICMP6) {
			const char *n = icmp_code_name(p.proto == PROTO_ICMP ? 4 : 6, p.icmp_type, p.icmp_code);
			if (n)
				FZ_ASSERT(strlen(n) < 64);
		}
		if (p.icmp_is_error && p.q.valid) {
			addr_str(&p.q.src, b1, sizeof b1);
			addr_str(&p.q.dst, b2, sizeof b2);
		}
	} else if (st == DEC_TRUNCATED || st == DEC_INVALID) {
		FZ_ASSERT(p.fail_layer < LAYER__COUNT);
		FZ_ASSERT(decode_layer_name(p.fail_layer) != NULL);
	}
	free(frame);
	return 0;
}
