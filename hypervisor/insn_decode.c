/*
 * Decoder for the stores odv-hv emulates on the local APIC page (see
 * insn_decode.h). Linux writes APIC registers with one "movl %reg, addr"
 * (or xchgl on CPUs with the 11AP erratum); the only work is the length of
 * the ModRM/SIB/displacement part, so the guest's RIP can be moved past it.
 */
#include "insn_decode.h"

#define MAX_INSN 15

int decode_mmio_store(const uint8_t *code, unsigned avail, bool long64, struct mmio_store *out,
		      const char **err)
{
	unsigned i = 0, rex = 0;
	if (avail > MAX_INSN)
		avail = MAX_INSN;
	/* Legacy prefixes that leave a 32-bit store a 32-bit store. */
	while (i < avail && (code[i] == 0x2e || code[i] == 0x3e || code[i] == 0x26 ||
			     code[i] == 0x36 || code[i] == 0x64 || code[i] == 0x65))
		i++;
	if (i < avail && (code[i] == 0x66 || code[i] == 0x67 || code[i] == 0xf0 ||
			  code[i] == 0xf2 || code[i] == 0xf3)) {
		*err = "prefix changes operand or address size (or lock/rep): not a plain 32-bit store";
		return -1;
	}
	if (long64 && i < avail && (code[i] & 0xf0) == 0x40)
		rex = code[i++];
	if (rex & 0x08) {
		*err = "64-bit store (REX.W) to a 32-bit register";
		return -1;
	}
	if (i + 2 > avail) {
		*err = "instruction bytes missing";
		return -1;
	}
	uint8_t op = code[i++], modrm = code[i++];
	unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
	if (mod == 3) {
		*err = "register operand: not a memory store";
		return -1;
	}
	if (op == 0x89 || op == 0x87) {
		out->src = STORE_REG;
		out->reg = reg | ((rex & 0x04) ? 8 : 0);
		out->xchg = op == 0x87;
	} else if (op == 0xc7 && reg == 0) {
		out->src = STORE_IMM;
		out->xchg = false;
	} else {
		*err = "not MOV r/m32,r32 / MOV r/m32,imm32 / XCHG r/m32,r32";
		return -1;
	}
	/* Addressing: SIB, then the displacement (mod 0 with rm 5 / SIB base 5: disp32). */
	unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (i >= avail) {
			*err = "instruction bytes missing";
			return -1;
		}
		uint8_t sib = code[i++];
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (mod == 0 && rm == 5) {
		disp = 4;    /* RIP-relative in 64-bit mode, absolute disp32 otherwise */
	}
	i += disp;
	if (out->src == STORE_IMM) {
		if (i + 4 > avail) {
			*err = "instruction bytes missing";
			return -1;
		}
		out->imm = (uint32_t)code[i] | (uint32_t)code[i + 1] << 8 |
			   (uint32_t)code[i + 2] << 16 | (uint32_t)code[i + 3] << 24;
		i += 4;
	}
	if (i > avail) {
		*err = "instruction bytes missing";
		return -1;
	}
	out->len = i;
	return 0;
}
