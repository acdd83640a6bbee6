/* Handoff block codec (include/odv_handoff.h). Pure; built into odv-hv, the agent and the unit tests. */
#include "odv_handoff.h"
#include <stddef.h>
#include <stdbool.h>

_Static_assert(sizeof(struct odv_handoff_mem) == 24, "wire format");
_Static_assert(sizeof(struct odv_handoff_run) == 16, "wire format");
_Static_assert(offsetof(struct odv_handoff, mem) % 8 == 0, "wire format");
_Static_assert(sizeof(struct odv_handoff) % 8 == 0, "wire format");

uint32_t odv_crc32(const void *data, uint64_t len)
{
	/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), a byte at a time from a
	 * table made on first use: the run table can be hundreds of KiB. */
	static uint32_t table[256];
	static bool made;
	if (!made) {
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t c = b;
			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
			table[b] = c;
		}
		made = true;
	}
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;
	for (uint64_t i = 0; i < len; i++)
		crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xff];
	return ~crc;
}

static uint32_t handoff_crc(const struct odv_handoff *h)
{
	/* The CRC covers everything before the result fields, with crc32 taken as 0. */
	struct odv_handoff copy;
	const uint8_t *src = (const uint8_t *)h;
	uint8_t *dst = (uint8_t *)&copy;
	size_t n = offsetof(struct odv_handoff, result_mode);
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
	copy.crc32 = 0;
	return odv_crc32(&copy, n);
}

void odv_handoff_seal(struct odv_handoff *h, const struct odv_handoff_run *runs)
{
	h->runs_crc32 = runs ? odv_crc32(runs, h->nr_runs * sizeof(*runs)) : 0;
	h->magic = ODV_HANDOFF_MAGIC;
	h->version = ODV_HANDOFF_VERSION;
	h->size = sizeof(*h);
	h->crc32 = handoff_crc(h);
}

int odv_handoff_check(const struct odv_handoff *h)
{
	if (h->magic != ODV_HANDOFF_MAGIC)
		return ODV_HANDOFF_EMAGIC;
	if (h->version != ODV_HANDOFF_VERSION)
		return ODV_HANDOFF_EVERSION;
	if (h->size != sizeof(*h))
		return ODV_HANDOFF_ESIZE;
	if (h->crc32 != handoff_crc(h))
		return ODV_HANDOFF_ECRC;
	/* The region must end below 2^64: every place check below adds to region_base. */
	if (h->nr_mem > ODV_HANDOFF_MAX_MEM || h->nr_runs > ODV_HANDOFF_MAX_RUNS ||
	    h->hv_size > h->region_size || (h->region_base & 0xfff) ||
	    h->region_size > ~0ull - h->region_base)
		return ODV_HANDOFF_ERANGE;
	bool terminated = false;
	for (unsigned i = 0; i < sizeof(h->hv_args); i++)
		terminated = terminated || !h->hv_args[i];
	if (!terminated)
		return ODV_HANDOFF_ERANGE;
	/* The run table lies in the reserved region, after odv-hv (and so after
	 * the handoff block, which the caller found there). */
	if (h->nr_runs) {
		uint64_t end = h->region_base + h->region_size;
		uint64_t bytes = h->nr_runs * sizeof(struct odv_handoff_run);
		if ((h->runs_phys & 0xfff) || h->runs_phys < h->region_base + h->hv_size ||
		    h->runs_phys >= end || bytes > end - h->runs_phys)
			return ODV_HANDOFF_ERANGE;
	} else if (h->stream_pages) {
		return ODV_HANDOFF_ERANGE;
	}
	return ODV_HANDOFF_OK;
}

int odv_handoff_check_runs(const struct odv_handoff *h, const struct odv_handoff_run *runs)
{
	if (h->runs_crc32 != odv_crc32(runs, h->nr_runs * sizeof(*runs)))
		return ODV_HANDOFF_ECRC;
	uint64_t pages = 0;
	for (uint64_t i = 0; i < h->nr_runs; i++) {
		if ((runs[i].phys & 0xfff) || !runs[i].pages || runs[i].pages > h->stream_pages - pages ||
		    runs[i].pages > (~0ull - runs[i].phys) / 4096)
			return ODV_HANDOFF_ERANGE;   /* also catches a sum that would wrap */
		pages += runs[i].pages;
	}
	if (pages != h->stream_pages)
		return ODV_HANDOFF_ERANGE;
	return ODV_HANDOFF_OK;
}

const char *odv_handoff_strerror(int err)
{
	switch (err) {
	case ODV_HANDOFF_OK: return "ok";
	case ODV_HANDOFF_EMAGIC: return "no handoff block (bad magic)";
	case ODV_HANDOFF_EVERSION: return "handoff block version not supported";
	case ODV_HANDOFF_ESIZE: return "handoff block size mismatch";
	case ODV_HANDOFF_ECRC: return "handoff block corrupted (CRC mismatch)";
	case ODV_HANDOFF_ERANGE: return "handoff block inconsistent (counts, alignment or an unterminated string)";
	default: return "unknown handoff error";
	}
}
