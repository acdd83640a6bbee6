/* Emulation of one guest access to a registered MMIO region (mmio.c). */
#ifndef ODV_MMIO_H
#define ODV_MMIO_H
#include "region.h"
#include "vcpu.h"

/*
 * Fetch the guest's instruction, decode it as the region allows, call the
 * region's handler and write a load's result back into the guest register.
 * On ACCESS_DONE *insn_len is the instruction's length: the exit dispatch
 * moves RIP past it. Failures are logged here.
 */
enum access_result mmio_emulate(struct vcpu *v, const struct mmio_region *r, uint64_t gpa,
				unsigned *insn_len);

#endif
