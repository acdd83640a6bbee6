/* The ways odv-hv gets its guest: kexec restore, Linux from GRUB, a test guest. */
#ifndef ODV_ENTRY_H
#define ODV_ENTRY_H
#include "types.h"
#include "vcpu.h"

/* restore.c: kexec entry path (go-virtual) */
__noreturn void restore_main(void);

/* linux_boot.c: 1 = a Linux guest is set up, 0 = no "linux" module, -1 = error */
int linux_boot_prepare(struct vcpu *v);

/* guest_test.c */
int test_guest_prepare(struct vcpu *v);

#endif
