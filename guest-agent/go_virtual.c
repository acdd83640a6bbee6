/*
 * odv go-virtual (DESIGN.md "go-virtual, step by step"): freeze and
 * snapshot through /dev/snapshot, read and validate the image, kexec
 * odv-hv with the image in frames the image does not use, and let odv-hv
 * resume the system under it. Everything up to the kexec is undone on any
 * failure: the system keeps running natively and nothing is lost.
 * Everything runs in this one thread (only it escapes the freezer), with
 * all memory locked, and nothing is written to any file system after the
 * snapshot.
 *
 * With virtual devices (odv prepare, /run/odv/devices) odv-hv takes the
 * physical disk and NIC over and shows the system virtio devices instead:
 * the agent works out odv-hv's arguments (hv_args: which IDE disk, which
 * NIC) before anything is frozen, detaches both (devswitch.c: dm suspended,
 * NIC released, PCI functions removed) once user space is frozen, and
 * attaches whatever the PCI rescan finds after the system is back: odv-hv's
 * virtio-blk and virtio-net, or after a fail-safe native resume the physical
 * devices again. On any failure before the kexec the same attach puts the
 * physical devices back. The detach waits for the freeze because
 * SNAPSHOT_FREEZE first syncs every filesystem (the flush would wait on the
 * suspended device, in this thread) and the freezer cannot freeze a task
 * sleeping uninterruptibly on a frozen filesystem; frozen tasks hold no
 * write access to it, so the dm device suspends cleanly. The dm device stays
 * suspended from the detach to the attach, across the whole conversion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <linux/reboot.h>
#include "odv.h"
#include "swsusp_image.h"

/* include/uapi/linux/suspend_ioctls.h (values in DESIGN.md) */
#define SNAPSHOT_FREEZE          0x3301
#define SNAPSHOT_UNFREEZE        0x3302
#define SNAPSHOT_FREE            0x3305
#define SNAPSHOT_GET_IMAGE_SIZE  0x8008330e
#define SNAPSHOT_CREATE_IMAGE    0x40043311
#define SNAPSHOT_PREF_IMAGE_SIZE 0x3312

struct kexec_segment { const void *buf; size_t bufsz; const void *mem; size_t memsz; };
#define KEXEC_ARCH_DEFAULT 0
#define MAX_KEXEC_SEGS 16

struct stream { uint8_t *buf; uint64_t pages; };

static const void *stream_page(void *ctx, uint64_t idx)
{
	struct stream *s = ctx;
	return idx < s->pages ? s->buf + idx * SWSUSP_PAGE : NULL;
}

static double now_s(void)
{
	return (double)rdtsc() / tsc_hz();
}

/* Read odv-hv's answer from the handoff block in the reserved region (/dev/mem). */
static int read_result(uint64_t phys, struct odv_handoff *out)
{
	int fd = open("/dev/mem", O_RDONLY | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = (sizeof(*out) + 4095) & ~4095ul;
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)phys);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	memcpy(out, p, sizeof(*out));
	munmap(p, len);
	return 0;
}

/* Attach the devices (after the system is back, or to undo a failed attempt)
 * and record where they are. 0, or -1 with the reason printed. */
static int reattach(struct devswitch *sw, struct devstate *ds)
{
	char why[512];
	if (devswitch_attach_record(sw, ds, why, sizeof(why))) {
		fprintf(stderr, "odv go-virtual: %s\n", why);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	printf("usage: odv go-virtual [--hv PATH] [--hv-args STR] [--no-devices] [--json]\n"
	       "                      [--test-corrupt-image] [--test-force-native]\n"
	       "Snapshot the running system into RAM, kexec odv-hv and resume the same system\n"
	       "under it. On any failure before the kexec nothing changes. If VMX cannot be used,\n"
	       "odv-hv resumes the system natively and this command exits with 3.\n"
	       "With virtual devices (odv prepare) odv-hv takes the IDE disk and the e1000 over\n"
	       "and the system continues on virtio-blk and virtio-net underneath the same dm\n"
	       "device and bond (after a fail-safe native resume: on the physical ones again).\n"
	       "  --hv PATH               odv-hv image (default %s)\n"
	       "  --hv-args STR           odv-hv's arguments instead of the ones worked out from\n"
	       "                          the devices (e.g. \"disk=ata0-slave nic=00:03.0\")\n"
	       "  --no-devices            leave the devices alone (odv-hv passes them through)\n"
	       "  --test-corrupt-image    (tests) flip bytes in the read image: must be refused\n"
	       "  --test-force-native     (tests) ask odv-hv to take the native fail-safe path\n",
	       ODV_DEFAULT_HV_PATH);
}

int cmd_go_virtual(int argc, char **argv)
{
	const char *hv_path = ODV_DEFAULT_HV_PATH, *hv_args = NULL;
	bool corrupt = false, force_native = false, no_devices = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--hv") && i + 1 < argc) hv_path = argv[++i];
		else if (!strcmp(argv[i], "--hv-args") && i + 1 < argc) hv_args = argv[++i];
		else if (!strcmp(argv[i], "--no-devices")) no_devices = true;
		else if (!strcmp(argv[i], "--json")) opt_json = true;
		else if (!strcmp(argv[i], "--test-corrupt-image")) corrupt = true;
		else if (!strcmp(argv[i], "--test-force-native")) force_native = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(); return EXIT_OK; }
		else {
			fprintf(stderr, "odv go-virtual: unknown option '%s' (try --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	char why[512], cmdline[4096];
	if (geteuid() != 0) {
		fprintf(stderr, "odv go-virtual: must run as root (it freezes the system and loads a kernel)\n");
		return EXIT_PRECONDITION;
	}
	struct reservation res;
	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0 || !find_reservation(cmdline, &res)) {
		fprintf(stderr, "odv go-virtual: no reserved region: boot with memmap=<size>$<addr> "
				"(e.g. memmap=64M$0x30000000); run 'odv check'\n");
		return EXIT_PRECONDITION;
	}
	struct hv_image hv;
	if (hv_image_load(hv_path, &hv, why, sizeof(why))) {
		fprintf(stderr, "odv go-virtual: %s\n", why);
		return EXIT_PRECONDITION;
	}
	uint64_t handoff_phys = res.base + hv.hdr.mem_size;
	uint64_t handoff_len = ODV_HANDOFF_BYTES;
	if (hv_image_region_need(&hv) > res.size) {
		fprintf(stderr, "odv go-virtual: reserved region is %llu KiB, odv-hv needs %llu KiB; "
				"boot with a larger memmap=<size>$<addr>\n",
			(unsigned long long)res.size >> 10,
			(unsigned long long)hv_image_region_need(&hv) >> 10);
		return EXIT_PRECONDITION;
	}
	struct odv_handoff *h = calloc(1, handoff_len);
	h->region_base = res.base;
	h->region_size = res.size;
	h->hv_size = hv.hdr.mem_size;
	int nm = read_firmware_memmap(h->mem, ODV_HANDOFF_MAX_MEM);
	if (nm <= 0) {
		fprintf(stderr, "odv go-virtual: cannot read /sys/firmware/memmap\n");
		return EXIT_PRECONDITION;
	}
	h->nr_mem = (uint32_t)nm;
	h->serial_port = 0x3f8;
	h->log_level = 2;
	h->test_flags = force_native ? ODV_TEST_FORCE_NATIVE : 0;
	if (hv_args && strlen(hv_args) >= sizeof(h->hv_args)) {
		fprintf(stderr, "odv go-virtual: --hv-args: at most %zu characters\n", sizeof(h->hv_args) - 1);
		return EXIT_USAGE;
	}

	/* The virtual devices: what odv-hv takes over, worked out before anything is frozen. */
	static struct devstate ds;
	static struct devswitch sw;
	struct dm_info dm;
	bool devices = false;
	if (!no_devices && access(ODV_DEVSTATE_PATH, F_OK) == 0) {
		if (devswitch_begin(&sw, "go-virtual", &ds, &dm, why, sizeof(why)) ||
		    (!hv_args && devswitch_hv_args(&sw, &dm, h->hv_args, sizeof(h->hv_args), why, sizeof(why)))) {
			fprintf(stderr, "odv go-virtual: virtual devices: %s\n"
					"odv go-virtual: nothing changed (--no-devices leaves the devices alone)\n", why);
			return EXIT_PRECONDITION;
		}
		devices = true;
	}
	if (hv_args)
		snprintf(h->hv_args, sizeof(h->hv_args), "%s", hv_args);
	if (h->hv_args[0])
		progress("go-virtual: odv-hv will take over: %s%s", h->hv_args, hv_args ? " (--hv-args)" : "");
	else if (devices || no_devices)
		progress("go-virtual: odv-hv takes no device over%s", no_devices ? " (--no-devices)" : "");

	tsc_hz();    /* calibrate now, while nothing is frozen */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		progress("warning: mlockall failed (%s); continuing", strerror(errno));
	int fd = open("/dev/snapshot", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "odv go-virtual: cannot open /dev/snapshot: %s%s\n", strerror(errno),
			errno == EPERM ? " (kernel lockdown / Secure Boot forbids hibernation)" : "");
		return EXIT_PRECONDITION;
	}
	double t0 = now_s();
	progress("freezing processes");
	if (ioctl(fd, SNAPSHOT_FREEZE, 0)) {
		fprintf(stderr, "odv go-virtual: freeze failed: %s\n", strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	double t_frozen = now_s();
	/* User space is frozen: take the devices away from the kernel (odv-hv's now). */
	if (devices && devswitch_detach(&sw, &ds, why, sizeof(why))) {
		ioctl(fd, SNAPSHOT_UNFREEZE, 0);
		close(fd);
		fprintf(stderr, "odv go-virtual: %s; system unfrozen\n", why);
		return EXIT_FAIL;
	}
	ioctl(fd, SNAPSHOT_PREF_IMAGE_SIZE, 0UL);   /* as small as the kernel can make it */
	int in_suspend = 0;
	if (ioctl(fd, SNAPSHOT_CREATE_IMAGE, &in_suspend)) {
		int e = errno;
		ioctl(fd, SNAPSHOT_UNFREEZE, 0);
		close(fd);
		if (!devices) {
			fprintf(stderr, "odv go-virtual: snapshot failed: %s; system unchanged\n", strerror(e));
			return EXIT_FAIL;
		}
		fprintf(stderr, "odv go-virtual: snapshot failed: %s; system unfrozen, putting the devices back\n", strerror(e));
		if (reattach(&sw, &ds) == 0)
			fprintf(stderr, "odv go-virtual: system unchanged, devices back\n");
		return EXIT_FAIL;
	}
	if (!in_suspend) {
		/* We are the resumed system: odv-hv restored the image. */
		ioctl(fd, SNAPSHOT_FREE, 0);
		ioctl(fd, SNAPSHOT_UNFREEZE, 0);
		close(fd);
		double t_end = now_s();
		struct odv_handoff r;
		bool have = read_result(handoff_phys, &r) == 0 && r.magic == ODV_HANDOFF_MAGIC;
		double down = t_end - t_frozen;
		bool native = have && r.result_mode == ODV_RESULT_NATIVE;
		/* The devices: odv-hv's virtio functions now, or the physical ones after a native resume. */
		int drc = 0;
		if (devices) {
			progress("go-virtual: back %s; attaching the devices", !have ? "(odv-hv's result unknown)" :
				 native ? "natively" : "under odv-hv");
			drc = reattach(&sw, &ds);
		}
		if (!have) {
			if (opt_json) {
				printf("{\"result\":\"unknown\",\"downtime_s\":%.3f", down);
				if (devices)
					devswitch_report(&sw, &ds, drc == 0, true);
				printf("}\n");
			} else {
				printf("resumed, but odv-hv's result could not be read (/dev/mem); downtime %.3f s\n", down);
				if (devices)
					devswitch_report(&sw, &ds, drc == 0, false);
			}
			return EXIT_FAIL;
		}
		if (opt_json) {
			if (native)
				printf("{\"result\":\"native\",\"reason\":\"%s\",\"downtime_s\":%.3f", r.result_reason, down);
			else
				printf("{\"result\":\"virtual\",\"downtime_s\":%.3f", down);
			if (devices)
				devswitch_report(&sw, &ds, drc == 0, true);
			printf("}\n");
		} else {
			if (native)
				printf("resumed natively: %s (downtime %.3f s)\n", r.result_reason, down);
			else
				printf("virtual: resumed under odv-hv, downtime %.3f s\n", down);
			if (devices)
				devswitch_report(&sw, &ds, drc == 0, false);
		}
		if (drc) {
			fprintf(stderr, "odv go-virtual: the system is %s, but its devices are not all back (see above)\n",
				native ? "back natively" : "virtual");
			return EXIT_FAIL;
		}
		return native ? EXIT_NATIVE : EXIT_OK;
	}

	/* ---- the snapshot exists; from here every failure must unfreeze ---- */
	progress_after_snapshot = true;
	int rc = EXIT_FAIL;
	loff_t size = 0;
	uint8_t *buf = MAP_FAILED;
	if (ioctl(fd, SNAPSHOT_GET_IMAGE_SIZE, &size) || size <= 0 || size % SWSUSP_PAGE) {
		snprintf(why, sizeof(why), "image size query failed");
		goto undo;
	}
	progress("snapshot taken: %lld MiB", (long long)size >> 20);
	buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(why, sizeof(why), "no memory for the image (%lld MiB)", (long long)size >> 20);
		goto undo;
	}
	for (loff_t off = 0; off < size;) {
		ssize_t n = read(fd, buf + off, (size_t)(size - off));
		if (n <= 0) {
			snprintf(why, sizeof(why), "reading the image failed at %lld: %s", (long long)off,
				 n < 0 ? strerror(errno) : "short read");
			goto undo;
		}
		off += n;
	}
	struct stream st = { buf, (uint64_t)size / SWSUSP_PAGE };
	if (corrupt) {
		/* test-only: damage the metadata so that validation must catch it */
		for (unsigned i = 0; i < 64; i++)
			buf[SWSUSP_PAGE + 8 * i + 7] ^= 0x5a;
		progress("test: corrupted the image metadata");
	}
	struct swsusp_header img;
	struct swsusp_layout lay;
	const char *err;
	struct phys_range ram[ODV_HANDOFF_MAX_MEM];
	unsigned nr_ram = 0;
	for (int i = 0; i < nm; i++)
		if (h->mem[i].type == ODV_MEM_RAM)
			ram[nr_ram++] = (struct phys_range){ h->mem[i].base, h->mem[i].len };
	struct phys_range excl = { res.base, res.size };
	if (swsusp_parse_header(buf, &img, &err) ||
	    swsusp_validate(&img, stream_page, &st, ram, nr_ram, &excl, &lay, &err)) {
		snprintf(why, sizeof(why), "image rejected: %s", err);
		goto undo;
	}
	if (img.pages != st.pages) {
		snprintf(why, sizeof(why), "image rejected: header says %llu pages, stream has %llu",
			 (unsigned long long)img.pages, (unsigned long long)st.pages);
		goto undo;
	}
	progress("image valid: %llu pages restored (%llu zero), %llu stream pages",
		 (unsigned long long)lay.nr_pfns, (unsigned long long)lay.nr_zero, (unsigned long long)st.pages);

	/* Where the stream goes: RAM the image does not restore into. */
	uint64_t *used = malloc(lay.nr_pfns * sizeof(uint64_t));
	uint64_t nu = 0;
	for (uint64_t m = 0; m < img.nr_meta; m++) {
		const uint64_t *p = stream_page(&st, 1 + m);
		for (unsigned i = 0; i < 512 && nu < lay.nr_pfns; i++)
			used[nu++] = p[i] & ~SWSUSP_PFN_ZERO;
	}
	struct phys_run runs[64];
	int nr_runs = plan_free_runs(h->mem, nm, used, nu, res.base, res.size, runs, 64);
	int nsegs = plan_stream_segments(runs, nr_runs, st.pages, h->seg, MAX_KEXEC_SEGS - 2);
	free(used);
	if (nsegs < 0) {
		snprintf(why, sizeof(why), "not enough free RAM outside the image to stage it in %d segments",
			 MAX_KEXEC_SEGS - 2);
		goto undo;
	}
	h->nr_segs = (uint32_t)nsegs;
	h->jump_address = img.jump_address;
	h->jump_address_phys = img.jump_address_phys;
	h->image_cr3 = img.cr3;
	h->image_pages = img.image_pages;
	h->stream_pages = st.pages;
	odv_handoff_seal(h);

	struct kexec_segment seg[MAX_KEXEC_SEGS];
	int ns = 0;
	seg[ns++] = (struct kexec_segment){ hv.data, (hv.hdr.load_size + 4095) & ~4095ull,
					     (void *)res.base, hv.hdr.mem_size };
	seg[ns++] = (struct kexec_segment){ h, handoff_len, (void *)handoff_phys, handoff_len };
	uint64_t off = 0;
	for (int i = 0; i < nsegs; i++) {
		size_t len = h->seg[i].pages * SWSUSP_PAGE;
		seg[ns++] = (struct kexec_segment){ buf + off, len, (void *)h->seg[i].phys, len };
		off += len;
	}
	progress("loading odv-hv at 0x%llx and the image in %d segments (kexec_load)",
		 (unsigned long long)res.base, nsegs);
	if (syscall(SYS_kexec_load, (unsigned long)(res.base + hv.hdr.kexec_entry), (unsigned long)ns,
		    seg, (unsigned long)KEXEC_ARCH_DEFAULT)) {
		int e = errno;
		snprintf(why, sizeof(why), "kexec_load failed: %s%s", strerror(e),
			 e == EPERM ? " (kexec disabled: kernel lockdown/Secure Boot or kexec_load_disabled)" : "");
		goto undo;
	}
	progress("frozen for %.3f s so far; handing over to odv-hv", now_s() - t_frozen);
	fflush(stdout);
	/* Let a serial console finish these lines before the kernel goes away. */
	tcdrain(1);
	tcdrain(2);
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL);
	/* Only reached if the kexec did not happen. */
	snprintf(why, sizeof(why), "reboot(KEXEC) returned: %s", strerror(errno));
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);   /* unload */

undo:
	if (buf != MAP_FAILED)
		munmap(buf, (size_t)size);
	ioctl(fd, SNAPSHOT_FREE, 0);
	ioctl(fd, SNAPSHOT_UNFREEZE, 0);
	close(fd);
	progress_after_snapshot = false;
	if (devices) {
		fprintf(stderr, "odv go-virtual: %s; system unfrozen, putting the devices back\n", why);
		if (reattach(&sw, &ds))
			return rc;
		fprintf(stderr, "odv go-virtual: system unchanged, devices back (%.3f s)\n", now_s() - t0);
		return rc;
	}
	fprintf(stderr, "odv go-virtual: %s; system unfrozen and unchanged (%.3f s)\n", why, now_s() - t0);
	return rc;
}
