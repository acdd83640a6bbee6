/*
 * Host unit tests for hypervisor/vmx/msr_policy.c: the MSR table's
 * decisions for the MSRs issue #13 names, the table's own consistency, and
 * the MSR bitmaps built from it, checked bit by bit against the table with
 * an independent reading of the bitmap layout (SDM vol. 3, 25.6.9).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "msr_policy.h"

static const struct msr_policy_env envs[4] = {
	{ false, false, 0 }, { true, false, 0 }, { false, true, 0 }, { true, true, 0 },
};

/* 1 if the bitmap makes an access to msr exit: low MSRs at 0, high (0xC0000000...) at 1 KiB; writes 2 KiB on. */
static int exits(const uint8_t *bm, uint32_t msr, int write)
{
	unsigned off = write ? 2048 : 0;
	if (msr >= 0xc0000000u) {
		off += 1024;
		msr -= 0xc0000000u;
	}
	return (bm[off + msr / 8] >> (msr % 8)) & 1;
}

static void test_bitmap_matches_table(void **state)
{
	static uint8_t bm[MSR_BITMAP_SIZE];
	for (unsigned e = 0; e < 4; e++) {
		msr_bitmap_build(&envs[e], bm);
		unsigned wrong = 0;
		static const uint32_t bases[2] = { 0, 0xc0000000u };
		for (unsigned h = 0; h < 2; h++)
			for (uint32_t n = 0; n < 0x2000; n++) {
				uint32_t m = bases[h] + n;
				wrong += exits(bm, m, 0) != (msr_read_action(&envs[e], m) != MSR_PASS);
				wrong += exits(bm, m, 1) != (msr_write_action(&envs[e], m) != MSR_PASS);
			}
		assert_int_equal(wrong, 0);
	}
}

static void test_table_consistent(void **state)
{
	const struct msr_rule *r, *q;
	for (unsigned i = 0; (r = msr_rule_at(i)); i++) {
		assert_true(r->first <= r->last);
		assert_non_null(r->why);
		for (unsigned j = i + 1; (q = msr_rule_at(j)); j++)
			assert_true(q->last < r->first || q->first > r->last);    /* no MSR in two rules */
	}
}

/* The decisions the issue asks for, each by name. */
static void test_named_decisions(void **state)
{
	const struct msr_policy_env plain = { false, false, 0 }, smp_pmu = { true, true, 0 };
	/* APIC base: reads pass; writes exit to be checked. */
	assert_int_equal(msr_read_action(&plain, 0x1b), MSR_PASS);
	assert_int_equal(msr_write_action(&plain, 0x1b), MSR_EMULATE);
	/* Intel PT and PEBS: refused; DS_AREA forwarded (a guest linear address). */
	for (uint32_t m = 0x570; m <= 0x572; m++)
		assert_int_equal(msr_write_action(&plain, m), MSR_REFUSE);
	assert_int_equal(msr_write_action(&plain, 0x560), MSR_REFUSE);
	assert_int_equal(msr_write_action(&plain, 0x3f1), MSR_REFUSE);
	assert_int_equal(msr_write_action(&plain, 0x600), MSR_FORWARD);
	/* Counters: the guest's where PERF_GLOBAL_CTRL is switched, refused where it is not. */
	assert_int_equal(msr_write_action(&plain, 0x38f), MSR_REFUSE);
	assert_int_equal(msr_write_action(&smp_pmu, 0x38f), MSR_EMULATE);
	assert_int_equal(msr_read_action(&smp_pmu, 0x38f), MSR_EMULATE);
	assert_int_equal(msr_write_action(&plain, 0x186), MSR_REFUSE);
	assert_int_equal(msr_write_action(&smp_pmu, 0x186), MSR_PASS);
	assert_int_equal(msr_write_action(&plain, 0xc1), MSR_REFUSE);
	/* MTRRs, MISC_ENABLE: only a write that keeps the value. */
	for (uint32_t m = 0x200; m <= 0x21f; m++)
		assert_int_equal(msr_write_action(&plain, m), MSR_KEEP);
	assert_int_equal(msr_write_action(&plain, 0x2ff), MSR_EMULATE);
	assert_int_equal(msr_write_action(&plain, 0x250), MSR_KEEP);
	assert_int_equal(msr_write_action(&plain, 0x1a0), MSR_EMULATE);
	assert_true(misc_enable_write_ok(0x400809, 0x809));                  /* Linux clears LIMIT_CPUID on an AP */
	assert_false(misc_enable_write_ok(0x809, 0x809 | MISC_ENABLE_XD_DISABLE));
	assert_false(misc_enable_write_ok(0x809 | MISC_ENABLE_XD_DISABLE, 0x809));
	assert_int_equal(msr_write_action(&plain, 0x4e), MSR_FORWARD);      /* PPIN enable at CPU bring-up */
	/* Late microcode, the overclocking mailbox, the VMX capabilities: #GP. */
	assert_int_equal(msr_write_action(&plain, 0x79), MSR_REFUSE);
	assert_int_equal(msr_write_action(&plain, 0x150), MSR_REFUSE);
	assert_int_equal(msr_read_action(&plain, 0x150), MSR_REFUSE);
	for (uint32_t m = 0x480; m <= 0x493; m++) {
		assert_int_equal(msr_read_action(&plain, m), MSR_REFUSE);
		assert_int_equal(msr_write_action(&plain, m), MSR_REFUSE);
	}
	/* Machine-check banks: the guest's. */
	assert_int_equal(msr_write_action(&plain, 0x401), MSR_FORWARD);
	/* Feature control: read answered by odv-hv, write refused. */
	assert_int_equal(msr_read_action(&plain, 0x3a), MSR_EMULATE);
	assert_int_equal(msr_write_action(&plain, 0x3a), MSR_REFUSE);
	/* x2APIC ICR: through lapic_trap.c on SMP only. */
	assert_int_equal(msr_write_action(&plain, 0x830), MSR_PASS);
	assert_int_equal(msr_write_action(&smp_pmu, 0x830), MSR_EMULATE);
	/* VMCS-switched and unused-by-odv-hv state passes. */
	assert_int_equal(msr_write_action(&plain, 0xc0000082), MSR_PASS);
	assert_int_equal(msr_write_action(&plain, 0x277), MSR_PASS);
	/* Not in the table: reads done, writes only if they keep the value. */
	assert_null(msr_rule_of(0x1234));
	assert_int_equal(msr_read_action(&plain, 0x1234), MSR_FORWARD);
	assert_int_equal(msr_write_action(&plain, 0x1234), MSR_KEEP);
	assert_int_equal(msr_write_action(&plain, 0xc0011029), MSR_KEEP);
}

/* Linux's MTRR reload: enables off, ranges rewritten, enables back; nothing else changes. */
static void test_mtrr_def_type(void **state)
{
	uint64_t orig = MTRR_DEF_E | MTRR_DEF_FE | 6;       /* enabled, fixed enabled, default WB */
	assert_true(mtrr_def_type_write_ok(orig, orig));
	assert_true(mtrr_def_type_write_ok(orig, orig & ~0xcffull));          /* Linux's prepare_set: 0 */
	assert_true(mtrr_def_type_write_ok(orig, 6));                         /* disabled, type kept */
	assert_true(mtrr_def_type_write_ok(orig, MTRR_DEF_E | 6));            /* fixed ranges off */
	assert_false(mtrr_def_type_write_ok(orig, MTRR_DEF_E | MTRR_DEF_FE)); /* enabled with default UC */
	assert_false(mtrr_def_type_write_ok(orig, MTRR_DEF_E | 0));
	assert_false(mtrr_def_type_write_ok(6, MTRR_DEF_E | 6));              /* enabling what was off */
	assert_false(mtrr_def_type_write_ok(orig, orig | (1ull << 12)));     /* reserved */
	assert_false(mtrr_def_type_write_ok(orig, 1ull << 12));
}

static void test_apic_base(void **state)
{
	uint64_t cur = 0xfee00000ull | APIC_BASE_ENABLE | APIC_BASE_BSP;
	assert_true(apic_base_write_ok(cur, cur));
	assert_true(apic_base_write_ok(cur, cur | APIC_BASE_X2APIC));           /* xAPIC -> x2APIC */
	assert_false(apic_base_write_ok(cur, (cur & 0xfff) | 0x1000000ull));     /* onto RAM */
	assert_false(apic_base_write_ok(cur, (cur & 0xfff) | 0x30000000ull));    /* onto odv-hv's region */
	assert_false(apic_base_write_ok(cur, (cur & 0xfff) | 0x100000000ull));   /* above 4 GiB */
	assert_false(apic_base_write_ok(cur, cur & ~APIC_BASE_ENABLE));          /* disabled */
	assert_false(apic_base_write_ok(cur, cur & ~APIC_BASE_BSP));             /* BSP flag */
	assert_false(apic_base_write_ok(cur, cur | 1));                          /* reserved bit 0 */
	assert_false(apic_base_write_ok(cur | APIC_BASE_X2APIC, cur));           /* x2APIC -> xAPIC */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_matches_table),
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_named_decisions),
		cmocka_unit_test(test_mtrr_def_type),
		cmocka_unit_test(test_apic_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
