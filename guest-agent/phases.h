/*
 * Where go-virtual's time goes (phases.c, pure): TSC stamps at the ends of
 * its phases, the agent's from before the snapshot (in the image), from
 * after it (sealed in the handoff) and from after the resume, odv-hv's from
 * the handoff result (odv_handoff.h), turned into durations.
 */
#ifndef ODV_PHASES_H
#define ODV_PHASES_H
#include <stdint.h>
#include "odv_handoff.h"

enum gv_phase {
	PH_FREEZE, PH_DETACH, PH_SNAPSHOT, PH_READ, PH_LOAD, PH_DRAIN, PH_KEXEC, PH_HV_START, PH_PLACE,
	PH_VMX, PH_LAUNCH, PH_RESUME, PH_THAW, PH_ATTACH, PH_N
};

/* The stamps in time order; 0 where a phase did not happen (a native resume has no VMX setup). */
struct gv_stamps {
	uint64_t start, frozen, detached;     /* before the snapshot: in the image */
	uint64_t agent[ODV_TSC_AGENT_N];      /* snapshot, read, loaded, reboot: through odv-hv */
	uint64_t hv[ODV_TSC_HV_N];            /* odv-hv's: the handoff result */
	uint64_t back, thawed, attached;      /* after the resume */
};

/* Seconds of each phase (from the last stamp before it that exists), or -1
 * where its end stamp is missing or earlier than its start. */
void phases_compute(const struct gv_stamps *s, double tsc_hz, double out[PH_N]);
/* Its name in --json and the summary ("freeze", "place_pages", ...). */
const char *phase_name(enum gv_phase p);

#endif
