/*
 * The device switch under the virtual devices (dm-linear over the disk,
 * active-backup bond over the NIC), in two phases shared by three commands:
 *
 *   detach: suspend the dm device (flush, filesystem frozen, later I/O
 *           queued); release the NIC from the bond; remove the disk's and the
 *           NIC's PCI functions (sysfs remove).
 *   attach: PCI rescan; find the disk by its filesystem UUID, whatever drives
 *           it now (sdX behind ata_piix, vdX behind virtio_blk), load a linear
 *           table onto it and resume (the queued I/O goes to it); find the NIC
 *           by its MAC, whatever drives it (e1000, or virtio_net, which odv-hv
 *           gives the same MAC), enslave it and make it the active slave.
 *
 *   odv replug:     detach + attach natively, on the same physical devices;
 *   odv go-virtual: detach the physical functions (odv-hv takes them over),
 *                   snapshot, kexec odv-hv, and attach once the system is back:
 *                   under odv-hv the rescan finds odv-hv's virtio functions,
 *                   after a fail-safe native resume the physical ones again;
 *   odv go-native:  detach the virtio functions, devirtualize, attach: the
 *                   rescan finds the physical functions odv-hv let go of (or
 *                   the virtio ones again if odv-hv refused).
 *
 * While the dm device is suspended nothing may touch a filesystem that could
 * sit on it (it would wait for the resume that only we can do): the state
 * file is read before the suspend and written after the resume; between them
 * the agent only opens /sys and /dev paths (devswitch_open checks that /dev
 * and our stdio are not on the dm device), uses static buffers (dm.c, bond.c,
 * devices.c list directories with getdents64, no opendir/realpath/stdio),
 * prints progress with one write(2) per line, and is locked in memory
 * (mlockall), so neither its code nor its data needs a page read from a
 * suspended disk. Reclaim blocking on the suspended device is not guarded
 * against beyond that. Times are TSC seconds (devswitch_now), which keep
 * counting across a conversion; the kernel's clocks treat that gap as sleep.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "cli.h"
#include "json.h"
#include "devices.h"
#include "hv.h"
#include "watchdog.h"

double devswitch_now(void)
{
	return (double)rdtsc() / tsc_hz();
}

/* Close one timed part: record it and print a progress line with its time. */
static void part_done(struct devswitch *w, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void part_done(struct devswitch *w, const char *what, const char *fmt, ...)
{
	double now = devswitch_now(), dt = now - w->t_mark;
	w->t_mark = now;
	if (w->nparts < DEVSWITCH_MAX_PARTS) {
		w->part[w->nparts].what = what;
		w->part[w->nparts].s = dt;
		w->nparts++;
	}
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress("%s: %s (%.1f ms)", w->who, msg, dt * 1e3);
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* Nothing we write to while suspended may sit on the dm device. */
static int check_not_on(dev_t dm, char *why, size_t wl)
{
	struct stat st;
	static const char *names[] = { "standard input", "standard output", "standard error" };
	for (int fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == dm && !S_ISCHR(st.st_mode)) {
			snprintf(why, wl, "%s is a file on the dm device's filesystem: it would block while the device "
				 "is suspended; redirect it elsewhere (e.g. /run or a terminal)", names[fd]);
			return -1;
		}
	if (stat("/dev", &st) == 0 && st.st_dev == dm) {
		snprintf(why, wl, "/dev is on the dm device's filesystem (mount devtmpfs on /dev)");
		return -1;
	}
	return 0;
}

int devswitch_open(struct devswitch *w, const char *who, const struct devstate *s, bool allow_suspended,
		   struct dm_info *dm, char *why, size_t wl)
{
	memset(w, 0, sizeof(*w));
	w->who = who;
	if (dm_open_control(why, wl))
		return -1;
	int rc = dm_status(s->dm_name, dm);
	if (rc) {
		snprintf(why, wl, "dm device %s: %s", s->dm_name, strerror(-rc));
		return -1;
	}
	if (!dm->is_linear) {
		snprintf(why, wl, "dm device %s has no linear table (%s)", s->dm_name, dm->table[0] ? dm->table : "empty");
		return -1;
	}
	if (dm->suspended && !allow_suspended) {
		snprintf(why, wl, "dm device %s is suspended already (an unfinished %s? run odv replug --finish)",
			 s->dm_name, who);
		return -1;
	}
	if (check_not_on(dm->dev, why, wl)) {
		size_t l = strlen(why);
		snprintf(why + l, wl - l, "; nothing changed");
		return -1;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		progress("%s: warning: mlockall: %s (continuing unlocked)", who, strerror(errno));
	tsc_hz();   /* calibrated now, while nothing is suspended */
	w->old_disk = dm->linear_dev;
	w->was_suspended = dm->suspended;
	snprintf(w->nic, sizeof(w->nic), "%s", s->nic);
	snprintf(w->disk_pci, sizeof(w->disk_pci), "%s", s->disk_pci);
	snprintf(w->nic_pci, sizeof(w->nic_pci), "%s", s->nic_pci);
	w->t0 = w->t_mark = w->t_susp = devswitch_now();
	w->nic_removed_ok = true;
	return 0;
}

int devswitch_live_pci(struct devswitch *w, const struct devstate *s, const struct dm_info *dm, char *why, size_t wl)
{
	char p[128], bdf[32], active[32] = "";
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dm->linear_dev), minor(dm->linear_dev));
	if (pci_of_sysfs(p, bdf, sizeof(bdf))) {
		snprintf(why, wl, "the disk under %s (%u:%u) is not on a PCI function", s->dm_name, major(dm->linear_dev),
			 minor(dm->linear_dev));
		return -1;
	}
	snprintf(w->disk_pci, sizeof(w->disk_pci), "%s", bdf);
	bond_active_slave(s->bond, active, sizeof(active));
	if (!active[0]) {
		/* no active slave (link down?): the recorded slave, if it is one */
		snprintf(p, sizeof(p), "/sys/class/net/%s/bonding_slave", s->nic);
		if (access(p, F_OK)) {
			snprintf(why, wl, "%s has no active slave (and %s is not its slave)", s->bond, s->nic);
			return -1;
		}
		snprintf(active, sizeof(active), "%s", s->nic);
	}
	snprintf(w->nic, sizeof(w->nic), "%s", active);
	/* The interface's own link holds the whole path (.../0000:00:05.0/virtio2/net/eth0);
	 * its device link does not for virtio (../../../virtio2). */
	snprintf(p, sizeof(p), "/sys/class/net/%s", active);
	if (pci_of_sysfs(p, bdf, sizeof(bdf))) {
		snprintf(why, wl, "%s's active slave %s is not on a PCI function", s->bond, active);
		return -1;
	}
	snprintf(w->nic_pci, sizeof(w->nic_pci), "%s", bdf);
	if (!strcmp(w->disk_pci, w->nic_pci)) {
		snprintf(why, wl, "the disk and the NIC share PCI function %s", w->disk_pci);
		return -1;
	}
	return 0;
}

/* Is s "N" or "N:N:N:N" made of decimal numbers only? Fills up to 4 of them. */
static int numbers(const char *s, size_t len, unsigned *v, int max)
{
	int n = 0;
	size_t i = 0;
	while (i < len && n < max) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned x = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			x = x * 10 + (unsigned)(s[i++] - '0');
		v[n++] = x;
		if (i < len && s[i++] != ':')
			return -1;
		if (i == len && s[len - 1] == ':')
			return -1;
	}
	return i == len ? n : -1;
}

/* The last component of path, truncated to fit. */
static void last_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(b) < n - 1 ? strlen(b) : n - 1;
	memcpy(out, b, len);
	out[len] = 0;
}

static void driver_of(const char *devdir, char *out, size_t n)
{
	char p[160], link[256];
	snprintf(p, sizeof(p), "%s/driver", devdir);
	ssize_t k = readlink(p, link, sizeof(link) - 1);
	if (k <= 0) {
		snprintf(out, n, "none");
		return;
	}
	link[k] = 0;
	last_name(link, out, n);
}

/* Where libata put a disk: its ataN port and SCSI address, from its sysfs path
 * (../../devices/pci0000:00/0000:00:01.1/ata1/host0/target0:0:1/0:0:1:0/block/sda[/sda1]).
 * 0, or -1 if it is not an ATA disk. */
static int ata_address(const char *link, unsigned *port, unsigned hctl[4])
{
	bool have_port = false, have_hctl = false;
	for (const char *c = link; c && *c;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);
		unsigned v[4];
		if (len > 3 && !strncmp(c, "ata", 3) && numbers(c + 3, len - 3, v, 1) == 1) {
			*port = v[0];
			have_port = true;
		} else if (have_port && numbers(c, len, v, 4) == 4) {
			memcpy(hctl, v, 4 * sizeof(unsigned));
			have_hctl = true;
		}
		c = slash ? slash + 1 : NULL;
	}
	return have_port && have_hctl ? 0 : -1;
}

/* The disk under the dm device as odv-hv can take it over: master or slave of
 * the primary channel of a legacy-mode IDE controller. *slave set; 0 or -1 + why. */
static int hv_disk_arg(const struct devswitch *w, const struct dm_info *dm, bool *slave, char *why, size_t wl)
{
	char p[128], link[512];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dm->linear_dev), minor(dm->linear_dev));
	ssize_t k = readlink(p, link, sizeof(link) - 1);
	if (k <= 0) {
		snprintf(why, wl, "the disk under the dm device (%u:%u) is gone from sysfs", major(dm->linear_dev),
			 minor(dm->linear_dev));
		return -1;
	}
	link[k] = 0;
	const char *name = strrchr(link, '/') + 1;
	unsigned port = 0, hctl[4];
	if (ata_address(link, &port, hctl)) {
		snprintf(why, wl, "the disk under the dm device (%s) is not an ATA disk (odv-hv can take over only an "
			 "IDE disk: disk=ata0-master|ata0-slave)", name);
		return -1;
	}
	char cls[32] = "";
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/class", w->disk_pci);
	sysfs_read(p, cls, sizeof(cls));
	unsigned long c = strtoul(cls, NULL, 16);
	if ((c >> 8) != 0x0101 || (c & 1)) {
		snprintf(why, wl, "the disk %s hangs off %s (class %s), not an IDE controller with its primary channel in "
			 "legacy mode, the only disk odv-hv can take over", name, w->disk_pci, cls[0] ? cls : "?");
		return -1;
	}
	/* ataN counts every port libata ever registered (a replug makes ata3, ata4, ...);
	 * port_no is the port's place on its controller, 1 = the primary channel. */
	char pn[16] = "";
	unsigned channel = port;
	snprintf(p, sizeof(p), "/sys/class/ata_port/ata%u/port_no", port);
	if (sysfs_read(p, pn, sizeof(pn)) == 0 && pn[0])
		channel = (unsigned)strtoul(pn, NULL, 10);
	if (channel != 1) {
		snprintf(why, wl, "the disk %s is on the %s IDE channel (ata%u, port %u of %s): odv-hv takes over the "
			 "primary channel only (disk=ata0-master|ata0-slave)", name, channel == 2 ? "secondary" : "another",
			 port, channel, w->disk_pci);
		return -1;
	}
	if (hctl[1] != 0 || hctl[2] > 1 || hctl[3] != 0) {
		snprintf(why, wl, "the disk %s is at SCSI address %u:%u:%u:%u, not a master or slave of an IDE channel",
			 name, hctl[0], hctl[1], hctl[2], hctl[3]);
		return -1;
	}
	*slave = hctl[2] != 0;
	return 0;
}

/* The NIC: the bond's active slave; odv-hv drives an e1000 in PCI segment 0 only. 0 or -1 + why. */
static int hv_nic_ok(const struct devswitch *w, char *why, size_t wl)
{
	char p[128], drv[64];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", w->nic_pci);
	driver_of(p, drv, sizeof(drv));
	if (strcmp(drv, "e1000")) {
		snprintf(why, wl, "the NIC %s (%s) is driven by %s: odv-hv can take over only an e1000", w->nic,
			 w->nic_pci, drv);
		return -1;
	}
	if (strncmp(w->nic_pci, "0000:", 5)) {
		snprintf(why, wl, "the NIC %s is in PCI segment %.4s: odv-hv knows segment 0000 only", w->nic_pci, w->nic_pci);
		return -1;
	}
	return 0;
}

int devswitch_hv_args(const struct devswitch *w, const struct dm_info *dm, char *out, size_t n, char *why, size_t wl)
{
	bool slave;
	if (hv_disk_arg(w, dm, &slave, why, wl) || hv_nic_ok(w, why, wl))
		return -1;
	if ((size_t)snprintf(out, n, "disk=ata0-%s nic=%s", slave ? "slave" : "master", w->nic_pci + 5) >= n) {
		snprintf(why, wl, "odv-hv's arguments do not fit in %zu bytes", n);
		return -1;
	}
	return 0;
}

int devswitch_detach(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	int rc;
	w->nparts = 0;
	progress("%s: suspending %s (linear over %u:%u): flush, freeze its filesystem, queue later I/O", w->who,
		 s->dm_name, major(w->old_disk), minor(w->old_disk));
	w->t_susp = w->t_mark = devswitch_now();
	rc = dm_suspend(s->dm_name);
	if (rc) {
		snprintf(why, wl, "cannot suspend %s: %s; nothing changed", s->dm_name, strerror(-rc));
		return -1;
	}
	part_done(w, "suspend", "%s suspended", s->dm_name);
	rc = bond_release(s->bond, w->nic);
	if (rc) {
		dm_resume(s->dm_name);
		snprintf(why, wl, "cannot release %s from %s: %s; %s resumed, nothing changed", w->nic, s->bond,
			 strerror(-rc), s->dm_name);
		return -1;
	}
	part_done(w, "release", "%s released from %s", w->nic, s->bond);
	rc = pci_remove(w->disk_pci);
	if (rc) {
		dm_resume(s->dm_name);
		bond_enslave(s->bond, w->nic);
		bond_set_active(s->bond, w->nic);
		snprintf(why, wl, "cannot remove the disk controller %s: %s; %s resumed and %s enslaved again", w->disk_pci,
			 strerror(-rc), s->dm_name, w->nic);
		return -1;
	}
	part_done(w, "remove-disk", "disk controller %s removed", w->disk_pci);
	rc = pci_remove(w->nic_pci);
	if (rc) {
		w->nic_removed_ok = false;
		progress("%s: cannot remove the NIC's PCI function %s: %s (going on)", w->who, w->nic_pci, strerror(-rc));
	}
	part_done(w, "remove-nic", "NIC %s removed", w->nic_pci);
	w->detached = true;
	return 0;
}

/* The disk found again by its filesystem UUID and its size (up to 30 s: its
 * driver probes asynchronously), or with --finish the table's own device if it
 * is still there with that filesystem. Two disks that match are refused: the
 * dm table must not land on a copy. 0, or -1 with why. */
static int attach_find_disk(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	int rc = -ENOENT;
	if (w->finish)
		rc = disk_has_uuid(w->old_disk, s->fs_uuid, w->disk, sizeof(w->disk));
	for (int i = 0; rc && i < 1500 && !step_expired(); i++) {
		rc = find_disk_by_uuid(s->fs_uuid, s->sectors, s->disk_serial, w->old_disk, w->disk, sizeof(w->disk),
				       &w->disk_dev);
		if (rc != -ENOENT)
			break;
		sleep_ms(20);
	}
	if (rc) {
		char uuid[40];
		uuid_str(s->fs_uuid, uuid, sizeof(uuid));
		fprintf(stderr, "odv %s: %s stays suspended (its filesystem frozen): run odv replug --finish "
				"once the disk is back\n", w->who, s->dm_name);
		snprintf(why, wl, "no disk with filesystem UUID %s, %llu sectors%s%s%s came back: %s", uuid,
			 (unsigned long long)s->sectors, s->disk_serial[0] ? " and serial \"" : "", s->disk_serial,
			 s->disk_serial[0] ? "\"" : "", rc == -ENOTUNIQ ? "several disks match" : strerror(-rc));
		return -1;
	}
	char ser[24], sys[64];
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(w->disk_dev), minor(w->disk_dev));
	disk_serial(sys, ser, sizeof(ser));
	part_done(w, "find-disk", "disk found again by filesystem UUID: %s (%u:%u), serial %s%s%s", w->disk,
		  major(w->disk_dev), minor(w->disk_dev), ser[0] ? "\"" : "", ser[0] ? ser : "none shown",
		  ser[0] ? "\"" : "");
	return 0;
}

/* The dm device onto the disk found again (large enough), and resumed. 0, or -1 with why. */
static int attach_reload_resume(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	char sizep[128], sz[32];
	snprintf(sizep, sizeof(sizep), "/sys/dev/block/%u:%u/size", major(w->disk_dev), minor(w->disk_dev));
	if (sysfs_read(sizep, sz, sizeof(sz)) == 0 && strtoull(sz, NULL, 10) < s->sectors) {
		fprintf(stderr, "odv %s: %s stays suspended\n", w->who, s->dm_name);
		snprintf(why, wl, "%s has %s sectors, fewer than the %llu the dm device maps", w->disk, sz,
			 (unsigned long long)s->sectors);
		return -1;
	}
	int rc = dm_reload_linear(s->dm_name, w->disk_dev, s->sectors);
	if (rc) {
		fprintf(stderr, "odv %s: %s stays suspended (run odv replug --finish)\n", w->who, s->dm_name);
		snprintf(why, wl, "cannot load a table onto %s: %s", w->disk, strerror(-rc));
		return -1;
	}
	rc = dm_resume(s->dm_name);
	if (rc) {
		fprintf(stderr, "odv %s: %s stays suspended (run odv replug --finish)\n", w->who, s->dm_name);
		snprintf(why, wl, "cannot resume %s: %s", s->dm_name, strerror(-rc));
		return -1;
	}
	w->suspended_s = devswitch_now() - w->t_susp;
	part_done(w, "reload-resume", "%s now linear over %s, resumed: suspended for %.3f s", s->dm_name, w->disk,
		  w->suspended_s);
	return 0;
}

/* The NIC found again by its MAC (up to 30 s for its driver), enslaved and active. 0, or -1 with why. */
static int attach_nic(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	int rc = -ENOENT;
	for (int i = 0; i < 1500 && !step_expired(); i++) {
		rc = find_nic_by_mac(s->nic_mac, w->new_nic, sizeof(w->new_nic));
		if (rc != -ENOENT)
			break;
		sleep_ms(20);
	}
	if (rc) {
		snprintf(why, wl, "no NIC with MAC %s came back: %s (the filesystem is back on %s; bond %s has no slave)",
			 s->nic_mac, rc == -ENOTUNIQ ? "several carry it" : strerror(-rc), w->disk, s->bond);
		return -1;
	}
	part_done(w, "find-nic", "NIC found again by MAC %s: %s", s->nic_mac, w->new_nic);
	char slavep[128];
	snprintf(slavep, sizeof(slavep), "/sys/class/net/%s/bonding_slave", w->new_nic);
	if (access(slavep, F_OK) && (rc = bond_enslave(s->bond, w->new_nic))) {
		snprintf(why, wl, "cannot enslave %s to %s: %s", w->new_nic, s->bond, strerror(-rc));
		return -1;
	}
	part_done(w, "enslave", "%s enslaved to %s", w->new_nic, s->bond);
	rc = bond_set_active(s->bond, w->new_nic);
	if (rc) {
		snprintf(why, wl, "%s did not become %s's active slave: %s", w->new_nic, s->bond,
			 rc == -ENOLINK ? "its link stayed down for 10 s" : strerror(-rc));
		return -1;
	}
	part_done(w, "active", "%s is %s's active slave", w->new_nic, s->bond);
	return 0;
}

int devswitch_attach(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	w->t_mark = devswitch_now();
	if (!w->detached)
		w->t_susp = w->t_mark;   /* --finish: the suspension's start is unknown, count from now */
	int rc = pci_rescan();
	if (rc)
		progress("%s: PCI rescan: %s (going on)", w->who, strerror(-rc));
	part_done(w, "rescan", "PCI rescan");

	/* With --finish and a live table there is nothing to do for the disk. */
	w->disk_dev = w->old_disk;
	w->suspended_s = 0;
	if (w->finish && !w->was_suspended) {
		snprintf(w->disk, sizeof(w->disk), "%s", s->disk);
		progress("%s: %s is live (linear over %u:%u): the disk needs nothing", w->who, s->dm_name,
			 major(w->old_disk), minor(w->old_disk));
	} else if (attach_find_disk(w, s, why, wl) || attach_reload_resume(w, s, why, wl)) {
		return -1;
	}
	return attach_nic(w, s, why, wl);
}

/*
 * Where go-virtual, go-native and odv check start: the recorded state, the dm
 * device open and checked (not suspended), and the PCI functions under it now.
 */
int devswitch_begin(struct devswitch *w, const char *who, struct devstate *s, struct dm_info *dm,
		    char *why, size_t wl)
{
	if (devstate_load(s, why, wl) || devswitch_open(w, who, s, false, dm, why, wl) ||
	    devswitch_live_pci(w, s, dm, why, wl))
		return -1;
	return 0;
}

/*
 * The attach half of a conversion, then the record of where the devices are
 * now. A record that cannot be written only warns: the devices are switched.
 * 0, or -1 with why (the attach failed).
 */
int devswitch_attach_record(struct devswitch *w, struct devstate *s, char *why, size_t wl)
{
	if (devswitch_attach(w, s, why, wl))
		return -1;
	char rwhy[512];
	if (devswitch_record(w, s, false, rwhy, sizeof(rwhy)))
		fprintf(stderr, "odv %s: %s (the devices are switched; the record is stale)\n", w->who, rwhy);
	return 0;
}

int devswitch_record(const struct devswitch *w, struct devstate *s, bool replug, char *why, size_t wl)
{
	snprintf(s->disk, sizeof(s->disk), "%s", w->disk);
	s->disk_dev = w->disk_dev;
	char p[128], bdf[32];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(w->disk_dev), minor(w->disk_dev));
	if (pci_of_sysfs(p, bdf, sizeof(bdf)) == 0)
		snprintf(s->disk_pci, sizeof(s->disk_pci), "%s", bdf);
	snprintf(s->nic, sizeof(s->nic), "%s", w->new_nic);
	snprintf(p, sizeof(p), "/sys/class/net/%s", w->new_nic);
	if (pci_of_sysfs(p, bdf, sizeof(bdf)) == 0)
		snprintf(s->nic_pci, sizeof(s->nic_pci), "%s", bdf);
	if (replug)
		s->replugs++;
	if (w->suspended_s > s->longest_suspend_s)
		s->longest_suspend_s = w->suspended_s;
	return devstate_save(s, why, wl);
}

/* What the devices look like now, for go-virtual's and go-native's reports. */
struct devnow { struct dm_info dm; char under[64], active[32], driver[64]; };

static void devices_now(const struct devstate *s, struct devnow *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->under, sizeof(d->under), "?");
	if (dm_status(s->dm_name, &d->dm) == 0 && d->dm.is_linear) {
		char p[64], link[512];
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(d->dm.linear_dev), minor(d->dm.linear_dev));
		ssize_t k = readlink(p, link, sizeof(link) - 1);
		if (k > 0) {
			link[k] = 0;
			last_name(link, d->under, sizeof(d->under));
		}
	}
	bond_active_slave(s->bond, d->active, sizeof(d->active));
	char p[96];
	snprintf(p, sizeof(p), "/sys/class/net/%s/device", d->active);
	if (d->active[0])
		driver_of(p, d->driver, sizeof(d->driver));
	else
		snprintf(d->driver, sizeof(d->driver), "none");
}

void devswitch_report(const struct devswitch *w, const struct devstate *s, bool ok, struct json *j)
{
	struct devnow d;
	devices_now(s, &d);
	const char *state = !d.dm.exists ? "missing" : d.dm.suspended ? "suspended" : "live";
	if (j) {
		json_begin_object(j, "devices");
		json_string(j, "result", ok ? "ok" : "failed");
		json_string(j, "dm", s->dm_name);
		json_string(j, "dm_state", state);
		json_string(j, "dm_table", d.dm.table);
		json_string(j, "table_device", d.under);
		json_string(j, "bond", s->bond);
		json_string(j, "active_slave", d.active);
		json_string(j, "nic_driver", d.driver);
		json_fixed(j, "suspended_s", w->suspended_s, 6);
		json_fixed(j, "longest_suspend_s", s->longest_suspend_s, 6);
		devswitch_json_parts(w, j);
		json_end_object(j);
		return;
	}
	printf("devices: %s %s, table %s (%s); %s's active slave %s (%s)\n", s->dm_name, state, d.dm.table, d.under,
	       s->bond, d.active[0] ? d.active : "none", d.driver);
	if (ok)
		printf("devices: %s was suspended for %.3f s (longest so far %.3f s)\n", s->dm_name, w->suspended_s,
		       s->longest_suspend_s);
}

void devswitch_json_parts(const struct devswitch *w, struct json *j)
{
	json_begin_object(j, "parts");
	for (int i = 0; i < w->nparts; i++)
		json_fixed(j, w->part[i].what, w->part[i].s, 6);
	json_end_object(j);
}
