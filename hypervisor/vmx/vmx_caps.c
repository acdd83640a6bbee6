/* Decoding of the VMX capability MSRs (SDM vol. 3, appendix A). Pure logic. */
#include "vmx_caps.h"
#include "arch.h"

static struct vmx_ctl_cap split(uint64_t msr)
{
	/* Low half: allowed-0 settings (1 = must be 1). High half: allowed-1. */
	struct vmx_ctl_cap c = { (uint32_t)msr, (uint32_t)(msr >> 32) };
	return c;
}

void vmx_caps_decode(const struct vmx_caps_raw *r, struct vmx_caps *c)
{
	c->revision = (uint32_t)(r->basic & 0x7fffffff);
	c->vmcs_size = (uint32_t)((r->basic >> 32) & 0x1fff);
	c->vmcs_memtype = (uint8_t)((r->basic >> 50) & 0xf);
	c->true_ctls = (r->basic >> 55) & 1;
	c->pin   = split(c->true_ctls ? r->true_pin : r->pin);
	c->proc  = split(c->true_ctls ? r->true_proc : r->proc);
	c->exit  = split(c->true_ctls ? r->true_exit : r->exit);
	c->entry = split(c->true_ctls ? r->true_entry : r->entry);
	/* The secondary controls exist only if the primary word allows bit 31;
	 * their MSR has no allowed-0 bits (all secondary controls default to 0). */
	if (c->proc.allowed1 & (1u << 31))
		c->proc2 = split(r->proc2);
	else
		c->proc2 = (struct vmx_ctl_cap){ 0, 0 };
	/* The EPT/VPID MSR exists only if EPT or VPID can be enabled. */
	c->ept_vpid = (c->proc2.allowed1 & ((1u << 1) | (1u << 5))) ? r->ept_vpid : 0;
	c->cr0_fixed0 = r->cr0_fixed0;
	c->cr0_fixed1 = r->cr0_fixed1;
	c->cr4_fixed0 = r->cr4_fixed0;
	c->cr4_fixed1 = r->cr4_fixed1;
	c->misc = r->misc;
}

int vmx_ctl_adjust(const struct vmx_ctl_cap *cap, uint32_t need, uint32_t want,
		   uint32_t *out, uint32_t *missing)
{
	uint32_t miss = need & ~cap->allowed1;
	if (missing)
		*missing = miss;
	if (miss)
		return -1;
	*out = (need | (want & cap->allowed1) | cap->allowed0) & cap->allowed1;
	/* allowed0 bits outside allowed1 would be a contradictory MSR. */
	if (cap->allowed0 & ~cap->allowed1)
		return -1;
	return 0;
}

const char *vmx_unusable_reason(bool cpuid_vmx, uint64_t fc)
{
	if (!cpuid_vmx)
		return "CPU has no VMX (CPUID.1:ECX[5] is 0)";
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return "VMX disabled by firmware (IA32_FEATURE_CONTROL locked with VMX off)";
	return NULL;
}
