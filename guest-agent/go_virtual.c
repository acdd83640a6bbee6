/*
 * odv go-virtual (docs/ARCHITECTURE.md, "go-virtual"): freeze and
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
#include <linux/reboot.h>
#include "cli.h"
#include "json.h"
#include "odv_abi.h"
#include "odv.h"
#include "phases.h"
#include "plan.h"
#include "preconditions.h"
#include "snapframes_io.h"
#include "testpoint.h"
#include "watchdog.h"
#include "swsusp_image.h"

/* include/uapi/linux/suspend_ioctls.h of Linux 6.1 */
#define SNAPSHOT_FREEZE          0x3301
#define SNAPSHOT_UNFREEZE        0x3302
#define SNAPSHOT_FREE            0x3305
#define SNAPSHOT_GET_IMAGE_SIZE  0x8008330e
#define SNAPSHOT_CREATE_IMAGE    0x40043311
#define SNAPSHOT_PREF_IMAGE_SIZE 0x3312

struct kexec_segment { const void *buf; size_t bufsz; const void *mem; size_t memsz; };
#define KEXEC_ARCH_DEFAULT 0

/* The image stream: its first `in_buf` pages in the agent's buffer (all of
 * them, or the header and metadata when the data pages stay in the
 * snapshot's frames), `pages` in all. */
struct stream { uint8_t *buf; uint64_t in_buf, pages; };

static const void *stream_page(void *ctx, uint64_t idx)
{
	/* A data page left in the snapshot's frames exists, but not here: the
	 * validation only asks whether it does (it reads header and metadata). */
	static const uint8_t elsewhere[SWSUSP_PAGE];
	struct stream *s = ctx;
	return idx < s->in_buf ? s->buf + idx * SWSUSP_PAGE : idx < s->pages ? elsewhere : NULL;
}

/* Seconds since a TSC stamp. */
static double since(uint64_t tsc)
{
	return (double)(rdtsc() - tsc) / tsc_hz();
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
	       "                      [--step-timeout SECONDS] [--image-copy]\n"
	       "                      [--test-corrupt-image] [--test-force-native] [--test-stall POINT]\n"
	       "                      [--test-fail POINT]\n"
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
	       "  --image-copy            copy the image into a buffer instead of leaving it in the\n"
	       "                          snapshot's frames (needs twice the memory in use)\n"
	       "  --step-timeout SECONDS  deadline of each step while the system is frozen\n"
	       "                          (default %d); a step that misses it is undone and the\n"
	       "                          system and its devices come back natively\n"
	       "  --test-corrupt-image    (tests) flip bytes in the read image: must be refused\n"
	       "  --test-force-native     (tests) ask odv-hv to take the native fail-safe path\n"
	       "  --test-stall POINT      (tests) hang at POINT (after-detach, after-snapshot)\n"
	       "                          until the step watchdog undoes the conversion\n"
	       "  --test-fail POINT       (tests) fail at POINT as a real failure there would:\n"
	       "                          after-freeze, after-detach, after-snapshot (undone,\n"
	       "                          exit 1), kexec-load (the system call fails with ENOMEM,\n"
	       "                          exit 1), hv-start (odv-hv gives up after its VMX setup,\n"
	       "                          before the guest starts: native fail-safe, exit 3)\n",
	       ODV_DEFAULT_HV_PATH, ODV_STEP_TIMEOUT_S);
}

struct gv_opts {
	const char *hv_path, *hv_args;
	bool corrupt, force_native, no_devices, image_copy;
	enum test_point stall, fail;     /* --test-stall, --test-fail (testpoint.h) */
	unsigned step_timeout;
};

#define STALL_POINTS (TP_MASK(TP_AFTER_DETACH) | TP_MASK(TP_AFTER_SNAPSHOT))
#define FAIL_POINTS  (TP_MASK(TP_AFTER_FREEZE) | TP_MASK(TP_AFTER_DETACH) | TP_MASK(TP_AFTER_SNAPSHOT) | \
		      TP_MASK(TP_KEXEC_LOAD) | TP_MASK(TP_HV_START))

/* OPT's POINT (one of `allowed`) into *p: 0, or EXIT_USAGE with the reason printed. */
static int parse_point(const char *opt, const char *name, unsigned allowed, enum test_point *p)
{
	*p = test_point_parse(name, allowed);
	if (*p != TP_NONE)
		return 0;
	char list[160];
	test_point_list(allowed, list, sizeof(list));
	fprintf(stderr, "odv go-virtual: %s: %s (not '%s')\n", opt, list, name);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct gv_opts *o)
{
	*o = (struct gv_opts){ .hv_path = ODV_DEFAULT_HV_PATH, .step_timeout = ODV_STEP_TIMEOUT_S };
	for (int i = 0; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "--hv") && i + 1 < argc) o->hv_path = argv[++i];
		else if (!strcmp(argv[i], "--hv-args") && i + 1 < argc) o->hv_args = argv[++i];
		else if (!strcmp(argv[i], "--no-devices")) o->no_devices = true;
		else if (!strcmp(argv[i], "--image-copy")) o->image_copy = true;
		else if (!strcmp(argv[i], "--json")) opt_json = true;
		else if (!strcmp(argv[i], "--test-corrupt-image")) o->corrupt = true;
		else if (!strcmp(argv[i], "--test-force-native")) o->force_native = true;
		else if (!strcmp(argv[i], "--test-stall") && i + 1 < argc) {
			if (parse_point(argv[i], argv[i + 1], STALL_POINTS, &o->stall))
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--test-fail") && i + 1 < argc) {
			if (parse_point(argv[i], argv[i + 1], FAIL_POINTS, &o->fail))
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--step-timeout") && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || end == argv[i] || v < 1 || v > 86400) {
				fprintf(stderr, "odv go-virtual: --step-timeout: a whole number of seconds, 1 to 86400\n");
				return EXIT_USAGE;
			}
			o->step_timeout = (unsigned)v;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return -1;
		} else {
			fprintf(stderr, "odv go-virtual: unknown option '%s' (try --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Everything go-virtual works out before it freezes anything. */
struct gv {
	struct gv_opts o;
	struct reservation res;
	struct hv_image hv;
	struct odv_handoff *h;
	uint64_t handoff_phys, handoff_len;
	int nm;                      /* firmware memory map entries in h->mem */
	struct devswitch sw;
	struct devstate ds;
	bool devices;
	struct snapframes sf;        /* the snapshot's frames through /proc/kcore, if direct */
	bool direct;                 /* data pages read straight from the snapshot's frames */
	uint64_t *pfns;              /* each stream page's frame, in stream order */
	struct odv_handoff_run *runs;   /* ... as runs: the run table odv-hv reads */
	uint64_t runs_len;           /* bytes of the run table's kexec segment */
	int fd;                      /* /dev/snapshot */
	struct gv_stamps ts;         /* phase stamps (phases.h): those before the snapshot are in the image */
	volatile uint64_t *stamps;   /* the agent's stamps after the snapshot, for odv-hv (agent_tsc_phys) */
	uint64_t free_before_kib;    /* MemFree before the freeze (in the image); the least after it is a stamp */
	char why[512];
};

/* The virtual devices the preconditions found usable: what odv-hv takes over. */
static void gv_take_devices(struct gv *g, struct preconditions *pc)
{
	struct odv_handoff *h = g->h;
	if (pc->devices) {
		g->sw = pc->sw;
		g->sw.who = "go-virtual";
		g->ds = pc->ds;
		g->devices = true;
		if (!g->o.hv_args)
			snprintf(h->hv_args, sizeof(h->hv_args), "%s", pc->hv_args);
	}
	if (g->o.hv_args)
		snprintf(h->hv_args, sizeof(h->hv_args), "%s", g->o.hv_args);
	if (h->hv_args[0])
		progress("go-virtual: odv-hv will take over: %s%s", h->hv_args, g->o.hv_args ? " (--hv-args)" : "");
	else if (g->devices || g->o.no_devices)
		progress("go-virtual: odv-hv takes no device over%s", g->o.no_devices ? " (--no-devices)" : "");
	/* How many CPUs the kernel has: odv-hv resumes natively rather than run fewer (restore.c). */
	size_t n = strlen(h->hv_args);
	snprintf(h->hv_args + n, sizeof(h->hv_args) - n, "%scpus=%u", n ? " " : "", cpus_present());
}

/*
 * Everything before the freeze: the preconditions (the list odv check prints,
 * check.c, which also finds the reservation, loads odv-hv and works out the
 * devices), then the handoff block. EXIT_OK, or an exit code with the reason
 * printed.
 */
static int gv_prepare(struct gv *g)
{
	static struct preconditions pc;
	pc.image_copy = g->o.image_copy;
	int rc = preconditions_refuse("go-virtual", g->o.hv_path, !g->o.no_devices, &pc);
	if (rc)
		return rc;
	g->direct = pc.direct;
	g->sf = pc.sf;
	progress("go-virtual: %s", g->direct ? "the image will stay in the snapshot's frames (copy bitmap found "
		 "through /proc/kallsyms and /proc/kcore)" : "the image will be copied into a buffer");
	g->res = pc.res;
	g->hv = pc.hv;
	g->handoff_phys = g->res.base + g->hv.hdr.mem_size;
	g->handoff_len = ODV_HANDOFF_BYTES;
	if (g->o.hv_args && strlen(g->o.hv_args) >= sizeof(g->h->hv_args)) {
		fprintf(stderr, "odv go-virtual: --hv-args: at most %zu characters\n", sizeof(g->h->hv_args) - 1);
		return EXIT_USAGE;
	}
	struct odv_handoff *h = g->h = xcalloc(g->handoff_len, "the handoff block");
	h->region_base = g->res.base;
	h->region_size = g->res.size;
	h->hv_size = g->hv.hdr.mem_size;
	g->nm = pc.nfw;
	memcpy(h->mem, pc.fw, sizeof(h->mem[0]) * (size_t)pc.nfw);
	h->nr_mem = (uint32_t)g->nm;
	h->serial_port = 0x3f8;
	h->log_level = 2;
	h->test_flags = g->o.force_native ? ODV_TEST_FORCE_NATIVE : 0;
	h->acpi_rsdp = pc.acpi_rsdp;   /* 0 on BIOS machines: odv-hv searches the BIOS areas */
	if (g->o.fail == TP_HV_START) {
		h->test_flags |= ODV_TEST_FAIL_HV_START;
		progress("test: odv-hv is to fail on purpose before the guest starts (handoff test flag)");
	}
	gv_take_devices(g, &pc);
	return EXIT_OK;
}

/* The phases' durations: the stamps in the image, odv-hv's result (NULL if unread), now. */
static void gv_phases(struct gv *g, const struct odv_handoff *r, double out[PH_N])
{
	if (r) {
		memcpy(g->ts.agent, r->result_agent_tsc, sizeof(g->ts.agent));
		memcpy(g->ts.hv, r->result_tsc, sizeof(g->ts.hv));
	}
	phases_compute(&g->ts, (double)tsc_hz(), out);
}

/* One line: "phases: freeze 0.070 s, detach 1.930 s, ..." (phases without both stamps left out). */
static void print_phases(const double ph[PH_N])
{
	printf("phases:");
	const char *sep = " ";
	for (int i = 0; i < PH_N; i++)
		if (ph[i] >= 0) {
			printf("%s%s %.3f s", sep, phase_name(i), ph[i]);
			sep = ", ";
		}
	printf("\n");
}

/* What the resumed agent reports: odv-hv's result (have: it could be read), the phases, peak memory. */
struct gv_outcome {
	struct odv_handoff r;
	bool have, native;
	double down, ph[PH_N];
	/* Peak memory (KiB): the snapshot's copy of the image, and what go-virtual
	 * allocated after it (free memory right after the snapshot down to its
	 * lowest); low == 0 or image == 0: unknown. */
	uint64_t image, own, low, peak;
};

static void gv_outcome_memory(struct gv_outcome *o)
{
	const uint64_t *a = o->r.result_agent_tsc;
	o->low = o->have ? a[ODV_AGENT_LOW_FREE_KIB] : 0;
	o->image = o->have ? a[ODV_AGENT_IMAGE_PAGES] * 4 : 0;
	o->own = o->low && a[ODV_AGENT_SNAP_FREE_KIB] > o->low ? a[ODV_AGENT_SNAP_FREE_KIB] - o->low : 0;
	o->peak = o->image + o->own;
}

static void gv_report_json(struct gv *g, const struct gv_outcome *o, int drc)
{
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "result", !o->have ? "unknown" : o->native ? "native" : "virtual");
	if (o->native)
		json_string(&j, "reason", o->r.result_reason);
	json_fixed(&j, "downtime_s", o->down, 3);
	json_begin_object(&j, "phases");
	for (int i = 0; i < PH_N; i++)
		if (o->ph[i] >= 0)
			json_fixed(&j, phase_name(i), o->ph[i], 3);
	json_end_object(&j);
	if (o->low && o->image) {
		json_begin_object(&j, "memory");
		json_uint(&j, "peak_kib", o->peak);
		json_uint(&j, "image_kib", o->image);
		json_uint(&j, "after_snapshot_kib", o->own);
		json_uint(&j, "free_before_kib", g->free_before_kib);
		json_uint(&j, "lowest_free_kib", o->low);
		json_end_object(&j);
	}
	if (g->devices)
		devswitch_report(&g->sw, &g->ds, drc == 0, &j);
	json_end_object(&j);
}

static void gv_report_text(struct gv *g, const struct gv_outcome *o, int drc)
{
	if (!o->have)
		printf("resumed, but odv-hv's result could not be read (/dev/mem); downtime %.3f s\n", o->down);
	else if (o->native)
		printf("resumed natively: %s (downtime %.3f s)\n", o->r.result_reason, o->down);
	else
		printf("virtual: resumed under odv-hv, downtime %.3f s\n", o->down);
	if (o->have)
		print_phases(o->ph);
	if (o->low && o->image)
		printf("memory: go-virtual held %llu MiB at its peak: the snapshot's copy of the image, %llu MiB, "
		       "and %llu MiB it allocated after it (free memory %llu MiB before the freeze, %llu MiB at "
		       "the lowest)\n", (unsigned long long)o->peak >> 10, (unsigned long long)o->image >> 10,
		       (unsigned long long)o->own >> 10, (unsigned long long)g->free_before_kib >> 10,
		       (unsigned long long)o->low >> 10);
	if (g->devices)
		devswitch_report(&g->sw, &g->ds, drc == 0, NULL);
}

/* Print the outcome once the system is back (CREATE_IMAGE returned 0: odv-hv restored the image). */
static int gv_report_resumed(struct gv *g)
{
	static struct gv_outcome o;
	o.down = since(g->ts.frozen);
	o.have = read_result(g->handoff_phys, &o.r) == 0 && o.r.magic == ODV_HANDOFF_MAGIC;
	o.native = o.have && o.r.result_mode == ODV_RESULT_NATIVE;
	/* The devices: odv-hv's virtio functions now, or the physical ones after a native resume. */
	int drc = 0;
	if (g->devices) {
		progress("go-virtual: back %s; attaching the devices", !o.have ? "(odv-hv's result unknown)" :
			 o.native ? "natively" : "under odv-hv");
		step_begin("attach devices", g->o.step_timeout);
		drc = reattach(&g->sw, &g->ds);
		step_end();
	}
	g->ts.attached = rdtsc();
	gv_phases(g, o.have ? &o.r : NULL, o.ph);
	gv_outcome_memory(&o);
	if (opt_json)
		gv_report_json(g, &o, drc);
	else
		gv_report_text(g, &o, drc);
	if (!o.have)
		return EXIT_FAIL;
	if (drc) {
		fprintf(stderr, "odv go-virtual: the system is %s, but its devices are not all back (see above)\n",
			o.native ? "back natively" : "virtual");
		return EXIT_FAIL;
	}
	return o.native ? EXIT_NATIVE : EXIT_OK;
}

/*
 * Pages the allocator can give without reclaim (`have`, from
 * alloc_headroom_pages(), -1 unknown) must cover `need` pages (see
 * headroom.c for why this matters after the snapshot). 0, or -1 with why.
 */
static int gv_headroom(struct gv *g, int64_t have, uint64_t need, const char *what)
{
	if (have < 0) {
		snprintf(g->why, sizeof(g->why), "cannot read /proc/zoneinfo to check free memory for %s", what);
		return -1;
	}
	if ((uint64_t)have < need) {
		snprintf(g->why, sizeof(g->why), "not enough free memory for %s: it needs %llu MiB, and after the "
			 "snapshot only %llu MiB can be allocated without reclaim (the kernel keeps reclaim frozen "
			 "until the snapshot is released); free some memory and try again",
			 what, (unsigned long long)need >> 8, (unsigned long long)have >> 8);
		return -1;
	}
	return 0;
}


/* Read `len` bytes of the image stream from /dev/snapshot (the next ones). 0, or -1 with why. */
static int gv_read_stream(struct gv *g, uint8_t *buf, uint64_t len, uint64_t at)
{
	for (uint64_t off = 0; off < len;) {
		ssize_t n = read(g->fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(g->why, sizeof(g->why), "reading the image failed at %llu: %s",
				 (unsigned long long)(at + off), n < 0 ? strerror(errno) : "short read");
			return -1;
		}
		off += (uint64_t)n;
	}
	return 0;
}

/* A buffer of `pages` stream pages that cannot fault later. 0, or -1 with why. */
static int gv_buffer(struct gv *g, struct stream *st, uint64_t pages)
{
	size_t len = pages * SWSUSP_PAGE;
	st->buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->buf == MAP_FAILED) {
		st->buf = NULL;
		snprintf(g->why, sizeof(g->why), "no address space for the image buffer (%zu MiB)", len >> 20);
		return -1;
	}
	st->in_buf = pages;
	/* mmap's own populate (mlockall) ignores a failed allocation: ask again and hear it. */
	if (madvise(st->buf, len, MADV_POPULATE_WRITE)) {
		snprintf(g->why, sizeof(g->why), "cannot allocate the image buffer (%zu MiB): %s", len >> 20,
			 strerror(errno));
		return -1;
	}
	g->pfns = malloc(st->pages * sizeof(uint64_t) + 1);
	int rc = g->pfns ? pagemap_pfns(st->buf, pages, g->pfns) : -ENOMEM;
	if (rc) {
		snprintf(g->why, sizeof(g->why), "cannot tell where the image buffer lies (/proc/self/pagemap): %s",
			 strerror(-rc));
		return -1;
	}
	return 0;
}

/* The whole stream into a buffer (when the snapshot's frames cannot be used). 0, or -1 with why. */
static int gv_read_copy(struct gv *g, struct stream *st)
{
	if (gv_buffer(g, st, st->pages))
		return -1;
	const uint64_t chunk = 16u << 20;   /* between chunks the watchdog is looked at */
	for (uint64_t off = 0; off < st->pages * SWSUSP_PAGE; off += chunk) {
		if (step_expired()) {
			step_expired_why(g->why, sizeof(g->why));
			return -1;
		}
		uint64_t left = st->pages * SWSUSP_PAGE - off;
		if (gv_read_stream(g, st->buf + off, left < chunk ? left : chunk, off))
			return -1;
	}
	return 0;
}

/* The header and the metadata pages into a buffer; the data pages are next. 0, or -1 with why. */
static int gv_read_head(struct gv *g, struct stream *st)
{
	static uint8_t page0[SWSUSP_PAGE];
	struct swsusp_header img;
	const char *err;
	if (gv_read_stream(g, page0, SWSUSP_PAGE, 0))
		return -1;
	if (swsusp_parse_header(page0, &img, &err)) {
		snprintf(g->why, sizeof(g->why), "image rejected: %s", err);
		return -1;
	}
	if (img.pages != st->pages || img.nr_meta >= img.pages) {
		snprintf(g->why, sizeof(g->why), "image rejected: header says %llu pages (%llu metadata), stream has %llu",
			 (unsigned long long)img.pages, (unsigned long long)img.nr_meta, (unsigned long long)st->pages);
		return -1;
	}
	if (gv_buffer(g, st, 1 + img.nr_meta))
		return -1;
	memcpy(st->buf, page0, SWSUSP_PAGE);
	return gv_read_stream(g, st->buf + SWSUSP_PAGE, img.nr_meta * SWSUSP_PAGE, SWSUSP_PAGE);
}

/* Compare `n` data pages just read with the frames the copy bitmap gives them. -1 at the first difference. */
static int64_t gv_compare_frames(struct gv *g, const uint8_t *data, const uint64_t *pfn, unsigned n)
{
	static uint8_t frames[256 * SWSUSP_PAGE];
	for (unsigned i = 0, run; i < n; i += run) {
		for (run = 1; i + run < n && pfn[i + run] == pfn[i] + run;)
			run++;   /* consecutive frames: one read */
		if (snapframes_read_phys(&g->sf, pfn[i] * SWSUSP_PAGE, frames, run * SWSUSP_PAGE))
			return i;
		for (unsigned k = 0; k < run; k++)
			if (memcmp(frames + k * SWSUSP_PAGE, data + (uint64_t)(i + k) * SWSUSP_PAGE, SWSUSP_PAGE))
				return i + k;
	}
	return -1;
}

/*
 * The data pages stay where the snapshot copied them: their frames come from
 * the kernel's copy bitmap, and each is compared with what /dev/snapshot
 * returns for it (snapframes.h). 0, or -1 with why.
 */
static int gv_find_frames(struct gv *g, struct stream *st)
{
	static uint8_t data[256 * SWSUSP_PAGE];
	uint64_t first = st->in_buf, n = st->pages - first, max_pfn = 0;
	for (int i = 0; i < g->nm; i++)
		if (g->h->mem[i].base + g->h->mem[i].len > max_pfn * SWSUSP_PAGE)
			max_pfn = (g->h->mem[i].base + g->h->mem[i].len) / SWSUSP_PAGE;
	uint64_t t = rdtsc();
	if (snapframes_list(&g->sf, g->pfns + first, n, max_pfn, g->why, sizeof(g->why)) != (int64_t)n)
		return -1;
	for (uint64_t done = 0; done < n; done += 256) {
		unsigned k = n - done < 256 ? (unsigned)(n - done) : 256;
		if (step_expired()) {
			step_expired_why(g->why, sizeof(g->why));
			return -1;
		}
		if (gv_read_stream(g, data, (uint64_t)k * SWSUSP_PAGE, (first + done) * SWSUSP_PAGE))
			return -1;
		int64_t bad = gv_compare_frames(g, data, g->pfns + first + done, k);
		if (bad >= 0) {
			snprintf(g->why, sizeof(g->why), "data page %llu of the image is not in frame 0x%llx where the "
				 "kernel's copy bitmap puts it (try --image-copy)", (unsigned long long)(done + bad),
				 (unsigned long long)g->pfns[first + done + bad]);
			return -1;
		}
	}
	progress("image: %llu data pages stay in the snapshot's frames, each compared with /dev/snapshot's (%.3f s)",
		 (unsigned long long)n, since(t));
	return 0;
}

/* Pages kexec_load copies: odv-hv, the handoff block and the run table. */
static uint64_t kexec_pages(const struct gv *g)
{
	return (g->hv.hdr.mem_size + g->handoff_len + g->runs_len) / SWSUSP_PAGE;
}

/*
 * The run table: where each stream page is (g->pfns), checked the way odv-hv
 * will check it, and placed in the reservation after the handoff block.
 * 0, or -1 with why.
 */
static int gv_stream_runs(struct gv *g, uint64_t pages, const struct swsusp_header *img,
			  const struct swsusp_layout *lay, const struct stream *st)
{
	struct odv_handoff *h = g->h;
	/* After the snapshot: a failed allocation goes through the undo path (no xmalloc). */
	uint64_t *image_pfns = malloc(lay->nr_pfns * sizeof(uint64_t) + 1);
	if (!image_pfns) {
		snprintf(g->why, sizeof(g->why), "out of memory for the image's frame list");
		return -1;
	}
	uint64_t ni = 0;
	for (uint64_t m = 0; m < img->nr_meta; m++) {
		const uint64_t *p = stream_page((void *)st, 1 + m);
		for (unsigned i = 0; i < 512 && ni < lay->nr_pfns; i++)
			image_pfns[ni++] = p[i] & ~SWSUSP_PFN_ZERO;
	}
	uint64_t top = ni ? image_pfns[ni - 1] : 0;
	if (top >= ODV_HV_MAPPED_LIMIT / SWSUSP_PAGE) {
		free(image_pfns);
		snprintf(g->why, sizeof(g->why), "the image restores into memory beyond what odv-hv can map "
			 "(frame 0x%llx)", (unsigned long long)top);
		return -1;
	}
	uint64_t nr = plan_stream_runs(g->pfns, pages, NULL, 0);
	g->runs_len = (nr * sizeof(struct odv_handoff_run) + 4095) & ~4095ull;
	h->runs_phys = g->handoff_phys + g->handoff_len;
	h->nr_runs = nr;
	if (h->runs_phys + g->runs_len > g->res.base + g->res.size) {
		free(image_pfns);
		snprintf(g->why, sizeof(g->why), "the stream's run table (%llu KiB) does not fit in the reserved "
			 "region after odv-hv; boot with a larger memmap=", (unsigned long long)g->runs_len >> 10);
		return -1;
	}
	if (posix_memalign((void **)&g->runs, 4096, g->runs_len)) {
		free(image_pfns);
		snprintf(g->why, sizeof(g->why), "out of memory for the run table");
		return -1;
	}
	memset(g->runs, 0, g->runs_len);
	plan_stream_runs(g->pfns, pages, g->runs, nr);
	const char *err = plan_check_stream(g->runs, nr, image_pfns, ni, h->mem, g->nm, g->res.base, g->res.size,
					    ODV_HV_MAPPED_LIMIT);
	free(image_pfns);
	if (err) {
		snprintf(g->why, sizeof(g->why), "odv-hv could not read the image where it is: %s", err);
		return -1;
	}
	progress("image stream in %llu runs of frames (run table %llu KiB at 0x%llx)", (unsigned long long)nr,
		 (unsigned long long)g->runs_len >> 10, (unsigned long long)h->runs_phys);
	return 0;
}

/* The buffer's frames are still the ones in the run table. 0, or -1 with why. */
static int gv_stream_unmoved(struct gv *g, const uint8_t *buf, uint64_t pages)
{
	static uint64_t now[4096];
	for (uint64_t done = 0; done < pages; done += 4096) {
		uint64_t n = pages - done < 4096 ? pages - done : 4096;
		if (pagemap_pfns(buf + done * SWSUSP_PAGE, n, now) ||
		    memcmp(now, g->pfns + done, n * sizeof(uint64_t))) {
			snprintf(g->why, sizeof(g->why), "the image buffer moved in memory during kexec_load");
			return -1;
		}
	}
	return 0;
}

/* The image's size, and free memory for what go-virtual allocates after the
 * snapshot (/proc/zoneinfo read once). 0, or -1 with why. */
static int gv_image_size(struct gv *g, struct stream *st)
{
	loff_t size = 0;
	if (ioctl(g->fd, SNAPSHOT_GET_IMAGE_SIZE, &size) || size <= 0 || size % SWSUSP_PAGE) {
		snprintf(g->why, sizeof(g->why), "image size query failed");
		return -1;
	}
	*st = (struct stream){ NULL, 0, (uint64_t)size / SWSUSP_PAGE };
	if (g->stamps)
		g->stamps[ODV_AGENT_IMAGE_PAGES] = st->pages;
	uint64_t need = go_virtual_need_pages(st->pages, g->hv.hdr.mem_size, g->direct);
	int64_t head = alloc_headroom_pages();
	progress("snapshot taken: %lld MiB; %lld MiB can be allocated without reclaim, go-virtual needs %llu MiB "
		 "(%s)", (long long)size >> 20, (long long)head >> 8, (unsigned long long)need >> 8,
		 g->direct ? "the image stays in the snapshot's frames" : "a copy of the image");
	return gv_headroom(g, head, need, g->direct ? "the image's metadata and kexec_load's copy of odv-hv"
						    : "the image buffer and kexec_load's copy");
}

/* Parse and validate the image in the buffer (as odv-hv will). 0, or -1 with why. */
static int gv_validate(struct gv *g, struct stream *st, struct swsusp_header *img, struct swsusp_layout *lay)
{
	struct odv_handoff *h = g->h;
	uint8_t *buf = st->buf;
	if (g->o.corrupt) {
		/* test-only: damage the metadata so that validation must catch it */
		for (unsigned i = 0; i < 64; i++)
			buf[SWSUSP_PAGE + 8 * i + 7] ^= 0x5a;
		progress("test: corrupted the image metadata");
	}
	const char *err;
	struct phys_range ram[ODV_HANDOFF_MAX_MEM];
	unsigned nr_ram = 0;
	for (int i = 0; i < g->nm; i++)
		if (h->mem[i].type == ODV_MEM_RAM)
			ram[nr_ram++] = (struct phys_range){ h->mem[i].base, h->mem[i].len };
	struct phys_range excl = { g->res.base, g->res.size };
	if (swsusp_parse_header(buf, img, &err) ||
	    swsusp_validate(img, stream_page, st, ram, nr_ram, &excl, lay, &err)) {
		snprintf(g->why, sizeof(g->why), "image rejected: %s", err);
		return -1;
	}
	if (img->pages != st->pages) {
		snprintf(g->why, sizeof(g->why), "image rejected: header says %llu pages, stream has %llu",
			 (unsigned long long)img->pages, (unsigned long long)st->pages);
		return -1;
	}
	progress("image valid: %llu pages restored (%llu zero), %llu stream pages",
		 (unsigned long long)lay->nr_pfns, (unsigned long long)lay->nr_zero, (unsigned long long)st->pages);
	return 0;
}

/*
 * A page for the agent's phase stamps after the snapshot, which odv-hv copies
 * into its result (odv_handoff.h: the handoff block is copied at kexec_load,
 * before the last stamps). Allocated after the snapshot, so no image page is
 * restored into it. Without one the phases after the snapshot go unreported.
 */
static void gv_stamps_page(struct gv *g)
{
	uint64_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), pfn;
	if (p == MAP_FAILED || madvise(p, 4096, MADV_POPULATE_WRITE) || pagemap_pfns(p, 1, &pfn)) {
		progress("warning: no page for the phase stamps; phases after the snapshot go unreported");
		return;
	}
	g->stamps = p;
	g->h->agent_tsc_phys = pfn * 4096;
	g->stamps[ODV_TSC_SNAPSHOT] = g->ts.agent[ODV_TSC_SNAPSHOT];
	g->stamps[ODV_AGENT_SNAP_FREE_KIB] = g->stamps[ODV_AGENT_LOW_FREE_KIB] = meminfo_kb("MemFree");
}

/* Also the least free memory so far: each stamp comes after an allocation step. */
static void gv_stamp(struct gv *g, enum odv_agent_tsc t)
{
	if (!g->stamps)
		return;
	g->stamps[t] = rdtsc();
	uint64_t f = meminfo_kb("MemFree");
	if (f && (!g->stamps[ODV_AGENT_LOW_FREE_KIB] || f < g->stamps[ODV_AGENT_LOW_FREE_KIB]))
		g->stamps[ODV_AGENT_LOW_FREE_KIB] = f;
}

/*
 * kexec_load(2). With --test-fail kexec-load, its failure instead (ENOMEM, as
 * when the kernel cannot allocate its copy of the segments): everything
 * before the system call ran, and the caller handles it as a real failure.
 */
static long gv_kexec_load_call(const struct gv *g, unsigned long entry, struct kexec_segment *seg,
			       unsigned long nr_segs)
{
	if (g->o.fail == TP_KEXEC_LOAD) {
		progress("test: failing on purpose %s: the system call returns ENOMEM", test_point_what(TP_KEXEC_LOAD));
		errno = ENOMEM;
		return -1;
	}
	return syscall(SYS_kexec_load, entry, nr_segs, seg, (unsigned long)KEXEC_ARCH_DEFAULT);
}

/* Seal the handoff and kexec_load odv-hv, the handoff and the run table into
 * the reservation; check the buffer did not move meanwhile. 0, or -1 with why. */
static int gv_kexec_load(struct gv *g, const struct stream *st, const struct swsusp_header *img)
{
	struct odv_handoff *h = g->h;
	h->jump_address = img->jump_address;
	h->jump_address_phys = img->jump_address_phys;
	h->image_cr3 = img->cr3;
	h->image_pages = img->image_pages;
	h->stream_pages = st->pages;
	odv_handoff_seal(h, g->runs);

	struct kexec_segment seg[3] = {
		{ g->hv.data, (g->hv.hdr.load_size + 4095) & ~4095ull, (void *)g->res.base, g->hv.hdr.mem_size },
		{ h, g->handoff_len, (void *)g->handoff_phys, g->handoff_len },
		{ g->runs, g->runs_len, (void *)h->runs_phys, g->runs_len },
	};
	/* kexec_load's page allocations cannot be interrupted: make sure they need no reclaim. */
	if (gv_headroom(g, alloc_headroom_pages(), kexec_copy_pages(kexec_pages(g)) + HEADROOM_SLACK_PAGES,
			"kexec_load's copy"))
		return -1;
	if (step_expired()) {
		step_expired_why(g->why, sizeof(g->why));
		return -1;
	}
	progress("loading odv-hv at 0x%llx with the stream's %llu runs (kexec_load)",
		 (unsigned long long)g->res.base, (unsigned long long)h->nr_runs);
	if (gv_kexec_load_call(g, (unsigned long)(g->res.base + g->hv.hdr.kexec_entry), seg, 3UL)) {
		int e = errno;
		snprintf(g->why, sizeof(g->why), "kexec_load failed: %s%s", strerror(e),
			 e == EPERM ? " (kexec disabled: kernel lockdown/Secure Boot or kexec_load_disabled)" : "");
		return -1;
	}
	gv_stamp(g, ODV_TSC_LOADED);
	/* Nothing may have moved the buffer meanwhile (compaction and NUMA
	 * balancing are frozen or off, but the run table must be exact). */
	if (gv_stream_unmoved(g, st->buf, st->in_buf)) {
		syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);   /* unload */
		return -1;
	}
	return 0;
}

/*
 * After the snapshot: read and validate the image, plan where it goes, and
 * kexec_load odv-hv, the handoff and the image. Returns only on failure
 * (-1, g->why set); on success the caller reboots into odv-hv.
 */
static int gv_load(struct gv *g, struct stream *st)
{
	gv_stamps_page(g);
	if (gv_image_size(g, st))
		return -1;
	if (test_stall_here(g->o.stall, TP_AFTER_SNAPSHOT)) {
		step_expired_why(g->why, sizeof(g->why));
		return -1;
	}
	if (test_fail_here(g->o.fail, TP_AFTER_SNAPSHOT, g->why, sizeof(g->why)))
		return -1;
	if (g->direct ? gv_read_head(g, st) : gv_read_copy(g, st))
		return -1;
	struct swsusp_header img;
	struct swsusp_layout lay;
	if (gv_validate(g, st, &img, &lay))
		return -1;
	if (g->direct && gv_find_frames(g, st))
		return -1;
	gv_stamp(g, ODV_TSC_READ);
	/* The stream stays where it is: odv-hv gets the list of its frames (the
	 * run table), and kexec_load carries no image (odv_handoff.h). */
	if (gv_stream_runs(g, st->pages, &img, &lay, st))
		return -1;
	return gv_kexec_load(g, st, &img);
}

/* Bring the system back after a failure while frozen: unfreeze, devices back. */
static int gv_undo(struct gv *g, bool snapshot_made)
{
	step_end();
	if (snapshot_made)
		ioctl(g->fd, SNAPSHOT_FREE, 0);
	ioctl(g->fd, SNAPSHOT_UNFREEZE, 0);
	close(g->fd);
	progress_after_snapshot = false;
	if (!g->devices || !g->sw.detached) {
		fprintf(stderr, "odv go-virtual: %s; system unfrozen and unchanged (%.3f s)\n", g->why, since(g->ts.start));
		return EXIT_FAIL;
	}
	fprintf(stderr, "odv go-virtual: %s; system unfrozen, putting the devices back\n", g->why);
	step_begin("attach devices", g->o.step_timeout);
	int rc = reattach(&g->sw, &g->ds);
	step_end();
	if (rc == 0)
		fprintf(stderr, "odv go-virtual: system unchanged, devices back (%.3f s)\n", since(g->ts.start));
	return EXIT_FAIL;
}

/* Open /dev/snapshot and freeze user space. EXIT_OK, or an exit code with the reason printed. */
static int gv_freeze(struct gv *g)
{
	tsc_hz();    /* calibrate now, while nothing is frozen */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		progress("warning: mlockall failed (%s); continuing", strerror(errno));
	g->fd = open("/dev/snapshot", O_RDONLY | O_CLOEXEC);
	if (g->fd < 0) {
		fprintf(stderr, "odv go-virtual: cannot open /dev/snapshot: %s%s\n", strerror(errno),
			errno == EPERM ? " (kernel lockdown / Secure Boot forbids hibernation)" : "");
		return EXIT_PRECONDITION;
	}
	g->ts.start = rdtsc();
	progress("freezing processes");
	if (ioctl(g->fd, SNAPSHOT_FREEZE, 0)) {
		fprintf(stderr, "odv go-virtual: freeze failed: %s\n", strerror(errno));
		close(g->fd);
		return EXIT_FAIL;
	}
	g->ts.frozen = rdtsc();
	g->free_before_kib = meminfo_kb("MemFree");
	return EXIT_OK;
}

/* User space is frozen: take the devices away from the kernel (odv-hv's now). 0, or -1 with why. */
static int gv_detach(struct gv *g)
{
	step_begin("detach devices", g->o.step_timeout);
	if (g->devices && devswitch_detach(&g->sw, &g->ds, g->why, sizeof(g->why))) {
		if (step_expired()) {
			size_t l = strlen(g->why);
			snprintf(g->why + l, sizeof(g->why) - l, "; ");
			step_expired_why(g->why + l + 2, sizeof(g->why) - l - 2);
		}
		return -1;
	}
	if (test_stall_here(g->o.stall, TP_AFTER_DETACH)) {
		step_expired_why(g->why, sizeof(g->why));
		return -1;
	}
	if (test_fail_here(g->o.fail, TP_AFTER_DETACH, g->why, sizeof(g->why)))
		return -1;
	/* CREATE_IMAGE waits uninterruptibly: no deadline can end it, and none may
	 * be left armed in the image (the resumed system would inherit it). */
	step_end();
	g->ts.detached = rdtsc();
	return 0;
}

/* The snapshot exists: load odv-hv and the image and kexec. Returns only on failure. */
static int gv_handover(struct gv *g)
{
	progress_after_snapshot = true;
	step_begin("load the image", g->o.step_timeout);
	struct stream st = { 0 };
	if (gv_load(g, &st) == 0) {
		progress("frozen for %.3f s so far; handing over to odv-hv", since(g->ts.frozen));
		fflush(stdout);
		/* Let a serial console finish these lines before the kernel goes
		 * away, but never wait on it for long (see progress()). */
		console_drain(1, 1.0);
		console_drain(2, 1.0);
		step_end();
		gv_stamp(g, ODV_TSC_REBOOT);
		syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL);
		/* Only reached if the kexec did not happen. */
		snprintf(g->why, sizeof(g->why), "reboot(KEXEC) returned: %s", strerror(errno));
		syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);   /* unload */
	}
	if (st.buf)
		munmap(st.buf, st.in_buf * SWSUSP_PAGE);
	free(g->pfns);
	g->pfns = NULL;
	if (g->direct)   /* else sf was never opened (--image-copy, or kcore unusable) */
		snapframes_close(&g->sf);
	return gv_undo(g, true);
}

#define RESERVED_SIZE_PATH "/sys/power/reserved_size"
#define IMAGE_SIZE_PATH "/sys/power/image_size"

/* Write a number into a sysfs file, keeping its old text in old (NUL-terminated). true if done. */
static bool sysfs_swap_value(const char *path, uint64_t val, char *old, size_t len)
{
	char v[32];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)val);
	if (read_file(path, old, len) <= 0)
		return false;
	old[strcspn(old, "\n")] = 0;
	return sysfs_write(path, v) == 0;
}

/* CREATE_IMAGE once: 0, or the errno. */
static int gv_create_image(struct gv *g, int *in_suspend)
{
	return ioctl(g->fd, SNAPSHOT_CREATE_IMAGE, in_suspend) ? errno : 0;
}

/*
 * Take the snapshot as Linux's own hibernate does: under the kernel's
 * image-size preference (/sys/power/image_size, 2/5 of RAM unless the admin
 * changed it), so it reclaims only what it must and, with swap, swaps out
 * what it must; and with what go-virtual allocates after it kept free
 * (/sys/power/reserved_size, put back as soon as the snapshot returns, also
 * in the resumed system, whose memory holds the value written here). The
 * kernel counts that reserve twice against the image, so with much in use
 * the snapshot may not fit with it: then once more as before #14, the
 * smallest image the kernel can make (everything reclaimable reclaimed) and
 * no reserve, and the preference put back afterwards. --image-copy buffers
 * the whole image and so always asks for the smallest. 0, or -1 with why.
 */
static int gv_snapshot(struct gv *g, int *in_suspend)
{
	char old[32] = "";
	int err = ENOMEM;
	uint64_t total = meminfo_kb("MemTotal"), avail = meminfo_kb("MemAvailable");
	uint64_t used = total > avail ? total - avail : 0;
	uint64_t reserve = go_virtual_need_pages(total / 8, g->hv.hdr.mem_size, true) * 4;   /* KiB; total/8: half of RAM in pages */
	/* The kernel leaves at most about half of what is not reserved for the image, the
	 * reserve counted twice: where that clearly cannot hold what is in use, skip the try. */
	if (g->direct && 2 * (used + 2 * reserve) < total) {
		bool set = sysfs_swap_value(RESERVED_SIZE_PATH, reserve * 1024, old, sizeof(old));
		if (!set)
			progress("warning: %s cannot be set; the snapshot may leave less free than go-virtual needs",
				 RESERVED_SIZE_PATH);
		err = gv_create_image(g, in_suspend);
		if (set)
			sysfs_write(RESERVED_SIZE_PATH, old);
		if (err != ENOMEM)
			goto out;
		progress("the snapshot does not fit beside go-virtual's reserve; again with the smallest image");
	}
	bool pref = sysfs_swap_value(IMAGE_SIZE_PATH, 0, old, sizeof(old));
	if (!pref)
		ioctl(g->fd, SNAPSHOT_PREF_IMAGE_SIZE, 0UL);   /* as small as the kernel can make it */
	err = gv_create_image(g, in_suspend);
	if (pref)
		sysfs_write(IMAGE_SIZE_PATH, old);
out:
	if (err)
		snprintf(g->why, sizeof(g->why), "snapshot failed: %s", strerror(err));
	return err ? -1 : 0;
}

int cmd_go_virtual(int argc, char **argv)
{
	static struct gv g;
	int rc = parse_args(argc, argv, &g.o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = gv_prepare(&g)) || (rc = gv_freeze(&g)))
		return rc;
	if (test_fail_here(g.o.fail, TP_AFTER_FREEZE, g.why, sizeof(g.why)) || gv_detach(&g))
		return gv_undo(&g, false);
	int in_suspend = 0;
	if (gv_snapshot(&g, &in_suspend))
		return gv_undo(&g, false);
	uint64_t t = rdtsc();
	if (!in_suspend) {
		/* We are the resumed system: odv-hv restored the image. */
		g.ts.back = t;
		ioctl(g.fd, SNAPSHOT_FREE, 0);
		ioctl(g.fd, SNAPSHOT_UNFREEZE, 0);
		close(g.fd);
		g.ts.thawed = rdtsc();
		return gv_report_resumed(&g);
	}
	g.ts.agent[ODV_TSC_SNAPSHOT] = t;
	/* ---- the snapshot exists; from here every failure must unfreeze ---- */
	return gv_handover(&g);
}
