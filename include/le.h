/*
 * Little-endian loads and stores of unaligned bytes: firmware tables, boot
 * protocol headers, image streams and device registers are all read and
 * written through these, never through casts (no alignment, no host
 * byte-order assumptions). Shared by odv-hv, the agent and the unit tests.
 */
#ifndef ODV_LE_H
#define ODV_LE_H
#include <stdint.h>

static inline uint64_t le_get(const void *p, unsigned size)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | b[i];
	return v;
}

static inline void le_put(void *p, unsigned size, uint64_t v)
{
	uint8_t *b = p;
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t le16(const void *p) { return (uint16_t)le_get(p, 2); }
static inline uint32_t le32(const void *p) { return (uint32_t)le_get(p, 4); }
static inline uint64_t le64(const void *p) { return le_get(p, 8); }

#endif
