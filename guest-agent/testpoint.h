/* The points of go-virtual where a test flag stalls it or makes it fail (testpoint.c). */
#ifndef ODV_TESTPOINT_H
#define ODV_TESTPOINT_H
#include <stdbool.h>
#include <stddef.h>

/* In the order go-virtual passes them. */
enum test_point {
	TP_NONE,
	TP_AFTER_FREEZE,     /* user space frozen, nothing detached yet */
	TP_AFTER_DETACH,     /* the devices detached, no snapshot yet */
	TP_AFTER_SNAPSHOT,   /* the snapshot exists, its image not read yet */
	TP_KEXEC_LOAD,       /* the kexec_load system call itself */
	TP_HV_START,         /* odv-hv, after its VMX setup, before the guest starts */
	TP_COUNT
};
#define TP_MASK(p) (1u << (p))

/* Which point NAME is, if `allowed` (TP_MASK()s) has it; else TP_NONE. */
enum test_point test_point_parse(const char *name, unsigned allowed);
/* "POINT is one of after-detach, after-snapshot": for a usage message. */
void test_point_list(unsigned allowed, char *buf, size_t n);
const char *test_point_name(enum test_point p);   /* "after-freeze" */
const char *test_point_what(enum test_point p);   /* "after the freeze" */
/* --test-fail: true at the failing point, with why = "test: failing on purpose after ...". */
bool test_fail_here(enum test_point fail, enum test_point here, char *why, size_t n);

#endif
