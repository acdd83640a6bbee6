/* The guest's memory and instruction stream, as exits need them (guest_mem.c). */
#ifndef ODV_GUEST_H
#define ODV_GUEST_H
#include "types.h"

bool guest_ram_range(uint64_t pa, uint64_t len);     /* the guest's RAM, safe to touch for it */
unsigned guest_read_linear(uint64_t la, void *buf, unsigned len);
int guest_fetch_insn(uint8_t code[15], unsigned *n, bool *long64, const char **err);
void guest_skip_insn(unsigned len);                 /* RIP past it, STI/MOV-SS blocking over */

#endif
