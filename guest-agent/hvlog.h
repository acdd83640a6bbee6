/*
 * odv-hv's log lines of go-native's request. While odv-hv hands the CPUs
 * back it keeps its lines off the serial console (the console runs at the
 * guest's baud rate and would make every request wait on it); go-native
 * marks the ring's head before the first request (hypercalls) and, once
 * every CPU is native, reads the new lines from odv-hv's memory through
 * /dev/mem (hvlog.c) and prints them.
 */
#ifndef ODV_HVLOG_H
#define ODV_HVLOG_H
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct hvlog_mark {
	uint64_t buf_phys, head_phys, size;   /* ODV_MSR_LOG_PLACE */
	uint64_t from;                        /* the head when marked */
};

/* Where the ring is and its head now, asked through an msr device fd. 0, or -1. */
int hvlog_mark(int fd, struct hvlog_mark *m);
/* Print the lines written since the mark (every CPU must be native). 0, or -1 with why. */
int hvlog_print_since(const struct hvlog_mark *m, FILE *out, char *why, size_t wl);

#endif
