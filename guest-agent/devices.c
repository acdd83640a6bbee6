/*
 * Virtual devices, the agent half: `odv prepare` puts the data filesystem's
 * disk under a device-mapper linear device and the NIC under an active-backup
 * bond (so both can be swapped underneath a mounted filesystem and open TCP
 * connections), `odv devices` shows what was set up, and the helpers the
 * switch uses to find the disk and NIC again after their PCI functions came
 * back: by filesystem UUID and by MAC.
 *
 * The finders run while the dm device is suspended: they list directories
 * with getdents64 into a static buffer and read links with readlink (no
 * opendir/realpath, which allocate), and touch only /sys and /dev.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include "cli.h"
#include "json.h"
#include "odv.h"
#include "devices.h"
#include "sysfacts.h"

double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void uuid_str(const uint8_t u[16], char *out, size_t n)
{
	snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int uuid_parse(const char *s, uint8_t u[16])
{
	int k = 0;
	for (; *s && k < 32; s++) {
		if (*s == '-')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (k % 2 == 0)
			u[k / 2] = (uint8_t)(v << 4);
		else
			u[k / 2] |= (uint8_t)v;
		k++;
	}
	return k == 32 ? 0 : -1;
}

/* ---- directory listing without malloc ---- */

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Call cb for each entry of dir (not . and ..); cb returns nonzero to stop. */
static int dir_each(const char *dir, int (*cb)(const char *name, void *arg), void *arg)
{
	static char buf[16384];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int stop = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n && !stop;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				stop = cb(d->d_name, arg);
		}
		if (stop)
			break;
	}
	close(fd);
	return 0;
}

/* ---- PCI ---- */

static bool is_bdf(const char *s, size_t len)
{
	/* DDDD:BB:DD.F */
	if (len != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.' || s[11] < '0' || s[11] > '7')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The PCI function closest to the device a sysfs link points into (the last
 * DDDD:BB:DD.F component of the link text). 0, or -ENODEV if none. */
int pci_of_sysfs(const char *sysfs_link, char *bdf, size_t n)
{
	char target[512];
	ssize_t k = readlink(sysfs_link, target, sizeof(target) - 1);
	if (k < 0)
		return -errno;
	target[k] = 0;
	const char *best = NULL;
	for (char *c = target; c && *c;) {
		char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);
		if (is_bdf(c, len))
			best = c;
		c = slash ? slash + 1 : NULL;
	}
	if (!best)
		return -ENODEV;
	snprintf(bdf, n, "%.12s", best);
	return 0;
}

int pci_remove(const char *bdf)
{
	char p[128];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/remove", bdf);
	if (access(p, F_OK))
		return -ENODEV;
	return sysfs_write(p, "1");
}

int pci_rescan(void)
{
	return sysfs_write("/sys/bus/pci/rescan", "1");
}

/* ---- disks ---- */

/* The ext2/3/4 superblock at byte 1024: magic 0xEF53 at 0x38, UUID at 0x68. */
int ext_fs_uuid(int fd, uint8_t uuid[16])
{
	uint8_t sb[256];
	if (pread(fd, sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb))
		return -EIO;
	if (sb[0x38] != 0x53 || sb[0x39] != 0xEF)
		return -EINVAL;
	memcpy(uuid, sb + 0x68, 16);
	return 0;
}

/* /dev/NAME for the block device maj:min, made if devtmpfs has not (yet). */
static int block_node(const char *name, dev_t dev, char *path, size_t n)
{
	struct stat st;
	snprintf(path, n, "/dev/%s", name);
	if (stat(path, &st) == 0)
		return S_ISBLK(st.st_mode) && st.st_rdev == dev ? 0 : -EEXIST;
	if (mknod(path, S_IFBLK | 0600, dev) && errno != EEXIST)
		return -errno;
	return 0;
}

static int read_devnum(const char *sysdir, dev_t *dev)
{
	char p[256], buf[32];
	unsigned maj, min;
	snprintf(p, sizeof(p), "%s/dev", sysdir);
	if (read_file(p, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -ENOENT;
	*dev = makedev(maj, min);
	return 0;
}

static int count_entry(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
	return 1;
}

void disk_serial(const char *sysdir, char *out, size_t n)
{
	char p[256];
	static uint8_t raw[512];
	out[0] = '\0';
	for (int up = 0; up < 2 && !out[0]; up++) {
		const char *parent = up ? "/.." : "";   /* a partition: its disk's attributes */
		snprintf(p, sizeof(p), "%s%s/serial", sysdir, parent);
		int k = read_file(p, (char *)raw, sizeof(raw));
		if (k > 0) {
			serial_clean(raw, (size_t)k, out, n);
			continue;
		}
		snprintf(p, sizeof(p), "%s%s/device/vpd_pg80", sysdir, parent);
		k = read_file(p, (char *)raw, sizeof(raw));
		if (k > 0)
			vpd80_serial(raw, (size_t)k, out, n);
	}
}

struct disk_search {
	const uint8_t *uuid;
	uint64_t sectors;           /* the disk's size when odv prepare recorded it */
	const char *serial;         /* ... and its serial ("" none) */
	dev_t exclude;
	int found;
	char path[64];
	dev_t dev;
};

static int disk_candidate(const char *name, void *arg)
{
	struct disk_search *q = arg;
	static const char *skip[] = { "dm-", "loop", "ram", "zram", "sr", "fd", "md", "nbd", NULL };
	for (int i = 0; skip[i]; i++)
		if (!strncmp(name, skip[i], strlen(skip[i])))
			return 0;
	char sys[160], p[200];
	dev_t dev;
	snprintf(sys, sizeof(sys), "/sys/class/block/%s", name);
	if (read_devnum(sys, &dev) || dev == q->exclude)
		return 0;
	/* The same disk has the same size: a copy of the filesystem on another disk is not it. */
	char sz[32];
	snprintf(p, sizeof(p), "%s/size", sys);
	if (sysfs_read(p, sz, sizeof(sz)) || strtoull(sz, NULL, 10) != q->sectors)
		return 0;
	int holders = 0;
	snprintf(p, sizeof(p), "%s/holders", sys);
	dir_each(p, count_entry, &holders);
	if (holders)
		return 0;
	char node[64];
	if (block_node(name, dev, node, sizeof(node)))
		return 0;
	int fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uint8_t u[16];
	int rc = ext_fs_uuid(fd, u);
	close(fd);
	if (rc || memcmp(u, q->uuid, 16))
		return 0;
	/* Where both show a serial it must be the same: a copy of the disk is not it. */
	char ser[24];
	disk_serial(sys, ser, sizeof(ser));
	if (q->serial[0] && ser[0] && strcmp(ser, q->serial))
		return 0;
	if (q->found++ == 0) {
		snprintf(q->path, sizeof(q->path), "%s", node);
		q->dev = dev;
	}
	return 0;
}

/* Is the block device dev still there, with that filesystem? Its node in path. */
int disk_has_uuid(dev_t dev, const uint8_t uuid[16], char *path, size_t n)
{
	char p[64], link[512];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t k = readlink(p, link, sizeof(link) - 1);
	if (k <= 0)
		return -ENOENT;
	link[k] = 0;
	const char *name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	char node[64];
	if (block_node(name, dev, node, sizeof(node)))
		return -ENOENT;
	int fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint8_t u[16];
	int rc = ext_fs_uuid(fd, u);
	close(fd);
	if (rc || memcmp(u, uuid, 16))
		return -ENOENT;
	snprintf(path, n, "%s", node);
	return 0;
}

/* A search that must find exactly one: 0, -ENOENT, -ENOTUNIQ, or the listing's error. */
static int one_found(int rc, int found)
{
	return rc ? rc : !found ? -ENOENT : found > 1 ? -ENOTUNIQ : 0;
}

int find_disk_by_uuid(const uint8_t uuid[16], uint64_t sectors, const char *serial, dev_t exclude, char *path,
		      size_t n, dev_t *dev)
{
	struct disk_search q = { .uuid = uuid, .sectors = sectors, .serial = serial ? serial : "", .exclude = exclude };
	int rc = dir_each("/sys/class/block", disk_candidate, &q);
	rc = one_found(rc, q.found);
	if (rc)
		return rc;
	snprintf(path, n, "%s", q.path);
	*dev = q.dev;
	return 0;
}

/* ---- NICs ---- */

struct nic_search { const char *mac; char name[16]; int found; };

static int nic_candidate(const char *name, void *arg)
{
	struct nic_search *q = arg;
	char p[200], mac[64];
	snprintf(p, sizeof(p), "/sys/class/net/%s/device", name);
	if (access(p, F_OK))
		return 0;   /* not a hardware device */
	snprintf(p, sizeof(p), "/sys/class/net/%s/bonding", name);
	if (access(p, F_OK) == 0)
		return 0;   /* a bond carries its slave's MAC */
	snprintf(p, sizeof(p), "/sys/class/net/%s/bonding_slave/perm_hwaddr", name);
	if (sysfs_read(p, mac, sizeof(mac))) {
		snprintf(p, sizeof(p), "/sys/class/net/%s/address", name);
		if (sysfs_read(p, mac, sizeof(mac)))
			return 0;
	}
	if (strcasecmp(mac, q->mac))
		return 0;
	if (q->found++ == 0)
		snprintf(q->name, sizeof(q->name), "%s", name);
	return 0;
}

int find_nic_by_mac(const char *mac, char *ifname, size_t n)
{
	struct nic_search q = { .mac = mac };
	int rc = dir_each("/sys/class/net", nic_candidate, &q);
	rc = one_found(rc, q.found);
	if (rc)
		return rc;
	snprintf(ifname, n, "%s", q.name);
	return 0;
}

/* ---- the state file ---- */

int devstate_save(const struct devstate *s, char *why, size_t wl)
{
	char u[40], text[2048];
	uuid_str(s->fs_uuid, u, sizeof(u));
	int n = snprintf(text, sizeof(text),
			 "# odv virtual devices (odv prepare); read by odv devices, odv replug, odv go-native\n"
			 "version 1\n"
			 "dm_name %s\ndm_dev %u:%u\n"
			 "disk %s\ndisk_dev %u:%u\nsectors %llu\nfs_uuid %s\ndisk_pci %s\n"
			 "bond %s\nnic %s\nnic_mac %s\nnic_pci %s\n"
			 "replugs %u\nlongest_suspend_s %.6f\n%s%s%s",
			 s->dm_name, major(s->dm_dev), minor(s->dm_dev), s->disk, major(s->disk_dev), minor(s->disk_dev),
			 (unsigned long long)s->sectors, u, s->disk_pci, s->bond, s->nic, s->nic_mac, s->nic_pci,
			 s->replugs, s->longest_suspend_s, s->disk_serial[0] ? "disk_serial " : "", s->disk_serial,
			 s->disk_serial[0] ? "\n" : "");
	mkdir("/run", 0755);
	if (mkdir("/run/odv", 0755) && errno != EEXIST) {
		snprintf(why, wl, "cannot create /run/odv: %s", strerror(errno));
		return -1;
	}
	const char *tmp = ODV_DEVSTATE_PATH ".new";
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) || close(fd) || rename(tmp, ODV_DEVSTATE_PATH)) {
		snprintf(why, wl, "cannot write %s: %s", ODV_DEVSTATE_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int devstate_load(struct devstate *s, char *why, size_t wl)
{
	static char text[4096];
	memset(s, 0, sizeof(*s));
	if (read_file(ODV_DEVSTATE_PATH, text, sizeof(text)) < 0) {
		if (errno == ENOENT)
			snprintf(why, wl, "no virtual devices are set up (no %s; run odv prepare)", ODV_DEVSTATE_PATH);
		else
			snprintf(why, wl, "cannot read %s: %s", ODV_DEVSTATE_PATH, strerror(errno));
		return -1;
	}
	int have = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char key[32], val[256] = "";
		unsigned a, b;
		if (line[0] == '#' || sscanf(line, "%31s %255s", key, val) < 1)
			continue;
		if (!strcmp(key, "disk_serial")) {   /* the rest of the line: a serial may hold spaces */
			snprintf(s->disk_serial, sizeof(s->disk_serial), "%s", line + strlen("disk_serial "));
			continue;
		}
		if (!strcmp(key, "dm_name")) { snprintf(s->dm_name, sizeof(s->dm_name), "%s", val); have |= 1; }
		else if (!strcmp(key, "dm_dev") && sscanf(val, "%u:%u", &a, &b) == 2) s->dm_dev = makedev(a, b);
		else if (!strcmp(key, "disk")) snprintf(s->disk, sizeof(s->disk), "%s", val);
		else if (!strcmp(key, "disk_dev") && sscanf(val, "%u:%u", &a, &b) == 2) { s->disk_dev = makedev(a, b); have |= 2; }
		else if (!strcmp(key, "sectors")) { s->sectors = strtoull(val, NULL, 10); have |= 4; }
		else if (!strcmp(key, "fs_uuid") && uuid_parse(val, s->fs_uuid) == 0) have |= 8;
		else if (!strcmp(key, "disk_pci")) snprintf(s->disk_pci, sizeof(s->disk_pci), "%s", val);
		else if (!strcmp(key, "bond")) { snprintf(s->bond, sizeof(s->bond), "%s", val); have |= 16; }
		else if (!strcmp(key, "nic")) snprintf(s->nic, sizeof(s->nic), "%s", val);
		else if (!strcmp(key, "nic_mac")) { snprintf(s->nic_mac, sizeof(s->nic_mac), "%s", val); have |= 32; }
		else if (!strcmp(key, "nic_pci")) snprintf(s->nic_pci, sizeof(s->nic_pci), "%s", val);
		else if (!strcmp(key, "replugs")) s->replugs = (unsigned)strtoul(val, NULL, 10);
		else if (!strcmp(key, "longest_suspend_s")) s->longest_suspend_s = strtod(val, NULL);
	}
	if (have != 63) {
		snprintf(why, wl, "%s is incomplete or damaged (remove it and run odv prepare again)", ODV_DEVSTATE_PATH);
		return -1;
	}
	return 0;
}

/* ---- odv prepare ---- */

/* Is the block device dev, or a partition of it, mounted? Its mount point in where. */
static bool mounted(dev_t dev, const char *sysdir, char *where, size_t wl)
{
	static char info[65536];
	if (read_file("/proc/self/mountinfo", info, sizeof(info)) < 0)
		return false;
	for (char *line = strtok(info, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned maj, min;
		char mnt[256];
		if (sscanf(line, "%*s %*s %u:%u %*s %255s", &maj, &min, mnt) != 3)
			continue;
		dev_t d = makedev(maj, min);
		bool hit = d == dev;
		if (!hit && maj != 0) {
			/* a partition: /sys/class/block/<disk>/<part>/dev */
			char p[256];
			snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/partition", maj, min);
			if (access(p, F_OK) == 0) {
				char link[512], own[512];
				snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", maj, min);
				ssize_t k = readlink(p, link, sizeof(link) - 1);
				ssize_t j = readlink(sysdir, own, sizeof(own) - 1);
				if (k > 0 && j > 0) {
					link[k] = own[j] = 0;
					/* both are "../../devices/...": the partition sits below the disk */
					size_t ol = strlen(own);
					hit = !strncmp(link, own, ol) && link[ol] == '/';
				}
			}
		}
		if (hit) {
			snprintf(where, wl, "%s", mnt);
			return true;
		}
	}
	return false;
}

enum { DONE_DM = 1, DONE_NODE = 2, DONE_BOND = 4, DONE_SLAVE = 8, DONE_ADDR_DEL = 16, DONE_ADDR_ADD = 32 };
struct prep {
	unsigned done;
	bool bond_created, nic_was_up;
	char bond_mode[32], bond_miimon[16];   /* of a bond that existed before (restored on undo) */
	char node[200];
	struct net_ip4 ip;
	struct devstate s;
	const char *disk, *nic, *name;   /* the command line */
	bool fail_late;
	char uuid[40];                   /* the filesystem's UUID, as text */
	char addrs[512];                 /* the addresses moved to the bond, as text */
	char why[512];
};

/* Take back what prepare made, newest first; say what could not be undone. */
static void prepare_undo(struct prep *p)
{
	struct devstate *s = &p->s;
	int rc;
	if (p->done & DONE_ADDR_ADD)
		net_del_ipv4(s->bond, &p->ip);
	if (p->done & DONE_SLAVE) {
		if ((rc = bond_release(s->bond, s->nic)))
			fprintf(stderr, "odv prepare: undo: cannot release %s from %s: %s\n", s->nic, s->bond, strerror(-rc));
	}
	if (p->done & DONE_BOND) {
		if (p->bond_created) {
			if ((rc = bond_destroy(s->bond)))
				fprintf(stderr, "odv prepare: undo: cannot delete %s: %s\n", s->bond, strerror(-rc));
		} else {
			char a[160];
			link_set_up(s->bond, false);
			snprintf(a, sizeof(a), "/sys/class/net/%s/bonding/mode", s->bond);
			if (p->bond_mode[0])
				sysfs_write(a, p->bond_mode);
			snprintf(a, sizeof(a), "/sys/class/net/%s/bonding/miimon", s->bond);
			if (p->bond_miimon[0])
				sysfs_write(a, p->bond_miimon);
		}
	}
	if (p->done & (DONE_SLAVE | DONE_ADDR_DEL)) {
		if (p->nic_was_up)
			link_set_up(s->nic, true);
		if ((rc = net_add_ipv4(s->nic, &p->ip)))
			fprintf(stderr, "odv prepare: undo: cannot put the addresses back on %s: %s\n", s->nic, strerror(-rc));
	}
	if (p->done & DONE_NODE)
		unlink(p->node);
	if (p->done & DONE_DM) {
		if ((rc = dm_remove(s->dm_name)))
			fprintf(stderr, "odv prepare: undo: cannot remove dm device %s: %s\n", s->dm_name, strerror(-rc));
	}
	p->done = 0;
}

static int prep_fail(struct prep *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int prep_fail(struct prep *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bool undo = p->done != 0;
	fprintf(stderr, "odv prepare: %s\n", msg);
	prepare_undo(p);
	fprintf(stderr, "odv prepare: %s\n", undo ? "undone: nothing changed" : "nothing changed");
	return EXIT_FAIL;
}

static const char prepare_help[] =
	"usage: odv prepare --disk DEV --nic IFACE [--name N] [--json]\n"
	"Put virtual devices under the running system so that odv can swap the disk and\n"
	"the NIC underneath it (go-virtual / go-native) while the filesystem stays mounted\n"
	"and TCP connections stay open:\n"
	"  - a device-mapper linear device /dev/mapper/odv-N over DEV (N: --name, default\n"
	"    DEV's name), found again later by its ext2/3/4 filesystem UUID;\n"
	"  - an active-backup bond bond0 with IFACE enslaved; IFACE's IPv4 addresses and\n"
	"    routes move to bond0, found again later by IFACE's MAC.\n"
	"Run it before the filesystem is mounted (as an initramfs would), then mount\n"
	"it from /dev/mapper/odv-N, never from DEV: odv refuses a mounted or busy DEV.\n"
	"What was set up is kept in " ODV_DEVSTATE_PATH " (see odv devices). On any failure\n"
	"everything already made is taken back.\n"
	"  --test-fail-late   (tests) fail once every step is done: all must be undone\n";

static bool prepare_option(void *ctx, int argc, char **argv, int *i)
{
	struct prep *p = ctx;
	const char **val = !strcmp(argv[*i], "--disk") ? &p->disk : !strcmp(argv[*i], "--nic") ? &p->nic :
			   !strcmp(argv[*i], "--name") ? &p->name : NULL;
	if (!strcmp(argv[*i], "--test-fail-late")) {
		p->fail_late = true;
		return true;
	}
	if (!val || *i + 1 >= argc)
		return false;
	*val = argv[++*i];
	return true;
}

/* The disk: a whole block device, not dm, not mounted or busy, with an ext2/3/4 filesystem, on PCI. */
static int prep_check_disk(struct prep *p)
{
	struct devstate *s = &p->s;
	const char *disk = p->disk;
	const char *base = strrchr(disk, '/') ? strrchr(disk, '/') + 1 : disk;
	if (snprintf(s->dm_name, sizeof(s->dm_name), "odv-%s", p->name ? p->name : base) >= (int)sizeof(s->dm_name) ||
	    strchr(s->dm_name + 4, '/') || !s->dm_name[4])
		return prep_fail(p, "bad dm name 'odv-%s'", p->name ? p->name : base);
	struct stat st;
	if (stat(disk, &st))
		return prep_fail(p, "%s: %s", disk, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return prep_fail(p, "%s is not a block device", disk);
	s->disk_dev = st.st_rdev;
	snprintf(s->disk, sizeof(s->disk), "%s", disk);
	char sysdir[96], dmdir[128], where[256];
	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	snprintf(dmdir, sizeof(dmdir), "%s/dm", sysdir);
	if (access(dmdir, F_OK) == 0)
		return prep_fail(p, "%s is a device-mapper device itself; give the physical disk", disk);
	if (mounted(st.st_rdev, sysdir, where, sizeof(where)))
		return prep_fail(p, "%s is mounted (at %s): prepare runs before the filesystem is mounted, which is "
				 "then mounted from /dev/mapper/%s; unmount it first", disk, where, s->dm_name);
	int fd = open(disk, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return prep_fail(p, "%s is in use (%s): a mounted partition, swap, or another device holds it", disk,
				 strerror(errno));
	uint64_t bytes = 0;
	int rc = ioctl(fd, BLKGETSIZE64, &bytes) ? -errno : ext_fs_uuid(fd, s->fs_uuid);
	close(fd);
	if (rc == -EINVAL)
		return prep_fail(p, "%s holds no ext2/3/4 filesystem (odv finds the disk again by its filesystem UUID)", disk);
	if (rc)
		return prep_fail(p, "cannot read %s: %s", disk, strerror(-rc));
	s->sectors = bytes / 512;
	if (!s->sectors)
		return prep_fail(p, "%s is empty", disk);
	if (pci_of_sysfs(sysdir, s->disk_pci, sizeof(s->disk_pci)))
		return prep_fail(p, "%s is not on a PCI device (odv can only swap PCI devices)", disk);
	disk_serial(sysdir, s->disk_serial, sizeof(s->disk_serial));
	uuid_str(s->fs_uuid, p->uuid, sizeof(p->uuid));
	return EXIT_OK;
}

/* The NIC: a PCI Ethernet device, not enslaved, not on the disk's function. */
static int prep_check_nic(struct prep *p)
{
	struct devstate *s = &p->s;
	const char *nic = p->nic;
	snprintf(s->bond, sizeof(s->bond), "bond0");
	if (strlen(nic) >= sizeof(s->nic) || strchr(nic, '/'))
		return prep_fail(p, "bad interface name '%s'", nic);
	snprintf(s->nic, sizeof(s->nic), "%s", nic);
	char path[200], buf[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s", nic);
	if (access(path, F_OK))
		return prep_fail(p, "no network interface %s", nic);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", nic);
	if (access(path, F_OK) == 0)
		return prep_fail(p, "%s is enslaved to another device already", nic);
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", nic);
	if (pci_of_sysfs(path, s->nic_pci, sizeof(s->nic_pci)))
		return prep_fail(p, "%s is not a PCI network device", nic);
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", nic);
	if (sysfs_read(path, s->nic_mac, sizeof(s->nic_mac)) || strlen(s->nic_mac) != 17)
		return prep_fail(p, "%s has no Ethernet MAC address", nic);
	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", nic);
	p->nic_was_up = sysfs_read(path, buf, sizeof(buf)) == 0 && (strtoul(buf, NULL, 0) & 1);
	if (!strcmp(s->disk_pci, s->nic_pci))
		return prep_fail(p, "%s and %s share PCI function %s", p->disk, nic, s->disk_pci);
	return EXIT_OK;
}

/* Both drivers there, and the NIC's addresses read, before anything is made. */
static int prep_check_drivers(struct prep *p)
{
	if (dm_open_control(p->why, sizeof(p->why)))
		return prep_fail(p, "%s", p->why);
	if (access("/sys/class/net/bonding_masters", F_OK))
		return prep_fail(p, "the bonding driver is not loaded (modprobe bonding)");
	int rc = net_get_ipv4(p->nic, &p->ip);
	if (rc)
		return prep_fail(p, "cannot read %s's IPv4 addresses and routes (rtnetlink): %s", p->nic, strerror(-rc));
	return EXIT_OK;
}

/* The dm device over the disk, and its node in /dev/mapper. */
static int prep_make_dm(struct prep *p)
{
	struct devstate *s = &p->s;
	char dmuuid[64];
	snprintf(dmuuid, sizeof(dmuuid), "ODV-%s", p->uuid);
	int rc = dm_create_linear(s->dm_name, dmuuid, s->disk_dev, s->sectors, &s->dm_dev);
	if (rc == -EBUSY || rc == -EEXIST)
		return prep_fail(p, "a device-mapper device named %s (or with uuid %s) exists already", s->dm_name, dmuuid);
	if (rc)
		return prep_fail(p, "cannot create dm device %s (linear over %u:%u): %s%s", s->dm_name,
				 major(s->disk_dev), minor(s->disk_dev), strerror(-rc), rc == -EINVAL ? " (the kernel log says why)" : "");
	p->done |= DONE_DM;
	snprintf(p->node, sizeof(p->node), "/dev/mapper/%s", s->dm_name);
	struct stat st;
	if (stat(p->node, &st) == 0) {
		if (!S_ISBLK(st.st_mode) || st.st_rdev != s->dm_dev)
			return prep_fail(p, "%s exists and is not the new device %u:%u", p->node, major(s->dm_dev), minor(s->dm_dev));
	} else {
		/* No udev here to make it (busybox initramfs): make it ourselves. */
		mkdir("/dev/mapper", 0755);
		if (mknod(p->node, S_IFBLK | 0660, s->dm_dev))
			return prep_fail(p, "cannot create %s: %s", p->node, strerror(errno));
		p->done |= DONE_NODE;
	}
	progress("prepare: %s (%u:%u) is linear over %s (%u:%u, %llu sectors, filesystem UUID %s)", p->node,
		 major(s->dm_dev), minor(s->dm_dev), p->disk, major(s->disk_dev), minor(s->disk_dev),
		 (unsigned long long)s->sectors, p->uuid);
	if (s->disk_serial[0])
		progress("prepare: %s has serial \"%s\": a disk found again must show the same one, if it shows any",
			 p->disk, s->disk_serial);
	else
		progress("prepare: %s shows no serial: it is found again by filesystem UUID and size", p->disk);
	return EXIT_OK;
}

/* The bond over the NIC, with the NIC's addresses and routes moved onto it. */
static int prep_make_bond(struct prep *p)
{
	struct devstate *s = &p->s;
	const char *nic = p->nic;
	bond_read(s->bond, "mode", p->bond_mode, sizeof(p->bond_mode));   /* "" if no bond yet */
	p->bond_mode[strcspn(p->bond_mode, " ")] = 0;
	bond_read(s->bond, "miimon", p->bond_miimon, sizeof(p->bond_miimon));
	int rc = bond_create(s->bond, &p->bond_created, p->why, sizeof(p->why));
	if (rc)
		return prep_fail(p, "%s", p->why);
	p->done |= DONE_BOND;
	/* Marked first: bond_enslave takes the NIC down (its routes go) even if the
	 * kernel then refuses; the undo brings it back up with its routes. */
	p->done |= DONE_SLAVE;
	rc = bond_enslave(s->bond, nic);
	if (rc)
		return prep_fail(p, "cannot enslave %s to %s: %s (the kernel log says why)", nic, s->bond, strerror(-rc));
	rc = link_set_up(s->bond, true);
	if (rc)
		return prep_fail(p, "cannot bring %s up: %s", s->bond, strerror(-rc));
	p->done |= DONE_ADDR_DEL;
	rc = net_del_ipv4(nic, &p->ip);
	if (rc)
		return prep_fail(p, "cannot remove the addresses from %s: %s", nic, strerror(-rc));
	p->done |= DONE_ADDR_ADD;
	rc = net_add_ipv4(s->bond, &p->ip);
	if (rc)
		return prep_fail(p, "cannot put %s's addresses and routes on %s: %s", nic, s->bond, strerror(-rc));
	rc = bond_set_active(s->bond, nic);
	if (rc)
		return prep_fail(p, "%s did not become %s's active slave: %s", nic, s->bond,
				 rc == -ENOLINK ? "its link stayed down for 10 s" : strerror(-rc));
	size_t al = 0;
	p->addrs[0] = 0;
	for (int i = 0; i < p->ip.naddr; i++) {
		char a[20];
		ip4_str(p->ip.addr[i].local, a, sizeof(a));
		al += (size_t)snprintf(p->addrs + al, sizeof(p->addrs) - al, "%s%s/%u", i ? " " : "", a,
				       p->ip.addr[i].prefixlen);
		if (al >= sizeof(p->addrs))
			break;
	}
	progress("prepare: %s (active-backup, miimon 100) has %s as active slave; moved %s and %d route%s", s->bond, nic,
		 p->ip.naddr ? p->addrs : "no addresses", p->ip.nroute, p->ip.nroute == 1 ? "" : "s");
	return EXIT_OK;
}

static void prepare_report(const struct prep *p)
{
	const struct devstate *s = &p->s;
	if (!opt_json) {
		printf("prepared: %s = linear over %s (filesystem UUID %s, controller %s); mount it from %s\n", p->node,
		       s->disk, p->uuid, s->disk_pci, p->node);
		printf("prepared: %s (active-backup) over %s (MAC %s, PCI %s), addresses %s\n", s->bond, s->nic,
		       s->nic_mac, s->nic_pci, p->ip.naddr ? p->addrs : "none");
		return;
	}
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "dm", s->dm_name);
	json_string(&j, "dm_node", p->node);
	json_stringf(&j, "dm_dev", "%u:%u", major(s->dm_dev), minor(s->dm_dev));
	json_string(&j, "disk", s->disk);
	json_stringf(&j, "disk_dev", "%u:%u", major(s->disk_dev), minor(s->disk_dev));
	json_uint(&j, "sectors", s->sectors);
	json_string(&j, "fs_uuid", p->uuid);
	json_string(&j, "disk_pci", s->disk_pci);
	json_string(&j, "bond", s->bond);
	json_string(&j, "nic", s->nic);
	json_string(&j, "nic_mac", s->nic_mac);
	json_string(&j, "nic_pci", s->nic_pci);
	json_string(&j, "moved_addresses", p->addrs);
	json_int(&j, "moved_routes", p->ip.nroute);
	json_end_object(&j);
}

int cmd_prepare(int argc, char **argv)
{
	static struct prep p;
	memset(&p, 0, sizeof(p));
	static const struct cli_cmd cmd = {
		.name = "prepare", .help = prepare_help, .option = prepare_option,
		.unknown = "unknown option or missing value",
	};
	int rc = cli_options(&cmd, &p, argc, argv);
	if (rc >= 0)
		return rc;
	if (!p.disk || !p.nic) {
		fprintf(stderr, "odv prepare: --disk DEV and --nic IFACE are required (try --help)\n");
		return EXIT_USAGE;
	}
	if (geteuid() != 0)
		return prep_fail(&p, "must run as root");
	struct devstate old;
	if (devstate_load(&old, p.why, sizeof(p.why)) == 0)
		return prep_fail(&p, "already prepared: %s over %s, %s over %s (%s)", old.dm_name, old.disk, old.bond,
				 old.nic, ODV_DEVSTATE_PATH);
	if ((rc = prep_check_disk(&p)) || (rc = prep_check_nic(&p)) || (rc = prep_check_drivers(&p)) ||
	    (rc = prep_make_dm(&p)) || (rc = prep_make_bond(&p)))
		return rc;
	if (p.fail_late)
		return prep_fail(&p, "failing on purpose after every step (--test-fail-late)");
	if (devstate_save(&p.s, p.why, sizeof(p.why)))
		return prep_fail(&p, "%s", p.why);
	prepare_report(&p);
	return EXIT_OK;
}

/* ---- odv devices ---- */

/* "sdb" for a block device number, from sysfs; "?" if gone. */
static void block_name(dev_t dev, char *out, size_t n)
{
	char p[64], link[512];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t k = readlink(p, link, sizeof(link) - 1);
	if (k <= 0) {
		snprintf(out, n, "?");
		return;
	}
	link[k] = 0;
	const char *b = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	size_t len = strlen(b) < n - 1 ? strlen(b) : n - 1;
	memcpy(out, b, len);
	out[len] = 0;
}

/* What odv devices shows: the state file, and live facts about the dm device and the bond. */
struct devices_now {
	struct devstate s;
	struct dm_info dm;
	int dmrc;
	const char *dmstate;
	char under[64], u[40], active[32], slaves[256], mode[64], bmac[32], mii[16];
};

static void devices_read(struct devices_now *d)
{
	const struct devstate *s = &d->s;
	d->dmrc = dm_status(s->dm_name, &d->dm);
	snprintf(d->under, sizeof(d->under), "?");
	if (!d->dmrc && d->dm.is_linear)
		block_name(d->dm.linear_dev, d->under, sizeof(d->under));
	uuid_str(s->fs_uuid, d->u, sizeof(d->u));
	bond_active_slave(s->bond, d->active, sizeof(d->active));
	bond_read(s->bond, "slaves", d->slaves, sizeof(d->slaves));
	bond_read(s->bond, "mode", d->mode, sizeof(d->mode));
	bond_read(s->bond, "mii_status", d->mii, sizeof(d->mii));
	char p[128];
	snprintf(p, sizeof(p), "/sys/class/net/%s/address", s->bond);
	sysfs_read(p, d->bmac, sizeof(d->bmac));
	char *sp = strchr(d->mode, ' ');
	if (sp)
		*sp = 0;
	d->dmstate = d->dmrc ? "missing" : d->dm.suspended ? "suspended" : "live";
}

static void devices_json(const struct devices_now *d)
{
	const struct devstate *s = &d->s;
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_begin_object(&j, "dm");
	json_string(&j, "name", s->dm_name);
	json_stringf(&j, "dev", "%u:%u", major(s->dm_dev), minor(s->dm_dev));
	json_string(&j, "state", d->dmstate);
	if (!d->dmrc) {
		json_int(&j, "open_count", d->dm.open_count);
		json_string(&j, "table", d->dm.table);
		json_string(&j, "table_device", d->under);
	}
	json_end_object(&j);
	json_begin_object(&j, "disk");
	json_string(&j, "path", s->disk);
	json_stringf(&j, "dev", "%u:%u", major(s->disk_dev), minor(s->disk_dev));
	json_uint(&j, "sectors", s->sectors);
	json_string(&j, "fs_uuid", d->u);
	json_string(&j, "pci", s->disk_pci);
	json_end_object(&j);
	json_begin_object(&j, "bond");
	json_string(&j, "name", s->bond);
	json_string(&j, "mode", d->mode);
	json_string(&j, "mac", d->bmac);
	json_string(&j, "mii_status", d->mii);
	json_string(&j, "active_slave", d->active);
	json_string(&j, "slaves", d->slaves);
	json_end_object(&j);
	json_begin_object(&j, "nic");
	json_string(&j, "name", s->nic);
	json_string(&j, "mac", s->nic_mac);
	json_string(&j, "pci", s->nic_pci);
	json_end_object(&j);
	json_uint(&j, "replugs", s->replugs);
	json_fixed(&j, "longest_suspend_s", s->longest_suspend_s, 6);
	json_end_object(&j);
}

static void devices_text(const struct devices_now *d)
{
	const struct devstate *s = &d->s;
	printf("dm device:    /dev/mapper/%s (%u:%u), %s", s->dm_name, major(s->dm_dev), minor(s->dm_dev), d->dmstate);
	if (!d->dmrc)
		printf(", open count %d", d->dm.open_count);
	printf("\n");
	if (!d->dmrc)
		printf("dm table:     %s (%s)\n", d->dm.table, d->under);
	printf("disk:         %s (%u:%u), %llu sectors, filesystem UUID %s, controller %s\n", s->disk, major(s->disk_dev),
	       minor(s->disk_dev), (unsigned long long)s->sectors, d->u, s->disk_pci);
	printf("bond:         %s, mode %s, MAC %s, link %s, slaves %s\n", s->bond, d->mode[0] ? d->mode : "?",
	       d->bmac[0] ? d->bmac : "?", d->mii[0] ? d->mii : "?", d->slaves[0] ? d->slaves : "none");
	printf("active slave: %s\n", d->active[0] ? d->active : "none");
	printf("nic:          %s, MAC %s, PCI %s\n", s->nic, s->nic_mac, s->nic_pci);
	printf("replugs:      %u, longest dm suspension %.3f s\n", s->replugs, s->longest_suspend_s);
}

int cmd_devices(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "devices",
		.help = "usage: odv devices [--json]\n"
			"What odv prepare set up (" ODV_DEVSTATE_PATH "), with live facts: the dm device's\n"
			"table and state, the bond's active slave and slaves.\n",
	};
	int rc = cli_options(&cmd, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	static struct devices_now d;
	char why[512];
	if (devstate_load(&d.s, why, sizeof(why))) {
		fprintf(stderr, "odv devices: %s\n", why);
		return EXIT_FAIL;
	}
	devices_read(&d);
	if (opt_json) {
		devices_json(&d);
		return EXIT_OK;
	}
	devices_text(&d);
	return d.dmrc ? EXIT_FAIL : EXIT_OK;
}
