/*
 * recwriter FILE: append numbered 64-byte records (1, 2, 3, ...) to FILE, each
 * with a checksum, fsync after each; a record counts as acknowledged once its
 * fsync returned. Writes must wait, never fail, while the disk underneath is
 * swapped (the dm device suspended).
 *   SIGTERM: finish the record in flight, print
 *     "recwriter: stopped: N records acknowledged, longest wait for one X s"
 *   and exit 0. A failed write or fsync prints a FAIL line and exits 1.
 * recwriter --verify FILE [N]: read FILE and check every record 1..M is present
 * exactly once, in order, intact; with N, also that M == N (nothing
 * acknowledged is missing, nothing unacknowledged is there). Prints
 *   "recwriter: PASS M records, all present once and in order" or a FAIL line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define REC 64
#define MAGIC 0x4f445652u   /* "ODVR" */

struct rec {
	uint32_t magic;
	uint32_t size;
	uint64_t seq;
	uint8_t fill[40];
	uint64_t sum;
};
_Static_assert(sizeof(struct rec) == REC, "record size");

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void make(struct rec *r, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->magic = MAGIC;
	r->size = REC;
	r->seq = seq;
	for (int i = 0; i < 40; i++)
		r->fill[i] = (uint8_t)(seq * 131 + (uint64_t)i * 7);
	r->sum = fnv1a(r, offsetof(struct rec, sum));
}

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int writer(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		printf("recwriter: FAIL cannot create %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* SA_RESTART: a SIGTERM never cuts a write or fsync short. */
	struct sigaction sa = { .sa_handler = on_term, .sa_flags = SA_RESTART };
	sigaction(SIGTERM, &sa, NULL);
	printf("recwriter: writing %s\n", path);
	fflush(stdout);
	uint64_t acked = 0;
	double worst = 0;
	struct rec r;
	while (!stop) {
		make(&r, acked + 1);
		double t0 = now();
		ssize_t k = write(fd, &r, sizeof(r));
		if (k != (ssize_t)sizeof(r)) {
			printf("recwriter: FAIL write of record %llu: %s\n", (unsigned long long)acked + 1,
			       k < 0 ? strerror(errno) : "short write");
			return 1;
		}
		if (fsync(fd)) {
			printf("recwriter: FAIL fsync of record %llu: %s\n", (unsigned long long)acked + 1, strerror(errno));
			return 1;
		}
		acked++;
		if (now() - t0 > worst)
			worst = now() - t0;
		struct timespec d = { 0, 20 * 1000 * 1000 };
		nanosleep(&d, NULL);
	}
	close(fd);
	printf("recwriter: stopped: %llu records acknowledged, longest wait for one %.3f s\n",
	       (unsigned long long)acked, worst);
	return 0;
}

static int verify(const char *path, const char *expect)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		printf("recwriter: FAIL cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (st.st_size % REC) {
		printf("recwriter: FAIL %s is %lld bytes, not whole records (a torn record at the end)\n", path,
		       (long long)st.st_size);
		return 1;
	}
	uint64_t n = (uint64_t)st.st_size / REC;
	struct rec r, want;
	for (uint64_t i = 0; i < n; i++) {
		if (pread(fd, &r, REC, (off_t)(i * REC)) != REC) {
			printf("recwriter: FAIL read of record %llu: %s\n", (unsigned long long)i + 1, strerror(errno));
			return 1;
		}
		make(&want, i + 1);
		if (r.magic != MAGIC || r.sum != fnv1a(&r, offsetof(struct rec, sum))) {
			printf("recwriter: FAIL record at position %llu is corrupt\n", (unsigned long long)i + 1);
			return 1;
		}
		if (memcmp(&r, &want, REC)) {
			printf("recwriter: FAIL position %llu holds record %llu (lost, duplicated or reordered)\n",
			       (unsigned long long)i + 1, (unsigned long long)r.seq);
			return 1;
		}
	}
	close(fd);
	if (expect) {
		unsigned long long acked = strtoull(expect, NULL, 10);
		if (n != acked) {
			printf("recwriter: FAIL %llu records in %s, but %llu were acknowledged\n", (unsigned long long)n, path,
			       acked);
			return 1;
		}
	}
	if (n == 0) {
		printf("recwriter: FAIL no records in %s\n", path);
		return 1;
	}
	printf("recwriter: PASS %llu records, all present once and in order%s\n", (unsigned long long)n,
	       expect ? " (as many as were acknowledged)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && argv[1][0] != '-')
		return writer(argv[1]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--verify"))
		return verify(argv[2], argc == 4 ? argv[3] : NULL);
	fprintf(stderr, "usage: recwriter FILE | recwriter --verify FILE [N]\n");
	return 2;
}
