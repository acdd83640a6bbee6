/*
 * libFuzzer harness for hypervisor/entry/mb2.c: the multiboot2 information
 * the boot loader hands odv-hv. The input is the MBI. mb2_parse may read the
 * `total_size` bytes its first field announces, so the harness makes that
 * field at most the input's length and gives the parser a heap block of
 * exactly that many bytes: any read past it is an AddressSanitizer report.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "le.h"
#include "mb2.h"

#define MBI_PHYS 0x10000ull

static bool inside(const uint8_t *buf, uint32_t n, const char *s)
{
	return (const uint8_t *)s >= buf && (const uint8_t *)s < buf + n;
}

/* A string the parser hands out lies in the MBI and ends inside it. */
static void check_string(const uint8_t *buf, uint32_t n, const char *s)
{
	FUZZ_CHECK(inside(buf, n, s));
	FUZZ_CHECK(memchr(s, 0, (size_t)(buf + n - (const uint8_t *)s)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > (1u << 20))
		return 0;
	uint32_t total = le32(data);
	if (total > size || total < 4)
		total = (uint32_t)size;
	uint8_t *buf = malloc(total);
	FUZZ_CHECK(buf);
	memcpy(buf, data, total);
	le_put(buf, 4, total);

	struct boot_info bi;
	const char *err = NULL;
	int rc = mb2_parse(buf, MBI_PHYS, &bi, &err);
	if (rc) {
		FUZZ_CHECK(rc < 0 && err);
	} else {
		FUZZ_CHECK(bi.mbi_start == MBI_PHYS && bi.mbi_end == MBI_PHYS + total);
		FUZZ_CHECK(bi.nr_modules <= MB2_MAX_MODULES && bi.nr_mmap <= MB2_MAX_MMAP);
		FUZZ_CHECK(bi.rsdp_len <= sizeof(bi.rsdp));
		if (bi.cmdline[0] || inside(buf, total, bi.cmdline))
			check_string(buf, total, bi.cmdline);
		for (unsigned i = 0; i < bi.nr_modules; i++)
			check_string(buf, total, bi.modules[i].string);
		/* Each memory map entry is 20+ bytes of the MBI: no more entries than that allows. */
		FUZZ_CHECK(bi.nr_mmap <= total / 20);
	}
	free(buf);
	return 0;
}
