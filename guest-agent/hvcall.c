/*
 * Talking to odv-hv from user space: RDMSR of odv's synthetic MSRs through
 * the stock msr driver (include/odv_abi.h). The kernel executes the RDMSR
 * at CPL 0 on the chosen CPU; odv-hv answers it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"
#include "odv.h"
#include "hv.h"
#include "odv_abi.h"

int hv_open(int cpu, char *why, size_t wl)
{
	char path[64];
	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* The driver is a module on Debian (CONFIG_X86_MSR=m): load it once. */
		pid_t p = fork();
		if (p == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
			execlp("modprobe", "modprobe", "msr", (char *)NULL);
			_exit(127);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(why, wl, "%s missing: the msr driver is not loaded (modprobe msr; CONFIG_X86_MSR)", path);
		else if (e == EACCES || e == EPERM)
			snprintf(why, wl, "%s: permission denied: odv must run as root (CAP_SYS_RAWIO)", path);
		else
			snprintf(why, wl, "%s: %s", path, strerror(e));
		return -1;
	}
	return fd;
}

int hv_read(int fd, uint32_t msr, uint64_t *val)
{
	/* EIO: the MSR does not exist, i.e. no odv-hv below us. */
	return pread(fd, val, sizeof(*val), msr) == (ssize_t)sizeof(*val) ? 0 : -1;
}

int cmd_log(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: odv log\nPrints odv-hv's log ring (its serial console output), oldest line first.\n");
			return EXIT_OK;
		}
		fprintf(stderr, "odv log: unknown option '%s' (try --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	char why[256];
	if (!hv_present()) {
		fprintf(stderr, "odv log: not running under odv-hv (native): there is no odv-hv log\n");
		return EXIT_FAIL;
	}
	int fd = hv_open(0, why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "odv log: %s\n", why);
		return EXIT_PRECONDITION;
	}
	uint64_t head, pos;
	if (hv_read(fd, ODV_MSR_LOG_HEAD, &head) || hv_read(fd, ODV_MSR_LOG_RESET, &pos)) {
		fprintf(stderr, "odv log: odv-hv did not answer the log hypercall\n");
		close(fd);
		return EXIT_FAIL;
	}
	for (; pos < head; pos += 8) {
		uint64_t v;
		if (hv_read(fd, ODV_MSR_LOG_READ, &v))
			break;
		char b[8];
		memcpy(b, &v, 8);
		size_t n = head - pos < 8 ? (size_t)(head - pos) : 8;
		fwrite(b, 1, n, stdout);
	}
	close(fd);
	return EXIT_OK;
}
