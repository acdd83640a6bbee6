/*
 * libFuzzer harness for hypervisor/platform/insn_decode.c: the bytes at the
 * guest's RIP when it touched a trapped MMIO page. The guest chooses them, so
 * both decoders must refuse or describe them without reading a byte they were
 * not given, and what they describe must be self-consistent.
 *
 * Input: one flags byte (bit 0: 64-bit mode), then the code bytes. The code is
 * copied into a heap block of exactly that size, so an over-read is an
 * AddressSanitizer report.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "insn_decode.h"

#define MAX_INSN 15

static uint8_t *heap_copy(const uint8_t *p, unsigned n)
{
	uint8_t *b = malloc(n ? n : 1);
	FUZZ_CHECK(b);
	memcpy(b, p, n);
	return b;
}

static bool same_access(const struct mmio_access *a, const struct mmio_access *b)
{
	return a->len == b->len && a->size == b->size && a->write == b->write && a->src == b->src &&
	       a->reg == b->reg && a->imm == b->imm && a->zero_extend == b->zero_extend &&
	       a->dest_size == b->dest_size && a->high_byte == b->high_byte;
}

static bool is_width(unsigned w)
{
	return w == 1 || w == 2 || w == 4 || w == 8;
}

/* What every accepted access must look like, whatever the bytes were. */
static void check_access(const struct mmio_access *a, unsigned avail, bool long64)
{
	FUZZ_CHECK(a->len >= 2 && a->len <= avail && a->len <= MAX_INSN);   /* opcode + ModRM at least */
	FUZZ_CHECK(is_width(a->size));
	FUZZ_CHECK(a->size != 8 || long64);          /* 64-bit operands need REX.W */
	FUZZ_CHECK(a->reg < (long64 ? 16u : 8u));
	FUZZ_CHECK(!a->high_byte || (a->reg < 4 && a->size == 1 && a->src == STORE_REG));
	if (a->write) {
		FUZZ_CHECK(a->dest_size == 0 && !a->zero_extend);
		if (a->src == STORE_IMM)
			FUZZ_CHECK(a->size == 8 || a->imm >> (8 * a->size) == 0);
	} else {
		FUZZ_CHECK(a->src == STORE_REG && a->imm == 0);
		FUZZ_CHECK(is_width(a->dest_size) && a->dest_size >= a->size);
		FUZZ_CHECK(a->zero_extend ? a->size <= 2 : a->dest_size == a->size);
	}
	if (a->src == STORE_REG)
		FUZZ_CHECK(a->imm == 0);
}

/*
 * The decoder reads the instruction's own bytes and nothing after them: given
 * exactly len bytes it must say the same, and given one byte less refuse.
 */
static void check_prefix_property(const uint8_t *code, const struct mmio_access *a, bool long64)
{
	const char *err = NULL;
	struct mmio_access again;
	uint8_t *exact = heap_copy(code, a->len);
	FUZZ_CHECK(decode_mmio_access(exact, a->len, long64, &again, &err) == 0);
	FUZZ_CHECK(same_access(a, &again));
	err = NULL;
	FUZZ_CHECK(decode_mmio_access(exact, a->len - 1, long64, &again, &err) == -1 && err);
	free(exact);
}

/* The APIC decoder is the shared decoder narrowed to 32-bit stores (plus XCHG). */
static void check_store(const uint8_t *code, unsigned avail, bool long64, bool access_ok,
			const struct mmio_access *a)
{
	const char *err = NULL;
	struct mmio_store s;
	int rc = decode_mmio_store(code, avail, long64, &s, &err);
	if (rc) {
		FUZZ_CHECK(rc == -1 && err);
		FUZZ_CHECK(!(access_ok && a->write && a->size == 4));
		return;
	}
	FUZZ_CHECK(s.len >= 2 && s.len <= avail && s.len <= MAX_INSN);
	FUZZ_CHECK(s.src == STORE_REG ? s.reg < 16 && s.imm == 0 : !s.xchg);
	if (s.xchg)
		return;     /* 87 is refused by the general decoder on purpose */
	FUZZ_CHECK(access_ok && a->write && a->size == 4 && a->len == s.len && a->src == s.src);
	FUZZ_CHECK(s.src == STORE_REG ? a->reg == s.reg : a->imm == s.imm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64)
		return 0;
	bool long64 = data[0] & 1;
	unsigned avail = (unsigned)(size - 1);
	uint8_t *code = heap_copy(data + 1, avail);
	const char *err = NULL;
	struct mmio_access a;

	int rc = decode_mmio_access(code, avail, long64, &a, &err);
	if (rc == 0) {
		check_access(&a, avail, long64);
		check_prefix_property(code, &a, long64);
	} else {
		FUZZ_CHECK(rc == -1 && err);
	}
	/* Bytes past the architectural limit can never matter. */
	if (avail > MAX_INSN) {
		struct mmio_access cut;
		const char *err2 = NULL;
		int rc2 = decode_mmio_access(code, MAX_INSN, long64, &cut, &err2);
		FUZZ_CHECK(rc2 == rc && (rc || same_access(&a, &cut)));
	}
	check_store(code, avail, long64, rc == 0, &a);
	free(code);
	return 0;
}
