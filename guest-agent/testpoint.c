/*
 * The points of go-virtual at which a test flag hangs it (--test-stall, until
 * the step watchdog undoes it: watchdog.c) or makes it fail (--test-fail).
 * A failure made here is reported to go_virtual.c like a real one at that
 * point and takes the same undo path, so the fault-injection scenarios
 * (tests/scenarios/fault-*.scn) see what a user would see after a real
 * failure there. The kexec-load and hv-start points fail deeper down: the
 * system call is replaced by its failure (go_virtual.c), and odv-hv is asked
 * to fail through a handoff test flag (hypervisor/entry/restore.c).
 */
#include <stdio.h>
#include <string.h>
#include "testpoint.h"

static const struct { const char *name, *what; } points[TP_COUNT] = {
	[TP_AFTER_FREEZE]   = { "after-freeze",   "after the freeze" },
	[TP_AFTER_DETACH]   = { "after-detach",   "after the device detach" },
	[TP_AFTER_SNAPSHOT] = { "after-snapshot", "after the snapshot" },
	[TP_KEXEC_LOAD]     = { "kexec-load",     "at kexec_load" },
	[TP_HV_START]       = { "hv-start",       "in odv-hv before the guest starts" },
};

enum test_point test_point_parse(const char *name, unsigned allowed)
{
	for (int p = TP_NONE + 1; p < TP_COUNT; p++)
		if ((allowed & TP_MASK(p)) && !strcmp(name, points[p].name))
			return (enum test_point)p;
	return TP_NONE;
}

void test_point_list(unsigned allowed, char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "POINT is one of");
	const char *sep = " ";
	for (int p = TP_NONE + 1; p < TP_COUNT && len < n; p++)
		if (allowed & TP_MASK(p)) {
			len += (size_t)snprintf(buf + len, n - len, "%s%s", sep, points[p].name);
			sep = ", ";
		}
}

const char *test_point_name(enum test_point p)
{
	return p > TP_NONE && p < TP_COUNT ? points[p].name : "none";
}

const char *test_point_what(enum test_point p)
{
	return p > TP_NONE && p < TP_COUNT ? points[p].what : "nowhere";
}

bool test_fail_here(enum test_point fail, enum test_point here, char *why, size_t n)
{
	if (fail == TP_NONE || fail != here)
		return false;
	snprintf(why, n, "test: failing on purpose %s", test_point_what(here));
	return true;
}
