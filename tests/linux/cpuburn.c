/*
 * cpuburn SECONDS MIB [CPU]: a busy process for one CPU (start it with taskset;
 * with CPU given, running anywhere else is a failure).
 * Fills MIB MiB with a pattern tied to the pass number and verifies all of it,
 * again and again for SECONDS, checking each pass that it still runs on the
 * CPU it started on; CPUID leaf 1 (executed there) tells whether that CPU is
 * under a hypervisor. One verdict line:
 *   cpuburn: PASS cpu N: P passes over M MiB, hypervisor bit set|clear
 *   cpuburn: FAIL cpu N: <what went wrong>
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: cpuburn SECONDS MIB [CPU]\n");
		return 2;
	}
	double secs = atof(argv[1]);
	uint64_t mib = strtoull(argv[2], NULL, 10), words = mib << 17;
	int cpu = sched_getcpu();
	if (argc == 4 && cpu != atoi(argv[3])) {
		printf("cpuburn: FAIL cpu %d: runs on cpu %d, not the one it was pinned to\n", atoi(argv[3]), cpu);
		return 1;
	}
	uint64_t *m = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("cpuburn: FAIL cpu %d: cannot map %llu MiB\n", cpu, (unsigned long long)mib);
		return 1;
	}
	unsigned a, b, c, d;
	__cpuid(1, a, b, c, d);
	unsigned hv = (c >> 31) & 1;
	double end = now() + secs;
	unsigned passes = 0;
	do {
		uint64_t seed = 0x9E3779B97F4A7C15ull * (passes + 1);
		for (uint64_t i = 0; i < words; i++)
			m[i] = (i * seed) ^ ((uint64_t)cpu << 56);
		for (uint64_t i = 0; i < words; i++)
			if (m[i] != ((i * seed) ^ ((uint64_t)cpu << 56))) {
				printf("cpuburn: FAIL cpu %d: pass %u: word %llu changed\n", cpu, passes,
				       (unsigned long long)i);
				return 1;
			}
		if (sched_getcpu() != cpu) {
			printf("cpuburn: FAIL cpu %d: moved to cpu %d (not pinned?)\n", cpu, sched_getcpu());
			return 1;
		}
		passes++;
	} while (now() < end);
	__cpuid(1, a, b, c, d);
	if (((c >> 31) & 1) != hv) {
		printf("cpuburn: FAIL cpu %d: hypervisor bit changed while running\n", cpu);
		return 1;
	}
	printf("cpuburn: PASS cpu %d: %u passes over %llu MiB, hypervisor bit %s\n", cpu, passes,
	       (unsigned long long)mib, hv ? "set" : "clear");
	return 0;
}
