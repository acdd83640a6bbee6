/*
 * odv go-native (docs/ARCHITECTURE.md, "go-native"): ask odv-hv to hand the CPUs back.
 * The request is a RDMSR of ODV_MSR_DEVIRT, executed by the kernel's msr
 * driver at CPL 0 on the CPU it names; odv-hv loads that CPU's guest state
 * into the real CPU, leaves VMX there and the RDMSR completes natively. With
 * several CPUs the agent asks each in turn, the boot CPU last, and checks
 * with a CPUID run on it that each one really is native.
 *
 * With virtual devices (odv prepare) the system runs on odv-hv's virtio-blk
 * and virtio-net underneath the dm device and the bond. The agent detaches
 * them first (devswitch.c: dm suspended, NIC released, the virtio functions
 * found from sysfs and removed), devirtualizes, and attaches what a PCI
 * rescan finds: the IDE controller and the e1000 odv-hv let go of, or, if
 * odv-hv refused, its virtio functions again. The dm device stays suspended
 * from the detach to the attach; in between only /sys and /dev are touched
 * (the msr device files are opened before the detach).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <termios.h>
#include "cli.h"
#include "json.h"
#include "odv.h"
#include "devices.h"
#include "hv.h"
#include "hvlog.h"
#include "sysfacts.h"
#include "odv_abi.h"

struct cpu_result { int cpu; uint64_t exits; double stop_ms; };

/* Devirtualize one CPU through its msr device fd (closed here). 0, or -1 with a
 * message printed (that CPU is still virtual). */
static int devirt_cpu(int cpu, int fd, double hz, struct cpu_result *r)
{
	r->cpu = cpu;
	r->exits = 0;
	hv_read(fd, ODV_MSR_EXITS, &r->exits);
	progress("asking odv-hv to devirtualize cpu %d (after %llu VM exits)", cpu, (unsigned long long)r->exits);
	/* Finish the console lines before odv-hv writes to the same port, but never
	 * wait on a stopped transmitter for long (the devices may be detached). */
	console_drain(1, 1.0);
	console_drain(2, 1.0);
	uint64_t t0 = rdtsc(), val = 0;
	int rc = hv_read(fd, ODV_MSR_DEVIRT, &val);
	uint64_t t1 = rdtsc();
	close(fd);
	if (rc) {
		fprintf(stderr, "odv go-native: cpu %d: the devirtualize request failed (odv-hv did not answer)\n", cpu);
		return -1;
	}
	if ((uint32_t)val != ODV_HC_OK) {
		fprintf(stderr, "odv go-native: cpu %d: odv-hv refused (status %u, see 'odv log')\n", cpu, (uint32_t)val);
		return -1;
	}
	r->stop_ms = (double)(t1 - t0) / hz * 1e3;
	int still = hv_present_on(cpu);
	if (still) {
		fprintf(stderr, "odv go-native: cpu %d: odv-hv said yes, but %s\n", cpu,
			still > 0 ? "CPUID there still shows it" : "odv cannot run CPUID there to check");
		return -1;
	}
	return 0;
}

/* Everything go-native keeps between its phases. */
struct gn {
	bool no_devices;
	int todo[1024], fds[1024], nt;   /* the CPUs still virtual, in the order asked, and their msr fds */
	struct cpu_result res[1024];
	int done;                        /* CPUs handed back */
	struct devstate ds;
	struct devswitch sw;
	bool devices;                    /* the devices were detached */
	int drc;                         /* the attach: 0, or -1 */
	char why[512];
	/* TSC at the start and at the ends of the phases: detach, devirt (every CPU), attach */
	uint64_t t_start, t_detached, t_native, t_attached;
};

enum { GN_DETACH, GN_DEVIRT, GN_ATTACH, GN_PHASES };
static const char *const gn_phase_names[GN_PHASES] = { "detach", "devirt", "attach" };

/* Seconds of each phase. */
static void gn_phases(const struct gn *g, double out[GN_PHASES])
{
	double hz = tsc_hz();
	out[GN_DETACH] = (double)(g->t_detached - g->t_start) / hz;
	out[GN_DEVIRT] = (double)(g->t_native - g->t_detached) / hz;
	out[GN_ATTACH] = (double)(g->t_attached - g->t_native) / hz;
}

static void close_fds(struct gn *g, int from, int to)
{
	for (int i = from; i < to; i++)
		close(g->fds[i]);
}

static bool gn_option(void *ctx, int argc, char **argv, int *i)
{
	if (strcmp(argv[*i], "--no-devices"))
		return false;
	((struct gn *)ctx)->no_devices = true;
	return true;
}

/* Below odv-hv, root, every present CPU online: EXIT_OK, or the exit code with the reason printed. */
static int gn_refuse(void)
{
	if (!hv_present()) {
		fprintf(stderr, "odv go-native: already native (no odv-hv below this system); nothing to do\n");
		return EXIT_FAIL;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "odv go-native: must run as root (the request goes through /dev/cpu/*/msr); nothing changed\n");
		return EXIT_PRECONDITION;
	}
	/* An offline CPU's vCPU waits for SIPI inside odv-hv, which cannot hand it back. */
	char online[256] = "", present[256] = "";
	read_file("/sys/devices/system/cpu/online", online, sizeof(online));
	read_file("/sys/devices/system/cpu/present", present, sizeof(present));
	online[strcspn(online, "\n")] = 0;
	present[strcspn(present, "\n")] = 0;
	if (strcmp(online, present)) {
		fprintf(stderr, "odv go-native: CPUs %s are present but only %s online; bring the others online "
				"first (echo 1 > /sys/devices/system/cpu/cpuN/online); nothing changed\n", present, online);
		return EXIT_PRECONDITION;
	}
	return EXIT_OK;
}

/* The CPUs to ask, and each one's msr device opened (hv_open may run modprobe). EXIT_OK or an exit code. */
static int gn_cpus(struct gn *g)
{
	static int cpus[1024];
	int n = online_cpus(cpus, 1024);
	g->nt = 0;
	/* The other CPUs first, the boot CPU (the lowest number) last; CPUs a
	 * previous, interrupted go-native already handed back are skipped. */
	for (int i = 1; i <= n; i++) {
		int cpu = cpus[i % n], where = hv_present_on(cpu);
		if (where < 0) {
			fprintf(stderr, "odv go-native: cannot run on cpu %d to ask it (affinity); nothing changed\n", cpu);
			return EXIT_FAIL;
		}
		if (where)
			g->todo[g->nt++] = cpu;
	}
	if (g->nt == 0) {
		fprintf(stderr, "odv go-native: already native (no odv-hv below any CPU); nothing to do\n");
		return EXIT_FAIL;
	}
	/* Every request's device file is open before the devices go. */
	for (int i = 0; i < g->nt; i++) {
		g->fds[i] = hv_open(g->todo[i], g->why, sizeof(g->why));
		if (g->fds[i] < 0) {
			fprintf(stderr, "odv go-native: %s; nothing changed\n", g->why);
			close_fds(g, 0, i);
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

/* The virtual devices: the virtio functions the system uses now go first. EXIT_OK or an exit code. */
static int gn_detach(struct gn *g)
{
	struct dm_info dm;
	if (g->no_devices || access(ODV_DEVSTATE_PATH, F_OK))
		return EXIT_OK;
	if (devswitch_begin(&g->sw, "go-native", &g->ds, &dm, g->why, sizeof(g->why))) {
		fprintf(stderr, "odv go-native: virtual devices: %s\n"
				"odv go-native: nothing changed (--no-devices leaves the devices alone)\n", g->why);
		close_fds(g, 0, g->nt);
		return EXIT_PRECONDITION;
	}
	progress("go-native: the devices leave odv-hv: disk %s, NIC %s (%s)", g->sw.disk_pci, g->sw.nic, g->sw.nic_pci);
	if (devswitch_detach(&g->sw, &g->ds, g->why, sizeof(g->why))) {
		fprintf(stderr, "odv go-native: %s; still virtual\n", g->why);
		close_fds(g, 0, g->nt);
		return EXIT_FAIL;
	}
	g->devices = true;
	return EXIT_OK;
}

/* odv-hv's lines of the requests, kept off its console while it handed the
 * CPUs back (hvlog.h): readable now if every CPU is native, else 'odv log'. */
static void gn_print_hv_lines(struct gn *g, const struct hvlog_mark *mark)
{
	char why[256];
	if (g->done < g->nt) {
		fprintf(stderr, "odv go-native: odv-hv's lines about the requests: see 'odv log'\n");
		return;
	}
	if (!mark)
		fprintf(stderr, "odv go-native: odv-hv did not say where its log is; its lines about the requests are not shown\n");
	else if (hvlog_print_since(mark, stderr, why, sizeof(why)))
		fprintf(stderr, "odv go-native: odv-hv's lines about the requests cannot be shown: %s\n", why);
}

/* Ask each CPU in turn until one fails; then the devices again: physical if
 * odv-hv let go of them, its virtio ones if it refused. */
static void gn_devirt_and_attach(struct gn *g)
{
	double hz = tsc_hz();
	struct hvlog_mark mark;
	bool marked = hvlog_mark(g->fds[0], &mark) == 0;
	g->done = 0;
	for (int i = 0; i < g->nt; i++) {
		if (devirt_cpu(g->todo[i], g->fds[i], hz, &g->res[g->done])) {
			close_fds(g, i + 1, g->nt);
			break;
		}
		g->done++;
	}
	g->t_native = rdtsc();
	gn_print_hv_lines(g, marked ? &mark : NULL);
	g->drc = 0;
	if (g->devices) {
		progress("go-native: %s; attaching the devices", g->done == g->nt ? "native" : "still (partly) virtual");
		g->drc = devswitch_attach_record(&g->sw, &g->ds, g->why, sizeof(g->why));
		if (g->drc)
			fprintf(stderr, "odv go-native: %s\n", g->why);
	}
	g->t_attached = rdtsc();
}

/* Some CPUs are still virtual: say so. */
static int gn_report_partial(struct gn *g)
{
	if (g->done)
		fprintf(stderr, "odv go-native: %d of %d CPUs are native now, the others still "
				"virtual; run odv go-native again\n", g->done, g->nt);
	else
		fprintf(stderr, "odv go-native: still virtual\n");
	if (g->devices && opt_json) {
		struct json j;
		json_init(&j, stdout);
		json_begin_object(&j, NULL);
		json_string(&j, "result", g->done ? "partly-virtual" : "virtual");
		json_int(&j, "native_cpus", g->done);
		devswitch_report(&g->sw, &g->ds, g->drc == 0, &j);
		json_end_object(&j);
	} else if (g->devices) {
		devswitch_report(&g->sw, &g->ds, g->drc == 0, NULL);
	}
	return EXIT_FAIL;
}

static void gn_report_json(struct gn *g)
{
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "result", "native");
	json_begin_array(&j, "cpus");
	for (int i = 0; i < g->done; i++) {
		json_begin_object(&j, NULL);
		json_int(&j, "cpu", g->res[i].cpu);
		json_fixed(&j, "stop_ms", g->res[i].stop_ms, 3);
		json_uint(&j, "exits_before", g->res[i].exits);
		json_end_object(&j);
	}
	json_end_array(&j);
	if (g->devices)
		devswitch_report(&g->sw, &g->ds, g->drc == 0, &j);
	double ph[GN_PHASES];
	gn_phases(g, ph);
	json_begin_object(&j, "phases");
	for (int i = 0; i < GN_PHASES; i++)
		json_fixed(&j, gn_phase_names[i], ph[i], 6);
	json_end_object(&j);
	json_end_object(&j);
}

/* One line: "phases: detach 0.120 s, devirt 0.004 s, attach 1.300 s". */
static void gn_print_phases(const struct gn *g)
{
	double ph[GN_PHASES];
	gn_phases(g, ph);
	printf("phases:");
	for (int i = 0; i < GN_PHASES; i++)
		printf("%s %s %.3f s", i ? "," : "", gn_phase_names[i], ph[i]);
	printf("\n");
}

/* Every CPU is native: say so. */
static int gn_report_native(struct gn *g)
{
	if (opt_json) {
		gn_report_json(g);
	} else if (g->done == 1) {
		printf("native: left odv-hv after %llu VM exits; the request took %.3f ms; a fresh CPUID shows no hypervisor\n",
		       (unsigned long long)g->res[0].exits, g->res[0].stop_ms);
	} else {
		for (int i = 0; i < g->done; i++)
			printf("native: cpu %d left odv-hv after %llu VM exits; the request took %.3f ms\n", g->res[i].cpu,
			       (unsigned long long)g->res[i].exits, g->res[i].stop_ms);
		printf("native: all %d CPUs left odv-hv; a fresh CPUID on each shows no hypervisor\n", g->done);
	}
	if (g->devices && !opt_json)
		devswitch_report(&g->sw, &g->ds, g->drc == 0, NULL);
	if (!opt_json)
		gn_print_phases(g);
	if (g->drc) {
		fprintf(stderr, "odv go-native: the system is native, but its devices are not all back (see above)\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_go_native(int argc, char **argv)
{
	static struct gn g;
	static const struct cli_cmd cmd = {
		.name = "go-native", .option = gn_option,
		.help = "usage: odv go-native [--json] [--no-devices]\n"
			"Leave odv-hv: the running system continues on bare metal, every CPU. Needs\n"
			"root, the msr driver (modprobe msr) and every present CPU online. Exit 1 if\n"
			"already native.\n"
			"With virtual devices (odv prepare) the disk and the NIC under the dm device and\n"
			"the bond move from odv-hv's virtio devices back to the physical ones.\n"
			"  --no-devices   leave the devices alone\n",
	};
	int rc = cli_options(&cmd, &g, argc, argv);
	if (rc >= 0)
		return rc;
	if ((rc = gn_refuse()) || (rc = gn_cpus(&g)))
		return rc;
	tsc_hz();
	g.t_start = rdtsc();
	if ((rc = gn_detach(&g)))
		return rc;
	g.t_detached = rdtsc();
	gn_devirt_and_attach(&g);
	return g.done < g.nt ? gn_report_partial(&g) : gn_report_native(&g);
}
