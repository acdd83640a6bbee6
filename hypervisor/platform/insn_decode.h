/*
 * Just enough x86-64 instruction decoding to emulate a guest's access to a
 * trapped MMIO page: decode_mmio_store for the local APIC's 32-bit stores
 * (MOV r/m32,r32 (89), MOV r/m32,imm32 (C7 /0) and XCHG r/m32,r32 (87)), and
 * decode_mmio_access for the 1/2/4/8-byte MOV/MOVZX loads and stores drivers
 * make to a virtual PCI device's BAR. Pure logic, unit-tested on the host.
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

/*
 * General MMIO access, for emulating a virtual PCI device's memory BAR
 * (virtio-pci registers, MSI-X table). Linux drivers reach those with
 * readb/w/l/q and writeb/w/l/q, which are single plain MOVs of 1, 2, 4 or 8
 * bytes; compilers also emit MOVZX for a byte/word read into an int. So:
 *   88 /r  mov r/m8,r8          8A /r  mov r8,r/m8       C6 /0 ib     mov r/m8,imm8
 *   89 /r  mov r/m16/32/64,r    8B /r  mov r,r/m         C7 /0 iw/id  mov r/m16/32/64,imm
 *   0F B6 /r  movzx r,r/m8      0F B7 /r  movzx r,r/m16
 * with 66 (16-bit operands), REX (64-bit mode only, directly before the
 * opcode; REX.W = 64-bit operands and wins over 66) and segment prefixes.
 * Everything else (67, LOCK, REP, register operands, other opcodes, XCHG,
 * the A0-A3 moffs forms, truncated or over-15-byte instructions) is refused.
 * The access address is not computed: the VM exit reports the guest-physical
 * address, only the instruction's length, width, direction and register or
 * immediate are needed.
 */
struct mmio_access {
	unsigned len;          /* instruction length */
	unsigned size;         /* access width in bytes: 1, 2, 4 or 8 */
	bool write;            /* store to memory (else load from memory) */
	enum store_src src;    /* write: STORE_REG or STORE_IMM (loads: STORE_REG) */
	unsigned reg;          /* load destination / store source register 0..15 */
	uint64_t imm;          /* STORE_IMM value (sign-extended to 64 bits for C7 with REX.W,
				  zero-extended otherwise); 0 when not STORE_IMM */
	bool zero_extend;      /* load: MOVZX (0F B6 / 0F B7): result zero-extended into a 32-bit
				  (or 64 with REX.W, 16 with 66) destination */
	unsigned dest_size;    /* load: bytes written to the destination register (1, 2, 4 or 8);
				  a 4-byte write zero-extends to 64 bits (x86-64 rule); 1 and 2 byte
				  writes preserve the rest of the register. 0 for stores. */
	bool high_byte;        /* 8-bit register operand is AH/CH/DH/BH (no REX, reg field 4..7):
				  then reg is the base register 0..3 and the byte is bits 15:8 */
};

/*
 * Decode the access at code[0..avail) in 64-bit mode (long64 = true) or 32-bit
 * protected mode (CS.D = 1; the caller refuses 16-bit code). Reads no byte at or
 * past code[avail]. Returns 0, or -1 with *err set to the reason.
 */
int decode_mmio_access(const uint8_t *code, unsigned avail, bool long64, struct mmio_access *out,
		       const char **err);

#endif
