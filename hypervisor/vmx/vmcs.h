/*
 * VMCS field encodings, exit reasons and control bits as typed enums
 * (Intel SDM vol. 3, appendices A-C). The width and type of a field are
 * encoded in its number (bits 14:13 width, 11:10 type, 0 = high half);
 * vmcs_field_width() decodes that, and vmcs_fields.c carries the names
 * used by the dump. Pure header: compiled into odv-hv and the unit tests.
 */
#ifndef ODV_VMCS_H
#define ODV_VMCS_H
#include <stdint.h>

enum vmcs_field {
	/* 16-bit control */
	VMCS_VPID                    = 0x0000,
	/* 16-bit guest state */
	VMCS_GUEST_ES_SEL            = 0x0800,
	VMCS_GUEST_CS_SEL            = 0x0802,
	VMCS_GUEST_SS_SEL            = 0x0804,
	VMCS_GUEST_DS_SEL            = 0x0806,
	VMCS_GUEST_FS_SEL            = 0x0808,
	VMCS_GUEST_GS_SEL            = 0x080a,
	VMCS_GUEST_LDTR_SEL          = 0x080c,
	VMCS_GUEST_TR_SEL            = 0x080e,
	/* 16-bit host state */
	VMCS_HOST_ES_SEL             = 0x0c00,
	VMCS_HOST_CS_SEL             = 0x0c02,
	VMCS_HOST_SS_SEL             = 0x0c04,
	VMCS_HOST_DS_SEL             = 0x0c06,
	VMCS_HOST_FS_SEL             = 0x0c08,
	VMCS_HOST_GS_SEL             = 0x0c0a,
	VMCS_HOST_TR_SEL             = 0x0c0c,
	/* 64-bit control */
	VMCS_IO_BITMAP_A             = 0x2000,
	VMCS_IO_BITMAP_B             = 0x2002,
	VMCS_MSR_BITMAP              = 0x2004,
	VMCS_EXIT_MSR_STORE_ADDR     = 0x2006,
	VMCS_EXIT_MSR_LOAD_ADDR      = 0x2008,
	VMCS_ENTRY_MSR_LOAD_ADDR     = 0x200a,
	VMCS_TSC_OFFSET              = 0x2010,
	VMCS_VIRTUAL_APIC_ADDR       = 0x2012,
	VMCS_APIC_ACCESS_ADDR        = 0x2014,
	VMCS_EPT_POINTER             = 0x201a,
	/* 64-bit read-only data */
	VMCS_GUEST_PHYS_ADDR         = 0x2400,
	/* 64-bit guest state */
	VMCS_LINK_POINTER            = 0x2800,
	VMCS_GUEST_DEBUGCTL          = 0x2802,
	VMCS_GUEST_PAT               = 0x2804,
	VMCS_GUEST_EFER              = 0x2806,
	VMCS_GUEST_PERF_GLOBAL_CTRL  = 0x2808,
	VMCS_GUEST_PDPTE0            = 0x280a,
	VMCS_GUEST_PDPTE1            = 0x280c,
	VMCS_GUEST_PDPTE2            = 0x280e,
	VMCS_GUEST_PDPTE3            = 0x2810,
	/* 64-bit host state */
	VMCS_HOST_PAT                = 0x2c00,
	VMCS_HOST_EFER               = 0x2c02,
	VMCS_HOST_PERF_GLOBAL_CTRL   = 0x2c04,
	/* 32-bit control */
	VMCS_PIN_CONTROLS            = 0x4000,
	VMCS_PROC_CONTROLS           = 0x4002,
	VMCS_EXCEPTION_BITMAP        = 0x4004,
	VMCS_PF_ERROR_MASK           = 0x4006,
	VMCS_PF_ERROR_MATCH          = 0x4008,
	VMCS_CR3_TARGET_COUNT        = 0x400a,
	VMCS_EXIT_CONTROLS           = 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT    = 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT     = 0x4010,
	VMCS_ENTRY_CONTROLS          = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT    = 0x4014,
	VMCS_ENTRY_INTR_INFO         = 0x4016,
	VMCS_ENTRY_EXCEPTION_ERROR   = 0x4018,
	VMCS_ENTRY_INSTR_LEN         = 0x401a,
	VMCS_TPR_THRESHOLD           = 0x401c,
	VMCS_PROC_CONTROLS2          = 0x401e,
	/* 32-bit read-only data */
	VMCS_VM_INSTR_ERROR          = 0x4400,
	VMCS_EXIT_REASON             = 0x4402,
	VMCS_EXIT_INTR_INFO          = 0x4404,
	VMCS_EXIT_INTR_ERROR         = 0x4406,
	VMCS_IDT_VECTORING_INFO      = 0x4408,
	VMCS_IDT_VECTORING_ERROR     = 0x440a,
	VMCS_EXIT_INSTR_LEN          = 0x440c,
	VMCS_EXIT_INSTR_INFO         = 0x440e,
	/* 32-bit guest state */
	VMCS_GUEST_ES_LIMIT          = 0x4800,
	VMCS_GUEST_CS_LIMIT          = 0x4802,
	VMCS_GUEST_SS_LIMIT          = 0x4804,
	VMCS_GUEST_DS_LIMIT          = 0x4806,
	VMCS_GUEST_FS_LIMIT          = 0x4808,
	VMCS_GUEST_GS_LIMIT          = 0x480a,
	VMCS_GUEST_LDTR_LIMIT        = 0x480c,
	VMCS_GUEST_TR_LIMIT          = 0x480e,
	VMCS_GUEST_GDTR_LIMIT        = 0x4810,
	VMCS_GUEST_IDTR_LIMIT        = 0x4812,
	VMCS_GUEST_ES_AR             = 0x4814,
	VMCS_GUEST_CS_AR             = 0x4816,
	VMCS_GUEST_SS_AR             = 0x4818,
	VMCS_GUEST_DS_AR             = 0x481a,
	VMCS_GUEST_FS_AR             = 0x481c,
	VMCS_GUEST_GS_AR             = 0x481e,
	VMCS_GUEST_LDTR_AR           = 0x4820,
	VMCS_GUEST_TR_AR             = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY  = 0x4824,
	VMCS_GUEST_ACTIVITY_STATE    = 0x4826,
	VMCS_GUEST_SMBASE            = 0x4828,
	VMCS_GUEST_SYSENTER_CS       = 0x482a,
	VMCS_PREEMPTION_TIMER        = 0x482e,
	/* 32-bit host state */
	VMCS_HOST_SYSENTER_CS        = 0x4c00,
	/* natural-width control */
	VMCS_CR0_MASK                = 0x6000,
	VMCS_CR4_MASK                = 0x6002,
	VMCS_CR0_SHADOW              = 0x6004,
	VMCS_CR4_SHADOW              = 0x6006,
	VMCS_CR3_TARGET0             = 0x6008,
	/* natural-width read-only data */
	VMCS_EXIT_QUALIFICATION      = 0x6400,
	VMCS_GUEST_LINEAR_ADDR       = 0x640a,
	/* natural-width guest state */
	VMCS_GUEST_CR0               = 0x6800,
	VMCS_GUEST_CR3               = 0x6802,
	VMCS_GUEST_CR4               = 0x6804,
	VMCS_GUEST_ES_BASE           = 0x6806,
	VMCS_GUEST_CS_BASE           = 0x6808,
	VMCS_GUEST_SS_BASE           = 0x680a,
	VMCS_GUEST_DS_BASE           = 0x680c,
	VMCS_GUEST_FS_BASE           = 0x680e,
	VMCS_GUEST_GS_BASE           = 0x6810,
	VMCS_GUEST_LDTR_BASE         = 0x6812,
	VMCS_GUEST_TR_BASE           = 0x6814,
	VMCS_GUEST_GDTR_BASE         = 0x6816,
	VMCS_GUEST_IDTR_BASE         = 0x6818,
	VMCS_GUEST_DR7               = 0x681a,
	VMCS_GUEST_RSP               = 0x681c,
	VMCS_GUEST_RIP               = 0x681e,
	VMCS_GUEST_RFLAGS            = 0x6820,
	VMCS_GUEST_PENDING_DBG       = 0x6822,
	VMCS_GUEST_SYSENTER_ESP      = 0x6824,
	VMCS_GUEST_SYSENTER_EIP      = 0x6826,
	/* natural-width host state */
	VMCS_HOST_CR0                = 0x6c00,
	VMCS_HOST_CR3                = 0x6c02,
	VMCS_HOST_CR4                = 0x6c04,
	VMCS_HOST_FS_BASE            = 0x6c06,
	VMCS_HOST_GS_BASE            = 0x6c08,
	VMCS_HOST_TR_BASE            = 0x6c0a,
	VMCS_HOST_GDTR_BASE          = 0x6c0c,
	VMCS_HOST_IDTR_BASE          = 0x6c0e,
	VMCS_HOST_SYSENTER_ESP       = 0x6c10,
	VMCS_HOST_SYSENTER_EIP       = 0x6c12,
	VMCS_HOST_RSP                = 0x6c14,
	VMCS_HOST_RIP                = 0x6c16,
};

enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type  { VMCS_T_CONTROL = 0, VMCS_T_RODATA = 1, VMCS_T_GUEST = 2, VMCS_T_HOST = 3 };

static inline enum vmcs_width vmcs_field_width(uint32_t enc) { return (enum vmcs_width)((enc >> 13) & 3); }
static inline enum vmcs_type vmcs_field_type(uint32_t enc) { return (enum vmcs_type)((enc >> 10) & 3); }
/* Size in bytes of a field on a 64-bit host (natural width = 8). */
static inline unsigned vmcs_field_bytes(uint32_t enc)
{
	static const unsigned bytes[4] = { 2, 8, 4, 8 };
	return bytes[vmcs_field_width(enc)];
}

struct vmcs_field_desc { uint32_t enc; const char *name; };
extern const struct vmcs_field_desc vmcs_field_table[];
extern const unsigned vmcs_field_table_len;
const char *vmcs_field_name(uint32_t enc);

enum exit_reason {
	EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTERRUPT = 1, EXIT_TRIPLE_FAULT = 2,
	EXIT_INIT = 3, EXIT_SIPI = 4, EXIT_IO_SMI = 5, EXIT_OTHER_SMI = 6,
	EXIT_INTERRUPT_WINDOW = 7, EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9,
	EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12, EXIT_INVD = 13,
	EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_RSM = 17,
	EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21,
	EXIT_VMPTRST = 22, EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25,
	EXIT_VMXOFF = 26, EXIT_VMXON = 27, EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29,
	EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_INVALID_GUEST_STATE = 33,
	EXIT_MSR_LOADING = 34, EXIT_MWAIT = 36, EXIT_MTF = 37, EXIT_MONITOR = 39,
	EXIT_PAUSE = 40, EXIT_MACHINE_CHECK = 41, EXIT_TPR_BELOW_THRESHOLD = 43,
	EXIT_APIC_ACCESS = 44, EXIT_VIRTUALIZED_EOI = 45, EXIT_GDTR_IDTR = 46,
	EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49,
	EXIT_INVEPT = 50, EXIT_RDTSCP = 51, EXIT_PREEMPTION_TIMER = 52,
	EXIT_INVVPID = 53, EXIT_WBINVD = 54, EXIT_XSETBV = 55, EXIT_APIC_WRITE = 56,
	EXIT_RDRAND = 57, EXIT_INVPCID = 58, EXIT_VMFUNC = 59, EXIT_ENCLS = 60,
	EXIT_RDSEED = 61, EXIT_PML_FULL = 62, EXIT_XSAVES = 63, EXIT_XRSTORS = 64,
	EXIT_REASON_MAX = 65,
};
const char *exit_reason_name(uint32_t reason);
#define EXIT_REASON_ENTRY_FAIL BIT32(31)

/* Guest activity states (SDM 25.4.2) */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };

/* Pin-based controls */
#define PIN_EXT_INTR_EXIT   BIT32(0)
#define PIN_NMI_EXIT        BIT32(3)
#define PIN_VIRTUAL_NMIS    BIT32(5)
#define PIN_PREEMPT_TIMER   BIT32(6)
/* Primary processor-based controls */
#define PROC_INTR_WINDOW    BIT32(2)
#define PROC_HLT_EXIT       BIT32(7)
#define PROC_CR3_LOAD_EXIT  BIT32(15)
#define PROC_CR3_STORE_EXIT BIT32(16)
#define PROC_CR8_LOAD_EXIT  BIT32(19)
#define PROC_CR8_STORE_EXIT BIT32(20)
#define PROC_NMI_WINDOW     BIT32(22)
#define PROC_UNCOND_IO_EXIT BIT32(24)
#define PROC_USE_IO_BITMAPS BIT32(25)
#define PROC_USE_MSR_BITMAPS BIT32(28)
#define PROC_SECONDARY      BIT32(31)
/* Secondary processor-based controls */
#define PROC2_EPT           BIT32(1)
#define PROC2_RDTSCP        BIT32(3)
#define PROC2_VPID          BIT32(5)
#define PROC2_UNRESTRICTED  BIT32(7)
#define PROC2_INVPCID       BIT32(12)
#define PROC2_XSAVES        BIT32(20)
/* VM-exit controls */
#define EXIT_CTL_SAVE_DEBUG     BIT32(2)
#define EXIT_CTL_HOST_64        BIT32(9)
#define EXIT_CTL_LOAD_PERF_GLOBAL BIT32(12)
#define EXIT_CTL_SAVE_PAT       BIT32(18)
#define EXIT_CTL_LOAD_PAT       BIT32(19)
#define EXIT_CTL_SAVE_EFER      BIT32(20)
#define EXIT_CTL_LOAD_EFER      BIT32(21)
/* VM-entry controls */
#define ENTRY_CTL_LOAD_DEBUG    BIT32(2)
#define ENTRY_CTL_IA32E_GUEST   BIT32(9)
#define ENTRY_CTL_LOAD_PERF_GLOBAL BIT32(13)
#define ENTRY_CTL_LOAD_PAT      BIT32(14)
#define ENTRY_CTL_LOAD_EFER     BIT32(15)

/* Interruption-information fields (entry injection and exit info) */
#define INTR_INFO_VALID         BIT32(31)
#define INTR_INFO_ERROR_CODE    BIT32(11)
#define INTR_INFO_TYPE_MASK     0x700u
#define INTR_INFO_VECTOR_MASK   0xffu
#define INTR_TYPE_EXT_INTR      (0u << 8)
#define INTR_TYPE_NMI           (2u << 8)
#define INTR_TYPE_HW_EXCEPTION  (3u << 8)
#define INTR_TYPE_SW_EXCEPTION  (6u << 8)
#define VEC_UD 6
#define VEC_GP 13
#define VEC_NMI 2

/* Guest interruptibility state */
#define INTERRUPTIBILITY_STI    BIT32(0)
#define INTERRUPTIBILITY_MOVSS  BIT32(1)
#define INTERRUPTIBILITY_SMI    BIT32(2)
#define INTERRUPTIBILITY_NMI    BIT32(3)

/* Segment access rights as stored in the VMCS */
#define AR_UNUSABLE             BIT32(16)

#endif
