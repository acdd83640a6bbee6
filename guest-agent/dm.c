/*
 * Device-mapper client (virtual devices): the stock ioctl interface on
 * /dev/mapper/control, written from <linux/dm-ioctl.h> (interface version 4).
 *
 * Every request is one buffer: a struct dm_ioctl, then (at data_start) the
 * request's payload; the kernel writes its answer into the same buffer, up
 * to data_size. Devices are named by name only (dev = 0, uuid empty).
 *
 * The buffer is static and the control node is opened once and kept: the
 * switch primitives (dm_suspend, dm_reload_linear, dm_resume, dm_status) run
 * while the device is suspended and must not allocate or open files that
 * could sit on it (see replug.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dm-ioctl.h>
#include "devices.h"
#include "sysfacts.h"

#define DM_BUF_SIZE 16384
static union {
	struct dm_ioctl io;
	char raw[DM_BUF_SIZE];
} dm_buf;
static int dm_fd = -1;

/* The control node: /dev/mapper/control, made from sysfs (misc device) if devtmpfs is absent. */
int dm_open_control(char *why, size_t wl)
{
	if (dm_fd >= 0)
		return 0;
	dm_fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (dm_fd >= 0)
		return 0;
	int err = errno;
	char dev[32];
	unsigned maj, min;
	if (read_file("/sys/class/misc/device-mapper/dev", dev, sizeof(dev)) < 0 || sscanf(dev, "%u:%u", &maj, &min) != 2) {
		snprintf(why, wl, "device-mapper is not available (no /dev/mapper/control: %s; load it: modprobe dm-mod)",
			 strerror(err));
		return -ENODEV;
	}
	mkdir("/dev/mapper", 0755);
	if (mknod("/dev/mapper/control", S_IFCHR | 0600, makedev(maj, min)) && errno != EEXIST) {
		snprintf(why, wl, "cannot create /dev/mapper/control (%u:%u): %s", maj, min, strerror(errno));
		return -errno;
	}
	dm_fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (dm_fd < 0) {
		snprintf(why, wl, "cannot open /dev/mapper/control: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Start a request for device `name` (NULL: none) with flags; payload follows at data_start. */
static struct dm_ioctl *dm_begin(const char *name, uint32_t flags)
{
	struct dm_ioctl *io = &dm_buf.io;
	memset(&dm_buf, 0, sizeof(struct dm_ioctl) + 64);
	io->version[0] = DM_VERSION_MAJOR;   /* 4; minor 0: nothing newer is needed */
	io->version[1] = 0;
	io->version[2] = 0;
	io->data_size = DM_BUF_SIZE;
	io->data_start = sizeof(struct dm_ioctl);
	io->flags = flags;
	if (name)
		snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

static int dm_do(unsigned long req)
{
	char why[200];
	if (dm_fd < 0 && dm_open_control(why, sizeof(why)))
		return -ENODEV;
	if (ioctl(dm_fd, req, &dm_buf) < 0)
		return -errno;
	return 0;
}

int dm_create_linear(const char *name, const char *uuid, dev_t under, uint64_t sectors, dev_t *out)
{
	if (strlen(name) >= DM_NAME_LEN || (uuid && strlen(uuid) >= DM_UUID_LEN))
		return -ENAMETOOLONG;
	struct dm_ioctl *io = dm_begin(name, 0);
	if (uuid)
		snprintf(io->uuid, sizeof(io->uuid), "%s", uuid);
	int rc = dm_do(DM_DEV_CREATE);
	if (rc)
		return rc;
	*out = (dev_t)io->dev;   /* the kernel's huge_encode_dev: glibc's major()/minor() read it */
	rc = dm_reload_linear(name, under, sectors);
	if (!rc)
		rc = dm_resume(name);   /* the loaded table goes live */
	if (rc) {
		int keep = rc;
		dm_remove(name);
		return keep;
	}
	return 0;
}

/* Load "linear MAJ:MIN 0" over [0, sectors) as the inactive table; dm_resume makes it live. */
int dm_reload_linear(const char *name, dev_t under, uint64_t sectors)
{
	struct dm_ioctl *io = dm_begin(name, 0);
	struct dm_target_spec *sp = (struct dm_target_spec *)(dm_buf.raw + io->data_start);
	memset(sp, 0, sizeof(*sp));
	sp->sector_start = 0;
	sp->length = sectors;
	snprintf(sp->target_type, sizeof(sp->target_type), "linear");
	char *params = (char *)(sp + 1);
	int n = snprintf(params, 64, "%u:%u 0", major(under), minor(under));
	/* The parameter string ends with its NUL; the next spec (none) would start 8-aligned. */
	size_t spec_len = (sizeof(*sp) + (size_t)n + 1 + 7) & ~(size_t)7;
	sp->next = (uint32_t)spec_len;
	io->target_count = 1;
	io->data_size = io->data_start + (uint32_t)spec_len;
	return dm_do(DM_TABLE_LOAD);
}

/* Suspend with the normal semantics: the filesystem on it is frozen (lockfs),
 * in-flight I/O is flushed to the table's device, later I/O waits in a queue. */
int dm_suspend(const char *name)
{
	dm_begin(name, DM_SUSPEND_FLAG);
	return dm_do(DM_DEV_SUSPEND);
}

/* Resume: a loaded inactive table replaces the live one, queued I/O goes to it. */
int dm_resume(const char *name)
{
	dm_begin(name, 0);
	return dm_do(DM_DEV_SUSPEND);
}

int dm_remove(const char *name)
{
	dm_begin(name, 0);
	return dm_do(DM_DEV_REMOVE);
}

/* DM_DEV_STATUS (flags, open count, dev) and DM_TABLE_STATUS of the live table. */
int dm_status(const char *name, struct dm_info *info)
{
	memset(info, 0, sizeof(*info));
	struct dm_ioctl *io = dm_begin(name, 0);
	int rc = dm_do(DM_DEV_STATUS);
	if (rc)
		return rc;
	info->exists = true;
	info->dev = (dev_t)io->dev;
	info->open_count = io->open_count;
	info->suspended = io->flags & DM_SUSPEND_FLAG;
	info->active = io->flags & DM_ACTIVE_PRESENT_FLAG;
	info->inactive = io->flags & DM_INACTIVE_PRESENT_FLAG;
	io = dm_begin(name, DM_STATUS_TABLE_FLAG);
	rc = dm_do(DM_TABLE_STATUS);
	if (rc)
		return rc;
	if (io->flags & DM_BUFFER_FULL_FLAG)
		return -ENOBUFS;
	info->targets = io->target_count;
	size_t len = 0;
	const char *base = dm_buf.raw + io->data_start;
	const struct dm_target_spec *sp = (const struct dm_target_spec *)base;
	for (uint32_t i = 0; i < io->target_count; i++) {
		if ((const char *)(sp + 1) >= dm_buf.raw + io->data_size)
			break;
		/* On output, next counts from the first spec. */
		int n = snprintf(info->table + len, sizeof(info->table) - len, "%s%llu %llu %.16s %s", i ? "; " : "",
				 (unsigned long long)sp->sector_start, (unsigned long long)sp->length, sp->target_type,
				 (const char *)(sp + 1));
		if (n < 0 || (size_t)n >= sizeof(info->table) - len)
			break;
		len += (size_t)n;
		if (i == 0) {
			unsigned maj, min;
			if (!strncmp(sp->target_type, "linear", 7) && sscanf((const char *)(sp + 1), "%u:%u", &maj, &min) == 2) {
				info->linear_dev = makedev(maj, min);
				info->is_linear = true;
			}
		}
		sp = (const struct dm_target_spec *)(base + sp->next);
	}
	return 0;
}
