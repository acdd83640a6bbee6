/*
 * odv-hv's log ring (log_ring.c): odv-hv writes it; `odv go-native` reads
 * it from outside through /dev/mem once the CPUs are native. Pure; built
 * into odv-hv, the agent and the unit tests.
 */
#ifndef ODV_LOG_RING_H
#define ODV_LOG_RING_H
#include <stddef.h>
#include <stdint.h>

/* Ring buffer of bytes; keeps the newest `size` bytes, whole lines preferred by readers. */
struct log_ring {
	char *buf;
	uint32_t size;      /* power of two */
	uint64_t head;      /* total bytes ever written */
};

void log_ring_write(struct log_ring *r, const char *s, size_t n);
/* Logical offset of the oldest byte the ring still keeps. */
uint64_t log_ring_oldest(const struct log_ring *r);
/* Copy out the bytes from logical offset `from` (clamped to what is kept); returns count. */
size_t log_ring_read(const struct log_ring *r, uint64_t from, char *out, size_t n);

#endif
