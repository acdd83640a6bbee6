/*
 * Devirtualization context: what the last, position-independent steps
 * (stubs.asm: devirt_tramp, devirt_tail) read. Offsets are fixed; the
 * assembly has the same numbers and the static asserts keep them in step.
 */
#ifndef ODV_DEVIRT_H
#define ODV_DEVIRT_H
#include "types.h"

struct devirt_ctx {
	uint64_t devirt_cr3;      /* 0: tables mapping the trampoline (identity) and the tail (alias) */
	uint64_t guest_cr3;       /* 8 */
	uint64_t alias_tail;      /* 16: virtual address of the tail in the alias mapping */
	uint64_t rflags;          /* 24: guest RFLAGS with IF clear */
	uint64_t invpcid;         /* 32: nonzero: flush odv-hv's PCID 0 with INVPCID */
	uint64_t invpcid_desc[2]; /* 40 */
	uint64_t gpr[16];         /* 56: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	uint8_t  stack[4096 - 56 - 128];   /* popfq needs a few bytes of stack */
} __attribute__((aligned(4096)));

_Static_assert(__builtin_offsetof(struct devirt_ctx, guest_cr3) == 8, "ctx layout");
_Static_assert(__builtin_offsetof(struct devirt_ctx, alias_tail) == 16, "ctx layout");
_Static_assert(__builtin_offsetof(struct devirt_ctx, rflags) == 24, "ctx layout");
_Static_assert(__builtin_offsetof(struct devirt_ctx, invpcid) == 32, "ctx layout");
_Static_assert(__builtin_offsetof(struct devirt_ctx, invpcid_desc) == 40, "ctx layout");
_Static_assert(__builtin_offsetof(struct devirt_ctx, gpr) == 56, "ctx layout");
_Static_assert(sizeof(struct devirt_ctx) == 4096, "ctx layout");

/* One segment as the VMCS holds it. */
struct seg_state { uint16_t sel; uint64_t base; uint32_t limit, ar; };

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/*
 * Build a temporary GDT whose descriptors, at the guest's own selector
 * indexes, reproduce each segment's hidden state (base, limit, rights),
 * so loading the guest's selectors from it recreates the guest's
 * segment registers exactly without reading guest memory. The TSS
 * descriptor is made "available" so LTR accepts it. Pure logic.
 * Returns the GDT limit (bytes - 1), or -1 with *err set.
 */
int devirt_build_gdt(const struct seg_state segs[SEG_COUNT], uint64_t *gdt, unsigned gdt_entries,
		     const char **err);

/* Encode one descriptor (8 bytes) from VMCS-format hidden state. */
uint64_t seg_descriptor(uint64_t base, uint32_t limit, uint32_t ar);

#endif
