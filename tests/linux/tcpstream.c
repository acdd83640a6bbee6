/*
 * tcpstream HOST PORT | tcpstream --listen PORT: a TCP echo stream that must
 * survive conversions (--listen: wait for the peer to connect, which is how
 * Bochs' slirp forwards a host port to the guest).
 * Sends 64-byte numbered records to the host peer (tests/host/stream_peer.py),
 * which echoes them; every echo is checked (sequence and content). Time is
 * the TSC (it runs through the conversions; the kernel clocks treat the gap
 * as sleep), calibrated against CLOCK_MONOTONIC at start.
 *   SIGUSR1: print "tcpstream: PASS <n> records echoed in order, longest stall <s> s"
 *   SIGUSR2: end the stream, print the peer's own verdict line, exit.
 * Any mismatch or connection loss prints a FAIL line at once and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REC 64
static volatile sig_atomic_t want_report, want_end;
static void on_usr1(int s) { (void)s; want_report = 1; }
static void on_usr2(int s) { (void)s; want_end = 1; }

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void fill(uint8_t *r, uint64_t seq)
{
	memcpy(r, &seq, 8);
	for (int i = 8; i < REC; i++)
		r[i] = (uint8_t)(seq * 31 + (uint64_t)i);
}

/* All of n bytes, retrying on signals; -1 on EOF/error. */
static int xfer(int fd, uint8_t *b, size_t n, int send_it)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = send_it ? send(fd, b + done, n - done, MSG_NOSIGNAL) : recv(fd, b + done, n - done, 0);
		if (k < 0 && errno == EINTR)
			continue;   /* a report asked for now comes once this record is through */
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tcpstream HOST PORT | tcpstream --listen PORT\n");
		return 2;
	}
	bool listening = !strcmp(argv[1], "--listen");
	struct timespec a, b, d = { 0, 50 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t c0 = rdtsc();
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double hz = (double)(rdtsc() - c0) / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);

	/* The handlers go in before anything waits: a SIGUSR1 (report) that comes
	 * while the peer is not connected yet must not end the program, which is
	 * SIGUSR1's default action (the test init asks for a report at a fixed time). */
	struct sigaction s1 = { .sa_handler = on_usr1 }, s2 = { .sa_handler = on_usr2 };
	sigaction(SIGUSR1, &s1, NULL);
	sigaction(SIGUSR2, &s2, NULL);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	int fd = -1;
	if (listening) {
		int ls = socket(AF_INET, SOCK_STREAM, 0), on = 1;
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
			printf("tcpstream: FAIL cannot listen on port %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("tcpstream: listening on port %s\n", argv[2]);
		fflush(stdout);
		do
			fd = accept(ls, NULL, NULL);   /* a report asked for meanwhile interrupts it */
		while (fd < 0 && errno == EINTR);
		close(ls);
	}
	for (int tries = 0; !listening && tries < 60; tries++) {
		inet_pton(AF_INET, argv[1], &sa.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		fd = -1;
		sleep(1);
	}
	if (fd < 0) {
		printf("tcpstream: FAIL cannot connect to %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	printf("tcpstream: connected (%s %s)\n", argv[1], argv[2]);
	fflush(stdout);

	uint64_t seq = 0, last = rdtsc(), worst = 0;
	uint8_t out[REC], in[REC];
	for (;;) {
		if (want_report) {
			want_report = 0;
			printf("tcpstream: PASS %llu records echoed in order, longest stall %.3f s\n",
			       (unsigned long long)seq, (double)worst / hz);
			fflush(stdout);
		}
		if (want_end) {
			fill(out, ~0ull);
			char line[200] = "";
			if (xfer(fd, out, REC, 1) == 0) {
				ssize_t k = recv(fd, line, sizeof(line) - 1, MSG_WAITALL);
				line[k > 0 ? k : 0] = 0;
				char *nl = strchr(line, '\n');
				if (nl)
					*nl = 0;
			}
			printf("tcpstream: peer: %s\n", line[0] ? line : "FAIL no verdict from the peer");
			fflush(stdout);
			return 0;
		}
		fill(out, seq);
		if (xfer(fd, out, REC, 1) || xfer(fd, in, REC, 0)) {
			printf("tcpstream: FAIL connection lost after %llu records (%s)\n",
			       (unsigned long long)seq, strerror(errno));
			return 1;
		}
		if (memcmp(in, out, REC)) {
			uint64_t got;
			memcpy(&got, in, 8);
			printf("tcpstream: FAIL record %llu came back as %llu or corrupted\n",
			       (unsigned long long)seq, (unsigned long long)got);
			return 1;
		}
		uint64_t now = rdtsc();
		if (now - last > worst)
			worst = now - last;
		last = now;
		seq++;
	}
}
