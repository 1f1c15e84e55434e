/* \summary: BSD loopback encapsulation, DLT_NULL and DLT_LOOP
 * specification: https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html
 *
 * | family (4) | IP packet |
 * DLT_NULL stores the family in the *capturing host's* byte order, so both
 * orders are accepted (a value with bits in the upper half is swapped);
 * DLT_LOOP stores it in network byte order.  AF_INET is 2 everywhere;
 * AF_INET6 is 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD, DragonFly),
 * 30 (Darwin), 10 (Linux), 23 (Windows).
 */
#include "config.h"
#include "decode.h"

enum dec_status null_decode(struct pkt *p, struct cur *c, uint16_t *etype, int loop)
{
	uint32_t fam = loop ? cur_be32(c) : cur_le32(c);
	if (!cur_ok(c)) {
		p->fail_layer = LAYER_LINK;
		return DEC_TRUNCATED;
	}
	if (!loop && (fam & 0xffff0000u))
		fam = ((fam & 0xff) << 24) | ((fam & 0xff00) << 8) | ((fam >> 8) & 0xff00) | (fam >> 24);
	switch (fam) {
	case 2:
		*etype = 0x0800;
		break;
	case 10: case 23: case 24: case 28: case 30:
		*etype = 0x86dd;
		break;
	default:
		*etype = 0;
		return DEC_NOT_IP;
	}
	p->ethertype = *etype;
	return DEC_OK;
}
