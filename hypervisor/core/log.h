/*
 * odv-hv log: every line goes to the serial console and into a ring in
 * hypervisor memory (later read by `odv log` through a hypercall).
 * Line format, parsed by the test harness:  "odv-hv[<level>] <message>"
 */
#ifndef ODV_LOG_H
#define ODV_LOG_H
#include "types.h"
#include "log_ring.h"

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

const char *log_level_name(enum log_level l);
/*
 * Format one line "odv-hv[level] msg\n" into buf; returns its length.
 * Truncated lines end in "...\n". size must be at least 32 (else 0 is
 * returned and nothing written); messages longer than 511 bytes are cut.
 */
size_t log_format_line(char *buf, size_t size, enum log_level l, const char *fmt, va_list ap);

/* odv-hv side */
void log_init(enum log_level threshold);
/*
 * While on, info and debug lines go into the ring only (warnings and errors
 * still reach the console). The console runs at the guest's baud rate, so
 * go-native's request would otherwise wait on every character; the agent
 * prints those lines from the ring once the CPUs are native.
 */
void log_console_quiet(bool on);
void hv_log(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raw text to the console without the prefix (for multi-line dumps use hv_log). */
extern struct log_ring hv_log_ring;

#define pr_err(...)   hv_log(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  hv_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  hv_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) hv_log(LOG_DEBUG, __VA_ARGS__)

#endif
