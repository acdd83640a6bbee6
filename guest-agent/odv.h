/* The odv agent: shared declarations. */
#ifndef ODV_AGENT_H
#define ODV_AGENT_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "odv_handoff.h"

#include "cli.h"
#include "json.h"

/* ---- system facts (sysfacts.c) ---- */
struct reservation { uint64_t base, size; bool found; };
/* Parse one memmap= value "SIZE$ADDR" (K/M/G suffixes). Pure. 0 ok, -1 not a $-reservation. */
int parse_memmap_reservation(const char *val, uint64_t *base, uint64_t *size);
/* Find memmap=SIZE$ADDR in a kernel command line. Pure. */
bool find_reservation(const char *cmdline, struct reservation *r);
int read_file(const char *path, char *buf, size_t size);
/* Firmware memory map (/sys/firmware/memmap); returns count or -1. */
int read_firmware_memmap(struct odv_handoff_mem *out, int max);
const char *lockdown_state(char *buf, size_t size);   /* "none", "integrity", ... or NULL */
uint64_t meminfo_kb(const char *key);                 /* 0 if unknown */
/* The page frame of each of `pages` pages from `addr` (this process, mapped and
 * present), from /proc/self/pagemap (root). 0, or -errno (-ENOENT: a page not
 * present or its frame hidden). */
int pagemap_pfns(const void *addr, uint64_t pages, uint64_t *pfns);

/* ---- allocation headroom (headroom.c, pure) ---- */
#define ZONE_MAX_PROT 8
struct zone_pages {
	char name[16];
	int node, index;                 /* index: the zone's place in its node (DMA 0, DMA32 1, ...) */
	uint64_t free, min, low, high;   /* pages */
	uint64_t prot[ZONE_MAX_PROT];    /* lowmem_reserve against allocations whose highest zone is i */
	int nprot;
};
/* Parse /proc/zoneinfo text: zones written to z (at most max); count, or -1 too many. */
int zoneinfo_parse(const char *text, struct zone_pages *z, int max);
/* Pages a GFP_KERNEL/GFP_HIGHUSER allocation can take without leaving the page
 * allocator's fast path: free pages above each zone's high watermark and its
 * lowmem reserve. */
uint64_t zones_headroom(const struct zone_pages *z, int n);
/* The same, read now from /proc/zoneinfo (sysfacts.c); -1 if it cannot be read. */
int64_t alloc_headroom_pages(void);

/* ---- odv-hv image (hvimage.c) ---- */
#define ODV_DEFAULT_HV_PATH "/usr/lib/odv/odv-hv.bin"
#include "odv_hvimage.h"
/* The handoff block's kexec segment: whole pages, right after odv-hv's memory. */
#define ODV_HANDOFF_BYTES ((sizeof(struct odv_handoff) + 4095) & ~(size_t)4095)
struct hv_image { uint8_t *data; size_t size; struct odv_hvimage_header hdr; };
int hv_image_load(const char *path, struct hv_image *hv, char *why, size_t wl);
void hv_image_free(struct hv_image *hv);
/* Bytes of the reservation odv-hv and the handoff block take. */
uint64_t hv_image_region_need(const struct hv_image *hv);

/* ---- where the image stream is (plan.c), pure ---- */
/* Coalesce page frames, in stream order, into runs of consecutive frames.
 * Returns how many runs there are; writes at most max of them to out (NULL: count). */
uint64_t plan_stream_runs(const uint64_t *pfns, uint64_t n, struct odv_handoff_run *out, uint64_t max);
/* Why odv-hv could not use these runs (above `limit`, in the excluded region,
 * not RAM, or holding a frame the image restores into: image_pfns, ascending),
 * or NULL. */
const char *plan_check_stream(const struct odv_handoff_run *runs, uint64_t nr, const uint64_t *image_pfns,
			      uint64_t ni, const struct odv_handoff_mem *mem, int nm, uint64_t excl_base,
			      uint64_t excl_len, uint64_t limit);
/* Whether [base, base+size) lies wholly in RAM entries of the firmware map. */
bool plan_region_is_ram(const struct odv_handoff_mem *mem, int n, uint64_t base, uint64_t size);

/* ---- odv-hv hypercalls through the msr driver (hvcall.c) ---- */
int hv_open(int cpu, char *why, size_t wl);            /* fd, or -1 with why */
int hv_read(int fd, uint32_t msr, uint64_t *val);      /* 0, or -1 (no odv-hv) */
bool hv_present(void);                                 /* CPUID says odv-hv (odv.c) */
int hv_present_on(int cpu);                            /* ... when run on that CPU; -1 cannot */
int online_cpus(int *out, int max);                    /* /sys/devices/system/cpu/online */

/* ---- virtual devices: dm-linear over the disk, active-backup bond over the NIC ----
 * Primitives return 0 or -errno. They use static buffers, open nothing outside
 * /dev, /sys and /proc, and are safe while the dm device is suspended (the
 * switch in devswitch.c). */
#include <sys/types.h>
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
int find_disk_by_uuid(const uint8_t uuid[16], dev_t exclude, char *path, size_t n, dev_t *dev);
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

/* ---- commands ---- */
/* What the preconditions found (check.c), for go-virtual to go on from. */
struct preconditions {
	struct reservation res;
	struct odv_handoff_mem fw[ODV_HANDOFF_MAX_MEM];   /* the firmware memory map, if res.found */
	int nfw;
	struct hv_image hv;          /* loaded if hv_ok (freed by a refusal) */
	bool hv_ok;
	bool devices;                /* prepared, and odv-hv can take them over: */
	struct devswitch sw;         /* ... devswitch_begin done (who "check") */
	struct devstate ds;
	struct dm_info dm;
	char hv_args[128];           /* ... odv-hv's arguments for them */
};
int cmd_log(int argc, char **argv);
int cmd_go_native(int argc, char **argv);
int cmd_check(int argc, char **argv);
/* go-virtual's preconditions (the list odv check prints): EXIT_OK, or
 * EXIT_PRECONDITION with each failed one printed as "odv WHO: precondition ...". */
int preconditions_refuse(const char *who, const char *hv_path, bool with_devices, struct preconditions *pc);
int cmd_go_virtual(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_replug(int argc, char **argv);

/* ---- guest-visible time (odv.c) ----
 * The TSC runs through the conversions, while the kernel's clocks treat the
 * gap as sleep: downtime is TSC ticks, calibrated against CLOCK_MONOTONIC. */
uint64_t rdtsc(void);
double tsc_hz(void);          /* calibrates once (about 50 ms), then cached */

/* ---- step watchdog for the frozen part of a conversion (watchdog.c) ---- */
#define ODV_STEP_TIMEOUT_S 120     /* default deadline of one step (--step-timeout) */
/* Arm a deadline for the named step (0 s: none); replaces the previous one. 0 or -errno. */
int step_begin(const char *name, unsigned seconds);
void step_end(void);
bool step_expired(void);
/* "step 'NAME' did not finish within N s ...": call before step_end(). */
const char *step_expired_why(char *buf, size_t n);
/* Tests (--test-stall POINT): at the named point, wait until the watchdog
 * fires and return -ETIMEDOUT; elsewhere return 0 at once. */
int test_stall_here(const char *test_stall, const char *point);

#endif
