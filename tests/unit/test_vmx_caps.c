/* Host unit tests for hypervisor/vmx/vmx_caps.c: capability decoding and control adjustment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmx_caps.h"
#include "arch.h"

/* Raw capability MSRs of Bochs' corei7_skylake_x model. */
static struct vmx_caps_raw skylake_raw(void)
{
	struct vmx_caps_raw r;
	memset(&r, 0, sizeof(r));
	r.basic = 0x00D810000000002Bull;
	r.true_pin = 0x0000007f00000016ull;
	r.true_proc = 0xf7f9fffe04006172ull;
	r.proc2 = 0x02177fff00000000ull;
	r.true_exit = 0x007fffff00036dfbull;
	r.true_entry = 0x0000ffff000011fbull;
	r.misc = 0x00000000600401e0ull;
	r.ept_vpid = 0x00000f0106334141ull;
	r.cr0_fixed0 = 0x80000021ull;
	r.cr0_fixed1 = 0xffffffffull;
	r.cr4_fixed0 = 0x2000ull;
	r.cr4_fixed1 = 0x3727ffull;
	/* The non-true MSRs differ, so a wrong pick shows. */
	r.pin = 0x0000007f00000016ull | 0x0000000100000000ull;
	r.proc = 0xf7f9fffe0401e172ull;
	r.exit = 0x007fffff00036fffull;
	r.entry = 0x0000ffff000011ffull;
	return r;
}

static void test_caps_skylake(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	struct vmx_caps c;
	memset(&c, 0xa5, sizeof(c));
	vmx_caps_decode(&r, &c);
	assert_int_equal(c.revision, 0x2b);
	assert_int_equal(c.vmcs_size, 4096);
	assert_int_equal(c.vmcs_memtype, 6);
	assert_true(c.true_ctls);
	assert_int_equal(c.pin.allowed0, 0x16);
	assert_int_equal(c.pin.allowed1, 0x7f);
	assert_int_equal(c.proc.allowed0, 0x04006172);
	assert_int_equal(c.proc.allowed1, 0xf7f9fffe);
	assert_int_equal(c.proc2.allowed0, 0);
	assert_int_equal(c.proc2.allowed1, 0x02177fff);
	assert_int_equal(c.exit.allowed0, 0x00036dfb);
	assert_int_equal(c.exit.allowed1, 0x007fffff);
	assert_int_equal(c.entry.allowed0, 0x000011fb);
	assert_int_equal(c.entry.allowed1, 0x0000ffff);
	assert_int_equal(c.ept_vpid, 0x00000f0106334141ull);
	assert_int_equal(c.misc, 0x600401e0);
	assert_int_equal(c.cr0_fixed0, 0x80000021);
	assert_int_equal(c.cr0_fixed1, 0xffffffff);
	assert_int_equal(c.cr4_fixed0, 0x2000);
	assert_int_equal(c.cr4_fixed1, 0x3727ff);
	assert_true(has_secondary(&c));
	assert_true(has_ept(&c));
	assert_true(has_ept_2m(&c));
	assert_true(has_ept_1g(&c));
	assert_true(has_vpid(&c));
	assert_true(has_unrestricted_guest(&c));
	assert_true(has_wait_for_sipi(&c));
	assert_true(has_msr_bitmaps(&c));
	assert_true(has_io_bitmaps(&c));
}

static void test_caps_no_secondary_controls(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	r.true_proc &= ~(1ull << 63);     /* allowed-1 bit 31: no secondary controls */
	r.proc &= ~(1ull << 63);
	struct vmx_caps c;
	vmx_caps_decode(&r, &c);
	assert_false(has_secondary(&c));
	assert_int_equal(c.proc2.allowed0, 0);
	assert_int_equal(c.proc2.allowed1, 0);
	assert_int_equal(c.ept_vpid, 0);
	assert_false(has_ept(&c));
	assert_false(has_ept_2m(&c));
	assert_false(has_ept_1g(&c));
	assert_false(has_vpid(&c));
	assert_false(has_unrestricted_guest(&c));
	/* Everything else still decoded. */
	assert_int_equal(c.revision, 0x2b);
	assert_int_equal(c.proc.allowed1, 0x77f9fffe);
}

static void test_caps_secondary_without_ept_or_vpid(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	r.proc2 &= ~((1ull << 33) | (1ull << 37));   /* allowed-1 of EPT (1) and VPID (5) */
	struct vmx_caps c;
	vmx_caps_decode(&r, &c);
	assert_true(has_secondary(&c));
	assert_int_equal(c.ept_vpid, 0);
	assert_false(has_ept(&c));
	assert_false(has_vpid(&c));
	assert_false(has_unrestricted_guest(&c));
}

static void test_caps_vpid_only(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	r.proc2 &= ~(1ull << 33);                   /* no EPT, VPID stays */
	struct vmx_caps c;
	vmx_caps_decode(&r, &c);
	assert_int_equal(c.ept_vpid, r.ept_vpid);  /* the MSR exists with VPID alone */
	assert_false(has_ept(&c));
	assert_true(has_vpid(&c));
	assert_false(has_unrestricted_guest(&c));  /* needs EPT */
}

static void test_caps_non_true_msrs(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	r.basic &= ~(1ull << 55);
	struct vmx_caps c;
	vmx_caps_decode(&r, &c);
	assert_false(c.true_ctls);
	assert_int_equal(c.revision, 0x2b);
	assert_int_equal(c.vmcs_size, 4096);
	assert_int_equal(c.vmcs_memtype, 6);
	assert_int_equal(c.pin.allowed0, (uint32_t)r.pin);
	assert_int_equal(c.pin.allowed1, (uint32_t)(r.pin >> 32));
	assert_int_equal(c.proc.allowed0, 0x0401e172);
	assert_int_equal(c.proc.allowed1, 0xf7f9fffe);
	assert_int_equal(c.exit.allowed0, 0x00036fff);
	assert_int_equal(c.exit.allowed1, 0x007fffff);
	assert_int_equal(c.entry.allowed0, 0x000011ff);
	assert_int_equal(c.entry.allowed1, 0x0000ffff);
	assert_true(has_ept(&c));
}

static void test_caps_basic_fields(void **state)
{
	struct vmx_caps_raw r;
	memset(&r, 0, sizeof(r));
	/* Revision bits 30:0 (bit 31 is always 0), size 44:32, memory type 53:50. */
	r.basic = 0x7fffffffull | (0x1fffull << 32) | (0xfull << 50);
	struct vmx_caps c;
	vmx_caps_decode(&r, &c);
	assert_int_equal(c.revision, 0x7fffffff);
	assert_int_equal(c.vmcs_size, 0x1fff);
	assert_int_equal(c.vmcs_memtype, 0xf);
	assert_false(c.true_ctls);
	r.basic = 0x80000001ull | (0x400ull << 32) | (1ull << 49) | (1ull << 48);
	vmx_caps_decode(&r, &c);
	assert_int_equal(c.revision, 1);
	assert_int_equal(c.vmcs_size, 0x400);
	assert_int_equal(c.vmcs_memtype, 0);
	/* Nothing allowed at all: no features. */
	assert_false(has_ept(&c));
	assert_false(has_vpid(&c));
	assert_false(has_wait_for_sipi(&c));
	assert_false(has_msr_bitmaps(&c));
}

static void test_caps_ept_predicates(void **state)
{
	struct vmx_caps_raw r = skylake_raw();
	struct vmx_caps c;
	/* Each sub-capability that has_ept needs. */
	static const uint64_t needed[] = { EPTCAP_WALK4, EPTCAP_WB, EPTCAP_INVEPT };
	for (unsigned i = 0; i < 3; i++) {
		struct vmx_caps_raw x = r;
		x.ept_vpid &= ~needed[i];
		vmx_caps_decode(&x, &c);
		assert_false(has_ept(&c));
		assert_false(has_unrestricted_guest(&c));
	}
	struct vmx_caps_raw x = r;
	x.ept_vpid &= ~(EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL);
	vmx_caps_decode(&x, &c);
	assert_false(has_ept(&c));
	x.ept_vpid |= EPTCAP_INVEPT_ALL;
	vmx_caps_decode(&x, &c);
	assert_true(has_ept(&c));
	x = r;
	x.ept_vpid &= ~(VPIDCAP_SINGLE | VPIDCAP_ALL);
	vmx_caps_decode(&x, &c);
	assert_false(has_vpid(&c));
	x = r;
	x.ept_vpid &= ~VPIDCAP_INVVPID;
	vmx_caps_decode(&x, &c);
	assert_false(has_vpid(&c));
	x = r;
	x.ept_vpid &= ~(EPTCAP_2M | EPTCAP_1G);
	vmx_caps_decode(&x, &c);
	assert_false(has_ept_2m(&c));
	assert_false(has_ept_1g(&c));
	assert_true(has_ept(&c));
	x = r;
	x.proc2 &= ~(1ull << 39);                  /* unrestricted guest not allowed */
	vmx_caps_decode(&x, &c);
	assert_true(has_ept(&c));
	assert_false(has_unrestricted_guest(&c));
	x = r;
	x.misc &= ~BIT(8);
	vmx_caps_decode(&x, &c);
	assert_false(has_wait_for_sipi(&c));
}

/* ---- vmx_ctl_adjust ---- */

static void test_ctl_adjust_forces_allowed0(void **state)
{
	struct vmx_ctl_cap cap = { 0x16, 0x7f };   /* Skylake pin-based */
	uint32_t out = 0xdeadbeef, missing = 0xdeadbeef;
	assert_int_equal(vmx_ctl_adjust(&cap, 0, 0, &out, &missing), 0);
	assert_int_equal(out, 0x16);
	assert_int_equal(missing, 0);
	assert_int_equal(vmx_ctl_adjust(&cap, 0x1 | 0x8, 0, &out, &missing), 0);
	assert_int_equal(out, 0x1f);
	assert_int_equal(missing, 0);
}

static void test_ctl_adjust_drops_unallowed_wants(void **state)
{
	struct vmx_ctl_cap cap = { 0x16, 0x7f };
	uint32_t out, missing;
	assert_int_equal(vmx_ctl_adjust(&cap, 0x1, 0x20 | 0x80 | 0x80000000u, &out, &missing), 0);
	assert_int_equal(out, 0x16 | 0x1 | 0x20);
	assert_int_equal(missing, 0);
	/* Primary proc-based: HLT exiting wanted and allowed, bit 0 reserved wanted and dropped. */
	struct vmx_ctl_cap proc = { 0x04006172, 0xf7f9fffe };
	assert_int_equal(vmx_ctl_adjust(&proc, (1u << 31), 0x80 | 0x1, &out, NULL), 0);
	assert_int_equal(out, 0x04006172 | (1u << 31) | 0x80);
}

static void test_ctl_adjust_missing_need(void **state)
{
	struct vmx_ctl_cap cap = { 0x16, 0x7f };
	uint32_t out = 0x12345678, missing = 0;
	assert_int_equal(vmx_ctl_adjust(&cap, 0x100, 0, &out, &missing), -1);
	assert_int_equal(missing, 0x100);
	assert_int_equal(vmx_ctl_adjust(&cap, 0x181 | 0x80000000u, 0x2, &out, &missing), -1);
	assert_int_equal(missing, 0x80000180u);
	/* NULL missing pointer is allowed. */
	assert_int_equal(vmx_ctl_adjust(&cap, 0x100, 0, &out, NULL), -1);
	/* Success resets missing to 0. */
	missing = 0xffff;
	assert_int_equal(vmx_ctl_adjust(&cap, 0x40, 0, &out, &missing), 0);
	assert_int_equal(missing, 0);
	assert_int_equal(out, 0x56);
}

static void test_ctl_adjust_contradictory_cap(void **state)
{
	/* allowed-0 says "must be 1" where allowed-1 says "must be 0": no valid value. */
	struct vmx_ctl_cap cap = { 0x3, 0x1 };
	uint32_t out, missing;
	assert_int_equal(vmx_ctl_adjust(&cap, 0, 0, &out, &missing), -1);
}

#define RNG_SEED 0x243f6a8885a308d3ull
#include "prng.h"

static void test_ctl_adjust_property(void **state)
{
	unsigned ok = 0, fail = 0;
	for (int i = 0; i < 200000; i++) {
		uint32_t a1 = (uint32_t)rng();
		uint32_t a0 = (uint32_t)rng() & (uint32_t)rng();
		if (i % 4 != 3)
			a0 &= a1;             /* well-formed capability most of the time */
		uint32_t need = (uint32_t)rng() & (uint32_t)rng() & (uint32_t)rng();
		if (i % 2)
			need &= a1;
		uint32_t want = (uint32_t)rng();
		struct vmx_ctl_cap cap = { a0, a1 };
		uint32_t out = 0, missing = 0xffffffff;
		int rc = vmx_ctl_adjust(&cap, need, want, &out, &missing);
		assert_int_equal(missing, need & ~a1);
		if (need & ~a1) {
			assert_int_equal(rc, -1);
			fail++;
			continue;
		}
		if (a0 & ~a1) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		ok++;
		assert_int_equal(out & ~a1, 0);          /* nothing outside allowed-1 */
		assert_int_equal(a0 & ~out, 0);          /* every allowed-0 bit set */
		assert_int_equal(need & ~out, 0);        /* every needed bit set */
		assert_int_equal(want & a1 & ~out, 0);   /* every allowed want taken */
		assert_int_equal(out & ~(need | want | a0), 0);   /* nothing unasked */
	}
	assert_true(ok > 1000);
	assert_true(fail > 1000);
}

/* ---- vmx_unusable_reason ---- */

static void test_unusable_reason(void **state)
{
	const char *why = vmx_unusable_reason(false, 5);
	assert_non_null(why);
	assert_non_null(strstr(why, "VMX"));
	assert_non_null(vmx_unusable_reason(false, 0));
	why = vmx_unusable_reason(true, 1);                 /* locked, VMX outside SMX off */
	assert_non_null(why);
	assert_non_null(vmx_unusable_reason(true, 3));       /* locked, only inside SMX */
	assert_non_null(vmx_unusable_reason(true, 0xff00000000000001ull));
	assert_null(vmx_unusable_reason(true, 5));           /* locked with VMX on */
	assert_null(vmx_unusable_reason(true, 0));           /* unlocked: odv-hv may enable it */
	assert_null(vmx_unusable_reason(true, 4));
	assert_null(vmx_unusable_reason(true, 7));
	assert_int_equal(FEATURE_CONTROL_LOCK, 1);
	assert_int_equal(FEATURE_CONTROL_VMX_OUTSIDE_SMX, 4);
}

/* ---- vmx_fix_cr ---- */

static void test_fix_cr(void **state)
{
	/* CR0: PE, NE, PG forced on (fixed0 0x80000021), nothing above bit 31 allowed. */
	assert_int_equal(vmx_fix_cr(0, 0x80000021, 0xffffffff), 0x80000021);
	assert_int_equal(vmx_fix_cr(CR0_WP | CR0_PE, 0x80000021, 0xffffffff), 0x80010021);
	assert_int_equal(vmx_fix_cr(0x100000000ull | CR0_PG, 0x80000021, 0xffffffff), 0x80000021);
	/* CR4: VMXE forced on; LA57 (bit 12) and UMIP (bit 11) not in fixed1 0x3727ff. */
	assert_int_equal(vmx_fix_cr(CR4_PAE | CR4_PGE, 0x2000, 0x3727ff), 0x20a0);
	assert_int_equal(vmx_fix_cr(CR4_PAE | CR4_PGE | CR4_LA57 | BIT(11), 0x2000, 0x3727ff), 0x20a0);
	assert_int_equal(vmx_fix_cr(CR4_PCIDE | CR4_OSXSAVE, 0x2000, 0x3727ff), 0x62000);
	assert_int_equal(vmx_fix_cr(~0ull, 0x2000, 0x3727ff), 0x3727ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_skylake),
		cmocka_unit_test(test_caps_no_secondary_controls),
		cmocka_unit_test(test_caps_secondary_without_ept_or_vpid),
		cmocka_unit_test(test_caps_vpid_only),
		cmocka_unit_test(test_caps_non_true_msrs),
		cmocka_unit_test(test_caps_basic_fields),
		cmocka_unit_test(test_caps_ept_predicates),
		cmocka_unit_test(test_ctl_adjust_forces_allowed0),
		cmocka_unit_test(test_ctl_adjust_drops_unallowed_wants),
		cmocka_unit_test(test_ctl_adjust_missing_need),
		cmocka_unit_test(test_ctl_adjust_contradictory_cap),
		cmocka_unit_test(test_ctl_adjust_property),
		cmocka_unit_test(test_unusable_reason),
		cmocka_unit_test(test_fix_cr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
