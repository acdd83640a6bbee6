/* SPDX-License-Identifier: MIT */
/*
 * odv hypercall ABI, shared by odv-hv, the odv agent and the test guests.
 *
 * Transport: VMCALL executed at guest CPL 0.
 *   in:  RAX = function (enum odv_hc), RBX/RCX = arguments
 *   out: RAX = status (enum odv_hc_status), other outputs per function
 * A VMCALL from guest CPL > 0 is refused: the guest gets #UD at the VMCALL
 * and nothing else happens (no state of odv-hv changes except a counter).
 *
 * Second transport, for Linux user space (the agent), which cannot execute
 * VMCALL at CPL 0 itself: RDMSR of a synthetic MSR in [ODV_MSR_BASE,
 * ODV_MSR_BASE + ODV_MSR_COUNT), issued on the agent's behalf by the stock
 * msr driver (/dev/cpu/N/msr, root only). Those indices lie outside the MSR
 * bitmap, so every RDMSR of them exits to odv-hv; RDMSR at CPL 3 faults in
 * the CPU before any exit. Read-only on purpose: the msr driver taints the
 * kernel on writes of unknown MSRs, not on reads. Natively (no odv-hv) the
 * reads fail with EIO, which is how the agent knows.
 *
 * Discovery: CPUID.1:ECX[31] (hypervisor present) and leaf 0x40000000,
 * whose EBX:ECX:EDX spell ODV_CPUID_SIGNATURE and EAX is the highest
 * hypervisor leaf. Leaf 0x40000001 EAX = ODV_ABI_VERSION.
 */
#ifndef ODV_ABI_H
#define ODV_ABI_H

#define ODV_CPUID_LEAF_BASE     0x40000000u
#define ODV_CPUID_LEAF_VERSION  0x40000001u
#define ODV_CPUID_LEAF_MAX      ODV_CPUID_LEAF_VERSION
/* 12 bytes in EBX, ECX, EDX order */
#define ODV_CPUID_SIGNATURE     "odv-hv\0\0odv\0"
#define ODV_ABI_VERSION         0x00000100u   /* 0.1.0 : major<<16 | minor<<8 | patch */
#define ODV_VERSION_STRING      "0.1.0"

enum odv_hc {
	/* out: RBX = ODV_ABI_VERSION, RCX = number of vCPUs */
	ODV_HC_INFO       = 0,
	/*
	 * Leave VMX on this CPU and continue natively at the instruction
	 * after the VMCALL. out: RAX = status. RDX is clobbered: it carries
	 * the guest CR3 through the final CR3 switch (see hypervisor/devirt.c).
	 * Every other register, and all system state, is as before the call.
	 */
	ODV_HC_DEVIRT     = 1,
	/* out: RBX = total exits, RCX = exits of reason RBX-in (RBX in = reason) */
	ODV_HC_EXIT_COUNT = 2,
};

/* Synthetic MSRs (the "ODV" range). Values read: */
#define ODV_MSR_BASE   0x4f445600u
#define ODV_MSR_COUNT  0x100u
#define ODV_EXIT_REASONS 65     /* exit reasons odv-hv counts (0..64) */
#define ODV_MAX_CPUS     64     /* CPUs odv-hv runs (as many as the MADT table in acpi.h holds); the agent refuses a machine with more */
/*
 * Physical memory odv-hv can map (its direct map, hypervisor/mm/direct_map.c):
 * the image and its stream must lie below it, so the agent refuses a kernel
 * that uses RAM above it. With 1 GiB pages: the lower half of 4-level paging;
 * without them (no pdpe1gb) one table of odv-hv's pool per GiB, and the direct
 * map may take 128 of them.
 */
#define ODV_HV_MAPPED_LIMIT    (128ull << 40)
#define ODV_HV_MAPPED_LIMIT_2M (128ull << 30)
/*
 * odv-hv's reservation must lie below 4 GiB: the kexec entry (boot/mb2_entry.asm)
 * keeps running at its physical address after it loads its own page tables,
 * which map the low 4 GiB only, and the AP start-up code (boot/ap_trampoline.asm)
 * loads CR3 from a 32-bit register, while odv-hv's page tables lie in its image.
 */
#define ODV_HV_RESERVATION_LIMIT (4ull << 30)
enum odv_msr {
	ODV_MSR_INFO      = ODV_MSR_BASE + 0x00,  /* ODV_ABI_VERSION | (nr vCPUs << 32)
	                                             | (this CPU's vCPU number << 48) */
	ODV_MSR_DEVIRT    = ODV_MSR_BASE + 0x01,  /* leave VMX on this CPU; low 32 bits = status
						     (enum odv_hc_status), high 32 bits undefined */
	ODV_MSR_EXITS     = ODV_MSR_BASE + 0x02,  /* total VM exits of this vCPU */
	ODV_MSR_LOG_HEAD  = ODV_MSR_BASE + 0x03,  /* bytes ever written to the log ring */
	ODV_MSR_LOG_RESET = ODV_MSR_BASE + 0x04,  /* rewind this vCPU's log cursor to the oldest
						     byte kept; returns that offset */
	ODV_MSR_LOG_READ  = ODV_MSR_BASE + 0x05,  /* next 8 log bytes at the cursor (NUL-padded
						     at the end), cursor += 8 */
	ODV_MSR_LOG_PLACE = ODV_MSR_BASE + 0x06,  /* + 0: physical address of the log ring's bytes,
						     + 1: of its head (bytes ever written, 8 bytes),
						     + 2: its size (a power of two). go-native reads
						     the ring there once every CPU is native, to
						     print the lines odv-hv kept off the console
						     while it handed the CPUs back */
	ODV_MSR_EXIT_REASON0 = ODV_MSR_BASE + 0x80,  /* + reason: exits of that reason (0..127) */
};

enum odv_hc_status {
	ODV_HC_OK          = 0,
	ODV_HC_EUNKNOWN    = 1,   /* no such function */
	ODV_HC_EINVAL      = 2,   /* bad argument */
	ODV_HC_EUNSUPPORTED = 3,  /* guest state odv-hv cannot hand back (e.g. LA57) */
};

#endif
