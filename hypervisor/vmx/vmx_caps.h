/*
 * VMX capability MSRs, decoded. Pure logic (no MSR access here): the raw
 * values are read once by vmx.c and handed in, so the allowed-0/allowed-1
 * rules and the feature predicates are unit-tested on the host.
 */
#ifndef ODV_VMX_CAPS_H
#define ODV_VMX_CAPS_H
#include "types.h"

/* One control word: bit set in allowed0 = must be 1; bit clear in allowed1 = must be 0. */
struct vmx_ctl_cap { uint32_t allowed0, allowed1; };

struct vmx_caps_raw {
	uint64_t basic, misc, pin, proc, proc2, exit, entry;
	uint64_t true_pin, true_proc, true_exit, true_entry;
	uint64_t ept_vpid, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t feature_control;
};

struct vmx_caps {
	uint32_t revision;
	uint32_t vmcs_size;
	uint8_t  vmcs_memtype;      /* 6 = WB */
	bool     true_ctls;
	struct vmx_ctl_cap pin, proc, proc2, exit, entry;
	uint64_t ept_vpid;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t misc;
};

/* Decode; the "true" MSRs are used when IA32_VMX_BASIC[55] says they exist. */
void vmx_caps_decode(const struct vmx_caps_raw *raw, struct vmx_caps *caps);

/*
 * Compute a control word: every `need` bit must be allowed-1 (else -1 and
 * *missing gets the bits that are not); `want` bits are taken when
 * allowed; allowed-0 bits are forced on. Never returns a value that
 * violates the capability.
 */
int vmx_ctl_adjust(const struct vmx_ctl_cap *cap, uint32_t need, uint32_t want,
		   uint32_t *out, uint32_t *missing);

/* EPT/VPID capability bits (IA32_VMX_EPT_VPID_CAP) */
#define EPTCAP_WALK4       BIT(6)
#define EPTCAP_UC          BIT(8)
#define EPTCAP_WB          BIT(14)
#define EPTCAP_2M          BIT(16)
#define EPTCAP_1G          BIT(17)
#define EPTCAP_INVEPT      BIT(20)
#define EPTCAP_AD          BIT(21)
#define EPTCAP_INVEPT_SINGLE BIT(25)
#define EPTCAP_INVEPT_ALL  BIT(26)
#define VPIDCAP_INVVPID    BIT(32)
#define VPIDCAP_SINGLE     BIT(41)
#define VPIDCAP_ALL        BIT(42)

/* Feature predicates: "allowed-1" of the control and the needed sub-caps. */
static inline bool has_secondary(const struct vmx_caps *c) { return c->proc.allowed1 & (1u << 31); }
static inline bool has_ept(const struct vmx_caps *c)
{
	return has_secondary(c) && (c->proc2.allowed1 & (1u << 1)) &&
	       (c->ept_vpid & EPTCAP_WALK4) && (c->ept_vpid & EPTCAP_WB) &&
	       (c->ept_vpid & EPTCAP_INVEPT) && (c->ept_vpid & (EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL));
}
static inline bool has_ept_2m(const struct vmx_caps *c) { return c->ept_vpid & EPTCAP_2M; }
static inline bool has_ept_1g(const struct vmx_caps *c) { return c->ept_vpid & EPTCAP_1G; }
static inline bool has_vpid(const struct vmx_caps *c)
{
	return has_secondary(c) && (c->proc2.allowed1 & (1u << 5)) &&
	       (c->ept_vpid & VPIDCAP_INVVPID) && (c->ept_vpid & (VPIDCAP_SINGLE | VPIDCAP_ALL));
}
static inline bool has_unrestricted_guest(const struct vmx_caps *c)
{
	return has_ept(c) && (c->proc2.allowed1 & (1u << 7));
}
static inline bool has_msr_bitmaps(const struct vmx_caps *c) { return c->proc.allowed1 & (1u << 28); }
static inline bool has_io_bitmaps(const struct vmx_caps *c) { return c->proc.allowed1 & (1u << 25); }
static inline bool has_wait_for_sipi(const struct vmx_caps *c) { return c->misc & BIT(8); }
/* IA32_PERF_GLOBAL_CTRL loaded at VM exit (bit 12) and at VM entry (bit 13): counters can be switched off in VMX root. */
static inline bool has_perf_global_switch(const struct vmx_caps *c)
{
	return (c->exit.allowed1 & (1u << 12)) && (c->entry.allowed1 & (1u << 13));
}

/*
 * Why VMX cannot be used from the feature-control MSR and CPUID.1:ECX[5];
 * NULL when it can. Pure: the caller passes what it read.
 */
const char *vmx_unusable_reason(bool cpuid_vmx, uint64_t feature_control);

/* Apply CR0/CR4 fixed bits: ones from fixed0 forced on, zeros of fixed1 forced off. */
static inline uint64_t vmx_fix_cr(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
	return (v | fixed0) & fixed1;
}

#endif
