/* \summary: unit-test helper that writes classic pcap files record by record
 *
 * Host byte order, microsecond timestamps, version 2.4; the link type and
 * snapshot length are the caller's.  pcapw_record() writes a record header
 * that declares caplen bytes and then only `written` of them, so a test can
 * cut the last record short (libpcap: "truncated dump file") or declare a
 * wire length longer than the capture.  Nothing is checked: malformed files
 * are the point of some tests.  Write errors show up when the file is read.
 * pcapw_temp() creates /tmp/<name>_XXXXXX with the file header written:
 * the FILE (the caller fcloses it) and in *path the name (the caller frees
 * it), or NULL.  pcapw_udp4() builds an Ethernet frame holding a UDP
 * datagram 198.18.0.1:5000 -> 198.18.0.2:5001 (RFC 2544 addresses; IP and
 * UDP checksums 0) around a payload.
 */
#ifndef RPCWATCH_TEST_PCAPW_H
#define RPCWATCH_TEST_PCAPW_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAPW_DLT_EN10MB 1

static inline void pcapw_u32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static inline void pcapw_header(FILE *f, uint32_t snaplen, uint32_t linktype)
{
	const uint16_t version[2] = {2, 4};
	pcapw_u32(f, 0xa1b2c3d4);
	fwrite(version, 2, 2, f);
	pcapw_u32(f, 0);	/* thiszone */
	pcapw_u32(f, 0);	/* sigfigs */
	pcapw_u32(f, snaplen);
	pcapw_u32(f, linktype);
}

static inline FILE *pcapw_temp(const char *name, char **path, uint32_t snaplen, uint32_t linktype)
{
	size_t n = strlen("/tmp/") + strlen(name) + strlen("_XXXXXX") + 1;
	FILE *f = NULL;
	int fd = -1;
	*path = malloc(n);
	if (*path) {
		snprintf(*path, n, "/tmp/%s_XXXXXX", name);
		fd = mkstemp(*path);
	}
	if (fd >= 0 && !(f = fdopen(fd, "wb")))
		close(fd);
	if (!f) {
		free(*path);
		*path = NULL;
		return NULL;
	}
	pcapw_header(f, snaplen, linktype);
	return f;
}

static inline void pcapw_record(FILE *f, uint64_t ts_us, const void *data, uint32_t caplen, uint32_t wirelen,
				uint32_t written)
{
	pcapw_u32(f, (uint32_t)(ts_us / 1000000u));
	pcapw_u32(f, (uint32_t)(ts_us % 1000000u));
	pcapw_u32(f, caplen);
	pcapw_u32(f, wirelen);
	fwrite(data, 1, written, f);
}

/* frame must hold PCAPW_UDP4_HDR + plen bytes; returns the frame's length */
#define PCAPW_UDP4_HDR (14 + 20 + 8)
static inline uint32_t pcapw_udp4(uint8_t *frame, const void *payload, uint16_t plen)
{
	uint32_t iplen = 20u + 8u + plen, udplen = 8u + plen;
	memset(frame, 0, PCAPW_UDP4_HDR);
	frame[12] = 0x08;	/* IPv4 */
	uint8_t *ip = frame + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
	uint8_t *udp = ip + 20;
	udp[0] = 0x13, udp[1] = 0x88, udp[2] = 0x13, udp[3] = 0x89;	/* 5000 -> 5001 */
	udp[4] = (uint8_t)(udplen >> 8);
	udp[5] = (uint8_t)udplen;
	if (plen)
		memcpy(udp + 8, payload, plen);
	return PCAPW_UDP4_HDR + plen;
}

#endif
