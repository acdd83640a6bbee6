/*
 * memtest: a process whose memory must survive a conversion unchanged.
 * Fills N MiB with a position-dependent pattern, then keeps running; on
 * SIGUSR1 it verifies every byte, prints one verdict line and then writes the
 * number of checks done to /tmp/memtest.checks (so a script can wait for it).
 * Once filled it creates /tmp/memtest.ready. Its lines:
 *   memtest: PASS <N> MiB pattern intact (<checks> checks)
 *   memtest: FAIL <N> MiB pattern: <bad> bad words, first at offset <off>
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t want_check;
static void on_usr1(int s) { (void)s; want_check = 1; }

static uint64_t pattern(uint64_t i) { return (i * 0x9E3779B97F4A7C15ull) ^ 0x0dd0c0ffee0dd0ull; }

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
	uint64_t words = mib << 17;
	uint64_t *m = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("memtest: FAIL cannot map %llu MiB\n", (unsigned long long)mib);
		return 1;
	}
	/* First: a SIGUSR1 while a large fill is still running must not kill us. */
	signal(SIGUSR1, on_usr1);
	for (uint64_t i = 0; i < words; i++)
		m[i] = pattern(i);
	printf("memtest: ready, %llu MiB filled (pid %d)\n", (unsigned long long)mib, (int)getpid());
	fflush(stdout);
	FILE *r = fopen("/tmp/memtest.ready", "w");
	if (r)
		fclose(r);
	unsigned checks = 0;
	for (;;) {
		if (want_check) {
			want_check = 0;
			uint64_t bad = 0, first = 0;
			for (uint64_t i = 0; i < words; i++)
				if (m[i] != pattern(i) && !bad++)
					first = i * 8;
			checks++;
			if (bad)
				printf("memtest: FAIL %llu MiB pattern: %llu bad words, first at offset %llu\n",
				       (unsigned long long)mib, (unsigned long long)bad, (unsigned long long)first);
			else
				printf("memtest: PASS %llu MiB pattern intact (%u checks)\n",
				       (unsigned long long)mib, checks);
			fflush(stdout);
			FILE *f = fopen("/tmp/memtest.checks", "w");
			if (f) {
				fprintf(f, "%u\n", checks);
				fclose(f);
			}
		}
		usleep(20000);
	}
}
