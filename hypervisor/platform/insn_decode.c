/*
 * Decoders for the MMIO accesses odv-hv emulates (see insn_decode.h): the
 * local APIC stores (decode_mmio_store) and plain MOV/MOVZX loads and stores to
 * a virtual device's BAR (decode_mmio_access). Both share one decoder, written
 * from the SDM Vol. 2 opcode map (Table) and ModRM/SIB tables (2-2,
 * 2-3): the VM exit already gives the address, so the only work on the
 * ModRM/SIB/displacement part is its length, so the guest's RIP can be moved
 * past the instruction.
 */
#include "insn_decode.h"

#define MAX_INSN 15          /* SDM 2.3.11: a longer instruction raises #GP */

/*
 * Make sure code[i..i+n) may be read: inside what the caller has and inside
 * the architectural limit. A byte wanted at offset 15 or later means the
 * instruction is too long whatever avail is, so that is the reason given.
 */
static bool have(unsigned i, unsigned n, unsigned lim, const char **err)
{
	if (i + n <= lim)
		return true;
	*err = i + n > MAX_INSN ? "instruction longer than 15 bytes (#GP on a real CPU)"
				: "instruction bytes missing (truncated)";
	return false;
}

static bool is_legacy_prefix(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
	       b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

/* Where the decoder is in the instruction, and what the prefixes said. */
struct cursor {
	const uint8_t *code;
	unsigned lim, i;
	unsigned rex;            /* the REX byte, 0 if none */
	bool opsize16;           /* 66 */
	const char **err;
};

/*
 * Legacy prefixes, in any order and number (group 2 segment overrides only
 * change the address, which the VM exit already reports), then a REX.
 */
static int decode_prefixes(struct cursor *c, bool long64)
{
	for (;;) {
		if (!have(c->i, 1, c->lim, c->err))
			return -1;
		uint8_t b = c->code[c->i];
		if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) {
			c->i++;
		} else if (b == 0x66) {
			c->opsize16 = true;
			c->i++;
		} else if (b == 0x67) {
			*c->err = "address-size prefix (67): not handled";
			return -1;
		} else if (b == 0xf0) {
			*c->err = "LOCK prefix (F0): not a plain MOV";
			return -1;
		} else if (b == 0xf2 || b == 0xf3) {
			*c->err = "REP/REPNE prefix (F2/F3): not a plain MOV";
			return -1;
		} else {
			break;
		}
	}
	/* 40..4F is REX only in 64-bit mode (inc/dec in 32-bit mode, refused later as an
	 * opcode). The CPU honours a REX only directly before the opcode (SDM 2.2.1); one
	 * followed by another prefix or REX is ignored, and rather than model that, refuse. */
	if (long64 && (c->code[c->i] & 0xf0) == 0x40) {
		c->rex = c->code[c->i++];
		if (!have(c->i, 1, c->lim, c->err))
			return -1;
		if (is_legacy_prefix(c->code[c->i]) || (c->code[c->i] & 0xf0) == 0x40) {
			*c->err = "REX not last prefix (the CPU ignores it)";
			return -1;
		}
	}
	return 0;
}

/* What the opcode says about the access. */
struct opinfo {
	uint8_t op;
	bool xchg, byte_reg, imm_form;
	unsigned imm_len;
};

static int decode_opcode(struct cursor *c, bool allow_xchg, struct mmio_access *a, struct opinfo *o)
{
	/* Operand size of the 16/32/64-bit forms: REX.W beats 66 (SDM 2.2.1.2). */
	unsigned osize = (c->rex & 0x08) ? 8 : c->opsize16 ? 2 : 4;
	uint8_t op = c->code[c->i++];
	if (op == 0x0f) {
		if (!have(c->i, 1, c->lim, c->err))
			return -1;
		op = c->code[c->i++];
		if (op != 0xb6 && op != 0xb7) {
			*c->err = "0F opcode other than MOVZX (0F B6 / 0F B7)";
			return -1;
		}
		/* MOVZX: the memory operand is 8 or 16 bits whatever the operand size;
		 * 66 / REX.W choose the destination width. */
		a->size = op == 0xb6 ? 1 : 2;
		a->zero_extend = true;
		a->dest_size = osize;
	} else if (op == 0x88 || op == 0x8a) {
		/* Byte forms: 66 and REX.W do not change the width, but any REX changes
		 * which byte registers reg 4..7 name. */
		a->size = 1;
		a->write = op == 0x88;
		a->dest_size = a->write ? 0 : 1;
		o->byte_reg = true;
	} else if (op == 0x89 || op == 0x8b || (allow_xchg && op == 0x87)) {
		a->size = osize;
		a->write = op != 0x8b;
		a->dest_size = a->write ? 0 : osize;
		o->xchg = op == 0x87;
	} else if (op == 0xc6 || op == 0xc7) {
		a->size = op == 0xc6 ? 1 : osize;
		a->write = true;
		a->src = STORE_IMM;
		/* imm8, imm16 with 66, else imm32 (also for REX.W: sign-extended, SDM MOV) */
		o->imm_len = op == 0xc6 ? 1 : osize == 2 ? 2 : 4;
		o->imm_form = true;
	} else {
		*c->err = op == 0x87 ? "XCHG: not a plain MOV load or store"
				     : "opcode is not MOV (88/89/8A/8B/C6/C7) or MOVZX (0F B6/B7)";
		return -1;
	}
	o->op = op;
	return 0;
}

/*
 * ModRM, SIB and displacement: only their length matters (SDM Tables 2-2,
 * 2-3; identical lengths for 32- and 64-bit addressing, and REX.B/X do not
 * change them). Returns ModRM.reg, or -1.
 */
static int decode_address(struct cursor *c, const struct opinfo *o)
{
	if (!have(c->i, 1, c->lim, c->err))
		return -1;
	uint8_t modrm = c->code[c->i++];
	unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
	if (mod == 3) {
		*c->err = "register operand (ModRM mod=3): not a memory access";
		return -1;
	}
	if (o->imm_form && reg != 0) {
		/* C6/C7 /1../7 are #UD or other instructions (XABORT/XBEGIN need mod=3). */
		*c->err = "C6/C7 with ModRM.reg != 0: not MOV r/m,imm";
		return -1;
	}
	/* rm=4 brings a SIB; mod 1 is disp8, mod 2 disp32; mod 0 has disp32 only for
	 * rm=5 (RIP-relative / absolute) or SIB base=5. */
	unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (!have(c->i, 1, c->lim, c->err))
			return -1;
		if (mod == 0 && (c->code[c->i] & 7) == 5)
			disp = 4;
		c->i++;
	} else if (mod == 0 && rm == 5) {
		disp = 4;
	}
	if (!have(c->i, disp, c->lim, c->err))
		return -1;
	c->i += disp;
	return (int)reg;
}

/* The other operand: the immediate that follows, or the register ModRM.reg names. */
static int decode_operand(struct cursor *c, const struct opinfo *o, unsigned reg, struct mmio_access *a)
{
	if (o->imm_form) {
		if (!have(c->i, o->imm_len, c->lim, c->err))
			return -1;
		uint64_t v = 0;
		for (unsigned k = 0; k < o->imm_len; k++)
			v |= (uint64_t)c->code[c->i + k] << (8 * k);
		if ((c->rex & 0x08) && o->op == 0xc7)
			v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
		a->imm = v;
		c->i += o->imm_len;
		return 0;
	}
	a->reg = reg | ((c->rex & 0x04) ? 8 : 0);
	/* Without any REX, byte registers 4..7 are AH, CH, DH, BH: bits 15:8 of
	 * registers 0..3 (SDM 3.4.1.1, Table 3-2). */
	if (o->byte_reg && !c->rex && reg >= 4) {
		a->high_byte = true;
		a->reg = reg - 4;
	}
	return 0;
}

/*
 * The shared decoder. With allow_xchg, 87 (XCHG r/m,r) is accepted too and
 * reported through *xchg as a store of the register; only the APIC path wants
 * it, since the old register value must then be returned to the guest.
 */
static int decode(const uint8_t *code, unsigned avail, bool long64, bool allow_xchg,
		  struct mmio_access *out, bool *xchg, const char **err)
{
	struct cursor c = { code, avail < MAX_INSN ? avail : MAX_INSN, 0, 0, false, err };
	struct mmio_access a = { .src = STORE_REG };
	struct opinfo o = { 0 };
	if (decode_prefixes(&c, long64) || decode_opcode(&c, allow_xchg, &a, &o))
		return -1;
	int reg = decode_address(&c, &o);
	if (reg < 0 || decode_operand(&c, &o, (unsigned)reg, &a))
		return -1;
	a.len = c.i;
	*out = a;
	*xchg = o.xchg;
	return 0;
}

int decode_mmio_access(const uint8_t *code, unsigned avail, bool long64, struct mmio_access *out,
		       const char **err)
{
	bool xchg;
	return decode(code, avail, long64, false, out, &xchg, err);
}

/*
 * The APIC path: exactly the 32-bit register or immediate stores (89, C7 /0)
 * and XCHG (87) of the shared decoder; 8/16/64-bit stores and loads refused.
 */
int decode_mmio_store(const uint8_t *code, unsigned avail, bool long64, struct mmio_store *out,
		      const char **err)
{
	struct mmio_access a;
	bool xchg;
	if (decode(code, avail, long64, true, &a, &xchg, err))
		return -1;
	if (!a.write) {
		*err = "load from the APIC page: only stores are emulated";
		return -1;
	}
	if (a.size != 4) {
		*err = "not a 32-bit store (8/16-bit, or 64-bit with REX.W)";
		return -1;
	}
	out->len = a.len;
	out->src = a.src;
	out->reg = a.reg;
	out->imm = (uint32_t)a.imm;
	out->xchg = xchg;
	return 0;
}
