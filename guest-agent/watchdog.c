/*
 * Step watchdog for the frozen part of go-virtual and go-native.
 *
 * While the system is frozen only the agent's one thread runs (the freezer
 * takes every other user task, a helper thread or process included), so
 * nothing else could notice that a step hangs. Each step after the freeze
 * runs with a deadline instead: an interval timer sends this thread
 * SIGALRM, whose handler (installed without SA_RESTART) only records that
 * the step ran out of time. That ends every interruptible wait in the kernel
 * with EINTR (a dm suspend waiting for in-flight I/O, nanosleep, pause) and
 * every loop of the agent's own checks step_expired(); the caller then takes
 * its normal undo path, which brings the system and its devices back
 * natively. A wait the kernel makes uninterruptible cannot be ended from
 * user space: those steps are made unable to block instead (see
 * go_virtual.c: the allocation headroom check before each large
 * allocation after the snapshot).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "cli.h"
#include "testpoint.h"
#include "watchdog.h"

static volatile sig_atomic_t expired;
static const char *step_now;
static unsigned step_secs;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

int step_begin(const char *name, unsigned seconds)
{
	static bool installed;
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;   /* no SA_RESTART: interruptible waits return EINTR */
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGALRM, &sa, NULL))
			return -errno;
		installed = true;
	}
	step_end();
	step_now = name;
	step_secs = seconds;
	expired = 0;
	struct itimerval t = { .it_value = { .tv_sec = seconds } };
	return seconds && setitimer(ITIMER_REAL, &t, NULL) ? -errno : 0;
}

void step_end(void)
{
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	step_now = NULL;
}

bool step_expired(void)
{
	return expired;
}

const char *step_expired_why(char *buf, size_t n)
{
	snprintf(buf, n, "step '%s' did not finish within %u s (step watchdog)",
		 step_now ? step_now : "?", step_secs);
	return buf;
}

int test_stall_here(enum test_point stall, enum test_point here)
{
	if (stall == TP_NONE || stall != here)
		return 0;
	progress("test: stalling at '%s' until the step watchdog fires", test_point_name(here));
	while (!step_expired())
		pause();   /* returns on SIGALRM */
	return -ETIMEDOUT;
}
