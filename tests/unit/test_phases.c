/* Host unit tests for guest-agent/phases.c: go-virtual's phase durations from TSC stamps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "phases.h"

#define HZ 1000.0   /* one tick a millisecond */

static struct gv_stamps virtual_run(void)
{
	struct gv_stamps s = { .start = 1000, .frozen = 1070, .detached = 3000 };
	s.agent[ODV_TSC_SNAPSHOT] = 9000;
	s.agent[ODV_TSC_READ] = 10500;
	s.agent[ODV_TSC_LOADED] = 10600;
	s.agent[ODV_TSC_REBOOT] = 10700;
	s.hv[ODV_TSC_HV_ENTRY] = 11000;
	s.hv[ODV_TSC_HV_CHECKED] = 11020;
	s.hv[ODV_TSC_HV_PLACED] = 11800;
	s.hv[ODV_TSC_HV_VMX] = 11850;
	s.hv[ODV_TSC_HV_LAUNCH] = 11900;
	s.back = 13000;
	s.thawed = 13100;
	s.attached = 14000;
	return s;
}

static void test_every_phase(void **state)
{
	struct gv_stamps s = virtual_run();
	double d[PH_N];
	phases_compute(&s, HZ, d);
	const double want[PH_N] = { 0.070, 1.930, 6.000, 1.500, 0.100, 0.100, 0.300, 0.020, 0.780, 0.050,
				    0.050, 1.100, 0.100, 0.900 };
	for (int i = 0; i < PH_N; i++)
		assert_float_equal(d[i], want[i], 1e-9);
	assert_string_equal(phase_name(PH_PLACE), "place_pages");
	assert_string_equal(phase_name(PH_ATTACH), "attach");
	assert_string_equal(phase_name(PH_N), "?");
}

/* A native resume has no VMX setup: the launch phase runs from page placement. */
static void test_native_resume(void **state)
{
	struct gv_stamps s = virtual_run();
	s.hv[ODV_TSC_HV_VMX] = 0;
	double d[PH_N];
	phases_compute(&s, HZ, d);
	assert_float_equal(d[PH_VMX], -1, 0);
	assert_float_equal(d[PH_LAUNCH], 0.100, 1e-9);
	assert_float_equal(d[PH_RESUME], 1.100, 1e-9);
}

/* An older odv-hv (no stamps) or a clock that goes backwards gives no numbers, not wrong ones. */
static void test_missing_and_backwards(void **state)
{
	struct gv_stamps s = virtual_run();
	memset(s.hv, 0, sizeof(s.hv));
	double d[PH_N];
	phases_compute(&s, HZ, d);
	for (int i = PH_KEXEC; i <= PH_LAUNCH; i++)
		assert_float_equal(d[i], -1, 0);
	assert_float_equal(d[PH_RESUME], 2.300, 1e-9);   /* from the last stamp there is: the reboot */
	s = virtual_run();
	s.hv[ODV_TSC_HV_ENTRY] = 500;                     /* before the load: a TSC reset? */
	phases_compute(&s, HZ, d);
	assert_float_equal(d[PH_KEXEC], -1, 0);
	assert_float_equal(d[PH_HV_START], -1, 0);
	assert_float_equal(d[PH_ATTACH], -1, 0);
	phases_compute(&s, 0, d);
	assert_float_equal(d[PH_FREEZE], -1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_phase),
		cmocka_unit_test(test_native_resume),
		cmocka_unit_test(test_missing_and_backwards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
