/*
 * Just enough x86-64 instruction decoding to emulate a guest's 32-bit store to
 * a trapped MMIO page (the local APIC): MOV r/m32,r32 (89), MOV r/m32,imm32
 * (C7 /0) and XCHG r/m32,r32 (87). Pure logic, unit-tested on the host.
 * Anything else is refused, and odv-hv stops the guest rather than guess.
 */
#ifndef ODV_INSN_DECODE_H
#define ODV_INSN_DECODE_H
#include "types.h"

enum store_src { STORE_REG, STORE_IMM };

struct mmio_store {
	unsigned len;            /* instruction length in bytes */
	enum store_src src;
	unsigned reg;            /* STORE_REG: register number 0..15 (rax, rcx, ...) */
	uint32_t imm;            /* STORE_IMM */
	bool xchg;               /* XCHG: the register also receives the old value */
};

/*
 * Decode the instruction at code[0..avail) executed in 64-bit mode (long64 =
 * true) or 32-bit protected mode. Returns 0, or -1 with *err set.
 */
int decode_mmio_store(const uint8_t *code, unsigned avail, bool long64, struct mmio_store *out,
		      const char **err);

#endif
