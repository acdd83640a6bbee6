/*
 * Legal loads of CR0, CR4 and XCR0 (cr_rules.h). Each rule names the SDM
 * condition under which the instruction raises #GP(0).
 */
#include "cr_rules.h"

#define B(n) (1ull << (n))

enum {
	CR0_PE_ = B(0), CR0_WP_ = B(16), CR0_NW_ = B(29), CR0_CD_ = B(30), CR0_PG_ = B(31),
	CR4_PAE_ = B(5), CR4_LA57_ = B(12), CR4_PCIDE_ = B(17), CR4_CET_ = B(23),
};

/* One CR4 bit and the CPUID bit that says it exists. */
struct cr4_bit {
	unsigned bit;
	unsigned char reg;        /* 0: l1_ecx, 1: l1_edx, 2: l7_ebx, 3: l7_ecx, 4: l7_edx */
	unsigned char cpuid_bit;
};

static const struct cr4_bit cr4_bits[] = {
	{ 0, 1, 1 },    /* VME: leaf 1 EDX.VME */
	{ 1, 1, 1 },    /* PVI: with VME */
	{ 2, 1, 4 },    /* TSD: EDX.TSC */
	{ 3, 1, 2 },    /* DE */
	{ 4, 1, 3 },    /* PSE */
	{ 5, 1, 6 },    /* PAE */
	{ 6, 1, 7 },    /* MCE */
	{ 7, 1, 13 },   /* PGE */
	{ 8, 1, 0 },    /* PCE: every CPU with RDPMC; tied to FPU (always present on x86-64) */
	{ 9, 1, 24 },   /* OSFXSR: FXSR */
	{ 10, 1, 25 },  /* OSXMMEXCPT: SSE */
	{ 11, 3, 2 },   /* UMIP: leaf 7 ECX.UMIP */
	{ 12, 3, 16 },  /* LA57 */
	{ 13, 0, 5 },   /* VMXE: leaf 1 ECX.VMX */
	{ 14, 0, 6 },   /* SMXE: ECX.SMX */
	{ 16, 2, 0 },   /* FSGSBASE: leaf 7 EBX */
	{ 17, 0, 17 },  /* PCIDE: ECX.PCID */
	{ 18, 0, 26 },  /* OSXSAVE: ECX.XSAVE */
	{ 19, 3, 23 },  /* KL: leaf 7 ECX.KL */
	{ 20, 2, 7 },   /* SMEP */
	{ 21, 2, 20 },  /* SMAP */
	{ 22, 3, 3 },   /* PKE: ECX.PKU */
	{ 23, 3, 7 },   /* CET: ECX.CET_SS */
	{ 24, 3, 31 },  /* PKS */
	{ 25, 4, 5 },   /* UINTR: leaf 7 EDX.UINTR */
};

uint64_t cr4_valid_bits(const struct cr4_cpuid *c)
{
	const uint32_t regs[5] = { c->l1_ecx, c->l1_edx, c->l7_ebx, c->l7_ecx, c->l7_edx };
	uint64_t valid = 0;
	for (unsigned i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++)
		if (regs[cr4_bits[i].reg] & (1u << cr4_bits[i].cpuid_bit))
			valid |= B(cr4_bits[i].bit);
	return valid;
}

bool cr0_write_ok(const struct cr_context *ctx, uint64_t val)
{
	if (val >> 32)                                   /* reserved CR0[63:32] */
		return false;
	if ((val & CR0_PG_) && !(val & CR0_PE_))         /* paging without protection */
		return false;
	if ((val & CR0_NW_) && !(val & CR0_CD_))         /* not-write-through with caching on */
		return false;
	bool clears_pg = (ctx->cr0 & CR0_PG_) && !(val & CR0_PG_);
	if (clears_pg && ctx->lma && ctx->cs_l)          /* leaving IA-32e mode from 64-bit code */
		return false;
	if (clears_pg && (ctx->cr4 & CR4_PCIDE_))        /* 4.10.1: PG off while PCIDE is set */
		return false;
	if ((val & CR0_PG_) && !(ctx->cr0 & CR0_PG_) && ctx->lme && !(ctx->cr4 & CR4_PAE_))
		return false;                            /* entering IA-32e mode without PAE */
	if (!(val & CR0_WP_) && (ctx->cr4 & CR4_CET_))   /* 2.5: WP cannot clear while CET is set */
		return false;
	return true;
}

bool cr4_write_ok(const struct cr_context *ctx, uint64_t val, uint64_t valid)
{
	if (val & ~valid)                                /* a bit the CPU does not have */
		return false;
	if (ctx->lma && !(val & CR4_PAE_))               /* leaving IA-32e mode by clearing PAE */
		return false;
	if (ctx->lma && ((val ^ ctx->cr4) & CR4_LA57_))  /* paging levels change only outside IA-32e */
		return false;
	if ((val & CR4_PCIDE_) && !(ctx->cr4 & CR4_PCIDE_) && (!ctx->lma || (ctx->cr3 & 0xfff)))
		return false;                            /* PCIDE 0 -> 1 outside IA-32e or with CR3[11:0] != 0 */
	if ((val & CR4_CET_) && !(ctx->cr0 & CR0_WP_))   /* CET needs WP */
		return false;
	return true;
}

enum {
	X_X87 = B(0), X_SSE = B(1), X_AVX = B(2), X_BNDREGS = B(3), X_BNDCSR = B(4),
	X_AVX512 = B(5) | B(6) | B(7),                   /* opmask, ZMM_Hi256, Hi16_ZMM */
	X_TILECFG = B(17), X_TILEDATA = B(18),
};

/* true if the bits in pair are all set or all clear. */
static bool together(uint64_t val, uint64_t pair)
{
	return (val & pair) == 0 || (val & pair) == pair;
}

bool xcr0_ok(uint64_t val, uint64_t supported)
{
	if (val & ~supported)                            /* unsupported or reserved bits */
		return false;
	if (!(val & X_X87))                              /* x87 state is always enabled */
		return false;
	if ((val & X_AVX) && !(val & X_SSE))             /* AVX needs SSE */
		return false;
	if (!together(val, X_AVX512) || ((val & X_AVX512) && !(val & X_AVX)))
		return false;                            /* AVX-512's three, all or none, and with AVX */
	if (!together(val, X_BNDREGS | X_BNDCSR))        /* MPX's pair */
		return false;
	if (!together(val, X_TILECFG | X_TILEDATA))      /* AMX's pair */
		return false;
	return true;
}
