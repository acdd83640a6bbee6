/*
 * Host unit tests for hypervisor/vmx/cr_rules.c: the loads of CR0, CR4 and
 * XCR0 the CPU refuses with #GP(0) (SDM vol. 2 MOV CR and XSETBV; vol. 3
 * 2.5, 4.10.1; vol. 1 13.3), so that odv-hv refuses exactly those.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cr_rules.h"

#define PE (1ull << 0)
#define WP (1ull << 16)
#define NW (1ull << 29)
#define CD (1ull << 30)
#define PG (1ull << 31)
#define PAE (1ull << 5)
#define LA57 (1ull << 12)
#define VMXE (1ull << 13)
#define PCIDE (1ull << 17)
#define CET (1ull << 23)

/* A 64-bit Linux kernel: paging on, long mode, 64-bit code, PAE. */
static struct cr_context linux64(void)
{
	return (struct cr_context){ .cr0 = PE | WP | PG | (1ull << 5) | (1ull << 4), .cr3 = 0x1000,
				    .cr4 = PAE | (1ull << 7), .lma = true, .lme = true, .cs_l = true };
}

/* CPUID of a CPU with PAE, PGE, FXSR, SSE, PCID, XSAVE, SMEP, SMAP, FSGSBASE, no VMX in leaf 1. */
static uint64_t valid_bits(void)
{
	struct cr4_cpuid c = { .l1_ecx = (1u << 17) | (1u << 26),
			       .l1_edx = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) |
					 (1u << 7) | (1u << 13) | (1u << 24) | (1u << 25) | 1u,
			       .l7_ebx = 1u | (1u << 7) | (1u << 20) };
	return cr4_valid_bits(&c);
}

static void test_cr4_valid_bits(void **state)
{
	uint64_t v = valid_bits();
	assert_true(v & PAE);
	assert_true(v & PCIDE);
	assert_true(v & (1ull << 18));                   /* OSXSAVE */
	assert_true(v & (1ull << 20));                   /* SMEP */
	assert_false(v & VMXE);                          /* VMX hidden: VMXE does not exist */
	assert_false(v & LA57);
	assert_false(v & (1ull << 22));                  /* no PKU */
	assert_false(v & (1ull << 15));                  /* bit 15 is reserved on every CPU */
	struct cr4_cpuid vmx = { .l1_ecx = 1u << 5 };
	assert_true(cr4_valid_bits(&vmx) & VMXE);
}

static void test_cr0(void **state)
{
	struct cr_context ctx = linux64();
	assert_true(cr0_write_ok(&ctx, ctx.cr0));
	assert_true(cr0_write_ok(&ctx, ctx.cr0 | CD | NW));
	assert_true(cr0_write_ok(&ctx, ctx.cr0 | CD));
	assert_false(cr0_write_ok(&ctx, ctx.cr0 | NW));                   /* NW without CD */
	assert_false(cr0_write_ok(&ctx, (ctx.cr0 & ~PE)));                /* PG without PE */
	assert_false(cr0_write_ok(&ctx, ctx.cr0 | (1ull << 32)));         /* CR0[63:32] reserved */
	assert_false(cr0_write_ok(&ctx, ctx.cr0 & ~PG));                  /* leaving IA-32e from 64-bit code */
	ctx.cs_l = false;                                                 /* compatibility mode may */
	assert_true(cr0_write_ok(&ctx, ctx.cr0 & ~PG));
	ctx.cr4 |= PCIDE;                                                 /* ... unless PCIDE is set */
	assert_false(cr0_write_ok(&ctx, ctx.cr0 & ~PG));
	ctx = linux64();
	ctx.cr4 |= CET;
	assert_false(cr0_write_ok(&ctx, ctx.cr0 & ~WP));                  /* WP cannot clear under CET */
	/* Entering IA-32e mode: PG on with LME needs PAE. */
	struct cr_context boot = { .cr0 = PE, .lme = true };
	assert_false(cr0_write_ok(&boot, PE | PG));
	boot.cr4 = PAE;
	assert_true(cr0_write_ok(&boot, PE | PG));
}

static void test_cr4(void **state)
{
	struct cr_context ctx = linux64();
	uint64_t v = valid_bits();
	assert_true(cr4_write_ok(&ctx, ctx.cr4, v));
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | VMXE, v));              /* the guest has no VMX */
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | (1ull << 15), v));      /* reserved */
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | (1ull << 32), v));      /* CR4[63:32] reserved */
	assert_false(cr4_write_ok(&ctx, ctx.cr4 & ~PAE, v));              /* PAE off in IA-32e mode */
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | LA57, v | LA57));       /* LA57 change in IA-32e mode */
	/* PCIDE 0 -> 1: only in IA-32e mode with CR3[11:0] = 0. */
	assert_true(cr4_write_ok(&ctx, ctx.cr4 | PCIDE, v));
	ctx.cr3 = 0x1005;
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | PCIDE, v));
	ctx.cr4 |= PCIDE;                                                 /* already on: CR3 low bits are a PCID */
	assert_true(cr4_write_ok(&ctx, ctx.cr4, v));
	struct cr_context prot = { .cr0 = PE };
	assert_false(cr4_write_ok(&prot, PCIDE, v));
	assert_true(cr4_write_ok(&prot, 0, v));                           /* PAE may be off outside IA-32e */
	/* CET needs CR0.WP. */
	ctx = linux64();
	assert_true(cr4_write_ok(&ctx, ctx.cr4 | CET, v | CET));
	ctx.cr0 &= ~WP;
	assert_false(cr4_write_ok(&ctx, ctx.cr4 | CET, v | CET));
}

static void test_xcr0(void **state)
{
	uint64_t all = 0x7 | 0x18 | 0xe0 | (3ull << 17) | (1ull << 9);   /* x87 SSE AVX, MPX, AVX-512, AMX, PKRU */
	assert_true(xcr0_ok(0x1, all));
	assert_true(xcr0_ok(0x3, all));
	assert_true(xcr0_ok(0x7, all));
	assert_true(xcr0_ok(0xe7, all));
	assert_true(xcr0_ok(0x1f, all));
	assert_true(xcr0_ok(0x7 | (3ull << 17), all));
	assert_false(xcr0_ok(0x0, all));                 /* x87 bit clear */
	assert_false(xcr0_ok(0x2, all));
	assert_false(xcr0_ok(0x5, all));                 /* AVX without SSE */
	assert_false(xcr0_ok(0x27, all));                /* one AVX-512 bit of three */
	assert_false(xcr0_ok(0x67, all));                /* two of three */
	assert_false(xcr0_ok(0xe3, all));                /* AVX-512 without AVX */
	assert_false(xcr0_ok(0x9, all));                 /* BNDREGS without BNDCSR */
	assert_false(xcr0_ok(0x11, all));                /* BNDCSR without BNDREGS */
	assert_false(xcr0_ok(0x7 | (1ull << 17), all));  /* XTILECFG alone */
	assert_false(xcr0_ok(0x7 | (1ull << 18), all));  /* XTILEDATA alone */
	assert_false(xcr0_ok(0x7, 0x3));                 /* AVX not supported */
	assert_false(xcr0_ok(0x3 | (1ull << 63), all));  /* bit 63: reserved, never reported */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr4_valid_bits),
		cmocka_unit_test(test_cr0),
		cmocka_unit_test(test_cr4),
		cmocka_unit_test(test_xcr0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
