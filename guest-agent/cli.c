/*
 * The agent's command line and output (cli.h): the options the commands
 * share, progress lines that never block a frozen system, the console, and
 * the allocations made before anything is changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

int cli_options(const struct cli_cmd *c, void *ctx, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			opt_json = true;
		else if (c->option && c->option(ctx, argc, argv, &i))
			continue;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "odv %s: %s '%s' (try %s)\n", c->name, c->unknown ? c->unknown : "unknown option",
				argv[i], c->try_hint ? c->try_hint : "--help");
			return EXIT_USAGE;
		}
	}
	return -1;
}

static void *out_of_memory(size_t n, const char *what)
{
	fprintf(stderr, "odv: out of memory (%zu bytes for %s)\n", n, what);
	exit(EXIT_FAIL);
}

void *xmalloc(size_t n, const char *what)
{
	void *p = malloc(n ? n : 1);
	return p ? p : out_of_memory(n, what);
}

void *xcalloc(size_t n, const char *what)
{
	void *p = calloc(1, n ? n : 1);
	return p ? p : out_of_memory(n, what);
}

bool opt_json;
bool progress_after_snapshot;

/*
 * Progress of long steps, on stderr, time-stamped (CLOCK_BOOTTIME). After
 * the snapshot nothing may reach a file system, so if stderr is a regular
 * file those lines are dropped (a terminal, pipe or console is fine).
 *
 * While frozen a line must never make us wait: a serial console whose
 * transmitter stopped (an interrupt lost across the snapshot's device
 * suspend/resume) would block a write once the tty's buffer is full, with
 * the user's disk suspended. So then a line that does not fit in the tty's
 * free buffer space is dropped, and counted in the next line that fits.
 */
static unsigned progress_dropped;

static bool fits_now(int fd, size_t len)
{
	int queued;
	if (!progress_after_snapshot || !isatty(fd) || ioctl(fd, TIOCOUTQ, &queued))
		return true;
	return queued >= 0 && (size_t)queued + len <= 2048;   /* n_tty's buffer is 4 KiB */
}

void progress(const char *fmt, ...)
{
	struct stat st;
	if (progress_after_snapshot && fstat(2, &st) == 0 && S_ISREG(st.st_mode))
		return;
	/* One write per line: a serial console must never show half a line when
	 * odv-hv (or a kexec) takes the port over right after it. */
	char line[600];
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t);
	int n = snprintf(line, sizeof(line), "odv: [%5ld.%03ld] ", (long)t.tv_sec, t.tv_nsec / 1000000);
	if (progress_dropped)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "(%u lines not shown: the console was busy) ",
			      progress_dropped);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (!fits_now(2, (size_t)n)) {
		progress_dropped++;
		return;
	}
	if (write(2, line, (size_t)n) == n)
		progress_dropped = 0;
}

/* Wait up to `seconds` for a terminal's output to reach the wire; never longer
 * (tcdrain would wait forever on a stopped transmitter). */
void console_drain(int fd, double seconds)
{
	int queued = 0;
	if (!isatty(fd))
		return;
	for (int i = 0; i < (int)(seconds * 100); i++) {
		if (ioctl(fd, TIOCOUTQ, &queued) || queued <= 0)
			return;
		struct timespec ms10 = { 0, 10 * 1000 * 1000 };
		nanosleep(&ms10, NULL);
	}
}

