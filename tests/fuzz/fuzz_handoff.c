/*
 * libFuzzer harness for include/codec/handoff.c: the handoff block and run
 * table the agent leaves for odv-hv across kexec (and that odv-hv trusts
 * only after odv_handoff_check and odv_handoff_check_runs).
 *
 * Input: a mode byte, the block (zero-padded when short), then run table
 * entries. With mode bit 0 the harness seals the block first (magic, version,
 * size and both CRCs right), so the fuzzer reaches the range checks behind
 * the CRC; without it the raw bytes meet the CRC check too.
 *
 * Invariants: an accepted block describes a run table that lies inside the
 * reserved region after odv-hv, computed without wrap-around; accepted runs
 * are aligned, non-empty, do not wrap and add up to stream_pages; and an
 * accepted block and table come out byte for byte the same from the encoder.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "odv_handoff.h"

typedef unsigned __int128 u128;

static bool terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

static void check_block(const struct odv_handoff *h)
{
	FUZZ_CHECK(h->magic == ODV_HANDOFF_MAGIC && h->version == ODV_HANDOFF_VERSION &&
		   h->size == sizeof(*h));
	FUZZ_CHECK(h->nr_mem <= ODV_HANDOFF_MAX_MEM && h->nr_runs <= ODV_HANDOFF_MAX_RUNS);
	FUZZ_CHECK(h->hv_size <= h->region_size && !(h->region_base & 0xfff));
	FUZZ_CHECK(terminated(h->hv_args, sizeof(h->hv_args)));
	if (!h->nr_runs) {
		FUZZ_CHECK(h->stream_pages == 0);
		return;
	}
	/* Exact arithmetic: the table is inside [region_base + hv_size, region end). */
	u128 lo = (u128)h->region_base + h->hv_size;
	u128 end = (u128)h->region_base + h->region_size;
	u128 runs_end = (u128)h->runs_phys + (u128)h->nr_runs * sizeof(struct odv_handoff_run);
	FUZZ_CHECK(!(h->runs_phys & 0xfff));
	FUZZ_CHECK(h->runs_phys >= lo && runs_end <= end);
}

static void check_runs(const struct odv_handoff *h, const struct odv_handoff_run *runs)
{
	u128 pages = 0;
	for (uint64_t i = 0; i < h->nr_runs; i++) {
		FUZZ_CHECK(!(runs[i].phys & 0xfff) && runs[i].pages);
		FUZZ_CHECK((u128)runs[i].phys + (u128)runs[i].pages * 4096 <= (u128)1 << 64);
		pages += runs[i].pages;
	}
	FUZZ_CHECK(pages == h->stream_pages);
}

/* The encoder must give back exactly what the checks accepted (result fields aside). */
static void check_round_trip(const struct odv_handoff *h, const struct odv_handoff_run *runs)
{
	struct odv_handoff again = *h;
	again.magic = 0;
	again.version = 0;
	again.size = 0;
	again.crc32 = 0x5a5a5a5a;
	again.runs_crc32 = 0xa5a5a5a5;
	odv_handoff_seal(&again, runs);
	FUZZ_CHECK(memcmp(&again, h, offsetof(struct odv_handoff, result_mode)) == 0);
	FUZZ_CHECK(odv_handoff_check(&again) == ODV_HANDOFF_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	struct odv_handoff *h = calloc(1, sizeof(*h));
	FUZZ_CHECK(h);
	size_t n = size < sizeof(*h) ? size : sizeof(*h);
	memcpy(h, data, n);
	/* The run table: exactly the entries the input holds, on the heap for ASan. */
	size_t nr_given = (size - n) / sizeof(struct odv_handoff_run);
	struct odv_handoff_run *runs = malloc(nr_given ? nr_given * sizeof(*runs) : 1);
	FUZZ_CHECK(runs);
	memcpy(runs, data + n, nr_given * sizeof(*runs));
	bool table_given = h->nr_runs <= nr_given;

	if (mode & 1)
		odv_handoff_seal(h, table_given ? runs : NULL);
	int rc = odv_handoff_check(h);
	FUZZ_CHECK(rc <= 0 && rc >= ODV_HANDOFF_ERANGE && odv_handoff_strerror(rc)[0]);
	if (rc == ODV_HANDOFF_OK) {
		check_block(h);
		if (table_given) {
			int rr = odv_handoff_check_runs(h, runs);
			FUZZ_CHECK(rr == ODV_HANDOFF_OK || rr == ODV_HANDOFF_ECRC || rr == ODV_HANDOFF_ERANGE);
			if (rr == ODV_HANDOFF_OK) {
				check_runs(h, runs);
				check_round_trip(h, runs);
			}
		}
	}
	free(runs);
	free(h);
	return 0;
}
