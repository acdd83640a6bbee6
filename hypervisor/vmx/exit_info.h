/*
 * VM-exit information as plain structs (SDM vol. 3, "Exit Qualification for
 * ..." tables). The dispatch (exit.c) decodes the qualification once; the
 * handlers read named fields instead of bits. Pure logic, unit-tested.
 */
#ifndef ODV_EXIT_INFO_H
#define ODV_EXIT_INFO_H
#include "types.h"

/* I/O instruction (exit reason 30). */
struct io_exit {
	uint16_t port;
	unsigned size;           /* 1, 2 or 4; other encodings are reported as they are */
	bool in;
	bool string;             /* INS/OUTS */
	bool rep;
};

/* Control-register access (exit reason 28). */
enum cr_access_type { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };
struct cr_exit {
	unsigned cr;
	enum cr_access_type type;
	unsigned gpr;            /* MOV: the general-purpose register, x86 numbering */
	uint16_t lmsw_source;    /* LMSW: the 16-bit source operand */
};

/* EPT violation (exit reason 48). */
struct ept_exit {
	uint64_t gpa;
	bool read, write, fetch;
	bool linear_valid;       /* a guest linear address is reported */
	bool paging_walk;        /* the access was the guest's own page walk, not the instruction's */
};

/* RDMSR / WRMSR (exit reasons 31, 32). */
struct msr_exit {
	uint32_t index;          /* ECX */
	bool write;
	uint64_t value;          /* WRMSR: EDX:EAX */
};

struct io_exit exit_io_info(uint64_t qual);
struct cr_exit exit_cr_info(uint64_t qual);
struct ept_exit exit_ept_info(uint64_t qual, uint64_t gpa);
struct msr_exit exit_msr_info(bool write, uint64_t rcx, uint64_t rax, uint64_t rdx);

#endif
