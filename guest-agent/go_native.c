/*
 * odv go-native (DESIGN.md "go-native"): ask odv-hv to hand the CPUs back.
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
#include "odv.h"
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

int cmd_go_native(int argc, char **argv)
{
	bool no_devices = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) opt_json = true;
		else if (!strcmp(argv[i], "--no-devices")) no_devices = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: odv go-native [--json] [--no-devices]\n"
			       "Leave odv-hv: the running system continues on bare metal, every CPU. Needs\n"
			       "root, the msr driver (modprobe msr) and every present CPU online. Exit 1 if\n"
			       "already native.\n"
			       "With virtual devices (odv prepare) the disk and the NIC under the dm device and\n"
			       "the bond move from odv-hv's virtio devices back to the physical ones.\n"
			       "  --no-devices   leave the devices alone\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "odv go-native: unknown option '%s' (try --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
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
	static int cpus[1024], todo[1024];
	int n = online_cpus(cpus, 1024), nt = 0;
	/* The other CPUs first, the boot CPU (the lowest number) last; CPUs a
	 * previous, interrupted go-native already handed back are skipped. */
	for (int i = 1; i <= n; i++) {
		int cpu = cpus[i % n], where = hv_present_on(cpu);
		if (where < 0) {
			fprintf(stderr, "odv go-native: cannot run on cpu %d to ask it (affinity); nothing changed\n", cpu);
			return EXIT_FAIL;
		}
		if (where)
			todo[nt++] = cpu;
	}
	if (nt == 0) {
		fprintf(stderr, "odv go-native: already native (no odv-hv below any CPU); nothing to do\n");
		return EXIT_FAIL;
	}
	/* Every request's device file is open before the devices go (hv_open may run modprobe). */
	static int fds[1024];
	char why[512];
	for (int i = 0; i < nt; i++) {
		fds[i] = hv_open(todo[i], why, sizeof(why));
		if (fds[i] < 0) {
			fprintf(stderr, "odv go-native: %s; nothing changed\n", why);
			while (i--)
				close(fds[i]);
			return EXIT_FAIL;
		}
	}
	double hz = tsc_hz();

	/* The virtual devices: the virtio functions the system uses now go first. */
	static struct devstate ds;
	static struct devswitch sw;
	struct dm_info dm;
	bool devices = false;
	if (!no_devices && access(ODV_DEVSTATE_PATH, F_OK) == 0) {
		if (devswitch_begin(&sw, "go-native", &ds, &dm, why, sizeof(why))) {
			fprintf(stderr, "odv go-native: virtual devices: %s\n"
					"odv go-native: nothing changed (--no-devices leaves the devices alone)\n", why);
			for (int i = 0; i < nt; i++)
				close(fds[i]);
			return EXIT_PRECONDITION;
		}
		progress("go-native: the devices leave odv-hv: disk %s, NIC %s (%s)", sw.disk_pci, sw.nic, sw.nic_pci);
		if (devswitch_detach(&sw, &ds, why, sizeof(why))) {
			fprintf(stderr, "odv go-native: %s; still virtual\n", why);
			for (int i = 0; i < nt; i++)
				close(fds[i]);
			return EXIT_FAIL;
		}
		devices = true;
	}

	static struct cpu_result res[1024];
	int done = 0;
	for (int i = 0; i < nt; i++) {
		if (devirt_cpu(todo[i], fds[i], hz, &res[done])) {
			for (int j = i + 1; j < nt; j++)
				close(fds[j]);
			break;
		}
		done++;
	}
	/* The devices again: physical if odv-hv let go of them, its virtio ones if it refused. */
	int drc = 0;
	if (devices) {
		progress("go-native: %s; attaching the devices", done == nt ? "native" : "still (partly) virtual");
		drc = devswitch_attach_record(&sw, &ds, why, sizeof(why));
		if (drc)
			fprintf(stderr, "odv go-native: %s\n", why);
	}
	if (done < nt) {
		if (done)
			fprintf(stderr, "odv go-native: %d of %d CPUs are native now, the others still "
					"virtual; run odv go-native again\n", done, nt);
		else
			fprintf(stderr, "odv go-native: still virtual\n");
		if (devices && opt_json) {
			printf("{\"result\":\"%s\",\"native_cpus\":%d", done ? "partly-virtual" : "virtual", done);
			devswitch_report(&sw, &ds, drc == 0, true);
			printf("}\n");
		} else if (devices) {
			devswitch_report(&sw, &ds, drc == 0, false);
		}
		return EXIT_FAIL;
	}
	if (opt_json) {
		printf("{\"result\":\"native\",\"cpus\":[");
		for (int i = 0; i < done; i++)
			printf("%s{\"cpu\":%d,\"stop_ms\":%.3f,\"exits_before\":%llu}", i ? "," : "", res[i].cpu,
			       res[i].stop_ms, (unsigned long long)res[i].exits);
		printf("]");
		if (devices)
			devswitch_report(&sw, &ds, drc == 0, true);
		printf("}\n");
	} else if (done == 1) {
		printf("native: left odv-hv after %llu VM exits; the request took %.3f ms; a fresh CPUID shows no hypervisor\n",
		       (unsigned long long)res[0].exits, res[0].stop_ms);
	} else {
		for (int i = 0; i < done; i++)
			printf("native: cpu %d left odv-hv after %llu VM exits; the request took %.3f ms\n", res[i].cpu,
			       (unsigned long long)res[i].exits, res[i].stop_ms);
		printf("native: all %d CPUs left odv-hv; a fresh CPUID on each shows no hypervisor\n", done);
	}
	if (devices && !opt_json)
		devswitch_report(&sw, &ds, drc == 0, false);
	if (drc) {
		fprintf(stderr, "odv go-native: the system is native, but its devices are not all back (see above)\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
