/*
 * The guest's MSR accesses: one table says, for every MSR odv-hv knows,
 * what becomes of a read and of a write, and why (msr_policy.c). The MSR
 * bitmaps are built from it, so that what exits and what the handlers do
 * cannot disagree; a host unit test checks the bitmaps bit by bit against
 * the table (tests/unit/test_msr_policy.c). An MSR the table does not name
 * is trapped: reads are performed; a write is accepted only if it leaves
 * the value as it is (as Linux does restoring MSRs at resume), else #GP.
 */
#ifndef ODV_MSR_POLICY_H
#define ODV_MSR_POLICY_H
#include "types.h"

enum msr_action {
	MSR_PASS,      /* no exit: state the guest owns, switched by the VMCS or unused by odv-hv */
	MSR_FORWARD,   /* exits, then done on the real MSR; a #GP there is the guest's #GP */
	MSR_REFUSE,    /* exits; #GP, as on a CPU without the feature */
	MSR_KEEP,      /* writes: accepted only if they leave the value as it is, else #GP */
	MSR_EMULATE,   /* exits; a handler of odv-hv's answers (exit_cpu.c) */
};

/* Facts known only at run time that change a few rules. */
struct msr_policy_env {
	bool trap_icr;       /* SMP: x2APIC ICR writes go through lapic_trap.c */
	bool pmu_switched;   /* PERF_GLOBAL_CTRL is loaded at VM entry and cleared at VM exit */
	uint64_t mtrr_def_type;   /* IA32_MTRR_DEF_TYPE when odv-hv started */
};

struct msr_rule {
	uint32_t first, last;
	uint8_t read, write;           /* enum msr_action, or MSR_CLASS_* below */
	const char *why;
};

/* Rule classes resolved with the env. */
enum {
	MSR_CLASS_PMU = 16,            /* counters and their controls: PASS if switched, else writes REFUSE */
	MSR_CLASS_PMU_GLOBAL,          /* PERF_GLOBAL_CTRL: EMULATE (the VMCS field) if switched, else writes REFUSE */
	MSR_CLASS_ICR,                 /* x2APIC ICR: EMULATE if trap_icr, else PASS */
};

enum msr_action msr_read_action(const struct msr_policy_env *env, uint32_t msr);
enum msr_action msr_write_action(const struct msr_policy_env *env, uint32_t msr);
/* The rule that names msr, or NULL (then: reads FORWARD, writes KEEP). */
const struct msr_rule *msr_rule_of(uint32_t msr);
/* The table's i-th rule, or NULL past its end (for the unit test). */
const struct msr_rule *msr_rule_at(unsigned i);

#define MSR_BITMAP_SIZE 4096
/* The MSR bitmap (SDM 25.6.9) for env: every MSR whose action is not MSR_PASS exits. */
void msr_bitmap_build(const struct msr_policy_env *env, uint8_t bitmap[MSR_BITMAP_SIZE]);

/* MSR numbers the handlers need by name. */
#define MSR_TSC                 0x10u
#define MSR_APIC_BASE           0x1bu
#define MSR_PERF_GLOBAL_CTRL    0x38fu
#define APIC_BASE_BSP           (1ull << 8)
#define APIC_BASE_X2APIC        (1ull << 10)
#define APIC_BASE_ENABLE        (1ull << 11)

#define MSR_MISC_ENABLE         0x1a0u
#define MISC_ENABLE_XD_DISABLE  (1ull << 34)

/* A write to IA32_MISC_ENABLE odv-hv accepts: anything but a change of XD disable. */
bool misc_enable_write_ok(uint64_t old, uint64_t val);

#define MSR_MTRR_DEF_TYPE       0x2ffu
#define MTRR_DEF_E              (1ull << 11)
#define MTRR_DEF_FE             (1ull << 10)

/*
 * A write to IA32_MTRR_DEF_TYPE odv-hv accepts, orig being its value when
 * odv-hv started: the same; or MTRRs disabled (E clear, any default type:
 * Linux writes orig & ~0xcff on every CPU while it reloads them, then orig
 * again); or the fixed ranges alone disabled.
 * With EPT the MTRRs only type odv-hv's own accesses; they must not change.
 */
bool mtrr_def_type_write_ok(uint64_t orig, uint64_t val);

/*
 * A write to IA32_APIC_BASE odv-hv accepts: the base stays where it is, the
 * APIC stays enabled, BSP and reserved bits unchanged; xAPIC -> x2APIC is
 * allowed (odv-hv drives either mode). true: do it; false: #GP.
 */
bool apic_base_write_ok(uint64_t old, uint64_t val);

#endif
