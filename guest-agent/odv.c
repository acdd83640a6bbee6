/*
 * odv — the guest agent. This first version answers `odv status`: whether
 * this system runs natively or under odv-hv, read from CPUID (leaf 1 bit
 * 31 and odv-hv's leaf 0x40000000 signature). go-virtual, go-native, log
 * and check come with their issues.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <cpuid.h>
#include "odv_abi.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: odv [--help] [--version] <command> [options]\n"
		"\n"
		"commands:\n"
		"  status [--json]   say whether this system runs natively or under odv-hv\n"
		"\n"
		"exit codes: 0 success, 1 failure, 2 usage error\n");
}

struct hv_probe { int virtual_odv, other_hypervisor; uint32_t abi; char sig[13]; };

static void probe(struct hv_probe *p)
{
	unsigned a, b, c, d;
	memset(p, 0, sizeof(*p));
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return;
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
	if (json) {
		printf("{\"mode\":\"%s\"", mode);
		if (p.virtual_odv)
			printf(",\"abi_version\":\"%u.%u.%u\"", p.abi >> 16, (p.abi >> 8) & 0xff, p.abi & 0xff);
		if (p.other_hypervisor)
			printf(",\"hypervisor_signature\":\"%s\"", p.sig);
		printf("}\n");
	} else if (p.virtual_odv) {
		printf("virtual (odv-hv ABI %u.%u.%u)\n", p.abi >> 16, (p.abi >> 8) & 0xff, p.abi & 0xff);
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
	fprintf(stderr, "odv: unknown command '%s' (try odv --help)\n", argv[1]);
	return EXIT_USAGE;
}
