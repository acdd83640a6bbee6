/* Where go-virtual's time goes: stamps into durations (phases.h). Pure. */
#include "phases.h"

static const char *const names[PH_N] = {
	"freeze", "detach", "snapshot", "read", "load", "drain", "kexec", "hv_start", "place_pages", "vmx_setup",
	"launch", "resume", "thaw", "attach",
};

const char *phase_name(enum gv_phase p)
{
	return p < PH_N ? names[p] : "?";
}

void phases_compute(const struct gv_stamps *s, double tsc_hz, double out[PH_N])
{
	/* Phase i ends at stamp i + 1; the stamps in the order the phases run. */
	const uint64_t t[PH_N + 1] = {
		s->start, s->frozen, s->detached, s->agent[ODV_TSC_SNAPSHOT], s->agent[ODV_TSC_READ],
		s->agent[ODV_TSC_LOADED], s->agent[ODV_TSC_REBOOT], s->hv[ODV_TSC_HV_ENTRY], s->hv[ODV_TSC_HV_CHECKED],
		s->hv[ODV_TSC_HV_PLACED], s->hv[ODV_TSC_HV_VMX], s->hv[ODV_TSC_HV_LAUNCH], s->back, s->thawed,
		s->attached,
	};
	uint64_t last = t[0];
	for (int i = 0; i < PH_N; i++) {
		uint64_t end = t[i + 1];
		if (!end || !last || end < last || tsc_hz <= 0) {
			out[i] = -1;
			if (end && last && end < last)
				last = 0;   /* the clock went backwards: nothing after it can be trusted */
			continue;
		}
		out[i] = (double)(end - last) / tsc_hz;
		last = end;
	}
}
