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
#include <sys/stat.h>
#include <unistd.h>
#include "odv_abi.h"
#include "odv.h"

bool opt_json;
bool progress_after_snapshot;

/*
 * Progress of long steps, on stderr, time-stamped (CLOCK_BOOTTIME). After
 * the snapshot nothing may reach a file system, so if stderr is a regular
 * file those lines are dropped (a terminal, pipe or console is fine).
 */
void progress(const char *fmt, ...)
{
	struct stat st;
	if (progress_after_snapshot && fstat(2, &st) == 0 && S_ISREG(st.st_mode))
		return;
	/* One write per line: a serial console must never show half a line when
	 * odv-hv (or a kexec) takes the port over right after it. */
	char line[512];
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t);
	int n = snprintf(line, sizeof(line), "odv: [%5ld.%03ld] ", (long)t.tv_sec, t.tv_nsec / 1000000);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: odv [--help] [--version] <command> [options]\n"
		"\n"
		"commands:\n"
		"  status [--json]      say whether this system runs natively or under odv-hv\n"
		"  check [--json]       check every precondition of go-virtual\n"
		"  go-virtual [--json]  become a VM under odv-hv without a reboot\n"
		"  go-native [--json]   leave odv-hv: continue on bare metal\n"
		"  log                  print odv-hv's log\n"
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

bool hv_present(void)
{
	struct hv_probe p;
	probe(&p);
	return p.virtual_odv;
}

static int cmd_status(int argc, char **argv)
{
	int json = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: odv status [--json]\n"
			       "Prints 'native', 'virtual (odv-hv ABI x.y.z)' or 'under another hypervisor'.\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "odv status: unknown option '%s' (try odv status --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	struct hv_probe p;
	probe(&p);
	const char *mode = p.virtual_odv ? "virtual" : p.other_hypervisor ? "other-hypervisor" : "native";
	/* Exit counters need the msr driver and root; without them status still answers. */
	uint64_t exits = 0, by_reason[128] = { 0 };
	bool have_exits = false;
	if (p.virtual_odv) {
		char why[256];
		int fd = hv_open(0, why, sizeof(why));
		if (fd >= 0) {
			have_exits = hv_read(fd, ODV_MSR_EXITS, &exits) == 0;
			for (unsigned r = 0; have_exits && r < 65; r++)
				hv_read(fd, ODV_MSR_EXIT_REASON0 + r, &by_reason[r]);
			close(fd);
		}
	}
	if (json) {
		printf("{\"mode\":\"%s\",\"cpuid_hypervisor_bit\":%s", mode, p.hv_bit ? "true" : "false");
		if (p.virtual_odv)
			printf(",\"abi_version\":\"%u.%u.%u\",\"vcpus\":1", p.abi >> 16, (p.abi >> 8) & 0xff, p.abi & 0xff);
		if (have_exits) {
			printf(",\"exits\":%llu,\"exits_by_reason\":{", (unsigned long long)exits);
			bool first = true;
			for (unsigned r = 0; r < 65; r++)
				if (by_reason[r]) {
					printf("%s\"%u\":%llu", first ? "" : ",", r, (unsigned long long)by_reason[r]);
					first = false;
				}
			printf("}");
		}
		if (p.other_hypervisor)
			printf(",\"hypervisor_signature\":\"%s\"", p.sig);
		printf("}\n");
	} else if (p.virtual_odv) {
		printf("virtual (odv-hv ABI %u.%u.%u)\n", p.abi >> 16, (p.abi >> 8) & 0xff, p.abi & 0xff);
		if (have_exits)
			printf("vcpu 0: %llu VM exits\n", (unsigned long long)exits);
	} else if (p.other_hypervisor) {
		printf("under another hypervisor (signature '%s'), not odv-hv\n", p.sig);
	} else {
		printf("native\n");
	}
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
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 2, argv + 2);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "go-virtual"))
		return cmd_go_virtual(argc - 2, argv + 2);
	if (!strcmp(argv[1], "go-native"))
		return cmd_go_native(argc - 2, argv + 2);
	if (!strcmp(argv[1], "log"))
		return cmd_log(argc - 2, argv + 2);
	fprintf(stderr, "odv: unknown command '%s' (try odv --help)\n", argv[1]);
	return EXIT_USAGE;
}
