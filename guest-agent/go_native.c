/*
 * odv go-native (DESIGN.md "go-native"): ask odv-hv to hand the CPU back.
 * The request is a RDMSR of ODV_MSR_DEVIRT on the CPU, executed by the
 * kernel's msr driver at CPL 0; odv-hv loads the guest state into the real
 * CPU, leaves VMX and the RDMSR completes natively.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <termios.h>
#include "odv.h"
#include "odv_abi.h"

int cmd_go_native(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) opt_json = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: odv go-native [--json]\n"
			       "Leave odv-hv: the running system continues on bare metal. Needs root and\n"
			       "the msr driver (modprobe msr). Exit 1 if already native.\n");
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
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus != 1) {
		fprintf(stderr, "odv go-native: %ld CPUs online; this version devirtualizes uniprocessor systems only; nothing changed\n", cpus);
		return EXIT_PRECONDITION;
	}
	char why[256];
	int fd = hv_open(0, why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "odv go-native: %s; nothing changed\n", why);
		return EXIT_PRECONDITION;
	}
	uint64_t exits = 0;
	hv_read(fd, ODV_MSR_EXITS, &exits);
	double hz = tsc_hz();
	progress("asking odv-hv to devirtualize cpu 0 (after %llu VM exits)", (unsigned long long)exits);
	tcdrain(1);   /* finish the console lines before odv-hv writes to the same port */
	tcdrain(2);
	uint64_t t0 = rdtsc(), val = 0;
	int rc = hv_read(fd, ODV_MSR_DEVIRT, &val);
	uint64_t t1 = rdtsc();
	close(fd);
	if (rc) {
		fprintf(stderr, "odv go-native: the devirtualize request failed (odv-hv did not answer); still virtual\n");
		return EXIT_FAIL;
	}
	if ((uint32_t)val != ODV_HC_OK) {
		fprintf(stderr, "odv go-native: odv-hv refused (status %u, see 'odv log'); still virtual\n", (uint32_t)val);
		return EXIT_FAIL;
	}
	double stop_ms = (double)(t1 - t0) / hz * 1e3;
	if (hv_present()) {
		fprintf(stderr, "odv go-native: odv-hv said yes, but CPUID still shows it: still virtual\n");
		return EXIT_FAIL;
	}
	if (opt_json)
		printf("{\"result\":\"native\",\"stop_ms\":%.3f,\"exits_before\":%llu}\n", stop_ms, (unsigned long long)exits);
	else
		printf("native: left odv-hv after %llu VM exits; the request took %.3f ms; a fresh CPUID shows no hypervisor\n",
		       (unsigned long long)exits, stop_ms);
	return EXIT_OK;
}
