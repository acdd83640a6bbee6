/* Host unit tests for hypervisor/vmx/vmcs.h and vmcs_fields.c (encodings, names, exit reasons). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "types.h"
#include "vmcs.h"

/*
 * Field encodings written out from the Intel SDM, vol. 3, appendix B
 * (independently of vmcs.h), with the width and type the SDM lists.
 */
struct sdm_field { const char *name; uint32_t enc; enum vmcs_width w; enum vmcs_type t; };
#define W16 VMCS_W16
#define W64 VMCS_W64
#define W32 VMCS_W32
#define WN  VMCS_WNAT
#define CT  VMCS_T_CONTROL
#define RO  VMCS_T_RODATA
#define GS  VMCS_T_GUEST
#define HS  VMCS_T_HOST
static const struct sdm_field sdm[] = {
	{ "VPID", 0x0000, W16, CT },
	{ "GUEST_ES_SEL", 0x0800, W16, GS }, { "GUEST_CS_SEL", 0x0802, W16, GS },
	{ "GUEST_SS_SEL", 0x0804, W16, GS }, { "GUEST_DS_SEL", 0x0806, W16, GS },
	{ "GUEST_FS_SEL", 0x0808, W16, GS }, { "GUEST_GS_SEL", 0x080a, W16, GS },
	{ "GUEST_LDTR_SEL", 0x080c, W16, GS }, { "GUEST_TR_SEL", 0x080e, W16, GS },
	{ "HOST_ES_SEL", 0x0c00, W16, HS }, { "HOST_CS_SEL", 0x0c02, W16, HS },
	{ "HOST_SS_SEL", 0x0c04, W16, HS }, { "HOST_DS_SEL", 0x0c06, W16, HS },
	{ "HOST_FS_SEL", 0x0c08, W16, HS }, { "HOST_GS_SEL", 0x0c0a, W16, HS },
	{ "HOST_TR_SEL", 0x0c0c, W16, HS },
	{ "IO_BITMAP_A", 0x2000, W64, CT }, { "IO_BITMAP_B", 0x2002, W64, CT },
	{ "MSR_BITMAP", 0x2004, W64, CT }, { "EXIT_MSR_STORE_ADDR", 0x2006, W64, CT },
	{ "EXIT_MSR_LOAD_ADDR", 0x2008, W64, CT }, { "ENTRY_MSR_LOAD_ADDR", 0x200a, W64, CT },
	{ "TSC_OFFSET", 0x2010, W64, CT }, { "VIRTUAL_APIC_ADDR", 0x2012, W64, CT },
	{ "APIC_ACCESS_ADDR", 0x2014, W64, CT }, { "EPT_POINTER", 0x201a, W64, CT },
	{ "GUEST_PHYS_ADDR", 0x2400, W64, RO },
	{ "LINK_POINTER", 0x2800, W64, GS }, { "GUEST_DEBUGCTL", 0x2802, W64, GS },
	{ "GUEST_PAT", 0x2804, W64, GS }, { "GUEST_EFER", 0x2806, W64, GS },
	{ "GUEST_PERF_GLOBAL_CTRL", 0x2808, W64, GS }, { "GUEST_PDPTE0", 0x280a, W64, GS },
	{ "GUEST_PDPTE1", 0x280c, W64, GS }, { "GUEST_PDPTE2", 0x280e, W64, GS },
	{ "GUEST_PDPTE3", 0x2810, W64, GS },
	{ "HOST_PAT", 0x2c00, W64, HS }, { "HOST_EFER", 0x2c02, W64, HS },
	{ "PIN_CONTROLS", 0x4000, W32, CT }, { "PROC_CONTROLS", 0x4002, W32, CT },
	{ "EXCEPTION_BITMAP", 0x4004, W32, CT }, { "PF_ERROR_MASK", 0x4006, W32, CT },
	{ "PF_ERROR_MATCH", 0x4008, W32, CT }, { "CR3_TARGET_COUNT", 0x400a, W32, CT },
	{ "EXIT_CONTROLS", 0x400c, W32, CT }, { "EXIT_MSR_STORE_COUNT", 0x400e, W32, CT },
	{ "EXIT_MSR_LOAD_COUNT", 0x4010, W32, CT }, { "ENTRY_CONTROLS", 0x4012, W32, CT },
	{ "ENTRY_MSR_LOAD_COUNT", 0x4014, W32, CT }, { "ENTRY_INTR_INFO", 0x4016, W32, CT },
	{ "ENTRY_EXCEPTION_ERROR", 0x4018, W32, CT }, { "ENTRY_INSTR_LEN", 0x401a, W32, CT },
	{ "TPR_THRESHOLD", 0x401c, W32, CT }, { "PROC_CONTROLS2", 0x401e, W32, CT },
	{ "VM_INSTR_ERROR", 0x4400, W32, RO }, { "EXIT_REASON", 0x4402, W32, RO },
	{ "EXIT_INTR_INFO", 0x4404, W32, RO }, { "EXIT_INTR_ERROR", 0x4406, W32, RO },
	{ "IDT_VECTORING_INFO", 0x4408, W32, RO }, { "IDT_VECTORING_ERROR", 0x440a, W32, RO },
	{ "EXIT_INSTR_LEN", 0x440c, W32, RO }, { "EXIT_INSTR_INFO", 0x440e, W32, RO },
	{ "GUEST_ES_LIMIT", 0x4800, W32, GS }, { "GUEST_CS_LIMIT", 0x4802, W32, GS },
	{ "GUEST_SS_LIMIT", 0x4804, W32, GS }, { "GUEST_DS_LIMIT", 0x4806, W32, GS },
	{ "GUEST_FS_LIMIT", 0x4808, W32, GS }, { "GUEST_GS_LIMIT", 0x480a, W32, GS },
	{ "GUEST_LDTR_LIMIT", 0x480c, W32, GS }, { "GUEST_TR_LIMIT", 0x480e, W32, GS },
	{ "GUEST_GDTR_LIMIT", 0x4810, W32, GS }, { "GUEST_IDTR_LIMIT", 0x4812, W32, GS },
	{ "GUEST_ES_AR", 0x4814, W32, GS }, { "GUEST_CS_AR", 0x4816, W32, GS },
	{ "GUEST_SS_AR", 0x4818, W32, GS }, { "GUEST_DS_AR", 0x481a, W32, GS },
	{ "GUEST_FS_AR", 0x481c, W32, GS }, { "GUEST_GS_AR", 0x481e, W32, GS },
	{ "GUEST_LDTR_AR", 0x4820, W32, GS }, { "GUEST_TR_AR", 0x4822, W32, GS },
	{ "GUEST_INTERRUPTIBILITY", 0x4824, W32, GS }, { "GUEST_ACTIVITY_STATE", 0x4826, W32, GS },
	{ "GUEST_SMBASE", 0x4828, W32, GS }, { "GUEST_SYSENTER_CS", 0x482a, W32, GS },
	{ "PREEMPTION_TIMER", 0x482e, W32, GS },
	{ "HOST_SYSENTER_CS", 0x4c00, W32, HS },
	{ "CR0_MASK", 0x6000, WN, CT }, { "CR4_MASK", 0x6002, WN, CT },
	{ "CR0_SHADOW", 0x6004, WN, CT }, { "CR4_SHADOW", 0x6006, WN, CT },
	{ "CR3_TARGET0", 0x6008, WN, CT },
	{ "EXIT_QUALIFICATION", 0x6400, WN, RO }, { "GUEST_LINEAR_ADDR", 0x640a, WN, RO },
	{ "GUEST_CR0", 0x6800, WN, GS }, { "GUEST_CR3", 0x6802, WN, GS },
	{ "GUEST_CR4", 0x6804, WN, GS }, { "GUEST_ES_BASE", 0x6806, WN, GS },
	{ "GUEST_CS_BASE", 0x6808, WN, GS }, { "GUEST_SS_BASE", 0x680a, WN, GS },
	{ "GUEST_DS_BASE", 0x680c, WN, GS }, { "GUEST_FS_BASE", 0x680e, WN, GS },
	{ "GUEST_GS_BASE", 0x6810, WN, GS }, { "GUEST_LDTR_BASE", 0x6812, WN, GS },
	{ "GUEST_TR_BASE", 0x6814, WN, GS }, { "GUEST_GDTR_BASE", 0x6816, WN, GS },
	{ "GUEST_IDTR_BASE", 0x6818, WN, GS }, { "GUEST_DR7", 0x681a, WN, GS },
	{ "GUEST_RSP", 0x681c, WN, GS }, { "GUEST_RIP", 0x681e, WN, GS },
	{ "GUEST_RFLAGS", 0x6820, WN, GS }, { "GUEST_PENDING_DBG", 0x6822, WN, GS },
	{ "GUEST_SYSENTER_ESP", 0x6824, WN, GS }, { "GUEST_SYSENTER_EIP", 0x6826, WN, GS },
	{ "HOST_CR0", 0x6c00, WN, HS }, { "HOST_CR3", 0x6c02, WN, HS },
	{ "HOST_CR4", 0x6c04, WN, HS }, { "HOST_FS_BASE", 0x6c06, WN, HS },
	{ "HOST_GS_BASE", 0x6c08, WN, HS }, { "HOST_TR_BASE", 0x6c0a, WN, HS },
	{ "HOST_GDTR_BASE", 0x6c0c, WN, HS }, { "HOST_IDTR_BASE", 0x6c0e, WN, HS },
	{ "HOST_SYSENTER_ESP", 0x6c10, WN, HS }, { "HOST_SYSENTER_EIP", 0x6c12, WN, HS },
	{ "HOST_RSP", 0x6c14, WN, HS }, { "HOST_RIP", 0x6c16, WN, HS },
};

static unsigned width_bytes(enum vmcs_width w)
{
	switch (w) {
	case VMCS_W16: return 2;
	case VMCS_W32: return 4;
	case VMCS_W64: return 8;
	case VMCS_WNAT: return 8;
	}
	return 0;
}

static void test_vmcs_known_fields(void **state)
{
	/* A few named ones explicitly, through the enum. */
	assert_int_equal(vmcs_field_width(VMCS_GUEST_ES_SEL), VMCS_W16);
	assert_int_equal(vmcs_field_type(VMCS_GUEST_ES_SEL), VMCS_T_GUEST);
	assert_int_equal(vmcs_field_bytes(VMCS_GUEST_ES_SEL), 2);
	assert_int_equal(vmcs_field_width(VMCS_EPT_POINTER), VMCS_W64);
	assert_int_equal(vmcs_field_type(VMCS_EPT_POINTER), VMCS_T_CONTROL);
	assert_int_equal(vmcs_field_bytes(VMCS_EPT_POINTER), 8);
	assert_int_equal(vmcs_field_width(VMCS_EXIT_REASON), VMCS_W32);
	assert_int_equal(vmcs_field_type(VMCS_EXIT_REASON), VMCS_T_RODATA);
	assert_int_equal(vmcs_field_bytes(VMCS_EXIT_REASON), 4);
	assert_int_equal(vmcs_field_width(VMCS_GUEST_RIP), VMCS_WNAT);
	assert_int_equal(vmcs_field_type(VMCS_GUEST_RIP), VMCS_T_GUEST);
	assert_int_equal(vmcs_field_bytes(VMCS_GUEST_RIP), 8);
	assert_int_equal(vmcs_field_width(VMCS_HOST_RIP), VMCS_WNAT);
	assert_int_equal(vmcs_field_type(VMCS_HOST_RIP), VMCS_T_HOST);
	assert_int_equal(vmcs_field_width(VMCS_GUEST_PHYS_ADDR), VMCS_W64);
	assert_int_equal(vmcs_field_type(VMCS_GUEST_PHYS_ADDR), VMCS_T_RODATA);
	assert_int_equal(vmcs_field_width(VMCS_VPID), VMCS_W16);
	assert_int_equal(vmcs_field_type(VMCS_VPID), VMCS_T_CONTROL);
	assert_int_equal(vmcs_field_width(VMCS_HOST_SYSENTER_CS), VMCS_W32);
	assert_int_equal(vmcs_field_type(VMCS_HOST_SYSENTER_CS), VMCS_T_HOST);
	assert_int_equal(vmcs_field_bytes(VMCS_HOST_TR_SEL), 2);
	assert_int_equal(vmcs_field_bytes(VMCS_GUEST_CR0), 8);
	/* The "high" access encoding (bit 0) of a 64-bit field decodes the same way. */
	assert_int_equal(vmcs_field_width(VMCS_EPT_POINTER | 1), VMCS_W64);
	assert_int_equal(vmcs_field_type(VMCS_EPT_POINTER | 1), VMCS_T_CONTROL);
}

static void test_vmcs_sdm_table(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(sdm); i++) {
		uint32_t e = sdm[i].enc;
		if (vmcs_field_width(e) != sdm[i].w || vmcs_field_type(e) != sdm[i].t)
			print_error("%s (0x%04x): width %d type %d, SDM %d %d\n", sdm[i].name, e,
				    vmcs_field_width(e), vmcs_field_type(e), sdm[i].w, sdm[i].t);
		assert_int_equal(vmcs_field_width(e), sdm[i].w);
		assert_int_equal(vmcs_field_type(e), sdm[i].t);
		assert_int_equal(vmcs_field_bytes(e), width_bytes(sdm[i].w));
	}
}

/* vmcs.h's enum (through the name table) has the SDM's encoding for every field. */
static void test_vmcs_table_matches_sdm(void **state)
{
	assert_int_equal(vmcs_field_table_len, ARRAY_SIZE(sdm));
	for (unsigned i = 0; i < ARRAY_SIZE(sdm); i++) {
		const struct vmcs_field_desc *d = NULL;
		for (unsigned j = 0; j < vmcs_field_table_len; j++)
			if (strcmp(vmcs_field_table[j].name, sdm[i].name) == 0)
				d = &vmcs_field_table[j];
		if (!d)
			print_error("field %s missing from vmcs_field_table\n", sdm[i].name);
		assert_non_null(d);
		if (d->enc != sdm[i].enc)
			print_error("field %s: 0x%04x in vmcs.h, 0x%04x in the SDM\n", d->name, d->enc, sdm[i].enc);
		assert_int_equal(d->enc, sdm[i].enc);
		assert_string_equal(vmcs_field_name(sdm[i].enc), sdm[i].name);
	}
}

/* The table's names are the enum names: check a sample through the enum itself. */
static void test_vmcs_names_match_enum(void **state)
{
#define N(x) { VMCS_##x, #x }
	static const struct { uint32_t enc; const char *name; } by_enum[] = {
		N(VPID), N(GUEST_ES_SEL), N(HOST_TR_SEL), N(EPT_POINTER), N(GUEST_PHYS_ADDR),
		N(LINK_POINTER), N(GUEST_EFER), N(HOST_EFER), N(PROC_CONTROLS2), N(EXIT_REASON),
		N(GUEST_TR_AR), N(PREEMPTION_TIMER), N(HOST_SYSENTER_CS), N(CR3_TARGET0),
		N(EXIT_QUALIFICATION), N(GUEST_LINEAR_ADDR), N(GUEST_RIP), N(GUEST_SYSENTER_EIP),
		N(HOST_RIP), N(HOST_RSP),
	};
#undef N
	for (unsigned i = 0; i < ARRAY_SIZE(by_enum); i++)
		assert_string_equal(vmcs_field_name(by_enum[i].enc), by_enum[i].name);
	assert_string_equal(vmcs_field_name(0x7fff), "?");
	assert_string_equal(vmcs_field_name(VMCS_EPT_POINTER | 1), "?");
}

static void test_vmcs_table_wellformed(void **state)
{
	assert_true(vmcs_field_table_len > 100);
	for (unsigned i = 0; i < vmcs_field_table_len; i++) {
		const struct vmcs_field_desc *d = &vmcs_field_table[i];
		assert_non_null(d->name);
		assert_true(d->name[0] != '\0');
		assert_true(strncmp(d->name, "VMCS_", 5) != 0);
		/* Names are upper-case identifiers. */
		for (const char *c = d->name; *c; c++)
			assert_true((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_');
		/* Full-field encodings only: the high-access bit is clear; bit 12 and bits 31:15 are 0. */
		assert_int_equal(d->enc & 1, 0);
		assert_int_equal(d->enc & ~0x6ffeu, 0);
		assert_string_equal(vmcs_field_name(d->enc), d->name);
		for (unsigned j = i + 1; j < vmcs_field_table_len; j++) {
			if (vmcs_field_table[j].enc == d->enc)
				print_error("duplicate encoding 0x%04x: %s and %s\n", d->enc, d->name,
					    vmcs_field_table[j].name);
			assert_int_not_equal(vmcs_field_table[j].enc, d->enc);
			assert_string_not_equal(vmcs_field_table[j].name, d->name);
		}
	}
}

static void test_vmcs_prefix_agrees_with_type(void **state)
{
	for (unsigned i = 0; i < vmcs_field_table_len; i++) {
		const struct vmcs_field_desc *d = &vmcs_field_table[i];
		enum vmcs_type t = vmcs_field_type(d->enc);
		/* Exit information named after the guest: read-only data in the SDM. */
		if (!strcmp(d->name, "GUEST_PHYS_ADDR") || !strcmp(d->name, "GUEST_LINEAR_ADDR")) {
			assert_int_equal(t, VMCS_T_RODATA);
			continue;
		}
		if (!strncmp(d->name, "GUEST_", 6)) {
			if (t != VMCS_T_GUEST)
				print_error("%s is not guest state\n", d->name);
			assert_int_equal(t, VMCS_T_GUEST);
		}
		if (!strncmp(d->name, "HOST_", 5)) {
			if (t != VMCS_T_HOST)
				print_error("%s is not host state\n", d->name);
			assert_int_equal(t, VMCS_T_HOST);
		}
		if (t == VMCS_T_HOST)
			assert_true(strncmp(d->name, "HOST_", 5) == 0);
	}
	/* Guest-state fields without the prefix. */
	assert_int_equal(vmcs_field_type(VMCS_LINK_POINTER), VMCS_T_GUEST);
	assert_int_equal(vmcs_field_width(VMCS_LINK_POINTER), VMCS_W64);
	assert_int_equal(vmcs_field_type(VMCS_PREEMPTION_TIMER), VMCS_T_GUEST);
	assert_int_equal(vmcs_field_width(VMCS_PREEMPTION_TIMER), VMCS_W32);
	/* Exit info named GUEST_: 64-bit and natural-width read-only data. */
	assert_int_equal(vmcs_field_type(VMCS_GUEST_PHYS_ADDR), VMCS_T_RODATA);
	assert_int_equal(vmcs_field_width(VMCS_GUEST_PHYS_ADDR), VMCS_W64);
	assert_int_equal(vmcs_field_type(VMCS_GUEST_LINEAR_ADDR), VMCS_T_RODATA);
	assert_int_equal(vmcs_field_width(VMCS_GUEST_LINEAR_ADDR), VMCS_WNAT);
}

static void test_exit_reason_names(void **state)
{
	assert_string_equal(exit_reason_name(10), "cpuid");
	assert_string_equal(exit_reason_name(EXIT_CPUID), "cpuid");
	assert_string_equal(exit_reason_name(18), "vmcall");
	assert_string_equal(exit_reason_name(48), "ept-violation");
	assert_string_equal(exit_reason_name(2), "triple-fault");
	assert_string_equal(exit_reason_name(0), "exception-or-nmi");
	assert_string_equal(exit_reason_name(12), "hlt");
	assert_string_equal(exit_reason_name(30), "io");
	assert_string_equal(exit_reason_name(33), "entry-fail-guest-state");
	assert_string_equal(exit_reason_name(49), "ept-misconfig");
	assert_string_equal(exit_reason_name(64), "xrstors");
}

static void test_exit_reason_unknown(void **state)
{
	/* Numbers the SDM leaves unused and numbers past the table. */
	assert_string_equal(exit_reason_name(35), "unknown");
	assert_string_equal(exit_reason_name(38), "unknown");
	assert_string_equal(exit_reason_name(42), "unknown");
	assert_string_equal(exit_reason_name(EXIT_REASON_MAX), "unknown");
	assert_string_equal(exit_reason_name(200), "unknown");
	assert_string_equal(exit_reason_name(0xffff), "unknown");
	/* Every defined reason below the maximum has a non-empty name. */
	for (uint32_t r = 0; r < EXIT_REASON_MAX; r++) {
		const char *n = exit_reason_name(r);
		assert_non_null(n);
		assert_true(n[0] != '\0');
	}
}

static void test_exit_reason_upper_bits_ignored(void **state)
{
	assert_string_equal(exit_reason_name(EXIT_REASON_ENTRY_FAIL | 33), "entry-fail-guest-state");
	assert_string_equal(exit_reason_name(0x80000000u | 2), "triple-fault");
	assert_string_equal(exit_reason_name(BIT32(27) | 48), "ept-violation");   /* enclave mode */
	assert_string_equal(exit_reason_name(BIT32(28) | 10), "cpuid");           /* pending MTF */
	assert_string_equal(exit_reason_name(0xffff0000u | 18), "vmcall");
	assert_string_equal(exit_reason_name(0x80000000u | 200), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmcs_known_fields),
		cmocka_unit_test(test_vmcs_sdm_table),
		cmocka_unit_test(test_vmcs_table_matches_sdm),
		cmocka_unit_test(test_vmcs_names_match_enum),
		cmocka_unit_test(test_vmcs_table_wellformed),
		cmocka_unit_test(test_vmcs_prefix_agrees_with_type),
		cmocka_unit_test(test_exit_reason_names),
		cmocka_unit_test(test_exit_reason_unknown),
		cmocka_unit_test(test_exit_reason_upper_bits_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
