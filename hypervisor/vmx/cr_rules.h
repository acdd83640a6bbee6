/*
 * What a guest may load into CR0, CR4 and XCR0, as the CPU itself decides
 * (SDM vol. 2, MOV to/from Control Registers and XSETBV; vol. 3, 2.5 and
 * 4.10.1; vol. 1, 13.3). A guest write that odv-hv performs on the guest's
 * behalf (a VM exit on a bit odv-hv owns) must fault exactly where the
 * instruction would on bare metal, never reach VM entry as state the CPU
 * rejects. Pure logic, unit-tested (tests/unit/test_cr_rules.c).
 */
#ifndef ODV_CR_RULES_H
#define ODV_CR_RULES_H
#include "types.h"

/* The guest's state a MOV to CR0/CR4 is judged against. */
struct cr_context {
	uint64_t cr0, cr3, cr4;   /* as the guest sees them (the read shadows) */
	bool lma;                 /* IA32_EFER.LMA: IA-32e mode active */
	bool lme;                 /* IA32_EFER.LME */
	bool cs_l;                /* running 64-bit code (CS.L) */
};

/* CPUID facts that decide which CR4 bits exist (leaf 1 ECX/EDX, leaf 7.0 EBX/ECX/EDX). */
struct cr4_cpuid {
	uint32_t l1_ecx, l1_edx, l7_ebx, l7_ecx, l7_edx;
};

/* CR4 bits the CPUID describes; VMXE and SMXE only if CPUID reports VMX/SMX. */
uint64_t cr4_valid_bits(const struct cr4_cpuid *c);

/* true: MOV to CR0 with val is legal in ctx; false: the CPU raises #GP(0). */
bool cr0_write_ok(const struct cr_context *ctx, uint64_t val);

/* true: MOV to CR4 with val is legal in ctx, given the CR4 bits that exist. */
bool cr4_write_ok(const struct cr_context *ctx, uint64_t val, uint64_t valid);

/* true: XSETBV of val to XCR0 is legal, given the bits CPUID.(EAX=0DH,ECX=0) reports. */
bool xcr0_ok(uint64_t val, uint64_t supported);

#endif
