/* odv-hv's logger: formats, prints on the serial console and keeps a ring. */
#include "log.h"
#include "arch.h"
#include "hv.h"
#include "serial.h"

#define LOG_RING_SIZE (64 * 1024)
static char ring_buf[LOG_RING_SIZE];
struct log_ring hv_log_ring = { ring_buf, LOG_RING_SIZE, 0 };
static enum log_level threshold = LOG_INFO;
static int busy;
static bool quiet;

void log_console_quiet(bool on)
{
	__atomic_store_n(&quiet, on, __ATOMIC_RELEASE);
}

void log_init(enum log_level t)
{
	threshold = t;
}

void hv_log(enum log_level l, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	size_t n = log_format_line(line, sizeof(line), l, fmt, ap);
	va_end(ap);
	/*
	 * One line at a time across CPUs. The wait is bounded: a CPU that died
	 * holding the lock must not silence the others (lines may then interleave).
	 */
	for (unsigned spins = 0; __atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE) && spins < 50000000u; spins++)
		__asm__ volatile("pause");
	/* The ring keeps everything, the console only what passes the threshold. */
	log_ring_write(&hv_log_ring, line, n);
	if (l <= threshold && (l <= LOG_WARN || !__atomic_load_n(&quiet, __ATOMIC_ACQUIRE)))
		serial_write(line, n);
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

/* The end of every path odv-hv cannot go on from: say why, flush the console, stop this CPU. */
__noreturn void hv_halt(const char *why)
{
	selfcheck_end("halt");
	pr_info("halted: %s", why);
	serial_flush();
	cli();
	for (;;)
		hlt();
}
