/* go-virtual's preconditions (check.c): the list odv check prints, and the
 * facts it finds, from which go-virtual goes on. */
#ifndef ODV_PRECONDITIONS_H
#define ODV_PRECONDITIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devices.h"
#include "hv.h"
#include "snapframes_io.h"
#include "sysfacts.h"

/* What the preconditions found (check.c), for go-virtual to go on from. */
struct preconditions {
	bool image_copy;             /* in: copy the image, do not use the snapshot's frames */
	struct reservation res;
	struct odv_handoff_mem fw[ODV_HANDOFF_MAX_MEM];   /* the firmware memory map, if res.found */
	int nfw;
	struct hv_image hv;          /* loaded if hv_ok (freed by a refusal) */
	bool hv_ok;
	uint64_t acpi_rsdp;          /* the EFI system table's RSDP, 0 if none (not UEFI) */
	bool devices;                /* prepared, and odv-hv can take them over: */
	struct devswitch sw;         /* ... devswitch_begin done (who "check") */
	struct devstate ds;
	struct dm_info dm;
	char hv_args[128];           /* ... odv-hv's arguments for them */
	bool direct;                 /* the image can stay in the snapshot's frames: */
	struct snapframes sf;        /* ... found through these (open) */
};
/* go-virtual's preconditions (the list odv check prints): EXIT_OK, or
 * EXIT_PRECONDITION with each failed one printed as "odv WHO: precondition ...". */
int preconditions_refuse(const char *who, const char *hv_path, bool with_devices, struct preconditions *pc);
#endif
