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
#include "cli.h"
#include "json.h"
#include "odv.h"
#include "devices.h"

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

static bool replug_option(void *ctx, int argc, char **argv, int *i)
{
	if (strcmp(argv[*i], "--finish"))
		return false;
	*(bool *)ctx = true;
	return true;
}

/* What replug reports: the switch, and what was there before it. */
struct replug_result {
	const struct devswitch *w;
	const struct devstate *s;
	const struct dm_info *dm;
	dev_t old_disk;
	const char *old_nic;
	bool finish;
	double total;
};

static void replug_json(const struct replug_result *r)
{
	const struct devswitch *w = r->w;
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "result", w->nic_removed_ok ? "ok" : "nic-not-removed");
	json_string(&j, "disk", w->disk);
	json_stringf(&j, "disk_dev", "%u:%u", major(w->disk_dev), minor(w->disk_dev));
	json_stringf(&j, "old_disk_dev", "%u:%u", major(r->old_disk), minor(r->old_disk));
	json_string(&j, "dm_table", r->dm->table);
	json_string(&j, "nic", w->new_nic);
	json_string(&j, "old_nic", r->old_nic);
	json_fixed(&j, "suspended_s", w->suspended_s, 6);
	json_fixed(&j, "longest_suspended_s", r->s->longest_suspend_s, 6);
	json_fixed(&j, "total_s", r->total, 6);
	devswitch_json_parts(w, &j);
	json_end_object(&j);
}

static void replug_text(const struct replug_result *r)
{
	const struct devswitch *w = r->w;
	const struct devstate *s = r->s;
	unsigned dmaj = major(w->disk_dev), dmin = minor(w->disk_dev);
	if (r->finish && !w->was_suspended)
		printf("replug: disk unchanged: %s (%u:%u); %s table %s\n", w->disk, dmaj, dmin, s->dm_name, r->dm->table);
	else
		printf("replug: disk found again: %s (%u:%u, was %u:%u); %s table now %s\n", w->disk, dmaj, dmin,
		       major(r->old_disk), minor(r->old_disk), s->dm_name, r->dm->table);
	printf("replug: NIC found again: %s (MAC %s, was %s), active slave of %s\n", w->new_nic, s->nic_mac, r->old_nic,
	       s->bond);
	printf("replug: times:");
	for (int i = 0; i < w->nparts; i++)
		printf(" %s %.3f s%s", w->part[i].what, w->part[i].s, i + 1 < w->nparts ? "," : "\n");
	printf("replug: done in %.3f s; %s was suspended for %.3f s (longest so far %.3f s)\n", r->total, s->dm_name,
	       w->suspended_s, s->longest_suspend_s);
}

int cmd_replug(int argc, char **argv)
{
	bool finish = false;
	static const struct cli_cmd cmd = {
		.name = "replug", .option = replug_option,
		.help = "usage: odv replug [--json] [--finish]\n"
			"Natively, what go-native does after odv-hv has left, on the same physical\n"
			"devices: suspend the dm device, remove the disk controller's and the NIC's PCI\n"
			"functions, rescan PCI, find the disk again by filesystem UUID and put the dm\n"
			"device onto it, resume, find the NIC again by MAC and make it the bond's active\n"
			"slave. Prints each part's time and how long the dm device was suspended.\n"
			"--finish: only the second half (rescan, find, reload, resume, enslave), to\n"
			"finish a replug (or a go-virtual / go-native) that stopped because a device\n"
			"did not come back.\n"
			"Needs odv prepare first.\n",
	};
	int rc = cli_options(&cmd, &finish, argc, argv);
	if (rc >= 0)
		return rc;
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
	char old_nic[16];
	snprintf(old_nic, sizeof(old_nic), "%s", s.nic);
	struct replug_result r = { .w = &w, .s = &s, .dm = &dm, .old_disk = w.old_disk, .old_nic = old_nic,
				   .finish = finish };

	if (!finish && devswitch_detach(&w, &s, why, sizeof(why)))
		return fail("%s", why);
	if (devswitch_attach(&w, &s, why, sizeof(why)))
		return fail("%s", why);
	r.total = devswitch_now() - w.t0;

	/* Record where things are now (the filesystem is live again). */
	if (devswitch_record(&w, &s, true, why, sizeof(why)))
		fprintf(stderr, "odv replug: %s (the devices are switched; the record is stale)\n", why);
	dm_status(s.dm_name, &dm);
	if (opt_json)
		replug_json(&r);
	else
		replug_text(&r);
	fflush(stdout);
	munlockall();
	return w.nic_removed_ok ? EXIT_OK : EXIT_FAIL;
}
