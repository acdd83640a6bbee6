/*
 * The go-virtual preconditions: one list, which `odv check` prints (one
 * pass/fail line each, with a fix hint) and `odv go-virtual` applies before
 * it freezes anything (preconditions_refuse). Each item is a fact about the
 * system now; go-virtual's exact memory rule comes later, after the snapshot
 * (free pages above the watermarks, see headroom.c), and "memory" here is the
 * estimate of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "cli.h"
#include "odv_abi.h"
#include "json.h"
#include "odv.h"
#include "plan.h"
#include "preconditions.h"

struct item { const char *name; bool ok; char detail[200]; const char *hint; };
static struct item items[32];
static int nitems;

static void add(const char *name, bool ok, const char *hint, const char *fmt, ...)
{
	if (nitems == (int)(sizeof(items) / sizeof(items[0])))
		abort();                  /* a new precondition needs a bigger table: a bug, not a refusal */
	struct item *it = &items[nitems++];
	it->name = name;
	it->ok = ok;
	it->hint = ok ? NULL : hint;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

/* The reservation: present, 2 MiB aligned, RAM in the firmware map. */
static void check_reservation(struct preconditions *pc)
{
	char cmdline[4096] = "";
	struct reservation *res = &pc->res;
	*res = (struct reservation){ 0, 0, false };
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	find_reservation(cmdline, res);
	const char *res_hint = "add memmap=64M$0x30000000 (a free RAM range, 2 MiB aligned) to the kernel command line";
	if (res->found)
		add("reservation", true, res_hint, "memmap reservation 0x%llx-0x%llx (%llu MiB)",
		    (unsigned long long)res->base, (unsigned long long)(res->base + res->size),
		    (unsigned long long)res->size >> 20);
	else
		add("reservation", false, res_hint, "no memmap=<size>$<addr> on the kernel command line");
	pc->nfw = 0;
	if (!res->found)
		return;
	add("reservation-aligned", (res->base & 0x1fffff) == 0, "use a 2 MiB aligned address in memmap=",
	    "base 0x%llx", (unsigned long long)res->base);
	/* odv-hv's start-up code reaches its image below 4 GiB only (odv_abi.h says why). */
	bool low = res->base < ODV_HV_RESERVATION_LIMIT && res->size <= ODV_HV_RESERVATION_LIMIT - res->base;
	add("reservation-low", low, "place memmap= below 4 GiB", "0x%llx-0x%llx %s below %llu GiB",
	    (unsigned long long)res->base, (unsigned long long)(res->base + res->size), low ? "is" : "is not all",
	    (unsigned long long)(ODV_HV_RESERVATION_LIMIT >> 30));
	pc->nfw = read_firmware_memmap(pc->fw, ODV_HANDOFF_MAX_MEM);
	bool ram = pc->nfw > 0 && plan_region_is_ram(pc->fw, pc->nfw, res->base, res->size);
	add("reservation-ram", ram, "move memmap= into a RAM range of /sys/firmware/memmap",
	    pc->nfw > 0 ? "0x%llx-0x%llx %s RAM in the firmware memory map" : "cannot read /sys/firmware/memmap",
	    (unsigned long long)res->base, (unsigned long long)(res->base + res->size), ram ? "is" : "is not all");
}

/* odv-hv's image, and whether it fits in the reservation. It stays loaded in pc->hv. */
static void check_hv_image(struct preconditions *pc, const char *hv_path)
{
	char why[256];
	pc->hv_ok = hv_image_load(hv_path, &pc->hv, why, sizeof(why)) == 0;
	if (pc->hv_ok)
		add("odv-hv", true, NULL, "%s: needs %llu KiB", hv_path, (unsigned long long)pc->hv.hdr.mem_size >> 10);
	else
		add("odv-hv", false, "install odv-hv.bin or pass --hv PATH", "%s", why);
	if (pc->hv_ok && pc->res.found) {
		uint64_t need = hv_image_region_need(&pc->hv);
		add("reservation-size", pc->res.size >= need, "enlarge the memmap= reservation",
		    "reserved %llu KiB, odv-hv and handoff need %llu KiB", (unsigned long long)pc->res.size >> 10,
		    (unsigned long long)need >> 10);
	}
}

/* What the kernel must allow: lockdown, kexec_load, /dev/snapshot. */
static void check_kernel_interfaces(void)
{
	char lock[32];
	const char *lk = lockdown_state(lock, sizeof(lock));
	bool locked = lk && strcmp(lk, "none");
	add("lockdown", !locked, "kernel lockdown (usually Secure Boot) blocks kexec_load and /dev/snapshot; "
	    "disable Secure Boot or boot with lockdown=none where allowed",
	    lk ? "lockdown: %s" : "lockdown: not reported (no LSM lockdown)%s", lk ? lk : "");
	char kd[16] = "0";
	read_file("/proc/sys/kernel/kexec_load_disabled", kd, sizeof(kd));
	add("kexec", kd[0] == '0', "kexec_load is disabled until reboot (kernel.kexec_load_disabled=1)",
	    "kexec_load_disabled=%c", kd[0]);

	struct stat st;
	bool snap = stat("/dev/snapshot", &st) == 0 && S_ISCHR(st.st_mode);
	add("snapshot-device", snap, "the kernel needs CONFIG_HIBERNATION_SNAPSHOT_DEV (and devtmpfs mounted)",
	    "%s", snap ? "/dev/snapshot present" : "/dev/snapshot missing");
}

/*
 * go-virtual's memory rule (go_virtual_need_pages, headroom.c) on what is in
 * use now: the kernel's snapshot copies what is in use into free frames, and
 * go-virtual allocates little more when the image can stay in those frames
 * (/proc/kallsyms and /proc/kcore tell it where they are); else it needs a
 * second copy. After the snapshot go-virtual applies the same rule to the
 * image's real size.
 */
static void check_memory(struct preconditions *pc)
{
	uint64_t total = meminfo_kb("MemTotal"), avail = meminfo_kb("MemAvailable");
	uint64_t used = total > avail ? total - avail : 0;
	char why[200] = "--image-copy";
	pc->direct = !pc->image_copy && snapframes_open(&pc->sf, why, sizeof(why)) == 0;
	uint64_t hv_bytes = pc->hv_ok ? pc->hv.hdr.mem_size : 8u << 20;
	uint64_t need = used + 4 * go_virtual_need_pages(used / 4, hv_bytes, pc->direct);   /* KiB */
	/* With swap the snapshot swaps out what does not fit, as hibernate does
	 * (check_swap says whether the pages can come back once virtual). Each
	 * page swapped out counts twice: it needs no copy, and its frame is free
	 * for another page's copy. */
	uint64_t swap = meminfo_kb("SwapFree");
	char swaptext[64] = "";
	if (swap)
		snprintf(swaptext, sizeof(swaptext), ", swap free %llu MiB", (unsigned long long)swap >> 10);
	add("memory", avail + 2 * swap >= need, "free memory (stop services), add RAM or swap",
	    "in use %llu MiB, available %llu MiB%s, go-virtual needs %llu MiB (%s%s)", (unsigned long long)used >> 10,
	    (unsigned long long)avail >> 10, swaptext, (unsigned long long)need >> 10,
	    pc->direct ? "the snapshot's copy; the image stays in its frames" : "the snapshot's copy and a second: ",
	    pc->direct ? "" : why);
}

/* Is this swap area (a block device, or a file) on the dm device odv prepared? */
static bool swap_on(const char *name, dev_t dm)
{
	struct stat st;
	if (stat(name, &st))
		return false;
	return S_ISBLK(st.st_mode) ? st.st_rdev == dm : st.st_dev == dm;
}

/*
 * Swapped-out pages come back through whatever disk holds the swap area. With
 * prepared devices odv-hv takes the physical disk over and the system reaches
 * it only through the dm device, so every swap area must be on that device.
 */
static void check_swap(const struct preconditions *pc)
{
	char text[4096] = "", names[16][128];
	read_file("/proc/swaps", text, sizeof(text));
	int n = proc_swaps_names(text, &names[0][0], sizeof(names[0]), 16);
	if (n == 0) {
		add("swap", true, NULL, "none: the snapshot must fit in RAM (about half of it in use at most)");
		return;
	}
	for (int i = 0; pc->devices && i < n; i++)
		if (!swap_on(names[i], pc->ds.dm_dev)) {
			add("swap", false, "swapoff it, or put swap on the prepared dm device, or go-virtual --no-devices",
			    "%s is not on the dm device %s, so pages swapped out there could not come back once "
			    "odv-hv has the disk", names[i], pc->ds.dm_name);
			return;
		}
	add("swap", true, NULL, "%d area%s (first %s)%s: the snapshot may swap out what does not fit, as hibernate "
	    "does", n, n == 1 ? "" : "s", names[0], pc->devices ? ", on the prepared dm device" :
	    ", on disks that stay physical");
}

/* Does the first CPU's "flags" line in /proc/cpuinfo list this flag? */
static bool cpu_flag(const char *name)
{
	static char info[64 << 10];
	if (read_file("/proc/cpuinfo", info, sizeof(info)) < 0)
		return false;
	char *line = strstr(info, "\nflags");
	if (!line)
		return false;
	char *end = strchr(line + 1, '\n');
	if (end)
		*end = 0;
	size_t n = strlen(name);
	for (const char *p = strchr(line, ':'); p && (p = strstr(p, name)); p += n)
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/*
 * odv-hv maps all physical memory up to a limit (odv_abi.h): the image
 * restores into whatever frames the kernel used, so a kernel using RAM above
 * it could not be restored (and would be frozen by then). The kernel's view
 * (/proc/iomem, after mem= trimming) says which RAM is used; odv-hv maps the
 * firmware's whole map, so its top (reserved ranges too) must be in reach.
 */
static void check_memory_mapped(const struct preconditions *pc)
{
	static char iomem[64 << 10];
	uint64_t above, first;
	bool g1 = cpu_flag("pdpe1gb");
	uint64_t limit = g1 ? ODV_HV_MAPPED_LIMIT : ODV_HV_MAPPED_LIMIT_2M;
	if (read_file("/proc/iomem", iomem, sizeof(iomem)) < 0 ||
	    iomem_ram_above(iomem, limit, &above, &first)) {
		add("memory-mapped", false, "run odv as root (addresses in /proc/iomem are hidden otherwise)",
		    "cannot read the RAM ranges in /proc/iomem");
		return;
	}
	/* odv-hv maps the firmware's whole map (reserved ranges too): its top must be in reach as well. */
	uint64_t top = 0;
	for (int i = 0; i < pc->nfw; i++)
		if (pc->fw[i].base + pc->fw[i].len > top)
			top = pc->fw[i].base + pc->fw[i].len;
	if (top > limit)
		add("memory-mapped", false, g1 ? "none: the map lies beyond what odv-hv's page tables reach" :
		    "none without 1 GiB pages (CPU flag pdpe1gb), which odv-hv needs for a map this high",
		    "the firmware memory map reaches 0x%llx, beyond the %llu GiB odv-hv can map (%s pages)",
		    (unsigned long long)top, (unsigned long long)(limit >> 30), g1 ? "1 GiB" : "2 MiB");
	else if (above)
		add("memory-mapped", false, "boot with mem= below the limit",
		    "the kernel uses %llu MiB of RAM from 0x%llx, above the %llu GiB odv-hv can map (%s pages)",
		    (unsigned long long)above >> 20, (unsigned long long)first,
		    (unsigned long long)(limit >> 30), g1 ? "1 GiB" : "2 MiB");
	else
		add("memory-mapped", true, NULL, "all RAM the kernel uses is below %llu GiB, which odv-hv can map "
		    "(%s pages)", (unsigned long long)(limit >> 30), g1 ? "1 GiB" : "2 MiB");
}

/*
 * CPUs: odv-hv must run every CPU the kernel has (present, online or not: the
 * kernel may bring one up later), or it would start natively beside virtual
 * ones. It finds them in the MADT; on a UEFI machine only the EFI system
 * table says where the ACPI tables are, and the agent passes that on.
 */
static void check_cpus(struct preconditions *pc)
{
	unsigned n = cpus_present();
	bool efi = access("/sys/firmware/efi", F_OK) == 0;
	uint64_t rsdp = pc->acpi_rsdp = efi ? efi_rsdp() : 0;
	if (n > ODV_MAX_CPUS)
		add("cpus", false, "boot with fewer CPUs (maxcpus= or nr_cpus=)",
		    "%u CPUs present, odv-hv runs at most %u", n, ODV_MAX_CPUS);
	else if (efi && n > 1 && !rsdp)
		add("cpus", false, "boot with nr_cpus=1, or by BIOS (legacy) firmware",
		    "%u CPUs on a UEFI machine whose EFI system table (/sys/firmware/efi/systab) names no "
		    "ACPI tables: odv-hv could not find the CPUs", n);
	else if (efi && n > 1)
		add("cpus", true, NULL, "%u present, odv-hv runs each of them (ACPI RSDP at 0x%llx, from the "
		    "EFI system table)", n, (unsigned long long)rsdp);
	else
		add("cpus", n > 0, "the kernel shows no CPUs in /sys/devices/system/cpu/present",
		    "%u present, odv-hv runs each of them", n);
}

/*
 * The IOMMU. With VT-d (an ACPI DMAR) odv-hv can keep devices out of its
 * region; without one, devices the system drives can write odv-hv's memory:
 * said plainly, but no refusal (such machines still work). A kernel that
 * runs the IOMMU itself (a unit in /sys/class/iommu, or interrupt
 * remapping) is refused: odv-hv does not virtualize VT-d; once virtual it
 * programs the units itself and the kernel sees their registers as all ones.
 */
/* Interrupt remapping on: the kernel names its interrupt chips IR-IO-APIC, IR-PCI-MSI. */
static bool interrupt_remapping(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	bool ir = false;
	while (f && !ir && fgets(line, sizeof(line), f))
		ir = strstr(line, " IR-") != NULL;
	if (f)
		fclose(f);
	return ir;
}

static void check_iommu(void)
{
	bool dmar = access("/sys/firmware/acpi/tables/DMAR", F_OK) == 0;
	char first[64] = "";
	DIR *d = opendir("/sys/class/iommu");
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.') {
			snprintf(first, sizeof(first), "%.60s", e->d_name);
			break;
		}
	if (d)
		closedir(d);
	if (first[0])
		add("iommu", false, "boot with intel_iommu=off (odv-hv does not virtualize the IOMMU)",
		    "the kernel uses the IOMMU (/sys/class/iommu/%.60s): odv-hv cannot take DMA remapping over", first);
	else if (dmar && interrupt_remapping())
		add("iommu", false, "boot with intremap=off (odv-hv does not virtualize the IOMMU)",
		    "the kernel remaps interrupts (IR- in /proc/interrupts): odv-hv hides the remapping units");
	else if (dmar)
		add("iommu", true, NULL, "VT-d present (ACPI DMAR), not used by the kernel");
	else
		add("iommu", true, NULL, "no IOMMU: DMA isolation of odv-hv is absent "
		    "(devices the system drives can write odv-hv's memory)");
}

/* Virtual devices: what go-virtual would hand odv-hv (devswitch.c), if prepared. */
static void check_devices(struct preconditions *pc, bool with_devices)
{
	char why[256];
	pc->devices = false;
	if (!with_devices) {
		add("devices", true, NULL, "left alone (--no-devices): odv-hv passes them through");
	} else if (access(ODV_DEVSTATE_PATH, F_OK) == 0) {
		if (devswitch_begin(&pc->sw, "check", &pc->ds, &pc->dm, why, sizeof(why)) ||
		    devswitch_hv_args(&pc->sw, &pc->dm, pc->hv_args, sizeof(pc->hv_args), why, sizeof(why))) {
			add("devices", false, "fix the devices (odv devices shows them) or run go-virtual --no-devices",
			    "%s", why);
		} else {
			add("devices", true, NULL, "odv-hv would take over %s (%s: %s)", pc->hv_args, pc->ds.dm_name,
			    pc->dm.table);
			pc->devices = true;
		}
	} else {
		add("devices", true, NULL, "not prepared (odv prepare): the disk and NIC stay physical under odv-hv");
	}
}

/* Evaluate every precondition into items[], and the facts found into pc. */
static void preconditions_eval(struct preconditions *pc, const char *hv_path, bool with_devices)
{
	nitems = 0;
	add("root", geteuid() == 0, "run odv as root", "effective uid %u", (unsigned)geteuid());

	struct utsname u;
	uname(&u);
	unsigned maj = 0, min = 0;
	sscanf(u.release, "%u.%u", &maj, &min);
	bool kver_ok = !strcmp(u.machine, "x86_64") && (maj == 6 && min >= 1);
	add("kernel", kver_ok, "odv supports x86-64 Linux 6.1 to 6.x (hibernation image formats it parses)",
	    "%s %s", u.release, u.machine);

	check_reservation(pc);
	check_hv_image(pc, hv_path);
	check_kernel_interfaces();
	check_memory(pc);
	check_memory_mapped(pc);
	check_cpus(pc);
	check_iommu();
	check_devices(pc, with_devices);
	check_swap(pc);
}

static bool all_ok(void)
{
	bool all = true;
	for (int i = 0; i < nitems; i++)
		all &= items[i].ok;
	return all;
}

int preconditions_refuse(const char *who, const char *hv_path, bool with_devices, struct preconditions *pc)
{
	preconditions_eval(pc, hv_path, with_devices);
	int failed = 0;
	for (int i = 0; i < nitems; i++) {
		if (items[i].ok)
			continue;
		fprintf(stderr, "odv %s: precondition '%s' not met: %s%s%s\n", who, items[i].name, items[i].detail,
			items[i].hint ? "; fix: " : "", items[i].hint ? items[i].hint : "");
		failed++;
	}
	if (!failed)
		return EXIT_OK;
	if (pc->hv_ok)
		hv_image_free(&pc->hv);
	pc->hv_ok = false;
	fprintf(stderr, "odv %s: nothing changed (odv check lists every precondition)\n", who);
	return EXIT_PRECONDITION;
}

static void check_json(bool all)
{
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_bool(&j, "ok", all);
	json_begin_array(&j, "checks");
	for (int i = 0; i < nitems; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "name", items[i].name);
		json_bool(&j, "ok", items[i].ok);
		json_string(&j, "detail", items[i].detail);
		if (items[i].hint)
			json_string(&j, "hint", items[i].hint);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
}

static void check_text(bool all)
{
	for (int i = 0; i < nitems; i++) {
		printf("%-4s %-19s %s\n", items[i].ok ? "ok" : "FAIL", items[i].name, items[i].detail);
		if (items[i].hint)
			printf("     %-19s fix: %s\n", "", items[i].hint);
	}
	printf(all ? "all checks passed\n" : "some checks failed: go-virtual would refuse\n");
}

static bool check_option(void *ctx, int argc, char **argv, int *i)
{
	if (strcmp(argv[*i], "--hv") || *i + 1 >= argc)
		return false;
	*(const char **)ctx = argv[++*i];
	return true;
}

int cmd_check(int argc, char **argv)
{
	const char *hv_path = ODV_DEFAULT_HV_PATH;
	static const struct cli_cmd cmd = {
		.name = "check", .option = check_option,
		.help = "usage: odv check [--hv PATH] [--json]\n"
			"Checks every precondition of odv go-virtual (the same list go-virtual applies\n"
			"before it freezes anything); exit 0 if all pass, 4 if not.\n",
	};
	int rc = cli_options(&cmd, &hv_path, argc, argv);
	if (rc >= 0)
		return rc;
	static struct preconditions pc;
	preconditions_eval(&pc, hv_path, true);
	if (pc.hv_ok)
		hv_image_free(&pc.hv);
	bool all = all_ok();
	if (opt_json)
		check_json(all);
	else
		check_text(all);
	return all ? EXIT_OK : EXIT_PRECONDITION;
}
