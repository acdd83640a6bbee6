/*
 * odv replug: natively, exactly the device switch go-native does once odv-hv
 * has left, on the same physical devices (a test and a diagnostic):
 *   suspend the dm device (flush, filesystem frozen, later I/O queued);
 *   release the NIC from the bond; remove the disk controller's and the NIC's
 *   PCI functions (sysfs remove); PCI rescan;
 *   find the disk again by its filesystem UUID, load a linear table onto it,
 *   resume (queued I/O goes to the disk found again);
 *   find the NIC again by its MAC, enslave it, make it the active slave.
 * The two halves are devswitch_detach and devswitch_attach (devswitch.c, which
 * also says what the agent may and may not do while the dm device is suspended).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include "odv.h"

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "odv replug: %s\n", msg);
	return EXIT_FAIL;
}

int cmd_replug(int argc, char **argv)
{
	bool finish = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) opt_json = true;
		else if (!strcmp(argv[i], "--finish")) finish = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: odv replug [--json] [--finish]\n"
			       "Natively, what go-native does after odv-hv has left, on the same physical\n"
			       "devices: suspend the dm device, remove the disk controller's and the NIC's PCI\n"
			       "functions, rescan PCI, find the disk again by filesystem UUID and put the dm\n"
			       "device onto it, resume, find the NIC again by MAC and make it the bond's active\n"
			       "slave. Prints each part's time and how long the dm device was suspended.\n"
			       "--finish: only the second half (rescan, find, reload, resume, enslave), to\n"
			       "finish a replug (or a go-virtual / go-native) that stopped because a device\n"
			       "did not come back.\n"
			       "Needs odv prepare first.\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "odv replug: unknown option '%s' (try --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (geteuid() != 0)
		return fail("must run as root; nothing changed");
	static struct devstate s;
	static struct devswitch w;
	char why[512];
	if (devstate_load(&s, why, sizeof(why)))
		return fail("%s", why);
	struct dm_info dm;
	if (devswitch_open(&w, "replug", &s, finish, &dm, why, sizeof(why)))
		return fail("%s", why);
	w.finish = finish;
	dev_t old_disk = w.old_disk;
	char old_nic[16];
	snprintf(old_nic, sizeof(old_nic), "%s", s.nic);

	if (!finish && devswitch_detach(&w, &s, why, sizeof(why)))
		return fail("%s", why);
	if (devswitch_attach(&w, &s, why, sizeof(why)))
		return fail("%s", why);
	double total = devswitch_now() - w.t0;

	/* Record where things are now (the filesystem is live again). */
	if (devswitch_record(&w, &s, true, why, sizeof(why)))
		fprintf(stderr, "odv replug: %s (the devices are switched; the record is stale)\n", why);
	dm_status(s.dm_name, &dm);

	const char *disk = w.disk, *nic = w.new_nic;
	dev_t disk_dev = w.disk_dev;
	double suspended = w.suspended_s;
	if (opt_json) {
		printf("{\"result\":\"%s\",\"disk\":\"%s\",\"disk_dev\":\"%u:%u\",\"old_disk_dev\":\"%u:%u\",\"dm_table\":\"%s\","
		       "\"nic\":\"%s\",\"old_nic\":\"%s\",\"suspended_s\":%.6f,\"longest_suspended_s\":%.6f,\"total_s\":%.6f,\"parts\":{",
		       w.nic_removed_ok ? "ok" : "nic-not-removed", disk, major(disk_dev), minor(disk_dev), major(old_disk),
		       minor(old_disk), dm.table, nic, old_nic, suspended, s.longest_suspend_s, total);
		for (int i = 0; i < w.nparts; i++)
			printf("%s\"%s\":%.6f", i ? "," : "", w.part[i].what, w.part[i].s);
		printf("}}\n");
	} else {
		if (finish && !w.was_suspended)
			printf("replug: disk unchanged: %s (%u:%u); %s table %s\n", disk, major(disk_dev), minor(disk_dev),
			       s.dm_name, dm.table);
		else
			printf("replug: disk found again: %s (%u:%u, was %u:%u); %s table now %s\n", disk, major(disk_dev),
			       minor(disk_dev), major(old_disk), minor(old_disk), s.dm_name, dm.table);
		printf("replug: NIC found again: %s (MAC %s, was %s), active slave of %s\n", nic, s.nic_mac, old_nic, s.bond);
		printf("replug: times:");
		for (int i = 0; i < w.nparts; i++)
			printf(" %s %.3f s%s", w.part[i].what, w.part[i].s, i + 1 < w.nparts ? "," : "\n");
		printf("replug: done in %.3f s; %s was suspended for %.3f s (longest so far %.3f s)\n", total, s.dm_name,
		       suspended, s.longest_suspend_s);
	}
	fflush(stdout);
	munlockall();
	return w.nic_removed_ok ? EXIT_OK : EXIT_FAIL;
}
