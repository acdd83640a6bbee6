/*
 * What the libFuzzer harnesses in tests/fuzz/ share: a reader that takes
 * little-endian fields from the fuzzer's input (zeros once it runs out, so
 * every input means something), and the invariant check. A broken invariant
 * aborts, which libFuzzer reports as a crash and saves the input: the same as
 * an AddressSanitizer or UBSan report.
 */
#ifndef ODV_FUZZ_H
#define ODV_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz: invariant broken: %s (%s:%d)\n", #cond,      \
				__FILE__, __LINE__);                                         \
			abort();                                                            \
		}                                                                           \
	} while (0)

/*
 * For the harness's own helpers (copies, checks): coverage feedback from them
 * would steer nothing and cost most of the time. noinline, or the attribute
 * is lost where the helper is inlined into instrumented code.
 */
#define NO_COVERAGE __attribute__((noinline, no_sanitize("coverage")))

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/* The next `bytes` (at most 8) bytes as a little-endian number; missing bytes read as 0. */
static inline uint64_t fz_take(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		if (in->n) {
			v |= (uint64_t)in->p[0] << (8 * i);
			in->p++;
			in->n--;
		}
	}
	return v;
}

static inline uint8_t fz_u8(struct fuzz_in *in) { return (uint8_t)fz_take(in, 1); }
static inline uint16_t fz_u16(struct fuzz_in *in) { return (uint16_t)fz_take(in, 2); }
static inline uint32_t fz_u32(struct fuzz_in *in) { return (uint32_t)fz_take(in, 4); }
static inline uint64_t fz_u64(struct fuzz_in *in) { return fz_take(in, 8); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
