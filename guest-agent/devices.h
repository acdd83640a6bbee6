/* The virtual devices: dm.c, bond.c, devices.c and the switch (devswitch.c). */
#ifndef ODV_DEVICES_H
#define ODV_DEVICES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "json.h"

/* ---- virtual devices: dm-linear over the disk, active-backup bond over the NIC ----
 * Primitives return 0 or -errno. They use static buffers, open nothing outside
 * /dev, /sys and /proc, and are safe while the dm device is suspended (the
 * switch in devswitch.c). */
/* device-mapper (dm.c) */
struct dm_info {
	bool exists, active, inactive, suspended, is_linear;
	int open_count;
	uint32_t targets;
	dev_t dev;              /* the dm device itself */
	dev_t linear_dev;       /* first target, if linear: its device */
	char table[256];        /* "0 32256 linear 8:0 0" */
};
int dm_open_control(char *why, size_t wl);   /* done by every call; call early to keep it open */
int dm_create_linear(const char *name, const char *uuid, dev_t under, uint64_t sectors, dev_t *out);
int dm_suspend(const char *name);            /* flushing: fs frozen, later I/O queued */
int dm_reload_linear(const char *name, dev_t under, uint64_t sectors);  /* inactive table */
int dm_resume(const char *name);             /* swaps in a loaded table */
int dm_remove(const char *name);
int dm_status(const char *name, struct dm_info *info);
/* bonding through sysfs, addresses and routes through rtnetlink (bond.c) */
int sysfs_write(const char *path, const char *val);
int sysfs_read(const char *path, char *buf, size_t size);   /* newline removed */
int bond_create(const char *bond, bool *created, char *why, size_t wl);   /* active-backup, miimon 100 */
int bond_destroy(const char *bond);
int bond_enslave(const char *bond, const char *ifname);
int bond_set_active(const char *bond, const char *ifname);  /* waits up to 10 s for its link */
int bond_release(const char *bond, const char *ifname);
int bond_read(const char *bond, const char *attr, char *buf, size_t size);
int bond_active_slave(const char *bond, char *out, size_t n);
int link_set_up(const char *ifname, bool up);
#define NET_MAX_ADDRS 16
#define NET_MAX_ROUTES 32
struct ip4_addr {
	uint8_t prefixlen, flags, scope;
	bool has_local, has_brd, has_lft;
	uint32_t local, address, broadcast;   /* network byte order */
	uint32_t valid_lft, preferred_lft;
};
struct ip4_route {
	uint8_t dst_len, tos, protocol, scope;
	uint32_t flags, table, dst, gw, prefsrc, priority;
	bool has_gw, has_prefsrc, has_priority;
};
struct net_ip4 { int naddr, nroute; struct ip4_addr addr[NET_MAX_ADDRS]; struct ip4_route route[NET_MAX_ROUTES]; };
int net_get_ipv4(const char *ifname, struct net_ip4 *s);
int net_del_ipv4(const char *ifname, const struct net_ip4 *s);
int net_add_ipv4(const char *ifname, const struct net_ip4 *s);
void ip4_str(uint32_t be, char *out, size_t n);
/* finding devices again; PCI hot-unplug and rescan through sysfs (devices.c) */
int pci_remove(const char *bdf);
int pci_rescan(void);
int pci_of_sysfs(const char *sysfs_link, char *bdf, size_t n);   /* last PCI function on the path */
int ext_fs_uuid(int fd, uint8_t uuid[16]);                         /* -EINVAL: no ext2/3/4 */
/* The block device (whole disk or partition, not dm/loop/ram/sr, not `exclude`,
 * not held by another device) whose ext2/3/4 filesystem has that UUID: /dev/NAME
 * (made with mknod if devtmpfs lacks it). -ENOENT none, -ENOTUNIQ several. */
/* The one disk (not exclude) with that filesystem UUID and that size, and that
 * serial if both it and `serial` have one: 0, -ENOENT or -ENOTUNIQ. */
int find_disk_by_uuid(const uint8_t uuid[16], uint64_t sectors, const char *serial, dev_t exclude, char *path,
		      size_t n, dev_t *dev);
/* A serial as odv compares it: spaces at the ends dropped, anything not
 * printable ASCII made '?'; "" if nothing is left. Pure. */
void serial_clean(const uint8_t *raw, size_t len, char *out, size_t n);
/* The serial in a SCSI VPD page 0x80 (unit serial number; libata makes it
 * from ATA IDENTIFY): "" if the page is not one. Pure. */
void vpd80_serial(const uint8_t *page, size_t len, char *out, size_t n);
/* A block device's serial (sysdir: its /sys block directory, a partition's
 * being its disk's): virtio-blk's "serial", else VPD page 0x80; "" if none. */
void disk_serial(const char *sysdir, char *out, size_t n);
int disk_has_uuid(dev_t dev, const uint8_t uuid[16], char *path, size_t n);   /* still there, same fs? */
/* The physical NIC (has a device, not a bond) with that MAC (its permanent one if enslaved). */
int find_nic_by_mac(const char *mac, char *ifname, size_t n);
/* What odv prepare set up, kept in /run/odv/devices. */
#define ODV_DEVSTATE_PATH "/run/odv/devices"
struct devstate {
	char dm_name[128];
	dev_t dm_dev;
	char disk[64];          /* /dev/sdX now under the dm device */
	dev_t disk_dev;
	uint64_t sectors;
	uint8_t fs_uuid[16];
	char disk_serial[24];   /* "" if the disk shows none */
	char disk_pci[32];
	char bond[16];
	char nic[16];
	char nic_mac[24];
	char nic_pci[32];
	unsigned replugs;
	double longest_suspend_s;
};
int devstate_load(struct devstate *s, char *why, size_t wl);
int devstate_save(const struct devstate *s, char *why, size_t wl);
void uuid_str(const uint8_t u[16], char *out, size_t n);
double mono_s(void);    /* CLOCK_MONOTONIC, seconds */
/* The device switch (devswitch.c), shared by replug, go-virtual and go-native:
 * detach = dm suspend + bond release + PCI remove of the disk's and the NIC's
 * functions; attach = PCI rescan + disk by UUID + reload/resume + NIC by MAC +
 * enslave + active. Between them only /sys and /dev are touched. */
#define DEVSWITCH_MAX_PARTS 16
struct devswitch {
	const char *who;            /* "replug", "go-virtual", "go-native": progress prefix */
	char nic[16];               /* detach releases this slave ... */
	char disk_pci[32];          /* ... and removes these PCI functions */
	char nic_pci[32];
	bool finish;                /* attach: replug --finish (the table's own disk first; live table: no disk step) */
	dev_t old_disk;             /* the table's device when the switch began */
	bool was_suspended;         /* the dm device was suspended already then */
	bool detached, nic_removed_ok;
	double t0, t_susp, t_mark;  /* devswitch_now() */
	char disk[64];              /* attach: the disk found again (/dev/NAME) */
	dev_t disk_dev;
	char new_nic[16];           /* attach: the NIC found again */
	double suspended_s;         /* how long the dm device was suspended */
	struct { const char *what; double s; } part[DEVSWITCH_MAX_PARTS];
	int nparts;
};
double devswitch_now(void);    /* TSC seconds: keeps counting across a conversion */
/* Check the dm device (linear; not suspended unless allowed), that /dev and stdio
 * are not on it; mlockall; detach's defaults from the state file. 0 or -1 + why. */
int devswitch_open(struct devswitch *w, const char *who, const struct devstate *s, bool allow_suspended,
		   struct dm_info *dm, char *why, size_t wl);
/* Detach the functions the system uses now instead: the disk under the dm table, the active slave. */
int devswitch_live_pci(struct devswitch *w, const struct devstate *s, const struct dm_info *dm, char *why, size_t wl);
/* odv-hv's arguments for taking over those devices: "disk=ata0-slave nic=00:03.0". */
int devswitch_hv_args(const struct devswitch *w, const struct dm_info *dm, char *out, size_t n, char *why, size_t wl);
int devswitch_detach(struct devswitch *w, struct devstate *s, char *why, size_t wl);   /* undoes itself on failure */
int devswitch_attach(struct devswitch *w, struct devstate *s, char *why, size_t wl);
/* Write where things are now to the state file (after a successful attach). */
int devswitch_record(const struct devswitch *w, struct devstate *s, bool replug, char *why, size_t wl);
/* load + open (not suspended) + live_pci: where go-virtual, go-native and check start */
int devswitch_begin(struct devswitch *w, const char *who, struct devstate *s, struct dm_info *dm,
		    char *why, size_t wl);
/* attach, then record (a failed record only warns); 0 or -1 with why */
int devswitch_attach_record(struct devswitch *w, struct devstate *s, char *why, size_t wl);
/* The devices now: text lines (j NULL), or a JSON member "devices":{...} */
void devswitch_report(const struct devswitch *w, const struct devstate *s, bool ok, struct json *j);
/* Each timed part's seconds, as the JSON member "parts":{...} */
void devswitch_json_parts(const struct devswitch *w, struct json *j);

#endif
