/*
 * overhead calibrate FILE | overhead run PHASE FILE: the workloads of the
 * virtual-mode overhead benchmark (scripts/bench-overhead.sh).
 *
 * calibrate: finds for each workload an iteration count that takes about
 * TARGET_NS here (run it natively, before go-virtual), and writes the counts
 * to FILE, so that every phase runs exactly the same work.
 * run: runs each workload REPS times with FILE's counts and prints the
 * fastest (the minimum: interference only ever adds time) as
 *   overhead: PHASE WORKLOAD NS ns exits E [REASON:N ...]
 * E is the mean number of VM exits per repetition, summed over all CPUs, read
 * from odv-hv's counters through the msr driver (the cost of reading them
 * subtracted); natively there are none to read and E is "-". The counters are
 * read outside the timed part. Last line: "overhead: PHASE done".
 *
 * Workloads: cpu (integer loop), mem (memset + memcpy of 32 MiB buffers,
 * larger than most last-level caches; Bochs has none), syscall (getppid), ctxsw (pipe ping-pong between two processes
 * on CPU 0), ctxsw-x (the same across CPUs 0 and 1: each round trip wakes the
 * other CPU with an IPI; only with 2+ CPUs online), fork (fork + exec of
 * /bin/true + wait), disk (O_DIRECT reads of $OVERHEAD_DISK, when set). Times
 * are CLOCK_MONOTONIC, in the guest.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../../include/odv_abi.h"

#define TARGET_NS 1000000000ull   /* ~1 s of guest time per workload and repetition */
#define REPS 3
#define MEM_BYTES (32u << 20)     /* per buffer; Bochs has no caches, real CPUs' are smaller */
#define MAX_CPUS 8

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s)) {
		printf("overhead: FAIL cannot pin to cpu %d: %s\n", cpu, strerror(errno));
		exit(1);
	}
}

/* ---- the workloads: each does n units of work ---- */

static uint64_t sink;
static int ncpus;       /* online, at most MAX_CPUS */   /* results land here so the compiler keeps the loops */

static void w_cpu(uint64_t n)
{
	uint64_t x = 88172645463325252ull;
	for (uint64_t i = 0; i < n; i++) {   /* xorshift: a dependent chain of ALU ops */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink += x;
}

static unsigned char *mem_a, *mem_b;

/* One unit: fill one buffer and copy it to the other (3 x MEM_BYTES of traffic). */
static void w_mem(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		memset(mem_a, (int)i, MEM_BYTES);
		memcpy(mem_b, mem_a, MEM_BYTES);
	}
	sink += mem_b[n % MEM_BYTES];
}

static void w_syscall(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		sink += (uint64_t)syscall(SYS_getppid);   /* not cached by libc */
}

static void xfer(int fd_w, int fd_r, char *c)
{
	if (write(fd_w, c, 1) != 1 || read(fd_r, c, 1) != 1) {
		printf("overhead: FAIL pipe ping-pong: %s\n", strerror(errno));
		exit(1);
	}
}

/* n round trips of one byte between this process (on cpu a) and a child (on cpu b). */
static void pingpong(uint64_t n, int a, int b)
{
	int to[2], from[2];
	if (pipe(to) || pipe(from)) {
		printf("overhead: FAIL pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid_t p = fork();
	if (p == 0) {
		pin(b);
		char c;
		for (uint64_t i = 0; i < n; i++)
			xfer(from[1], to[0], &c) ;
		_exit(0);
	}
	pin(a);
	char c = 'x';
	for (uint64_t i = 0; i < n; i++) {
		if (read(from[0], &c, 1) != 1 || write(to[1], &c, 1) != 1) {
			printf("overhead: FAIL pipe ping-pong: %s\n", strerror(errno));
			exit(1);
		}
	}
	waitpid(p, NULL, 0);
	close(to[0]); close(to[1]); close(from[0]); close(from[1]);
}

static void w_ctxsw(uint64_t n)   { pingpong(n, 0, 0); }
static void w_ctxsw_x(uint64_t n) { pingpong(n, 0, 1); pin(0); }

static void w_fork(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("overhead: FAIL fork + exec of /bin/true\n");
			exit(1);
		}
	}
}

/*
 * The buffers exist only while mem runs: mapped, they would make every fork
 * of the other workloads copy their page tables.
 */
static void mem_map(int on)
{
	if (!on) {
		munmap(mem_a, MEM_BYTES);
		munmap(mem_b, MEM_BYTES);
		return;
	}
	int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	mem_a = mmap(NULL, MEM_BYTES, PROT_READ | PROT_WRITE, fl, -1, 0);
	mem_b = mmap(NULL, MEM_BYTES, PROT_READ | PROT_WRITE, fl, -1, 0);
	if (mem_a == MAP_FAILED || mem_b == MAP_FAILED) {
		printf("overhead: FAIL cannot map 2 x %u MiB\n", MEM_BYTES >> 20);
		exit(1);
	}
}

/*
 * disk: reads of the block device $OVERHEAD_DISK with O_DIRECT (no page
 * cache), 1 MiB per unit in 64 KiB requests, going round the device. Natively
 * that is the IDE disk; virtual, odv-hv's virtio-blk in front of it.
 */
#define DISK_REQ (64u << 10)
static int disk_fd = -1;
static void *disk_buf;
static uint64_t disk_size, disk_pos;

static void disk_open(int on)
{
	if (!on) {
		close(disk_fd);
		free(disk_buf);
		return;
	}
	const char *dev = getenv("OVERHEAD_DISK");
	disk_fd = open(dev, O_RDONLY | O_DIRECT);
	off_t end = disk_fd >= 0 ? lseek(disk_fd, 0, SEEK_END) : -1;
	if (end < (off_t)DISK_REQ || posix_memalign(&disk_buf, 4096, DISK_REQ)) {
		printf("overhead: FAIL cannot read the disk %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	disk_size = (uint64_t)end / DISK_REQ * DISK_REQ;
	disk_pos = 0;
}

static void w_disk(uint64_t n)
{
	for (uint64_t i = 0; i < n * (1u << 20) / DISK_REQ; i++) {
		if (pread(disk_fd, disk_buf, DISK_REQ, (off_t)disk_pos) != (ssize_t)DISK_REQ) {
			printf("overhead: FAIL disk read at %llu: %s\n", (unsigned long long)disk_pos, strerror(errno));
			exit(1);
		}
		disk_pos = (disk_pos + DISK_REQ) % disk_size;
	}
}

struct workload {
	const char *name;
	void (*fn)(uint64_t n);
	int min_cpus;
	void (*prep)(int on);   /* set up (1) and tear down (0) around the runs, untimed */
	uint64_t n;
};

static struct workload work[] = {
	{ "cpu", w_cpu, 1, NULL, 0 },         { "mem", w_mem, 1, mem_map, 0 },
	{ "syscall", w_syscall, 1, NULL, 0 }, { "ctxsw", w_ctxsw, 1, NULL, 0 },
	{ "ctxsw-x", w_ctxsw_x, 2, NULL, 0 }, { "fork", w_fork, 1, NULL, 0 },
	{ "disk", w_disk, 1, disk_open, 0 },
};

/* Does this system run w? (enough CPUs; a disk to read for disk) */
static int runs(const struct workload *w)
{
	return ncpus >= w->min_cpus && (w->fn != w_disk || getenv("OVERHEAD_DISK"));
}

static void prep(const struct workload *w, int on)
{
	if (w->prep)
		w->prep(on);
}
#define NWORK (sizeof(work) / sizeof(work[0]))

static uint64_t time_it(const struct workload *w, uint64_t n)
{
	uint64_t t0 = now_ns();
	w->fn(n);
	return now_ns() - t0;
}

/* ---- odv-hv's exit counters (only when virtual) ---- */

/* Signed: a delta minus the reading cost may dip below 0 by a stray interrupt. */
struct counters {
	int ok;
	int64_t total, reason[ODV_EXIT_REASONS];
};

static int msr_fd[MAX_CPUS];

static void open_msrs(void)
{
	for (int c = 0; c < ncpus; c++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/cpu/%d/msr", c);
		msr_fd[c] = open(path, O_RDONLY);
	}
}

/* CPUID.1:ECX[31]: a hypervisor is below us (odv-hv is the only one here). */
static int hypervisor_present(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(1, &a, &b, &c, &d) && (c >> 31);
}

/*
 * Sums over all CPUs; ok = 0 natively, where there are no counters: the reads
 * fail on hardware (EIO), but Bochs answers unknown MSRs with 0 (ignore_bad_msrs).
 */
static void read_counters(struct counters *k)
{
	memset(k, 0, sizeof(*k));
	k->ok = hypervisor_present();
	for (int c = 0; c < ncpus && k->ok; c++) {
		uint64_t v;
		k->ok = msr_fd[c] >= 0 && pread(msr_fd[c], &v, 8, ODV_MSR_EXITS) == 8;
		k->total += (int64_t)v;
		for (unsigned r = 0; r < ODV_EXIT_REASONS && k->ok; r++) {
			k->ok = pread(msr_fd[c], &v, 8, ODV_MSR_EXIT_REASON0 + r) == 8;
			k->reason[r] += (int64_t)v;
		}
	}
}

static void sub_counters(struct counters *acc, const struct counters *a, const struct counters *b,
			 const struct counters *cost)
{
	acc->ok = a->ok && b->ok;
	acc->total += b->total - a->total - cost->total;
	for (unsigned r = 0; r < ODV_EXIT_REASONS; r++)
		acc->reason[r] += b->reason[r] - a->reason[r] - cost->reason[r];
}

static const char *reason_name(unsigned r)
{
	static const char *names[ODV_EXIT_REASONS] = {
		[0] = "exception-nmi", [1] = "ext-interrupt", [2] = "triple-fault", [3] = "init",
		[4] = "sipi", [7] = "interrupt-window", [8] = "nmi-window", [10] = "cpuid",
		[12] = "hlt", [18] = "vmcall", [28] = "cr-access", [30] = "io", [31] = "rdmsr",
		[32] = "wrmsr", [44] = "apic-access", [48] = "ept-violation", [49] = "ept-misconfig",
		[52] = "preemption-timer", [55] = "xsetbv",
	};
	return names[r] ? names[r] : "other";
}

static void print_counters(const struct counters *k, unsigned reps)
{
	if (!k->ok) {
		printf(" exits -\n");
		return;
	}
	int64_t n = reps;
	printf(" exits %lld", (long long)(k->total > 0 ? (k->total + n / 2) / n : 0));
	for (unsigned r = 0; r < ODV_EXIT_REASONS; r++)
		if (k->reason[r] >= n)
			printf(" %u/%s:%lld", r, reason_name(r), (long long)((k->reason[r] + n / 2) / n));
	printf("\n");
}

/* ---- calibrate and run ---- */

static uint64_t calibrate_one(const struct workload *w)
{
	uint64_t n = 1, t;
	while ((t = time_it(w, n)) < TARGET_NS / 8)
		n *= 4;
	/* 1/8 of the target or more took t: scale to the target (at least 1). */
	uint64_t m = (uint64_t)((double)n * TARGET_NS / (double)(t ? t : 1));
	return m ? m : 1;
}

static int calibrate(const char *file)
{
	FILE *f = fopen(file, "w");
	if (!f) {
		printf("overhead: FAIL cannot write %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (unsigned i = 0; i < NWORK; i++) {
		if (!runs(&work[i]))
			continue;
		prep(&work[i], 1);
		uint64_t n = calibrate_one(&work[i]);
		prep(&work[i], 0);
		fprintf(f, "%s %llu\n", work[i].name, (unsigned long long)n);
		printf("overhead: calibrated %s %llu\n", work[i].name, (unsigned long long)n);
	}
	fclose(f);
	return 0;
}

static int load_counts(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		printf("overhead: FAIL cannot read %s: %s\n", file, strerror(errno));
		return -1;
	}
	char name[32];
	unsigned long long n;
	while (fscanf(f, "%31s %llu", name, &n) == 2)
		for (unsigned i = 0; i < NWORK; i++)
			if (!strcmp(work[i].name, name))
				work[i].n = n;
	fclose(f);
	return 0;
}

static void run_one(const char *phase, const struct workload *w)
{
	struct counters a, b, cost, acc = { .ok = 1 };
	/* What one read of the counters costs in exits, to subtract from each delta. */
	read_counters(&a);
	read_counters(&b);
	memset(&cost, 0, sizeof(cost));
	sub_counters(&cost, &a, &b, &cost);
	uint64_t best = UINT64_MAX;
	for (unsigned r = 0; r < REPS; r++) {
		read_counters(&a);
		uint64_t t = time_it(w, w->n);
		read_counters(&b);
		sub_counters(&acc, &a, &b, &cost);
		if (t < best)
			best = t;
	}
	printf("overhead: %s %s %llu ns", phase, w->name, (unsigned long long)best);
	print_counters(&acc, REPS);
	fflush(stdout);
}

static int run(const char *phase, const char *file)
{
	if (load_counts(file))
		return 1;
	open_msrs();
	for (unsigned i = 0; i < NWORK; i++) {
		if (!runs(&work[i]))
			continue;
		if (!work[i].n) {
			printf("overhead: FAIL no count for %s in %s\n", work[i].name, file);
			return 1;
		}
		prep(&work[i], 1);
		run_one(phase, &work[i]);
		prep(&work[i], 0);
	}
	printf("overhead: %s done\n", phase);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	pin(0);
	if (argc == 3 && !strcmp(argv[1], "calibrate"))
		return calibrate(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	fprintf(stderr, "usage: overhead calibrate FILE | overhead run PHASE FILE\n");
	return 2;
}
