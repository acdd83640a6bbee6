#define _GNU_SOURCE /* sched_setaffinity: CPUID on each CPU */
/*
 * odv — the guest agent: command dispatch and `odv status` (native or
 * under odv-hv, read from CPUID leaf 1 bit 31 and odv-hv's leaf
 * 0x40000000 signature). `check` and `go-virtual` live in their own files.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdarg.h>
#include <time.h>
#include <cpuid.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "odv_abi.h"
#include "cli.h"
#include "json.h"
#include "odv.h"
#include "hv.h"
#include "sysfacts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: odv [--help] [--version] <command> [options]\n"
		"\n"
		"commands (each has --help; --json prints the result as one JSON object):\n"
		"  status [--json]      say whether this system runs natively or under odv-hv\n"
		"  check [--hv PATH] [--json]\n"
		"                       check every precondition of go-virtual\n"
		"  go-virtual [--hv PATH] [--hv-args STR] [--no-devices] [--image-copy]\n"
		"             [--step-timeout SECONDS] [--json]\n"
		"                       become a VM under odv-hv without a reboot\n"
		"  go-native [--no-devices] [--json]\n"
		"                       leave odv-hv: continue on bare metal\n"
		"  log                  print odv-hv's log\n"
		"  prepare --disk DEV --nic IFACE [--name N] [--json]\n"
		"                       put a dm-linear device over DEV and a bond over IFACE\n"
		"                       (before DEV's filesystem is mounted; mount /dev/mapper/odv-N)\n"
		"  devices [--json]     show the virtual devices odv prepare set up\n"
		"  replug [--finish] [--json]\n"
		"                       natively swap the disk and NIC under them (go-native's switch)\n"
		"\n"
		"The manual page docs/odv.8 (man -l docs/odv.8) describes every command and option.\n"
		"\n"
		"exit codes: 0 success, 1 failure (nothing changed), 2 usage error,\n"
		"            3 go-virtual came back natively (fail-safe), 4 precondition not met\n");
}

/* hv_bit: CPUID.1:ECX[31] from a CPUID executed now (not /proc/cpuinfo, which the
 * kernel filled in at boot). */
struct hv_probe { int hv_bit, virtual_odv, other_hypervisor; uint32_t abi; char sig[13]; };

static void probe(struct hv_probe *p)
{
	unsigned a, b, c, d;
	memset(p, 0, sizeof(*p));
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return;
	p->hv_bit = 1;
	__cpuid(ODV_CPUID_LEAF_BASE, a, b, c, d);
	memcpy(p->sig, &b, 4);
	memcpy(p->sig + 4, &c, 4);
	memcpy(p->sig + 8, &d, 4);
	if (memcmp(p->sig, ODV_CPUID_SIGNATURE, 12) == 0) {
		p->virtual_odv = 1;
		__cpuid(ODV_CPUID_LEAF_VERSION, a, b, c, d);
		p->abi = a;
	} else {
		p->other_hypervisor = 1;
		for (int i = 0; i < 12; i++)
			if (p->sig[i] < 32 || p->sig[i] > 126)
				p->sig[i] = '.';
	}
}

uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

double tsc_hz(void)
{
	static double hz;
	if (hz > 0)
		return hz;
	struct timespec a, b, d = { 0, 50 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = rdtsc();
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	hz = (double)(rdtsc() - t0) / ((double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return hz;
}

/* Run probe() on that CPU (move there and back): 0, or -1 if odv cannot run there. */
static int probe_on(int cpu, struct hv_probe *p)
{
	cpu_set_t one, old;
	if (sched_getaffinity(0, sizeof(old), &old))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	int rc = -1;
	if (sched_setaffinity(0, sizeof(one), &one) == 0 && sched_getcpu() == cpu) {
		probe(p);
		rc = 0;
	}
	sched_setaffinity(0, sizeof(old), &old);
	return rc;
}

/* CPUID run on that CPU: 1 odv-hv, 0 not, -1 cannot run there. */
int hv_present_on(int cpu)
{
	struct hv_probe p;
	return probe_on(cpu, &p) ? -1 : p.virtual_odv;
}

bool hv_present(void)
{
	struct hv_probe p;
	probe(&p);
	return p.virtual_odv;
}

/* One online CPU as status sees it: CPUID executed on it, and odv-hv's counters for its vCPU. */
struct cpu_status {
	int cpu;
	bool unknown;            /* could not run CPUID there */
	struct hv_probe p;
	bool have_exits;
	uint64_t info, exits, by_reason[ODV_EXIT_REASONS];
};

/* Online CPUs from /sys/devices/system/cpu/online ("0-3,5"); at most max. */
int online_cpus(int *out, int max)
{
	char buf[1024];
	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0) {
		out[0] = 0;
		return 1;
	}
	int n = 0;
	for (char *t = strtok(buf, ",\n"); t && n < max; t = strtok(NULL, ",\n")) {
		int lo, hi;
		int k = sscanf(t, "%d-%d", &lo, &hi);
		if (k < 1)
			continue;
		if (k == 1)
			hi = lo;
		for (int c = lo; c <= hi && n < max; c++)
			out[n++] = c;
	}
	return n;
}

static void status_of_cpu(int cpu, struct cpu_status *st)
{
	memset(st, 0, sizeof(*st));
	st->cpu = cpu;
	/* CPUID must run on that CPU. */
	st->unknown = probe_on(cpu, &st->p) != 0;
	/* Exit counters need the msr driver and root; without them status still answers. */
	if (!st->p.virtual_odv)
		return;
	char why[256];
	int fd = hv_open(cpu, why, sizeof(why));
	if (fd < 0)
		return;
	st->have_exits = hv_read(fd, ODV_MSR_EXITS, &st->exits) == 0;
	hv_read(fd, ODV_MSR_INFO, &st->info);
	for (unsigned r = 0; st->have_exits && r < ODV_EXIT_REASONS; r++)
		hv_read(fd, ODV_MSR_EXIT_REASON0 + r, &st->by_reason[r]);
	close(fd);
}

/* The exit counts by reason that are not 0, as an object keyed by the reason number. */
static void json_reasons(struct json *j, const char *key, const uint64_t *by_reason)
{
	json_begin_object(j, key);
	for (unsigned r = 0; r < ODV_EXIT_REASONS; r++)
		if (by_reason[r]) {
			char k[12];
			snprintf(k, sizeof(k), "%u", r);
			json_uint(j, k, by_reason[r]);
		}
	json_end_object(j);
}

static const char *mode_name(const struct hv_probe *p)
{
	return p->virtual_odv ? "virtual" : p->other_hypervisor ? "other-hypervisor" : "native";
}

static const char *cpu_mode_name(const struct cpu_status *st)
{
	return st->unknown ? "unknown" : mode_name(&st->p);
}

/* The whole system as status reports it: the first CPU's mode, and the sums of the exit counters. */
struct status_sum {
	const struct hv_probe *p;
	bool mixed, have_exits;
	uint64_t exits, by_reason[ODV_EXIT_REASONS];
	unsigned vcpus;
};

static void status_sum(const struct cpu_status *st, int n, struct status_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->p = &st[0].p;
	for (int i = 0; i < n; i++) {
		sum->mixed |= st[i].p.virtual_odv != sum->p->virtual_odv;
		if (!st[i].have_exits)
			continue;
		sum->have_exits = true;
		sum->exits += st[i].exits;
		for (unsigned r = 0; r < ODV_EXIT_REASONS; r++)
			sum->by_reason[r] += st[i].by_reason[r];
	}
	sum->vcpus = (unsigned)(st[0].info >> 32) & 0xffff;
}

static void status_json(const struct cpu_status *st, int n, const struct status_sum *sum)
{
	const struct hv_probe *p = sum->p;
	struct json j;
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "mode", sum->mixed ? "mixed" : mode_name(p));
	json_bool(&j, "cpuid_hypervisor_bit", p->hv_bit);
	if (p->virtual_odv) {
		json_stringf(&j, "abi_version", "%u.%u.%u", p->abi >> 16, (p->abi >> 8) & 0xff, p->abi & 0xff);
		json_uint(&j, "vcpus", sum->vcpus ? sum->vcpus : 1);
	}
	if (sum->have_exits) {
		json_uint(&j, "exits", sum->exits);
		json_reasons(&j, "exits_by_reason", sum->by_reason);
	}
	if (p->other_hypervisor)
		json_string(&j, "hypervisor_signature", p->sig);
	json_begin_array(&j, "cpus");
	for (int i = 0; i < n; i++) {
		json_begin_object(&j, NULL);
		json_int(&j, "cpu", st[i].cpu);
		json_string(&j, "mode", cpu_mode_name(&st[i]));
		json_bool(&j, "cpuid_hypervisor_bit", st[i].p.hv_bit);
		if (st[i].have_exits) {
			json_uint(&j, "vcpu", (unsigned)(st[i].info >> 48) & 0xffff);
			json_uint(&j, "exits", st[i].exits);
			json_reasons(&j, "exits_by_reason", st[i].by_reason);
		}
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
}

static void status_text(const struct cpu_status *st, int n, const struct status_sum *sum)
{
	const struct hv_probe *p = sum->p;
	if (sum->mixed)
		printf("mixed: some CPUs run under odv-hv, some natively\n");
	else if (p->virtual_odv)
		printf("virtual (odv-hv ABI %u.%u.%u)\n", p->abi >> 16, (p->abi >> 8) & 0xff, p->abi & 0xff);
	else if (p->other_hypervisor)
		printf("under another hypervisor (signature '%s'), not odv-hv\n", p->sig);
	else
		printf("native\n");
	for (int i = 0; i < n; i++)
		if (st[i].have_exits)
			printf("cpu %d: vcpu %u, %llu VM exits\n", st[i].cpu, (unsigned)(st[i].info >> 48) & 0xffff,
			       (unsigned long long)st[i].exits);
		else if (sum->mixed)
			printf("cpu %d: %s\n", st[i].cpu, cpu_mode_name(&st[i]));
}

static int cmd_status(int argc, char **argv)
{
	static const char help[] =
		"usage: odv status [--json]\n"
		"Prints 'native', 'virtual (odv-hv ABI x.y.z)' or 'under another hypervisor',\n"
		"from CPUID executed on each online CPU; when virtual and run as root (msr\n"
		"driver), also each vCPU's VM exits by reason.\n";
	static const struct cli_cmd cmd = { .name = "status", .help = help, .try_hint = "odv status --help" };
	int rc = cli_options(&cmd, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	static int cpus[1024];
	static struct cpu_status st[1024];
	int n = online_cpus(cpus, 1024);
	for (int i = 0; i < n; i++)
		status_of_cpu(cpus[i], &st[i]);
	/* The system's mode is the first CPU's; mixed modes are shown per CPU. */
	struct status_sum sum;
	status_sum(st, n, &sum);
	if (opt_json)
		status_json(st, n, &sum);
	else
		status_text(st, n, &sum);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("odv %s\n", ODV_VERSION_STRING);
		return EXIT_OK;
	}
	static const struct { const char *name; int (*run)(int argc, char **argv); } cmds[] = {
		{ "status", cmd_status },         { "check", cmd_check },     { "go-virtual", cmd_go_virtual },
		{ "go-native", cmd_go_native },   { "log", cmd_log },         { "prepare", cmd_prepare },
		{ "devices", cmd_devices },       { "replug", cmd_replug },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 2, argv + 2);
	fprintf(stderr, "odv: unknown command '%s' (try odv --help)\n", argv[1]);
	return EXIT_USAGE;
}
