/*
 * Thin hardware-access layer: every privileged instruction odv-hv uses is a
 * small inline function here, so that the logic above can be read (and, for
 * the pure parts, unit-tested on the host) without inline assembly.
 */
#ifndef ODV_ARCH_H
#define ODV_ARCH_H
#include "types.h"

/* MSR numbers (Intel SDM vol. 4) */
enum msr {
	MSR_IA32_FEATURE_CONTROL   = 0x3a,
	MSR_IA32_SYSENTER_CS       = 0x174,
	MSR_IA32_SYSENTER_ESP      = 0x175,
	MSR_IA32_SYSENTER_EIP      = 0x176,
	MSR_IA32_DEBUGCTL          = 0x1d9,
	MSR_IA32_PAT               = 0x277,
	MSR_IA32_VMX_BASIC         = 0x480,
	MSR_IA32_VMX_PINBASED      = 0x481,
	MSR_IA32_VMX_PROCBASED     = 0x482,
	MSR_IA32_VMX_EXIT          = 0x483,
	MSR_IA32_VMX_ENTRY         = 0x484,
	MSR_IA32_VMX_MISC          = 0x485,
	MSR_IA32_VMX_CR0_FIXED0    = 0x486,
	MSR_IA32_VMX_CR0_FIXED1    = 0x487,
	MSR_IA32_VMX_CR4_FIXED0    = 0x488,
	MSR_IA32_VMX_CR4_FIXED1    = 0x489,
	MSR_IA32_VMX_VMCS_ENUM     = 0x48a,
	MSR_IA32_VMX_PROCBASED2    = 0x48b,
	MSR_IA32_VMX_EPT_VPID_CAP  = 0x48c,
	MSR_IA32_VMX_TRUE_PINBASED = 0x48d,
	MSR_IA32_VMX_TRUE_PROCBASED = 0x48e,
	MSR_IA32_VMX_TRUE_EXIT     = 0x48f,
	MSR_IA32_VMX_TRUE_ENTRY    = 0x490,
	MSR_IA32_VMX_VMFUNC        = 0x491,
	MSR_IA32_EFER              = 0xc0000080,
	MSR_IA32_FS_BASE           = 0xc0000100,
	MSR_IA32_GS_BASE           = 0xc0000101,
	MSR_IA32_KERNEL_GS_BASE    = 0xc0000102,
};

#define FEATURE_CONTROL_LOCK        BIT(0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)
#define FEATURE_CONTROL_VMX_ANY     (BIT(1) | BIT(2))   /* VMX inside and outside SMX */
#define MSR_X2APIC_ICR              0x830u

/* CPUID feature bits odv-hv shows or hides */
#define CPUID1_ECX_VMX        BIT32(5)
#define CPUID1_ECX_OSXSAVE    BIT32(27)
#define CPUID1_ECX_HYPERVISOR BIT32(31)
#define CPUID1_EDX_MTRR       BIT32(12)
#define CPUID7_EBX_PT         BIT32(25)
#define CPUID7_ECX_OSPKE      BIT32(4)

/* XCR0 state components */
#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)

#define CR0_PE BIT(0)
#define CR0_TS BIT(3)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PAE     BIT(5)
#define CR4_PGE     BIT(7)
#define CR4_VMXE    BIT(13)
#define CR4_PCIDE   BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_LA57    BIT(12)
#define CR4_PKE     BIT(22)
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define RFLAGS_CF BIT(0)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_IF BIT(9)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/* An IN or OUT of 1, 2 or 4 bytes, the width a VM exit or a config access names. */
static inline uint32_t port_in(uint16_t port, unsigned size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}
static inline void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
/* Fault-tolerant variants (exception fixup in hypervisor/stubs.asm): 0 ok, -1 #GP. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n) \
	static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
DEFINE_CR(8)
#undef DEFINE_CR

static inline uint64_t read_dr7(void) { uint64_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline uint64_t read_rflags(void) { uint64_t v; __asm__ volatile("pushfq; popq %0" : "=r"(v)); return v; }
static inline void xsetbv(uint32_t idx, uint64_t v)
{
	__asm__ volatile("xsetbv" :: "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t xgetbv(uint32_t idx)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return ((uint64_t)hi << 32) | lo;
}

struct __packed dtr { uint16_t limit; uint64_t base; };
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline uint16_t str(void) { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }
#define READ_SEG(name) static inline uint16_t read_##name(void) { uint16_t v; __asm__ volatile("mov %%" #name ", %0" : "=r"(v)); return v; }
READ_SEG(cs) READ_SEG(ss) READ_SEG(ds) READ_SEG(es) READ_SEG(fs) READ_SEG(gs)
#undef READ_SEG

static inline void cli(void) { __asm__ volatile("cli"); }
static inline void hlt(void) { __asm__ volatile("hlt"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
/*
 * After a VM exit caused by an NMI, NMIs stay blocked until the next IRET
 * (SDM, NMI blocking); odv-hv executes one, to the next instruction, with its
 * own selectors (CS 0x08, SS 0x10).
 */
static inline void nmi_unblock(void)
{
	__asm__ volatile(
		"movq %%rsp, %%rax\n\t"
		"pushq $0x10\n\t"
		"pushq %%rax\n\t"
		"pushfq\n\t"
		"pushq $0x08\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"iretq\n"
		"1:" ::: "rax", "memory", "cc");
}

/* ---- VMX instructions. Each returns 0 on success, -1 on VMfailInvalid, -2 on VMfailValid. */
static inline int vmx_result(uint8_t cf, uint8_t zf) { return cf ? -1 : zf ? -2 : 0; }

static inline int vmxon(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}
static inline int vmxoff(void)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxoff; setc %0; setz %1" : "=r"(cf), "=r"(zf) :: "cc", "memory");
	return vmx_result(cf, zf);
}
static inline int vmclear(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}
static inline int vmptrld(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}
static inline int vmwrite_raw(uint64_t field, uint64_t v)
{
	uint8_t cf, zf;
	__asm__ volatile("vmwrite %3, %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "r"(field), "rm"(v) : "cc");
	return vmx_result(cf, zf);
}
static inline int vmread_raw(uint64_t field, uint64_t *v)
{
	uint8_t cf, zf;
	uint64_t out = 0;
	__asm__ volatile("vmread %3, %2; setc %0; setz %1" : "=r"(cf), "=r"(zf), "=rm"(out) : "r"(field) : "cc");
	*v = out;
	return vmx_result(cf, zf);
}
struct __packed inv_desc { uint64_t a, b; };
/* INVEPT and INVVPID types (SDM vol. 3, 29.4.3) */
enum { INVEPT_SINGLE_CONTEXT = 1, INVEPT_ALL_CONTEXTS = 2 };
enum { INVVPID_ADDRESS = 0, INVVPID_SINGLE_CONTEXT = 1, INVVPID_ALL_CONTEXTS = 2 };

static inline int invept(uint64_t type, uint64_t eptp)
{
	struct inv_desc d = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_result(cf, zf);
}
static inline int invvpid(uint64_t type, uint16_t vpid)
{
	struct inv_desc d = { vpid, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invvpid %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_result(cf, zf);
}

/* Physical <-> virtual: odv-hv identity-maps low physical memory (boot/mb2_entry.asm). */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }
uint64_t hv_virt_to_phys(const void *p);   /* for odv-hv's own image (linked high) */

#endif
